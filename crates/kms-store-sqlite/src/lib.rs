#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod backup;
mod driver;
mod error;
mod schema;
mod store;

pub use backup::{BackupInfo, Replaced, backup, ensure_not_in_use, restore};
pub use error::{Error, Result};
pub use schema::SCHEMA_VERSION;
pub use store::{SqliteStore, SqliteStoreOptions, failure_count};
