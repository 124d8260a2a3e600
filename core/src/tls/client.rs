//! One TLS 1.3 client connection as a sans-IO state machine: ciphertext in
//! through [`Client::handle_input`] in any split, ciphertext out through
//! [`Client::poll_transmit`], plaintext across [`Client::send`] (or sealed
//! where it was written: [`Client::room`] and [`Client::seal_room`]) and
//! [`Client::recv`].
//!
//! The handshake is the host's [`Handshake`]; once it hands over the
//! traffic keys the connection is records only (RFC 8446 §5): alerts
//! (§6), close_notify and truncation (§6.1), and the post-handshake
//! messages a client must take (§4.6): NewSessionTicket goes to the host,
//! KeyUpdate installs the next read key from the host and, when asked,
//! sends our own KeyUpdate before the next application record (§4.6.3).
//! Anything else after the handshake is `unexpected_message`.
//!
//! When the host's keys are TLS 1.2 keys (RFC 5246 with an AES-GCM suite,
//! RFC 5288), the records are TLS 1.2's: alerts and application data, and
//! of handshake messages only HelloRequest, answered once with a warning
//! no_renegotiation before our next record (RFC 5246 §7.4.1.1); a second
//! one ends the connection. There is no KeyUpdate: a write key worn to its
//! limit ends the connection with close_notify (`docs/protocols/tls12.md`).

use super::record::{
    self, ContentType, Framing, HEADER, MAX_CIPHERTEXT, MAX_FRAGMENT, MAX_RECORD_OUT, Opener, Sealer, Suite, Version,
};
use super::{Error, Handshake, Secrets, State};

/// Received ciphertext kept for opening: one largest record and room to
/// take the next segment behind it.
const RX: usize = 2 * (HEADER + MAX_CIPHERTEXT);
/// Sealed records waiting for the host: two of the largest.
const TX: usize = 2 * MAX_RECORD_OUT;
/// Post-handshake handshake messages are reassembled up to this size;
/// a longer NewSessionTicket is skipped, anything else longer is fatal.
const MESSAGE: usize = 4096;
/// Handshake message header: type and 24-bit length (§4).
const MESSAGE_HEADER: usize = 4;
/// KeyUpdates accepted in a row without application data between them
/// (rustls and BoringSSL allow 32).
const MAX_KEY_UPDATES: u32 = 32;
/// Handshake message types (§4, §B.3; RFC 5246 §7.4).
const HELLO_REQUEST: u8 = 0;
const NEW_SESSION_TICKET: u8 = 4;
const KEY_UPDATE: u8 = 24;
/// close_notify (§6.1).
const CLOSE_NOTIFY: u8 = 0;
/// user_canceled (§6.1): a warning, not fatal.
const USER_CANCELED: u8 = 90;
/// no_renegotiation (RFC 5246 §7.2.2): always a warning.
const NO_RENEGOTIATION: u8 = 100;
/// Alert levels (RFC 5246 §7.2).
const WARNING: u8 = 1;

/// Memory for one connection. Allocate it once (static or host heap) and
/// reuse it for every reconnect.
#[derive(Debug)]
pub struct Storage {
    rx: [u8; RX],
    tx: [u8; TX],
    message: [u8; MESSAGE],
}

impl Storage {
    /// Zeroed buffers.
    pub const fn new() -> Self {
        Self { rx: [0; RX], tx: [0; TX], message: [0; MESSAGE] }
    }
}

impl Default for Storage {
    fn default() -> Self {
        Self::new()
    }
}

/// The records of an established connection.
#[derive(Debug)]
struct Records {
    tx: Sealer,
    rx: Opener,
    /// Owed before the next application record: in TLS 1.3 the KeyUpdate
    /// the peer asked for (§4.6.3), in TLS 1.2 the no_renegotiation
    /// answering its HelloRequest (RFC 5246 §7.4.1.1).
    owed: bool,
    /// TLS 1.2: a HelloRequest was refused; another ends the connection.
    refused_renegotiation: bool,
    /// KeyUpdates received since the last application record.
    updates_in_a_row: u32,
    /// Bytes of a post-handshake message received so far, and of a
    /// NewSessionTicket being skipped.
    message_len: usize,
    skipping: usize,
}

/// Where the connection stands, with what that stage needs.
// No heap to box into, and the large variant is the one in use while
// trading.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Phase {
    /// The host's handshake is running.
    Handshaking,
    /// Records flow.
    Established(Records),
    /// close_notify is queued: nothing more is sealed; the queue drains.
    Closing,
    /// The peer sent close_notify: what it sent before is still read.
    PeerClosed,
    /// Failed; the reason is reported by every call.
    Failed(Error),
}

/// One TLS 1.3 client connection over `H`'s handshake.
#[derive(Debug)]
pub struct Client<'a, H> {
    handshake: H,
    phase: Phase,
    suite: Option<Suite>,
    /// The version the host's keys are for; TLS 1.3 until they come.
    version: Version,
    buf: &'a mut Storage,
    /// Ciphertext received: `rx[rx_start..rx_end]`; an opened record's
    /// plaintext waiting for `recv` is `rx[plain.0..plain.1]`, and the
    /// record it came from ends at `rx_start`.
    rx_start: usize,
    rx_end: usize,
    plain: (usize, usize),
    /// Sealed records: `tx[tx_start..tx_end]`.
    tx_start: usize,
    tx_end: usize,
    /// The handshake's last flight may still wait in its own queue when
    /// it hands over the keys: it goes out before any record.
    handshake_output: bool,
}

