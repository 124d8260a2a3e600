//! What the account traded: fills from the venue's user data, each counted
//! once (keyed on its trade and order id), into a position, its cost, the
//! realized P&L, the fees, and the P&L marked to the book
//! (`docs/market-data.md` §Fills, position and P&L).
//!
//! Money is counted in the gate's unit, lots × ticks (one unit is
//! 10^-(price decimals + quantity decimals) of the quote asset), so a loss
//! compares with the risk limits without conversion. Fees come in
//! 10^-[`FEE_DECIMALS`] of their asset; a quote-asset fee is kept exactly
//! and charged against the P&L rounded up to the next unit.

use crate::market::Touch;
use crate::order::{Scale, Side};

/// Fraction digits of a fee as the venue reports it.
pub const FEE_DECIMALS: u8 = 8;
/// Fills remembered to recognise one seen twice (a reconnect replays at
/// most a session's worth; older repeats are older than any replay).
pub const REMEMBERED_FILLS: usize = 256;

/// The asset a fee was charged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeeAsset {
    /// No fee.
    None,
    /// The instrument's quote asset: charged against the P&L.
    Quote,
    /// The instrument's base asset.
    Base,
    /// Another asset (a fee-discount token).
    Other,
}

/// One execution against one of the account's orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    /// The venue's trade id.
    pub trade_id: u64,
    /// The venue's id of the order that filled.
    pub order_id: u64,
    /// The order's side.
    pub side: Side,
    /// Lots filled.
    pub qty: u64,
    /// Price in ticks.
    pub price: u64,
    /// Fee, in 10^-[`FEE_DECIMALS`] of `fee_asset`.
    pub fee: u64,
    /// What the fee was charged in.
    pub fee_asset: FeeAsset,
    /// Whether the order was the maker.
    pub maker: bool,
}

/// An asset's balance on the venue, in 10^-[`FEE_DECIMALS`] of the asset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Holding {
    /// Free to trade.
    pub free: u64,
    /// Locked by open orders.
    pub locked: u64,
}

/// The instrument's two assets on the venue, as last reported (`None`
/// until a report names the asset).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Balances {
    /// The base asset (`BTC` of `BTCUSDT`).
    pub base: Option<Holding>,
    /// The quote asset (`USDT`).
    pub quote: Option<Holding>,
}

/// What became of a fill handed to the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Counted.
    New,
    /// Seen before: not counted again.
    Duplicate,
}

/// The account's trading in one instrument.
#[derive(Debug, Clone)]
pub struct Ledger {
    /// Lots held: positive long, negative short.
    position: i64,
    /// What the open position cost, lots × ticks, signed as the position.
    cost: i128,
    /// Closed trades' P&L before fees, lots × ticks.
    realized: i128,
    /// Quote-asset fees, exactly, in 10^-[`FEE_DECIMALS`].
    quote_fees: u128,
    /// Base-asset fees, in 10^-[`FEE_DECIMALS`].
    base_fees: u128,
    /// Fees in other assets, in 10^-[`FEE_DECIMALS`] of each.
    other_fees: u128,
    /// Lots × ticks per 10^-[`FEE_DECIMALS`] of quote, as a power of ten
    /// (negative: that many fee units make one lot × tick).
    fee_shift: i32,
    fills: u64,
    /// The highest trade id counted, or known to precede this engine's
    /// trading (the account's latest trade when it started).
    last_trade_id: Option<u64>,
    /// Lots bought and sold.
    bought: u64,
    sold: u64,
    /// The last touch the position was marked to.
    mark: Option<Touch>,
    /// The venue's word on the instrument's assets.
    balances: Balances,
    /// Recent (trade id, order id) keys, a ring.
    seen: [(u64, u64); REMEMBERED_FILLS],
    seen_len: usize,
    seen_next: usize,
}

impl Ledger {
    /// An empty ledger for an instrument of `scale`.
    pub fn new(scale: Scale) -> Self {
        Self {
            position: 0,
            cost: 0,
            realized: 0,
            quote_fees: 0,
            base_fees: 0,
            other_fees: 0,
            fee_shift: i32::from(scale.price) + i32::from(scale.qty) - i32::from(FEE_DECIMALS),
            fills: 0,
            last_trade_id: None,
            bought: 0,
            sold: 0,
            mark: None,
            balances: Balances { base: None, quote: None },
            seen: [(0, 0); REMEMBERED_FILLS],
            seen_len: 0,
            seen_next: 0,
        }
    }

