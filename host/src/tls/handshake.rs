//! The TLS 1.3 handshake (RFC 8446 §4) for the core's record layer:
//! rustls' unbuffered, sans-IO client driven by whoever moves the bytes
//! (the engine's io_uring loop), record by record, with no socket and no
//! thread of its own. When the handshake completes the client turns into
//! a `KernelConnection` (rustls' API for a record layer elsewhere) and
//! hands the traffic keys and sequence numbers to the core; it stays here
//! to derive the next keys when either side sends KeyUpdate (§7.2).
//! NewSessionTickets (§4.6.1) are counted and dropped: resumption is off,
//! every connection is a full handshake. Offered: TLS 1.3 only, the AES-GCM
//! suites the core implements, X25519, P-256 and P-384 (a server that
//! wants another share gets it after a HelloRetryRequest). See
//! `docs/decisions/0010-tls-handshake-on-the-host.md`.
//!
//! On request ([`Versions::Tls12AndTls13`]) TLS 1.2 is offered too, with
//! its ECDHE AES-GCM suites only (RFC 5289), for venues that may not offer
//! TLS 1.3; the core then runs TLS 1.2's records (`docs/protocols/tls12.md`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_core::tls::{self, Handshake, Keys, Secrets, Suite, Version};
use rustls::client::{ClientConnectionData, Resumption, UnbufferedClientConnection};
use rustls::crypto::ring as ring_provider;
use rustls::kernel::KernelConnection;
use rustls::pki_types::ServerName;
use rustls::unbuffered::{ConnectionState, EncodeError};
use rustls::{ClientConfig, ConnectionTrafficSecrets, HandshakeKind};

use super::verify::{HostVerifier, VerifyError};

/// Bytes of a record header.
const HEADER: usize = 5;

/// The TLS versions a [`Rustls`] client offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Versions {
    /// TLS 1.3 only: a server without it fails the handshake
    /// (protocol_version).
    #[default]
    Tls13,
    /// TLS 1.3, or TLS 1.2 with ECDHE and AES-GCM
    /// (TLS_ECDHE_{RSA,ECDSA}_WITH_AES_{128_GCM_SHA256,256_GCM_SHA384}) if
    /// the server has no TLS 1.3.
    Tls12AndTls13,
}

/// What one handshake found, for `hotline probe` and the logs.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The negotiated version, `TLSv1.3` or `TLSv1.2`.
    pub version: Option<&'static str>,
    /// The key-exchange group, e.g. `X25519`.
    pub group: Option<String>,
    /// The cipher suite's IANA name.
    pub suite: Option<&'static str>,
    /// Whether the server asked for another key share first.
    pub hello_retry: bool,
    /// NewSessionTickets received since the handshake.
    pub tickets: u32,
    /// KeyUpdates received and sent since the handshake.
    pub key_updates_received: u32,
    /// KeyUpdates sent since the handshake.
    pub key_updates_sent: u32,
    /// From the ClientHello to the keys.
    pub elapsed: Option<Duration>,
}

/// The rustls client for one venue, over every reconnect.
pub struct Rustls {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
    verifier: Arc<HostVerifier>,
    conn: Option<UnbufferedClientConnection>,
    kernel: Option<KernelConnection<ClientConnectionData>>,
    /// Records received and not yet discarded by rustls (a handshake
    /// message may span records); the record being collected starts at
    /// `record_at`.
    incoming: Vec<u8>,
    record_at: usize,
    outgoing: Vec<u8>,
    sent: usize,
    keys: Option<Result<Secrets, tls::Error>>,
    started: Option<Instant>,
    report: Report,
}

impl std::fmt::Debug for Rustls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rustls").field("name", &self.name).field("report", &self.report).finish_non_exhaustive()
    }
}

impl Rustls {
    /// A TLS 1.3 client for `server_name` authenticated by `verifier`,
    /// preferring AES-256-GCM when `aes256` (either suite is accepted).
    pub fn new(server_name: &str, verifier: HostVerifier, aes256: bool) -> Result<Self, String> {
        Self::with_versions(server_name, verifier, aes256, Versions::Tls13)
    }

