//! `[node]`: the bitcoind ZMQ publisher's table turns into the feed
//! endpoint the loop connects to, the feed watchdog and what a sequence gap
//! does (docs/protocols/bitcoind-zmq.md §Sequence numbers).

use serde::Deserialize;

use super::{Problems, defaults};

/// `[node]`: the bitcoind ZMQ publisher.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// `tcp://host:port` of bitcoind's `zmqpubrawtx` (and `zmqpubsequence`).
    pub endpoint: String,
    /// Largest transaction accepted from the feed, in bytes.
    #[serde(default = "defaults::node_max_tx_bytes")]
    pub max_tx_bytes: usize,
    /// Watchdog: seconds without any feed message before it is reported.
    #[serde(default = "defaults::node_silence_secs")]
    pub silence_secs: u64,
    /// What a gap in the feed's sequence numbers (or a node restart) does.
    #[serde(default)]
    pub on_gap: OnGap,
}

/// Reaction to a feed gap or node restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnGap {
    /// Suppress signals for `strategy.gap_holdoff_ms`, then trade on.
    Holdoff,
    /// Engage the risk gate's kill switch (the hold-off applies as well).
    #[default]
    Kill,
}

impl Node {
    /// Host and port of `endpoint`.
    pub fn host_port(&self) -> Result<(&str, u16), String> {
        let rest = self.endpoint.strip_prefix("tcp://").ok_or("must start with tcp://")?;
        let (host, port) = rest.rsplit_once(':').ok_or("needs a port: tcp://host:port")?;
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        let port = port.parse::<u16>().ok().filter(|p| *p != 0).ok_or("port must be 1-65535")?;
        if host.is_empty() || host.contains(['/', '[', ']', ' ']) {
            return Err("needs a host: tcp://host:port".to_owned());
        }
        Ok((host, port))
    }

    pub(super) fn validate(&self, p: &mut Problems) {
        if let Err(e) = self.host_port() {
            p.require(false, "node.endpoint", e);
        }
        p.require(self.max_tx_bytes >= 64, "node.max_tx_bytes", "must be >= 64 (no transaction is smaller)");
        p.require(self.silence_secs > 0, "node.silence_secs", "must be > 0");
    }
}
