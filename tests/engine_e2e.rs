//! The whole engine end to end: the io_uring loop trading against the
//! simulated exchange (`hotline-sim`, an independent rustls + tungstenite
//! implementation of the Binance Spot WebSocket API) on whales from the
//! mempool replayer (`hotline-replay`, a real libzmq publisher), one
//! scenario per test: orders acknowledged and journaled once, a rejection,
//! a bad signature, a dropped connection and a stalled ack reconciled with
//! `order.status`, a `serverShutdown` rotation, a skewed venue clock, the
//! operator's kill switch, a feed gap, a shutdown that queries a stalled
//! order before closing, and an Ed25519 `session.logon`.
//! Every run also checks the accounting: each order sent is settled once
//! and the venue's journal holds exactly the orders the engine counts as
//! placed.

mod engine_support;

use std::time::Duration;

use engine_support::{FIRST_ID, Feed, Key, Outcome, Scenario, WHALES_PER_LOOP, run, until_settled};
use hotline::driver::Command;
use hotline_core::engine::{Event, UnknownCause, VenueLoss, VenueState};
use hotline_core::risk::{self, KillCause, Reason};
use hotline_sim::{DOC_API_KEY, Faults, SimClock, SimConfig};

fn faults(faults: Faults) -> SimConfig {
    SimConfig { faults, ..SimConfig::default() }
}

/// Index of the first event matching `f`.
fn position(o: &Outcome, f: impl Fn(&Event) -> bool) -> Option<usize> {
    o.events.iter().position(f)
}

fn count(events: &[Event], f: impl Fn(&Event) -> bool) -> usize {
    events.iter().filter(|e| f(e)).count()
}

fn is_sent(e: &Event) -> bool {
    matches!(e, Event::OrderSent { .. })
}

fn is_kill_switch_denial(e: &Event) -> bool {
    matches!(e, Event::Risk(risk::Event::Denied { reason: Reason::KillSwitch, .. }))
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
    let o = run(Scenario::new(loops), until_settled);
    o.assert_accounting();
    assert_all_acked(&o);
    assert_eq!(o.report.counters.orders_sent, WHALES_PER_LOOP * u64::from(loops));
    assert_eq!(o.sent(), (FIRST_ID..FIRST_ID + o.report.counters.orders_sent).collect::<Vec<_>>());
    assert_eq!(o.journal_ids(), o.sent(), "the venue accepted the orders in the order sent");
    assert!(o.journal.iter().all(|j| j.symbol == "BTCUSDT" && j.order_type == "MARKET"));
    assert_eq!(o.report.counters.venue_connects, 1);
    assert_eq!(o.published, 16 * u64::from(loops));
}

#[test]
fn rejected_order_is_not_journaled() {
    let mut scenario = Scenario::new(2);
    scenario.sim = faults(Faults { reject_every: Some(2), ..Faults::default() });
    let o = run(scenario, until_settled);
    o.assert_accounting();
    let rejected: Vec<u64> = o
        .events
        .iter()
        .filter_map(|e| match e {
            Event::OrderRejected { client_order_id, code } => {
                assert_eq!(*code, -2010, "{e:?}");
                Some(*client_order_id)
            }
            _ => None,
        })
        .collect();
    let sent = o.sent();
    assert_eq!(rejected, sent.iter().copied().skip(1).step_by(2).collect::<Vec<_>>(), "every second order");
    let journal = o.journal_ids();
    assert!(rejected.iter().all(|id| !journal.contains(id)), "a rejected order is in the journal");
    assert_eq!(journal.len() + rejected.len(), sent.len());
    // Accepts in between reset the reject streak: no kill.
    assert_eq!(count(&o.events, |e| matches!(e, Event::Risk(_))), 0, "{:?}", o.events);
}

