#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| zmtp_fuzz::c_api::check(data));
