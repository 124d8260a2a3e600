//! `hotline-replay` as a library: a capture (`capture`, the text format
//! `hotline-replay record` writes) turns into bitcoind-shaped ZMQ
//! notifications on a real libzmq PUB socket (`Player`), exactly the three
//! frames `zmqpubrawtx` sends (topic, body, u32 little-endian sequence;
//! Bitcoin Core `doc/zmq.md`), or on several, one per simulated node with
//! relay delays drawn from Core's trickle model (`Player::start_nodes`,
//! `MultiPlayer`). The `hotline-replay` binary and
//! `hotline demo` both play through it; the demo capture is embedded so
//! the demo needs no file at run time.

pub mod capture;
mod nodes;
mod player;

pub use nodes::{
    Delivery, Fault, MultiPlayConfig, MultiPlayer, NodeConfig, NodeStats, RelayDelay, Sent, consecutive_endpoints,
    schedule,
};
pub use player::{Pace, PlayConfig, PlayStats, Player};

/// The bundled demo capture (`captures/demo.capture`, built by
/// `hotline-replay synth`), compiled in so it plays from any directory.
pub fn demo_capture_text() -> &'static str {
    include_str!("../captures/demo.capture")
}
