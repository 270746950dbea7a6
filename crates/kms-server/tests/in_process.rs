//! In-process tests of kms-server: the router and every route over the
//! in-memory and SQLite backends, the clients' signed-request vectors. One
//! test binary.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod in_process {
    mod backend;
    mod client_vectors;
    mod grants;
    mod http;
}
