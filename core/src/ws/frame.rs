//! RFC 6455 §5.2 base framing: a frame header as a parsed representation
//! ([`FrameHeader`]) with `parse` and `emit` as exact mirrors, and the client
//! encoder that writes a header in front of a payload already in the send
//! buffer and masks that payload in place (§5.3).

use super::mask::apply_mask;

/// The longest header: 2 fixed bytes, an 8-byte extended length, a 4-byte
/// masking key. Reserve this much headroom in front of a payload to encode
/// any frame in place.
pub const MAX_HEADER_LEN: usize = 14;

/// The largest payload of a control frame (RFC 6455 §5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// Byte offsets and bit masks of the fixed part of the header (§5.2).
mod field {
    pub(super) const FIN: u8 = 0x80;
    pub(super) const RSV: u8 = 0x70;
    pub(super) const OPCODE: u8 = 0x0F;
    pub(super) const MASK: u8 = 0x80;
    pub(super) const LEN7: u8 = 0x7F;
    /// A 7-bit length of 126 announces a 16-bit extended length.
    pub(super) const LEN_16: u8 = 126;
    /// A 7-bit length of 127 announces a 64-bit extended length.
    pub(super) const LEN_64: u8 = 127;
}

/// Frame opcodes (§5.2, §11.8). The reserved values 3–7 and 11–15 are not
/// representable: parsing them is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opcode {
    /// Continuation of a fragmented message.
    Continuation,
    /// A UTF-8 text message (or its first fragment).
    Text,
    /// A binary message (or its first fragment).
    Binary,
    /// Connection close.
    Close,
    /// Ping.
    Ping,
    /// Pong.
    Pong,
}

impl Opcode {
    /// The opcode for a wire value, or `None` for a reserved one.
    pub const fn from_bits(bits: u8) -> Option<Self> {
        match bits {
            0x0 => Some(Self::Continuation),
            0x1 => Some(Self::Text),
            0x2 => Some(Self::Binary),
            0x8 => Some(Self::Close),
            0x9 => Some(Self::Ping),
            0xA => Some(Self::Pong),
            _ => None,
        }
    }

    /// The wire value.
    pub const fn bits(self) -> u8 {
        match self {
            Self::Continuation => 0x0,
            Self::Text => 0x1,
            Self::Binary => 0x2,
            Self::Close => 0x8,
            Self::Ping => 0x9,
            Self::Pong => 0xA,
        }
    }

    /// Control frames (close, ping, pong) have the high opcode bit set.
    pub const fn is_control(self) -> bool {
        self.bits() & 0x8 != 0
    }
}

/// The parsed meaning of a frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Final fragment of a message.
    pub fin: bool,
    /// The three RSV bits, right-aligned. Non-zero only with an extension.
    pub rsv: u8,
    /// The frame's opcode.
    pub opcode: Opcode,
    /// The masking key, present on client-to-server frames.
    pub mask: Option<[u8; 4]>,
    /// Length of the payload that follows the header.
    pub payload_len: u64,
}

/// A frame header that no endpoint may send, whatever was negotiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// An opcode reserved for future use (§5.2: 0x3–0x7, 0xB–0xF).
    ReservedOpcode(u8),
    /// A 64-bit length with its most significant bit set (§5.2).
    LengthOverflow,
}

pub use crate::Status;

/// Why a frame could not be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    /// Fewer bytes in front of the payload than the header needs.
    Headroom { needed: usize, available: usize },
    /// The payload range does not lie inside the buffer.
    PayloadOutOfBounds,
    /// A control frame longer than 125 bytes, or fragmented (§5.5).
    InvalidControl,
}

impl FrameHeader {
    /// The number of header bytes this frame needs on the wire.
    pub const fn encoded_len(&self) -> usize {
        let ext = if self.payload_len < field::LEN_16 as u64 {
            0
        } else if self.payload_len <= u16::MAX as u64 {
            2
        } else {
            8
        };
        2 + ext + if self.mask.is_some() { 4 } else { 0 }
    }

