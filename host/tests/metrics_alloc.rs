//! `hotline::metrics::Metrics::record` under a counting global allocator:
//! recording into the pre-sized histograms, in and out of their range, and
//! resetting them allocate nothing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use hotline::metrics::{Metrics, Stage};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: defers every call to `System`; the counter has no effect on the
// memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `realloc` is passed on unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn recording_never_allocates() {
    let mut metrics = Metrics::new();
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for stage in Stage::ALL {
        for ns in [0, 1, 999, 1_000_000, 60_000_000_000, 60_000_000_001, u64::MAX] {
            metrics.record(stage, ns);
        }
    }
    metrics.reset();
    metrics.record(Stage::Seal, 300);
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    assert_eq!(after - before, 0);
    assert_eq!(metrics.quantiles(Stage::Seal).map(|q| q.count), Some(1));
}
