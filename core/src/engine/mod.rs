//! The whole engine as one sans-IO machine (`docs/architecture.md`, "The
//! sans-IO contract"): bitcoind's ZMQ bytes go in through
//! [`Engine::handle_feed`] and become transactions, whale decisions, risk
//! checks, signed orders, WebSocket frames and TLS records in one call; the
//! venue's TLS bytes go in through [`Engine::handle_venue`] and become
//! acknowledgements, rejections and order states. The host moves the bytes
//! ([`Engine::poll_transmit`]), opens and closes the two TCP connections
//! when an [`Event`] asks, and calls [`Engine::handle_timeout`] by
//! [`Engine::poll_timeout`]. Time is always an argument: `now` is the
//! host's monotonic nanoseconds, and stage timestamps come from the host's
//! [`Stamp`] source. Several nodes can feed one engine: the first arrival
//! of a transaction fires, later ones are counted (`fusion.rs`).
//!
//! The rooms: `settings.rs` (what the host decides), `event.rs` (what the
//! engine tells it), `session.rs` (the venue session, an enum whose states
//! carry their data), `feed.rs` (a node's bytes to transactions),
//! `fusion.rs` (first arrivals across nodes, and each node's record),
//! `fire.rs` (whale → gate → order → frame → record), `warm.rs` (the
//! same path run dry while idle), `response.rs` (the
//! venue's answers to order states), `outbox.rs` (frames and records),
//! `orders.rs` (every order until its outcome is settled), `backoff.rs`
//! (reconnect delays for both connections) and `link.rs` (the TLS client
//! underneath). The venue itself — its requests, codec, error codes and
//! session steps — is `crate::venue`'s.

mod backoff;
mod event;
mod feed;
mod fire;
mod fusion;
mod link;
mod market;
pub mod orders;
mod outbox;
mod response;
mod session;
mod settings;
mod warm;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::feed::bitcoind;
use crate::ledger::Ledger;
use crate::market::Book;
use crate::risk::{Gate, Limits};
use crate::strategy::whale::{Detector, Rules};
use crate::venue::{NewOrder, Venue};
use crate::ws::{Client, Request};

pub use event::{Counters, ERROR_TEXT, Event, MarketState, Skip, Stages, Stream, VenueLoss, VenueState};
pub use fusion::{LagHistogram, MAX_NODES, NodeStats};
pub use link::Link;
pub use orders::{CAPACITY as ORDER_CAPACITY, Order, OrderState, Orders, UnknownCause};
pub use settings::{BookPricing, Ladder, MarketFeed, NoStamp, Pricing, Settings, SetupError, Stamp, Timers};

use backoff::Backoff;
use feed::Feed;
use fire::PendingTxid;
use fusion::Fusion;
use market::Market;
use outbox::Outbox;
use session::Session;
use warm::Rehearsal;

/// Whales remembered for duplicate and replacement detection.
const WHALE_MEMORY: usize = 64;
/// Events held for the host between polls.
const EVENT_CAPACITY: usize = 64;

/// The hotline engine.
pub struct Engine<'a, L, C> {
    feeds: heapless::Vec<Feed<'a>, MAX_NODES>,
    io: Outbox<'a, L>,
    /// The market-data stream, when orders are priced from the book.
    market: Option<Market<'a, L>>,
    st: State<'a, C>,
    /// The synthetic whale of dry runs (`warm.rs`).
    rehearsal: Rehearsal,
}

