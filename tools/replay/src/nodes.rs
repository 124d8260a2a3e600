//! Several nodes: one capture turns into N bitcoind-shaped feeds, one
//! libzmq PUB socket per node, each notification reaching each node after
//! a relay delay of its own, so that which node hears of a transaction
//! first, and by how much, shows on one machine.
//!
//! # The relay-delay model
//!
//! Bitcoin Core does not forward a transaction at once: it announces
//! transactions to a peer at times drawn from an exponential distribution
//! (a Poisson process, "trickling"), of mean 2 s towards outbound peers
//! and 5 s towards inbound ones (`OUTBOUND_INVENTORY_BROADCAST_INTERVAL`,
//! `INBOUND_INVENTORY_BROADCAST_INTERVAL` in
//! <https://github.com/bitcoin/bitcoin/blob/master/src/net_processing.cpp>);
//! blocks bypass the trickle. The model: node `n` hears of notification
//! `i` at its recorded offset, plus the node's fixed [`NodeConfig::offset`],
//! plus, unless it is a block (`rawblock`, `hashblock`), the sum of
//! [`RelayDelay::hops`] independent exponential draws of mean
//! [`RelayDelay::mean`] (defaults: 2 hops of 2 s, relaying between
//! outbound peers; tests and demos use a mean of milliseconds). The draws
//! of node `n` come from a SplitMix64 stream
//! (<https://prng.di.unimi.it/splitmix64.c>) seeded from
//! [`MultiPlayConfig::seed`] and `n`: the same seed gives the same delays,
//! and adding a node leaves the others' delays alone. Each node publishes
//! its copies in its own arrival order, so two nodes may see two
//! transactions in opposite orders. With loops, each loop's copy of a
//! notification gets fresh draws.
//!
//! # Sequence numbers and faults
//!
//! Each node numbers its own stream, per topic, as one bitcoind notifier
//! does (`docs/protocols/bitcoind-zmq.md` §Sequence numbers), starting
//! from the capture's first number for that topic; gaps in the capture are
//! therefore not replayed. A node can instead be told to fail, counted in
//! the node's own published notifications ([`Fault`]): a gap skips one
//! number (the subscriber sees `Gap`, nothing is lost), a restart numbers
//! from 0 again as a restarted bitcoind does (the subscriber sees
//! `Restart`; the socket stays bound, only the numbering starts over).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::capture::Entry;
use crate::player::{self, Pace, Plan, PlayConfig, PlayStats, Player};

/// The relay delay added to every transaction, per node: the sum of
/// `hops` exponential draws of mean `mean`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayDelay {
    /// Relays between the origin and the node.
    pub hops: u32,
    /// Mean trickle delay per hop.
    pub mean: Duration,
}

impl RelayDelay {
    /// Core's mean trickle delay towards an outbound peer.
    pub const OUTBOUND: Duration = Duration::from_secs(2);
    /// Core's mean trickle delay towards an inbound peer.
    pub const INBOUND: Duration = Duration::from_secs(5);
}

impl Default for RelayDelay {
    fn default() -> Self {
        Self { hops: 2, mean: Self::OUTBOUND }
    }
}

/// A failure a node is told to show, at its `at`-th published
/// notification (counted from 0, across loops).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// That notification's number is one higher than due: the subscriber
    /// sees a gap of exactly one, and nothing is actually lost.
    Gap {
        /// The first notification numbered higher.
        at: u64,
    },
    /// Every topic's numbering starts over at 0 with that notification.
    Restart {
        /// The notification numbered 0.
        at: u64,
    },
}

/// One node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConfig {
    /// The endpoint to bind; port `0` or `*` picks a free one.
    pub bind: String,
    /// Added to every arrival at this node, on top of the relay delay.
    pub offset: Duration,
    /// Failures to show.
    pub faults: Vec<Fault>,
}

impl NodeConfig {
    /// A node on `bind`, no offset, no faults.
    pub fn new(bind: impl Into<String>) -> Self {
        Self { bind: bind.into(), offset: Duration::ZERO, faults: Vec::new() }
    }
}

