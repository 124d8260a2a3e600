//! The market-data connection, the engine's third stream: TLS and
//! WebSocket bytes from the venue's top-of-book stream turn into the
//! [`Book`](crate::market::Book) that orders are priced from
//! (`docs/market-data.md`). Its own session (connecting → TLS → upgrade →
//! streaming → closing), watchdog (a ping after the ping interval of
//! silence, a reconnect after the silence limit), rotation before the
//! venue's 24-hour limit and on `serverShutdown`, and jittered backoff;
//! the same TLS link, WebSocket client and byte movers as the order
//! connection. A lost connection clears the book: nothing it said is
//! trusted to still hold. Binance's stream is named by the upgrade's
//! path; Coinbase's feed is subscribed to by a message sent right after
//! the upgrade (rendered at setup), its `error` messages drop the
//! connection, and its backoff resets only once the feed confirms the
//! subscription.

use rand_core::RngCore;

use super::backoff::Backoff;
use super::event::{ERROR_TEXT, Event, MarketState, VenueLoss};
use super::link::Link;
use super::outbox::Outbox;
use super::settings::{BookPricing, MarketFeed, Timers};
use super::{Engine, State};
use crate::market::{Touch, Update};
use crate::tls;
use crate::venue::Transport;
use crate::venue::binance::{MarketMessage, decode_market_binary, decode_market_text};
use crate::venue::coinbase::market::{self as coinbase, FeedMessage, Subscribe};
use crate::venue::market::{MarketError, Ticker, TickerField};
use crate::ws::{self, Message, Request};

/// What one WebSocket event meant for the market session.
#[derive(Debug, Clone)]
enum Got {
    Upgraded,
    Touch(Touch),
    /// The feed confirmed the subscription (Coinbase's `subscriptions`).
    Subscribed,
    Shutdown,
    /// The feed's `error` message, its text kept for the event.
    ErrorMessage(heapless::String<ERROR_TEXT>),
    PeerClose,
    Bad(MarketError),
    Nothing,
}

impl Got {
    fn ticker(t: Ticker<'_>, symbol: &str) -> Self {
        if t.symbol == symbol { Self::Touch(t.touch) } else { Self::Bad(MarketError::Invalid(TickerField::Symbol)) }
    }

    fn binance(decoded: Result<MarketMessage<'_>, MarketError>, symbol: &str) -> Self {
        match decoded {
            Ok(MarketMessage::Ticker(t)) => Self::ticker(t, symbol),
            Ok(MarketMessage::ServerShutdown { .. }) => Self::Shutdown,
            Ok(MarketMessage::Other) => Self::Nothing,
            Err(e) => Self::Bad(e),
        }
    }

    fn coinbase(decoded: Result<FeedMessage<'_>, MarketError>, symbol: &str) -> Self {
        match decoded {
            Ok(FeedMessage::Ticker(t)) => Self::ticker(t, symbol),
            Ok(FeedMessage::Subscriptions) => Self::Subscribed,
            Ok(FeedMessage::Error { message, reason }) => Self::ErrorMessage(error_text(message, reason)),
            Ok(FeedMessage::Heartbeat | FeedMessage::Other) => Self::Nothing,
            Err(e) => Self::Bad(e),
        }
    }
}

/// `message`, then `: ` and `reason`, as much as fits, cut on a character
/// boundary.
fn error_text(message: &str, reason: Option<&str>) -> heapless::String<ERROR_TEXT> {
    super::event::text([message, if reason.is_some() { ": " } else { "" }, reason.unwrap_or_default()])
}

/// What the session sends and reads, by venue.
enum Feed {
    /// The path named the stream; nothing to send.
    Binance,
    /// The subscribe request, sent once the upgrade is answered.
    Coinbase(Subscribe),
}

/// The market-data stream: its bytes, session and backoff.
pub(super) struct Market<'a, L> {
    pub(super) io: Outbox<'a, L>,
    session: Session,
    backoff: Backoff,
    stream: BookPricing<'a>,
    feed: Feed,
}

/// Where the market-data session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Session {
    Connecting,
    Backoff { retry_at: u64 },
    Open(Connection),
    Closed,
}

/// One open connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Connection {
    opened_at: u64,
    last_rx: u64,
    ping_sent: bool,
    phase: Phase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Tls,
    Upgrading,
    Streaming,
    /// Closing; `then_reconnect` for a rotation (the venue's notice or
    /// the connection's age), not a loss.
    Closing {
        then_reconnect: bool,
    },
}

impl Session {
    fn state(&self) -> MarketState {
        match self {
            Self::Connecting => MarketState::Connecting,
            Self::Backoff { .. } => MarketState::Backoff,
            Self::Closed => MarketState::Closed,
            Self::Open(c) => match c.phase {
                Phase::Tls => MarketState::Tls,
                Phase::Upgrading => MarketState::Upgrading,
                Phase::Streaming => MarketState::Streaming,
                Phase::Closing { .. } => MarketState::Closing,
            },
        }
    }
}

