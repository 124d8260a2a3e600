//! The four in-process pipelines run one after another over the same
//! whales ([`in_process`]; on Coinbase hotline's engine alone) turn into
//! what people read: per-stage p50 and p99 with the baseline/hotline ratio
//! as a table ([`Runs::table`]) or JSON ([`Runs::json`]), and the
//! end-to-end distributions as percentile curves in an SVG drawn with
//! plotters ([`Runs::plot`]).

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use super::baseline::Baseline;
use super::{Exchange, Harness, Pace, Pki, SETTLE_EVERY, Tally, compare, pipeline};
use crate::alloc_count;
use crate::clock::Clock;
use crate::metrics::{Quantiles, Stage};

/// The in-process stages, in pipeline order, then end to end: every stage
/// but the venue's round trip.
pub const STAGES: &[Stage] = Stage::ALL.split_at(Stage::ALL.len() - 1).0;

/// The four in-process runs.
#[derive(Debug)]
pub struct Runs {
    /// The venue traded on: on Coinbase only hotline's engine runs, and
    /// the other tallies stay empty.
    pub exchange: Exchange,
    /// Orders per whale (a Coinbase NewOrderBatch when more than one).
    pub ladder: u8,
    /// hotline's engine.
    pub hotline: Tally,
    /// hotline with the order pre-armed.
    pub pre_armed: Tally,
    /// hotline with the order pre-armed and its record pre-sealed.
    pub pre_sealed: Tally,
    /// The conventional Rust stack.
    pub baseline: Tally,
    /// Orders hotline and the baseline signed byte for byte alike; `None`
    /// without a baseline.
    pub identical: Option<usize>,
}

/// Why a column is empty on Coinbase.
const NOT_RUN: &str = "pre-armed, pre-sealed and the conventional baseline build Binance's order.place: not run here";

/// Orders each pipeline runs before the next takes its turn.
const ROUND: u64 = 1_000;
/// The same, when whales come with gaps between them.
const SPARSE_ROUND: u64 = 50;

/// Runs each pipeline on `exchange` for `count` orders back to back after
/// a tenth as many to warm up, taking turns [`ROUND`] orders at a time so
/// that the noise of a shared machine falls on all alike. The baseline
/// replays hotline's client order ids and timestamps, and the two must
/// have signed every order alike.
pub fn in_process(exchange: Exchange, count: u64, clock: &Clock, nodes: usize, ladder: u8) -> Result<Runs, String> {
    let warm = (count / 10).max(SETTLE_EVERY);
    let mut paces = [(); 4].map(|()| Pace::back_to_back());
    run_pipelines(exchange, count, warm, ROUND, clock, nodes, ladder, &mut paces, &mut [])
}

/// Whales as they come: a gap before each one.
#[derive(Debug, Clone, Copy)]
pub struct Gap {
    /// Time between whales.
    pub every: Duration,
    /// KiB of memory swept at the start of each gap.
    pub pollute_kb: usize,
    /// hotline's dry runs while it waits: this often.
    pub warm_every: Duration,
}

/// The pipelines with a gap before every whale.
#[derive(Debug)]
pub struct Sparse {
    /// The gap.
    pub gap: Gap,
    /// hotline spinning with dry runs every `gap.warm_every` (the
    /// production profile), the pre-armed pipelines spinning, the baseline
    /// asleep in the kernel as a conventional stack waits in epoll.
    pub runs: Runs,
    /// hotline spinning without dry runs.
    pub spin: Tally,
    /// hotline asleep in the kernel between whales, no dry runs (`hotline
    /// run` without `host.spin`).
    pub cold: Tally,
}

/// Runs every pipeline on `exchange` for `count` whales with `gap` before
/// each, taking turns a few whales at a time, after a short back-to-back
/// warm-up.
pub fn sparse(
    exchange: Exchange,
    count: u64,
    clock: &Clock,
    nodes: usize,
    ladder: u8,
    gap: Gap,
) -> Result<Sparse, String> {
    let sleep = || Pace::sparse(gap.every, gap.pollute_kb, false, None);
    let spin = |warm: Option<Duration>| Pace::sparse(gap.every, gap.pollute_kb, true, warm);
    let mut paces = [spin(Some(gap.warm_every)), spin(None), spin(None), sleep()];
    let mut extra = [(spin(None), Tally::new(false)), (sleep(), Tally::new(false))];
    let runs =
        run_pipelines(exchange, count, SETTLE_EVERY, SPARSE_ROUND, clock, nodes, ladder, &mut paces, &mut extra)?;
    let [(_, spin), (_, cold)] = extra;
    Ok(Sparse { gap, runs, spin, cold })
}

