//! The binary log end to end: a `hotline` run writes defmt frames through
//! the ring and the drain thread to a file, and `hotline log` decodes them
//! against the binary's `.defmt` section (linker/defmt-host.ld).

use std::process::Command;

fn hotline(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hotline")).args(args).output().expect("hotline runs")
}

#[test]
fn a_run_logs_frames_that_hotline_log_decodes() {
    let dir = std::env::temp_dir().join(format!("hotline-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cpu.hlog");
    let file = file.to_str().unwrap();
    assert!(hotline(&["--log-file", file, "cpu"]).status.success());
    let decoded = hotline(&["log", file]);
    assert!(decoded.status.success(), "{}", String::from_utf8_lossy(&decoded.stderr));
    let text = String::from_utf8(decoded.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].ends_with(&format!("info  hotline {} started: cpu", env!("CARGO_PKG_VERSION"))), "{text}");
    assert!(lines[1].ends_with("info  hotline finished: true"), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_foreign_file_is_refused_as_malformed() {
    let dir = std::env::temp_dir().join(format!("hotline-log-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("garbage.hlog");
    // Frames whose string index lies past any table this binary could
    // have: a small index would name a real message of this build.
    for garbage in [&[0xFFu8; 64][..], &b"\xff\x7fgarbage\x00".repeat(8)] {
        std::fs::write(&file, garbage).unwrap();
        let decoded = hotline(&["log", file.to_str().unwrap()]);
        assert!(!decoded.status.success());
        let stderr = String::from_utf8_lossy(&decoded.stderr);
        assert!(stderr.contains("malformed") || stderr.contains("not a hotline log"), "{stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
