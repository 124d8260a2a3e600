//! The binary's commands: each file turns one subcommand's arguments into
//! its work and its output on stdout, and returns the error `main` prints.
//! `demo` and `bench` exist with the `lab` feature only.

#[cfg(feature = "lab")]
pub(crate) mod bench;
pub(crate) mod check_config;
pub(crate) mod cpu;
pub(crate) mod decode_tx;
#[cfg(feature = "lab")]
pub(crate) mod demo;
pub(crate) mod log;
#[cfg(feature = "lab")]
pub(crate) mod markouts;
pub(crate) mod probe;
pub(crate) mod run;
pub(crate) mod sign;
