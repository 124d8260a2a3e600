//! The whole engine as one sans-IO machine (DESIGN.md, "The sans-IO
//! contract"): bitcoind's ZMQ bytes go in through [`Engine::handle_feed`]
//! and become transactions, whale decisions, risk checks, signed
//! `order.place` requests, WebSocket frames and TLS records in one call;
//! the exchange's TLS bytes go in through [`Engine::handle_venue`] and
//! become acknowledgements, rejections and order states. The host moves
//! the bytes ([`Engine::poll_transmit`]), opens and closes the two TCP
//! connections when an [`Event`] asks, and calls [`Engine::handle_timeout`]
//! by [`Engine::poll_timeout`]. Time is always an argument: `now` is the
//! host's monotonic nanoseconds, and stage timestamps come from the
//! host's [`Stamp`] source.
//!
//! The venue session is explicit: connecting → TLS → WebSocket upgrade →
//! `session.logon` (Ed25519 keys) → syncing (server time, then
//! `order.status` for every order whose outcome is unknown) → trading →
//! draining → closed. Orders fire only while trading; an order is never
//! resent: one whose answer is lost is queried by its client order id
//! (EXCHANGES.md §1.5).

mod link;
pub mod orders;

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use crate::btc::tx::{Tx, TxHash};
use crate::feed::bitcoind::{self, Subscriber, Topic};
use crate::order::{
    Auth, BuildError, OrderType, PatchError, PlaceOrder, REQUEST_CAP, Session, Side, Slot, Template, TimeUnit,
};
use crate::risk::{self, Gate, Limits, OrderRequest};
use crate::strategy::whale::{Decision, Detector, Rules, Signal, Sizing, Suppression};
use crate::tls;
use crate::venue::binance::{self, Ack, Outcome, Rejection};
use crate::ws::{self, Client, MAX_HEADER_LEN, Message, Opcode, Request};

pub use link::Link;
pub use orders::{CAPACITY as ORDER_CAPACITY, Order, OrderState, Orders, UnknownCause};

/// Whales remembered for duplicate and replacement detection.
const WHALE_MEMORY: usize = 64;
/// Events held for the host between polls.
const EVENT_CAPACITY: usize = 64;
/// Largest whale kept to hash after its order is out; a bigger one is
/// hashed before.
const WHALE_COPY: usize = 4096;
/// Plaintext read from TLS per step.
const PLAIN_CHUNK: usize = 4096;
/// Plaintext waiting for room in the TLS queue.
const BACKLOG: usize = 4096;
/// Room for a request and its WebSocket header.
const FRAME: usize = MAX_HEADER_LEN + REQUEST_CAP;
/// Binance's "order does not exist" code, the answer that settles a query.
const NO_SUCH_ORDER: i32 = -2013;
/// Binance's "timestamp outside recvWindow" code.
const TIMESTAMP_OUTSIDE_WINDOW: i32 = -1021;
/// Binance's "signature invalid" code.
const BAD_SIGNATURE: i32 = -1022;
/// The only notifier the engine trades on.
const TOPICS: [Topic; 1] = [Topic::RawTx];

/// A cycle counter or clock read at each pipeline stage: the host's
/// choice (TSC, monotonic clock, or nothing at all).
pub trait Stamp {
    /// The current reading.
    fn stamp(&self) -> u64;
}

/// No stage timing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoStamp;

impl Stamp for NoStamp {
    fn stamp(&self) -> u64 {
        0
    }
}

/// The engine's clocks and limits, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// An order unanswered this long becomes unknown and is queried.
    pub request_timeout_ns: u64,
    /// Silence on the venue after which the engine pings.
    pub ping_interval_ns: u64,
    /// Silence on the venue after which the connection is dropped.
    pub venue_silence_ns: u64,
    /// Silence on the feed after which [`Event::FeedSilent`] is raised.
    pub feed_silence_ns: u64,
    /// First reconnect delay; doubles per failure, with jitter.
    pub reconnect_min_ns: u64,
    /// Longest reconnect delay.
    pub reconnect_max_ns: u64,
    /// Age at which a connection is rotated (Binance closes at 24 h).
    pub rotate_after_ns: u64,
    /// How long draining waits for outstanding answers.
    pub drain_timeout_ns: u64,
}

impl Default for Timers {
    fn default() -> Self {
        const S: u64 = 1_000_000_000;
        Self {
            request_timeout_ns: 5 * S,
            ping_interval_ns: 15 * S,
            venue_silence_ns: 60 * S,
            feed_silence_ns: 120 * S,
            reconnect_min_ns: S / 4,
            reconnect_max_ns: 30 * S,
            rotate_after_ns: 85_800 * S,
            drain_timeout_ns: 5 * S,
        }
    }
}

/// What the engine trades and how.
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    /// `Host` header of the WebSocket upgrade (`name[:port]`).
    pub host: &'a str,
    /// Request target of the upgrade, e.g. `/ws-api/v3`.
    pub path: &'a str,
    /// The order every signal places, on the signal's side (`side` here is
    /// ignored); `client_order_id` must be set.
    pub order: PlaceOrder<'a>,
    /// HMAC keys sign every request; Ed25519 keys log the session on.
    pub auth: Auth<'a>,
    /// Unit of `timestamp`.
    pub time_unit: TimeUnit,
    /// `recvWindow` in milliseconds, if not the venue's default.
    pub recv_window: Option<u32>,
    /// Signal strength to quantity.
    pub sizing: Sizing,
    /// Limit price in ticks (limit orders).
    pub limit_price: u64,
    /// Reference price in ticks for the risk gate's notional.
    pub reference_price: u64,
    /// Largest transaction read from the feed.
    pub max_tx_bytes: usize,
    /// Timers.
    pub timers: Timers,
    /// Unix time minus the host's monotonic `now`, in nanoseconds.
    pub unix_offset_ns: i64,
    /// The first client order id; the host makes ids unique across runs.
    pub first_client_order_id: u64,
}

/// Why the engine could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupError {
    /// A request template failed to render.
    Template(BuildError),
    /// Orders need a client order id slot (it is their idempotency key).
    NoClientOrderId,
    /// The feed buffer is smaller than this many bytes.
    FeedBuffer(usize),
}

/// Which connection a transmit or event concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// The node's ZMQ endpoint.
    Feed,
    /// The exchange's WebSocket API.
    Venue,
}

/// Where the venue session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VenueState {
    /// Waiting for the host's TCP connection.
    Connecting,
    /// TLS handshake.
    Tls,
    /// WebSocket upgrade.
    Upgrading,
    /// `session.logon` in flight.
    LoggingOn,
    /// Server time and reconciliation of unknown orders.
    Syncing,
    /// Orders fire.
    Trading,
    /// No new orders; waiting for outstanding answers.
    Draining,
    /// WebSocket close and close_notify sent.
    Closing,
    /// Waiting to reconnect.
    Backoff,
    /// Shut down for good.
    Closed,
}

