//! `hotline check-config` run as a process on the shipped example and on
//! broken variants of it: each must pass, or fail with an error that names
//! the offending key, field, variable or file — and never print a secret.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EXAMPLE: &str = include_str!("../../config/hotline.example.toml");
const API_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
/// RFC 8410 §10.3's Ed25519 private key.
const ED25519_PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
    MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n\
    -----END PRIVATE KEY-----\n";

/// A file under the temp dir, removed on drop.
struct Temp(PathBuf);

impl Temp {
    fn new(name: &str, contents: &str, mode: u32) -> Self {
        let path = std::env::temp_dir().join(format!("hotline-config-{}-{name}", std::process::id()));
        fs::write(&path, contents).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        Self(path)
    }

    fn shown(&self) -> String {
        self.0.display().to_string()
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// `hotline check-config FILE` with the example's variables set (unless
/// named in `unset`).
fn check(file: &Path, unset: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hotline"));
    cmd.arg("check-config").arg(file).env("HOTLINE_API_KEY", API_KEY).env("HOTLINE_API_SECRET", SECRET);
    for var in unset {
        cmd.env_remove(var);
    }
    cmd.output().expect("run hotline")
}

/// The example with each `(from, to)` replacement applied (each must occur).
fn variant(name: &str, edits: &[(&str, &str)]) -> Temp {
    let mut text = EXAMPLE.to_owned();
    for (from, to) in edits {
        assert!(text.contains(from), "example lacks {from}");
        text = text.replacen(from, to, 1);
    }
    Temp::new(&format!("{name}.toml"), &text, 0o644)
}

fn assert_refused(out: &Output, names: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "accepted; stdout: {}", String::from_utf8_lossy(&out.stdout));
    for name in names {
        assert!(err.contains(name), "error `{err}` does not name `{name}`");
    }
    assert!(!err.contains(SECRET) && !err.contains(API_KEY), "error leaks a secret: {err}");
}

fn assert_ok(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(stdout.ends_with("config OK\n"), "{stdout}");
    assert!(!stdout.contains(SECRET) && !stdout.contains(API_KEY), "summary leaks a secret: {stdout}");
    stdout
}

#[test]
fn shipped_example_passes_as_paper_testnet() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/hotline.example.toml");
    let stdout = assert_ok(&check(&path, &[]));
    for expected in ["tcp://127.0.0.1:28332", "wss://ws-api.testnet.binance.vision/ws-api/v3", "testnet, paper", "hmac"]
    {
        assert!(stdout.contains(expected), "summary lacks {expected}: {stdout}");
    }
    assert!(stdout.contains("BTCUSDT"));
    assert!(stdout.contains("fills:    from the user data stream; no loss limit (risk.max_loss)"), "{stdout}");
}

#[test]
fn the_loss_limit_is_shown_and_a_bad_one_named() {
    let t = variant("loss", &[("# max_loss = \"250.00\"", "max_loss = \"250.00\"")]);
    let stdout = assert_ok(&check(&t.0, &[]));
    assert!(stdout.contains("kill switch at a loss of 250.00"), "{stdout}");
    let bad = variant("loss-bad", &[("# max_loss = \"250.00\"", "max_loss = \"2.5e2\"")]);
    assert_refused(&check(&bad.0, &[]), &["risk.max_loss"]);
}

#[test]
fn several_nodes_are_listed_and_each_endpoint_is_checked() {
    let several = [
        ("endpoint = \"tcp://127.0.0.1:28332\"\n", ""),
        (
            "# endpoints = [\"tcp://10.0.1.5:28332\", \"tcp://10.0.2.7:28332\"]",
            "endpoints = [\"tcp://10.0.1.5:28332\", \"tcp://10.0.2.7:28332\"]",
        ),
    ];
    let t = variant("nodes", &several);
    let stdout = assert_ok(&check(&t.0, &[]));
    assert!(stdout.contains("node.endpoints[1]: tcp://10.0.2.7:28332"), "{stdout}");
    let bad =
        variant("nodes-bad", &[several[0], (several[1].0, "endpoints = [\"tcp://10.0.1.5:28332\", \"udp://x:1\"]")]);
    assert_refused(&check(&bad.0, &[]), &["node.endpoints[1]: must start with tcp://"]);
    let five = "endpoints = [\"tcp://a:1\", \"tcp://b:1\", \"tcp://c:1\", \"tcp://d:1\", \"tcp://e:1\"]";
    let many = variant("nodes-many", &[several[0], (several[1].0, five)]);
    assert_refused(&check(&many.0, &[]), &["node.endpoints: must list 1-4 endpoints"]);
}

