//! TLS 1.3 client (RFC 8446) as a sans-IO record engine: ciphertext from the
//! exchange goes in through [`Client::handle_input`] in any split, ciphertext
//! to send comes out of [`Client::poll_transmit`], and application plaintext
//! crosses [`Client::send`] / [`Client::recv`]. The protocol is embedded-tls
//! 0.19's async client, run as one long-lived future over an in-memory
//! socket (`io.rs`) and polled with a no-op waker, so a record split across
//! reads is never lost. Around it the engine closes the holes found in that
//! crate: application data flows only after the server's Certificate and
//! CertificateVerify were both verified in this handshake (§4.4.2–4.4.3),
//! record sizes are checked against §5.1–5.2 before the library parses them,
//! post-handshake messages it cannot handle end the connection with an
//! error, and a stream that ends without close_notify is reported as
//! truncated (§6.1). One panic inside the library is out of reach from
//! here: a post-handshake Certificate or other message it does not expect
//! from an already authenticated server reaches an unimplemented branch that
//! panics; the host contains that with `catch_unwind` and reconnects.

// AES-NI and PCLMULQDQ need `core::arch` intrinsics; each unsafe block
// carries a `// SAFETY:` line.
#[allow(unsafe_code)]
mod gcm;
mod io;
mod verify;

use core::fmt;
use core::future::{Future, poll_fn};
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use embedded_tls::{CertificateRef, CertificateVerifyRef, TlsReader, TlsWriter};
use embedded_tls::{
    CryptoProvider, CryptoRngCore, TLS_RECORD_OVERHEAD, TlsConfig, TlsConnection, TlsContext, TlsError, TlsVerifier,
};
use pin_project_lite::pin_project;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha2::Digest;

pub use embedded_tls::TlsCipherSuite;
pub use gcm::{Aes128GcmSha256, Aes256GcmSha384, AesGcm, backend as aes_gcm_backend};
pub use io::MAX_CIPHERTEXT;
pub use verify::{
    Algorithms, ECDSA_ALGORITHMS, ECDSA_P256_SHA256, ECDSA_P256_SHA384, ECDSA_P384_SHA256, ECDSA_P384_SHA384, Ecdsa,
    MAX_CHAIN, PkiVerifier, ServerVerifier, VerifyError, scheme, spki_sha256,
};

use io::{Io, RecordFramer, Socket};

/// Largest plaintext fragment per record (RFC 8446 §5.1).
pub const MAX_FRAGMENT: usize = 16_384;
/// The library's read buffer holds one whole ciphertext record.
pub const READ_BUFFER: usize = MAX_CIPHERTEXT;
/// The library fills its write buffer up to `len - TLS_RECORD_OVERHEAD`
/// with plaintext: this size makes that exactly one full fragment, so no
/// record it seals can exceed the limit.
pub const WRITE_BUFFER: usize = MAX_FRAGMENT + TLS_RECORD_OVERHEAD;
// Hole 4: a write buffer past one fragment plus overhead seals records
// longer than §5.2 allows; a read buffer short of one full ciphertext
// record cannot hold what a server may legally send.
const _: () = assert!(WRITE_BUFFER - TLS_RECORD_OVERHEAD == MAX_FRAGMENT && READ_BUFFER >= 16_640);
/// Largest record the engine emits: header, fragment, content type, tag.
const MAX_RECORD_OUT: usize = 5 + MAX_FRAGMENT + 1 + 16;
/// Inbound ciphertext queue; the library drains it on every poll.
const RX: usize = 8 * 1024;
/// Outbound ciphertext queue: two full records, so the writer can always
/// start one without waiting for the host.
const TX: usize = 2 * MAX_RECORD_OUT;
/// Plaintext queues in each direction.
const APP: usize = MAX_FRAGMENT;
/// Largest leaf certificate kept for the CertificateVerify check.
const MAX_LEAF: usize = 4096;
/// "TLS 1.3, server CertificateVerify" plus the 0 separator (§4.4.3).
const CV_CONTEXT: &[u8] = b"TLS 1.3, server CertificateVerify\x00";

