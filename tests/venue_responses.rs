//! The Binance WebSocket API response codec against every response shape documented in Binance's `web-socket-api.md`
//! (§"Response format", §"Status codes", §"Log in with API key (SIGNED)") and `errors.md`, copied verbatim (hotline's
//! reading: docs/protocols/binance-ws-api.md §Response format), and against frames it must refuse.

use hotline_core::venue::binance::{
    Ack, DecodeError, Interval, LimitType, MAX_RATE_LIMITS, Message, Outcome, RateLimit, Rejection, Response, decode,
};

const RATE_LIMITS: &str = r#"[
   {"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":50,"count":12},
   {"rateLimitType":"ORDERS","interval":"DAY","intervalNum":1,"limit":160000,"count":4043},
   {"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000,"count":321}]"#;

fn documented_limits() -> Vec<RateLimit> {
    vec![
        RateLimit { kind: LimitType::Orders, interval: Interval::Second, interval_num: 10, limit: 50, count: 12 },
        RateLimit { kind: LimitType::Orders, interval: Interval::Day, interval_num: 1, limit: 160_000, count: 4043 },
        RateLimit {
            kind: LimitType::RequestWeight,
            interval: Interval::Minute,
            interval_num: 1,
            limit: 6000,
            count: 321,
        },
    ]
}

fn response(frame: &str) -> Response<'_> {
    match decode(frame.as_bytes()) {
        Ok(Message::Response(r)) => r,
        other => panic!("{frame}: {other:?}"),
    }
}

#[test]
fn success_result() {
    let frame = format!(
        r#"{{"id":"e2a85d9f-07a5-4f94-8d5f-789dc3deb097","status":200,
 "result":{{"symbol":"BTCUSDT","orderId":12510053279,"orderListId":-1,"clientOrderId":"a097fe6304b20a7e4fc436",
   "transactTime":1655716096505,"price":"0.10000000","origQty":"10.00000000","executedQty":"0.00000000",
   "origQuoteOrderQty":"0.000000","cummulativeQuoteQty":"0.00000000","status":"NEW","timeInForce":"GTC",
   "type":"LIMIT","side":"BUY","workingTime":1655716096505,"selfTradePreventionMode":"NONE"}},
 "rateLimits":{RATE_LIMITS}}}"#
    );
    let r = response(&frame);
    assert_eq!(r.id, Some("e2a85d9f-07a5-4f94-8d5f-789dc3deb097"));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.outcome,
        Outcome::Accepted(Ack {
            symbol: Some("BTCUSDT"),
            order_id: Some(12_510_053_279),
            order_list_id: Some(-1),
            client_order_id: Some("a097fe6304b20a7e4fc436"),
            transact_time: Some(1_655_716_096_505),
            status: Some("NEW"),
            executed_qty: Some("0.00000000"),
            ..Ack::default()
        })
    );
    assert_eq!(r.rate_limits.as_slice(), documented_limits().as_slice());
}

#[test]
fn ack_result() {
    let r = response(
        r#"{"id":"00000000000000000001","status":200,"result":{"symbol":"BTCUSDT","orderId":28,"orderListId":-1,"clientOrderId":"6gCrw2kRUAF9CvJDGP16IP","transactTime":1507725176595}}"#,
    );
    let Outcome::Accepted(ack) = r.outcome else { panic!("{r:?}") };
    assert_eq!(ack.order_id, Some(28));
    assert_eq!(ack.client_order_id, Some("6gCrw2kRUAF9CvJDGP16IP"));
    assert_eq!(ack.transact_time, Some(1_507_725_176_595));
    assert!(r.rate_limits.is_empty());
}

