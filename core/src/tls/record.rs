//! Record protection for one direction of a TLS 1.3 connection (RFC 8446
//! §5.2–5.5): a traffic key and IV turn plaintext into `TLSCiphertext`
//! records in place, and back. Each direction keeps its expanded AES key
//! and GHASH powers for the life of the key, so a record costs the cipher
//! alone (`docs/protocols/tls13.md`, §Record layer).
//!
//! The per-record nonce is the IV XOR the 64-bit sequence number (§5.3);
//! the sequence number never wraps: exhausting it is an error (§5.3 "MUST
//! either rekey or terminate"). The sealer counts every invocation of the
//! cipher under its key, dry runs included, and asks for a KeyUpdate long
//! before the AES-GCM limit of §5.5.
//!
//! Two uses of the write key are not records:
//! - **Pre-sealing** computes the keystream and tag mask of the *next*
//!   sequence number ahead of time, so that sealing is XOR plus GHASH. It is
//!   one GCM invocation split in time (NIST SP 800-38D §8: one invocation
//!   per nonce): whatever record takes that sequence number first consumes
//!   or discards the keystream, so two plaintexts are never sealed under
//!   one nonce.
//! - **Dry runs** seal into scratch memory under a nonce outside the TLS
//!   nonce space (the high bit of the IV's first byte flipped: TLS only
//!   varies the low eight bytes), never touching the sequence number.

use zeroize::Zeroize;

use super::Error;
use super::gcm::{Gcm, KEYSTREAM, Keystream};

/// Bytes of a record header (§5.1).
pub const HEADER: usize = 5;
/// Bytes of an AES-GCM tag.
pub const TAG: usize = 16;
/// Largest plaintext fragment per record (§5.1).
pub const MAX_FRAGMENT: usize = 1 << 14;
/// Largest `TLSCiphertext.length` a peer may send (§5.2).
pub const MAX_CIPHERTEXT: usize = MAX_FRAGMENT + 256;
/// Largest record hotline seals: header, fragment, content type, tag.
pub const MAX_RECORD_OUT: usize = HEADER + MAX_FRAGMENT + 1 + TAG;
/// Records sealed under one key before hotline sends a KeyUpdate: 2^23,
/// half of what rustls allows and a quarter of §5.5's 2^24.5.
pub const KEY_UPDATE_AT: u64 = 1 << 23;

/// The `legacy_record_version` every TLS 1.3 record carries (§5.1).
const LEGACY_VERSION: [u8; 2] = [3, 3];

/// TLS content types (§5.1, §B.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentType {
    /// 21.
    Alert,
    /// 22.
    Handshake,
    /// 23.
    ApplicationData,
}

impl ContentType {
    /// The wire value.
    pub const fn code(self) -> u8 {
        match self {
            Self::Alert => 21,
            Self::Handshake => 22,
            Self::ApplicationData => 23,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            21 => Some(Self::Alert),
            22 => Some(Self::Handshake),
            23 => Some(Self::ApplicationData),
            _ => None,
        }
    }
}

/// The TLS 1.3 cipher suites this record layer implements (§B.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// TLS_AES_128_GCM_SHA256.
    Aes128GcmSha256,
    /// TLS_AES_256_GCM_SHA384.
    Aes256GcmSha384,
}

impl Suite {
    /// The IANA name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Aes128GcmSha256 => "TLS_AES_128_GCM_SHA256",
            Self::Aes256GcmSha384 => "TLS_AES_256_GCM_SHA384",
        }
    }

    /// Bytes of the AES key.
    pub const fn key_len(self) -> usize {
        match self {
            Self::Aes128GcmSha256 => 16,
            Self::Aes256GcmSha384 => 32,
        }
    }
}

/// One direction's traffic key and IV (§7.3), as the handshake derived
/// them. Zeroed on drop; never printed.
#[derive(Clone)]
pub struct Keys {
    suite: Suite,
    key: [u8; 32],
    iv: [u8; 12],
}

impl Keys {
    /// Keys for `suite`; `None` when `key` is not the suite's key length.
    pub fn new(suite: Suite, key: &[u8], iv: [u8; 12]) -> Option<Self> {
        if key.len() != suite.key_len() {
            return None;
        }
        let mut k = [0u8; 32];
        k.get_mut(..key.len())?.copy_from_slice(key);
        Some(Self { suite, key: k, iv })
    }