/// Why a connection failed. Every variant is terminal: drop the engine and
/// reconnect.
#[derive(Debug, Clone)]
pub enum Error {
    /// The peer's bytes are not TLS records.
    NotTls,
    /// A record of a content type TLS 1.3 does not define.
    UnknownRecordType(u8),
    /// A record longer than RFC 8446 §5.2 allows (bytes of fragment).
    RecordOverflow(usize),
    /// A record too short to be valid (empty, or an encrypted record with
    /// no room for the content type and tag).
    RecordTooShort(usize),
    /// The server failed authentication.
    Verify(VerifyError),
    /// The handshake finished without a verified Certificate and
    /// CertificateVerify.
    MissingServerAuthentication,
    /// The server sent a fatal alert (RFC 8446 §6.2 code).
    Alert(u8),
    /// The server offered no parameters hotline supports (its ServerHello
    /// selected another key-exchange group or a HelloRetryRequest).
    UnsupportedKeyExchange,
    /// The server selected a cipher suite this engine was not built for.
    UnsupportedCipherSuite,
    /// A message the engine does not support (KeyUpdate, post-handshake
    /// authentication, ...).
    UnsupportedMessage,
    /// The TCP stream ended without close_notify.
    Truncated,
    /// The server sent close_notify.
    Closed,
    /// Application data before the handshake was complete.
    NotEstablished,
    /// Application data after [`Client::close`].
    ShuttingDown,
    /// A record failed AEAD authentication (bad_record_mac).
    BadRecordMac,
    /// Any other protocol violation the library reported.
    Protocol(TlsError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotTls => f.write_str("peer is not speaking TLS"),
            Self::UnknownRecordType(t) => write!(f, "record of unknown content type {t}"),
            Self::RecordOverflow(n) => write!(f, "record overflow: {n}-byte record"),
            Self::RecordTooShort(n) => write!(f, "record too short: {n} bytes"),
            Self::Verify(e) => write!(f, "server authentication failed: {e}"),
            Self::MissingServerAuthentication => {
                f.write_str("handshake finished without a verified Certificate and CertificateVerify")
            }
            Self::Alert(code) => write!(f, "server sent alert {}", alert_name(*code)),
            Self::UnsupportedKeyExchange => {
                f.write_str("server chose a key exchange other than P-256 (ECDHE secp256r1)")
            }
            Self::UnsupportedCipherSuite => f.write_str("server chose an unsupported cipher suite"),
            Self::UnsupportedMessage => f.write_str("unsupported handshake message (e.g. KeyUpdate)"),
            Self::Truncated => f.write_str("truncated: TCP stream ended without close_notify"),
            Self::Closed => f.write_str("server closed the connection (close_notify)"),
            Self::NotEstablished => f.write_str("handshake not complete"),
            Self::ShuttingDown => f.write_str("connection is shutting down"),
            Self::BadRecordMac => f.write_str("record failed authentication (bad_record_mac)"),
            Self::Protocol(e) => write!(f, "TLS protocol error: {e:?}"),
        }
    }
}

/// The RFC 8446 §6 name of an alert, with what it means for hotline's
/// fixed offer (TLS 1.3 only, one AES-GCM suite, P-256 only).
fn alert_name(code: u8) -> &'static str {
    match code {
        10 => "unexpected_message",
        20 => "bad_record_mac",
        40 => "handshake_failure (no common cipher suite, group or signature scheme)",
        42 => "bad_certificate",
        47 => "illegal_parameter",
        50 => "decode_error",
        51 => "decrypt_error",
        70 => "protocol_version (server does not speak TLS 1.3)",
        71 => "insufficient_security",
        80 => "internal_error",
        109 => "missing_extension",
        112 => "unrecognized_name",
        _ => "other",
    }
}

/// Where the connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// ClientHello sent or pending; the server is not yet authenticated.
    Handshaking,
    /// The server is authenticated; application data flows.
    Established,
    /// Shut down or failed; see [`Client::error`].
    Closed,
}

/// What the server must be and how to recognise it.
#[derive(Debug, Clone, Copy)]
pub struct Config<'a> {
    /// DNS name sent as SNI and checked against the certificate.
    pub server_name: &'a str,
}

