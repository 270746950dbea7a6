#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kms_fuzz::model::query_list_aliases(data));
