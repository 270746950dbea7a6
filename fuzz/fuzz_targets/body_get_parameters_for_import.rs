#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kms_fuzz::model::body_get_parameters_for_import(data));
