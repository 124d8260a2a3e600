//! Fuzz harness bodies. Each function drives one hotline-core parser with
//! arbitrary bytes and checks the invariants that must hold for any input
//! (no panic, progress is bounded, round trips agree). The cargo-fuzz
//! targets in `fuzz/fuzz_targets/` call these, and `tests/fuzz_corpus.rs`
//! replays the checked-in corpus through them on stable Rust.

pub mod btc;
pub mod engine;
pub mod feed;
pub mod market;
pub mod tls;
pub mod venue;
pub mod ws;