    /// Counts `fill` unless it was counted before.
    pub fn record(&mut self, fill: &Fill) -> Recorded {
        let key = (fill.trade_id, fill.order_id);
        if self.seen.get(..self.seen_len).unwrap_or_default().contains(&key) {
            return Recorded::Duplicate;
        }
        if let Some(slot) = self.seen.get_mut(self.seen_next) {
            *slot = key;
        }
        self.seen_next = (self.seen_next + 1) % REMEMBERED_FILLS;
        self.seen_len = (self.seen_len + 1).min(REMEMBERED_FILLS);
        self.fills += 1;
        self.last_trade_id = self.last_trade_id.max(Some(fill.trade_id));
        let fee = u128::from(fill.fee);
        match fill.fee_asset {
            FeeAsset::None => {}
            FeeAsset::Quote => self.quote_fees += fee,
            FeeAsset::Base => self.base_fees += fee,
            FeeAsset::Other => self.other_fees += fee,
        }
        let qty = i64::try_from(fill.qty).unwrap_or(i64::MAX);
        let signed = match fill.side {
            Side::Buy => {
                self.bought = self.bought.saturating_add(fill.qty);
                qty
            }
            Side::Sell => {
                self.sold = self.sold.saturating_add(fill.qty);
                -qty
            }
        };
        let price = i128::from(fill.price);
        let before = self.position;
        let after = before.saturating_add(signed);
        if before == 0 || (before > 0) == (signed > 0) {
            // Opening or adding: the cost grows at this price.
            self.cost += price * i128::from(signed);
        } else {
            // Reducing, and past zero opening the other way.
            let closed = signed.abs().min(before.abs());
            let closed_cost = self.cost * i128::from(closed) / i128::from(before.abs());
            let proceeds = price * i128::from(closed);
            // A long closes by selling (proceeds − cost), a short by buying.
            self.realized += if before > 0 { proceeds - closed_cost } else { -closed_cost - proceeds };
            self.cost -= closed_cost;
            let opened = signed.abs() - closed;
            if opened > 0 {
                // Closed in full (its cost exactly), the rest opens anew.
                self.cost = price * i128::from(opened) * i128::from(signed.signum());
            }
        }
        self.position = after;
        Recorded::New
    }

    /// Lots held: positive long, negative short.
    pub fn position(&self) -> i64 {
        self.position
    }

    /// Fills counted.
    pub fn fills(&self) -> u64 {
        self.fills
    }

    /// The highest trade id counted or set as the start: past fills are
    /// recovered from the next one on.
    pub fn last_trade_id(&self) -> Option<u64> {
        self.last_trade_id
    }

    /// Trades up to `trade_id` happened before this ledger: recovery
    /// starts after it (0: the account had no trade).
    pub fn start_after(&mut self, trade_id: u64) {
        self.last_trade_id = self.last_trade_id.max(Some(trade_id));
    }

    /// Lots bought and lots sold.
    pub fn volume(&self) -> (u64, u64) {
        (self.bought, self.sold)
    }

    /// The open position's average price in ticks (rounded down), if any.
    pub fn average_price(&self) -> Option<u64> {
        if self.position == 0 {
            return None;
        }
        u64::try_from(self.cost.abs() / i128::from(self.position.unsigned_abs())).ok()
    }

    /// Closed trades' P&L, lots × ticks, after quote-asset fees.
    pub fn realized(&self) -> i128 {
        self.realized - self.quote_fees_units()
    }

    /// The open position valued where it could be closed now — a long at
    /// the bid, a short at the ask — against its cost, lots × ticks.
    pub fn unrealized(&self, touch: &Touch) -> i128 {
        let exit = if self.position > 0 { touch.bid.price } else { touch.ask.price };
        i128::from(exit) * i128::from(self.position) - self.cost
    }

    /// Realized plus unrealized P&L, lots × ticks; without a touch the open
    /// position counts at its cost.
    pub fn total(&self, touch: Option<&Touch>) -> i128 {
        self.realized() + touch.map_or(0, |t| self.unrealized(t))
    }

    /// Marks the position to `touch` (the book's latest).
    pub fn mark(&mut self, touch: Touch) {
        self.mark = Some(touch);
    }

    /// The touch the position was last marked to.
    pub fn last_mark(&self) -> Option<&Touch> {
        self.mark.as_ref()
    }

    /// Realized plus unrealized P&L at the last mark, lots × ticks.
    pub fn marked(&self) -> i128 {
        self.total(self.mark.as_ref())
    }

    /// Takes the balances a venue report carries; an asset it does not
    /// name keeps its last value (reports list only what changed).
    pub fn on_balances(&mut self, report: Balances) {
        self.balances.base = report.base.or(self.balances.base);
        self.balances.quote = report.quote.or(self.balances.quote);
    }

    /// The instrument's assets as the venue last reported them.
    pub fn balances(&self) -> Balances {
        self.balances
    }

    /// Quote, base and other-asset fees, in 10^-[`FEE_DECIMALS`] of each.
    pub fn fees(&self) -> (u128, u128, u128) {
        (self.quote_fees, self.base_fees, self.other_fees)
    }

