//! Fuzz body for the whole engine facade: any interleaving of feed bytes
//! from two nodes, venue bytes, market-data bytes, timer firings,
//! reconnects, shutdown, the kill switch and dry runs of the fire path,
//! with orders priced from the market-data stream's book (Binance's
//! stream or Coinbase's feed, as the first byte picks).
//! The TLS handshake is skipped (fixed keys the input never seals under),
//! so venue bytes meet the record layer's authentication. Nothing may
//! panic, the event queue stays bounded, and since no venue answer can
//! pass that check, no order may ever leave.

use hotline_core::engine::{BookPricing, Engine, MarketFeed, NoStamp, Pricing, Settings, Stream, Timers};
use hotline_core::order::{Decimal, Instrument, OrderType, Scale, Side, TimeInForce};
use hotline_core::risk::Limits;
use hotline_core::sign::HmacKey;
use hotline_core::strategy::whale::Rules;
use hotline_core::tls::{Client, Storage};
use hotline_core::venue::binance::{Auth, PlaceOrder, TimeUnit};
use hotline_core::venue::{self, binance};

/// Nodes the fuzzed engine reads: two, so first and later arrivals and
/// covered gaps are reached.
const NODES: usize = 2;

/// Commands of three bytes' header: operation, then a big-endian length of
/// the bytes that follow (feed and venue input) or an argument.
pub fn engine_streams(data: &[u8]) {
    let key = HmacKey::new(b"fuzz");
    let (market_feed, path) = match data.first() {
        Some(b) if b & 0x40 != 0 => (MarketFeed::Coinbase, "/"),
        _ => (MarketFeed::Binance, "/ws/btcusdt@bookTicker"),
    };
    let settings = Settings {
        host: "example.com",
        path: "/ws-api/v3",
        venue: venue::Settings::Binance(binance::Settings {
            order: PlaceOrder {
                instrument: Instrument {
                    symbol: "BTCUSDT",
                    price: Decimal { int_digits: 7, decimals: 2 },
                    quantity: Decimal { int_digits: 3, decimals: 5 },
                },
                side: Side::Buy,
                order_type: OrderType::Limit(TimeInForce::Ioc),
                resp_type: None,
                client_order_id: Some(16),
            },
            auth: Auth::Hmac { api_key: "key", key: &key },
            time_unit: TimeUnit::Millis,
            recv_window: None,
        }),
        sizing: hotline_core::strategy::whale::Sizing { base_qty: 1, max_qty: 10 },
        ladder: hotline_core::engine::Ladder::SINGLE,
        pricing: Pricing::Book(BookPricing {
            offset_ticks: 5,
            max_age_ns: 1_000_000_000,
            feed: market_feed,
            host: "stream.example.com",
            path,
            headers: &[],
            symbol: "BTCUSDT",
            scale: Scale { price: 2, qty: 5 },
        }),
        max_tx_bytes: 4096,
        nodes: NODES,
        timers: Timers::default(),
        unix_offset_ns: 1_700_000_000_000_000_000,
        first_client_order_id: 1,
        user_data: data.first().is_some_and(|b| b & 0x80 != 0),
    };
    let mut storage = Box::new(Storage::new());
    let link = Client::new(&mut storage, crate::tls::handover());
    let mut market_storage = Box::new(Storage::new());
    let market_link = Client::new(&mut market_storage, crate::tls::handover());
    let mut market_message = vec![0u8; 4096];
    let mut feed = vec![0u8; 8192 * NODES];
    let mut message = vec![0u8; 4096];
    let Ok(mut engine) = Engine::new(
        settings,
        Rules { cooldown_ns: 0, ..Rules::default() },
        Limits::new(10, u128::MAX, 100),
        link,
        NoStamp,
        &mut feed,
        &mut message,
        [9; 32],
    ) else {
        panic!("the engine builds");
    };
    if engine.attach_market(market_link, &mut market_message).is_err() {
        panic!("the market stream attaches");
    }
    let mut now = 1_000_000_000u64;
    for node in 0..NODES {
        engine.feed_connected(node, now);
    }
    engine.venue_connected(now);
    engine.market_connected(now);
    let mut out = vec![0u8; 64 * 1024];
    let mut rest = data;
    while let [op, hi, lo, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*hi, *lo]));
        let (input, next) = tail.split_at(len.min(tail.len()));
        rest = next;
        now += 1_000;
        let node = usize::from(op / 11) % NODES;
        match op % 11 {
            0 => {
                let _ = engine.handle_feed(node, now, input);
            }
            1 => engine.handle_venue(now, input),
            2 => now += (len as u64) * 1_000_000,
            3 => engine.feed_closed(node, now),
            4 => engine.feed_connected(node, now),
            5 => engine.venue_closed(now),
            6 => engine.venue_connected(now),
            7 => engine.handle_market(now, input),
            8 => engine.market_closed(now),
            9 => engine.market_connected(now),
            _ if len % 2 == 0 => engine.shutdown(now),
            _ => engine.kill(now),
        }
        if engine.poll_timeout().is_some_and(|t| t <= now) {
            engine.handle_timeout(now);
        }
        // A dry run between any two steps sends nothing.
        engine.warm(now);
        for stream in (0..NODES).map(Stream::Feed).chain([Stream::Venue, Stream::Market]) {
            let mut rounds = 0;
            while engine.poll_transmit(now, stream, &mut out).is_some() {
                rounds += 1;
                assert!(rounds < 1_000, "poll_transmit never runs dry");
            }
        }
        let mut events = 0;
        while engine.poll_event().is_some() {
            events += 1;
        }
        assert!(events <= 64 + 32, "more events than the queues hold");
        assert_eq!(engine.counters().orders_sent, 0, "an order left without a venue answer");
    }
}
