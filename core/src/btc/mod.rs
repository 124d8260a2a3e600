//! Bitcoin wire formats: a raw transaction (legacy or BIP 144 segwit
//! serialization) turns into a validated zero-copy view with its outputs,
//! sizes and hashes, and an output script turns into its standard type.
//!
//! The rules are Bitcoin Core's (`primitives/transaction.h`
//! `UnserializeTransaction`, `serialize.h` `ReadCompactSize`,
//! `consensus/tx_check.cpp` `CheckTransaction`), so anything bitcoind could
//! publish on `rawtx` parses, and anything Core would refuse is an error.

pub mod script;
pub mod tx;
