//! hotline's reader of Coinbase Exchange's WebSocket feed against
//! serde_json as the writer: random `ticker` messages — the documented
//! members hotline skips (`price`, `open_24h`, `side`, `time`,
//! `trade_id`, …) and unknown ones among the members it reads, in random
//! order, with any whitespace — every key and value rendered by
//! serde_json, then decoded by `coinbase::market::decode` and compared
//! with what was generated. Decimals are written as Coinbase writes them:
//! on the product's grid, or with trailing zeros trimmed (`"1313.8"` on a
//! cent grid), or padded (docs/market-data.md §Coinbase). The feed's
//! other messages (`subscriptions`, `heartbeat`, `error`, types hotline
//! does not know) are generated the same way and told apart.

#[allow(dead_code)]
mod json_oracle;

use hotline_core::market::{Level, Touch};
use hotline_core::order::{DecimalError, Scale};
use hotline_core::venue::JsonError;
use hotline_core::venue::coinbase::market::{FeedMessage, decode};
use hotline_core::venue::market::{MarketError, TickerField};
use json_oracle::{as_written, decimal, object, space, unknown_members};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Keys hotline reads in a message of the feed.
const READ_KEYS: [&str; 9] =
    ["type", "sequence", "product_id", "best_bid", "best_bid_size", "best_ask", "best_ask_size", "message", "reason"];

/// The level keys, in the order of `Ticker::levels`, and the fields
/// their errors name.
const LEVELS: [(&str, TickerField); 4] = [
    ("best_bid", TickerField::BidPrice),
    ("best_bid_size", TickerField::BidQty),
    ("best_ask", TickerField::AskPrice),
    ("best_ask_size", TickerField::AskQty),
];

/// Product ids as Coinbase spells them, and any text (escaped by
/// serde_json where JSON needs it: hotline borrows it as written).
const PRODUCT: &str = "[A-Z0-9]{2,6}-[A-Z]{3,4}|\\PC{0,8}|[\"\\\\\u{1}]{1,4}";

/// How a decimal is written.
#[derive(Debug, Clone, Copy)]
enum Written {
    /// To the grid, then this many more zeros.
    Padded(usize),
    /// With the fraction's trailing zeros (and a bare point) dropped.
    Trimmed,
}

/// A generated `ticker`: what hotline must read back.
#[derive(Debug, Clone)]
struct Ticker {
    scale: Scale,
    sequence: u64,
    product_id: String,
    /// Ticks or lots of `best_bid`, `best_bid_size`, `best_ask`,
    /// `best_ask_size`, and how each is written.
    levels: [(u64, Written); 4],
    /// The documented members hotline skips, and unknown ones.
    skipped: Vec<(String, Value)>,
    /// The order every member is written in.
    order: Vec<usize>,
    space: &'static str,
}

/// Members of a ticker hotline reads.
const TICKER_MEMBERS: usize = 7;

fn written(units: u64, decimals: u8, how: Written) -> String {
    match how {
        Written::Padded(zeros) => decimal(units, decimals, zeros),
        Written::Trimmed => {
            let text = decimal(units, decimals, 0);
            if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_owned() } else { text }
        }
    }
}

/// The members of the channel page's example that hotline does not read,
/// with values of their documented types.
fn documented_skipped() -> impl Strategy<Value = Vec<(String, Value)>> {
    let price = (any::<u32>(), 0u8..=8).prop_map(|(units, d)| json!(decimal(u64::from(units), d, 0)));
    let members = (
        price.clone(),
        price.clone(),
        price.clone(),
        prop_oneof![Just("buy"), Just("sell")],
        "20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\\.[0-9]{6}Z",
        any::<u64>(),
        price,
    );
    members.prop_map(|(price, open, volume, side, time, trade_id, last_size)| {
        vec![
            ("price".to_owned(), price),
            ("open_24h".to_owned(), open),
            ("volume_24h".to_owned(), volume),
            ("side".to_owned(), json!(side)),
            ("time".to_owned(), json!(time)),
            ("trade_id".to_owned(), json!(trade_id)),
            ("last_size".to_owned(), last_size),
        ]
    })
}

fn scale() -> impl Strategy<Value = Scale> {
    (0u8..=8, 0u8..=8).prop_map(|(price, qty)| Scale { price, qty })
}

fn written_as() -> impl Strategy<Value = Written> {
    prop_oneof![(0usize..4).prop_map(Written::Padded), Just(Written::Trimmed)]
}

fn ticker() -> impl Strategy<Value = Ticker> {
    let levels = prop::array::uniform4((any::<u64>(), written_as()));
    let skipped = (documented_skipped(), unknown_members(&READ_KEYS), any::<bool>());
    (scale(), any::<u64>(), PRODUCT, levels, skipped, space())
        .prop_flat_map(|(scale, sequence, product_id, levels, (documented, unknown, with_documented), space)| {
            let mut skipped = if with_documented { documented } else { Vec::new() };
            skipped.extend(unknown);
            let order = Just((0..TICKER_MEMBERS + skipped.len()).collect::<Vec<_>>()).prop_shuffle();
            (Just(Ticker { scale, sequence, product_id, levels, skipped, order: Vec::new(), space }), order)
        })
        .prop_map(|(ticker, order)| Ticker { order, ..ticker })
}

/// The members hotline reads, rendered by serde_json.
fn read_members(t: &Ticker) -> Vec<(String, Value)> {
    let grids = [t.scale.price, t.scale.qty, t.scale.price, t.scale.qty];
    let mut members = vec![
        ("type".to_owned(), json!("ticker")),
        ("sequence".to_owned(), json!(t.sequence)),
        ("product_id".to_owned(), json!(t.product_id)),
    ];
    for (((key, _), (units, how)), decimals) in LEVELS.iter().zip(t.levels).zip(grids) {
        members.push(((*key).to_owned(), json!(written(units, decimals, how))));
    }
    members
}

