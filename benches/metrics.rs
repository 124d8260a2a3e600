//! What serving metrics costs the engine thread, in one group:
//! `publish` is one turn's [`Live::publish`] (the engine's counters and
//! states into the seqlocked board), `publish_scraped` the same while
//! another thread reads the board in a loop (the metrics thread under a
//! scrape storm: the engine's stores then miss in cache), and `record` one
//! stage sample into its bucket. The target is at most 50 ns per turn
//! (issue 17 §3); p50 and p99 come from criterion's samples
//! (`target/criterion/metrics/*/new/sample.json`).

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use hotline::metrics::Stage;
use hotline::metrics::live::{Live, Snapshot};
use hotline_core::engine::{Counters, VenueState};

/// A trading turn's state, a little different each time.
fn snapshot(turn: u64) -> Snapshot {
    Snapshot {
        counters: Counters { txs_seen: turn, orders_sent: turn / 8, orders_acked: turn / 8, ..Counters::default() },
        venue: VenueState::Trading,
        feed_up: true,
        ..Snapshot::default()
    }
}

fn metrics(c: &mut Criterion) {
    let mut group = c.benchmark_group("metrics");
    let live = Arc::new(Live::new());
    let mut turn = 0u64;
    group.bench_function("publish", |b| {
        b.iter(|| {
            turn += 1;
            live.publish(black_box(&snapshot(turn)));
        });
    });
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (live, stop) = (Arc::clone(&live), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                black_box(live.read());
            }
        })
    };
    group.bench_function("publish_scraped", |b| {
        b.iter(|| {
            turn += 1;
            live.publish(black_box(&snapshot(turn)));
        });
    });
    stop.store(true, Ordering::Relaxed);
    reader.join().expect("reader");
    let mut ns = 0u64;
    group.bench_function("record", |b| {
        b.iter(|| {
            ns = (ns + 977) % 2_000_000;
            live.record(black_box(Stage::Seal), black_box(ns));
        });
    });
    group.finish();
}

criterion_group!(benches, metrics);
criterion_main!(benches);
