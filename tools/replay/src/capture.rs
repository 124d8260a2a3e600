//! The capture format: one notification per line, as text so a capture can
//! be read, diffed and edited by hand.
//!
//! ```text
//! # hotline-capture v1
//! # <offset_us> <topic> <sequence> <body-hex>
//! 0 rawtx 0 0100000001…
//! 250000 rawtx 1 02000000000101…
//! ```
//!
//! The first line is the magic header. Lines starting with `#` are
//! comments (synthetic entries are labelled this way); blank lines are
//! ignored. `offset_us` is microseconds since the start of the capture and
//! never decreases; `topic` is bitcoind's topic name (`rawtx`, `hashtx`,
//! `rawblock`, `hashblock`, `sequence`); `sequence` is the notifier's u32
//! message counter, replayed as is (so recorded gaps replay as gaps);
//! `body-hex` is the frame body in lower-case hex.
//!
//! Several nodes recorded at once (`hotline-replay record --connect A
//! --connect B --out a.capture --out b.capture`) give one v1 capture per
//! node, so every capture ever written still parses as it did. Their
//! offsets count from one shared instant, the first notification any of
//! the nodes gave, so the same transaction's offsets in two files say
//! which node heard of it first and by how much; a comment line after the
//! header names the node and the endpoints sharing the clock.

use std::fmt::Write as _;

/// The first line of every capture.
pub const MAGIC: &str = "# hotline-capture v1";

/// One recorded notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Microseconds since the start of the capture.
    pub offset_us: u64,
    /// bitcoind's topic name (`rawtx`, `hashtx`, …).
    pub topic: String,
    /// The notifier's message counter for this topic.
    pub sequence: u32,
    /// The frame body (a serialized transaction for `rawtx`).
    pub body: Vec<u8>,
}

impl Entry {
    /// The entry as one capture line (no newline).
    pub fn to_line(&self) -> String {
        let mut line = String::with_capacity(32 + 2 * self.body.len());
        let _ = write!(line, "{} {} {} ", self.offset_us, self.topic, self.sequence);
        line.push_str(&hex::encode(&self.body));
        line
    }
}

/// Parses a whole capture.
pub fn parse(text: &str) -> Result<Vec<Entry>, String> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, first)) if first.trim_end() == MAGIC => {}
        _ => return Err(format!("not a capture: the first line must be `{MAGIC}`")),
    }
    let mut entries = Vec::new();
    let mut last = 0u64;
    for (index, line) in lines {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = |what: &str| format!("line {}: {what}", index + 1);
        let mut fields = line.split_ascii_whitespace();
        let (Some(offset), Some(topic), Some(sequence), Some(body), None) =
            (fields.next(), fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(at("expected `<offset_us> <topic> <sequence> <body-hex>`"));
        };
        let offset_us: u64 = offset.parse().map_err(|e| at(&format!("offset: {e}")))?;
        if offset_us < last {
            return Err(at("offsets must not decrease"));
        }
        last = offset_us;
        if hotline_core::feed::bitcoind::Topic::from_name(topic.as_bytes()).is_none() {
            return Err(at(&format!("unknown topic {topic:?}")));
        }
        entries.push(Entry {
            offset_us,
            topic: topic.to_owned(),
            sequence: sequence.parse().map_err(|e| at(&format!("sequence: {e}")))?,
            body: hex::decode(body).map_err(|e| at(&format!("body: {e}")))?,
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_and_comments_are_skipped() {
        let entry = Entry { offset_us: 250_000, topic: "rawtx".into(), sequence: 7, body: vec![1, 2, 0xab] };
        let text = format!("{MAGIC}\n# synthetic\n\n{}\n", entry.to_line());
        assert_eq!(parse(&text), Ok(vec![entry]));
    }

    #[test]
    fn malformed_captures_are_rejected() {
        assert!(parse("0 rawtx 0 00\n").is_err(), "no magic");
        assert!(parse(&format!("{MAGIC}\n0 rawtx 0\n")).is_err(), "missing body");
        assert!(parse(&format!("{MAGIC}\n0 rawblk 0 00\n")).is_err(), "topic");
        assert!(parse(&format!("{MAGIC}\n5 rawtx 0 00\n4 rawtx 1 00\n")).is_err(), "order");
        assert!(parse(&format!("{MAGIC}\n0 rawtx x 00\n")).is_err(), "sequence");
        assert!(parse(&format!("{MAGIC}\n0 rawtx 0 0g\n")).is_err(), "hex");
    }
}
