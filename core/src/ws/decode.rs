//! Server-to-client frame decoding and message reassembly (RFC 6455 §5.2,
//! §5.4, §5.5, §8.1), incremental over input split at any byte.
//!
//! A complete, unfragmented frame that lies whole in the input is returned
//! as a slice of that input (no copy). Anything else is gathered in fixed
//! buffers: data into the caller's message buffer, whose length is the
//! largest message accepted, and control payloads into a 125-byte buffer of
//! the decoder's own, because control frames may arrive between fragments.
//! Text is validated as UTF-8 as its bytes arrive, so a bad sequence fails
//! the connection before the rest of the message is read (§8.1).

use super::frame::{FrameHeader, HeaderError, MAX_CONTROL_PAYLOAD, Opcode, Status};

/// Close codes sent when the peer breaks the protocol (§7.4.1).
pub mod close_code {
    /// Normal closure.
    pub const NORMAL: u16 = 1000;
    /// A protocol error.
    pub const PROTOCOL: u16 = 1002;
    /// Data inconsistent with the message type (bad UTF-8 in text).
    pub const INVALID_DATA: u16 = 1007;
    /// A message too big to process.
    pub const TOO_BIG: u16 = 1009;
}

/// A protocol violation by the server; the connection must fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolError {
    /// A reserved opcode.
    ReservedOpcode(u8),
    /// A 64-bit length with the top bit set.
    LengthOverflow,
    /// A server frame carried a mask (§5.1).
    MaskedFrame,
    /// RSV bits set with no extension negotiated (§5.2).
    ReservedBits(u8),
    /// A control frame over 125 bytes (§5.5).
    ControlTooLong,
    /// A control frame without FIN (§5.5).
    FragmentedControl,
    /// A continuation frame with no message to continue (§5.4).
    UnexpectedContinuation,
    /// A new text or binary frame inside a fragmented message (§5.4).
    InterleavedMessage,
    /// Text that is not UTF-8 (§8.1).
    InvalidUtf8,
    /// A message larger than the message buffer.
    MessageTooBig,
    /// A close payload of one byte (§5.5.1).
    CloseTooShort,
    /// A close code that may not be sent (§7.4).
    InvalidCloseCode(u16),
}

impl ProtocolError {
    /// The status code to close the connection with.
    pub const fn close_code(self) -> u16 {
        match self {
            Self::InvalidUtf8 => close_code::INVALID_DATA,
            Self::MessageTooBig => close_code::TOO_BIG,
            _ => close_code::PROTOCOL,
        }
    }
}

impl From<HeaderError> for ProtocolError {
    fn from(e: HeaderError) -> Self {
        match e {
            HeaderError::ReservedOpcode(op) => Self::ReservedOpcode(op),
            HeaderError::LengthOverflow => Self::LengthOverflow,
        }
    }
}

/// A close frame's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseFrame<'a> {
    /// The status code.
    pub code: u16,
    /// The UTF-8 reason, possibly empty.
    pub reason: &'a str,
}

