#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kms_fuzz::cert::cert_private_key(data));
