//! The laboratory: what `hotline demo` and `hotline bench` need beyond the
//! production engine turns the engine, the simulated exchange
//! (`hotline-sim`) and the mempool replayer (`hotline-replay`) into paper
//! runs ([`paper`]; on Coinbase's FIX order entry against a QuickFIX
//! acceptor, [`coinbase`]), and the same whales into timed in-process pipelines
//! beside the conventional Rust stack ([`bench`]). Compiled with the `lab`
//! feature (on by default), so a production build carries none of the
//! simulator, replayer, rust-bitcoin, tungstenite, rcgen, rustls server or
//! plotting code.

pub mod bench;
pub mod coinbase;
pub mod paper;
