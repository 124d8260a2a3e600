//! Binance user-data events (WebSocket API) into the engine's terms,
//! against the conventional Rust approach on the same bytes, in one group.
//!
//! execution_report/hotline: `decode_event` on a compact `executionReport`
//! fill carrying every member of the documented sample (one pass over the
//! members; prices and quantities into ticks and lots, amounts into 10^-8
//! units, exactly). execution_report/serde_json: `serde_json::from_slice`
//! into a derived struct of borrowed strings for the same members, then
//! `str::parse::<f64>` on its eight decimals. account_position/*: the same
//! for an `outboundAccountPosition` with three balances (serde_json collects
//! them into a `Vec`).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hotline_core::order::Scale;
use hotline_core::venue::binance::{UserEvent, decode_event};
use serde::Deserialize;

/// A partial fill of a BTCUSDT limit order, as the stream writes it.
const EXECUTION_REPORT: &[u8] = br#"{"subscriptionId":0,"event":{"e":"executionReport","E":1764633600123,"s":"BTCUSDT","c":"00000000000000000042","S":"SELL","o":"LIMIT","f":"GTC","q":"0.03000000","p":"91234.01000000","P":"0.00000000","F":"0.00000000","g":-1,"C":"","x":"TRADE","X":"PARTIALLY_FILLED","r":"NONE","i":48123456789,"l":"0.01000000","z":"0.02000000","L":"91234.02000000","n":"0.00000531","N":"BNB","T":1764633600120,"t":5123456789,"I":98123456789,"w":false,"m":true,"M":true,"O":1764633599000,"Z":"1824.68030000","Y":"912.34020000","Q":"0.00000000","W":1764633599000,"V":"EXPIRE_MAKER"}}"#;

const ACCOUNT_POSITION: &[u8] = br#"{"subscriptionId":0,"event":{"e":"outboundAccountPosition","E":1764633600124,"u":1764633600120,"B":[{"a":"BTC","f":"1.23450000","l":"0.02000000"},{"a":"USDT","f":"10580.00000000","l":"70.00000000"},{"a":"BNB","f":"3.99999469","l":"0.00000000"}]}}"#;

#[derive(Deserialize)]
#[allow(dead_code, non_snake_case)]
struct Wrapped<T> {
    #[serde(rename = "subscriptionId")]
    subscription_id: Option<u16>,
    event: T,
}

#[derive(Deserialize)]
#[allow(dead_code, non_snake_case)]
struct ExecutionReport<'a> {
    e: &'a str,
    E: u64,
    s: &'a str,
    c: &'a str,
    C: &'a str,
    S: &'a str,
    x: &'a str,
    X: &'a str,
    r: &'a str,
    i: u64,
    q: &'a str,
    p: &'a str,
    l: &'a str,
    L: &'a str,
    z: &'a str,
    Z: &'a str,
    n: &'a str,
    N: Option<&'a str>,
    T: u64,
    t: i64,
    I: u64,
    m: bool,
    eR: Option<&'a str>,
}

#[derive(Deserialize)]
#[allow(dead_code, non_snake_case)]
struct AccountPosition<'a> {
    e: &'a str,
    E: u64,
    u: u64,
    #[serde(borrow)]
    B: Vec<Balance<'a>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Balance<'a> {
    a: &'a str,
    f: &'a str,
    l: &'a str,
}

fn user_data(c: &mut Criterion) {
    let mut group = c.benchmark_group("user_data");
    let btc = Scale { price: 2, qty: 5 };
    group.bench_function("execution_report/hotline", |b| {
        b.iter(|| match decode_event(black_box(EXECUTION_REPORT), btc).map(|f| f.event) {
            Ok(UserEvent::Execution(r)) => r.last_qty,
            other => panic!("{other:?}"),
        })
    });
    group.bench_function("execution_report/serde_json", |b| {
        b.iter(|| {
            let w: Wrapped<ExecutionReport<'_>> = serde_json::from_slice(black_box(EXECUTION_REPORT)).expect("decodes");
            let r = w.event;
            (r.l, [r.q, r.p, r.l, r.L, r.z, r.Z, r.n].map(str::parse::<f64>))
        })
    });
    group.bench_function("account_position/hotline", |b| {
        b.iter(|| match decode_event(black_box(ACCOUNT_POSITION), btc).map(|f| f.event) {
            Ok(UserEvent::Account(a)) => a.balances.len(),
            other => panic!("{other:?}"),
        })
    });
    group.bench_function("account_position/serde_json", |b| {
        b.iter(|| {
            let w: Wrapped<AccountPosition<'_>> = serde_json::from_slice(black_box(ACCOUNT_POSITION)).expect("decodes");
            w.event.B.iter().map(|b| [b.f, b.l].map(str::parse::<f64>)).filter(|[f, l]| f.is_ok() && l.is_ok()).count()
        })
    });
    group.finish();
}

criterion_group!(benches, user_data);
criterion_main!(benches);
