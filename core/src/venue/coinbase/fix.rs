//! FIX tag=value messages as FIXT.1.1 frames them (FIX Session Protocol
//! and FIX Transport 1.1, `docs/protocols/coinbase-fix.md` §Framing): a
//! message is `8=FIXT.1.1␁9=<BodyLength>␁35=<MsgType>␁…␁10=<CheckSum>␁`,
//! where BodyLength counts the bytes from `35=` through the separator
//! before `10=`, and CheckSum is the sum of every byte before `10=`,
//! modulo 256, as three digits.
//!
//! [`frame`] finds where a message ends in a stream buffer (or that more
//! bytes are needed) and checks its length and checksum; [`Message`] is a
//! view over one checked message whose fields iterate without copying;
//! [`Writer`] renders a message into a caller's buffer. Nothing here
//! allocates or panics, whatever the input.

use core::ops::Range;

use crate::order::digits::{U64_DIGITS, shortest};

/// The field separator, SOH.
pub const SOH: u8 = 0x01;

/// The only BeginString (8) this client speaks.
pub const BEGIN_STRING: &[u8] = b"FIXT.1.1";

/// The longest message accepted or written, in bytes. Coinbase's largest
/// order-entry message, a NewOrderBatch of 15 orders, is under 3 KiB.
pub const MAX_MESSAGE: usize = 8192;

/// `8=FIXT.1.1␁9=`: every message starts with it.
const HEAD: &[u8] = b"8=FIXT.1.1\x019=";

/// Digits of the longest BodyLength [`MAX_MESSAGE`] allows.
const BODY_LENGTH_DIGITS: usize = 4;

/// `10=ddd␁`.
const TRAILER: usize = 7;

/// Tags of the fields this venue reads or writes.
pub mod tag {
    pub const ACCOUNT: u32 = 1;
    pub const AVG_PX: u32 = 6;
    pub const BEGIN_SEQ_NO: u32 = 7;
    pub const BEGIN_STRING: u32 = 8;
    pub const BODY_LENGTH: u32 = 9;
    pub const CHECK_SUM: u32 = 10;
    pub const CL_ORD_ID: u32 = 11;
    pub const CUM_QTY: u32 = 14;
    pub const END_SEQ_NO: u32 = 16;
    pub const EXEC_ID: u32 = 17;
    pub const LAST_PX: u32 = 31;
    pub const LAST_QTY: u32 = 32;
    pub const MSG_SEQ_NUM: u32 = 34;
    pub const MSG_TYPE: u32 = 35;
    pub const NEW_SEQ_NO: u32 = 36;
    pub const ORDER_ID: u32 = 37;
    pub const ORDER_QTY: u32 = 38;
    pub const ORD_STATUS: u32 = 39;
    pub const ORD_TYPE: u32 = 40;
    pub const ORIG_CL_ORD_ID: u32 = 41;
    pub const POSS_DUP_FLAG: u32 = 43;
    pub const PRICE: u32 = 44;
    pub const REF_SEQ_NUM: u32 = 45;
    pub const SENDER_COMP_ID: u32 = 49;
    pub const SENDING_TIME: u32 = 52;
    pub const SIDE: u32 = 54;
    pub const SYMBOL: u32 = 55;
    pub const TARGET_COMP_ID: u32 = 56;
    pub const TEXT: u32 = 58;
    pub const TIME_IN_FORCE: u32 = 59;
    pub const TRANSACT_TIME: u32 = 60;
    pub const NO_ORDERS: u32 = 73;
    pub const RAW_DATA_LENGTH: u32 = 95;
    pub const RAW_DATA: u32 = 96;
    pub const ENCRYPT_METHOD: u32 = 98;
    pub const ORD_REJ_REASON: u32 = 103;
    pub const CXL_REJ_REASON: u32 = 102;
    pub const HEART_BT_INT: u32 = 108;
    pub const TEST_REQ_ID: u32 = 112;
    pub const GAP_FILL_FLAG: u32 = 123;
    pub const NO_MISC_FEES: u32 = 136;
    pub const MISC_FEE_AMT: u32 = 137;
    pub const MISC_FEE_CURR: u32 = 138;
    pub const MISC_FEE_TYPE: u32 = 139;
    pub const RESET_SEQ_NUM_FLAG: u32 = 141;
    pub const EXEC_TYPE: u32 = 150;
    pub const LEAVES_QTY: u32 = 151;
    pub const REF_TAG_ID: u32 = 371;
    pub const REF_MSG_TYPE: u32 = 372;
    pub const SESSION_REJECT_REASON: u32 = 373;
    pub const BUSINESS_REJECT_REASON: u32 = 380;
    pub const CXL_REJ_RESPONSE_TO: u32 = 434;
    pub const MASS_CANCEL_REQUEST_TYPE: u32 = 530;
    pub const MASS_CANCEL_RESPONSE: u32 = 531;
    pub const USERNAME: u32 = 553;
    pub const PASSWORD: u32 = 554;
    pub const TRADE_ID: u32 = 1003;
    pub const AGGRESSOR_INDICATOR: u32 = 1057;
    pub const DEFAULT_APPL_VER_ID: u32 = 1137;
    pub const DEFAULT_SELF_TRADE_PREVENTION: u32 = 8001;
    pub const CANCEL_ORDERS_ON_DISCONNECT: u32 = 8013;
    pub const BATCH_ID: u32 = 8014;
}

