//! `hotline-replay`: the mempool replayer. `play` publishes a capture file
//! through a real libzmq PUB socket exactly as bitcoind's `zmqpubrawtx`
//! does (three frames: topic, body, u32 little-endian sequence), at the
//! recorded pace or as fast as possible, or with `--nodes N` on N sockets
//! with relay delays per node (`nodes.rs`); `record` subscribes to live
//! nodes and writes what each publishes into a capture of its own;
//! `synth` builds the demo capture shipped in `captures/`. The format is in `capture.rs`,
//! the player in `player.rs` (the library `hotline demo` embeds).

mod synth;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use hotline_replay::{
    Fault, MultiPlayConfig, NodeConfig, Pace, PlayConfig, Player, RelayDelay, capture, consecutive_endpoints,
};

/// Mempool replayer: bitcoind-shaped ZMQ notifications from a capture file.
#[derive(Debug, Parser)]
#[command(name = "hotline-replay", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Publish a capture on a libzmq PUB socket, as bitcoind would.
    Play {
        /// The capture file.
        capture: PathBuf,
        /// Endpoint to bind (`tcp://127.0.0.1:*` picks a free port).
        /// Repeat it to give each node its own; otherwise node `i` binds
        /// this port + `i`.
        #[arg(long = "bind", default_value = "tcp://127.0.0.1:28332")]
        binds: Vec<String>,
        /// Ignore the recorded offsets and publish as fast as possible.
        #[arg(long)]
        fast: bool,
        /// Send high-water mark per subscriber (bitcoind's default: 1000).
        #[arg(long, default_value_t = 1000)]
        hwm: i32,
        /// Start once a subscription arrives. This binds an XPUB, which is
        /// a PUB on the wire except that READY announces `XPUB`.
        #[arg(long)]
        wait_subscriber: bool,
        /// Without --wait-subscriber, wait this long for subscribers to
        /// connect before publishing (a PUB drops what nobody receives).
        #[arg(long, default_value_t = 1000)]
        start_delay_ms: u64,
        /// Play the capture this many times; later loops continue the
        /// sequence numbers and make every transaction a new one.
        #[arg(long, default_value_t = 1)]
        loops: u32,
        #[command(flatten)]
        nodes: NodesArgs,
    },
    /// Subscribe to live nodes and record their notifications.
    Record {
        /// A node's ZMQ endpoint, e.g. `tcp://127.0.0.1:28332`; repeat it
        /// to record several nodes at once, one capture each, their
        /// offsets on one shared clock.
        #[arg(long = "connect", required = true)]
        connects: Vec<String>,
        /// The capture file to write, one per `--connect`, in order.
        #[arg(long = "out", required = true)]
        outs: Vec<PathBuf>,
        /// Topics to subscribe to.
        #[arg(long = "topic", default_value = "rawtx")]
        topics: Vec<String>,
        /// Stop once every node has given this many notifications.
        #[arg(long)]
        count: Option<u64>,
    },
    /// Write the demo capture: real transactions plus labelled synthetic
    /// whales.
    Synth {
        /// The capture file to write.
        #[arg(long, default_value = "captures/demo.capture")]
        out: PathBuf,
        /// The shared folder holding `data/tx-vectors.json`.
        #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"))]
        shared: PathBuf,
    },
}

/// Several nodes: the relay-delay model is in the library's `nodes`
/// module doc.
#[derive(Debug, clap::Args)]
struct NodesArgs {
    /// Publish on this many nodes, each transaction reaching each node
    /// after its own relay delay. One node without --gap, --restart or
    /// --node-offset-ms plays the capture exactly as recorded.
    #[arg(long)]
    nodes: Option<usize>,
    /// Seeds the relay delays: the same seed, the same delays.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Relay hops between the origin and each node.
    #[arg(long, default_value_t = 2)]
    hops: u32,
    /// Mean trickle delay per hop, in milliseconds (Bitcoin Core: 2000
    /// towards outbound peers, 5000 towards inbound ones).
    #[arg(long, default_value_t = 2000.0)]
    delay_mean_ms: f64,
    /// A fixed delay for node `i`, in milliseconds; repeat in node order.
    #[arg(long = "node-offset-ms")]
    offsets_ms: Vec<u64>,
    /// `NODE:AT`: node NODE (from 0) skips one sequence number at its
    /// AT-th notification (from 0). Repeatable.
    #[arg(long = "gap")]
    gaps: Vec<String>,
    /// `NODE:AT`: node NODE numbers from 0 again at its AT-th
    /// notification, as a restarted bitcoind. Repeatable.
    #[arg(long = "restart")]
    restarts: Vec<String>,
}

