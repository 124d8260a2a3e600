//! Replays the checked-in cargo-fuzz corpus (`fuzz/corpus/TARGET/*`) through
//! the same harness bodies the fuzz targets run, so that CI on stable Rust
//! catches a regression on any input a fuzzer ever found interesting.

use std::fs;
use std::path::PathBuf;

/// A harness body: drives one parser with arbitrary bytes.
type Harness = fn(&[u8]);

/// Every fuzz target and its harness body.
const TARGETS: &[(&str, Harness)] = &[
    ("ws_handshake", hotline_fuzz::ws::ws_handshake),
    ("ws_frames", hotline_fuzz::ws::ws_frames),
    ("tls_records", hotline_fuzz::tls::tls_records),
    ("tls12_records", hotline_fuzz::tls::tls12_records),
    ("aes_gcm", hotline_fuzz::tls::aes_gcm),
    ("engine_streams", hotline_fuzz::engine::engine_streams),
    ("binance_sbe", hotline_fuzz::market::binance_sbe),
    ("binance_book_ticker", hotline_fuzz::market::binance_book_ticker),
    ("binance_user_data", hotline_fuzz::venue::binance_user_data),
    ("binance_my_trades", hotline_fuzz::venue::binance_my_trades),
    ("binance_account", hotline_fuzz::venue::binance_account),
    ("binance_open_orders", hotline_fuzz::venue::binance_open_orders),
    ("coinbase_fix", hotline_fuzz::venue::coinbase_fix),
    ("coinbase_ticker", hotline_fuzz::market::coinbase_ticker),
];

#[test]
fn corpus_replays_without_panic() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    for (name, harness) in TARGETS {
        let dir = root.join(name);
        let entries =
            fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpus for fuzz target {name} at {}: {e}", dir.display()));
        let mut replayed = 0usize;
        for entry in entries {
            let path = entry.expect("corpus entry").path();
            let data = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            harness(&data);
            replayed += 1;
        }
        assert!(replayed > 0, "fuzz target {name} has an empty corpus");
    }
}
