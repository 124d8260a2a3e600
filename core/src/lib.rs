//! hotline-core: every byte transformation of the hotline engine, as pure
//! buffer-in/buffer-out state machines.
//!
//! The crate is `no_std` and never allocates: capacities are const generics,
//! a full buffer is a typed error, and time and entropy are arguments. The
//! host (`hotline` binary) owns sockets, clocks and threads and drives these
//! machines; see `docs/architecture.md` for the sans-IO contract.
#![no_std]
// Unsafe code is denied everywhere but in the modules that opt in for SIMD,
// each block carrying a `// SAFETY:` line.
#![deny(unsafe_code)]

pub mod btc;
pub mod engine;
pub mod feed;
pub mod ledger;
pub mod market;
pub mod order;
pub mod risk;
pub mod sign;
mod status;
pub mod strategy;
pub mod tls;
pub mod venue;
pub mod ws;

pub use status::Status;
