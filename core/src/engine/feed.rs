//! The feed pump: one node's ZMTP bytes, in any split, turn into bitcoind
//! notifications (`docs/protocols/bitcoind-zmq.md`), and every `rawtx` into
//! the fire path before the bytes after it are read. Partial messages wait
//! in this node's share of the host's feed buffer; a complete one is
//! decoded in place. The node's connection state — up with its silence
//! watchdog, or down with its reconnect time — lives here; each node has
//! its own sequence tracking, watchdog and backoff.

use super::State;
use super::backoff::Backoff;
use super::event::Event;
use super::fire::Pass;
use super::link::Link;
use super::outbox::Outbox;
use super::settings::{Stamp, Timers};
use crate::feed::bitcoind::{self, Subscriber, Topic};
use crate::feed::zmtp;

/// The only notifier the engine trades on.
const TOPICS: [Topic; 1] = [Topic::RawTx];

/// The feed connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeLink {
    /// Not connected; the host is asked to connect at `retry_at`.
    Down { retry_at: Option<u64> },
    /// Connected; `silent` once [`Event::FeedSilent`] was raised.
    Up { last_rx: u64, silent: bool },
}

/// The node's side of the engine.
pub(super) struct Feed<'a> {
    node: usize,
    sub: Subscriber<'static>,
    buf: &'a mut [u8],
    len: usize,
    link: NodeLink,
    backoff: Backoff,
}

impl<'a> Feed<'a> {
    /// Node `node` reading into `buf`; `Err` with the bytes it needs when
    /// `buf` is too small.
    pub(super) fn new(node: usize, buf: &'a mut [u8], max_tx_bytes: usize) -> Result<Self, usize> {
        let sub = Subscriber::new(&TOPICS, max_tx_bytes);
        if buf.len() < sub.buffer_len() {
            return Err(sub.buffer_len());
        }
        Ok(Self { node, sub, buf, len: 0, link: NodeLink::Down { retry_at: None }, backoff: Backoff::default() })
    }

    pub(super) fn connected<C>(&mut self, now: u64, st: &mut State<'_, C>) {
        self.sub.reconnect();
        self.len = 0;
        self.link = NodeLink::Up { last_rx: now, silent: false };
        st.set_node_up(self.node, true);
    }

    pub(super) fn closed<C>(&mut self, now: u64, st: &mut State<'_, C>) {
        self.len = 0;
        st.set_node_up(self.node, false);
        let retry_at = if st.stopping {
            None
        } else {
            Some(now.saturating_add(self.backoff.next_delay(&st.settings.timers, &mut st.rng)))
        };
        self.link = NodeLink::Down { retry_at };
    }

    pub(super) fn stop_reconnecting(&mut self) {
        if let NodeLink::Down { .. } = self.link {
            self.link = NodeLink::Down { retry_at: None };
        }
    }

    pub(super) fn poll_transmit<C>(&mut self, now: u64, buf: &mut [u8], st: &mut State<'_, C>) -> Option<usize> {
        if !matches!(self.link, NodeLink::Up { .. }) {
            return None;
        }
        match self.sub.poll_transmit(buf) {
            Ok(n) => n,
            Err(e) => {
                st.push(Event::FeedFailed { node: self.node, error: e });
                self.closed(now, st);
                None
            }
        }
    }

    /// The sequence number the node's next `rawtx` should carry.
    pub(super) fn next_sequence(&self) -> Option<u32> {
        self.sub.next_sequence(Topic::RawTx)
    }

    /// A dry run (`warm.rs`): `message` through a copy of this node's
    /// subscriber and the same pump and fire path as the node's bytes,
    /// committing nothing. Skipped while the node is down or in the middle
    /// of a message.
    pub(super) fn rehearse<L: Link, C: Stamp>(
        &self,
        now: u64,
        message: &[u8],
        io: &mut Outbox<'_, L>,
        st: &mut State<'_, C>,
    ) {
        if self.len != 0 || !matches!(self.link, NodeLink::Up { .. }) {
            return;
        }
        let mut sub = self.sub.clone();
        let mut backoff = self.backoff;
        let start = st.clock.stamp();
        let _ = pump(self.node, &mut sub, &mut backoff, message, io, st, now, start, Pass::Dry);
    }

    pub(super) fn deadline(&self, timers: &Timers) -> Option<u64> {
        match self.link {
            NodeLink::Down { retry_at } => retry_at,
            NodeLink::Up { last_rx, silent: false } => Some(last_rx.saturating_add(timers.feed_silence_ns)),
            NodeLink::Up { silent: true, .. } => None,
        }
    }

