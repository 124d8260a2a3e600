//! What the engine tells the host: the events it queues for
//! [`Engine::poll_event`](super::Engine::poll_event) (connect and close requests, feed health, venue
//! states, signals, orders and their outcomes), why a venue connection
//! ended or a signal was skipped, the stage stamps of each order, and the
//! running counters. Events never carry secrets.

use super::orders::UnknownCause;
use crate::btc::tx::TxHash;
use crate::feed::bitcoind;
use crate::ledger::Fill;
use crate::market::NoQuote;
use crate::risk;
use crate::strategy::whale::{Signal, Suppression};
use crate::tls;
use crate::venue::market::MarketError;
use crate::venue::{DecodeError, RequestError};
use crate::ws;

/// Bytes of a market-data `error` message's text an event keeps.
pub const ERROR_TEXT: usize = 96;

/// `parts` one after the other, cut on a character boundary at
/// [`ERROR_TEXT`] bytes.
pub(super) fn text<'t>(parts: impl IntoIterator<Item = &'t str>) -> heapless::String<ERROR_TEXT> {
    let mut text = heapless::String::new();
    for c in parts.into_iter().flat_map(str::chars) {
        if text.push(c).is_err() {
            break;
        }
    }
    text
}

/// Which connection a transmit or event concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// A node's ZMQ endpoint, by its index in the configured nodes.
    Feed(usize),
    /// The exchange's WebSocket API.
    Venue,
    /// The exchange's market-data stream (`market.rs`).
    Market,
}

