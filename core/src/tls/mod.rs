//! TLS 1.3 (RFC 8446) split where the cost is. The handshake runs once per
//! connection, allocates, and is where the audited code matters: it is the
//! host's, behind [`Handshake`] (hotline's host drives rustls there). The
//! record layer (§5) runs for every order: it is here, `no_std` and
//! allocation-free, as [`Client`] over [`record`]'s sealer and opener and
//! `gcm`'s AES-GCM. The host hands over the traffic keys when its
//! handshake completes and derives the next ones when a KeyUpdate asks
//! (§4.6.3, §7.2); everything else after the handshake happens here
//! (`docs/protocols/tls13.md`, `docs/decisions/0010-tls-handshake-on-the-host.md`).
//! A host that allows it may negotiate TLS 1.2 with an ECDHE AES-GCM suite
//! instead (RFC 5246, RFC 5288); its keys say so and the same client runs
//! TLS 1.2's records (`docs/protocols/tls12.md`).

// AES-NI and PCLMULQDQ need `core::arch` intrinsics; each unsafe block
// carries a `// SAFETY:` line.
mod client;
#[allow(unsafe_code)]
mod gcm;
pub mod record;

use core::fmt;

pub use client::{Client, Storage};
pub use gcm::{BadTag, Gcm, KEYSTREAM, Keystream, backend as aes_gcm_backend};
pub use record::{Keys, MAX_CIPHERTEXT, MAX_FRAGMENT, Suite, Version};

/// Why a connection failed. Every variant is terminal: drop the
/// connection and reconnect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The host's handshake failed; its reason, as the host put it.
    Handshake(Detail),
    /// A record of a content type TLS does not define.
    UnknownRecordType(u8),
    /// A record longer than §5.2 allows (bytes of fragment).
    RecordOverflow(usize),
    /// A record too short to be valid.
    RecordTooShort(usize),
    /// The peer sent a fatal alert (§6.2 code).
    Alert(u8),
    /// The handshake chose a cipher suite the record layer lacks.
    UnsupportedCipherSuite,
    /// A message or record a client must refuse here (§5, §6, §4.6).
    UnexpectedMessage(&'static str),
    /// A field with a value the protocol forbids (illegal_parameter).
    IllegalParameter(&'static str),
    /// A post-handshake message longer than the client keeps.
    HandshakeMessageTooLong(usize),
    /// More KeyUpdates in a row than a peer has reason to send.
    TooManyKeyUpdates,
    /// The 64-bit record sequence number ran out (§5.3).
    SequenceExhausted,
    /// The TCP stream ended without close_notify.
    Truncated,
    /// The server sent close_notify.
    Closed,
    /// Application data before the handshake was complete.
    NotEstablished,
    /// Application data after [`Client::close`], or no room to seal.
    ShuttingDown,
    /// A record failed AEAD authentication (bad_record_mac).
    BadRecordMac,
    /// A TLS 1.2 server asked to renegotiate again after our
    /// no_renegotiation (RFC 5246 §7.4.1.1); hotline never renegotiates.
    Renegotiation,
    /// A TLS 1.2 write key reached its usage limit: TLS 1.2 has no
    /// KeyUpdate, so the connection was closed (close_notify queued).
    KeyUsageLimit,
}

/// A handshake failure as text (the host's library names it; the core
/// keeps it in fixed memory).
pub type Detail = heapless::String<96>;

impl Error {
    /// A handshake failure described by `reason`, cut to fit.
    pub fn handshake(reason: impl fmt::Display) -> Self {
        let mut d = Detail::new();
        let mut w = Truncating(&mut d);
        let _ = fmt::write(&mut w, format_args!("{reason}"));
        Self::Handshake(d)
    }
}

/// Writes what fits and drops the rest.
struct Truncating<'a>(&'a mut Detail);

impl fmt::Write for Truncating<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            if self.0.push(c).is_err() {
                break;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Handshake(d) => write!(f, "handshake failed: {d}"),
            Self::UnknownRecordType(t) => write!(f, "record of unknown content type {t}"),
            Self::RecordOverflow(n) => write!(f, "record overflow: {n}-byte record"),
            Self::RecordTooShort(n) => write!(f, "record too short: {n} bytes"),
            Self::Alert(code) => write!(f, "server sent alert {}", alert_name(*code)),
            Self::UnsupportedCipherSuite => f.write_str("handshake chose a cipher suite the record layer lacks"),
            Self::UnexpectedMessage(what) => write!(f, "unexpected_message: {what}"),
            Self::IllegalParameter(what) => write!(f, "illegal_parameter: {what}"),
            Self::HandshakeMessageTooLong(n) => write!(f, "post-handshake message of {n} bytes is too long"),
            Self::TooManyKeyUpdates => f.write_str("too many KeyUpdates without application data"),
            Self::SequenceExhausted => f.write_str("record sequence number exhausted"),
            Self::Truncated => f.write_str("truncated: TCP stream ended without close_notify"),
            Self::Closed => f.write_str("server closed the connection (close_notify)"),
            Self::NotEstablished => f.write_str("handshake not complete"),
            Self::ShuttingDown => f.write_str("connection is shutting down"),
            Self::BadRecordMac => f.write_str("record failed authentication (bad_record_mac)"),
            Self::Renegotiation => f.write_str("server asked to renegotiate again after no_renegotiation"),
            Self::KeyUsageLimit => {
                f.write_str("TLS 1.2 write key at its usage limit (no KeyUpdate in TLS 1.2): closed")
            }
        }
    }
}