/// Memory for one connection: the library's record buffers and the queues
/// shared with the host. Allocate it once (static or host heap) and reuse it
/// for every reconnect.
#[derive(Debug)]
pub struct Storage {
    read: [u8; READ_BUFFER],
    write: [u8; WRITE_BUFFER],
    io: Io<RX, TX, APP>,
}

impl Storage {
    /// Zeroed buffers and empty queues.
    pub const fn new() -> Self {
        Self { read: [0; READ_BUFFER], write: [0; WRITE_BUFFER], io: Io::new() }
    }
}

impl Default for Storage {
    fn default() -> Self {
        Self::new()
    }
}

pin_project! {
    /// One TLS 1.3 client connection. Pin it (`core::pin::pin!`) and drive
    /// it with the methods below; every method returns promptly.
    pub struct Client<'a, F> {
        io: &'a Io<RX, TX, APP>,
        framer: RecordFramer,
        outcome: Option<Result<(), Error>>,
        polled: bool,
        suite: &'static str,
        #[pin]
        session: F,
    }
}

impl<F> fmt::Debug for Client<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("suite", &self.suite)
            .field("established", &self.io.established.get())
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

/// Starts a connection with cipher suite `S` (AES-128-GCM-SHA256 or
/// AES-256-GCM-SHA384): the ClientHello is ready in
/// [`poll_transmit`](Client::poll_transmit) at once. `seed` is 32 bytes of
/// fresh entropy from the host (ECDHE key and client random). The engine
/// outlives its connection: [`reconnect`](Client::reconnect) starts the
/// next one on the same storage and verifier.
pub fn connect<'a, S, V>(
    storage: &'a mut Storage,
    config: Config<'a>,
    verifier: V,
    seed: [u8; 32],
) -> Client<'a, impl Future<Output = Result<(), Error>> + 'a>
where
    S: TlsCipherSuite + 'static,
    V: ServerVerifier + 'a,
{
    let Storage { read, write, io } = storage;
    *io = Io::new();
    io.start.set(Some(seed));
    let io: &'a Io<RX, TX, APP> = io;
    Client {
        io,
        framer: RecordFramer::default(),
        outcome: None,
        polled: false,
        suite: suite_name::<S>(),
        session: connections::<S, V>(io, read, write, config, verifier),
    }
}

fn suite_name<S: TlsCipherSuite>() -> &'static str {
    match S::CODE_POINT {
        0x1301 => "TLS_AES_128_GCM_SHA256",
        0x1302 => "TLS_AES_256_GCM_SHA384",
        _ => "unknown",
    }
}

