//! Harness for `core::venue`: the Binance WebSocket API response codec,
//! its user-data event codec, its `myTrades` codec, its `account.status`
//! and `openOrders.status` codecs; and the Coinbase FIX codec and session.

use hotline_core::order::{DecimalError, Scale};
use hotline_core::venue::binance::{
    ExecutionReport, MAX_BALANCES, MAX_RATE_LIMITS, Message, Outcome, TIMEOUT, Trade, TradesError, TradesOutcome,
    UserDataError, UserEvent, decode, decode_account, decode_event, decode_open_orders, decode_trades,
};

/// Decodes one frame. A decoded response must classify consistently
/// (status 5xx or error -1007 is "unknown", a rejection never is), and no
/// strict prefix of a decodable frame may decode: a truncated frame is an
/// error, never a different answer.
pub fn binance_response(data: &[u8]) {
    let Ok(message) = decode(data) else { return };
    if let Message::Response(r) = &message {
        assert!(r.rate_limits.len() <= MAX_RATE_LIMITS);
        match &r.outcome {
            Outcome::Accepted(_) => assert!((200..300).contains(&r.status)),
            Outcome::Rejected(e) => assert!(r.status < 500 && e.code != TIMEOUT),
            Outcome::Unknown(e) => {
                assert!(r.status >= 500 || e.is_some_and(|e| e.code == TIMEOUT));
            }
        }
    }
    for cut in crate::json_cuts(data) {
        assert!(decode(&data[..cut]).is_err(), "prefix {cut} of a frame decoded");
    }
}

/// Where a string the decoder returned lies: inside the frame, or not.
fn borrowed(data: &[u8], s: &str) -> bool {
    let (start, at) = (data.as_ptr() as usize, s.as_ptr() as usize);
    at >= start && at + s.len() <= start + data.len()
}

/// An execution report's prices and quantities, in ticks and lots.
fn steps(x: &ExecutionReport<'_>) -> [u64; 5] {
    [x.order_qty, x.order_price, x.last_qty, x.last_price, x.cumulative_qty]
}

