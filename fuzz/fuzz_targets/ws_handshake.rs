#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| hotline_fuzz::ws::ws_handshake(data));
