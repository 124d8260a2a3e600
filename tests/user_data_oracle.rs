//! hotline's Binance user-data decoder against serde_json as the writer:
//! random `executionReport` and `outboundAccountPosition` events, their
//! members in random order among unknown ones, every value rendered by
//! `serde_json` (strings escaped as JSON requires, numbers as JSON writes
//! them), then decoded by `decode_event` and compared field by field with
//! what was generated. Decimals are written as Binance writes them: the
//! instrument's grid plus trailing zeros (docs/protocols/binance-ws-api.md
//! §User data stream).

#[allow(dead_code)]
mod json_oracle;

use hotline_core::order::{DecimalError, Scale, Side};
use hotline_core::venue::JsonError;
use hotline_core::venue::binance::{
    ASSET_DECIMALS, EventField, ExecType, MAX_BALANCES, OrdStatus, UserDataError, UserEvent, decode_event,
};
use json_oracle::{as_written, decimal, object, space, unknown_members};
use proptest::prelude::*;
use serde_json::{Value, json};

/// A generated `executionReport`: what hotline must read back.
#[derive(Debug, Clone)]
struct Report {
    scale: Scale,
    subscription_id: Option<u16>,
    event_time: u64,
    symbol: String,
    client_order_id: String,
    orig_client_order_id: Option<String>,
    side: Side,
    execution_type: (&'static str, ExecType),
    order_status: (&'static str, OrdStatus),
    reject_reason: String,
    order_id: u64,
    /// Lots or ticks, and the trailing zeros written after the grid:
    /// `q`, `p`, `l`, `L`, `z`.
    steps: [(u64, usize); 5],
    /// Asset units: `Z`, `n`.
    amounts: [u64; 2],
    commission_asset: Option<String>,
    transaction_time: u64,
    trade_id: Option<u64>,
    execution_id: u64,
    is_maker: bool,
    expiry_reason: Option<String>,
    /// Whether an absent `eR` is written as `null` rather than left out.
    null_expiry: bool,
    /// Members hotline skips, and where each read member goes among them.
    unknown: Vec<(String, Value)>,
    order: Vec<usize>,
    /// Whitespace around each separator.
    space: &'static str,
}

const EXEC_TYPES: [(&str, ExecType); 8] = [
    ("NEW", ExecType::New),
    ("CANCELED", ExecType::Canceled),
    ("REPLACED", ExecType::Replaced),
    ("REJECTED", ExecType::Rejected),
    ("TRADE", ExecType::Trade),
    ("EXPIRED", ExecType::Expired),
    ("TRADE_PREVENTION", ExecType::TradePrevention),
    ("AMENDMENT", ExecType::Other),
];

const STATUSES: [(&str, OrdStatus); 10] = [
    ("NEW", OrdStatus::New),
    ("PENDING_NEW", OrdStatus::PendingNew),
    ("PARTIALLY_FILLED", OrdStatus::PartiallyFilled),
    ("FILLED", OrdStatus::Filled),
    ("CANCELED", OrdStatus::Canceled),
    ("PENDING_CANCEL", OrdStatus::PendingCancel),
    ("REJECTED", OrdStatus::Rejected),
    ("EXPIRED", OrdStatus::Expired),
    ("EXPIRED_IN_MATCH", OrdStatus::ExpiredInMatch),
    ("HALTED", OrdStatus::Other),
];

/// Keys hotline reads in an event: an unknown member never takes one.
const READ_KEYS: [&str; 25] = [
    "e", "E", "s", "c", "C", "S", "x", "X", "r", "i", "q", "p", "l", "L", "z", "Z", "n", "N", "T", "t", "I", "m", "eR",
    "u", "B",
];

/// Read members of an `executionReport`, counting `eR`.
const REPORT_MEMBERS: usize = 23;

/// Text that needs no JSON escape, so hotline's borrowed string equals it:
/// Binance's client-order-id alphabet, and non-ASCII symbols.
const ID: &str = "[.A-Z:/a-z0-9_-]{1,36}";
const SYMBOL: &str = "[A-Z0-9]{2,12}|[１２３４５６币安\u{1f40b}]{1,6}";

fn scale() -> impl Strategy<Value = Scale> {
    (0u8..=8, 0u8..=8).prop_map(|(price, qty)| Scale { price, qty })
}

fn report() -> impl Strategy<Value = Report> {
    let ids = (any::<Option<u16>>(), any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>());
    let ids = (ids, prop::option::of(0..=i64::MAX as u64), any::<bool>(), any::<bool>());
    let texts = (SYMBOL, ID, prop::option::of(ID), any::<String>(), prop::option::of("[A-Z0-9]{2,8}"));
    let texts = (texts, prop::option::of("[A-Z_]{1,40}"));
    let kinds = (any::<bool>(), 0..EXEC_TYPES.len(), 0..STATUSES.len());
    let numbers = (prop::array::uniform5((any::<u64>(), 0usize..6)), prop::array::uniform2(any::<u64>()));
    let layout = (unknown_members(&READ_KEYS), space());
    (scale(), ids, texts, kinds, numbers, layout)
        .prop_flat_map(|(scale, ids, texts, kinds, numbers, (unknown, space))| {
            let slots = REPORT_MEMBERS + unknown.len();
            let order = Just((0..slots).collect::<Vec<_>>()).prop_shuffle();
            (Just((scale, ids, texts, kinds, numbers, unknown, space)), order)
        })
        .prop_map(|((scale, ids, texts, kinds, numbers, unknown, space), order)| {
            let (
                (subscription_id, event_time, order_id, transaction_time, execution_id),
                trade_id,
                is_maker,
                null_expiry,
            ) = ids;
            let ((symbol, client_order_id, orig, reject_reason, commission_asset), expiry_reason) = texts;
            let (buy, exec, status) = kinds;
            let (steps, amounts) = numbers;
            Report {
                scale,
                subscription_id,
                event_time,
                symbol,
                client_order_id,
                orig_client_order_id: orig,
                side: if buy { Side::Buy } else { Side::Sell },
                execution_type: EXEC_TYPES[exec],
                order_status: STATUSES[status],
                reject_reason,
                order_id,
                steps,
                amounts,
                commission_asset,
                transaction_time,
                trade_id,
                execution_id,
                is_maker,
                expiry_reason,
                null_expiry,
                unknown,
                order,
                space,
            }
        })
}

/// The read members of `r`, rendered by serde_json.
fn report_members(r: &Report) -> Vec<(String, Value)> {
    let [q, p, l, big_l, z] = r.steps;
    let Scale { price, qty } = r.scale;
    let mut members = vec![
        ("e", json!("executionReport")),
        ("E", json!(r.event_time)),
        ("s", json!(r.symbol)),
        ("c", json!(r.client_order_id)),
        ("C", json!(r.orig_client_order_id.as_deref().unwrap_or(""))),
        ("S", json!(if r.side == Side::Buy { "BUY" } else { "SELL" })),
        ("x", json!(r.execution_type.0)),
        ("X", json!(r.order_status.0)),
        ("r", json!(r.reject_reason)),
        ("i", json!(r.order_id)),
        ("q", json!(decimal(q.0, qty, q.1))),
        ("p", json!(decimal(p.0, price, p.1))),
        ("l", json!(decimal(l.0, qty, l.1))),
        ("L", json!(decimal(big_l.0, price, big_l.1))),
        ("z", json!(decimal(z.0, qty, z.1))),
        ("Z", json!(decimal(r.amounts[0], ASSET_DECIMALS, 0))),
        ("n", json!(decimal(r.amounts[1], ASSET_DECIMALS, 0))),
        ("N", json!(r.commission_asset)),
        ("T", json!(r.transaction_time)),
        ("t", r.trade_id.map_or(json!(-1), |t| json!(t))),
        ("I", json!(r.execution_id)),
        ("m", json!(r.is_maker)),
        // `eR` appears only on an expiry; hotline reads `null` as absent.
        ("eR", json!(r.expiry_reason)),
    ];
    if r.expiry_reason.is_none() && !r.null_expiry {
        members.pop();
    }
    members.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// The wrapped frame: members in `order` (read and unknown together), every
/// key and value written by serde_json, `space` around each separator.
fn frame(members: &[(String, Value)], order: &[usize], subscription_id: Option<u16>, space: &str) -> String {
    let body = object(members, order, space);
    match subscription_id {
        Some(id) => format!(r#"{{"subscriptionId":{space}{id},{space}"event":{body}}}"#),
        None => format!(r#"{{"event":{space}{body}{space}}}"#),
    }
}

fn render(r: &Report) -> String {
    let mut members = report_members(r);
    members.extend(r.unknown.iter().cloned());
    frame(&members, &r.order, r.subscription_id, r.space)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Every member hotline reads comes back as generated, whatever the
    /// order, the unknown members and the whitespace.
    #[test]
    fn execution_report_reads_back(r in report()) {
        let text = render(&r);
        let frame = decode_event(text.as_bytes(), r.scale);
        let frame = match frame {
            Ok(f) => f,
            Err(e) => return Err(TestCaseError::fail(format!("{e:?} on {text}"))),
        };
        prop_assert_eq!(frame.subscription_id, r.subscription_id);
        let UserEvent::Execution(x) = frame.event else { return Err(TestCaseError::fail(text.clone())) };
        let [q, p, l, big_l, z] = r.steps.map(|(units, _)| units);
        prop_assert_eq!(x.event_time_ms, r.event_time);
        prop_assert_eq!(x.symbol, r.symbol.as_str());
        prop_assert_eq!(x.client_order_id, r.client_order_id.as_str());
        prop_assert_eq!(x.orig_client_order_id, r.orig_client_order_id.as_deref());
        prop_assert_eq!(x.side, r.side);
        prop_assert_eq!(x.execution_type, r.execution_type.1);
        prop_assert_eq!(x.order_status, r.order_status.1);
        prop_assert_eq!(x.reject_reason, as_written(&r.reject_reason));
        prop_assert_eq!(x.order_id, r.order_id);
        prop_assert_eq!([x.order_qty, x.order_price, x.last_qty, x.last_price, x.cumulative_qty], [q, p, l, big_l, z]);
        prop_assert_eq!([x.cumulative_quote, x.commission], r.amounts);
        prop_assert_eq!(x.commission_asset, r.commission_asset.as_deref());
        prop_assert_eq!(x.transaction_time_ms, r.transaction_time);
        prop_assert_eq!(x.trade_id, r.trade_id);
        prop_assert_eq!(x.execution_id, r.execution_id);
        prop_assert_eq!(x.is_maker, r.is_maker);
        prop_assert_eq!(x.expiry_reason, r.expiry_reason.as_deref());
    }

    /// A strict prefix of a frame is truncated, never a different event.
    #[test]
    fn a_prefix_is_truncated(r in report(), cut in any::<prop::sample::Index>()) {
        let text = render(&r);
        let end = cut.index(text.trim_end().len());
        prop_assert_eq!(decode_event(&text.as_bytes()[..end], r.scale), Err(UserDataError::Json(JsonError::Truncated)));
    }

    /// A price or quantity one digit finer than the instrument's grid is an
    /// error that names it, never a rounded value.
    #[test]
    fn off_grid_is_named(r in report(), which in 0usize..5, digit in 1u8..=9) {
        let fields = [EventField::OrderQty, EventField::OrderPrice, EventField::LastQty, EventField::LastPrice, EventField::CumulativeQty];
        let keys = ["q", "p", "l", "L", "z"];
        let mut members = report_members(&r);
        let (_, value) = members.iter_mut().find(|(k, _)| k == keys[which]).expect("a read member");
        let mut text = value.as_str().expect("a decimal string").to_owned();
        if !text.contains('.') {
            text.push('.');
        }
        text.push(char::from(b'0' + digit));
        *value = json!(text);
        members.extend(r.unknown.iter().cloned());
        let frame = frame(&members, &r.order, r.subscription_id, r.space);
        prop_assert_eq!(
            decode_event(frame.as_bytes(), r.scale),
            Err(UserDataError::Decimal(fields[which], DecimalError::OffGrid))
        );
    }

    /// Every balance comes back in order; one more than the capacity is an
    /// error, not a shorter list.
    #[test]
    fn account_position_reads_back(
        event_time in any::<u64>(),
        update_time in any::<u64>(),
        balances in prop::collection::vec((ID, any::<u64>(), any::<u64>(), 0usize..4, unknown_members(&READ_KEYS)), 0..=MAX_BALANCES + 1),
        unknown in unknown_members(&READ_KEYS),
        subscription_id in any::<Option<u16>>(),
    ) {
        let list: Vec<Value> = balances
            .iter()
            .map(|(asset, free, locked, zeros, extra)| {
                let mut entry = serde_json::Map::new();
                for (k, v) in extra.iter().filter(|(k, _)| !["a", "f", "l"].contains(&k.as_str())) {
                    entry.insert(k.clone(), v.clone());
                }
                entry.insert("l".into(), json!(decimal(*locked, ASSET_DECIMALS, *zeros)));
                entry.insert("a".into(), json!(asset));
                entry.insert("f".into(), json!(decimal(*free, ASSET_DECIMALS, 0)));
                Value::Object(entry)
            })
            .collect();
        let mut members: Vec<(String, Value)> = vec![
            ("B".into(), Value::Array(list)),
            ("u".into(), json!(update_time)),
            ("e".into(), json!("outboundAccountPosition")),
            ("E".into(), json!(event_time)),
        ];
        members.extend(unknown);
        let order: Vec<usize> = (0..members.len()).rev().collect();
        let text = frame(&members, &order, subscription_id, "");
        match decode_event(text.as_bytes(), Scale { price: 2, qty: 5 }) {
            Ok(f) => {
                prop_assert_eq!(f.subscription_id, subscription_id);
                let UserEvent::Account(a) = f.event else { return Err(TestCaseError::fail(text.clone())) };
                prop_assert_eq!((a.event_time_ms, a.last_update_ms), (event_time, update_time));
                prop_assert_eq!(a.balances.len(), balances.len());
                for (got, (asset, free, locked, _, _)) in a.balances.iter().zip(&balances) {
                    prop_assert_eq!((got.asset, got.free, got.locked), (asset.as_str(), *free, *locked));
                }
            }
            Err(e) => prop_assert!(balances.len() > MAX_BALANCES && e == UserDataError::TooManyBalances, "{e:?} on {text}"),
        }
    }
}

#[test]
fn rendering_matches_binance_examples() {
    assert_eq!(decimal(100_000_000, 8, 0), "1.00000000");
    assert_eq!(decimal(10_264_410, 8, 0), "0.10264410");
    assert_eq!(decimal(3_000, 5, 3), "0.03000000");
    assert_eq!(decimal(7, 0, 0), "7");
    assert_eq!(decimal(7, 0, 2), "7.00");
    assert_eq!(decimal(u64::MAX, 8, 0), "184467440737.09551615");
}
