//! The whole engine end to end against real peers: the io_uring loop
//! trading against the simulated exchange (`hotline-sim`, an independent
//! rustls + tungstenite implementation of the Binance Spot WebSocket API)
//! on whales from the mempool replayer (`hotline-replay`, a real libzmq
//! publisher). Only what needs real sockets, real TLS and real libzmq is
//! here: orders acknowledged and journaled once, an Ed25519
//! `session.logon`, a dropped connection reconciled with `order.status`
//! over a fresh TLS session, and three libzmq nodes (one gapping, one
//! restarting) fused so that each whale fires once. Every timer, backoff, drain,
//! rotation, rejection and risk scenario runs on the in-memory harness
//! with a fake clock instead (`engine_scenarios`).
//! Every run also checks the accounting: each order sent is settled once
//! and the venue's journal holds exactly the orders the engine counts as
//! placed.

mod engine_support;

use std::time::Duration;

use engine_support::{FIRST_ID, Key, Outcome, Scenario, WHALES_PER_LOOP, run};
use hotline_core::engine::{Event, UnknownCause, VenueLoss, VenueState};
use hotline_core::ledger::Holding;
use hotline_core::order::read_decimal;
use hotline_core::risk::{self, KillCause};
use hotline_replay::Fault;
use hotline_sim::{Faults, MarketConfig, SimConfig};

fn faults(faults: Faults) -> SimConfig {
    SimConfig { faults, ..SimConfig::default() }
}

/// Index of the first event matching `f`.
fn position(o: &Outcome, f: impl Fn(&Event) -> bool) -> Option<usize> {
    o.events.iter().position(f)
}

/// Every order of the run was acknowledged on its first answer.
fn assert_all_acked(o: &Outcome) {
    let sent = o.sent();
    assert!(!sent.is_empty(), "no order was sent: {:?}", o.events);
    assert_eq!(o.acked(), sent, "{:?}", o.events);
    assert_eq!(o.report.counters.orders_rejected, 0);
    assert_eq!(o.report.counters.orders_unknown, 0);
}

#[test]
fn whale_orders_are_acked_and_journaled_once() {
    let loops = 2;
    let o = run(Scenario::new(loops));
    o.assert_accounting();
    assert_all_acked(&o);
    assert_eq!(o.report.counters.orders_sent, WHALES_PER_LOOP * u64::from(loops));
    assert_eq!(o.sent(), (FIRST_ID..FIRST_ID + o.report.counters.orders_sent).collect::<Vec<_>>());
    assert_eq!(o.journal_ids(), o.sent(), "the venue accepted the orders in the order sent");
    assert!(o.journal.iter().all(|j| j.symbol == "BTCUSDT" && j.order_type == "MARKET"));
    assert_eq!(o.report.counters.venue_connects, 1);
    assert_eq!(o.published, 16 * u64::from(loops));
}

/// A sim whose book moves and matches.
fn with_market() -> SimConfig {
    SimConfig { market: Some(MarketConfig::default()), ..SimConfig::default() }
}

#[test]
fn fills_from_the_user_data_stream_equal_the_venues() {
    let mut scenario = Scenario::new(2);
    scenario.sim = with_market();
    let o = run(scenario);
    o.assert_accounting();
    assert_all_acked(&o);
    let sent = o.report.counters.orders_sent;
    // Market orders of 0.001 BTC against 2 BTC at the touch: one fill each.
    assert_eq!(o.fills.len() as u64, sent, "{:?}", o.fills);
    let done = o.events.iter().filter(|e| matches!(e, Event::OrderDone { filled: true, .. })).count();
    assert_eq!(done as u64, sent, "every order closed filled");
    let subscribed = position(&o, |e| matches!(e, Event::VenueState(VenueState::Syncing))).expect("syncing");
    let first_fill = position(&o, |e| matches!(e, Event::Filled { .. })).expect("a fill");
    assert!(subscribed < first_fill);
    assert!(o.report.ledger.realized() < 0, "fees are charged: {:?}", o.report.ledger);
    // The last outboundAccountPosition agrees with the venue's account.
    let venue = |asset: &str| {
        let b = o.balances.iter().find(|b| b.asset == asset).expect("the asset's balance");
        let units = |d: &str| read_decimal(d.as_bytes(), 8).expect("eight decimals");
        Holding { free: units(&b.free), locked: units(&b.locked) }
    };
    let balances = o.report.ledger.balances();
    assert_eq!((balances.base, balances.quote), (Some(venue("BTC")), Some(venue("USDT"))));
}