/// Stack of the thread the pipelines run on: three engines, each holding
/// its tables inline, live in its frames at once.
const STACK: usize = 64 << 20;

/// Runs `f` on a thread of its own with room for engines on its stack (a
/// test thread's 2 MiB is not, in a debug build).
pub fn on_big_stack<R: Send>(f: impl FnOnce() -> R + Send) -> Result<R, String> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("hotline-bench".to_owned())
            .stack_size(STACK)
            .spawn_scoped(scope, f)
            .map_err(|e| format!("bench thread: {e}"))?
            .join()
            .map_err(|_| "the bench thread panicked".to_owned())
    })
}

/// Runs hotline, pre-armed, pre-sealed and the baseline with `paces` in
/// that order (on Coinbase, hotline alone), then up to two more hotline
/// engines with `extra`'s paces into its tallies, `round` whales each in
/// turn, on a thread of its own.
#[allow(clippy::too_many_arguments)]
fn run_pipelines(
    exchange: Exchange,
    count: u64,
    warm: u64,
    round: u64,
    clock: &Clock,
    nodes: usize,
    ladder: u8,
    paces: &mut [Pace; 4],
    extra: &mut [(Pace, Tally)],
) -> Result<Runs, String> {
    on_big_stack(|| run_on_this_thread(exchange, count, warm, round, clock, nodes, ladder, paces, extra))?
}

/// The pre-armed pipeline, on Binance; none on Coinbase.
fn pre_armed_on<R>(
    exchange: Exchange,
    pki: &Pki,
    clock: &Clock,
    presealed: bool,
    f: impl FnOnce(Option<&mut dyn Harness>) -> R,
) -> Result<R, String> {
    if exchange.has_conventional() { pipeline::pre_armed(pki, clock, presealed, |h| f(Some(h))) } else { Ok(f(None)) }
}

#[allow(clippy::too_many_arguments)]
fn run_on_this_thread(
    exchange: Exchange,
    count: u64,
    warm: u64,
    round: u64,
    clock: &Clock,
    nodes: usize,
    ladder: u8,
    paces: &mut [Pace; 4],
    extra: &mut [(Pace, Tally)],
) -> Result<Runs, String> {
    let pki = Pki::generate()?;
    let conventional = exchange.has_conventional();
    let mut hotline = Tally::new(conventional);
    let mut pre_armed = Tally::new(false);
    let mut pre_sealed = Tally::new(false);
    let mut baseline = Tally::new(true);
    let mut b = if conventional { Some(Baseline::new(&pki, clock)?) } else { None };
    let [hot_pace, armed_pace, sealed_pace, base_pace] = paces;
    pipeline::engine(exchange, &pki, clock, nodes, ladder, |h| {
        pipeline::engine(exchange, &pki, clock, nodes, ladder, |x| {
            pipeline::engine(exchange, &pki, clock, nodes, ladder, |y| {
                pre_armed_on(exchange, &pki, clock, false, |mut a| {
                    pre_armed_on(exchange, &pki, clock, true, |mut s| {
                        let mut others: Vec<&mut dyn Harness> = vec![x, y];
                        others.truncate(extra.len());
                        let quick = &mut Pace::back_to_back();
                        h.run(warm, &mut Tally::new(false), quick)?;
                        if let Some(a) = a.as_deref_mut() {
                            a.run(warm, &mut Tally::new(false), quick)?;
                        }
                        if let Some(s) = s.as_deref_mut() {
                            s.run(warm, &mut Tally::new(false), quick)?;
                        }
                        if let Some(b) = &mut b {
                            b.run(warm, &mut Tally::new(false), quick)?;
                        }
                        for o in others.iter_mut() {
                            o.run(warm, &mut Tally::new(false), quick)?;
                        }
                        let mut done = 0;
                        while done < count {
                            let n = round.min(count - done);
                            let from = hotline.orders.as_ref().map_or(0, Vec::len);
                            h.run(n, &mut hotline, hot_pace)?;
                            if let Some(a) = a.as_deref_mut() {
                                a.run(n, &mut pre_armed, armed_pace)?;
                            }
                            if let Some(s) = s.as_deref_mut() {
                                s.run(n, &mut pre_sealed, sealed_pace)?;
                            }
                            if let Some(b) = &mut b {
                                b.replay(hotline.orders.as_deref().unwrap_or_default().get(from..).unwrap_or_default());
                                b.run(n, &mut baseline, base_pace)?;
                            }
                            for (o, (pace, tally)) in others.iter_mut().zip(extra.iter_mut()) {
                                o.run(n, tally, pace)?;
                            }
                            done += n;
                        }
                        Ok::<(), String>(())
                    })?
                })?
            })?
        })?
    })??;
    let identical = if conventional {
        Some(compare(hotline.orders.as_deref().unwrap_or_default(), baseline.orders.as_deref().unwrap_or_default())?)
    } else {
        None
    };
    Ok(Runs { exchange, ladder, hotline, pre_armed, pre_sealed, baseline, identical })
}

