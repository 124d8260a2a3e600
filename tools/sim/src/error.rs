//! An error response of the Binance Spot WebSocket API (web-socket-api.md §"Response format", §"Status codes", and
//! errors.md; <https://github.com/binance/binance-spot-api-docs>): HTTP-like status, error code and message, and for
//! rate limits the `data` object with `serverTime` and `retryAfter`.

use serde_json::{Value, json};

/// One error answer, before it is wrapped with the request id.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) code: i32,
    pub(crate) msg: String,
    pub(crate) data: Option<Value>,
}

impl ApiError {
    pub(crate) fn new(status: u16, code: i32, msg: impl Into<String>) -> ApiError {
        ApiError { status, code, msg: msg.into(), data: None }
    }

    /// -1102: a mandatory parameter is missing, empty or malformed.
    pub(crate) fn mandatory(name: &str) -> ApiError {
        ApiError::new(400, -1102, format!("Mandatory parameter '{name}' was not sent, was empty/null, or malformed."))
    }

    /// A 429 that tells the client when it may retry.
    pub(crate) fn rate_limited(code: i32, msg: String, server_time: i64, retry_after: i64) -> ApiError {
        ApiError { status: 429, code, msg, data: Some(json!({ "serverTime": server_time, "retryAfter": retry_after })) }
    }

    /// The `error` object.
    pub(crate) fn to_json(&self) -> Value {
        let mut error = json!({ "code": self.code, "msg": self.msg });
        if let Some(data) = &self.data {
            error["data"] = data.clone();
        }
        error
    }
}
