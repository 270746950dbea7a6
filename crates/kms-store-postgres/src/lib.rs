#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod rotation;
mod schema;
mod store;
pub mod testing;

pub use error::{Error, Result};
pub use schema::SCHEMA_VERSION;
pub use store::{PostgresStore, PostgresStoreOptions};
