//! The engine's timers, backoff, drain, rotation, reconciliation and risk
//! reactions, each scenario a plain test on the in-memory harness
//! (`engine_harness`): a fake clock, a scripted tungstenite venue and a
//! ZMTP node, so every deadline is asserted to the nanosecond and nothing
//! waits on wall time. What a scenario checks of the venue, it checks on
//! the bytes the venue read: the requests, their parameters and
//! signatures, the pings and the close frames.

// Shared with the market tests; this file uses part of it.
#[allow(dead_code)]
mod engine_harness;

use engine_harness::venue::{Answer, payload};
use engine_harness::{Config, FIRST_ID, Key, MS, Pair, S, feed};
use hotline_core::engine::{Event, OrderState, Skip, Timers, UnknownCause, VenueLoss, VenueState};
use hotline_core::ledger::Holding;
use hotline_core::order::{OrderType, TimeInForce};
use hotline_core::risk::{self, KillCause, Reason};
use hotline_sim::DOC_API_KEY;

fn is_sent(e: &Event) -> bool {
    matches!(e, Event::OrderSent { .. })
}

fn is_kill_switch_denial(e: &Event) -> bool {
    matches!(e, Event::Risk(risk::Event::Denied { reason: Reason::KillSwitch, .. }))
}

fn killed_by(cause: KillCause) -> impl Fn(&Event) -> bool {
    move |e| matches!(e, Event::Risk(risk::Event::Killed { cause: c, .. }) if *c == cause)
}

fn venue_lost(e: &Event) -> bool {
    matches!(e, Event::VenueLost { .. })
}

fn state(s: VenueState) -> impl Fn(&Event) -> bool {
    move |e| matches!(e, Event::VenueState(x) if *x == s)
}

/// Reconnect delays of `VenueLost`, in order.
fn lost_delays(pair: &Pair) -> Vec<u64> {
    pair.events
        .iter()
        .filter_map(|e| match e {
            Event::VenueLost { delay_ns, .. } => Some(*delay_ns),
            _ => None,
        })
        .collect()
}

fn fast_reconnect() -> Timers {
    Timers { reconnect_min_ns: 100 * MS, reconnect_max_ns: S, ..Timers::default() }
}

// ----- 1, 3: timers, ping/pong and watchdogs ----------------------------

#[test]
fn ping_after_venue_silence_and_pong_keeps_the_connection() {
    let mut pair = Pair::trading(Config::default());
    let t0 = pair.now;
    assert_eq!(pair.engine.poll_timeout(), Some(t0 + 15 * S), "the ping deadline comes first");
    pair.advance(15 * S - 1);
    assert_eq!(pair.venue.pings, 0, "pinged before the interval");
    pair.advance(1);
    assert_eq!(pair.venue.pings, 1);
    // tungstenite answered with a pong: the silence clock starts over.
    assert_eq!(pair.engine.poll_timeout(), Some(t0 + 30 * S));
    pair.advance(120 * S);
    assert_eq!(pair.venue.pings, 9, "one ping per quiet interval");
    assert!(!pair.has(venue_lost), "{:?}", pair.events);
    assert_eq!(pair.venue.connections, 1);
    assert_eq!(pair.engine.venue_state(), VenueState::Trading);
    assert_eq!(pair.engine.counters().venue_connects, 1);
}

#[test]
fn silent_venue_is_dropped_after_the_silence_limit() {
    let mut pair = Pair::trading(Config::default());
    let t0 = pair.now;
    pair.venue.mute = true;
    pair.advance(15 * S);
    assert_eq!(pair.venue.pings, 1, "pinged at the interval");
    // After the ping the deadline is the silence limit, from the last byte.
    assert_eq!(pair.engine.poll_timeout(), Some(t0 + 60 * S));
    pair.advance(45 * S - 1);
    assert!(!pair.has(venue_lost));
    assert_eq!(pair.venue.pings, 1, "pinged twice in one silence");
    pair.venue.mute = false;
    pair.advance(1);
    let lost = pair.position(venue_lost).expect("the connection was dropped");
    assert!(matches!(pair.events[lost], Event::VenueLost { cause: VenueLoss::Silent, .. }), "{:?}", pair.events);
    assert_eq!(pair.at[lost], t0 + 60 * S);
    assert!(matches!(pair.events[lost - 1], Event::VenueClose), "the host is told to close first");
    assert_eq!(pair.venue.disconnects, 1);
    // The first retry waits the minimum delay plus at most a quarter.
    let [delay] = lost_delays(&pair)[..] else { panic!("{:?}", pair.events) };
    assert!((250 * MS..=250 * MS + 250 * MS / 4).contains(&delay), "{delay}");
    pair.advance(S);
    assert_eq!(pair.venue_connects_at, [t0, t0 + 60 * S + delay]);
    assert_eq!(pair.engine.venue_state(), VenueState::Trading);
}

#[test]
fn feed_silence_is_raised_once_per_silence() {
    let mut pair = Pair::trading(Config::default());
    let t0 = pair.now;
    pair.advance(120 * S - 1);
    assert!(!pair.has(|e| matches!(e, Event::FeedSilent { .. })));
    pair.advance(1);
    assert_eq!(pair.when(|e| matches!(e, Event::FeedSilent { .. })), t0 + 120 * S);
    pair.advance(300 * S);
    assert_eq!(pair.count(|e| matches!(e, Event::FeedSilent { .. })), 1, "raised again in the same silence");
    let t1 = pair.now;
    pair.publish(&feed::minnow());
    pair.advance(120 * S);
    assert_eq!(pair.count(|e| matches!(e, Event::FeedSilent { .. })), 2);
    assert_eq!(pair.at[pair.events.iter().rposition(|e| matches!(e, Event::FeedSilent { .. })).unwrap()], t1 + 120 * S);
    assert_eq!(pair.engine.counters().txs_seen, 1);
}

// ----- 2: backoff and jitter --------------------------------------------

/// Drops a trading connection, refuses `refusals` connects, and returns
/// the pair once it trades again.
fn backoff_run(seed: [u8; 32], refusals: u32) -> Pair {
    let mut pair = Pair::trading(Config { timers: fast_reconnect(), seed, ..Config::default() });
    pair.refuse_venue = refusals;
    pair.drop_venue();
    while pair.engine.venue_state() != VenueState::Trading {
        pair.advance(100 * MS);
    }
    pair
}

