//! The market streams as a client sees them: the JSON `<symbol>@bookTicker` payload of web-socket-streams.md and the
//! SBE `<symbol>@bestBidAsk` event of sbe-market-data-streams.md (decoded here by hand from the schema's offsets, not
//! with the sim's encoder), the current touch first and then every update, the `X-MBX-APIKEY` rule, and
//! `serverShutdown`.

mod common;

use std::time::Duration;

use common::{NOW, connect, fixed, next, recv, try_connect};
use hotline_sim::{MarketConfig, Sim, SimConfig};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{self, Message};

/// One `BestBidAskStreamEvent`, read from the bytes with the offsets of `stream_1_0.xml`.
#[derive(Debug, PartialEq, Eq)]
struct BestBidAsk {
    event_time_us: i64,
    update_id: i64,
    exponents: (i8, i8),
    bid: (i64, i64),
    ask: (i64, i64),
    symbol: String,
}

fn decode(bytes: &[u8]) -> BestBidAsk {
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    assert_eq!((u16_at(0), u16_at(2), u16_at(4), u16_at(6)), (50, 10001, 1, 0), "header");
    let i64_at = |at: usize| i64::from_le_bytes(bytes[8 + at..16 + at].try_into().expect("8 bytes"));
    let len = usize::from(bytes[58]);
    assert_eq!(bytes.len(), 59 + len, "nothing after the symbol");
    BestBidAsk {
        event_time_us: i64_at(0),
        update_id: i64_at(8),
        exponents: (bytes[24] as i8, bytes[25] as i8),
        bid: (i64_at(18), i64_at(26)),
        ask: (i64_at(34), i64_at(42)),
        symbol: String::from_utf8(bytes[59..].to_vec()).expect("UTF-8 symbol"),
    }
}

fn binary(ws: &mut common::Client) -> Vec<u8> {
    match next(ws) {
        Message::Binary(bytes) => bytes.to_vec(),
        other => panic!("expected a binary frame, got {other:?}"),
    }
}

#[test]
fn book_ticker_sends_the_current_touch_then_every_update() {
    let sim = Sim::start(fixed()).expect("sim");
    assert_eq!(sim.market_path(true), "/ws/btcusdt@bookTicker");
    let mut ws = connect(&sim, &sim.market_path(true));
    let first = match next(&mut ws) {
        Message::Text(text) => text.as_str().to_owned(),
        other => panic!("expected text, got {other:?}"),
    };
    assert_eq!(
        first,
        r#"{"u":1,"s":"BTCUSDT","b":"90000.00000000","B":"2.00000000","a":"90000.01000000","A":"2.00000000"}"#
    );
    let touch = sim.set_touch("90001.5", "0.5", "90002.00", "0.00001").expect("touch");
    assert_eq!(
        (touch.update_id, touch.bid, touch.bid_qty, touch.ask, touch.ask_qty),
        (2, 9_000_150, 50_000, 9_000_200, 1)
    );
    assert_eq!(sim.touch(), Some(touch));
    assert_eq!(
        recv(&mut ws),
        json!({"u": 2, "s": "BTCUSDT", "b": "90001.50000000", "B": "0.50000000", "a": "90002.00000000", "A": "0.00001000"})
    );
    // A second connection starts from the touch of now.
    let mut late = connect(&sim, &sim.market_path(true));
    assert_eq!(recv(&mut late)["u"], 2);
    sim.set_touch("1", "1", "2", "1").expect("touch");
    assert_eq!(recv(&mut late)["u"], 3);
    assert_eq!(recv(&mut ws)["u"], 3);
}

#[test]
fn best_bid_ask_is_sbe_with_microsecond_time_and_exponents() {
    let sim = Sim::start(fixed()).expect("sim");
    let path = sim.market_path(false);
    assert_eq!(path, "/ws/btcusdt@bestBidAsk");
    let mut ws = common::try_connect(&sim, &path, &[("X-MBX-APIKEY", "any-ed25519-key")]).expect("upgrade");
    let first = binary(&mut ws);
    assert_eq!(first.len(), 66);
    assert_eq!(
        decode(&first),
        BestBidAsk {
            event_time_us: NOW * 1000,
            update_id: 1,
            exponents: (-2, -5),
            bid: (9_000_000, 200_000),
            ask: (9_000_001, 200_000),
            symbol: "BTCUSDT".to_owned(),
        }
    );
    sim.set_touch("89999.99", "0.12345", "90000.00", "3").expect("touch");
    let second = decode(&binary(&mut ws));
    assert_eq!((second.update_id, second.bid, second.ask), (2, (8_999_999, 12_345), (9_000_000, 300_000)));
}

#[test]
fn exponents_follow_the_configured_decimals() {
    let market = MarketConfig {
        price_decimals: 8,
        qty_decimals: 8,
        start_bid: "0.00001234".to_owned(),
        ..MarketConfig::default()
    };
    let sim = Sim::start(SimConfig { market: Some(market), ..fixed() }).expect("sim");
    let mut ws = try_connect(&sim, &sim.market_path(false), &[("X-MBX-APIKEY", "k")]).expect("upgrade");
    let event = decode(&binary(&mut ws));
    assert_eq!((event.exponents, event.bid, event.ask.0), ((-8, -8), (1234, 200_000_000), 1235));
}

#[test]
fn best_bid_ask_without_an_api_key_header_is_refused_with_400() {
    let sim = Sim::start(fixed()).expect("sim");
    match try_connect(&sim, &sim.market_path(false), &[]) {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 400),
        other => panic!("expected HTTP 400, got {:?}", other.map(|_| ())),
    }
    match try_connect(&sim, "/ws/ethusdt@bookTicker", &[]) {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 404),
        other => panic!("expected HTTP 404, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn the_path_moves_on_the_system_clock_with_increasing_ids() {
    let market = MarketConfig { interval: Some(Duration::from_millis(2)), seed: 99, ..MarketConfig::default() };
    let sim = Sim::start(SimConfig { market: Some(market), ..SimConfig::default() }).expect("sim");
    let mut json = connect(&sim, &sim.market_path(true));
    let mut sbe = try_connect(&sim, &sim.market_path(false), &[("X-MBX-APIKEY", "k")]).expect("upgrade");
    let mut last = 0;
    for _ in 0..30 {
        let ticker: Value = recv(&mut json);
        let id = ticker["u"].as_u64().expect("u");
        assert!(id > last, "{id} after {last}");
        last = id;
        let bid: f64 = ticker["b"].as_str().expect("b").parse().expect("price");
        let ask: f64 = ticker["a"].as_str().expect("a").parse().expect("price");
        assert!((ask - bid - 0.01).abs() < 1e-6 && (bid - 90_000.0).abs() < 10.0, "{ticker}");
    }
    let mut last = 0;
    for _ in 0..30 {
        let event = decode(&binary(&mut sbe));
        assert!(event.update_id > last);
        last = event.update_id;
    }
}

#[test]
fn server_shutdown_reaches_market_connections_as_raw_json() {
    let sim = Sim::start(fixed()).expect("sim");
    let mut json = connect(&sim, &sim.market_path(true));
    let mut sbe = try_connect(&sim, &sim.market_path(false), &[("X-MBX-APIKEY", "k")]).expect("upgrade");
    assert_eq!(recv(&mut json)["u"], 1);
    binary(&mut sbe);
    sim.send_server_shutdown();
    assert_eq!(recv(&mut json), json!({"e": "serverShutdown", "E": NOW}));
    assert_eq!(recv(&mut sbe), json!({"e": "serverShutdown", "E": NOW}));
}
