//! The one simulated account: free and locked balance per asset in units of 10^-8 (the eight decimals Binance prints
//! balances with), the commission rate, and the two shapes balances leave in — the `balances` of `account.status`
//! (web-socket-api.md §"Account information (USER_DATA)",
//! <https://github.com/binance/binance-spot-api-docs/blob/master/web-socket-api.md>) and the `B` array of
//! `outboundAccountPosition` (user-data-stream.md §"Account Update").

use std::collections::BTreeMap;
use std::io;

use serde_json::{Value, json};

use crate::config::AccountConfig;
use crate::decimal::{self, PRINTED};

/// One asset's balance, units of 10^-8.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Balance {
    pub(crate) free: i128,
    pub(crate) locked: i128,
}

/// One asset's balance as the exchange prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetBalance {
    /// The asset (`BTC`).
    pub asset: String,
    /// Free, eight decimals.
    pub free: String,
    /// Locked by open orders, eight decimals.
    pub locked: String,
}

#[derive(Debug)]
pub(crate) struct Account {
    balances: BTreeMap<String, Balance>,
    pub(crate) commission_bps: u32,
    /// Sim clock of the last balance change, Unix milliseconds.
    pub(crate) update_time: i64,
}

impl Account {
    pub(crate) fn new(config: &AccountConfig, now_ms: i64) -> io::Result<Account> {
        let mut balances = BTreeMap::new();
        for (asset, amount) in &config.balances {
            let free = decimal::parse(amount, PRINTED).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, format!("balance of {asset}: {amount:?} is not a decimal"))
            })?;
            balances.insert(asset.clone(), Balance { free, locked: 0 });
        }
        Ok(Account { balances, commission_bps: config.commission_bps, update_time: now_ms })
    }

    pub(crate) fn free(&self, asset: &str) -> i128 {
        self.balances.get(asset).map_or(0, |b| b.free)
    }

    fn entry(&mut self, asset: &str) -> &mut Balance {
        self.balances.entry(asset.to_owned()).or_default()
    }

    /// Adds `delta` (may be negative) to the free balance.
    pub(crate) fn add(&mut self, asset: &str, delta: i128) {
        self.entry(asset).free += delta;
    }

    /// Moves `amount` from free to locked (negative: back).
    pub(crate) fn lock(&mut self, asset: &str, amount: i128) {
        let balance = self.entry(asset);
        balance.free -= amount;
        balance.locked += amount;
    }

    /// The commission on a quote amount, rounded down.
    pub(crate) fn commission(&self, quote: i128) -> i128 {
        quote * i128::from(self.commission_bps) / 10_000
    }

    pub(crate) fn balances(&self) -> Vec<AssetBalance> {
        self.balances
            .iter()
            .map(|(asset, b)| AssetBalance {
                asset: asset.clone(),
                free: decimal::fixed8(b.free, PRINTED),
                locked: decimal::fixed8(b.locked, PRINTED),
            })
            .collect()
    }

    /// The `balances` array of `account.status`, zero balances left out on request.
    pub(crate) fn status_json(&self, omit_zero: bool) -> Value {
        let listed = self.balances.iter().filter(|(_, b)| !omit_zero || b.free != 0 || b.locked != 0);
        listed
            .map(|(asset, b)| {
                json!({"asset": asset, "free": decimal::fixed8(b.free, PRINTED), "locked": decimal::fixed8(b.locked, PRINTED)})
            })
            .collect()
    }

    /// An `outboundAccountPosition` event for the assets an operation may have changed.
    pub(crate) fn position_event(&self, assets: &[&str], now_ms: i64) -> Value {
        let balances: Vec<Value> = assets
            .iter()
            .map(|asset| {
                let b = self.balances.get(*asset).copied().unwrap_or_default();
                json!({"a": asset, "f": decimal::fixed8(b.free, PRINTED), "l": decimal::fixed8(b.locked, PRINTED)})
            })
            .collect();
        json!({"e": "outboundAccountPosition", "E": now_ms, "u": self.update_time, "B": balances})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_move_between_free_and_locked_and_print_eight_decimals() {
        let mut account = Account::new(&AccountConfig::default(), 7).expect("account");
        account.lock("USDT", 9_000_000_000_000);
        account.add("BTC", 1_000);
        assert_eq!(account.free("USDT"), 1_000_000_000_000);
        assert_eq!(account.commission(9_000_000_000_000), 9_000_000_000);
        assert_eq!(
            account.position_event(&["BTC", "USDT"], 8),
            json!({"e": "outboundAccountPosition", "E": 8, "u": 7, "B": [
                {"a": "BTC", "f": "1.00001000", "l": "0.00000000"},
                {"a": "USDT", "f": "10000.00000000", "l": "90000.00000000"}]})
        );
        assert_eq!(account.status_json(true).as_array().map(Vec::len), Some(2));
    }
}
