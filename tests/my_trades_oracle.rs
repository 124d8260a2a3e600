//! hotline's Binance `myTrades` codec and template against serde_json.
//!
//! Answers: random pages (trades with their members in random order among
//! unknown ones, the page's members shuffled among `rateLimits` and
//! unknown ones, refusals with any status outside 2xx) are written by
//! `serde_json`, decoded by `decode_trades`, and compared field by field
//! with what `serde_json` reads back from the same text, its decimals
//! converted to steps by a reader written here. Decimals are written as
//! Binance writes them: the instrument's grid plus trailing zeros
//! (docs/protocols/binance-ws-api.md §myTrades).
//!
//! Requests: `Template::my_trades` rendered and signed by hotline, then
//! parsed by `serde_json`, its params sorted by a `BTreeMap` and signed by
//! the `hmac` crate; the `fromId` Binance reads must be the one patched in.

#[allow(dead_code)]
mod json_oracle;

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use hotline_core::order::{DecimalError, Scale};
use hotline_core::sign::HmacKey;
use hotline_core::venue::JsonError;
use hotline_core::venue::binance::{
    ASSET_DECIMALS, Auth, MAX_TRADES_PER_PAGE, Session, Slot, Template, TimeUnit, Trade, TradeField, TradesError,
    TradesOutcome, decode_trades,
};
use json_oracle::{as_written, decimal, object, space, unknown_members};
use proptest::prelude::*;
use serde_json::{Value, json};
use sha2::Sha256;

/// A generated trade.
#[derive(Debug, Clone)]
struct GenTrade {
    symbol: String,
    id: u64,
    order_id: u64,
    order_list_id: i64,
    /// Ticks and lots, and the trailing zeros written after the grid.
    price: (u64, usize),
    qty: (u64, usize),
    /// 10^-8 of the asset.
    quote_qty: u64,
    commission: u64,
    commission_asset: String,
    time: u64,
    is_buyer: bool,
    is_maker: bool,
    is_best_match: bool,
    /// Members hotline skips, and where each member goes among them.
    unknown: Vec<(String, Value)>,
    order: Vec<usize>,
}

/// A generated answer.
#[derive(Debug, Clone)]
struct Page {
    scale: Scale,
    id: Value,
    status: u16,
    /// The trades of a 2xx page, or the `(code, msg)` of a refusal.
    body: Result<Vec<GenTrade>, (i32, Option<String>)>,
    unknown: Vec<(String, Value)>,
    order: Vec<usize>,
    space: &'static str,
}

/// Keys hotline reads in a trade: an unknown member never takes one.
const TRADE_KEYS: [&str; 11] = [
    "symbol",
    "id",
    "orderId",
    "price",
    "qty",
    "quoteQty",
    "commission",
    "commissionAsset",
    "time",
    "isBuyer",
    "isMaker",
];

/// Keys hotline reads in the answer.
const PAGE_KEYS: [&str; 4] = ["id", "status", "result", "error"];

/// Members of a generated trade, counting the two hotline skips.
const TRADE_MEMBERS: usize = 13;

/// The oracle's reading of a decimal string as 10^-`decimals` steps:
/// `None` unless it is a whole number of them within `u64`.
fn steps(text: &str, decimals: u8) -> Option<u64> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let d = usize::from(decimals);
    let (grid, finer) = frac.split_at(frac.len().min(d));
    if finer.bytes().any(|b| b != b'0') {
        return None;
    }
    let value = format!("{}{grid:0<d$}", int.trim_start_matches('0'));
    if value.is_empty() { Some(0) } else { value.parse().ok() }
}

/// Text that needs no JSON escape, and any text at all.
const TEXT: &str = "[A-Z0-9]{2,12}|[１２３４５６币安\u{1f40b}]{1,6}|\\PC{0,8}|[\"\\\\\u{1}]{1,4}";

fn gen_trade() -> impl Strategy<Value = GenTrade> {
    let ids = (any::<u64>(), any::<u64>(), prop_oneof![Just(-1i64), 0..=i64::MAX], any::<u64>());
    let numbers = ((any::<u64>(), 0usize..7), (any::<u64>(), 0usize..7), any::<u64>(), any::<u64>());
    let flags = (any::<bool>(), any::<bool>(), any::<bool>());
    (TEXT, TEXT, ids, numbers, flags, unknown_members(&TRADE_KEYS))
        .prop_flat_map(|(symbol, asset, ids, numbers, flags, unknown)| {
            let order = Just((0..TRADE_MEMBERS + unknown.len()).collect::<Vec<_>>()).prop_shuffle();
            (Just((symbol, asset, ids, numbers, flags, unknown)), order)
        })
        .prop_map(|((symbol, commission_asset, ids, numbers, flags, unknown), order)| {
            let (id, order_id, order_list_id, time) = ids;
            let (price, qty, quote_qty, commission) = numbers;
            let (is_buyer, is_maker, is_best_match) = flags;
            GenTrade {
                symbol,
                id,
                order_id,
                order_list_id,
                price,
                qty,
                quote_qty,
                commission,
                commission_asset,
                time,
                is_buyer,
                is_maker,
                is_best_match,
                unknown,
                order,
            }
        })
}

