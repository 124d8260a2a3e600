//! `core::feed` against libzmq, the library bitcoind publishes with: a real
//! libzmq 4.3 PUB (or XPUB) socket, built by the `zmq` crate, binds on
//! loopback and sends bitcoind-shaped `rawtx` messages (topic, body, u32 LE
//! sequence, as `zmqpublishnotifier.cpp` does); hotline's subscriber
//! decodes them from a plain TCP socket. Covered: the handshake with a
//! ZMTP 3.1 peer, legacy subscriptions honoured by libzmq's filter, real
//! transactions arriving intact, a node restart, oversized bodies, and the
//! high-water-mark overflow that shows up only as a sequence gap.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use hotline_core::btc::tx::Tx;
use hotline_core::feed::bitcoind::{Event, Subscriber, Topic};
use hotline_core::feed::zmtp::SocketType;
use serde_json::Value;

/// What one decoded event said, owned so it outlives the read buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Connected(u8, SocketType),
    Rawtx(Vec<u8>, u32),
    Gap(u32, u32),
    Restart(u32),
    Oversized(u64),
    Other,
}

/// A host loop in miniature: a TCP stream, a bounded buffer, a subscriber.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    filled: usize,
    sub: Subscriber<'static>,
}

impl Conn {
    fn open(endpoint: &str, sub: Subscriber<'static>) -> Self {
        let addr = endpoint.trim_start_matches("tcp://");
        let stream = TcpStream::connect(addr).expect("connect to libzmq");
        stream.set_read_timeout(Some(Duration::from_millis(50))).expect("timeout");
        let mut conn = Self { stream, buf: vec![0; sub.buffer_len()], filled: 0, sub };
        conn.flush();
        conn
    }

    fn flush(&mut self) {
        let mut out = [0u8; Subscriber::MIN_TRANSMIT_LEN];
        while let Some(n) = self.sub.poll_transmit(&mut out).expect("transmit") {
            self.stream.write_all(&out[..n]).expect("send");
        }
    }

    /// Reads once (up to the timeout) and decodes everything complete.
    fn poll(&mut self, seen: &mut Vec<Seen>) {
        match self.stream.read(&mut self.buf[self.filled..]) {
            Ok(0) => panic!("libzmq closed the connection"),
            Ok(n) => self.filled += n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => return,
            Err(e) => panic!("read: {e}"),
        }
        let mut at = 0;
        loop {
            let (used, event) = self.sub.handle_input(&self.buf[at..self.filled]).expect("valid feed");
            let Some(event) = event else {
                if used == 0 {
                    break;
                }
                at += used;
                continue;
            };
            seen.push(match event {
                Event::Connected { peer_minor, socket_type } => Seen::Connected(peer_minor, socket_type),
                Event::Notification(n) => {
                    assert_eq!(n.topic, Topic::RawTx, "only rawtx was subscribed");
                    Seen::Rawtx(n.body.to_vec(), n.sequence)
                }
                Event::Gap { expected, got, .. } => Seen::Gap(expected, got),
                Event::Restart { last, .. } => Seen::Restart(last),
                Event::Oversized { len, .. } => Seen::Oversized(len),
                _ => Seen::Other,
            });
            at += used;
        }
        self.buf.copy_within(at..self.filled, 0);
        self.filled -= at;
        self.flush();
    }
}

fn publisher(ctx: &zmq::Context, kind: zmq::SocketType, hwm: i32) -> (zmq::Socket, String) {
    let socket = ctx.socket(kind).expect("socket");
    socket.set_sndhwm(hwm).expect("hwm");
    socket.set_linger(0).expect("linger");
    socket.bind("tcp://127.0.0.1:*").expect("bind");
    let endpoint = socket.get_last_endpoint().expect("endpoint").expect("utf8");
    (socket, endpoint)
}

/// Sends one message exactly as bitcoind's `zmqpubrawtx` does.
fn publish(socket: &zmq::Socket, topic: &[u8], body: &[u8], sequence: u32) {
    socket.send(topic, zmq::SNDMORE).expect("topic");
    socket.send(body, zmq::SNDMORE).expect("body");
    socket.send(&sequence.to_le_bytes()[..], 0).expect("sequence");
}

/// Waits on an XPUB until the subscriber's subscription has arrived.
fn await_subscription(xpub: &zmq::Socket, conn: &mut Conn, seen: &mut Vec<Seen>) {
    xpub.set_rcvtimeo(50).expect("rcvtimeo");
    for _ in 0..200 {
        conn.poll(seen);
        if let Ok(msg) = xpub.recv_bytes(0) {
            assert_eq!(msg, b"\x01rawtx", "legacy subscription as libzmq reports it");
            return;
        }
    }
    panic!("no subscription reached libzmq");
}

fn real_transactions() -> Vec<Vec<u8>> {
    let path = hotline_tests::shared_dir().join("data/tx-vectors.json");
    let text = std::fs::read_to_string(&path).expect("tx-vectors.json");
    let Value::Array(vectors) = serde_json::from_str(&text).expect("json") else { panic!("not an array") };
    vectors
        .iter()
        .map(|v| hex::decode(v["hex"].as_str().expect("hex")).expect("hex"))
        .filter(|b| Tx::parse(b).is_ok())
        .collect()
}