/// Everything but the byte movers, so message handlers can borrow it while
/// a decoded frame borrows the WebSocket buffer.
struct State<'a, C> {
    clock: C,
    settings: Settings<'a>,
    venue: Venue,
    detector: Detector<'a, WHALE_MEMORY>,
    gate: Gate,
    orders: Orders,
    session: Session,
    /// Failures of the venue connection since it last traded.
    backoff: Backoff,
    /// The engine's one RNG: masks, upgrade keys, backoff jitter.
    rng: ChaCha20Rng,
    /// Shutting down: no reconnects, no new orders.
    stopping: bool,
    /// The venue's clock minus ours, nanoseconds.
    venue_offset_ns: i64,
    /// The venue asked for no orders before this host time.
    paused_until: u64,
    next_request: u64,
    next_client_order_id: u64,
    events: heapless::Deque<Event, EVENT_CAPACITY>,
    events_dropped: u64,
    counters: Counters,
    pending_txid: PendingTxid,
    /// Nodes read.
    node_count: usize,
    /// First arrivals across nodes, and each node's record.
    fusion: Fusion,
    /// The last dry run reached the seal (`warm.rs`).
    dry_sealed: bool,
    /// The next dry run takes the other side's template.
    dry_flip: bool,
    /// The top of book from the market-data stream.
    book: Book,
    /// The account's fills, position and P&L (user data).
    ledger: Ledger,
    /// The kill switch's `openOrders.cancelAll` awaiting its answer.
    cancel_request: Option<u64>,
    /// `account.status` awaiting its answer.
    account_request: Option<u64>,
}

impl<L, C> core::fmt::Debug for Engine<'_, L, C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Engine")
            .field("venue", &self.st.venue_state())
            .field("counters", &self.st.counters)
            .finish_non_exhaustive()
    }
}

