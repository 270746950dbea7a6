//! Integration tests of kms-model: validators, request bodies, the error
//! catalogue and the published codes, round trips; one test binary.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod integration {
    mod catalogue;
    mod grants;
    mod published_codes;
    mod requests;
    mod roundtrip;
    mod roundtrip_kms_surface;
    mod roundtrip_pairs;
    mod seeds;
    mod validators;
}
