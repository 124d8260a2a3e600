//! The in-memory venues' end of TLS, built from other people's code: a
//! client's TLS bytes turn into plaintext in a rustls `ServerConnection`,
//! and each answer the venue writes turns into its own flight of records,
//! so the client's inbound path can be timed one answer at a time. Beside
//! it, [`Pipe`]: plaintext over memory as a byte stream, for tungstenite
//! (both ends of the WebSocket) and for the FIX responder's reassembly.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::Arc;

/// A byte stream over memory: reads what the TLS layer decrypted, collects
/// what is written; an empty read would block.
#[derive(Debug, Default)]
pub(crate) struct Pipe {
    pub(crate) rx: Vec<u8>,
    at: usize,
    pub(crate) tx: Vec<u8>,
}

impl Pipe {
    /// What has been received and not read yet.
    pub(crate) fn unread(&self) -> &[u8] {
        &self.rx[self.at..]
    }

    /// Marks the first `n` unread bytes read.
    pub(crate) fn consume(&mut self, n: usize) {
        self.at = (self.at + n).min(self.rx.len());
        if self.at == self.rx.len() {
            self.rx.clear();
            self.at = 0;
        }
    }
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.unread().is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.unread().len());
        buf[..n].copy_from_slice(&self.unread()[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tx.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One client's TLS connection, server side.
pub(crate) struct ServerTls {
    conn: rustls::ServerConnection,
    /// TLS bytes to deliver to the client: handshake flights, then one
    /// answer each.
    records: VecDeque<Vec<u8>>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls").field("records", &self.records.len()).finish_non_exhaustive()
    }
}

impl ServerTls {
    /// A connection waiting for the client's hello.
    pub(crate) fn new(config: Arc<rustls::ServerConfig>) -> Result<Self, String> {
        let conn = rustls::ServerConnection::new(config).map_err(|e| format!("rustls: {e}"))?;
        Ok(Self { conn, records: VecDeque::new() })
    }

    /// Whether the handshake is done.
    pub(crate) fn established(&self) -> bool {
        !self.conn.is_handshaking()
    }

    /// Takes the client's bytes, appends their plaintext to `plain`, and
    /// queues the handshake flight they call for, if any.
    pub(crate) fn receive(&mut self, mut wire: &[u8], plain: &mut Vec<u8>) -> Result<(), String> {
        let mut buf = [0u8; 16 * 1024];
        while !wire.is_empty() {
            self.conn.read_tls(&mut wire).map_err(|e| format!("venue read_tls: {e}"))?;
            self.conn.process_new_packets().map_err(|e| format!("venue TLS: {e}"))?;
            loop {
                match self.conn.reader().read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => plain.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(format!("venue read: {e}")),
                }
            }
        }
        self.seal(&[])
    }

    /// Seals `plain`, and anything TLS owes, as one chunk for the client.
    pub(crate) fn seal(&mut self, plain: &[u8]) -> Result<(), String> {
        if !plain.is_empty() {
            self.conn.writer().write_all(plain).map_err(|e| format!("venue write: {e}"))?;
        }
        let mut record = Vec::new();
        while self.conn.wants_write() {
            self.conn.write_tls(&mut record).map_err(|e| format!("venue write_tls: {e}"))?;
        }
        if !record.is_empty() {
            self.records.push_back(record);
        }
        Ok(())
    }

    /// The next TLS bytes for the client.
    pub(crate) fn pop_record(&mut self) -> Option<Vec<u8>> {
        self.records.pop_front()
    }
}