#[test]
fn venue_backoff_doubles_to_the_cap_with_bounded_jitter_and_resets_after_trading() {
    let mut pair = backoff_run([9; 32], 6);
    let delays = lost_delays(&pair);
    let bases = [100, 200, 400, 800, 1_000, 1_000, 1_000].map(|ms| ms * MS);
    assert_eq!(delays.len(), bases.len(), "{:?}", pair.events);
    for (delay, base) in delays.iter().zip(bases) {
        assert!((base..=base + base / 4).contains(delay), "delay {delay} for base {base}");
    }
    assert!(delays.iter().zip(bases).any(|(d, b)| *d != b), "no jitter at all: {delays:?}");
    // Each connect is asked for exactly when its delay runs out.
    let lost_at: Vec<u64> = pair.events.iter().zip(&pair.at).filter(|(e, _)| venue_lost(e)).map(|(_, t)| *t).collect();
    let retries: Vec<u64> = lost_at.iter().zip(&delays).map(|(t, d)| t + d).collect();
    assert_eq!(pair.venue_connects_at[1..], retries[..]);
    assert!(
        pair.events
            .iter()
            .filter(|e| venue_lost(e))
            .skip(1)
            .all(|e| matches!(e, Event::VenueLost { cause: VenueLoss::Transport, .. }))
    );
    // Trading again: the next loss starts from the minimum.
    pair.drop_venue();
    let last = *lost_delays(&pair).last().unwrap();
    assert!((100 * MS..=125 * MS).contains(&last), "{last}");
}

#[test]
fn same_seed_same_backoff() {
    let a = lost_delays(&backoff_run([1; 32], 4));
    let b = lost_delays(&backoff_run([1; 32], 4));
    let c = lost_delays(&backoff_run([2; 32], 4));
    assert_eq!(a, b);
    assert_ne!(a, c, "the jitter ignores the seed");
}

#[test]
fn feed_reconnect_backoff_doubles_and_resets_once_up() {
    let mut pair = Pair::trading(Config { timers: fast_reconnect(), ..Config::default() });
    pair.refuse_feed = 5;
    let t0 = pair.now;
    pair.drop_feed();
    pair.advance(5 * S);
    // The same backoff as the venue's: doubling to the cap, at most a
    // quarter more at random.
    let delays: Vec<u64> = pair.feed_connects_at.windows(2).map(|w| w[1] - w[0]).collect();
    let bases = [100, 200, 400, 800, 1_000, 1_000].map(|ms| ms * MS);
    assert_eq!(delays.len(), bases.len(), "{:?}", pair.feed_connects_at);
    assert_eq!(pair.feed_connects_at[0], t0);
    for (delay, base) in delays.iter().zip(bases) {
        assert!((base..=base + base / 4).contains(delay), "{delay} for {base}: {:?}", pair.feed_connects_at);
    }
    assert!(pair.feed_up());
    assert_eq!(pair.count(|e| matches!(e, Event::FeedUp { .. })), 2);
    let t1 = pair.now;
    pair.drop_feed();
    pair.advance(S);
    let again = *pair.feed_connects_at.last().unwrap() - t1;
    assert!((100 * MS..=125 * MS).contains(&again), "the backoff did not reset: {again}");
}

#[test]
fn feed_protocol_error_closes_and_reconnects_after_the_backoff() {
    let mut pair = Pair::trading(Config { timers: fast_reconnect(), ..Config::default() });
    let t0 = pair.now;
    // A frame with reserved flag bits set (RFC 23 §"Framing").
    pair.node.inject(&[0xf0, 0x00]);
    pair.step();
    assert!(pair.has(|e| matches!(e, Event::FeedFailed { .. })), "{:?}", pair.events);
    assert!(!pair.feed_up());
    pair.advance(125 * MS);
    let [first, second] = pair.feed_connects_at[..] else { panic!("{:?}", pair.feed_connects_at) };
    assert_eq!(first, t0);
    assert!((t0 + 100 * MS..=t0 + 125 * MS).contains(&second), "{second}");
    assert!(pair.feed_up());
    assert_eq!(pair.count(|e| matches!(e, Event::FeedUp { .. })), 2);
    pair.publish(&feed::whale(0));
    assert_eq!(pair.acked(), [FIRST_ID]);
}

/// A venue that refuses `time` (here a 503) is asked again at once, and
/// answers at once: the two flood each other with no backoff, and the
/// session never trades.
#[test]
fn refused_time_request_is_not_resent_in_a_tight_loop() {
    let mut pair = Pair::new(Config::default());
    pair.venue.refuse_time = Some((503, -1000));
    let quiet = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pair.step()));
    assert!(quiet.is_ok(), "the engine and the venue never went quiet");
}

// ----- 4: drain ---------------------------------------------------------

#[test]
fn shutdown_waits_for_the_order_in_flight_then_closes() {
    let mut pair = Pair::trading(Config::default());
    pair.venue.place.push_back(Answer::Stall { placed: true });
    pair.publish(&feed::whale(0));
    pair.engine.shutdown(pair.now);
    pair.step();
    assert_eq!(pair.engine.venue_state(), VenueState::Draining);
    pair.advance(4 * S);
    assert_eq!(pair.engine.venue_state(), VenueState::Draining, "closed with an order in flight");
    assert!(pair.venue.closes.is_empty());
    pair.venue.release(pair.now, Answer::Ack("FILLED"));
    pair.step();
    assert!(pair.engine.is_finished(), "{:?}", pair.events);
    assert_eq!(pair.venue.closes, [Some(1000)], "the venue saw no close frame (RFC 6455 §5.5.1)");
    let acked = pair.position(|e| matches!(e, Event::OrderAcked { .. })).unwrap();
    assert!(acked < pair.position(state(VenueState::Closing)).unwrap());
    assert!(pair.states().ends_with(&[
        VenueState::Trading,
        VenueState::Draining,
        VenueState::Closing,
        VenueState::Closed
    ]));
    assert!(matches!(pair.events.last(), Some(Event::VenueState(VenueState::Closed))));
    assert!(!pair.venue.is_connected());
    assert_eq!(pair.engine.poll_timeout().filter(|_| pair.feed_up()), pair.engine.poll_timeout());
    pair.assert_accounting();
}

#[test]
fn shutdown_queries_a_stalled_order_before_closing() {
    let timers = Timers { drain_timeout_ns: 200 * MS, ..Timers::default() };
    let mut pair = Pair::trading(Config { timers, ..Config::default() });
    pair.venue.place.push_back(Answer::Stall { placed: true });
    pair.publish(&feed::whale(0));
    let t0 = pair.now;
    pair.engine.shutdown(t0);
    pair.advance(200 * MS - 1);
    assert!(pair.venue.saw("order.status").is_empty(), "queried before the drain timeout");
    pair.advance(1);
    let first = pair.sent()[0];
    assert!(
        matches!(
            pair.fate(first).as_slice(),
            [Event::OrderUnknown { cause: UnknownCause::Timeout, .. }, Event::OrderReconciled { placed: true, .. }]
        ),
        "{:?}",
        pair.fate(first)
    );
    let [status] = pair.venue.saw("order.status")[..] else { panic!("{:?}", pair.venue.requests) };
    assert_eq!(status.param("origClientOrderId"), Some(format!("{first:016}")));
    assert_eq!(pair.when(|e| matches!(e, Event::OrderUnknown { .. })), t0 + 200 * MS);
    let draining = pair.position(state(VenueState::Draining)).expect("draining");
    let reconciled = pair.position(|e| matches!(e, Event::OrderReconciled { .. })).expect("reconciled");
    let closing = pair.position(state(VenueState::Closing)).expect("closing");
    assert!(draining < reconciled && reconciled < closing, "{:?}", pair.events);
    assert!(pair.engine.is_finished());
    assert_eq!(pair.venue.closes, [Some(1000)]);
    assert_eq!(pair.placed_requests(), [first], "the order was resent");
    pair.assert_accounting();
}

