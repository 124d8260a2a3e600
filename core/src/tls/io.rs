//! The in-memory socket between the host's byte buffers and embedded-tls:
//! ciphertext the host hands in is checked record by record (RFC 8446 §5.1,
//! §5.2 length limits) and queued for the library's reads, whose futures
//! return `Pending` rather than EOF when the queue is empty; ciphertext the
//! library writes is queued for the host to send.

use core::cell::{Cell, RefCell};
use core::convert::Infallible;
use core::future::poll_fn;
use core::task::Poll;

use super::Error;

/// Largest TLSCiphertext fragment a peer may send (RFC 8446 §5.2: 2^14 + 256).
pub const MAX_CIPHERTEXT: usize = 16_384 + 256;
/// Largest TLSPlaintext fragment (RFC 8446 §5.1: 2^14), the only unencrypted
/// records a TLS 1.3 server sends being ServerHello, alerts and the
/// compatibility ChangeCipherSpec.
const MAX_PLAINTEXT: usize = 16_384;
/// An encrypted record holds at least the inner content type and the
/// 16-byte AEAD tag (RFC 8446 §5.2); shorter ones would decrypt to nothing,
/// which embedded-tls 0.19 does not survive.
const MIN_ENCRYPTED: usize = 1 + 16;
const HEADER_LEN: usize = 5;

/// A byte queue with a compile-time capacity: bytes are appended at the end
/// and taken from the front, and the live region is moved back to the start
/// when the tail runs out.
#[derive(Debug)]
pub(crate) struct Fifo<const N: usize> {
    buf: [u8; N],
    start: usize,
    end: usize,
}

impl<const N: usize> Fifo<N> {
    pub(crate) const fn new() -> Self {
        Self { buf: [0; N], start: 0, end: 0 }
    }

    pub(crate) fn len(&self) -> usize {
        self.end - self.start
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub(crate) fn space(&self) -> usize {
        N - self.len()
    }

    /// Appends as much of `data` as fits and returns how much that was.
    pub(crate) fn push(&mut self, data: &[u8]) -> usize {
        if N - self.end < data.len() && self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let n = data.len().min(N - self.end);
        if let (Some(dst), Some(src)) = (self.buf.get_mut(self.end..self.end + n), data.get(..n)) {
            dst.copy_from_slice(src);
            self.end += n;
            n
        } else {
            0
        }
    }

    /// Moves up to `out.len()` bytes from the front into `out`.
    pub(crate) fn pop(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), self.buf.get(self.start..self.start + n)) {
            dst.copy_from_slice(src);
            self.start += n;
            if self.start == self.end {
                self.start = 0;
                self.end = 0;
            }
            n
        } else {
            0
        }
    }

    pub(crate) fn peek(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or_default()
    }

    pub(crate) fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }
}

/// Follows record boundaries in the inbound ciphertext so that a record
/// header that breaks the limits is refused before embedded-tls sees it.
#[derive(Debug, Default)]
pub(crate) struct RecordFramer {
    header: [u8; HEADER_LEN],
    header_len: usize,
    body_left: usize,
}

impl RecordFramer {
    /// Follows `data` through record headers; the first header that breaks
    /// a limit is the error.
    pub(crate) fn check(&mut self, data: &[u8]) -> Result<(), Error> {
        let mut rest = data;
        while !rest.is_empty() {
            if self.body_left > 0 {
                let n = self.body_left.min(rest.len());
                self.body_left -= n;
                rest = rest.get(n..).unwrap_or_default();
                continue;
            }
            let want = HEADER_LEN - self.header_len;
            let n = want.min(rest.len());
            if let (Some(dst), Some(src)) = (self.header.get_mut(self.header_len..self.header_len + n), rest.get(..n)) {
                dst.copy_from_slice(src);
            }
            self.header_len += n;
            rest = rest.get(n..).unwrap_or_default();
            if self.header_len == HEADER_LEN {
                self.header_len = 0;
                self.body_left = Self::validate(self.header)?;
            }
        }
        Ok(())
    }

    fn validate(header: [u8; HEADER_LEN]) -> Result<usize, Error> {
        let [content_type, major, _minor, hi, lo] = header;
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        let limit = match content_type {
            // change_cipher_spec, alert, handshake: sent in the clear.
            20..=22 => MAX_PLAINTEXT,
            23 => MAX_CIPHERTEXT,
            other => return Err(Error::UnknownRecordType(other)),
        };
        // TLS 1.3 records carry legacy_record_version 0x0303 (0x0301 is
        // allowed in the first); anything else is not TLS at all.
        if major != 3 {
            return Err(Error::NotTls);
        }
        if len > limit {
            return Err(Error::RecordOverflow(len));
        }
        if len == 0 || (content_type == 23 && len < MIN_ENCRYPTED) {
            return Err(Error::RecordTooShort(len));
        }
        Ok(len)
    }
}