/// `p50`, `p99`, `p999`, `count` and `max`, or `null` without samples.
pub fn quantiles_json(q: Option<Quantiles>) -> Value {
    match q {
        Some(q) => json!({ "count": q.count, "p50": q.p50, "p99": q.p99, "p999": q.p999, "max": q.max }),
        None => Value::Null,
    }
}

/// What hotline's engine allocated on its timed path in `tallies`, or
/// `null` where allocations are not counted.
fn allocations(tallies: &[&Tally]) -> Value {
    alloc_count::installed().then(|| tallies.iter().map(|t| t.allocations).sum::<u64>()).into()
}

/// A pipeline's end-to-end quantiles.
fn total(t: &Tally) -> Value {
    quantiles_json(t.metrics.quantiles(Stage::TickToWire))
}

/// A pipeline's quantiles per stage, by stage name.
fn stages(t: &Tally) -> Value {
    STAGES.iter().map(|s| (s.name().to_owned(), quantiles_json(t.metrics.quantiles(*s)))).collect()
}

/// A table cell pair: p50 and p99 for people.
fn cell(q: Option<Quantiles>) -> (String, String) {
    (human(q.map(|q| q.p50)), human(q.map(|q| q.p99)))
}

/// Nanoseconds for people: whole below 10 µs, then microseconds, then
/// milliseconds from 1 ms.
pub fn human(ns: Option<u64>) -> String {
    match ns {
        None => "-".to_owned(),
        Some(ns) if ns < 10_000 => format!("{ns} ns"),
        Some(ns) if ns < 1_000_000 => format!("{:.1} µs", ns as f64 / 1_000.0),
        Some(ns) => format!("{:.1} ms", ns as f64 / 1_000_000.0),
    }
}

/// `slow`'s p50 over `fast`'s in `stage`.
pub fn speedup(fast: &Tally, slow: &Tally, stage: Stage) -> Option<f64> {
    let f = fast.metrics.quantiles(stage)?.p50;
    let s = slow.metrics.quantiles(stage)?.p50;
    (f > 0).then(|| s as f64 / f as f64)
}

impl Sparse {
    /// The `sparse` block: the gap, each pipeline's end to end, the
    /// speed-ups over the baseline, hotline's stages warm and cold and its
    /// allocations.
    pub fn json(&self) -> Value {
        let r = &self.runs;
        json!({
            "gap_us": self.gap.every.as_micros() as u64,
            "pollute_kb": self.gap.pollute_kb,
            "warm_interval_us": self.gap.warm_every.as_micros() as u64,
            "count": r.hotline.metrics.quantiles(Stage::TickToWire).map_or(0, |q| q.count),
            "hot_path_allocations": allocations(&[&r.hotline, &self.spin, &self.cold]),
            "tick_to_wire_ns": total(&r.hotline),
            "spin_ns": total(&self.spin),
            "cold_ns": total(&self.cold),
            "pre_armed_ns": total(&r.pre_armed),
            "pre_sealed_ns": total(&r.pre_sealed),
            "baseline_ns": total(&r.baseline),
            "speedup_p50": speedup(&r.hotline, &r.baseline, Stage::TickToWire),
            "speedup_spin_p50": speedup(&self.spin, &r.baseline, Stage::TickToWire),
            "speedup_cold_p50": speedup(&self.cold, &r.baseline, Stage::TickToWire),
            "stages_ns": {
                "hotline": stages(&r.hotline),
                "spin": stages(&self.spin),
                "cold": stages(&self.cold),
                "baseline": stages(&r.baseline),
            },
        })
    }