#[test]
fn shutdown_gives_up_when_the_query_stalls_too() {
    let timers = Timers { drain_timeout_ns: 200 * MS, request_timeout_ns: 2 * S, ..Timers::default() };
    let mut pair = Pair::trading(Config { timers, ..Config::default() });
    pair.venue.place.push_back(Answer::Stall { placed: true });
    pair.venue.status.push_back(Answer::Stall { placed: true });
    pair.publish(&feed::whale(0));
    let t0 = pair.now;
    pair.engine.shutdown(t0);
    pair.advance(200 * MS + 2 * S - 1);
    assert_eq!(pair.engine.venue_state(), VenueState::Draining);
    pair.advance(1);
    assert!(pair.engine.is_finished(), "{:?}", pair.events);
    assert_eq!(pair.when(state(VenueState::Closing)), t0 + 200 * MS + 2 * S);
    // Queried at the drain timeout; when that query times out too, at the
    // final deadline, a second one leaves in the same flight as the close
    // frame, its answer never read.
    let queries: Vec<u64> = pair.venue.saw("order.status").iter().map(|r| r.at_ms as u64).collect();
    let ms = |ns: u64| (ns as i64 + engine_harness::UNIX_OFFSET_NS) as u64 / 1_000_000;
    assert_eq!(queries, [ms(t0 + 200 * MS), ms(t0 + 200 * MS + 2 * S)]);
    assert_eq!(pair.engine.orders().get(FIRST_ID).map(|o| o.state), Some(OrderState::Unknown));
    assert_eq!(pair.venue.closes, [Some(1000)]);
}

/// The venue's answer to the engine's close frame can arrive after the
/// engine finished closing (the host had a receive queued): the engine
/// still reads it through the old WebSocket and goes from Closed back to
/// Closing, so shutdown never finishes.
#[test]
fn close_reply_after_a_finished_close_is_ignored() {
    let mut pair = Pair::trading(Config::default());
    pair.read_before_events = true;
    pair.engine.shutdown(pair.now);
    pair.step();
    assert_eq!(pair.venue.closes, [Some(1000)]);
    assert!(pair.engine.is_finished(), "{:?}", pair.states());
}

#[test]
fn shutdown_while_reconnecting_finishes_at_once() {
    let mut pair = Pair::trading(Config::default());
    pair.drop_venue();
    assert_eq!(pair.engine.venue_state(), VenueState::Backoff);
    pair.drop_feed();
    pair.engine.shutdown(pair.now);
    pair.step();
    assert!(pair.engine.is_finished());
    let connects = (pair.venue_connects_at.len(), pair.feed_connects_at.len());
    pair.advance(60 * S);
    assert_eq!((pair.venue_connects_at.len(), pair.feed_connects_at.len()), connects, "reconnected after shutdown");
    assert_eq!(pair.engine.poll_timeout(), None);
}

// ----- 5: rotation ------------------------------------------------------

#[test]
fn server_shutdown_rotates_without_losing_an_order() {
    let mut pair = Pair::trading(Config::default());
    pair.venue.place.push_back(Answer::Stall { placed: true });
    pair.publish(&feed::whale(0));
    let t0 = pair.now;
    pair.venue.server_shutdown(t0);
    pair.step();
    assert!(pair.has(|e| matches!(e, Event::Rotating)));
    assert_eq!(pair.engine.venue_state(), VenueState::Draining, "rotated with an order in flight");
    pair.venue.release(t0, Answer::Ack("NEW"));
    pair.step();
    let rotating = pair.position(|e| matches!(e, Event::Rotating)).unwrap();
    let states: Vec<VenueState> = pair.events[rotating..]
        .iter()
        .filter_map(|e| if let Event::VenueState(s) = e { Some(*s) } else { None })
        .collect();
    use VenueState::*;
    assert_eq!(states, [Draining, Closing, Connecting, Tls, Upgrading, Syncing, Trading]);
    assert!(!pair.has(venue_lost), "the rotation was not clean: {:?}", pair.events);
    assert_eq!(pair.venue_connects_at, [t0, t0], "not reconnected at once");
    assert_eq!(pair.venue.closes, [Some(1000)]);
    pair.publish(&feed::whale(1));
    assert_eq!(pair.acked(), [FIRST_ID, FIRST_ID + 1]);
    let connections: Vec<u32> = pair.venue.saw("order.place").iter().map(|r| r.connection).collect();
    assert_eq!(connections, [1, 2]);
    assert_eq!(pair.engine.counters().venue_connects, 2);
    pair.assert_accounting();
}

#[test]
fn connection_age_rotates() {
    let timers = Timers { rotate_after_ns: 100 * S, ..Timers::default() };
    let mut pair = Pair::trading(Config { timers, ..Config::default() });
    let t0 = pair.now;
    pair.advance(100 * S - 1);
    assert!(!pair.has(|e| matches!(e, Event::Rotating)));
    pair.advance(1);
    assert_eq!(pair.when(|e| matches!(e, Event::Rotating)), t0 + 100 * S);
    assert_eq!(pair.venue_connects_at, [t0, t0 + 100 * S]);
    assert_eq!(pair.engine.venue_state(), VenueState::Trading);
    pair.advance(100 * S);
    assert_eq!(pair.count(|e| matches!(e, Event::Rotating)), 2, "the age restarts with the connection");
    assert_eq!(pair.venue.closes, [Some(1000), Some(1000)]);
    assert!(!pair.has(venue_lost));
    assert_eq!(pair.stuck_timers, 0);
}

#[test]
fn connection_age_rotation_waits_for_the_order_in_flight() {
    let timers = Timers { rotate_after_ns: 100 * S, ..Timers::default() };
    let mut pair = Pair::trading(Config { timers, ..Config::default() });
    let t0 = pair.now;
    pair.advance(100 * S - MS);
    pair.venue.place.push_back(Answer::Stall { placed: true });
    pair.publish(&feed::whale(0));
    pair.advance(MS);
    assert_eq!(pair.when(|e| matches!(e, Event::Rotating)), t0 + 100 * S);
    assert_eq!(pair.engine.venue_state(), VenueState::Draining);
    pair.advance(2 * S);
    assert_eq!(pair.engine.venue_state(), VenueState::Draining);
    pair.venue.release(pair.now, Answer::Ack("NEW"));
    pair.step();
    assert_eq!(pair.engine.venue_state(), VenueState::Trading);
    assert_eq!(pair.venue_connects_at, [t0, t0 + 102 * S]);
    assert_eq!(pair.acked(), [FIRST_ID]);
    assert!(!pair.has(venue_lost));
    // The drain spun on a past deadline meanwhile: see the ignored test
    // below.
    pair.stuck_timers = 0;
    pair.assert_accounting();
}

