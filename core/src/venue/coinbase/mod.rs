//! Coinbase Exchange's FIX 5.0 SP2 order entry over FIXT.1.1
//! (`docs/protocols/coinbase-fix.md`).

pub mod execution;
pub mod fix;
pub mod logon;
pub mod order;
pub mod session;
