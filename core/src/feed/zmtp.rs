//! ZMTP 3.x, the ZeroMQ wire protocol, for the subscribing side of a
//! PUB/SUB connection: bytes from a libzmq PUB socket turn into handshake
//! events and zero-copy multipart messages, and the client's greeting,
//! READY, subscriptions and PONGs turn into bytes. Greeting, framing and
//! the NULL mechanism follow ZMTP 3.0 (RFC 23 §"Formal Grammar", "The
//! NULL Security Mechanism"); PING/PONG follow ZMTP 3.1 (RFC 37
//! §"Connection Heartbeating").
//!
//! The client announces version 3.0, which every libzmq 4.x accepts, and
//! accepts any peer of major version 3 or higher, as the spec requires.
//! Subscriptions use the 3.0 form (a message frame starting with 0x01),
//! which libzmq 4.3 PUB sockets accept whatever minor version was
//! negotiated. Nothing is buffered here: the caller keeps unconsumed bytes
//! and calls again, and a frame too large for the configured budget is
//! skipped as it streams past instead of being held.

use core::fmt;

/// The greeting is a fixed 64 bytes (RFC 23 §"Version Negotiation").
pub const GREETING_LEN: usize = 64;
/// Longest frame header: flags, then an 8-byte big-endian size.
pub const MAX_HEADER_LEN: usize = 9;
/// Frames per message, including skipped ones; bitcoind sends three.
pub const MAX_FRAMES: usize = 16;
/// Bytes [`SubSocket::poll_transmit`] may write in one call.
pub const MIN_TRANSMIT_LEN: usize = GREETING_LEN + READY_SUB.len();
/// Longest PING context a peer may send (RFC 37: 0 to 16 octets).
const MAX_PING_CONTEXT: usize = 16;
/// Command frames (READY with metadata, ERROR, PING) are accepted up to
/// this size even when the message budget is smaller.
const MIN_COMMAND_BUDGET: usize = 512;

/// Byte layout of the greeting and flag bits of frames.
mod field {
    pub(super) const SIGNATURE_START: usize = 0;
    pub(super) const SIGNATURE_END: usize = 9;
    pub(super) const MAJOR: usize = 10;
    pub(super) const MINOR: usize = 11;
    pub(super) const MECHANISM: core::ops::Range<usize> = 12..32;

    pub(super) const FLAG_MORE: u8 = 0x01;
    pub(super) const FLAG_LONG: u8 = 0x02;
    pub(super) const FLAG_COMMAND: u8 = 0x04;
    pub(super) const FLAG_RESERVED: u8 = !0x07;
}

/// The NULL mechanism name, NUL-padded to 20 bytes.
const NULL_MECHANISM: [u8; 20] = *b"NULL\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

/// A SUB socket's READY command: `Socket-Type` = `SUB` (RFC 23, 27 bytes).
const READY_SUB: [u8; 27] = *b"\x04\x19\x05READY\x0bSocket-Type\x00\x00\x00\x03SUB";

/// What the peer did wrong, or why bytes could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The greeting does not start with 0xFF … 0x7F.
    BadSignature,
    /// The peer speaks a ZMTP major version below 3.
    UnsupportedVersion(u8),
    /// The peer's security mechanism is not NULL.
    UnsupportedMechanism,
    /// A frame uses reserved flag bits, or MORE on a command.
    BadFlags(u8),
    /// A long frame's size exceeds 2^63 - 1.
    FrameTooLong,
    /// A command body is not `name-len name data`, or its data is malformed.
    BadCommand,
    /// The first frame after the greeting is not a READY command.
    ExpectedReady,
    /// The peer's READY lacks a `Socket-Type` property.
    MissingSocketType,
    /// The peer's socket type cannot talk to a SUB (only PUB and XPUB can).
    IncompatibleSocketType,
    /// A command frame is larger than the budget for commands.
    CommandTooLarge,
    /// A command frame arrived between the frames of a message.
    CommandInMessage,
    /// A message has more than [`MAX_FRAMES`] frames.
    TooManyFrames,
    /// The peer sent ERROR earlier; the connection is finished.
    Closed,
    /// The output buffer is too small for what must be written.
    BufferTooSmall,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadSignature => f.write_str("greeting signature is not ZMTP"),
            Self::UnsupportedVersion(major) => write!(f, "ZMTP major version {major} < 3"),
            Self::UnsupportedMechanism => f.write_str("security mechanism is not NULL"),
            Self::BadFlags(flags) => write!(f, "invalid frame flags 0x{flags:02x}"),
            Self::FrameTooLong => f.write_str("frame size above 2^63-1"),
            Self::BadCommand => f.write_str("malformed command"),
            Self::ExpectedReady => f.write_str("expected READY after the greeting"),
            Self::MissingSocketType => f.write_str("READY without Socket-Type"),
            Self::IncompatibleSocketType => f.write_str("peer socket type is not PUB or XPUB"),
            Self::CommandTooLarge => f.write_str("command frame above the budget"),
            Self::CommandInMessage => f.write_str("command between the frames of a message"),
            Self::TooManyFrames => f.write_str("too many frames in one message"),
            Self::Closed => f.write_str("connection closed by a peer ERROR"),
            Self::BufferTooSmall => f.write_str("output buffer too small"),
        }
    }
}