#[test]
fn unknown_keys_name_key_and_table() {
    let top = Temp::new("top.toml", &format!("{EXAMPLE}\n[engine]\nspeed = 1\n"), 0o644);
    assert_refused(&check(&top.0, &[]), &["engine", "unknown field"]);
    let nested = variant("nested", &[("[risk]\n", "[risk]\nmax_quantity = 5\n")]);
    assert_refused(&check(&nested.0, &[]), &["risk.max_quantity", "unknown field", "max_qty"]);
    let watch = Temp::new(
        "watch.toml",
        &format!(
            "{EXAMPLE}\n[[strategy.watch]]\nscript_hex = \"0014751e76e8199196d454941c45d1b3a323f1433bd6\"\nkind = \"cold_storage\"\nlabel = \"x\"\n"
        ),
        0o644,
    );
    assert_refused(&check(&watch.0, &[]), &["strategy.watch[0].label", "unknown field"]);
}

#[test]
fn wrong_types_name_the_field() {
    let t = variant("type", &[("max_open_orders = 4", "max_open_orders = \"four\"")]);
    assert_refused(&check(&t.0, &[]), &["risk.max_open_orders", "invalid type"]);
    let t = variant("variant", &[("mode = \"hmac\"", "mode = \"rsa\"")]);
    assert_refused(&check(&t.0, &[]), &["auth.mode", "`rsa`", "ed25519"]);
    let t = variant("range", &[("client_order_id_digits = 16", "client_order_id_digits = 300")]);
    assert_refused(&check(&t.0, &[]), &["instrument.client_order_id_digits"]);
}

#[test]
fn bad_values_name_the_field() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("url = \"wss://", "url = \"https://", &["venue.url", "wss://"]),
        ("base_qty = 10", "base_qty = 0", &["strategy.base_qty: must be > 0"]),
        ("max_notional = 1000000000", "max_notional = 0", &["risk.max_notional: must be > 0"]),
        (
            "reconnect_min_ms = 250",
            "reconnect_min_ms = 60000",
            &["venue.reconnect_max_ms: must be >= venue.reconnect_min_ms"],
        ),
        ("network = \"testnet\"", "network = \"live\"", &["venue.network", "test host"]),
        ("orders_per_day = 50000", "orders_per_day = 200000", &["risk.orders_per_day", "160000"]),
        ("# recv_window_ms = 5000", "recv_window_ms = 90000", &["venue.recv_window_ms"]),
        ("rotate_after_secs = 85800", "rotate_after_secs = 85800\nreset_on_logon = false", &["venue.reset_on_logon"]),
        ("# sched_fifo = 50", "sched_fifo = 0", &["host.sched_fifo"]),
        ("# warm_interval_us = 100", "warm_interval_us = 5000000", &["host.warm_interval_us"]),
        ("pin_spki = []", "pin_spki = [\"c2hvcnQ=\"]", &["venue.pin_spki[0]"]),
        ("max_qty = 80", "max_qty = 200", &["strategy.max_qty: must be <= risk.max_qty"]),
        ("order_type = \"market\"", "order_type = \"limit_gtc\"", &["instrument.limit_price_ticks"]),
        ("endpoint = \"tcp://", "endpoint = \"ipc://", &["node.endpoint"]),
        ("# endpoints = [", "endpoints = [", &["node.endpoints: give node.endpoint or node.endpoints, not both"]),
        ("gap_cover_secs = 60", "gap_cover_secs = 0", &["node.gap_cover_secs: must be > 0"]),
        ("secret_env = \"HOTLINE_API_SECRET\"\n", "", &["auth.secret_env, auth.secret_file"]),
    ];
    for (i, (from, to, names)) in cases.iter().enumerate() {
        let t = variant(&format!("bad{i}"), &[(from, to)]);
        assert_refused(&check(&t.0, &[]), names);
    }
}

#[test]
fn missing_secret_variable_is_named() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/hotline.example.toml");
    assert_refused(&check(&path, &["HOTLINE_API_SECRET"]), &["HOTLINE_API_SECRET", "auth.secret_env", "not set"]);
    assert_refused(&check(&path, &["HOTLINE_API_KEY"]), &["HOTLINE_API_KEY", "auth.api_key_env"]);
}

#[test]
fn secret_files_must_be_private() {
    for (mode, ok) in [(0o600, true), (0o644, false), (0o640, false)] {
        let secret = Temp::new(&format!("secret-{mode:o}"), &format!("{SECRET}\n"), mode);
        let config = variant(
            &format!("file-{mode:o}"),
            &[("secret_env = \"HOTLINE_API_SECRET\"", &format!("secret_file = \"{}\"", secret.shown()))],
        );
        let out = check(&config.0, &[]);
        if ok {
            assert_ok(&out);
        } else {
            assert_refused(&out, &[&secret.shown(), "auth.secret_file", "chmod 600"]);
        }
    }
}

