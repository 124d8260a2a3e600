//! In-process tick-to-wire benchmarks (issue 7): bitcoind's ZMQ message
//! bytes of a whale transaction turn into the TLS record of a signed
//! Binance `order.place`, and the venue's TLS record of its answer turns
//! into an updated order state, timed one iteration at a time. Three
//! pipelines run over the same whales: hotline's engine ([`pipeline`]),
//! hotline with the order pre-armed ([`pipeline::pre_armed`]), and the
//! conventional Rust stack ([`baseline`]). Each talks over memory to a venue
//! built from other people's code (rustls server, tungstenite WebSocket,
//! serde_json answers), which decrypts and decodes every order, so what is
//! timed is what a real exchange would accept; [`compare`] proves that
//! hotline and the baseline signed byte-identical payloads.
//!
//! On Coinbase (issue 16, [`Exchange::Coinbase`]) hotline's engine sends a
//! FIX NewOrderSingle instead, to an in-memory FIX responder that shares no
//! code with the engine's FIX codec (`fix`); the other two pipelines build
//! Binance's request and are not run.
//!
//! Every whale is fresh (the first input's prevout index differs, so no
//! duplicate, replacement or cooldown suppresses it) and the risk limits
//! deny nothing: each iteration sends exactly one order.

pub mod baseline;
pub(crate) mod fix;
pub mod pipeline;
pub mod report;
pub(crate) mod tls;
pub(crate) mod venue;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bitcoin::consensus::serialize;
use bitcoin::hashes::Hash;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness, absolute, transaction};
use hdrhistogram::Histogram;
use hotline_core::feed::bitcoind::{Topic, emit_notification};
use hotline_core::risk::{Limits, RateLimit};
use hotline_core::strategy::whale::Rules;

pub use crate::lab::paper::{ID_WIDTH, INSTRUMENT, REFERENCE_PRICE, SIZING};
use crate::metrics::{Metrics, Stage};

/// Binance's documented HMAC example key
/// (docs/protocols/binance-ws-api.md §Test vectors).
pub const API_KEY: &str = hotline_sim::DOC_API_KEY;
/// Its secret.
pub const SECRET: &str = hotline_sim::DOC_SECRET_KEY;
/// The first client order id of every pipeline.
pub const FIRST_CLIENT_ORDER_ID: u64 = 1_000_000;
/// Largest transaction the feed reads.
pub const MAX_TX_BYTES: usize = 100_000;
/// The whale's single big output: three times the 500 BTC rule.
const WHALE_SAT: u64 = 1_500 * 100_000_000;
/// The quantity every whale is sized to: strength 3 under [`SIZING`].
pub const WHALE_QTY: u64 = SIZING.base_qty * 3;
/// Distinct whales cycled through: more than the detector's 64-entry
/// memory, so none is ever a repeat.
const VARIANTS: u32 = 256;
/// Orders in flight before the venue answers them (the engine tracks 64).
pub const SETTLE_EVERY: u64 = 32;

/// The venue the benchmarks trade on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Exchange {
    /// Binance Spot's WebSocket API: `order.place` signed with HMAC.
    Binance,
    /// Coinbase Exchange's FIX order entry: a NewOrderSingle on a signed
    /// Logon's session (docs/protocols/coinbase-fix.md).
    Coinbase,
}

impl Exchange {
    /// Its name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Self::Binance => "binance",
            Self::Coinbase => "coinbase",
        }
    }

    /// Whether the pre-armed pipelines and the conventional baseline run:
    /// they build Binance's `order.place`.
    pub fn has_conventional(self) -> bool {
        self == Self::Binance
    }
}

/// The whale rules every pipeline applies: the defaults without cooldown.
pub fn rules() -> Rules<'static> {
    Rules { cooldown_ns: 0, ..Rules::default() }
}

/// Risk limits that deny nothing a benchmark sends.
pub fn limits() -> Limits {
    let unlimited = RateLimit { capacity: u32::MAX, window_ns: 1 };
    Limits {
        max_open_orders: u32::MAX,
        short_rate: unlimited,
        daily_rate: unlimited,
        kill_after_rejects: None,
        kill_on_feed_gap: false,
        ..Limits::new(u64::MAX, u128::MAX, u64::MAX)
    }
}

/// bitcoind `rawtx` notifications of fresh whales, each as the three ZMTP
/// frames (topic, body, sequence) its PUB socket sends, numbered
/// contiguously.
#[derive(Debug, Clone)]
pub struct Whales {
    messages: Vec<Vec<u8>>,
    /// Where each message's prevout txid starts.
    prevouts: Vec<usize>,
    next: usize,
    sequence: u32,
}