pub use crate::Status;

/// The peer's greeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Greeting {
    /// Major version (3 for ZMTP 3.x).
    pub major: u8,
    /// Minor version (0 for 3.0, 1 for 3.1).
    pub minor: u8,
}

impl Greeting {
    /// Parses and checks a peer greeting: ZMTP 3 or later, NULL mechanism.
    /// The padding is "not significant" (RFC 23) and only bit 0 of the
    /// signature's last byte is checked, as libzmq does.
    pub fn parse(buf: &[u8]) -> Result<Status<Self>, Error> {
        let Some(greeting) = buf.first_chunk::<GREETING_LEN>() else {
            return Ok(Status::Partial);
        };
        if greeting[field::SIGNATURE_START] != 0xff || greeting[field::SIGNATURE_END] & 0x01 == 0 {
            return Err(Error::BadSignature);
        }
        let (major, minor) = (greeting[field::MAJOR], greeting[field::MINOR]);
        if major < 3 {
            return Err(Error::UnsupportedVersion(major));
        }
        if greeting[field::MECHANISM] != NULL_MECHANISM {
            return Err(Error::UnsupportedMechanism);
        }
        Ok(Status::Complete(Self { major, minor }))
    }

    /// Writes this client's greeting: version 3.0, NULL, not as-server.
    pub fn emit_client(out: &mut [u8]) -> Result<usize, Error> {
        let out = out.get_mut(..GREETING_LEN).ok_or(Error::BufferTooSmall)?;
        out.fill(0);
        if let [sig, .., last] = &mut out[..=field::SIGNATURE_END] {
            *sig = 0xff;
            *last = 0x7f;
        }
        out[field::MAJOR] = 3;
        out[field::MINOR] = 0;
        out[field::MECHANISM].copy_from_slice(&NULL_MECHANISM);
        Ok(GREETING_LEN)
    }
}

/// A frame header: the flags and the body length that follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// More frames of the same message follow.
    pub more: bool,
    /// The frame is a command, not message data.
    pub command: bool,
    /// Bytes of the header itself: 2 (short) or 9 (long).
    pub header_len: usize,
    /// Bytes of body that follow the header.
    pub body_len: u64,
}

impl FrameHeader {
    /// Parses a frame header. A long frame with a small size is accepted:
    /// the short form is only a SHOULD for senders (RFC 23 §"Framing").
    pub fn parse(buf: &[u8]) -> Result<Status<Self>, Error> {
        let Some(&flags) = buf.first() else {
            return Ok(Status::Partial);
        };
        let command = flags & field::FLAG_COMMAND != 0;
        let more = flags & field::FLAG_MORE != 0;
        if flags & field::FLAG_RESERVED != 0 || (command && more) {
            return Err(Error::BadFlags(flags));
        }
        let (header_len, body_len) = if flags & field::FLAG_LONG != 0 {
            let Some(size) = buf.get(1..MAX_HEADER_LEN) else {
                return Ok(Status::Partial);
            };
            let mut be = [0u8; 8];
            be.copy_from_slice(size);
            let len = u64::from_be_bytes(be);
            if len > i64::MAX as u64 {
                return Err(Error::FrameTooLong);
            }
            (MAX_HEADER_LEN, len)
        } else {
            let Some(&len) = buf.get(1) else {
                return Ok(Status::Partial);
            };
            (2, u64::from(len))
        };
        Ok(Status::Complete(Self { more, command, header_len, body_len }))
    }

