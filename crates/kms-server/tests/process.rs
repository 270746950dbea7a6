//! Tests of the real `kms-server` binary as a process: start-up, restart,
//! SIGKILL, connection limits, metrics, seeding (`server`), two replicas on
//! PostgreSQL (`replicas`), TLS (`tls`), backup, restore and root-key
//! rotation (`ops`), PKCS#11 tokens (`hsm`). One test binary.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod process {
    mod common;
    mod hsm;
    mod ops;
    mod replicas;
    mod server;
    mod tls;
}