    /// The suite the keys belong to.
    pub fn suite(&self) -> Suite {
        self.suite
    }

    fn cipher(&self) -> Option<Gcm> {
        Gcm::new(self.key.get(..self.suite.key_len())?)
    }
}

impl core::fmt::Debug for Keys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Keys").field("suite", &self.suite).finish_non_exhaustive()
    }
}

impl Drop for Keys {
    fn drop(&mut self) {
        self.key.zeroize();
        self.iv.zeroize();
    }
}

/// The per-record nonce (§5.3).
fn nonce(iv: &[u8; 12], seq: u64) -> [u8; 12] {
    let mut n = *iv;
    for (b, s) in n.iter_mut().skip(4).zip(seq.to_be_bytes()) {
        *b ^= s;
    }
    n
}

/// The record header, which is also the AAD (§5.2).
fn header(ty: ContentType, len: usize) -> [u8; HEADER] {
    let [hi, lo] = (len as u16).to_be_bytes();
    [ty.code(), LEGACY_VERSION[0], LEGACY_VERSION[1], hi, lo]
}

/// The write direction: seals records in place.
#[derive(Debug)]
pub struct Sealer {
    cipher: Gcm,
    iv: [u8; 12],
    suite: Suite,
    seq: u64,
    /// Cipher invocations under this key whose output may be seen: records
    /// and prepared keystreams, not dry runs (§5.5).
    used: u64,
    /// The keystream of sequence number `prepared_for`, if prepared.
    stream: Keystream,
    prepared_for: Option<u64>,
    dry_runs: u64,
    /// A dry run's keystream, beside the real one it must not touch.
    dry_stream: Keystream,
}

impl Sealer {
    /// The write side under `keys`, whose next record is `seq`.
    pub fn new(keys: &Keys, seq: u64) -> Result<Self, Error> {
        let cipher = keys.cipher().ok_or(Error::UnsupportedCipherSuite)?;
        Ok(Self {
            cipher,
            iv: keys.iv,
            suite: keys.suite,
            seq,
            used: 0,
            stream: Keystream::new(),
            prepared_for: None,
            dry_runs: 0,
            dry_stream: Keystream::new(),
        })
    }

    /// The suite in use.
    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// The sequence number of the next record.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Whether this key has sealed enough that the next record should be
    /// preceded by a KeyUpdate.
    pub fn due_for_update(&self) -> bool {
        self.used >= KEY_UPDATE_AT
    }

    /// Seals `record[HEADER..HEADER + len]` in place as one record of
    /// `ty`: writes the header, the inner content type and the tag after
    /// the text (`record` has room for `len + 1 + TAG` past the header).
    /// Returns the record's length on the wire.
    pub fn seal(&mut self, ty: ContentType, record: &mut [u8], len: usize) -> Result<usize, Error> {
        if len > MAX_FRAGMENT {
            return Err(Error::RecordOverflow(len));
        }
        let inner = len + 1;
        let total = HEADER + inner + TAG;
        let next = self.seq.checked_add(1).ok_or(Error::SequenceExhausted)?;
        let record = record.get_mut(..total).ok_or(Error::ShuttingDown)?;
        let (head, body) = record.split_at_mut(HEADER);
        let aad = header(ContentType::ApplicationData, inner + TAG);
        head.copy_from_slice(&aad);
        let (text, tag) = body.split_at_mut(inner);
        if let Some(t) = text.last_mut() {
            *t = ty.code();
        }
        let prepared = self.prepared_for.take() == Some(self.seq);
        let sealed = if prepared { self.cipher.seal_prepared(&mut self.stream, &aad, text) } else { None };
        self.stream.clear();
        let t = match sealed {
            Some(t) => t,
            None => {
                self.used += 1;
                self.cipher.seal(&nonce(&self.iv, self.seq), &aad, text).ok_or(Error::RecordOverflow(len))?
            }
        };
        tag.copy_from_slice(&t);
        self.seq = next;
        Ok(total)
    }