/// How to play a capture on several nodes. The fields after `seed` mean
/// what [`PlayConfig`]'s do, for every node at once; `wait_subscriber`
/// waits until every node has a subscriber.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiPlayConfig {
    /// The nodes, at least one.
    pub nodes: Vec<NodeConfig>,
    /// The relay delay model.
    pub relay: RelayDelay,
    /// Seeds every node's delays.
    pub seed: u64,
    /// How fast to publish: [`Pace::Scaled`] divides relay delays and
    /// offsets alike; with [`Pace::Fast`] each node still publishes in its
    /// own arrival order, back to back.
    pub pace: Pace,
    /// Send high-water mark per subscriber.
    pub hwm: i32,
    /// Bind XPUBs and publish once every node has a subscriber.
    pub wait_subscriber: bool,
    /// How many times to play the capture, at least 1.
    pub loops: u32,
    /// Without `wait_subscriber`, how long to leave subscribers to connect.
    pub start_delay: Duration,
}

impl MultiPlayConfig {
    /// `nodes` with the default model, seed 0, and [`PlayConfig`]'s
    /// defaults.
    pub fn new(nodes: Vec<NodeConfig>) -> Self {
        let PlayConfig { pace, hwm, wait_subscriber, loops, start_delay, .. } = PlayConfig::default();
        Self { nodes, relay: RelayDelay::default(), seed: 0, pace, hwm, wait_subscriber, loops, start_delay }
    }
}

impl Default for MultiPlayConfig {
    /// Three nodes on free loopback ports.
    fn default() -> Self {
        Self::new(vec![NodeConfig::new("tcp://127.0.0.1:0"); 3])
    }
}

/// `n` endpoints from one: `bind`'s port, port + 1, …; a port of `0` or
/// `*` (pick a free one) stays as it is for every node.
pub fn consecutive_endpoints(bind: &str, n: usize) -> Result<Vec<String>, String> {
    let (host, port) = bind.rsplit_once(':').ok_or_else(|| format!("{bind}: no port"))?;
    if port == "*" || port == "0" {
        return Ok(vec![bind.to_owned(); n]);
    }
    let port: u16 = port.parse().map_err(|e| format!("{bind}: port: {e}"))?;
    (0..n)
        .map(|i| {
            let port = u16::try_from(i)
                .ok()
                .and_then(|i| port.checked_add(i))
                .ok_or_else(|| format!("{bind}: port overflow"))?;
            Ok(format!("{host}:{port}"))
        })
        .collect()
}

/// One notification of one node's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// Its index in the capture.
    pub entry: usize,
    /// The loop it belongs to (0 for the capture itself).
    pub pass: u32,
    /// The relay delay drawn for it at this node (offset not included).
    pub delay: Duration,
    /// When it reaches the node, on the recorded timeline (before pace
    /// scaling): recorded offset, loop start, node offset and delay.
    pub due: Duration,
    /// The sequence number the node gives it.
    pub sequence: u32,
}

/// What one node published, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// The notification.
    pub delivery: Delivery,
    /// When it was handed to libzmq, from the start of publishing.
    pub at: Duration,
}

/// What one node did in a finished (or stopped) play.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStats {
    /// The bound endpoint.
    pub endpoint: String,
    /// Its count and its last send, from the common start.
    pub stats: PlayStats,
    /// Every notification it published, in order.
    pub sent: Vec<Sent>,
}

