//! The WebSocket client connection as an explicit state machine (RFC 6455
//! §4, §5.5, §7): upgrading → open → closing → closed. It consumes bytes
//! from the server and yields [`Message`]s; what it must send on its own
//! behalf (the pong that echoes a ping, the close reply, the close that
//! fails the connection) it queues for [`Client::poll_transmit`]. Sending
//! application data goes through [`Client::encode`], which frames a payload
//! in place in the caller's send buffer.

use super::decode::{Decoder, Message, ProtocolError, close_code};
use super::frame::{EncodeError, MAX_CONTROL_PAYLOAD, Opcode, encode_control, encode_frame};
use super::handshake::{HandshakeError, Request, ResponseVerifier, write_request};
use crate::Status;

/// Where the connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// The upgrade request was sent; waiting for `101`.
    Upgrading,
    /// Messages flow both ways.
    Open,
    /// A close was sent or queued; incoming data is drained and dropped
    /// until the server's close arrives.
    Closing,
    /// The close handshake finished or the connection failed: once
    /// [`Client::poll_transmit`] has nothing left, close the TCP stream.
    Closed,
}

/// Why input or output was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The opening handshake failed.
    Handshake(HandshakeError),
    /// The server broke the protocol. A close with
    /// [`ProtocolError::close_code`] is queued and the connection is failed.
    Protocol(ProtocolError),
    /// The frame could not be encoded.
    Encode(EncodeError),
    /// Data may not be sent in the current state.
    NotOpen(State),
}

/// What one call to [`Client::handle_input`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// The server accepted the upgrade; the connection is open.
    Upgraded,
    /// A message or control frame. Pings are answered and closes are
    /// replied to by the client itself; they are reported for the record.
    Message(Message<'a>),
}

/// The close the client must send.
#[derive(Debug, Clone, Copy)]
struct PendingClose {
    code: u16,
    reason: [u8; MAX_CONTROL_PAYLOAD - 2],
    reason_len: usize,
    /// Whether the close handshake is complete once this is sent.
    finishes: bool,
}

/// A WebSocket client connection.
#[derive(Debug)]
pub struct Client<'b> {
    state: State,
    verifier: ResponseVerifier,
    decoder: Decoder<'b>,
    pong: [u8; MAX_CONTROL_PAYLOAD],
    /// Length of the pong to send, if one is owed.
    pong_len: Option<usize>,
    close: Option<PendingClose>,
}

impl<'b> Client<'b> {
    /// Writes the upgrade request for `request` into `out` (send those
    /// bytes first) and returns the client and the request's length.
    /// Messages of up to `message_buffer.len()` bytes are accepted.
    pub fn connect(
        request: &Request<'_>,
        out: &mut [u8],
        message_buffer: &'b mut [u8],
    ) -> Result<(Self, usize), Error> {
        let (len, verifier) = write_request(request, out).map_err(Error::Handshake)?;
        let client = Self {
            state: State::Upgrading,
            verifier,
            decoder: Decoder::new(message_buffer),
            pong: [0; MAX_CONTROL_PAYLOAD],
            pong_len: None,
            close: None,
        };
        Ok((client, len))
    }

    /// Starts over on a new transport with the same message buffer: writes
    /// the upgrade request for `request` into `out` and returns its length.
    pub fn reconnect(&mut self, request: &Request<'_>, out: &mut [u8]) -> Result<usize, Error> {
        let (len, verifier) = write_request(request, out).map_err(Error::Handshake)?;
        self.state = State::Upgrading;
        self.verifier = verifier;
        self.decoder.reset();
        self.pong_len = None;
        self.close = None;
        Ok(len)
    }

