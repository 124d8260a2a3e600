//! bitcoind's ZMQ notifications (Bitcoin Core `doc/zmq.md`,
//! `zmq/zmqpublishnotifier.cpp`) over a ZMTP SUB connection: three-frame
//! messages `topic | body | sequence (u32 LE)` turn into [`Notification`]s,
//! and the per-topic sequence numbers turn into gap and restart events.
//!
//! bitcoind increments a topic's sequence after every send, including sends
//! its PUB socket dropped at the high-water mark, so a jump is the only sign
//! of lost messages; a drop back to 0 is a node restart. Bodies above the
//! configured maximum (a block can carry a ~4 MB transaction) are skipped as
//! they stream past, and their sequence numbers are still tracked.

use core::fmt;

use super::zmtp::{self, SocketType, SubSocket};

/// Bytes of the sequence frame.
const SEQUENCE_LEN: usize = 4;
/// Budget for the topic and sequence frames next to the body.
const ENVELOPE_BUDGET: usize = 16 + SEQUENCE_LEN;

/// bitcoind's notification topics (`-zmqpub<topic>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Block hash, 32 bytes in display order.
    HashBlock,
    /// Transaction hash, 32 bytes in display order.
    HashTx,
    /// Serialized block.
    RawBlock,
    /// Serialized transaction with witness.
    RawTx,
    /// Block connect/disconnect and mempool add/remove events.
    Sequence,
}

impl Topic {
    /// Every topic, the hot one first because `from_name` scans in order.
    const ALL: [Self; 5] = [Self::RawTx, Self::Sequence, Self::HashBlock, Self::HashTx, Self::RawBlock];

    /// The topic's name on the wire.
    pub fn name(self) -> &'static [u8] {
        match self {
            Self::HashBlock => b"hashblock",
            Self::HashTx => b"hashtx",
            Self::RawBlock => b"rawblock",
            Self::RawTx => b"rawtx",
            Self::Sequence => b"sequence",
        }
    }

    /// The topic named exactly `name`.
    pub fn from_name(name: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Why the publisher's messages are not bitcoind notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The ZMTP layer failed.
    Zmtp(zmtp::Error),
    /// A topic frame names no bitcoind topic.
    UnknownTopic,
    /// A message is not exactly topic, body and sequence frames.
    BadShape,
    /// The sequence frame is not 4 bytes.
    BadSequence,
}

impl From<zmtp::Error> for Error {
    fn from(e: zmtp::Error) -> Self {
        Self::Zmtp(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Zmtp(e) => write!(f, "zmtp: {e}"),
            Self::UnknownTopic => f.write_str("unknown notification topic"),
            Self::BadShape => f.write_str("message is not topic|body|sequence"),
            Self::BadSequence => f.write_str("sequence frame is not 4 bytes"),
        }
    }
}

/// One notification, its body borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notification<'a> {
    /// Which notifier sent it.
    pub topic: Topic,
    /// The body (a raw transaction for `rawtx`).
    pub body: &'a [u8],
    /// The notifier's message sequence number.
    pub sequence: u32,
}

/// What the subscriber saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// The ZMTP handshake completed with a PUB or XPUB.
    Connected {
        /// The peer's ZMTP minor version.
        peer_minor: u8,
        /// The peer's socket type.
        socket_type: SocketType,
    },
    /// A notification.
    Notification(Notification<'a>),
    /// Messages were lost: `got` arrived where `expected` was due.
    Gap {
        /// The topic that lost messages.
        topic: Topic,
        /// The sequence number due.
        expected: u32,
        /// The sequence number received.
        got: u32,
    },
    /// The node restarted: the sequence went back to 0 after `last`.
    Restart {
        /// The topic whose counter restarted.
        topic: Topic,
        /// The last sequence number seen before the restart.
        last: u32,
    },
    /// A body larger than the maximum was skipped unread.
    Oversized {
        /// The topic of the skipped message.
        topic: Topic,
        /// The body length it declared.
        len: u64,
    },
    /// The node sent a ZMTP PING; the PONG is queued.
    Ping,
    /// The node sent a command that needs no action.
    IgnoredCommand {
        /// The command name.
        name: &'a [u8],
    },
    /// The node sent ZMTP ERROR and the connection is over.
    PeerError {
        /// The reason given.
        reason: &'a [u8],
    },
}

