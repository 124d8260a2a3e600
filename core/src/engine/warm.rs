//! Dry runs: while idle, a synthetic whale takes the whole fire path, so
//! the real one finds its code, its data and the branch predictors warm
//! (`docs/deploy.md` §Warm path). Whales come a few times a minute, and a
//! path left alone between them runs several times slower than in a
//! benchmark that fires back to back.
//!
//! A dry run goes through the real code on the real state — the same
//! pump and fire path as a node's bytes, a [`Pass::Dry`](super::fire::Pass)
//! through them — and commits nothing:
//! - a copy of a node's subscriber decodes the whale's ZMQ message, the
//!   transaction is parsed and the fusion table probed;
//! - the detector and the risk gate rehearse their verdicts: no whale
//!   remembered, no cooldown started, no token taken;
//! - the whale is copied where a signalled one waits for its txid, and not
//!   kept;
//! - the venue's template for the next order is patched and signed (the
//!   next real order patches every slot again);
//! - the request is framed in the TLS record room behind the queue's end,
//!   and the record layer seals it there under a nonce no record uses.
//!
//! No event is raised, no sequence number, request id or client order id
//! moves, and nothing is queued to send: only [`Counters::dry_runs`]
//! counts it.
//!
//! [`Counters::dry_runs`]: super::Counters::dry_runs

use super::Engine;
use super::link::Link;
use super::settings::Stamp;
use crate::btc::tx::MAX_MONEY;
use crate::feed::bitcoind::{Topic, emit_notification};
use crate::strategy::whale::Rules;

/// Room for the synthetic whale's notification.
const MESSAGE: usize = 384;
/// Longest watch-list script the synthetic whale pays to (one length byte).
const MAX_SCRIPT: usize = 75;
/// The outpoint it spends: no real transaction spends it.
const PREVOUT: [u8; 32] = [0xd7; 32];
const PREVOUT_INDEX: u32 = 0xffff_fffe;
/// A P2WPKH script, for whales no watch entry explains.
const P2WPKH: [u8; 22] = {
    let mut s = [0x77u8; 22];
    s[0] = 0x00;
    s[1] = 0x14;
    s
};
/// The change output.
const CHANGE_SAT: u64 = 12_345_678;
/// A signature and a public key, as a P2WPKH witness carries them.
const SIGNATURE: [u8; 71] = [0x30; 71];
const PUBLIC_KEY: [u8; 33] = [0x02; 33];

/// The synthetic whale and where dry runs stand.
#[derive(Debug)]
pub(super) struct Rehearsal {
    /// bitcoind's `rawtx` notification of the whale; its last four bytes
    /// are the sequence number.
    message: [u8; MESSAGE],
    len: usize,
    /// Dry runs tried, each on the next node.
    runs: u64,
}

impl Rehearsal {
    /// A whale the `rules` signal on: one output at the lowest threshold
    /// that makes a whale (to the first watch-listed script when watch
    /// inflows are a rule), plus change, spent from one P2WPKH input.
    pub(super) fn new(rules: &Rules<'_>) -> Self {
        let watched = rules.min_watch_sat.zip(rules.watch.first()).filter(|(_, w)| w.script.len() <= MAX_SCRIPT);
        let (script, value) = match watched {
            Some((min, entry)) => (entry.script, min),
            None => {
                let min = rules.min_output_sat.into_iter().chain(rules.min_total_sat).min().unwrap_or(0);
                (&P2WPKH[..], min)
            }
        };
        let value = value.min(MAX_MONEY - CHANGE_SAT);
        let mut body = [0u8; MESSAGE];
        let mut at = 0;
        let mut put = |bytes: &[u8]| {
            if let Some(dst) = body.get_mut(at..at + bytes.len()) {
                dst.copy_from_slice(bytes);
            }
            at += bytes.len();
        };
        put(&2u32.to_le_bytes());
        // Segwit marker and flag, one input.
        put(&[0x00, 0x01, 1]);
        put(&PREVOUT);
        put(&PREVOUT_INDEX.to_le_bytes());
        put(&[0]);
        put(&0xffff_fffdu32.to_le_bytes());
        put(&[2]);
        for (value, script) in [(value, script), (CHANGE_SAT, &P2WPKH[..])] {
            put(&value.to_le_bytes());
            put(&[script.len() as u8]);
            put(script);
        }
        put(&[2, SIGNATURE.len() as u8]);
        put(&SIGNATURE);
        put(&[PUBLIC_KEY.len() as u8]);
        put(&PUBLIC_KEY);
        put(&0u32.to_le_bytes());
        let mut message = [0u8; MESSAGE];
        let body = body.get(..at).unwrap_or_default();
        let len = emit_notification(&mut message, Topic::RawTx, body, 0).unwrap_or(0);
        Self { message, len, runs: 0 }
    }

    /// The notification, numbered `sequence`.
    fn message(&mut self, sequence: u32) -> &[u8] {
        let message = self.message.get_mut(..self.len).unwrap_or_default();
        if let Some(at) = message.len().checked_sub(4)
            && let Some(tail) = message.get_mut(at..)
        {
            tail.copy_from_slice(&sequence.to_le_bytes());
        }
        message
    }
}

impl<L: Link, C: Stamp> Engine<'_, L, C> {
    /// Runs the fire path dry on a synthetic whale (see the module docs);
    /// `true` when it ran to the seal. Call it while idle and trading,
    /// every few tens of microseconds; it takes about as long as firing.
    /// Nothing it does reaches the wire or moves anything the venue sees.
    pub fn warm(&mut self, now: u64) -> bool {
        let st = &mut self.st;
        if !st.trading() || st.stopping {
            return false;
        }
        // Each node's subscriber in turn, skipping none: a node that is
        // down only costs its turn.
        let runs = self.rehearsal.runs;
        self.rehearsal.runs += 1;
        let node = usize::try_from(runs % st.node_count as u64).unwrap_or(0);
        let Some(feed) = self.feeds.get(node) else { return false };
        let sequence = feed.next_sequence().unwrap_or(0);
        st.dry_sealed = false;
        feed.rehearse(now, self.rehearsal.message(sequence), &mut self.io, st);
        st.counters.dry_runs += u64::from(st.dry_sealed);
        st.dry_sealed
    }
}
