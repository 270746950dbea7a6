//! Integration tests of cert-parse: known-answer vectors, malformed inputs,
//! generated keys and chains for every check.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod integration {
    pub(crate) mod checks;
    pub(crate) mod common;
    pub(crate) mod hardening;
    pub(crate) mod vectors;
}
