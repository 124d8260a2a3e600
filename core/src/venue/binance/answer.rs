//! The envelope of a Binance answer (`docs/protocols/binance-ws-api.md`
//! §Response format): `id`, `status`, then `result` when the status is 2xx
//! or an `error` object with its `code` and `msg` when it is not. The
//! answers read with `venue::json` (`account.status`, `openOrders.status`,
//! `myTrades`) share it; each reads its own `result`, and names the
//! envelope's members in its own field enum ([`from_answer_error`]).

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
    Msg,
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

/// `impl From<AnswerError> for $error`, naming each [`Part`] by the
/// `$field` variant of the same name; `$error` has `Json`, `Missing`,
/// `Duplicate` and `Invalid` variants.
macro_rules! from_answer_error {
    ($error:ident, $field:ident) => {
        impl From<super::answer::AnswerError> for $error {
            fn from(e: super::answer::AnswerError) -> Self {
                use super::answer::{AnswerError, Part};
                let field = |part| match part {
                    Part::RequestId => $field::RequestId,
                    Part::Status => $field::Status,
                    Part::Result => $field::Result,
                    Part::Error => $field::Error,
                    Part::Code => $field::Code,
                    Part::Msg => $field::Msg,
                };
                match e {
                    AnswerError::Json(e) => Self::Json(e),
                    AnswerError::Missing(part) => Self::Missing(field(part)),
                    AnswerError::Duplicate(part) => Self::Duplicate(field(part)),
                    AnswerError::Invalid(part) => Self::Invalid(field(part)),
                }
            }
        }
    };
}
pub(super) use from_answer_error;

/// A refused request's `error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Refusal<'a> {
    /// `code`, e.g. -1022.
    pub(super) code: i32,
    /// `msg` as written; `None` when absent or `null`.
    pub(super) msg: Option<&'a str>,
}

/// One answer's envelope, borrowing the frame.
#[derive(Debug, Clone, Copy)]
pub(super) struct Answer<'a> {
    /// `id` as written (a string's bytes, or a number's digits); `None`
    /// for `null`.
    pub(super) id: Option<&'a str>,
    /// `status`, HTTP-like.
    pub(super) status: u16,
    /// `result` of a 2xx answer (any JSON value), or the `error`.
    pub(super) body: Result<Value<'a>, Refusal<'a>>,
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
    let (mut code, mut msg) = (None, None);
    for member in Members::new(error)? {
        let (key, value) = member?;
        let (slot, part) = match key {
            b"code" => (&mut code, Part::Code),
            b"msg" => (&mut msg, Part::Msg),
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(Duplicate(part));
        }
    }
    let code = code.ok_or(Missing(Part::Code))?.i64().and_then(|c| i32::try_from(c).ok()).ok_or(Invalid(Part::Code))?;
    let msg = match msg {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.str().ok_or(Invalid(Part::Msg))?),
    };
    Ok(Answer { id, status, body: Err(Refusal { code, msg }) })
}
