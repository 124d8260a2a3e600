//! `hotline demo --nodes 2 --metrics-listen ADDR` as users run it: while
//! the engine trades against the simulated exchange on two fused feeds,
//! `/health` answers 200 `trading` and `/metrics` is an exposition
//! `promtool check metrics` (Debian package `prometheus`) accepts, with
//! orders counted, stage histograms filled and each node's lead and lag
//! recorded; other paths earn 404, other methods 405.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A free loopback port (the demo binds it a moment later).
fn free_addr() -> SocketAddr {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap()
}

/// One request over a fresh connection; the answer's status line and body.
fn request(addr: SocketAddr, head: &str) -> Option<(String, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream.write_all(head.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    assert!(head.contains("\r\nConnection: close"), "{head}");
    Some((head.lines().next()?.to_owned(), body.to_owned()))
}

fn get(addr: SocketAddr, path: &str) -> Option<(String, String)> {
    request(addr, &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n"))
}

/// The value of an unlabelled or fully labelled sample.
fn value(exposition: &str, series: &str) -> Option<u64> {
    exposition.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn demo_serves_metrics_and_health_while_it_trades() {
    let addr = free_addr();
    let mut demo = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["demo", "--json", "--loops", "6", "--speed", "4", "--nodes", "2", "--markout-wait-secs", "0"])
        .args(["--metrics-listen", &addr.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut trading = None;
    let mut last = None;
    while demo.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(50));
        let (Some(health), Some(metrics)) = (get(addr, "/health"), get(addr, "/metrics")) else { continue };
        let sent = value(&metrics.1, "hotline_orders_sent_total").unwrap_or(0);
        last = Some(metrics.1.clone());
        if health.0 == "HTTP/1.1 200 OK" && sent > 0 && trading.is_none() {
            assert_eq!(health.1, "trading\n");
            assert_eq!(metrics.0, "HTTP/1.1 200 OK");
            assert_eq!(get(addr, "/").map(|a| a.0).as_deref(), Some("HTTP/1.1 404 Not Found"));
            let post = request(addr, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n").map(|a| a.0);
            assert_eq!(post.as_deref(), Some("HTTP/1.1 405 Method Not Allowed"));
            trading = Some(metrics.1);
        } else if health.0 != "HTTP/1.1 200 OK" {
            assert_eq!(health.0, "HTTP/1.1 503 Service Unavailable");
            assert!(
                !health.1.is_empty()
                    && health
                        .1
                        .lines()
                        .all(|l| l.starts_with("venue ") || l.starts_with("market data ") || l == "feed down"),
                "{}",
                health.1
            );
        }
    }
    let out = demo.wait_with_output().unwrap();
    assert!(out.status.success(), "hotline demo: {}", String::from_utf8_lossy(&out.stderr));
    let metrics = trading.expect("a scrape while the demo traded");
    assert_eq!(value(&metrics, "hotline_venue_state{state=\"trading\"}"), Some(1), "{metrics}");
    assert_eq!(value(&metrics, "hotline_feed_up"), Some(1));
    assert_eq!(value(&metrics, "hotline_kill_switch_engaged"), Some(0));
    assert_eq!(value(&metrics, "hotline_hot_path_allocations_total"), Some(0));
    assert!(value(&metrics, "hotline_txs_seen_total").is_some_and(|n| n > 0), "{metrics}");
    let sealed = value(&metrics, "hotline_stage_latency_seconds_count{stage=\"seal\"}");
    assert!(sealed.is_some_and(|n| n > 0), "{metrics}");
    for node in ["0", "1"] {
        assert_eq!(value(&metrics, &format!("hotline_feed_node_up{{node=\"{node}\"}}")), Some(1), "{metrics}");
    }
    assert_eq!(value(&metrics, "hotline_feed_node_up{node=\"2\"}"), None, "two nodes configured");
    // By the last scrape, the later copy of a transaction has met the first.
    let last = last.expect("a last scrape");
    let count = |series: &str| (0..2).filter_map(|n| value(&last, &format!("{series}{{node=\"{n}\"}}"))).sum::<u64>();
    assert!(count("hotline_feed_node_lag_seconds_count") > 0, "{last}");
    assert!(count("hotline_feed_node_lead_seconds_count") > 0, "{last}");
    assert_eq!(count("hotline_feed_node_later_seen_total"), value(&last, "hotline_txs_duplicate_total").unwrap());
    promtool(&metrics);
    promtool(&last);
}

/// Fails unless `promtool check metrics` accepts `exposition` without a word.
fn promtool(exposition: &str) {
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus; .ci/run installs it)");
    promtool.stdin.take().unwrap().write_all(exposition.as_bytes()).unwrap();
    let checked = promtool.wait_with_output().unwrap();
    let report = format!("{}{}", String::from_utf8_lossy(&checked.stdout), String::from_utf8_lossy(&checked.stderr));
    assert!(checked.status.success() && report.trim().is_empty(), "promtool check metrics:\n{report}\n{exposition}");
}