/// While a rotation drains, the age deadline that started it stays in
/// `poll_timeout` and `handle_timeout` does not move it: a host sleeping
/// until the next deadline wakes at once, over and over, until the drain
/// ends (here 2 000 wake-ups at a 1 ms timer in 2 s).
#[test]
fn rotation_drain_does_not_ask_to_be_woken_in_the_past() {
    let timers = Timers { rotate_after_ns: 100 * S, ..Timers::default() };
    let mut pair = Pair::trading(Config { timers, ..Config::default() });
    pair.advance(100 * S - MS);
    pair.venue.place.push_back(Answer::Stall { placed: true });
    pair.publish(&feed::whale(0));
    pair.advance(MS + 2 * S);
    assert_eq!(pair.engine.venue_state(), VenueState::Draining);
    assert_eq!(pair.stuck_timers, 0, "woken in the past {} times", pair.stuck_timers);
}

/// The venue closes the WebSocket unannounced with an order in flight:
/// the engine answers the close frame, the venue closes TCP, and the loss
/// (`PeerClosed`) is reconnected after the backoff, like any other, and the
/// order reconciled.
#[test]
fn venue_close_frame_is_answered_and_the_order_reconciled() {
    let mut pair = Pair::trading(Config::default());
    pair.venue.place.push_back(Answer::Stall { placed: true });
    pair.publish(&feed::whale(0));
    let t0 = pair.now;
    pair.venue.close();
    pair.step();
    assert_eq!(pair.venue.closes, [Some(1000)], "the engine did not answer the close frame");
    let Some(Event::VenueLost { cause: VenueLoss::PeerClosed, delay_ns }) =
        pair.events.iter().find(|e| matches!(e, Event::VenueLost { .. })).cloned()
    else {
        panic!("no PeerClosed loss: {:?}", pair.events)
    };
    let min = Timers::default().reconnect_min_ns;
    assert!((min..=min + min / 4).contains(&delay_ns), "{delay_ns}");
    pair.advance(delay_ns);
    assert_eq!(pair.venue.connections, 2);
    assert_eq!(pair.venue_connects_at, [t0, t0 + delay_ns]);
    assert!(
        matches!(
            pair.fate(FIRST_ID).as_slice(),
            [
                Event::OrderUnknown { cause: UnknownCause::ConnectionLost, .. },
                Event::OrderReconciled { placed: true, .. }
            ]
        ),
        "{:?}",
        pair.fate(FIRST_ID)
    );
    assert_eq!(pair.engine.venue_state(), VenueState::Trading);
    assert_eq!(pair.placed_requests(), [FIRST_ID]);
    pair.assert_accounting();
}

/// A venue that closes the WebSocket but keeps TCP open: the engine waits
/// in Closing until the silence limit drops the connection.
#[test]
fn venue_close_without_tcp_close_ends_at_the_silence_limit() {
    let mut pair = Pair::trading(Config::default());
    pair.venue.linger = true;
    pair.venue.close();
    pair.step();
    let t0 = pair.now;
    assert_eq!(pair.engine.venue_state(), VenueState::Closing);
    pair.advance(60 * S);
    assert_eq!(pair.when(venue_lost), t0 + 60 * S);
    assert!(pair.has(|e| matches!(e, Event::VenueLost { cause: VenueLoss::Silent, .. })));
    assert_eq!(pair.venue.pings, 0, "pinged while closing");
    // Closing serves no ping deadline, so it asks to be woken at the
    // silence limit only, never in the past.
    assert_eq!(pair.stuck_timers, 0);
}

// ----- 6: reconciliation ------------------------------------------------

fn dropped_with_order_in_flight(placed: bool) -> Pair {
    let mut pair = Pair::trading(Config::default());
    pair.venue.place.push_back(Answer::Drop { placed });
    pair.publish(&feed::whale(0));
    assert!(matches!(pair.events.last(), Some(Event::VenueState(VenueState::Backoff))), "{:?}", pair.events);
    pair.advance(S);
    assert_eq!(pair.engine.venue_state(), VenueState::Trading);
    pair
}

#[test]
fn dropped_connection_reconciles_the_order_without_resending_it() {
    let pair = dropped_with_order_in_flight(true);
    assert!(
        matches!(
            pair.fate(FIRST_ID).as_slice(),
            [
                Event::OrderUnknown { cause: UnknownCause::ConnectionLost, .. },
                Event::OrderReconciled { placed: true, .. }
            ]
        ),
        "{:?}",
        pair.fate(FIRST_ID)
    );
    let unknown = pair.position(|e| matches!(e, Event::OrderUnknown { .. })).unwrap();
    let lost = pair.position(venue_lost).unwrap();
    let reconnected = pair.events.iter().rposition(state(VenueState::Tls)).unwrap();
    let reconciled = pair.position(|e| matches!(e, Event::OrderReconciled { .. })).unwrap();
    let trading = pair.events.iter().rposition(state(VenueState::Trading)).unwrap();
    assert!(unknown < lost && lost < reconnected && reconnected < reconciled && reconciled < trading);
    let [status] = pair.venue.saw("order.status")[..] else { panic!("{:?}", pair.venue.requests) };
    assert_eq!((status.connection, status.param("origClientOrderId")), (2, Some(format!("{FIRST_ID:016}"))));
    assert_eq!(pair.placed_requests(), [FIRST_ID], "the order was resent");
    assert_eq!(pair.engine.orders().get(FIRST_ID).map(|o| o.state), Some(OrderState::ReconciledPlaced));
    pair.assert_accounting();
}

#[test]
fn dropped_connection_reconciles_an_order_never_placed_as_absent() {
    let pair = dropped_with_order_in_flight(false);
    assert!(
        matches!(
            pair.fate(FIRST_ID).as_slice(),
            [
                Event::OrderUnknown { cause: UnknownCause::ConnectionLost, .. },
                Event::OrderReconciled { placed: false, .. }
            ]
        ),
        "{:?}",
        pair.fate(FIRST_ID)
    );
    assert_eq!(pair.engine.counters().orders_reconciled_absent, 1);
    assert_eq!(pair.engine.orders().get(FIRST_ID).map(|o| o.state), Some(OrderState::ReconciledAbsent));
    assert_eq!(pair.engine.gate().open_orders(), 0, "the absent order still counts as open");
    assert!(pair.venue.journal.is_empty());
    pair.assert_accounting();
}

