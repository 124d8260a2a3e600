//! `hotline-replay`: the mempool replayer. `play` publishes a capture file
//! through a real libzmq PUB socket exactly as bitcoind's `zmqpubrawtx`
//! does (three frames: topic, body, u32 little-endian sequence), at the
//! recorded pace or as fast as possible; `record` subscribes to a live
//! node and writes what it publishes into a capture; `synth` builds the
//! demo capture shipped in `captures/`. The format is in `capture.rs`,
//! the player in `player.rs` (the library `hotline demo` embeds).

mod synth;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use hotline_replay::{Pace, PlayConfig, Player, capture};

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
        #[arg(long, default_value = "tcp://127.0.0.1:28332")]
        bind: String,
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
    },
    /// Subscribe to a live node and record its notifications.
    Record {
        /// The node's ZMQ endpoint, e.g. `tcp://127.0.0.1:28332`.
        #[arg(long)]
        connect: String,
        /// The capture file to write.
        #[arg(long)]
        out: PathBuf,
        /// Topics to subscribe to.
        #[arg(long = "topic", default_value = "rawtx")]
        topics: Vec<String>,
        /// Stop after this many notifications.
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

fn play(capture: &PathBuf, config: PlayConfig) -> Result<(), String> {
    let text = std::fs::read_to_string(capture).map_err(|e| format!("{}: {e}", capture.display()))?;
    let player = Player::start(capture::parse(&text)?, config)?;
    println!("listening on {}", player.endpoint());
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    let stats = player.join()?;
    eprintln!("published {} notifications in {:?}", stats.published, stats.elapsed);
    Ok(())
}

fn record(connect: &str, out: &PathBuf, topics: &[String], count: Option<u64>) -> Result<(), String> {
    let ctx = zmq::Context::new();
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
    let mut start = None;
    let mut recorded = 0u64;
    while count.is_none_or(|n| recorded < n) {
        let frames = socket.recv_multipart(0).map_err(|e| format!("recv: {e}"))?;
        let [topic, body, sequence] = frames.as_slice() else {
            eprintln!("skipping a {}-frame message: bitcoind sends 3", frames.len());
            continue;
        };
        let Ok(sequence) = <[u8; 4]>::try_from(sequence.as_slice()) else {
            eprintln!("skipping a message whose sequence frame is not 4 bytes");
            continue;
        };
        let started = *start.get_or_insert_with(Instant::now);
        let entry = capture::Entry {
            offset_us: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            topic: String::from_utf8_lossy(topic).into_owned(),
            sequence: u32::from_le_bytes(sequence),
            body: body.clone(),
        };
        writeln!(writer, "{}", entry.to_line()).map_err(|e| e.to_string())?;
        writer.flush().map_err(|e| e.to_string())?;
        recorded += 1;
    }
    Ok(())
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Play { capture, bind, fast, hwm, wait_subscriber, start_delay_ms, loops } => {
            let pace = if fast { Pace::Fast } else { Pace::Recorded };
            let start_delay = Duration::from_millis(start_delay_ms);
            play(&capture, PlayConfig { bind, pace, hwm, wait_subscriber, loops, start_delay })
        }
        Command::Record { connect, out, topics, count } => record(&connect, &out, &topics, count),
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