    /// Computes the keystream of the next record for up to `len` bytes of
    /// plaintext, so that sealing it needs no AES (see the module docs).
    /// A no-op when it is already prepared.
    pub fn prepare(&mut self, len: usize) {
        if self.prepared_for == Some(self.seq) {
            return;
        }
        self.used += 1;
        // One byte more: the inner content type.
        self.cipher.prepare(&nonce(&self.iv, self.seq), (len + 1).min(KEYSTREAM), &mut self.stream);
        self.prepared_for = Some(self.seq);
    }

    /// Marks the key as used up to its limit.
    #[cfg(test)]
    pub(super) fn wear_out(&mut self) {
        self.used = KEY_UPDATE_AT;
    }

    /// Whether the next record's keystream is prepared.
    pub fn is_prepared(&self) -> bool {
        self.prepared_for == Some(self.seq)
    }

    /// Seals `scratch[HEADER..HEADER + len]` as [`seal`](Self::seal) would,
    /// under a nonce no record ever uses, leaving the sequence number and
    /// any prepared keystream alone. When the next record is prepared, the
    /// dry run takes the pre-sealed path too (its own keystream, then the
    /// XOR and GHASH), so that is the code it keeps warm. What it writes
    /// must never be sent, and so it is not counted toward the key's usage
    /// limit, which bounds the ciphertext an attacker sees under one key
    /// (`docs/protocols/tls13.md` §Dry-run seals).
    pub fn dry_run(&mut self, scratch: &mut [u8], len: usize) -> Result<usize, Error> {
        let inner = len.min(MAX_FRAGMENT) + 1;
        let total = HEADER + inner + TAG;
        let scratch = scratch.get_mut(..total).ok_or(Error::ShuttingDown)?;
        let (head, body) = scratch.split_at_mut(HEADER);
        let aad = header(ContentType::ApplicationData, inner + TAG);
        head.copy_from_slice(&aad);
        let (text, tag) = body.split_at_mut(inner);
        let mut n = nonce(&self.iv, self.dry_runs);
        n[0] ^= 0x80;
        self.dry_runs = self.dry_runs.wrapping_add(1);
        let sealed = if self.is_prepared() {
            self.cipher.prepare(&n, inner, &mut self.dry_stream);
            let t = self.cipher.seal_prepared(&mut self.dry_stream, &aad, text);
            self.dry_stream.clear();
            t
        } else {
            None
        };
        let t = match sealed {
            Some(t) => t,
            None => self.cipher.seal(&n, &aad, text).ok_or(Error::RecordOverflow(len))?,
        };
        tag.copy_from_slice(&t);
        Ok(total)
    }
}

impl Drop for Sealer {
    fn drop(&mut self) {
        self.iv.zeroize();
        self.stream.clear();
    }
}

/// One opened record: where its content lies in the buffer it was opened
/// in, and its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    /// The inner content type.
    pub ty: ContentType,
    /// Start of the content (always [`HEADER`]).
    pub start: usize,
    /// End of the content (padding and type stripped).
    pub end: usize,
    /// Bytes of the whole record on the wire.
    pub len: usize,
}

/// What the front of a receive buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Not yet a whole record.
    Partial,
    /// A whole protected record of this many bytes.
    Record(usize),
    /// A whole unprotected alert record (two bytes of body): a peer
    /// reporting a failure it hit before it could protect the alert.
    PlainAlert(u8),
}

/// Checks the header at the front of `buf` (§5.1–5.2) before any byte of
/// the body is trusted: only protected records may follow the handshake.
pub fn frame(buf: &[u8]) -> Result<Framing, Error> {
    let Some(head) = buf.get(..HEADER) else {
        return match buf.first() {
            Some(&t) if ContentType::from_code(t).is_none() && t != 20 => Err(Error::UnknownRecordType(t)),
            _ => Ok(Framing::Partial),
        };
    };
    let len = usize::from(u16::from_be_bytes([head[3], head[4]]));
    match head[0] {
        23 => {}
        21 if len == 2 => {
            return Ok(match buf.get(HEADER + 1) {
                Some(&desc) => Framing::PlainAlert(desc),
                None => Framing::Partial,
            });
        }
        20..=22 => return Err(Error::UnexpectedMessage("unprotected record after the handshake")),
        t => return Err(Error::UnknownRecordType(t)),
    }
    if len > MAX_CIPHERTEXT {
        return Err(Error::RecordOverflow(len));
    }
    if len < 1 + TAG {
        return Err(Error::RecordTooShort(len));
    }
    Ok(if buf.len() >= HEADER + len { Framing::Record(HEADER + len) } else { Framing::Partial })
}

