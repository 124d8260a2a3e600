//! The in-process benchmark pipelines (`hotline::lab::bench`) against the
//! in-memory rustls + tungstenite venue, which checks every order's HMAC:
//! hotline's engine, hotline pre-armed and the conventional stack each
//! send every whale's order and get it acknowledged, and hotline and the
//! conventional stack (rust-bitcoin, serde_json, `hmac`, `hex`) sign the
//! same payloads byte for byte — a check that does notice a difference.
//! On Coinbase, hotline's engine sends every order to the in-memory FIX
//! responder.

use hotline::alloc_count::{self, CountingAlloc};
use hotline::clock::Clock;
use hotline::lab::bench::baseline::Baseline;
use hotline::lab::bench::pipeline::Priced;
use hotline::lab::bench::report::{Gap, in_process, on_big_stack, sparse};
use hotline::lab::bench::{Exchange, Harness, Pace, Pki, Tally, compare, pipeline};
use hotline::metrics::Stage;
use std::time::Duration;

#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc;

#[test]
fn every_pipeline_sends_each_whale_and_hotline_signs_like_the_baseline() {
    let clock = Clock::new();
    let runs = in_process(Exchange::Binance, 70, &clock, 3, 1).expect("the pipelines run");
    assert_eq!(runs.identical, Some(70));
    for tally in [&runs.hotline, &runs.pre_armed, &runs.baseline] {
        assert_eq!(tally.metrics.quantiles(Stage::TickToWire).map(|q| q.count), Some(70));
        assert_eq!(tally.metrics.quantiles(Stage::Sign).map(|q| q.count), Some(70));
        assert_eq!(tally.delivered, 70, "the venue read every order");
    }
    assert_eq!(runs.hotline.inbound.len(), 70, "one ack record per order");
    assert_eq!(runs.baseline.inbound.len(), 70);
    let orders = runs.hotline.orders.as_deref().unwrap();
    let ids: Vec<u64> = orders.iter().map(|o| o.client_order_id).collect();
    let first = ids[0];
    assert_eq!(ids, (first..first + 70).collect::<Vec<_>>(), "fresh whales: no order suppressed");
    let payload = String::from_utf8(orders[0].payload.clone()).unwrap();
    assert!(payload.starts_with("apiKey="), "{payload}");
    assert!(payload.contains("&quantity=000.00300&side=SELL&symbol=BTCUSDT&"), "{payload}");
    assert_eq!(orders[0].signature.len(), 64);
}

/// On Coinbase hotline's engine alone runs, against the in-memory FIX
/// responder, which checks the Logon's signature, every message's framing,
/// CheckSum and MsgSeqNum, and fills every NewOrderSingle in its own
/// ExecutionReport record.
#[test]
fn on_coinbase_every_order_reaches_the_fix_responder_and_is_filled() {
    let clock = Clock::new();
    let runs = in_process(Exchange::Coinbase, 70, &clock, 2, 1).expect("the Coinbase pipelines run");
    assert_eq!(runs.exchange, Exchange::Coinbase);
    assert_eq!(runs.identical, None, "no baseline to compare with");
    assert_eq!(runs.hotline.delivered, 70);
    assert_eq!(runs.hotline.inbound.len(), 70, "one ExecutionReport record per order");
    assert!(alloc_count::installed());
    assert_eq!(runs.hotline.allocations, 0, "the engine's FIX path allocates nothing");
    for stage in [Stage::TickToWire, Stage::Sign, Stage::Seal] {
        assert_eq!(runs.hotline.metrics.quantiles(stage).map(|q| q.count), Some(70), "{stage:?}");
    }
    for tally in [&runs.pre_armed, &runs.pre_sealed, &runs.baseline] {
        assert!(tally.metrics.quantiles(Stage::TickToWire).is_none(), "Binance-only pipelines do not run");
    }
    let json = runs.json();
    assert_eq!(json["venue"], "coinbase");
    assert_eq!(json["orders_delivered"], 70);
    assert!(json["orders_identical"].is_null() && json["baseline_ns"].is_null(), "{json}");
}

