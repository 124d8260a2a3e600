//! The hot path allocates nothing: the engine's io_uring loop, with the
//! counting allocator as this binary's global allocator, trades whales
//! from the mempool replayer (a real libzmq publisher) against the
//! simulated exchange (`hotline-sim`), and every allocation its thread
//! makes from a feed message to the sealed order and from the venue's
//! bytes to the settled ack is counted (connection set-up is not).

#[allow(dead_code)]
mod engine_support;

use engine_support::{Scenario, WHALES_PER_LOOP, run};

#[global_allocator]
static ALLOCATOR: hotline::alloc_count::CountingAlloc = hotline::alloc_count::CountingAlloc;

#[test]
fn thirty_orders_without_a_hot_path_allocation() {
    let loops = 10;
    let o = run(Scenario::new(loops));
    o.assert_accounting();
    let c = &o.report.counters;
    assert_eq!(c.orders_sent, WHALES_PER_LOOP * u64::from(loops));
    assert!(c.orders_sent >= 30);
    assert_eq!(c.orders_acked, c.orders_sent, "{c:?}");
    assert_eq!(o.report.hot_path_allocations, Some(0));
}
