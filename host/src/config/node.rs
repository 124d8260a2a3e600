//! `[node]`: the bitcoind ZMQ publishers' table turns into the feed
//! endpoints the loop connects to (one node, or several whose first arrival
//! of a transaction wins), the feed watchdog and what a sequence gap does
//! (docs/protocols/bitcoind-zmq.md §Sequence numbers, §Several nodes).

use hotline_core::engine::MAX_NODES;
use serde::Deserialize;

use super::{Problems, defaults};

/// `[node]`: the bitcoind ZMQ publisher.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// `tcp://host:port` of bitcoind's `zmqpubrawtx`: the one-node form.
    pub endpoint: Option<String>,
    /// Several nodes' endpoints; the first arrival of a transaction fires.
    pub endpoints: Option<Vec<String>>,
    /// Largest transaction accepted from the feed, in bytes.
    #[serde(default = "defaults::node_max_tx_bytes")]
    pub max_tx_bytes: usize,
    /// Watchdog: seconds without any feed message before it is reported.
    #[serde(default = "defaults::node_silence_secs")]
    pub silence_secs: u64,
    /// What a gap in the feed's sequence numbers (or a node restart) does
    /// when no other node covers it.
    #[serde(default)]
    pub on_gap: OnGap,
    /// With several nodes, a node that has been up without a gap for this
    /// many seconds covers another node's gap.
    #[serde(default = "defaults::node_gap_cover_secs")]
    pub gap_cover_secs: u64,
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
    /// Every endpoint with the field that names it, in node order.
    pub fn endpoints(&self) -> Vec<(String, &str)> {
        match (&self.endpoint, &self.endpoints) {
            (Some(one), _) => vec![("node.endpoint".to_owned(), one.as_str())],
            (None, Some(many)) => {
                many.iter().enumerate().map(|(i, e)| (format!("node.endpoints[{i}]"), e.as_str())).collect()
            }
            (None, None) => Vec::new(),
        }
    }

    /// Host and port of every endpoint, in node order; the error names the
    /// field.
    pub fn host_ports(&self) -> Result<Vec<(&str, u16)>, String> {
        self.endpoints().into_iter().map(|(field, e)| host_port(e).map_err(|why| format!("{field}: {why}"))).collect()
    }

    pub(super) fn validate(&self, p: &mut Problems) {
        let endpoints = self.endpoints();
        match (&self.endpoint, &self.endpoints) {
            (Some(_), Some(_)) => p.require(false, "node.endpoints", "give node.endpoint or node.endpoints, not both"),
            (None, None) => p.require(false, "node.endpoint", "missing: give node.endpoint or node.endpoints"),
            (None, Some(_)) => p.require(
                (1..=MAX_NODES).contains(&endpoints.len()),
                "node.endpoints",
                format_args!("must list 1-{MAX_NODES} endpoints"),
            ),
            (Some(_), None) => {}
        }
        for (field, endpoint) in &endpoints {
            if let Err(e) = host_port(endpoint) {
                p.require(false, field, e);
            }
        }
        p.require(self.max_tx_bytes >= 64, "node.max_tx_bytes", "must be >= 64 (no transaction is smaller)");
        p.require(self.silence_secs > 0, "node.silence_secs", "must be > 0");
        p.require(self.gap_cover_secs > 0, "node.gap_cover_secs", "must be > 0");
    }
}

/// Host and port of a `tcp://host:port` endpoint.
fn host_port(endpoint: &str) -> Result<(&str, u16), String> {
    let rest = endpoint.strip_prefix("tcp://").ok_or("must start with tcp://")?;
    let (host, port) = rest.rsplit_once(':').ok_or("needs a port: tcp://host:port")?;
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let port = port.parse::<u16>().ok().filter(|p| *p != 0).ok_or("port must be 1-65535")?;
    if host.is_empty() || host.contains(['/', '[', ']', ' ']) {
        return Err("needs a host: tcp://host:port".to_owned());
    }
    Ok((host, port))
}