    /// Parses a header from the start of `bytes`; the header and the bytes
    /// it took.
    pub fn parse(bytes: &[u8]) -> Result<Status<(Self, usize)>, HeaderError> {
        let [b0, b1, ..] = *bytes else {
            return Ok(Status::Partial);
        };
        let opcode = Opcode::from_bits(b0 & field::OPCODE).ok_or(HeaderError::ReservedOpcode(b0 & field::OPCODE))?;
        let masked = b1 & field::MASK != 0;
        let len7 = b1 & field::LEN7;
        let ext = match len7 {
            field::LEN_16 => 2,
            field::LEN_64 => 8,
            _ => 0,
        };
        let total = 2 + ext + if masked { 4 } else { 0 };
        let Some(rest) = bytes.get(2..total) else {
            return Ok(Status::Partial);
        };
        let (len_bytes, key_bytes) = rest.split_at(ext);
        let payload_len = match *len_bytes {
            [a, b] => u64::from(u16::from_be_bytes([a, b])),
            [a, b, c, d, e, f, g, h] => {
                let len = u64::from_be_bytes([a, b, c, d, e, f, g, h]);
                if len >> 63 != 0 {
                    return Err(HeaderError::LengthOverflow);
                }
                len
            }
            _ => u64::from(len7),
        };
        let mask = match *key_bytes {
            [a, b, c, d] => Some([a, b, c, d]),
            _ => None,
        };
        let header = Self { fin: b0 & field::FIN != 0, rsv: (b0 & field::RSV) >> 4, opcode, mask, payload_len };
        Ok(Status::Complete((header, total)))
    }

    /// Writes the header into the start of `out`, returning its length, or
    /// `None` when `out` is shorter than [`encoded_len`](Self::encoded_len).
    pub fn emit(&self, out: &mut [u8]) -> Option<usize> {
        let len = self.encoded_len();
        let out = out.get_mut(..len)?;
        out[0] = if self.fin { field::FIN } else { 0 } | (self.rsv << 4) & field::RSV | self.opcode.bits();
        let mask_bit = if self.mask.is_some() { field::MASK } else { 0 };
        let key_at = if self.payload_len < u64::from(field::LEN_16) {
            // The branch guarantees the value fits in seven bits.
            out[1] = mask_bit | self.payload_len as u8;
            2
        } else if let Ok(len16) = u16::try_from(self.payload_len) {
            out[1] = mask_bit | field::LEN_16;
            out[2..4].copy_from_slice(&len16.to_be_bytes());
            4
        } else {
            out[1] = mask_bit | field::LEN_64;
            out[2..10].copy_from_slice(&self.payload_len.to_be_bytes());
            10
        };
        if let Some(key) = self.mask {
            out[key_at..key_at + 4].copy_from_slice(&key);
        }
        Some(len)
    }
}

/// Encodes one client frame in place: the payload already sits in
/// `buf[payload_start..payload_start + payload_len]`; the header is written
/// immediately in front of it and the payload is masked with `mask` (which
/// must come from a CSPRNG, RFC 6455 §5.3). Returns the offset where the
/// frame starts; the frame ends where the payload ends.
pub fn encode_frame(
    buf: &mut [u8],
    payload_start: usize,
    payload_len: usize,
    opcode: Opcode,
    fin: bool,
    mask: [u8; 4],
) -> Result<usize, EncodeError> {
    if opcode.is_control() && (!fin || payload_len > MAX_CONTROL_PAYLOAD) {
        return Err(EncodeError::InvalidControl);
    }
    let payload_end = payload_start
        .checked_add(payload_len)
        .filter(|&end| end <= buf.len())
        .ok_or(EncodeError::PayloadOutOfBounds)?;
    let header = FrameHeader { fin, rsv: 0, opcode, mask: Some(mask), payload_len: payload_len as u64 };
    let start = payload_start
        .checked_sub(header.encoded_len())
        .ok_or(EncodeError::Headroom { needed: header.encoded_len(), available: payload_start })?;
    let (head, payload) = buf.split_at_mut(payload_start);
    header.emit(&mut head[start..]).ok_or(EncodeError::PayloadOutOfBounds)?;
    apply_mask(&mut payload[..payload_end - payload_start], mask);
    Ok(start)
}

/// Header bytes of a masked (client) frame carrying `payload_len` bytes
/// (§5.2): what [`encode_frame`] writes in front of the payload.
pub const fn masked_header_len(payload_len: usize) -> usize {
    let header =
        FrameHeader { fin: true, rsv: 0, opcode: Opcode::Text, mask: Some([0; 4]), payload_len: payload_len as u64 };
    header.encoded_len()
}