impl<F: Future<Output = Result<(), Error>>> Client<'_, F> {
    /// Feeds ciphertext received from the server. Returns how many bytes
    /// were taken: fewer than `data.len()` only when received plaintext is
    /// waiting for [`recv`](Self::recv); offer the rest after that.
    pub fn handle_input(mut self: Pin<&mut Self>, data: &[u8]) -> Result<usize, Error> {
        let mut used = 0;
        loop {
            self.as_mut().drive()?;
            let rest = data.get(used..).unwrap_or_default();
            let space = self.io.rx.try_borrow().map_or(0, |rx| rx.space());
            if rest.is_empty() || space == 0 {
                return Ok(used);
            }
            let chunk = rest.get(..space.min(rest.len())).unwrap_or_default();
            let this = self.as_mut().project();
            if let Err(e) = this.framer.check(chunk) {
                *this.outcome = Some(Err(e.clone()));
                return Err(e);
            }
            used += this.io.rx.try_borrow_mut().map_or(0, |mut rx| rx.push(chunk));
        }
    }

    /// The server closed its side of TCP. Reports [`Error::Truncated`]
    /// unless close_notify came first.
    pub fn handle_eof(mut self: Pin<&mut Self>) -> Result<(), Error> {
        self.io.eof.set(true);
        self.as_mut().drive()
    }

    /// Copies ciphertext to send into `buf`; returns the byte count (0 when
    /// there is nothing to send).
    pub fn poll_transmit(mut self: Pin<&mut Self>, buf: &mut [u8]) -> usize {
        // Every other call drives the session, so new output can only be
        // the ClientHello of the first poll, or a record that was waiting
        // for the room this pop makes. A failure is kept in the outcome and
        // reported by the next call that returns a `Result`.
        if !self.polled {
            let _ = self.as_mut().drive();
        }
        let n = self.io.tx.try_borrow_mut().map_or(0, |mut tx| tx.pop(buf));
        let waiting = self.io.closing.get() || self.io.app_tx.try_borrow().is_ok_and(|q| !q.is_empty());
        if n > 0 && waiting {
            let _ = self.as_mut().drive();
        }
        n
    }

    /// Whether ciphertext is waiting in [`poll_transmit`](Self::poll_transmit).
    pub fn wants_write(&self) -> bool {
        self.io.tx.try_borrow().is_ok_and(|tx| !tx.is_empty())
    }

    /// Queues application plaintext; each call is sealed into records at
    /// once. Returns how much was queued (less than `data.len()` when the
    /// outbound queue is full: poll output first). Refused until the server
    /// is authenticated.
    pub fn send(mut self: Pin<&mut Self>, data: &[u8]) -> Result<usize, Error> {
        if let Some(Err(e)) = &self.outcome {
            return Err(e.clone());
        }
        if !self.io.established.get() {
            return Err(Error::NotEstablished);
        }
        if self.io.closing.get() {
            return Err(Error::ShuttingDown);
        }
        let n = self.io.app_tx.try_borrow_mut().map_or(0, |mut q| q.push(data));
        self.as_mut().drive()?;
        Ok(n)
    }

    /// Copies received application plaintext into `buf`. `Ok(0)` means
    /// nothing yet (or, after [`close`](Self::close), nothing more); once
    /// the connection has failed or the server closed it, the queued
    /// plaintext is returned first and then the reason as the error.
    pub fn recv(mut self: Pin<&mut Self>, buf: &mut [u8]) -> Result<usize, Error> {
        let n = self.io.app_rx.try_borrow_mut().map_or(0, |mut q| q.pop(buf));
        let driven = self.as_mut().drive();
        if n > 0 { Ok(n) } else { driven.map(|()| 0) }
    }

    /// Sends close_notify after the queued plaintext; the record is then in
    /// [`poll_transmit`](Self::poll_transmit) and the state becomes `Closed`.
    pub fn close(mut self: Pin<&mut Self>) -> Result<(), Error> {
        self.io.closing.set(true);
        self.as_mut().drive()
    }

    /// Where the connection stands.
    pub fn state(&self) -> State {
        if self.outcome.is_some() {
            State::Closed
        } else if self.io.established.get() {
            State::Established
        } else {
            State::Handshaking
        }
    }

    /// Why the connection ended, if it failed.
    pub fn error(&self) -> Option<&Error> {
        self.outcome.as_ref().and_then(|o| o.as_ref().err())
    }

    /// The IANA name of the cipher suite this engine negotiates.
    pub fn cipher_suite(&self) -> &'static str {
        self.suite
    }

    /// Abandons the connection in progress, if any, and starts a new one
    /// for a new TCP stream: every queue is emptied and the ClientHello,
    /// from the fresh entropy `seed`, is ready in
    /// [`poll_transmit`](Self::poll_transmit).
    pub fn reconnect(mut self: Pin<&mut Self>, seed: [u8; 32]) {
        self.io.abort.set(true);
        self.as_mut().poll_session();
        self.io.reset();
        self.io.start.set(Some(seed));
        let this = self.as_mut().project();
        *this.framer = RecordFramer::default();
        *this.outcome = None;
        *this.polled = false;
    }

    /// Polls the session until it waits for the host; once a connection
    /// has ended, only reports how.
    fn drive(mut self: Pin<&mut Self>) -> Result<(), Error> {
        if let Some(outcome) = &self.outcome {
            return outcome.clone();
        }
        self.as_mut().poll_session();
        let finished = self.io.finished.borrow_mut().take();
        match finished {
            Some(result) => {
                *self.as_mut().project().outcome = Some(result.clone());
                result
            }
            None => Ok(()),
        }
    }

    /// Polls the connections future once; it never completes.
    fn poll_session(self: Pin<&mut Self>) {
        let this = self.project();
        *this.polled = true;
        let mut cx = Context::from_waker(Waker::noop());
        let _ = this.session.poll(&mut cx);
    }
}