/// Every node's stream, in its publishing order: the model of the module
/// doc, without sockets or clocks.
pub fn schedule(entries: &[Entry], config: &MultiPlayConfig) -> Vec<Vec<Delivery>> {
    let period_us = player::period_us(entries);
    let mut first: HashMap<&str, u32> = HashMap::new();
    for entry in entries {
        first.entry(entry.topic.as_str()).or_insert(entry.sequence);
    }
    let mean_us = config.relay.mean.as_secs_f64() * 1e6;
    config
        .nodes
        .iter()
        .enumerate()
        .map(|(n, node)| {
            let mut rng = SplitMix64::new(SplitMix64::new(config.seed ^ n as u64).next());
            let offset_us = duration_us(node.offset);
            let mut stream = Vec::with_capacity(entries.len().saturating_mul(config.loops as usize));
            for pass in 0..config.loops {
                let loop_us = u64::from(pass).saturating_mul(period_us);
                for (i, entry) in entries.iter().enumerate() {
                    let delay_us = if is_block(&entry.topic) {
                        0
                    } else {
                        (0..config.relay.hops).map(|_| rng.exponential(mean_us)).fold(0u64, u64::saturating_add)
                    };
                    let due_us =
                        entry.offset_us.saturating_add(loop_us).saturating_add(offset_us).saturating_add(delay_us);
                    stream.push(Delivery {
                        entry: i,
                        pass,
                        delay: Duration::from_micros(delay_us),
                        due: Duration::from_micros(due_us),
                        sequence: 0,
                    });
                }
            }
            // Stable: equal arrivals keep the recorded order.
            stream.sort_by_key(|d| d.due);
            let mut next = first.clone();
            for (j, delivery) in stream.iter_mut().enumerate() {
                for fault in &node.faults {
                    match *fault {
                        Fault::Gap { at } if at == j as u64 => {
                            if let Some(n) = next.get_mut(entries[delivery.entry].topic.as_str()) {
                                *n = n.wrapping_add(1);
                            }
                        }
                        Fault::Restart { at } if at == j as u64 => next.values_mut().for_each(|n| *n = 0),
                        _ => {}
                    }
                }
                if let Some(n) = next.get_mut(entries[delivery.entry].topic.as_str()) {
                    delivery.sequence = *n;
                    *n = n.wrapping_add(1);
                }
            }
            stream
        })
        .collect()
}

/// Blocks are not trickled (Core's net_processing.cpp, as in the module
/// doc).
fn is_block(topic: &str) -> bool {
    matches!(topic, "rawblock" | "hashblock")
}

fn duration_us(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// SplitMix64 (<https://prng.di.unimi.it/splitmix64.c>): tiny, seedable
/// with any value, and good enough for delays.
#[derive(Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// An exponential draw of mean `mean_us`, in whole microseconds, by
    /// inversion: `-mean × ln(1 − u)` for `u` uniform in [0, 1).
    fn exponential(&mut self, mean_us: f64) -> u64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        // Saturating cast: a NaN or huge draw cannot wrap.
        (-mean_us * (1.0 - u).ln()).round() as u64
    }
}

/// A capture playing on several nodes, from one thread.
///
/// Dropping it stops it and waits for its thread.
#[derive(Debug)]
pub struct MultiPlayer {
    endpoints: Vec<String>,
    total: u64,
    published: Arc<AtomicU64>,
    stop: Sender<()>,
    thread: Option<JoinHandle<Result<Vec<NodeStats>, String>>>,
}

impl Player {
    /// Binds every node's socket on the calling thread (so
    /// [`MultiPlayer::endpoints`] is known on return) and starts
    /// publishing on a new one.
    ///
    /// Fails as [`Player::start`] does, if there is no node, or if a
    /// fault falls past the end of its node's stream.
    pub fn start_nodes(entries: Vec<Entry>, config: MultiPlayConfig) -> Result<MultiPlayer, String> {
        player::check(config.loops, config.pace)?;
        if config.nodes.is_empty() {
            return Err("at least one node".to_owned());
        }
        let streams = schedule(&entries, &config);
        for (n, (node, stream)) in config.nodes.iter().zip(&streams).enumerate() {
            if let Some(fault) = node.faults.iter().find(|f| match f {
                Fault::Gap { at } | Fault::Restart { at } => *at >= stream.len() as u64,
            }) {
                return Err(format!("node {n}: {fault:?} is past its {} notifications", stream.len()));
            }
        }
        let plan = Plan::new(entries, config.loops)?;
        let ctx = zmq::Context::new();
        let mut sockets = Vec::with_capacity(config.nodes.len());
        let mut endpoints = Vec::with_capacity(config.nodes.len());
        for node in &config.nodes {
            let (socket, endpoint) = player::bind(&ctx, &node.bind, config.hwm, config.wait_subscriber)?;
            sockets.push(socket);
            endpoints.push(endpoint);
        }
        let total = streams.iter().map(|s| s.len() as u64).sum();
        let published = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = mpsc::channel();
        let counter = Arc::clone(&published);
        let names = endpoints.clone();
        let thread = std::thread::Builder::new()
            .name("hotline-replay-nodes".to_owned())
            .spawn(move || play(plan, streams, &sockets, names, &config, &counter, &stopped))
            .map_err(|e| format!("thread: {e}"))?;
        Ok(MultiPlayer { endpoints, total, published, stop, thread: Some(thread) })
    }
}