/// The read direction: opens records in place.
#[derive(Debug)]
pub struct Opener {
    cipher: Gcm,
    iv: [u8; 12],
    seq: u64,
}

impl Opener {
    /// The read side under `keys`, whose next record is `seq`.
    pub fn new(keys: &Keys, seq: u64) -> Result<Self, Error> {
        let cipher = keys.cipher().ok_or(Error::UnsupportedCipherSuite)?;
        Ok(Self { cipher, iv: keys.iv, seq })
    }

    /// The sequence number of the next record.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Opens the whole record `record` (as [`frame`] measured it) in place:
    /// the tag is checked before any byte is decrypted, then padding is
    /// stripped (§5.4) and the inner type read. The sequence number moves
    /// only on success; any failure is fatal.
    pub fn open(&mut self, record: &mut [u8]) -> Result<Opened, Error> {
        let len = record.len();
        let next = self.seq.checked_add(1).ok_or(Error::SequenceExhausted)?;
        if len < HEADER + 1 + TAG {
            return Err(Error::RecordTooShort(len));
        }
        let (head, body) = record.split_at_mut(HEADER);
        let (text, tag) = body.split_at_mut(body.len() - TAG);
        let tag: &[u8; TAG] = (&*tag).try_into().map_err(|_| Error::RecordTooShort(len))?;
        self.cipher.open(&nonce(&self.iv, self.seq), head, text, tag).map_err(|_| Error::BadRecordMac)?;
        self.seq = next;
        let Some(at) = text.iter().rposition(|&b| b != 0) else {
            return Err(Error::UnexpectedMessage("record of padding only"));
        };
        let ty = ContentType::from_code(text[at]).ok_or(Error::UnexpectedMessage("unknown inner content type"))?;
        if at == 0 && ty != ContentType::ApplicationData {
            return Err(Error::UnexpectedMessage("empty handshake or alert record"));
        }
        Ok(Opened { ty, start: HEADER, end: HEADER + at, len })
    }
}