/// A subscriber to one bitcoind ZMQ endpoint, sans-IO.
///
/// Write [`Subscriber::poll_transmit`] output to the TCP socket; pass the
/// bytes read to [`Subscriber::handle_input`] from the first unconsumed byte,
/// keeping at least [`Subscriber::buffer_len`] bytes of room. An event
/// returned with 0 bytes consumed (a gap or restart found on the message at
/// the head of the input) means: act on it and call again with the same
/// input, which then yields the message itself.
#[derive(Debug, Clone)]
pub struct Subscriber<'t> {
    socket: SubSocket,
    topics: &'t [Topic],
    max_body: usize,
    subscribed: bool,
    expected: [Option<u32>; Topic::ALL.len()],
    reported: bool,
    skipping: Option<Topic>,
}

impl<'t> Subscriber<'t> {
    /// Bytes [`Subscriber::poll_transmit`] may need in one call (an upper
    /// bound: greeting and READY, or one subscription per topic).
    pub const MIN_TRANSMIT_LEN: usize = zmtp::MIN_TRANSMIT_LEN + Topic::ALL.len() * 12;

    /// A subscriber to `topics` that skips bodies above `max_body` bytes.
    pub fn new(topics: &'t [Topic], max_body: usize) -> Self {
        Self {
            socket: SubSocket::new(max_body.saturating_add(ENVELOPE_BUDGET)),
            topics,
            max_body,
            subscribed: false,
            expected: [None; Topic::ALL.len()],
            reported: false,
            skipping: None,
        }
    }

    /// Starts over on a new connection. Sequence expectations survive, so
    /// messages published while disconnected show up as a gap.
    pub fn reconnect(&mut self) {
        *self = Self { expected: self.expected, ..Self::new(self.topics, self.max_body) };
    }

    /// The sequence number the next `topic` message should carry, once one
    /// has been seen.
    pub fn next_sequence(&self, topic: Topic) -> Option<u32> {
        self.expected[topic.index()]
    }

    /// Input bytes the caller must be able to hold at once.
    pub fn buffer_len(&self) -> usize {
        self.socket.buffer_len()
    }

    /// Bytes to send: greeting and READY first, the subscriptions once the
    /// peer's READY has arrived, later PONGs. `None` when there is nothing
    /// to send. Subscribing earlier fails against libzmq 4.3: until its own
    /// READY is out it takes every frame for a handshake command and drops
    /// the connection (`ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND`).
    pub fn poll_transmit(&mut self, out: &mut [u8]) -> Result<Option<usize>, Error> {
        if let Some(n) = self.socket.poll_transmit(out)? {
            return Ok(Some(n));
        }
        if self.subscribed || !self.socket.is_open() {
            return Ok(None);
        }
        let mut n = 0;
        for topic in self.topics {
            let rest = out.get_mut(n..).ok_or(zmtp::Error::BufferTooSmall)?;
            n += zmtp::emit_subscribe(rest, topic.name())?;
        }
        self.subscribed = true;
        Ok(Some(n))
    }

    /// Decodes from the start of `input`: bytes consumed and what was seen;
    /// `(0, None)` means more bytes are needed.
    pub fn handle_input<'a>(&mut self, input: &'a [u8]) -> Result<(usize, Option<Event<'a>>), Error> {
        let (used, event) = self.socket.handle_input(input)?;
        let Some(event) = event else {
            return Ok((used, None));
        };
        let event = match event {
            zmtp::Event::Ready { peer_minor, socket_type } => Event::Connected { peer_minor, socket_type },
            zmtp::Event::Message(message) => return self.on_message(message, used),
            zmtp::Event::Skipped { index: 1, len, more: true } => {
                let topic = self.skipping.ok_or(Error::BadShape)?;
                Event::Oversized { topic, len }
            }
            zmtp::Event::Skipped { .. } => return Err(Error::BadShape),
            zmtp::Event::Ping => Event::Ping,
            zmtp::Event::IgnoredCommand { name } => Event::IgnoredCommand { name },
            zmtp::Event::PeerError { reason } => Event::PeerError { reason },
        };
        Ok((used, Some(event)))
    }

    fn on_message<'a>(&mut self, message: zmtp::Message<'a>, used: usize) -> Result<(usize, Option<Event<'a>>), Error> {
        let shape = (message.first_index(), message.frame_count(), message.ends_message());
        match shape {
            (0, 3, true) => {
                let mut frames = message.frames();
                let (Some(name), Some(body), Some(sequence)) = (frames.next(), frames.next(), frames.next()) else {
                    return Err(Error::BadShape);
                };
                let topic = Topic::from_name(name).ok_or(Error::UnknownTopic)?;
                let sequence = parse_sequence(sequence)?;
                if let Some(anomaly) = self.check_sequence(topic, sequence)
                    && !self.reported
                {
                    // The socket is back at a message boundary either way,
                    // so the same input decodes to the same message again.
                    self.reported = true;
                    return Ok((0, Some(anomaly)));
                }
                self.reported = false;
                self.expected[topic.index()] = Some(sequence.wrapping_add(1));
                let note = Notification { topic, body, sequence };
                Ok((used, Some(Event::Notification(note))))
            }
            (0, 1, false) => {
                let name = message.frame(0).ok_or(Error::BadShape)?;
                self.skipping = Some(Topic::from_name(name).ok_or(Error::UnknownTopic)?);
                Ok((used, None))
            }
            (2, 1, true) => {
                let topic = self.skipping.take().ok_or(Error::BadShape)?;
                let sequence = parse_sequence(message.frame(0).ok_or(Error::BadShape)?)?;
                let anomaly = self.check_sequence(topic, sequence);
                self.expected[topic.index()] = Some(sequence.wrapping_add(1));
                Ok((used, anomaly))
            }
            _ => Err(Error::BadShape),
        }
    }

    fn check_sequence(&self, topic: Topic, got: u32) -> Option<Event<'static>> {
        match self.expected[topic.index()] {
            Some(expected) if expected == got => None,
            None => None,
            Some(expected) if got == 0 => Some(Event::Restart { topic, last: expected.wrapping_sub(1) }),
            Some(expected) => Some(Event::Gap { topic, expected, got }),
        }
    }
}

