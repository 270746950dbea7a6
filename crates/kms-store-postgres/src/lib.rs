#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
pub mod pgpass;
mod rotation;
mod schema;
mod store;
pub mod testing;
mod tls;

pub use error::{Error, Result};
pub use schema::SCHEMA_VERSION;
pub use store::{Password, PostgresStore, PostgresStoreOptions, failure_count};