impl Drop for Opener {
    fn drop(&mut self) {
        self.iv.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(suite: Suite, fill: u8) -> Keys {
        Keys::new(suite, &[fill; 32][..suite.key_len()], [fill ^ 0x5a; 12]).unwrap()
    }

    #[test]
    fn sealed_records_open_with_the_same_keys_in_order_only() {
        for suite in [Suite::Aes128GcmSha256, Suite::Aes256GcmSha384] {
            let mut tx = Sealer::new(&keys(suite, 7), 3).unwrap();
            let mut rx = Opener::new(&keys(suite, 7), 3).unwrap();
            let mut a = [0u8; 64];
            a[HEADER..HEADER + 5].copy_from_slice(b"hello");
            let n = tx.seal(ContentType::ApplicationData, &mut a, 5).unwrap();
            assert_eq!(n, HEADER + 5 + 1 + TAG);
            assert_eq!(&a[..3], &[23, 3, 3]);
            let mut b = [0u8; 64];
            let m = tx.seal(ContentType::Alert, &mut b, 0).unwrap();
            // Out of order: the second record fails at the first seq.
            let mut copy = b;
            assert_eq!(rx.open(&mut copy[..m]), Err(Error::BadRecordMac));
            let o = rx.open(&mut a[..n]).unwrap();
            assert_eq!((o.ty, &a[o.start..o.end]), (ContentType::ApplicationData, &b"hello"[..]));
            assert_eq!(rx.open(&mut b[..m]), Err(Error::UnexpectedMessage("empty handshake or alert record")));
        }
    }

    #[test]
    fn a_prepared_keystream_seals_the_same_bytes_and_is_used_once() {
        let mut plain = Sealer::new(&keys(Suite::Aes128GcmSha256, 1), 0).unwrap();
        let mut fast = Sealer::new(&keys(Suite::Aes128GcmSha256, 1), 0).unwrap();
        let text = [0x42u8; 400];
        let mut a = [0u8; 512];
        let mut b = [0u8; 512];
        a[HEADER..HEADER + 400].copy_from_slice(&text);
        b[HEADER..HEADER + 400].copy_from_slice(&text);
        fast.prepare(400);
        assert!(fast.is_prepared());
        let n = plain.seal(ContentType::ApplicationData, &mut a, 400).unwrap();
        assert_eq!(fast.seal(ContentType::ApplicationData, &mut b, 400).unwrap(), n);
        assert_eq!(a[..n], b[..n]);
        // The next record is not prepared: the stream belonged to seq 0.
        assert!(!fast.is_prepared());
        // Prepared for 10 bytes, then a longer record takes the seq: it
        // is sealed the slow way and the stream is discarded.
        fast.prepare(10);
        plain.prepare(10);
        let n = plain.seal(ContentType::ApplicationData, &mut a, 400).unwrap();
        assert_eq!(fast.seal(ContentType::ApplicationData, &mut b, 400).unwrap(), n);
        assert_eq!(a[..n], b[..n]);
        assert!(!fast.is_prepared());
    }

    #[test]
    fn dry_runs_move_no_sequence_number_and_use_their_own_nonces() {
        let mut tx = Sealer::new(&keys(Suite::Aes256GcmSha384, 9), 0).unwrap();
        let mut rx = Opener::new(&keys(Suite::Aes256GcmSha384, 9), 0).unwrap();
        let mut scratch = [0u8; 128];
        let d = tx.dry_run(&mut scratch, 20).unwrap();
        assert_eq!(tx.seq(), 0);
        // A dry run is not a record the peer could open.
        assert_eq!(rx.open(&mut scratch[..d]), Err(Error::BadRecordMac));
        let mut rec = [0u8; 128];
        let n = tx.seal(ContentType::ApplicationData, &mut rec, 20).unwrap();
        assert!(rx.open(&mut rec[..n]).is_ok());
        // The record counts toward the usage limit; the dry run, never
        // seen outside, does not.
        assert_eq!(tx.used, 1);
    }

    #[test]
    fn headers_are_checked_before_the_body() {
        assert_eq!(frame(&[23, 3]), Ok(Framing::Partial));
        assert_eq!(frame(&[99]), Err(Error::UnknownRecordType(99)));
        assert_eq!(frame(&[23, 3, 3, 0x41, 0x01]), Err(Error::RecordOverflow(0x4101)));
        assert_eq!(frame(&[23, 3, 3, 0, 16]), Err(Error::RecordTooShort(16)));
        assert_eq!(frame(&[23, 3, 3, 0, 17]), Ok(Framing::Partial));
        assert_eq!(frame(&[21, 3, 3, 0, 2, 2, 40]), Ok(Framing::PlainAlert(40)));
        assert!(matches!(frame(&[22, 3, 3, 0, 4]), Err(Error::UnexpectedMessage(_))));
        let rec = [23u8, 3, 3, 0, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        assert_eq!(frame(&rec), Ok(Framing::Record(22)));
    }

    #[test]
    fn sequence_numbers_never_wrap() {
        let mut tx = Sealer::new(&keys(Suite::Aes128GcmSha256, 2), u64::MAX).unwrap();
        let mut rec = [0u8; 64];
        assert_eq!(tx.seal(ContentType::ApplicationData, &mut rec, 1), Err(Error::SequenceExhausted));
        let mut rx = Opener::new(&keys(Suite::Aes128GcmSha256, 2), u64::MAX).unwrap();
        assert_eq!(rx.open(&mut rec[..23]), Err(Error::SequenceExhausted));
    }

    #[test]
    fn keys_print_no_secret() {
        let k = keys(Suite::Aes128GcmSha256, 0xab);
        let mut s = heapless::String::<128>::new();
        core::fmt::write(&mut s, format_args!("{k:?}")).unwrap();
        assert!(!s.contains("171") && !s.contains("ab"), "{s}");
    }
}