impl<'a, H: Handshake> Client<'a, H> {
    /// A connection over `handshake` in `storage`; the first handshake
    /// starts at [`reconnect`](Self::reconnect).
    pub fn new(storage: &'a mut Storage, handshake: H) -> Self {
        Self {
            handshake,
            phase: Phase::Failed(Error::NotEstablished),
            suite: None,
            version: Version::Tls13,
            buf: storage,
            rx_start: 0,
            rx_end: 0,
            plain: (0, 0),
            tx_start: 0,
            tx_end: 0,
            handshake_output: false,
        }
    }

    /// Abandons the connection in progress, if any, and starts the
    /// handshake for a new TCP stream: its first flight is then in
    /// [`poll_transmit`](Self::poll_transmit).
    pub fn reconnect(&mut self) {
        self.rx_start = 0;
        self.rx_end = 0;
        self.plain = (0, 0);
        self.tx_start = 0;
        self.tx_end = 0;
        self.suite = None;
        self.version = Version::Tls13;
        self.handshake_output = true;
        self.phase = match self.handshake.start() {
            Ok(()) => Phase::Handshaking,
            Err(e) => Phase::Failed(e),
        };
    }

    /// The handshake, for what it learned (chain, group, timings).
    pub fn handshake(&self) -> &H {
        &self.handshake
    }

    /// The negotiated cipher suite, once established.
    pub fn suite(&self) -> Option<Suite> {
        self.suite
    }

    /// The negotiated version, once established.
    pub fn version(&self) -> Option<Version> {
        self.suite.map(|_| self.version)
    }

    /// Where the connection stands.
    pub fn state(&self) -> State {
        match self.phase {
            Phase::Handshaking => State::Handshaking,
            Phase::Established(_) => State::Established,
            Phase::Closing | Phase::PeerClosed | Phase::Failed(_) => State::Closed,
        }
    }

    /// Why the connection ended, if it failed or the peer closed it.
    pub fn error(&self) -> Option<&Error> {
        match &self.phase {
            Phase::Failed(e) => Some(e),
            Phase::PeerClosed => Some(&Error::Closed),
            _ => None,
        }
    }

    fn fail(&mut self, e: Error) -> Error {
        if !matches!(self.phase, Phase::Failed(_)) {
            self.phase = Phase::Failed(e.clone());
        }
        e
    }

