//! The market-data stream and orders priced from it, on the in-memory
//! harness (`engine_harness`): a scripted tungstenite peer publishes the
//! top of book as Binance does (JSON `bookTicker` rendered by serde_json,
//! SBE `bestBidAsk` laid out from the schema), the fake clock ages it, and
//! what the venue reads is checked: each order's limit price is the touch
//! plus or minus the offset, no order leaves from an absent, stale or
//! crossed book, the gate's collar holds, and the stream has its own
//! watchdog, reconnect and rotation. The same peer plays Coinbase's
//! Exchange feed too: the engine must subscribe right after the upgrade,
//! price from `ticker` messages, report another product's, and drop and
//! resubscribe on an `error`, its backoff reset only by a confirmed
//! subscription.

#[allow(dead_code)]
mod engine_harness;

use engine_harness::market::Quote;
use engine_harness::{BookSetup, Config, MS, Pair, S, feed};
use hotline_core::engine::{Event, MarketFeed, MarketState, Skip, Timers, VenueLoss};
use hotline_core::market::NoQuote;
use hotline_core::order::{DecimalError, OrderType, TimeInForce};
use hotline_core::risk::{self, Reason};
use hotline_core::venue::JsonError;
use hotline_core::venue::binance::{MarketError, TickerField};

/// BTCUSDT at 90 000.00 / 90 000.01.
const QUOTE: Quote = Quote { update_id: 100, bid: 9_000_000, bid_qty: 150_000, ask: 9_000_001, ask_qty: 27_500 };

fn config(book: BookSetup) -> Config {
    Config { order_type: OrderType::Limit(TimeInForce::Ioc), book: Some(book), ..Config::default() }
}

fn streaming(book: BookSetup) -> Pair {
    let pair = Pair::trading(config(book));
    assert_eq!(pair.engine.market_state(), Some(MarketState::Streaming), "{:?}", pair.events);
    pair
}

fn skipped(pair: &Pair, from: usize) -> Vec<Skip> {
    pair.since(from)
        .iter()
        .filter_map(|e| match e {
            Event::Skipped { reason, .. } => Some(*reason),
            _ => None,
        })
        .collect()
}

/// The `price` and `side` of every `order.place` the venue read.
fn placed(pair: &Pair) -> Vec<(String, String)> {
    pair.venue
        .saw("order.place")
        .iter()
        .map(|r| (r.param("side").expect("side"), r.param("price").expect("a limit price")))
        .collect()
}

#[test]
fn limit_orders_are_priced_through_the_touch() {
    let mut pair = streaming(BookSetup::default());
    pair.market.book_ticker(QUOTE);
    pair.step();
    assert_eq!(pair.engine.counters().book_updates, 1);
    pair.publish(&feed::whale(0));
    let orders = placed(&pair);
    assert_eq!(orders.len(), 1, "{:?}", pair.events);
    let (side, price) = &orders[0];
    // Buy at the ask plus 5 ticks, sell at the bid minus 5.
    let expected = if side == "BUY" { "0090000.06" } else { "0089999.95" };
    assert_eq!(price, expected);
    assert_eq!(pair.venue.saw("order.place")[0].param("timeInForce").as_deref(), Some("IOC"));
    // The next touch moves the next order's price.
    pair.market.book_ticker(Quote { update_id: 101, bid: 9_100_000, ask: 9_100_002, ..QUOTE });
    pair.step();
    pair.publish(&feed::whale(1));
    let (side, price) = &placed(&pair)[1];
    let expected = if side == "BUY" { "0091000.07" } else { "0090999.95" };
    assert_eq!(price, expected);
}