/// Copies a control payload (at most 125 bytes) into `out` behind the
/// header and encodes the frame there, returning the frame's length.
pub fn encode_control(out: &mut [u8], opcode: Opcode, payload: &[u8], mask: [u8; 4]) -> Result<usize, EncodeError> {
    const START: usize = 6;
    if !opcode.is_control() || payload.len() > MAX_CONTROL_PAYLOAD {
        return Err(EncodeError::InvalidControl);
    }
    let end = START + payload.len();
    out.get_mut(START..end).ok_or(EncodeError::PayloadOutOfBounds)?.copy_from_slice(payload);
    let start = encode_frame(out, START, payload.len(), opcode, true, mask)?;
    debug_assert_eq!(start, 0, "a control header with a mask is six bytes");
    Ok(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_header_len_is_what_encode_frame_writes() {
        for len in [0usize, 125, 126, 65_535, 65_536] {
            let mut buf = [0u8; MAX_HEADER_LEN + 65_536];
            let start = encode_frame(&mut buf, MAX_HEADER_LEN, len, Opcode::Text, true, [1, 2, 3, 4]).unwrap();
            assert_eq!(masked_header_len(len), MAX_HEADER_LEN - start, "{len}");
        }
    }

    fn round_trip(header: FrameHeader) {
        let mut buf = [0u8; MAX_HEADER_LEN];
        let n = header.emit(&mut buf).unwrap();
        assert_eq!(n, header.encoded_len());
        assert_eq!(FrameHeader::parse(&buf[..n]), Ok(Status::Complete((header, n))));
        for cut in 0..n {
            assert_eq!(FrameHeader::parse(&buf[..cut]), Ok(Status::Partial));
        }
    }

    #[test]
    fn headers_round_trip_at_every_length_boundary() {
        for len in [0, 1, 125, 126, 127, 65535, 65536, u64::MAX >> 1] {
            for mask in [None, Some([1, 2, 3, 4])] {
                for (fin, opcode) in [(true, Opcode::Text), (false, Opcode::Binary), (true, Opcode::Continuation)] {
                    round_trip(FrameHeader { fin, rsv: 0, opcode, mask, payload_len: len });
                }
            }
        }
    }

    #[test]
    fn reserved_opcodes_and_overlong_lengths_are_errors() {
        for op in [3u8, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
            assert_eq!(FrameHeader::parse(&[0x80 | op, 0]), Err(HeaderError::ReservedOpcode(op)));
        }
        let mut overlong = [0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(FrameHeader::parse(&overlong), Err(HeaderError::LengthOverflow));
        overlong[2] = 0x7F;
        assert!(matches!(FrameHeader::parse(&overlong), Ok(Status::Complete((_, 10)))));
    }

    #[test]
    fn encode_writes_the_rfc_masked_hello_example() {
        // RFC 6455 §5.7: a masked text frame "Hello" with key 37 fa 21 3d.
        let mut buf = [0u8; 32];
        buf[MAX_HEADER_LEN..MAX_HEADER_LEN + 5].copy_from_slice(b"Hello");
        let start = encode_frame(&mut buf, MAX_HEADER_LEN, 5, Opcode::Text, true, [0x37, 0xfa, 0x21, 0x3d]).unwrap();
        assert_eq!(
            &buf[start..MAX_HEADER_LEN + 5],
            &[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        );
    }

    #[test]
    fn encode_refuses_missing_headroom_and_bad_control_frames() {
        let mut buf = [0u8; 300];
        assert_eq!(
            encode_frame(&mut buf, 4, 200, Opcode::Binary, true, [0; 4]),
            Err(EncodeError::Headroom { needed: 8, available: 4 })
        );
        assert_eq!(encode_frame(&mut buf, 14, 287, Opcode::Binary, true, [0; 4]), Err(EncodeError::PayloadOutOfBounds));
        assert_eq!(encode_frame(&mut buf, 14, 126, Opcode::Ping, true, [0; 4]), Err(EncodeError::InvalidControl));
        assert_eq!(encode_frame(&mut buf, 14, 1, Opcode::Pong, false, [0; 4]), Err(EncodeError::InvalidControl));
        assert_eq!(encode_control(&mut buf, Opcode::Text, b"x", [0; 4]), Err(EncodeError::InvalidControl));
    }
}
