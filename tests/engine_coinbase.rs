//! The whole engine on Coinbase Exchange's FIX order entry, end to end:
//! the io_uring loop (`hotline::driver::run`) trading on whales from the
//! mempool replayer (a real libzmq publisher) against `tools/fix-acceptor`
//! (QuickFIX, an independent FIX 5.0 SP2 implementation playing Coinbase's
//! gateway: signed Logon, one-level book, fill journal) behind stunnel's
//! TLS. The engine's Logon must pass QuickFIX's session checks and the
//! acceptor's signature check; its NewOrderSingles must pass QuickFIX's
//! data dictionary; every order must be answered once; the fills the
//! engine counted, and the position they add up to, must be the acceptor's
//! journal. The counting allocator is this binary's global allocator, and
//! the fire path runs dry while idle: neither the FIX path nor its dry
//! runs may allocate, and a dry run must not take a MsgSeqNum. Priced from
//! the market, the engine reads the acceptor's book from the launcher's
//! Coinbase-shaped feed (rustls + tungstenite, the same certificate as
//! stunnel's): it must subscribe to the `ticker` channel, price each IOC
//! limit through the published touch, and fill at the acceptor's price,
//! with neither the ticker path allocating.

#[allow(dead_code)]
mod engine_support;
#[allow(dead_code)]
mod tls_support;

use base64::Engine as _;
use engine_support::{FIRST_ID, Feed, Scenario, WHALES_PER_LOOP, drive};
use fix_support::{KEY, Options, PASSPHRASE, Peer, Reset, SECRET_B64, Tls, TlsVersion};
use hotline::clock::Clock;
use hotline::driver::{MarketPlan, Plan, Report};
use hotline::net::ring::RingConfig;
use hotline::net::socket::SocketOptions;
use hotline::tls::Versions;
use hotline_core::engine::{
    BookPricing, Event, Ladder, MarketFeed, MarketState, Pricing, Settings, UnknownCause, VenueLoss, VenueState,
};
use hotline_core::order::{Decimal, Instrument, OrderType, Side, TimeInForce, read_decimal};
use hotline_core::risk::{self, KillCause, Limits, RateLimit};
use hotline_core::sign::HmacKey;
use hotline_core::strategy::whale::Sizing;
use hotline_core::venue::coinbase::logon::{CancelOnDisconnect, Credentials, LogonParams};
use hotline_core::venue::{self, coinbase};
use hotline_fix_acceptor as fix_support;
use tls_support::{Alg, Flaws};

#[global_allocator]
static ALLOCATOR: hotline::alloc_count::CountingAlloc = hotline::alloc_count::CountingAlloc;

/// Coinbase's BTC-USD: prices to the cent, sizes to 10^-8 BTC.
const BTC_USD: Instrument<'static> = Instrument {
    symbol: "BTC-USD",
    price: Decimal { int_digits: 7, decimals: 2 },
    quantity: Decimal { int_digits: 4, decimals: 8 },
};

/// The acceptor's default book, in ticks: bid 60 000.00, ask 60 010.00.
const BID: u64 = 6_000_000;
const ASK: u64 = 6_001_000;
const MID: u64 = 6_000_500;
/// Ticks through the touch when priced from the ticker.
const OFFSET: u64 = 3;

/// What one run against the acceptor did.
struct Run {
    report: Report,
    events: Vec<Event>,
    journal: Vec<fix_support::Fill>,
    published: u64,
    /// Orders the acceptor acknowledged, by its own message log.
    accepted: u64,
    /// NewOrderBatch messages the acceptor received.
    batches: u64,
    /// QuickFIX's session event log.
    event_log: String,
    /// Subscriptions the ticker feed accepted.
    subscriptions: u64,
}

/// Where a run's orders are priced from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Priced {
    /// At the acceptor's bid, a constant.
    Fixed,
    /// Through the touch on the acceptor's ticker feed.
    Ticker,
}

/// `loops` passes of the demo capture against the acceptor behind stunnel
/// offering `version`: IOC limits at the bid, or [`OFFSET`] ticks through
/// the ticker's touch, so sells fill up to the bid's depth (the demo
/// capture's whales all sell).
fn run(loops: u32, version: TlsVersion, priced: Priced) -> Run {
    run_case(Case { loops, version, priced, ..Case::default() })
}

