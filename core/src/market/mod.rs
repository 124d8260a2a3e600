//! The market hotline trades, as far as it prices and limits orders by it:
//! the top of the book (best bid and ask, in the instrument's ticks and
//! lots) with the venue's update id and the host time it arrived. A venue's
//! market-data codec turns its messages into a [`Touch`]; the [`Book`]
//! keeps the newest and says, at fire time, whether it may be priced from
//! (`docs/market-data.md`).

/// One side's best price level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Level {
    /// Price, in ticks.
    pub price: u64,
    /// Quantity at that price, in lots.
    pub qty: u64,
}

/// The best bid and ask as the venue published them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Touch {
    /// The venue's order-book update id: later updates have larger ids.
    pub update_id: u64,
    /// Best bid.
    pub bid: Level,
    /// Best ask.
    pub ask: Level,
}

impl Touch {
    /// Whether the bid is at or above the ask (or a side is empty): no
    /// honest price comes from such a book.
    pub fn is_crossed(&self) -> bool {
        self.bid.price == 0 || self.ask.price == 0 || self.bid.price >= self.ask.price
    }

    /// The mid price, in half ticks (exact: bid + ask).
    pub fn mid_half_ticks(&self) -> u64 {
        self.bid.price.saturating_add(self.ask.price)
    }
}

/// Why there is no price to trade at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoQuote {
    /// No update has arrived since the market-data stream (re)connected.
    Absent,
    /// The newest update is older than the configured age.
    Stale {
        /// Its age, nanoseconds.
        age_ns: u64,
    },
    /// The bid is at or above the ask, or a side is empty.
    Crossed,
}

/// What [`Book::update`] did with a touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// It is the newest: the book holds it now.
    Applied,
    /// Its update id is not newer than the book's: ignored (a replay or a
    /// reordering; SBE and JSON streams both carry the id).
    Old,
}

/// The newest top of book and when it arrived.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Book {
    touch: Option<Touch>,
    received_ns: u64,
}

impl Book {
    /// Takes `touch`, received at host time `now`, unless the book already
    /// holds the same or a later update.
    pub fn update(&mut self, touch: Touch, now: u64) -> Update {
        match self.touch {
            Some(held) if held.update_id >= touch.update_id => Update::Old,
            _ => {
                self.touch = Some(touch);
                self.received_ns = now;
                Update::Applied
            }
        }
    }

    /// Forgets the book: the stream that fed it is gone, and nothing it
    /// said can be trusted to still hold.
    pub fn clear(&mut self) {
        self.touch = None;
    }

    /// The newest touch, whatever its age.
    pub fn touch(&self) -> Option<&Touch> {
        self.touch.as_ref()
    }

    /// Host time the newest touch arrived.
    pub fn received_ns(&self) -> u64 {
        self.received_ns
    }

    /// The touch to price from at `now`: present, no older than
    /// `max_age_ns`, and not crossed.
    pub fn quote(&self, now: u64, max_age_ns: u64) -> Result<&Touch, NoQuote> {
        let touch = self.touch.as_ref().ok_or(NoQuote::Absent)?;
        let age_ns = now.saturating_sub(self.received_ns);
        if age_ns > max_age_ns {
            return Err(NoQuote::Stale { age_ns });
        }
        if touch.is_crossed() {
            return Err(NoQuote::Crossed);
        }
        Ok(touch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(update_id: u64, bid: u64, ask: u64) -> Touch {
        Touch { update_id, bid: Level { price: bid, qty: 5 }, ask: Level { price: ask, qty: 7 } }
    }

    #[test]
    fn newest_update_wins() {
        let mut book = Book::default();
        assert_eq!(book.quote(0, 1), Err(NoQuote::Absent));
        assert_eq!(book.update(touch(10, 100, 101), 1_000), Update::Applied);
        assert_eq!(book.update(touch(10, 90, 91), 2_000), Update::Old);
        assert_eq!(book.update(touch(9, 90, 91), 2_000), Update::Old);
        assert_eq!(book.quote(1_500, 1_000).map(|t| t.bid.price), Ok(100));
        assert_eq!(book.update(touch(11, 99, 100), 3_000), Update::Applied);
        assert_eq!(book.received_ns(), 3_000);
        assert_eq!(book.touch().map(Touch::mid_half_ticks), Some(199));
    }

    #[test]
    fn stale_crossed_and_cleared_books_do_not_quote() {
        let mut book = Book::default();
        book.update(touch(1, 100, 101), 1_000);
        assert_eq!(book.quote(2_000, 1_000).map(|t| t.update_id), Ok(1));
        assert_eq!(book.quote(2_001, 1_000), Err(NoQuote::Stale { age_ns: 1_001 }));
        book.update(touch(2, 101, 101), 3_000);
        assert_eq!(book.quote(3_000, 1_000), Err(NoQuote::Crossed));
        book.update(touch(3, 0, 101), 3_000);
        assert_eq!(book.quote(3_000, 1_000), Err(NoQuote::Crossed));
        book.update(touch(4, 100, 0), 3_000);
        assert_eq!(book.quote(3_000, 1_000), Err(NoQuote::Crossed));
        book.clear();
        assert_eq!(book.quote(3_000, 1_000), Err(NoQuote::Absent));
        // A cleared book takes the next touch, whatever its id.
        assert_eq!(book.update(touch(2, 100, 101), 4_000), Update::Applied);
    }
}