fn gen_id() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => "[0-9]{20}".prop_map(Value::String),
        2 => TEXT.prop_map(Value::String),
        1 => any::<u64>().prop_map(|n| json!(n)),
        1 => Just(Value::Null),
    ]
}

fn page() -> impl Strategy<Value = Page> {
    let scale = (0u8..=8, 0u8..=8).prop_map(|(price, qty)| Scale { price, qty });
    let body = prop_oneof![
        3 => (200u16..300, prop::collection::vec(gen_trade(), 0..12)).prop_map(|(s, t)| (s, Ok(t))),
        1 => (
            prop_oneof![100u16..200, 300u16..=u16::MAX],
            any::<i32>(),
            prop::option::of(TEXT),
        )
            .prop_map(|(s, code, msg)| (s, Err((code, msg)))),
    ];
    let space = space();
    (scale, gen_id(), body, unknown_members(&PAGE_KEYS), space)
        .prop_flat_map(|(scale, id, (status, body), unknown, space)| {
            // id, status, result or error, rateLimits, then the unknown.
            let order = Just((0..4 + unknown.len()).collect::<Vec<_>>()).prop_shuffle();
            (Just((scale, id, status, body, unknown, space)), order)
        })
        .prop_map(|((scale, id, status, body, unknown, space), order)| Page {
            scale,
            id,
            status,
            body,
            unknown,
            order,
            space,
        })
}

/// The members of `t`, rendered by serde_json.
fn trade_members(t: &GenTrade, scale: Scale) -> Vec<(String, Value)> {
    let mut members: Vec<(String, Value)> = [
        ("symbol", json!(t.symbol)),
        ("id", json!(t.id)),
        ("orderId", json!(t.order_id)),
        ("orderListId", json!(t.order_list_id)),
        ("price", json!(decimal(t.price.0, scale.price, t.price.1))),
        ("qty", json!(decimal(t.qty.0, scale.qty, t.qty.1))),
        ("quoteQty", json!(decimal(t.quote_qty, ASSET_DECIMALS, 0))),
        ("commission", json!(decimal(t.commission, ASSET_DECIMALS, 0))),
        ("commissionAsset", json!(t.commission_asset)),
        ("time", json!(t.time)),
        ("isBuyer", json!(t.is_buyer)),
        ("isMaker", json!(t.is_maker)),
        ("isBestMatch", json!(t.is_best_match)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    members.extend(t.unknown.iter().cloned());
    members
}

/// The answer's text; `edit` may change a trade's members before they are
/// written.
fn render(p: &Page, edit: impl Fn(usize, &mut Vec<(String, Value)>)) -> String {
    let (key, value) = match &p.body {
        Ok(trades) => {
            let list: Vec<String> = trades
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let mut members = trade_members(t, p.scale);
                    edit(i, &mut members);
                    object(&members, &t.order, p.space)
                })
                .collect();
            ("result", format!("[{}{}]", p.space, list.join(&format!(",{}", p.space))))
        }
        Err((code, msg)) => {
            let mut error = json!({ "code": code });
            if let Some(msg) = msg {
                error["msg"] = json!(msg);
            }
            ("error", serde_json::to_string(&error).expect("an object"))
        }
    };
    let limits =
        json!([{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000,"count":20}]);
    let mut members: Vec<(String, String)> = vec![
        ("id".into(), serde_json::to_string(&p.id).expect("an id")),
        ("status".into(), p.status.to_string()),
        (key.into(), value),
        ("rateLimits".into(), limits.to_string()),
    ];
    for (k, v) in &p.unknown {
        members.push((k.clone(), serde_json::to_string(v).expect("a value")));
    }
    let body: Vec<String> = p
        .order
        .iter()
        .map(|&i| {
            let (k, v) = &members[i];
            format!("{0}{1}{0}:{0}{2}", p.space, serde_json::to_string(k).expect("a key"), v)
        })
        .collect();
    format!("{}{{{}{}}}", p.space, body.join(","), p.space)
}

