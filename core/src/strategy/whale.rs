//! Whale detection: one validated mempool transaction turns into a
//! [`Decision`]: ignore it, signal (txid, value, matched rule, side and a
//! strength that sizing maps to a capped quantity), or suppress it with a
//! reason. The heuristics are common public ones (large single or total
//! outputs, transfers into watch-listed exchange deposit or cold-storage
//! scripts, no coinbases, no repeats; `docs/protocols/bitcoin-tx.md`
//! §Whale heuristics) and are heuristics, not a specification.
//!
//! bitcoind publishes a transaction again when its block connects, and a
//! BIP 125 replacement spends the same inputs under a new txid; both are
//! recognised in a fixed-capacity ring of recent whales (no allocation,
//! oldest evicted first), keyed by txid and by the first outpoint spent.
//! Thresholds are checked before any hashing, so the common case (not a
//! whale) costs no SHA-256.

use crate::btc::tx::{OutPoint, Tx, TxHash};
use crate::order::Side;

/// What a watch-listed output script belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchKind {
    /// An exchange deposit or hot-wallet script: coins arriving there are
    /// commonly sold, so an inflow signals `Sell`.
    ExchangeDeposit,
    /// A known cold-storage script: coins withdrawn into it leave the
    /// market, so an inflow signals `Buy`.
    ColdStorage,
}

/// One watch-listed output script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchEntry<'a> {
    /// The exact scriptPubKey.
    pub script: &'a [u8],
    /// Whose it is.
    pub kind: WatchKind,
}

/// The rule that made a transaction a whale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Outputs to exchange-deposit scripts reached `min_watch_sat`.
    ExchangeInflow,
    /// Outputs to cold-storage scripts reached `min_watch_sat`.
    ColdStorage,
    /// One output reached `min_output_sat`.
    SingleOutput,
    /// The outputs together reached `min_total_sat`.
    TotalValue,
}

/// Detector configuration. A `None` threshold disables its rule.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    /// Minimum sum of all outputs (rule [`Rule::TotalValue`]).
    pub min_total_sat: Option<u64>,
    /// Minimum single output (rule [`Rule::SingleOutput`]).
    pub min_output_sat: Option<u64>,
    /// Minimum sum paid to watch-listed scripts of one kind.
    pub min_watch_sat: Option<u64>,
    /// Labelled output scripts.
    pub watch: &'a [WatchEntry<'a>],
    /// Side for whales no watch entry explains; `None` observes them only.
    pub unlabeled_side: Option<Side>,
    /// Ignore coinbase transactions (they reach `rawtx` with every block).
    pub skip_coinbase: bool,
    /// Minimum time between two signals of the same side, in nanoseconds.
    pub cooldown_ns: u64,
    /// After a feed gap or node restart, suppress signals this long: the
    /// original of a replacement may have been lost, so a replacement could
    /// pass for a new whale.
    pub gap_holdoff_ns: u64,
    /// Strength is value / threshold, capped here.
    pub max_strength: u32,
}

impl Default for Rules<'_> {
    /// 1 000 BTC in total or 500 BTC in one output, 100 BTC to a watched
    /// script; unlabeled whales read as selling pressure; 5 s cooldown.
    fn default() -> Self {
        const BTC: u64 = 100_000_000;
        Self {
            min_total_sat: Some(1_000 * BTC),
            min_output_sat: Some(500 * BTC),
            min_watch_sat: Some(100 * BTC),
            watch: &[],
            unlabeled_side: Some(Side::Sell),
            skip_coinbase: true,
            cooldown_ns: 5_000_000_000,
            gap_holdoff_ns: 2_000_000_000,
            max_strength: 8,
        }
    }
}

/// A trading signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signal {
    /// The whale transaction.
    pub txid: TxHash,
    /// The value that met the rule, in satoshis.
    pub value_sat: u64,
    /// The rule met.
    pub rule: Rule,
    /// Which way to trade.
    pub side: Side,
    /// `value / threshold`, from 1 to `max_strength`.
    pub strength: u32,
}

/// Order sizing from signal strength, in the instrument's quantity steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizing {
    /// Quantity per unit of strength.
    pub base_qty: u64,
    /// Hard cap on one order's quantity.
    pub max_qty: u64,
}

impl Sizing {
    /// `base_qty × strength`, never above `max_qty`.
    pub fn quantity(&self, signal: &Signal) -> u64 {
        self.base_qty.saturating_mul(u64::from(signal.strength)).min(self.max_qty)
    }
}

