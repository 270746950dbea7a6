//! The ports: everything kms-core needs from the outside world, as small
//! object-safe `Send + Sync + Debug` traits passed in one [`Ports`] bundle.
//!
//! Store traits state their atomicity in their docs and return types: each
//! `insert` is a single conditional write (an SQL adapter implements it with
//! UNIQUE constraints in one transaction), so the core never checks-then-acts.
//!
//! A port reports a failure outside the request as a [`PortError`] (kind,
//! context, source), never as an answer: a poisoned lock or a lost
//! database is not "not found" and not "wrong PIN". The root-key provider's
//! answer-shaped failures are [`RootKeyError::Rejected`] (the material does
//! not unwrap or verify) and [`RootKeyError::Unsupported`] (the keystore
//! cannot do this, e.g. a key pair in an HSM-backed keystore); its other
//! variants are provider failures.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use kms_crypto::{
    Ciphertext, MasterKey, Pin, PinKeys, PinScope, PinVerifier, PrivateKeyScope, SigningKey,
    SigningKeySpec, WrappedMasterKey,
};
use kms_model::{CmkSpec, KeyUsage, KeystoreType};
use zeroize::Zeroizing;

mod aliases;
mod audit;
mod bundle;
mod certificates;
mod clusters;
mod common;
mod environment;
mod grants;
mod keys;
mod keystores;
mod pins;
mod root_keys;
mod root_rotation;

pub use self::aliases::*;
pub use self::audit::*;
pub use self::bundle::*;
pub use self::certificates::*;
pub use self::clusters::*;
pub use self::common::*;
pub use self::environment::*;
pub use self::grants::*;
pub use self::keys::*;
pub use self::keystores::*;
pub use self::pins::*;
pub use self::root_keys::*;
pub use self::root_rotation::*;
