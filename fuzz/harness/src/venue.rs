//! Harness for `core::venue`: the Binance WebSocket API response codec.

use hotline_core::venue::binance::{MAX_RATE_LIMITS, Message, Outcome, TIMEOUT, decode};

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
    let end = data.iter().rposition(|b| !b" \t\r\n".contains(b)).map_or(0, |i| i + 1);
    // Three cuts keep the check cheap: the last byte, the middle, and one
    // the input picks.
    let picked = data.first().map_or(0, |&b| usize::from(b) * end / 256);
    for cut in [end.saturating_sub(1), end / 2, picked] {
        assert!(decode(&data[..cut]).is_err(), "prefix {cut} of a frame decoded");
    }
}