impl Whales {
    /// 256 whale layouts: a one-input P2WPKH spend of 1 500 BTC to one
    /// output plus change, spending prevout index `i`.
    pub fn new() -> Self {
        let messages: Vec<Vec<u8>> = (0..VARIANTS)
            .map(|i| {
                let body = serialize(&whale(i));
                let mut out = vec![0u8; body.len() + 64];
                let n = emit_notification(&mut out, Topic::RawTx, &body, 0).expect("room for the frames");
                out.truncate(n);
                out
            })
            .collect();
        let prevouts = messages
            .iter()
            .map(|m| m.windows(PREVOUT.len()).position(|w| w == PREVOUT).expect("the whale spends PREVOUT"))
            .collect();
        Self { messages, prevouts, next: 0, sequence: 0 }
    }

    /// The next notification, with the next sequence number, spending an
    /// outpoint no earlier whale spent: every whale is new to the engine,
    /// as real ones are (a repeat would be a republish).
    pub fn next_message(&mut self) -> &[u8] {
        let i = self.next;
        self.next = (self.next + 1) % self.messages.len();
        let sequence = self.sequence;
        self.sequence = self.sequence.wrapping_add(1);
        let message = &mut self.messages[i];
        // Bytes 4..8 of the prevout txid: the outpoint's tag (its first
        // eight bytes xor the index) differs from every earlier whale's.
        let at = self.prevouts[i] + 4;
        message[at..at + 4].copy_from_slice(&sequence.to_le_bytes());
        // The sequence frame's four little-endian bytes end the message.
        let at = message.len() - 4;
        message[at..].copy_from_slice(&sequence.to_le_bytes());
        message
    }
}

impl Default for Whales {
    fn default() -> Self {
        Self::new()
    }
}

/// The prevout txid every whale layout spends; its bytes 4..8 are
/// rewritten per whale.
const PREVOUT: [u8; 32] = [0x5c; 32];

fn whale(i: u32) -> Transaction {
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint { txid: Txid::from_byte_array(PREVOUT), vout: i },
            script_sig: ScriptBuf::new(),
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            witness: Witness::from_slice(&[[0x30u8; 71].as_slice(), [0x02u8; 33].as_slice()]),
        }],
        output: [(WHALE_SAT, 0x11u8), (12_345_678, 0x22)]
            .into_iter()
            .map(|(sat, fill)| TxOut {
                value: Amount::from_sat(sat),
                script_pubkey: ScriptBuf::from_bytes([&[0x00, 0x14][..], &[fill; 20]].concat()),
            })
            .collect(),
    }
}

/// One order as signed: what [`compare`] checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentOrder {
    /// `newClientOrderId`.
    pub client_order_id: u64,
    /// `timestamp` (milliseconds).
    pub timestamp: u64,
    /// The canonical payload signed (docs/protocols/binance-ws-api.md
    /// §Signing).
    pub payload: Vec<u8>,
    /// The hex signature on the wire.
    pub signature: String,
}

/// Checks that two pipelines signed the same orders byte for byte;
/// returns how many.
pub fn compare(hotline: &[SentOrder], baseline: &[SentOrder]) -> Result<usize, String> {
    if hotline.len() != baseline.len() {
        return Err(format!("hotline sent {} orders, the baseline {}", hotline.len(), baseline.len()));
    }
    for (h, b) in hotline.iter().zip(baseline) {
        if h != b {
            return Err(format!(
                "order {} differs:\n  hotline  {} {}\n  baseline {} {}",
                h.client_order_id,
                String::from_utf8_lossy(&h.payload),
                h.signature,
                String::from_utf8_lossy(&b.payload),
                b.signature
            ));
        }
    }
    Ok(hotline.len())
}

/// The timings of a run: per stage (the host's [`Stage`]s, end to end as
/// [`Stage::TickToWire`]) and of the inbound path, as histograms and as
/// sums for criterion; optionally every order sent.
#[derive(Debug)]
pub struct Tally {
    /// Outbound stage histograms.
    pub metrics: Metrics,
    /// TLS record with an ack in → order state updated, nanoseconds.
    pub inbound: Histogram<u64>,
    sums_ns: [u64; Stage::ALL.len()],
    inbound_sum_ns: u64,
    /// The orders sent, when kept.
    pub orders: Option<Vec<SentOrder>>,
    /// Orders the venue read, checked and answered.
    pub delivered: u64,
    /// Allocations on hotline's engine path as timed (a whale in, its
    /// record out; an answer's record in), where the process's allocator
    /// counts them ([`crate::alloc_count`]).
    pub allocations: u64,
}

impl Tally {
    /// An empty tally; `keep_orders` records every order for [`compare`].
    pub fn new(keep_orders: bool) -> Self {
        let inbound = Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("constant bounds are valid");
        Self {
            metrics: Metrics::new(),
            inbound,
            sums_ns: [0; Stage::ALL.len()],
            inbound_sum_ns: 0,
            orders: keep_orders.then(Vec::new),
            delivered: 0,
            allocations: 0,
        }
    }

    pub(crate) fn record(&mut self, stage: Stage, ns: u64) {
        self.metrics.record(stage, ns);
        if let Some(i) = Stage::ALL.iter().position(|s| *s == stage) {
            self.sums_ns[i] += ns;
        }
    }