/// One run's settings beyond [`run`]'s.
struct Case {
    loops: u32,
    version: TlsVersion,
    priced: Priced,
    /// The acceptor's options (its TLS is stunnel's, set here).
    acceptor: Options,
    /// ResetSeqNumFlag at every Logon.
    reset_seq: bool,
    order_type: OrderType,
    /// The risk gate's loss limit.
    max_loss: Option<u128>,
    /// Orders per signal.
    ladder: Ladder,
}

impl Default for Case {
    fn default() -> Self {
        Self {
            loops: 1,
            version: TlsVersion::Tls13,
            priced: Priced::Fixed,
            acceptor: Options::default(),
            reset_seq: true,
            order_type: OrderType::Limit(TimeInForce::Ioc),
            max_loss: None,
            ladder: Ladder::SINGLE,
        }
    }
}

fn run_case(case: Case) -> Run {
    let Case { loops, version, priced, acceptor, reset_seq, order_type, max_loss, ladder } = case;
    let chain = tls_support::chain(Alg::Rsa2048, Flaws::default());
    let tls = Tls {
        version,
        cert_chain_pem: format!("{}{}", chain.leaf_pem, chain.intermediate_pem),
        key_pem: chain.leaf_key_pem.clone(),
    };
    let ticker = priced == Priced::Ticker;
    let peer = Peer::start(Options { tls: Some(tls), ticker, ..acceptor }).expect("the acceptor starts");
    let scenario = Scenario {
        limits: Limits {
            max_open_orders: 1_000,
            short_rate: RateLimit { capacity: 1_000, window_ns: 10_000_000_000 },
            max_loss,
            ..Limits::new(10_000_000, u128::MAX, 1_000_000_000)
        },
        ..Scenario::new(loops)
    };
    let feed = Feed::new(&scenario);
    let secret = base64::engine::general_purpose::STANDARD.decode(SECRET_B64).expect("base64 secret");
    let key = HmacKey::new(&secret);
    let clock = Clock::new();
    let settings = Settings {
        host: "localhost",
        path: "/",
        venue: venue::Settings::Coinbase(coinbase::Settings {
            instrument: BTC_USD,
            order_type,
            credentials: Credentials { api_key: KEY, passphrase: PASSPHRASE, secret: &key },
            logon: LogonParams { heartbeat_secs: 10, reset_seq, cancel_on_disconnect: CancelOnDisconnect::Profile },
            id_random: 0x5eed_1234_abcd,
        }),
        // 0.001 BTC per unit of signal, at most 0.01.
        sizing: Sizing { base_qty: 100_000, max_qty: 1_000_000 },
        ladder,
        pricing: match priced {
            Priced::Fixed => Pricing::Fixed { limit: BID, reference: MID },
            Priced::Ticker => Pricing::Book(BookPricing {
                offset_ticks: OFFSET,
                // The feed publishes every 100 ms; no run waits on its age.
                max_age_ns: 60_000_000_000,
                feed: MarketFeed::Coinbase,
                host: "localhost",
                path: "/",
                headers: &[],
                symbol: BTC_USD.symbol,
                scale: BTC_USD.scale(),
            }),
        },
        max_tx_bytes: 4_000_000,
        nodes: 1,
        timers: scenario.timers,
        unix_offset_ns: i64::try_from(clock.unix_offset_ns()).unwrap_or(0),
        first_client_order_id: FIRST_ID,
        user_data: true,
    };
    let plan = Plan {
        feeds: feed.addrs(),
        venue: peer.tls_addr.expect("stunnel's port"),
        server_name: "localhost".to_owned(),
        ca: Some(vec![chain.root.clone()]),
        pins: Vec::new(),
        aes256: false,
        // What the engine offers Coinbase: stunnel picks.
        versions: Versions::Tls12AndTls13,
        sockets: SocketOptions::default(),
        ring: RingConfig::default(),
        spin: false,
        // Dry runs of the fire path while idle.
        warm_every: Some(std::time::Duration::from_micros(50)),
        metrics_listen: None,
        market: peer.ticker_addr.map(|addr| MarketPlan { addr, server_name: "localhost".to_owned() }),
    };
    let journal = || format!("{:?}", peer.journal());
    let (report, events, published) = drive(&plan, settings, feed, &scenario, &clock, &journal);
    let journal = peer.journal().expect("the acceptor's journal");
    let accepted = peer.orders_accepted().expect("QuickFIX's message log");
    let batches = peer.batches_received().expect("QuickFIX's message log");
    let event_log = peer.event_log().expect("QuickFIX's event log");
    let subscriptions = peer.ticker_subscriptions();
    Run { report, events, journal, published, accepted, batches, event_log, subscriptions }
}