    /// The connection's state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Consumes bytes from the server up to the first event. Returns the
    /// number of bytes consumed; call again with the rest.
    ///
    /// On [`Error::Protocol`] the connection has failed: a close frame is
    /// queued, the state is [`State::Closed`], and later input is dropped.
    pub fn handle_input<'a>(&'a mut self, input: &'a [u8]) -> Result<(usize, Option<Event<'a>>), Error> {
        match self.state {
            State::Upgrading => match self.verifier.handle_input(input) {
                Ok(Status::Partial) => Ok((input.len(), None)),
                Ok(Status::Complete(consumed)) => {
                    self.state = State::Open;
                    Ok((consumed, Some(Event::Upgraded)))
                }
                Err(e) => {
                    self.state = State::Closed;
                    Err(Error::Handshake(e))
                }
            },
            State::Closed => Ok((input.len(), None)),
            State::Open | State::Closing => {
                let closing = self.state == State::Closing;
                match self.decoder.handle_input(input) {
                    Ok((used, None)) => Ok((used, None)),
                    Ok((used, Some(message))) => {
                        match message {
                            Message::Ping(data) if !closing => {
                                self.pong[..data.len()].copy_from_slice(data);
                                self.pong_len = Some(data.len());
                            }
                            Message::Close(frame) => {
                                if closing {
                                    self.state = State::Closed;
                                } else {
                                    // Echo the status code (§5.5.1) and finish.
                                    let code = frame.map_or(close_code::NORMAL, |f| f.code);
                                    self.close = Some(PendingClose::new(code, "", true));
                                    self.state = State::Closing;
                                }
                            }
                            // While closing, data is drained and dropped.
                            Message::Text(_) | Message::Binary(_) if closing => return Ok((used, None)),
                            _ => {}
                        }
                        Ok((used, Some(Event::Message(message))))
                    }
                    Err(e) => {
                        if !closing {
                            self.close = Some(PendingClose::new(e.close_code(), "", true));
                        }
                        self.state = State::Closed;
                        self.pong_len = None;
                        Err(Error::Protocol(e))
                    }
                }
            }
        }
    }

    /// Starts the closing handshake with `code` and a reason of at most 123
    /// bytes (cut at a character boundary if longer).
    pub fn close(&mut self, code: u16, reason: &str) {
        match self.state {
            State::Open => {
                self.close = Some(PendingClose::new(code, reason, false));
                self.pong_len = None;
                self.state = State::Closing;
            }
            // Before the upgrade there is no WebSocket to close.
            State::Upgrading => self.state = State::Closed,
            State::Closing | State::Closed => {}
        }
    }

    /// Whether a frame is owed ([`poll_transmit`](Self::poll_transmit)
    /// would write one).
    pub fn wants_transmit(&self) -> bool {
        self.close.is_some() || self.pong_len.is_some()
    }

    /// Writes the next frame the client owes the server (a close, else a
    /// pong) into `out`, masked with `mask` (from a CSPRNG), and returns
    /// its length; `None` when nothing is owed. `out` needs 131 bytes.
    pub fn poll_transmit(&mut self, out: &mut [u8], mask: [u8; 4]) -> Option<Result<usize, Error>> {
        if let Some(close) = self.close.take() {
            let mut payload = [0u8; MAX_CONTROL_PAYLOAD];
            payload[..2].copy_from_slice(&close.code.to_be_bytes());
            payload[2..2 + close.reason_len].copy_from_slice(&close.reason[..close.reason_len]);
            if close.finishes {
                self.state = State::Closed;
            }
            let written = encode_control(out, Opcode::Close, &payload[..2 + close.reason_len], mask);
            if written.is_err() {
                self.close = Some(close);
            }
            return Some(written.map_err(Error::Encode));
        }
        let len = self.pong_len.take()?;
        let written = encode_control(out, Opcode::Pong, &self.pong[..len], mask);
        if written.is_err() {
            self.pong_len = Some(len);
        }
        Some(written.map_err(Error::Encode))
    }

    /// Frames a data message or ping in place, as [`encode_frame`] does,
    /// provided the connection is open. Returns the frame's start offset.
    pub fn encode(
        &self,
        buf: &mut [u8],
        payload_start: usize,
        payload_len: usize,
        opcode: Opcode,
        fin: bool,
        mask: [u8; 4],
    ) -> Result<usize, Error> {
        if self.state != State::Open {
            return Err(Error::NotOpen(self.state));
        }
        encode_frame(buf, payload_start, payload_len, opcode, fin, mask).map_err(Error::Encode)
    }
}