#[test]
fn stalled_ack_times_out_and_reconciles() {
    let timers = Timers { request_timeout_ns: 300 * MS, ..Timers::default() };
    let mut pair = Pair::trading(Config { timers, ..Config::default() });
    pair.venue.place.push_back(Answer::Stall { placed: true });
    pair.publish(&feed::whale(0));
    let sent_at = pair.now;
    pair.advance(300 * MS - 1);
    assert!(pair.fate(FIRST_ID).is_empty());
    pair.advance(1);
    assert!(
        matches!(
            pair.fate(FIRST_ID).as_slice(),
            [Event::OrderUnknown { cause: UnknownCause::Timeout, .. }, Event::OrderReconciled { placed: true, .. }]
        ),
        "{:?}",
        pair.fate(FIRST_ID)
    );
    assert_eq!(pair.when(|e| matches!(e, Event::OrderUnknown { .. })), sent_at + 300 * MS);
    assert!(!pair.has(venue_lost), "{:?}", pair.events);
    assert_eq!(pair.venue.connections, 1);
    assert_eq!(pair.venue.saw("order.status")[0].connection, 1);
    assert_eq!(pair.placed_requests(), [FIRST_ID]);
    pair.assert_accounting();
}

#[test]
fn venue_5xx_and_1007_are_unknown_then_reconciled() {
    let mut pair = Pair::trading(Config::default());
    pair.venue.place.push_back(Answer::Unknown { status: 503, code: -1000, placed: true });
    pair.venue.place.push_back(Answer::Unknown { status: 400, code: -1007, placed: false });
    pair.publish(&feed::whale(0));
    pair.publish(&feed::whale(1));
    for (id, placed) in [(FIRST_ID, true), (FIRST_ID + 1, false)] {
        let fate = pair.fate(id);
        assert!(
            matches!(
                fate.as_slice(),
                [Event::OrderUnknown { cause: UnknownCause::Venue, .. }, Event::OrderReconciled { placed: p, .. }]
                    if *p == placed
            ),
            "{fate:?}"
        );
    }
    let queried: Vec<Option<String>> =
        pair.venue.saw("order.status").iter().map(|r| r.param("origClientOrderId")).collect();
    assert_eq!(queried, [Some(format!("{FIRST_ID:016}")), Some(format!("{:016}", FIRST_ID + 1))]);
    assert_eq!(pair.placed_requests(), [FIRST_ID, FIRST_ID + 1]);
    assert_eq!(pair.engine.counters().orders_unknown, 2);
    pair.assert_accounting();
}

#[test]
fn rejected_order_is_not_journaled() {
    let mut pair = Pair::trading(Config::default());
    for _ in 0..2 {
        pair.venue.place.push_back(Answer::Ack("NEW"));
        pair.venue.place.push_back(Answer::Reject { status: 400, code: -2010 });
    }
    for n in 0..4 {
        pair.publish(&feed::whale(n));
    }
    let rejected: Vec<u64> = pair
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
    assert_eq!(rejected, [FIRST_ID + 1, FIRST_ID + 3], "every second order");
    assert_eq!(pair.venue.journal, [FIRST_ID, FIRST_ID + 2]);
    // Accepts in between reset the reject streak: no kill.
    assert_eq!(pair.count(|e| matches!(e, Event::Risk(_))), 0, "{:?}", pair.events);
    pair.assert_accounting();
}

// ----- 7: rate-limit feedback -------------------------------------------

#[test]
fn retry_after_pauses_signals_until_it_lifts() {
    let mut pair = Pair::trading(Config::default());
    pair.venue.place.push_back(Answer::RateLimited { retry_after_ms: 2_000 });
    pair.publish(&feed::whale(0));
    let t0 = pair.now;
    let until = pair.events.iter().find_map(|e| match e {
        Event::RateLimited { until_ns } => Some(*until_ns),
        _ => None,
    });
    assert_eq!(until, Some(t0 + 2 * S));
    assert!(matches!(pair.fate(FIRST_ID).as_slice(), [Event::OrderRejected { code: -1015, .. }]));
    pair.advance(2 * S - 1);
    pair.publish(&feed::whale(1));
    assert!(
        matches!(pair.events.last(), Some(Event::Skipped { reason: Skip::RateLimited, .. })),
        "{:?}",
        pair.events.last()
    );
    pair.advance(1);
    pair.publish(&feed::whale(2));
    assert_eq!(pair.sent(), [FIRST_ID, FIRST_ID + 1]);
    assert_eq!(pair.placed_requests(), [FIRST_ID, FIRST_ID + 1], "a skipped signal reached the venue");
    assert_eq!(pair.engine.counters().skipped, 1);
    pair.assert_accounting();
}

// ----- 8: clock offset --------------------------------------------------