/// Why the venue connection ended.
#[derive(Debug, Clone)]
pub enum VenueLoss {
    /// TLS failed.
    Tls(tls::Error),
    /// The WebSocket failed.
    Ws(ws::Error),
    /// The TCP connection failed or ended.
    Transport,
    /// Nothing arrived within the silence limit.
    Silent,
    /// `session.logon` was refused with this code.
    LogonRefused(i32),
    /// The server closed the WebSocket.
    PeerClosed,
}

/// Why a signal did not become an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// The venue session is not trading.
    NotTrading,
    /// The venue asked to wait (HTTP 429/418 `retryAfter`).
    RateLimited,
    /// The order table holds only unresolved orders.
    TableFull,
    /// The template refused a value.
    Patch(PatchError),
}

/// Host timestamps of one order's stages, from its feed message to its
/// sealed record; the host adds the submit stamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stages {
    /// The feed message began decoding.
    pub start: u64,
    /// The transaction was parsed.
    pub decoded: u64,
    /// The strategy decided.
    pub decided: u64,
    /// The risk gate passed it.
    pub checked: u64,
    /// Patched and signed.
    pub signed: u64,
    /// Framed for WebSocket.
    pub framed: u64,
    /// Sealed into TLS records.
    pub sealed: u64,
}

/// Something the host must act on or record. Events never carry secrets.
#[derive(Debug, Clone)]
pub enum Event {
    /// Open the TCP connection to the node, then [`Engine::feed_connected`].
    FeedConnect,
    /// The ZMTP handshake with the node completed.
    FeedUp,
    /// Messages were lost on the feed.
    FeedGap {
        /// The sequence number due.
        expected: u32,
        /// The one received.
        got: u32,
    },
    /// The node restarted.
    FeedRestart,
    /// A transaction above the size limit was skipped.
    FeedOversized {
        /// Its declared length.
        len: u64,
    },
    /// The feed broke the protocol; close the socket (a reconnect follows).
    FeedFailed(bitcoind::Error),
    /// No feed bytes for the configured time.
    FeedSilent,
    /// Open the TCP connection to the venue, then [`Engine::venue_connected`].
    VenueConnect,
    /// Close the venue socket.
    VenueClose,
    /// The venue session moved on.
    VenueState(VenueState),
    /// The venue connection was lost; a reconnect follows after `delay_ns`.
    VenueLost {
        /// Why.
        cause: VenueLoss,
        /// Backoff before the next attempt.
        delay_ns: u64,
    },
    /// `serverShutdown` or the connection's age: rotating it.
    Rotating,
    /// The venue's clock differs from ours by this much (server − local).
    ClockOffset {
        /// Nanoseconds.
        offset_ns: i64,
    },
    /// A whale that produced no order.
    Suppressed {
        /// The transaction.
        txid: TxHash,
        /// Why.
        reason: Suppression,
    },
    /// A signal the engine did not act on.
    Skipped {
        /// The signal.
        signal: Signal,
        /// Why.
        reason: Skip,
    },
    /// The risk gate's record (denials, kill switch).
    Risk(risk::Event),
    /// An order left in TLS records.
    OrderSent {
        /// Its client order id.
        client_order_id: u64,
        /// The signal behind it.
        signal: Signal,
        /// Quantity in steps.
        qty: u64,
        /// Stage timestamps.
        stages: Stages,
    },
    /// The venue accepted an order.
    OrderAcked {
        /// Its client order id.
        client_order_id: u64,
        /// Venue order id.
        order_id: Option<u64>,
        /// Send to answer, host nanoseconds.
        rtt_ns: u64,
    },
    /// The venue refused an order. For -1022 the host can show what was
    /// signed with [`Engine::canonical_payload`].
    OrderRejected {
        /// Its client order id.
        client_order_id: u64,
        /// The venue's error code.
        code: i32,
    },
    /// An order's outcome is unknown; it will be queried.
    OrderUnknown {
        /// Its client order id.
        client_order_id: u64,
        /// Why.
        cause: UnknownCause,
    },
    /// `order.status` settled an unknown order.
    OrderReconciled {
        /// Its client order id.
        client_order_id: u64,
        /// Whether it was placed.
        placed: bool,
    },
    /// The venue asked to pause until this host time.
    RateLimited {
        /// Host nanoseconds.
        until_ns: u64,
    },
    /// A response no request of this engine matches.
    UnmatchedResponse {
        /// Its status.
        status: u16,
    },
    /// A text frame the response codec could not read.
    BadFrame(binance::DecodeError),
}

/// Running totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// `rawtx` notifications read.
    pub txs_seen: u64,
    /// Transactions that failed to parse.
    pub txs_invalid: u64,
    /// Whales (signalled or suppressed).
    pub whales_detected: u64,
    /// Signals.
    pub signals: u64,
    /// Signals the risk gate denied.
    pub denied: u64,
    /// Signals skipped for another reason.
    pub skipped: u64,
    /// Orders sent.
    pub orders_sent: u64,
    /// Orders acknowledged.
    pub orders_acked: u64,
    /// Orders rejected.
    pub orders_rejected: u64,
    /// Times an order's outcome became unknown.
    pub orders_unknown: u64,
    /// Unknown orders settled by `order.status`.
    pub orders_reconciled: u64,
    /// Of those, orders the venue never placed.
    pub orders_reconciled_absent: u64,
    /// Feed gaps and restarts.
    pub feed_gaps: u64,
    /// Venue connections opened.
    pub venue_connects: u64,
}

/// The venue side: transport, WebSocket, and the buffers that move bytes.
struct VenueIo<'a, L> {
    link: L,
    ws: Client<'a>,
    rng: ChaCha20Rng,
    plain: [u8; PLAIN_CHUNK],
    frame: [u8; FRAME],
    backlog: [u8; BACKLOG],
    backlog_len: usize,
}

impl<L: Link> VenueIo<'_, L> {
    fn mask(&mut self) -> [u8; 4] {
        self.rng.next_u32().to_ne_bytes()
    }

    /// Queues plaintext for sealing, in order behind anything waiting.
    fn send(&mut self, data: &[u8]) -> Result<(), tls::Error> {
        queue(&mut self.link, &mut self.backlog, &mut self.backlog_len, data)
    }

    /// Queues `frame[start..end]`, framed in place, without copying it out.
    fn send_frame(&mut self, start: usize, end: usize) -> Result<(), tls::Error> {
        let frame = self.frame.get(start..end).unwrap_or_default();
        queue(&mut self.link, &mut self.backlog, &mut self.backlog_len, frame)
    }

    /// Moves backlog into TLS and owed WebSocket control frames after it.
    fn flush(&mut self) -> Result<(), tls::Error> {
        if self.backlog_len > 0 {
            let sent = self.link.send(self.backlog.get(..self.backlog_len).unwrap_or_default())?;
            self.backlog.copy_within(sent..self.backlog_len, 0);
            self.backlog_len -= sent;
        }
        if !self.ws.wants_transmit() {
            return Ok(());
        }
        let mut control = [0u8; 2 + 8 + 125];
        loop {
            let mask = self.mask();
            match self.ws.poll_transmit(&mut control, mask) {
                Some(Ok(n)) => self.send(control.get(..n).unwrap_or_default())?,
                Some(Err(_)) | None => return Ok(()),
            }
        }
    }

    /// Copies `request` behind room for a header and frames it as one text
    /// message; returns where the frame lies in `frame`.
    fn frame_text(&mut self, request: &[u8]) -> Result<(usize, usize), SendError> {
        let end = MAX_HEADER_LEN + request.len();
        self.frame.get_mut(MAX_HEADER_LEN..end).ok_or(SendError::TooLong)?.copy_from_slice(request);
        let mask = self.mask();
        let start = self
            .ws
            .encode(&mut self.frame, MAX_HEADER_LEN, request.len(), Opcode::Text, true, mask)
            .map_err(SendError::Ws)?;
        Ok((start, end))
    }

    /// Frames `request` as one text message and queues it.
    fn send_text(&mut self, request: &[u8]) -> Result<(), SendError> {
        let (start, end) = self.frame_text(request)?;
        self.send_frame(start, end).map_err(SendError::Tls)
    }
}

