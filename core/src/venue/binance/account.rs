//! Binance Spot's answer to `account.status` (web-socket-api.md §"Account
//! information (USER_DATA)", `docs/protocols/binance-ws-api.md`
//! §account.status): one response frame,
//! `{"id":…,"status":200,"result":{…,"balances":[{"asset":…,"free":…,"locked":…},…]}}`
//! or `{"id":…,"status":4xx,"error":{"code":…,"msg":…}}`, becomes an
//! [`AccountAnswer`] that borrows the frame. Balances count in 10^-8 of
//! their asset, exactly or not at all; every balance is checked before the
//! answer is returned, and [`AccountBalances`] reads them again, lazily.
//! Members are read with `venue::json` in any order; unknown keys are
//! skipped, and a missing, repeated, mistyped or off-grid field is an error
//! that names it.

// Every byte here comes from the network: indexing, unwrapping and
// panicking are refused outright, not merely avoided.
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use super::answer::{answer, from_answer_error};
use super::user_data::{ASSET_DECIMALS, Balance};
use crate::order::digits::{DecimalError, read_decimal};
use crate::venue::json::{Elements, JsonError, Members, Value};
use AccountError::{Duplicate, Invalid, Missing};

/// One `account.status` answer.
#[derive(Debug, Clone)]
pub struct AccountAnswer<'a> {
    /// `id` as written (a string's bytes, or a number's digits); `None`
    /// for `null`.
    pub id: Option<&'a str>,
    /// `status`, HTTP-like.
    pub status: u16,
    /// The balances, or the venue's error code.
    pub outcome: Result<AccountBalances<'a>, i32>,
}

/// The `balances` of an accepted answer, each already checked, read again
/// in order.
#[derive(Debug, Clone)]
pub struct AccountBalances<'a> {
    elements: Elements<'a>,
}

impl<'a> Iterator for AccountBalances<'a> {
    type Item = Result<Balance<'a>, AccountError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.elements.next().map(|e| balance(e?))
    }
}

/// A member of an `account.status` answer, as named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountField {
    /// `id`.
    RequestId,
    /// `status`.
    Status,
    /// `result`.
    Result,
    /// `result.balances`.
    Balances,
    /// An element of `balances`.
    Balance,
    /// `asset` of a balance.
    Asset,
    /// `free` of a balance.
    Free,
    /// `locked` of a balance.
    Locked,
    /// `error`.
    Error,
    /// `error.code`.
    Code,
    /// `error.msg`.
    Msg,
}

/// Why an `account.status` answer did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountError {
    /// Not JSON, cut short, or nested too deep.
    Json(JsonError),
    /// A member hotline needs is absent.
    Missing(AccountField),
    /// A member appears twice.
    Duplicate(AccountField),
    /// A member has the wrong type or value.
    Invalid(AccountField),
    /// An amount is not a decimal on the 10^-8 grid.
    Decimal(AccountField, DecimalError),
}

impl From<JsonError> for AccountError {
    fn from(e: JsonError) -> Self {
        Self::Json(e)
    }
}

/// Decodes one complete text frame answering `account.status`.
pub fn decode_account(frame: &[u8]) -> Result<AccountAnswer<'_>, AccountError> {
    use AccountField as F;
    let a = answer(frame)?;
    let outcome = match a.body {
        Ok(Value::Object(result)) => {
            let mut balances = None;
            for member in Members::new(result)? {
                let (key, value) = member?;
                if key == b"balances" && balances.replace(value).is_some() {
                    return Err(Duplicate(F::Balances));
                }
            }
            let Value::Array(list) = balances.ok_or(Missing(F::Balances))? else {
                return Err(Invalid(F::Balances));
            };
            let elements = Elements::new(list)?;
            for element in elements.clone() {
                balance(element?)?;
            }
            Ok(AccountBalances { elements })
        }
        Ok(_) => return Err(Invalid(F::Result)),
        Err(refusal) => Err(refusal.code),
    };
    Ok(AccountAnswer { id: a.id, status: a.status, outcome })
}

from_answer_error!(AccountError, AccountField);