    /// Writes a header for a body of `len` bytes, short when it fits.
    pub fn emit(out: &mut [u8], more: bool, command: bool, len: usize) -> Result<usize, Error> {
        let mut flags = if command { field::FLAG_COMMAND } else { 0 };
        if more {
            flags |= field::FLAG_MORE;
        }
        match u8::try_from(len) {
            Ok(short) => {
                let out = out.get_mut(..2).ok_or(Error::BufferTooSmall)?;
                out.copy_from_slice(&[flags, short]);
                Ok(2)
            }
            Err(_) => {
                let out = out.get_mut(..MAX_HEADER_LEN).ok_or(Error::BufferTooSmall)?;
                out[0] = flags | field::FLAG_LONG;
                out[1..].copy_from_slice(&(len as u64).to_be_bytes());
                Ok(MAX_HEADER_LEN)
            }
        }
    }

    /// Header plus body, or `None` when that does not fit a `usize`.
    fn frame_len(&self) -> Option<usize> {
        usize::try_from(self.body_len).ok()?.checked_add(self.header_len)
    }
}

/// Writes a whole frame: header and body.
pub fn emit_frame(out: &mut [u8], more: bool, command: bool, body: &[u8]) -> Result<usize, Error> {
    let header = FrameHeader::emit(out, more, command, body.len())?;
    let end = header.checked_add(body.len()).ok_or(Error::BufferTooSmall)?;
    out.get_mut(header..end).ok_or(Error::BufferTooSmall)?.copy_from_slice(body);
    Ok(end)
}

/// Writes a ZMTP 3.0 subscription: a message frame of 0x01 then the topic
/// prefix (23/ZMTP §"The Publish-Subscribe Pattern"); libzmq 4.x accepts it on every minor.
pub fn emit_subscribe(out: &mut [u8], prefix: &[u8]) -> Result<usize, Error> {
    let header = FrameHeader::emit(out, false, false, prefix.len() + 1)?;
    let rest = out.get_mut(header..).ok_or(Error::BufferTooSmall)?;
    let (marker, topic) = rest.split_first_mut().ok_or(Error::BufferTooSmall)?;
    *marker = 0x01;
    topic.get_mut(..prefix.len()).ok_or(Error::BufferTooSmall)?.copy_from_slice(prefix);
    Ok(header + 1 + prefix.len())
}

/// Splits a command body into its name and data (`name-len name data`).
fn split_command(body: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    let (&len, rest) = body.split_first().ok_or(Error::BadCommand)?;
    if len == 0 || rest.len() < usize::from(len) {
        return Err(Error::BadCommand);
    }
    Ok(rest.split_at(usize::from(len)))
}

/// Socket types a peer may announce in READY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketType {
    /// `PUB`, what bitcoind binds.
    Pub,
    /// `XPUB`, a PUB that also sees subscriptions.
    Xpub,
}

/// The metadata of a READY command: `name-len(1) name value-len(4, BE)
/// value` repeated. Names compare case-insensitively (RFC 23).
#[derive(Debug, Clone, Copy)]
pub struct Properties<'a> {
    data: &'a [u8],
}

impl<'a> Properties<'a> {
    /// Checks the whole property list once, so iteration cannot fail.
    pub fn parse(data: &'a [u8]) -> Result<Self, Error> {
        let mut rest = data;
        while !rest.is_empty() {
            (_, _, rest) = Self::split_one(rest).ok_or(Error::BadCommand)?;
        }
        Ok(Self { data })
    }

    fn split_one(data: &'a [u8]) -> Option<(&'a [u8], &'a [u8], &'a [u8])> {
        let (&name_len, rest) = data.split_first()?;
        if name_len == 0 {
            return None;
        }
        let (name, rest) = rest.split_at_checked(usize::from(name_len))?;
        let (len, rest) = rest.split_first_chunk::<4>()?;
        let len = u32::from_be_bytes(*len);
        if len > i32::MAX as u32 {
            return None;
        }
        let (value, rest) = rest.split_at_checked(usize::try_from(len).ok()?)?;
        Some((name, value, rest))
    }

