//! The player: capture entries turn into bitcoind's ZMQ notifications
//! (topic, body, u32 little-endian sequence; Bitcoin Core `doc/zmq.md`) on
//! a libzmq socket bound on the caller's thread and fed from a thread of
//! its own, at the recorded pace, scaled, or back to back, once or several
//! times over.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bitcoin::consensus::{deserialize, serialize};
use bitcoin::{Transaction, VarInt};

use crate::capture::Entry;

/// The topic whose bodies are transactions.
const RAWTX: &str = "rawtx";

/// How fast to publish.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// At the recorded offsets.
    Recorded,
    /// Back to back, ignoring the offsets.
    Fast,
    /// At the recorded offsets divided by this speed-up: `Scaled(10.0)`
    /// plays ten times faster than recorded. Must be finite and positive.
    Scaled(f64),
}

/// How to play a capture.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayConfig {
    /// The endpoint to bind; port `0` or `*` picks a free one, which
    /// [`Player::endpoint`] then names.
    pub bind: String,
    /// How fast to publish.
    pub pace: Pace,
    /// Send high-water mark per subscriber (bitcoind's default: 1000):
    /// like bitcoind, what a slow subscriber leaves beyond it is dropped.
    pub hwm: i32,
    /// Bind an XPUB and publish only once the first subscription arrives,
    /// so nothing is lost to the slow joiner (a PUB drops what is sent
    /// before a subscriber's subscription reaches it). An XPUB is a PUB on
    /// the wire except that its ZMTP READY announces `XPUB`.
    pub wait_subscriber: bool,
    /// How many times to play the capture, at least 1; see [`Player`] for
    /// what changes from the second time on.
    pub loops: u32,
    /// Without `wait_subscriber`, how long to leave subscribers to connect
    /// before publishing.
    pub start_delay: Duration,
}

impl Default for PlayConfig {
    fn default() -> Self {
        Self {
            bind: "tcp://127.0.0.1:0".to_owned(),
            pace: Pace::Recorded,
            hwm: 1000,
            wait_subscriber: true,
            loops: 1,
            start_delay: Duration::from_secs(1),
        }
    }
}

/// What a finished (or stopped) play did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlayStats {
    /// Notifications handed to libzmq.
    pub published: u64,
    /// From the start of publishing (once subscribed, or after the start
    /// delay) to the last send.
    pub elapsed: Duration,
}

/// A capture playing on its own thread.
///
/// With `loops > 1` the capture is played again and again, each loop a
/// fresh copy of the original so that a subscriber, and the engine behind
/// it, takes it for new traffic:
/// - sequence numbers continue: loop `k` adds `k × (last − first + 1)` of
///   each topic's sequence numbers, so a contiguous capture stays
///   contiguous across loops and the subscriber sees no gap;
/// - every `rawtx` body of loop `k` has one 4-byte field XOR-ed with `k`:
///   the prevout index (`vout`) of its first input, or for a coinbase
///   (whose null prevout is what makes it one) its nLockTime. Either
///   changes the txid and keeps the body a valid encoding of the same kind
///   of transaction. The first outpoint must change too, not just the
///   txid (as an nLockTime change alone would do): the whale detector
///   (`core::strategy::whale`) knows a whale by its txid *and* its first
///   outpoint, and would suppress loop 1's whale as a BIP 125 replacement
///   of loop 0's. Within a loop, repeats and replacements stay repeats and
///   replacements, since every body of the loop gets the same XOR.
///   `hotline demo` relies on this to get enough orders for its latency
///   table.
///
/// In recorded or scaled pace, each loop starts one average entry interval
/// after the previous loop's last entry. Dropping the player stops it and
/// waits for its thread.
#[derive(Debug)]
pub struct Player {
    endpoint: String,
    published: Arc<AtomicU64>,
    stop: Sender<()>,
    thread: Option<JoinHandle<Result<PlayStats, String>>>,
}