/// One element of `balances`.
fn balance(element: Value<'_>) -> Result<Balance<'_>, AccountError> {
    use AccountField as F;
    let Value::Object(object) = element else { return Err(Invalid(F::Balance)) };
    let (mut asset, mut free, mut locked) = (None, None, None);
    for member in Members::new(object)? {
        let (key, value) = member?;
        let (slot, field) = match key {
            b"asset" => (&mut asset, F::Asset),
            b"free" => (&mut free, F::Free),
            b"locked" => (&mut locked, F::Locked),
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(Duplicate(field));
        }
    }
    let amount = |value: Option<Value<'_>>, field| {
        let text = value.ok_or(Missing(field))?.str().ok_or(Invalid(field))?;
        read_decimal(text.as_bytes(), ASSET_DECIMALS).map_err(|e| AccountError::Decimal(field, e))
    };
    Ok(Balance {
        asset: asset.ok_or(Missing(F::Asset))?.str().ok_or(Invalid(F::Asset))?,
        free: amount(free, F::Free)?,
        locked: amount(locked, F::Locked)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped as web-socket-api.md §"Account information (USER_DATA)"'s
    /// response example (hotline's amounts, rate limits shortened).
    const DOCUMENTED: &str = r#"{"id":"605a6d20-6588-4cb9-afa0-b0ab087507ba","status":200,"result":{"makerCommission":15,"takerCommission":15,"buyerCommission":0,"sellerCommission":0,"canTrade":true,"canWithdraw":true,"canDeposit":true,"commissionRates":{"maker":"0.00150000","taker":"0.00150000","buyer":"0.00000000","seller":"0.00000000"},"brokered":false,"requireSelfTradePrevention":false,"preventSor":false,"updateTime":1660801833000,"accountType":"SPOT","balances":[{"asset":"BNB","free":"0.00000000","locked":"0.00000000"},{"asset":"BTC","free":"1.3447112","locked":"0.08600000"},{"asset":"USDT","free":"1021.21000000","locked":"0.00000000"}],"permissions":["SPOT"],"uid":354937868},"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000,"count":20}]}"#;

    #[test]
    fn documented_answer() {
        let a = decode_account(DOCUMENTED.as_bytes()).unwrap();
        assert_eq!((a.id, a.status), (Some("605a6d20-6588-4cb9-afa0-b0ab087507ba"), 200));
        let balances: heapless::Vec<_, 4> = a.outcome.unwrap().map(Result::unwrap).collect();
        assert_eq!(balances.len(), 3);
        assert_eq!(balances[1], Balance { asset: "BTC", free: 134_471_120, locked: 8_600_000 });
        assert_eq!(balances[2], Balance { asset: "USDT", free: 102_121_000_000, locked: 0 });
    }

    #[test]
    fn a_refusal_carries_its_code() {
        let frame = br#"{"id":7,"status":400,"error":{"code":-1022,"msg":"Signature for this request is not valid."}}"#;
        let a = decode_account(frame).unwrap();
        assert_eq!((a.id, a.status, a.outcome.err()), (Some("7"), 400, Some(-1022)));
    }

    #[test]
    fn every_prefix_is_an_error() {
        for cut in 0..DOCUMENTED.len() {
            assert!(decode_account(&DOCUMENTED.as_bytes()[..cut]).is_err(), "prefix {cut}");
        }
    }

    #[test]
    fn bad_members_are_named() {
        let cases = [
            (
                r#"{"id":"1","status":200,"result":{"balances":[{"asset":"BTC","free":"1"}]}}"#,
                Missing(AccountField::Locked),
            ),
            (
                r#"{"id":"1","status":200,"result":{"balances":[{"asset":"BTC","free":"1","locked":"0","free":"2"}]}}"#,
                Duplicate(AccountField::Free),
            ),
            (
                r#"{"id":"1","status":200,"result":{"balances":[{"asset":1,"free":"1","locked":"0"}]}}"#,
                Invalid(AccountField::Asset),
            ),
            (
                r#"{"id":"1","status":200,"result":{"balances":[{"asset":"BTC","free":"0.000000001","locked":"0"}]}}"#,
                AccountError::Decimal(AccountField::Free, DecimalError::OffGrid),
            ),
            (r#"{"id":"1","status":200,"result":{"balances":[7]}}"#, Invalid(AccountField::Balance)),
            (r#"{"id":"1","status":200,"result":{}}"#, Missing(AccountField::Balances)),
            (r#"{"id":"1","status":500}"#, Missing(AccountField::Error)),
        ];
        for (frame, error) in cases {
            assert_eq!(decode_account(frame.as_bytes()).err(), Some(error), "{frame}");
        }
    }
}