#[test]
fn bad_signature_kills_and_later_whales_are_denied() {
    let mut scenario = Scenario::new(2);
    scenario.key = Key::WrongSecret;
    let o = run(scenario, until_settled);
    o.assert_accounting();
    let first = *o.sent().first().expect("an order was sent");
    assert!(matches!(o.fate(first).as_slice(), [Event::OrderRejected { code: -1022, .. }]), "{:?}", o.fate(first));
    let rejected = position(&o, |e| matches!(e, Event::OrderRejected { code: -1022, .. })).expect("rejection");
    let killed = position(&o, |e| matches!(e, Event::Risk(risk::Event::Killed { .. }))).expect("kill switch");
    assert!(killed > rejected, "the kill switch engaged before the -1022");
    let after = &o.events[killed..];
    assert_eq!(count(after, is_sent), 0, "an order left after the kill switch: {after:?}");
    assert!(count(after, is_kill_switch_denial) >= 1, "no whale was denied after the kill: {after:?}");
    assert!(o.journal.is_empty(), "the venue accepted a badly signed order");
    assert!(o.acked().is_empty());
    assert!(
        after.iter().any(|e| matches!(e, Event::Risk(risk::Event::Killed { cause: KillCause::BadSignature, .. }))),
        "{after:?}"
    );
    // What was signed, as EXCHANGES.md §1.3 builds it: every param but the
    // signature, sorted by name, `k=v` joined by `&`.
    let [(id, payload)] = o.signature_payloads.as_slice() else { panic!("{:?}", o.signature_payloads) };
    assert_eq!(*id, first);
    let names: Vec<&str> = payload.split('&').map(|kv| kv.split_once('=').expect("k=v").0).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "{payload}");
    assert!(!names.contains(&"signature"), "{payload}");
    assert!(payload.contains(&format!("newClientOrderId={first:016}")), "{payload}");
    assert!(payload.contains(&format!("apiKey={DOC_API_KEY}")) && payload.contains("symbol=BTCUSDT"), "{payload}");
}

#[test]
fn dropped_connection_reconciles_the_order_without_resending_it() {
    let mut scenario = Scenario::new(3);
    scenario.sim = faults(Faults { drop_after_orders: Some(1), ..Faults::default() });
    let o = run(scenario, until_settled);
    o.assert_accounting();
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
fn server_shutdown_rotates_without_losing_an_order() {
    let mut scenario = Scenario::new(3);
    scenario.sim = faults(Faults { shutdown_after_orders: Some(1), ..Faults::default() });
    let o = run(scenario, until_settled);
    o.assert_accounting();
    assert_all_acked(&o);
    let rotating = position(&o, |e| matches!(e, Event::Rotating)).expect("rotation");
    let second = o
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, Event::VenueState(VenueState::Trading)))
        .map(|(i, _)| i)
        .nth(1)
        .expect("trading on a second connection");
    assert!(rotating < second);
    assert!(
        !o.events.iter().any(|e| matches!(e, Event::VenueLost { .. })),
        "the rotation was not clean: {:?}",
        o.events
    );
    assert!(o.report.counters.venue_connects >= 2);
    assert!(o.events[second..].iter().any(|e| matches!(e, Event::OrderAcked { .. })), "no order on the new connection");
    assert!(o.journal.iter().any(|j| j.connection_id > 1), "{:?}", o.journal);
}

/// The sim's clock runs `skew_ms` off ours: uncorrected, every timestamp
/// falls outside its window (more than 5 000 ms behind, or 1 000 ms or more
/// ahead); measured at sync, the engine's timestamps follow its clock.
fn clock_skew(skew_ms: i64) {
    let mut scenario = Scenario::new(2);
    scenario.sim = SimConfig { clock: SimClock::System { skew_ms }, ..SimConfig::default() };
    let o = run(scenario, until_settled);
    o.assert_accounting();
    assert_all_acked(&o);
    let offsets: Vec<i64> = o
        .events
        .iter()
        .filter_map(|e| match e {
            Event::ClockOffset { offset_ns } => Some(*offset_ns),
            _ => None,
        })
        .collect();
    assert!(!offsets.is_empty(), "no clock offset measured");
    for offset in offsets {
        assert!((offset - skew_ms * 1_000_000).abs() < 1_000_000_000, "offset {offset} ns for a skew of {skew_ms} ms");
    }
    assert_eq!(o.report.counters.orders_sent, 2 * WHALES_PER_LOOP);
}

#[test]
fn venue_clock_ahead_is_corrected() {
    clock_skew(6_000);
}

#[test]
fn venue_clock_behind_is_corrected() {
    clock_skew(-3_000);
}