    /// Feeds ciphertext from the server; returns how many bytes were
    /// taken: fewer than `data.len()` only while received plaintext waits
    /// for [`recv`](Self::recv).
    pub fn handle_input(&mut self, data: &[u8]) -> Result<usize, Error> {
        let mut used = 0;
        if matches!(self.phase, Phase::Handshaking) {
            used = self.handshake.handle_input(data).map_err(|e| self.fail(e))?;
            self.take_keys()?;
        }
        match &self.phase {
            Phase::Failed(e) => return Err(e.clone()),
            Phase::Handshaking => return Ok(used),
            _ => {}
        }
        let rest = data.get(used..).unwrap_or_default();
        if self.rx_end + rest.len() > RX && self.rx_start > 0 {
            self.compact();
        }
        let n = rest.len().min(RX - self.rx_end);
        if let (Some(dst), Some(src)) = (self.buf.rx.get_mut(self.rx_end..self.rx_end + n), rest.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.rx_end += n;
        // The header of what just arrived is checked at once, so a peer
        // that is not speaking TLS records is named before it is read.
        if let Err(e) = record::frame(self.buf.rx.get(self.rx_start..self.rx_end).unwrap_or_default(), self.version) {
            return Err(self.fail(e));
        }
        Ok(used + n)
    }

    /// Moves unread ciphertext (and the plaintext waiting before it) to
    /// the front of the receive buffer.
    fn compact(&mut self) {
        let from = if self.plain.0 < self.plain.1 { self.plain.0 } else { self.rx_start };
        self.buf.rx.copy_within(from..self.rx_end, 0);
        self.plain = (self.plain.0.saturating_sub(from), self.plain.1.saturating_sub(from));
        self.rx_start -= from;
        self.rx_end -= from;
    }

    /// Installs the handshake's keys once it has finished.
    fn take_keys(&mut self) -> Result<(), Error> {
        let Some(secrets) = self.handshake.take_keys() else { return Ok(()) };
        let Secrets { tx, tx_seq, rx, rx_seq } = secrets.map_err(|e| self.fail(e))?;
        if tx.version() != rx.version() {
            return Err(self.fail(Error::handshake("the host handed over keys of two TLS versions")));
        }
        let records = Sealer::new(&tx, tx_seq).and_then(|tx| {
            Ok(Records {
                tx,
                rx: Opener::new(&rx, rx_seq)?,
                owed: false,
                refused_renegotiation: false,
                updates_in_a_row: 0,
                message_len: 0,
                skipping: 0,
            })
        });
        let records = records.map_err(|e| self.fail(e))?;
        self.suite = Some(records.tx.suite());
        self.version = records.tx.version();
        self.phase = Phase::Established(records);
        Ok(())
    }

    /// The server closed its side of TCP: fine after close_notify,
    /// [`Error::Truncated`] otherwise (§6.1).
    pub fn handle_eof(&mut self) -> Result<(), Error> {
        match &self.phase {
            Phase::PeerClosed | Phase::Closing => Ok(()),
            Phase::Failed(e) => Err(e.clone()),
            Phase::Handshaking | Phase::Established(_) => Err(self.fail(Error::Truncated)),
        }
    }

    /// Copies ciphertext to send into `buf`; returns the byte count (0 when
    /// there is nothing to send).
    pub fn poll_transmit(&mut self, buf: &mut [u8]) -> usize {
        if self.handshake_output {
            let n = self.handshake.poll_transmit(buf);
            if matches!(self.phase, Phase::Handshaking) && self.take_keys().is_err() || n > 0 {
                return n;
            }
            self.handshake_output = matches!(self.phase, Phase::Handshaking);
        }
        let n = (self.tx_end - self.tx_start).min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), self.buf.tx.get(self.tx_start..self.tx_start + n)) {
            dst.copy_from_slice(src);
        }
        self.tx_start += n;
        if self.tx_start == self.tx_end {
            self.tx_start = 0;
            self.tx_end = 0;
        }
        n
    }

    /// Whether sealed records wait in [`poll_transmit`](Self::poll_transmit).
    pub fn wants_write(&self) -> bool {
        self.tx_end > self.tx_start
    }

    /// Whether application data may be sealed now; sends a KeyUpdate
    /// first when one is owed or the key is worn (§4.6.3, §5.5), or in TLS
    /// 1.2 what is owed there.
    fn ensure_writable(&mut self) -> Result<(), Error> {
        match &self.phase {
            Phase::Established(r) if r.owed || r.tx.due_for_update() => match self.version {
                Version::Tls13 => self.send_key_update(),
                Version::Tls12 => self.send_owed_12(),
            },
            Phase::Established(_) => Ok(()),
            Phase::Failed(e) => Err(e.clone()),
            Phase::Handshaking => Err(Error::NotEstablished),
            Phase::Closing | Phase::PeerClosed => Err(Error::ShuttingDown),
        }
    }

    /// Seals KeyUpdate(update_not_requested) under the current key, then
    /// moves to the next one (§4.6.3: the sender switches after sending).
    fn send_key_update(&mut self) -> Result<(), Error> {
        let at = self.tx_end;
        let Phase::Established(r) = &mut self.phase else { return Err(Error::NotEstablished) };
        let dst = self.buf.tx.get_mut(at..).unwrap_or_default();
        let Some(msg) = dst.get_mut(HEADER..HEADER + 5) else { return Err(Error::ShuttingDown) };
        msg.copy_from_slice(&[KEY_UPDATE, 0, 0, 1, 0]);
        let n = r.tx.seal(ContentType::Handshake, dst, 5)?;
        let keys = self.handshake.next_tx_keys().map_err(|e| self.fail(e))?;
        let Phase::Established(r) = &mut self.phase else { return Err(Error::NotEstablished) };
        r.tx = Sealer::new(&keys, 0)?;
        r.owed = false;
        self.tx_end = at + n;
        Ok(())
    }

    /// TLS 1.2: seals the owed warning no_renegotiation (RFC 5246
    /// §7.4.1.1); when the write key is worn, seals close_notify and ends
    /// the connection instead, since TLS 1.2 cannot replace the key
    /// without the renegotiation hotline refuses.
    fn send_owed_12(&mut self) -> Result<(), Error> {
        let Phase::Established(r) = &mut self.phase else { return Err(Error::NotEstablished) };
        let (alert, worn) =
            if r.tx.due_for_update() { ([WARNING, CLOSE_NOTIFY], true) } else { ([WARNING, NO_RENEGOTIATION], false) };
        let at = self.tx_end;
        let dst = self.buf.tx.get_mut(at..).unwrap_or_default();
        let Some(text) = dst.get_mut(self.version.text_at()..self.version.text_at() + 2) else {
            return Err(Error::ShuttingDown);
        };
        text.copy_from_slice(&alert);
        let sealed = r.tx.seal(ContentType::Alert, dst, 2);
        self.tx_end = at + sealed.map_err(|e| self.fail(e))?;
        if worn {
            return Err(self.fail(Error::KeyUsageLimit));
        }
        if let Phase::Established(r) = &mut self.phase {
            r.owed = false;
        }
        Ok(())
    }

    /// Plaintext room in the next record, where a message may be written
    /// and then sealed in place with [`seal_room`](Self::seal_room): empty
    /// when application data cannot be sealed now or the queue is full.
    pub fn room(&mut self) -> &mut [u8] {
        if self.ensure_writable().is_err() {
            return &mut [];
        }
        self.next_room()
    }

    /// [`room`](Self::room) for a dry run: empty as well when a KeyUpdate
    /// would have to be sealed first, since a dry run sends nothing.
    pub fn dry_room(&mut self) -> &mut [u8] {
        match &self.phase {
            Phase::Established(r) if !r.owed && !r.tx.due_for_update() => self.next_room(),
            _ => &mut [],
        }
    }

    fn next_room(&mut self) -> &mut [u8] {
        let at = self.tx_end + self.version.text_at();
        let room = TX.saturating_sub(at + self.version.trailer()).min(MAX_FRAGMENT);
        self.buf.tx.get_mut(at..at + room).unwrap_or_default()
    }

    /// Seals the first `len` bytes of [`room`](Self::room) as one
    /// application-data record.
    pub fn seal_room(&mut self, len: usize) -> Result<(), Error> {
        self.ensure_writable()?;
        let at = self.tx_end;
        let Phase::Established(r) = &mut self.phase else { return Err(Error::NotEstablished) };
        let dst = self.buf.tx.get_mut(at..).unwrap_or_default();
        let sealed = r.tx.seal(ContentType::ApplicationData, dst, len);
        r.updates_in_a_row = 0;
        let n = sealed.map_err(|e| self.fail(e))?;
        self.tx_end = at + n;
        Ok(())
    }

    /// Seals `data` into application-data records as room allows; returns
    /// how much was taken (less than `data.len()` when the queue is full:
    /// poll output first).
    pub fn send(&mut self, data: &[u8]) -> Result<usize, Error> {
        let mut taken = 0;
        while taken < data.len() {
            let chunk = data.get(taken..).unwrap_or_default();
            let room = self.room();
            let n = chunk.len().min(room.len()).min(MAX_FRAGMENT);
            if n == 0 {
                break;
            }
            if let (Some(dst), Some(src)) = (room.get_mut(..n), chunk.get(..n)) {
                dst.copy_from_slice(src);
            }
            self.seal_room(n)?;
            taken += n;
        }
        match &self.phase {
            Phase::Established(_) => Ok(taken),
            Phase::Failed(e) => Err(e.clone()),
            Phase::Handshaking => Err(Error::NotEstablished),
            Phase::Closing | Phase::PeerClosed => Err(Error::ShuttingDown),
        }
    }

    /// Prepares the next record's keystream for `len` bytes of plaintext
    /// (see [`record`]'s pre-sealing), when established and nothing is
    /// owed first.
    pub fn prepare(&mut self, len: usize) {
        if let Phase::Established(r) = &mut self.phase
            && !r.owed
            && !r.tx.due_for_update()
        {
            r.tx.prepare(len);
        }
    }

    /// Seals the first `len` bytes of [`dry_room`](Self::dry_room) where
    /// they lie, as [`seal_room`](Self::seal_room) would, but under a nonce
    /// no record uses and without queueing the record: the sequence number,
    /// the queue and any prepared keystream stay as they were, and nothing
    /// it writes can be transmitted (the next record overwrites it).
    pub fn dry_run(&mut self, len: usize) -> Result<(), Error> {
        let Phase::Established(r) = &mut self.phase else { return Err(Error::NotEstablished) };
        let record = self.buf.tx.get_mut(self.tx_end..).unwrap_or_default();
        r.tx.dry_run(record, len).map(drop)
    }

    /// The next record's sequence number, once established.
    pub fn next_tx_seq(&self) -> Option<u64> {
        match &self.phase {
            Phase::Established(r) => Some(r.tx.seq()),
            _ => None,
        }
    }

    /// Copies received application plaintext into `buf`. `Ok(0)` means
    /// nothing yet; once the connection has failed or the server closed it,
    /// the plaintext received before is returned first, then the reason.
    pub fn recv(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        loop {
            if self.plain.0 < self.plain.1 {
                let n = (self.plain.1 - self.plain.0).min(buf.len());
                let (from, _) = self.plain;
                if let (Some(dst), Some(src)) = (buf.get_mut(..n), self.buf.rx.get(from..from + n)) {
                    dst.copy_from_slice(src);
                }
                self.plain.0 += n;
                return Ok(n);
            }
            match &self.phase {
                Phase::Established(_) | Phase::Closing => {}
                Phase::Handshaking => return Ok(0),
                Phase::PeerClosed => return Err(Error::Closed),
                Phase::Failed(e) => return Err(e.clone()),
            }
            if !self.open_next()? {
                return Ok(0);
            }
        }
    }

    /// Opens the record at the front of the receive buffer, if whole, and
    /// acts on it; returns whether one was opened.
    fn open_next(&mut self) -> Result<bool, Error> {
        if self.rx_start == self.rx_end {
            self.rx_start = 0;
            self.rx_end = 0;
            return Ok(false);
        }
        let at = self.rx_start;
        let framing = record::frame(self.buf.rx.get(at..self.rx_end).unwrap_or_default(), self.version);
        let len = match framing.map_err(|e| self.fail(e))? {
            Framing::Partial => return Ok(false),
            Framing::PlainAlert(desc) => return Err(self.fail(Error::Alert(desc))),
            Framing::Record(len) => len,
        };
        let Phase::Established(r) = &mut self.phase else { return Ok(false) };
        let record = self.buf.rx.get_mut(at..at + len).unwrap_or_default();
        let opened = r.rx.open(record).map_err(|e| self.fail(e))?;
        self.rx_start = at + len;
        let (start, end) = (at + opened.start, at + opened.end);
        match opened.ty {
            ContentType::ApplicationData => {
                if let Phase::Established(r) = &mut self.phase {
                    if r.message_len > 0 || r.skipping > 0 {
                        return Err(self.fail(Error::UnexpectedMessage("data inside a handshake message")));
                    }
                    r.updates_in_a_row = 0;
                }
                self.plain = (start, end);
            }
            ContentType::Alert => self.on_alert(start, end)?,
            ContentType::Handshake => self.on_handshake(start, end)?,
        }
        Ok(true)
    }

    /// An alert (§6): close_notify ends the peer's side; user_canceled is
    /// a warning; anything else is fatal and named.
    fn on_alert(&mut self, start: usize, end: usize) -> Result<(), Error> {
        match self.buf.rx.get(start..end) {
            Some(&[_, CLOSE_NOTIFY]) => {
                self.phase = Phase::PeerClosed;
                Err(Error::Closed)
            }
            Some(&[_, USER_CANCELED]) => Ok(()),
            Some(&[_, desc]) => Err(self.fail(Error::Alert(desc))),
            _ => Err(self.fail(Error::UnexpectedMessage("malformed alert"))),
        }
    }

    /// Post-handshake handshake messages, reassembled across records.
    fn on_handshake(&mut self, start: usize, end: usize) -> Result<(), Error> {
        let mut at = start;
        while at < end {
            let Phase::Established(r) = &mut self.phase else { return Ok(()) };
            if r.skipping > 0 {
                let n = r.skipping.min(end - at);
                r.skipping -= n;
                at += n;
                continue;
            }
            if r.message_len < MESSAGE_HEADER {
                at += fill(&mut self.buf.message, &mut r.message_len, MESSAGE_HEADER, &self.buf.rx, at, end);
                if r.message_len < MESSAGE_HEADER {
                    continue;
                }
                let body = body_len(&self.buf.message);
                if MESSAGE_HEADER + body > MESSAGE {
                    if self.buf.message[0] != NEW_SESSION_TICKET || self.version == Version::Tls12 {
                        return Err(self.fail(Error::HandshakeMessageTooLong(body)));
                    }
                    // A ticket too large to keep is a ticket not kept: a
                    // client need not resume (§4.6.1).
                    r.skipping = body;
                    r.message_len = 0;
                    continue;
                }
            }
            let want = MESSAGE_HEADER + body_len(&self.buf.message);
            at += fill(&mut self.buf.message, &mut r.message_len, want, &self.buf.rx, at, end);
            if r.message_len == want {
                r.message_len = 0;
                self.on_message(want, at == end)?;
            }
        }
        Ok(())
    }

    /// One whole post-handshake message in `message[..len]`.
    fn on_message(&mut self, len: usize, ends_record: bool) -> Result<(), Error> {
        let body = self.buf.message.get(MESSAGE_HEADER..len).unwrap_or_default();
        match (self.version, self.buf.message[0]) {
            (Version::Tls12, HELLO_REQUEST) => {
                if !body.is_empty() {
                    return Err(self.fail(Error::UnexpectedMessage("malformed HelloRequest")));
                }
                let Phase::Established(r) = &mut self.phase else { return Ok(()) };
                if r.refused_renegotiation {
                    return Err(self.fail(Error::Renegotiation));
                }
                r.refused_renegotiation = true;
                r.owed = true;
                Ok(())
            }
            (Version::Tls12, _) => {
                Err(self.fail(Error::UnexpectedMessage("handshake message after a TLS 1.2 handshake")))
            }
            (Version::Tls13, NEW_SESSION_TICKET) => self.handshake.session_ticket(body).map_err(|e| self.fail(e)),
            (Version::Tls13, KEY_UPDATE) => {
                let request = match *body {
                    [r @ (0 | 1)] => r == 1,
                    [_] => return Err(self.fail(Error::IllegalParameter("KeyUpdate request_update"))),
                    _ => return Err(self.fail(Error::UnexpectedMessage("malformed KeyUpdate"))),
                };
                // §5.1: a key change ends its record.
                if !ends_record {
                    return Err(self.fail(Error::UnexpectedMessage("KeyUpdate not at the end of its record")));
                }
                let keys = self.handshake.next_rx_keys().map_err(|e| self.fail(e))?;
                let Phase::Established(r) = &mut self.phase else { return Ok(()) };
                r.updates_in_a_row += 1;
                if r.updates_in_a_row > MAX_KEY_UPDATES {
                    return Err(self.fail(Error::TooManyKeyUpdates));
                }
                r.rx = Opener::new(&keys, 0)?;
                r.owed |= request;
                Ok(())
            }
            _ => Err(self.fail(Error::UnexpectedMessage("post-handshake message a client does not take"))),
        }
    }

    /// Sends close_notify after the records already sealed; the state is
    /// then `Closed` while [`poll_transmit`](Self::poll_transmit) drains.
    pub fn close(&mut self) -> Result<(), Error> {
        let at = self.tx_end;
        match &mut self.phase {
            Phase::Established(r) => {
                let dst = self.buf.tx.get_mut(at..).unwrap_or_default();
                let text = self.version.text_at();
                if let Some(alert) = dst.get_mut(text..text + 2) {
                    alert.copy_from_slice(&[WARNING, CLOSE_NOTIFY]);
                }
                let n = r.tx.seal(ContentType::Alert, dst, 2)?;
                self.tx_end = at + n;
                self.phase = Phase::Closing;
                Ok(())
            }
            Phase::Failed(e) => Err(e.clone()),
            Phase::Handshaking | Phase::Closing | Phase::PeerClosed => {
                self.phase = Phase::Closing;
                Ok(())
            }
        }
    }
}

