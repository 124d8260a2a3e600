//! Building and signing one Binance `order.place` (the order of test vector A in docs/protocols/binance-ws-api.md
//! §Test vectors, plus a 16-digit client order id), hotline against the conventional Rust pipeline, in one group.
//!
//! hotline: patch the five per-order slots, HMAC from the key and payload
//! midstates, hex into the request; pre-armed fire (lookup, request id,
//! copy out); HMAC alone over the vector-A payload; eight payloads signed
//! in one multi-buffer call.
//! conventional: a serde struct to `serde_json::Value`, params sorted
//! through a `BTreeMap` and joined, `Hmac::new_from_slice` per order,
//! `hex::encode`, `serde_json::to_string` of the request; and the `hmac`
//! crate alone over the vector-A payload with the key pre-loaded.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use hotline_core::order::{Decimal, Instrument, OrderType, Side, TimeInForce};
use hotline_core::sign::{HmacKey, backend, lanes, sign_many};
use hotline_core::venue::binance::{Auth, PlaceOrder, PreArmed, REQUEST_CAP, Session, Slot, Template, TimeUnit};
use serde::Serialize;
use sha2::Sha256;

const API_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
const SECRET: &[u8] = b"NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
const VECTOR_A: &str = "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT";
const T0: u64 = 1_645_423_376_532;

fn template(key: &HmacKey) -> Template {
    let order = PlaceOrder {
        instrument: Instrument {
            symbol: "BTCUSDT",
            price: Decimal { int_digits: 5, decimals: 2 },
            quantity: Decimal { int_digits: 1, decimals: 8 },
        },
        side: Side::Sell,
        order_type: OrderType::Limit(TimeInForce::Gtc),
        resp_type: None,
        client_order_id: Some(16),
    };
    let session =
        Session { auth: Auth::Hmac { api_key: API_KEY, key }, time: TimeUnit::Millis, recv_window: Some(100) };
    Template::order_place(&order, &session).expect("the template renders")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderParams<'a> {
    symbol: &'a str,
    side: &'a str,
    #[serde(rename = "type")]
    order_type: &'a str,
    time_in_force: &'a str,
    price: String,
    quantity: String,
    new_client_order_id: String,
    recv_window: u64,
    timestamp: u64,
    api_key: &'a str,
}

/// The conventional pipeline: returns the request text.
fn conventional(i: u64) -> String {
    let params = OrderParams {
        symbol: "BTCUSDT",
        side: "SELL",
        order_type: "LIMIT",
        time_in_force: "GTC",
        price: format!("{}.{:02}", 52_000 + i % 7, i % 100),
        quantity: format!("0.{:08}", 1_000_000 + i % 13),
        new_client_order_id: format!("{:016}", i),
        recv_window: 100,
        timestamp: T0 + i,
        api_key: API_KEY,
    };
    hotline::lab::bench::baseline::conventional_request(&params, SECRET, i).2
}

fn sign(c: &mut Criterion) {
    eprintln!("sha256 backend: {}, multi-buffer lanes: {}", backend().name(), lanes());
    let key = HmacKey::new(SECRET);
    let mut g = c.benchmark_group("sign");

    let mut t = template(&key);
    let mut i = 0u64;
    g.bench_function("hotline/patch+sign+hex", |b| {
        b.iter(|| {
            i += 1;
            t.set(Slot::RequestId, i).unwrap();
            t.set(Slot::ClientOrderId, i).unwrap();
            t.set(Slot::Price, 5_200_000 + i % 7).unwrap();
            t.set(Slot::Quantity, 1_000_000 + i % 13).unwrap();
            t.set(Slot::Timestamp, T0 + i % 1000).unwrap();
            t.sign().unwrap();
            black_box(t.request());
        })
    });

    let mut armed = PreArmed::<8>::new(template(&key));
    armed.arm(T0, &[(Slot::Price, 5_200_000), (Slot::Quantity, 1_000_000), (Slot::ClientOrderId, 1)]).unwrap();
    let mut wire = [0u8; REQUEST_CAP];
    g.bench_function("hotline/pre-armed fire", |b| {
        b.iter_batched_ref(
            || armed.clone(),
            |a| {
                let request = a.fire(black_box(T0 + 3), 42).unwrap();
                wire[..request.len()].copy_from_slice(request);
                black_box(&wire);
            },
            BatchSize::SmallInput,
        )
    });

    g.bench_function("hotline/hmac vector-A", |b| b.iter(|| black_box(key.sign(black_box(VECTOR_A.as_bytes())))));

    let from = key.midstate(&[]);
    let payloads: [&[u8]; 8] = [VECTOR_A.as_bytes(); 8];
    g.bench_function("hotline/sign_many x8 vector-A", |b| {
        b.iter(|| black_box(sign_many(&key, &from, black_box(&payloads))))
    });

    let mut i = 0u64;
    g.bench_function("conventional/serde+btreemap+hmac+hex", |b| {
        b.iter(|| {
            i += 1;
            black_box(conventional(i))
        })
    });

    let preloaded = Hmac::<Sha256>::new_from_slice(SECRET).expect("any key length");
    g.bench_function("conventional/hmac crate vector-A", |b| {
        b.iter(|| {
            let mut mac = preloaded.clone();
            mac.update(black_box(VECTOR_A.as_bytes()));
            black_box(mac.finalize().into_bytes())
        })
    });
    g.finish();
}

criterion_group!(benches, sign);
criterion_main!(benches);