impl Player {
    /// Binds the socket on the calling thread (so [`endpoint`] is known on
    /// return) and starts publishing on a new one.
    ///
    /// Fails if the configuration is invalid, the bind fails, or, with
    /// `loops > 1`, a `rawtx` body is not a transaction with an input in
    /// canonical encoding (it could not be made unique).
    ///
    /// [`endpoint`]: Player::endpoint
    pub fn start(entries: Vec<Entry>, config: PlayConfig) -> Result<Player, String> {
        check(config.loops, config.pace)?;
        let plan = Plan::new(entries, config.loops)?;
        let ctx = zmq::Context::new();
        let (socket, endpoint) = bind(&ctx, &config.bind, config.hwm, config.wait_subscriber)?;
        let published = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = mpsc::channel();
        let counter = Arc::clone(&published);
        let thread = std::thread::Builder::new()
            .name("hotline-replay".to_owned())
            .spawn(move || plan.play(&socket, &config, &counter, &stopped))
            .map_err(|e| format!("thread: {e}"))?;
        Ok(Player { endpoint, published, stop, thread: Some(thread) })
    }

    /// The bound endpoint, with the port resolved: `tcp://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Notifications published so far.
    pub fn progress(&self) -> u64 {
        self.published.load(Ordering::Relaxed)
    }

    /// Waits until every loop is published and the socket has drained (or
    /// its two-second linger ran out); with `wait_subscriber`, forever if
    /// nobody subscribes.
    pub fn join(mut self) -> Result<PlayStats, String> {
        self.wait()
    }

    /// Stops publishing at the next notification (or at once if waiting)
    /// and waits for the thread; the stats count what was published.
    pub fn stop(mut self) -> Result<PlayStats, String> {
        // An error means the thread has already ended: nothing to stop.
        let _ = self.stop.send(());
        self.wait()
    }

    fn wait(&mut self) -> Result<PlayStats, String> {
        let thread = self.thread.take().ok_or("the replayer thread was already joined")?;
        thread.join().map_err(|_| "the replayer thread panicked".to_owned())?
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.stop.send(());
            let _ = self.wait();
        }
    }
}

/// Refuses a loop count or pace the player cannot play.
pub(crate) fn check(loops: u32, pace: Pace) -> Result<(), String> {
    if loops == 0 {
        return Err("loops must be at least 1".to_owned());
    }
    if let Pace::Scaled(speed) = pace
        && !(speed.is_finite() && speed > 0.0)
    {
        return Err(format!("pace: the speed-up must be finite and positive, not {speed}"));
    }
    Ok(())
}

/// A PUB (or, to wait for a subscriber, an XPUB) socket bound to `at`,
/// and the endpoint it resolved to.
pub(crate) fn bind(ctx: &zmq::Context, at: &str, hwm: i32, xpub: bool) -> Result<(zmq::Socket, String), String> {
    let socket = ctx.socket(if xpub { zmq::XPUB } else { zmq::PUB }).map_err(|e| format!("socket: {e}"))?;
    socket.set_sndhwm(hwm).map_err(|e| format!("hwm: {e}"))?;
    // Unlike bitcoind (linger 0), let the tail of the capture drain
    // when the thread ends.
    socket.set_linger(2000).map_err(|e| format!("linger: {e}"))?;
    socket.bind(at).map_err(|e| format!("bind {at}: {e}"))?;
    let endpoint = match socket.get_last_endpoint() {
        Ok(Ok(endpoint)) => endpoint,
        Ok(Err(_)) => return Err("endpoint: not UTF-8".to_owned()),
        Err(e) => return Err(format!("endpoint: {e}")),
    };
    Ok((socket, endpoint))
}

/// Sends one notification as bitcoind does: topic, body, u32 LE sequence.
pub(crate) fn send(socket: &zmq::Socket, topic: &str, body: &[u8], sequence: u32) -> Result<(), String> {
    socket
        .send(topic.as_bytes(), zmq::SNDMORE)
        .and_then(|()| socket.send(body, zmq::SNDMORE))
        .and_then(|()| socket.send(&sequence.to_le_bytes()[..], 0))
        .map_err(|e| format!("send: {e}"))
}

/// The capture prepared for playing.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) entries: Vec<Entry>,
    /// Per entry: what loop `k` adds to its sequence number, once per loop.
    sequence_step: Vec<u32>,
    /// Per `rawtx` entry, when looping: where the field that loop `k`
    /// XORs with `k` sits in the body, and its recorded value.
    unique_field: Vec<Option<(usize, u32)>>,
    /// Microseconds from one loop's start to the next one's.
    pub(crate) period_us: u64,
}