impl<'a, L: Link> Market<'a, L> {
    fn new(io: Outbox<'a, L>, stream: BookPricing<'a>, feed: Feed) -> Self {
        Self { io, session: Session::Connecting, backoff: Backoff::default(), stream, feed }
    }

    pub(super) fn state(&self) -> MarketState {
        self.session.state()
    }

    fn set_session<C>(&mut self, st: &mut State<'_, C>, session: Session) {
        let before = self.state();
        self.session = session;
        let after = self.state();
        if after != before {
            st.push(Event::MarketState(after));
        }
    }

    fn set_phase<C>(&mut self, st: &mut State<'_, C>, phase: Phase) {
        if let Session::Open(c) = self.session {
            self.set_session(st, Session::Open(Connection { phase, ..c }));
        }
    }

    /// The connection is gone: the book is cleared and a reconnect follows
    /// after the backoff (at once after a rotation's close).
    fn lost<C>(&mut self, st: &mut State<'_, C>, now: u64, cause: VenueLoss) {
        st.book.clear();
        st.push(Event::MarketClose);
        if st.stopping {
            st.push(Event::MarketLost { cause, delay_ns: 0 });
            return self.set_session(st, Session::Closed);
        }
        let delay = self.backoff.next_delay(&st.settings.timers, &mut st.rng);
        st.push(Event::MarketLost { cause, delay_ns: delay });
        self.set_session(st, Session::Backoff { retry_at: now.saturating_add(delay) });
    }

    pub(super) fn connected<C>(&mut self, st: &mut State<'_, C>, now: u64) {
        self.io.restart();
        st.counters.market_connects += 1;
        self.set_session(
            st,
            Session::Open(Connection { opened_at: now, last_rx: now, ping_sent: false, phase: Phase::Tls }),
        );
    }

    pub(super) fn connect_failed<C>(&mut self, st: &mut State<'_, C>, now: u64) {
        if self.session == Session::Connecting {
            self.lost(st, now, VenueLoss::Transport);
        }
    }

    pub(super) fn closed<C>(&mut self, st: &mut State<'_, C>, now: u64) {
        match self.session {
            Session::Open(Connection { phase: Phase::Closing { then_reconnect }, .. }) => {
                self.finish_close(st, now, then_reconnect);
            }
            Session::Connecting | Session::Backoff { .. } | Session::Closed => {}
            Session::Open(_) => {
                let cause = match self.io.link.handle_eof() {
                    Err(e) if !matches!(e, tls::Error::Truncated) => VenueLoss::Tls(e),
                    _ => VenueLoss::Transport,
                };
                self.lost(st, now, cause);
            }
        }
    }

    fn finish_close<C>(&mut self, st: &mut State<'_, C>, now: u64, then_reconnect: bool) {
        st.book.clear();
        st.push(Event::MarketClose);
        if st.stopping {
            self.set_session(st, Session::Closed);
        } else if then_reconnect {
            self.set_session(st, Session::Connecting);
            st.push(Event::MarketConnect);
        } else {
            self.lost(st, now, VenueLoss::PeerClosed);
        }
    }

    /// TLS bytes from the stream, in any split; every whole update is in
    /// the book before this returns.
    pub(super) fn handle<C>(&mut self, st: &mut State<'_, C>, now: u64, mut input: &[u8]) {
        let Session::Open(c) = &mut self.session else { return };
        c.last_rx = now;
        c.ping_sent = false;
        loop {
            let used = match self.io.link.handle_input(input) {
                Ok(n) => n,
                Err(e) => return self.lost(st, now, VenueLoss::Tls(e)),
            };
            input = input.get(used..).unwrap_or_default();
            let got = match self.read_plaintext(st, now) {
                Ok(got) => got,
                Err(cause) => return self.lost(st, now, cause),
            };
            if input.is_empty() || (used == 0 && got == 0) {
                break;
            }
        }
        self.advance(st, now);
    }

