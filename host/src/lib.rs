//! The `hotline` host library: the Linux machinery the binary's commands
//! share — the io_uring transport and sockets ([`net`]), binary logging
//! with defmt ([`log`]), WebPKI certificate verification ([`tls_verify`]),
//! the TLS/WebSocket endpoint check ([`probe`]) and the start-up tuning of
//! the engine thread ([`tune`]). It moves bytes and time; the protocols
//! are `hotline-core`'s.

pub mod log;
pub mod net;
pub mod probe;
pub mod tls_verify;
pub mod tune;