/// What `play` is told to do.
#[derive(Debug)]
enum Plan {
    One(PlayConfig),
    Several(MultiPlayConfig),
}

impl NodesArgs {
    fn plan(self, binds: Vec<String>, one: PlayConfig) -> Result<Plan, String> {
        let n = match (self.nodes, binds.len()) {
            (Some(0), _) => return Err("--nodes: at least 1".to_owned()),
            (Some(n), 1) | (None, n) => n,
            (Some(n), b) if n == b => n,
            (Some(n), b) => return Err(format!("--nodes {n} but {b} --bind")),
        };
        if n == 1 && self.gaps.is_empty() && self.restarts.is_empty() && self.offsets_ms.is_empty() {
            return Ok(Plan::One(one));
        }
        if self.offsets_ms.len() > n {
            return Err(format!("{} --node-offset-ms for {n} nodes", self.offsets_ms.len()));
        }
        let mean = Duration::try_from_secs_f64(self.delay_mean_ms / 1e3)
            .map_err(|e| format!("--delay-mean-ms {}: {e}", self.delay_mean_ms))?;
        let endpoints = if binds.len() == 1 { consecutive_endpoints(&binds[0], n)? } else { binds };
        let mut nodes: Vec<NodeConfig> = endpoints.into_iter().map(NodeConfig::new).collect();
        for (node, ms) in nodes.iter_mut().zip(self.offsets_ms) {
            node.offset = Duration::from_millis(ms);
        }
        let gaps = self.gaps.iter().map(|spec| (spec, "--gap", false));
        for (spec, flag, restart) in gaps.chain(self.restarts.iter().map(|spec| (spec, "--restart", true))) {
            let parsed =
                spec.split_once(':').and_then(|(node, at)| Some((node.parse::<usize>().ok()?, at.parse().ok()?)));
            let Some((node, at)) = parsed else { return Err(format!("{flag} {spec}: expected NODE:AT")) };
            let fault = if restart { Fault::Restart { at } } else { Fault::Gap { at } };
            nodes.get_mut(node).ok_or_else(|| format!("{flag} {spec}: no node {node}"))?.faults.push(fault);
        }
        let PlayConfig { pace, hwm, wait_subscriber, loops, start_delay, .. } = one;
        let relay = RelayDelay { hops: self.hops, mean };
        Ok(Plan::Several(MultiPlayConfig {
            nodes,
            relay,
            seed: self.seed,
            pace,
            hwm,
            wait_subscriber,
            loops,
            start_delay,
        }))
    }
}

fn play(capture: &PathBuf, plan: Plan) -> Result<(), String> {
    let text = std::fs::read_to_string(capture).map_err(|e| format!("{}: {e}", capture.display()))?;
    let entries = capture::parse(&text)?;
    let config = match plan {
        Plan::One(config) => config,
        Plan::Several(config) => return play_nodes(entries, config),
    };
    let player = Player::start(entries, config)?;
    println!("listening on {}", player.endpoint());
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    let stats = player.join()?;
    eprintln!("published {} notifications in {:?}", stats.published, stats.elapsed);
    Ok(())
}

fn play_nodes(entries: Vec<capture::Entry>, config: MultiPlayConfig) -> Result<(), String> {
    let player = Player::start_nodes(entries, config)?;
    for endpoint in player.endpoints() {
        println!("listening on {endpoint}");
    }
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    for (i, node) in player.join()?.iter().enumerate() {
        eprintln!(
            "node {i} ({}): published {} notifications in {:?}",
            node.endpoint, node.stats.published, node.stats.elapsed
        );
    }
    Ok(())
}

