//! Integration tests of kms-core: every operation through the public API over
//! the in-memory ports, one test binary for the crate.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod integration {
    mod aliases;
    mod audit_coverage;
    mod data;
    mod datakey_pairs;
    mod grants;
    mod hardening;
    mod import;
    mod key_management;
    mod key_pair_cache;
    mod key_pairs;
    mod mac;
    mod national;
    mod quotas;
    mod random;
    mod record_cache;
    mod regions;
    mod root_key_hooks;
    mod root_rotation;
    mod rotation;
    mod rsa_encryption;
    mod scenarios;
    mod seed;
    mod tags;
    mod typed_keystores_certificates;
}