/// The acceptor's decimal text in lots or ticks of `decimals` digits.
fn units(text: &str, decimals: u8) -> u64 {
    read_decimal(text.as_bytes(), decimals).unwrap_or_else(|e| panic!("{text}: {e:?}"))
}

/// The engine's fills are the acceptor's journal: the same trades, counted
/// once, adding up to the same position; none missing.
fn assert_fills_are_the_journals(r: &Run) {
    let c = &r.report.counters;
    let mut engine: Vec<(u64, u64, u64, Side)> = r
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Filled { fill, client_order_id: Some(_), .. } => {
                Some((fill.trade_id, fill.qty, fill.price, fill.side))
            }
            _ => None,
        })
        .collect();
    let mut venue: Vec<(u64, u64, u64, Side)> = r
        .journal
        .iter()
        .map(|f| {
            let side = if f.side == "1" || f.side.eq_ignore_ascii_case("buy") { Side::Buy } else { Side::Sell };
            (f.trade_id.parse().expect("trade id"), units(&f.qty, 8), units(&f.price, 2), side)
        })
        .collect();
    engine.sort_unstable_by_key(|f| f.0);
    venue.sort_unstable_by_key(|f| f.0);
    assert!(!venue.is_empty(), "nothing filled: {:?}", r.events);
    assert_eq!(engine, venue);
    assert_eq!(c.fills, venue.len() as u64);
    assert_eq!(c.fills_repeated, 0);
    let position: i128 =
        venue.iter().map(|&(_, qty, _, side)| if side == Side::Buy { i128::from(qty) } else { -i128::from(qty) }).sum();
    assert_eq!(i128::from(r.report.ledger.position()), position);
}

#[test]
fn a_dropped_session_resumes_and_what_it_lost_is_resent_and_counted_once() {
    // The connection drops as the second order reaches the acceptor, which
    // fills it all the same and keeps the reports for a resend.
    let acceptor = Options { reset: Reset::Flag, drop_at_order: Some(2), ..Options::default() };
    let r = run_case(Case { loops: 2, acceptor, reset_seq: false, ..Case::default() });
    let c = &r.report.counters;
    assert!(c.venue_connects >= 2, "{:?}", r.events);
    assert!(r.events.iter().any(|e| matches!(e, Event::VenueLost { .. })), "{:?}", r.events);
    let second = FIRST_ID + 1;
    let unknown = |e: &Event| matches!(e, Event::OrderUnknown { client_order_id, cause: UnknownCause::ConnectionLost } if *client_order_id == second);
    assert!(r.events.iter().any(unknown), "{:?}", r.events);
    assert_eq!(r.accepted, c.orders_sent, "no order was sent twice");
    // The dropped order's fill reached the engine only by the resend.
    assert!(r.event_log.contains("Received ResendRequest"), "{}", r.event_log);
    assert_fills_are_the_journals(&r);
    let filled = |e: &Event| matches!(e, Event::Filled { client_order_id: Some(id), .. } if *id == second);
    assert_eq!(r.events.iter().filter(|e| filled(e)).count(), 1, "{:?}", r.events);
    assert!(
        !r.events.iter().any(|e| matches!(e, Event::FillsMissing { .. })),
        "resent before its status: {:?}",
        r.events
    );
    let done = r.events.iter().filter(|e| matches!(e, Event::OrderDone { .. })).count() as u64;
    assert_eq!(done, c.orders_sent, "every IOC closed: {:?}", r.events);
}

#[test]
fn orders_over_fix_are_answered_once_and_fills_equal_the_acceptors_journal() {
    let loops = 2;
    let r = run(loops, TlsVersion::Tls13, Priced::Fixed);
    let c = &r.report.counters;
    assert_eq!(r.published, 16 * u64::from(loops));
    assert_eq!(c.venue_connects, 1, "{:?}", r.events);
    assert_eq!(r.report.cipher_suite, "TLS_AES_128_GCM_SHA256");
    assert!(!r.events.iter().any(|e| matches!(e, Event::VenueLost { .. })), "{:?}", r.events);
    assert!(r.events.iter().any(|e| matches!(e, Event::VenueState(VenueState::Trading))));
    assert_eq!(c.orders_sent, WHALES_PER_LOOP * u64::from(loops), "{:?}", r.events);
    assert_every_order_answered_once_and_filled_as_journaled(&r);
}

