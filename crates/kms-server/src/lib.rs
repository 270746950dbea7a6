#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod adapters;
mod auth;
mod cli;
mod config;
mod http;
mod iam;
mod logging;
mod metrics;
mod ops;
mod root;
mod seed;
mod serve;
mod server;
mod tls;

// The face: what the binary, the tests, the benches and the fuzz targets
// use. Everything else is the server's own.
pub use auth::{AccessKey, Authenticator, Token};
pub use cli::{Cli, StartError};
pub use config::{Password, hash_password};
pub use http::{AppState, router};
pub use logging::{LineFormat, LogPipe};
pub use seed::SeedFile;
pub use server::{Prepared, prepare, run};