impl MultiPlayer {
    /// Every node's bound endpoint, port resolved, in node order.
    pub fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    /// Notifications published so far, all nodes together.
    pub fn progress(&self) -> u64 {
        self.published.load(Ordering::Relaxed)
    }

    /// What [`progress`](MultiPlayer::progress) reaches once every node
    /// has published everything.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Waits until every node has published everything and drained; with
    /// `wait_subscriber`, forever if a node gets no subscriber.
    pub fn join(mut self) -> Result<Vec<NodeStats>, String> {
        self.wait()
    }

    /// Stops publishing at the next notification (or at once if waiting)
    /// and waits for the thread; the stats hold what was published.
    pub fn stop(mut self) -> Result<Vec<NodeStats>, String> {
        // An error means the thread has already ended: nothing to stop.
        let _ = self.stop.send(());
        self.wait()
    }

    fn wait(&mut self) -> Result<Vec<NodeStats>, String> {
        let thread = self.thread.take().ok_or("the replayer thread was already joined")?;
        thread.join().map_err(|_| "the replayer thread panicked".to_owned())?
    }
}

impl Drop for MultiPlayer {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.stop.send(());
            let _ = self.wait();
        }
    }
}

/// Publishes every node's stream, all merged on one timeline; returns
/// early, with what was published, when `stop` says so.
fn play(
    mut plan: Plan,
    streams: Vec<Vec<Delivery>>,
    sockets: &[zmq::Socket],
    endpoints: Vec<String>,
    config: &MultiPlayConfig,
    published: &AtomicU64,
    stop: &Receiver<()>,
) -> Result<Vec<NodeStats>, String> {
    let mut nodes: Vec<NodeStats> = endpoints
        .into_iter()
        .zip(&streams)
        .map(|(endpoint, s)| NodeStats { endpoint, stats: PlayStats::default(), sent: Vec::with_capacity(s.len()) })
        .collect();
    let stopped = |nodes: Vec<NodeStats>| {
        for socket in sockets {
            // The messages not yet sent no longer matter.
            socket.set_linger(0).map_err(|e| format!("linger: {e}"))?;
        }
        Ok(nodes)
    };
    if config.wait_subscriber {
        let mut waiting: Vec<&zmq::Socket> = sockets.iter().collect();
        while !waiting.is_empty() {
            let mut items: Vec<zmq::PollItem<'_>> = waiting.iter().map(|s| s.as_poll_item(zmq::POLLIN)).collect();
            // Polled rather than blocking so that a stop is heard.
            zmq::poll(&mut items, 50).map_err(|e| format!("waiting for subscribers: {e}"))?;
            let ready: Vec<bool> = items.iter().map(zmq::PollItem::is_readable).collect();
            drop(items);
            for (socket, _) in waiting.iter().zip(&ready).filter(|(_, r)| **r) {
                socket.recv_bytes(0).map_err(|e| format!("waiting for subscribers: {e}"))?;
            }
            let mut ready = ready.into_iter();
            waiting.retain(|_| !ready.next().unwrap_or(false));
            if !matches!(stop.try_recv(), Err(TryRecvError::Empty)) {
                return stopped(nodes);
            }
        }
    } else if !player::pause(stop, config.start_delay) {
        return stopped(nodes);
    }
    let mut timeline: Vec<(Duration, usize, &Delivery)> =
        streams.iter().enumerate().flat_map(|(n, s)| s.iter().map(move |d| (d.due, n, d))).collect();
    // Stable: at equal times, node order, then each node's own order.
    timeline.sort_by_key(|(due, n, _)| (*due, *n));
    let start = Instant::now();
    for (due, n, delivery) in timeline {
        let proceed = match config.pace {
            Pace::Fast => matches!(stop.try_recv(), Err(TryRecvError::Empty)),
            Pace::Recorded | Pace::Scaled(_) => {
                let due = player::due(config.pace, duration_us(due));
                player::pause(stop, due.saturating_sub(start.elapsed()))
            }
        };
        if !proceed {
            return stopped(nodes);
        }
        let (Some(entry), Some(socket), Some(node)) =
            (plan.copy(delivery.entry, delivery.pass), sockets.get(n), nodes.get_mut(n))
        else {
            return Err("a delivery outside the capture".to_owned());
        };
        player::send(socket, &entry.topic, &entry.body, delivery.sequence)?;
        let at = start.elapsed();
        node.sent.push(Sent { delivery: *delivery, at });
        node.stats = PlayStats { published: node.stats.published + 1, elapsed: at };
        published.fetch_add(1, Ordering::Relaxed);
    }
    Ok(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(n: usize) -> Vec<Entry> {
        (0..n).map(|i| Entry { offset_us: 0, topic: "rawtx".into(), sequence: i as u32, body: vec![0] }).collect()
    }

    fn config(nodes: usize) -> MultiPlayConfig {
        MultiPlayConfig {
            relay: RelayDelay { hops: 2, mean: Duration::from_millis(3) },
            seed: 17,
            ..MultiPlayConfig::new(vec![NodeConfig::new("tcp://127.0.0.1:0"); nodes])
        }
    }

    #[test]
    fn splitmix64_matches_the_reference_output() {
        // The reference generator seeded with 1234567 (splitmix64.c).
        let mut rng = SplitMix64::new(1_234_567);
        assert_eq!(
            [rng.next(), rng.next(), rng.next()],
            [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423]
        );
    }

    #[test]
    fn delays_average_hops_times_the_mean() {
        let config = config(3);
        let streams = schedule(&entries(20_000), &config);
        for stream in &streams {
            let mean_us = stream.iter().map(|d| d.delay.as_secs_f64() * 1e6).sum::<f64>() / stream.len() as f64;
            // Expected 6 000 µs; the standard error of 20 000 draws is
            // 6 000 / √(2 × 20 000) ≈ 30 µs, and the seed is fixed.
            assert!((mean_us - 6_000.0).abs() < 300.0, "mean {mean_us} µs");
        }
    }

    #[test]
    fn one_hop_is_exponential() {
        let config = MultiPlayConfig { relay: RelayDelay { hops: 1, mean: Duration::from_millis(2) }, ..config(1) };
        let stream = &schedule(&entries(20_000), &config)[0];
        // P(X > mean) = 1/e ≈ 0.368 for an exponential, 0.5 for a
        // symmetric law.
        let above = stream.iter().filter(|d| d.delay > Duration::from_millis(2)).count() as f64 / 20_000.0;
        assert!((above - (-1.0f64).exp()).abs() < 0.02, "{above}");
    }

    #[test]
    fn the_seed_decides_and_nodes_differ() {
        let order = |seed| -> Vec<Vec<usize>> {
            schedule(&entries(50), &MultiPlayConfig { seed, ..config(3) })
                .iter()
                .map(|s| s.iter().map(|d| d.entry).collect())
                .collect()
        };
        assert_eq!(order(5), order(5));
        assert_ne!(order(5), order(6));
        let nodes = order(5);
        assert_ne!(nodes[0], nodes[1]);
        assert_ne!(nodes[1], nodes[2]);
        let mut four = MultiPlayConfig { seed: 5, ..config(4) };
        four.nodes[3].offset = Duration::from_secs(1);
        assert_eq!(
            schedule(&entries(50), &four)[..3],
            schedule(&entries(50), &MultiPlayConfig { seed: 5, ..config(3) })[..]
        );
    }

    #[test]
    fn each_node_publishes_in_arrival_order_with_its_offset() {
        let mut config = config(2);
        config.nodes[1].offset = Duration::from_secs(10);
        let streams = schedule(&entries(100), &config);
        for stream in &streams {
            assert!(stream.windows(2).all(|w| w[0].due <= w[1].due));
        }
        assert!(streams[1].iter().all(|d| d.due == d.delay + Duration::from_secs(10)));
        assert!(streams[0].iter().all(|d| d.due == d.delay));
    }

    #[test]
    fn blocks_are_not_trickled() {
        let mut entries = entries(10);
        entries[4].topic = "hashblock".into();
        let streams = schedule(&entries, &config(2));
        for stream in &streams {
            let block = stream.iter().find(|d| d.entry == 4).expect("the block");
            assert_eq!(block.delay, Duration::ZERO);
            assert_eq!(block.sequence, 4, "its own topic's numbering");
        }
    }

    #[test]
    fn faults_skip_one_number_or_start_over() {
        let mut config = MultiPlayConfig { loops: 2, ..config(3) };
        config.nodes[1].faults = vec![Fault::Gap { at: 5 }];
        config.nodes[2].faults = vec![Fault::Restart { at: 7 }];
        let mut entries = entries(10);
        entries.iter_mut().for_each(|e| e.sequence += 40);
        let numbers: Vec<Vec<u32>> =
            schedule(&entries, &config).iter().map(|s| s.iter().map(|d| d.sequence).collect()).collect();
        assert_eq!(numbers[0], (40..60).collect::<Vec<_>>());
        assert_eq!(numbers[1], (40..45).chain(46..61).collect::<Vec<_>>());
        assert_eq!(numbers[2], (40..47).chain(0..13).collect::<Vec<_>>());
    }

    #[test]
    fn endpoints_count_up_from_the_port() {
        assert_eq!(
            consecutive_endpoints("tcp://127.0.0.1:28332", 3),
            Ok(vec!["tcp://127.0.0.1:28332".into(), "tcp://127.0.0.1:28333".into(), "tcp://127.0.0.1:28334".into()])
        );
        assert_eq!(consecutive_endpoints("tcp://127.0.0.1:*", 2), Ok(vec!["tcp://127.0.0.1:*".into(); 2]));
        assert!(consecutive_endpoints("tcp://127.0.0.1:65535", 2).is_err());
        assert!(consecutive_endpoints("tcp://127.0.0.1", 2).is_err());
    }

    #[test]
    fn stop_ends_players_still_waiting_for_subscribers() {
        let player = Player::start_nodes(entries(3), config(3)).expect("players start");
        assert_eq!(player.endpoints().len(), 3);
        assert_eq!(player.total(), 9);
        let stats = player.stop().expect("stops");
        assert!(stats.iter().all(|s| s.sent.is_empty() && s.stats.published == 0));
    }

    #[test]
    fn invalid_configurations_are_refused() {
        assert!(Player::start_nodes(entries(3), MultiPlayConfig { nodes: vec![], ..config(1) }).is_err());
        assert!(Player::start_nodes(entries(3), MultiPlayConfig { loops: 0, ..config(1) }).is_err());
        assert!(Player::start_nodes(entries(3), MultiPlayConfig { pace: Pace::Scaled(-1.0), ..config(1) }).is_err());
        let mut late = config(2);
        late.nodes[1].faults = vec![Fault::Restart { at: 3 }];
        assert!(Player::start_nodes(entries(3), late).is_err(), "a fault that would never happen");
    }
}