/// A complete message or control frame from the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// A text message, validated as UTF-8.
    Text(&'a str),
    /// A binary message.
    Binary(&'a [u8]),
    /// A ping and its application data.
    Ping(&'a [u8]),
    /// A pong and its application data.
    Pong(&'a [u8]),
    /// A close frame; `None` when it carried no status code.
    Close(Option<CloseFrame<'a>>),
}

/// Whether a close code may appear on the wire (§7.4.1, §7.4.2, and the
/// IANA registry's 1012–1014).
pub const fn is_valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

#[derive(Debug, Clone, Copy)]
enum Data {
    Text,
    Binary,
}

/// The frame whose payload is being read.
#[derive(Debug, Clone, Copy)]
struct Frame {
    opcode: Opcode,
    fin: bool,
    remaining: u64,
}

/// Incremental decoder of server frames into messages.
#[derive(Debug)]
pub struct Decoder<'b> {
    message: &'b mut [u8],
    message_len: usize,
    /// Bytes of `message` known to be valid UTF-8 (a text message only).
    validated: usize,
    /// The data message being reassembled from fragments.
    fragmented: Option<Data>,
    header: [u8; super::frame::MAX_HEADER_LEN],
    header_len: usize,
    frame: Option<Frame>,
    control: [u8; MAX_CONTROL_PAYLOAD],
    control_len: usize,
}

impl<'b> Decoder<'b> {
    /// A decoder that reassembles messages of up to `message.len()` bytes.
    pub fn new(message: &'b mut [u8]) -> Self {
        Self {
            message,
            message_len: 0,
            validated: 0,
            fragmented: None,
            header: [0; super::frame::MAX_HEADER_LEN],
            header_len: 0,
            frame: None,
            control: [0; MAX_CONTROL_PAYLOAD],
            control_len: 0,
        }
    }

    /// Forgets every partial frame and message, for a new connection.
    pub fn reset(&mut self) {
        self.message_len = 0;
        self.validated = 0;
        self.fragmented = None;
        self.header_len = 0;
        self.frame = None;
        self.control_len = 0;
    }

    /// Consumes bytes from `input` up to the end of the first complete
    /// message or control frame, returning how many were consumed and that
    /// message. Call again with the unconsumed rest.
    pub fn handle_input<'a>(&'a mut self, input: &'a [u8]) -> Result<(usize, Option<Message<'a>>), ProtocolError> {
        let mut pos = 0;
        loop {
            let frame = match self.frame {
                Some(frame) => frame,
                None => {
                    let rest = &input[pos..];
                    if self.header_len == 0 {
                        match FrameHeader::parse(rest)? {
                            Status::Complete((header, len)) => {
                                let frame = self.start_frame(&header)?;
                                let payload_at = pos + len;
                                // Fast path: a whole unfragmented frame is in the input.
                                if let Some(end) = fits(payload_at, frame.remaining, input.len())
                                    && (frame.opcode.is_control() || (frame.fin && self.fragmented.is_none()))
                                {
                                    let message = complete(frame.opcode, &input[payload_at..end])?;
                                    return Ok((end, Some(message)));
                                }
                                pos = payload_at;
                                self.begin_payload(frame)
                            }
                            Status::Partial => {
                                self.header[..rest.len()].copy_from_slice(rest);
                                self.header_len = rest.len();
                                return Ok((input.len(), None));
                            }
                        }
                    } else {
                        // A header split across inputs: gather it byte by byte
                        // until it parses (at most 14 bytes).
                        loop {
                            match FrameHeader::parse(&self.header[..self.header_len])? {
                                Status::Complete((header, _)) => {
                                    self.header_len = 0;
                                    let frame = self.start_frame(&header)?;
                                    break self.begin_payload(frame);
                                }
                                Status::Partial => {
                                    let Some(&byte) = input.get(pos) else {
                                        return Ok((pos, None));
                                    };
                                    self.header[self.header_len] = byte;
                                    self.header_len += 1;
                                    pos += 1;
                                }
                            }
                        }
                    }
                }
            };
            let available = input.len() - pos;
            let take = usize::try_from(frame.remaining).map_or(available, |r| r.min(available));
            self.absorb(frame.opcode, &input[pos..pos + take])?;
            pos += take;
            let remaining = frame.remaining - take as u64;
            if remaining > 0 {
                self.frame = Some(Frame { remaining, ..frame });
                return Ok((pos, None));
            }
            self.frame = None;
            if frame.opcode.is_control() {
                let len = core::mem::take(&mut self.control_len);
                return Ok((pos, Some(complete(frame.opcode, &self.control[..len])?)));
            }
            if frame.fin {
                return Ok((pos, Some(self.finish_message()?)));
            }
        }
    }

    /// Checks a new frame's header against the connection's state (§5.2–5.5)
    /// and the message buffer's capacity.
    fn start_frame(&mut self, header: &FrameHeader) -> Result<Frame, ProtocolError> {
        if header.mask.is_some() {
            return Err(ProtocolError::MaskedFrame);
        }
        if header.rsv != 0 {
            return Err(ProtocolError::ReservedBits(header.rsv));
        }
        let frame = Frame { opcode: header.opcode, fin: header.fin, remaining: header.payload_len };
        if header.opcode.is_control() {
            if header.payload_len > MAX_CONTROL_PAYLOAD as u64 {
                return Err(ProtocolError::ControlTooLong);
            }
            if !header.fin {
                return Err(ProtocolError::FragmentedControl);
            }
            return Ok(frame);
        }
        let starts_message = header.opcode != Opcode::Continuation;
        match (starts_message, self.fragmented.is_some()) {
            (false, false) => return Err(ProtocolError::UnexpectedContinuation),
            (true, true) => return Err(ProtocolError::InterleavedMessage),
            _ => {}
        }
        let capacity = (self.message.len() - self.message_len) as u64;
        if header.payload_len > capacity {
            return Err(ProtocolError::MessageTooBig);
        }
        Ok(frame)
    }

    /// Records the state for a frame whose payload is not wholly in hand.
    fn begin_payload(&mut self, frame: Frame) -> Frame {
        match frame.opcode {
            Opcode::Text => self.fragmented = Some(Data::Text),
            Opcode::Binary => self.fragmented = Some(Data::Binary),
            _ => {}
        }
        self.frame = Some(frame);
        frame
    }

    /// Appends payload bytes to the control or message buffer; text is
    /// validated as far as complete sequences reach.
    fn absorb(&mut self, opcode: Opcode, bytes: &[u8]) -> Result<(), ProtocolError> {
        if opcode.is_control() {
            // `start_frame` bounded the payload to the buffer.
            self.control[self.control_len..self.control_len + bytes.len()].copy_from_slice(bytes);
            self.control_len += bytes.len();
            return Ok(());
        }
        // `start_frame` checked the frame fits the remaining capacity.
        self.message[self.message_len..self.message_len + bytes.len()].copy_from_slice(bytes);
        self.message_len += bytes.len();
        if let Some(Data::Text) = self.fragmented {
            match core::str::from_utf8(&self.message[self.validated..self.message_len]) {
                Ok(_) => self.validated = self.message_len,
                Err(e) if e.error_len().is_none() => self.validated += e.valid_up_to(),
                Err(_) => return Err(ProtocolError::InvalidUtf8),
            }
        }
        Ok(())
    }

    /// Hands out the reassembled message and resets for the next one.
    fn finish_message(&mut self) -> Result<Message<'_>, ProtocolError> {
        let len = core::mem::take(&mut self.message_len);
        let validated = core::mem::take(&mut self.validated);
        let bytes = &self.message[..len];
        match self.fragmented.take() {
            Some(Data::Text) if validated == len => {
                super::utf8::validate(bytes).map(Message::Text).map_err(|_| ProtocolError::InvalidUtf8)
            }
            // A sequence cut off at the end of the message.
            Some(Data::Text) => Err(ProtocolError::InvalidUtf8),
            Some(Data::Binary) | None => Ok(Message::Binary(bytes)),
        }
    }
}

/// The end of a payload of `len` bytes at `start`, if it lies within `available`.
fn fits(start: usize, len: u64, available: usize) -> Option<usize> {
    usize::try_from(len).ok().and_then(|len| start.checked_add(len)).filter(|&end| end <= available)
}

/// Interprets a complete payload by opcode.
fn complete(opcode: Opcode, payload: &[u8]) -> Result<Message<'_>, ProtocolError> {
    Ok(match opcode {
        Opcode::Text => Message::Text(super::utf8::validate(payload).map_err(|_| ProtocolError::InvalidUtf8)?),
        Opcode::Binary | Opcode::Continuation => Message::Binary(payload),
        Opcode::Ping => Message::Ping(payload),
        Opcode::Pong => Message::Pong(payload),
        Opcode::Close => Message::Close(parse_close(payload)?),
    })
}

