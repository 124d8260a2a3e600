//! The `hotline` host library: a config file, a node's ZMQ feed and a
//! venue's TLS endpoint turn into a running engine on this machine — the
//! io_uring loop around `hotline-core`'s engine ([`driver`]), the
//! transport and sockets ([`net`]), the validated configuration
//! ([`config`]), stage latencies ([`metrics`]), binary logging with defmt
//! ([`log`]), the TLS handshake and WebPKI verification ([`tls`]), the
//! TLS/WebSocket endpoint check ([`probe`]) and the start-up tuning of the
//! engine thread ([`tune`]). It moves bytes and time; the protocols are
//! `hotline-core`'s. The demo's and the benchmarks' machinery is in
//! `lab`, behind the `lab` feature.

pub mod alloc_count;
pub mod clock;
pub mod config;
pub mod driver;
#[cfg(feature = "lab")]
pub mod lab;
pub mod log;
pub mod metrics;
pub mod net;
pub mod probe;
pub mod secret;
pub mod signals;
pub mod tls;
pub mod tune;

/// Bytes from the kernel's CSPRNG.
pub fn entropy<const N: usize>() -> Result<[u8; N], String> {
    use std::io::Read as _;
    let mut out = [0u8; N];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut out))
        .map_err(|e| format!("/dev/urandom: {e}"))?;
    Ok(out)
}
