//! The venue session: the host's connection events, the venue's answers and
//! the clock turn into the session's next state and the requests that state
//! sends. Connecting → TLS → WebSocket upgrade → logon (venues that log a
//! connection on) → syncing (the venue's clock, then a query for every
//! order whose outcome is unknown) → trading → draining → closing, and a
//! jittered backoff between connections. Each state carries exactly the
//! data it needs, after rustls' `client/tls13.rs`: a logon request id
//! exists only while logging on, a drain deadline only while draining.
//! Orders fire only while trading; an order is never resent: one whose
//! answer is lost is queried by its client order id.

use rand_core::RngCore;

use super::event::{Event, VenueLoss, VenueState};
use super::link::Link;
use super::orders::{Order, OrderState, UnknownCause};
use super::outbox::{Outbox, PRESEALED};
use super::settings::{Stamp, Timers};
use super::{Engine, State};
use crate::tls;
use crate::venue::{DecodeError, Inbound, RequestError, Transport, coinbase};
use crate::ws::{self, Message, Request};

/// Where the venue session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Session {
    /// Waiting for the host's TCP connection.
    Connecting,
    /// Waiting to ask for the next connection.
    Backoff {
        /// Host time of the next attempt.
        retry_at: u64,
    },
    /// A connection is open.
    Open(Connection),
    /// Shut down for good.
    Closed,
}

/// One open connection, from TCP to its close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Connection {
    /// When the host connected it.
    opened_at: u64,
    /// When its last bytes arrived.
    last_rx: u64,
    /// A ping went out since then.
    ping_sent: bool,
    /// Due to move to a new connection (its age, or the venue's notice).
    rotating: bool,
    /// The venue's clock, as far as this connection measured it.
    clock: Clock,
    /// The account's user data on this connection.
    user_data: Subscription,
    /// `openOrders.cancelAll` went out on this connection for the kill
    /// switch now engaged.
    cancelled_all: bool,
    /// Fills missed while no connection was subscribed, read back.
    recovery: Recovery,
    /// The orders held open (acknowledged, not closed by user data),
    /// checked again on this connection.
    recheck: Recheck,
    /// The account's balances were asked for on this connection (their
    /// reports while no connection was subscribed are lost).
    balances_asked: bool,
    /// How far the session got.
    phase: Phase,
}

/// The venue clock measurement of one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clock {
    /// To be measured (a new connection, or the venue refused a timestamp).
    Due,
    /// The request `id` went out at host time `sent`; unanswered after the
    /// request timeout, the connection is given up.
    Asked { id: u64, sent: u64 },
    /// The venue refused to tell; ask again at `retry_at`.
    Refused { retry_at: u64 },
    /// Measured.
    Synced,
}

/// A connection's user data subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subscription {
    /// Not wanted (`Settings::user_data` is off).
    Off,
    /// To be asked for, before unknown orders are queried: whatever
    /// happens to them after that reaches the engine.
    Due,
    /// The request `id` went out at host time `sent`.
    Asked { id: u64, sent: u64 },
    /// Events flow.
    Active,
}

/// A connection's recovery of fills the user data stream may have missed
/// while the engine was not subscribed (`myTrades` from the last trade id
/// counted); on the first connection, the account's latest trade, where
/// the next recovery starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recovery {
    /// Nothing to recover: user data is off.
    Off,
    /// The next page is to be asked for, once subscribed; `so_far` fills
    /// were recovered by the pages before.
    Due { so_far: u64 },
    /// The page request `id` went out at host time `sent`; `start` when it
    /// asks for the latest trade only, to start from.
    Asked { id: u64, sent: u64, so_far: u64, start: bool },
    /// Every page was read.
    Done,
}

/// A connection's check of the orders the engine holds open: any of them
/// may have filled, been cancelled or expired while no connection was
/// subscribed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recheck {
    /// To be done, once subscribed.
    Due,
    /// The venue's list of open orders was asked for with request `id` at
    /// host time `sent`.
    Listing { id: u64, sent: u64 },
    /// Done (or not wanted: user data is off). An order the list did not
    /// show open, or every one where the venue has no list, is asked with
    /// its own status query.
    Done,
}

impl Subscription {
    /// Whether the session may go on: subscribed, or not wanted.
    fn settled(self) -> bool {
        matches!(self, Self::Off | Self::Active)
    }
}