impl PendingClose {
    fn new(code: u16, reason: &str, finishes: bool) -> Self {
        let mut cut = reason.len().min(MAX_CONTROL_PAYLOAD - 2);
        while !reason.is_char_boundary(cut) {
            cut -= 1;
        }
        let mut bytes = [0u8; MAX_CONTROL_PAYLOAD - 2];
        bytes[..cut].copy_from_slice(&reason.as_bytes()[..cut]);
        Self { code, reason: bytes, reason_len: cut, finishes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::decode::CloseFrame;
    use crate::ws::frame::{FrameHeader, Status};

    const KEY: [u8; 16] = *b"the sample nonce";
    const UPGRADE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

    fn open(buffer: &mut [u8]) -> Client<'_> {
        let request = Request { host: "h", path: "/", key: KEY, headers: &[] };
        let mut out = [0u8; 256];
        let (mut client, _) = Client::connect(&request, &mut out, buffer).unwrap();
        assert_eq!(client.handle_input(UPGRADE), Ok((UPGRADE.len(), Some(Event::Upgraded))));
        client
    }

    /// Unmasks a client frame and returns (opcode, payload length, payload start).
    fn unmask(frame: &mut [u8]) -> (Opcode, usize, usize) {
        let Ok(Status::Complete((header, at))) = FrameHeader::parse(frame) else { panic!("bad frame") };
        let len = header.payload_len as usize;
        crate::ws::mask::apply_mask(&mut frame[at..at + len], header.mask.expect("client frames are masked"));
        (header.opcode, len, at)
    }

    #[test]
    fn a_ping_is_answered_with_a_pong_echoing_the_latest_payload() {
        let mut buffer = [0u8; 64];
        let mut client = open(&mut buffer);
        let pings = [0x89, 1, b'a', 0x89, 2, b'b', b'c'];
        let (used, _) = client.handle_input(&pings).unwrap();
        client.handle_input(&pings[used..]).unwrap();
        let mut out = [0u8; 131];
        let n = client.poll_transmit(&mut out, [9, 8, 7, 6]).unwrap().unwrap();
        let (opcode, len, at) = unmask(&mut out[..n]);
        assert_eq!((opcode, &out[at..at + len]), (Opcode::Pong, &b"bc"[..]));
        assert!(client.poll_transmit(&mut out, [0; 4]).is_none());
    }

    #[test]
    fn a_server_close_is_echoed_and_ends_the_connection() {
        let mut buffer = [0u8; 64];
        let mut client = open(&mut buffer);
        let (_, event) = client.handle_input(&[0x88, 2, 0x03, 0xE9]).unwrap();
        assert_eq!(event, Some(Event::Message(Message::Close(Some(CloseFrame { code: 1001, reason: "" })))));
        let mut out = [0u8; 131];
        let n = client.poll_transmit(&mut out, [1, 2, 3, 4]).unwrap().unwrap();
        let (opcode, len, at) = unmask(&mut out[..n]);
        assert_eq!((opcode, &out[at..at + len]), (Opcode::Close, &[0x03, 0xE9][..]));
        assert_eq!(client.state(), State::Closed);
    }

    #[test]
    fn after_our_close_data_is_drained_until_the_servers_close() {
        let mut buffer = [0u8; 64];
        let mut client = open(&mut buffer);
        client.close(1000, "bye");
        let mut out = [0u8; 131];
        let n = client.poll_transmit(&mut out, [0; 4]).unwrap().unwrap();
        assert_eq!(&out[..n], &[0x88, 0x85, 0, 0, 0, 0, 0x03, 0xE8, b'b', b'y', b'e']);
        assert_eq!(client.state(), State::Closing);
        assert_eq!(client.handle_input(&[0x81, 1, b'x']), Ok((3, None)));
        assert_eq!(client.encode(&mut out, 14, 0, Opcode::Text, true, [0; 4]), Err(Error::NotOpen(State::Closing)));
        client.handle_input(&[0x88, 0]).unwrap();
        assert_eq!(client.state(), State::Closed);
    }

    #[test]
    fn a_protocol_error_queues_its_close_code() {
        let mut buffer = [0u8; 64];
        let mut client = open(&mut buffer);
        assert_eq!(client.handle_input(&[0x81, 1, 0xFF]), Err(Error::Protocol(ProtocolError::InvalidUtf8)));
        let mut out = [0u8; 131];
        let n = client.poll_transmit(&mut out, [0; 4]).unwrap().unwrap();
        assert_eq!(&out[..n], &[0x88, 0x82, 0, 0, 0, 0, 0x03, 0xEF]);
        assert_eq!(client.state(), State::Closed);
        assert_eq!(client.handle_input(&[0xFF; 8]), Ok((8, None)));
    }

    #[test]
    fn a_long_close_reason_is_cut_at_a_character_boundary() {
        let mut bytes = [0u8; 140];
        for pair in bytes.chunks_exact_mut(2) {
            pair.copy_from_slice("é".as_bytes());
        }
        let close = PendingClose::new(1000, core::str::from_utf8(&bytes).unwrap(), false);
        assert_eq!(close.reason_len, 122);
        assert!(core::str::from_utf8(&close.reason[..close.reason_len]).is_ok());
    }
}
