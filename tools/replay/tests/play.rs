//! `hotline-replay play` end to end: the binary publishes the shipped demo
//! capture through libzmq, and hotline's own subscriber (`core::feed`)
//! reads it over TCP: every notification arrives, in order, with the
//! recorded topic, body and sequence, and every body is a transaction.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use hotline_core::btc::tx::Tx;
use hotline_core::feed::bitcoind::{Event, Subscriber, Topic};

const CAPTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/captures/demo.capture");

/// `(sequence, body)` of every entry, read independently of the tool.
fn expected() -> Vec<(u32, Vec<u8>)> {
    std::fs::read_to_string(CAPTURE)
        .expect("demo capture")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(fields[1], "rawtx");
            (fields[2].parse().expect("sequence"), hex::decode(fields[3]).expect("hex"))
        })
        .collect()
}

#[test]
fn demo_capture_replays_through_libzmq_to_hotline() {
    let expected = expected();
    assert!(expected.len() >= 15);
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline-replay"))
        .args(["play", CAPTURE, "--bind", "tcp://127.0.0.1:*", "--fast", "--wait-subscriber"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start hotline-replay");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("endpoint line");
    let addr = line.trim().strip_prefix("listening on tcp://").expect("endpoint").to_owned();

    let mut stream = TcpStream::connect(&addr).expect("connect");
    let mut sub = Subscriber::new(&[Topic::RawTx], 100_000);
    let mut buf = vec![0u8; sub.buffer_len()];
    let (mut filled, mut out) = (0, [0u8; Subscriber::MIN_TRANSMIT_LEN]);
    let mut got = Vec::new();
    while got.len() < expected.len() {
        while let Some(n) = sub.poll_transmit(&mut out).expect("transmit") {
            stream.write_all(&out[..n]).expect("send");
        }
        let n = stream.read(&mut buf[filled..]).expect("read");
        assert!(n > 0, "replayer closed after {} notifications", got.len());
        filled += n;
        let mut at = 0;
        loop {
            let (used, event) = sub.handle_input(&buf[at..filled]).expect("valid feed");
            match event {
                Some(Event::Notification(note)) => got.push((note.sequence, note.body.to_vec())),
                Some(Event::Gap { .. } | Event::Restart { .. }) => panic!("unexpected {event:?}"),
                Some(_) => {}
                None if used == 0 => break,
                None => {}
            }
            at += used;
        }
        buf.copy_within(at..filled, 0);
        filled -= at;
    }
    assert_eq!(got, expected);
    for (_, body) in &got {
        Tx::parse(body).expect("every replayed body is a transaction");
    }
    assert!(child.wait().expect("replayer exits").success());
}
