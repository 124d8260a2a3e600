//! `hotline probe URL`: the command-line options turn into a
//! [`hotline::probe`] of a `wss://` or `https://` endpoint (TCP, TLS 1.3,
//! or TLS 1.2 with `--allow-tls12`, and the WebSocket upgrade with
//! hotline's own stack, over io_uring), printed as one JSON object.

use std::path::PathBuf;
use std::time::Duration;

use hotline::probe::{self, Options};

/// Options of `hotline probe`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// `wss://host[:port]/path` or `https://host[:port]/path`.
    url: String,
    /// Require this base64 SHA-256 of a SubjectPublicKeyInfo in the chain
    /// (repeatable; any one matching suffices).
    #[arg(long = "pin-spki", value_name = "BASE64")]
    pin_spki: Vec<String>,
    /// Trust the PEM certificates in FILE instead of the Mozilla roots.
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// Skip chain and hostname validation. INSECURE: diagnostics only.
    #[arg(long)]
    insecure_skip_verify: bool,
    /// Cipher suite to offer.
    #[arg(long, value_enum, default_value_t = Suite::Aes128)]
    suite: Suite,
    /// Offer TLS 1.2 (ECDHE with AES-GCM) as well as TLS 1.3; the report's
    /// `tls_version` says which the server chose.
    #[arg(long)]
    allow_tls12: bool,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 10)]
    timeout_secs: u64,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Suite {
    /// TLS_AES_128_GCM_SHA256
    Aes128,
    /// TLS_AES_256_GCM_SHA384
    Aes256,
}

pub(crate) fn run(args: &Args) -> Result<(), String> {
    let options = Options {
        url: args.url.clone(),
        pin_spki: args.pin_spki.clone(),
        ca: args.ca.clone(),
        insecure_skip_verify: args.insecure_skip_verify,
        aes256: matches!(args.suite, Suite::Aes256),
        allow_tls12: args.allow_tls12,
        timeout: Duration::from_secs(args.timeout_secs),
    };
    println!("{}", probe::probe(&options)?);
    Ok(())
}