#[test]
fn ed25519_key_from_pkcs8_pem() {
    let key = Temp::new("ed25519.pem", ED25519_PEM, 0o600);
    let config = variant(
        "ed25519",
        &[
            ("mode = \"hmac\"", "mode = \"ed25519\""),
            ("secret_env = \"HOTLINE_API_SECRET\"", &format!("secret_file = \"{}\"", key.shown())),
        ],
    );
    assert!(assert_ok(&check(&config.0, &[])).contains("ed25519"));
    // The HMAC secret is no Ed25519 key; the error names where it came from
    // without quoting it.
    let config = variant("ed25519-env", &[("mode = \"hmac\"", "mode = \"ed25519\"")]);
    assert_refused(&check(&config.0, &[]), &["auth.secret_env (HOTLINE_API_SECRET)", "Ed25519"]);
}

#[test]
fn unreadable_files_are_named() {
    let missing = std::env::temp_dir().join("hotline-config-no-such-file.toml");
    assert_refused(&check(&missing, &[]), &[&missing.display().to_string()]);
    let ca = std::env::temp_dir().join("hotline-config-no-such-ca.pem");
    let config =
        variant("ca", &[("# ca_file = \"/etc/hotline/venue-ca.pem\"", &format!("ca_file = \"{}\"", ca.display()))]);
    assert_refused(&check(&config.0, &[]), &["venue.ca_file", &ca.display().to_string()]);
}

/// The Coinbase example with its three variables set.
fn check_coinbase(file: &Path, unset: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hotline"));
    cmd.arg("check-config")
        .arg(file)
        .env("HOTLINE_API_KEY", API_KEY)
        .env("HOTLINE_API_SECRET", "c2VjcmV0")
        .env("HOTLINE_API_PASSPHRASE", "hunter2pass");
    for var in unset {
        cmd.env_remove(var);
    }
    cmd.output().expect("run hotline")
}

const COINBASE: &str = include_str!("../../config/coinbase.example.toml");

#[test]
fn coinbase_example_passes_and_its_rules_name_the_field() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/coinbase.example.toml");
    let out = check_coinbase(&path, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "tcp+ssl://fix-ord.sandbox.exchange.coinbase.com:6121",
        "Coinbase FIX 5.0 SP2",
        "BTC-USD",
        "HeartBtInt 10 s",
        "numbers reset at each Logon",
    ] {
        assert!(stdout.contains(expected), "summary lacks {expected}: {stdout}");
    }
    assert!(!stdout.contains("hunter2pass"), "the passphrase leaks: {stdout}");
    let cases = [
        ("url = \"tcp+ssl://", "url = \"wss://", "venue.url: must start with tcp+ssl://"),
        ("heartbeat_secs = 10", "heartbeat_secs = 45", "venue.heartbeat_secs: must be 1-30"),
        ("symbol = \"BTC-USD\"", "symbol = \"BTCUSD\"", "instrument.symbol: must be a Coinbase product id"),
        ("order_type = \"limit_ioc\"", "order_type = \"market\"", "instrument.order_type"),
        ("passphrase_env = \"HOTLINE_API_PASSPHRASE\"", "", "auth.passphrase_env"),
        ("orders_per_10s = 20", "orders_per_10s = 901", "risk.orders_per_10s: must be 1-900"),
        ("reset_on_logon = true", "reset_on_logon = 1", "reset_on_logon"),
    ];
    for (i, (from, to, expected)) in cases.iter().enumerate() {
        assert!(COINBASE.contains(from), "example lacks {from}");
        let t = Temp::new(&format!("coinbase-{i}.toml"), &COINBASE.replacen(from, to, 1), 0o644);
        let out = check_coinbase(&t.0, &[]);
        assert_refused(&out, &[expected]);
        assert!(!String::from_utf8_lossy(&out.stderr).contains("hunter2pass"));
    }
    let out = check_coinbase(&path, &["HOTLINE_API_PASSPHRASE"]);
    assert_refused(&out, &["HOTLINE_API_PASSPHRASE", "auth.passphrase_env"]);
}

#[test]
fn coinbase_market_data_is_its_feeds_ticker_channel() {
    let priced = COINBASE
        .replacen("limit_price_ticks = 9000000\n", "", 1)
        .replacen("reference_price_ticks = 9000000\n", "", 1)
        .replacen("# [market]", "[market]", 1);
    let t = Temp::new("coinbase-market.toml", &priced, 0o644);
    let out = check_coinbase(&t.0, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = "market:   wss://ws-feed-public.sandbox.exchange.coinbase.com (Coinbase feed, ticker channel, JSON; \
                orders priced 2 ticks through the touch, book at most 1000 ms old)";
    assert!(stdout.contains(line), "{stdout}");
    let sbe = Temp::new("coinbase-sbe.toml", &priced.replacen("# encoding = \"json\"", "encoding = \"sbe\"", 1), 0o644);
    assert_refused(&check_coinbase(&sbe.0, &[]), &["market.encoding", "coinbase"]);
}
