//! `hotline sign`: request params and a secret turn into the venue's
//! canonical payload and its signature, to debug a rejected signature.
//! Binance (-1022): the params are sorted into the canonical payload of
//! docs/protocols/binance-ws-api.md §Signing (every param but `signature`,
//! by name, `k=v` joined by `&`, no percent-encoding) and signed with
//! `hotline-core`'s HMAC-SHA256. Coinbase (a refused Logon): the Logon's
//! prehash of docs/protocols/coinbase-fix.md §Logon, from the SendingTime,
//! MsgSeqNum, API key and passphrase given, signed with the base64-decoded
//! secret by the same code the engine's Logon uses; the passphrase is
//! shown as its length, never its text.

use std::path::PathBuf;

use base64::Engine as _;
use hotline::secret;
use hotline_core::sign::{HEX_TAG, HmacKey, hex_lower};
use hotline_core::venue::coinbase::fix::{TIMESTAMP_LEN, parse_utc_timestamp, utc_timestamp};
use hotline_core::venue::coinbase::logon::{self, Credentials};

/// The venue whose signature rules apply.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Venue {
    /// Binance Spot WebSocket API (HMAC-SHA256, hex).
    Binance,
    /// Coinbase Exchange FIX Logon (HMAC-SHA256 with the base64-decoded
    /// secret, base64).
    Coinbase,
}

/// Options of `hotline sign`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("secret").required(true)))]
pub(crate) struct Args {
    /// The venue.
    #[arg(long, value_enum)]
    venue: Venue,
    /// Name of the environment variable holding the API secret.
    #[arg(long, value_name = "VAR", group = "secret")]
    secret_env: Option<String>,
    /// File holding the API secret; must not be readable by group or others.
    #[arg(long, value_name = "PATH", group = "secret")]
    secret_file: Option<PathBuf>,
    /// Binance: the request params as `k=v` pairs joined by `&`, in any
    /// order.
    #[arg(long, value_name = "PARAMS", required_if_eq("venue", "binance"))]
    params: Option<String>,
    /// Coinbase: the API key (SenderCompID).
    #[arg(long, value_name = "KEY", required_if_eq("venue", "coinbase"))]
    api_key: Option<String>,
    /// Coinbase: name of the environment variable holding the passphrase.
    #[arg(long, value_name = "VAR", conflicts_with = "passphrase_file")]
    passphrase_env: Option<String>,
    /// Coinbase: file holding the passphrase (owner-only).
    #[arg(long, value_name = "PATH")]
    passphrase_file: Option<PathBuf>,
    /// Coinbase: the Logon's SendingTime, `YYYYMMDD-HH:MM:SS.sss` (default:
    /// now).
    #[arg(long, value_name = "TIME")]
    sending_time: Option<String>,
    /// Coinbase: the Logon's MsgSeqNum (no leading zeros).
    #[arg(long, value_name = "N", default_value = "1")]
    seq: String,
}

/// The canonical payload: params but `signature`, sorted by name.
fn canonical(params: &str) -> Result<String, String> {
    let mut pairs = Vec::new();
    for pair in params.split('&').filter(|p| !p.is_empty()) {
        let (name, value) =
            pair.split_once('=').ok_or_else(|| format!("param `{pair}` is not of the form name=value"))?;
        if name.is_empty() {
            return Err(format!("param `{pair}` has no name"));
        }
        if name != "signature" {
            pairs.push((name, value));
        }
    }
    if pairs.is_empty() {
        return Err("--params holds no name=value pair".to_owned());
    }
    pairs.sort_unstable_by(|a, b| a.0.cmp(b.0));
    if let Some(w) = pairs.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(format!("param `{}` appears twice", w[0].0));
    }
    Ok(pairs.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("&"))
}

pub(crate) fn run(args: &Args) -> Result<(), String> {
    let secret = match (&args.secret_env, &args.secret_file) {
        (Some(var), _) => secret::from_env(var, "--secret-env")?,
        (None, Some(path)) => secret::from_file(path, "--secret-file")?,
        (None, None) => return Err("give --secret-env VAR or --secret-file PATH".to_owned()),
    };
    let out = match args.venue {
        Venue::Binance => binance(args, &secret)?,
        Venue::Coinbase => coinbase(args, &secret)?,
    };
    println!("{}", serde_json::Value::Object(out));
    Ok(())
}

