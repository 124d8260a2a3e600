//! The simulated market of one symbol: a seeded price path of best bid and ask (the touch) with its book update ids,
//! the depth orders have taken from the current touch, and the two stream encodings of a touch — the JSON
//! `<symbol>@bookTicker` payload of web-socket-streams.md §"Individual Symbol Book Ticker Streams"
//! (<https://github.com/binance/binance-spot-api-docs/blob/master/web-socket-streams.md>) and the SBE
//! `<symbol>@bestBidAsk` event of sbe-market-data-streams.md (see [`crate::sbe`]).

use std::io;

use crate::config::MarketConfig;
use crate::decimal;
use crate::sbe::BestBidAsk;

/// The best bid and ask of the simulated symbol at one book update. Prices
/// are in ticks of 10^-`price_decimals`, quantities in lots of
/// 10^-`qty_decimals` (from [`MarketConfig`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Touch {
    /// The book update id (`u`, `bookUpdateId`); strictly increasing.
    pub update_id: u64,
    /// When the touch was published, sim clock, Unix microseconds.
    pub event_time_us: i64,
    /// Best bid price, ticks.
    pub bid: i64,
    /// Quantity at the best bid, lots.
    pub bid_qty: i64,
    /// Best ask price, ticks.
    pub ask: i64,
    /// Quantity at the best ask, lots.
    pub ask_qty: i64,
    /// Decimals of a tick.
    pub price_decimals: u32,
    /// Decimals of a lot.
    pub qty_decimals: u32,
}

impl Touch {
    /// A price in ticks as the exchange prints it (`"90000.01000000"`).
    pub fn price_text(&self, ticks: i64) -> String {
        decimal::fixed8(i128::from(ticks), self.price_decimals)
    }

    /// A quantity in lots as the exchange prints it (`"2.00000000"`).
    pub fn qty_text(&self, lots: i64) -> String {
        decimal::fixed8(i128::from(lots), self.qty_decimals)
    }

    /// The raw `<symbol>@bookTicker` payload, fields in the documented order.
    pub(crate) fn book_ticker(&self, symbol: &str) -> String {
        format!(
            r#"{{"u":{},"s":{},"b":"{}","B":"{}","a":"{}","A":"{}"}}"#,
            self.update_id,
            serde_json::Value::from(symbol),
            self.price_text(self.bid),
            self.qty_text(self.bid_qty),
            self.price_text(self.ask),
            self.qty_text(self.ask_qty),
        )
    }

    /// The SBE `<symbol>@bestBidAsk` message.
    pub(crate) fn best_bid_ask(&self, symbol: &str) -> Vec<u8> {
        let exponent = |decimals: u32| -i8::try_from(decimals).unwrap_or(i8::MAX);
        BestBidAsk {
            event_time_us: self.event_time_us,
            book_update_id: i64::try_from(self.update_id).unwrap_or(i64::MAX),
            price_exponent: exponent(self.price_decimals),
            qty_exponent: exponent(self.qty_decimals),
            bid_price: self.bid,
            bid_qty: self.bid_qty,
            ask_price: self.ask,
            ask_qty: self.ask_qty,
            symbol,
        }
        .emit()
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny generator whose sequence is a pure function of the seed, so a price
/// path replays exactly.
#[derive(Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The next touches of a seeded random walk: the bid moves one step up or down, never below one tick.
#[derive(Debug)]
struct PricePath {
    rng: SplitMix64,
    bid: i64,
    spread: i64,
    step: i64,
    depth: i64,
}

impl PricePath {
    /// (bid, bid qty, ask, ask qty) of the next update.
    fn next(&mut self) -> (i64, i64, i64, i64) {
        let up = self.rng.next() & 1 == 1 || self.bid - self.step < 1;
        self.bid = if up { self.bid.saturating_add(self.step) } else { self.bid - self.step };
        (self.bid, self.depth, self.bid.saturating_add(self.spread), self.depth)
    }
}

/// The symbol's market: configuration, path, current touch and the depth orders took from it.
#[derive(Debug)]
pub(crate) struct Market {
    pub(crate) symbol: String,
    pub(crate) base_asset: String,
    pub(crate) quote_asset: String,
    path: PricePath,
    touch: Touch,
    /// Lots taken from the current touch by orders (bid side, ask side);
    /// the next update restores the full depth.
    taken: (i64, i64),
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what.to_owned())
}

/// A decimal in whole units of 10^-`scale` that fits an `i64` and is positive.
pub(crate) fn units(text: &str, scale: u32, what: &str) -> io::Result<i64> {
    decimal::parse(text, scale)
        .and_then(|v| i64::try_from(v).ok())
        .filter(|v| *v > 0)
        .ok_or_else(|| invalid(&format!("{what} {text:?} is not a positive decimal with at most {scale} decimals")))
}

impl Market {
    /// The market at its first touch (update id 1), published at `now_us`.
    pub(crate) fn new(config: &MarketConfig, now_us: i64) -> io::Result<Market> {
        if config.price_decimals > decimal::PRINTED || config.qty_decimals > decimal::PRINTED {
            return Err(invalid("price_decimals and qty_decimals are at most 8"));
        }
        if config.spread_ticks < 1 || config.step_ticks < 0 {
            return Err(invalid("spread_ticks must be at least 1 and step_ticks not negative"));
        }
        if config.symbol.is_empty() || config.symbol.len() > usize::from(u8::MAX) {
            return Err(invalid("the symbol must have 1 to 255 bytes"));
        }
        let bid = units(&config.start_bid, config.price_decimals, "start_bid")?;
        let depth = units(&config.depth, config.qty_decimals, "depth")?;
        let path = PricePath {
            rng: SplitMix64(config.seed),
            bid,
            spread: config.spread_ticks,
            step: config.step_ticks,
            depth,
        };
        let touch = Touch {
            update_id: 1,
            event_time_us: now_us,
            bid,
            bid_qty: depth,
            ask: bid.saturating_add(config.spread_ticks),
            ask_qty: depth,
            price_decimals: config.price_decimals,
            qty_decimals: config.qty_decimals,
        };
        Ok(Market {
            symbol: config.symbol.clone(),
            base_asset: config.base_asset.clone(),
            quote_asset: config.quote_asset.clone(),
            path,
            touch,
            taken: (0, 0),
        })
    }

