//! Fuzz body for `core::btc::tx`: any bytes either fail to parse or give a
//! view whose sizes, counts and sums are self-consistent and that
//! rust-bitcoin decodes identically; whatever rust-bitcoin rejects, hotline
//! rejects too (it is stricter: amounts, empty vectors, duplicates).

use bitcoin::consensus::deserialize;
use bitcoin::hashes::Hash;
use hotline_core::btc::tx::{MAX_MONEY, Tx};

/// Parses `data` as a transaction and checks it against rust-bitcoin.
pub fn btc_tx(data: &[u8]) {
    let theirs = deserialize::<bitcoin::Transaction>(data);
    let Ok(tx) = Tx::parse(data) else {
        return;
    };
    let theirs = theirs.expect("hotline accepted what rust-bitcoin rejects");
    assert_eq!(tx.size(), data.len());
    assert_eq!(tx.size(), theirs.total_size());
    assert_eq!(tx.stripped_size(), theirs.base_size());
    assert_eq!(tx.weight() as u64, theirs.weight().to_wu());
    assert_eq!(tx.vsize(), theirs.vsize());
    assert_eq!(tx.txid().0, theirs.compute_txid().to_byte_array());
    assert_eq!(tx.wtxid().0, theirs.compute_wtxid().to_byte_array());
    assert_eq!(tx.is_coinbase(), theirs.is_coinbase());
    assert_eq!(tx.inputs().count(), tx.input_count());
    assert_eq!(tx.input_count(), theirs.input.len());
    assert_eq!(tx.output_count(), theirs.output.len());
    let mut total = 0u64;
    for (ours, theirs) in tx.outputs().zip(&theirs.output) {
        assert_eq!(ours.value_sat, theirs.value.to_sat());
        assert_eq!(ours.script_pubkey, theirs.script_pubkey.as_bytes());
        assert_eq!(ours.script_type().name() == "op_return", theirs.script_pubkey.is_op_return());
        total += ours.value_sat;
    }
    assert_eq!(tx.outputs().count(), tx.output_count());
    assert_eq!(tx.total_out_sat(), total);
    assert!(total <= MAX_MONEY);
}