/// An execution report without its prices and quantities.
fn unscaled(x: ExecutionReport<'_>) -> ExecutionReport<'_> {
    ExecutionReport { order_qty: 0, order_price: 0, last_qty: 0, last_price: 0, cumulative_qty: 0, ..x }
}

/// Decodes one user-data frame at Binance's own precision (10^-8 for
/// prices and quantities alike) and at a grid the input's first byte
/// picks. A decoded event borrows every string from the frame; a grid ten
/// times finer reads every price and quantity exactly ten times larger,
/// or overflows (nothing is rounded); and no strict prefix decodes.
pub fn binance_user_data(data: &[u8]) {
    let b = data.first().copied().unwrap_or(0);
    let _ = decode_event(data, Scale { price: b % 9, qty: (b / 9) % 9 });
    let binance = Scale { price: 8, qty: 8 };
    let Ok(frame) = decode_event(data, binance) else { return };
    match frame.event {
        UserEvent::Execution(x) => {
            let texts = [Some(x.symbol), Some(x.client_order_id), Some(x.reject_reason)];
            let optional = [x.orig_client_order_id, x.commission_asset, x.expiry_reason];
            assert!(texts.into_iter().chain(optional).flatten().all(|s| borrowed(data, s)));
            assert_ne!(x.orig_client_order_id, Some(""));
            match decode_event(data, Scale { price: 9, qty: 9 }).map(|f| f.event) {
                Ok(UserEvent::Execution(finer)) => {
                    assert_eq!(steps(&finer).map(Some), steps(&x).map(|v| v.checked_mul(10)));
                    assert_eq!(unscaled(finer), unscaled(x));
                }
                Err(UserDataError::Decimal(_, DecimalError::Overflow)) => {
                    assert!(steps(&x).iter().any(|v| v.checked_mul(10).is_none()));
                }
                other => panic!("a finer grid read {other:?}"),
            }
        }
        UserEvent::Account(a) => {
            assert!(a.balances.len() <= MAX_BALANCES);
            assert!(a.balances.iter().all(|b| borrowed(data, b.asset)));
        }
        UserEvent::StreamTerminated { .. } => {}
        UserEvent::Other(name) => assert!(borrowed(data, name)),
    }
    for cut in crate::json_cuts(data) {
        assert!(decode_event(&data[..cut], binance).is_err(), "prefix {cut} of a frame decoded");
    }
}

/// Decodes one `myTrades` answer at Binance's own precision (10^-8 for
/// prices and quantities alike) and at a grid the input's first byte
/// picks. A decoded page reads its trades again exactly as counted, every
/// one `Ok`, every string borrowed from the frame; a grid ten times finer
/// reads every price and quantity exactly ten times larger, or overflows
/// (nothing is rounded); and no strict prefix decodes.
pub fn binance_my_trades(data: &[u8]) {
    let b = data.first().copied().unwrap_or(0);
    if let Ok(page) = decode_trades(data, Scale { price: b % 9, qty: (b / 9) % 9 }) {
        assert!(page.trades().all(|t| t.is_ok()));
    }
    let binance = Scale { price: 8, qty: 8 };
    let Ok(page) = decode_trades(data, binance) else { return };
    assert!(page.id.is_none_or(|id| borrowed(data, id)));
    match &page.outcome {
        TradesOutcome::Trades(trades) => {
            assert!((200..300).contains(&page.status));
            let read: Vec<Trade<'_>> = page.trades().map(|t| t.expect("a checked trade reads again")).collect();
            assert_eq!(read.len(), trades.len());
            assert!(read.iter().all(|t| borrowed(data, t.symbol) && borrowed(data, t.commission_asset)));
            let ten = |t: &Trade<'_>| [t.price.checked_mul(10), t.qty.checked_mul(10)];
            match decode_trades(data, Scale { price: 9, qty: 9 }) {
                Ok(finer) => {
                    let finer: Vec<Trade<'_>> = finer.trades().map(|t| t.expect("a checked trade")).collect();
                    assert_eq!(finer.len(), read.len());
                    for (f, t) in finer.iter().zip(&read) {
                        assert_eq!([f.price, f.qty].map(Some), ten(t));
                        assert_eq!(Trade { price: 0, qty: 0, ..*f }, Trade { price: 0, qty: 0, ..*t });
                    }
                }
                Err(TradesError::Decimal(_, DecimalError::Overflow)) => {
                    assert!(read.iter().any(|t| ten(t).contains(&None)));
                }
                Err(other) => panic!("a finer grid read {other:?}"),
            }
        }
        TradesOutcome::Refused { msg, .. } => {
            assert!(!(200..300).contains(&page.status));
            assert!(msg.is_none_or(|m| borrowed(data, m)));
            assert!(page.trades().next().is_none());
        }
    }
    for cut in crate::json_cuts(data) {
        assert!(decode_trades(&data[..cut], binance).is_err(), "prefix {cut} of a page decoded");
    }
}

/// Decodes one `account.status` answer. An accepted one reads back every
/// balance it checked, each a view into the frame; a refusal is never a
/// 2xx; and no strict prefix decodes.
pub fn binance_account(data: &[u8]) {
    let Ok(answer) = decode_account(data) else { return };
    match answer.outcome {
        Ok(balances) => {
            assert!((200..300).contains(&answer.status));
            for b in balances {
                let b = b.expect("checked when decoded");
                assert!(borrowed(data, b.asset));
            }
        }
        Err(_) => assert!(!(200..300).contains(&answer.status)),
    }
    for cut in crate::json_cuts(data) {
        assert!(decode_account(&data[..cut]).is_err(), "prefix {cut} of an answer decoded");
    }
}

/// Decodes one `openOrders.status` answer. An accepted one reads back
/// every order it checked, its symbol and client order id views into the
/// frame; a refusal is never a 2xx; and no strict prefix decodes.
pub fn binance_open_orders(data: &[u8]) {
    let Ok(answer) = decode_open_orders(data) else { return };
    match answer.outcome {
        Ok(orders) => {
            assert!((200..300).contains(&answer.status));
            for o in orders {
                let o = o.expect("checked when decoded");
                assert!(borrowed(data, o.symbol) && borrowed(data, o.client_order_id));
            }
        }
        Err(_) => assert!(!(200..300).contains(&answer.status)),
    }
    for cut in crate::json_cuts(data) {
        assert!(decode_open_orders(&data[..cut]).is_err(), "prefix {cut} of an answer decoded");
    }
}

/// Reads `data` as a stream of Coinbase FIX messages, as the order
/// connection does: each complete message must frame at exactly its
/// length with every strict prefix partial, re-render field for field
/// through the writer, decode as an ExecutionReport or OrderCancelReject
/// without panicking when it claims to be one, name one of the session's
/// orders by its ClOrdID (8) or BatchID (U7) only if rendering that order's
/// id gives the same bytes back, and drive a session whose owed admin
/// messages render and parse back.
pub fn coinbase_fix(data: &[u8]) {
    use hotline_core::venue::coinbase::execution::{decode_cancel_reject, decode_execution};
    use hotline_core::venue::coinbase::fix::{self, Framing, Message as FixMessage, Writer, tag};
    use hotline_core::venue::coinbase::order::IdPrefix;
    use hotline_core::venue::coinbase::session::Session;

    // All zeros: the prefix arbitrary input reaches most easily.
    let prefix = IdPrefix::new(0);

    let mut session = Session::new(0, 10);
    let mut rest = data;
    let mut now = 0u64;
    let mut out = [0u8; fix::MAX_MESSAGE];
    while let Ok(Some((message, len))) = FixMessage::parse(rest) {
        let whole = &rest[..len];
        assert_eq!(fix::frame(whole), Ok(Framing::Complete(len)));
        for cut in [len - 1, len / 2] {
            assert_eq!(fix::frame(&whole[..cut]), Ok(Framing::Partial), "prefix {cut} of a message");
        }
        let mut w = Writer::new(&mut out, message.msg_type());
        for f in message.fields().skip(1) {
            w.field(f.tag, f.value);
        }
        if let Ok(range) = w.finish() {
            let (again, _) = FixMessage::parse(&out[range]).expect("a rendered message parses").expect("complete");
            assert!(again.fields().eq(message.fields()));
        }
        match message.msg_type() {
            b"8" => {
                let _ = decode_execution(&message);
                if let Some(cl) = message.get(tag::CL_ORD_ID)
                    && let Some(id) = prefix.client_order_id(cl)
                {
                    assert_eq!(prefix.cl_ord_id(id).as_ref().map(|c| &c[..]), Ok(cl));
                }
            }
            b"9" => {
                let _ = decode_cancel_reject(&message);
            }
            b"U7" => {
                if let Some(batch) = message.get(tag::BATCH_ID)
                    && let Some(first) = prefix.batch_first(batch)
                {
                    assert_eq!(prefix.batch_id(first).as_ref().map(|b| &b[..]), Ok(batch));
                }
            }
            _ => {}
        }
        now += 1_000_000_000;
        let _ = session.on_message(now, &message);
        let _ = session.on_timeout(now);
        while let Some(rendered) = session.poll_admin(now, "key", &mut out) {
            let range = rendered.expect("admin messages fit");
            assert!(matches!(FixMessage::parse(&out[range]), Ok(Some(_))));
        }
        rest = &rest[len..];
    }
}
