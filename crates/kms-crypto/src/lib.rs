//! kms-crypto: see the crate description; filled in by its issue.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
