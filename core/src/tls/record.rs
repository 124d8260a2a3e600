//! Record protection for one direction of a TLS 1.3 connection (RFC 8446
//! §5.2–5.5), or of a TLS 1.2 connection with an AES-GCM suite (RFC 5246
//! §6.2.3.3, RFC 5288 §3): a traffic key and IV turn plaintext into
//! `TLSCiphertext` records in place, and back. Each direction keeps its
//! expanded AES key and GHASH powers for the life of the key, so a record
//! costs the cipher alone (`docs/protocols/tls13.md` §Record layer,
//! `docs/protocols/tls12.md` §Records).
//!
//! The per-record nonce is the IV XOR the 64-bit sequence number (§5.3);
//! in TLS 1.2 the IV is the 4-byte salt followed by eight zero bytes, so
//! the nonce is the salt and the sequence number, whose eight bytes go on
//! the wire as the record's explicit nonce (RFC 5288 §3 allows it), and a
//! record opens under the salt and whatever explicit nonce it carries. The
//! sequence number never wraps: exhausting it is an error (§5.3 "MUST
//! either rekey or terminate"). The sealer counts every invocation of the
//! cipher under its key whose output may be seen, and asks for a KeyUpdate
//! (TLS 1.2: the end of the connection) long before the AES-GCM limit of
//! §5.5.
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
//!   varies the low eight bytes, in both versions), never touching the
//!   sequence number.

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
/// Bytes of a TLS 1.2 GCM record's explicit nonce (RFC 5288 §3).
pub const EXPLICIT_NONCE: usize = 8;
/// Largest `TLSCiphertext.length` of a TLS 1.2 GCM record: a full
/// fragment, the explicit nonce and the tag (RFC 5246 §6.2.3 allows
/// 2^14 + 2048, but anything longer than this opens to more than 2^14
/// bytes, which §6.2.3.3 forbids).
pub const MAX_CIPHERTEXT_12: usize = EXPLICIT_NONCE + MAX_FRAGMENT + TAG;
/// Largest record hotline seals, in either version: header, fragment and
/// what protection adds (TLS 1.3: content type and tag; TLS 1.2: explicit
/// nonce and tag, the longer).
pub const MAX_RECORD_OUT: usize = HEADER + MAX_CIPHERTEXT_12;
/// Records sealed under one key before hotline sends a KeyUpdate: 2^23,
/// half of what rustls allows and a quarter of §5.5's 2^24.5.
pub const KEY_UPDATE_AT: u64 = 1 << 23;

/// The `legacy_record_version` every TLS 1.3 record carries (§5.1), and
/// the version of every TLS 1.2 record (RFC 5246 §6.2.1).
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

/// The protocol version whose records a key protects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// TLS 1.2 (RFC 5246) with an ECDHE AES-GCM suite (RFC 5288, RFC 5289).
    Tls12,
    /// TLS 1.3 (RFC 8446).
    Tls13,
}

impl Version {
    /// The name OpenSSL and the probe report use.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Tls12 => "TLSv1.2",
            Self::Tls13 => "TLSv1.3",
        }
    }

    /// Where a record's text starts: after the header, and in TLS 1.2 the
    /// explicit nonce.
    pub const fn text_at(self) -> usize {
        match self {
            Self::Tls12 => HEADER + EXPLICIT_NONCE,
            Self::Tls13 => HEADER,
        }
    }

    /// What a sealed record carries after its text: the tag, and in TLS 1.3
    /// the inner content type before it.
    pub const fn trailer(self) -> usize {
        match self {
            Self::Tls12 => TAG,
            Self::Tls13 => 1 + TAG,
        }
    }
}

/// The AEAD and hash of the suite: the whole suite in TLS 1.3 (§B.4); in
/// TLS 1.2 the record-protection half of an ECDHE AES-GCM suite, whose
/// RSA or ECDSA authentication was the host's business (RFC 5289 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// TLS_AES_128_GCM_SHA256; in TLS 1.2, TLS_ECDHE_*_WITH_AES_128_GCM_SHA256.
    Aes128GcmSha256,
    /// TLS_AES_256_GCM_SHA384; in TLS 1.2, TLS_ECDHE_*_WITH_AES_256_GCM_SHA384.
    Aes256GcmSha384,
}

impl Suite {
    /// The IANA name of the TLS 1.3 suite (a TLS 1.2 suite's name also
    /// says how the server authenticated: the host reports it).
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
    version: Version,
    suite: Suite,
    key: [u8; 32],
    iv: [u8; 12],
}