impl Plan {
    pub(crate) fn new(entries: Vec<Entry>, loops: u32) -> Result<Plan, String> {
        let mut spans: HashMap<&str, (u32, u32)> = HashMap::new();
        for entry in &entries {
            spans
                .entry(&entry.topic)
                .and_modify(|(_, last)| *last = entry.sequence)
                .or_insert((entry.sequence, entry.sequence));
        }
        let sequence_step = entries
            .iter()
            .map(|entry| {
                spans.get(entry.topic.as_str()).map_or(0, |(first, last)| last.wrapping_sub(*first).wrapping_add(1))
            })
            .collect();
        let mut unique_field = Vec::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            let field = if loops > 1 && entry.topic == RAWTX {
                Some(locate_unique_field(&entry.body).ok_or_else(|| {
                    format!(
                        "entry {index} (rawtx sequence {}): not a canonically encoded transaction with an input, \
                         so it cannot be made unique for the next loops",
                        entry.sequence
                    )
                })?)
            } else {
                None
            };
            unique_field.push(field);
        }
        let period_us = period_us(&entries);
        Ok(Plan { entries, sequence_step, unique_field, period_us })
    }

    /// Entry `i` as loop `k` publishes it (its unique field XOR-ed with
    /// `k`).
    pub(crate) fn copy(&mut self, i: usize, k: u32) -> Option<&Entry> {
        let entry = self.entries.get_mut(i)?;
        if let Some(Some((at, value))) = self.unique_field.get(i)
            && let Some(field) = entry.body.get_mut(*at..at + 4)
        {
            field.copy_from_slice(&(value ^ k).to_le_bytes());
        }
        Some(entry)
    }

    /// Publishes every loop; returns early, with what was published, when
    /// `stop` says so.
    fn play(
        mut self,
        socket: &zmq::Socket,
        config: &PlayConfig,
        published: &AtomicU64,
        stop: &Receiver<()>,
    ) -> Result<PlayStats, String> {
        let stats = |start: Option<Instant>| PlayStats {
            published: published.load(Ordering::Relaxed),
            elapsed: start.map_or(Duration::ZERO, |s| s.elapsed()),
        };
        let stopped = |start: Option<Instant>| {
            // The messages not yet sent no longer matter.
            socket.set_linger(0).map_err(|e| format!("linger: {e}"))?;
            Ok(stats(start))
        };
        if config.wait_subscriber {
            // Polled rather than blocking so that a stop is heard.
            while socket.poll(zmq::POLLIN, 50).map_err(|e| format!("waiting for a subscriber: {e}"))? == 0 {
                if !matches!(stop.try_recv(), Err(TryRecvError::Empty)) {
                    return stopped(None);
                }
            }
            socket.recv_bytes(0).map_err(|e| format!("waiting for a subscriber: {e}"))?;
        } else if !pause(stop, config.start_delay) {
            return stopped(None);
        }
        let start = Instant::now();
        for k in 0..config.loops {
            let loop_us = u64::from(k).saturating_mul(self.period_us);
            for (i, entry) in self.entries.iter_mut().enumerate() {
                if let Some(Some((at, vout))) = self.unique_field.get(i)
                    && let Some(field) = entry.body.get_mut(*at..at + 4)
                {
                    field.copy_from_slice(&(vout ^ k).to_le_bytes());
                }
                let proceed = match config.pace {
                    Pace::Fast => matches!(stop.try_recv(), Err(TryRecvError::Empty)),
                    Pace::Recorded | Pace::Scaled(_) => {
                        let due = due(config.pace, loop_us.saturating_add(entry.offset_us));
                        pause(stop, due.saturating_sub(start.elapsed()))
                    }
                };
                if !proceed {
                    return stopped(Some(start));
                }
                let step = self.sequence_step.get(i).copied().unwrap_or(0);
                let sequence = entry.sequence.wrapping_add(step.wrapping_mul(k));
                send(socket, &entry.topic, &entry.body, sequence)?;
                published.fetch_add(1, Ordering::Relaxed);
            }
        }
        Ok(stats(Some(start)))
    }
}

/// Microseconds from one loop's start to the next one's: the last offset
/// plus one average entry interval.
pub(crate) fn period_us(entries: &[Entry]) -> u64 {
    let last = entries.last().map_or(0, |e| e.offset_us);
    let intervals = u64::try_from(entries.len()).unwrap_or(u64::MAX).saturating_sub(1).max(1);
    last.saturating_add(last / intervals)
}