/// The §6 name of an alert code.
pub fn alert_name(code: u8) -> &'static str {
    match code {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        22 => "record_overflow",
        40 => "handshake_failure (no common cipher suite, group or signature scheme)",
        42 => "bad_certificate",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        50 => "decode_error",
        51 => "decrypt_error",
        70 => "protocol_version (server speaks none of the TLS versions offered)",
        71 => "insufficient_security",
        80 => "internal_error",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        112 => "unrecognized_name",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => "other",
    }
}

/// Where the connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// The handshake is running; the server is not yet authenticated.
    Handshaking,
    /// Records flow.
    Established,
    /// Shut down or failed; see [`Client::error`].
    Closed,
}

/// Both directions' keys as a finished handshake leaves them, with the
/// sequence number of each direction's next record (non-zero when the
/// handshake already protected records under them).
#[derive(Debug)]
pub struct Secrets {
    /// Our write key.
    pub tx: Keys,
    /// Sequence number of our next record.
    pub tx_seq: u64,
    /// The server's write key.
    pub rx: Keys,
    /// Sequence number of the server's next record.
    pub rx_seq: u64,
}

/// The TLS handshake (1.3, or 1.2 where the host allows it), run by the
/// host for the core's [`Client`]:
/// authenticated and allocating, off the hot path. Calls come from the
/// engine's thread, in the order the connection needs them.
pub trait Handshake {
    /// Starts a handshake for a new TCP stream; its first flight is then
    /// in [`poll_transmit`](Self::poll_transmit).
    fn start(&mut self) -> Result<(), Error>;
    /// Takes handshake bytes from the server; returns how many. Once the
    /// handshake is complete it takes nothing more: bytes after the
    /// server's last handshake record are the record layer's.
    fn handle_input(&mut self, data: &[u8]) -> Result<usize, Error>;
    /// Handshake bytes to send, into `buf`; 0 when there are none.
    fn poll_transmit(&mut self, buf: &mut [u8]) -> usize;
    /// The traffic keys, once, when the handshake is complete and its last
    /// flight has been taken; a failure found at hand-over otherwise.
    fn take_keys(&mut self) -> Option<Result<Secrets, Error>>;
    /// The server's next read key after its KeyUpdate (§7.2; TLS 1.3 only).
    fn next_rx_keys(&mut self) -> Result<Keys, Error>;
    /// Our next write key, after we sent KeyUpdate (§7.2; TLS 1.3 only).
    fn next_tx_keys(&mut self) -> Result<Keys, Error>;
    /// A NewSessionTicket's body, without its 4-byte header (§4.6.1; TLS
    /// 1.3 only).
    fn session_ticket(&mut self, body: &[u8]) -> Result<(), Error>;
}

/// A handshake that happened elsewhere: the keys are handed in, and handed
/// over at every start. It cannot derive the next keys, so a KeyUpdate
/// from either side ends the connection. For driving the record layer
/// alone: fuzzing, the allocation audit and record benchmarks.
#[cfg(feature = "handover")]
#[derive(Debug)]
pub struct Handover {
    secrets: Secrets,
    pending: bool,
}

#[cfg(feature = "handover")]
impl Handover {
    /// Hands `secrets` to the client at each start.
    pub fn new(secrets: Secrets) -> Self {
        Self { secrets, pending: false }
    }
}

#[cfg(feature = "handover")]
impl Handshake for Handover {
    fn start(&mut self) -> Result<(), Error> {
        self.pending = true;
        Ok(())
    }

    fn handle_input(&mut self, _data: &[u8]) -> Result<usize, Error> {
        Ok(0)
    }

    fn poll_transmit(&mut self, _buf: &mut [u8]) -> usize {
        0
    }

    fn take_keys(&mut self) -> Option<Result<Secrets, Error>> {
        let Secrets { tx, tx_seq, rx, rx_seq } = &self.secrets;
        core::mem::take(&mut self.pending)
            .then(|| Ok(Secrets { tx: tx.clone(), tx_seq: *tx_seq, rx: rx.clone(), rx_seq: *rx_seq }))
    }

    fn next_rx_keys(&mut self) -> Result<Keys, Error> {
        Err(Error::UnexpectedMessage("KeyUpdate with no handshake to derive keys"))
    }

    fn next_tx_keys(&mut self) -> Result<Keys, Error> {
        Err(Error::UnexpectedMessage("KeyUpdate with no handshake to derive keys"))
    }

    fn session_ticket(&mut self, _body: &[u8]) -> Result<(), Error> {
        Ok(())
    }
}