impl Keys {
    /// TLS 1.3 keys for `suite`; `None` when `key` is not the suite's key
    /// length.
    pub fn new(suite: Suite, key: &[u8], iv: [u8; 12]) -> Option<Self> {
        Self::with(Version::Tls13, suite, key, iv)
    }

    /// TLS 1.2 keys for `suite`: the write key and the 4-byte implicit
    /// salt (`client_write_IV` or `server_write_IV`, RFC 5288 §3) of one
    /// direction; `None` when `key` is not the suite's key length. The
    /// other eight bytes of the nonce are each record's explicit nonce:
    /// the sequence number when sealing, the record's own when opening.
    pub fn tls12(suite: Suite, key: &[u8], salt: [u8; 4]) -> Option<Self> {
        let mut iv = [0u8; 12];
        iv[..4].copy_from_slice(&salt);
        Self::with(Version::Tls12, suite, key, iv)
    }

    fn with(version: Version, suite: Suite, key: &[u8], iv: [u8; 12]) -> Option<Self> {
        if key.len() != suite.key_len() {
            return None;
        }
        let mut k = [0u8; 32];
        k.get_mut(..key.len())?.copy_from_slice(key);
        Some(Self { version, suite, key: k, iv })
    }

    /// The suite the keys belong to.
    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// The version whose records the keys protect.
    pub fn version(&self) -> Version {
        self.version
    }

    fn cipher(&self) -> Option<Gcm> {
        Gcm::new(self.key.get(..self.suite.key_len())?)
    }
}

impl core::fmt::Debug for Keys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Keys").field("version", &self.version).field("suite", &self.suite).finish_non_exhaustive()
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

/// Bytes of TLS 1.2's additional data.
const AAD_12: usize = 13;

/// TLS 1.2's additional data (RFC 5246 §6.2.3.3): the sequence number,
/// then a header whose length is the plaintext's.
fn aad12(seq: u64, ty: u8, version: [u8; 2], len: usize) -> [u8; AAD_12] {
    let [s0, s1, s2, s3, s4, s5, s6, s7] = seq.to_be_bytes();
    let [hi, lo] = (len as u16).to_be_bytes();
    [s0, s1, s2, s3, s4, s5, s6, s7, ty, version[0], version[1], hi, lo]
}

/// The write direction: seals records in place.
#[derive(Debug)]
pub struct Sealer {
    cipher: Gcm,
    iv: [u8; 12],
    version: Version,
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
            version: keys.version,
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

    /// The version whose records this seals.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The sequence number of the next record.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Whether this key has sealed enough that the next record should be
    /// preceded by a KeyUpdate (TLS 1.2, which has none: that the
    /// connection should end).
    pub fn due_for_update(&self) -> bool {
        self.used >= KEY_UPDATE_AT
    }

    /// Seals `record[t..t + len]` in place as one record of `ty`, where `t`
    /// is [`Version::text_at`]: writes the header (TLS 1.2: and the
    /// explicit nonce) before the text and [`Version::trailer`] after it
    /// (`record` has room for both). Returns the record's length on the
    /// wire.
    pub fn seal(&mut self, ty: ContentType, record: &mut [u8], len: usize) -> Result<usize, Error> {
        if len > MAX_FRAGMENT {
            return Err(Error::RecordOverflow(len));
        }
        let next = self.seq.checked_add(1).ok_or(Error::SequenceExhausted)?;
        let total = match self.version {
            Version::Tls13 => {
                let inner = len + 1;
                let total = HEADER + inner + TAG;
                let record = record.get_mut(..total).ok_or(Error::ShuttingDown)?;
                let (head, body) = record.split_at_mut(HEADER);
                let aad = header(ContentType::ApplicationData, inner + TAG);
                head.copy_from_slice(&aad);
                let (text, tag) = body.split_at_mut(inner);
                if let Some(t) = text.last_mut() {
                    *t = ty.code();
                }
                tag.copy_from_slice(&self.protect(&aad, text, len)?);
                total
            }
            Version::Tls12 => {
                let total = HEADER + EXPLICIT_NONCE + len + TAG;
                let record = record.get_mut(..total).ok_or(Error::ShuttingDown)?;
                let (head, body) = record.split_at_mut(HEADER);
                head.copy_from_slice(&header(ty, EXPLICIT_NONCE + len + TAG));
                let (explicit, body) = body.split_at_mut(EXPLICIT_NONCE);
                explicit.copy_from_slice(nonce(&self.iv, self.seq).get(4..).unwrap_or_default());
                let (text, tag) = body.split_at_mut(len);
                let aad = aad12(self.seq, ty.code(), LEGACY_VERSION, len);
                tag.copy_from_slice(&self.protect(&aad, text, len)?);
                total
            }
        };
        self.seq = next;
        Ok(total)
    }

