//! Integration tests of kms-store-postgres: its own rules, migrations and the conformance
//! suite; one test binary.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod integration {
    mod conformance;
    mod store;
    mod tls;
}