/// Why a whale produced no signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suppression {
    /// Seen before (bitcoind republishes at block connection).
    Duplicate,
    /// A replacement of the whale `replaced` (same first outpoint).
    Replacement {
        /// The txid of the transaction it replaces.
        replaced: TxHash,
    },
    /// A signal of the same side fired less than `cooldown_ns` ago.
    Cooldown,
    /// Inside the hold-off after a feed gap or node restart.
    FeedGap,
    /// An unlabeled whale and `unlabeled_side` is `None`.
    NoSide,
}

/// The detector's verdict on one transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Not a whale, or a skipped coinbase.
    Ignore,
    /// Act on this.
    Signal(Signal),
    /// A whale, deliberately not signalled.
    Suppressed {
        /// The whale transaction.
        txid: TxHash,
        /// Why.
        reason: Suppression,
    },
}

/// A whale seen recently: the first outpoint it spends, and its txid once
/// known (see [`Detector::evaluate_deferred`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    txid: Option<TxHash>,
    spends: ([u8; 32], u32),
}

/// The whale detector, remembering the last `N` whales.
#[derive(Debug, Clone)]
pub struct Detector<'a, const N: usize> {
    rules: Rules<'a>,
    seen: [Option<Seen>; N],
    /// [`tag`] of each slot's outpoint, scanned before `seen` (one cache
    /// line per eight whales rather than one or two per whale).
    tags: [u64; N],
    next: usize,
    last_signal: [Option<u64>; 2],
    holdoff_until: u64,
}

impl<'a, const N: usize> Detector<'a, N> {
    /// A detector with an empty memory.
    pub fn new(rules: Rules<'a>) -> Self {
        Self { rules, seen: [None; N], tags: [0; N], next: 0, last_signal: [None; 2], holdoff_until: 0 }
    }