#[test]
fn full_result_with_fills_is_read_past() {
    let r = response(
        r#"{"id":"7","status":200,"result":{"symbol":"BTCUSDT","orderId":12,"orderListId":-1,"clientOrderId":"x","transactTime":1,"status":"FILLED",
          "fills":[{"price":"0.10000000","qty":"10.00000000","commission":"0.00000000","commissionAsset":"BNB","tradeId":1650422481},
                   {"price":"0.10000000","qty":"1.00000000","commission":"0.00001","commissionAsset":"BNB","tradeId":1650422482}],
          "nested":{"deep":[[1,2],{"a":null}],"flag":true}},"rateLimits":[]}"#,
    );
    let Outcome::Accepted(ack) = r.outcome else { panic!("{r:?}") };
    assert_eq!(ack.status, Some("FILLED"));
    assert_eq!(ack.order_id, Some(12));
}

#[test]
fn error_insufficient_balance() {
    let frame = format!(
        r#"{{"id":"e2a85d9f-07a5-4f94-8d5f-789dc3deb097","status":400,
 "error":{{"code":-2010,"msg":"Account has insufficient balance for requested action."}},
 "rateLimits":{RATE_LIMITS}}}"#
    );
    let r = response(&frame);
    assert_eq!(r.status, 400);
    assert_eq!(
        r.outcome,
        Outcome::Rejected(Rejection {
            code: -2010,
            msg: "Account has insufficient balance for requested action.",
            retry_after: None,
            server_time: None,
        })
    );
    assert_eq!(r.rate_limits.as_slice(), documented_limits().as_slice());
}

#[test]
fn ban_carries_retry_after() {
    let r = response(
        r#"{"id":"1","status":418,"error":{"code":-1003,"msg":"Way too much request weight used; IP banned until 1659146400000. Please use WebSocket Streams for live updates to avoid bans.","data":{"serverTime":1659142907531,"retryAfter":1659146400000}}}"#,
    );
    let Outcome::Rejected(e) = r.outcome else { panic!("{r:?}") };
    assert_eq!(e.code, -1003);
    assert_eq!(e.retry_after, Some(1_659_146_400_000));
    assert_eq!(e.server_time, Some(1_659_142_907_531));
}