    /// The value of the property `name`, compared case-insensitively.
    pub fn get(&self, name: &[u8]) -> Option<&'a [u8]> {
        self.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    /// The properties in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + use<'a> {
        let mut rest = self.data;
        core::iter::from_fn(move || {
            let (name, value, next) = Self::split_one(rest)?;
            rest = next;
            Some((name, value))
        })
    }
}

/// A complete message, or the frames of one before or after a skipped
/// frame, borrowed from the input.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    bytes: &'a [u8],
    first_index: usize,
    frame_count: usize,
    ends_message: bool,
}

impl<'a> Message<'a> {
    /// Index of the first of these frames within the whole message.
    pub fn first_index(&self) -> usize {
        self.first_index
    }

    /// Number of frames here.
    pub fn frame_count(&self) -> usize {
        self.frame_count
    }

    /// Whether the last of these frames ends the message (no MORE flag).
    pub fn ends_message(&self) -> bool {
        self.ends_message
    }

    /// The frame bodies in order.
    pub fn frames(&self) -> impl Iterator<Item = &'a [u8]> + use<'a> {
        let mut rest = self.bytes;
        core::iter::from_fn(move || {
            let Ok(Status::Complete(header)) = FrameHeader::parse(rest) else {
                return None;
            };
            let end = header.frame_len()?;
            let body = rest.get(header.header_len..end)?;
            rest = rest.get(end..)?;
            Some(body)
        })
    }

    /// Frame `index` of these frames (0-based within this part).
    pub fn frame(&self, index: usize) -> Option<&'a [u8]> {
        self.frames().nth(index)
    }
}