/// The venue's clock runs `skew_ms` off ours: uncorrected, every timestamp
/// falls outside its window (more than 5 000 ms behind, or 1 000 ms or more
/// ahead); measured at sync, the engine's timestamps follow its clock.
fn clock_skew(skew_ms: i64) {
    let mut pair = Pair::new(Config::default());
    pair.venue.skew_ms = skew_ms;
    pair.step();
    let offsets: Vec<i64> = pair
        .events
        .iter()
        .filter_map(|e| if let Event::ClockOffset { offset_ns } = e { Some(*offset_ns) } else { None })
        .collect();
    assert_eq!(offsets, [skew_ms * 1_000_000]);
    assert_eq!(pair.engine.venue_offset_ns(), skew_ms * 1_000_000);
    pair.advance(3 * S);
    pair.publish(&feed::whale(0));
    pair.publish(&feed::whale(1));
    assert_eq!(pair.acked(), [FIRST_ID, FIRST_ID + 1], "{:?}", pair.events);
    for r in pair.venue.saw("order.place") {
        assert_eq!(r.timestamp(), r.at_ms, "timestamps follow the venue's clock");
    }
    pair.assert_accounting();
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
fn timestamp_outside_recv_window_measures_the_clock_again() {
    let mut pair = Pair::trading(Config::default());
    assert_eq!(pair.venue.saw("time").len(), 1);
    // The venue's clock jumps 7 s ahead: our timestamps are now too old.
    pair.venue.skew_ms = 7_000;
    pair.publish(&feed::whale(0));
    assert!(matches!(pair.fate(FIRST_ID).as_slice(), [Event::OrderRejected { code: -1021, .. }]));
    assert_eq!(pair.venue.saw("time").len(), 2, "no new time request after -1021");
    let offset = pair.position(|e| matches!(e, Event::ClockOffset { offset_ns: 7_000_000_000 }));
    assert!(offset > pair.position(|e| matches!(e, Event::OrderRejected { .. })), "{:?}", pair.events);
    pair.publish(&feed::whale(1));
    assert_eq!(pair.acked(), [FIRST_ID + 1]);
    let place = pair.venue.saw("order.place");
    assert_eq!(place[1].timestamp(), place[1].at_ms);
    assert_eq!(place[1].timestamp() - place[0].timestamp(), 7_000);
    pair.assert_accounting();
}

/// The venue reads its clock halfway through the `time` round trip, as
/// the engine assumes: the offset comes out exact whatever the delay.
#[test]
fn clock_offset_takes_the_round_trip_midpoint() {
    let mut pair = Pair::new(Config::default());
    pair.venue.skew_ms = 6_000;
    pair.venue.stall_session = true;
    pair.step();
    let t0 = pair.now;
    assert_eq!(pair.engine.venue_state(), VenueState::Syncing);
    pair.advance(40 * MS);
    pair.venue.release(t0 + 20 * MS, Answer::Ack("unused"));
    pair.step();
    assert!(pair.has(|e| matches!(e, Event::ClockOffset { offset_ns: 6_000_000_000 })), "{:?}", pair.events);
    assert_eq!(pair.engine.venue_state(), VenueState::Trading);
}

/// A `time` request the venue never answers keeps the session syncing:
/// pongs keep the connection alive, nothing asks again, and the engine
/// never trades on that connection.
#[test]
fn unanswered_time_request_does_not_hold_the_session_forever() {
    let mut pair = Pair::new(Config::default());
    pair.venue.stall_session = true;
    pair.step();
    pair.advance(600 * S);
    assert!(pair.venue.saw("time").len() > 1 || pair.has(venue_lost), "{:?}", pair.states());
}

// ----- 9, 10: bad signature and the kill switch -------------------------

#[test]
fn bad_signature_kills_and_later_whales_are_denied() {
    let mut pair = Pair::trading(Config { key: Key::WrongSecret, ..Config::default() });
    pair.publish(&feed::whale(0));
    pair.publish(&feed::whale(1));
    assert!(matches!(pair.fate(FIRST_ID).as_slice(), [Event::OrderRejected { code: -1022, .. }]));
    let rejected = pair.position(|e| matches!(e, Event::OrderRejected { code: -1022, .. })).unwrap();
    let killed = pair.position(killed_by(KillCause::BadSignature)).expect("kill switch");
    assert!(killed > rejected, "the kill switch engaged before the -1022");
    let after = pair.since(killed);
    assert!(!after.iter().any(is_sent), "an order left after the kill switch: {after:?}");
    assert_eq!(after.iter().filter(|e| is_kill_switch_denial(e)).count(), 1);
    assert_eq!(pair.placed_requests(), [FIRST_ID]);
    assert!(pair.venue.journal.is_empty(), "the venue accepted a badly signed order");
    assert_eq!(pair.engine.counters().denied, 1);
    // What the engine says it signed is what the venue verified: every
    // param but the signature, sorted by name, `k=v` joined by `&`.
    let seen = payload(&pair.venue.saw("order.place")[0].params);
    let signed = pair.engine.canonical_payload(FIRST_ID).map(|p| String::from_utf8_lossy(p).into_owned());
    assert_eq!(signed.as_deref(), Some(seen.as_str()));
    let names: Vec<&str> = seen.split('&').map(|kv| kv.split_once('=').expect("k=v").0).collect();
    assert!(!names.contains(&"signature"), "{seen}");
    assert!(seen.contains(&format!("newClientOrderId={FIRST_ID:016}")), "{seen}");
    assert!(seen.contains(&format!("apiKey={DOC_API_KEY}")) && seen.contains("symbol=BTCUSDT"), "{seen}");
    assert!(pair.acked().is_empty());
    pair.assert_accounting();
}

#[test]
fn kill_switch_stops_orders() {
    let mut pair = Pair::trading(Config::default());
    pair.publish(&feed::whale(0));
    assert_eq!(pair.acked(), [FIRST_ID]);
    pair.engine.kill(pair.now);
    pair.step();
    let at = pair.position(killed_by(KillCause::Manual)).expect("killed");
    pair.publish(&feed::whale(1));
    pair.publish(&feed::whale(2));
    let after = pair.since(at);
    assert!(!after.iter().any(is_sent), "an order left after the kill switch: {after:?}");
    assert_eq!(after.iter().filter(|e| is_kill_switch_denial(e)).count(), 2);
    assert_eq!(pair.engine.counters().denied, 2);
    assert_eq!(pair.engine.counters().denied as usize, pair.count(is_kill_switch_denial));
    assert_eq!(pair.placed_requests(), [FIRST_ID]);
    assert_eq!(pair.engine.counters().signals, 3);
    // The kill cancels what rests on the venue, once, signed like an order.
    let cancels: Vec<_> = pair.venue.requests.iter().filter(|r| r.method == "openOrders.cancelAll").collect();
    assert_eq!(cancels.len(), 1, "{cancels:?}");
    assert_eq!(cancels[0].param("symbol").as_deref(), Some("BTCUSDT"));
    assert!(cancels[0].param("signature").is_some() && cancels[0].param("timestamp").is_some());
    let sent = pair.position(|e| matches!(e, Event::CancelAllSent)).expect("cancel-all sent");
    let answered = pair.position(|e| matches!(e, Event::CancelAllAnswered { refused: Some(-2011) }));
    assert!(at < sent && answered.is_some_and(|a| sent < a), "{:?}", pair.events);
    pair.assert_accounting();
}

/// A resting GTC order, then a dropped connection, with the venue's
/// `openOrders.status` scripted by `script`; returns the methods the second
/// connection sent once trading again.
fn reconnect_holding_one_order(script: impl FnOnce(&mut Pair, String)) -> (Pair, Vec<String>) {
    let config = Config {
        user_data: true,
        timers: fast_reconnect(),
        order_type: OrderType::Limit(TimeInForce::Gtc),
        ..Config::default()
    };
    let mut pair = Pair::trading(config);
    pair.publish(&feed::whale(0));
    assert_eq!(pair.acked(), [FIRST_ID]);
    assert_eq!(pair.engine.gate().open_orders(), 1, "resting on the venue");
    let placed = pair.venue.saw("order.place")[0].param("newClientOrderId").expect("its client order id");
    script(&mut pair, placed);
    pair.drop_venue();
    while pair.engine.venue_state() != VenueState::Trading {
        pair.advance(100 * MS);
    }
    let second = pair.venue.requests.iter().filter(|r| r.connection == 2).map(|r| r.method.clone()).collect();
    (pair, second)
}

#[test]
fn an_order_held_open_is_rechecked_after_a_reconnect() {
    let (pair, second) = reconnect_holding_one_order(|pair, _| {
        // Cancelled on the venue while no connection was subscribed.
        pair.venue.status.push_back(Answer::Ack("CANCELED"));
    });
    // Subscribed, then the open orders (it is not among them), then its
    // own status, then the fills since the start.
    let at = |m: &str| second.iter().position(|x| x == m).unwrap_or_else(|| panic!("no {m}: {second:?}"));
    assert!(at("userDataStream.subscribe.signature") < at("openOrders.status"));
    assert!(at("openOrders.status") < at("order.status") && at("order.status") < at("myTrades"));
    assert!(pair.has(|e| matches!(e, Event::OpenOrdersListed { held: 0, others: 0 })), "{:?}", pair.events);
    let done =
        pair.position(|e| matches!(e, Event::OrderDone { client_order_id: FIRST_ID, filled: false, filled_qty: 0 }));
    assert!(done.is_some(), "{:?}", pair.events);
    assert_eq!(pair.engine.gate().open_orders(), 0, "closed on the venue's word");
    assert_eq!(pair.engine.counters().orders_reconciled, 0, "a recheck is not a reconciliation");
    assert!(at("account.status") < at("myTrades"), "balances asked again: {second:?}");
    pair.assert_accounting();
}

#[test]
fn an_order_the_venue_lists_open_is_not_asked_again() {
    let (pair, second) = reconnect_holding_one_order(|pair, placed| {
        pair.venue.open = vec![placed, "web_f03vF8cUlNwnEO337MEx".into()];
    });
    assert!(second.iter().any(|m| m == "openOrders.status"), "{second:?}");
    assert!(!second.iter().any(|m| m == "order.status"), "listed open, so not asked: {second:?}");
    assert!(pair.has(|e| matches!(e, Event::OpenOrdersListed { held: 1, others: 1 })), "{:?}", pair.events);
    assert!(!pair.has(|e| matches!(e, Event::OrderDone { .. })));
    assert_eq!(pair.engine.gate().open_orders(), 1, "still resting on the venue");
    let order = pair.engine.orders().get(FIRST_ID).expect("tracked");
    assert_eq!(order.venue_id, Some(9_000), "the venue's id, from the list");
    pair.assert_accounting();
}

#[test]
fn open_orders_refused_asks_each_order_held_open() {
    let (pair, second) = reconnect_holding_one_order(|pair, placed| {
        pair.venue.open = vec![placed];
        pair.venue.refuse_open_orders = Some(-1003);
        pair.venue.status.push_back(Answer::Ack("FILLED"));
    });
    let at = |m: &str| second.iter().position(|x| x == m).unwrap_or_else(|| panic!("no {m}: {second:?}"));
    assert!(at("openOrders.status") < at("order.status") && at("order.status") < at("myTrades"));
    assert!(pair.has(|e| matches!(e, Event::OpenOrdersRefused { code: -1003 })), "{:?}", pair.events);
    let done = |e: &Event| matches!(e, Event::OrderDone { client_order_id: FIRST_ID, filled: true, .. });
    assert!(pair.has(done), "closed on its own status: {:?}", pair.events);
    assert_eq!(pair.engine.gate().open_orders(), 0);
}

#[test]
fn balances_are_read_when_the_session_subscribes() {
    let pair = Pair::trading(Config { user_data: true, ..Config::default() });
    let balances = pair.engine.ledger().balances();
    let holding = |free, locked| Some(Holding { free, locked });
    assert_eq!(balances.base, holding(100_000_000, 25_000_000), "BTC of BTCUSDT");
    assert_eq!(balances.quote, holding(100_000_000_000, 0), "USDT of BTCUSDT");
    let methods: Vec<&str> = pair.venue.requests.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods.iter().filter(|m| **m == "account.status").count(), 1, "{methods:?}");
}