/// A ladder of three per whale reaches the responder as one NewOrderBatch
/// whose every order it checks and fills; tick-to-wire is timed once per
/// batch.
#[test]
fn on_coinbase_a_ladder_goes_out_as_one_batch_per_whale() {
    let clock = Clock::new();
    let runs = in_process(Exchange::Coinbase, 40, &clock, 1, 3).expect("the Coinbase pipelines run");
    assert_eq!(runs.hotline.delivered, 120, "three orders per whale");
    assert_eq!(runs.hotline.metrics.quantiles(Stage::TickToWire).map(|q| q.count), Some(40));
    assert_eq!(runs.hotline.allocations, 0, "the engine's batch path allocates nothing");
    assert_eq!(runs.json()["ladder"], 3);
}

#[test]
fn book_priced_orders_go_through_the_touch() {
    on_big_stack(book_priced).unwrap();
}

fn book_priced() {
    let clock = Clock::new();
    let pki = Pki::generate().unwrap();
    for (priced, price) in [(Priced::FixedLimit, "price=0095000.00&"), (Priced::Book, "price=0094999.97&")] {
        let mut tally = Tally::new(true);
        pipeline::priced(&pki, &clock, 1, priced, |h| h.run(5, &mut tally, &mut Pace::back_to_back()))
            .unwrap()
            .unwrap();
        let orders = tally.orders.unwrap();
        assert_eq!(orders.len(), 5);
        for order in &orders {
            let payload = String::from_utf8(order.payload.clone()).unwrap();
            // A sell at the bid (94 999.99) minus 2 ticks, or at the constant.
            assert!(payload.contains(price) && payload.contains("timeInForce=IOC"), "{priced:?}: {payload}");
        }
    }
}

#[test]
fn a_different_timestamp_is_a_different_order() {
    on_big_stack(different_timestamp).unwrap();
}

fn different_timestamp() {
    let clock = Clock::new();
    let pki = Pki::generate().unwrap();
    let mut hotline = Tally::new(true);
    pipeline::hotline(&pki, &clock, 1, |h| h.run(5, &mut hotline, &mut Pace::back_to_back())).unwrap().unwrap();
    let mut shifted = hotline.orders.clone().unwrap();
    shifted[3].timestamp += 1;
    let mut baseline = Tally::new(true);
    let mut b = Baseline::new(&pki, &clock).unwrap();
    b.replay(&shifted);
    b.run(5, &mut baseline, &mut Pace::back_to_back()).unwrap();
    let hotline = hotline.orders.unwrap();
    let baseline = baseline.orders.unwrap();
    assert_eq!(compare(&hotline[..3], &baseline[..3]), Ok(3));
    let err = compare(&hotline, &baseline).unwrap_err();
    assert!(err.contains(&format!("order {} differs", hotline[3].client_order_id)), "{err}");
    assert!(compare(&hotline[..4], &baseline[..3]).is_err(), "a missing order is a difference");
}

#[test]
fn sparse_pipelines_wait_before_every_whale_and_still_sign_alike() {
    let clock = Clock::new();
    let gap = Gap { every: Duration::from_micros(500), pollute_kb: 64, warm_every: Duration::from_micros(50) };
    let started = std::time::Instant::now();
    let s = sparse(Exchange::Binance, 8, &clock, 1, 1, gap).expect("the sparse pipelines run");
    // Six pipelines, eight gaps each, at least: the waits happened.
    assert!(started.elapsed() >= Duration::from_micros(6 * 8 * 500));
    assert_eq!(s.runs.identical, Some(8));
    for tally in [&s.runs.hotline, &s.runs.pre_armed, &s.runs.pre_sealed, &s.runs.baseline, &s.spin, &s.cold] {
        assert_eq!(tally.metrics.quantiles(Stage::TickToWire).map(|q| q.count), Some(8));
    }
    let json = s.json();
    assert_eq!(json["gap_us"], 500);
    assert_eq!(json["warm_interval_us"], 50);
    assert!(json["tick_to_wire_ns"]["p50"].as_u64().is_some_and(|ns| ns > 0), "{json}");
}