/// Hands `data` to TLS, keeping in `backlog` what its queue has no room
/// for yet, so plaintext is sealed in the order it was sent.
fn queue<L: Link>(link: &mut L, backlog: &mut [u8], backlog_len: &mut usize, data: &[u8]) -> Result<(), tls::Error> {
    let sent = if *backlog_len == 0 { link.send(data)? } else { 0 };
    let rest = data.get(sent..).unwrap_or_default();
    let room = backlog.get_mut(*backlog_len..).unwrap_or_default();
    let dst = room.get_mut(..rest.len()).ok_or(tls::Error::ShuttingDown)?;
    dst.copy_from_slice(rest);
    *backlog_len += rest.len();
    Ok(())
}

#[derive(Debug)]
enum SendError {
    TooLong,
    Ws(ws::Error),
    Tls(tls::Error),
}

/// The hotline engine.
pub struct Engine<'a, L, C> {
    sub: Subscriber<'static>,
    feed_buf: &'a mut [u8],
    feed_len: usize,
    io: VenueIo<'a, L>,
    st: State<'a, C>,
}

/// Everything but the byte movers, so message handlers can borrow it while
/// a decoded frame borrows the WebSocket buffer.
struct State<'a, C> {
    clock: C,
    settings: Settings<'a>,
    /// `order.place` for a buy and for a sell.
    place: [Template; 2],
    status: Template,
    logon: Option<Template>,
    detector: Detector<'a, WHALE_MEMORY>,
    gate: Gate,
    orders: Orders,
    venue: VenueState,
    shutting_down: bool,
    connected_at: u64,
    last_venue_rx: u64,
    ping_sent: bool,
    retry_at: u64,
    failures: u32,
    jitter: u64,
    drain_until: u64,
    /// The drain deadline was extended once to query unanswered orders.
    drain_extended: bool,
    /// Some order may have turned unknown since the last reconciliation
    /// pass (saves scanning the table on every poll).
    reconcile: bool,
    rotate: bool,
    logon_request: Option<u64>,
    logged_on: bool,
    time_request: Option<(u64, u64)>,
    time_synced: bool,
    venue_offset_ns: i64,
    paused_until: u64,
    feed_up: bool,
    feed_retry_at: Option<u64>,
    feed_failures: u32,
    last_feed_rx: u64,
    feed_silent: bool,
    next_request: u64,
    next_client_order_id: u64,
    events: heapless::Deque<Event, EVENT_CAPACITY>,
    events_dropped: u64,
    counters: Counters,
    /// The signalled whale whose txid is still to be computed: its bytes
    /// (`whale_len` of them; 0 when none).
    whale: [u8; WHALE_COPY],
    whale_len: usize,
}

impl<L, C> core::fmt::Debug for Engine<'_, L, C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Engine")
            .field("venue", &self.st.venue)
            .field("counters", &self.st.counters)
            .finish_non_exhaustive()
    }
}