/// A message, or the bytes before one, that breaks FIX's framing or field
/// syntax. The connection cannot be trusted past it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixError {
    /// The stream does not start with `8=FIXT.1.1␁9=`.
    BeginString,
    /// BodyLength (9) is not digits, has too many, or is zero.
    BodyLength,
    /// The message is longer than [`MAX_MESSAGE`] (its stated length).
    TooLong(usize),
    /// No `10=ddd␁` where BodyLength says the body ends.
    Trailer,
    /// The stated CheckSum is not the sum of the bytes.
    CheckSum {
        /// What the message says.
        stated: u8,
        /// What its bytes sum to.
        computed: u8,
    },
    /// A field at this offset of the message is not `tag=value␁` with a
    /// tag of digits and a non-empty value.
    Field(usize),
    /// The body does not start with MsgType (35).
    MsgType,
    /// A field the message needs is absent.
    Missing(u32),
    /// A field's value is not what its type allows.
    Value(u32),
    /// A repeating group's count disagrees with its entries.
    Group(u32),
}

/// Where the first message of a buffer ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// The buffer holds the start of a message: read more.
    Partial,
    /// The first message is this many bytes, checked.
    Complete(usize),
}

/// The sum of `bytes`, modulo 256: FIX's CheckSum.
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |sum, &b| sum.wrapping_add(b))
}

/// Finds the first message in `buf` and checks its BeginString,
/// BodyLength, trailer and CheckSum. A wrong byte is an error as soon as
/// it arrives, however little of the message is here.
pub fn frame(buf: &[u8]) -> Result<Framing, FixError> {
    let head = buf.len().min(HEAD.len());
    if buf.get(..head) != HEAD.get(..head) {
        return Err(FixError::BeginString);
    }
    let after_head = buf.get(HEAD.len()..).unwrap_or_default();
    let Some(end) = after_head.iter().take(BODY_LENGTH_DIGITS + 1).position(|&b| b == SOH) else {
        return if after_head.len() > BODY_LENGTH_DIGITS || after_head.iter().any(|b| !b.is_ascii_digit()) {
            Err(FixError::BodyLength)
        } else {
            Ok(Framing::Partial)
        };
    };
    let digits = after_head.get(..end).unwrap_or_default();
    let body = parse_uint(digits).filter(|&n| n > 0 && digits.first() != Some(&b'0')).ok_or(FixError::BodyLength)?;
    let body = usize::try_from(body).map_err(|_| FixError::BodyLength)?;
    let body_start = HEAD.len() + end + 1;
    let total = body_start + body + TRAILER;
    if total > MAX_MESSAGE {
        return Err(FixError::TooLong(total));
    }
    if buf.len() < total {
        return Ok(Framing::Partial);
    }
    let summed = body_start + body;
    let trailer = buf.get(summed..total).unwrap_or_default();
    let (Some(b"10="), Some(&[a, b, c]), Some(&SOH)) = (trailer.get(..3), trailer.get(3..6), trailer.get(6)) else {
        return Err(FixError::Trailer);
    };
    if buf.get(summed - 1) != Some(&SOH) {
        return Err(FixError::Trailer);
    }
    let stated = parse_uint(&[a, b, c]).and_then(|n| u8::try_from(n).ok()).ok_or(FixError::Trailer)?;
    let computed = checksum(buf.get(..summed).unwrap_or_default());
    if stated != computed {
        return Err(FixError::CheckSum { stated, computed });
    }
    Ok(Framing::Complete(total))
}

