//! `core::btc::tx` against rust-bitcoin (`bitcoin` 0.32) and Bitcoin Core's
//! own vectors: every transaction of Core's `tx_valid.json`, the structurally
//! valid ones of `tx_invalid.json`, the shared `tx-vectors.json` and
//! proptest-generated transactions must agree with rust-bitcoin on txid,
//! wtxid, outputs, counts and sizes; every `BADTX` entry and every malformed
//! vector must be rejected; and a mutated transaction hotline accepts must be
//! one rust-bitcoin accepts identically.

use bitcoin::consensus::{deserialize, serialize};
use bitcoin::hashes::Hash;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness, absolute, transaction};
use hotline_core::btc::script::ScriptType;
use hotline_core::btc::tx::{Error, MAX_MONEY, Tx};
use proptest::prelude::*;
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = hotline_tests::shared_dir().join("data").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("vector file is JSON")
}

/// Core's test entries `[[prevouts...], "hex", "flags"]`; one-string arrays
/// are comments.
fn core_entries(name: &str) -> Vec<(Vec<u8>, String)> {
    let Value::Array(entries) = load(name) else { panic!("{name} is not an array") };
    entries
        .iter()
        .filter_map(|e| match e.as_array()?.as_slice() {
            [Value::Array(_), Value::String(hex), Value::String(flags)] => {
                Some((hex::decode(hex).expect("vector hex"), flags.clone()))
            }
            _ => None,
        })
        .collect()
}

fn rb_type(script: &bitcoin::Script) -> ScriptType {
    if script.is_p2pkh() {
        ScriptType::P2pkh
    } else if script.is_p2sh() {
        ScriptType::P2sh
    } else if script.is_p2wpkh() {
        ScriptType::P2wpkh
    } else if script.is_p2wsh() {
        ScriptType::P2wsh
    } else if script.is_p2tr() {
        ScriptType::P2tr
    } else if script.is_op_return() {
        ScriptType::OpReturn
    } else {
        ScriptType::Other
    }
}

/// Asserts that hotline's view and rust-bitcoin's decoding say the same
/// about `bytes`, which both must accept.
fn assert_agrees(bytes: &[u8], what: &str) {
    let ours = Tx::parse(bytes).unwrap_or_else(|e| panic!("{what}: hotline rejects: {e}"));
    let theirs: Transaction = deserialize(bytes).unwrap_or_else(|e| panic!("{what}: rust-bitcoin rejects: {e}"));
    assert_eq!(ours.txid().to_string(), theirs.compute_txid().to_string(), "{what}: txid");
    assert_eq!(ours.wtxid().to_string(), theirs.compute_wtxid().to_string(), "{what}: wtxid");
    assert_eq!(&ours.txid().0, theirs.compute_txid().as_byte_array(), "{what}: txid bytes");
    let mut display = *theirs.compute_txid().as_byte_array();
    display.reverse();
    assert_eq!(ours.txid().to_display_bytes(), display, "{what}: display order");
    assert_eq!(ours.size(), theirs.total_size(), "{what}: size");
    assert_eq!(ours.stripped_size(), theirs.base_size(), "{what}: stripped size");
    assert_eq!(ours.weight() as u64, theirs.weight().to_wu(), "{what}: weight");
    assert_eq!(ours.vsize(), theirs.vsize(), "{what}: vsize");
    assert_eq!(ours.is_segwit(), theirs.input.iter().any(|i| !i.witness.is_empty()), "{what}: segwit");
    assert_eq!(ours.is_coinbase(), theirs.is_coinbase(), "{what}: coinbase");
    assert_eq!(ours.version(), theirs.version.0 as u32, "{what}: version");
    assert_eq!(ours.lock_time(), theirs.lock_time.to_consensus_u32(), "{what}: locktime");
    assert_eq!(ours.input_count(), theirs.input.len(), "{what}: inputs");
    for (mine, theirs) in ours.inputs().zip(&theirs.input) {
        assert_eq!(mine.prevout.txid, theirs.previous_output.txid.as_byte_array(), "{what}: prevout");
        assert_eq!(mine.prevout.vout, theirs.previous_output.vout, "{what}: prevout index");
        assert_eq!(mine.script_sig, theirs.script_sig.as_bytes(), "{what}: scriptSig");
        assert_eq!(mine.sequence, theirs.sequence.0, "{what}: sequence");
    }
    assert_eq!(ours.inputs().count(), theirs.input.len(), "{what}: input iteration");
    let outputs: Vec<_> = ours.outputs().collect();
    assert_eq!(outputs.len(), theirs.output.len(), "{what}: outputs");
    assert_eq!(ours.output_count(), theirs.output.len(), "{what}: output count");
    for (mine, theirs) in outputs.iter().zip(&theirs.output) {
        assert_eq!(mine.value_sat, theirs.value.to_sat(), "{what}: value");
        assert_eq!(mine.script_pubkey, theirs.script_pubkey.as_bytes(), "{what}: script");
        assert_eq!(mine.script_type(), rb_type(&theirs.script_pubkey), "{what}: script type");
    }
    let total: u64 = theirs.output.iter().map(|o| o.value.to_sat()).sum();
    assert_eq!(ours.total_out_sat(), total, "{what}: total");
    let max = theirs.output.iter().map(|o| o.value.to_sat()).max().unwrap_or(0);
    assert_eq!(ours.max_out_sat(), max, "{what}: max output");
}

