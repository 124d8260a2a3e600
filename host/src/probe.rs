//! A `wss://` or `https://` URL turns into a report of what connecting to
//! it the way the engine will took and found: TCP, the TLS 1.3 handshake
//! (rustls, [`crate::tls`]; TLS 1.2 too when allowed) with the given
//! anchors and pins and the `core::tls` record layer after it, and for
//! `wss` the RFC 6455 §4 opening handshake through `core::ws`, then
//! close_notify (RFC 8446 §6.1). The report is one JSON object: address,
//! TLS version, cipher suite, key-exchange group,
//! whether a HelloRetryRequest happened, session tickets, chain subjects
//! and SPKI hashes, pin result and the time each step took. The bytes move
//! through io_uring with registered buffers, as in the [`crate::driver`]
//! loop; [`pump`] is that byte mover, shared with the TLS peer tests.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hotline_core::Status;
use hotline_core::tls::{State, Storage};
use hotline_core::ws::handshake::{self, Request};

use crate::net::ring::{RingConfig, RingStream};
use crate::tls::{Client, HostVerifier, Rustls, Versions, certs_from_pem, contain};

/// What to probe and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// `wss://host[:port]/path` or `https://host[:port]/path`.
    pub url: String,
    /// Base64 SHA-256 of SubjectPublicKeyInfos, one of which must be in
    /// the chain (none: chain validation alone).
    pub pin_spki: Vec<String>,
    /// Trust the PEM certificates in this file instead of the Mozilla roots.
    pub ca: Option<PathBuf>,
    /// Skip chain and hostname validation. INSECURE: diagnostics only.
    pub insecure_skip_verify: bool,
    /// Prefer TLS_AES_256_GCM_SHA384 to TLS_AES_128_GCM_SHA256 (both are
    /// offered).
    pub aes256: bool,
    /// Offer TLS 1.2 (ECDHE, AES-GCM) as well as TLS 1.3.
    pub allow_tls12: bool,
    /// Give up after this long.
    pub timeout: Duration,
}

/// A parsed probe target.
#[derive(Debug)]
struct Target {
    websocket: bool,
    host: String,
    port: u16,
    path: String,
}

fn parse_url(url: &str) -> Result<Target, String> {
    let (websocket, rest) = if let Some(r) = url.strip_prefix("wss://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("https://") {
        (false, r)
    } else {
        return Err(format!("{url}: only wss:// and https:// URLs are probed"));
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().map_err(|_| format!("{url}: bad port {p:?}"))?),
        None => (authority, 443),
    };
    if host.is_empty() {
        return Err(format!("{url}: no host"));
    }
    Ok(Target {
        websocket,
        host: host.to_owned(),
        port,
        path: if path.is_empty() { "/".to_owned() } else { path.to_owned() },
    })
}

/// Moves bytes between `stream` (io_uring, as the engine's loop does) and
/// `engine` until `done` holds, the connection ends or `deadline` passes;
/// plaintext received on the way is appended to `plain`. Engine calls run
/// under [`contain`].
pub fn pump(
    engine: &mut Client<'_>,
    stream: &mut RingStream,
    plain: &mut Vec<u8>,
    deadline: Instant,
    mut done: impl FnMut(&Client<'_>, &[u8]) -> bool,
) -> Result<(), String> {
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        loop {
            let n = contain(|| engine.poll_transmit(&mut buf))?;
            if n == 0 {
                break;
            }
            stream.send_all(buf.get(..n).unwrap_or_default(), deadline).map_err(|e| format!("send: {e}"))?;
        }
        loop {
            let n = contain(|| engine.recv(&mut buf))?.map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            plain.extend_from_slice(buf.get(..n).unwrap_or_default());
        }
        if done(engine, plain) {
            return Ok(());
        }
        if engine.state() == State::Closed {
            return Err(engine.error().map_or_else(|| "connection closed".to_owned(), ToString::to_string));
        }
        let mut input = match stream.recv(deadline) {
            Ok(data) => data,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return Err("timed out".to_owned()),
            Err(e) => return Err(format!("recv: {e}")),
        };
        if input.is_empty() {
            contain(|| engine.handle_eof())?.map_err(|e| e.to_string())?;
            continue;
        }
        while !input.is_empty() {
            let used = contain(|| engine.handle_input(input))?.map_err(|e| e.to_string())?;
            input = input.get(used..).unwrap_or_default();
            let mut app = [0u8; 4096];
            let got = contain(|| engine.recv(&mut app))?.map_err(|e| e.to_string())?;
            plain.extend_from_slice(app.get(..got).unwrap_or_default());
            if used == 0 && got == 0 {
                return Err("engine stalled".to_owned());
            }
        }
    }
}