#[test]
fn timeout_and_5xx_mean_execution_unknown() {
    let r = response(
        r#"{"id":"2","status":400,"error":{"code":-1007,"msg":"Timeout waiting for response from backend server. Send status unknown; execution status unknown."}}"#,
    );
    assert!(matches!(r.outcome, Outcome::Unknown(Some(Rejection { code: -1007, .. }))));
    let r = response(r#"{"id":"3","status":503,"error":{"code":-1008,"msg":"Server is currently overloaded"}}"#);
    assert!(matches!(r.outcome, Outcome::Unknown(Some(Rejection { code: -1008, .. }))));
    let r = response(r#"{"id":"4","status":500}"#);
    assert_eq!(r.outcome, Outcome::Unknown(None));
}

#[test]
fn other_documented_errors() {
    for (status, code) in [(400, -1021), (400, -1022), (401, -2015), (429, -1003), (403, -1)] {
        let frame = format!(r#"{{"id":"9","status":{status},"error":{{"code":{code},"msg":"m"}}}}"#);
        let r = response(&frame);
        assert_eq!(r.status, status);
        assert!(matches!(r.outcome, Outcome::Rejected(Rejection { code: c, .. }) if c == code));
    }
}

#[test]
fn session_logon_result() {
    let r = response(
        r#"{"id":"c174a2b1-3f51-4580-b200-8528bd237cb7","status":200,"result":{"apiKey":"vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A","authorizedSince":1649729878532,"connectedSince":1649729873021,"returnRateLimits":false,"serverTime":1649729878630,"userDataStream":false}}"#,
    );
    let Outcome::Accepted(ack) = r.outcome else { panic!("{r:?}") };
    assert_eq!(ack.api_key, Some("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"));
    assert_eq!(ack.authorized_since, Some(1_649_729_878_532));
    assert_eq!(ack.server_time, Some(1_649_729_878_630));
    assert_eq!(ack.order_id, None);
}

#[test]
fn revoked_key_has_null_id() {
    let r = response(
        r#"{"id":null,"status":401,"error":{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}}"#,
    );
    assert_eq!(r.id, None);
    assert!(matches!(r.outcome, Outcome::Rejected(Rejection { code: -2015, .. })));
}

#[test]
fn server_shutdown_event() {
    assert_eq!(
        decode(br#"{"event":{"e":"serverShutdown","E":1770123456789}}"#),
        Ok(Message::ServerShutdown { time: Some(1_770_123_456_789) })
    );
    assert_eq!(
        decode(br#"{"subscriptionId":0,"event":{"e":"outboundAccountPosition","E":1,"u":2}}"#),
        Ok(Message::Event("outboundAccountPosition"))
    );
}

#[test]
fn null_result_and_escaped_message() {
    let r = response(r#"{"id":"5","status":200,"result":null}"#);
    assert_eq!(r.outcome, Outcome::Accepted(Ack::default()));
    let r = response(
        r#"{"id":"6","status":400,"error":{"code":-1100,"msg":"Illegal characters found in parameter \"price\"."}}"#,
    );
    assert!(
        matches!(r.outcome, Outcome::Rejected(Rejection { msg, .. }) if msg == r#"Illegal characters found in parameter \"price\"."#)
    );
}

#[test]
fn refuses_frames_it_cannot_read() {
    let too_many = format!(
        r#"{{"id":"1","status":200,"result":{{}},"rateLimits":[{}]}}"#,
        [r#"{"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":1,"limit":1,"count":1}"#; MAX_RATE_LIMITS + 1]
            .join(",")
    );
    assert!(matches!(decode(too_many.as_bytes()), Err(DecodeError::Json(_))));
    assert_eq!(decode(br#"{"id":"1"}"#), Err(DecodeError::NoStatus));
    assert_eq!(decode(br#"{"id":"1","status":400}"#), Err(DecodeError::NoError(400)));
    for bad in [
        &br#"{"id":"1","status":200,"result":{"orderId":1"#[..],
        br#"{"id":1,"status":200}"#,
        br#"{"id":"1","status":"200"}"#,
        b"",
        b"[]",
        b"\xff\xfe",
    ] {
        assert!(matches!(decode(bad), Err(DecodeError::Json(_))), "{bad:?}");
    }
}

#[test]
fn list_results_are_accepted_and_read_past() {
    // `openOrders.cancelAll` (§"Cancel open orders"): a list of the
    // cancelled orders, as `myTrades` answers with a list of trades.
    let frame = format!(
        r#"{{"id":"778f938f-9041-4b88-9914-efbf64eeacc8","status":200,
 "result":[{{"symbol":"BTCUSDT","origClientOrderId":"4d96324ff9d44481926157","orderId":12569099453,"orderListId":-1,
   "clientOrderId":"91fe37ce9e69c90d6358c0","transactTime":1684804350068,"price":"23416.10000000","origQty":"0.00847000",
   "executedQty":"0.00001000","cummulativeQuoteQty":"0.23416100","status":"CANCELED","timeInForce":"GTC","type":"LIMIT",
   "side":"SELL","stopPrice":"0.00000000","selfTradePreventionMode":"NONE"}},[1,2],{{}}],
 "rateLimits":{RATE_LIMITS}}}"#
    );
    let r = response(&frame);
    assert_eq!(r.id, Some("778f938f-9041-4b88-9914-efbf64eeacc8"));
    assert_eq!(r.outcome, Outcome::Accepted(Ack::default()));
    assert_eq!(r.rate_limits.as_slice(), documented_limits().as_slice());
    let empty = response(r#"{"id":"1","status":200,"result":[]}"#);
    assert_eq!(empty.outcome, Outcome::Accepted(Ack::default()));
    assert!(decode(br#"{"id":"1","status":200,"result":[{"a":1}"#).is_err(), "a truncated list");
}
