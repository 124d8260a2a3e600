#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| hotline_fuzz::venue::binance_open_orders(data));
