#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kms_fuzz::model::body_create_rsa_datakey_pair(data));
