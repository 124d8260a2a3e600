//! What serving metrics costs the engine thread, in one group:
//! `publish_changed` is one turn's [`Publisher::publish`] on two nodes when
//! the state changed (a transaction since the last turn, and a later
//! arrival every other turn: the changed words go into the seqlocked board,
//! and the nodes' lead and lag histograms are checked for new samples),
//! `publish_quiet` one when nothing changed (the usual turn: a comparison,
//! no store), `*_scraped` the same
//! while another thread reads the board without pause (a scrape storm far
//! beyond Prometheus's one read per interval: the engine's stores then miss
//! in cache), and `record` one stage sample into its bucket. The target is
//! at most 50 ns per turn (issue 17 §3); p50 and p99 come from criterion's
//! samples (`target/criterion/metrics/*/new/sample.json`).

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use hotline::metrics::Stage;
use hotline::metrics::live::{Live, NodeCounts, Publisher, Snapshot};
use hotline_core::engine::{Counters, MAX_NODES, NodeStats, VenueState};

/// A trading turn's state, a little different each time.
fn snapshot(turn: u64) -> Snapshot {
    Snapshot {
        counters: Counters { txs_seen: turn, orders_sent: turn / 8, orders_acked: turn / 8, ..Counters::default() },
        venue: VenueState::Trading,
        nodes: 2,
        node: [NodeCounts { up: true, first_seen: turn / 2, later_seen: turn / 2, ..NodeCounts::default() }; MAX_NODES],
        ..Snapshot::default()
    }
}

fn metrics(c: &mut Criterion) {
    let mut group = c.benchmark_group("metrics");
    let live = Arc::new(Live::new());
    // Two nodes without lead or lag samples: their histograms are checked,
    // not copied.
    let nodes = [NodeStats::default(); 2];
    let mut turns = |name: &str, changed: bool| {
        let mut publisher = Publisher::new(&live);
        let mut turn = 0u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                turn += u64::from(changed);
                publisher.publish(black_box(&snapshot(turn)), black_box(&nodes));
            });
        });
    };
    turns("publish_changed", true);
    turns("publish_quiet", false);
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (live, stop) = (Arc::clone(&live), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                black_box(live.read());
            }
        })
    };
    turns("publish_changed_scraped", true);
    turns("publish_quiet_scraped", false);
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