/// Every order sent was acknowledged once, by the engine's count and the
/// acceptor's log, none refused or unknown; fills are the journal's; dry
/// runs ran without taking a MsgSeqNum or allocating; each IOC closed.
fn assert_every_order_answered_once_and_filled_as_journaled(r: &Run) {
    let c = &r.report.counters;
    let acked = r.events.iter().filter(|e| matches!(e, Event::OrderAcked { .. })).count() as u64;
    assert_eq!(acked, c.orders_sent, "every order answered, none refused: {:?}", r.events);
    assert_eq!((c.orders_rejected, c.orders_unknown), (0, 0));
    assert_eq!(r.accepted, c.orders_sent, "the acceptor acknowledged each order once");
    assert_fills_are_the_journals(r);
    assert!(c.dry_runs > 0, "no dry run");
    // A dry run that took a MsgSeqNum would leave a gap QuickFIX asks for.
    assert!(!r.event_log.contains("too high"), "the engine skipped MsgSeqNums:\n{}", r.event_log);
    assert_eq!(r.report.hot_path_allocations, Some(0));
    // Each IOC closes, filled or expired.
    let done = r.events.iter().filter(|e| matches!(e, Event::OrderDone { .. })).count() as u64;
    assert_eq!(done, c.orders_sent, "every IOC closed: {:?}", r.events);
}

/// A ladder of three IOC sells, at the bid and one and two ticks under
/// it, goes out per whale as one NewOrderBatch that passes QuickFIX's data
/// dictionary and the acceptor's batch checks; each order is answered on
/// its own, once, and fills the way the acceptor's journal says.
#[test]
fn a_ladder_goes_out_as_one_new_order_batch_whose_orders_are_answered_each() {
    let r = run_case(Case { ladder: Ladder { orders: 3, step_ticks: 1 }, ..Case::default() });
    let c = &r.report.counters;
    assert_eq!(r.batches, WHALES_PER_LOOP, "one batch per whale: {:?}", r.events);
    assert_eq!(c.orders_sent, 3 * WHALES_PER_LOOP, "{:?}", r.events);
    let prices: Vec<u64> = r
        .events
        .iter()
        .filter_map(|e| match e {
            Event::OrderSent { price, .. } => Some(*price),
            _ => None,
        })
        .collect();
    assert_eq!(&prices[..3], [BID, BID - 1, BID - 2]);
    let timed = r.events.iter().filter(|e| matches!(e, Event::OrderSent { stages: Some(_), .. })).count() as u64;
    assert_eq!(timed, WHALES_PER_LOOP, "one stage sample per request");
    assert_every_order_answered_once_and_filled_as_journaled(&r);
}