impl<'a, L: Link, C: Stamp> Engine<'a, L, C> {
    /// Builds the engine over `link` (a TLS client whose first connection
    /// waits for [`venue_connected`](Self::venue_connected)). `feed_buffer`
    /// holds partial feed messages and `message_buffer` reassembles venue
    /// messages. `seed` is fresh entropy (masks, jitter). The first events
    /// ask the host to connect both streams.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        settings: Settings<'a>,
        rules: Rules<'a>,
        limits: Limits,
        link: L,
        clock: C,
        feed_buffer: &'a mut [u8],
        message_buffer: &'a mut [u8],
        seed: [u8; 32],
    ) -> Result<Self, SetupError> {
        if settings.order.client_order_id.is_none() {
            return Err(SetupError::NoClientOrderId);
        }
        let sub = Subscriber::new(&TOPICS, settings.max_tx_bytes);
        if feed_buffer.len() < sub.buffer_len() {
            return Err(SetupError::FeedBuffer(sub.buffer_len()));
        }
        let logon = matches!(settings.auth, Auth::Ed25519 { .. });
        let signing = Session { auth: settings.auth, time: settings.time_unit, recv_window: settings.recv_window };
        let trading = if logon { Session { auth: Auth::Session, ..signing } } else { signing };
        let id_width = settings.order.client_order_id.unwrap_or(0);
        let build = |side| {
            Template::order_place(&PlaceOrder { side, ..settings.order }, &trading).map_err(SetupError::Template)
        };
        let place = [build(Side::Buy)?, build(Side::Sell)?];
        let status = Template::order_status(settings.order.instrument.symbol, id_width, &trading)
            .map_err(SetupError::Template)?;
        let logon = if logon { Some(Template::session_logon(&signing).map_err(SetupError::Template)?) } else { None };
        // The client exists from the start; each connection restarts it.
        let mut scratch = [0u8; 512];
        let request = Request { host: settings.host, path: settings.path, key: [0; 16], headers: &[] };
        let (ws, _) = Client::connect(&request, &mut scratch, message_buffer)
            .map_err(|_| SetupError::Template(BuildError::NeedsEscape("host")))?;
        let mut st = State {
            clock,
            settings,
            place,
            status,
            logon,
            detector: Detector::new(rules),
            gate: Gate::new(limits),
            orders: Orders::default(),
            venue: VenueState::Connecting,
            shutting_down: false,
            connected_at: 0,
            last_venue_rx: 0,
            ping_sent: false,
            retry_at: 0,
            failures: 0,
            // Never zero: xorshift stays at zero forever.
            jitter: u64::from_le_bytes([seed[0], seed[1], seed[2], seed[3], seed[4], seed[5], seed[6], seed[7]]) | 1,
            drain_until: 0,
            drain_extended: false,
            reconcile: false,
            rotate: false,
            logon_request: None,
            logged_on: false,
            time_request: None,
            time_synced: false,
            venue_offset_ns: 0,
            paused_until: 0,
            feed_up: false,
            feed_retry_at: None,
            feed_failures: 0,
            last_feed_rx: 0,
            feed_silent: false,
            next_request: 1,
            next_client_order_id: settings.first_client_order_id,
            events: heapless::Deque::new(),
            events_dropped: 0,
            counters: Counters::default(),
            whale: [0; WHALE_COPY],
            whale_len: 0,
        };
        st.push(Event::FeedConnect);
        st.push(Event::VenueConnect);
        let io = VenueIo {
            link,
            ws,
            rng: ChaCha20Rng::from_seed(seed),
            plain: [0; PLAIN_CHUNK],
            frame: [0; FRAME],
            backlog: [0; BACKLOG],
            backlog_len: 0,
        };
        Ok(Self { sub, feed_buf: feed_buffer, feed_len: 0, io, st })
    }

    // ----- feed ---------------------------------------------------------

    /// The host connected to the node: the ZMTP greeting is ready in
    /// [`poll_transmit`](Self::poll_transmit).
    pub fn feed_connected(&mut self, now: u64) {
        self.sub.reconnect();
        self.feed_len = 0;
        self.st.feed_up = true;
        self.st.feed_retry_at = None;
        self.st.last_feed_rx = now;
        self.st.feed_silent = false;
    }

    /// The feed connection ended or could not be opened; a reconnect is
    /// asked for after a backoff that doubles until the node answers.
    pub fn feed_closed(&mut self, now: u64) {
        let st = &mut self.st;
        st.feed_up = false;
        self.feed_len = 0;
        if !st.shutting_down {
            let t = &st.settings.timers;
            let delay = t.reconnect_min_ns.saturating_mul(1 << st.feed_failures.min(20)).min(t.reconnect_max_ns);
            st.feed_failures = st.feed_failures.saturating_add(1);
            st.feed_retry_at = Some(now.saturating_add(delay));
        }
    }

    /// Bytes from the node, in any split. Every complete notification is
    /// acted on before this returns: a whale's order is sealed and waiting
    /// in [`poll_transmit`](Self::poll_transmit). On an error the feed
    /// must be closed ([`Event::FeedFailed`] says so too).
    pub fn handle_feed(&mut self, now: u64, mut input: &[u8]) -> Result<(), bitcoind::Error> {
        self.st.settle_whale();
        let start = self.st.clock.stamp();
        self.st.last_feed_rx = now;
        self.st.feed_silent = false;
        let result = (|| {
            if self.feed_len == 0 {
                // Common case: decode in place; keep only a partial tail.
                let used = drain(&mut self.sub, input, &mut self.io, &mut self.st, now, start)?;
                input = input.get(used..).unwrap_or_default();
            }
            while !input.is_empty() {
                let room = self.feed_buf.get_mut(self.feed_len..).unwrap_or_default();
                let take = room.len().min(input.len());
                if take == 0 {
                    return Err(bitcoind::Error::Zmtp(crate::feed::zmtp::Error::BufferTooSmall));
                }
                room.get_mut(..take).unwrap_or_default().copy_from_slice(input.get(..take).unwrap_or_default());
                self.feed_len += take;
                input = input.get(take..).unwrap_or_default();
                let data = self.feed_buf.get(..self.feed_len).unwrap_or_default();
                let used = drain(&mut self.sub, data, &mut self.io, &mut self.st, now, start)?;
                self.feed_buf.copy_within(used..self.feed_len, 0);
                self.feed_len -= used;
            }
            Ok(())
        })();
        if let Err(e) = result {
            self.st.push(Event::FeedFailed(e));
            self.feed_closed(now);
        }
        result
    }

    // ----- venue --------------------------------------------------------

    /// The host connected TCP to the venue: the TLS ClientHello (from the
    /// fresh entropy `seed`) is ready in [`poll_transmit`](Self::poll_transmit).
    pub fn venue_connected(&mut self, now: u64, seed: [u8; 32]) {
        self.io.link.reconnect(seed);
        self.io.backlog_len = 0;
        let st = &mut self.st;
        st.counters.venue_connects += 1;
        st.connected_at = now;
        st.last_venue_rx = now;
        st.ping_sent = false;
        st.rotate = false;
        st.logged_on = false;
        st.logon_request = None;
        st.time_request = None;
        st.time_synced = false;
        // Every connection starts by querying what is still unknown.
        st.reconcile = true;
        st.set_venue(VenueState::Tls);
    }

    /// The host could not open the TCP connection [`Event::VenueConnect`]
    /// asked for: a reconnect follows after the backoff.
    pub fn venue_connect_failed(&mut self, now: u64) {
        if self.st.venue == VenueState::Connecting {
            self.st.lost(now, VenueLoss::Transport);
        }
    }

    /// The venue's TCP connection ended (EOF or error).
    pub fn venue_closed(&mut self, now: u64) {
        match self.st.venue {
            VenueState::Closing => self.finish_close(now),
            // The end of a connection already given up, arriving after the
            // engine asked for the next one.
            VenueState::Connecting | VenueState::Backoff | VenueState::Closed => {}
            _ => {
                let cause = match self.io.link.handle_eof() {
                    Err(e) if !matches!(e, tls::Error::Truncated) => VenueLoss::Tls(e),
                    _ => VenueLoss::Transport,
                };
                self.st.lost(now, cause);
            }
        }
    }

    /// TLS bytes from the venue, in any split. Answers update order states
    /// and the risk gate before this returns.
    pub fn handle_venue(&mut self, now: u64, mut input: &[u8]) {
        self.st.last_venue_rx = now;
        self.st.ping_sent = false;
        loop {
            let used = match self.io.link.handle_input(input) {
                Ok(n) => n,
                Err(e) => return self.st.lost(now, VenueLoss::Tls(e)),
            };
            input = input.get(used..).unwrap_or_default();
            let got = match self.read_plaintext(now) {
                Ok(got) => got,
                Err(cause) => return self.st.lost(now, cause),
            };
            if input.is_empty() || (used == 0 && got == 0) {
                break;
            }
        }
        self.advance(now);
    }

    /// Decrypted bytes through the WebSocket into message handlers; returns
    /// how many plaintext bytes were read.
    fn read_plaintext(&mut self, now: u64) -> Result<usize, VenueLoss> {
        let mut total = 0;
        loop {
            let n = self.io.link.recv(&mut self.io.plain).map_err(VenueLoss::Tls)?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
            let mut at = 0;
            while at < n {
                let input = self.io.plain.get(at..n).unwrap_or_default();
                let (used, event) = self.io.ws.handle_input(input).map_err(VenueLoss::Ws)?;
                at += used;
                match event {
                    Some(ws::Event::Upgraded) => self.st.on_upgraded(),
                    Some(ws::Event::Message(Message::Text(text))) => self.st.on_text(now, text.as_bytes()),
                    Some(ws::Event::Message(Message::Close(_))) => {
                        // The client queued its reply; the session ends
                        // once that is sent.
                        self.st.set_venue(VenueState::Closing);
                    }
                    Some(ws::Event::Message(_)) | None => {}
                }
                if used == 0 && event.is_none() {
                    break;
                }
            }
        }
    }

    /// Ciphertext or ZMTP bytes to send on `stream`, written into `buf`;
    /// `None` when there are none. Sealed orders leave here.
    pub fn poll_transmit(&mut self, now: u64, stream: Stream, buf: &mut [u8]) -> Option<usize> {
        match stream {
            Stream::Feed => {
                if !self.st.feed_up {
                    return None;
                }
                match self.sub.poll_transmit(buf) {
                    Ok(n) => n,
                    Err(e) => {
                        self.st.push(Event::FeedFailed(e));
                        self.feed_closed(now);
                        None
                    }
                }
            }
            Stream::Venue => {
                if matches!(self.st.venue, VenueState::Connecting | VenueState::Backoff) {
                    return None;
                }
                self.advance(now);
                if let Err(e) = self.io.flush() {
                    self.st.lost(now, VenueLoss::Tls(e));
                    return None;
                }
                let n = self.io.link.poll_output(buf);
                if n == 0 {
                    if self.st.venue == VenueState::Closing && self.io.link.state() == tls::State::Closed {
                        self.finish_close(now);
                    }
                    return None;
                }
                Some(n)
            }
        }
    }

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.st.settle_whale();
        self.st.drain_gate();
        self.st.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due.
    pub fn poll_timeout(&self) -> Option<u64> {
        let st = &self.st;
        let t = &st.settings.timers;
        let mut next: Option<u64> = None;
        let mut at = |deadline: u64| next = Some(next.map_or(deadline, |n| n.min(deadline)));
        if let Some(retry) = st.feed_retry_at {
            at(retry);
        }
        if st.feed_up && !st.feed_silent {
            at(st.last_feed_rx.saturating_add(t.feed_silence_ns));
        }
        match st.venue {
            VenueState::Backoff => at(st.retry_at),
            VenueState::Connecting | VenueState::Closed => {}
            _ => {
                at(st.last_venue_rx.saturating_add(if st.ping_sent { t.venue_silence_ns } else { t.ping_interval_ns }));
                at(st.connected_at.saturating_add(t.rotate_after_ns));
                if st.venue == VenueState::Draining {
                    at(st.drain_until);
                }
                for o in st.orders.iter() {
                    if matches!(o.state, OrderState::Sent | OrderState::Querying) {
                        at(o.sent_ns.saturating_add(t.request_timeout_ns));
                    }
                }
            }
        }
        next
    }

    /// Runs every timer due at `now`.
    pub fn handle_timeout(&mut self, now: u64) {
        let timers = self.st.settings.timers;
        let st = &mut self.st;
        if st.feed_retry_at.is_some_and(|t| now >= t) {
            st.feed_retry_at = None;
            st.push(Event::FeedConnect);
        }
        if st.feed_up && !st.feed_silent && now.saturating_sub(st.last_feed_rx) >= timers.feed_silence_ns {
            st.feed_silent = true;
            st.push(Event::FeedSilent);
        }
        match st.venue {
            VenueState::Backoff if now >= st.retry_at => {
                st.set_venue(VenueState::Connecting);
                st.push(Event::VenueConnect);
            }
            VenueState::Connecting | VenueState::Backoff | VenueState::Closed => {}
            _ => {
                let quiet = now.saturating_sub(st.last_venue_rx);
                if quiet >= timers.venue_silence_ns {
                    return st.lost(now, VenueLoss::Silent);
                }
                if quiet >= timers.ping_interval_ns && !st.ping_sent && st.venue != VenueState::Closing {
                    st.ping_sent = true;
                    let mask = self.io.mask();
                    let ping = self.io.ws.encode(&mut self.io.frame, MAX_HEADER_LEN, 0, Opcode::Ping, true, mask);
                    if let Ok(start) = ping
                        && let Err(e) = self.io.send_frame(start, MAX_HEADER_LEN)
                    {
                        return self.st.lost(now, VenueLoss::Tls(e));
                    }
                }
                let st = &mut self.st;
                if now.saturating_sub(st.connected_at) >= timers.rotate_after_ns && !st.rotate {
                    st.rotate = true;
                    st.push(Event::Rotating);
                }
                st.unknown_in_flight(UnknownCause::Timeout, now.saturating_sub(timers.request_timeout_ns));
            }
        }
        self.advance(now);
    }

    // ----- control ------------------------------------------------------

    /// Stops firing, waits for outstanding answers up to the drain timeout,
    /// then closes the WebSocket and TLS. The host keeps polling until
    /// [`is_finished`](Self::is_finished).
    pub fn shutdown(&mut self, now: u64) {
        let st = &mut self.st;
        st.shutting_down = true;
        st.feed_retry_at = None;
        match st.venue {
            VenueState::Connecting | VenueState::Backoff | VenueState::Tls | VenueState::Upgrading => {
                st.set_venue(VenueState::Closed);
                st.push(Event::VenueClose);
            }
            VenueState::Closing | VenueState::Closed | VenueState::Draining => {}
            VenueState::LoggingOn | VenueState::Syncing | VenueState::Trading => {
                st.drain_until = now.saturating_add(st.settings.timers.drain_timeout_ns);
                st.drain_extended = false;
                st.set_venue(VenueState::Draining);
            }
        }
        self.advance(now);
    }

    /// Whether shutdown has finished.
    pub fn is_finished(&self) -> bool {
        self.st.venue == VenueState::Closed
    }

    /// Engages the kill switch: no order fires until re-armed.
    pub fn kill(&mut self, now: u64) {
        self.st.gate.kill(now);
    }

    /// Where the venue session stands.
    pub fn venue_state(&self) -> VenueState {
        self.st.venue
    }

    /// Running totals.
    pub fn counters(&self) -> &Counters {
        &self.st.counters
    }

    /// Every tracked order.
    pub fn orders(&self) -> &Orders {
        &self.st.orders
    }

    /// The risk gate.
    pub fn gate(&self) -> &Gate {
        &self.st.gate
    }

    /// Events lost because the host did not poll in time.
    pub fn events_dropped(&self) -> u64 {
        self.st.events_dropped
    }

    /// The venue clock offset in use (server − local), nanoseconds.
    pub fn venue_offset_ns(&self) -> i64 {
        self.st.venue_offset_ns
    }

    /// The exact signature payload an order was signed over (EXCHANGES.md
    /// §1.3), rebuilt from what was sent, to show beside a -1022.
    pub fn canonical_payload(&mut self, client_order_id: u64) -> Option<&[u8]> {
        let o = *self.st.orders.get(client_order_id)?;
        let t = &mut self.st.place[side_index(o.side)];
        let mut set = |slot, value| if t.has(slot) { t.set(slot, value) } else { Ok(()) };
        set(Slot::ClientOrderId, o.client_order_id)
            .and(set(Slot::Price, o.price))
            .and(set(Slot::Quantity, o.qty))
            .and(set(Slot::Timestamp, o.timestamp))
            .ok()?;
        Some(self.st.place[side_index(o.side)].payload())
    }

    // ----- the session machine ------------------------------------------

    /// Moves the venue session forward and sends what the state calls for.
    fn advance(&mut self, now: u64) {
        if let Err(cause) = self.step(now) {
            self.st.lost(now, cause);
        }
    }

    fn step(&mut self, now: u64) -> Result<(), VenueLoss> {
        let io = &mut self.io;
        let st = &mut self.st;
        let send = |io: &mut VenueIo<'a, L>, request: &[u8]| {
            io.send_text(request).map_err(|e| match e {
                SendError::Tls(e) => VenueLoss::Tls(e),
                SendError::Ws(e) => VenueLoss::Ws(e),
                SendError::TooLong => VenueLoss::Transport,
            })
        };
        loop {
            let before = st.venue;
            match st.venue {
                VenueState::Tls if io.link.state() == tls::State::Established => {
                    let mut key = [0u8; 16];
                    io.rng.fill_bytes(&mut key);
                    let request = Request { host: st.settings.host, path: st.settings.path, key, headers: &[] };
                    let n = io.ws.reconnect(&request, &mut io.frame).map_err(VenueLoss::Ws)?;
                    io.send_frame(0, n).map_err(VenueLoss::Tls)?;
                    st.set_venue(VenueState::Upgrading);
                }
                VenueState::LoggingOn => {
                    if st.logged_on {
                        st.set_venue(VenueState::Syncing);
                    } else if st.logon_request.is_none() {
                        let id = st.request_id();
                        let timestamp = st.timestamp(now);
                        if let Some(t) = st.logon.as_mut() {
                            t.set(Slot::RequestId, id)
                                .and_then(|()| t.set(Slot::Timestamp, timestamp))
                                .and_then(|()| t.sign())
                                .map_err(|_| VenueLoss::Transport)?;
                            send(io, t.request())?;
                        }
                        st.logon_request = Some(id);
                    }
                }
                VenueState::Syncing | VenueState::Trading | VenueState::Draining => {
                    if !st.time_synced && st.time_request.is_none() {
                        let id = st.request_id();
                        let mut request = *br#"{"id":"00000000000000000000","method":"time"}"#;
                        crate::order::digits::write_padded(id, request.get_mut(7..27).unwrap_or_default())
                            .map_err(|_| VenueLoss::Transport)?;
                        send(io, &request)?;
                        st.time_request = Some((id, now));
                    }
                    // Shutting down and out of patience: what is still
                    // unanswered is queried once before the connection goes.
                    if st.venue == VenueState::Draining && now >= st.drain_until && !st.drain_extended {
                        st.drain_extended = true;
                        st.drain_until = now.saturating_add(st.settings.timers.request_timeout_ns);
                        st.unknown_in_flight(UnknownCause::Timeout, u64::MAX);
                    }
                    // Reconcile before trading: every unknown order is
                    // queried by its client order id.
                    if core::mem::take(&mut st.reconcile) {
                        for o in st.orders.iter_mut().filter(|o| o.state == OrderState::Unknown) {
                            let id = st.next_request;
                            st.next_request += 1;
                            let t = &mut st.status;
                            let timestamp = timestamp_at(&st.settings, st.venue_offset_ns, now);
                            t.set(Slot::RequestId, id)
                                .and_then(|()| t.set(Slot::OrigClientOrderId, o.client_order_id))
                                .and_then(|()| t.set(Slot::Timestamp, timestamp))
                                .and_then(|()| t.sign())
                                .map_err(|_| VenueLoss::Transport)?;
                            send(io, t.request())?;
                            o.state = OrderState::Querying;
                            o.status_request = Some(id);
                            o.sent_ns = now;
                        }
                    }
                    if st.venue == VenueState::Syncing
                        && st.time_synced
                        && !st.orders.iter().any(|o| o.state == OrderState::Querying)
                    {
                        st.failures = 0;
                        st.set_venue(VenueState::Trading);
                    }
                    if st.venue == VenueState::Trading && (st.rotate || st.shutting_down) {
                        st.drain_until = now.saturating_add(st.settings.timers.drain_timeout_ns);
                        st.drain_extended = false;
                        st.set_venue(VenueState::Draining);
                    }
                    let out_of_time = now >= st.drain_until && st.drain_extended;
                    if st.venue == VenueState::Draining && (st.orders.in_flight() == 0 || out_of_time) {
                        io.ws.close(ws::decode::close_code::NORMAL, "");
                        io.flush().map_err(VenueLoss::Tls)?;
                        io.link.close().map_err(VenueLoss::Tls)?;
                        st.set_venue(VenueState::Closing);
                    }
                }
                _ => {}
            }
            if st.venue == before {
                return Ok(());
            }
        }
    }

    /// The close handshake is done: close TCP, then reconnect or stop.
    fn finish_close(&mut self, now: u64) {
        let st = &mut self.st;
        st.push(Event::VenueClose);
        st.unknown_in_flight(UnknownCause::ConnectionLost, u64::MAX);
        if st.shutting_down {
            st.set_venue(VenueState::Closed);
        } else {
            // A rotation: connect again at once.
            st.retry_at = now;
            st.set_venue(VenueState::Connecting);
            st.push(Event::VenueConnect);
        }
    }
}