#[test]
fn the_loss_limit_engages_the_kill_switch() {
    let mut scenario = Scenario::new(2);
    scenario.sim = with_market();
    // One lot × tick: the first fill's fee is a bigger loss.
    scenario.limits.max_loss = Some(1);
    let o = run(scenario);
    o.assert_accounting();
    let first_fill = position(&o, |e| matches!(e, Event::Filled { .. })).expect("a fill");
    let killed = position(&o, |e| matches!(e, Event::Risk(risk::Event::Killed { cause: KillCause::LossLimit, .. })))
        .expect("the kill switch engaged");
    assert!(first_fill < killed);
    let cancel = position(&o, |e| matches!(e, Event::CancelAllSent)).expect("open orders cancelled");
    assert!(killed < cancel);
    // The market order had filled: nothing was open (-2011), and the
    // answer is read, not an unreadable frame.
    let answered = o.events.iter().find_map(|e| match e {
        Event::CancelAllAnswered { refused } => Some(*refused),
        _ => None,
    });
    assert_eq!(answered, Some(Some(-2011)), "{:?}", o.events);
    assert!(!o.events.iter().any(|e| matches!(e, Event::BadFrame(_))));
    assert_eq!(o.report.counters.orders_sent, 1, "nothing fires after the kill");
    assert!(o.report.counters.denied > 0);
}

#[test]
fn trading_goes_on_across_server_key_updates() {
    let mut scenario = Scenario::new(2);
    // The sim asks for a KeyUpdate before every third message: the
    // record layer takes the server's next key and answers with its own.
    scenario.sim = faults(Faults { key_update_every: Some(3), ..Faults::default() });
    let o = run(scenario);
    o.assert_accounting();
    assert_all_acked(&o);
    assert_eq!(o.report.counters.orders_sent, WHALES_PER_LOOP * 2);
    assert_eq!(o.journal_ids(), o.sent(), "every order reached the venue once, in order");
    assert_eq!(o.report.counters.venue_connects, 1, "no reconnect: {:?}", o.events);
    let tls = &o.report.tls;
    assert!(tls.key_updates_received >= 2, "{tls:?}");
    assert!((1..=tls.key_updates_received).contains(&tls.key_updates_sent), "{tls:?}");
}

#[test]
fn dry_runs_while_idle_send_the_venue_nothing() {
    let mut scenario = Scenario::new(2);
    scenario.warm_every = Some(Duration::from_micros(20));
    // KeyUpdates too: a dry run must neither send one early nor seal
    // under a key about to change.
    scenario.sim = faults(Faults { key_update_every: Some(3), ..Faults::default() });
    let o = run(scenario);
    o.assert_accounting();
    assert_all_acked(&o);
    assert!(o.report.counters.dry_runs > 100, "only {} dry runs", o.report.counters.dry_runs);
    assert_eq!(o.report.counters.orders_sent, WHALES_PER_LOOP * 2);
    assert_eq!(o.journal_ids(), o.sent(), "the venue journaled exactly the orders sent, once, in order");
    assert_eq!(o.sent(), (FIRST_ID..FIRST_ID + o.report.counters.orders_sent).collect::<Vec<_>>());
    assert_eq!(o.report.counters.venue_connects, 1, "a dry run broke the connection: {:?}", o.events);
}

#[test]
fn dropped_connection_reconciles_the_order_without_resending_it() {
    let mut scenario = Scenario::new(3);
    scenario.sim = faults(Faults { drop_after_orders: Some(1), ..Faults::default() });
    let o = run(scenario);
    o.assert_accounting();
    // The first order's fill went down with the connection: its status query
    // closed the order at the quantity the venue executed, and the fill was
    // read back from after the account's latest trade when the engine first
    // connected (it had none).
    let done = o.events.iter().find_map(|e| match e {
        Event::OrderDone { client_order_id, filled, filled_qty } if *client_order_id == FIRST_ID => {
            Some((*filled, *filled_qty))
        }
        _ => None,
    });
    assert_eq!(done, Some((true, 100)), "{:?}", o.events);
    let recovered = o.events.iter().find_map(|e| match e {
        Event::FillsRecovered { recovered, complete } => Some((*recovered, *complete)),
        _ => None,
    });
    assert_eq!(recovered, Some((1, true)), "{:?}", o.events);
    let first = *o.sent().first().expect("an order was sent");
    assert!(
        matches!(
            o.fate(first).as_slice(),
            [
                Event::OrderUnknown { cause: UnknownCause::ConnectionLost, .. },
                Event::OrderReconciled { placed: true, .. }
            ]
        ),
        "{:?}",
        o.fate(first)
    );
    let lost = position(&o, |e| matches!(e, Event::VenueLost { .. })).expect("connection lost");
    let unknown = position(&o, |e| matches!(e, Event::OrderUnknown { .. })).expect("unknown");
    let reconciled = position(&o, |e| matches!(e, Event::OrderReconciled { .. })).expect("reconciled");
    let reconnected = lost
        + o.events[lost..]
            .iter()
            .position(|e| matches!(e, Event::VenueState(VenueState::Tls)))
            .expect("a new connection");
    assert!(unknown < reconnected && reconnected < reconciled, "{:?}", o.events);
    assert!(o.report.counters.venue_connects >= 2);
    assert_eq!(o.journal_ids().iter().filter(|&&id| id == first).count(), 1, "the order was resent");
    assert_eq!(o.journal.first().map(|j| j.connection_id), Some(1));
}