    /// The rules in force.
    pub fn rules(&self) -> &Rules<'a> {
        &self.rules
    }

    /// The feed lost messages or the node restarted at `now_ns`.
    pub fn on_feed_gap(&mut self, now_ns: u64) {
        self.holdoff_until = now_ns.saturating_add(self.rules.gap_holdoff_ns);
    }

    /// Decides on one transaction seen at `now_ns`.
    pub fn evaluate(&mut self, now_ns: u64, tx: &Tx<'_>) -> Decision {
        let mut decision = self.evaluate_deferred(now_ns, tx);
        if let Decision::Signal(signal) = &mut decision {
            signal.txid = self.settle(tx);
        }
        decision
    }

    /// [`evaluate`](Self::evaluate) without the one hash a signal does not
    /// need before its order is on the wire: a [`Decision::Signal`] carries
    /// [`TxHash::UNKNOWN`] until the caller computes the txid and passes it
    /// to [`settle`](Self::settle) later. Repeats are recognised by the outpoint
    /// they spend, so the decision is the same either way; only telling a
    /// duplicate from a replacement of a whale not yet settled needs the
    /// txid, and such a repeat is reported as a replacement of
    /// [`TxHash::UNKNOWN`].
    pub fn evaluate_deferred(&mut self, now_ns: u64, tx: &Tx<'_>) -> Decision {
        if self.rules.skip_coinbase && tx.is_coinbase() {
            return Decision::Ignore;
        }
        let Some((rule, side, value_sat, threshold)) = self.classify(tx) else {
            return Decision::Ignore;
        };
        if let Some((txid, reason)) = self.remember(tx) {
            return Decision::Suppressed { txid, reason };
        }
        // A new whale: its txid is computed here only when suppressed.
        let side = match self.verdict(now_ns, side) {
            Ok(side) => side,
            Err(reason) => return Decision::Suppressed { txid: self.settle(tx), reason },
        };
        self.last_signal[side.index()] = Some(now_ns);
        Decision::Signal(self.signal(rule, side, value_sat, threshold))
    }

    /// The decision [`evaluate_deferred`](Self::evaluate_deferred) would
    /// make, changing nothing: no whale remembered, no cooldown started, no
    /// hashing (a suppressed whale's txid is [`TxHash::UNKNOWN`]). The
    /// engine's dry runs take this path while idle to keep it warm.
    pub fn rehearse(&self, now_ns: u64, tx: &Tx<'_>) -> Decision {
        if self.rules.skip_coinbase && tx.is_coinbase() {
            return Decision::Ignore;
        }
        let Some((rule, side, value_sat, threshold)) = self.classify(tx) else {
            return Decision::Ignore;
        };
        let txid = TxHash::UNKNOWN;
        if first_spend(tx).and_then(|spends| self.position(&spends)).is_some() {
            return Decision::Suppressed { txid, reason: Suppression::Duplicate };
        }
        match self.verdict(now_ns, side) {
            Ok(side) => Decision::Signal(self.signal(rule, side, value_sat, threshold)),
            Err(reason) => Decision::Suppressed { txid, reason },
        }
    }

    /// Whether a new whale on `side` may signal at `now_ns`.
    fn verdict(&self, now_ns: u64, side: Option<Side>) -> Result<Side, Suppression> {
        let cooling = |last: Option<u64>| last.is_some_and(|t| now_ns < t.saturating_add(self.rules.cooldown_ns));
        match side {
            _ if now_ns < self.holdoff_until => Err(Suppression::FeedGap),
            None => Err(Suppression::NoSide),
            Some(side) if cooling(self.last_signal[side.index()]) => Err(Suppression::Cooldown),
            Some(side) => Ok(side),
        }
    }

    fn signal(&self, rule: Rule, side: Side, value_sat: u64, threshold: u64) -> Signal {
        let strength = (value_sat / threshold.max(1)).clamp(1, u64::from(self.rules.max_strength));
        Signal {
            txid: TxHash::UNKNOWN,
            value_sat,
            rule,
            side,
            strength: u32::try_from(strength).unwrap_or(self.rules.max_strength),
        }
    }

    /// Computes the txid of a whale [`evaluate_deferred`](Self::evaluate_deferred)
    /// signalled, and records it.
    pub fn settle(&mut self, tx: &Tx<'_>) -> TxHash {
        let txid = tx.txid();
        if let Some(seen) = first_spend(tx).and_then(|spends| self.find(&spends)).filter(|seen| seen.txid.is_none()) {
            seen.txid = Some(txid);
        }
        txid
    }

    /// The whale recorded as spending `spends`.
    fn find(&mut self, spends: &([u8; 32], u32)) -> Option<&mut Seen> {
        let slot = self.position(spends)?;
        self.seen.get_mut(slot)?.as_mut()
    }

    /// The slot of the whale recorded as spending `spends`. Only the tags
    /// are scanned; a slot is read only when its tag matches (written as
    /// two steps: zipped, the compiler loaded every slot alongside its tag
    /// to compare without a branch, 64 cache lines instead of 8).
    fn position(&self, spends: &([u8; 32], u32)) -> Option<usize> {
        let tag = tag(spends);
        let mut from = 0;
        while let Some(i) = self.tags.get(from..)?.iter().position(|&t| t == tag) {
            let slot = from + i;
            if self.seen.get(slot)?.as_ref().is_some_and(|seen| seen.spends == *spends) {
                return Some(slot);
            }
            from = slot + 1;
        }
        None
    }

    /// The rule a transaction meets, if any: watch-list inflows first
    /// (they carry a direction), then the single-output and total rules.
    fn classify(&self, tx: &Tx<'_>) -> Option<(Rule, Option<Side>, u64, u64)> {
        if let (Some(min), false) = (self.rules.min_watch_sat, self.rules.watch.is_empty()) {
            let (mut deposit, mut cold) = (0u64, 0u64);
            for output in tx.outputs() {
                let kind = self.rules.watch.iter().find(|w| w.script == output.script_pubkey).map(|w| w.kind);
                // Values are at most MAX_MONEY in total, so sums cannot wrap.
                match kind {
                    Some(WatchKind::ExchangeDeposit) => deposit += output.value_sat,
                    Some(WatchKind::ColdStorage) => cold += output.value_sat,
                    None => {}
                }
            }
            if deposit.max(cold) >= min {
                return Some(if deposit >= cold {
                    (Rule::ExchangeInflow, Some(Side::Sell), deposit, min)
                } else {
                    (Rule::ColdStorage, Some(Side::Buy), cold, min)
                });
            }
        }
        let side = self.rules.unlabeled_side;
        if let Some(min) = self.rules.min_output_sat
            && tx.max_out_sat() >= min
        {
            return Some((Rule::SingleOutput, side, tx.max_out_sat(), min));
        }
        if let Some(min) = self.rules.min_total_sat
            && tx.total_out_sat() >= min
        {
            return Some((Rule::TotalValue, side, tx.total_out_sat(), min));
        }
        None
    }

    /// Records a whale; says why not to signal it, with its txid, if it
    /// spends the same first outpoint as one recorded: the same
    /// transaction again, or a replacement.
    fn remember(&mut self, tx: &Tx<'_>) -> Option<(TxHash, Suppression)> {
        let spends = first_spend(tx)?;
        if let Some(seen) = self.find(&spends) {
            let txid = tx.txid();
            if seen.txid == Some(txid) {
                return Some((txid, Suppression::Duplicate));
            }
            let replaced = seen.txid.unwrap_or(TxHash::UNKNOWN);
            seen.txid = Some(txid);
            return Some((txid, Suppression::Replacement { replaced }));
        }
        if let (Some(slot), Some(t)) = (self.seen.get_mut(self.next), self.tags.get_mut(self.next)) {
            *slot = Some(Seen { txid: None, spends });
            *t = tag(&spends);
        }
        self.next = if self.next + 1 >= N { 0 } else { self.next + 1 };
        None
    }
}