/// Records every node into its own v1 capture. With several nodes, the
/// offsets of all files count from the first notification any node gave,
/// so the files compare: which node heard of a transaction first, and by
/// how much.
fn record(connects: &[String], outs: &[PathBuf], topics: &[String], count: Option<u64>) -> Result<(), String> {
    if connects.len() != outs.len() {
        return Err(format!("{} --connect but {} --out: one capture per node", connects.len(), outs.len()));
    }
    let ctx = zmq::Context::new();
    let mut sockets = Vec::with_capacity(connects.len());
    let mut writers = Vec::with_capacity(connects.len());
    for (i, (connect, out)) in connects.iter().zip(outs).enumerate() {
        let socket = ctx.socket(zmq::SUB).map_err(|e| format!("socket: {e}"))?;
        // As Core's contrib/zmq/zmq_sub.py: never drop on the receiving side.
        socket.set_rcvhwm(0).map_err(|e| format!("hwm: {e}"))?;
        for topic in topics {
            socket.set_subscribe(topic.as_bytes()).map_err(|e| format!("subscribe: {e}"))?;
        }
        socket.connect(connect).map_err(|e| format!("connect {connect}: {e}"))?;
        let file = File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
        let mut writer = BufWriter::new(file);
        writeln!(writer, "{}\n# <offset_us> <topic> <sequence> <body-hex>\n# recorded from {connect}", capture::MAGIC)
            .map_err(|e| e.to_string())?;
        if connects.len() > 1 {
            writeln!(
                writer,
                "# node {i} of {}, offsets on a clock shared with: {}",
                connects.len(),
                connects.join(" ")
            )
            .map_err(|e| e.to_string())?;
        }
        sockets.push(socket);
        writers.push(writer);
    }
    let mut start = None;
    let mut recorded = vec![0u64; sockets.len()];
    while recorded.iter().any(|r| count.is_none_or(|n| *r < n)) {
        let mut items: Vec<zmq::PollItem<'_>> = sockets.iter().map(|s| s.as_poll_item(zmq::POLLIN)).collect();
        zmq::poll(&mut items, -1).map_err(|e| format!("poll: {e}"))?;
        let ready: Vec<bool> = items.iter().map(zmq::PollItem::is_readable).collect();
        for (i, socket) in sockets.iter().enumerate().filter(|(i, _)| ready[*i]) {
            let frames = socket.recv_multipart(0).map_err(|e| format!("recv: {e}"))?;
            let at = Instant::now();
            if count.is_some_and(|n| recorded[i] >= n) {
                continue;
            }
            let [topic, body, sequence] = frames.as_slice() else {
                eprintln!("skipping a {}-frame message: bitcoind sends 3", frames.len());
                continue;
            };
            let Ok(sequence) = <[u8; 4]>::try_from(sequence.as_slice()) else {
                eprintln!("skipping a message whose sequence frame is not 4 bytes");
                continue;
            };
            let started = *start.get_or_insert(at);
            let entry = capture::Entry {
                offset_us: u64::try_from(at.duration_since(started).as_micros()).unwrap_or(u64::MAX),
                topic: String::from_utf8_lossy(topic).into_owned(),
                sequence: u32::from_le_bytes(sequence),
                body: body.clone(),
            };
            writeln!(writers[i], "{}", entry.to_line()).map_err(|e| e.to_string())?;
            writers[i].flush().map_err(|e| e.to_string())?;
            recorded[i] += 1;
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Play { capture, binds, fast, hwm, wait_subscriber, start_delay_ms, loops, nodes } => {
            let pace = if fast { Pace::Fast } else { Pace::Recorded };
            let start_delay = Duration::from_millis(start_delay_ms);
            let bind = binds.first().cloned().unwrap_or_default();
            nodes
                .plan(binds, PlayConfig { bind, pace, hwm, wait_subscriber, loops, start_delay })
                .and_then(|plan| play(&capture, plan))
        }
        Command::Record { connects, outs, topics, count } => record(&connects, &outs, &topics, count),
        Command::Synth { out, shared } => synth::demo_capture(&shared)
            .and_then(|text| std::fs::write(&out, text).map_err(|e| format!("{}: {e}", out.display()))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("hotline-replay: {message}");
            ExitCode::FAILURE
        }
    }
}