/// How far a connection's session got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// TLS handshake.
    Tls,
    /// WebSocket upgrade.
    Upgrading,
    /// Logon; the request's id and the host time it went out, once it did.
    LoggingOn { request: Option<(u64, u64)> },
    /// Clock, user data subscription and reconciliation of unknown
    /// orders.
    Syncing,
    /// Orders fire.
    Trading,
    /// No new orders; waiting for outstanding answers until `until`, then
    /// (once, `extended`) querying what is left before closing.
    Draining { until: u64, extended: bool },
    /// WebSocket close and close_notify sent; `by_peer` when the venue
    /// closed first without announcing it.
    Closing { by_peer: bool },
}

impl Session {
    fn state(&self) -> VenueState {
        match self {
            Self::Connecting => VenueState::Connecting,
            Self::Backoff { .. } => VenueState::Backoff,
            Self::Closed => VenueState::Closed,
            Self::Open(c) => match c.phase {
                Phase::Tls => VenueState::Tls,
                Phase::Upgrading => VenueState::Upgrading,
                Phase::LoggingOn { .. } => VenueState::LoggingOn,
                Phase::Syncing => VenueState::Syncing,
                Phase::Trading => VenueState::Trading,
                Phase::Draining { .. } => VenueState::Draining,
                Phase::Closing { .. } => VenueState::Closing,
            },
        }
    }
}

