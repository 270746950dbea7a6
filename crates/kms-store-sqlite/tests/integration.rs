//! Integration tests of kms-store-sqlite: its own rules, migrations and the conformance
//! suite; one test binary.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod integration {
    mod at_rest;
    mod backup;
    mod conformance;
    mod store;
}
