//! The host's network transport: addresses and bytes turn into sockets and
//! io_uring operations; sockets are set up once with `nix` ([`socket`]) and
//! moved by one io_uring with registered buffers and fixed files ([`ring`]).
//! Bytes only: every protocol lives in `hotline-core`.

mod provided;
pub mod ring;
pub mod socket;
