#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod driver;
mod error;
mod fail;
pub mod pgpass;
mod schema;
mod store;
#[cfg(feature = "test-support")]
pub mod testing;
mod tls;

pub use error::{Error, Result};
pub use schema::SCHEMA_VERSION;
pub use store::{Password, PostgresStore, PostgresStoreOptions, failure_count};
