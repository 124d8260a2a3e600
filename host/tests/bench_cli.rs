//! `hotline bench --json` as users run it, with tiny counts (debug builds
//! are slow): the object has every field issue 7 names, the three
//! pipelines timed every order, hotline and the conventional stack signed
//! them alike, the sparse run timed every whale of every pipeline, and the
//! loopback round trip against the simulated exchange acknowledged the
//! orders asked for; with `--venue coinbase`, every order reached the FIX
//! responder. No timing is judged.

use std::process::Command;

use serde_json::Value;

fn bench(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_hotline")).arg("bench").args(args).output().unwrap();
    assert!(out.status.success(), "hotline bench: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

fn quantiles(v: &Value, keys: &[&str]) {
    for key in keys {
        assert!(v[key].as_u64().is_some_and(|ns| ns > 0), "{key} in {v}");
    }
}

#[test]
fn json_has_every_figure_and_identical_orders() {
    let v = bench(&["--json", "--count", "40", "--rtt-count", "4", "--sparse-count", "6", "--gap-us", "300"]);
    assert_eq!(v["venue"], "binance");
    assert_eq!(v["count"], 40);
    assert_eq!(v["orders_delivered"], 40);
    assert_eq!(v["hot_path_allocations"], 0);
    assert_eq!(v["orders_identical"], 40);
    quantiles(&v["tick_to_wire_ns"], &["p50", "p99", "p999"]);
    quantiles(&v["pre_armed_ns"], &["p50", "p99"]);
    quantiles(&v["pre_sealed_ns"], &["p50", "p99"]);
    quantiles(&v["baseline_ns"], &["p50", "p99"]);
    quantiles(&v["rtt_ns"], &["p50", "p99"]);
    quantiles(&v["rtt_engine_ns"]["tick_to_wire"], &["p50", "p99"]);
    assert!(v["rtt_ns"]["count"].as_u64().is_some_and(|n| n >= 4), "{v}");
    assert!(v["speedup_p50"].as_f64().is_some_and(|r| r > 0.0), "{v}");
    for pipeline in ["hotline", "pre_armed", "pre_sealed", "baseline"] {
        assert_eq!(v["stages_ns"][pipeline]["patch_sign"]["count"], 40, "{pipeline}");
    }
    assert_eq!(v["inbound_ns"]["hotline"]["count"], 40);
    let sparse = &v["sparse"];
    assert_eq!(sparse["gap_us"], 300, "{sparse}");
    assert_eq!(sparse["count"], 6, "{sparse}");
    for pipeline in ["tick_to_wire_ns", "spin_ns", "cold_ns", "pre_armed_ns", "pre_sealed_ns", "baseline_ns"] {
        quantiles(&sparse[pipeline], &["p50", "p99"]);
        assert_eq!(sparse[pipeline]["count"], 6, "{pipeline}");
    }
    assert!(sparse["speedup_p50"].as_f64().is_some_and(|r| r > 0.0), "{sparse}");
    assert_eq!(sparse["stages_ns"]["cold"]["seal"]["count"], 6, "{sparse}");
    let cpu = &v["cpu"];
    assert!(cpu["model"].as_str().is_some_and(|m| !m.is_empty()), "{cpu}");
    for feature in ["sha", "aes", "avx2"] {
        assert!(cpu["features"][feature].is_boolean(), "{cpu}");
    }
    // The AES-GCM path follows the CPU's features.
    let has = |f: &str| cpu["features"][f] == true;
    let expected = match (has("aes") && has("pclmulqdq"), has("avx2") && has("vaes") && has("vpclmulqdq")) {
        (true, true) => "vaes+vpclmulqdq",
        (true, false) => "aes-ni+pclmulqdq",
        (false, _) => "aes-gcm 0.10",
    };
    assert_eq!(cpu["aes_gcm_backend"], expected, "{cpu}");
}

/// `--venue coinbase`: hotline's engine on FIX against the in-memory
/// responder, which refuses a bad Logon signature, framing, CheckSum or
/// MsgSeqNum (the bench then fails), and fills every NewOrderSingle.
#[test]
fn coinbase_json_names_the_venue_and_every_order_reached_the_fix_responder() {
    let v = bench(&["--json", "--venue", "coinbase", "--count", "40", "--sparse-count", "6", "--gap-us", "300"]);
    assert_eq!(v["venue"], "coinbase");
    assert_eq!(v["count"], 40);
    assert_eq!(v["orders_delivered"], 40, "{v}");
    assert_eq!(v["inbound_ns"]["hotline"]["count"], 40, "one fill record per order");
    assert_eq!(v["hot_path_allocations"], 0, "the FIX path allocates nothing");
    quantiles(&v["tick_to_wire_ns"], &["p50", "p99", "p999"]);
    assert_eq!(v["stages_ns"]["hotline"]["patch_sign"]["count"], 40);
    // Binance-shaped: the pre-armed pipelines, the baseline, the round trip.
    for skipped in ["orders_identical", "pre_armed_ns", "pre_sealed_ns", "baseline_ns", "speedup_p50", "rtt_ns"] {
        assert!(v[skipped].is_null(), "{skipped}: {v}");
    }
    let sparse = &v["sparse"];
    for pipeline in ["tick_to_wire_ns", "spin_ns", "cold_ns"] {
        quantiles(&sparse[pipeline], &["p50", "p99"]);
        assert_eq!(sparse[pipeline]["count"], 6, "{pipeline}");
    }
    assert!(sparse["baseline_ns"].is_null(), "{sparse}");
    assert_eq!(sparse["hot_path_allocations"], 0, "{sparse}");
}

#[test]
fn skip_rtt_and_plot_write_an_svg_of_three_curves() {
    let path = std::env::temp_dir().join(format!("hotline-bench-cli-{}.svg", std::process::id()));
    let v = bench(&["--json", "--count", "32", "--skip-rtt", "--gap-us", "0", "--plot", path.to_str().unwrap()]);
    assert!(v["rtt_ns"].is_null(), "{v}");
    assert!(v["sparse"].is_null(), "--gap-us 0 skips the sparse run: {v}");
    let svg = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(svg.starts_with("<svg"), "{svg:.80}");
    // Each pipeline: a legend entry and a 2-px curve in its colour (the
    // curve and its legend sample are two polylines).
    for (label, colour) in
        [("hotline", "#FF0000"), ("hotline pre-armed", "#0000FF"), ("conventional Rust stack", "#000000")]
    {
        assert!(svg.contains(&format!("\n{label}\n")), "{label}");
        let curves = format!("stroke=\"{colour}\" stroke-width=\"2\"");
        assert_eq!(svg.matches(&curves).count(), 2, "{label}");
    }
}