/// Every strict prefix and every one-byte extension of an accepted
/// transaction is rejected, by hotline and by rust-bitcoin alike.
fn assert_truncations_rejected(bytes: &[u8], what: &str) {
    for end in 0..bytes.len() {
        let prefix = &bytes[..end];
        assert!(Tx::parse(prefix).is_err(), "{what}: prefix of {end} bytes accepted");
        assert!(deserialize::<Transaction>(prefix).is_err(), "{what}: oracle accepts prefix {end}");
    }
    let mut longer = bytes.to_vec();
    longer.push(0);
    assert_eq!(Tx::parse(&longer).err(), Some(Error::TrailingBytes), "{what}: trailing byte");
    assert!(deserialize::<Transaction>(&longer).is_err(), "{what}: oracle accepts trailing byte");
}

#[test]
fn core_tx_valid_agrees_with_rust_bitcoin() {
    let entries = core_entries("bitcoin-core-tx_valid.json");
    assert_eq!(entries.len(), 121, "tx_valid.json test count");
    let segwit = entries.iter().filter(|(b, _)| Tx::parse(b).is_ok_and(|t| t.is_segwit())).count();
    assert_eq!(segwit, 28, "segwit-serialized entries of tx_valid.json");
    for (index, (bytes, _)) in entries.iter().enumerate() {
        let what = format!("tx_valid #{index}");
        assert_agrees(bytes, &what);
        assert_truncations_rejected(bytes, &what);
    }
}

#[test]
fn core_tx_invalid_badtx_rejected_and_the_rest_agrees() {
    let entries = core_entries("bitcoin-core-tx_invalid.json");
    assert_eq!(entries.len(), 93, "tx_invalid.json test count");
    let mut badtx = 0;
    for (index, (bytes, flags)) in entries.iter().enumerate() {
        if flags == "BADTX" {
            badtx += 1;
            let err = Tx::parse(bytes).err();
            assert!(err.is_some(), "tx_invalid #{index}: BADTX accepted");
        } else {
            // Invalid only by script or flags: the serialization is sound.
            assert_agrees(bytes, &format!("tx_invalid #{index}"));
        }
    }
    assert_eq!(badtx, 9, "BADTX entries");
}

