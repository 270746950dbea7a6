#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod schema;
mod store;

pub use error::{Error, Result};
pub use schema::SCHEMA_VERSION;
pub use store::{SqliteStore, SqliteStoreOptions, failure_count};
