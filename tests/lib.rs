//! Shared helpers for hotline's integration tests: paths to the shared
//! vectors and small utilities used by more than one test file.

use std::io::{self, Cursor, Read, Write};
use std::path::PathBuf;

use hotline_core::btc::tx::TxHash;
use hotline_core::engine::Event;

/// The `shared/` folder that sits beside the repository (vectors, venue facts).
pub fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

/// An in-memory byte stream for driving std-I/O protocol peers (such as
/// tungstenite) without sockets: reads come from `input` and report
/// `WouldBlock` when it is exhausted; writes append to `output`.
#[derive(Debug, Default)]
pub struct Memory {
    /// Bytes the peer will read.
    pub input: Cursor<Vec<u8>>,
    /// Bytes the peer wrote.
    pub output: Vec<u8>,
}

impl Memory {
    /// A stream whose reads yield `input`.
    pub fn reading(input: Vec<u8>) -> Self {
        Self { input: Cursor::new(input), output: Vec::new() }
    }
}

impl Read for Memory {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.input.read(buf)? {
            0 => Err(io::ErrorKind::WouldBlock.into()),
            n => Ok(n),
        }
    }
}

impl Write for Memory {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.output.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Client order ids of the `OrderSent` events, in order. Each must name its
/// whale: the txid is computed after the order is out and filled in by the
/// time the event is polled.
pub fn sent_ids(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::OrderSent { client_order_id, signal, .. } => {
                assert_ne!(signal.txid, TxHash::UNKNOWN, "order {client_order_id} was reported without its txid");
                Some(*client_order_id)
            }
            _ => None,
        })
        .collect()
}

/// Client order ids of the `OrderAcked` events, in order.
pub fn acked_ids(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::OrderAcked { client_order_id, .. } => Some(*client_order_id),
            _ => None,
        })
        .collect()
}