/// The embedded-tls provider: the host's entropy and the authenticating
/// verifier adapter.
struct Provider<'a, S: TlsCipherSuite, V> {
    rng: ChaCha20Rng,
    auth: Auth<'a, S, V>,
}

impl<S: TlsCipherSuite, V: ServerVerifier> CryptoProvider for Provider<'_, S, V> {
    type CipherSuite = S;
    type Signature = [u8; 0];

    fn rng(&mut self) -> impl CryptoRngCore {
        &mut self.rng
    }

    fn verifier(&mut self) -> Result<&mut impl TlsVerifier<S>, TlsError> {
        Ok(&mut self.auth)
    }
}

/// Records what the server proved in this handshake and keeps the first
/// verification error with its cause (embedded-tls only carries a bare
/// `InvalidCertificate` back).
struct Auth<'a, S: TlsCipherSuite, V> {
    verifier: V,
    server_name: &'a str,
    leaf: [u8; MAX_LEAF],
    leaf_len: usize,
    transcript: Option<S::Hash>,
    certificate_verified: bool,
    signature_verified: bool,
    error: Option<VerifyError>,
}

impl<S: TlsCipherSuite, V: ServerVerifier> Auth<'_, S, V> {
    fn fail(&mut self, e: VerifyError) -> TlsError {
        self.error.get_or_insert(e);
        TlsError::InvalidCertificate
    }

    fn authenticated(&self) -> bool {
        self.certificate_verified && self.signature_verified && self.error.is_none()
    }
}

impl<S: TlsCipherSuite, V: ServerVerifier> TlsVerifier<S> for Auth<'_, S, V> {
    fn set_hostname_verification(&mut self, _hostname: &str) -> Result<(), TlsError> {
        // The name comes from `Config` and is already held.
        Ok(())
    }

    fn verify_certificate(&mut self, transcript: &S::Hash, cert: CertificateRef<'_>) -> Result<(), TlsError> {
        if self.transcript.is_some() || self.certificate_verified {
            return Err(self.fail(VerifyError::DuplicateCertificate));
        }
        let mut chain: [&[u8]; MAX_CHAIN] = [&[]; MAX_CHAIN];
        let mut count = 0;
        for (slot, entry) in chain.iter_mut().zip(cert.entries.iter()) {
            match entry {
                embedded_tls::CertificateEntryRef::X509(der) => *slot = der,
                embedded_tls::CertificateEntryRef::RawPublicKey(_) => {
                    return Err(self.fail(VerifyError::RawPublicKey));
                }
            }
            count += 1;
        }
        let chain = chain.get(..count).unwrap_or_default();
        let leaf = chain.first().copied().unwrap_or_default();
        if leaf.len() > MAX_LEAF {
            return Err(self.fail(VerifyError::LeafTooLarge(leaf.len())));
        }
        if let Err(e) = self.verifier.verify_chain(self.server_name, chain) {
            return Err(self.fail(e));
        }
        if let Some(dst) = self.leaf.get_mut(..leaf.len()) {
            dst.copy_from_slice(leaf);
        }
        self.leaf_len = leaf.len();
        self.transcript = Some(transcript.clone());
        self.certificate_verified = true;
        Ok(())
    }

    fn verify_signature(&mut self, verify: CertificateVerifyRef<'_>) -> Result<(), TlsError> {
        let Some(transcript) = self.transcript.take() else {
            return Err(self.fail(VerifyError::CertificateVerifyBeforeCertificate));
        };
        // §4.4.3: 64 spaces, the context string, the transcript hash.
        let mut message = [0x20u8; 64 + CV_CONTEXT.len() + 64];
        let hash = transcript.finalize();
        let len = 64 + CV_CONTEXT.len() + hash.len();
        if let Some(dst) = message.get_mut(64..64 + CV_CONTEXT.len()) {
            dst.copy_from_slice(CV_CONTEXT);
        }
        if let Some(dst) = message.get_mut(64 + CV_CONTEXT.len()..len) {
            dst.copy_from_slice(&hash);
        }
        let leaf = self.leaf.get(..self.leaf_len).unwrap_or_default();
        let result = self.verifier.verify_signature(
            leaf,
            verify.signature_scheme.as_u16(),
            message.get(..len).unwrap_or_default(),
            verify.signature,
        );
        match result {
            Ok(()) => {
                self.signature_verified = true;
                Ok(())
            }
            Err(e) => Err(self.fail(e)),
        }
    }
}