impl<C> State<'_, C> {
    pub(super) fn venue_state(&self) -> VenueState {
        self.session.state()
    }

    pub(super) fn trading(&self) -> bool {
        matches!(self.session, Session::Open(Connection { phase: Phase::Trading, .. }))
    }

    fn open(&mut self) -> Option<&mut Connection> {
        match &mut self.session {
            Session::Open(c) => Some(c),
            _ => None,
        }
    }

    fn set_session(&mut self, session: Session) {
        let before = self.venue_state();
        self.session = session;
        let after = self.venue_state();
        if after != before {
            self.push(Event::VenueState(after));
        }
    }

    fn set_phase(&mut self, phase: Phase) {
        if let Session::Open(c) = self.session {
            self.set_session(Session::Open(Connection { phase, ..c }));
        }
    }

    /// The WebSocket is up: log on, or go straight to syncing.
    fn on_upgraded(&mut self) {
        let next = if self.venue.logs_on() { Phase::LoggingOn { request: None } } else { Phase::Syncing };
        self.set_phase(next);
    }

    /// The venue said it will close this connection: move to a new one.
    pub(super) fn on_venue_closing(&mut self) {
        if let Some(c) = self.open()
            && !c.rotating
        {
            c.rotating = true;
            self.push(Event::Rotating);
        }
    }

    /// The venue sent a WebSocket close: answered by the client, the session
    /// ends once that is sent. A close in answer to ours changes nothing.
    fn on_peer_close(&mut self) {
        if !matches!(self.venue_state(), VenueState::Closing) {
            self.set_phase(Phase::Closing { by_peer: true });
        }
    }

    /// The venue refused a timestamp: measure its clock again.
    pub(super) fn on_clock_skew(&mut self) {
        if let Some(c) = self.open() {
            c.clock = Clock::Due;
        }
    }

    /// The clock request `id`, sent at host time `sent`, if one is out.
    pub(super) fn clock_request(&self) -> Option<(u64, u64)> {
        match self.session {
            Session::Open(Connection { clock: Clock::Asked { id, sent }, .. }) => Some((id, sent)),
            _ => None,
        }
    }

    /// The clock answer arrived; `server_ms` when it carried the time. A
    /// refusal is asked again after the request timeout, not at once.
    pub(super) fn on_clock(&mut self, now: u64, sent: u64, server_ms: Option<u64>) {
        let retry_at = now.saturating_add(self.settings.timers.request_timeout_ns);
        let Some(c) = self.open() else { return };
        c.clock = Clock::Refused { retry_at };
        let Some(server_ms) = server_ms else { return };
        c.clock = Clock::Synced;
        // The server read its clock about halfway through the round trip.
        let midpoint = sent + now.saturating_sub(sent) / 2;
        let local_ns = i128::from(midpoint) + i128::from(self.settings.unix_offset_ns);
        let offset = i128::from(server_ms) * 1_000_000 - local_ns;
        self.venue_offset_ns = i64::try_from(offset).unwrap_or(0);
        self.push(Event::ClockOffset { offset_ns: self.venue_offset_ns });
    }

    /// The logon request's id, while it is the one awaited.
    pub(super) fn logon_request(&self) -> Option<u64> {
        match self.session {
            Session::Open(Connection { phase: Phase::LoggingOn { request }, .. }) => request.map(|(id, _)| id),
            _ => None,
        }
    }

    /// The user data subscription request's id, while it is awaited.
    pub(super) fn subscribe_request(&self) -> Option<u64> {
        match self.session {
            Session::Open(Connection { user_data: Subscription::Asked { id, .. }, .. }) => Some(id),
            _ => None,
        }
    }

    /// The venue answered the subscription: events flow, or the session
    /// is given up (`code` 0 when the venue could not say).
    pub(super) fn on_subscribed(&mut self, now: u64, refused: Option<i32>) {
        match refused {
            None => {
                if let Some(c) = self.open() {
                    c.user_data = Subscription::Active;
                }
            }
            Some(code) => self.lost(now, VenueLoss::SubscribeRefused(code)),
        }
    }

    /// The subscription ended while the connection lives (a logout or an
    /// unsubscribe by the venue): move to a new connection, which
    /// subscribes again.
    pub(super) fn on_user_data_ended(&mut self) {
        if self.settings.user_data {
            self.on_venue_closing();
        }
    }

    /// The `myTrades` request's id while it is awaited, and whether it
    /// asks for the latest trade to start from.
    pub(super) fn trades_request(&self) -> Option<(u64, bool)> {
        match self.session {
            Session::Open(Connection { recovery: Recovery::Asked { id, start, .. }, .. }) => Some((id, start)),
            _ => None,
        }
    }

    /// A page that recovered `recovered` fills was read: ask the next one
    /// if it was full, or finish. Returns the fills recovered so far.
    pub(super) fn on_trades_page(&mut self, recovered: u64, full: bool) -> u64 {
        let Some(c) = self.open() else { return recovered };
        let so_far = match c.recovery {
            Recovery::Asked { so_far, .. } => so_far + recovered,
            _ => recovered,
        };
        c.recovery = if full { Recovery::Due { so_far } } else { Recovery::Done };
        so_far
    }

    /// The open-orders request's id, while it is awaited.
    pub(super) fn open_orders_request(&self) -> Option<u64> {
        match self.session {
            Session::Open(Connection { recheck: Recheck::Listing { id, .. }, .. }) => Some(id),
            _ => None,
        }
    }

    /// The venue's list of open orders was answered (or refused): the
    /// orders it did not clear are asked on their own.
    pub(super) fn on_open_orders_listed(&mut self) {
        if let Some(c) = self.open() {
            c.recheck = Recheck::Done;
        }
    }

    /// Whether the venue's own session (FIX) runs on this connection: from
    /// the Logon sent on. Before it, what the last connection's session
    /// owed or timed is not this one's.
    fn venue_session_live(&self) -> bool {
        match self.session {
            Session::Open(c) => !matches!(c.phase, Phase::Tls | Phase::Upgrading | Phase::LoggingOn { request: None }),
            _ => false,
        }
    }

    /// Messages from the venue were lost for good: every order held open
    /// or unknown is asked about again on this connection.
    pub(super) fn on_venue_gap(&mut self) {
        self.orders.queries_due = true;
        if let Some(c) = self.open() {
            c.recheck = Recheck::Due;
        }
    }

    /// The venue accepted the logon.
    pub(super) fn on_logged_on(&mut self) {
        self.set_phase(Phase::Syncing);
    }

    /// The connection is gone: orders in flight become unknown, and a
    /// reconnect follows after a jittered, doubling backoff.
    pub(super) fn lost(&mut self, now: u64, cause: VenueLoss) {
        self.unknown_in_flight(UnknownCause::ConnectionLost, u64::MAX);
        self.push(Event::VenueClose);
        if self.stopping {
            self.push(Event::VenueLost { cause, delay_ns: 0 });
            return self.set_session(Session::Closed);
        }
        let delay = self.backoff.next_delay(&self.settings.timers, &mut self.rng);
        self.push(Event::VenueLost { cause, delay_ns: delay });
        self.set_session(Session::Backoff { retry_at: now.saturating_add(delay) });
    }

    /// Shutdown: a session that has not logged on closes at once; one that
    /// has drains first.
    pub(super) fn stop_session(&mut self, now: u64) {
        let phase = match self.session {
            Session::Connecting | Session::Backoff { .. } => None,
            Session::Closed => return,
            Session::Open(c) => Some(c.phase),
        };
        match phase {
            None | Some(Phase::Tls | Phase::Upgrading) => {
                self.set_session(Session::Closed);
                self.push(Event::VenueClose);
            }
            Some(Phase::Closing { .. } | Phase::Draining { .. }) => {}
            Some(Phase::LoggingOn { .. } | Phase::Syncing | Phase::Trading) => {
                let until = now.saturating_add(self.settings.timers.drain_timeout_ns);
                self.set_phase(Phase::Draining { until, extended: false });
            }
        }
    }

    /// When the venue side next needs [`Engine::handle_timeout`].
    pub(super) fn venue_deadline(&self) -> Option<u64> {
        let t = &self.settings.timers;
        match self.session {
            Session::Backoff { retry_at } => Some(retry_at),
            Session::Connecting | Session::Closed => None,
            Session::Open(c) => {
                // No ping goes out while closing: only silence is left.
                let pinging = !c.ping_sent && !matches!(c.phase, Phase::Closing { .. });
                let quiet = if pinging { t.ping_interval_ns } else { t.venue_silence_ns };
                // A rotation already under way has no age deadline left.
                let age = if c.rotating { u64::MAX } else { c.opened_at.saturating_add(t.rotate_after_ns) };
                let phase = match c.phase {
                    Phase::Draining { until, .. } => until,
                    Phase::LoggingOn { request: Some((_, sent)) } => sent.saturating_add(t.request_timeout_ns),
                    _ => u64::MAX,
                };
                // A closing connection waits for the venue's close, not answers.
                let clock = match c.clock {
                    _ if matches!(c.phase, Phase::Closing { .. }) => u64::MAX,
                    Clock::Asked { sent, .. } => sent.saturating_add(t.request_timeout_ns),
                    Clock::Refused { retry_at } => retry_at,
                    Clock::Due | Clock::Synced => u64::MAX,
                };
                let subscribe = match (c.user_data, c.recovery, c.recheck) {
                    (Subscription::Asked { sent, .. }, _, _)
                    | (_, Recovery::Asked { sent, .. }, _)
                    | (_, _, Recheck::Listing { sent, .. }) => sent.saturating_add(t.request_timeout_ns),
                    _ => u64::MAX,
                };
                let answers = self
                    .orders
                    .iter()
                    .filter(|o| {
                        matches!(o.state, OrderState::Sent | OrderState::Querying) || o.status_request.is_some()
                    })
                    .map(|o| o.sent_ns.saturating_add(t.request_timeout_ns));
                // The venue session's timers run on the venue's Unix time.
                let offset = self.venue_unix_ns(0);
                let fix = match self.venue.session_deadline() {
                    Some(unix) if self.venue_session_live() => unix.saturating_sub(offset),
                    _ => u64::MAX,
                };
                [c.last_rx.saturating_add(quiet), age, phase, clock, subscribe, fix].into_iter().chain(answers).min()
            }
        }
    }
}