/// Performs the probe and returns its report.
pub fn probe(options: &Options) -> Result<serde_json::Value, String> {
    let target = parse_url(&options.url)?;
    let deadline = Instant::now() + options.timeout;
    let pins = options
        .pin_spki
        .iter()
        .map(|p| {
            STANDARD
                .decode(p)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| format!("--pin-spki {p}: not the base64 of 32 bytes"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let ca = match &options.ca {
        Some(path) => {
            let pem = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            Some(certs_from_pem(&pem)?)
        }
        None => None,
    };
    let mut verifier = HostVerifier::new(ca.as_deref(), pins)?;
    if options.insecure_skip_verify {
        eprintln!(
            "hotline probe: WARNING: --insecure-skip-verify: the certificate chain and hostname are NOT \
             verified; anyone on the path can impersonate {}. Never trade over such a connection.",
            target.host
        );
        verifier = verifier.insecure();
    }

    let started = Instant::now();
    let addrs: Vec<SocketAddr> = (target.host.as_str(), target.port)
        .to_socket_addrs()
        .map_err(|e| format!("resolve {}: {e}", target.host))?
        .collect();
    let mut last = format!("resolve {}: no address", target.host);
    let (stream, addr) = addrs
        .iter()
        .find_map(|a| match TcpStream::connect_timeout(a, options.timeout) {
            Ok(s) => Some((s, *a)),
            Err(e) => {
                last = format!("connect {a}: {e}");
                None
            }
        })
        .ok_or(last)?;
    stream.set_nodelay(true).map_err(|e| format!("socket: {e}"))?;
    let mut stream = RingStream::new(stream.into(), &RingConfig::default()).map_err(|e| format!("io_uring: {e}"))?;
    let tcp = started.elapsed();

    let mut storage = Box::new(Storage::new());
    let versions = if options.allow_tls12 { Versions::Tls12AndTls13 } else { Versions::Tls13 };
    let mut engine =
        Client::new(&mut storage, Rustls::with_versions(&target.host, verifier, options.aes256, versions)?);
    engine.reconnect();
    let mut report = Report::default();
    session(&mut engine, &mut stream, &target, deadline, &mut report)?;
    let tls = engine.handshake().report();
    let verifier = engine.handshake().verifier();

    let chain: Vec<serde_json::Value> = verifier
        .chain()
        .iter()
        .map(|c| {
            serde_json::json!({
                "subject": c.subject,
                "spki_sha256": STANDARD.encode(c.spki_sha256),
            })
        })
        .collect();
    Ok(serde_json::json!({
        "url": options.url,
        "address": addr.to_string(),
        "tls_version": tls.version,
        "cipher_suite": report.suite,
        "key_exchange": tls.group,
        "hello_retry_request": tls.hello_retry,
        "session_tickets": tls.tickets,
        "verified": !options.insecure_skip_verify,
        "chain": chain,
        "pins_matched": verifier.pins_matched(),
        "timings_us": {
            "tcp_connect": tcp.as_micros(),
            "tls_handshake": report.handshake.as_micros(),
            "tls_handshake_to_keys": tls.elapsed.map(|d| d.as_micros()),
            "upgrade": report.upgrade.map(|d| d.as_micros()),
        },
    }))
}

/// What one probe measured.
#[derive(Debug, Default)]
struct Report {
    suite: &'static str,
    handshake: Duration,
    upgrade: Option<Duration>,
}

/// Handshake, optional WebSocket upgrade, then close_notify.
fn session(
    engine: &mut Client<'_>,
    stream: &mut RingStream,
    target: &Target,
    deadline: Instant,
    report: &mut Report,
) -> Result<(), String> {
    let mut plain = Vec::new();
    let started = Instant::now();
    pump(engine, stream, &mut plain, deadline, |e, _| e.state() == State::Established)
        .map_err(|e| format!("TLS handshake with {}: {e}", target.host))?;
    report.handshake = started.elapsed();
    report.suite = engine.handshake().report().suite.unwrap_or("none");

    if target.websocket {
        let started = Instant::now();
        let host = if target.port == 443 { target.host.clone() } else { format!("{}:{}", target.host, target.port) };
        let request = Request {
            host: &host,
            path: &target.path,
            key: crate::entropy::<16>()?,
            headers: &[("User-Agent", "hotline-probe")],
        };
        let mut out = [0u8; 1024];
        let (len, mut verifier) =
            handshake::write_request(&request, &mut out).map_err(|e| format!("upgrade request: {e:?}"))?;
        let mut request = out.get(..len).unwrap_or_default();
        while !request.is_empty() {
            let n = contain(|| engine.send(request))?.map_err(|e| e.to_string())?;
            request = request.get(n..).unwrap_or_default();
            pump(engine, stream, &mut plain, deadline, |_, _| true)?;
        }
        let mut fed = 0;
        let upgraded = std::cell::Cell::new(None);
        pump(engine, stream, &mut plain, deadline, |_, p| {
            let fresh = p.get(fed..).unwrap_or_default();
            if fresh.is_empty() {
                return false;
            }
            upgraded.set(Some(verifier.handle_input(fresh)));
            fed = p.len();
            !matches!(upgraded.get(), Some(Ok(Status::Partial)))
        })
        .map_err(|e| format!("WebSocket upgrade: {e}"))?;
        match upgraded.get() {
            Some(Ok(Status::Complete(_))) => {}
            other => return Err(format!("WebSocket upgrade refused: {other:?}")),
        }
        report.upgrade = Some(started.elapsed());
    }

    contain(|| engine.close())?.map_err(|e| e.to_string())?;
    pump(engine, stream, &mut plain, deadline, |e, _| e.state() == State::Closed && !e.wants_write())
}