/// Why the application-data phase stopped without an error.
enum Stop {
    /// The host asked for shutdown.
    Shutdown,
    /// The server sent close_notify.
    PeerClosed,
}

/// Every connection of an engine as one future that never ends: it waits
/// for the host's entropy, runs one [`session`] (abandoned when the host
/// aborts it), leaves its result for the engine, and waits again. The
/// buffers and verifier are lent to each session in turn.
async fn connections<'a, S, V>(
    io: &'a Io<RX, TX, APP>,
    read: &'a mut [u8],
    write: &'a mut [u8],
    config: Config<'a>,
    mut verifier: V,
) -> Result<(), Error>
where
    S: TlsCipherSuite + 'static,
    V: ServerVerifier + 'a,
{
    loop {
        let seed = poll_fn(|_| io.start.take().map_or(Poll::Pending, Poll::Ready)).await;
        let result = {
            let mut one = core::pin::pin!(session::<S, _>(io, read, write, config, &mut verifier, seed));
            poll_fn(|cx| if io.abort.get() { Poll::Ready(Err(Error::ShuttingDown)) } else { one.as_mut().poll(cx) })
                .await
        };
        *io.finished.borrow_mut() = Some(result);
    }
}

/// The whole connection as one future: handshake, authentication gate,
/// then the reader and writer side by side until shutdown or failure.
async fn session<'a, S, V>(
    io: &'a Io<RX, TX, APP>,
    read: &'a mut [u8],
    write: &'a mut [u8],
    config: Config<'a>,
    verifier: V,
    seed: [u8; 32],
) -> Result<(), Error>
where
    S: TlsCipherSuite + 'static,
    V: ServerVerifier + 'a,
{
    let mut tls_config = TlsConfig::new().with_server_name(config.server_name);
    if verifier.offers_rsa() {
        tls_config = tls_config.enable_rsa_signatures();
    }
    let mut provider = Provider::<S, V> {
        rng: ChaCha20Rng::from_seed(seed),
        auth: Auth {
            verifier,
            server_name: config.server_name,
            leaf: [0; MAX_LEAF],
            leaf_len: 0,
            transcript: None,
            certificate_verified: false,
            signature_verified: false,
            error: None,
        },
    };
    let mut conn: TlsConnection<'_, Socket<'a, RX, TX, APP>, S> = TlsConnection::new(Socket { io }, read, write);
    let opened = conn.open(TlsContext::new(&tls_config, &mut provider)).await;
    if let Some(e) = provider.auth.error.take() {
        return Err(Error::Verify(e));
    }
    opened.map_err(|e| classify(e, io))?;
    // Hole 1: embedded-tls accepts a Finished with no Certificate or
    // CertificateVerify before it; no byte of application data may move
    // unless both were verified in this handshake.
    if !provider.auth.authenticated() {
        return Err(Error::MissingServerAuthentication);
    }
    io.established.set(true);
    let stop = {
        let (reader, writer) = conn.split();
        let mut reading = core::pin::pin!(read_loop(reader, io));
        let mut writing = core::pin::pin!(write_loop(writer, io));
        poll_fn(|cx| {
            if let Poll::Ready(r) = reading.as_mut().poll(cx) {
                return Poll::Ready(r);
            }
            writing.as_mut().poll(cx)
        })
        .await
    };
    match stop.map_err(|e| classify(e, io))? {
        Stop::Shutdown => conn.close().await.map(drop).map_err(|(_, e)| classify(e, io)),
        // The library has marked the connection closed; a close_notify now
        // would go out unencrypted.
        Stop::PeerClosed => Err(Error::Closed),
    }
}