#[test]
fn the_same_over_tls_1_2_with_the_suite_coinbase_names() {
    let r = run(1, TlsVersion::Tls12, Priced::Fixed);
    assert_eq!(r.report.cipher_suite, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    let c = &r.report.counters;
    assert_eq!(c.orders_sent, WHALES_PER_LOOP, "{:?}", r.events);
    assert_eq!(c.orders_acked, c.orders_sent);
    assert_eq!(r.accepted, c.orders_sent);
    assert_eq!(c.fills, r.journal.len() as u64);
    assert!(c.fills > 0);
    assert!(!r.events.iter().any(|e| matches!(e, Event::VenueLost { .. })), "{:?}", r.events);
    assert_eq!(r.report.hot_path_allocations, Some(0));
}

#[test]
fn the_kill_switch_cancels_what_rests_with_an_order_mass_cancel_request() {
    // A bid too thin for the first sell: its GTC rest stays on the book,
    // and the first fill's fee is a loss past the limit.
    let book = fix_support::Book { bid_qty: "0.0005".into(), ..fix_support::Book::default() };
    let r = run_case(Case {
        acceptor: Options { book, ..Options::default() },
        order_type: OrderType::Limit(TimeInForce::Gtc),
        max_loss: Some(1),
        ..Case::default()
    });
    let at = |f: &dyn Fn(&Event) -> bool| r.events.iter().position(f);
    let killed = at(&|e| matches!(e, Event::Risk(risk::Event::Killed { cause: KillCause::LossLimit, .. })))
        .unwrap_or_else(|| panic!("the kill switch engaged: {:?}", r.events));
    let sent = at(&|e| matches!(e, Event::CancelAllSent)).expect("a mass cancel went out");
    let answered = at(&|e| matches!(e, Event::CancelAllAnswered { refused: None })).expect("and was accepted");
    assert!(killed < sent && sent < answered, "{:?}", r.events);
    let rest =
        |e: &Event| matches!(e, Event::OrderDone { client_order_id: FIRST_ID, filled: false, filled_qty: 50_000 });
    assert!(r.events.iter().any(rest), "the resting rest was cancelled: {:?}", r.events);
    assert_eq!(r.report.counters.orders_sent, 1, "nothing fires after the kill");
    assert_fills_are_the_journals(&r);
}

#[test]
fn a_fill_lost_with_a_reset_session_is_named_not_hidden() {
    // As above, but every Logon resets the numbers (Coinbase's practice):
    // the acceptor clears the dropped order's reports, so nothing resends
    // its fill. Its status says how much executed.
    let acceptor = Options { drop_at_order: Some(2), ..Options::default() };
    let r = run_case(Case { loops: 2, acceptor, ..Case::default() });
    assert!(r.events.iter().any(|e| matches!(e, Event::VenueLost { .. })), "{:?}", r.events);
    let second = FIRST_ID + 1;
    let journaled: u64 =
        r.journal.iter().filter(|f| f.cl_ord_id.ends_with(&format!("{second:012x}"))).map(|f| units(&f.qty, 8)).sum();
    assert!(journaled > 0, "the dropped order filled at the acceptor: {:?}", r.journal);
    let missing = r.events.iter().find_map(|e| match e {
        Event::FillsMissing { client_order_id, qty } if *client_order_id == second => Some(*qty),
        _ => None,
    });
    assert_eq!(missing, Some(journaled), "{:?}", r.events);
    let filled = |e: &Event| matches!(e, Event::Filled { client_order_id: Some(id), .. } if *id == second);
    assert!(!r.events.iter().any(filled), "no report of it reached the engine: {:?}", r.events);
    // Each order acknowledged once, but the dropped one: the reset cleared
    // its acknowledgement before it was sent.
    assert_eq!(r.accepted + 1, r.report.counters.orders_sent, "{:?}", r.events);
}

#[test]
fn orders_priced_from_the_ticker_fill_at_the_acceptors_touch() {
    let r = run(1, TlsVersion::Tls13, Priced::Ticker);
    let c = &r.report.counters;
    assert_eq!(r.subscriptions, 1, "one subscribe to the feed: {:?}", r.events);
    assert!(r.events.iter().any(|e| matches!(e, Event::MarketState(MarketState::Streaming))));
    assert!(
        !r.events.iter().any(|e| matches!(
            e,
            Event::MarketLost { .. } | Event::BadMarketFrame(_) | Event::MarketErrorMessage { .. }
        )),
        "{:?}",
        r.events
    );
    assert!(c.book_updates > 0, "{c:?}");
    assert_eq!(c.orders_sent, WHALES_PER_LOOP, "{:?}", r.events);
    assert_eq!(r.accepted, c.orders_sent, "the acceptor acknowledged each order once");
    // Each IOC limit went through the touch the feed published: a buy at
    // the ask plus the offset, a sell at the bid minus it, priced from its mid.
    for e in &r.events {
        if let Event::OrderSent { client_order_id, signal, price, mid_half_ticks, .. } = e {
            let expected = if signal.side == Side::Buy { ASK + OFFSET } else { BID - OFFSET };
            assert_eq!(*price, expected, "order {client_order_id}");
            assert_eq!(*mid_half_ticks, Some(BID + ASK));
        }
    }
    assert_fills_are_the_journals(&r);
    // The acceptor fills at its touch, whatever the limit through it.
    for f in &r.journal {
        let touch = if f.side == "buy" { ASK } else { BID };
        assert_eq!(units(&f.price, 2), touch, "{f:?}");
    }
    let done = r.events.iter().filter(|e| matches!(e, Event::OrderDone { .. })).count() as u64;
    assert_eq!(done, c.orders_sent, "every IOC closed: {:?}", r.events);
    assert!(!r.events.iter().any(|e| matches!(e, Event::VenueLost { cause: VenueLoss::Transport, .. })));
    assert_eq!(r.report.hot_path_allocations, Some(0));
}