/// One field: its tag and its value's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// The tag.
    pub tag: u32,
    /// The value, without its separator.
    pub value: &'a [u8],
}

/// One complete, checked message: a view over its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// From `35=` through the separator before `10=`.
    body: &'a [u8],
    msg_type: &'a [u8],
}

impl<'a> Message<'a> {
    /// Checks the first message of `buf` (framing, checksum, and that
    /// every field of its body is `tag=value␁`) and views it; the second
    /// value is its length.
    pub fn parse(buf: &'a [u8]) -> Result<Option<(Self, usize)>, FixError> {
        let Framing::Complete(len) = frame(buf)? else {
            return Ok(None);
        };
        // `frame` found the separator after BodyLength and the trailer.
        let header = HEAD.len() + buf.get(HEAD.len()..).and_then(|b| b.iter().position(|&x| x == SOH)).unwrap_or(0) + 1;
        let body = buf.get(header..len - TRAILER).unwrap_or_default();
        let mut at = 0;
        let mut msg_type = None;
        while at < body.len() {
            let (field, next) = field_at(body, at).ok_or(FixError::Field(header + at))?;
            if at == 0 {
                if field.tag != tag::MSG_TYPE {
                    return Err(FixError::MsgType);
                }
                msg_type = Some(field.value);
            }
            at = next;
        }
        let msg_type = msg_type.ok_or(FixError::MsgType)?;
        Ok(Some((Self { body, msg_type }, len)))
    }

    /// MsgType (35).
    pub fn msg_type(&self) -> &'a [u8] {
        self.msg_type
    }

    /// Every field from MsgType on, in order.
    pub fn fields(&self) -> Fields<'a> {
        Fields { body: self.body, at: 0 }
    }

    /// The first field with `tag`.
    pub fn get(&self, tag: u32) -> Option<&'a [u8]> {
        self.fields().find(|f| f.tag == tag).map(|f| f.value)
    }

    /// The first field with `tag`, as an unsigned integer (FIX's `int`,
    /// leading zeros allowed).
    pub fn uint(&self, tag: u32) -> Result<u64, FixError> {
        parse_uint(self.get(tag).ok_or(FixError::Missing(tag))?).ok_or(FixError::Value(tag))
    }

    /// MsgSeqNum (34).
    pub fn seq(&self) -> Result<u64, FixError> {
        self.uint(tag::MSG_SEQ_NUM)
    }

    /// PossDupFlag (43) is `Y`.
    pub fn poss_dup(&self) -> bool {
        self.get(tag::POSS_DUP_FLAG) == Some(b"Y")
    }
}

/// The fields of a [`Message`].
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    body: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Fields<'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Field<'a>> {
        let (field, next) = field_at(self.body, self.at)?;
        self.at = next;
        Some(field)
    }
}

/// The field starting at `at`, and where the next one starts.
fn field_at(body: &[u8], at: usize) -> Option<(Field<'_>, usize)> {
    let rest = body.get(at..)?;
    let eq = rest.iter().take(10).position(|&b| b == b'=')?;
    let digits = rest.get(..eq)?;
    if digits.first() == Some(&b'0') {
        return None;
    }
    let tag = u32::try_from(parse_uint(digits)?).ok().filter(|&t| t > 0)?;
    let after = rest.get(eq + 1..)?;
    let len = after.iter().position(|&b| b == SOH).filter(|&n| n > 0)?;
    Some((Field { tag, value: after.get(..len)? }, at + eq + 1 + len + 1))
}

/// `digits` (1 to 19 ASCII digits) as a number.
pub fn parse_uint(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| b.is_ascii_digit().then(|| n * 10 + u64::from(b - b'0')))
}

/// The buffer is too small for the message being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

/// Renders one message into a caller's buffer: the body first, after room
/// for the header; [`finish`](Self::finish) writes BeginString and
/// BodyLength right before the body and the CheckSum after it.
#[derive(Debug)]
pub struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
    overflow: bool,
}