/// When a notification recorded `offset_us` into the play is due, measured
/// from the start of the play.
pub(crate) fn due(pace: Pace, offset_us: u64) -> Duration {
    match pace {
        Pace::Fast => Duration::ZERO,
        Pace::Recorded => Duration::from_micros(offset_us),
        Pace::Scaled(speed) => Duration::try_from_secs_f64(offset_us as f64 / 1e6 / speed).unwrap_or(Duration::MAX),
    }
}

/// Sleeps for `duration` unless told to stop; says whether to go on.
pub(crate) fn pause(stop: &Receiver<()>, duration: Duration) -> bool {
    matches!(stop.recv_timeout(duration), Err(RecvTimeoutError::Timeout))
}

/// Where the field that makes loop copies unique sits in a serialized
/// transaction, and its value: the first input's prevout index, found from
/// the encoding rules (version, segwit marker and flag, input count,
/// prevout txid), or a coinbase's nLockTime, the last 4 bytes. Both hold
/// only for a body in canonical encoding, hence the round trip.
fn locate_unique_field(body: &[u8]) -> Option<(usize, u32)> {
    let tx: Transaction = deserialize(body).ok()?;
    if serialize(&tx) != body {
        return None;
    }
    let (at, value) = if tx.is_coinbase() {
        (body.len().checked_sub(4)?, tx.lock_time.to_consensus_u32())
    } else {
        let marker = if tx.input.iter().any(|input| !input.witness.is_empty()) { 2 } else { 0 };
        (4 + marker + VarInt(tx.input.len() as u64).size() + 32, tx.input.first()?.previous_output.vout)
    };
    (body.get(at..at + 4)? == value.to_le_bytes()).then_some((at, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> Vec<Entry> {
        crate::capture::parse(crate::demo_capture_text()).expect("demo capture")
    }

    #[test]
    fn unique_field_is_found_in_legacy_segwit_and_coinbase_bodies() {
        let (mut legacy, mut segwit, mut coinbase) = (false, false, false);
        for entry in entries() {
            let tx: Transaction = deserialize(&entry.body).expect("transaction");
            let (at, value) = locate_unique_field(&entry.body).expect("canonical");
            let mut body = entry.body.clone();
            body[at..at + 4].copy_from_slice(&(value ^ 0x0102_0304).to_le_bytes());
            let patched: Transaction = deserialize(&body).expect("still a transaction");
            let mut expected = tx.clone();
            if tx.is_coinbase() {
                expected.lock_time = bitcoin::absolute::LockTime::from_consensus(value ^ 0x0102_0304);
                coinbase = true;
            } else {
                expected.input[0].previous_output.vout ^= 0x0102_0304;
                let witness = tx.input.iter().any(|i| !i.witness.is_empty());
                segwit |= witness;
                legacy |= !witness;
            }
            assert_eq!(patched, expected);
        }
        assert!(legacy && segwit && coinbase, "the demo capture holds every kind");
    }

    #[test]
    fn a_body_that_cannot_be_made_unique_is_refused_only_when_looping() {
        let mut entries = entries();
        entries[0].body.truncate(10);
        assert!(Plan::new(entries.clone(), 2).is_err());
        assert!(Plan::new(entries, 1).is_ok());
    }

    #[test]
    fn sequence_steps_by_the_span_of_each_topic() {
        let entry = |topic: &str, sequence| Entry { offset_us: 0, topic: topic.into(), sequence, body: vec![0] };
        let plan = Plan::new(vec![entry("hashtx", 7), entry("hashblock", 3), entry("hashtx", 9)], 2).expect("plan");
        assert_eq!(plan.sequence_step, [3, 1, 3]);
    }

    #[test]
    fn stop_ends_a_player_still_waiting_for_its_subscriber() {
        let player = Player::start(entries(), PlayConfig::default()).expect("player starts");
        assert_eq!(player.progress(), 0);
        assert_eq!(player.stop(), Ok(PlayStats { published: 0, elapsed: Duration::ZERO }));
    }

    #[test]
    fn invalid_configurations_are_refused() {
        let with = |f: fn(&mut PlayConfig)| {
            let mut config = PlayConfig::default();
            f(&mut config);
            Player::start(entries(), config).map(drop)
        };
        assert!(with(|c| c.loops = 0).is_err());
        assert!(with(|c| c.pace = Pace::Scaled(0.0)).is_err());
        assert!(with(|c| c.pace = Pace::Scaled(f64::NAN)).is_err());
        assert!(with(|c| c.bind = "tcp://127.0.0.1:notaport".into()).is_err());
    }
}
