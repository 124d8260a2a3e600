//! `hotline sign`: request params and a secret turn into the venue's
//! canonical payload and its signature, to debug a rejected signature
//! (Binance -1022). The params are sorted into the canonical payload of
//! docs/protocols/binance-ws-api.md §Signing (every param but `signature`,
//! by name, `k=v` joined by `&`, no percent-encoding) and signed with
//! `hotline-core`'s HMAC-SHA256.

use std::path::PathBuf;

use hotline::secret;
use hotline_core::sign::{HEX_TAG, HmacKey, hex_lower};

/// The venue whose signature rules apply.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Venue {
    /// Binance Spot WebSocket API (HMAC-SHA256, hex).
    Binance,
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
    /// The request params as `k=v` pairs joined by `&`, in any order.
    #[arg(long, value_name = "PARAMS")]
    params: String,
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
    let payload = canonical(&args.params)?;
    let signature = match args.venue {
        Venue::Binance => {
            let key = HmacKey::new(&secret);
            let mut hex = [0u8; HEX_TAG];
            hex_lower(&key.sign(payload.as_bytes()), &mut hex).map_err(|e| format!("{e:?}"))?;
            String::from_utf8_lossy(&hex).into_owned()
        }
    };
    let mut out = serde_json::Map::new();
    out.insert("payload".into(), payload.into());
    out.insert("signature".into(), signature.into());
    println!("{}", serde_json::Value::Object(out));
    Ok(())
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
