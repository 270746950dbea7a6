#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod memory;
pub mod ports;
mod service;
mod time;

pub use service::{CertificateQuery, CoreConfig, DEFAULT_KEYSTORE, Kms, SHARED_KEYSTORES};
pub use time::rfc3339;