    fn read_plaintext<C>(&mut self, st: &mut State<'_, C>, now: u64) -> Result<usize, VenueLoss> {
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
                let stalled = used == 0 && event.is_none();
                let (scale, symbol) = (self.stream.scale, self.stream.symbol);
                let got = match (event, &self.feed) {
                    (Some(ws::Event::Upgraded), _) => Got::Upgraded,
                    (Some(ws::Event::Message(Message::Binary(b))), Feed::Binance) => {
                        Got::binance(decode_market_binary(b, scale).map(MarketMessage::Ticker), symbol)
                    }
                    (Some(ws::Event::Message(Message::Text(t))), Feed::Binance) => {
                        Got::binance(decode_market_text(t.as_bytes(), scale), symbol)
                    }
                    // The feed writes JSON; whatever the opcode, it is read as such.
                    (Some(ws::Event::Message(Message::Text(t))), Feed::Coinbase(_)) => {
                        Got::coinbase(coinbase::decode(t.as_bytes(), scale), symbol)
                    }
                    (Some(ws::Event::Message(Message::Binary(b))), Feed::Coinbase(_)) => {
                        Got::coinbase(coinbase::decode(b, scale), symbol)
                    }
                    (Some(ws::Event::Message(Message::Close(_))), _) => Got::PeerClose,
                    (Some(ws::Event::Message(_)) | None, _) => Got::Nothing,
                };
                match got {
                    Got::Upgraded => {
                        match &self.feed {
                            // Coinbase closes a connection that has not
                            // subscribed within 5 s (docs/market-data.md
                            // §Coinbase); the backoff resets once it confirms.
                            Feed::Coinbase(subscribe) => {
                                self.io.send_text(subscribe, &mut st.rng).map_err(VenueLoss::from)?;
                            }
                            Feed::Binance => self.backoff.reset(),
                        }
                        self.set_phase(st, Phase::Streaming);
                    }
                    Got::Subscribed => self.backoff.reset(),
                    Got::Touch(touch) => {
                        if st.book.update(touch, now) == Update::Applied {
                            st.counters.book_updates += 1;
                            st.ledger.mark(touch);
                            if st.ledger.position() != 0 {
                                st.check_pnl(now);
                            }
                        }
                    }
                    Got::Shutdown => self.rotate(st),
                    Got::ErrorMessage(text) => {
                        st.push(Event::MarketErrorMessage { text });
                        return Err(VenueLoss::ErrorMessage);
                    }
                    // The client queued its reply; the session ends once
                    // that is sent.
                    Got::PeerClose if self.state() != MarketState::Closing => {
                        self.set_phase(st, Phase::Closing { then_reconnect: false });
                    }
                    Got::Bad(e) => st.push(Event::BadMarketFrame(e)),
                    Got::PeerClose | Got::Nothing => {}
                }
                if stalled {
                    break;
                }
            }
        }
    }

    /// Moves to a new connection: close this one, then connect at once.
    fn rotate<C>(&mut self, st: &mut State<'_, C>) {
        if self.state() == MarketState::Streaming {
            self.io.ws.close(ws::decode::close_code::NORMAL, "");
            self.set_phase(st, Phase::Closing { then_reconnect: true });
        }
    }

    /// Sends what the session calls for: the upgrade once TLS is up, the
    /// close's records once closing.
    fn advance<C>(&mut self, st: &mut State<'_, C>, now: u64) {
        let Session::Open(c) = self.session else { return };
        let result = match c.phase {
            Phase::Tls if self.io.link.state() == tls::State::Established => {
                let mut key = [0u8; 16];
                st.rng.fill_bytes(&mut key);
                let s = &self.stream;
                let request = Request { host: s.host, path: s.path, key, headers: s.headers };
                let sent = self.io.send_upgrade(&request).map_err(VenueLoss::from);
                if sent.is_ok() {
                    self.set_phase(st, Phase::Upgrading);
                }
                sent
            }
            Phase::Closing { .. } if self.io.link.state() == tls::State::Established => {
                self.io.flush(&mut st.rng).and_then(|()| self.io.link.close()).map_err(VenueLoss::Tls)
            }
            _ => Ok(()),
        };
        if let Err(cause) = result {
            self.lost(st, now, cause);
        }
    }

    pub(super) fn poll_transmit<C>(&mut self, st: &mut State<'_, C>, now: u64, buf: &mut [u8]) -> Option<usize> {
        if !matches!(self.session, Session::Open(_)) {
            return None;
        }
        self.advance(st, now);
        if let Err(e) = self.io.flush(&mut st.rng) {
            self.lost(st, now, VenueLoss::Tls(e));
            return None;
        }
        let n = self.io.link.poll_transmit(buf);
        if n == 0 {
            if let Session::Open(Connection { phase: Phase::Closing { then_reconnect }, .. }) = self.session
                && self.io.link.state() == tls::State::Closed
            {
                self.finish_close(st, now, then_reconnect);
            }
            return None;
        }
        Some(n)
    }

    pub(super) fn deadline(&self, timers: &Timers) -> Option<u64> {
        match self.session {
            Session::Backoff { retry_at } => Some(retry_at),
            Session::Connecting | Session::Closed => None,
            Session::Open(c) => {
                let closing = matches!(c.phase, Phase::Closing { .. });
                let quiet = if c.ping_sent || closing { timers.venue_silence_ns } else { timers.ping_interval_ns };
                let age = if closing { u64::MAX } else { c.opened_at.saturating_add(timers.rotate_after_ns) };
                Some(c.last_rx.saturating_add(quiet).min(age))
            }
        }
    }

    pub(super) fn handle_timeout<C>(&mut self, st: &mut State<'_, C>, now: u64) {
        let timers = st.settings.timers;
        match self.session {
            Session::Backoff { retry_at } if now >= retry_at => {
                self.set_session(st, Session::Connecting);
                st.push(Event::MarketConnect);
            }
            Session::Open(c) => {
                let quiet = now.saturating_sub(c.last_rx);
                if quiet >= timers.venue_silence_ns {
                    return self.lost(st, now, VenueLoss::Silent);
                }
                let closing = matches!(c.phase, Phase::Closing { .. });
                if quiet >= timers.ping_interval_ns && !c.ping_sent && !closing {
                    if let Session::Open(c) = &mut self.session {
                        c.ping_sent = true;
                    }
                    if let Err(e) = self.io.send_ping(&mut st.rng) {
                        return self.lost(st, now, VenueLoss::Tls(e));
                    }
                }
                if now.saturating_sub(c.opened_at) >= timers.rotate_after_ns {
                    self.rotate(st);
                }
            }
            Session::Backoff { .. } | Session::Connecting | Session::Closed => {}
        }
        self.advance(st, now);
    }

    /// Shutdown: close what is open; nothing reconnects.
    pub(super) fn stop<C>(&mut self, st: &mut State<'_, C>, now: u64) {
        match self.session {
            Session::Connecting | Session::Backoff { .. } => {
                self.set_session(st, Session::Closed);
            }
            Session::Open(Connection { phase: Phase::Streaming, .. }) => {
                self.io.ws.close(ws::decode::close_code::NORMAL, "");
                self.set_phase(st, Phase::Closing { then_reconnect: false });
                self.advance(st, now);
            }
            Session::Open(Connection { phase: Phase::Tls | Phase::Upgrading, .. }) => {
                st.push(Event::MarketClose);
                self.set_session(st, Session::Closed);
            }
            Session::Open(Connection { phase: Phase::Closing { .. }, .. }) | Session::Closed => {}
        }
    }
}