fn binance(args: &Args, secret: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let payload = canonical(args.params.as_deref().ok_or("--venue binance needs --params")?)?;
    let key = HmacKey::new(secret);
    let mut hex = [0u8; HEX_TAG];
    hex_lower(&key.sign(payload.as_bytes()), &mut hex).map_err(|e| format!("{e:?}"))?;
    let mut out = serde_json::Map::new();
    out.insert("payload".into(), payload.into());
    out.insert("signature".into(), String::from_utf8_lossy(&hex).into_owned().into());
    Ok(out)
}

fn coinbase(args: &Args, secret: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let api_key = args.api_key.as_deref().ok_or("--venue coinbase needs --api-key")?;
    let passphrase = match (&args.passphrase_env, &args.passphrase_file) {
        (Some(var), _) => secret::from_env(var, "--passphrase-env")?,
        (None, Some(path)) => secret::from_file(path, "--passphrase-file")?,
        (None, None) => return Err("--venue coinbase needs --passphrase-env VAR or --passphrase-file PATH".to_owned()),
    };
    let passphrase = std::str::from_utf8(&passphrase).map_err(|_| "the passphrase is not UTF-8 text".to_owned())?;
    let decoded = zeroize::Zeroizing::new(base64::engine::general_purpose::STANDARD.decode(secret).map_err(|e| {
        format!("the secret is not base64 ({e}): Coinbase API secrets are base64 text, signed with once decoded")
    })?);
    let sending_time = match &args.sending_time {
        Some(text) => sending_time(text)?,
        None => {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            utc_timestamp(u64::try_from(now.as_nanos()).unwrap_or(u64::MAX))
        }
    };
    let seq = match args.seq.as_bytes() {
        [b'0', _, ..] => return Err(format!("--seq {}: MsgSeqNum must not have leading zeros", args.seq)),
        _ => args.seq.parse::<u64>().map_err(|_| format!("--seq {}: not a sequence number", args.seq))?,
    };
    let key = HmacKey::new(&decoded);
    let creds = Credentials { api_key, passphrase, secret: &key };
    let mut prehash = [0u8; logon::PREHASH_CAP];
    let len = logon::prehash(&creds, &sending_time, seq, &mut prehash)
        .map_err(|_| format!("--api-key and the passphrase are longer than {} bytes together", logon::PREHASH_CAP))?;
    let signature = logon::signature(&key, prehash.get(..len).unwrap_or_default());
    // The prehash as the engine signs it, SOH shown as `|` and the
    // passphrase as its length.
    let shown = format!(
        "{}|A|{seq}|{api_key}|{}|<passphrase: {} bytes>",
        String::from_utf8_lossy(&sending_time),
        logon::TARGET_COMP_ID,
        passphrase.len()
    );
    let mut out = serde_json::Map::new();
    out.insert("prehash".into(), shown.into());
    out.insert("signature".into(), String::from_utf8_lossy(&signature).into_owned().into());
    Ok(out)
}

/// `--sending-time`: a UTCTimestamp with exactly three fractional digits,
/// or the signature Coinbase computes differs.
fn sending_time(text: &str) -> Result<[u8; TIMESTAMP_LEN], String> {
    let bytes: [u8; TIMESTAMP_LEN] = text.as_bytes().try_into().map_err(|_| {
        format!("--sending-time {text}: must be YYYYMMDD-HH:MM:SS.sss, with exactly three fractional digits")
    })?;
    parse_utc_timestamp(&bytes).ok_or_else(|| format!("--sending-time {text}: not a valid UTC time"))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn canonical_sorts_and_drops_signature() {
        assert_eq!(canonical("b=2&signature=ff&a=1").as_deref(), Ok("a=1&b=2"));
        assert!(canonical("a=1&a=2").unwrap_err().contains("twice"));
        assert!(canonical("a").unwrap_err().contains("name=value"));
        assert!(canonical("").is_err());
    }
}