fn parse_sequence(frame: &[u8]) -> Result<u32, Error> {
    let bytes: [u8; SEQUENCE_LEN] = frame.try_into().map_err(|_| Error::BadSequence)?;
    Ok(u32::from_le_bytes(bytes))
}

/// Writes one notification as bitcoind's PUB socket frames it (the
/// publisher side, for tests, replays and benchmarks).
pub fn emit_notification(out: &mut [u8], topic: Topic, body: &[u8], sequence: u32) -> Result<usize, zmtp::Error> {
    let mut n = zmtp::emit_frame(out, true, false, topic.name())?;
    n += zmtp::emit_frame(out.get_mut(n..).ok_or(zmtp::Error::BufferTooSmall)?, true, false, body)?;
    let rest = out.get_mut(n..).ok_or(zmtp::Error::BufferTooSmall)?;
    n += zmtp::emit_frame(rest, false, false, &sequence.to_le_bytes())?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUB_GREETING_AND_READY: &[u8] = b"\xff\0\0\0\0\0\0\0\x01\x7f\x03\x01NULL\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x04\x19\x05READY\x0bSocket-Type\x00\x00\x00\x03PUB";

    fn connected(max_body: usize) -> Subscriber<'static> {
        let mut s = Subscriber::new(&[Topic::RawTx, Topic::HashBlock], max_body);
        let mut out = [0u8; Subscriber::MIN_TRANSMIT_LEN];
        assert_eq!(s.poll_transmit(&mut out), Ok(Some(91)));
        assert_eq!(s.poll_transmit(&mut out), Ok(None), "no subscription before READY");
        let (used, _) = s.handle_input(PUB_GREETING_AND_READY).expect("greeting");
        let rest = &PUB_GREETING_AND_READY[used..];
        assert!(matches!(
            s.handle_input(rest),
            Ok((27, Some(Event::Connected { peer_minor: 1, socket_type: SocketType::Pub })))
        ));
        let n = s.poll_transmit(&mut out).expect("subscribe").expect("bytes");
        assert_eq!(&out[..n], b"\x00\x06\x01rawtx\x00\x0a\x01hashblock");
        assert_eq!(s.poll_transmit(&mut out), Ok(None));
        s
    }

    fn wire(topic: Topic, body: &[u8], seq: u32) -> ([u8; 512], usize) {
        let mut out = [0u8; 512];
        let n = emit_notification(&mut out, topic, body, seq).expect("fits");
        (out, n)
    }

    /// Drives `handle` until it consumes something, collecting events.
    fn feed<'a>(s: &mut Subscriber<'_>, input: &'a [u8], events: &mut [Option<Event<'a>>; 4]) -> usize {
        let mut count = 0;
        loop {
            let (used, event) = s.handle_input(input).expect("valid");
            if let Some(e) = event {
                events[count] = Some(e);
                count += 1;
            }
            if used > 0 || count == 0 {
                return count;
            }
        }
    }

    #[test]
    fn notification_and_gap_then_restart() {
        let mut s = connected(1024);
        let mut events = [None; 4];
        let (w, n) = wire(Topic::RawTx, b"tx-a", 5);
        assert_eq!(feed(&mut s, &w[..n], &mut events), 1);
        assert_eq!(
            events[0],
            Some(Event::Notification(Notification { topic: Topic::RawTx, body: b"tx-a", sequence: 5 }))
        );
        let (w, n) = wire(Topic::RawTx, b"tx-b", 9);
        assert_eq!(feed(&mut s, &w[..n], &mut events), 2);
        assert_eq!(events[0], Some(Event::Gap { topic: Topic::RawTx, expected: 6, got: 9 }));
        assert!(matches!(events[1], Some(Event::Notification(Notification { sequence: 9, .. }))));
        // Another topic has its own counter.
        let (w, n) = wire(Topic::HashBlock, &[0; 32], 0);
        assert_eq!(feed(&mut s, &w[..n], &mut events), 1);
        let (w, n) = wire(Topic::RawTx, b"tx-c", 0);
        assert_eq!(feed(&mut s, &w[..n], &mut events), 2);
        assert_eq!(events[0], Some(Event::Restart { topic: Topic::RawTx, last: 9 }));
    }

    #[test]
    fn sequence_wraps_without_a_gap() {
        let mut s = connected(1024);
        let mut events = [None; 4];
        let (w, n) = wire(Topic::RawTx, b"a", u32::MAX);
        assert_eq!(feed(&mut s, &w[..n], &mut events), 1);
        let (w, n) = wire(Topic::RawTx, b"b", 0);
        assert_eq!(feed(&mut s, &w[..n], &mut events), 1);
        assert!(matches!(events[0], Some(Event::Notification(_))));
    }

    #[test]
    fn oversized_body_is_skipped_and_its_sequence_counted() {
        let mut s = connected(8);
        let mut events = [None; 4];
        let (w, n) = wire(Topic::RawTx, b"small", 1);
        assert_eq!(feed(&mut s, &w[..n], &mut events), 1);
        let (w, n) = wire(Topic::RawTx, &[7u8; 100], 2);
        // A host with a 64-byte buffer reading 10 bytes at a time.
        let (mut buf, mut filled) = ([0u8; 64], 0);
        let (mut oversized, mut others) = (0, 0);
        for chunk in w[..n].chunks(10) {
            buf[filled..filled + chunk.len()].copy_from_slice(chunk);
            filled += chunk.len();
            loop {
                let (used, event) = s.handle_input(&buf[..filled]).expect("valid");
                match event {
                    Some(Event::Oversized { topic: Topic::RawTx, len: 100 }) => oversized += 1,
                    Some(_) => others += 1,
                    None if used == 0 => break,
                    None => {}
                }
                buf.copy_within(used..filled, 0);
                filled -= used;
            }
        }
        assert_eq!((oversized, others, filled), (1, 0, 0), "no gap: its sequence was 2");
        let (w, n) = wire(Topic::RawTx, b"next", 3);
        assert_eq!(feed(&mut s, &w[..n], &mut events), 1);
        assert!(matches!(events[0], Some(Event::Notification(Notification { sequence: 3, .. }))));
    }

    #[test]
    fn reconnect_keeps_sequence_expectations() {
        let mut s = connected(1024);
        let mut events = [None; 4];
        let (w, n) = wire(Topic::RawTx, b"a", 10);
        feed(&mut s, &w[..n], &mut events);
        s.reconnect();
        let mut out = [0u8; Subscriber::MIN_TRANSMIT_LEN];
        assert!(s.poll_transmit(&mut out).expect("hello").is_some());
        let (used, _) = s.handle_input(PUB_GREETING_AND_READY).expect("greeting");
        s.handle_input(&PUB_GREETING_AND_READY[used..]).expect("ready");
        let (w, n) = wire(Topic::RawTx, b"b", 14);
        assert_eq!(feed(&mut s, &w[..n], &mut events), 2);
        assert_eq!(events[0], Some(Event::Gap { topic: Topic::RawTx, expected: 11, got: 14 }));
    }

    #[test]
    fn malformed_messages_are_errors() {
        let mut s = connected(1024);
        let (w, n) = wire(Topic::RawTx, b"a", 1);
        let mut bad = w;
        bad[2..7].copy_from_slice(b"rawty");
        assert_eq!(s.handle_input(&bad[..n]).err(), Some(Error::UnknownTopic));
        let mut s = connected(1024);
        let mut two = [0u8; 32];
        let mut m = zmtp::emit_frame(&mut two, true, false, b"rawtx").expect("fits");
        m += zmtp::emit_frame(&mut two[m..], false, false, b"body").expect("fits");
        assert_eq!(s.handle_input(&two[..m]).err(), Some(Error::BadShape));
        let mut s = connected(1024);
        let mut short = [0u8; 32];
        let mut m = zmtp::emit_frame(&mut short, true, false, b"rawtx").expect("fits");
        m += zmtp::emit_frame(&mut short[m..], true, false, b"body").expect("fits");
        m += zmtp::emit_frame(&mut short[m..], false, false, b"seq").expect("fits");
        assert_eq!(s.handle_input(&short[..m]).err(), Some(Error::BadSequence));
    }
}