#[test]
fn kill_switch_stops_orders() {
    let mut killed = false;
    let o = run(Scenario::new(3), |p| {
        if !killed && p.events.iter().any(|e| matches!(e, Event::OrderAcked { .. })) {
            killed = true;
            return Command::Kill;
        }
        until_settled(p)
    });
    o.assert_accounting();
    let at = o.killed_at.expect("the controller killed");
    let after = &o.events[at..];
    assert!(
        after.iter().any(|e| matches!(e, Event::Risk(risk::Event::Killed { cause: KillCause::Manual, .. }))),
        "{after:?}"
    );
    assert_eq!(count(after, is_sent), 0, "an order left after the kill switch: {after:?}");
    assert!(count(after, is_kill_switch_denial) >= 1, "no whale was denied after the kill: {after:?}");
    assert_eq!(o.report.counters.denied as usize, count(&o.events, is_kill_switch_denial));
}

#[test]
fn feed_gap_engages_the_kill_switch() {
    let mut scenario = Scenario::new(1);
    scenario.feed = Feed::Gap { skip: 4 };
    // No hold-off, so the whale after the gap reaches the risk gate.
    scenario.rules.gap_holdoff_ns = 0;
    let o = run(scenario, until_settled);
    o.assert_accounting();
    let gap = position(&o, |e| matches!(e, Event::FeedGap { expected: 4, got: 5 })).expect("the gap at sequence 4");
    assert_eq!(o.report.counters.feed_gaps, 1);
    let after = &o.events[gap..];
    assert!(
        after.iter().any(|e| matches!(e, Event::Risk(risk::Event::Killed { cause: KillCause::FeedGap, .. }))),
        "{after:?}"
    );
    assert_eq!(count(after, is_sent), 0, "an order left after the gap: {after:?}");
    assert!(count(after, is_kill_switch_denial) >= 1, "the whale after the gap was not denied: {after:?}");
    // The whale before the gap traded.
    assert_eq!(o.report.counters.orders_sent, 1);
    assert_all_acked(&o);
}

#[test]
fn stalled_ack_times_out_and_reconciles() {
    let mut scenario = Scenario::new(2);
    scenario.sim = faults(Faults { stall_order: Some(1), ..Faults::default() });
    scenario.timers.request_timeout_ns = Duration::from_millis(300).as_nanos() as u64;
    let o = run(scenario, until_settled);
    o.assert_accounting();
    let first = *o.sent().first().expect("an order was sent");
    assert!(
        matches!(
            o.fate(first).as_slice(),
            [Event::OrderUnknown { cause: UnknownCause::Timeout, .. }, Event::OrderReconciled { placed: true, .. }]
        ),
        "{:?}",
        o.fate(first)
    );
    assert!(!o.events.iter().any(|e| matches!(e, Event::VenueLost { .. })), "{:?}", o.events);
    assert_eq!(o.report.counters.venue_connects, 1);
    assert_eq!(o.journal_ids().iter().filter(|&&id| id == first).count(), 1);
}

#[test]
fn shutdown_queries_a_stalled_order_before_closing() {
    let mut scenario = Scenario::new(1);
    scenario.sim = faults(Faults { stall_order: Some(1), ..Faults::default() });
    // The drain gives up long before the order's own timeout.
    scenario.timers.drain_timeout_ns = Duration::from_millis(200).as_nanos() as u64;
    let o = run(scenario, |p| if p.events.iter().any(is_sent) { Command::Shutdown } else { Command::Continue });
    o.assert_accounting();
    let first = *o.sent().first().expect("an order was sent");
    assert!(
        matches!(
            o.fate(first).as_slice(),
            [Event::OrderUnknown { cause: UnknownCause::Timeout, .. }, Event::OrderReconciled { placed: true, .. }]
        ),
        "{:?}",
        o.fate(first)
    );
    let draining = position(&o, |e| matches!(e, Event::VenueState(VenueState::Draining))).expect("draining");
    let reconciled = position(&o, |e| matches!(e, Event::OrderReconciled { .. })).expect("reconciled");
    let closing = position(&o, |e| matches!(e, Event::VenueState(VenueState::Closing))).expect("closing");
    assert!(draining < reconciled && reconciled < closing, "{:?}", o.events);
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
    let o = run(scenario, until_settled);
    o.assert_accounting();
    assert_all_acked(&o);
    let logon = position(&o, |e| matches!(e, Event::VenueState(VenueState::LoggingOn))).expect("logging on");
    let trading = position(&o, |e| matches!(e, Event::VenueState(VenueState::Trading))).expect("trading");
    assert!(logon < trading);
    assert_eq!(o.report.counters.orders_sent, 2 * WHALES_PER_LOOP);
    assert!(!o.events.iter().any(|e| matches!(e, Event::VenueLost { cause: VenueLoss::LogonRefused(_), .. })));
}