// ----- 11: feed gaps and restarts ---------------------------------------

#[test]
fn feed_gap_engages_the_kill_switch() {
    let mut pair = Pair::trading(Config::default());
    for tx in [feed::minnow(), feed::whale(0), feed::minnow()] {
        pair.publish(&tx);
    }
    pair.node.skip(1);
    pair.publish(&feed::whale(1));
    let gap = pair.position(|e| matches!(e, Event::FeedGap { expected: 3, got: 4, .. })).expect("the gap at 3");
    assert_eq!(pair.engine.counters().feed_gaps, 1);
    let after = pair.since(gap);
    assert!(after.iter().any(killed_by(KillCause::FeedGap)), "{after:?}");
    assert!(!after.iter().any(is_sent), "an order left after the gap: {after:?}");
    assert_eq!(after.iter().filter(|e| is_kill_switch_denial(e)).count(), 1, "{after:?}");
    // The whale before the gap traded.
    assert_eq!(pair.acked(), [FIRST_ID]);
    assert_eq!(pair.engine.counters().orders_sent, 1);
    pair.assert_accounting();
}

#[test]
fn feed_restart_is_reported_and_engages_the_kill_switch() {
    let mut pair = Pair::trading(Config::default());
    pair.publish(&feed::minnow());
    pair.publish(&feed::minnow());
    pair.node.restart();
    pair.publish(&feed::minnow());
    assert_eq!(pair.count(|e| matches!(e, Event::FeedRestart { .. })), 1, "{:?}", pair.events);
    assert!(!pair.has(|e| matches!(e, Event::FeedGap { .. })));
    assert!(pair.has(killed_by(KillCause::FeedGap)));
    pair.publish(&feed::whale(0));
    assert!(pair.has(is_kill_switch_denial));
    assert!(pair.venue.saw("order.place").is_empty());
    assert_eq!(pair.engine.counters().feed_gaps, 1);
}

// ----- partial reads and writes -----------------------------------------

#[test]
fn one_byte_at_a_time_still_trades() {
    // Queues smaller than one request: the engine keeps the rest back.
    let mut pair = Pair::trading(Config { link_chunk: 1, link_room: 64, ..Config::default() });
    pair.feed_chunk = 1;
    pair.publish(&feed::minnow());
    pair.publish(&feed::whale(0));
    pair.publish(&feed::whale(1));
    assert_eq!(pair.acked(), [FIRST_ID, FIRST_ID + 1]);
    assert_eq!(pair.engine.counters().txs_seen, 3);
    pair.engine.shutdown(pair.now);
    pair.step();
    assert!(pair.engine.is_finished());
    assert_eq!(pair.venue.closes, [Some(1000)]);
    pair.assert_accounting();
}

// ----- 12: Ed25519 session.logon ----------------------------------------

#[test]
fn ed25519_session_logon_then_trades() {
    let mut pair = Pair::trading(Config { key: Key::Ed25519([7; 32]), ..Config::default() });
    use VenueState::*;
    assert_eq!(pair.states(), [Tls, Upgrading, LoggingOn, Syncing, Trading]);
    let [logon] = pair.venue.saw("session.logon")[..] else { panic!("{:?}", pair.venue.requests) };
    assert_eq!(logon.param("apiKey").as_deref(), Some(engine_harness::ED25519_API_KEY));
    pair.publish(&feed::whale(0));
    pair.publish(&feed::whale(1));
    assert_eq!(pair.acked(), [FIRST_ID, FIRST_ID + 1]);
    for r in pair.venue.saw("order.place") {
        assert_eq!((r.param("apiKey"), r.param("signature")), (None, None), "a logged-on order is signed");
    }
    pair.assert_accounting();
}

#[test]
fn refused_logon_is_a_venue_loss() {
    let mut pair = Pair::new(Config { key: Key::Ed25519([7; 32]), ..Config::default() });
    pair.venue.refuse_logon = Some(-2015);
    pair.step();
    assert!(
        pair.has(|e| matches!(e, Event::VenueLost { cause: VenueLoss::LogonRefused(-2015), .. })),
        "{:?}",
        pair.events
    );
    assert_eq!(pair.engine.venue_state(), VenueState::Backoff);
    assert!(!pair.venue.is_connected());
    pair.publish(&feed::whale(0));
    assert!(matches!(pair.events.last(), Some(Event::Skipped { reason: Skip::NotTrading, .. })));
    pair.venue.refuse_logon = None;
    pair.advance(S);
    assert_eq!(pair.engine.venue_state(), VenueState::Trading);
    assert_eq!(pair.venue.saw("session.logon").len(), 2);
}

