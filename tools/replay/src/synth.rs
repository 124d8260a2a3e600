//! `hotline-replay synth`: builds the demo capture from real transactions
//! in the shared vectors (`data/tx-vectors.json`, the ones Bitcoin Core
//! would accept) interleaved with synthetic whales. Every synthetic entry
//! is preceded by a `# synthetic:` comment saying what it is; their inputs
//! spend made-up outpoints and their witnesses are placeholders, so they
//! parse like real transactions but would never validate on a node.

use std::path::Path;

use bitcoin::consensus::serialize;
use bitcoin::hashes::{Hash, sha256, sha256d};
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness, absolute, transaction};
use hotline_core::btc::tx::Tx;
use serde_json::Value;

use hotline_replay::capture::{Entry, MAGIC};

const BTC: u64 = 100_000_000;
/// Time between two entries of the demo capture.
const STEP_US: u64 = 200_000;

/// The watch-listed "exchange deposit" script the demo's whale pays into:
/// P2WPKH of the first 20 bytes of SHA-256("hotline demo exchange").
pub(crate) fn demo_exchange_script() -> ScriptBuf {
    p2wpkh("hotline demo exchange")
}

fn p2wpkh(label: &str) -> ScriptBuf {
    let hash = sha256::Hash::hash(label.as_bytes());
    let mut script = vec![0x00, 0x14];
    script.extend_from_slice(&hash.as_byte_array()[..20]);
    ScriptBuf::from_bytes(script)
}

/// A one-input segwit transaction spending a made-up outpoint named by
/// `spends`, with a placeholder signature and public key as witness.
fn synthetic(spends: &str, outputs: &[(u64, ScriptBuf)]) -> Vec<u8> {
    let prev = Txid::from_raw_hash(sha256d::Hash::hash(spends.as_bytes()));
    let tx = Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint { txid: prev, vout: 0 },
            script_sig: ScriptBuf::new(),
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            witness: Witness::from_slice(&[[0x30u8; 72].as_slice(), [0x02u8; 33].as_slice()]),
        }],
        output: outputs
            .iter()
            .map(|(value, script)| TxOut { value: Amount::from_sat(*value), script_pubkey: script.clone() })
            .collect(),
    };
    serialize(&tx)
}