/// Copies from `rx[at..end]` into `message[*len..want]`; returns the
/// bytes copied.
fn fill(message: &mut [u8], len: &mut usize, want: usize, rx: &[u8], at: usize, end: usize) -> usize {
    let n = want.saturating_sub(*len).min(end.saturating_sub(at));
    if let (Some(dst), Some(src)) = (message.get_mut(*len..*len + n), rx.get(at..at + n)) {
        dst.copy_from_slice(src);
    }
    *len += n;
    n
}

/// The 24-bit body length of a handshake message header (§4).
fn body_len(header: &[u8]) -> usize {
    match header {
        &[_, a, b, c, ..] => usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::Keys;
    use crate::tls::record::{Opener, Sealer, TAG};

    /// Keys of generation `g` of one direction (0: ours, 1: the server's).
    fn keys(direction: u8, g: u8) -> Keys {
        Keys::new(Suite::Aes128GcmSha256, &[direction * 16 + g; 16], [g; 12]).unwrap()
    }

    /// A handshake already done, whose next keys are the next generation:
    /// enough to drive the record layer's KeyUpdate paths in memory (the
    /// real derivation is rustls', tested against real peers).
    struct Generations {
        tx: u8,
        rx: u8,
        pending: bool,
        /// Hand over TLS 1.2 keys (which have no next generation).
        tls12: bool,
    }

    /// TLS 1.2 keys of one direction (0: ours, 1: the server's).
    fn keys12(direction: u8) -> Keys {
        Keys::tls12(Suite::Aes128GcmSha256, &[direction * 16 + 3; 16], [direction; 4]).unwrap()
    }

    impl Handshake for Generations {
        fn start(&mut self) -> Result<(), Error> {
            self.pending = true;
            Ok(())
        }
        fn handle_input(&mut self, _: &[u8]) -> Result<usize, Error> {
            Ok(0)
        }
        fn poll_transmit(&mut self, _: &mut [u8]) -> usize {
            0
        }
        fn take_keys(&mut self) -> Option<Result<Secrets, Error>> {
            let (tx, rx) = if self.tls12 { (keys12(0), keys12(1)) } else { (keys(0, 0), keys(1, 0)) };
            // TLS 1.2: each side's Finished was record 0 under these keys.
            let seq = u64::from(self.tls12);
            core::mem::take(&mut self.pending).then(|| Ok(Secrets { tx, tx_seq: seq, rx, rx_seq: seq }))
        }
        fn next_rx_keys(&mut self) -> Result<Keys, Error> {
            self.rx += 1;
            Ok(keys(1, self.rx))
        }
        fn next_tx_keys(&mut self) -> Result<Keys, Error> {
            self.tx += 1;
            Ok(keys(0, self.tx))
        }
        fn session_ticket(&mut self, _: &[u8]) -> Result<(), Error> {
            Ok(())
        }
    }

    fn sealed(server: &mut Sealer, ty: ContentType, content: &[u8]) -> [u8; 128] {
        let mut r = [0u8; 128];
        r[HEADER..HEADER + content.len()].copy_from_slice(content);
        server.seal(ty, &mut r, content.len()).unwrap();
        r
    }

    fn client(storage: &mut Storage) -> Client<'_, Generations> {
        connected(storage, false)
    }

    fn connected(storage: &mut Storage, tls12: bool) -> Client<'_, Generations> {
        let mut c = Client::new(storage, Generations { tx: 0, rx: 0, pending: false, tls12 });
        c.reconnect();
        assert_eq!(c.poll_transmit(&mut [0; 16]), 0);
        assert_eq!(c.state(), State::Established);
        c
    }

    #[test]
    fn a_requested_key_update_is_answered_before_the_next_record() {
        let mut storage = Storage::new();
        let mut c = client(&mut storage);
        let mut server = Sealer::new(&keys(1, 0), 0).unwrap();
        // KeyUpdate(update_requested), then data under the next key, in
        // one segment.
        let a = sealed(&mut server, ContentType::Handshake, &[KEY_UPDATE, 0, 0, 1, 1]);
        let mut server = Sealer::new(&keys(1, 1), 0).unwrap();
        let b = sealed(&mut server, ContentType::ApplicationData, b"after");
        let mut wire = [0u8; 256];
        wire[..27].copy_from_slice(&a[..27]);
        wire[27..54].copy_from_slice(&b[..27]);
        assert_eq!(c.handle_input(&wire[..54]), Ok(54));
        let mut plain = [0u8; 16];
        assert_eq!(c.recv(&mut plain), Ok(5));
        assert_eq!(&plain[..5], b"after");
        // Our next record comes after our own KeyUpdate, under the old key.
        assert_eq!(c.send(b"order"), Ok(5));
        let n = c.poll_transmit(&mut wire);
        let mut old = Opener::new(&keys(0, 0), 0).unwrap();
        let o = old.open(&mut wire[..27]).unwrap();
        assert_eq!((o.ty, &wire[o.start..o.end]), (ContentType::Handshake, &[KEY_UPDATE, 0, 0, 1, 0][..]));
        let mut new = Opener::new(&keys(0, 1), 0).unwrap();
        let o = new.open(&mut wire[27..n]).unwrap();
        assert_eq!(&wire[27 + o.start..27 + o.end], b"order");
    }

    #[test]
    fn a_worn_key_is_updated_before_the_next_record_and_pre_sealing_waits() {
        let mut storage = Storage::new();
        let mut c = client(&mut storage);
        if let Phase::Established(r) = &mut c.phase {
            r.tx.wear_out();
        }
        c.prepare(100);
        assert_eq!(c.send(b"x"), Ok(1));
        let mut wire = [0u8; 128];
        let n = c.poll_transmit(&mut wire);
        assert_eq!(n, 2 * (HEADER + 1 + TAG) + 5 + 1);
        let mut old = Opener::new(&keys(0, 0), 0).unwrap();
        assert_eq!(old.open(&mut wire[..27]).unwrap().ty, ContentType::Handshake);
        let mut new = Opener::new(&keys(0, 1), 0).unwrap();
        assert_eq!(new.open(&mut wire[27..n]).unwrap().ty, ContentType::ApplicationData);
    }

    #[test]
    fn dry_runs_never_reach_the_wire() {
        let mut storage = Storage::new();
        let mut c = client(&mut storage);
        // A record queued before the dry runs must leave intact.
        assert_eq!(c.send(b"first"), Ok(5));
        for prepared in [false, true] {
            if prepared {
                c.prepare(400);
            }
            for len in [0, 1, 400, 2000, MAX_FRAGMENT] {
                let room = c.dry_room();
                assert!(room.len() >= len);
                room[..len].fill(0xd7);
                assert_eq!(c.dry_run(len), Ok(()));
            }
        }
        assert_eq!(c.next_tx_seq(), Some(1));
        let mut wire = [0u8; 128];
        let n = c.poll_transmit(&mut wire);
        assert_eq!(n, HEADER + 5 + 1 + TAG);
        assert_eq!(c.poll_transmit(&mut [0; 64]), 0);
        // The record after them is sequence 1, sealed with the keystream
        // prepared before the dry runs.
        assert_eq!(c.send(b"order"), Ok(5));
        let m = c.poll_transmit(&mut wire[n..]);
        let mut peer = Opener::new(&keys(0, 0), 0).unwrap();
        let o = peer.open(&mut wire[..n]).unwrap();
        assert_eq!(&wire[o.start..o.end], b"first");
        let o = peer.open(&mut wire[n..n + m]).unwrap();
        assert_eq!(&wire[n + o.start..n + o.end], b"order");
    }

    #[test]
    fn a_dry_run_has_no_room_while_a_key_update_is_owed() {
        let mut storage = Storage::new();
        let mut c = client(&mut storage);
        let mut server = Sealer::new(&keys(1, 0), 0).unwrap();
        let r = sealed(&mut server, ContentType::Handshake, &[KEY_UPDATE, 0, 0, 1, 1]);
        let n = HEADER + 5 + 1 + TAG;
        assert_eq!(c.handle_input(&r[..n]), Ok(n));
        assert_eq!(c.recv(&mut [0; 16]), Ok(0));
        assert!(c.dry_room().is_empty());
        assert!(!c.wants_write());
        // The real room sends the owed KeyUpdate first.
        assert!(!c.room().is_empty());
        assert!(c.wants_write());
        assert!(!c.dry_room().is_empty());
    }

    #[test]
    fn a_ticket_larger_than_kept_is_skipped_across_records() {
        let mut storage = Storage::new();
        let mut c = client(&mut storage);
        let mut server = Sealer::new(&keys(1, 0), 0).unwrap();
        // A 5000-byte ticket in records of 100, then data.
        let len = 5000u32;
        let mut message = [0u8; 5004];
        message[0] = NEW_SESSION_TICKET;
        message[1..4].copy_from_slice(&len.to_be_bytes()[1..]);
        for chunk in message.chunks(100) {
            let r = sealed(&mut server, ContentType::Handshake, chunk);
            let n = HEADER + chunk.len() + 1 + TAG;
            assert_eq!(c.handle_input(&r[..n]), Ok(n));
            assert_eq!(c.recv(&mut [0; 16]), Ok(0));
        }
        let r = sealed(&mut server, ContentType::ApplicationData, b"data");
        assert_eq!(c.handle_input(&r[..26]), Ok(26));
        let mut plain = [0u8; 16];
        assert_eq!(c.recv(&mut plain), Ok(4));
    }

    #[test]
    fn close_notify_ends_the_peer_side_and_eof_after_it_is_clean() {
        let mut storage = Storage::new();
        let mut c = client(&mut storage);
        let mut server = Sealer::new(&keys(1, 0), 0).unwrap();
        let r = sealed(&mut server, ContentType::Alert, &[1, CLOSE_NOTIFY]);
        assert_eq!(c.handle_input(&r[..24]), Ok(24));
        assert_eq!(c.recv(&mut [0; 16]), Err(Error::Closed));
        assert_eq!(c.state(), State::Closed);
        assert_eq!(c.handle_eof(), Ok(()));
        // Without it, the end of the stream is a truncation.
        let mut c = client(&mut storage);
        assert_eq!(c.handle_eof(), Err(Error::Truncated));
    }

    /// What a TLS 1.2 server seals: records in the server's keys from
    /// sequence 1 (its Finished was 0).
    fn server12() -> Sealer {
        Sealer::new(&keys12(1), 1).unwrap()
    }

    fn sealed12(server: &mut Sealer, ty: ContentType, content: &[u8]) -> ([u8; 128], usize) {
        let mut r = [0u8; 128];
        r[13..13 + content.len()].copy_from_slice(content);
        let n = server.seal(ty, &mut r, content.len()).unwrap();
        (r, n)
    }

    #[test]
    fn tls12_hello_request_is_answered_with_no_renegotiation_before_the_next_record_once() {
        let mut storage = Storage::new();
        let mut c = connected(&mut storage, true);
        assert_eq!(c.version(), Some(Version::Tls12));
        let mut server = server12();
        let (r, n) = sealed12(&mut server, ContentType::Handshake, &[HELLO_REQUEST, 0, 0, 0]);
        assert_eq!(c.handle_input(&r[..n]), Ok(n));
        assert_eq!(c.recv(&mut [0; 16]), Ok(0));
        // Owed, not yet sent; a dry run has no room while it is.
        assert!(!c.wants_write());
        assert!(c.dry_room().is_empty());
        assert_eq!(c.send(b"order"), Ok(5));
        let mut wire = [0u8; 128];
        let n = c.poll_transmit(&mut wire);
        let mut peer = Opener::new(&keys12(0), 1).unwrap();
        let alert = HEADER + 8 + 2 + TAG;
        let o = peer.open(&mut wire[..alert]).unwrap();
        assert_eq!((o.ty, &wire[o.start..o.end]), (ContentType::Alert, &[WARNING, NO_RENEGOTIATION][..]));
        let o = peer.open(&mut wire[alert..n]).unwrap();
        assert_eq!((o.ty, &wire[alert + o.start..alert + o.end]), (ContentType::ApplicationData, &b"order"[..]));
        // Data still flows; a second request ends the connection.
        let (r, n) = sealed12(&mut server, ContentType::ApplicationData, b"fill");
        assert_eq!(c.handle_input(&r[..n]), Ok(n));
        let mut plain = [0u8; 16];
        assert_eq!(c.recv(&mut plain), Ok(4));
        let (r, n) = sealed12(&mut server, ContentType::Handshake, &[HELLO_REQUEST, 0, 0, 0]);
        assert_eq!(c.handle_input(&r[..n]), Ok(n));
        assert_eq!(c.recv(&mut plain), Err(Error::Renegotiation));
    }

    #[test]
    fn tls12_refuses_every_other_handshake_message_and_tls13_records() {
        for message in [&[KEY_UPDATE, 0, 0, 1, 1][..], &[NEW_SESSION_TICKET, 0, 0, 0], &[HELLO_REQUEST, 0, 0, 1, 0]] {
            let mut storage = Storage::new();
            let mut c = connected(&mut storage, true);
            let (r, n) = sealed12(&mut server12(), ContentType::Handshake, message);
            assert_eq!(c.handle_input(&r[..n]), Ok(n));
            assert!(matches!(c.recv(&mut [0; 16]), Err(Error::UnexpectedMessage(_))), "{message:?}");
        }
        // A TLS 1.3 record under the same key is not a TLS 1.2 record.
        let mut storage = Storage::new();
        let mut c = connected(&mut storage, true);
        let same = Keys::new(Suite::Aes128GcmSha256, &[19; 16], [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        let r = sealed(&mut Sealer::new(&same, 1).unwrap(), ContentType::ApplicationData, b"hello, TLS 1.2 client");
        let n = HEADER + 21 + 1 + TAG;
        assert_eq!(c.handle_input(&r[..n]), Ok(n));
        assert_eq!(c.recv(&mut [0; 32]), Err(Error::BadRecordMac));
    }

    #[test]
    fn tls12_a_worn_key_ends_the_connection_with_close_notify() {
        let mut storage = Storage::new();
        let mut c = connected(&mut storage, true);
        if let Phase::Established(r) = &mut c.phase {
            r.tx.wear_out();
        }
        assert!(c.room().is_empty());
        assert_eq!(c.send(b"x"), Err(Error::KeyUsageLimit));
        let mut wire = [0u8; 64];
        let n = c.poll_transmit(&mut wire);
        let mut peer = Opener::new(&keys12(0), 1).unwrap();
        let o = peer.open(&mut wire[..n]).unwrap();
        assert_eq!((o.ty, &wire[o.start..o.end]), (ContentType::Alert, &[WARNING, CLOSE_NOTIFY][..]));
    }

    #[test]
    fn tls12_close_notify_both_ways() {
        let mut storage = Storage::new();
        let mut c = connected(&mut storage, true);
        assert_eq!(c.close(), Ok(()));
        let mut wire = [0u8; 64];
        let n = c.poll_transmit(&mut wire);
        let mut peer = Opener::new(&keys12(0), 1).unwrap();
        let o = peer.open(&mut wire[..n]).unwrap();
        assert_eq!((o.ty, &wire[o.start..o.end]), (ContentType::Alert, &[WARNING, CLOSE_NOTIFY][..]));
        let mut c = connected(&mut storage, true);
        let (r, n) = sealed12(&mut server12(), ContentType::Alert, &[WARNING, CLOSE_NOTIFY]);
        assert_eq!(c.handle_input(&r[..n]), Ok(n));
        assert_eq!(c.recv(&mut [0; 16]), Err(Error::Closed));
        assert_eq!(c.handle_eof(), Ok(()));
    }
}
