#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    zmtp_fuzz::frame_v1::check(data);
});