#[test]
fn core_badtx_reasons_match_core() {
    let reasons: Vec<Error> = core_entries("bitcoin-core-tx_invalid.json")
        .iter()
        .filter(|(_, flags)| flags == "BADTX")
        .filter_map(|(bytes, _)| Tx::parse(bytes).err())
        .collect();
    assert_eq!(
        reasons,
        [
            Error::NoOutputs,
            Error::NegativeValue,
            Error::ValueTooLarge,
            Error::TotalTooLarge,
            Error::DuplicateInput,
            Error::CoinbaseLength,
            Error::CoinbaseLength,
            Error::NullPrevout,
            Error::NullPrevout,
        ]
    );
}

#[test]
fn shared_vectors_agree_or_are_rejected() {
    let Value::Array(vectors) = load("tx-vectors.json") else { panic!("tx-vectors.json is not an array") };
    let (mut accepted, mut rejected) = (0, 0);
    for v in &vectors {
        let bytes = hex::decode(v["hex"].as_str().expect("hex")).expect("vector hex");
        let txid = v["computed_txid"].as_str().expect("txid");
        if v["note"].as_str().expect("note").contains("BADTX") {
            assert!(Tx::parse(&bytes).is_err(), "malformed vector {txid} accepted");
            rejected += 1;
            continue;
        }
        assert_agrees(&bytes, txid);
        assert_truncations_rejected(&bytes, txid);
        let tx = Tx::parse(&bytes).expect("accepted above");
        assert_eq!(tx.txid().to_string(), txid);
        assert_eq!(tx.wtxid().to_string(), v["computed_wtxid"].as_str().expect("wtxid"));
        if v["verified"] == Value::Bool(true) {
            assert_eq!(tx.txid().to_string(), v["txid"].as_str().expect("txid"));
        }
        let values: Vec<u64> = tx.outputs().map(|o| o.value_sat).collect();
        let expected: Vec<u64> =
            v["output_values_sat"].as_array().expect("values").iter().map(|x| x.as_u64().expect("value")).collect();
        assert_eq!(values, expected, "{txid}: output values");
        assert_eq!(tx.size() as u64, v["size_bytes"].as_u64().expect("size"));
        accepted += 1;
    }
    assert_eq!((accepted, rejected), (10, 4));
}

#[test]
fn max_money_sum_boundary() {
    // One output of MAX_MONEY is valid; adding a 1-sat output is not.
    let mut tx = Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint { txid: Txid::from_byte_array([7; 32]), vout: 0 },
            ..TxIn::default()
        }],
        output: vec![TxOut { value: Amount::from_sat(MAX_MONEY), script_pubkey: ScriptBuf::new() }],
    };
    assert_agrees(&serialize(&tx), "MAX_MONEY");
    tx.output.push(TxOut { value: Amount::from_sat(1), script_pubkey: ScriptBuf::new() });
    assert_eq!(Tx::parse(&serialize(&tx)).err(), Some(Error::TotalTooLarge));
}

#[test]
fn segwit_flag_and_superfluous_witness() {
    let mut tx = Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint { txid: Txid::from_byte_array([9; 32]), vout: 1 },
            witness: Witness::from_slice(&[[1u8; 72].as_slice(), [2u8; 33].as_slice()]),
            ..TxIn::default()
        }],
        output: vec![TxOut { value: Amount::from_sat(5000), script_pubkey: ScriptBuf::new() }],
    };
    let mut bytes = serialize(&tx);
    assert_agrees(&bytes, "segwit");
    bytes[5] = 0x02;
    assert_eq!(Tx::parse(&bytes).err(), Some(Error::UnknownFlag(2)));
    bytes[5] = 0x00;
    assert_eq!(Tx::parse(&bytes).err(), Some(Error::NoInputs));
    // The BIP 144 form with every witness empty, which Core refuses.
    tx.input[0].witness = Witness::new();
    let legacy = serialize(&tx);
    let mut superfluous = legacy[..4].to_vec();
    superfluous.extend_from_slice(&[0x00, 0x01]);
    superfluous.extend_from_slice(&legacy[4..legacy.len() - 4]);
    superfluous.push(0x00);
    superfluous.extend_from_slice(&legacy[legacy.len() - 4..]);
    assert_eq!(Tx::parse(&superfluous).err(), Some(Error::SuperfluousWitness));
    assert!(deserialize::<Transaction>(&superfluous).is_err());
}