#[test]
fn sbe_frames_price_as_json_does() {
    let mut pair = streaming(BookSetup { sbe: true, ..BookSetup::default() });
    let upgrade = pair.market.upgrades[0].to_ascii_lowercase();
    assert!(upgrade.starts_with("get /ws/btcusdt@bestbidask http/1.1\r\n"), "{upgrade}");
    assert!(upgrade.contains("\r\nx-mbx-apikey: hotline-harness-ed25519\r\n"), "{upgrade}");
    pair.market.best_bid_ask(QUOTE, 1_700_000_000_000_000);
    pair.step();
    assert_eq!(
        pair.engine.book().touch().map(|t| (t.bid.price, t.ask.price, t.ask.qty)),
        Some((9_000_000, 9_000_001, 27_500))
    );
    pair.publish(&feed::whale(0));
    let (side, price) = &placed(&pair)[0];
    assert_eq!(price, if side == "BUY" { "0090000.06" } else { "0089999.95" });
}

#[test]
fn no_order_from_an_absent_stale_or_crossed_book() {
    let mut pair = streaming(BookSetup { max_age_ns: 500 * MS, ..BookSetup::default() });
    let from = pair.events.len();
    pair.publish(&feed::whale(0));
    assert_eq!(skipped(&pair, from), [Skip::NoQuote(NoQuote::Absent)]);

    pair.market.book_ticker(QUOTE);
    pair.step();
    pair.advance(501 * MS);
    let from = pair.events.len();
    pair.publish(&feed::whale(1));
    assert_eq!(skipped(&pair, from), [Skip::NoQuote(NoQuote::Stale { age_ns: 501 * MS })]);

    pair.market.book_ticker(Quote { update_id: 101, bid: 9_000_001, ..QUOTE });
    pair.step();
    let from = pair.events.len();
    pair.publish(&feed::whale(2));
    assert_eq!(skipped(&pair, from), [Skip::NoQuote(NoQuote::Crossed)]);
    assert!(pair.venue.saw("order.place").is_empty());
    // An older update than the book holds changes nothing.
    pair.market.book_ticker(Quote { update_id: 99, ..QUOTE });
    pair.step();
    assert_eq!(pair.engine.book().touch().map(|t| t.update_id), Some(101));
}

#[test]
fn the_collar_denies_a_limit_far_from_the_mid() {
    // 50 bps of 90 000.005 is 450.00: 45 001 ticks through the touch is beyond it.
    let mut pair = streaming(BookSetup { offset_ticks: 45_001, ..BookSetup::default() });
    pair.market.book_ticker(QUOTE);
    pair.step();
    pair.publish(&feed::whale(0));
    assert!(pair.venue.saw("order.place").is_empty());
    assert!(pair.has(|e| matches!(e, Event::Risk(risk::Event::Denied { reason: Reason::PriceCollar, .. }))));
    let mut inside = streaming(BookSetup { offset_ticks: 44_000, ..BookSetup::default() });
    inside.market.book_ticker(QUOTE);
    inside.step();
    inside.publish(&feed::whale(0));
    assert_eq!(inside.venue.saw("order.place").len(), 1);
}

