//! What the venues send back, decoded from complete WebSocket text frames
//! into typed outcomes the engine acts on: order acknowledgements,
//! rejections, "execution status unknown", rate-limit counters and
//! connection events. One file per venue; Binance Spot WebSocket API first
//! (EXCHANGES.md §1.5, §1.6).

pub mod binance;
