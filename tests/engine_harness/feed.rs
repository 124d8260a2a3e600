//! The node's side of the feed: a ZMTP 3.0 PUB peer assembled by hand
//! (RFC 23 §"Formal Grammar": the 64-byte greeting with the NULL
//! mechanism, a READY command announcing `Socket-Type` `PUB`, then
//! multipart messages) publishing bitcoind's `rawtx` notifications as
//! Bitcoin Core's `doc/zmq.md` describes them: three frames, the topic,
//! the serialized transaction, and a 4-byte little-endian sequence number.
//! Interop with a real libzmq publisher is `feed_libzmq`'s business; this
//! one exists to run without sockets. The whales are the demo capture's
//! (`hotline-replay`), made distinct by the outpoint they spend.

use hotline_replay::capture;

/// ZMTP frame flags (RFC 23 §"Framing").
const MORE: u8 = 0x01;
const LONG: u8 = 0x02;
const COMMAND: u8 = 0x04;

/// The PUB side of one node.
#[derive(Debug, Default)]
pub(crate) struct Node {
    /// Bytes for the subscriber.
    out: Vec<u8>,
    /// Bytes the subscriber sent on the current connection.
    pub(crate) received: Vec<u8>,
    /// The next sequence number.
    pub(crate) sequence: u32,
    /// Connections accepted.
    pub(crate) connections: u32,
}

impl Node {
    /// A subscriber connected: greeting and READY go out.
    pub(crate) fn accept(&mut self) {
        self.connections += 1;
        self.received.clear();
        let mut greeting = [0u8; 64];
        greeting[0] = 0xff;
        greeting[9] = 0x7f;
        greeting[10] = 3;
        greeting[12..16].copy_from_slice(b"NULL");
        self.out = greeting.to_vec();
        let mut ready = b"\x05READY\x0bSocket-Type".to_vec();
        ready.extend_from_slice(&3u32.to_be_bytes());
        ready.extend_from_slice(b"PUB");
        frame(&mut self.out, COMMAND, &ready);
    }

    /// Bytes waiting for the subscriber.
    pub(crate) fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Whether the subscriber sent its greeting and subscribed to `rawtx`
    /// (a message frame `0x01` + prefix, RFC 23's SUB form).
    pub(crate) fn subscribed_to_rawtx(&self) -> bool {
        self.received.len() > 64 && self.received.windows(6).any(|w| w == b"\x01rawtx")
    }

    /// Publishes one `rawtx` notification with the next sequence number.
    pub(crate) fn publish(&mut self, tx: &[u8]) {
        frame(&mut self.out, MORE, b"rawtx");
        frame(&mut self.out, MORE, tx);
        frame(&mut self.out, 0, &self.sequence.to_le_bytes());
        self.sequence = self.sequence.wrapping_add(1);
    }

    /// Sends raw bytes, whatever they are.
    pub(crate) fn inject(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// Loses `n` notifications: the next one is numbered `n` higher.
    pub(crate) fn skip(&mut self, n: u32) {
        self.sequence = self.sequence.wrapping_add(n);
    }

    /// The node restarted: numbering starts over at 0.
    pub(crate) fn restart(&mut self) {
        self.sequence = 0;
    }
}

/// Appends one frame: short sizes in one byte, long ones in eight,
/// big-endian.
fn frame(out: &mut Vec<u8>, flags: u8, body: &[u8]) {
    match u8::try_from(body.len()) {
        Ok(len) => out.extend_from_slice(&[flags, len]),
        Err(_) => {
            out.push(flags | LONG);
            out.extend_from_slice(&(body.len() as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(body);
}

/// The demo capture's notifications, in order.
fn demo() -> Vec<capture::Entry> {
    capture::parse(hotline_replay::demo_capture_text()).expect("the demo capture parses")
}

/// The demo capture's 1 500 BTC whale (four outputs of at most 450 BTC,
/// so only the total-value rule sees it), spending output `n` of its
/// made-up input: each `n` is a distinct transaction, neither a repeat
/// nor a replacement of another.
pub(crate) fn whale(n: u8) -> Vec<u8> {
    let mut tx = demo().into_iter().find(|e| e.sequence == 2).expect("the 1 500 BTC whale").body;
    // Segwit layout: version (4), marker and flag (2), input count (1),
    // then the first input's previous txid (32) and output index (4, LE).
    assert_eq!(&tx[4..7], [0, 1, 1], "a segwit transaction with one input");
    tx[39] = n;
    tx
}

/// A real mainnet transaction far below every whale threshold.
pub(crate) fn minnow() -> Vec<u8> {
    demo().into_iter().find(|e| e.sequence == 1).expect("a real transaction").body
}