impl<'a, L: Link, C: Stamp> Engine<'a, L, C> {
    /// Builds the engine over `link` (a TLS client whose first connection
    /// waits for [`venue_connected`](Self::venue_connected)). `feed_buffer`
    /// holds partial feed messages (split evenly between the nodes) and
    /// `message_buffer` reassembles venue messages. `seed` is fresh entropy (masks, keys, jitter). The first
    /// events ask the host to connect both streams.
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
        if settings.venue.client_order_id_width().is_none() {
            return Err(SetupError::NoClientOrderId);
        }
        let nodes = settings.nodes;
        if !(1..=MAX_NODES).contains(&nodes) {
            return Err(SetupError::Nodes(nodes));
        }
        let ladder = settings.ladder.orders;
        if ladder == 0 || usize::from(ladder) > settings.venue.max_batch() {
            return Err(SetupError::Ladder(ladder));
        }
        let mut feeds = heapless::Vec::new();
        let share = feed_buffer.len() / nodes;
        let mut rest = feed_buffer;
        for node in 0..nodes {
            let (buf, tail) = rest.split_at_mut(share);
            rest = tail;
            let feed =
                Feed::new(node, buf, settings.max_tx_bytes).map_err(|need| SetupError::FeedBuffer(need * nodes))?;
            feeds.push(feed).map_err(|_| SetupError::Nodes(nodes))?;
        }
        let venue = Venue::new(&settings.venue).map_err(SetupError::Venue)?;
        // The client exists from the start; each connection restarts it.
        let mut scratch = [0u8; 512];
        let request = Request { host: settings.host, path: settings.path, key: [0; 16], headers: &[] };
        let (ws, _) = Client::connect(&request, &mut scratch, message_buffer).map_err(SetupError::Endpoint)?;
        let mut st = State {
            clock,
            settings,
            venue,
            detector: Detector::new(rules),
            gate: Gate::new(limits),
            orders: Orders::new(settings.user_data),
            session: Session::Connecting,
            backoff: Backoff::default(),
            rng: ChaCha20Rng::from_seed(seed),
            stopping: false,
            venue_offset_ns: 0,
            paused_until: 0,
            next_request: 1,
            next_client_order_id: settings.first_client_order_id,
            events: heapless::Deque::new(),
            events_dropped: 0,
            counters: Counters::default(),
            pending_txid: PendingTxid::default(),
            node_count: nodes,
            fusion: Fusion::default(),
            dry_sealed: false,
            dry_flip: false,
            book: Book::default(),
            ledger: Ledger::new(settings.venue.scale()),
            cancel_request: None,
            account_request: None,
        };
        for node in 0..nodes {
            st.push(Event::FeedConnect { node });
        }
        st.push(Event::VenueConnect);
        let rehearsal = Rehearsal::new(st.detector.rules());
        let transport = st.venue.transport();
        Ok(Self { feeds, io: Outbox::new(link, ws, transport), market: None, st, rehearsal })
    }

    /// The host connected to `node`: its ZMTP greeting is ready in
    /// [`poll_transmit`](Self::poll_transmit).
    pub fn feed_connected(&mut self, node: usize, now: u64) {
        if let Some(feed) = self.feeds.get_mut(node) {
            feed.connected(now, &mut self.st);
        }
    }

    /// `node`'s connection ended or could not be opened; a reconnect is
    /// asked for after a backoff that doubles until the node answers.
    pub fn feed_closed(&mut self, node: usize, now: u64) {
        if let Some(feed) = self.feeds.get_mut(node) {
            feed.closed(now, &mut self.st);
        }
    }

    /// Bytes from `node`, in any split. Every complete notification is
    /// acted on before this returns: a whale's order is sealed and waiting
    /// in [`poll_transmit`](Self::poll_transmit). On an error the node's
    /// feed must be closed ([`Event::FeedFailed`] says so too). Bytes for a
    /// node that is not configured are ignored.
    pub fn handle_feed(&mut self, node: usize, now: u64, input: &[u8]) -> Result<(), bitcoind::Error> {
        match self.feeds.get_mut(node) {
            Some(feed) => feed.handle(now, input, &mut self.io, &mut self.st),
            None => Ok(()),
        }
    }

    /// Ciphertext or ZMTP bytes to send on `stream`, written into `buf`;
    /// `None` when there are none. Sealed orders leave here.
    pub fn poll_transmit(&mut self, now: u64, stream: Stream, buf: &mut [u8]) -> Option<usize> {
        match stream {
            Stream::Feed(node) => self.feeds.get_mut(node)?.poll_transmit(now, buf, &mut self.st),
            Stream::Venue => self.poll_venue_transmit(now, buf),
            Stream::Market => self.market.as_mut()?.poll_transmit(&mut self.st, now, buf),
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
        let timers = &self.st.settings.timers;
        let market = self.market.as_ref().and_then(|m| m.deadline(timers));
        self.feeds.iter().map(|f| f.deadline(timers)).chain([self.st.venue_deadline(), market]).flatten().min()
    }

    /// Runs every timer due at `now`.
    pub fn handle_timeout(&mut self, now: u64) {
        for feed in &mut self.feeds {
            feed.handle_timeout(now, &mut self.st);
        }
        self.handle_venue_timeout(now);
        if let Some(m) = &mut self.market {
            m.handle_timeout(&mut self.st, now);
        }
    }

    /// Stops firing, waits for outstanding answers up to the drain timeout,
    /// then closes the WebSocket and TLS. The host keeps polling until
    /// [`is_finished`](Self::is_finished).
    pub fn shutdown(&mut self, now: u64) {
        self.st.stopping = true;
        for feed in &mut self.feeds {
            feed.stop_reconnecting();
        }
        self.st.stop_session(now);
        self.advance(now);
        if let Some(m) = &mut self.market {
            m.stop(&mut self.st, now);
        }
    }

    /// Whether shutdown has finished: the venue session and the
    /// market-data stream are closed.
    pub fn is_finished(&self) -> bool {
        self.st.venue_state() == VenueState::Closed && self.market_state().is_none_or(|s| s == MarketState::Closed)
    }

    /// Engages the kill switch: no order fires until re-armed.
    pub fn kill(&mut self, now: u64) {
        self.st.gate.kill(now);
    }

    /// The venue's transport, for what its handshake learned.
    pub fn link(&self) -> &L {
        &self.io.link
    }

    /// Where the venue session stands.
    pub fn venue_state(&self) -> VenueState {
        self.st.venue_state()
    }

    /// Running totals.
    pub fn counters(&self) -> &Counters {
        &self.st.counters
    }

    /// Every tracked order.
    pub fn orders(&self) -> &Orders {
        &self.st.orders
    }

    /// The account's fills, position and P&L, from the venue's user data.
    pub fn ledger(&self) -> &Ledger {
        &self.st.ledger
    }

    /// The risk gate.
    pub fn gate(&self) -> &Gate {
        &self.st.gate
    }

    /// Each configured node's record: first arrivals, later arrivals with
    /// their lag, lead over the next node, gaps, restarts, state.
    pub fn node_stats(&self) -> &[NodeStats] {
        self.st.fusion.nodes.get(..self.st.node_count).unwrap_or_default()
    }

    /// Events lost because the host did not poll in time.
    pub fn events_dropped(&self) -> u64 {
        self.st.events_dropped
    }

    /// The venue clock offset in use (server − local), nanoseconds.
    pub fn venue_offset_ns(&self) -> i64 {
        self.st.venue_offset_ns
    }

    /// The exact payload an order's signature was computed over
    /// (`docs/protocols/binance-ws-api.md` §Signing), rebuilt from what was
    /// sent, to show beside a refused signature.
    pub fn canonical_payload(&mut self, client_order_id: u64) -> Option<&[u8]> {
        let o = *self.st.orders.get(client_order_id)?;
        let order = NewOrder {
            request_id: o.request_id,
            client_order_id: o.client_order_id,
            side: o.side,
            qty: o.qty,
            price: o.price,
            timestamp: o.timestamp,
        };
        self.st.venue.signed_payload(&order)
    }
}