// ----- 13: several nodes -------------------------------------------------

fn three_nodes() -> Pair {
    Pair::trading(Config { nodes: 3, ..Config::default() })
}

#[test]
fn first_arrival_fires_and_later_arrivals_never_do() {
    let mut pair = three_nodes();
    let whale = feed::whale(0);
    pair.publish_on(1, &whale);
    pair.advance(3 * MS);
    pair.publish_on(0, &whale);
    pair.advance(5 * MS);
    pair.publish_on(2, &whale);
    assert_eq!(pair.sent(), [FIRST_ID], "one order for one whale, whichever node had it first");
    assert_eq!(pair.acked(), [FIRST_ID]);
    assert!(!pair.has(|e| matches!(e, Event::Suppressed { .. })), "a copy from another node reached the strategy");
    let counters = *pair.engine.counters();
    assert_eq!((counters.txs_seen, counters.txs_duplicate, counters.signals), (3, 2, 1));
    let nodes = pair.engine.node_stats();
    assert_eq!(nodes.len(), 3);
    assert_eq!(nodes.iter().map(|n| (n.first_seen, n.later_seen)).collect::<Vec<_>>(), [(0, 1), (1, 0), (0, 1)]);
    // Node 1 led the next node by 3 ms; node 2 lagged the first by 8 ms.
    assert_eq!(nodes[1].lead_ns.count(), 1);
    assert_eq!(nodes[1].lead_ns.sum_ns(), 3 * MS);
    assert_eq!(nodes[0].lag_ns.sum_ns(), 3 * MS);
    assert_eq!(nodes[2].lag_ns.sum_ns(), 8 * MS);
    assert!(nodes.iter().all(|n| n.up));
    pair.assert_accounting();
}

#[test]
fn a_copy_in_the_whales_own_turn_is_a_later_arrival() {
    let mut pair = three_nodes();
    let whale = feed::whale(0);
    // Both read in one turn, before the host polls an event: the whale's
    // record, written after its order is out, is there when the copy is
    // looked up.
    pair.node_mut(0).publish(&whale);
    pair.node_mut(1).publish(&whale);
    pair.step();
    assert_eq!(pair.sent(), [FIRST_ID]);
    assert!(!pair.has(|e| matches!(e, Event::Suppressed { .. })), "the copy reached the strategy");
    assert_eq!(pair.engine.counters().txs_duplicate, 1);
    let nodes = pair.engine.node_stats();
    assert_eq!((nodes[0].first_seen, nodes[1].later_seen), (1, 1));
    // The record holds the whale's wtxid once settled: a third copy, read
    // after the events, is recognised by it.
    pair.publish_on(2, &whale);
    assert_eq!(pair.engine.counters().txs_duplicate, 2);
    pair.assert_accounting();
}

#[test]
fn each_node_keeps_its_own_sequence_numbers() {
    let mut pair = three_nodes();
    // Node 2 has seen other traffic: its numbers run ahead, no gap.
    pair.node_mut(2).sequence = 500;
    for n in 0..3 {
        pair.publish_on(n, &feed::minnow());
    }
    pair.publish_on(2, &feed::whale(0));
    assert!(!pair.has(|e| matches!(e, Event::FeedGap { .. } | Event::FeedRestart { .. })), "{:?}", pair.events);
    assert_eq!(pair.acked(), [FIRST_ID]);
    // The minnow was node 0's first; the whale node 2's.
    assert_eq!(pair.engine.node_stats().iter().map(|n| n.first_seen).collect::<Vec<_>>(), [1, 0, 1]);
}

#[test]
fn a_gap_another_node_covers_does_not_stop_trading() {
    let mut pair = three_nodes();
    pair.publish_on(0, &feed::minnow());
    pair.node_mut(0).skip(1);
    pair.publish_on(0, &feed::minnow());
    assert!(pair.has(|e| matches!(e, Event::FeedGap { node: 0, covered: true, .. })), "{:?}", pair.events);
    assert!(!pair.has(killed_by(KillCause::FeedGap)));
    assert_eq!(pair.engine.counters().feed_gaps, 0, "a covered gap is no reason to stop");
    assert_eq!(pair.engine.node_stats()[0].gaps, 1);
    pair.publish_on(1, &feed::whale(0));
    assert_eq!(pair.acked(), [FIRST_ID]);
}

#[test]
fn the_gap_policy_applies_once_every_live_node_has_gapped() {
    let timers = Timers { gap_cover_ns: 60 * S, ..Timers::default() };
    let mut pair = Pair::trading(Config { nodes: 2, timers, ..Config::default() });
    pair.publish_on(0, &feed::minnow());
    pair.publish_on(1, &feed::minnow());
    pair.node_mut(0).skip(1);
    pair.publish_on(0, &feed::minnow());
    assert!(pair.has(|e| matches!(e, Event::FeedGap { node: 0, covered: true, .. })));
    pair.advance(10 * S);
    // Node 1 gaps while node 0's gap is 10 s old: nobody covers it.
    pair.node_mut(1).restart();
    pair.publish_on(1, &feed::minnow());
    assert!(pair.has(|e| matches!(e, Event::FeedRestart { node: 1, covered: false })), "{:?}", pair.events);
    assert!(pair.has(killed_by(KillCause::FeedGap)));
    assert_eq!(pair.engine.counters().feed_gaps, 1);
    pair.publish_on(0, &feed::whale(0));
    assert!(pair.sent().is_empty(), "an order left after every node had gapped");
}

#[test]
fn a_gap_while_the_other_node_is_down_is_uncovered() {
    let mut pair = Pair::trading(Config { nodes: 2, ..Config::default() });
    pair.others[0].1 = false;
    pair.engine.feed_closed(1, pair.now);
    pair.publish_on(0, &feed::minnow());
    pair.node_mut(0).skip(1);
    pair.publish_on(0, &feed::minnow());
    assert!(pair.has(|e| matches!(e, Event::FeedGap { node: 0, covered: false, .. })), "{:?}", pair.events);
    assert!(pair.has(killed_by(KillCause::FeedGap)));
    assert!(!pair.engine.node_stats()[1].up);
}

#[test]
fn a_replacement_from_another_node_is_a_new_transaction() {
    let mut pair = Pair::trading(Config { nodes: 2, ..Config::default() });
    let whale = feed::whale(0);
    let mut replacement = whale.clone();
    // The same input, another output value: another wtxid.
    let last_value = replacement.len() - 4 - 8 - 30;
    replacement[last_value] ^= 1;
    pair.publish_on(0, &whale);
    pair.publish_on(1, &replacement);
    assert_eq!(pair.engine.counters().txs_duplicate, 0, "a replacement was taken for a copy");
    assert_eq!(pair.engine.node_stats()[1].first_seen, 1);
}