    /// [`new`](Self::new), offering `versions`.
    pub fn with_versions(
        server_name: &str,
        verifier: HostVerifier,
        aes256: bool,
        versions: Versions,
    ) -> Result<Self, String> {
        use ring_provider::cipher_suite as cs;
        let name = ServerName::try_from(server_name.to_owned())
            .map_err(|_| format!("{server_name:?}: not a DNS name or IP address"))?;
        let mut provider = ring_provider::default_provider();
        let (a128, a256) = ([cs::TLS13_AES_128_GCM_SHA256], [cs::TLS13_AES_256_GCM_SHA384]);
        let (tls12_a128, tls12_a256) = (
            [cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256],
            [cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384],
        );
        let (first, second) = if aes256 { (a256, a128) } else { (a128, a256) };
        provider.cipher_suites = [first, second].concat();
        let mut protocols = vec![&rustls::version::TLS13];
        if versions == Versions::Tls12AndTls13 {
            let (first, second) = if aes256 { (tls12_a256, tls12_a128) } else { (tls12_a128, tls12_a256) };
            provider.cipher_suites.extend([first, second].concat());
            protocols.push(&rustls::version::TLS12);
        }
        provider.kx_groups = vec![
            ring_provider::kx_group::X25519,
            ring_provider::kx_group::SECP256R1,
            ring_provider::kx_group::SECP384R1,
        ];
        let verifier = Arc::new(verifier);
        let mut config = ClientConfig::builder_with_provider(Arc::new(provider))
            .with_protocol_versions(&protocols)
            .map_err(|e| format!("TLS configuration: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::clone(&verifier) as _)
            .with_no_client_auth();
        config.enable_secret_extraction = true;
        // Every connection is a full handshake; tickets are counted, not
        // kept.
        config.resumption = Resumption::disabled();
        Ok(Self {
            config: Arc::new(config),
            name,
            verifier,
            conn: None,
            kernel: None,
            incoming: Vec::new(),
            record_at: 0,
            outgoing: Vec::new(),
            sent: 0,
            keys: None,
            started: None,
            report: Report::default(),
        })
    }

    /// What the last handshake found.
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// The verifier, with the chain the server presented.
    pub fn verifier(&self) -> &HostVerifier {
        &self.verifier
    }

    /// Runs rustls over the records received so far until it needs more,
    /// or the handshake is complete.
    fn process(&mut self) -> Result<(), tls::Error> {
        loop {
            let Some(conn) = self.conn.as_mut() else { return Ok(()) };
            let status = conn.process_tls_records(&mut self.incoming);
            let discard = status.discard;
            let step = match status.state {
                Err(e) => Err(named(&e)),
                Ok(ConnectionState::EncodeTlsData(mut data)) => {
                    let at = self.outgoing.len();
                    let need = match data.encode(&mut []) {
                        Err(EncodeError::InsufficientSize(s)) => s.required_size,
                        Ok(_) | Err(_) => 0,
                    };
                    self.outgoing.resize(at + need, 0);
                    let n =
                        data.encode(&mut self.outgoing[at..]).map_err(|e| tls::Error::handshake(format!("{e:?}")))?;
                    self.outgoing.truncate(at + n);
                    Ok(true)
                }
                Ok(ConnectionState::TransmitTlsData(data)) => {
                    // Sent when the host takes it from `poll_transmit`.
                    data.done();
                    Ok(true)
                }
                Ok(ConnectionState::BlockedHandshake) => Ok(false),
                Ok(ConnectionState::WriteTraffic(_)) => {
                    self.incoming.drain(..discard);
                    self.record_at = self.incoming.len();
                    return self.complete();
                }
                Ok(ConnectionState::PeerClosed | ConnectionState::Closed) => Err(tls::Error::Closed),
                Ok(other) => Err(tls::Error::handshake(format!("unexpected {other:?} during the handshake"))),
            };
            self.incoming.drain(..discard);
            self.record_at = self.incoming.len();
            if !step? {
                return Ok(());
            }
        }
    }

    /// Turns the finished client into a kernel connection and keeps the
    /// keys for the core.
    fn complete(&mut self) -> Result<(), tls::Error> {
        let Some(conn) = self.conn.take() else { return Ok(()) };
        self.report.hello_retry = conn.handshake_kind() == Some(HandshakeKind::FullWithHelloRetryRequest);
        self.report.group = conn.negotiated_key_exchange_group().map(|g| format!("{:?}", g.name()));
        if !self.incoming.is_empty() {
            return Err(tls::Error::handshake("bytes left inside the handshake's last record"));
        }
        let (secrets, kernel) = conn.dangerous_into_kernel_connection().map_err(|e| named(&e))?;
        let (version, suite) = suite_of(&kernel)?;
        self.report.version = Some(version.name());
        self.report.suite = match version {
            Version::Tls13 => Some(suite.name()),
            // The TLS 1.2 name also says how the server signed.
            Version::Tls12 => kernel.negotiated_cipher_suite().suite().as_str(),
        };
        self.report.elapsed = self.started.map(|t| t.elapsed());
        // rustls has counted the Finished records it sealed and opened
        // under these keys (TLS 1.2: record 0 each way).
        let (tx_seq, tx) = secrets.tx;
        let (rx_seq, rx) = secrets.rx;
        self.keys = Some(Ok(Secrets { tx: keys(version, suite, tx)?, tx_seq, rx: keys(version, suite, rx)?, rx_seq }));
        self.kernel = Some(kernel);
        Ok(())
    }

    /// Bytes of the record being collected: its header, then the length
    /// the header gives.
    fn record_len(&self) -> usize {
        match self.incoming.get(self.record_at..).unwrap_or_default() {
            [_, _, _, hi, lo, ..] => HEADER + usize::from(u16::from_be_bytes([*hi, *lo])),
            _ => HEADER,
        }
    }

    fn kernel(&mut self) -> Result<&mut KernelConnection<ClientConnectionData>, tls::Error> {
        self.kernel.as_mut().ok_or(tls::Error::NotEstablished)
    }
}

/// The core's names for the version and suite rustls negotiated.
fn suite_of(kernel: &KernelConnection<ClientConnectionData>) -> Result<(Version, Suite), tls::Error> {
    use rustls::CipherSuite as C;
    match kernel.negotiated_cipher_suite().suite() {
        C::TLS13_AES_128_GCM_SHA256 => Ok((Version::Tls13, Suite::Aes128GcmSha256)),
        C::TLS13_AES_256_GCM_SHA384 => Ok((Version::Tls13, Suite::Aes256GcmSha384)),
        C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 | C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => {
            Ok((Version::Tls12, Suite::Aes128GcmSha256))
        }
        C::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 | C::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => {
            Ok((Version::Tls12, Suite::Aes256GcmSha384))
        }
        _ => Err(tls::Error::UnsupportedCipherSuite),
    }
}

/// rustls' keys for one direction as the core's. For TLS 1.2 GCM rustls
/// hands over the 4-byte write IV (the salt, RFC 5288 §3) followed by 8
/// bytes of the key block from which it derives its own explicit nonces
/// (that value XOR the sequence number); the core takes the salt alone and
/// uses the sequence number as the explicit nonce (`docs/protocols/tls12.md`
/// §Nonces).
fn keys(version: Version, suite: Suite, secrets: ConnectionTrafficSecrets) -> Result<Keys, tls::Error> {
    let (key, iv) = match &secrets {
        ConnectionTrafficSecrets::Aes128Gcm { key, iv } | ConnectionTrafficSecrets::Aes256Gcm { key, iv } => {
            (key.as_ref(), iv.as_ref())
        }
        _ => return Err(tls::Error::UnsupportedCipherSuite),
    };
    let iv: [u8; 12] = iv.try_into().map_err(|_| tls::Error::UnsupportedCipherSuite)?;
    let keys = match version {
        Version::Tls13 => Keys::new(suite, key, iv),
        Version::Tls12 => Keys::tls12(suite, key, [iv[0], iv[1], iv[2], iv[3]]),
    };
    keys.ok_or(tls::Error::UnsupportedCipherSuite)
}

/// A rustls failure as the core reports it: an alert by its code, a
/// refused certificate by the verifier's cause, anything else by rustls'
/// description.
fn named(e: &rustls::Error) -> tls::Error {
    use rustls::{CertificateError, Error as E};
    match e {
        E::AlertReceived(desc) => tls::Error::Alert(u8::from(*desc)),
        E::InvalidCertificate(CertificateError::Other(other)) => match other.0.downcast_ref::<VerifyError>() {
            Some(v) => tls::Error::handshake(format!("server authentication failed: {v}")),
            None => tls::Error::handshake(e),
        },
        _ => tls::Error::handshake(e),
    }
}

impl Handshake for Rustls {
    fn start(&mut self) -> Result<(), tls::Error> {
        self.kernel = None;
        self.keys = None;
        self.incoming.clear();
        self.record_at = 0;
        self.outgoing.clear();
        self.sent = 0;
        self.report = Report::default();
        self.started = Some(Instant::now());
        let conn =
            UnbufferedClientConnection::new(Arc::clone(&self.config), self.name.clone()).map_err(|e| named(&e))?;
        self.conn = Some(conn);
        self.process()
    }

    fn handle_input(&mut self, data: &[u8]) -> Result<usize, tls::Error> {
        let mut used = 0;
        // Whole records only, one at a time, so rustls never reads past
        // the handshake's last record: what follows is the core's.
        while self.conn.is_some() && used < data.len() {
            let have = self.incoming.len() - self.record_at;
            let n = (self.record_len() - have).min(data.len() - used);
            self.incoming.extend_from_slice(&data[used..used + n]);
            used += n;
            let have = have + n;
            if have >= HEADER && have == self.record_len() {
                self.process()?;
            }
        }
        Ok(used)
    }

    fn poll_transmit(&mut self, buf: &mut [u8]) -> usize {
        let rest = self.outgoing.get(self.sent..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.sent += n;
        if self.sent == self.outgoing.len() {
            self.outgoing.clear();
            self.sent = 0;
        }
        n
    }

    fn take_keys(&mut self) -> Option<Result<Secrets, tls::Error>> {
        self.keys.take()
    }

    fn next_rx_keys(&mut self) -> Result<Keys, tls::Error> {
        let kernel = self.kernel()?;
        let (version, suite) = suite_of(kernel)?;
        let (_, secrets) = kernel.update_rx_secret().map_err(|e| named(&e))?;
        self.report.key_updates_received += 1;
        keys(version, suite, secrets)
    }

    fn next_tx_keys(&mut self) -> Result<Keys, tls::Error> {
        let kernel = self.kernel()?;
        let (version, suite) = suite_of(kernel)?;
        let (_, secrets) = kernel.update_tx_secret().map_err(|e| named(&e))?;
        self.report.key_updates_sent += 1;
        keys(version, suite, secrets)
    }

    fn session_ticket(&mut self, _body: &[u8]) -> Result<(), tls::Error> {
        // Counted, not kept: every connection is a full handshake, and
        // parsing a ticket nobody uses would allocate.
        self.report.tickets += 1;
        Ok(())
    }
}