impl<C> State<'_, C> {
    fn push(&mut self, event: Event) {
        if self.events.push_back(event).is_err() {
            self.events_dropped += 1;
        }
    }

    /// The risk gate's record, in order with the engine's own events.
    fn drain_gate(&mut self) {
        while let Some(e) = self.gate.poll_event() {
            self.push(Event::Risk(e));
        }
    }

    fn request_id(&mut self) -> u64 {
        let id = self.next_request;
        self.next_request += 1;
        id
    }

    /// Unix nanoseconds on the venue's clock at host time `now`.
    fn venue_unix_ns(&self, now: u64) -> u64 {
        let unix_ns = i128::from(now) + i128::from(self.settings.unix_offset_ns) + i128::from(self.venue_offset_ns);
        u64::try_from(unix_ns).unwrap_or(0)
    }

    /// The venue timestamp at host time `now`.
    fn timestamp(&self, now: u64) -> u64 {
        self.venue.timestamp(self.venue_unix_ns(now))
    }

    /// A gap or restart on `node`: counted for the node, and a reason to
    /// hold off signals and engage the gate's gap policy unless another
    /// live node covers it. Returns whether one did.
    fn on_gap(&mut self, node: usize, now: u64, restart: bool) -> bool {
        let window = self.settings.timers.gap_cover_ns;
        let covered = self.fusion.covered(node, self.node_count, now, window);
        if let Some(stats) = self.fusion.nodes.get_mut(node) {
            if restart {
                stats.restarts += 1;
            } else {
                stats.gaps += 1;
            }
            stats.last_gap_ns = Some(now);
        }
        if !covered {
            self.counters.feed_gaps += 1;
            self.detector.on_feed_gap(now);
            self.gate.on_feed_gap(now);
        }
        covered
    }

    fn set_node_up(&mut self, node: usize, up: bool) {
        if let Some(stats) = self.fusion.nodes.get_mut(node) {
            stats.up = up;
        }
    }

    /// Every order in flight since `sent_by` or earlier becomes unknown: it
    /// may have executed. Its status is queried on the next chance.
    fn unknown_in_flight(&mut self, cause: UnknownCause, sent_by: u64) {
        let mut changed = false;
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
                changed = true;
            }
            // A recheck's answer is lost with its connection: the next
            // connection asks again.
            if o.state.is_final() && cause == UnknownCause::ConnectionLost {
                o.status_request = None;
            }
        }
        self.orders.queries_due |= changed;
    }
}