    /// Quote fees in lots × ticks, rounded up.
    fn quote_fees_units(&self) -> i128 {
        let fees = i128::try_from(self.quote_fees).unwrap_or(i128::MAX);
        let shift = self.fee_shift.unsigned_abs();
        let pow = 10i128.checked_pow(shift).unwrap_or(i128::MAX);
        if self.fee_shift >= 0 { fees.saturating_mul(pow) } else { (fees + pow - 1) / pow }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::Level;

    const SCALE: Scale = Scale { price: 2, qty: 5 };

    fn fill(trade_id: u64, side: Side, qty: u64, price: u64) -> Fill {
        Fill { trade_id, order_id: 1, side, qty, price, fee: 0, fee_asset: FeeAsset::None, maker: false }
    }

    fn touch(bid: u64, ask: u64) -> Touch {
        Touch { update_id: 1, bid: Level { price: bid, qty: 1 }, ask: Level { price: ask, qty: 1 } }
    }

    #[test]
    fn a_round_trip_realizes_its_price_difference() {
        let mut l = Ledger::new(SCALE);
        assert_eq!(l.record(&fill(1, Side::Buy, 10, 100)), Recorded::New);
        assert_eq!(l.record(&fill(2, Side::Buy, 30, 200)), Recorded::New);
        assert_eq!((l.position(), l.average_price()), (40, Some(175)));
        assert_eq!(l.unrealized(&touch(180, 181)), 40 * 180 - 7000);
        assert_eq!(l.record(&fill(3, Side::Sell, 20, 190)), Recorded::New);
        assert_eq!((l.position(), l.realized()), (20, 20 * 190 - 3500));
        assert_eq!(l.record(&fill(4, Side::Sell, 20, 150)), Recorded::New);
        assert_eq!((l.position(), l.average_price()), (0, None));
        // Bought 1000 + 6000, sold 3800 + 3000.
        assert_eq!(l.realized(), 6800 - 7000);
        assert_eq!(l.total(Some(&touch(1, 2))), l.realized());
    }

    #[test]
    fn a_fill_through_zero_opens_the_other_side_at_its_price() {
        let mut l = Ledger::new(SCALE);
        l.record(&fill(1, Side::Buy, 10, 100));
        l.record(&fill(2, Side::Sell, 25, 120));
        assert_eq!((l.position(), l.average_price(), l.realized()), (-15, Some(120), 200));
        // A short is valued at the ask.
        assert_eq!(l.unrealized(&touch(110, 130)), -15 * 130 + 15 * 120);
        l.record(&fill(3, Side::Buy, 15, 100));
        assert_eq!((l.position(), l.realized()), (0, 200 + 300));
    }

    #[test]
    fn a_fill_seen_twice_counts_once() {
        let mut l = Ledger::new(SCALE);
        l.record(&fill(7, Side::Buy, 10, 100));
        assert_eq!(l.record(&fill(7, Side::Buy, 10, 100)), Recorded::Duplicate);
        // The same trade id on another order (a self-trade's other side) is its own fill.
        assert_eq!(l.record(&Fill { order_id: 2, ..fill(7, Side::Sell, 10, 100) }), Recorded::New);
        assert_eq!((l.fills(), l.position(), l.volume()), (2, 0, (10, 10)));
    }

    #[test]
    fn quote_fees_are_charged_rounded_up() {
        let mut l = Ledger::new(SCALE);
        // 0.00000015 USDT is 1.5 lots × ticks at 2 + 5 decimals.
        l.record(&Fill { fee: 15, fee_asset: FeeAsset::Quote, ..fill(1, Side::Buy, 1, 100) });
        l.record(&Fill { fee: 3, fee_asset: FeeAsset::Other, ..fill(2, Side::Sell, 1, 100) });
        assert_eq!((l.realized(), l.fees()), (-2, (15, 0, 3)));
        let mut wide = Ledger::new(Scale { price: 8, qty: 8 });
        wide.record(&Fill { fee: 15, fee_asset: FeeAsset::Quote, ..fill(1, Side::Buy, 1, 100) });
        assert_eq!(wide.realized(), -15 * 100_000_000);
    }

    #[test]
    fn old_fills_leave_the_memory_in_turn() {
        let mut l = Ledger::new(SCALE);
        for t in 0..REMEMBERED_FILLS as u64 + 1 {
            assert_eq!(l.record(&fill(t, Side::Buy, 1, 1)), Recorded::New);
        }
        assert_eq!(l.record(&fill(0, Side::Buy, 1, 1)), Recorded::New, "the oldest key was forgotten");
        assert_eq!(l.record(&fill(REMEMBERED_FILLS as u64, Side::Buy, 1, 1)), Recorded::Duplicate);
    }

    #[test]
    fn marked_pnl_equals_the_cash_account_for_any_sequence() {
        // Without fees, what the ledger says equals cash spent and received
        // plus the position valued at its exit side, up to one unit of
        // proportional-cost rounding per fill.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        };
        for _ in 0..200 {
            let mut l = Ledger::new(SCALE);
            let mut cash = 0i128;
            for t in 0..40 {
                let side = if next(2) == 0 { Side::Buy } else { Side::Sell };
                let (qty, price) = (1 + next(50), 1 + next(1000));
                l.record(&fill(t, side, qty, price));
                let flow = i128::from(qty) * i128::from(price);
                cash += if side == Side::Buy { -flow } else { flow };
                let mark = touch(1 + next(1000), 1 + next(1000));
                let exit = if l.position() > 0 { mark.bid.price } else { mark.ask.price };
                let expected = cash + i128::from(exit) * i128::from(l.position());
                assert!((l.total(Some(&mark)) - expected).abs() <= i128::from(t as u32 + 1), "fill {t}");
            }
        }
    }
}