impl<'a, L: Link, C: Stamp> Engine<'a, L, C> {
    /// The host connected TCP to the venue: the TLS ClientHello is ready
    /// in [`poll_transmit`](Self::poll_transmit).
    pub fn venue_connected(&mut self, now: u64) {
        self.io.restart();
        let st = &mut self.st;
        st.counters.venue_connects += 1;
        // Every connection starts by querying what is still unknown.
        st.orders.queries_due = true;
        let user_data = st.settings.user_data;
        // A FIX session reports executions unasked and has no query of
        // past trades or balances.
        let subscribes = st.venue.subscribes();
        let queries_account = user_data && st.venue.queries_account();
        st.set_session(Session::Open(Connection {
            opened_at: now,
            last_rx: now,
            ping_sent: false,
            rotating: false,
            clock: Clock::Due,
            user_data: match (user_data, subscribes) {
                (false, _) => Subscription::Off,
                (true, true) => Subscription::Due,
                (true, false) => Subscription::Active,
            },
            cancelled_all: false,
            recovery: if queries_account { Recovery::Due { so_far: 0 } } else { Recovery::Off },
            recheck: if user_data { Recheck::Due } else { Recheck::Done },
            balances_asked: !queries_account,
            phase: Phase::Tls,
        }));
    }

    /// The host could not open the TCP connection [`Event::VenueConnect`]
    /// asked for: a reconnect follows after the backoff.
    pub fn venue_connect_failed(&mut self, now: u64) {
        if self.st.session == Session::Connecting {
            self.st.lost(now, VenueLoss::Transport);
        }
    }