/// The first outpoint a transaction spends.
fn first_spend(tx: &Tx<'_>) -> Option<([u8; 32], u32)> {
    tx.inputs().next().map(|input| (*input.prevout.txid, input.prevout.vout))
}

fn tag(spends: &([u8; 32], u32)) -> u64 {
    OutPoint { txid: &spends.0, vout: spends.1 }.tag()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BTC: u64 = 100_000_000;
    const SECOND: u64 = 1_000_000_000;
    const EXCHANGE: [u8; 22] = {
        let mut s = [0x11u8; 22];
        s[0] = 0x00;
        s[1] = 0x14;
        s
    };
    const COLD: [u8; 34] = {
        let mut s = [0x22u8; 34];
        s[0] = 0x00;
        s[1] = 0x20;
        s
    };

    /// A legacy one-input transaction spending `(prev, 0)` to two outputs.
    struct Built {
        bytes: [u8; 256],
        len: usize,
    }

    fn build(prev: u8, outputs: &[(u64, &[u8])]) -> Built {
        let mut b = [0u8; 256];
        b[..4].copy_from_slice(&2u32.to_le_bytes());
        b[4] = 1;
        b[5..37].fill(prev);
        // vout 0 and an empty scriptSig are the zeroes already there.
        b[42..46].copy_from_slice(&0xffff_fffdu32.to_le_bytes());
        b[46] = outputs.len() as u8;
        let mut at = 47;
        for (value, script) in outputs {
            b[at..at + 8].copy_from_slice(&value.to_le_bytes());
            b[at + 8] = script.len() as u8;
            b[at + 9..at + 9 + script.len()].copy_from_slice(script);
            at += 9 + script.len();
        }
        Built { bytes: b, len: at + 4 }
    }

    impl Built {
        fn tx(&self) -> Tx<'_> {
            Tx::parse(&self.bytes[..self.len]).expect("valid test transaction")
        }
    }

    const WATCH: [WatchEntry<'static>; 2] = [
        WatchEntry { script: &EXCHANGE, kind: WatchKind::ExchangeDeposit },
        WatchEntry { script: &COLD, kind: WatchKind::ColdStorage },
    ];

    fn rules() -> Rules<'static> {
        Rules { watch: &WATCH, ..Rules::default() }
    }

    #[test]
    fn small_transfers_are_ignored() {
        let mut d = Detector::<'_, 8>::new(rules());
        let t = build(1, &[(10 * BTC, &[0x51]), (5 * BTC, &EXCHANGE)]);
        assert_eq!(d.evaluate(0, &t.tx()), Decision::Ignore);
    }

    #[test]
    fn exchange_inflow_signals_sell_with_capped_strength() {
        let mut d = Detector::<'_, 8>::new(rules());
        let t = build(1, &[(450 * BTC, &EXCHANGE), (BTC, &[0x51])]);
        let Decision::Signal(s) = d.evaluate(0, &t.tx()) else { panic!("expected a signal") };
        assert_eq!((s.rule, s.side, s.value_sat, s.strength), (Rule::ExchangeInflow, Side::Sell, 450 * BTC, 4));
        assert_eq!(s.txid, t.tx().txid());
        let sizing = Sizing { base_qty: 10, max_qty: 25 };
        assert_eq!(sizing.quantity(&s), 25);
        let huge = build(2, &[(20_000 * BTC, &COLD)]);
        let Decision::Signal(s) = d.evaluate(0, &huge.tx()) else { panic!("expected a signal") };
        assert_eq!((s.rule, s.side, s.strength), (Rule::ColdStorage, Side::Buy, 8));
    }

    #[test]
    fn unlabeled_rules_single_then_total() {
        let mut d = Detector::<'_, 8>::new(rules());
        let single = build(1, &[(600 * BTC, &[0x51])]);
        assert!(matches!(
            d.evaluate(0, &single.tx()),
            Decision::Signal(Signal { rule: Rule::SingleOutput, side: Side::Sell, .. })
        ));
        let spread = build(2, &[(400 * BTC, &[0x51]), (400 * BTC, &[0x52]), (300 * BTC, &[0x53])]);
        let mut d = Detector::<'_, 8>::new(rules());
        assert!(
            matches!(d.evaluate(0, &spread.tx()), Decision::Signal(Signal { rule: Rule::TotalValue, value_sat: v, .. }) if v == 1_100 * BTC)
        );
        let mut quiet = Detector::<'_, 8>::new(Rules { unlabeled_side: None, ..rules() });
        assert!(matches!(quiet.evaluate(0, &single.tx()), Decision::Suppressed { reason: Suppression::NoSide, .. }));
    }

    #[test]
    fn a_rehearsal_decides_as_the_real_call_would_and_changes_nothing() {
        let small = build(1, &[(10 * BTC, &[0x51])]);
        let single = build(2, &[(600 * BTC, &[0x51])]);
        let inflow = build(3, &[(450 * BTC, &EXCHANGE)]);
        let cold = build(4, &[(300 * BTC, &COLD)]);
        let again = build(2, &[(600 * BTC, &[0x51])]);
        let replacement = build(3, &[(449 * BTC, &EXCHANGE)]);
        let txs = [&small, &single, &inflow, &cold, &again, &replacement, &single, &inflow];
        let mut real = Detector::<'_, 4>::new(rules());
        let mut rehearsed = Detector::<'_, 4>::new(rules());
        for (i, t) in txs.iter().enumerate() {
            let now = i as u64 * SECOND;
            if i == 5 {
                real.on_feed_gap(now);
                rehearsed.on_feed_gap(now);
            }
            // Rehearsals of every transaction, before and after, change
            // nothing the real calls decide.
            for u in &txs {
                let _ = rehearsed.rehearse(now, &u.tx());
            }
            let expected = real.evaluate_deferred(now, &t.tx());
            let rehearsal = rehearsed.rehearse(now, &t.tx());
            let unknown = |d: Decision| match d {
                Decision::Suppressed { reason: Suppression::Replacement { .. }, .. } => {
                    Decision::Suppressed { txid: TxHash::UNKNOWN, reason: Suppression::Duplicate }
                }
                Decision::Suppressed { reason, .. } => Decision::Suppressed { txid: TxHash::UNKNOWN, reason },
                d => d,
            };
            assert_eq!(unknown(rehearsal), unknown(expected), "transaction {i}");
            assert_eq!(rehearsed.evaluate_deferred(now, &t.tx()), expected, "transaction {i}");
        }
    }

    #[test]
    fn deferred_txid_decides_the_same_and_is_settled_later() {
        let mut d = Detector::<'_, 8>::new(Rules { cooldown_ns: 0, ..rules() });
        let t = build(1, &[(600 * BTC, &[0x51])]);
        let Decision::Signal(s) = d.evaluate_deferred(0, &t.tx()) else { panic!("expected a signal") };
        assert_eq!(s.txid, TxHash::UNKNOWN);
        // Not settled yet: a repeat is still suppressed, as a replacement
        // of an unknown txid.
        let replacement = build(1, &[(599 * BTC, &[0x51])]);
        assert_eq!(
            d.evaluate_deferred(1, &t.tx()),
            Decision::Suppressed {
                txid: t.tx().txid(),
                reason: Suppression::Replacement { replaced: TxHash::UNKNOWN }
            }
        );
        // Settled, the next repeat of the same bytes is a duplicate.
        let u = build(2, &[(700 * BTC, &[0x51])]);
        assert!(matches!(d.evaluate_deferred(2, &u.tx()), Decision::Signal(_)));
        assert_eq!(d.settle(&u.tx()), u.tx().txid());
        assert_eq!(
            d.evaluate_deferred(3, &u.tx()),
            Decision::Suppressed { txid: u.tx().txid(), reason: Suppression::Duplicate }
        );
        assert_eq!(
            d.evaluate_deferred(4, &replacement.tx()),
            Decision::Suppressed {
                txid: replacement.tx().txid(),
                reason: Suppression::Replacement { replaced: t.tx().txid() }
            }
        );
    }

    #[test]
    fn block_republish_is_a_duplicate_and_replacement_is_recognised() {
        let mut d = Detector::<'_, 8>::new(rules());
        let t = build(1, &[(600 * BTC, &[0x51])]);
        assert!(matches!(d.evaluate(0, &t.tx()), Decision::Signal(_)));
        assert_eq!(
            d.evaluate(600 * SECOND, &t.tx()),
            Decision::Suppressed { txid: t.tx().txid(), reason: Suppression::Duplicate }
        );
        // Same input, higher fee: a BIP 125 replacement.
        let r = build(1, &[(599 * BTC, &[0x51])]);
        assert_eq!(
            d.evaluate(700 * SECOND, &r.tx()),
            Decision::Suppressed { txid: r.tx().txid(), reason: Suppression::Replacement { replaced: t.tx().txid() } }
        );
        // The replacement's own block republish is a duplicate too.
        assert!(matches!(
            d.evaluate(800 * SECOND, &r.tx()),
            Decision::Suppressed { reason: Suppression::Duplicate, .. }
        ));
    }

    #[test]
    fn memory_is_bounded_and_evicts_oldest() {
        let mut d = Detector::<'_, 2>::new(Rules { cooldown_ns: 0, ..rules() });
        let a = build(1, &[(600 * BTC, &[0x51])]);
        let b = build(2, &[(600 * BTC, &[0x51])]);
        let c = build(3, &[(600 * BTC, &[0x51])]);
        for t in [&a, &b, &c] {
            assert!(matches!(d.evaluate(0, &t.tx()), Decision::Signal(_)));
        }
        assert!(matches!(d.evaluate(0, &c.tx()), Decision::Suppressed { reason: Suppression::Duplicate, .. }));
        // `a` was evicted by `c`, so it is new again.
        assert!(matches!(d.evaluate(0, &a.tx()), Decision::Signal(_)));
    }

    #[test]
    fn cooldown_is_per_side() {
        let mut d = Detector::<'_, 8>::new(rules());
        let sell = build(1, &[(600 * BTC, &[0x51])]);
        let sell2 = build(2, &[(600 * BTC, &[0x51])]);
        let buy = build(3, &[(600 * BTC, &COLD)]);
        assert!(matches!(d.evaluate(SECOND, &sell.tx()), Decision::Signal(_)));
        assert!(matches!(
            d.evaluate(2 * SECOND, &sell2.tx()),
            Decision::Suppressed { reason: Suppression::Cooldown, .. }
        ));
        assert!(matches!(d.evaluate(2 * SECOND, &buy.tx()), Decision::Signal(Signal { side: Side::Buy, .. })));
        let sell3 = build(4, &[(600 * BTC, &[0x51])]);
        assert!(matches!(d.evaluate(6 * SECOND, &sell3.tx()), Decision::Signal(_)));
    }

    #[test]
    fn feed_gap_holds_off_signals() {
        let mut d = Detector::<'_, 8>::new(rules());
        d.on_feed_gap(10 * SECOND);
        let t = build(1, &[(600 * BTC, &[0x51])]);
        assert!(matches!(d.evaluate(11 * SECOND, &t.tx()), Decision::Suppressed { reason: Suppression::FeedGap, .. }));
        let u = build(2, &[(600 * BTC, &[0x51])]);
        assert!(matches!(d.evaluate(12 * SECOND, &u.tx()), Decision::Signal(_)));
    }

    #[test]
    fn coinbase_is_skipped() {
        let mut b = build(0, &[(5_000 * BTC, &[0x51])]);
        b.bytes[37..41].copy_from_slice(&u32::MAX.to_le_bytes());
        // A coinbase scriptSig must be 2..=100 bytes: rebuild with one.
        let mut cb = [0u8; 256];
        cb[..41].copy_from_slice(&b.bytes[..41]);
        cb[41] = 2;
        cb[42..44].copy_from_slice(&[0x51, 0x51]);
        cb[44..b.len + 2].copy_from_slice(&b.bytes[42..b.len]);
        let tx = Tx::parse(&cb[..b.len + 2]).expect("coinbase parses");
        assert!(tx.is_coinbase());
        let mut d = Detector::<'_, 8>::new(rules());
        assert_eq!(d.evaluate(0, &tx), Decision::Ignore);
        let mut keep = Detector::<'_, 8>::new(Rules { skip_coinbase: false, ..rules() });
        assert!(matches!(keep.evaluate(0, &tx), Decision::Signal(_)));
    }
}