    pub(crate) fn touch(&self) -> Touch {
        self.touch
    }

    /// Publishes the next touch: the given one, or the path's next step.
    /// A given touch also moves the path, which continues from its bid.
    pub(crate) fn update(&mut self, given: Option<(i64, i64, i64, i64)>, now_us: i64) -> Touch {
        let (bid, bid_qty, ask, ask_qty) = match given {
            Some(touch) => {
                self.path.bid = touch.0;
                touch
            }
            None => self.path.next(),
        };
        self.touch = Touch {
            update_id: self.touch.update_id + 1,
            event_time_us: now_us,
            bid,
            bid_qty,
            ask,
            ask_qty,
            ..self.touch
        };
        self.taken = (0, 0);
        self.touch
    }

    /// Lots still available at the touch to an order of this side (a buy
    /// takes the ask).
    pub(crate) fn available(&self, buy: bool) -> i64 {
        if buy { self.touch.ask_qty - self.taken.1 } else { self.touch.bid_qty - self.taken.0 }
    }

    /// Records `lots` taken from the side a buy (or sell) trades against.
    pub(crate) fn take(&mut self, buy: bool, lots: i64) {
        if buy {
            self.taken.1 += lots;
        } else {
            self.taken.0 += lots;
        }
    }

    /// The `/ws/<stream>` path of this market's stream.
    pub(crate) fn path(&self, json: bool) -> String {
        format!("/ws/{}@{}", self.symbol.to_lowercase(), if json { "bookTicker" } else { "bestBidAsk" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_replays_from_its_seed_and_ids_increase() {
        let config = MarketConfig { interval: None, ..MarketConfig::default() };
        let run = |seed| {
            let mut market = Market::new(&MarketConfig { seed, ..config.clone() }, 0).expect("market");
            (0..50).map(|i| market.update(None, i)).collect::<Vec<_>>()
        };
        let (a, b, c) = (run(7), run(7), run(8));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.windows(2).all(|w| w[1].update_id == w[0].update_id + 1));
        assert!(a.iter().all(|t| t.ask - t.bid == 1 && (t.bid - 9_000_000).abs() <= 50 && t.bid_qty == 200_000));
    }

    #[test]
    fn book_ticker_prints_eight_decimals_in_the_documented_order() {
        let market = Market::new(&MarketConfig::default(), 5).expect("market");
        assert_eq!(
            market.touch().book_ticker("BTCUSDT"),
            r#"{"u":1,"s":"BTCUSDT","b":"90000.00000000","B":"2.00000000","a":"90000.01000000","A":"2.00000000"}"#
        );
        assert_eq!(market.path(true), "/ws/btcusdt@bookTicker");
    }

    #[test]
    fn taken_depth_is_restored_by_the_next_update() {
        let mut market = Market::new(&MarketConfig::default(), 0).expect("market");
        market.take(true, 150_000);
        assert_eq!((market.available(true), market.available(false)), (50_000, 200_000));
        market.update(Some((100, 1, 101, 1)), 1);
        assert_eq!(market.available(true), 1);
    }
}