/// Room left before the body for `8=FIXT.1.1␁9=dddd␁`.
const HEADER_ROOM: usize = HEAD.len() + BODY_LENGTH_DIGITS + 1;

impl<'a> Writer<'a> {
    /// A message of type `msg_type` into `buf`.
    pub fn new(buf: &'a mut [u8], msg_type: &[u8]) -> Self {
        let mut w = Self { buf, len: HEADER_ROOM, overflow: false };
        w.field(tag::MSG_TYPE, msg_type);
        w
    }

    /// Appends raw bytes.
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        match self.buf.get_mut(self.len..end) {
            Some(dst) if end + TRAILER <= MAX_MESSAGE => {
                dst.copy_from_slice(bytes);
                self.len = end;
            }
            _ => self.overflow = true,
        }
    }

    /// Appends `tag=value␁`.
    pub fn field(&mut self, tag: u32, value: &[u8]) -> &mut Self {
        self.uint_raw(u64::from(tag));
        self.put(b"=");
        self.put(value);
        self.put(&[SOH]);
        self
    }

    /// Appends `tag=<value in decimal>␁`.
    pub fn uint(&mut self, tag: u32, value: u64) -> &mut Self {
        self.uint_raw(u64::from(tag));
        self.put(b"=");
        self.uint_raw(value);
        self.put(&[SOH]);
        self
    }

    fn uint_raw(&mut self, value: u64) {
        let mut digits = [0u8; U64_DIGITS];
        self.put(shortest(value, &mut digits));
    }

    /// Writes the header and trailer; the message is `buf[range]`.
    pub fn finish(self) -> Result<Range<usize>, Overflow> {
        if self.overflow {
            return Err(Overflow);
        }
        enclose(self.buf, HEADER_ROOM..self.len)
    }
}

/// Writes `8=FIXT.1.1␁9=<length>␁` right before the body `buf[body]`
/// (which starts with MsgType) and the CheckSum right after it; the
/// message is `buf[range]`.
pub fn enclose(buf: &mut [u8], body: Range<usize>) -> Result<Range<usize>, Overflow> {
    let mut digits = [0u8; U64_DIGITS];
    let length = shortest(body.len() as u64, &mut digits);
    if length.len() > BODY_LENGTH_DIGITS {
        return Err(Overflow);
    }
    let start = body.start.checked_sub(HEAD.len() + length.len() + 1).ok_or(Overflow)?;
    let head = buf.get_mut(start..body.start).ok_or(Overflow)?;
    let (begin, rest) = head.split_at_mut(HEAD.len());
    begin.copy_from_slice(HEAD);
    let (len_digits, soh) = rest.split_at_mut(length.len());
    len_digits.copy_from_slice(length);
    soh.fill(SOH);
    let sum = checksum(buf.get(start..body.end).ok_or(Overflow)?);
    let trailer = buf.get_mut(body.end..body.end + TRAILER).ok_or(Overflow)?;
    trailer.copy_from_slice(&trailer_bytes(sum));
    Ok(start..body.end + TRAILER)
}

/// `10=ddd␁` for `sum`.
pub fn trailer_bytes(sum: u8) -> [u8; TRAILER] {
    [b'1', b'0', b'=', b'0' + sum / 100, b'0' + sum / 10 % 10, b'0' + sum % 10, SOH]
}

/// Length of a UTCTimestamp with milliseconds, `YYYYMMDD-HH:MM:SS.sss`.
pub const TIMESTAMP_LEN: usize = 21;

/// Unix nanoseconds as a UTCTimestamp with exactly three fractional digits
/// (what Coinbase's Logon signature requires of SendingTime). Years past
/// 9999 are written as 9999.
pub fn utc_timestamp(unix_ns: u64) -> [u8; TIMESTAMP_LEN] {
    let ms = unix_ns / 1_000_000;
    let secs = ms / 1000;
    let (y, m, d) = civil_from_days(secs / 86_400);
    let day_secs = secs % 86_400;
    let y = y.min(9999);
    let mut out = *b"00000000-00:00:00.000";
    let mut put = |at: usize, value: u64, width: usize| {
        let mut v = value;
        for i in (0..width).rev() {
            if let Some(b) = out.get_mut(at + i) {
                *b = b'0' + (v % 10) as u8;
            }
            v /= 10;
        }
    };
    put(0, y, 4);
    put(4, m, 2);
    put(6, d, 2);
    put(9, day_secs / 3600, 2);
    put(12, day_secs / 60 % 60, 2);
    put(15, day_secs % 60, 2);
    put(18, ms % 1000, 3);
    out
}

