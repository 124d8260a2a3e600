//! Tick-to-wire in one run (issue 7 §2): a whale's bitcoind ZMQ message
//! bytes in, the TLS record of its signed `order.place` out, for hotline's
//! engine, hotline with the order pre-armed, and the conventional Rust
//! stack (rust-bitcoin, serde_json, BTreeMap, `hmac`, `hex`, tungstenite,
//! rustls); and the inbound path, a TLS record with the venue's ack in and
//! the order's state updated, for hotline and the baseline. All through
//! `hotline::lab::bench` against an in-memory rustls + tungstenite venue that
//! checks every order's signature.
//!
//! Criterion times each pipeline end to end (`iter_custom` over the sum of
//! single iterations, so the venue's untimed work between them is left
//! out); per stage, every iteration criterion ran is also kept in
//! histograms, printed at the end as p50/p99 per stage with the
//! baseline/hotline ratio. Before timing, a short run checks that hotline
//! and the baseline sign byte-identical orders.

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, criterion_group, criterion_main};
use hotline::clock::Clock;
use hotline::lab::bench::baseline::Baseline;
use hotline::lab::bench::pipeline::Priced;
use hotline::lab::bench::report::{Runs, in_process};
use hotline::lab::bench::{Exchange, Harness, Pace, Pki, Tally, pipeline};
use hotline::metrics::Stage;

/// Orders in the identity check before timing.
const CHECKED: u64 = 256;

/// Registers the end-to-end bench of `name`, and its inbound path if it has one.
fn bench(g: &mut BenchmarkGroup<'_, WallTime>, name: &str, h: &mut dyn Harness, tally: &mut Tally, inbound: bool) {
    g.bench_function(format!("tick_to_wire/{name}"), |b| {
        b.iter_custom(|iters| {
            let before = tally.sum(Stage::TickToWire);
            h.run(iters, tally, &mut Pace::back_to_back()).expect("the pipeline runs");
            tally.sum(Stage::TickToWire) - before
        })
    });
    if inbound {
        g.bench_function(format!("inbound/{name}"), |b| {
            b.iter_custom(|iters| {
                let before = tally.inbound_sum();
                h.run(iters, tally, &mut Pace::back_to_back()).expect("the pipeline runs");
                tally.inbound_sum() - before
            })
        });
    }
}

fn pipelines(c: &mut Criterion) {
    let clock = Clock::new();
    let identical =
        in_process(Exchange::Binance, CHECKED, &clock, 1, 1).expect("hotline and the baseline sign alike").identical;
    let pki = Pki::generate().expect("certificates");
    let mut runs = Runs {
        exchange: Exchange::Binance,
        ladder: 1,
        hotline: Tally::new(false),
        pre_armed: Tally::new(false),
        pre_sealed: Tally::new(false),
        baseline: Tally::new(false),
        identical,
    };
    let mut g = c.benchmark_group("pipeline");
    // Between timed iterations the venue decrypts, checks and answers
    // every order: wall time runs several times the time measured.
    g.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3)).sample_size(50);
    pipeline::hotline(&pki, &clock, 1, |h| bench(&mut g, "hotline", h, &mut runs.hotline, true)).expect("hotline");
    pipeline::pre_armed(&pki, &clock, false, |h| bench(&mut g, "pre-armed", h, &mut runs.pre_armed, false))
        .expect("pre-armed");
    pipeline::pre_armed(&pki, &clock, true, |h| bench(&mut g, "pre-sealed", h, &mut runs.pre_sealed, false))
        .expect("pre-sealed");
    let mut baseline = Baseline::new(&pki, &clock).expect("baseline");
    bench(&mut g, "baseline", &mut baseline, &mut runs.baseline, true);
    g.finish();
    eprintln!("\nper stage, over every iteration above (clock: {}):\n{}", clock.source(), runs.table());
}

/// What pricing from the book costs (issue 14): IOC limit orders at a
/// constant price against the same orders priced through the live touch
/// of a market-data stream, back to back.
fn pricing(c: &mut Criterion) {
    let clock = Clock::new();
    let pki = Pki::generate().expect("certificates");
    let mut g = c.benchmark_group("pricing");
    g.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3)).sample_size(50);
    for (name, priced) in [("fixed-limit", Priced::FixedLimit), ("book", Priced::Book)] {
        let mut tally = Tally::new(false);
        pipeline::priced(&pki, &clock, 1, priced, |h| bench(&mut g, name, h, &mut tally, false)).expect(name);
        let p50 = tally.metrics.quantiles(Stage::TickToWire).map(|q| q.p50);
        eprintln!("pricing/{name}: tick-to-wire p50 {p50:?} ns");
    }
    g.finish();
}

/// The gap before each whale in the sparse group.
const GAP: Duration = Duration::from_millis(10);

/// Whales as they come (issue 15): each pipeline waits [`GAP`] before every
/// whale, and only the whale is timed. hotline warm spins through the gap
/// with a dry run of its fire path every
/// [`WARM_INTERVAL_US`](hotline::driver::WARM_INTERVAL_US) (the production
/// profile); hotline cold and the baseline sleep through it, as `hotline
/// run` without `host.spin` and a conventional stack in epoll do.
/// Criterion plans its iterations from the wall time, gaps included.
fn sparse(c: &mut Criterion) {
    let clock = Clock::new();
    let pki = Pki::generate().expect("certificates");
    let mut g = c.benchmark_group("sparse");
    g.sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5))
        .sample_size(10);
    let warm_every = Duration::from_micros(hotline::driver::WARM_INTERVAL_US);
    let timed = |g: &mut BenchmarkGroup<'_, WallTime>, name: &str, h: &mut dyn Harness, mut pace: Pace| {
        let mut tally = Tally::new(false);
        g.bench_function(format!("tick_to_wire/{name}"), |b| {
            b.iter_custom(|iters| {
                let before = tally.sum(Stage::TickToWire);
                h.run(iters, &mut tally, &mut pace).expect("the pipeline runs");
                tally.sum(Stage::TickToWire) - before
            })
        });
    };
    pipeline::hotline(&pki, &clock, 1, |h| {
        timed(&mut g, "hotline-warm", h, Pace::sparse(GAP, 0, true, Some(warm_every)))
    })
    .expect("hotline");
    pipeline::hotline(&pki, &clock, 1, |h| timed(&mut g, "hotline-cold", h, Pace::sparse(GAP, 0, false, None)))
        .expect("hotline");
    let mut baseline = Baseline::new(&pki, &clock).expect("baseline");
    timed(&mut g, "baseline", &mut baseline, Pace::sparse(GAP, 0, false, None));
    g.finish();
}

criterion_group!(benches, pipelines, pricing, sparse);
criterion_main!(benches);