/// `members` and `t`'s skipped ones, in `t`'s order.
fn render(t: &Ticker, mut members: Vec<(String, Value)>) -> String {
    members.extend(t.skipped.iter().cloned());
    object(&members, &t.order, t.space)
}

fn expected(t: &Ticker) -> Touch {
    let [bid, bid_qty, ask, ask_qty] = t.levels.map(|(units, _)| units);
    Touch { update_id: t.sequence, bid: Level { price: bid, qty: bid_qty }, ask: Level { price: ask, qty: ask_qty } }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The touch, the sequence and the product come back as generated,
    /// whatever the order, the skipped members and the whitespace.
    #[test]
    fn a_ticker_reads_back(t in ticker()) {
        let text = render(&t, read_members(&t));
        match decode(text.as_bytes(), t.scale) {
            Ok(FeedMessage::Ticker(got)) => {
                prop_assert_eq!(got.symbol, as_written(&t.product_id));
                prop_assert_eq!(got.touch, expected(&t));
                prop_assert_eq!(got.event_time_us, None);
            }
            other => return Err(TestCaseError::fail(format!("{other:?} on {text}"))),
        }
    }

    /// A strict prefix of a message is truncated, never a message.
    #[test]
    fn a_prefix_is_truncated(t in ticker(), cut in any::<prop::sample::Index>()) {
        let text = render(&t, read_members(&t));
        let end = cut.index(text.trim_end().len());
        prop_assert_eq!(decode(&text.as_bytes()[..end], t.scale), Err(MarketError::Json(JsonError::Truncated)));
    }

    /// A member the ticker needs, left out, is named; so is a level one
    /// digit finer than the grid, or written as a number.
    #[test]
    fn bad_members_are_named(t in ticker(), which in 0usize..TICKER_MEMBERS, digit in 1u8..=9) {
        let fields = [
            TickerField::Type,
            TickerField::UpdateId,
            TickerField::Symbol,
            TickerField::BidPrice,
            TickerField::BidQty,
            TickerField::AskPrice,
            TickerField::AskQty,
        ];
        let mut dropped = read_members(&t);
        dropped.remove(which);
        let mut members = dropped;
        members.extend(t.skipped.iter().cloned());
        let order: Vec<usize> = (0..members.len()).rev().collect();
        let text = object(&members, &order, t.space);
        prop_assert_eq!(decode(text.as_bytes(), t.scale), Err(MarketError::Missing(fields[which])));
        if which >= 3 {
            let (key, field) = LEVELS[which - 3];
            let mut finer = read_members(&t);
            let decimals = if which % 2 == 1 { t.scale.price } else { t.scale.qty };
            let point = if decimals == 0 { "." } else { "" };
            let text = format!("{}{point}{digit}", decimal(t.levels[which - 3].0, decimals, 0));
            finer[which].1 = json!(text);
            let frame = render(&t, finer);
            prop_assert_eq!(
                decode(frame.as_bytes(), t.scale),
                Err(MarketError::Decimal(field, DecimalError::OffGrid)),
                "{} in {}", key, frame
            );
            let mut number = read_members(&t);
            number[which].1 = json!(t.levels[which - 3].0);
            let frame = render(&t, number);
            prop_assert_eq!(decode(frame.as_bytes(), t.scale), Err(MarketError::Invalid(field)));
        }
    }

    /// The feed's other messages are told apart, whatever else they carry.
    #[test]
    fn other_messages_are_told_apart(
        kind in prop_oneof![
            Just("subscriptions".to_owned()),
            Just("heartbeat".to_owned()),
            Just("error".to_owned()),
            "[a-z_0-9]{1,12}",
        ],
        message in "\\PC{0,24}|[\"\\\\\u{1}]{1,4}",
        reason in prop::option::of("\\PC{0,24}"),
        unknown in unknown_members(&READ_KEYS),
        space in space(),
    ) {
        prop_assume!(kind != "ticker");
        let mut members = vec![("type".to_owned(), json!(kind))];
        if kind == "error" {
            members.push(("message".to_owned(), json!(message)));
            if let Some(reason) = &reason {
                members.push(("reason".to_owned(), json!(reason)));
            }
        }
        members.extend(unknown);
        let order: Vec<usize> = (0..members.len()).rev().collect();
        let text = object(&members, &order, space);
        let decoded = decode(text.as_bytes(), Scale { price: 2, qty: 8 });
        match kind.as_str() {
            "subscriptions" => prop_assert_eq!(decoded, Ok(FeedMessage::Subscriptions)),
            "heartbeat" => prop_assert_eq!(decoded, Ok(FeedMessage::Heartbeat)),
            "error" => {
                let Ok(FeedMessage::Error { message: got, reason: got_reason }) = decoded else {
                    return Err(TestCaseError::fail(format!("{decoded:?} on {text}")));
                };
                prop_assert_eq!(got, as_written(&message));
                prop_assert_eq!(got_reason.map(str::to_owned), reason.as_deref().map(as_written));
            }
            _ => prop_assert_eq!(decoded, Ok(FeedMessage::Other)),
        }
    }
}

#[test]
fn decimals_are_written_as_coinbase_writes_them() {
    // The channel page's example: "1313.8" on a cent grid, sizes to 10^-8.
    assert_eq!(written(131_380, 2, Written::Trimmed), "1313.8");
    assert_eq!(written(46_688_654, 8, Written::Padded(0)), "0.46688654");
    assert_eq!(written(700, 2, Written::Trimmed), "7");
    assert_eq!(written(7, 0, Written::Trimmed), "7");
}
