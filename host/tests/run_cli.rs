//! The engine as users start it: `hotline demo --json` (the embedded
//! default) and `hotline run --config FILE` against the simulated exchange
//! and a libzmq replayer, stopped with SIGINT. Every order must be
//! accounted for, the hot path must not allocate, the secret must reach no
//! output and no log line, and a live venue must need `--live`.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hotline_replay::{Pace, PlayConfig, Player, capture};
use hotline_sim::{DOC_API_KEY, DOC_SECRET_KEY, Sim, SimConfig};

const EXAMPLE: &str = include_str!("../../config/hotline.example.toml");

fn hotline() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hotline"))
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("hotline-run-cli-{}-{name}", std::process::id()))
}

/// Decodes a binary log with `hotline log`.
fn decoded_log(path: &Path) -> String {
    let out = hotline().arg("log").arg(path).output().unwrap();
    assert!(out.status.success(), "hotline log: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn demo_json_accounts_for_every_order_without_hot_path_allocations() {
    let log = temp("demo.defmt");
    let out = hotline()
        .args(["--log-file"])
        .arg(&log)
        .args(["demo", "--json", "--loops", "2", "--speed", "20", "--markout-wait-secs", "2"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed: {stderr}\n{stdout}");
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let n = |k: &str| json[k].as_u64().unwrap_or_else(|| panic!("{k} missing in {json}"));
    // The capture holds 16 notifications; two passes.
    assert_eq!(n("txs_seen"), 32);
    assert!(n("whales_detected") >= n("orders_sent") && n("orders_sent") >= 4, "{json}");
    assert_eq!(n("orders_sent"), n("orders_acked") + n("orders_rejected"));
    assert_eq!(n("orders_acked"), n("venue_accepted"), "the sim's journal and the engine disagree");
    assert_eq!(n("orders_unknown"), 0);
    assert_eq!(n("orders_lost"), 0);
    assert_eq!(json["hot_path_allocations"], serde_json::json!(0), "measured, and zero");
    for stage in
        ["feed_decode", "strategy", "risk", "patch_sign", "frame", "seal", "submit", "tick_to_wire", "wire_to_ack"]
    {
        let s = &json["latency_ns"][stage];
        assert_eq!(s["count"].as_u64(), Some(n("orders_sent")), "{stage}: {s}");
        assert!(s["p50"].as_u64().is_some() && s["p99"].as_u64().is_some(), "{stage}: {s}");
    }
    // Priced from the sim's book, filled there, scored as a quant would.
    assert_eq!(json["market"], "json");
    assert!(n("book_updates") > 0, "{json}");
    assert_eq!(n("fills"), n("fills_journaled"), "the sim's fills and the engine's disagree");
    assert!(n("fills") >= n("orders_acked"), "every IOC order crossed the touch: {json}");
    assert!(json["position"]["lots"].as_i64().is_some() && json["pnl"]["marked"].is_string(), "{json}");
    assert_eq!(json["slippage_bps"]["n"].as_u64(), Some(n("fills")), "{json}");
    // The two-second wait covers every fill's 1 s horizon, not its 60 s one.
    assert_eq!(json["markouts_bps"]["1s"]["n"].as_u64(), Some(n("fills")), "{json}");
    assert_eq!(json["markouts_bps"]["60s"]["n"].as_u64(), Some(0), "{json}");
    let decoded = decoded_log(&log);
    assert!(decoded.contains("acked in") && decoded.contains("fill: trade"), "{decoded}");
    for text in [&*stdout, &*stderr, &decoded] {
        assert!(!text.contains(DOC_SECRET_KEY), "the secret reached an output");
    }
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_file(json["journal"].as_str().unwrap());
}

/// The example config pointed at a local simulator and replayer.
fn sim_config(feed: &str, sim: &Sim, ca: &Path, network: &str, log: &Path) -> String {
    EXAMPLE
        .replace("tcp://127.0.0.1:28332", feed)
        .replace(
            "wss://ws-api.testnet.binance.vision/ws-api/v3",
            &format!("wss://localhost:{}/ws-api/v3", sim.addr().port()),
        )
        .replace("network = \"testnet\"", &format!("network = \"{network}\"\nca_file = \"{}\"", ca.display()))
        .replace("cooldown_ms = 5000", "cooldown_ms = 0")
        .replace("mlock = true", &format!("mlock = false\nlog_file = \"{}\"", log.display()))
}

#[test]
fn demo_on_coinbase_fix_matches_the_acceptors_journal() {
    let out =
        hotline().args(["demo", "--venue", "coinbase", "--json", "--loops", "2", "--speed", "20"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed: {stderr}\n{stdout}");
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let n = |k: &str| json[k].as_u64().unwrap_or_else(|| panic!("{k} missing in {json}"));
    assert_eq!(json["venue"], "coinbase");
    // Priced from the acceptor's book on its Coinbase-shaped ticker feed.
    assert_eq!(json["market"], "json");
    assert!(n("book_updates") > 0, "{json}");
    assert_eq!(n("txs_seen"), 32);
    assert!(n("orders_sent") >= 4, "{json}");
    assert_eq!(n("orders_acked"), n("orders_sent"), "{json}");
    assert_eq!(n("orders_acked"), n("venue_accepted"), "the acceptor's message log and the engine disagree");
    assert_eq!(n("venue_batches"), 0, "one order per whale goes as a NewOrderSingle");
    assert!(n("fills") > 0, "{json}");
    assert_eq!(n("fills"), n("fills_journaled"), "{json}");
    assert_eq!(json["hot_path_allocations"], serde_json::json!(0));
    let journal = json["journal"].as_str().expect("journal path");
    let lines = std::fs::read_to_string(journal).expect("the acceptor's journal is kept");
    assert_eq!(lines.lines().count() as u64, n("fills"));
    let _ = std::fs::remove_file(journal);
}

/// `--ladder 2`: each whale's two orders reach the acceptor as one
/// NewOrderBatch, every order acknowledged and the fills its journal's.
#[test]
fn demo_on_coinbase_sends_a_ladder_as_new_order_batches() {
    let out = hotline()
        .args(["demo", "--venue", "coinbase", "--ladder", "2", "--json", "--loops", "1", "--speed", "20"])
        .args(["--markout-wait-secs", "0"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "demo failed: {}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let n = |k: &str| json[k].as_u64().unwrap_or_else(|| panic!("{k} missing in {json}"));
    assert!(n("venue_batches") > 0, "{json}");
    assert_eq!(n("orders_sent"), 2 * n("venue_batches"), "{json}");
    assert_eq!(n("orders_acked"), n("orders_sent"), "{json}");
    assert_eq!(n("venue_accepted"), n("orders_sent"), "{json}");
    assert_eq!(n("fills"), n("fills_journaled"), "{json}");
    assert_eq!(json["hot_path_allocations"], serde_json::json!(0));
    let _ = std::fs::remove_file(json["journal"].as_str().expect("journal path"));
    let out = hotline().args(["demo", "--ladder", "2"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--ladder: batches are Coinbase's"), "{out:?}");
}

#[test]
fn run_trades_on_paper_and_drains_on_sigint() {
    let journal = temp("journal.jsonl");
    let sim = Sim::start(SimConfig { journal: Some(journal.clone()), ..SimConfig::default() }).unwrap();
    let ca = temp("ca.pem");
    std::fs::write(&ca, sim.ca_pem()).unwrap();
    let player = Player::start(
        capture::parse(hotline_replay::demo_capture_text()).unwrap(),
        PlayConfig { pace: Pace::Scaled(10.0), ..PlayConfig::default() },
    )
    .unwrap();
    let log = temp("run.defmt");
    let config = temp("sim.toml");
    std::fs::write(&config, sim_config(player.endpoint(), &sim, &ca, "sim", &log)).unwrap();
    let mut child = hotline()
        .args(["run", "--config"])
        .arg(&config)
        .env("HOTLINE_API_KEY", DOC_API_KEY)
        .env("HOTLINE_API_SECRET", DOC_SECRET_KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the whole capture to be out and answered.
    let deadline = Instant::now() + Duration::from_secs(30);
    while player.progress() < 16 || sim.orders().len() < 3 {
        assert!(Instant::now() < deadline, "no orders reached the sim");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGINT).unwrap();
    let status = child.wait().unwrap();
    let (mut stdout, mut stderr) = (String::new(), String::new());
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(status.success(), "{stderr}\n{stdout}");
    assert!(stderr.contains("paper trading against the simulated exchange"), "{stderr}");
    assert!(stderr.contains("venue trading") && stderr.contains("venue closed"), "{stderr}");
    let line = |name: &str| {
        stdout.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().last()?.parse::<u64>().ok())
    };
    assert_eq!(line("orders acked"), Some(sim.orders().len() as u64), "{stdout}");
    assert_eq!(line("orders lost"), Some(0), "{stdout}");
    assert_eq!(line("hot path allocations"), Some(0), "{stdout}");
    let decoded = decoded_log(&log);
    for text in [&stdout, &stderr, &decoded] {
        assert!(!text.contains(DOC_SECRET_KEY), "the secret reached an output");
    }
    for file in [&journal, &ca, &log, &config] {
        let _ = std::fs::remove_file(file);
    }
}

#[test]
fn live_needs_the_flag_and_the_flag_needs_live() {
    let config = temp("live.toml");
    let live = EXAMPLE
        .replace("wss://ws-api.testnet.binance.vision/ws-api/v3", "wss://ws-api.binance.com:443/ws-api/v3")
        .replace("network = \"testnet\"", "network = \"live\"");
    std::fs::write(&config, live).unwrap();
    let out = hotline().args(["run", "--config"]).arg(&config).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("\"live\"") && stderr.contains("--live"), "{stderr}");

    std::fs::write(&config, EXAMPLE).unwrap();
    let out = hotline().args(["run", "--live", "--config"]).arg(&config).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("--live given") && stderr.contains("testnet"), "{stderr}");
    let _ = std::fs::remove_file(&config);
}

#[test]
fn metrics_beyond_loopback_need_metrics_public() {
    let config = temp("metrics.toml");
    std::fs::write(&config, EXAMPLE).unwrap();
    let out = hotline().args(["run", "--metrics-listen", "0.0.0.0:9464", "--config"]).arg(&config).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("--metrics-listen: 0.0.0.0:9464 is not a loopback address"), "{stderr}");
    let out = hotline().args(["demo", "--metrics-listen", "[::]:9464"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("--metrics-listen: [::]:9464 is not a loopback address"), "{stderr}");
    let _ = std::fs::remove_file(&config);
}
