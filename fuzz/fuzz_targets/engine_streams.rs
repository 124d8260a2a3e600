#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| hotline_fuzz::engine::engine_streams(data));