#[test]
fn real_transactions_arrive_in_order_then_node_restart() {
    let ctx = zmq::Context::new();
    let (xpub, endpoint) = publisher(&ctx, zmq::XPUB, 1000);
    let mut conn = Conn::open(&endpoint, Subscriber::new(&[Topic::RawTx], 4_000_000));
    let mut seen = Vec::new();
    await_subscription(&xpub, &mut conn, &mut seen);
    // libzmq 4.3.4 greets with ZMTP 3.1 even though we announced 3.0.
    assert_eq!(seen, [Seen::Connected(1, SocketType::Xpub)]);
    seen.clear();

    let txs = real_transactions();
    assert_eq!(txs.len(), 10);
    // Filtered out by libzmq: hotline subscribed to rawtx only.
    publish(&xpub, b"hashtx", &[0; 32], 0);
    for (seq, tx) in txs.iter().enumerate() {
        publish(&xpub, b"rawtx", tx, seq as u32);
    }
    while seen.len() < txs.len() {
        conn.poll(&mut seen);
    }
    let expected: Vec<Seen> = txs.iter().enumerate().map(|(i, tx)| Seen::Rawtx(tx.clone(), i as u32)).collect();
    assert_eq!(seen, expected);
    for seen in &seen {
        let Seen::Rawtx(body, _) = seen else { unreachable!() };
        Tx::parse(body).expect("decoded body is the transaction");
    }

    // The node restarts: a new publisher, sequence from 0 again.
    drop(xpub);
    let (xpub, endpoint) = publisher(&ctx, zmq::XPUB, 1000);
    let mut sub = conn.sub.clone();
    sub.reconnect();
    let mut conn = Conn::open(&endpoint, sub);
    seen.clear();
    await_subscription(&xpub, &mut conn, &mut seen);
    seen.clear();
    publish(&xpub, b"rawtx", &txs[0], 0);
    while seen.len() < 2 {
        conn.poll(&mut seen);
    }
    assert_eq!(seen, [Seen::Restart(txs.len() as u32 - 1), Seen::Rawtx(txs[0].clone(), 0)]);
}

#[test]
fn oversized_body_is_skipped_and_sequence_kept() {
    let ctx = zmq::Context::new();
    let (xpub, endpoint) = publisher(&ctx, zmq::XPUB, 1000);
    let mut conn = Conn::open(&endpoint, Subscriber::new(&[Topic::RawTx], 1000));

    let mut seen = Vec::new();
    await_subscription(&xpub, &mut conn, &mut seen);
    seen.clear();
    // A 4 MB body against a 1000-byte limit and a buffer of about 1 KB.
    assert!(conn.buf.len() < 2048);
    publish(&xpub, b"rawtx", &vec![0x5a; 4_000_000], 0);
    publish(&xpub, b"rawtx", b"after", 1);
    while !seen.iter().any(|s| matches!(s, Seen::Rawtx(..))) {
        conn.poll(&mut seen);
    }
    assert_eq!(seen, [Seen::Oversized(4_000_000), Seen::Rawtx(b"after".to_vec(), 1)]);
}

#[test]
fn high_water_mark_overflow_is_a_gap() {
    const SENT: u32 = 20_000;
    let ctx = zmq::Context::new();
    // bitcoind's PUB with a tiny -zmqpubrawtxhwm.
    let (publ, endpoint) = publisher(&ctx, zmq::PUB, 10);
    let mut conn = Conn::open(&endpoint, Subscriber::new(&[Topic::RawTx], 4096));
    let mut seen = Vec::new();
    let body = vec![0x42; 2000];
    // A PUB drops everything until the subscription arrives: publish
    // probes until one is delivered, then count from the next sequence.
    let mut seq = 0u32;
    while !seen.iter().any(|s| matches!(s, Seen::Rawtx(..))) {
        publish(&publ, b"rawtx", b"probe", seq);
        seq += 1;
        conn.poll(&mut seen);
        assert!(seq < 1000, "subscription never took effect");
    }
    conn.poll(&mut seen);
    seen.clear();
    let first = seq;
    // 40 MB while nobody reads: far more than socket buffers plus HWM.
    for _ in 0..SENT {
        publish(&publ, b"rawtx", &body, seq);
        seq += 1;
    }
    publish(&publ, b"rawtx", b"end", seq);
    let mut idle = 0;
    while !seen.iter().any(|s| matches!(s, Seen::Rawtx(b, _) if b == b"end")) {
        let before = seen.len();
        conn.poll(&mut seen);
        idle = if seen.len() == before { idle + 1 } else { 0 };
        if idle > 20 {
            // The end marker itself was dropped at the HWM; bitcoind would
            // have published more by now, so do that too.
            seq += 1;
            publish(&publ, b"rawtx", b"end", seq);
            idle = 0;
        }
    }
    let received = seen.iter().filter(|s| matches!(s, Seen::Rawtx(..))).count() as u64;
    let lost: u64 = seen
        .iter()
        .map(|s| match s {
            Seen::Gap(expected, got) => u64::from(got - expected),
            _ => 0,
        })
        .sum();
    let gaps = seen.iter().filter(|s| matches!(s, Seen::Gap(..))).count();
    assert!(gaps > 0, "libzmq dropped nothing: {received} received");
    assert!(received < u64::from(SENT), "every message arrived");
    // Every sequence number is either received or inside a reported gap.
    let first_seen = seen.iter().find_map(|s| match s {
        Seen::Rawtx(_, q) => Some(*q),
        Seen::Gap(e, _) => Some(*e),
        _ => None,
    });
    assert_eq!(first_seen, Some(first), "first sequence after the probes");
    let last_received = seen
        .iter()
        .filter_map(|s| match s {
            Seen::Rawtx(_, q) => Some(*q),
            _ => None,
        })
        .next_back()
        .expect("end marker");
    assert_eq!(received + lost, u64::from(last_received - first + 1));
    assert!(seen.iter().all(|s| !matches!(s, Seen::Restart(_))));
}