/// Feeds `data` to the subscriber until it needs more, acting on each
/// notification; returns the bytes consumed.
fn drain<L: Link, C: Stamp>(
    sub: &mut Subscriber<'_>,
    data: &[u8],
    io: &mut VenueIo<'_, L>,
    st: &mut State<'_, C>,
    now: u64,
    start: u64,
) -> Result<usize, bitcoind::Error> {
    let mut used = 0;
    let mut t0 = start;
    loop {
        let (n, event) = sub.handle(data.get(used..).unwrap_or_default())?;
        used += n;
        let Some(event) = event else {
            if n == 0 {
                return Ok(used);
            }
            continue;
        };
        match event {
            bitcoind::Event::Notification(note) if note.topic == Topic::RawTx => {
                st.on_rawtx(io, now, note.body, t0);
                t0 = st.clock.stamp();
            }
            bitcoind::Event::Notification(_) | bitcoind::Event::Ping | bitcoind::Event::IgnoredCommand { .. } => {}
            bitcoind::Event::Connected { .. } => {
                st.feed_failures = 0;
                st.push(Event::FeedUp);
            }
            bitcoind::Event::Gap { expected, got, .. } => {
                st.on_gap(now);
                st.push(Event::FeedGap { expected, got });
            }
            bitcoind::Event::Restart { .. } => {
                st.on_gap(now);
                st.push(Event::FeedRestart);
            }
            bitcoind::Event::Oversized { len, .. } => st.push(Event::FeedOversized { len }),
            bitcoind::Event::PeerError { .. } => return Err(bitcoind::Error::BadShape),
        }
    }
}