/// What the decoder saw.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// The handshake is complete: the peer's version and socket type.
    Ready {
        /// The peer's minor version (0 for 3.0, 1 for 3.1).
        peer_minor: u8,
        /// The peer's socket type.
        socket_type: SocketType,
    },
    /// Frames of a message (all of it, unless a frame was skipped).
    Message(Message<'a>),
    /// A frame larger than the budget is being skipped: `index` within its
    /// message, its full body length, and whether frames follow it.
    Skipped {
        /// Position of the skipped frame in its message.
        index: usize,
        /// Body length the frame declared.
        len: u64,
        /// Whether more frames of the message follow.
        more: bool,
    },
    /// The peer sent PING; a PONG is queued for [`SubSocket::poll_transmit`].
    Ping,
    /// The peer sent a command this client ignores (PONG, SUBSCRIBE, …).
    IgnoredCommand {
        /// The command name.
        name: &'a [u8],
    },
    /// The peer sent ERROR: the connection is over.
    PeerError {
        /// The reason the peer gave.
        reason: &'a [u8],
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Greeting,
    /// Greeting received (with the peer's minor version); READY expected.
    Ready {
        peer_minor: u8,
    },
    /// Handshake done; `next_index` is the frame index within the current
    /// message (0 at a message boundary, where commands may appear).
    Open {
        next_index: usize,
    },
    /// Skipping `remaining` body bytes of an oversized frame.
    Skipping {
        remaining: u64,
        next_index: usize,
        more: bool,
    },
    Closed,
}

/// The SUB side of one ZMTP 3.x connection, sans-IO. The caller writes
/// [`SubSocket::poll_transmit`] output to the socket and passes every byte
/// it reads to [`SubSocket::handle_input`], keeping what was not consumed.
#[derive(Debug, Clone)]
pub struct SubSocket {
    state: State,
    max_message: usize,
    hello_sent: bool,
    pong: Option<([u8; MAX_PING_CONTEXT], usize)>,
}

impl SubSocket {
    /// A fresh connection. Message frames (and handshake commands) are
    /// delivered whole up to `max_message` body bytes per message part;
    /// a frame that would exceed it is skipped.
    pub fn new(max_message: usize) -> Self {
        Self { state: State::Greeting, max_message, hello_sent: false, pong: None }
    }

    /// Input bytes the caller must be able to hold at once so that
    /// [`SubSocket::handle_input`] can always make progress.
    pub fn buffer_len(&self) -> usize {
        self.max_message.saturating_add(MAX_FRAMES * MAX_HEADER_LEN).max(self.command_budget() + MAX_HEADER_LEN)
    }

    fn command_budget(&self) -> usize {
        self.max_message.max(MIN_COMMAND_BUDGET)
    }

    /// Whether the handshake has completed and the peer has not closed.
    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open { .. } | State::Skipping { .. })
    }

    /// Bytes to send: first the greeting and READY (sent together, as a
    /// 3.x-only client may), later a PONG per PING. `None` when idle.
    pub fn poll_transmit(&mut self, out: &mut [u8]) -> Result<Option<usize>, Error> {
        if !self.hello_sent {
            let greeting = Greeting::emit_client(out)?;
            out.get_mut(greeting..greeting + READY_SUB.len()).ok_or(Error::BufferTooSmall)?.copy_from_slice(&READY_SUB);
            self.hello_sent = true;
            return Ok(Some(greeting + READY_SUB.len()));
        }
        let Some((context, len)) = self.pong else {
            return Ok(None);
        };
        let mut body = [0u8; 5 + MAX_PING_CONTEXT];
        body[..5].copy_from_slice(b"\x04PONG");
        let context = context.get(..len).unwrap_or_default();
        body[5..5 + context.len()].copy_from_slice(context);
        let n = emit_frame(out, false, true, &body[..5 + context.len()])?;
        self.pong = None;
        Ok(Some(n))
    }

    /// Decodes from the start of `input`: returns how many bytes were
    /// consumed and what was seen. `(0, None)` means more bytes are needed.
    pub fn handle_input<'a>(&mut self, input: &'a [u8]) -> Result<(usize, Option<Event<'a>>), Error> {
        match self.state {
            State::Greeting => match Greeting::parse(input)? {
                Status::Partial => Ok((0, None)),
                Status::Complete(greeting) => {
                    self.state = State::Ready { peer_minor: greeting.minor };
                    Ok((GREETING_LEN, None))
                }
            },
            State::Ready { peer_minor } => self.decode_ready(input, peer_minor),
            State::Open { next_index } => {
                if next_index == 0 && input.first().is_some_and(|f| f & field::FLAG_COMMAND != 0) {
                    self.decode_command(input)
                } else {
                    self.decode_message(input, next_index)
                }
            }
            State::Skipping { remaining, next_index, more } => {
                let take = usize::try_from(remaining).unwrap_or(usize::MAX).min(input.len());
                let remaining = remaining - take as u64;
                self.state = match (remaining, more) {
                    (0, true) => State::Open { next_index },
                    (0, false) => State::Open { next_index: 0 },
                    _ => State::Skipping { remaining, next_index, more },
                };
                Ok((take, None))
            }
            State::Closed => Err(Error::Closed),
        }
    }

    /// A whole command frame at the start of `input`, bounded by the budget.
    fn command_frame<'a>(&self, input: &'a [u8]) -> Result<Status<(usize, &'a [u8])>, Error> {
        let Status::Complete(header) = FrameHeader::parse(input)? else {
            return Ok(Status::Partial);
        };
        if !header.command {
            return Err(Error::ExpectedReady);
        }
        if header.body_len > self.command_budget() as u64 {
            return Err(Error::CommandTooLarge);
        }
        let Some(end) = header.frame_len() else {
            return Err(Error::CommandTooLarge);
        };
        Ok(match input.get(header.header_len..end) {
            Some(body) => Status::Complete((end, body)),
            None => Status::Partial,
        })
    }

    fn decode_ready<'a>(&mut self, input: &'a [u8], peer_minor: u8) -> Result<(usize, Option<Event<'a>>), Error> {
        let Status::Complete((used, body)) = self.command_frame(input)? else {
            return Ok((0, None));
        };
        let (name, data) = split_command(body)?;
        if name == b"ERROR" {
            return self.peer_error(used, data);
        }
        if name != b"READY" {
            return Err(Error::ExpectedReady);
        }
        let socket_type = match Properties::parse(data)?.get(b"Socket-Type") {
            None => return Err(Error::MissingSocketType),
            Some(b"PUB") => SocketType::Pub,
            Some(b"XPUB") => SocketType::Xpub,
            Some(_) => return Err(Error::IncompatibleSocketType),
        };
        self.state = State::Open { next_index: 0 };
        Ok((used, Some(Event::Ready { peer_minor, socket_type })))
    }

    fn peer_error<'a>(&mut self, used: usize, data: &'a [u8]) -> Result<(usize, Option<Event<'a>>), Error> {
        let reason =
            data.split_first().and_then(|(&len, rest)| rest.get(..usize::from(len))).ok_or(Error::BadCommand)?;
        self.state = State::Closed;
        Ok((used, Some(Event::PeerError { reason })))
    }

    fn decode_command<'a>(&mut self, input: &'a [u8]) -> Result<(usize, Option<Event<'a>>), Error> {
        let Status::Complete((used, body)) = self.command_frame(input)? else {
            return Ok((0, None));
        };
        let (name, data) = split_command(body)?;
        match name {
            b"PING" => {
                let context = data.get(2..).ok_or(Error::BadCommand)?;
                if context.len() > MAX_PING_CONTEXT {
                    return Err(Error::BadCommand);
                }
                let mut stored = [0u8; MAX_PING_CONTEXT];
                stored[..context.len()].copy_from_slice(context);
                self.pong = Some((stored, context.len()));
                Ok((used, Some(Event::Ping)))
            }
            b"ERROR" => self.peer_error(used, data),
            b"READY" => Err(Error::BadCommand),
            _ => Ok((used, Some(Event::IgnoredCommand { name }))),
        }
    }

    /// Scans the frames of the current message part. Nothing is consumed
    /// until the part is complete, so re-scanning after a partial read
    /// costs at most [`MAX_FRAMES`] header parses.
    fn decode_message<'a>(&mut self, input: &'a [u8], first_index: usize) -> Result<(usize, Option<Event<'a>>), Error> {
        let mut at = 0usize;
        let mut budget = self.max_message as u64;
        let mut index = first_index;
        loop {
            if index >= MAX_FRAMES {
                return Err(Error::TooManyFrames);
            }
            let rest = input.get(at..).unwrap_or_default();
            let Status::Complete(header) = FrameHeader::parse(rest)? else {
                return Ok((0, None));
            };
            if header.command {
                return Err(Error::CommandInMessage);
            }
            if header.body_len > budget {
                if index > first_index {
                    return Ok(self.message_part(input, at, first_index, index, false));
                }
                return Ok(self.skip(input, header, index));
            }
            budget -= header.body_len;
            let Some(end) = header.frame_len().and_then(|len| len.checked_add(at)) else {
                return Ok((0, None));
            };
            if input.len() < end {
                return Ok((0, None));
            }
            at = end;
            index += 1;
            if !header.more {
                return Ok(self.message_part(input, at, first_index, index, true));
            }
        }
    }

    fn message_part<'a>(
        &mut self,
        input: &'a [u8],
        end: usize,
        first_index: usize,
        next_index: usize,
        ends_message: bool,
    ) -> (usize, Option<Event<'a>>) {
        self.state = State::Open { next_index: if ends_message { 0 } else { next_index } };
        let message = Message {
            bytes: input.get(..end).unwrap_or_default(),
            first_index,
            frame_count: next_index - first_index,
            ends_message,
        };
        (end, Some(Event::Message(message)))
    }

    /// Starts skipping the oversized frame at the start of `input`,
    /// consuming whatever part of its body is already here.
    fn skip<'a>(&mut self, input: &'a [u8], header: FrameHeader, index: usize) -> (usize, Option<Event<'a>>) {
        let available = input.len().saturating_sub(header.header_len) as u64;
        let take = available.min(header.body_len);
        let remaining = header.body_len - take;
        let next_index = index + 1;
        self.state = match (remaining, header.more) {
            (0, true) => State::Open { next_index },
            (0, false) => State::Open { next_index: 0 },
            _ => State::Skipping { remaining, next_index, more: header.more },
        };
        // `take` is at most the input length, so it fits a usize.
        let used = header.header_len + take as usize;
        let event = Event::Skipped { index, len: header.body_len, more: header.more };
        (used, Some(event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// libzmq 4.3.4's PUB greeting, as captured on loopback (docs/protocols/bitcoind-zmq.md §What libzmq sends).
    const LIBZMQ_GREETING: [u8; 64] = {
        let mut g = [0u8; 64];
        g[0] = 0xff;
        g[8] = 0x01;
        g[9] = 0x7f;
        g[10] = 3;
        g[11] = 1;
        g[12] = b'N';
        g[13] = b'U';
        g[14] = b'L';
        g[15] = b'L';
        g
    };
    const PUB_READY: &[u8] = b"\x04\x19\x05READY\x0bSocket-Type\x00\x00\x00\x03PUB";

    fn open(max: usize) -> SubSocket {
        let mut s = SubSocket::new(max);
        let mut out = [0u8; 128];
        assert_eq!(s.poll_transmit(&mut out), Ok(Some(91)));
        assert_eq!(s.handle_input(&LIBZMQ_GREETING).map(|r| r.0), Ok(64));
        let (used, event) = s.handle_input(PUB_READY).expect("ready");
        assert_eq!(used, PUB_READY.len());
        assert!(matches!(event, Some(Event::Ready { socket_type: SocketType::Pub, .. })));
        s
    }

    #[test]
    fn client_hello_is_greeting_3_0_and_ready_sub() {
        let mut s = SubSocket::new(1024);
        let mut out = [0u8; MIN_TRANSMIT_LEN];
        assert_eq!(s.poll_transmit(&mut out), Ok(Some(MIN_TRANSMIT_LEN)));
        assert_eq!(&out[..12], b"\xff\0\0\0\0\0\0\0\0\x7f\x03\x00");
        assert_eq!(&out[12..32], &NULL_MECHANISM);
        assert_eq!(
            &out[64..],
            b"\x04\x19\x05\x52\x45\x41\x44\x59\x0b\x53\x6f\x63\x6b\x65\x74\x2d\x54\x79\x70\x65\x00\x00\x00\x03\x53\x55\x42"
        );
        assert_eq!(Greeting::parse(&out[..64]), Ok(Status::Complete(Greeting { major: 3, minor: 0 })));
        assert_eq!(s.poll_transmit(&mut out), Ok(None));
    }

    #[test]
    fn legacy_subscription_bytes() {
        let mut out = [0u8; 16];
        assert_eq!(emit_subscribe(&mut out, b"rawtx"), Ok(8));
        assert_eq!(&out[..8], b"\x00\x06\x01rawtx");
    }

    #[test]
    fn rejects_non_pub_peer_and_bad_greetings() {
        let mut s = SubSocket::new(1024);
        s.handle_input(&LIBZMQ_GREETING).expect("greeting");
        let req = b"\x04\x19\x05READY\x0bSocket-Type\x00\x00\x00\x03REQ";
        assert_eq!(s.handle_input(req).err(), Some(Error::IncompatibleSocketType));
        let mut old = LIBZMQ_GREETING;
        old[10] = 2;
        assert_eq!(Greeting::parse(&old), Err(Error::UnsupportedVersion(2)));
        let mut plain = LIBZMQ_GREETING;
        plain[12..17].copy_from_slice(b"PLAIN");
        assert_eq!(Greeting::parse(&plain), Err(Error::UnsupportedMechanism));
        assert_eq!(Greeting::parse(&LIBZMQ_GREETING[..63]), Ok(Status::Partial));
    }

    #[test]
    fn socket_type_name_is_case_insensitive() {
        let mut s = SubSocket::new(1024);
        s.handle_input(&LIBZMQ_GREETING).expect("greeting");
        let ready = b"\x04\x1a\x05READY\x0bsocket-type\x00\x00\x00\x04XPUB";
        assert!(matches!(s.handle_input(ready), Ok((28, Some(Event::Ready { socket_type: SocketType::Xpub, .. })))));
    }

    #[test]
    fn message_split_anywhere_decodes_once_complete() {
        let mut wire = [0u8; 600];
        let mut n = emit_frame(&mut wire, true, false, b"rawtx").expect("topic");
        n += emit_frame(&mut wire[n..], true, false, &[0xab; 300]).expect("body");
        n += emit_frame(&mut wire[n..], false, false, &7u32.to_le_bytes()).expect("seq");
        for cut in 0..n {
            let mut s = open(4096);
            assert!(matches!(s.handle_input(&wire[..cut]), Ok((0, None))), "cut {cut}");
            let (used, event) = s.handle_input(&wire[..n]).expect("message");
            assert_eq!(used, n);
            let Some(Event::Message(m)) = event else { panic!("expected a message") };
            assert!(m.ends_message());
            assert_eq!(m.frame_count(), 3);
            assert_eq!(m.frame(0), Some(b"rawtx".as_slice()));
            assert_eq!(m.frame(1).map(<[u8]>::len), Some(300));
            assert_eq!(m.frame(2), Some(7u32.to_le_bytes().as_slice()));
        }
    }

    #[test]
    fn long_frame_with_small_size_is_accepted() {
        let mut s = open(1024);
        let wire = b"\x02\x00\x00\x00\x00\x00\x00\x00\x02hi";
        let (used, event) = s.handle_input(wire).expect("frame");
        assert_eq!(used, wire.len());
        assert!(matches!(event, Some(Event::Message(m)) if m.frame(0) == Some(b"hi".as_slice())));
    }

    #[test]
    fn oversized_frame_is_skipped_without_buffering() {
        let mut s = open(16);
        let mut wire = [0u8; 200];
        let mut n = emit_frame(&mut wire, true, false, b"rawtx").expect("topic");
        n += emit_frame(&mut wire[n..], true, false, &[0xcd; 100]).expect("body");
        n += emit_frame(&mut wire[n..], false, false, &9u32.to_le_bytes()).expect("seq");
        let (used, event) = s.handle_input(&wire[..n]).expect("topic part");
        assert_eq!(used, 7);
        assert!(matches!(event, Some(Event::Message(m)) if !m.ends_message() && m.frame_count() == 1));
        // Only 20 bytes of the 100-byte body have arrived.
        let (used2, event) = s.handle_input(&wire[7..7 + 22]).expect("skip");
        assert_eq!(used2, 22);
        assert!(matches!(event, Some(Event::Skipped { index: 1, len: 100, more: true })));
        let (used3, event) = s.handle_input(&wire[29..n]).expect("rest of body");
        assert_eq!((used3, event.is_none()), (80, true));
        let (used4, event) = s.handle_input(&wire[109..n]).expect("tail");
        assert_eq!(used4, 6);
        assert!(matches!(event, Some(Event::Message(m)) if m.first_index() == 2 && m.ends_message()));
    }

    #[test]
    fn ping_queues_pong_with_context_and_error_closes() {
        let mut s = open(1024);
        let ping = b"\x04\x09\x04PING\x00\x64ab";
        assert!(matches!(s.handle_input(ping), Ok((11, Some(Event::Ping)))));
        let mut out = [0u8; 32];
        assert_eq!(s.poll_transmit(&mut out), Ok(Some(9)));
        assert_eq!(&out[..9], b"\x04\x07\x04PONGab");
        assert_eq!(s.poll_transmit(&mut out), Ok(None));
        let error = b"\x04\x0a\x05ERROR\x03bye";
        assert!(matches!(s.handle_input(error), Ok((12, Some(Event::PeerError { reason: b"bye" })))));
        assert_eq!(s.handle_input(ping).err(), Some(Error::Closed));
    }

    #[test]
    fn reserved_flags_and_more_on_command_are_errors() {
        let mut s = open(1024);
        assert_eq!(s.handle_input(b"\x08\x00").err(), Some(Error::BadFlags(0x08)));
        assert_eq!(FrameHeader::parse(b"\x05\x00").err(), Some(Error::BadFlags(0x05)));
        assert_eq!(FrameHeader::parse(b"\x02\x80\0\0\0\0\0\0\0").err(), Some(Error::FrameTooLong));
    }

    #[test]
    fn command_inside_a_message_is_an_error() {
        let mut s = open(1024);
        let wire = b"\x01\x05rawtx\x04\x09\x04PING\x00\x64ab";
        assert_eq!(s.handle_input(wire).err(), Some(Error::CommandInMessage));
    }
}