/// Parses a close payload: empty, or a status code and a UTF-8 reason.
fn parse_close(payload: &[u8]) -> Result<Option<CloseFrame<'_>>, ProtocolError> {
    match *payload {
        [] => Ok(None),
        [_] => Err(ProtocolError::CloseTooShort),
        [hi, lo, ref reason @ ..] => {
            let code = u16::from_be_bytes([hi, lo]);
            if !is_valid_close_code(code) {
                return Err(ProtocolError::InvalidCloseCode(code));
            }
            let reason = core::str::from_utf8(reason).map_err(|_| ProtocolError::InvalidUtf8)?;
            Ok(Some(CloseFrame { code, reason }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An unmasked server frame.
    fn frame(out: &mut [u8], fin: bool, opcode: Opcode, payload: &[u8]) -> usize {
        let header = FrameHeader { fin, rsv: 0, opcode, mask: None, payload_len: payload.len() as u64 };
        let n = header.emit(out).unwrap();
        out[n..n + payload.len()].copy_from_slice(payload);
        n + payload.len()
    }

    /// Feeds `input` in chunks of `step` bytes and collects messages.
    fn decode_all(
        input: &[u8],
        step: usize,
        capacity: usize,
        mut each: impl FnMut(Message<'_>),
    ) -> Result<(), ProtocolError> {
        let mut buf = [0u8; 70_000];
        let mut decoder = Decoder::new(&mut buf[..capacity]);
        for chunk in input.chunks(step) {
            let mut chunk = chunk;
            while !chunk.is_empty() {
                let (used, message) = decoder.handle_input(chunk)?;
                if let Some(message) = message {
                    each(message);
                }
                chunk = &chunk[used..];
            }
        }
        Ok(())
    }

    #[test]
    fn fragmented_text_with_interleaved_ping_survives_every_split() {
        let mut wire = [0u8; 128];
        let mut n = frame(&mut wire, false, Opcode::Text, "héllo ".as_bytes());
        n += frame(&mut wire[n..], true, Opcode::Ping, b"p");
        n += frame(&mut wire[n..], false, Opcode::Continuation, "wö".as_bytes());
        n += frame(&mut wire[n..], true, Opcode::Continuation, "rld €".as_bytes());
        n += frame(&mut wire[n..], true, Opcode::Close, &[0x03, 0xE8, b'b', b'y', b'e']);
        for step in 1..=n {
            let mut seen = 0;
            decode_all(&wire[..n], step, 64, |m| {
                let expected = [
                    Message::Ping(b"p"),
                    Message::Text("héllo wörld €"),
                    Message::Close(Some(CloseFrame { code: 1000, reason: "bye" })),
                ];
                assert_eq!(m, expected[seen], "step {step}");
                seen += 1;
            })
            .unwrap();
            assert_eq!(seen, 3, "step {step}");
        }
    }

    #[test]
    fn large_binary_lengths_decode_across_splits() {
        let mut wire = [0u8; 70_000];
        let payload = [0x5Au8; 65_536];
        let n = frame(&mut wire, true, Opcode::Binary, &payload);
        for step in [1, 7, 4096, n] {
            let mut seen = false;
            decode_all(&wire[..n], step, 65_536, |m| {
                assert_eq!(m, Message::Binary(&payload));
                seen = true;
            })
            .unwrap();
            assert!(seen);
        }
    }

    #[test]
    fn protocol_violations_are_typed() {
        let cases: [(&[u8], ProtocolError); 12] = [
            (&[0x83, 0], ProtocolError::ReservedOpcode(3)),
            (&[0x81, 0x81, 1, 2, 3, 4, b'a'], ProtocolError::MaskedFrame),
            (&[0xC1, 0], ProtocolError::ReservedBits(4)),
            (&[0x89, 126, 0, 126], ProtocolError::ControlTooLong),
            (&[0x09, 0], ProtocolError::FragmentedControl),
            (&[0x80, 0], ProtocolError::UnexpectedContinuation),
            (&[0x01, 1, b'a', 0x81, 0], ProtocolError::InterleavedMessage),
            (&[0x81, 2, 0xC3, 0x28], ProtocolError::InvalidUtf8),
            (&[0x82, 126, 0x01, 0x00], ProtocolError::MessageTooBig),
            (&[0x88, 1, 3], ProtocolError::CloseTooShort),
            (&[0x88, 2, 0x03, 0xED], ProtocolError::InvalidCloseCode(1005)),
            (&[0x88, 3, 0x03, 0xE8, 0xFF], ProtocolError::InvalidUtf8),
        ];
        for (input, error) in cases {
            for step in 1..=input.len() {
                assert_eq!(decode_all(input, step, 255, |_| {}), Err(error), "{input:?} step {step}");
            }
        }
    }

    #[test]
    fn invalid_utf8_fails_fast_inside_an_unfinished_fragment() {
        // A fragment announcing 10 bytes whose third byte breaks UTF-8: the
        // error comes before the rest of the frame or message arrives.
        let mut buf = [0u8; 64];
        let mut decoder = Decoder::new(&mut buf);
        assert_eq!(decoder.handle_input(&[0x01, 10, b'o', b'k']), Ok((4, None)));
        assert_eq!(decoder.handle_input(&[0xC0]), Err(ProtocolError::InvalidUtf8));
    }

    #[test]
    fn a_sequence_cut_at_message_end_is_invalid() {
        let input = [0x01, 1, 0xE2, 0x80, 1, 0x82];
        assert_eq!(decode_all(&input, 1, 64, |_| {}), Err(ProtocolError::InvalidUtf8));
        let valid = [0x01, 1, 0xE2, 0x80, 2, 0x82, 0xAC];
        let mut got = false;
        decode_all(&valid, 1, 64, |m| {
            assert_eq!(m, Message::Text("€"));
            got = true;
        })
        .unwrap();
        assert!(got);
    }

    #[test]
    fn close_codes_follow_the_registry() {
        for code in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999] {
            assert!(is_valid_close_code(code), "{code}");
        }
        for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] {
            assert!(!is_valid_close_code(code), "{code}");
        }
    }
}
