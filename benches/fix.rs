//! A Coinbase NewOrderSingle, and a NewOrderBatch of 3 and of 15 orders,
//! from order to sealed TLS record, hotline against the conventional Rust
//! build, in one criterion group.
//!
//! - hotline: `venue::coinbase::order::OrderTemplate` patches its
//!   fixed-width slots (MsgSeqNum, SendingTime, ClOrdID, side, price,
//!   quantity) and the CheckSum into the pre-rendered message, which is
//!   copied into a record and sealed by `core::tls`'s record layer; a
//!   batch is `BatchTemplate`'s patch of its entries, header and CheckSum.
//! - conventional: what a competent developer writes without a FIX
//!   engine: the fields in a `BTreeMap<u32, String>` filled per order, the
//!   body joined with `format!`, BodyLength and CheckSum computed over the
//!   text, a `uuid`-style ClOrdID and `chrono`-free SendingTime formatted
//!   per order, sealed with RustCrypto's `aes-gcm` (TLS 1.3's nonce and
//!   additional data, as rustls builds them).
//!
//! Both produce a message QuickFIX accepts (`tests/engine_coinbase.rs`
//! proves hotline's; the conventional one is parsed back here). The
//! conventional batch is one map per entry, joined the same way.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::hint::black_box;

use aes_gcm::aead::AeadInPlace as _;
use aes_gcm::{Aes128Gcm, KeyInit as _};
use criterion::{Criterion, criterion_group, criterion_main};
use hotline_core::order::{Decimal, Instrument, OrderType, Side, TimeInForce};
use hotline_core::tls::record::{ContentType, Sealer};
use hotline_core::tls::{Keys, Suite};
use hotline_core::venue::coinbase::fix::{self, Message};
use hotline_core::venue::coinbase::order::{BatchTemplate, Entry, IdPrefix, OrderTemplate, Patch};

const BTC_USD: Instrument<'static> = Instrument {
    symbol: "BTC-USD",
    price: Decimal { int_digits: 7, decimals: 2 },
    quantity: Decimal { int_digits: 4, decimals: 8 },
};
const KEY: [u8; 16] = [7; 16];
const IV: [u8; 12] = [9; 12];
/// 2026-08-01 12:00:00 UTC.
const T0: u64 = 1_785_585_600_000_000_000;

/// The conventional build of order `n` (a batch of `batch` orders from
/// it, when not 0), sealed as a TLS 1.3 record into `out`; returns the
/// record's length.
fn conventional(n: u64, batch: u64, cipher: &Aes128Gcm, out: &mut Vec<u8>) -> usize {
    let message = if batch == 0 { render(n) } else { render_batch(n, batch) };
    // TLS 1.3 record: inner plaintext + content type, AEAD in place.
    out.clear();
    out.extend_from_slice(&[23, 3, 3, 0, 0]);
    out.extend_from_slice(message.as_bytes());
    out.push(23);
    let len = (out.len() - 5 + 16) as u16;
    out[3..5].copy_from_slice(&len.to_be_bytes());
    let mut nonce = IV;
    for (b, s) in nonce[4..].iter_mut().zip(n.to_be_bytes()) {
        *b ^= s;
    }
    let (header, payload) = out.split_at_mut(5);
    let header: [u8; 5] = header.try_into().expect("five bytes");
    let tag = cipher.encrypt_in_place_detached((&nonce).into(), &header, payload).expect("seal");
    out.extend_from_slice(&tag);
    out.len()
}

/// The header fields of message `n`.
fn header(n: u64) -> BTreeMap<u32, String> {
    let unix_ns = T0 + n * 1_000_000;
    let ms = unix_ns / 1_000_000;
    let secs = ms / 1000;
    let (y, m, d) = civil(secs / 86_400);
    let rest = secs % 86_400;
    let mut fields = BTreeMap::new();
    fields.insert(34, (n + 2).to_string());
    fields.insert(49, "key123".to_owned());
    fields.insert(
        52,
        format!("{y:04}{m:02}{d:02}-{:02}:{:02}:{:02}.{:03}", rest / 3600, rest / 60 % 60, rest % 60, ms % 1000),
    );
    fields.insert(56, "Coinbase".to_owned());
    fields
}

/// Orders `n..n + k` as a NewOrderBatch, built the conventional way: the
/// header, BatchID and NoOrders, then one map per order in the group's
/// field order.
fn render_batch(n: u64, k: u64) -> String {
    let head = header(n);
    let mut body = String::from("35=U6\x01");
    for (tag, value) in &head {
        let _ = write!(body, "{tag}={value}\x01");
    }
    let _ = write!(body, "8014=5eed1234-abcd-4000-9000-{n:012x}\x0173={k}\x01");
    for i in n..n + k {
        let mut entry: BTreeMap<u32, String> = BTreeMap::new();
        entry.insert(11, format!("5eed1234-abcd-4000-8000-{i:012x}"));
        entry.insert(55, "BTC-USD".to_owned());
        entry.insert(54, "2".to_owned());
        entry.insert(40, "2".to_owned());
        entry.insert(44, format!("{}.{:02}", 60_000 - i % 7, i % 100));
        entry.insert(38, format!("0.{:08}", 100_000 + i % 9));
        entry.insert(59, "3".to_owned());
        for tag in [11u32, 55, 54, 40, 44, 38, 59] {
            let _ = write!(body, "{tag}={}\x01", entry[&tag]);
        }
    }
    let mut message = format!("8=FIXT.1.1\x019={}\x01{body}", body.len());
    let sum = message.bytes().fold(0u8, |s, b| s.wrapping_add(b));
    let _ = write!(message, "10={sum:03}\x01");
    message
}