fn script_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<[u8; 20]>().prop_map(|h| [&[0x76, 0xa9, 0x14][..], &h, &[0x88, 0xac]].concat()),
        any::<[u8; 20]>().prop_map(|h| [&[0xa9, 0x14][..], &h, &[0x87]].concat()),
        any::<[u8; 20]>().prop_map(|h| [&[0x00, 0x14][..], &h].concat()),
        any::<[u8; 32]>().prop_map(|h| [&[0x00, 0x20][..], &h].concat()),
        any::<[u8; 32]>().prop_map(|h| [&[0x51, 0x20][..], &h].concat()),
        proptest::collection::vec(any::<u8>(), 0..80).prop_map(|d| [&[0x6a][..], &d].concat()),
        proptest::collection::vec(any::<u8>(), 0..300),
    ]
}

fn input_strategy() -> impl Strategy<Value = TxIn> {
    (
        any::<[u8; 32]>(),
        any::<u32>(),
        proptest::collection::vec(any::<u8>(), 0..260),
        any::<u32>(),
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..4),
    )
        .prop_map(|(txid, vout, script_sig, sequence, witness)| TxIn {
            previous_output: OutPoint { txid: Txid::from_byte_array(txid), vout },
            script_sig: ScriptBuf::from_bytes(script_sig),
            sequence: Sequence(sequence),
            witness: Witness::from_slice(&witness),
        })
}

fn output_strategy() -> impl Strategy<Value = TxOut> {
    (0..=MAX_MONEY / 300, script_strategy()).prop_map(|(value, script)| TxOut {
        value: Amount::from_sat(value),
        script_pubkey: ScriptBuf::from_bytes(script),
    })
}

fn tx_strategy() -> impl Strategy<Value = Transaction> {
    let coinbase =
        (proptest::collection::vec(any::<u8>(), 2..=100), any::<Vec<u8>>()).prop_map(|(script_sig, witness)| {
            vec![TxIn {
                previous_output: OutPoint::null(),
                script_sig: ScriptBuf::from_bytes(script_sig),
                sequence: Sequence::MAX,
                witness: Witness::from_slice(&[witness]),
            }]
        });
    let inputs = prop_oneof![
        1 => coinbase,
        6 => proptest::collection::vec(input_strategy(), 1..6),
        1 => proptest::collection::vec(input_strategy(), 250..260),
    ];
    let outputs = prop_oneof![
        6 => proptest::collection::vec(output_strategy(), 1..8),
        1 => proptest::collection::vec(output_strategy(), 250..290),
    ];
    (any::<i32>(), any::<u32>(), inputs, outputs).prop_map(|(version, lock, input, output)| Transaction {
        version: transaction::Version(version),
        lock_time: absolute::LockTime::from_consensus(lock),
        input,
        output,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn generated_transactions_agree(tx in tx_strategy()) {
        let bytes = serialize(&tx);
        assert_agrees(&bytes, "generated");
    }

    /// Mutations: whatever hotline accepts, rust-bitcoin accepts and decodes
    /// identically; whatever rust-bitcoin rejects, hotline rejects.
    #[test]
    fn mutated_transactions_never_disagree(
        tx in tx_strategy(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = serialize(&tx);
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if Tx::parse(&bytes).is_ok() {
            assert_agrees(&bytes, "mutated");
        }
        if deserialize::<Transaction>(&bytes).is_err() {
            prop_assert!(Tx::parse(&bytes).is_err(), "oracle rejects, hotline accepts");
        }
    }
}
