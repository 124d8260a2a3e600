//! Request authentication exactly as Binance's web-socket-api.md
//! (<https://github.com/binance/binance-spot-api-docs/blob/master/web-socket-api.md>)
//! §"SIGNED (TRADE and USER_DATA) request security" and §"Timing security" state it: the request's `params` turn into
//! the signature payload (every parameter but `signature`, sorted by name, `name=value` joined by `&`, values as they
//! appear in the JSON, no percent-encoding), which is checked against an HMAC-SHA256 hex signature (case-insensitive)
//! or an Ed25519 base64 signature; and `timestamp`/`recvWindow` against the sim's clock with the documented server
//! logic. The verifiers are the RustCrypto `hmac` crate and `ed25519-dalek`, independent of anything the client links.

use std::collections::{BTreeMap, HashMap};
use std::io;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, VerifyingKey};
use hmac::{Hmac, Mac};
use serde_json::value::RawValue;
use sha2::Sha256;

use crate::config::SimConfig;
use crate::error::ApiError;

/// A request's `params`: each value as the text it is signed as (JSON
/// strings unescaped, every other value verbatim); JSON `null` counts as
/// not sent.
#[derive(Debug, Default)]
pub(crate) struct Params(BTreeMap<String, String>);

impl Params {
    /// Reads the `params` object of a request.
    pub(crate) fn parse(raw: &RawValue) -> Result<Params, ApiError> {
        let map: BTreeMap<String, &RawValue> =
            serde_json::from_str(raw.get()).map_err(|_| ApiError::mandatory("params"))?;
        let mut params = BTreeMap::new();
        for (name, value) in map {
            let text = value.get();
            if text == "null" {
                continue;
            }
            let text = if text.starts_with('"') {
                serde_json::from_str::<String>(text).map_err(|_| ApiError::mandatory(&name))?
            } else {
                text.to_owned()
            };
            params.insert(name, text);
        }
        Ok(Params(params))
    }

    /// The value of `name`, if sent and not empty.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// How many parameters were sent.
    pub(crate) fn count(&self) -> usize {
        self.0.len()
    }

    /// The value of `name`, or -1102 naming it.
    pub(crate) fn require(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| ApiError::mandatory(name))
    }

    /// The signature payload of web-socket-api.md §"SIGNED request example (HMAC)": every parameter except `signature`,
    /// in name order, as `name=value` joined by `&`.
    pub(crate) fn payload(&self) -> String {
        let mut out = String::new();
        for (name, value) in self.0.iter().filter(|(name, _)| name.as_str() != "signature") {
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(name);
            out.push('=');
            out.push_str(value);
        }
        out
    }
}

/// A registered API key's verifier.
pub(crate) enum Key {
    Hmac(Vec<u8>),
    Ed25519(VerifyingKey),
}

impl Key {
    /// Whether `signature` signs `payload` under this key.
    pub(crate) fn verify(&self, payload: &str, signature: &str) -> bool {
        match self {
            Key::Hmac(secret) => {
                // Hex decoding accepts either case: HMAC signatures are not case-sensitive (web-socket-api.md
                // §"SIGNED request example (HMAC)").
                let (Ok(tag), Ok(mut mac)) = (hex::decode(signature), Hmac::<Sha256>::new_from_slice(secret)) else {
                    return false;
                };
                mac.update(payload.as_bytes());
                mac.verify_slice(&tag).is_ok()
            }
            Key::Ed25519(public) => BASE64
                .decode(signature)
                .ok()
                .and_then(|bytes| Signature::from_slice(&bytes).ok())
                .is_some_and(|sig| public.verify_strict(payload.as_bytes(), &sig).is_ok()),
        }
    }
}

/// The registered keys by `apiKey`.
pub(crate) struct Keys(HashMap<String, Key>);

impl Keys {
    /// Builds the registry; an Ed25519 public key that is not a valid
    /// curve point is a configuration error.
    pub(crate) fn new(config: &SimConfig) -> io::Result<Keys> {
        let mut keys = HashMap::new();
        for k in &config.hmac_keys {
            keys.insert(k.api_key.clone(), Key::Hmac(k.secret.as_bytes().to_vec()));
        }
        for k in &config.ed25519_keys {
            let public = VerifyingKey::from_bytes(&k.public_key)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("Ed25519 key {}: {e}", k.api_key)))?;
            keys.insert(k.api_key.clone(), Key::Ed25519(public));
        }
        Ok(Keys(keys))
    }

    pub(crate) fn get(&self, api_key: &str) -> Option<&Key> {
        self.0.get(api_key)
    }
}