/// State shared by the host-facing engine and the library-facing socket.
/// Each queue has its own cell so that a library write (into `tx`) can run
/// while the engine holds no borrow at all.
#[derive(Debug)]
pub(crate) struct Io<const RX: usize, const TX: usize, const APP: usize> {
    pub(crate) rx: RefCell<Fifo<RX>>,
    pub(crate) tx: RefCell<Fifo<TX>>,
    pub(crate) app_rx: RefCell<Fifo<APP>>,
    pub(crate) app_tx: RefCell<Fifo<APP>>,
    /// The host saw the TCP stream end.
    pub(crate) eof: Cell<bool>,
    /// The library was told about that end (a read returned 0).
    pub(crate) eof_seen: Cell<bool>,
    /// The host asked for an orderly shutdown.
    pub(crate) closing: Cell<bool>,
    /// The server is authenticated and the handshake complete.
    pub(crate) established: Cell<bool>,
    /// Entropy for the next connection: set by the host to start one.
    pub(crate) start: Cell<Option<[u8; 32]>>,
    /// The host abandons the connection in progress.
    pub(crate) abort: Cell<bool>,
    /// How the last connection ended, until the engine takes it.
    pub(crate) finished: RefCell<Option<Result<(), Error>>>,
}

impl<const RX: usize, const TX: usize, const APP: usize> Io<RX, TX, APP> {
    pub(crate) const fn new() -> Self {
        Self {
            rx: RefCell::new(Fifo::new()),
            tx: RefCell::new(Fifo::new()),
            app_rx: RefCell::new(Fifo::new()),
            app_tx: RefCell::new(Fifo::new()),
            eof: Cell::new(false),
            eof_seen: Cell::new(false),
            closing: Cell::new(false),
            established: Cell::new(false),
            start: Cell::new(None),
            abort: Cell::new(false),
            finished: RefCell::new(None),
        }
    }

    /// Empties the queues and clears every flag for a new connection.
    pub(crate) fn reset(&self) {
        *self.rx.borrow_mut() = Fifo::new();
        *self.tx.borrow_mut() = Fifo::new();
        *self.app_rx.borrow_mut() = Fifo::new();
        *self.app_tx.borrow_mut() = Fifo::new();
        for flag in [&self.eof, &self.eof_seen, &self.closing, &self.established, &self.abort] {
            flag.set(false);
        }
        self.start.set(None);
        *self.finished.borrow_mut() = None;
    }
}

impl<const RX: usize, const TX: usize, const APP: usize> Default for Io<RX, TX, APP> {
    fn default() -> Self {
        Self::new()
    }
}

/// The socket embedded-tls reads and writes: a shared reference to [`Io`].
/// Reads wait (`Pending`) for bytes instead of reporting EOF, so a record
/// split across any number of `handle_input` calls is read by one future.
#[derive(Debug)]
pub(crate) struct Socket<'a, const RX: usize, const TX: usize, const APP: usize> {
    pub(crate) io: &'a Io<RX, TX, APP>,
}

impl<const RX: usize, const TX: usize, const APP: usize> Clone for Socket<'_, RX, TX, APP> {
    fn clone(&self) -> Self {
        Self { io: self.io }
    }
}

impl<const RX: usize, const TX: usize, const APP: usize> embedded_io::ErrorType for Socket<'_, RX, TX, APP> {
    type Error = Infallible;
}

impl<const RX: usize, const TX: usize, const APP: usize> embedded_io_async::Read for Socket<'_, RX, TX, APP> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        poll_fn(|_| {
            let n = self.io.rx.borrow_mut().pop(buf);
            if n > 0 || buf.is_empty() {
                Poll::Ready(Ok(n))
            } else if self.io.eof.get() {
                self.io.eof_seen.set(true);
                Poll::Ready(Ok(0))
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

impl<const RX: usize, const TX: usize, const APP: usize> embedded_io_async::Write for Socket<'_, RX, TX, APP> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        poll_fn(|_| {
            let n = self.io.tx.borrow_mut().push(buf);
            if n > 0 || buf.is_empty() { Poll::Ready(Ok(n)) } else { Poll::Pending }
        })
        .await
    }

    async fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_wraps_and_compacts() {
        let mut f = Fifo::<8>::new();
        assert_eq!(f.push(b"abcdef"), 6);
        let mut out = [0; 4];
        assert_eq!(f.pop(&mut out), 4);
        assert_eq!(&out, b"abcd");
        assert_eq!(f.push(b"ghijklmn"), 6);
        assert_eq!(f.peek(), b"efghijkl");
        f.consume(3);
        assert_eq!(f.peek(), b"hijkl");
        assert_eq!(f.space(), 3);
    }

    #[test]
    fn framer_accepts_split_headers_and_refuses_oversized_records() {
        let mut framer = RecordFramer::default();
        let mut record = [0u8; 5 + 20];
        record[..5].copy_from_slice(&[23, 3, 3, 0, 20]);
        for chunk in record.chunks(1) {
            assert!(framer.check(chunk).is_ok());
        }
        assert!(matches!(framer.check(&[23, 3, 3, 0x41, 0x01]), Err(Error::RecordOverflow(0x4101))));
        let mut framer = RecordFramer::default();
        assert!(matches!(framer.check(&[23, 3, 3, 0, 16]), Err(Error::RecordTooShort(16))));
        let mut framer = RecordFramer::default();
        assert!(matches!(framer.check(b"HTTP/1.1 400"), Err(Error::UnknownRecordType(b'H'))));
    }
}
