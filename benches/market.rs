//! Binance's top of book into ticks and lots, against the conventional
//! Rust approach on the same bytes, in one group.
//!
//! sbe/hotline: `decode_market_binary` on a 66-byte `bestBidAsk` frame (a
//! view over the bytes, exact scaling). sbe/cursor: what a hand-rolled
//! decoder commonly does: read each field through `std::io::Cursor`, own
//! the symbol as a `String`, and turn mantissa × 10^exponent into `f64`.
//! book_ticker/hotline: `decode_market_text` on the documented JSON
//! payload. book_ticker/serde_json: `serde_json::from_slice` into a struct
//! of borrowed strings, then `str::parse::<f64>` on the four levels.
//! coinbase_ticker/hotline: `coinbase::market::decode` on the example of
//! Coinbase's ticker channel (17 members, 4 of them the touch).
//! coinbase_ticker/serde_json: the same message into a struct of the
//! members read, borrowed, the others skipped, then `str::parse::<f64>`.

use std::hint::black_box;
use std::io::{Cursor, Read};

use criterion::{Criterion, criterion_group, criterion_main};
use hotline_core::order::Scale;
use hotline_core::venue::binance::{decode_market_binary, decode_market_text};
use hotline_core::venue::coinbase::market::{FeedMessage, decode as decode_coinbase};
use serde::Deserialize;

const BOOK_TICKER: &[u8] =
    br#"{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#;

/// The ticker channel's example (https://docs.cdp.coinbase.com/exchange/websocket-feed/channels).
const COINBASE_TICKER: &[u8] = br#"{"type":"ticker","sequence":37475248783,"product_id":"ETH-USD","price":"1285.22","open_24h":"1310.79","volume_24h":"245532.79269678","low_24h":"1280.52","high_24h":"1313.8","volume_30d":"9788783.60117027","best_bid":"1285.04","best_bid_size":"0.46688654","best_ask":"1285.27","best_ask_size":"1.56637040","side":"buy","time":"2022-10-19T23:28:22.061769Z","trade_id":370843401,"last_size":"11.4396987"}"#;

/// A BTCUSDT `bestBidAsk` frame: header, 50-byte root block, symbol.
fn sbe_frame() -> Vec<u8> {
    let mut f = Vec::new();
    for v in [50u16, 10001, 1, 0] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    f.extend_from_slice(&1_764_633_600_000_123i64.to_le_bytes());
    f.extend_from_slice(&71_234_567_890i64.to_le_bytes());
    f.extend_from_slice(&[(-2i8) as u8, (-8i8) as u8]);
    for m in [9_123_401i64, 150_000, 9_123_402, 27_500_000] {
        f.extend_from_slice(&m.to_le_bytes());
    }
    f.push(7);
    f.extend_from_slice(b"BTCUSDT");
    f
}

/// The conventional decoder's output.
#[derive(Debug)]
#[allow(dead_code)]
struct BestBidAsk {
    event_time: i64,
    update_id: i64,
    bid: f64,
    bid_qty: f64,
    ask: f64,
    ask_qty: f64,
    symbol: String,
}

fn read_i64(c: &mut Cursor<&[u8]>) -> std::io::Result<i64> {
    let mut b = [0u8; 8];
    c.read_exact(&mut b)?;
    Ok(i64::from_le_bytes(b))
}

fn conventional_sbe(frame: &[u8]) -> std::io::Result<BestBidAsk> {
    let mut c = Cursor::new(frame);
    let mut header = [0u8; 8];
    c.read_exact(&mut header)?;
    let block = u16::from_le_bytes([header[0], header[1]]);
    let event_time = read_i64(&mut c)?;
    let update_id = read_i64(&mut c)?;
    let mut exps = [0u8; 2];
    c.read_exact(&mut exps)?;
    let (pe, qe) = (f64::from(exps[0] as i8), f64::from(exps[1] as i8));
    let (bid, bid_qty, ask, ask_qty) = (read_i64(&mut c)?, read_i64(&mut c)?, read_i64(&mut c)?, read_i64(&mut c)?);
    c.set_position(8 + u64::from(block));
    let mut len = [0u8; 1];
    c.read_exact(&mut len)?;
    let mut symbol = vec![0u8; usize::from(len[0])];
    c.read_exact(&mut symbol)?;
    Ok(BestBidAsk {
        event_time,
        update_id,
        bid: bid as f64 * 10f64.powf(pe),
        bid_qty: bid_qty as f64 * 10f64.powf(qe),
        ask: ask as f64 * 10f64.powf(pe),
        ask_qty: ask_qty as f64 * 10f64.powf(qe),
        symbol: String::from_utf8(symbol).map_err(|_| std::io::ErrorKind::InvalidData)?,
    })
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct BookTicker<'a> {
    u: u64,
    s: &'a str,
    b: &'a str,
    #[serde(rename = "B")]
    bq: &'a str,
    a: &'a str,
    #[serde(rename = "A")]
    aq: &'a str,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct CoinbaseTicker<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    sequence: u64,
    product_id: &'a str,
    best_bid: &'a str,
    best_bid_size: &'a str,
    best_ask: &'a str,
    best_ask_size: &'a str,
}

fn market(c: &mut Criterion) {
    let mut group = c.benchmark_group("market");
    let frame = sbe_frame();
    let btc = Scale { price: 2, qty: 5 };
    group.bench_function("sbe/hotline", |b| b.iter(|| decode_market_binary(black_box(&frame), btc).map(|t| t.touch)));
    group.bench_function("sbe/cursor", |b| b.iter(|| conventional_sbe(black_box(&frame)).map(|t| t.bid)));
    let bnb = Scale { price: 4, qty: 2 };
    group.bench_function("book_ticker/hotline", |b| b.iter(|| decode_market_text(black_box(BOOK_TICKER), bnb).is_ok()));
    group.bench_function("book_ticker/serde_json", |b| {
        b.iter(|| {
            let t: BookTicker<'_> = serde_json::from_slice(black_box(BOOK_TICKER)).expect("decodes");
            let levels = [t.b, t.bq, t.a, t.aq].map(str::parse::<f64>);
            (t.u, levels)
        })
    });
    let eth = Scale { price: 2, qty: 8 };
    group.bench_function("coinbase_ticker/hotline", |b| {
        b.iter(|| matches!(decode_coinbase(black_box(COINBASE_TICKER), eth), Ok(FeedMessage::Ticker(_))))
    });
    group.bench_function("coinbase_ticker/serde_json", |b| {
        b.iter(|| {
            let t: CoinbaseTicker<'_> = serde_json::from_slice(black_box(COINBASE_TICKER)).expect("decodes");
            let levels = [t.best_bid, t.best_bid_size, t.best_ask, t.best_ask_size].map(str::parse::<f64>);
            (t.sequence, levels)
        })
    });
    group.finish();
}

criterion_group!(benches, market);
criterion_main!(benches);
