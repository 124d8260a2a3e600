//! The mempool feed's hot path: a bitcoind `rawtx` ZMTP message in, a whale
//! decision out, against rust-bitcoin 0.32 on the same transaction bytes,
//! in one group.
//!
//! decide/hotline: `Subscriber::handle` on the three-frame message (topic,
//! body, sequence), `Tx::parse` of the body, `Detector::evaluate` (not a
//! whale, so no hashing). decide/rust-bitcoin: `deserialize` plus summing
//! the outputs, the least a conventional pipeline does before deciding.
//! txid: double SHA-256 of the stripped serialization, both ways.
//! Inputs: a typical 1-input/2-output P2WPKH spend (222 bytes) and a
//! 1-input/100-output batch payout.

use std::hint::black_box;

use bitcoin::consensus::{deserialize, serialize};
use bitcoin::hashes::Hash;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness, absolute, transaction};
use criterion::{Criterion, criterion_group, criterion_main};
use hotline_core::btc::tx::Tx;
use hotline_core::feed::bitcoind::{Event, Subscriber, Topic, emit_notification};
use hotline_core::strategy::whale::{Decision, Detector, Rules};

/// libzmq 4.3.4's PUB greeting and READY, as captured on loopback (docs/protocols/bitcoind-zmq.md §What libzmq sends).
const PUB_HELLO: &[u8] = b"\xff\0\0\0\0\0\0\0\x01\x7f\x03\x01NULL\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x04\x19\x05READY\x0bSocket-Type\x00\x00\x00\x03PUB";

/// A one-input P2WPKH spend paying `outputs` P2WPKH outputs.
fn segwit_tx(outputs: usize) -> Vec<u8> {
    let tx = Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::from_consensus(871_234),
        input: vec![TxIn {
            previous_output: OutPoint { txid: Txid::from_byte_array([0x5c; 32]), vout: 1 },
            script_sig: ScriptBuf::new(),
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            witness: Witness::from_slice(&[[0x30u8; 71].as_slice(), [0x02u8; 33].as_slice()]),
        }],
        output: (0..outputs)
            .map(|i| TxOut {
                value: Amount::from_sat(1_000_000 + i as u64),
                script_pubkey: ScriptBuf::from_bytes([&[0x00, 0x14][..], &[i as u8; 20]].concat()),
            })
            .collect(),
    };
    serialize(&tx)
}

fn connected() -> Subscriber<'static> {
    let mut sub = Subscriber::new(&[Topic::RawTx], 4_000_000);
    let mut out = [0u8; Subscriber::MIN_TRANSMIT_LEN];
    while sub.poll_transmit(&mut out).expect("transmit").is_some() {}
    let (used, _) = sub.handle_input(PUB_HELLO).expect("greeting");
    let (_, event) = sub.handle_input(&PUB_HELLO[used..]).expect("ready");
    assert!(matches!(event, Some(Event::Connected { .. })));
    sub
}

fn feed(c: &mut Criterion) {
    let mut group = c.benchmark_group("feed");
    for (name, outputs) in [("typical", 2), ("batch100", 100)] {
        let body = segwit_tx(outputs);
        if outputs == 2 {
            assert_eq!(body.len(), 222, "the typical transaction is 222 bytes");
        }
        let mut wire = vec![0u8; body.len() + 64];
        let len = emit_notification(&mut wire, Topic::RawTx, &body, 0).expect("fits");
        wire.truncate(len);

        let mut sub = connected();
        let mut detector = Detector::<'_, 64>::new(Rules::default());
        let mut sequence = 0u32;
        group.bench_function(format!("decide/hotline/{name}"), |b| {
            b.iter(|| {
                // bitcoind's counter advances with every message.
                wire[len - 4..].copy_from_slice(&sequence.to_le_bytes());
                sequence = sequence.wrapping_add(1);
                let (_, event) = sub.handle_input(black_box(&wire)).expect("valid message");
                let Some(Event::Notification(note)) = event else { panic!("expected a notification") };
                let tx = Tx::parse(note.body).expect("valid transaction");
                black_box(detector.evaluate(0, &tx))
            })
        });
        assert_eq!(detector.evaluate(0, &Tx::parse(&body).expect("valid")), Decision::Ignore);

        group.bench_function(format!("decide/rust-bitcoin/{name}"), |b| {
            b.iter(|| {
                let tx: Transaction = deserialize(black_box(&body)).expect("valid transaction");
                black_box(tx.output.iter().map(|o| o.value.to_sat()).sum::<u64>())
            })
        });

        let tx = Tx::parse(&body).expect("valid");
        group.bench_function(format!("txid/hotline/{name}"), |b| b.iter(|| black_box(&tx).txid()));
        let theirs: Transaction = deserialize(&body).expect("valid");
        assert_eq!(tx.txid().0, *theirs.compute_txid().as_byte_array());
        group.bench_function(format!("txid/rust-bitcoin/{name}"), |b| b.iter(|| black_box(&theirs).compute_txid()));
    }
    group.finish();
}

criterion_group!(benches, feed);
criterion_main!(benches);