/// Moves decrypted records into the plaintext queue as room allows.
async fn read_loop<S: TlsCipherSuite + 'static>(
    mut reader: TlsReader<'_, Socket<'_, RX, TX, APP>, S>,
    io: &Io<RX, TX, APP>,
) -> Result<Stop, TlsError> {
    loop {
        poll_fn(|_| if io.app_rx.try_borrow().is_ok_and(|q| q.space() > 0) { Poll::Ready(()) } else { Poll::Pending })
            .await;
        let mut plain = match reader.read_buffered().await {
            Ok(plain) => plain,
            Err(TlsError::ConnectionClosed) => return Ok(Stop::PeerClosed),
            Err(e) => return Err(e),
        };
        let n = io.app_rx.try_borrow_mut().map_or(0, |mut q| q.push(plain.peek_all()));
        plain.pop(n);
    }
}

/// Seals queued plaintext, one record per `send` chunk, once the outbound
/// queue has room for a whole record.
async fn write_loop<S: TlsCipherSuite + 'static>(
    mut writer: TlsWriter<'_, Socket<'_, RX, TX, APP>, S>,
    io: &Io<RX, TX, APP>,
) -> Result<Stop, TlsError> {
    use embedded_io_async::Write as _;
    loop {
        poll_fn(|_| {
            let room = io.tx.try_borrow().is_ok_and(|q| q.space() >= MAX_RECORD_OUT);
            let work = io.closing.get() || io.app_tx.try_borrow().is_ok_and(|q| !q.is_empty());
            if room && work { Poll::Ready(()) } else { Poll::Pending }
        })
        .await;
        let n = {
            let Ok(queue) = io.app_tx.try_borrow() else {
                continue;
            };
            if queue.is_empty() {
                return Ok(Stop::Shutdown);
            }
            let chunk = queue.peek();
            let chunk = chunk.get(..chunk.len().min(MAX_FRAGMENT)).unwrap_or_default();
            // The record buffer was flushed after the last chunk, so this
            // write only copies into it and is ready at its first poll: the
            // queue is read in place and no borrow outlives this block.
            let mut write = core::pin::pin!(writer.write(chunk));
            match write.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
                Poll::Ready(n) => n?,
                Poll::Pending => return Err(TlsError::InternalError),
            }
        };
        writer.flush().await?;
        if let Ok(mut queue) = io.app_tx.try_borrow_mut() {
            queue.consume(n);
        }
    }
}

/// Names an embedded-tls failure from what the socket saw and the error.
fn classify(e: TlsError, io: &Io<RX, TX, APP>) -> Error {
    match e {
        TlsError::IoError if io.eof_seen.get() => Error::Truncated,
        TlsError::HandshakeAborted(_, desc) => Error::Alert(desc as u8),
        TlsError::InvalidKeyShare => Error::UnsupportedKeyExchange,
        TlsError::InvalidCipherSuite => Error::UnsupportedCipherSuite,
        TlsError::Unimplemented => Error::UnsupportedMessage,
        TlsError::ConnectionClosed => Error::Closed,
        TlsError::CryptoError => Error::BadRecordMac,
        other => Error::Protocol(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_hello_first_no_data_before_authentication_and_alerts_are_named() {
        let mut storage = Storage::new();
        let verifier = PkiVerifier::new(&[], &[], &ECDSA_ALGORITHMS, 0);
        let config = Config { server_name: "example.com" };
        let mut engine = core::pin::pin!(connect::<Aes128GcmSha256, _>(&mut storage, config, verifier, [1; 32]));
        let mut out = [0u8; 1024];
        let n = engine.as_mut().poll_transmit(&mut out);
        // A handshake record holding a ClientHello (type 1).
        assert!(n > 9 && out[0] == 22 && out[5] == 1, "{:?}", &out[..n.min(10)]);
        assert_eq!(engine.state(), State::Handshaking);
        assert!(matches!(engine.as_mut().send(b"order"), Err(Error::NotEstablished)));
        // handshake_failure, split across two calls.
        assert!(engine.as_mut().handle_input(&[21, 3, 3]).is_ok());
        assert!(matches!(engine.as_mut().handle_input(&[0, 2, 2, 40]), Err(Error::Alert(40))));
        assert_eq!(engine.state(), State::Closed);
        assert!(matches!(engine.as_mut().recv(&mut out), Err(Error::Alert(40))));
    }
}
