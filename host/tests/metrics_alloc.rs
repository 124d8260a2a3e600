//! `hotline::metrics::Metrics::record` under a counting global allocator:
//! recording into the pre-sized histograms, in and out of their range, and
//! resetting them allocate nothing.

use hotline::alloc_count::{self, CountingAlloc};
use hotline::metrics::{Metrics, Stage};

// Counts per thread: the test harness's own threads may allocate at any
// time, and only this thread's allocations are the ones under test.
#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

#[test]
fn recording_never_allocates() {
    let mut metrics = Metrics::new();
    assert!(alloc_count::installed());
    let before = alloc_count::allocations();
    for stage in Stage::ALL {
        for ns in [0, 1, 999, 1_000_000, 60_000_000_000, 60_000_000_001, u64::MAX] {
            metrics.record(stage, ns);
        }
    }
    metrics.reset();
    metrics.record(Stage::Seal, 300);
    let after = alloc_count::allocations();
    assert_eq!(after - before, 0);
    assert_eq!(metrics.quantiles(Stage::Seal).map(|q| q.count), Some(1));
}