/// serde_json's reading of one trade, decimals converted by [`steps`].
fn oracle_trade(v: &Value, scale: Scale) -> Option<(String, [u64; 7], String, bool, bool)> {
    let text = |k: &str| v.get(k)?.as_str();
    let number = |k: &str| v.get(k)?.as_u64();
    Some((
        as_written(text("symbol")?),
        [
            number("id")?,
            number("orderId")?,
            steps(text("price")?, scale.price)?,
            steps(text("qty")?, scale.qty)?,
            steps(text("quoteQty")?, ASSET_DECIMALS)?,
            steps(text("commission")?, ASSET_DECIMALS)?,
            number("time")?,
        ],
        as_written(text("commissionAsset")?),
        v.get("isBuyer")?.as_bool()?,
        v.get("isMaker")?.as_bool()?,
    ))
}

fn hotline_trade(t: &Trade<'_>) -> (String, [u64; 7], String, bool, bool) {
    (
        t.symbol.to_owned(),
        [t.id, t.order_id, t.price, t.qty, t.quote_qty, t.commission, t.time_ms],
        t.commission_asset.to_owned(),
        t.is_buyer,
        t.is_maker,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Every trade hotline reads is the one serde_json reads from the same
    /// text, and the one generated; a refusal's code and message too.
    #[test]
    fn page_reads_back(p in page()) {
        let text = render(&p, |_, _| {});
        let page = match decode_trades(text.as_bytes(), p.scale) {
            Ok(page) => page,
            Err(e) => return Err(TestCaseError::fail(format!("{e:?} on {text}"))),
        };
        let oracle: Value = serde_json::from_str(&text).expect("serde_json reads what it wrote");
        let id = match &oracle["id"] {
            Value::String(s) => Some(as_written(s)),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        prop_assert_eq!(page.id.map(str::to_owned), id);
        prop_assert_eq!(Some(u64::from(page.status)), oracle["status"].as_u64());
        match (&p.body, &page.outcome) {
            (Ok(generated), TradesOutcome::Trades(trades)) => {
                let list = oracle["result"].as_array().expect("a list");
                prop_assert_eq!(trades.len(), list.len());
                prop_assert_eq!(list.len(), generated.len());
                for ((got, read), made) in page.trades().zip(list).zip(generated) {
                    let got = got.map_err(|e| TestCaseError::fail(format!("{e:?} on a second reading")))?;
                    prop_assert_eq!(Some(hotline_trade(&got)), oracle_trade(read, p.scale));
                    prop_assert_eq!(
                        [got.id, got.order_id, got.price, got.qty, got.quote_qty, got.commission, got.time_ms],
                        [made.id, made.order_id, made.price.0, made.qty.0, made.quote_qty, made.commission, made.time]
                    );
                    prop_assert_eq!((got.is_buyer, got.is_maker), (made.is_buyer, made.is_maker));
                }
            }
            (Err((code, msg)), TradesOutcome::Refused { code: got, msg: got_msg }) => {
                prop_assert_eq!(Some(i64::from(*got)), oracle["error"]["code"].as_i64());
                prop_assert_eq!(*got, *code);
                prop_assert_eq!(got_msg.map(str::to_owned), msg.as_deref().map(as_written));
                prop_assert_eq!(page.trades().next(), None);
            }
            (body, outcome) => return Err(TestCaseError::fail(format!("{body:?} read as {outcome:?}"))),
        }
    }

    /// A strict prefix of an answer is truncated, never a shorter page.
    #[test]
    fn a_prefix_is_truncated(p in page(), cut in any::<prop::sample::Index>()) {
        let text = render(&p, |_, _| {});
        let end = cut.index(text.trim_end().len());
        prop_assert_eq!(
            decode_trades(&text.as_bytes()[..end], p.scale).err(),
            Some(TradesError::Json(JsonError::Truncated))
        );
    }

    /// A price or quantity one digit finer than the instrument's grid, in
    /// any trade of the page, fails the page and names the field.
    #[test]
    fn off_grid_is_named(
        scale in (0u8..=8, 0u8..=8).prop_map(|(price, qty)| Scale { price, qty }),
        trades in prop::collection::vec(gen_trade(), 1..6),
        which in any::<prop::sample::Index>(),
        qty in any::<bool>(),
        digit in 1u8..=9,
    ) {
        let p = Page { scale, id: json!("1"), status: 200, body: Ok(trades), unknown: vec![], order: vec![0, 1, 2, 3], space: "" };
        let bad = which.index(p.body.as_ref().map_or(1, Vec::len));
        let key = if qty { "qty" } else { "price" };
        let text = render(&p, |i, members| {
            if i == bad {
                let (_, value) = members.iter_mut().find(|(k, _)| k == key).expect("a read member");
                let mut text = value.as_str().expect("a decimal string").to_owned();
                if !text.contains('.') {
                    text.push('.');
                }
                text.push(char::from(b'0' + digit));
                *value = json!(text);
            }
        });
        let field = if qty { TradeField::Qty } else { TradeField::Price };
        prop_assert_eq!(decode_trades(text.as_bytes(), scale).err(), Some(TradesError::Decimal(field, DecimalError::OffGrid)));
    }

    /// `myTrades` as rendered and signed by hotline is what the
    /// conventional pipeline sends: serde_json reads the params, a
    /// `BTreeMap` sorts them, the `hmac` crate signs them; and the
    /// `fromId` Binance parses from its padded digits is the one set.
    #[test]
    fn my_trades_request_matches_conventional_signing(
        secret in prop::collection::vec(any::<u8>(), 1..80),
        api_key in "[A-Za-z0-9]{1,64}",
        symbol in "[A-Z0-9]{2,20}",
        limit in 1..=MAX_TRADES_PER_PAGE,
        from_id in prop_oneof![any::<u64>(), 0..=i64::MAX as u64, 0u64..1000],
        request_id in any::<u64>(),
        micros in any::<bool>(),
        recv_window in prop::option::of(1u32..=60_000),
        logged_on in any::<bool>(),
    ) {
        let key = HmacKey::new(&secret);
        let auth = if logged_on { Auth::Session } else { Auth::Hmac { api_key: &api_key, key: &key } };
        let time = if micros { TimeUnit::Micros } else { TimeUnit::Millis };
        let timestamp = if micros { 1_700_000_000_000_000 } else { 1_700_000_000_000 };
        let mut t = Template::my_trades(&symbol, limit, &Session { auth, time, recv_window }).expect("renders");
        t.set(Slot::RequestId, request_id).unwrap();
        t.set(Slot::FromId, from_id).unwrap();
        t.set(Slot::Timestamp, timestamp).unwrap();
        t.sign().unwrap();

        let json: Value = serde_json::from_slice(t.request()).expect("request is JSON");
        prop_assert_eq!(json["method"].as_str(), Some("myTrades"));
        prop_assert_eq!(json["id"].as_str().map(str::parse::<u64>), Some(Ok(request_id)));
        let params = json["params"].as_object().expect("params");
        // Binance checks an id against ^[0-9]{1,20}$, then reads it as a
        // number: the padding is not part of the value.
        let from = params["fromId"].as_str().expect("fromId is a string");
        prop_assert!(from.len() == 20 && from.bytes().all(|b| b.is_ascii_digit()));
        prop_assert_eq!(from.parse::<u64>(), Ok(from_id));
        prop_assert_eq!(params["limit"].as_u64(), Some(u64::from(limit)));
        prop_assert_eq!(params["symbol"].as_str(), Some(symbol.as_str()));
        prop_assert_eq!(params["timestamp"].as_u64(), Some(timestamp));
        prop_assert_eq!(params.get("recvWindow").and_then(Value::as_u64), recv_window.map(u64::from));

        let signed: BTreeMap<&str, String> = params
            .iter()
            .filter(|(k, _)| *k != "signature")
            .map(|(k, v)| (k.as_str(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
            .collect();
        let payload = signed.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        prop_assert_eq!(std::str::from_utf8(t.payload()).unwrap(), payload.as_str());
        if logged_on {
            prop_assert!(params.get("apiKey").is_none() && params.get("signature").is_none());
        } else {
            prop_assert_eq!(params["apiKey"].as_str(), Some(api_key.as_str()));
            let mut mac = Hmac::<Sha256>::new_from_slice(&secret).unwrap();
            mac.update(payload.as_bytes());
            let expected = hex::encode(mac.finalize().into_bytes());
            prop_assert_eq!(params["signature"].as_str(), Some(expected.as_str()));
        }
    }
}

#[test]
fn the_oracle_reads_decimals_as_binance_writes_them() {
    assert_eq!(decimal(2_341_610, 2, 6), "23416.10000000");
    assert_eq!(decimal(635, 5, 3), "0.00635000");
    assert_eq!(decimal(7, 0, 0), "7");
    assert_eq!(decimal(7, 0, 2), "7.00");
    assert_eq!(steps("23416.10000000", 2), Some(2_341_610));
    assert_eq!(steps("23416.10000000", 0), None);
    assert_eq!(steps("0.00000000", 8), Some(0));
    assert_eq!(steps("184467440737.09551615", 8), Some(u64::MAX));
    assert_eq!(steps("184467440737.09551616", 8), None);
    for units in [0, 1, 99, 1_650_422_481, u64::MAX] {
        for decimals in 0..=8 {
            assert_eq!(steps(&decimal(units, decimals, 3), decimals), Some(units));
        }
    }
}