    /// Encrypts `text` as record `seq` and returns its tag: with the
    /// prepared keystream when it belongs to `seq` and covers the text, in
    /// full otherwise; either way the keystream is spent (one invocation per
    /// nonce, NIST SP 800-38D §8).
    #[inline(always)]
    fn protect(&mut self, aad: &[u8], text: &mut [u8], len: usize) -> Result<[u8; TAG], Error> {
        let prepared = self.prepared_for.take() == Some(self.seq);
        let sealed = if prepared { self.cipher.seal_prepared(&mut self.stream, aad, text) } else { None };
        self.stream.clear();
        match sealed {
            Some(t) => Ok(t),
            None => {
                self.used += 1;
                self.cipher.seal(&nonce(&self.iv, self.seq), aad, text).ok_or(Error::RecordOverflow(len))
            }
        }
    }

    /// Computes the keystream of the next record for up to `len` bytes of
    /// plaintext, so that sealing it needs no AES (see the module docs).
    /// A no-op when it is already prepared.
    pub fn prepare(&mut self, len: usize) {
        if self.prepared_for == Some(self.seq) {
            return;
        }
        self.used += 1;
        // TLS 1.3: one byte more, the inner content type.
        let text = len + self.version.trailer() - TAG;
        self.cipher.prepare(&nonce(&self.iv, self.seq), text.min(KEYSTREAM), &mut self.stream);
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

    /// Seals `len` bytes of `scratch` where [`seal`](Self::seal) would find
    /// them, as it would, under a nonce no record ever uses, leaving the
    /// sequence number and any prepared keystream alone. When the next
    /// record is prepared, the dry run takes the pre-sealed path too (its
    /// own keystream, then the XOR and GHASH), so that is the code it keeps
    /// warm. What it writes must never be sent, and so it is not counted
    /// toward the key's usage limit, which bounds the ciphertext an
    /// attacker sees under one key (`docs/protocols/tls13.md` §Dry-run
    /// seals).
    pub fn dry_run(&mut self, scratch: &mut [u8], len: usize) -> Result<usize, Error> {
        let len = len.min(MAX_FRAGMENT);
        let mut n = nonce(&self.iv, self.dry_runs);
        n[0] ^= 0x80;
        self.dry_runs = self.dry_runs.wrapping_add(1);
        let at = self.version.text_at();
        let text_len = len + self.version.trailer() - TAG;
        let total = at + text_len + TAG;
        let scratch = scratch.get_mut(..total).ok_or(Error::ShuttingDown)?;
        let head = header(ContentType::ApplicationData, total - HEADER);
        let additional;
        let aad: &[u8] = match self.version {
            Version::Tls13 => &head,
            Version::Tls12 => {
                additional = aad12(self.seq, ContentType::ApplicationData.code(), LEGACY_VERSION, len);
                &additional
            }
        };
        let (front, body) = scratch.split_at_mut(at);
        let (h, explicit) = front.split_at_mut(HEADER);
        h.copy_from_slice(&head);
        explicit.copy_from_slice(n.get(4..4 + explicit.len()).unwrap_or_default());
        let (text, tag) = body.split_at_mut(text_len);
        let sealed = if self.is_prepared() {
            self.cipher.prepare(&n, text.len(), &mut self.dry_stream);
            let t = self.cipher.seal_prepared(&mut self.dry_stream, aad, text);
            self.dry_stream.clear();
            t
        } else {
            None
        };
        let t = match sealed {
            Some(t) => t,
            None => self.cipher.seal(&n, aad, text).ok_or(Error::RecordOverflow(len))?,
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
    /// Start of the content ([`Version::text_at`]).
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

/// Checks the header at the front of `buf` (§5.1–5.2; TLS 1.2: RFC 5246
/// §6.2.1, §6.2.3) before any byte of the body is trusted: only protected
/// records may follow the handshake, of the types `version` protects.
pub fn frame(buf: &[u8], version: Version) -> Result<Framing, Error> {
    let Some(head) = buf.get(..HEADER) else {
        return match buf.first() {
            Some(&t) if ContentType::from_code(t).is_none() && t != 20 => Err(Error::UnknownRecordType(t)),
            _ => Ok(Framing::Partial),
        };
    };
    let len = usize::from(u16::from_be_bytes([head[3], head[4]]));
    let (shortest, longest) = match (version, head[0]) {
        // No protected record is this short in either version.
        (_, 21) if len == 2 => {
            return Ok(match buf.get(HEADER + 1) {
                Some(&desc) => Framing::PlainAlert(desc),
                None => Framing::Partial,
            });
        }
        (Version::Tls13, 23) => (1 + TAG, MAX_CIPHERTEXT),
        (Version::Tls13, 20..=22) => return Err(Error::UnexpectedMessage("unprotected record after the handshake")),
        (Version::Tls12, 21..=23) => (EXPLICIT_NONCE + TAG, MAX_CIPHERTEXT_12),
        (Version::Tls12, 20) => return Err(Error::UnexpectedMessage("ChangeCipherSpec after the handshake")),
        (_, t) => return Err(Error::UnknownRecordType(t)),
    };
    if len > longest {
        return Err(Error::RecordOverflow(len));
    }
    if len < shortest {
        return Err(Error::RecordTooShort(len));
    }
    Ok(if buf.len() >= HEADER + len { Framing::Record(HEADER + len) } else { Framing::Partial })
}

/// The read direction: opens records in place.
#[derive(Debug)]
pub struct Opener {
    cipher: Gcm,
    iv: [u8; 12],
    version: Version,
    seq: u64,
}

impl Opener {
    /// The read side under `keys`, whose next record is `seq`.
    pub fn new(keys: &Keys, seq: u64) -> Result<Self, Error> {
        let cipher = keys.cipher().ok_or(Error::UnsupportedCipherSuite)?;
        Ok(Self { cipher, iv: keys.iv, version: keys.version, seq })
    }

    /// The sequence number of the next record.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Opens the whole record `record` (as [`frame`] measured it) in place:
    /// the tag is checked before any byte is decrypted, then (TLS 1.3)
    /// padding is stripped (§5.4) and the inner type read. The sequence
    /// number moves only on success; any failure is fatal.
    pub fn open(&mut self, record: &mut [u8]) -> Result<Opened, Error> {
        match self.version {
            Version::Tls13 => self.open13(record),
            Version::Tls12 => self.open12(record),
        }
    }

    fn open13(&mut self, record: &mut [u8]) -> Result<Opened, Error> {
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

    /// RFC 5246 §6.2.3.3 and RFC 5288 §3: the nonce is the salt and the
    /// record's explicit nonce, whatever the server chose; the additional
    /// data is the sequence number, the header's type and version, and the
    /// plaintext's length.
    fn open12(&mut self, record: &mut [u8]) -> Result<Opened, Error> {
        let len = record.len();
        let next = self.seq.checked_add(1).ok_or(Error::SequenceExhausted)?;
        if len < HEADER + EXPLICIT_NONCE + TAG {
            return Err(Error::RecordTooShort(len));
        }
        if len > HEADER + MAX_CIPHERTEXT_12 {
            return Err(Error::RecordOverflow(len - HEADER));
        }
        let (head, body) = record.split_at_mut(HEADER);
        let (explicit, body) = body.split_at_mut(EXPLICIT_NONCE);
        let (text, tag) = body.split_at_mut(body.len() - TAG);
        let tag: &[u8; TAG] = (&*tag).try_into().map_err(|_| Error::RecordTooShort(len))?;
        let ty = ContentType::from_code(head[0]).ok_or(Error::UnknownRecordType(head[0]))?;
        let mut n = self.iv;
        if let Some(low) = n.get_mut(4..) {
            low.copy_from_slice(explicit);
        }
        let aad = aad12(self.seq, head[0], [head[1], head[2]], text.len());
        self.cipher.open(&n, &aad, text, tag).map_err(|_| Error::BadRecordMac)?;
        self.seq = next;
        if text.is_empty() && ty != ContentType::ApplicationData {
            // RFC 5246 §6.2.1: no empty handshake or alert fragments.
            return Err(Error::UnexpectedMessage("empty handshake or alert record"));
        }
        Ok(Opened { ty, start: HEADER + EXPLICIT_NONCE, end: len - TAG, len })
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
        assert_eq!(frame(&[23, 3], Version::Tls13), Ok(Framing::Partial));
        assert_eq!(frame(&[99], Version::Tls13), Err(Error::UnknownRecordType(99)));
        assert_eq!(frame(&[23, 3, 3, 0x41, 0x01], Version::Tls13), Err(Error::RecordOverflow(0x4101)));
        assert_eq!(frame(&[23, 3, 3, 0, 16], Version::Tls13), Err(Error::RecordTooShort(16)));
        assert_eq!(frame(&[23, 3, 3, 0, 17], Version::Tls13), Ok(Framing::Partial));
        assert_eq!(frame(&[21, 3, 3, 0, 2, 2, 40], Version::Tls13), Ok(Framing::PlainAlert(40)));
        assert!(matches!(frame(&[22, 3, 3, 0, 4], Version::Tls13), Err(Error::UnexpectedMessage(_))));
        let rec = [23u8, 3, 3, 0, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        assert_eq!(frame(&rec, Version::Tls13), Ok(Framing::Record(22)));
    }

    #[test]
    fn sequence_numbers_never_wrap() {
        let mut tx = Sealer::new(&keys(Suite::Aes128GcmSha256, 2), u64::MAX).unwrap();
        let mut rec = [0u8; 64];
        assert_eq!(tx.seal(ContentType::ApplicationData, &mut rec, 1), Err(Error::SequenceExhausted));
        let mut rx = Opener::new(&keys(Suite::Aes128GcmSha256, 2), u64::MAX).unwrap();
        assert_eq!(rx.open(&mut rec[..23]), Err(Error::SequenceExhausted));
    }

    fn keys12(suite: Suite, fill: u8) -> Keys {
        Keys::tls12(suite, &[fill; 32][..suite.key_len()], [fill ^ 0x5a; 4]).unwrap()
    }

    #[test]
    fn tls12_records_carry_the_sequence_number_as_explicit_nonce_and_open_in_order_only() {
        for suite in [Suite::Aes128GcmSha256, Suite::Aes256GcmSha384] {
            let mut tx = Sealer::new(&keys12(suite, 7), 1).unwrap();
            let mut rx = Opener::new(&keys12(suite, 7), 1).unwrap();
            let mut a = [0u8; 64];
            a[13..18].copy_from_slice(b"hello");
            let n = tx.seal(ContentType::ApplicationData, &mut a, 5).unwrap();
            assert_eq!(n, HEADER + EXPLICIT_NONCE + 5 + TAG);
            assert_eq!(&a[..HEADER], &[23, 3, 3, 0, 29]);
            assert_eq!(&a[HEADER..13], &1u64.to_be_bytes());
            let mut b = [0u8; 64];
            b[13..15].copy_from_slice(&[1, 0]);
            let m = tx.seal(ContentType::Alert, &mut b, 2).unwrap();
            assert_eq!((b[0], &b[HEADER..13]), (21, &2u64.to_be_bytes()[..]));
            // Out of order: the sequence number is in the additional data.
            let mut copy = b;
            assert_eq!(rx.open(&mut copy[..m]), Err(Error::BadRecordMac));
            let o = rx.open(&mut a[..n]).unwrap();
            assert_eq!((o.ty, &a[o.start..o.end]), (ContentType::ApplicationData, &b"hello"[..]));
            let o = rx.open(&mut b[..m]).unwrap();
            assert_eq!((o.ty, &b[o.start..o.end]), (ContentType::Alert, &[1, 0][..]));
            assert_eq!(rx.seq(), 3);
        }
    }

    /// Seals like a TLS 1.2 peer that picks its own explicit nonce.
    fn seal12_with_explicit(key: &[u8], salt: [u8; 4], seq: u64, ty: u8, explicit: [u8; 8], text: &[u8]) -> [u8; 64] {
        let mut r = [0u8; 64];
        let len = text.len();
        r[..HEADER].copy_from_slice(&[ty, 3, 3, 0, (EXPLICIT_NONCE + len + TAG) as u8]);
        r[HEADER..13].copy_from_slice(&explicit);
        r[13..13 + len].copy_from_slice(text);
        let mut n = [0u8; 12];
        n[..4].copy_from_slice(&salt);
        n[4..].copy_from_slice(&explicit);
        let tag = Gcm::new(key).unwrap().seal(&n, &aad12(seq, ty, [3, 3], len), &mut r[13..13 + len]).unwrap();
        r[13 + len..13 + len + TAG].copy_from_slice(&tag);
        r
    }

    #[test]
    fn tls12_records_open_under_any_explicit_nonce_and_tampering_fails() {
        let key = [9u8; 16];
        let salt = [1, 2, 3, 4];
        let mut rx = Opener::new(&Keys::tls12(Suite::Aes128GcmSha256, &key, salt).unwrap(), 0).unwrap();
        let len = HEADER + EXPLICIT_NONCE + 3 + TAG;
        for (seq, explicit) in [[0xde; 8], [0; 8], [0xff; 8]].into_iter().enumerate() {
            let mut r = seal12_with_explicit(&key, salt, seq as u64, 23, explicit, b"abc");
            let o = rx.open(&mut r[..len]).unwrap();
            assert_eq!(&r[o.start..o.end], b"abc");
        }
        // Any changed byte, the header's type and version and the explicit
        // nonce included, fails. (The header's length is where `frame`
        // cuts the record; the additional data carries the length that
        // results.)
        for at in (0..len).filter(|at| !(3..5).contains(at)) {
            let mut r = seal12_with_explicit(&key, salt, 3, 23, [7; 8], b"abc");
            r[at] ^= 0x01;
            let mut rx = Opener::new(&Keys::tls12(Suite::Aes128GcmSha256, &key, salt).unwrap(), 3).unwrap();
            assert_eq!(rx.open(&mut r[..len]), Err(Error::BadRecordMac), "byte {at}");
            assert_eq!(rx.seq(), 3);
        }
        // An empty alert is refused once authenticated.
        let mut r = seal12_with_explicit(&key, salt, 3, 21, [7; 8], b"");
        assert_eq!(rx.open(&mut r[..HEADER + 24]), Err(Error::UnexpectedMessage("empty handshake or alert record")));
    }

    #[test]
    fn tls12_headers_are_checked_before_the_body() {
        let v = Version::Tls12;
        assert_eq!(frame(&[23, 3, 3, 0, 23], v), Err(Error::RecordTooShort(23)));
        assert_eq!(frame(&[23, 3, 3, 0, 24], v), Ok(Framing::Partial));
        assert_eq!(frame(&[22, 3, 3, 0x40, 0x18], v), Ok(Framing::Partial));
        assert_eq!(frame(&[21, 3, 3, 0x40, 0x19], v), Err(Error::RecordOverflow(0x4019)));
        assert_eq!(frame(&[21, 3, 3, 0, 2, 2, 40], v), Ok(Framing::PlainAlert(40)));
        assert!(matches!(frame(&[20, 3, 3, 0, 1], v), Err(Error::UnexpectedMessage(_))));
        assert_eq!(frame(&[24, 3, 3, 0, 30], v), Err(Error::UnknownRecordType(24)));
    }

    #[test]
    fn tls12_prepared_and_dry_run_seals() {
        let k = keys12(Suite::Aes256GcmSha384, 3);
        let (mut plain, mut fast) = (Sealer::new(&k, 5).unwrap(), Sealer::new(&k, 5).unwrap());
        let mut rx = Opener::new(&k, 5).unwrap();
        let (mut a, mut b) = ([0x42u8; 512], [0x42u8; 512]);
        fast.prepare(400);
        let mut scratch = [0u8; 512];
        let d = fast.dry_run(&mut scratch, 400).unwrap();
        assert_eq!(d, HEADER + EXPLICIT_NONCE + 400 + TAG);
        assert_eq!(rx.open(&mut scratch[..d]), Err(Error::BadRecordMac));
        assert!(fast.is_prepared() && fast.seq() == 5);
        let n = plain.seal(ContentType::ApplicationData, &mut a, 400).unwrap();
        assert_eq!(fast.seal(ContentType::ApplicationData, &mut b, 400).unwrap(), n);
        assert_eq!(a[..n], b[..n]);
        let o = rx.open(&mut a[..n]).unwrap();
        assert_eq!(&a[o.start..o.end], &[0x42; 400][..]);
        assert_eq!(fast.used, 1);
    }

    #[test]
    fn keys_print_no_secret() {
        let k = keys(Suite::Aes128GcmSha256, 0xab);
        let mut s = heapless::String::<128>::new();
        core::fmt::write(&mut s, format_args!("{k:?}")).unwrap();
        assert!(!s.contains("171") && !s.contains("ab"), "{s}");
    }
}
