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

/// Where a JSON frame is cut to check that no strict prefix of it decodes.
/// Three cuts keep the check cheap: the last byte before any trailing
/// whitespace, the middle, and one the input's first byte picks.
fn json_cuts(data: &[u8]) -> [usize; 3] {
    let end = data.iter().rposition(|b| !b" \t\r\n".contains(b)).map_or(0, |i| i + 1);
    let pick = data.first().copied().unwrap_or(0);
    [end.saturating_sub(1), end / 2, usize::from(pick) * end / 256]
}
