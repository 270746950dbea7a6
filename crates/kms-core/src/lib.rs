#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod builder;
mod cache;
mod error;
pub mod memory;
#[cfg(feature = "os")]
pub mod os;
pub mod ports;
mod service;
pub mod software;
#[cfg(feature = "test-support")]
pub mod testkit;
mod time;
mod wire;

pub use builder::{PortsBuildError, PortsBuilder};
pub use cache::{CacheCount, CacheStats};
pub use error::{CoreError, ErrorKind};
pub use service::AliasPage;
pub use service::GrantPage;
pub use service::NewDatakeyPair;
pub use service::{API_VERSIONS, ApiVersion};
pub use service::{CertificatePage, KeystorePage, NewPin};
pub use service::{CertificateQuery, CoreConfig, KeyPairOp, KeyPairWork, Kms};
pub use service::{IMPORT_TOKEN_VALIDITY_MS, IMPORTED_KEY_LEN, ImportParameters};
pub use service::{
    ImportedKeyMaterial, SeedCertificate, SeedError, SeedKey, SeedKeyState, SeedKeystore,
    SeedOutcome,
};
pub use service::{KeyPage, Quota, RotationSweep, UserQuotas};
pub use service::{NewDatakey, OpenedData, OpenedDatakey, ReEncrypted, SealedData};
pub use service::{ProjectRef, RegionConfig, Replica};
pub use service::{
    RootRotation, RootRotationError, RootRotationReport, root_key_opens_stored_rows,
};
pub use time::{parse_rfc3339, rfc3339};
pub use wire::Wire;
