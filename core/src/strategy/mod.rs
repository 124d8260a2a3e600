//! Trading strategies: parsed mempool transactions (`core::btc`) and feed
//! events (`core::feed`) turn into signals for the pre-trade risk gate
//! (`core::risk`). [`whale`] is the first: large transfers, optionally
//! labelled by watch-listed exchange and cold-storage scripts.

pub mod whale;
