//! The hot path allocates nothing: the engine's io_uring loop, with the
//! counting allocator as this binary's global allocator, trades whales
//! from the mempool replayer (a real libzmq publisher) against the
//! simulated exchange (`hotline-sim`), and every allocation its thread
//! makes from a feed message to the sealed order and from the venue's
//! bytes to the settled ack is counted (connection set-up is not). The
//! metrics server is on and scraped throughout, and the whales come from
//! three nodes fused by the engine, which runs the fire path dry while
//! idle: neither publishing the metrics, telling first arrivals from later
//! ones nor the dry runs cost an allocation. Orders are priced from the
//! sim's book over the market-data stream and filled, their executions
//! and balances read from the user data stream: none of that allocates
//! either.

#[allow(dead_code)]
mod engine_support;

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use engine_support::{Scenario, WHALES_PER_LOOP, run};
use hotline_sim::{MarketConfig, SimConfig};

#[global_allocator]
static ALLOCATOR: hotline::alloc_count::CountingAlloc = hotline::alloc_count::CountingAlloc;

/// Scrapes `/metrics` at `addr` until `stop`; the scrapes that showed the
/// venue session trading.
fn scrape(addr: SocketAddr, stop: &AtomicBool) -> usize {
    let mut trading = 0;
    while !stop.load(Ordering::Acquire) {
        std::thread::sleep(Duration::from_millis(20));
        let Ok(mut stream) = TcpStream::connect(addr) else { continue };
        let mut answer = String::new();
        if stream.write_all(b"GET /metrics HTTP/1.1\r\n\r\n").is_ok() && stream.read_to_string(&mut answer).is_ok() {
            trading += usize::from(answer.contains("\nhotline_venue_state{state=\"trading\"} 1\n"));
        }
    }
    trading
}

#[test]
fn thirty_orders_without_a_hot_path_allocation() {
    let loops = 10;
    let metrics = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let scraper = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || scrape(metrics, &stop))
    };
    let nodes = vec![Vec::new(); 3];
    // Dry runs of the fire path while idle are on the hot path too.
    let warm_every = Some(Duration::from_micros(50));
    // Orders priced from the market stream's book, their fills on the user
    // data stream: both streams' messages are on the hot path too.
    let sim = SimConfig { market: Some(MarketConfig::default()), ..SimConfig::default() };
    let o = run(Scenario { metrics_listen: Some(metrics), nodes, warm_every, sim, book: true, ..Scenario::new(loops) });
    stop.store(true, Ordering::Release);
    assert!(scraper.join().unwrap() > 0, "no scrape saw the session trading");
    o.assert_accounting();
    let c = &o.report.counters;
    assert_eq!(c.orders_sent, WHALES_PER_LOOP * u64::from(loops));
    assert!(c.orders_sent >= 30);
    assert_eq!(c.orders_acked, c.orders_sent, "{c:?}");
    assert!(c.book_updates > 0 && c.fills > 0, "{c:?}");
    assert!(o.report.counters.txs_duplicate > 0, "no copy from a second node was fused");
    assert!(c.dry_runs > 0, "no dry run");
    assert_eq!(o.report.hot_path_allocations, Some(0));
}
