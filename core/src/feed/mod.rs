//! The mempool feed: bytes from a Bitcoin Core node's ZMQ publisher turn
//! into notifications (`rawtx` bodies with their sequence numbers) and
//! feed-health events (gaps, restarts, skipped oversized bodies).
//!
//! [`zmtp`] is the ZeroMQ wire protocol (ZMTP 3.x, RFC 23 / RFC 37) for a
//! SUB socket; [`bitcoind`] reads bitcoind's three-frame notification
//! layout (Bitcoin Core `doc/zmq.md`) on top of it.

pub mod bitcoind;
pub mod zmtp;
