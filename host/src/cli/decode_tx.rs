//! `hotline decode-tx HEX`: one raw transaction in hex turns into one JSON
//! object, decoded by `core::btc` (the fields `decoderawtransaction` users look
//! for, plus hotline's script classes).

use hotline_core::btc::tx::Tx;
use serde_json::json;

/// Options of `hotline decode-tx`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The serialized transaction in hex (legacy or BIP 144 segwit).
    hex: String,
}

/// The JSON description of a parsed transaction.
fn describe(tx: &Tx<'_>) -> serde_json::Value {
    let outputs: Vec<_> =
        tx.outputs().map(|o| json!({ "value_sat": o.value_sat, "type": o.script_type().name() })).collect();
    json!({
        "txid": tx.txid().to_string(),
        "wtxid": tx.wtxid().to_string(),
        "size": tx.size(),
        "vsize": tx.vsize(),
        "weight": tx.weight(),
        "segwit": tx.is_segwit(),
        "inputs": tx.input_count(),
        "outputs": outputs,
        "total_out_sat": tx.total_out_sat(),
    })
}

pub(crate) fn run(args: &Args) -> Result<(), String> {
    let bytes = hex::decode(args.hex.trim()).map_err(|e| format!("invalid hex: {e}"))?;
    let tx = Tx::parse(&bytes).map_err(|e| format!("invalid transaction: {e}"))?;
    println!("{}", describe(&tx));
    Ok(())
}
