//! A plaintext [`Link`]: the engine's WebSocket bytes pass through
//! unencrypted, so a test peer reads them as they are. It keeps the shape
//! of a TLS client's queues: input is taken a bounded chunk at a time into
//! an inbox that fills up, plaintext is taken only as far as the outbox
//! has room, and output leaves a chunk at a time, so the engine meets the
//! same partial reads and writes it would over TLS; a message written in
//! its record room goes out as written. A new TCP connection
//! (`reconnect`) is established at once; `close` plays close_notify: the
//! link reads as closed once its outbox is drained.

use std::collections::VecDeque;

use hotline_core::engine::Link;
use hotline_core::tls::{self, State};

/// The plaintext link.
#[derive(Debug)]
pub(crate) struct PlainLink {
    inbox: VecDeque<u8>,
    outbox: VecDeque<u8>,
    /// Most bytes moved by one `handle_input` or `poll_transmit`.
    chunk: usize,
    /// Room in each queue, like a TLS client's record buffers.
    room: usize,
    /// Where a message is written before `seal_room`.
    scratch: Vec<u8>,
    established: bool,
    closing: bool,
}

impl PlainLink {
    /// A link moving at most `chunk` bytes per call through queues of
    /// `room` bytes.
    pub(crate) fn new(chunk: usize, room: usize) -> Self {
        Self {
            inbox: VecDeque::new(),
            outbox: VecDeque::new(),
            chunk: chunk.max(1),
            room: room.max(1),
            scratch: Vec::new(),
            established: false,
            closing: false,
        }
    }
}

impl Link for PlainLink {
    fn handle_input(&mut self, data: &[u8]) -> Result<usize, tls::Error> {
        if !self.established {
            return Err(tls::Error::NotEstablished);
        }
        let take = data.len().min(self.chunk).min(self.room - self.inbox.len());
        self.inbox.extend(&data[..take]);
        Ok(take)
    }

    fn handle_eof(&mut self) -> Result<(), tls::Error> {
        // A peer that ends the stream without closing first truncates it,
        // as TLS reads a missing close_notify (RFC 8446 §6.1).
        if self.closing { Ok(()) } else { Err(tls::Error::Truncated) }
    }

    fn poll_transmit(&mut self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.chunk).min(self.outbox.len());
        for (dst, src) in buf.iter_mut().zip(self.outbox.drain(..n)) {
            *dst = src;
        }
        n
    }

    fn send(&mut self, data: &[u8]) -> Result<usize, tls::Error> {
        if !self.established {
            return Err(tls::Error::NotEstablished);
        }
        if self.closing {
            return Err(tls::Error::ShuttingDown);
        }
        let take = data.len().min(self.room - self.outbox.len());
        self.outbox.extend(&data[..take]);
        Ok(take)
    }

    fn room(&mut self) -> &mut [u8] {
        let free = if self.established && !self.closing { self.room - self.outbox.len() } else { 0 };
        self.scratch.resize(free, 0);
        &mut self.scratch
    }

    fn seal_room(&mut self, len: usize) -> Result<(), tls::Error> {
        let taken = self.send(self.scratch.get(..len).unwrap_or_default().to_vec().as_slice())?;
        if taken == len { Ok(()) } else { Err(tls::Error::ShuttingDown) }
    }

    fn prepare(&mut self, _len: usize) {}

    fn dry_room(&mut self) -> &mut [u8] {
        self.room()
    }

    fn dry_run(&mut self, len: usize) -> Result<(), tls::Error> {
        // What a dry run leaves is never sent: it must fit, like a record.
        if self.established && !self.closing && len <= self.scratch.len() {
            self.scratch.fill(0);
            Ok(())
        } else {
            Err(tls::Error::NotEstablished)
        }
    }

    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, tls::Error> {
        let n = buf.len().min(self.inbox.len());
        for (dst, src) in buf.iter_mut().zip(self.inbox.drain(..n)) {
            *dst = src;
        }
        Ok(n)
    }

    fn close(&mut self) -> Result<(), tls::Error> {
        self.closing = true;
        Ok(())
    }

    fn state(&self) -> State {
        if self.closing && self.outbox.is_empty() {
            State::Closed
        } else if self.established {
            State::Established
        } else {
            State::Handshaking
        }
    }

    fn reconnect(&mut self) {
        self.inbox.clear();
        self.outbox.clear();
        self.established = true;
        self.closing = false;
    }
}
