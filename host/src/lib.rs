//! The `hotline` host library: the Linux machinery the binary's commands
//! share — the io_uring transport and sockets ([`net`]), binary logging
//! with defmt ([`log`]), WebPKI certificate verification ([`tls_verify`]),
//! the TLS/WebSocket endpoint check ([`probe`]) and the start-up tuning of
//! the engine thread ([`tune`]). It moves bytes and time; the protocols
//! are `hotline-core`'s.

pub mod alloc_count;
pub mod bench;
pub mod clock;
pub mod config;
pub mod engine;
pub mod log;
pub mod metrics;
pub mod net;
pub mod paper;
pub mod probe;
pub mod secret;
pub mod signals;
pub mod tls_verify;
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