    /// p50 and p99 end to end per pipeline, and per stage for hotline warm
    /// and cold and the baseline.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let r = &self.runs;
        let _ = writeln!(
            out,
            "\nsparse: a whale every {}, {} KiB swept between them; warm: a dry run every {}",
            human(Some(self.gap.every.as_nanos() as u64)),
            self.gap.pollute_kb,
            human(Some(self.gap.warm_every.as_nanos() as u64)),
        );
        let _ = writeln!(
            out,
            "{:<14}{:>12}{:>11}{:>12}{:>11}{:>12}{:>11}{:>12}{:>11}",
            "stage", "warm p50", "p99", "spin p50", "p99", "cold p50", "p99", "base p50", "p99"
        );
        let of = |t: &Tally, stage| cell(t.metrics.quantiles(stage));
        let tallies = [&r.hotline, &self.spin, &self.cold, &r.baseline];
        for &stage in STAGES {
            let [(w50, w99), (s50, s99), (c50, c99), (b50, b99)] = tallies.map(|t| of(t, stage));
            let label = stage.label();
            let _ =
                writeln!(out, "{label:<14}{w50:>12}{w99:>11}{s50:>12}{s99:>11}{c50:>12}{c99:>11}{b50:>12}{b99:>11}");
        }
        if !r.exchange.has_conventional() {
            let _ = writeln!(out, "{NOT_RUN}");
            return out;
        }
        let (a50, a99) = of(&r.pre_armed, Stage::TickToWire);
        let (s50, s99) = of(&r.pre_sealed, Stage::TickToWire);
        let _ =
            writeln!(out, "pre-armed, spinning without dry runs: p50 {a50} p99 {a99}; pre-sealed: p50 {s50} p99 {s99}");
        let ratio =
            |t: &Tally| speedup(t, &r.baseline, Stage::TickToWire).map_or("-".to_owned(), |x| format!("{x:.1}×"));
        let _ = writeln!(
            out,
            "speed-up over the baseline at p50: {} warm (spinning, dry runs), {} spinning, {} cold (asleep)",
            ratio(&r.hotline),
            ratio(&self.spin),
            ratio(&self.cold)
        );
        out
    }
}

impl Runs {
    /// The venue, end to end and per stage for each pipeline, the inbound
    /// path, the speed-ups, the orders the venue read, hotline's
    /// allocations and the identical-order count.
    pub fn json(&self) -> Value {
        json!({
            "venue": self.exchange.name(),
            "ladder": self.ladder,
            "count": self.hotline.metrics.quantiles(Stage::TickToWire).map_or(0, |q| q.count),
            "orders_delivered": self.hotline.delivered,
            "hot_path_allocations": allocations(&[&self.hotline]),
            "orders_identical": self.identical,
            "tick_to_wire_ns": total(&self.hotline),
            "pre_armed_ns": total(&self.pre_armed),
            "pre_sealed_ns": total(&self.pre_sealed),
            "baseline_ns": total(&self.baseline),
            "speedup_p50": speedup(&self.hotline, &self.baseline, Stage::TickToWire),
            "speedup_pre_armed_p50": speedup(&self.pre_armed, &self.baseline, Stage::TickToWire),
            "speedup_pre_sealed_p50": speedup(&self.pre_sealed, &self.baseline, Stage::TickToWire),
            "inbound_ns": {
                "hotline": quantiles_json(Quantiles::of(&self.hotline.inbound)),
                "baseline": quantiles_json(Quantiles::of(&self.baseline.inbound)),
            },
            "stages_ns": {
                "hotline": stages(&self.hotline),
                "pre_armed": stages(&self.pre_armed),
                "pre_sealed": stages(&self.pre_sealed),
                "baseline": stages(&self.baseline),
            },
        })
    }

