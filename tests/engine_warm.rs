//! Dry runs of the fire path (`Engine::warm`, docs/deploy.md §Warm path)
//! reach nothing a venue can see: the same engine, seed and inputs with
//! dry runs between every step and without any put the same bytes on the
//! wire, raise the same events, journal the same orders at the venue and
//! end with the same counters (but the dry-run count), whatever the
//! sequence of whales, other transactions, gaps, time and rejections.

// Shared with the scenarios; this file uses part of it.
#[allow(dead_code)]
mod engine_harness;

use engine_harness::venue::Answer;
use engine_harness::{Config, MS, Pair, feed};
use hotline_core::engine::{Counters, Event, VenueState};
use proptest::prelude::*;

/// One thing that happens to both engines.
#[derive(Debug, Clone)]
enum Step {
    /// Node 0 publishes whale `n` (a fresh one for each `n`).
    Whale(u8),
    /// Node 0 publishes a transaction below every threshold.
    Minnow,
    /// Node 0 loses `n` messages (a sequence gap).
    Gap(u8),
    /// The venue refuses the next order.
    Reject,
    /// Time passes.
    Wait(u16),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0u8..40).prop_map(Step::Whale),
        2 => Just(Step::Minnow),
        1 => (1u8..3).prop_map(Step::Gap),
        1 => Just(Step::Reject),
        3 => (0u16..8_000).prop_map(Step::Wait),
    ]
}

fn play(pair: &mut Pair, step: &Step) {
    match step {
        Step::Whale(n) => pair.publish(&feed::whale(*n)),
        Step::Minnow => pair.publish(&feed::minnow()),
        Step::Gap(n) => pair.node.skip(u32::from(*n)),
        Step::Reject => pair.venue.place.push_back(Answer::Reject { status: 400, code: -2010 }),
        Step::Wait(ms) => pair.advance(u64::from(*ms) * MS),
    }
    pair.step();
}

/// Runs `steps` on a trading engine, with `dry_runs` dry runs before and
/// after each; returns the pair and how many dry runs went all the way.
fn run(steps: &[Step], dry_runs: u32) -> (Pair, u64) {
    let mut pair = Pair::trading(Config::default());
    let mut warmed = 0;
    let mut warm = |pair: &mut Pair| {
        for _ in 0..dry_runs {
            warmed += u64::from(pair.engine.warm(pair.now));
            pair.step();
        }
    };
    for step in steps {
        warm(&mut pair);
        play(&mut pair, step);
        warm(&mut pair);
    }
    (pair, warmed)
}

fn events(pair: &Pair) -> Vec<String> {
    pair.events.iter().map(|e| format!("{e:?}")).collect()
}

fn counters(pair: &Pair) -> Counters {
    Counters { dry_runs: 0, ..*pair.engine.counters() }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn dry_runs_change_nothing_a_venue_can_see(steps in proptest::collection::vec(step(), 1..24)) {
        let (cold, _) = run(&steps, 0);
        let (warm, warmed) = run(&steps, 3);
        prop_assert_eq!(&warm.wire, &cold.wire, "the bytes on the wire differ");
        prop_assert_eq!(events(&warm), events(&cold));
        prop_assert_eq!(&warm.venue.journal, &cold.venue.journal);
        prop_assert_eq!(counters(&warm), counters(&cold));
        prop_assert_eq!(warm.engine.counters().dry_runs, warmed);
        prop_assert_eq!(warm.engine.gate().open_orders(), cold.engine.gate().open_orders());
        prop_assert_eq!(warm.engine.gate().position(), cold.engine.gate().position());
    }
}

#[test]
fn dry_runs_go_all_the_way_while_trading_and_not_otherwise() {
    let mut pair = Pair::new(Config::default());
    assert!(!pair.engine.warm(pair.now), "a dry run before the session trades");
    pair.step();
    assert_eq!(pair.engine.venue_state(), VenueState::Trading);
    let sent_before = pair.wire.len();
    for _ in 0..100 {
        assert!(pair.engine.warm(pair.now));
    }
    pair.step();
    assert_eq!(pair.wire.len(), sent_before, "a dry run put bytes on the wire");
    assert_eq!(pair.engine.counters().dry_runs, 100);
    // A real whale after them is the first order, with the first ids.
    pair.publish(&feed::whale(1));
    assert_eq!(pair.acked(), [engine_harness::FIRST_ID]);
    assert!(pair.has(|e| matches!(e, Event::OrderSent { .. })));
    let request = pair.venue.requests.iter().find(|r| r.method == "order.place").expect("an order was placed");
    assert_eq!(request.param("newClientOrderId"), Some(format!("{:016}", engine_harness::FIRST_ID)));
}

#[test]
fn a_node_that_is_down_only_costs_its_turn() {
    let mut pair = Pair::trading(Config { nodes: 2, ..Config::default() });
    pair.others[0].1 = false;
    pair.engine.feed_closed(1, pair.now);
    let sealed = (0..10).filter(|_| pair.engine.warm(pair.now)).count();
    assert_eq!(sealed, 5, "node 0's turns warm the path, node 1's are skipped");
    assert_eq!(pair.engine.counters().dry_runs, 5);
}
