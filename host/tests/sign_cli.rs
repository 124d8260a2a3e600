//! `hotline sign` run as a process: it must reproduce Binance's documented
//! `order.place` vector C (docs/protocols/binance-ws-api.md §Test vectors)
//! from shuffled params, and refuse missing, empty or group/other-readable
//! secrets with an error that names the variable or file.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::process::{Command, Output};

const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
const PARAMS: &str = "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.00847000&price=23416.10000000&timestamp=1660801715431&apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
const PAYLOAD: &str = "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=23416.10000000&quantity=0.00847000&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1660801715431&type=LIMIT";
const SIGNATURE: &str = "15af09e41c36f3cc61378c2fbe2c33719a03dd5eba8d0f9206fbda44de717c88";

fn hotline(secret_args: &[&str], env: Option<(&str, &str)>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hotline"));
    cmd.args(["sign", "--venue", "binance"])
        .args(secret_args)
        .args(["--params", PARAMS])
        .env_remove("HOTLINE_TEST_SECRET");
    if let Some((k, v)) = env {
        cmd.env(k, v);
    }
    cmd.output().expect("run hotline")
}

fn assert_vector_c(out: &Output) {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(json["payload"], PAYLOAD);
    assert_eq!(json["signature"], SIGNATURE);
    assert_eq!(json.as_object().map(|o| o.len()), Some(2));
}

fn assert_refused(out: &Output, names: &str) {
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(names), "error `{err}` does not name {names}");
    assert!(!err.contains(SECRET), "error leaks the secret");
}

fn temp_file(name: &str, contents: &str, mode: u32) -> PathBuf {
    let path = std::env::temp_dir().join(format!("hotline-sign-{}-{name}", std::process::id()));
    fs::write(&path, contents).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[test]
fn reproduces_vector_c_from_env() {
    let out = hotline(&["--secret-env", "HOTLINE_TEST_SECRET"], Some(("HOTLINE_TEST_SECRET", SECRET)));
    assert_vector_c(&out);
}

#[test]
fn reproduces_vector_c_from_private_file() {
    let path = temp_file("private", &format!("{SECRET}\n"), 0o600);
    let out = hotline(&["--secret-file", path.to_str().unwrap()], None);
    fs::remove_file(&path).unwrap();
    assert_vector_c(&out);
}

#[test]
fn refuses_group_or_other_readable_file() {
    for (name, mode) in [("group", 0o640), ("other", 0o604)] {
        let path = temp_file(name, SECRET, mode);
        let shown = path.display().to_string();
        let out = hotline(&["--secret-file", &shown], None);
        fs::remove_file(&path).unwrap();
        assert_refused(&out, &shown);
        assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 600"));
    }
}

#[test]
fn missing_or_empty_secret_names_its_source() {
    assert_refused(&hotline(&["--secret-env", "HOTLINE_TEST_SECRET"], None), "HOTLINE_TEST_SECRET");
    assert_refused(
        &hotline(&["--secret-env", "HOTLINE_TEST_SECRET"], Some(("HOTLINE_TEST_SECRET", ""))),
        "HOTLINE_TEST_SECRET",
    );
    let path = temp_file("empty", "\n", 0o600);
    let shown = path.display().to_string();
    let out = hotline(&["--secret-file", &shown], None);
    fs::remove_file(&path).unwrap();
    assert_refused(&out, &shown);
    let missing = std::env::temp_dir().join("hotline-sign-no-such-file");
    let shown = missing.display().to_string();
    assert_refused(&hotline(&["--secret-file", &shown], None), &shown);
}

/// Coinbase's Logon signature (docs/protocols/coinbase-fix.md §Logon):
/// secret `c2VjcmV0`, key `key123`, passphrase `pass`, SendingTime
/// 20230822-20:43:30.000, MsgSeqNum 1.
fn coinbase(extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["sign", "--venue", "coinbase", "--secret-env", "HOTLINE_CB_SECRET", "--api-key", "key123"])
        .args(["--passphrase-env", "HOTLINE_CB_PASS"])
        .args(extra)
        .env("HOTLINE_CB_SECRET", "c2VjcmV0")
        .env("HOTLINE_CB_PASS", "pass")
        .output()
        .expect("run hotline")
}

#[test]
fn reproduces_the_coinbase_logon_vector_without_showing_the_passphrase() {
    let out = coinbase(&["--sending-time", "20230822-20:43:30.000"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(json["signature"], "S39jvQ4fgGiMtrpMl8QiKq+LmZnwuEI5B5h8+1yloWw=");
    assert_eq!(json["prehash"], "20230822-20:43:30.000|A|1|key123|Coinbase|<passphrase: 4 bytes>");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("pass\""));
}

#[test]
fn coinbase_inputs_that_break_the_signature_are_refused_by_name() {
    let out = coinbase(&["--sending-time", "20230822-20:43:30.000000"]);
    assert_refused(&out, "three fractional digits");
    let out = coinbase(&["--sending-time", "20230822-20:43:30.000", "--seq", "01"]);
    assert_refused(&out, "leading zeros");
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["sign", "--venue", "coinbase", "--secret-env", "HOTLINE_CB_SECRET", "--api-key", "k"])
        .args(["--passphrase-env", "HOTLINE_CB_PASS"])
        .env("HOTLINE_CB_SECRET", "not base64!")
        .env("HOTLINE_CB_PASS", "pass")
        .output()
        .expect("run hotline");
    assert_refused(&out, "not base64");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("not base64!"), "error leaks the secret");
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["sign", "--venue", "coinbase", "--secret-env", "HOTLINE_CB_SECRET", "--api-key", "k"])
        .env("HOTLINE_CB_SECRET", "c2VjcmV0")
        .output()
        .expect("run hotline");
    assert_refused(&out, "--passphrase-env");
}
