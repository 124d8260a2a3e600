//! `hotline decode-tx` over every transaction of the shared
//! `tx-vectors.json`: the valid ones print the documented JSON with the
//! vector's own txid, sizes and output values; the malformed ones (Core's
//! BADTX cases) and bad hex exit non-zero with the reason on stderr.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn decode_tx(hex: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hotline")).args(["decode-tx", hex]).output().expect("run hotline")
}

fn vectors() -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/tx-vectors.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match serde_json::from_str(&text).expect("json") {
        Value::Array(v) => v,
        _ => panic!("tx-vectors.json is not an array"),
    }
}

#[test]
fn every_vector_decodes_or_is_rejected_with_a_reason() {
    let (mut decoded, mut rejected) = (0, 0);
    for v in vectors() {
        let hex = v["hex"].as_str().expect("hex");
        let out = decode_tx(hex);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if v["note"].as_str().expect("note").contains("BADTX") {
            assert!(!out.status.success(), "{}: malformed vector accepted", v["txid"]);
            assert!(stderr.contains("invalid transaction: bad-txns-"), "reason: {stderr}");
            rejected += 1;
            continue;
        }
        assert!(out.status.success(), "{}: {stderr}", v["txid"]);
        let json: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        assert_eq!(json["txid"], v["computed_txid"]);
        assert_eq!(json["wtxid"], v["computed_wtxid"]);
        if v["verified"] == Value::Bool(true) {
            assert_eq!(json["txid"], v["txid"]);
        }
        assert_eq!(json["size"], v["size_bytes"]);
        assert_eq!(json["segwit"], v["segwit_serialization"]);
        assert_eq!(json["inputs"], v["n_inputs"]);
        let size = v["size_bytes"].as_u64().expect("size");
        if v["segwit_serialization"] == Value::Bool(false) {
            assert_eq!(json["weight"].as_u64(), Some(4 * size));
            assert_eq!(json["vsize"].as_u64(), Some(size));
        }
        let outputs = json["outputs"].as_array().expect("outputs");
        let values: Vec<&Value> = outputs.iter().map(|o| &o["value_sat"]).collect();
        let expected: Vec<&Value> = v["output_values_sat"].as_array().expect("values").iter().collect();
        assert_eq!(values, expected);
        let total: u64 = expected.iter().map(|x| x.as_u64().expect("u64")).sum();
        assert_eq!(json["total_out_sat"].as_u64(), Some(total));
        for o in outputs {
            let kind = o["type"].as_str().expect("type");
            assert!(["p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr", "op_return", "other"].contains(&kind), "{kind}");
        }
        decoded += 1;
    }
    assert_eq!((decoded, rejected), (10, 4));
}

#[test]
fn script_types_of_known_transactions() {
    let by_txid = |txid: &str| -> Value {
        let v = vectors().into_iter().find(|v| v["txid"] == txid).expect("vector present");
        let out = decode_tx(v["hex"].as_str().expect("hex"));
        serde_json::from_slice(&out.stdout).expect("json")
    };
    // Block 0's coinbase pays to a bare public key (P2PK): "other".
    let genesis = by_txid("4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b");
    assert_eq!(genesis["outputs"][0]["type"], "other");
    assert_eq!(genesis["outputs"][0]["value_sat"], 5_000_000_000u64);
    let legacy = by_txid("aca326a724eda9a461c10a876534ecd5ae7b27f10f26c3862fb996f80ea2d45d");
    assert_eq!(legacy["outputs"][0]["type"], "p2pkh");
    assert_eq!(legacy["outputs"][1]["type"], "p2pkh");
}

#[test]
fn bad_hex_and_trailing_bytes_fail() {
    let out = decode_tx("0100zz");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid hex"));
    let legacy = vectors()[1]["hex"].as_str().expect("hex").to_owned() + "00";
    let out = decode_tx(&legacy);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("data left after the locktime"));
}