/// Where the market-data connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketState {
    /// Waiting for the host's TCP connection.
    Connecting,
    /// TLS handshake.
    Tls,
    /// WebSocket upgrade.
    Upgrading,
    /// Top-of-book updates arrive.
    Streaming,
    /// WebSocket close and close_notify sent.
    Closing,
    /// Waiting to reconnect.
    Backoff,
    /// Shut down for good.
    Closed,
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
    /// A session request (logon, clock, order query) could not be written:
    /// a local failure, not the network's.
    Request(RequestError),
    /// Nothing arrived within the silence limit.
    Silent,
    /// A session request (logon, clock) went unanswered for the request
    /// timeout while the connection stayed alive.
    Unanswered,
    /// `session.logon` was refused with this code.
    LogonRefused(i32),
    /// The user data subscription was refused with this code.
    SubscribeRefused(i32),
    /// The server closed the WebSocket.
    PeerClosed,
    /// The market-data stream sent an `error` message (Coinbase's feed: a
    /// refused subscription, a consumer too slow); [`Event::MarketErrorMessage`]
    /// carries its text.
    ErrorMessage,
    /// The venue broke its protocol's framing or session rules (a FIX
    /// message number too low, a CheckSum that does not add up, no
    /// answer to a TestRequest).
    Protocol(DecodeError),
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
    /// The order's request could not be written (a value too wide for its
    /// field, a signing failure): a local failure, nothing was sent.
    Request(RequestError),
    /// Framing or sealing the signed order failed: the connection is
    /// failing ([`Event::VenueLost`] follows) and nothing was sent.
    SendFailed,
    /// Orders are priced from the book, and the book gives no price:
    /// absent, older than the configured age, or crossed.
    NoQuote(NoQuote),
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
    /// Open the TCP connection to `node`, then
    /// [`Engine::feed_connected`](super::Engine::feed_connected).
    FeedConnect {
        /// The node.
        node: usize,
    },
    /// The ZMTP handshake with `node` completed.
    FeedUp {
        /// The node.
        node: usize,
    },
    /// Messages were lost on `node`'s feed.
    FeedGap {
        /// The node.
        node: usize,
        /// The sequence number due.
        expected: u32,
        /// The one received.
        got: u32,
        /// Another live node delivered the stretch: no reason to stop.
        covered: bool,
    },
    /// `node` restarted.
    FeedRestart {
        /// The node.
        node: usize,
        /// Another live node delivered the stretch: no reason to stop.
        covered: bool,
    },
    /// A transaction above the size limit was skipped.
    FeedOversized {
        /// The node.
        node: usize,
        /// Its declared length.
        len: u64,
    },
    /// `node`'s feed broke the protocol; close its socket (a reconnect
    /// follows).
    FeedFailed {
        /// The node.
        node: usize,
        /// What it did.
        error: bitcoind::Error,
    },
    /// No bytes from `node` for the configured time.
    FeedSilent {
        /// The node.
        node: usize,
    },
    /// Open the TCP connection to the venue, then [`Engine::venue_connected`](super::Engine::venue_connected).
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
    /// Open the TCP connection to the market-data stream, then
    /// [`Engine::market_connected`](super::Engine::market_connected).
    MarketConnect,
    /// Close the market-data socket.
    MarketClose,
    /// The market-data connection moved on.
    MarketState(MarketState),
    /// The market-data connection was lost (the book is cleared); a
    /// reconnect follows after `delay_ns`.
    MarketLost {
        /// Why.
        cause: VenueLoss,
        /// Backoff before the next attempt.
        delay_ns: u64,
    },
    /// A market-data frame that could not be read, or for another symbol.
    BadMarketFrame(MarketError),
    /// The market-data stream sent an `error` message; the connection is
    /// dropped and reopened after the backoff.
    MarketErrorMessage {
        /// Its `message`, then `: ` and its `reason` when it gives one, as
        /// written (escapes included), cut on a character boundary at
        /// [`ERROR_TEXT`] bytes.
        text: heapless::String<ERROR_TEXT>,
    },
    /// The venue ends the session and says why: a FIX Logout's Text (58),
    /// e.g. Coinbase's refusal of a Logon or its weekly logout. Followed by
    /// the connection's loss or rotation.
    VenueLogout {
        /// The Text as written, cut on a character boundary at
        /// [`ERROR_TEXT`] bytes (empty when it gives none).
        text: heapless::String<ERROR_TEXT>,
    },
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
        /// Limit price in ticks (0 for a market order).
        price: u64,
        /// The mid of the touch it was priced from, in half ticks: where
        /// the market stood at the decision (`None` without a book).
        mid_half_ticks: Option<u64>,
        /// Stage timestamps of the request that carried it; `None` for
        /// the second and later orders of a batch, which share the
        /// first one's.
        stages: Option<Stages>,
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
    /// The venue refused an order. For a refused signature the host can
    /// show what was signed with [`Engine::canonical_payload`](super::Engine::canonical_payload).
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
    /// One of the account's orders filled, counted once.
    Filled {
        /// Its client order id, when the order is this engine's.
        client_order_id: Option<u64>,
        /// The fill.
        fill: Fill,
        /// The position after it, in lots.
        position: i64,
    },
    /// The venue reported a fill already counted (a repeat across a
    /// reconnect): not counted again.
    FillRepeated {
        /// The venue's trade id.
        trade_id: u64,
    },
    /// The venue closed one of this engine's orders.
    OrderDone {
        /// Its client order id.
        client_order_id: u64,
        /// Filled in full, or closed (cancelled, expired, rejected).
        filled: bool,
        /// Lots it filled.
        filled_qty: u64,
    },
    /// After a reconnect, the account's trades since the last fill counted
    /// were read back (`myTrades`); `recovered` of them were new.
    FillsRecovered {
        /// Fills counted that the user data stream had not delivered.
        recovered: u64,
        /// Every page was read; `false` when the venue refused the query
        /// or a page did not decode (fills may be missing).
        complete: bool,
    },
    /// A status query found one of this engine's orders executed beyond
    /// the fills counted for it, on a venue that cannot read fills back
    /// (FIX order entry): their reports were lost with a connection. The
    /// gate's position takes `qty`; the ledger, which has no price or trade
    /// id for them, does not.
    FillsMissing {
        /// The order.
        client_order_id: u64,
        /// Lots executed that no fill reported.
        qty: u64,
    },
    /// The venue refused to tell the account's balances (`account.status`)
    /// with this code: they stand as last reported.
    BalancesRefused {
        /// The venue's error code.
        code: i32,
    },
    /// After a reconnect, the venue listed the instrument's open orders
    /// (`openOrders.status`): `held` of this engine's orders are still
    /// open there (each other one it held open is asked with its own
    /// status query), and `others` are orders it did not place or no
    /// longer tracks.
    OpenOrdersListed {
        /// This engine's orders the venue lists open.
        held: u32,
        /// Open orders of the instrument that are not this engine's.
        others: u32,
    },
    /// The venue refused to list the open orders with this code (or the
    /// answer did not decode, code 0): every order held open is asked on
    /// its own instead.
    OpenOrdersRefused {
        /// The venue's error code.
        code: i32,
    },
    /// The kill switch engaged: `openOrders.cancelAll` went out.
    CancelAllSent,
    /// The venue answered `openOrders.cancelAll`: `refused` is its error
    /// code (-2011 when nothing was open), `None` when it cancelled.
    CancelAllAnswered {
        /// The venue's error code, if it refused.
        refused: Option<i32>,
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
    /// A message the venue's codec could not read.
    BadFrame(DecodeError),
}

/// Running totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// `rawtx` notifications read, from every node.
    pub txs_seen: u64,
    /// Of those, transactions another node delivered first.
    pub txs_duplicate: u64,
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
    /// Feed gaps and restarts no other node covered.
    pub feed_gaps: u64,
    /// Venue connections opened.
    pub venue_connects: u64,
    /// Top-of-book updates the book took.
    pub book_updates: u64,
    /// Market-data connections opened.
    pub market_connects: u64,
    /// Fills counted (user data).
    pub fills: u64,
    /// Fills the venue reported again, not counted.
    pub fills_repeated: u64,
    /// Fills counted from `myTrades` after a reconnect (among `fills`).
    pub fills_recovered: u64,
    /// Dry runs of the fire path while idle (`Engine::warm`): nothing of
    /// them was sent.
    pub dry_runs: u64,
}
