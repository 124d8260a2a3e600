//! The envelope of a Binance answer (`docs/protocols/binance-ws-api.md`
//! §Response format): `id`, `status`, then `result` when the status is 2xx
//! or an `error` object with its `code` when it is not. The answers read
//! with `venue::json` (`account.status`, `openOrders.status`) share it;
//! each reads its own `result`.

// Every byte here comes from the network: indexing, unwrapping and
// panicking are refused outright, not merely avoided.
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use crate::venue::json::{JsonError, Members, Value};

/// A member of the envelope, as named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Part {
    RequestId,
    Status,
    Result,
    Error,
    Code,
}

/// Why a frame is not an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AnswerError {
    Json(JsonError),
    Missing(Part),
    Duplicate(Part),
    Invalid(Part),
}

impl From<JsonError> for AnswerError {
    fn from(e: JsonError) -> Self {
        Self::Json(e)
    }
}

/// One answer's envelope, borrowing the frame.
#[derive(Debug, Clone, Copy)]
pub(super) struct Answer<'a> {
    /// `id` as written (a string's bytes, or a number's digits); `None`
    /// for `null`.
    pub(super) id: Option<&'a str>,
    /// `status`, HTTP-like.
    pub(super) status: u16,
    /// `result` of a 2xx answer (any JSON value), or the `error` code.
    pub(super) body: Result<Value<'a>, i32>,
}

/// Reads the envelope of one complete text frame.
pub(super) fn answer(frame: &[u8]) -> Result<Answer<'_>, AnswerError> {
    use AnswerError::{Duplicate, Invalid, Missing};
    let (mut id, mut status, mut result, mut error) = (None, None, None, None);
    // Members are only collected in this pass and judged after it, so a
    // frame cut short is `Truncated` whatever its last value looks like.
    for member in Members::new(frame)? {
        let (key, value) = member?;
        let (slot, part) = match key {
            b"id" => (&mut id, Part::RequestId),
            b"status" => (&mut status, Part::Status),
            b"result" => (&mut result, Part::Result),
            b"error" => (&mut error, Part::Error),
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(Duplicate(part));
        }
    }
    let id = match id.ok_or(Missing(Part::RequestId))? {
        Value::Null => None,
        // Binance echoes an integer id as an integer.
        Value::Str(text) | Value::Num(text) => Some(core::str::from_utf8(text).map_err(|_| Invalid(Part::RequestId))?),
        _ => return Err(Invalid(Part::RequestId)),
    };
    let status =
        status.ok_or(Missing(Part::Status))?.u64().and_then(|s| u16::try_from(s).ok()).ok_or(Invalid(Part::Status))?;
    if (200..300).contains(&status) {
        return Ok(Answer { id, status, body: Ok(result.ok_or(Missing(Part::Result))?) });
    }
    let Value::Object(error) = error.ok_or(Missing(Part::Error))? else { return Err(Invalid(Part::Error)) };
    let mut code = None;
    for member in Members::new(error)? {
        let (key, value) = member?;
        if key == b"code" && code.replace(value).is_some() {
            return Err(Duplicate(Part::Code));
        }
    }
    let code = code.ok_or(Missing(Part::Code))?.i64().and_then(|c| i32::try_from(c).ok()).ok_or(Invalid(Part::Code))?;
    Ok(Answer { id, status, body: Err(code) })
}