#[test]
fn fills_lost_with_a_connection_are_read_back_once() {
    let mut scenario = Scenario::new(3);
    // The second order's fill goes down with the connection; the first
    // one's trade id is where the new connection reads back from.
    scenario.sim = faults(Faults { drop_after_orders: Some(2), ..Faults::default() });
    let o = run(scenario);
    o.assert_accounting();
    let second = FIRST_ID + 1;
    let recovered = o.events.iter().find_map(|e| match e {
        Event::FillsRecovered { recovered, complete } => Some((*recovered, *complete)),
        _ => None,
    });
    assert_eq!(recovered, Some((1, true)), "{:?}", o.events);
    assert_eq!(o.report.counters.fills_recovered, 1);
    let filled: Vec<_> = o
        .events
        .iter()
        .filter(|e| matches!(e, Event::Filled { client_order_id: Some(id), .. } if *id == second))
        .collect();
    assert_eq!(filled.len(), 1, "read back once, under its order: {filled:?}");
    let lost = position(&o, |e| matches!(e, Event::VenueLost { .. })).expect("connection lost");
    let back = position(&o, |e| matches!(e, Event::FillsRecovered { .. })).expect("recovered");
    let trading = lost
        + o.events[lost..].iter().position(|e| matches!(e, Event::VenueState(VenueState::Trading))).expect("trading");
    assert!(lost < back && back < trading, "read back before trading again: {:?}", o.events);
    // The sim's `openOrders.status` answer read: its market orders never
    // rest, so none is open.
    let listed =
        lost + o.events[lost..].iter().position(|e| matches!(e, Event::OpenOrdersListed { .. })).expect("listed");
    assert!(matches!(o.events[listed], Event::OpenOrdersListed { held: 0, others: 0 }), "{:?}", o.events[listed]);
    assert!(listed < back, "{:?}", o.events);
}

#[test]
fn ed25519_session_logon_then_trades() {
    let seed = [7u8; 32];
    let public_key = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().to_bytes();
    let mut scenario = Scenario::new(2);
    scenario.sim = SimConfig {
        hmac_keys: Vec::new(),
        ed25519_keys: vec![hotline_sim::Ed25519Key { api_key: "hotline-e2e-ed25519".to_owned(), public_key }],
        ..SimConfig::default()
    };
    scenario.key = Key::Ed25519 { api_key: "hotline-e2e-ed25519", seed };
    let o = run(scenario);
    o.assert_accounting();
    assert_all_acked(&o);
    let logon = position(&o, |e| matches!(e, Event::VenueState(VenueState::LoggingOn))).expect("logging on");
    let trading = position(&o, |e| matches!(e, Event::VenueState(VenueState::Trading))).expect("trading");
    assert!(logon < trading);
    assert_eq!(o.report.counters.orders_sent, 2 * WHALES_PER_LOOP);
    assert!(!o.events.iter().any(|e| matches!(e, Event::VenueLost { cause: VenueLoss::LogonRefused(_), .. })));
}

#[test]
fn three_nodes_one_gapping_one_restarted_fire_each_whale_once() {
    let loops = 2;
    let nodes = vec![Vec::new(), vec![Fault::Gap { at: 5 }], vec![Fault::Restart { at: 9 }]];
    let o = run(Scenario { nodes, ..Scenario::new(loops) });
    o.assert_accounting();
    assert_all_acked(&o);
    assert_eq!(o.report.counters.orders_sent, WHALES_PER_LOOP * u64::from(loops), "a whale fired twice or never");
    let per_node = o.published / 3;
    assert_eq!(o.report.counters.txs_seen, 3 * per_node);
    assert!(o.events.iter().any(|e| matches!(e, Event::FeedGap { node: 1, covered: true, .. })), "{:?}", o.events);
    assert!(o.events.iter().any(|e| matches!(e, Event::FeedRestart { node: 2, covered: true })), "{:?}", o.events);
    assert!(
        !o.events.iter().any(|e| matches!(e, Event::Risk(risk::Event::Killed { cause: KillCause::FeedGap, .. }))),
        "a covered gap stopped trading"
    );
    assert_eq!(o.report.counters.feed_gaps, 0);
    let nodes = &o.report.nodes;
    assert_eq!(nodes.len(), 3);
    for (i, n) in nodes.iter().enumerate() {
        assert_eq!(n.first_seen + n.later_seen, per_node, "node {i}: {n:?}");
    }
    assert_eq!((nodes[1].gaps, nodes[2].restarts), (1, 1));
    assert_eq!(o.report.counters.txs_duplicate, nodes.iter().map(|n| n.later_seen).sum::<u64>());
}