/// The capture text: a header, then real and synthetic `rawtx` entries.
pub(crate) fn demo_capture(shared: &Path) -> Result<String, String> {
    let path = shared.join("data/tx-vectors.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let vectors: Value = serde_json::from_str(&text).map_err(|e| format!("{e}"))?;
    let vectors = vectors.as_array().ok_or("tx-vectors.json is not an array")?;

    let mut items: Vec<(String, Vec<u8>)> = Vec::new();
    for v in vectors {
        let hex = v["hex"].as_str().ok_or("vector without hex")?;
        let body = hex::decode(hex).map_err(|e| format!("vector hex: {e}"))?;
        if Tx::parse(&body).is_err() {
            continue;
        }
        let kind = v["kind"].as_str().unwrap_or("unknown");
        let txid = v["txid"].as_str().unwrap_or("?");
        let label = if kind == "real-mainnet" {
            format!("real mainnet transaction {txid} (shared/data/tx-vectors.json)")
        } else {
            format!("synthetic: {kind} {txid} from shared/data/tx-vectors.json (Core test case)")
        };
        items.push((label, body));
    }

    let whale_single = synthetic("demo whale a", &[(800 * BTC, p2wpkh("whale a dest"))]);
    let replacement = synthetic("demo whale a", &[(799 * BTC, p2wpkh("whale a dest"))]);
    let batch: Vec<(u64, ScriptBuf)> = (0..100).map(|i| (BTC / 2, p2wpkh(&format!("payout {i}")))).collect();
    let synthetic_items = [
        (
            "synthetic: whale, 1500 BTC over four outputs of at most 450 (total-value rule)",
            synthetic(
                "demo whale b",
                &[
                    (450 * BTC, p2wpkh("whale b 1")),
                    (450 * BTC, p2wpkh("whale b 2")),
                    (400 * BTC, p2wpkh("whale b 3")),
                    (200 * BTC, p2wpkh("whale b 4")),
                ],
            ),
        ),
        ("synthetic: whale, 800 BTC in one output (single-output rule)", whale_single.clone()),
        ("synthetic: 100-output batch payout of 0.5 BTC each (not a whale)", synthetic("demo batch", &batch)),
        ("synthetic: the 800 BTC whale again, republished as its block connects", whale_single),
        ("synthetic: BIP 125 replacement of the 800 BTC whale (same input, 799 BTC)", replacement),
    ];
    let exchange = demo_exchange_script();
    let inflow = (
        format!(
            "synthetic: whale, 250 BTC into the demo exchange deposit script {} (watch-list rule)",
            hex::encode(exchange.as_bytes())
        ),
        synthetic("demo whale c", &[(250 * BTC, exchange), (BTC / 10, p2wpkh("whale c change"))]),
    );

    // Real transactions first and between the whales, as a mempool would.
    let mut ordered = Vec::new();
    let mut real = items.into_iter();
    for (label, body) in synthetic_items.into_iter().map(|(l, b)| (l.to_owned(), b)).chain([inflow]) {
        ordered.extend(real.by_ref().take(2));
        ordered.push((label, body));
    }
    ordered.extend(real);

    let mut out = format!(
        "{MAGIC}\n# <offset_us> <topic> <sequence> <body-hex>\n\
         # Built by `hotline-replay synth`: real transactions from shared/data plus\n\
         # synthetic whales, each labelled. Synthetic inputs spend made-up outpoints\n\
         # and carry placeholder witnesses: they parse, they would not validate.\n"
    );
    for (index, (label, body)) in ordered.into_iter().enumerate() {
        Tx::parse(&body).map_err(|e| format!("{label}: {e}"))?;
        let entry = Entry {
            offset_us: index as u64 * STEP_US,
            topic: "rawtx".into(),
            sequence: u32::try_from(index).map_err(|e| e.to_string())?,
            body,
        };
        out.push_str(&format!("# {label}\n{}\n", entry.to_line()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use hotline_core::btc::tx::Tx;
    use hotline_core::strategy::whale::{Decision, Detector, Rule, Rules, Suppression, WatchEntry, WatchKind};

    use super::*;
    use hotline_replay::capture::parse;

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn shipped_capture_is_what_synth_builds() {
        let built = demo_capture(&root().join("../../../shared")).expect("synth");
        let shipped = std::fs::read_to_string(root().join("captures/demo.capture")).expect("captures/demo.capture");
        assert_eq!(built, shipped, "regenerate with `hotline-replay synth`");
    }

    #[test]
    fn demo_capture_drives_every_whale_rule() {
        let text = demo_capture(&root().join("../../../shared")).expect("synth");
        let entries = parse(&text).expect("capture parses");
        let exchange = demo_exchange_script();
        let watch = [WatchEntry { script: exchange.as_bytes(), kind: WatchKind::ExchangeDeposit }];
        let mut detector = Detector::<'_, 64>::new(Rules { watch: &watch, cooldown_ns: 0, ..Rules::default() });
        let mut rules = Vec::new();
        let mut suppressed = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let tx = Tx::parse(&entry.body).expect("every body is a valid transaction");
            match detector.evaluate(i as u64, &tx) {
                Decision::Signal(s) => rules.push(s.rule),
                Decision::Suppressed { reason, .. } => suppressed.push(reason),
                Decision::Ignore => {}
            }
        }
        assert!(rules.contains(&Rule::TotalValue));
        assert!(rules.contains(&Rule::SingleOutput));
        assert!(rules.contains(&Rule::ExchangeInflow));
        assert!(suppressed.contains(&Suppression::Duplicate));
        assert!(suppressed.iter().any(|s| matches!(s, Suppression::Replacement { .. })));
    }
}