/// A UTCTimestamp (`YYYYMMDD-HH:MM:SS` with none, 3, 6 or 9 fractional
/// digits) as Unix milliseconds.
pub fn parse_utc_timestamp(text: &[u8]) -> Option<u64> {
    let num = |r: Range<usize>| parse_uint(text.get(r)?);
    let sep = |i: usize, c: u8| text.get(i) == Some(&c);
    if !(sep(8, b'-') && sep(11, b':') && sep(14, b':')) {
        return None;
    }
    let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, min, s) = (num(9..11)?, num(12..14)?, num(15..17)?);
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) || h > 23 || min > 59 || s > 60 {
        return None;
    }
    let ms = match text.len() {
        17 => 0,
        21 | 24 | 27 if sep(17, b'.') => num(18..21)?,
        _ => return None,
    };
    if text.len() > 21 && parse_uint(text.get(21..)?).is_none() {
        return None;
    }
    let days = days_from_civil(y, m, d);
    Some(((days * 86_400 + h * 3600 + min * 60 + s) * 1000) + ms)
}

/// Days since 1970-01-01 as (year, month, day) of the proleptic Gregorian
/// calendar (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// (year ≥ 1970, month, day) as days since 1970-01-01; the inverse of
/// [`civil_from_days`].
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).saturating_sub(719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message from the FIX 5.0 SP2 specification's style, written with
    /// `|` for SOH and its checksum computed here independently.
    fn wire(text: &str) -> heapless::Vec<u8, 512> {
        let mut v = heapless::Vec::new();
        for b in text.bytes() {
            v.push(if b == b'|' { SOH } else { b }).unwrap();
        }
        v
    }

    fn with_trailer(body_fields: &str) -> heapless::Vec<u8, 512> {
        let body = wire(body_fields);
        let mut v: heapless::Vec<u8, 512> = heapless::Vec::new();
        v.extend_from_slice(b"8=FIXT.1.1\x019=").unwrap();
        let mut d = [0u8; 20];
        v.extend_from_slice(crate::order::digits::shortest(body.len() as u64, &mut d)).unwrap();
        v.push(SOH).unwrap();
        v.extend_from_slice(&body).unwrap();
        let sum: u32 = v.iter().map(|&b| u32::from(b)).sum();
        v.extend_from_slice(&trailer_bytes((sum % 256) as u8)).unwrap();
        v
    }

    #[test]
    fn a_heartbeat_frames_and_its_fields_iterate() {
        let m = with_trailer("35=0|34=2|49=Coinbase|52=20260801-12:00:00.000|56=key|");
        assert_eq!(frame(&m), Ok(Framing::Complete(m.len())));
        let (msg, len) = Message::parse(&m).unwrap().unwrap();
        assert_eq!(len, m.len());
        assert_eq!(msg.msg_type(), b"0");
        assert_eq!(msg.seq(), Ok(2));
        assert_eq!(msg.get(tag::SENDER_COMP_ID), Some(&b"Coinbase"[..]));
        let tags: heapless::Vec<u32, 8> = msg.fields().map(|f| f.tag).collect();
        assert_eq!(tags.as_slice(), &[35, 34, 49, 52, 56]);
    }

    #[test]
    fn every_prefix_is_partial_and_the_whole_is_complete() {
        let m = with_trailer("35=1|34=7|112=TEST|");
        for n in 0..m.len() {
            assert_eq!(frame(&m[..n]), Ok(Framing::Partial), "prefix {n}");
        }
        assert_eq!(frame(&m), Ok(Framing::Complete(m.len())));
    }

    #[test]
    fn a_second_message_behind_the_first_is_left_alone() {
        let a = with_trailer("35=0|34=2|");
        let b = with_trailer("35=0|34=3|");
        let mut both: heapless::Vec<u8, 512> = heapless::Vec::new();
        both.extend_from_slice(&a).unwrap();
        both.extend_from_slice(&b[..5]).unwrap();
        assert_eq!(frame(&both), Ok(Framing::Complete(a.len())));
    }

    #[test]
    fn wrong_bytes_fail_as_soon_as_they_arrive() {
        assert_eq!(frame(b"8=FIX.4.4"), Err(FixError::BeginString));
        assert_eq!(frame(b"9=12"), Err(FixError::BeginString));
        assert_eq!(frame(b"8=FIXT.1.1\x019=1x"), Err(FixError::BodyLength));
        assert_eq!(frame(b"8=FIXT.1.1\x019=12345"), Err(FixError::BodyLength));
        assert_eq!(frame(b"8=FIXT.1.1\x019=0\x01"), Err(FixError::BodyLength));
        assert_eq!(frame(b"8=FIXT.1.1\x019=012\x01"), Err(FixError::BodyLength));
        assert_eq!(frame(b"8=FIXT.1.1\x019=9999\x01"), Err(FixError::TooLong(10_024)));
    }

    #[test]
    fn a_wrong_checksum_or_length_is_refused() {
        let mut m = with_trailer("35=0|34=2|");
        let n = m.len();
        m[n - 2] = if m[n - 2] == b'9' { b'0' } else { m[n - 2] + 1 };
        assert!(matches!(frame(&m), Err(FixError::CheckSum { .. })));
        // A body one byte longer than stated: the trailer is not where
        // BodyLength puts it.
        let long = wire("8=FIXT.1.1|9=9|35=0|34=22|10=000|");
        assert_eq!(frame(&long), Err(FixError::Trailer));
    }

    #[test]
    fn field_syntax_is_checked_by_parse() {
        for bad in ["35=0|34=|", "35=0|=5|", "35=0|x4=5|", "35=0|034=5|", "34=1|35=0|", "35=0|34"] {
            let m = with_trailer(bad);
            assert!(Message::parse(&m).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_writer_round_trips_through_the_parser() {
        let mut buf = [0u8; 256];
        let mut w = Writer::new(&mut buf, b"A");
        w.uint(tag::MSG_SEQ_NUM, 1).field(tag::SENDER_COMP_ID, b"key123").field(tag::TARGET_COMP_ID, b"Coinbase");
        let range = w.finish().unwrap();
        let m = &buf[range];
        assert!(m.starts_with(b"8=FIXT.1.1\x019="));
        let (msg, len) = Message::parse(m).unwrap().unwrap();
        assert_eq!(len, m.len());
        assert_eq!(msg.msg_type(), b"A");
        assert_eq!(msg.seq(), Ok(1));
        // Independently: the same fields through the test's own framer.
        assert_eq!(m, with_trailer("35=A|34=1|49=key123|56=Coinbase|").as_slice());
    }

    #[test]
    fn the_writer_reports_a_full_buffer() {
        let mut buf = [0u8; 24];
        let mut w = Writer::new(&mut buf, b"A");
        w.field(tag::TEXT, b"far too long for the buffer");
        assert_eq!(w.finish(), Err(Overflow));
    }

    #[test]
    fn timestamps_have_three_fraction_digits_and_parse_back() {
        // 2023-08-22 20:43:30 UTC.
        let ns = 1_692_737_010_000_000_000u64;
        assert_eq!(&utc_timestamp(ns), b"20230822-20:43:30.000");
        assert_eq!(&utc_timestamp(ns + 7_000_000), b"20230822-20:43:30.007");
        assert_eq!(&utc_timestamp(0), b"19700101-00:00:00.000");
        assert_eq!(&utc_timestamp(951_782_400_000_000_000), b"20000229-00:00:00.000");
        assert_eq!(parse_utc_timestamp(b"20230822-20:43:30.007"), Some(1_692_737_010_007));
        assert_eq!(parse_utc_timestamp(b"20230822-20:43:30"), Some(1_692_737_010_000));
        assert_eq!(parse_utc_timestamp(b"20230822-20:43:30.007123"), Some(1_692_737_010_007));
        for bad in [&b"20230822 20:43:30"[..], b"20231322-20:43:30", b"20230822-20:43:30.07", b"2023"] {
            assert_eq!(parse_utc_timestamp(bad), None);
        }
        for days in [0u64, 59, 60, 365, 10_957, 19_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