#[test]
fn another_symbol_and_bad_frames_are_reported_not_priced() {
    let mut pair = streaming(BookSetup::default());
    pair.market.book_ticker_for("ETHUSDT", QUOTE);
    pair.market.raw_text(r#"{"u":7,"s":"BTCUSDT","b":"90000.001","B":"1","a":"90000.01","A":"1"}"#);
    pair.market.raw_text(r#"{"u":8,"s":"BTCUSDT","b":"90000.00""#);
    pair.step();
    assert!(pair.has(|e| matches!(e, Event::BadMarketFrame(MarketError::Invalid(TickerField::Symbol)))));
    assert!(pair.has(|e| matches!(
        e,
        Event::BadMarketFrame(MarketError::Decimal(TickerField::BidPrice, DecimalError::OffGrid))
    )));
    assert!(pair.has(|e| matches!(e, Event::BadMarketFrame(MarketError::Json(JsonError::Truncated)))));
    assert_eq!(pair.engine.book().touch(), None);
    assert_eq!(pair.engine.counters().book_updates, 0);
}

#[test]
fn a_lost_stream_clears_the_book_and_reconnects_after_the_backoff() {
    let timers = Timers { reconnect_min_ns: 100 * MS, reconnect_max_ns: S, ..Timers::default() };
    let mut pair = Pair::trading(Config { timers, ..config(BookSetup::default()) });
    pair.market.book_ticker(QUOTE);
    pair.step();
    assert!(pair.engine.book().touch().is_some());
    pair.market.drop_connection();
    pair.step();
    let delay = pair
        .events
        .iter()
        .find_map(|e| match e {
            Event::MarketLost { cause: VenueLoss::Transport, delay_ns } => Some(*delay_ns),
            _ => None,
        })
        .expect("the loss is reported");
    assert!((100 * MS..=125 * MS).contains(&delay), "{delay}");
    assert_eq!(pair.engine.book().touch(), None, "a lost stream's book is not trusted");
    let from = pair.events.len();
    pair.publish(&feed::whale(0));
    assert_eq!(skipped(&pair, from), [Skip::NoQuote(NoQuote::Absent)]);
    pair.advance(delay);
    assert_eq!(pair.market.connections, 2);
    assert_eq!(pair.engine.market_state(), Some(MarketState::Streaming));
    assert_eq!(pair.engine.counters().market_connects, 2);
    pair.market.book_ticker(Quote { update_id: 200, ..QUOTE });
    pair.step();
    pair.publish(&feed::whale(1));
    assert_eq!(pair.venue.saw("order.place").len(), 1);
}

#[test]
fn a_silent_stream_is_pinged_then_dropped() {
    let timers = Timers { ping_interval_ns: 2 * S, venue_silence_ns: 5 * S, ..Timers::default() };
    let mut pair = Pair::trading(Config { timers, ..config(BookSetup::default()) });
    let pings = pair.market.pings;
    pair.market.mute = true;
    pair.advance(2 * S);
    assert_eq!(pair.market.pings, pings + 1);
    pair.advance(3 * S);
    assert!(pair.has(|e| matches!(e, Event::MarketLost { cause: VenueLoss::Silent, .. })));
}

#[test]
fn server_shutdown_rotates_the_stream_at_once() {
    let mut pair = streaming(BookSetup::default());
    pair.market.book_ticker(QUOTE);
    pair.market.server_shutdown();
    pair.step();
    assert_eq!(pair.market.closes, 1, "the engine closed the old connection");
    assert_eq!(pair.market.connections, 2, "and opened the next at once");
    assert_eq!(pair.engine.market_state(), Some(MarketState::Streaming));
    assert!(!pair.has(|e| matches!(e, Event::MarketLost { .. })));
}

#[test]
fn shutdown_closes_the_stream_too() {
    let mut pair = streaming(BookSetup::default());
    pair.engine.shutdown(pair.now);
    pair.step();
    assert!(pair.engine.is_finished(), "{:?}", pair.events);
    assert_eq!(pair.engine.market_state(), Some(MarketState::Closed));
    assert_eq!(pair.market.closes, 1);
}

/// The market peer as Coinbase's feed.
fn coinbase() -> BookSetup {
    BookSetup { feed: MarketFeed::Coinbase, ..BookSetup::default() }
}

/// `MarketLost` delays, in order.
fn market_delays(pair: &Pair) -> Vec<(VenueLoss, u64)> {
    pair.events
        .iter()
        .filter_map(|e| match e {
            Event::MarketLost { cause, delay_ns } => Some((cause.clone(), *delay_ns)),
            _ => None,
        })
        .collect()
}

#[test]
fn coinbase_is_subscribed_after_the_upgrade_and_its_ticker_prices_orders() {
    let mut pair = streaming(coinbase());
    let upgrade = pair.market.upgrades[0].to_ascii_lowercase();
    assert!(upgrade.starts_with("get / http/1.1\r\n"), "{upgrade}");
    assert!(!upgrade.contains("x-mbx-apikey"), "{upgrade}");
    assert_eq!(pair.market.texts.len(), 1, "one subscribe: {:?}", pair.market.texts);
    let subscribe: serde_json::Value = serde_json::from_str(&pair.market.texts[0]).unwrap();
    assert_eq!(
        subscribe,
        serde_json::json!({ "type": "subscribe", "product_ids": ["BTCUSDT"], "channels": ["ticker"] })
    );
    pair.market.heartbeat(90);
    pair.market.ticker(QUOTE);
    pair.step();
    assert_eq!(pair.engine.counters().book_updates, 1);
    assert_eq!(
        pair.engine.book().touch().map(|t| (t.update_id, t.bid.price, t.ask.price, t.ask.qty)),
        Some((100, 9_000_000, 9_000_001, 27_500))
    );
    pair.publish(&feed::whale(0));
    let (side, price) = &placed(&pair)[0];
    assert_eq!(price, if side == "BUY" { "0090000.06" } else { "0089999.95" });
    // A ticker with an older sequence changes nothing.
    pair.market.ticker(Quote { update_id: 99, bid: 8_000_000, ..QUOTE });
    pair.step();
    assert_eq!(pair.engine.book().touch().map(|t| t.bid.price), Some(9_000_000));
}

#[test]
fn coinbase_tickers_of_another_product_and_bad_messages_are_reported_not_priced() {
    let mut pair = streaming(coinbase());
    pair.market.ticker_for("ETH-USD", QUOTE);
    pair.market.raw_text(r#"{"type":"ticker","sequence":7,"product_id":"BTCUSDT","best_bid":"90000.00"}"#);
    pair.market.raw_text(r#"{"type":"l2update","product_id":"BTCUSDT","changes":[]}"#);
    pair.market.raw_text(r#"{"sequence":8}"#);
    pair.step();
    assert!(pair.has(|e| matches!(e, Event::BadMarketFrame(MarketError::Invalid(TickerField::Symbol)))));
    assert!(pair.has(|e| matches!(e, Event::BadMarketFrame(MarketError::Missing(TickerField::BidQty)))));
    assert!(pair.has(|e| matches!(e, Event::BadMarketFrame(MarketError::Missing(TickerField::Type)))));
    let bad = pair.events.iter().filter(|e| matches!(e, Event::BadMarketFrame(_))).count();
    assert_eq!(bad, 3, "an unknown type is skipped, not reported: {:?}", pair.events);
    assert_eq!(pair.engine.book().touch(), None);
    assert_eq!(pair.engine.market_state(), Some(MarketState::Streaming));
}

#[test]
fn a_coinbase_error_drops_the_feed_and_only_a_confirmed_subscription_resets_the_backoff() {
    let timers = Timers { reconnect_min_ns: 100 * MS, reconnect_max_ns: 10 * S, ..Timers::default() };
    let mut pair = Pair::trading(Config { timers, ..config(coinbase()) });
    pair.market.ticker(QUOTE);
    pair.market.confirm = false;
    pair.market.feed_error("Failed to subscribe", "BTCUSDT is not a valid product");
    pair.step();
    let text = pair.events.iter().find_map(|e| match e {
        Event::MarketErrorMessage { text } => Some(text.as_str()),
        _ => None,
    });
    assert_eq!(text, Some("Failed to subscribe: BTCUSDT is not a valid product"));
    assert_eq!(pair.engine.book().touch(), None, "a dropped feed's book is not trusted");
    let [(VenueLoss::ErrorMessage, first)] = market_delays(&pair)[..] else { panic!("{:?}", pair.events) };
    assert!((100 * MS..=125 * MS).contains(&first), "{first}");
    // Reconnected and subscribed again, unconfirmed: the next wait doubles.
    pair.advance(first);
    assert_eq!((pair.market.connections, pair.market.texts.len()), (2, 2));
    pair.market.feed_error("Failed to subscribe", "BTCUSDT is not a valid product");
    pair.step();
    let second = market_delays(&pair)[1].1;
    assert!((200 * MS..=250 * MS).contains(&second), "{second}");
    // Confirmed this time: the next failure waits the minimum again.
    pair.market.confirm = true;
    pair.advance(second);
    assert_eq!(pair.market.texts.len(), 3);
    pair.market.feed_error("ErrSlowConsume", "too many backed up messages");
    pair.step();
    let third = market_delays(&pair)[2].1;
    assert!((100 * MS..=125 * MS).contains(&third), "{third}");
    assert_eq!(pair.engine.counters().market_connects, 3);
}
