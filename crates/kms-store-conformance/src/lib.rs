//! One conformance suite for every adapter of kms-core's store ports.
//!
//! Each public `fn(&dyn Fn() -> StoreSet)` checks one rule of the port
//! docs in `kms_core::ports` against a fresh [`StoreSet`] (or several: the
//! factory is called once per case, and again per round of a race). The
//! rules checked are the ones the docs state: round trips of every record
//! field, keystore alias unique per domain, one keystore per cluster,
//! delete-keystore-only-if-empty, key alias unique per project, a dedicated
//! keystore must exist for a key insert, key material per version, PIN
//! verifiers per domain and keystore, certificate name unique per project
//! and scope, update/delete/list with filters and paging, not-found
//! answers, tenancy isolation, and 8-thread races where a rule is atomic.
//!
//! [`run_all`] runs every case in [`CASES`] and reports every failure at
//! once; [`run_all_with_known_divergences`] does the same but expects the
//! listed cases to fail (and fails if one of them starts passing), so a
//! known divergence stays visible instead of being skipped.
//!
//! The assertions panic with a message naming the rule, as a test does.
#![forbid(unsafe_code)]

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Barrier};
use std::thread;

use cert_parse::KeyFamily;
use kms_core::ports::{AliasRecord, AliasWriteError, KeyAliasStore};
use kms_core::ports::{
    ApigCertificate, CertificateFilter, CertificateStore, CertificateWriteError, ClusterDirectory,
    ClusterInfo, DeleteKeystoreOutcome, IdGenerator, InsertKeyError, InsertKeystoreError,
    KeyListQuery, KeyMaterial, KeyOrigin, KeyRecord, KeyRotation, KeyState, KeystoreRecord,
    KeystoreState, KeystoreStore, MasterKeyStore, PinVerifierStore, RotateKeyError,
    StoredCertificate, Timestamp, UpdateKeyAliasError,
};
use kms_core::ports::{
    CarriedPinKeys, ROOT_FINGERPRINT_LEN, Rewrapped, RootBoundItem, RootBoundRow, RootKeyState,
    RootRotationStore, RootRotationTarget,
};
use kms_core::ports::{KeyGrantStore, KeyTagStore, TagFilter, TagWriteError};
use kms_crypto::{MasterKey, PIN_VERIFIER_LEN, PinVerifier, RootKey, WrappedMasterKey};
use kms_model::{CertificateScope, CmkSpec, KeyUsage, KeystoreType};
use rand_chacha::rand_core::SeedableRng;

mod cases;
mod fixtures;
mod runner;

pub use cases::*;
pub use fixtures::*;
pub use runner::*;
