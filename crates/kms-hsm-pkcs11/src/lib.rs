#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod provider;
#[cfg(feature = "test-support")]
pub mod softhsm;
mod token;

pub use provider::{HsmRootKeys, LABEL_PREFIX, wrap_mechanism};
pub use token::{
    DEFAULT_ACQUIRE_TIMEOUT, DEFAULT_MAX_SESSIONS, HsmFailures, HsmPin, LOGIN_BACKOFF,
    Pkcs11ClusterConfig, Pkcs11Token, REINIT_INTERVAL, failure_counts,
};
