//! kms-core (in progress): ports first.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ports;
