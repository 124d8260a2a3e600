//! The four in-process pipelines run one after another over the same
//! whales ([`in_process`]) turn into what people read: per-stage p50 and
//! p99 with the baseline/hotline ratio as a table ([`Runs::table`]) or JSON
//! ([`Runs::json`]), and the end-to-end distributions as percentile curves
//! in an SVG drawn with plotters ([`Runs::plot`]).

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use super::baseline::Baseline;
use super::{Harness, Pki, SETTLE_EVERY, Tally, compare, pipeline};
use crate::clock::Clock;
use crate::metrics::{Quantiles, Stage};

/// The in-process stages, in pipeline order, then end to end: every stage
/// but the venue's round trip.
pub const STAGES: &[Stage] = Stage::ALL.split_at(Stage::ALL.len() - 1).0;

/// The four in-process runs.
#[derive(Debug)]
pub struct Runs {
    /// hotline's engine.
    pub hotline: Tally,
    /// hotline with the order pre-armed.
    pub pre_armed: Tally,
    /// hotline with the order pre-armed and its record pre-sealed.
    pub pre_sealed: Tally,
    /// The conventional Rust stack.
    pub baseline: Tally,
    /// Orders hotline and the baseline signed byte for byte alike.
    pub identical: usize,
}

/// Orders each pipeline runs before the next takes its turn.
const ROUND: u64 = 1_000;

/// Runs each pipeline for `count` orders after a tenth as many to warm
/// up, taking turns [`ROUND`] orders at a time so that the noise of a
/// shared machine falls on all alike. The baseline replays hotline's
/// client order ids and timestamps, and the two must have signed every
/// order alike.
pub fn in_process(count: u64, clock: &Clock, nodes: usize) -> Result<Runs, String> {
    let pki = Pki::generate()?;
    let warm = (count / 10).max(SETTLE_EVERY);
    let mut hotline = Tally::new(true);
    let mut pre_armed = Tally::new(false);
    let mut pre_sealed = Tally::new(false);
    let mut baseline = Tally::new(true);
    let mut b = Baseline::new(&pki, clock)?;
    pipeline::hotline(&pki, clock, nodes, |h| {
        pipeline::pre_armed(&pki, clock, false, |a| {
            pipeline::pre_armed(&pki, clock, true, |s| {
                h.run(warm, &mut Tally::new(false))?;
                a.run(warm, &mut Tally::new(false))?;
                s.run(warm, &mut Tally::new(false))?;
                b.run(warm, &mut Tally::new(false))?;
                let mut done = 0;
                while done < count {
                    let n = ROUND.min(count - done);
                    let from = hotline.orders.as_ref().map_or(0, Vec::len);
                    h.run(n, &mut hotline)?;
                    a.run(n, &mut pre_armed)?;
                    s.run(n, &mut pre_sealed)?;
                    b.replay(hotline.orders.as_deref().unwrap_or_default().get(from..).unwrap_or_default());
                    b.run(n, &mut baseline)?;
                    done += n;
                }
                Ok::<(), String>(())
            })?
        })?
    })??;
    let identical =
        compare(hotline.orders.as_deref().unwrap_or_default(), baseline.orders.as_deref().unwrap_or_default())?;
    Ok(Runs { hotline, pre_armed, pre_sealed, baseline, identical })
}

/// `p50`, `p99`, `p999`, `count` and `max`, or `null` without samples.
pub fn quantiles_json(q: Option<Quantiles>) -> Value {
    match q {
        Some(q) => json!({ "count": q.count, "p50": q.p50, "p99": q.p99, "p999": q.p999, "max": q.max }),
        None => Value::Null,
    }
}

/// Nanoseconds for people: whole below 10 µs, then microseconds.
pub fn human(ns: Option<u64>) -> String {
    match ns {
        None => "-".to_owned(),
        Some(ns) if ns < 10_000 => format!("{ns} ns"),
        Some(ns) => format!("{:.1} µs", ns as f64 / 1_000.0),
    }
}

/// `slow`'s p50 over `fast`'s in `stage`.
pub fn speedup(fast: &Tally, slow: &Tally, stage: Stage) -> Option<f64> {
    let f = fast.metrics.quantiles(stage)?.p50;
    let s = slow.metrics.quantiles(stage)?.p50;
    (f > 0).then(|| s as f64 / f as f64)
}

impl Runs {
    /// End to end and per stage for each pipeline, the inbound path, the
    /// speed-ups and the identical-order count.
    pub fn json(&self) -> Value {
        let total = |t: &Tally| quantiles_json(t.metrics.quantiles(Stage::TickToWire));
        let stages = |t: &Tally| -> Value {
            STAGES.iter().map(|s| (s.name().to_owned(), quantiles_json(t.metrics.quantiles(*s)))).collect()
        };
        json!({
            "count": self.hotline.metrics.quantiles(Stage::TickToWire).map_or(0, |q| q.count),
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
        let cell = |q: Option<Quantiles>| (human(q.map(|q| q.p50)), human(q.map(|q| q.p99)));
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
        let _ = writeln!(out, "\norders signed byte-identically by hotline and the baseline: {}", self.identical);
        out
    }

    /// Percentile curves of the four end-to-end distributions: x is the
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
        for (name, points, color) in series {
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