/// Order `n` as a FIX message, built the conventional way.
fn render(n: u64) -> String {
    // SendingTime the way most hand-written clients do: civil time per order.
    let mut fields = header(n);
    fields.insert(11, format!("5eed1234-abcd-4000-8000-{:012x}", n));
    fields.insert(55, "BTC-USD".to_owned());
    fields.insert(54, if n.is_multiple_of(2) { "1" } else { "2" }.to_owned());
    fields.insert(40, "2".to_owned());
    fields.insert(44, format!("{}.{:02}", 60_000 + n % 7, n % 100));
    fields.insert(38, format!("0.{:08}", 100_000 + n % 9));
    fields.insert(59, "3".to_owned());
    // Header fields first in FIX's order, then the body.
    let mut body = String::from("35=D\x01");
    for tag in [34u32, 49, 52, 56] {
        let _ = write!(body, "{tag}={}\x01", fields[&tag]);
    }
    for (tag, value) in fields.iter().filter(|(t, _)| ![34, 49, 52, 56].contains(*t)) {
        let _ = write!(body, "{tag}={value}\x01");
    }
    let mut message = format!("8=FIXT.1.1\x019={}\x01{body}", body.len());
    let sum = message.bytes().fold(0u8, |s, b| s.wrapping_add(b));
    let _ = write!(message, "10={sum:03}\x01");
    message
}

fn civil(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + u64::from(m <= 2), m, doy - (153 * mp + 2) / 5 + 1)
}

fn bench(c: &mut Criterion) {
    let mut template =
        OrderTemplate::new("key123", &BTC_USD, OrderType::Limit(TimeInForce::Ioc), IdPrefix::new(0x5eed_1234_abcd))
            .expect("template");
    let keys = Keys::new(Suite::Aes128GcmSha256, &KEY, IV).expect("keys");
    let mut sealer = Sealer::new(&keys, 0).expect("sealer");
    let mut record = [0u8; 4096];
    let mut batch =
        BatchTemplate::new("key123", &BTC_USD, OrderType::Limit(TimeInForce::Ioc), IdPrefix::new(0x5eed_1234_abcd))
            .expect("batch template");
    let cipher = Aes128Gcm::new((&KEY).into());
    let mut out = Vec::with_capacity(1024);

    // Both messages frame, checksums and all, and carry the same time.
    let theirs = render(0);
    let (m, _) = Message::parse(theirs.as_bytes()).expect("frames").expect("complete");
    assert_eq!(m.get(fix::tag::SENDING_TIME), Some(&b"20260801-12:00:00.000"[..]));
    let patch = Patch { seq: 2, unix_ns: T0, client_order_id: 0, side: Side::Buy, qty: 100_000, price: 6_000_000 };
    let message = template.patch(&patch).expect("patch");
    let (m, _) = Message::parse(message).expect("frames").expect("complete");
    assert_eq!(m.msg_type(), b"D");
    assert_eq!(m.get(fix::tag::SENDING_TIME), Some(&b"20260801-12:00:00.000"[..]));
    for k in [3, 15] {
        let theirs = render_batch(0, k);
        let (m, _) = Message::parse(theirs.as_bytes()).expect("frames").expect("complete");
        assert_eq!(m.uint(fix::tag::NO_ORDERS), Ok(k));
    }

    let mut group = c.benchmark_group("fix");
    let mut i = 0u64;
    group.bench_function("nos_hotline", |b| {
        b.iter(|| {
            i += 1;
            let patch = Patch {
                seq: i + 2,
                unix_ns: T0 + i * 1_000_000,
                client_order_id: i,
                side: if i.is_multiple_of(2) { Side::Buy } else { Side::Sell },
                qty: 100_000 + i % 9,
                price: 6_000_000 + i % 700,
            };
            let message = template.patch(black_box(&patch)).expect("patch");
            let len = message.len();
            record[5..5 + len].copy_from_slice(message);
            black_box(sealer.seal(ContentType::ApplicationData, &mut record, len).expect("seal"))
        });
    });
    let mut j = 0u64;
    group.bench_function("nos_conventional", |b| {
        b.iter(|| {
            j += 1;
            black_box(conventional(black_box(j), 0, &cipher, &mut out))
        });
    });
    for k in [3u64, 15] {
        let mut i = 0u64;
        group.bench_function(format!("batch{k}_hotline"), |b| {
            b.iter(|| {
                i += 1;
                let entries = (0..k).map(|e| Entry {
                    client_order_id: i * 16 + e,
                    side: Side::Sell,
                    qty: 100_000 + i % 9,
                    price: 6_000_000 - e - i % 7,
                });
                let message = batch.patch(i + 2, T0 + i * 1_000_000, entries).expect("patch");
                let len = message.len();
                record[5..5 + len].copy_from_slice(message);
                black_box(sealer.seal(ContentType::ApplicationData, &mut record, len).expect("seal"))
            });
        });
        let mut j = 0u64;
        group.bench_function(format!("batch{k}_conventional"), |b| {
            b.iter(|| {
                j += 1;
                black_box(conventional(black_box(j * 16), k, &cipher, &mut out))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
