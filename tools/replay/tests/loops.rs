//! `Player` looping the demo capture, read by a libzmq SUB socket (the
//! `zmq` crate, a peer this project did not write): every loop arrives in
//! full with sequence numbers continuing across loops, each later loop's
//! transactions are new ones (rust-bitcoin parses them, under new txids)
//! that differ from the recorded ones in one 4-byte field, and hotline's
//! whale detector decides on every loop exactly as on the first.

use std::collections::HashSet;

use bitcoin::Transaction;
use bitcoin::consensus::deserialize;
use hotline_core::btc::tx::Tx;
use hotline_core::strategy::whale::{Decision, Detector, Rules, Suppression};
use hotline_replay::{Pace, PlayConfig, Player, capture};

const LOOPS: u32 = 3;

/// `(sequence, body)` of every `rawtx` notification a SUB receives from a
/// fast, looping player.
fn receive(entries: &[capture::Entry]) -> Vec<(u32, Vec<u8>)> {
    let config = PlayConfig { pace: Pace::Fast, loops: LOOPS, ..PlayConfig::default() };
    let player = Player::start(entries.to_vec(), config).expect("player starts");
    assert!(player.endpoint().starts_with("tcp://127.0.0.1:"), "{}", player.endpoint());
    assert!(!player.endpoint().ends_with(":0"), "the port is resolved: {}", player.endpoint());

    let ctx = zmq::Context::new();
    let sub = ctx.socket(zmq::SUB).expect("socket");
    sub.set_rcvhwm(0).expect("hwm");
    sub.set_rcvtimeo(20_000).expect("timeout");
    sub.set_subscribe(b"rawtx").expect("subscribe");
    sub.connect(player.endpoint()).expect("connect");
    let total = entries.len() * LOOPS as usize;
    let mut got = Vec::with_capacity(total);
    while got.len() < total {
        let frames = sub.recv_multipart(0).unwrap_or_else(|e| panic!("after {} notifications: {e}", got.len()));
        let [topic, body, sequence] = frames.as_slice() else { panic!("{} frames, not 3", frames.len()) };
        assert_eq!(topic.as_slice(), b"rawtx");
        let sequence = u32::from_le_bytes(sequence.as_slice().try_into().expect("4-byte sequence"));
        got.push((sequence, body.clone()));
    }
    let stats = player.join().expect("player finishes");
    assert_eq!(stats.published, total as u64);
    got
}

#[test]
fn looped_capture_arrives_whole_contiguous_and_new_each_loop() {
    let entries = capture::parse(hotline_replay::demo_capture_text()).expect("demo capture");
    let n = entries.len();
    assert!(n >= 15);
    let got = receive(&entries);

    let first = entries[0].sequence;
    for (i, (sequence, _)) in got.iter().enumerate() {
        assert_eq!(*sequence, first.wrapping_add(i as u32), "notification {i}");
    }
    for (i, entry) in entries.iter().enumerate() {
        assert_eq!(got[i].1, entry.body, "loop 0 is the capture itself");
    }
    let mut txids = HashSet::new();
    for (i, (_, body)) in got.iter().enumerate() {
        let (k, recorded) = (i / n, &entries[i % n].body);
        let tx: Transaction = deserialize(body).unwrap_or_else(|e| panic!("loop {k}, entry {}: {e}", i % n));
        let original: Transaction = deserialize(recorded).expect("recorded transaction");
        assert_eq!(tx.is_coinbase(), original.is_coinbase());
        if k == 0 {
            txids.insert(tx.compute_txid());
            continue;
        }
        assert!(!txids.contains(&tx.compute_txid()), "loop {k}, entry {}: txid seen in an earlier loop", i % n);
        assert_eq!(body.len(), recorded.len());
        let changed: Vec<usize> = (0..body.len()).filter(|&j| body[j] != recorded[j]).collect();
        let at = changed[0];
        assert!(changed.iter().all(|&j| j < at + 4), "loop {k}, entry {}: changed {changed:?}", i % n);
        let field = |b: &[u8]| u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"));
        assert_eq!(field(body) ^ field(recorded), k as u32, "the field is XOR-ed with the loop index");
        if !original.is_coinbase() {
            assert_ne!(tx.input[0].previous_output, original.input[0].previous_output);
        }
    }
}

#[test]
fn whale_detector_decides_each_loop_as_the_first() {
    let entries = capture::parse(hotline_replay::demo_capture_text()).expect("demo capture");
    let got = receive(&entries);
    let mut detector = Detector::<'_, 64>::new(Rules { cooldown_ns: 0, ..Rules::default() });
    let kinds: Vec<Vec<String>> = got
        .chunks(entries.len())
        .map(|chunk| {
            chunk
                .iter()
                .map(|(_, body)| {
                    let tx = Tx::parse(body).expect("hotline parses every body");
                    // Kinds of decision only: txids differ by design.
                    match detector.evaluate(0, &tx) {
                        Decision::Signal(s) => format!("signal {:?}", s.rule),
                        Decision::Suppressed { reason: Suppression::Replacement { .. }, .. } => {
                            "suppressed replacement".to_owned()
                        }
                        Decision::Suppressed { reason, .. } => format!("suppressed {reason:?}"),
                        Decision::Ignore => "ignore".to_owned(),
                    }
                })
                .collect()
        })
        .collect();
    assert_eq!(kinds.len(), LOOPS as usize);
    assert!(kinds[0].iter().filter(|k| k.starts_with("signal")).count() >= 2, "{:?}", kinds[0]);
    assert!(kinds[0].iter().any(|k| k == "suppressed Duplicate"), "{:?}", kinds[0]);
    assert!(kinds[0].iter().any(|k| k == "suppressed replacement"), "{:?}", kinds[0]);
    for (k, loop_kinds) in kinds.iter().enumerate() {
        assert_eq!(loop_kinds, &kinds[0], "loop {k}");
    }
}