impl<'a, L: Link, C: super::Stamp> Engine<'a, L, C> {
    /// Attaches the market-data stream that [`Pricing::Book`](super::Pricing::Book)
    /// prices orders from, over `link` (its own TLS client), with
    /// `message_buffer` to reassemble its messages. The first event asks
    /// the host to connect it.
    pub fn attach_market(&mut self, link: L, message_buffer: &'a mut [u8]) -> Result<(), super::SetupError> {
        let super::Pricing::Book(stream) = self.st.settings.pricing else {
            return Err(super::SetupError::NoBookPricing);
        };
        let feed = match stream.feed {
            MarketFeed::Binance => Feed::Binance,
            MarketFeed::Coinbase => {
                Feed::Coinbase(coinbase::subscribe(stream.symbol).map_err(|_| super::SetupError::MarketSymbol)?)
            }
        };
        let mut scratch = [0u8; 1024];
        let request = Request { host: stream.host, path: stream.path, key: [0; 16], headers: stream.headers };
        let (ws, _) =
            ws::Client::connect(&request, &mut scratch, message_buffer).map_err(super::SetupError::MarketEndpoint)?;
        self.market = Some(Market::new(Outbox::new(link, ws, Transport::WebSocket), stream, feed));
        self.st.push(Event::MarketConnect);
        Ok(())
    }

    /// The host connected TCP to the market-data stream.
    pub fn market_connected(&mut self, now: u64) {
        if let Some(m) = &mut self.market {
            m.connected(&mut self.st, now);
        }
    }

    /// The host could not open the connection [`Event::MarketConnect`]
    /// asked for: a reconnect follows after the backoff.
    pub fn market_connect_failed(&mut self, now: u64) {
        if let Some(m) = &mut self.market {
            m.connect_failed(&mut self.st, now);
        }
    }

    /// The market-data TCP connection ended.
    pub fn market_closed(&mut self, now: u64) {
        if let Some(m) = &mut self.market {
            m.closed(&mut self.st, now);
        }
    }

    /// TLS bytes from the market-data stream, in any split.
    pub fn handle_market(&mut self, now: u64, input: &[u8]) {
        if let Some(m) = &mut self.market {
            m.handle(&mut self.st, now, input);
        }
    }

    /// Where the market-data connection stands; `None` without one.
    pub fn market_state(&self) -> Option<MarketState> {
        self.market.as_ref().map(Market::state)
    }

    /// The top of book orders are priced from.
    pub fn book(&self) -> &crate::market::Book {
        &self.st.book
    }

    /// The market-data stream's transport.
    pub fn market_link(&self) -> Option<&L> {
        self.market.as_ref().map(|m| &m.io.link)
    }
}
