//! Engine scenarios on the in-memory harness.

mod engine_harness;

use engine_harness::{Config, Pair, feed};
use hotline_core::engine::Event;

#[test]
fn smoke() {
    let mut pair = Pair::trading(Config::default());
    pair.publish(&feed::whale(0));
    assert_eq!(pair.sent().len(), 1, "{:?}", pair.events);
    assert!(pair.has(|e| matches!(e, Event::OrderAcked { .. })), "{:?}", pair.events);
}