    /// One row per stage: p50 and p99 of each pipeline and the
    /// baseline/hotline ratio of the medians; then the inbound path.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<14}{:>12}{:>11}{:>12}{:>11}{:>12}{:>11}{:>12}{:>11}{:>8}",
            "stage", "hotline p50", "p99", "armed p50", "p99", "sealed p50", "p99", "base p50", "p99", "ratio"
        );
        let runs = [&self.hotline, &self.pre_armed, &self.pre_sealed, &self.baseline];
        for &stage in STAGES {
            let [(h50, h99), (a50, a99), (s50, s99), (b50, b99)] = runs.map(|t| cell(t.metrics.quantiles(stage)));
            let ratio = speedup(&self.hotline, &self.baseline, stage).map_or("-".to_owned(), |r| format!("{r:.1}×"));
            let label = stage.label();
            let _ = writeln!(
                out,
                "{label:<14}{h50:>12}{h99:>11}{a50:>12}{a99:>11}{s50:>12}{s99:>11}{b50:>12}{b99:>11}{ratio:>8}"
            );
        }
        let (h50, h99) = cell(Quantiles::of(&self.hotline.inbound));
        let (b50, b99) = cell(Quantiles::of(&self.baseline.inbound));
        let fast = Quantiles::of(&self.hotline.inbound).map(|q| q.p50);
        let slow = Quantiles::of(&self.baseline.inbound).map(|q| q.p50);
        let ratio = match (fast, slow) {
            (Some(f), Some(s)) if f > 0 => format!("{:.1}×", s as f64 / f as f64),
            _ => "-".to_owned(),
        };
        let _ = writeln!(
            out,
            "{:<14}{h50:>12}{h99:>11}{:>12}{:>11}{:>12}{:>11}{b50:>12}{b99:>11}{ratio:>8}",
            "ack inbound", "-", "-", "-", "-"
        );
        match self.identical {
            Some(n) => {
                let _ = writeln!(out, "\norders signed byte-identically by hotline and the baseline: {n}");
            }
            None => {
                let _ = writeln!(
                    out,
                    "\n{}: {} orders read, checked and filled by the in-memory venue\n{NOT_RUN}",
                    self.exchange.name(),
                    self.hotline.delivered
                );
            }
        }
        out
    }

    /// Percentile curves of the end-to-end distributions: x is the
    /// number of nines (0 = p0, 1 = p90, 2 = p99, 3 = p99.9), y
    /// nanoseconds on a log scale.
    pub fn plot(&self, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
        use plotters::prelude::*;
        const NINES: f64 = 3.0;
        const STEPS: u32 = 300;
        let points = |t: &Tally| -> Vec<(f64, f64)> {
            let h = t.metrics.histogram(Stage::TickToWire);
            if h.is_empty() {
                return Vec::new();
            }
            (0..=STEPS)
                .map(|i| {
                    let x = NINES * f64::from(i) / f64::from(STEPS);
                    (x, h.value_at_quantile(1.0 - 10f64.powf(-x)).max(1) as f64)
                })
                .collect()
        };
        let series = [
            ("hotline", points(&self.hotline), RED),
            ("hotline pre-armed", points(&self.pre_armed), BLUE),
            ("hotline pre-sealed", points(&self.pre_sealed), GREEN),
            ("conventional Rust stack", points(&self.baseline), BLACK),
        ];
        let ys = || series.iter().flat_map(|(_, p, _)| p.iter().map(|(_, y)| *y));
        let max = ys().fold(1.0, f64::max);
        let min = ys().fold(max, f64::min);
        let root = SVGBackend::new(path, (900, 540)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("tick-to-wire: ZMQ message in → TLS record out", ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..NINES, (min * 0.8..max * 1.25).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("percentile")
            .y_desc("nanoseconds")
            .x_label_formatter(&|x| format!("p{:.3}", 100.0 * (1.0 - 10f64.powf(-x))))
            .draw()?;
        // A pipeline not run (on Coinbase) has no curve and no legend.
        for (name, points, color) in series.into_iter().filter(|(_, points, _)| !points.is_empty()) {
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        }
        chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
        root.present()?;
        Ok(())
    }
}