/// Default and maximum `recvWindow`, in microseconds (web-socket-api.md §"Timing security").
const RECV_WINDOW_DEFAULT_US: i64 = 5_000_000;
const RECV_WINDOW_MAX_US: i64 = 60_000_000;
/// Timestamps at or above this are microseconds, below it milliseconds (web-socket-api.md §"General API Information"
/// allows either; 10^14 ms is the year 5138).
const MICROS_THRESHOLD: i64 = 100_000_000_000_000;

/// Parses `recvWindow`: milliseconds with up to three decimals.
fn recv_window_us(text: &str) -> Option<i64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || whole.len() > 12 || frac.len() > 3 || (!frac.is_empty() && !digits(frac)) {
        return None;
    }
    let ms: i64 = whole.parse().ok()?;
    let frac_us: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<3}").parse().ok()? };
    Some(ms * 1000 + frac_us)
}

/// The `timestamp` in microseconds.
pub(crate) fn timestamp_us(params: &Params) -> Result<i64, ApiError> {
    let text = params.require("timestamp")?;
    let value: i64 = text.parse().ok().filter(|v| *v > 0).ok_or_else(|| ApiError::mandatory("timestamp"))?;
    Ok(if value >= MICROS_THRESHOLD { value } else { value.saturating_mul(1000) })
}

/// The documented server logic of web-socket-api.md §"Timing security", at one instant `now_ms`.
pub(crate) fn check_time(params: &Params, now_ms: i64) -> Result<(), ApiError> {
    let timestamp = timestamp_us(params)?;
    let window = match params.get("recvWindow") {
        None => RECV_WINDOW_DEFAULT_US,
        Some(text) => recv_window_us(text).ok_or_else(|| ApiError::mandatory("recvWindow"))?,
    };
    if window > RECV_WINDOW_MAX_US {
        return Err(ApiError::new(400, -1131, "recvWindow must be less than 60000."));
    }
    let now = now_ms.saturating_mul(1000);
    if timestamp >= now + 1_000_000 {
        return Err(ApiError::new(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."));
    }
    if now - timestamp > window {
        return Err(ApiError::new(400, -1021, "Timestamp for this request is outside of the recvWindow."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(json: &str) -> Params {
        let raw: Box<RawValue> = serde_json::from_str(json).expect("json");
        Params::parse(&raw).expect("params")
    }

    #[test]
    fn payload_keeps_values_as_sent_and_skips_signature() {
        let p = params(r#"{"b":"52000.00","a":100,"signature":"x","c":"１２３","d":null}"#);
        assert_eq!(p.payload(), "a=100&b=52000.00&c=１２３");
    }

    #[test]
    fn recv_window_takes_three_decimals_at_most() {
        assert_eq!(recv_window_us("5000"), Some(5_000_000));
        assert_eq!(recv_window_us("6000.346"), Some(6_000_346));
        assert_eq!(recv_window_us("1.5"), Some(1_500));
        assert_eq!(recv_window_us("1.2345"), None);
        assert_eq!(recv_window_us("-1"), None);
        assert_eq!(recv_window_us("1e3"), None);
    }

    #[test]
    fn timestamp_window_edges() {
        let now = 1_000_000_000_000;
        let at = |ts: i64, window: &str| {
            check_time(&params(&format!(r#"{{"timestamp":{ts},"recvWindow":"{window}"}}"#)), now).map_err(|e| e.code)
        };
        assert_eq!(at(now - 100, "100"), Ok(()));
        assert_eq!(at(now - 101, "100"), Err(-1021));
        assert_eq!(at(now + 999, "100"), Ok(()));
        assert_eq!(at(now + 1000, "100"), Err(-1021));
        assert_eq!(at(now * 1000 - 100_500, "100.5"), Ok(()));
        assert_eq!(at(now, "60001"), Err(-1131));
    }
}