    /// The venue's TCP connection ended (EOF or error).
    pub fn venue_closed(&mut self, now: u64) {
        match self.st.session {
            Session::Open(Connection { phase: Phase::Closing { .. }, .. }) => self.finish_close(now),
            // The end of a connection already given up, arriving after the
            // engine asked for the next one.
            Session::Connecting | Session::Backoff { .. } | Session::Closed => {}
            Session::Open(_) => {
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
        // Bytes of a connection already given up or closed are not read.
        let Some(c) = self.st.open() else { return };
        c.last_rx = now;
        c.ping_sent = false;
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
            if self.io.transport == Transport::Fix {
                let st = &mut self.st;
                self.io
                    .read_fix(n, |message| st.on_message(now, message))
                    .map_err(|e| VenueLoss::Protocol(DecodeError::Coinbase(coinbase::DecodeError::Fix(e))))?;
                continue;
            }
            let mut at = 0;
            while at < n {
                let input = self.io.plain.get(at..n).unwrap_or_default();
                let (used, event) = self.io.ws.handle_input(input).map_err(VenueLoss::Ws)?;
                at += used;
                match event {
                    Some(ws::Event::Upgraded) => self.st.on_upgraded(),
                    Some(ws::Event::Message(Message::Text(text))) => self.st.on_message(now, text.as_bytes()),
                    // The client queued its reply; the session ends once
                    // that is sent.
                    Some(ws::Event::Message(Message::Close(_))) => self.st.on_peer_close(),
                    Some(ws::Event::Message(_)) | None => {}
                }
                if used == 0 && event.is_none() {
                    break;
                }
            }
        }
    }

    /// Ciphertext for the venue: the session's requests and sealed orders.
    pub(super) fn poll_venue_transmit(&mut self, now: u64, buf: &mut [u8]) -> Option<usize> {
        if matches!(self.st.session, Session::Connecting | Session::Backoff { .. }) {
            return None;
        }
        self.advance(now);
        if let Err(cause) = send_admin(&mut self.io, &mut self.st, now) {
            self.st.lost(now, cause);
            return None;
        }
        if let Err(e) = self.io.flush(&mut self.st.rng) {
            self.st.lost(now, VenueLoss::Tls(e));
            return None;
        }
        let n = self.io.link.poll_transmit(buf);
        if n == 0 {
            match self.st.venue_state() {
                VenueState::Closing if self.io.link.state() == tls::State::Closed => self.finish_close(now),
                // Idle and trading: the next record, most likely an order,
                // needs no AES when it comes.
                VenueState::Trading => self.io.link.prepare(PRESEALED),
                _ => {}
            }
            return None;
        }
        Some(n)
    }

    /// The venue's timers: reconnect, ping, silence, age, request timeouts.
    pub(super) fn handle_venue_timeout(&mut self, now: u64) {
        let timers: Timers = self.st.settings.timers;
        match self.st.session {
            Session::Backoff { retry_at } if now >= retry_at => {
                self.st.set_session(Session::Connecting);
                self.st.push(Event::VenueConnect);
            }
            Session::Open(c) => {
                let quiet = now.saturating_sub(c.last_rx);
                if quiet >= timers.venue_silence_ns {
                    return self.st.lost(now, VenueLoss::Silent);
                }
                let unanswered = |sent: u64| now.saturating_sub(sent) >= timers.request_timeout_ns;
                let session_request = match (c.phase, c.clock, c.user_data) {
                    (Phase::Closing { .. }, _, _) => None,
                    (Phase::LoggingOn { request: Some((_, sent)) }, _, _)
                    | (_, Clock::Asked { sent, .. }, _)
                    | (_, _, Subscription::Asked { sent, .. }) => Some(sent),
                    _ => match (c.recovery, c.recheck) {
                        (Recovery::Asked { sent, .. }, _) | (_, Recheck::Listing { sent, .. }) => Some(sent),
                        _ => None,
                    },
                };
                if session_request.is_some_and(unanswered) {
                    return self.st.lost(now, VenueLoss::Unanswered);
                }
                if let Clock::Refused { retry_at } = c.clock
                    && now >= retry_at
                    && let Some(c) = self.st.open()
                {
                    c.clock = Clock::Due;
                }
                if quiet >= timers.ping_interval_ns && !c.ping_sent && !matches!(c.phase, Phase::Closing { .. }) {
                    if let Some(c) = self.st.open() {
                        c.ping_sent = true;
                    }
                    if let Err(e) = self.io.send_ping(&mut self.st.rng) {
                        return self.st.lost(now, VenueLoss::Tls(e));
                    }
                }
                if now.saturating_sub(c.opened_at) >= timers.rotate_after_ns {
                    self.st.on_venue_closing();
                }
                // The venue's own session timers (FIX Heartbeat and
                // TestRequest).
                let unix_ns = self.st.venue_unix_ns(now);
                let timed =
                    if self.st.venue_session_live() { self.st.venue.on_session_timeout(unix_ns) } else { Ok(None) };
                match timed {
                    Ok(Some(Inbound::Gap)) => self.st.on_venue_gap(),
                    Ok(_) => {}
                    Err(e) => return self.st.lost(now, VenueLoss::Protocol(e)),
                }
                self.st.unknown_in_flight(UnknownCause::Timeout, now.saturating_sub(timers.request_timeout_ns));
                // A recheck of an order held open went unanswered.
                let recheck = |o: &Order| o.state.is_final() && o.status_request.is_some() && unanswered(o.sent_ns);
                if self.st.orders.iter().any(recheck) {
                    return self.st.lost(now, VenueLoss::Unanswered);
                }
            }
            Session::Backoff { .. } | Session::Connecting | Session::Closed => {}
        }
        self.advance(now);
    }

    /// Moves the venue session forward and sends what the state calls for.
    pub(super) fn advance(&mut self, now: u64) {
        if let Err(cause) = self.step(now) {
            self.st.lost(now, cause);
        }
    }

    fn step(&mut self, now: u64) -> Result<(), VenueLoss> {
        let Self { io, st, .. } = self;
        loop {
            let before = st.venue_state();
            let Session::Open(c) = st.session else { return Ok(()) };
            match c.phase {
                // FIX runs straight on TLS: no upgrade.
                Phase::Tls if io.link.state() == tls::State::Established && io.transport == Transport::Fix => {
                    st.on_upgraded();
                }
                Phase::Tls if io.link.state() == tls::State::Established => {
                    let mut key = [0u8; 16];
                    st.rng.fill_bytes(&mut key);
                    let request = Request { host: st.settings.host, path: st.settings.path, key, headers: &[] };
                    io.send_upgrade(&request)?;
                    st.set_phase(Phase::Upgrading);
                }
                Phase::LoggingOn { request: None } => {
                    let id = st.request_id();
                    let timestamp = st.timestamp(now);
                    let request = st.venue.logon(id, timestamp).map_err(VenueLoss::Request)?;
                    io.send_text(request, &mut st.rng)?;
                    st.set_phase(Phase::LoggingOn { request: Some((id, now)) });
                }
                Phase::Syncing | Phase::Trading | Phase::Draining { .. } => live(io, st, now, c)?,
                Phase::Tls | Phase::Upgrading | Phase::LoggingOn { .. } | Phase::Closing { .. } => {}
            }
            if st.venue_state() == before {
                return Ok(());
            }
        }
    }

    /// The close handshake is done: close TCP, then reconnect or stop. A
    /// venue that closed unannounced is a lost connection, reconnected
    /// after the backoff like any other.
    fn finish_close(&mut self, now: u64) {
        let st = &mut self.st;
        let unannounced =
            matches!(st.session, Session::Open(c) if c.phase == Phase::Closing { by_peer: true } && !c.rotating);
        if unannounced && !st.stopping {
            return st.lost(now, VenueLoss::PeerClosed);
        }
        st.push(Event::VenueClose);
        st.unknown_in_flight(UnknownCause::ConnectionLost, u64::MAX);
        if st.stopping {
            st.set_session(Session::Closed);
        } else {
            // A rotation: connect again at once.
            st.set_session(Session::Connecting);
            st.push(Event::VenueConnect);
        }
    }
}

/// One step of a session past logon: measure the clock, query unknown
/// orders, start trading once both are done, drain when rotating or
/// stopping, and close once drained.
fn live<L: Link, C>(io: &mut Outbox<'_, L>, st: &mut State<'_, C>, now: u64, c: Connection) -> Result<(), VenueLoss> {
    let timers = st.settings.timers;
    if c.clock == Clock::Due {
        let id = st.request_id();
        let timestamp = st.timestamp(now);
        let request = st.venue.time_request(id, timestamp).map_err(VenueLoss::Request)?;
        io.send_text(request, &mut st.rng)?;
        if let Some(c) = st.open() {
            c.clock = Clock::Asked { id, sent: now };
        }
    }
    // Subscribed before reconciling: an order's fate after its query is
    // then known either way.
    if c.user_data == Subscription::Due && !matches!(c.phase, Phase::Draining { .. }) {
        let id = st.request_id();
        let timestamp = st.timestamp(now);
        let request = st.venue.subscribe(id, timestamp).map_err(VenueLoss::Request)?;
        io.send_text(request, &mut st.rng)?;
        if let Some(c) = st.open() {
            c.user_data = Subscription::Asked { id, sent: now };
        }
    }
    let subscribed = st.open().is_some_and(|c| c.user_data.settled());
    // The kill switch cancels what rests on the venue, once per connection
    // and engagement (an answer lost with a connection is asked again on
    // the next); re-arming makes it due for the next engagement.
    let killed = st.gate.killed().is_some();
    if killed && !c.cancelled_all {
        let id = st.request_id();
        let timestamp = st.timestamp(now);
        let request = st.venue.cancel_all(id, timestamp).map_err(VenueLoss::Request)?;
        io.send_text(request, &mut st.rng)?;
        st.cancel_request = Some(id);
        // After the gate's word of the kill, in the events' order.
        st.drain_gate();
        st.push(Event::CancelAllSent);
    }
    if let Some(c) = st.open() {
        c.cancelled_all = killed;
    }
    // Shutting down and out of patience: what is still unanswered is
    // queried once before the connection goes.
    if let Phase::Draining { until, extended: false } = c.phase
        && now >= until
    {
        st.set_phase(Phase::Draining { until: now.saturating_add(timers.request_timeout_ns), extended: true });
        st.unknown_in_flight(UnknownCause::Timeout, u64::MAX);
    }
    // Reconcile before trading: every unknown order is queried by its
    // client order id, once the venue has sent again what it was asked to
    // (a status answer must not overtake the order's own lost reports).
    let resent = !st.venue.resending();
    if subscribed && resent && core::mem::take(&mut st.orders.queries_due) {
        let unix_ns = st.venue_unix_ns(now);
        for o in st.orders.iter_mut().filter(|o| o.state == OrderState::Unknown) {
            let id = st.next_request;
            st.next_request += 1;
            let timestamp = st.venue.timestamp(unix_ns);
            let request = st.venue.status_query(id, o.client_order_id, timestamp).map_err(VenueLoss::Request)?;
            io.send_text(request, &mut st.rng)?;
            o.state = OrderState::Querying;
            o.status_request = Some(id);
            o.sent_ns = now;
        }
    }
    // Balances as they stand now, whatever reports were lost; they change
    // no decision, so nothing waits for the answer.
    if subscribed
        && let Some(c) = st.open()
        && !c.balances_asked
    {
        c.balances_asked = true;
        let id = st.request_id();
        let timestamp = st.timestamp(now);
        let request = st.venue.account_query(id, timestamp).map_err(VenueLoss::Request)?;
        io.send_text(request, &mut st.rng)?;
        st.account_request = Some(id);
    }
    // With user data, an order held open may have filled, been cancelled
    // or expired while no connection was subscribed. Once per connection,
    // the venue's list of the instrument's open orders clears those still
    // open in one request; every other one (all of them where the venue
    // has no such list) is asked with its own status query.
    if subscribed && c.recheck == Recheck::Due {
        let mut held = false;
        for o in st.orders.iter_mut().filter(|o| o.held_open()) {
            o.recheck = true;
            held = true;
        }
        st.orders.rechecks_due |= held;
        let id = st.next_request;
        let timestamp = st.timestamp(now);
        let recheck = match st.venue.open_orders_query(id, timestamp) {
            Ok(request) => {
                io.send_text(request, &mut st.rng)?;
                st.next_request += 1;
                Recheck::Listing { id, sent: now }
            }
            Err(RequestError::Unsupported) => Recheck::Done,
            Err(e) => return Err(VenueLoss::Request(e)),
        };
        if let Some(c) = st.open() {
            c.recheck = recheck;
        }
    }
    let listing = st.open_orders_request().is_some();
    if subscribed && resent && !listing && core::mem::take(&mut st.orders.rechecks_due) {
        let unix_ns = st.venue_unix_ns(now);
        for o in st.orders.iter_mut().filter(|o| o.recheck) {
            o.recheck = false;
            if !o.held_open() {
                continue;
            }
            let id = st.next_request;
            st.next_request += 1;
            let timestamp = st.venue.timestamp(unix_ns);
            let request = st.venue.status_query(id, o.client_order_id, timestamp).map_err(VenueLoss::Request)?;
            io.send_text(request, &mut st.rng)?;
            o.status_request = Some(id);
            o.sent_ns = now;
        }
    }
    // Subscribed and the unknown orders settled (so each knows its venue
    // id), the fills missed meanwhile are read back from the last one
    // counted: whatever comes after is on the stream, and a fill on both
    // is counted once.
    if subscribed
        && !listing
        && !st.orders.queried()
        && let Some(c) = st.open()
        && let Recovery::Due { so_far } = c.recovery
    {
        let id = st.request_id();
        let timestamp = st.timestamp(now);
        let from = st.ledger.last_trade_id().map(|last| last.saturating_add(1));
        let request = st.venue.trades_query(id, from, timestamp).map_err(VenueLoss::Request)?;
        io.send_text(request, &mut st.rng)?;
        if let Some(c) = st.open() {
            c.recovery = Recovery::Asked { id, sent: now, so_far, start: from.is_none() };
        }
    }
    let Session::Open(c) = st.session else { return Ok(()) };
    let querying = || st.orders.queried();
    let recovered = matches!(c.recovery, Recovery::Off | Recovery::Done);
    // Every query sent: none held back behind a resend.
    let rechecked = c.recheck == Recheck::Done && !st.orders.queries_due && !st.orders.rechecks_due;
    if c.phase == Phase::Syncing
        && c.clock == Clock::Synced
        && c.user_data.settled()
        && recovered
        && rechecked
        && !querying()
    {
        st.backoff.reset();
        st.set_phase(Phase::Trading);
    }
    if st.trading() && (c.rotating || st.stopping) {
        let until = now.saturating_add(timers.drain_timeout_ns);
        st.set_phase(Phase::Draining { until, extended: false });
    }
    let Session::Open(Connection { phase: Phase::Draining { until, extended }, .. }) = st.session else {
        return Ok(());
    };
    // With user data, an order's executions are part of its answer: wait
    // for them too (a resting order holds the close to the drain timeout).
    let reported = !st.settings.user_data || st.orders.open_on_venue() == 0;
    if (st.orders.in_flight() == 0 && reported) || (extended && now >= until) {
        match io.transport {
            Transport::WebSocket => io.ws.close(ws::decode::close_code::NORMAL, ""),
            Transport::Fix => {
                st.venue.logout();
                send_admin(io, st, now)?;
            }
        }
        io.flush(&mut st.rng).map_err(VenueLoss::Tls)?;
        io.link.close().map_err(VenueLoss::Tls)?;
        st.set_phase(Phase::Closing { by_peer: false });
    }
    Ok(())
}

/// Queues what the venue's own session owes (FIX Heartbeats, answers to
/// TestRequests, ResendRequests, gap fills, Logout).
fn send_admin<L: Link, C>(io: &mut Outbox<'_, L>, st: &mut State<'_, C>, now: u64) -> Result<(), VenueLoss> {
    if io.transport != Transport::Fix || !st.venue_session_live() {
        return Ok(());
    }
    let unix_ns = st.venue_unix_ns(now);
    while let Some(message) = st.venue.poll_admin(unix_ns) {
        let message = message.map_err(VenueLoss::Request)?;
        io.send_text(message, &mut st.rng)?;
    }
    Ok(())
}