    pub(crate) fn record_inbound(&mut self, ns: u64) {
        self.inbound.saturating_record(ns);
        self.inbound_sum_ns += ns;
    }

    /// Time spent in `stage` over all iterations.
    pub fn sum(&self, stage: Stage) -> Duration {
        let i = Stage::ALL.iter().position(|s| *s == stage).unwrap_or(0);
        Duration::from_nanos(self.sums_ns[i])
    }

    /// Time spent on the inbound path over all acks.
    pub fn inbound_sum(&self) -> Duration {
        Duration::from_nanos(self.inbound_sum_ns)
    }
}

/// A pipeline under test, behind a trait object: hotline's TLS engine is
/// a future whose type cannot be named outside the function that pins it.
pub trait Harness {
    /// Sends `n` orders, one fresh whale each after waiting as `pace`
    /// says, timing every iteration into `tally`; the venue answers every
    /// [`SETTLE_EVERY`] orders (untimed) and the answers' inbound path is
    /// timed too, where the pipeline has one.
    fn run(&mut self, n: u64, tally: &mut Tally, pace: &mut Pace) -> Result<(), String>;
}

/// How a pipeline waits before each whale: not at all (back to back, every
/// cache line and branch the path needs is hot), or a gap as real whales
/// leave, which the path spends asleep in the kernel or spinning on the
/// clock. Spinning, each turn is an idle turn of the pipeline's loop
/// (hotline's asks its venue for bytes to send, as `hotline run`'s loop
/// does every turn), with dry runs of the fire path where the pipeline has
/// them (hotline's warm path, docs/deploy.md §Warm path).
#[derive(Debug, Clone, Default)]
pub struct Pace {
    /// Time from the end of one whale to the next; zero: back to back.
    pub gap: Duration,
    /// Spin through the gap instead of sleeping.
    pub spin: bool,
    /// While spinning, a dry run this often.
    pub warm_every: Option<Duration>,
    /// Memory swept at the start of each gap, standing for the rest of the
    /// machine's work.
    sweep: Vec<u8>,
}

impl Pace {
    /// Back to back.
    pub fn back_to_back() -> Self {
        Self::default()
    }

    /// `gap` before every whale, sweeping `pollute_kb` KiB first.
    pub fn sparse(gap: Duration, pollute_kb: usize, spin: bool, warm_every: Option<Duration>) -> Self {
        Self { gap, spin, warm_every, sweep: vec![0; pollute_kb * 1024] }
    }

    /// Waits the gap; `turn(dry_run)` runs one idle turn of the loop,
    /// with a dry run when `dry_run`.
    pub fn wait(&mut self, mut turn: impl FnMut(bool)) {
        if self.gap.is_zero() {
            return;
        }
        let start = Instant::now();
        for line in self.sweep.chunks_mut(64) {
            line[0] = line[0].wrapping_add(1);
        }
        std::hint::black_box(&mut self.sweep);
        if !self.spin {
            std::thread::sleep(self.gap.saturating_sub(start.elapsed()));
            return;
        }
        // Dry runs keep their own cadence, as the engine's loop does.
        let mut next_warm = start + self.warm_every.unwrap_or_default();
        loop {
            let now = Instant::now();
            if now.duration_since(start) >= self.gap {
                return;
            }
            let dry_run = self.warm_every.is_some_and(|_| now >= next_warm);
            turn(dry_run);
            if let Some(every) = self.warm_every.filter(|_| dry_run) {
                next_warm = now + every;
            }
            std::hint::spin_loop();
        }
    }
}

/// A throwaway CA and a `localhost` leaf for the in-memory venue.
#[derive(Debug, Clone)]
pub struct Pki {
    /// The CA certificate, DER.
    pub ca: rustls::pki_types::CertificateDer<'static>,
    /// The venue's rustls configuration (TLS 1.3, ring).
    pub server: Arc<rustls::ServerConfig>,
}

impl Pki {
    /// Generates the certificates (ECDSA P-256, as Binance's).
    pub fn generate() -> Result<Self, String> {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
        let err = |e: rcgen::Error| format!("certificate generation: {e}");
        let named = |cn: &str| {
            let mut params = CertificateParams::default();
            params.distinguished_name.push(DnType::CommonName, cn);
            params
        };
        let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(err)?;
        let mut ca = named("hotline bench CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
        let issuer = Issuer::new(ca, ca_key);
        let leaf_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(err)?;
        let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).map_err(err)?;
        leaf.distinguished_name.push(DnType::CommonName, "localhost");
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(err)?;
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
        let server = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(|e| format!("rustls: {e}"))?
            .with_no_client_auth()
            .with_single_cert(vec![leaf_cert.der().clone()], key)
            .map_err(|e| format!("rustls: {e}"))?;
        Ok(Self { ca: ca_cert.der().clone(), server: Arc::new(server) })
    }
}

/// Unix time in milliseconds.
pub(crate) fn unix_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}