    pub(super) fn handle_timeout<C>(&mut self, now: u64, st: &mut State<'_, C>) {
        match &mut self.link {
            NodeLink::Down { retry_at } if retry_at.is_some_and(|t| now >= t) => {
                *retry_at = None;
                st.push(Event::FeedConnect { node: self.node });
            }
            NodeLink::Up { last_rx, silent }
                if !*silent && now.saturating_sub(*last_rx) >= st.settings.timers.feed_silence_ns =>
            {
                *silent = true;
                st.push(Event::FeedSilent { node: self.node });
            }
            NodeLink::Down { .. } | NodeLink::Up { .. } => {}
        }
    }

    /// Bytes from the node; see [`super::Engine::handle_feed`].
    pub(super) fn handle<L: Link, C: Stamp>(
        &mut self,
        now: u64,
        mut input: &[u8],
        io: &mut Outbox<'_, L>,
        st: &mut State<'_, C>,
    ) -> Result<(), bitcoind::Error> {
        st.settle_whale();
        let start = st.clock.stamp();
        if let NodeLink::Up { last_rx, silent } = &mut self.link {
            *last_rx = now;
            *silent = false;
        }
        let result = (|| {
            if self.len == 0 {
                // Common case: decode in place; keep only a partial tail.
                let used = pump(self.node, &mut self.sub, &mut self.backoff, input, io, st, now, start, Pass::Live)?;
                input = input.get(used..).unwrap_or_default();
            }
            while !input.is_empty() {
                let room = self.buf.get_mut(self.len..).unwrap_or_default();
                let take = room.len().min(input.len());
                if take == 0 {
                    return Err(bitcoind::Error::Zmtp(zmtp::Error::BufferTooSmall));
                }
                room.get_mut(..take).unwrap_or_default().copy_from_slice(input.get(..take).unwrap_or_default());
                self.len += take;
                input = input.get(take..).unwrap_or_default();
                let data = self.buf.get(..self.len).unwrap_or_default();
                let used = pump(self.node, &mut self.sub, &mut self.backoff, data, io, st, now, start, Pass::Live)?;
                self.buf.copy_within(used..self.len, 0);
                self.len -= used;
            }
            Ok(())
        })();
        if let Err(e) = result {
            st.push(Event::FeedFailed { node: self.node, error: e });
            self.closed(now, st);
        }
        result
    }
}

/// Feeds `data` to `node`'s subscriber until it needs more, acting on each
/// notification; returns the bytes consumed. A dry pass acts on the
/// transactions only, without committing (`warm.rs`).
#[allow(clippy::too_many_arguments)]
fn pump<L: Link, C: Stamp>(
    node: usize,
    sub: &mut Subscriber<'_>,
    backoff: &mut Backoff,
    data: &[u8],
    io: &mut Outbox<'_, L>,
    st: &mut State<'_, C>,
    now: u64,
    start: u64,
    pass: Pass,
) -> Result<usize, bitcoind::Error> {
    let mut used = 0;
    let mut t0 = start;
    loop {
        let (n, event) = sub.handle_input(data.get(used..).unwrap_or_default())?;
        used += n;
        let Some(event) = event else {
            if n == 0 {
                return Ok(used);
            }
            continue;
        };
        match event {
            bitcoind::Event::Notification(note) if note.topic == Topic::RawTx => {
                st.on_rawtx(io, node, now, note.body, t0, pass);
                t0 = st.clock.stamp();
            }
            _ if pass == Pass::Dry => {}
            bitcoind::Event::Notification(_) | bitcoind::Event::Ping | bitcoind::Event::IgnoredCommand { .. } => {}
            bitcoind::Event::Connected { .. } => {
                backoff.reset();
                st.push(Event::FeedUp { node });
            }
            bitcoind::Event::Gap { expected, got, .. } => {
                let covered = st.on_gap(node, now, false);
                st.push(Event::FeedGap { node, expected, got, covered });
            }
            bitcoind::Event::Restart { .. } => {
                let covered = st.on_gap(node, now, true);
                st.push(Event::FeedRestart { node, covered });
            }
            bitcoind::Event::Oversized { len, .. } => st.push(Event::FeedOversized { node, len }),
            bitcoind::Event::PeerError { .. } => return Err(bitcoind::Error::BadShape),
        }
    }
}