fn timestamp_at(settings: &Settings<'_>, venue_offset_ns: i64, now: u64) -> u64 {
    let unix_ns = i128::from(now) + i128::from(settings.unix_offset_ns) + i128::from(venue_offset_ns);
    let unix_ns = u64::try_from(unix_ns).unwrap_or(0);
    match settings.time_unit {
        TimeUnit::Millis => unix_ns / 1_000_000,
        TimeUnit::Micros => unix_ns / 1_000,
    }
}

impl<C: Stamp> State<'_, C> {
    fn push(&mut self, event: Event) {
        if self.events.push_back(event).is_err() {
            self.events_dropped += 1;
        }
    }

    fn drain_gate(&mut self) {
        while let Some(e) = self.gate.poll_event() {
            self.push(Event::Risk(e));
        }
    }

    fn set_venue(&mut self, state: VenueState) {
        if self.venue != state {
            self.venue = state;
            self.push(Event::VenueState(state));
        }
    }

    fn request_id(&mut self) -> u64 {
        let id = self.next_request;
        self.next_request += 1;
        id
    }

    fn timestamp(&self, now: u64) -> u64 {
        timestamp_at(&self.settings, self.venue_offset_ns, now)
    }

    fn on_gap(&mut self, now: u64) {
        self.counters.feed_gaps += 1;
        self.detector.on_feed_gap(now);
        self.gate.on_feed_gap(now);
    }

    /// Every order in flight since `sent_by` or earlier becomes unknown: it
    /// may have executed. Its status is queried on the next chance.
    fn unknown_in_flight(&mut self, cause: UnknownCause, sent_by: u64) {
        for o in self.orders.iter_mut() {
            if matches!(o.state, OrderState::Sent | OrderState::Querying) && o.sent_ns <= sent_by {
                if o.state == OrderState::Sent {
                    self.counters.orders_unknown += 1;
                    let event = Event::OrderUnknown { client_order_id: o.client_order_id, cause };
                    if self.events.push_back(event).is_err() {
                        self.events_dropped += 1;
                    }
                }
                o.state = OrderState::Unknown;
                o.status_request = None;
                self.reconcile = true;
            }
        }
    }

    /// The connection is gone: orders in flight become unknown, and a
    /// reconnect follows after a jittered, doubling backoff.
    fn lost(&mut self, now: u64, cause: VenueLoss) {
        self.unknown_in_flight(UnknownCause::ConnectionLost, u64::MAX);
        self.push(Event::VenueClose);
        if self.shutting_down {
            self.push(Event::VenueLost { cause, delay_ns: 0 });
            self.set_venue(VenueState::Closed);
            return;
        }
        let t = &self.settings.timers;
        let base = t.reconnect_min_ns.saturating_mul(1 << self.failures.min(20)).min(t.reconnect_max_ns);
        // Up to a quarter more, at random, so that engines cut off together
        // do not reconnect together (xorshift64* from the host's seed).
        self.jitter ^= self.jitter << 13;
        self.jitter ^= self.jitter >> 7;
        self.jitter ^= self.jitter << 17;
        let jitter = self.jitter.wrapping_mul(0x2545_F491_4F6C_DD1D) % (base / 4 + 1);
        let delay = base.saturating_add(jitter);
        self.failures = self.failures.saturating_add(1);
        self.retry_at = now.saturating_add(delay);
        self.push(Event::VenueLost { cause, delay_ns: delay });
        self.set_venue(VenueState::Backoff);
    }

    fn on_upgraded(&mut self) {
        let next = if self.logon.is_some() { VenueState::LoggingOn } else { VenueState::Syncing };
        self.set_venue(next);
    }

    /// Computes the txid of the whale kept by [`on_rawtx`](Self::on_rawtx)
    /// and fills it into its queued event: work that waits until the host
    /// has the order's bytes.
    fn settle_whale(&mut self) {
        if self.whale_len == 0 {
            return;
        }
        let body = self.whale.get(..self.whale_len).unwrap_or_default();
        self.whale_len = 0;
        // It parsed when it arrived.
        let Ok(tx) = Tx::parse(body) else { return };
        let txid = self.detector.settle(&tx);
        for event in self.events.iter_mut() {
            if let Event::OrderSent { signal, .. } | Event::Skipped { signal, .. } = event
                && signal.txid == TxHash::UNKNOWN
            {
                signal.txid = txid;
                return;
            }
        }
    }

    /// One transaction from the feed, through strategy and risk to a
    /// sealed order; the txid of a signalled whale is computed after.
    fn on_rawtx<L: Link>(&mut self, io: &mut VenueIo<'_, L>, now: u64, body: &[u8], t0: u64) {
        self.counters.txs_seen += 1;
        let Ok(tx) = Tx::parse(body) else {
            self.counters.txs_invalid += 1;
            return;
        };
        let decoded = self.clock.stamp();
        let signal = match self.detector.evaluate_deferred(now, &tx) {
            Decision::Ignore => return,
            Decision::Suppressed { txid, reason } => {
                self.counters.whales_detected += 1;
                return self.push(Event::Suppressed { txid, reason });
            }
            Decision::Signal(mut signal) => {
                // The txid waits until the order is out, unless another
                // whale already waits or this one is too big to keep.
                let keep = self.whale_len == 0 && body.len() <= WHALE_COPY;
                match self.whale.get_mut(..body.len()) {
                    Some(copy) if keep => {
                        copy.copy_from_slice(body);
                        self.whale_len = body.len();
                    }
                    _ => signal.txid = self.detector.settle(&tx),
                }
                signal
            }
        };
        self.counters.whales_detected += 1;
        self.counters.signals += 1;
        let decided = self.clock.stamp();
        let skip = if self.venue != VenueState::Trading {
            Some(Skip::NotTrading)
        } else if now < self.paused_until {
            Some(Skip::RateLimited)
        } else {
            None
        };
        if let Some(reason) = skip {
            self.counters.skipped += 1;
            return self.push(Event::Skipped { signal, reason });
        }
        let qty = self.settings.sizing.quantity(&signal);
        let limit = !matches!(self.settings.order.order_type, OrderType::Market);
        let price = if limit { self.settings.limit_price } else { 0 };
        let request = OrderRequest { side: signal.side, qty, price: self.settings.reference_price };
        if self.gate.check(now, &request).is_err() {
            self.counters.denied += 1;
            return;
        }
        let checked = self.clock.stamp();
        let client_order_id = self.next_client_order_id;
        let timestamp = self.timestamp(now);
        let order = Order {
            client_order_id,
            request_id: self.next_request,
            status_request: None,
            side: signal.side,
            qty,
            price,
            timestamp,
            sent_ns: now,
            state: OrderState::Sent,
        };
        let fail = |st: &mut Self, reason| {
            st.gate.on_closed(signal.side, qty);
            st.counters.skipped += 1;
            st.push(Event::Skipped { signal, reason });
        };
        if !self.orders.insert(order) {
            return fail(self, Skip::TableFull);
        }
        self.next_client_order_id += 1;
        self.next_request += 1;
        let t = &mut self.place[side_index(signal.side)];
        let patched = t
            .set(Slot::RequestId, order.request_id)
            .and_then(|()| t.set(Slot::ClientOrderId, client_order_id))
            .and_then(|()| if limit { t.set(Slot::Price, price) } else { Ok(()) })
            .and_then(|()| t.set(Slot::Quantity, qty))
            .and_then(|()| t.set(Slot::Timestamp, timestamp))
            .and_then(|()| t.sign());
        if let Err(e) = patched {
            if let Some(o) = self.orders.by_request(order.request_id) {
                o.state = OrderState::ReconciledAbsent;
            }
            return fail(self, Skip::Patch(e));
        }
        let signed = self.clock.stamp();
        let framed_at = io.frame_text(self.place[side_index(signal.side)].request());
        let framed = self.clock.stamp();
        let sealed = framed_at.and_then(|(start, end)| io.send_frame(start, end).map_err(SendError::Tls));
        let sealed_at = self.clock.stamp();
        if sealed.is_err() {
            // Never on the wire: the connection is failing and the order
            // is settled as not placed.
            if let Some(o) = self.orders.by_request(order.request_id) {
                o.state = OrderState::ReconciledAbsent;
            }
            return fail(self, Skip::NotTrading);
        }
        self.counters.orders_sent += 1;
        let stages = Stages { start: t0, decoded, decided, checked, signed, framed, sealed: sealed_at };
        self.push(Event::OrderSent { client_order_id, signal, qty, stages });
    }

    /// A text frame from the venue.
    fn on_text(&mut self, now: u64, text: &[u8]) {
        let response = match binance::decode(text) {
            Ok(binance::Message::Response(r)) => r,
            Ok(binance::Message::ServerShutdown { .. }) => {
                if !self.rotate {
                    self.rotate = true;
                    self.push(Event::Rotating);
                }
                return;
            }
            Ok(binance::Message::Event(_)) => return,
            Err(e) => return self.push(Event::BadFrame(e)),
        };
        if let Some(Outcome::Rejected(r) | Outcome::Unknown(Some(r))) = Some(&response.outcome) {
            if let Some(after) = r.retry_after {
                let wait_ms = i128::from(after) - i128::from(self.timestamp(now)) / self.unit_per_ms();
                let until = now.saturating_add(u64::try_from(wait_ms.max(0)).unwrap_or(0).saturating_mul(1_000_000));
                self.paused_until = self.paused_until.max(until);
                self.push(Event::RateLimited { until_ns: until });
            }
            if r.code == TIMESTAMP_OUTSIDE_WINDOW {
                // Our clock drifted from the venue's: measure it again.
                self.time_synced = false;
                self.time_request = None;
            }
        }
        let id = response.id.and_then(parse_id);
        let Some(id) = id else {
            return self.push(Event::UnmatchedResponse { status: response.status });
        };
        if self.time_request.is_some_and(|(t, _)| t == id) {
            return self.on_time(now, &response.outcome);
        }
        if self.logon_request == Some(id) {
            return match &response.outcome {
                Outcome::Accepted(_) => {
                    self.logged_on = true;
                }
                Outcome::Rejected(r) | Outcome::Unknown(Some(r)) => self.lost(now, VenueLoss::LogonRefused(r.code)),
                Outcome::Unknown(None) => self.lost(now, VenueLoss::LogonRefused(0)),
            };
        }
        let Some(order) = self.orders.by_request(id) else {
            return self.push(Event::UnmatchedResponse { status: response.status });
        };
        let o = *order;
        let is_status = o.status_request == Some(id);
        if o.state.is_final() {
            return;
        }
        let (state, event) = match (&response.outcome, is_status) {
            (Outcome::Accepted(ack), false) => {
                self.gate.on_ack();
                self.settle(&o, ack);
                self.counters.orders_acked += 1;
                let rtt_ns = now.saturating_sub(o.sent_ns);
                (
                    OrderState::Acked,
                    Event::OrderAcked { client_order_id: o.client_order_id, order_id: ack.order_id, rtt_ns },
                )
            }
            (Outcome::Rejected(r), false) => {
                self.gate.on_reject(now, o.side, o.qty);
                self.counters.orders_rejected += 1;
                (OrderState::Rejected, Event::OrderRejected { client_order_id: o.client_order_id, code: r.code })
            }
            (Outcome::Unknown(_), false) => {
                self.counters.orders_unknown += 1;
                self.reconcile = true;
                (
                    OrderState::Unknown,
                    Event::OrderUnknown { client_order_id: o.client_order_id, cause: UnknownCause::Venue },
                )
            }
            (Outcome::Accepted(ack), true) => {
                self.settle(&o, ack);
                self.counters.orders_reconciled += 1;
                (
                    OrderState::ReconciledPlaced,
                    Event::OrderReconciled { client_order_id: o.client_order_id, placed: true },
                )
            }
            (Outcome::Rejected(Rejection { code: NO_SUCH_ORDER, .. }), true) => {
                self.gate.on_closed(o.side, o.qty);
                self.counters.orders_reconciled += 1;
                self.counters.orders_reconciled_absent += 1;
                (
                    OrderState::ReconciledAbsent,
                    Event::OrderReconciled { client_order_id: o.client_order_id, placed: false },
                )
            }
            // The query itself failed: ask again.
            (Outcome::Rejected(_) | Outcome::Unknown(_), true) => {
                if let Some(order) = self.orders.by_request(id) {
                    order.state = OrderState::Unknown;
                    order.status_request = None;
                    self.reconcile = true;
                }
                return;
            }
        };
        if let Some(order) = self.orders.by_request(id) {
            order.state = state;
            order.status_request = None;
        }
        if let Event::OrderRejected { code: BAD_SIGNATURE, .. } = event {
            // Nothing else signed with this key will pass either.
            self.gate.on_bad_signature(now);
        }
        self.push(event);
    }

    /// An acknowledged order's fills and closure, from its `status`.
    fn settle(&mut self, o: &Order, ack: &Ack<'_>) {
        match ack.status {
            Some("FILLED") => {
                self.gate.on_fill(o.side, o.qty);
                self.gate.on_closed(o.side, 0);
            }
            Some("CANCELED" | "EXPIRED" | "REJECTED" | "EXPIRED_IN_MATCH") => self.gate.on_closed(o.side, o.qty),
            _ => {}
        }
    }

    fn on_time(&mut self, now: u64, outcome: &Outcome<'_>) {
        let Some((_, sent)) = self.time_request.take() else { return };
        let Outcome::Accepted(Ack { server_time: Some(server_ms), .. }) = outcome else { return };
        // The server read its clock about halfway through the round trip.
        let midpoint = sent + now.saturating_sub(sent) / 2;
        let local_ns = i128::from(midpoint) + i128::from(self.settings.unix_offset_ns);
        let offset = i128::from(*server_ms) * 1_000_000 - local_ns;
        self.venue_offset_ns = i64::try_from(offset).unwrap_or(0);
        self.time_synced = true;
        self.push(Event::ClockOffset { offset_ns: self.venue_offset_ns });
    }

    fn unit_per_ms(&self) -> i128 {
        match self.settings.time_unit {
            TimeUnit::Millis => 1,
            TimeUnit::Micros => 1_000,
        }
    }
}

fn side_index(side: Side) -> usize {
    match side {
        Side::Buy => 0,
        Side::Sell => 1,
    }
}

/// A request id as the engine writes them: 20 decimal digits.
fn parse_id(id: &str) -> Option<u64> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_round_trip_and_foreign_ids_do_not_match() {
        assert_eq!(parse_id("00000000000000000042"), Some(42));
        assert_eq!(parse_id("abc"), None);
        assert_eq!(parse_id(""), None);
        assert_eq!(parse_id("-1"), None);
    }
}
