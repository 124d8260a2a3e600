//! AES-GCM (NIST SP 800-38D) for the TLS 1.3 record layer (RFC 8446 §5.2),
//! keyed once per traffic key.
//!
//! [`Gcm::new`] expands the key and computes the GHASH key H = E(K, 0¹²⁸)
//! and its powers H¹…H⁸ once; the record layer keeps one [`Gcm`] per
//! direction until the traffic key changes, so a record costs E(K, J₀), its
//! counter blocks and GHASH, nothing more. On x86-64 with AES-NI and
//! PCLMULQDQ (detected at run time) counter blocks are encrypted eight at a
//! time, each group hashed as soon as it is sealed so the AES of one group
//! overlaps the GHASH of the last, and GHASH multiplies eight blocks by
//! H⁸…H¹ before one reduction; where AVX2 has VAES and VPCLMULQDQ too, each
//! AES and carry-less multiply instruction takes two blocks. GHASH is
//! computed as POLYVAL over byte-reversed blocks (RFC 8452, Appendix A),
//! whose field layout matches the registers. Elsewhere the cipher is
//! aes-gcm 0.10, keyed once as well.
//!
//! Pre-sealing splits one GCM invocation in time: [`Gcm::prepare`] runs its
//! AES half while the line is idle (the tag mask E(K, J₀) and the keystream
//! from counter 2, for a nonce the caller reserves), and
//! [`Gcm::seal_prepared`] later XORs the text and hashes it, with no AES on
//! the path. It stays one invocation per nonce, as SP 800-38D §8 requires
//! of every IV under a key and RFC 8446 §5.3 builds each record's nonce
//! from its sequence number to ensure: the first `seal_prepared` clears the
//! [`Keystream`], whether the text fit or not, and a `Keystream` cannot be
//! cloned.
//!
//! With VAES a 400-byte order record seals in 117 ns here, 70 ns with its
//! keystream prepared, and a 600-byte record opens in 129 ns; keyed per
//! record, as embedded-tls (which hotline used before its own record layer)
//! called the cipher, they took 174 and 255 ns, and aes-gcm 0.10 seals in
//! 278 ns keyed once
//! (`cargo bench --bench tls -- 'seal|open_600/cipher'`). The accelerated
//! paths are checked against aes-gcm and against the GCM specification's
//! vectors below.

/// Which AES-GCM implementation this CPU runs: `"vaes+vpclmulqdq"` (two
/// blocks per instruction), `"aes-ni+pclmulqdq"`, or `"aes-gcm 0.10"`
/// (portable software).
pub fn backend() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    if ni::available() {
        return if ni::two_per_instruction() { WIDE } else { ACCELERATED };
    }
    PORTABLE
}

const WIDE: &str = "vaes+vpclmulqdq";
const ACCELERATED: &str = "aes-ni+pclmulqdq";
const PORTABLE: &str = "aes-gcm 0.10";

/// Longest plaintext GCM allows (SP 800-38D §5.2.1.1: 2³⁹ − 256 bits); the
/// AAD is held to the same bound, far above any record.
const MAX_TEXT: u64 = (1 << 36) - 32;

/// Bytes of keystream a [`Keystream`] holds: an order record (400–600
/// bytes) with room to spare.
pub const KEYSTREAM: usize = 1024;

/// AES-GCM under one 128- or 256-bit key, with a 12-byte nonce and a
/// 16-byte tag: the round keys and the GHASH key's powers, computed once.
#[derive(Clone)]
pub struct Gcm(Backend);

// No heap to box into, and the large variant is the one in use wherever
// it exists.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
enum Backend {
    #[cfg(target_arch = "x86_64")]
    Ni(ni::Key),
    Soft128(soft::Key<aes_gcm::aes::Aes128>),
    Soft256(soft::Key<aes_gcm::aes::Aes256>),
}

/// The tag did not match: the record was forged or damaged (SP 800-38D
/// §7.2 step 8, FAIL). Nothing more is said, and nothing was decrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadTag;

/// The AES half of one GCM invocation, computed ahead of its text by
/// [`Gcm::prepare`]: the tag mask E(K, J₀) and the keystream from counter 2
/// for one nonce. It seals one text at most: [`Gcm::seal_prepared`] clears
/// it, and it is not `Clone`, so no nonce's keystream is applied twice.
pub struct Keystream {
    bytes: [u8; KEYSTREAM],
    mask: [u8; 16],
    /// Leading bytes of `bytes` that hold keystream.
    len: usize,
    /// Prepared and not yet used. Separate from `len`: a keystream for an
    /// empty text still holds a mask, and an empty one must seal nothing,
    /// since GHASH's output without the mask would expose H.
    prepared: bool,
}

impl Gcm {
    /// Expands a 16- or 32-byte key (AES-128 or AES-256); `None` for any
    /// other length.
    pub fn new(key: &[u8]) -> Option<Self> {
        if let Ok(key) = key.try_into() {
            return Some(Self::new128(key));
        }
        key.try_into().ok().map(Self::new256)
    }

    fn new128(key: &[u8; 16]) -> Self {
        #[cfg(target_arch = "x86_64")]
        if ni::available() {
            // SAFETY: `available` detected AES-NI, PCLMULQDQ, SSSE3 and SSE4.1.
            return Self(Backend::Ni(unsafe { ni::Key::new128(key) }));
        }
        Self(Backend::Soft128(soft::Key::new(key.into())))
    }

    fn new256(key: &[u8; 32]) -> Self {
        #[cfg(target_arch = "x86_64")]
        if ni::available() {
            // SAFETY: as in `new128`.
            return Self(Backend::Ni(unsafe { ni::Key::new256(key) }));
        }
        Self(Backend::Soft256(soft::Key::new(key.into())))
    }

    /// Key size in bytes: 16 or 32.
    pub fn key_len(&self) -> usize {
        match &self.0 {
            #[cfg(target_arch = "x86_64")]
            Backend::Ni(key) => key.key_len(),
            Backend::Soft128(_) => 16,
            Backend::Soft256(_) => 32,
        }
    }

    /// Encrypts `text` in place and returns the tag; `None`, with `text`
    /// untouched, where the text or AAD exceeds GCM's limit (SP 800-38D
    /// §5.2.1.1), far above any TLS record.
    pub fn seal(&self, nonce: &[u8; 12], aad: &[u8], text: &mut [u8]) -> Option<[u8; 16]> {
        if !within_limits(aad, text) {
            return None;
        }
        match &self.0 {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: a `Ni` key exists only where `available` detected its
            // CPU features.
            Backend::Ni(key) => Some(unsafe { key.seal(nonce, aad, text) }),
            Backend::Soft128(key) => key.seal(nonce, aad, text),
            Backend::Soft256(key) => key.seal(nonce, aad, text),
        }
    }

    /// Checks `tag` over `aad` and the ciphertext in `text`, then decrypts
    /// it in place. On a bad tag `text` is left as it was (SP 800-38D §7.2:
    /// no plaintext from an unauthenticated record).
    pub fn open(&self, nonce: &[u8; 12], aad: &[u8], text: &mut [u8], tag: &[u8; 16]) -> Result<(), BadTag> {
        if !within_limits(aad, text) {
            return Err(BadTag);
        }
        match &self.0 {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as in `seal`.
            Backend::Ni(key) => unsafe { key.open(nonce, aad, text, tag) },
            Backend::Soft128(key) => key.open(nonce, aad, text, tag),
            Backend::Soft256(key) => key.open(nonce, aad, text, tag),
        }
    }

    /// Pre-sealing, first half: the tag mask E(K, J₀) and the keystream
    /// E(K, J₀ + 2)… for the first `len.min(KEYSTREAM)` bytes of a text to
    /// be sealed under `nonce`, into `out` (whatever it held is discarded).
    /// The nonce is then reserved for that one text: seal it with
    /// [`seal_prepared`](Self::seal_prepared) on this same `Gcm`, or with
    /// [`seal`](Self::seal) under the same nonce if that returns `None`,
    /// and never seal another text under the nonce.
    pub fn prepare(&self, nonce: &[u8; 12], len: usize, out: &mut Keystream) {
        out.clear();
        let len = len.min(KEYSTREAM);
        let bytes = out.bytes.get_mut(..len).unwrap_or_default();
        out.mask = match &self.0 {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as in `seal`.
            Backend::Ni(key) => unsafe { key.prepare(nonce, bytes) },
            Backend::Soft128(key) => key.prepare(nonce, bytes),
            Backend::Soft256(key) => key.prepare(nonce, bytes),
        };
        out.len = len;
        out.prepared = true;
    }

    /// Pre-sealing, second half: C = P ⊕ keystream in place, and the tag
    /// GHASH(aad, C) ⊕ E(K, J₀); no AES. The keystream is cleared by this
    /// call whatever its outcome. `None`, with `text` untouched, where
    /// `stream` holds no prepared keystream (never prepared, or already
    /// used) or less than `text` needs; nothing was sealed under its nonce
    /// then, and [`seal`](Self::seal) may seal the text under it.
    pub fn seal_prepared(&self, stream: &mut Keystream, aad: &[u8], text: &mut [u8]) -> Option<[u8; 16]> {
        let fits = stream.prepared && text.len() <= stream.len && aad.len() as u64 <= MAX_TEXT;
        let tag = match stream.bytes.get(..text.len()) {
            Some(keystream) if fits => Some(match &self.0 {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as in `seal`.
                Backend::Ni(key) => unsafe { key.seal_prepared(keystream, &stream.mask, aad, text) },
                Backend::Soft128(key) => key.seal_prepared(keystream, &stream.mask, aad, text),
                Backend::Soft256(key) => key.seal_prepared(keystream, &stream.mask, aad, text),
            }),
            _ => None,
        };
        stream.clear();
        tag
    }

    /// The cipher on the portable aes-gcm crate, whatever the CPU has: the
    /// reference the accelerated paths are tested against.
    #[cfg(test)]
    fn portable(key: &[u8]) -> Option<Self> {
        if let Ok(key) = <&[u8; 16]>::try_from(key) {
            return Some(Self(Backend::Soft128(soft::Key::new(key.into()))));
        }
        let key = <&[u8; 32]>::try_from(key).ok()?;
        Some(Self(Backend::Soft256(soft::Key::new(key.into()))))
    }

    /// The same cipher without the two-blocks-per-instruction path, so
    /// that tests cover the 128-bit path on CPUs that have both.
    #[cfg(test)]
    fn narrow(mut self) -> Self {
        #[cfg(target_arch = "x86_64")]
        if let Backend::Ni(key) = &mut self.0 {
            key.narrow();
        }
        self
    }
}

impl core::fmt::Debug for Gcm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let backend = match &self.0 {
            #[cfg(target_arch = "x86_64")]
            Backend::Ni(key) if key.is_wide() => WIDE,
            #[cfg(target_arch = "x86_64")]
            Backend::Ni(_) => ACCELERATED,
            Backend::Soft128(_) | Backend::Soft256(_) => PORTABLE,
        };
        // The key schedule and H stay out of any log.
        f.debug_struct("Gcm")
            .field("key_bits", &(self.key_len() * 8))
            .field("backend", &backend)
            .finish_non_exhaustive()
    }
}

impl Keystream {
    /// An empty keystream, to be filled by [`Gcm::prepare`].
    pub const fn new() -> Self {
        Self { bytes: [0; KEYSTREAM], mask: [0; 16], len: 0, prepared: false }
    }

    /// The longest text it can seal: the bytes prepared, 0 once used.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it can seal nothing: never prepared, or already used. A
    /// keystream prepared for an empty text is not empty.
    pub fn is_empty(&self) -> bool {
        !self.prepared
    }

    /// Zeroes the keystream and the mask, leaving it empty.
    pub fn clear(&mut self) {
        self.bytes.get_mut(..self.len).unwrap_or_default().fill(0);
        self.mask = [0; 16];
        self.len = 0;
        self.prepared = false;
    }
}

impl Default for Keystream {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for Keystream {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Keystream and mask stay out of any log: with the ciphertext they
        // give the plaintext, and with the tag the GHASH value.
        f.debug_struct("Keystream").field("len", &self.len).field("prepared", &self.prepared).finish_non_exhaustive()
    }
}

/// Whether SP 800-38D §5.2.1.1 allows a text and AAD this long.
fn within_limits(aad: &[u8], text: &[u8]) -> bool {
    text.len() as u64 <= MAX_TEXT && aad.len() as u64 <= MAX_TEXT
}

/// The counter block `nonce ‖ counter` (§7.1 step 2 for a 96-bit IV: J₀
/// is counter 1, the text starts at 2; big-endian 32-bit counter).
fn counter_block(nonce: &[u8; 12], counter: u32) -> [u8; 16] {
    let mut block = [0u8; 16];
    block[..12].copy_from_slice(nonce);
    block[12..].copy_from_slice(&counter.to_be_bytes());
    block
}

/// GHASH's last block, len(A)₆₄ ‖ len(C)₆₄ in bits (§7.1 step 5).
fn lengths_block(aad_len: usize, text_len: usize) -> [u8; 16] {
    let mut block = [0u8; 16];
    block[..8].copy_from_slice(&(aad_len as u64 * 8).to_be_bytes());
    block[8..].copy_from_slice(&(text_len as u64 * 8).to_be_bytes());
    block
}

#[cfg(target_arch = "x86_64")]
mod ni {
    use core::arch::x86_64::*;

    use super::{BadTag, counter_block, lengths_block};

    cpufeatures::new!(aes_clmul, "aes", "pclmulqdq", "ssse3", "sse4.1");
    // Only AVX2's probe: cpufeatures 0.2 files VAES and VPCLMULQDQ under
    // AVX-512 state and reports them absent without it.
    cpufeatures::new!(avx2_cpuid, "avx2");

    /// Whether this CPU runs [`Key`].
    pub(super) fn available() -> bool {
        aes_clmul::get()
    }

    /// Whether [`Key`] seals two blocks per instruction on this CPU: AVX2
    /// (with the OS saving its registers) and VAES and VPCLMULQDQ (CPUID
    /// leaf 7, ECX bits 9 and 10), probed once.
    pub(super) fn two_per_instruction() -> bool {
        use core::sync::atomic::{AtomicU8, Ordering};
        static WIDE: AtomicU8 = AtomicU8::new(0);
        match WIDE.load(Ordering::Relaxed) {
            1 => false,
            2 => true,
            _ => {
                let leaf7 = __cpuid_count(7, 0);
                let wide = avx2_cpuid::get() && leaf7.ecx & (1 << 9) != 0 && leaf7.ecx & (1 << 10) != 0;
                WIDE.store(if wide { 2 } else { 1 }, Ordering::Relaxed);
                wide
            }
        }
    }

    /// Counter blocks encrypted side by side: enough to cover the latency
    /// of `aesenc` (two issued per cycle, four cycles each).
    const LANES: usize = 8;
    /// Bytes in a group of [`LANES`] blocks.
    const GROUP: usize = 16 * LANES;

    /// Eight blocks on the wide path; register k holds blocks 2k (low
    /// lane) and 2k + 1 (high lane).
    type Pairs = [__m256i; LANES / 2];

    /// An expanded AES key and the GHASH key's powers.
    #[derive(Clone, Copy)]
    pub(super) struct Key {
        /// Round keys; 11 used for AES-128, 15 for AES-256.
        round: [__m128i; 15],
        /// 10 or 14.
        rounds: usize,
        /// `h[i]` is H^(i+1) in POLYVAL form: text is hashed eight blocks
        /// per reduction, by H⁸…H¹.
        h: [__m128i; LANES],
        /// Each power's high and low halves XORed, in the low half
        /// (Karatsuba's middle operand).
        h_mid: [__m128i; LANES],
        /// Seal two blocks per instruction (AVX2 with VAES and VPCLMULQDQ,
        /// detected at run time).
        wide: bool,
    }

    /// H⁸…H¹ two per register, in the order [`fold_wide`] takes blocks,
    /// and their Karatsuba middle operands.
    struct WidePowers {
        h: Pairs,
        mid: Pairs,
    }

    impl Key {
        /// Expands a 16-byte key.
        ///
        /// # Safety
        /// The CPU has AES-NI, PCLMULQDQ, SSSE3 and SSE4.1 ([`available`]).
        #[target_feature(enable = "aes,pclmulqdq,ssse3,sse4.1")]
        pub(super) unsafe fn new128(key: &[u8; 16]) -> Self {
            Self::with_schedule(expand128(key), 10)
        }

        /// Expands a 32-byte key.
        ///
        /// # Safety
        /// As [`Key::new128`].
        #[target_feature(enable = "aes,pclmulqdq,ssse3,sse4.1")]
        pub(super) unsafe fn new256(key: &[u8; 32]) -> Self {
            Self::with_schedule(expand256(key), 14)
        }

        /// The key around its round keys: H = E(0) turned into POLYVAL's
        /// key (byte-reversed, then multiplied by x: RFC 8452 Appendix A,
        /// mulX_POLYVAL), and its powers.
        #[target_feature(enable = "aes,pclmulqdq,ssse3,sse4.1")]
        fn with_schedule(round: [__m128i; 15], rounds: usize) -> Self {
            let zero = _mm_setzero_si128();
            let mut key = Self { round, rounds, h: [zero; LANES], h_mid: [zero; LANES], wide: two_per_instruction() };
            let [h] = key.encrypt([zero]);
            let mut v = u128::from_be_bytes(store(h));
            let carry = v >> 127;
            v = (v << 1) ^ carry ^ (carry << 127) ^ (carry << 126) ^ (carry << 121);
            let h1 = load(&v.to_le_bytes());
            // Three products deep, not a chain of seven: a new key is on the
            // handshake's critical path.
            let times = |a: __m128i, b: __m128i| reduce(wide(a, b, mid(b)));
            let h2 = times(h1, h1);
            let (h3, h4) = (times(h2, h1), times(h2, h2));
            key.h = [h1, h2, h3, h4, times(h4, h1), times(h4, h2), times(h4, h3), times(h4, h4)];
            key.h_mid = key.h.map(|h| mid(h));
            key
        }

        /// 16 or 32.
        pub(super) fn key_len(&self) -> usize {
            if self.rounds == 14 { 32 } else { 16 }
        }

        /// Whether this key seals two blocks per instruction.
        pub(super) fn is_wide(&self) -> bool {
            self.wide
        }

        /// Turns the two-blocks-per-instruction path off.
        #[cfg(test)]
        pub(super) fn narrow(&mut self) {
            self.wide = false;
        }

        /// Encrypts `buffer` in place; returns the tag.
        ///
        /// # Safety
        /// As [`Key::new128`].
        #[target_feature(enable = "aes,pclmulqdq,ssse3,sse4.1")]
        pub(super) unsafe fn seal(&self, nonce: &[u8; 12], aad: &[u8], buffer: &mut [u8]) -> [u8; 16] {
            let j0 = load(&counter_block(nonce, 1));
            // Needed only by `finish`: out of order, its AES overlaps the rest.
            let [mask] = self.encrypt([j0]);
            let y = self.absorb(_mm_setzero_si128(), aad);
            let (groups, rest) = buffer.as_chunks_mut::<GROUP>();
            let counter = 2u32.wrapping_add((LANES * groups.len()) as u32);
            let y = if self.wide {
                // SAFETY: `wide` is set only where `two_per_instruction`
                // found AVX2, VAES and VPCLMULQDQ; `new128`'s features hold too.
                unsafe { self.seal_wide(j0, groups, y) }
            } else {
                self.seal_groups(j0, groups, y)
            };
            self.ctr(j0, counter, rest);
            let y = self.absorb(y, rest);
            self.finish(y, mask, aad.len(), buffer.len())
        }

        /// Checks `tag` over `aad` and the ciphertext in `buffer`, then
        /// decrypts it in place. On a bad tag the buffer is left as it was.
        ///
        /// # Safety
        /// As [`Key::new128`].
        #[target_feature(enable = "aes,pclmulqdq,ssse3,sse4.1")]
        pub(super) unsafe fn open(
            &self,
            nonce: &[u8; 12],
            aad: &[u8],
            buffer: &mut [u8],
            tag: &[u8; 16],
        ) -> Result<(), BadTag> {
            let j0 = load(&counter_block(nonce, 1));
            let [mask] = self.encrypt([j0]);
            let y = self.absorb(_mm_setzero_si128(), aad);
            let y = self.absorb_text(y, buffer);
            let expected = self.finish(y, mask, aad.len(), buffer.len());
            // Constant time: every byte is compared.
            let diff = expected.iter().zip(tag).fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if diff != 0 {
                return Err(BadTag);
            }
            self.ctr(j0, 2, buffer);
            Ok(())
        }

        /// Writes the keystream from counter 2 on over `out` and returns
        /// the tag mask E(J₀).
        ///
        /// # Safety
        /// As [`Key::new128`].
        #[target_feature(enable = "aes,pclmulqdq,ssse3,sse4.1")]
        pub(super) unsafe fn prepare(&self, nonce: &[u8; 12], out: &mut [u8]) -> [u8; 16] {
            let j0 = load(&counter_block(nonce, 1));
            let [mask] = self.encrypt([j0]);
            out.fill(0);
            self.ctr(j0, 2, out);
            store(mask)
        }

        /// Encrypts `text` in place with `keystream` (at least as long) and
        /// returns its tag under `mask`: GHASH alone, no AES.
        ///
        /// # Safety
        /// As [`Key::new128`].
        #[target_feature(enable = "aes,pclmulqdq,ssse3,sse4.1")]
        pub(super) unsafe fn seal_prepared(
            &self,
            keystream: &[u8],
            mask: &[u8; 16],
            aad: &[u8],
            text: &mut [u8],
        ) -> [u8; 16] {
            for (byte, k) in text.iter_mut().zip(keystream) {
                *byte ^= k;
            }
            let y = self.absorb(_mm_setzero_si128(), aad);
            let y = self.absorb_text(y, text);
            self.finish(y, load(mask), aad.len(), text.len())
        }

        /// Encrypts and hashes [`seal`](Self::seal)'s 8-block groups from
        /// counter 2 on, stitched: each group is hashed as soon as it is
        /// encrypted, so the AES of one group overlaps the GHASH of the one
        /// before. Returns the hash.
        #[target_feature(enable = "aes,pclmulqdq,ssse3,sse4.1")]
        fn seal_groups(&self, j0: __m128i, groups: &mut [[u8; GROUP]], mut y: __m128i) -> __m128i {
            let mut counter = 2u32;
            for group in groups {
                let stream = self
                    .encrypt(core::array::from_fn::<_, LANES, _>(|i| with_counter(j0, counter.wrapping_add(i as u32))));
                counter = counter.wrapping_add(LANES as u32);
                let (blocks, _) = group.as_chunks_mut::<16>();
                let mut xs = [_mm_setzero_si128(); LANES];
                for ((block, ks), x) in blocks.iter_mut().zip(stream).zip(&mut xs) {
                    let c = _mm_xor_si128(load(block), ks);
                    *block = store(c);
                    *x = reversed(c);
                }
                y = self.fold(y, xs);
            }
            y
        }

        /// [`seal_groups`](Self::seal_groups) two blocks per instruction,
        /// for AES and the carry-less products alike.
        #[target_feature(enable = "aes,pclmulqdq,ssse3,sse4.1,avx2,vaes,vpclmulqdq")]
        fn seal_wide(&self, j0: __m128i, groups: &mut [[u8; GROUP]], mut y: __m128i) -> __m128i {
            let powers = self.wide_powers();
            let keys = self.round.map(|k| _mm256_broadcastsi128_si256(k));
            let mut counter = 2u32;
            for group in groups {
                let stream = self.keystream_wide(&keys, j0, counter);
                counter = counter.wrapping_add(LANES as u32);
                let (pairs, _) = group.as_chunks_mut::<32>();
                let mut cs = [_mm256_setzero_si256(); LANES / 2];
                for ((pair, ks), c) in pairs.iter_mut().zip(stream).zip(&mut cs) {
                    *c = _mm256_xor_si256(load_pair(pair), ks);
                    store_pair(pair, *c);
                }
                y = fold_wide(&powers, y, cs);
            }
            y
        }

        /// XORs the keystream from counter `first` on into `data` (GCTR,
        /// §6.5; the text starts at counter 2).
        #[target_feature(enable = "aes,ssse3,sse4.1")]
        fn ctr(&self, j0: __m128i, first: u32, data: &mut [u8]) {
            let (groups, rest) = data.as_chunks_mut::<GROUP>();
            if self.wide {
                // SAFETY: as in `seal`.
                unsafe { self.ctr_wide(j0, first, groups) };
            } else {
                let mut counter = first;
                for group in groups.iter_mut() {
                    let stream = self.encrypt(core::array::from_fn::<_, LANES, _>(|i| {
                        with_counter(j0, counter.wrapping_add(i as u32))
                    }));
                    counter = counter.wrapping_add(LANES as u32);
                    for (block, ks) in group.as_chunks_mut::<16>().0.iter_mut().zip(stream) {
                        *block = store(_mm_xor_si128(load(block), ks));
                    }
                }
            }
            if rest.is_empty() {
                return;
            }
            // Fewer than `LANES` whole blocks and a partial one: one pass.
            let counter = first.wrapping_add((LANES * groups.len()) as u32);
            let stream =
                self.encrypt(core::array::from_fn::<_, LANES, _>(|i| with_counter(j0, counter.wrapping_add(i as u32))));
            let (blocks, tail) = rest.as_chunks_mut::<16>();
            for (block, ks) in blocks.iter_mut().zip(stream) {
                *block = store(_mm_xor_si128(load(block), ks));
            }
            if let Some(&ks) = stream.get(blocks.len()) {
                for (byte, k) in tail.iter_mut().zip(store(ks)) {
                    *byte ^= k;
                }
            }
        }

        /// [`ctr`](Self::ctr)'s whole groups two blocks per instruction.
        #[target_feature(enable = "aes,ssse3,sse4.1,avx2,vaes")]
        fn ctr_wide(&self, j0: __m128i, first: u32, groups: &mut [[u8; GROUP]]) {
            let keys = self.round.map(|k| _mm256_broadcastsi128_si256(k));
            let mut counter = first;
            for group in groups {
                let stream = self.keystream_wide(&keys, j0, counter);
                counter = counter.wrapping_add(LANES as u32);
                for (pair, ks) in group.as_chunks_mut::<32>().0.iter_mut().zip(stream) {
                    store_pair(pair, _mm256_xor_si256(load_pair(pair), ks));
                }
            }
        }

        /// The keystream for counters `first`…`first + 7`, two blocks per
        /// register; `keys` are the round keys in both lanes.
        #[inline]
        #[target_feature(enable = "aes,sse4.1,avx2,vaes")]
        fn keystream_wide(&self, keys: &[__m256i; 15], j0: __m128i, first: u32) -> Pairs {
            let mut stream: Pairs = core::array::from_fn(|k| {
                let counter = first.wrapping_add(2 * k as u32);
                _mm256_set_m128i(with_counter(j0, counter.wrapping_add(1)), with_counter(j0, counter))
            });
            for b in &mut stream {
                *b = _mm256_xor_si256(*b, keys[0]);
            }
            let rounds = self.rounds.min(14);
            for k in keys.get(1..rounds).unwrap_or_default() {
                for b in &mut stream {
                    *b = _mm256_aesenc_epi128(*b, *k);
                }
            }
            for b in &mut stream {
                *b = _mm256_aesenclast_epi128(*b, keys[rounds]);
            }
            stream
        }

        /// The key's powers as [`fold_wide`] takes them.
        #[inline]
        #[target_feature(enable = "avx2")]
        fn wide_powers(&self) -> WidePowers {
            let pair = |lo: __m128i, hi: __m128i| _mm256_set_m128i(hi, lo);
            let [h1, h2, h3, h4, h5, h6, h7, h8] = self.h;
            let [m1, m2, m3, m4, m5, m6, m7, m8] = self.h_mid;
            WidePowers {
                h: [pair(h8, h7), pair(h6, h5), pair(h4, h3), pair(h2, h1)],
                mid: [pair(m8, m7), pair(m6, m5), pair(m4, m3), pair(m2, m1)],
            }
        }

        /// AES of `N` blocks side by side.
        #[inline]
        #[target_feature(enable = "aes,sse2")]
        fn encrypt<const N: usize>(&self, mut blocks: [__m128i; N]) -> [__m128i; N] {
            for b in &mut blocks {
                *b = _mm_xor_si128(*b, self.round[0]);
            }
            for k in self.round.get(1..self.rounds).unwrap_or_default() {
                for b in &mut blocks {
                    *b = _mm_aesenc_si128(*b, *k);
                }
            }
            let last = self.round[self.rounds.min(14)];
            for b in &mut blocks {
                *b = _mm_aesenclast_si128(*b, last);
            }
            blocks
        }

        /// The tag from the hash `y` of the AAD and text (§7.1 steps 5–6):
        /// the lengths block, then E(J₀) ⊕ GHASH.
        #[target_feature(enable = "pclmulqdq,ssse3")]
        fn finish(&self, y: __m128i, mask: __m128i, aad_len: usize, text_len: usize) -> [u8; 16] {
            let y = self.fold(y, [reversed(load(&lengths_block(aad_len, text_len)))]);
            store(_mm_xor_si128(reversed(y), mask))
        }

        /// Hashes ciphertext into `y` as [`absorb`](Self::absorb) does, two
        /// blocks per instruction where the CPU can.
        #[target_feature(enable = "pclmulqdq,ssse3")]
        fn absorb_text(&self, y: __m128i, data: &[u8]) -> __m128i {
            if !self.wide {
                return self.absorb(y, data);
            }
            let (groups, rest) = data.as_chunks::<GROUP>();
            // SAFETY: as in `seal`.
            let y = unsafe { self.absorb_wide(y, groups) };
            self.absorb(y, rest)
        }

        /// Hashes whole 8-block groups into `y` by H⁸…H¹.
        #[target_feature(enable = "pclmulqdq,ssse3,avx2,vpclmulqdq")]
        fn absorb_wide(&self, mut y: __m128i, groups: &[[u8; GROUP]]) -> __m128i {
            let powers = self.wide_powers();
            for group in groups {
                let mut cs = [_mm256_setzero_si256(); LANES / 2];
                for (c, pair) in cs.iter_mut().zip(group.as_chunks::<32>().0) {
                    *c = load_pair(pair);
                }
                y = fold_wide(&powers, y, cs);
            }
            y
        }

        /// Hashes `data`, zero-padded to whole blocks, into `y`.
        #[target_feature(enable = "pclmulqdq,ssse3")]
        fn absorb(&self, mut y: __m128i, data: &[u8]) -> __m128i {
            let (groups, rest) = data.as_chunks::<GROUP>();
            for group in groups {
                let mut xs = [_mm_setzero_si128(); LANES];
                for (x, block) in xs.iter_mut().zip(group.as_chunks::<16>().0) {
                    *x = reversed(load(block));
                }
                y = self.fold(y, xs);
            }
            // Fewer than `LANES` whole blocks and a partial one: one fold.
            let (blocks, tail) = rest.as_chunks::<16>();
            let mut xs = [_mm_setzero_si128(); LANES];
            let mut n = 0;
            for (x, block) in xs.iter_mut().zip(blocks) {
                *x = reversed(load(block));
                n += 1;
            }
            if !tail.is_empty() {
                let mut padded = [0u8; 16];
                padded.get_mut(..tail.len()).unwrap_or_default().copy_from_slice(tail);
                if let Some(x) = xs.get_mut(n) {
                    *x = reversed(load(&padded));
                    n += 1;
                }
            }
            self.fold_first(y, xs, n)
        }

        /// [`fold`](Self::fold) of the first `n` of `blocks`, `n` known at
        /// run time; `y` itself for none.
        #[target_feature(enable = "pclmulqdq,sse2")]
        fn fold_first(&self, y: __m128i, blocks: [__m128i; LANES], n: usize) -> __m128i {
            if n == 0 {
                return y;
            }
            let powers = self.h.iter().zip(&self.h_mid).take(n).rev();
            let mut acc = Wide::zero();
            for (i, (b, (h, h_mid))) in blocks.into_iter().zip(powers).enumerate() {
                let b = if i == 0 { _mm_xor_si128(y, b) } else { b };
                acc = acc.xor(wide(b, *h, *h_mid));
            }
            reduce(acc)
        }

        /// `(…((y ⊕ b₀)·H ⊕ b₁)·H … ⊕ bₙ₋₁)·H` for `N` ≤ [`LANES`] blocks,
        /// as `(y ⊕ b₀)·Hⁿ ⊕ b₁·Hⁿ⁻¹ ⊕ … ⊕ bₙ₋₁·H` with one reduction.
        #[inline]
        #[target_feature(enable = "pclmulqdq,sse2")]
        fn fold<const N: usize>(&self, y: __m128i, mut blocks: [__m128i; N]) -> __m128i {
            const { assert!(N >= 1 && N <= LANES) };
            blocks[0] = _mm_xor_si128(y, blocks[0]);
            let mut acc = Wide::zero();
            for (i, b) in blocks.into_iter().enumerate() {
                acc = acc.xor(wide(b, self.h[N - 1 - i], self.h_mid[N - 1 - i]));
            }
            reduce(acc)
        }
    }

    /// [`Key::fold`] for eight ciphertext blocks at once, two per register
    /// in GHASH byte order: `(y ⊕ c₀)·H⁸ ⊕ c₁·H⁷ ⊕ … ⊕ c₇·H`, one reduction.
    #[inline]
    #[target_feature(enable = "pclmulqdq,ssse3,avx2,vpclmulqdq")]
    fn fold_wide(powers: &WidePowers, y: __m128i, blocks: Pairs) -> __m128i {
        let reverse = _mm256_broadcastsi128_si256(REVERSE);
        let mut xs = blocks.map(|c| _mm256_shuffle_epi8(c, reverse));
        xs[0] = _mm256_xor_si256(xs[0], _mm256_zextsi128_si256(y));
        let (mut lo, mut hi, mut md) = (_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256());
        for ((x, p), pm) in xs.into_iter().zip(powers.h).zip(powers.mid) {
            lo = _mm256_xor_si256(lo, _mm256_clmulepi64_epi128::<0x00>(x, p));
            hi = _mm256_xor_si256(hi, _mm256_clmulepi64_epi128::<0x11>(x, p));
            let xm = _mm256_xor_si256(x, _mm256_shuffle_epi32::<0x0E>(x));
            md = _mm256_xor_si256(md, _mm256_clmulepi64_epi128::<0x00>(xm, pm));
        }
        let lane_sum = |v: __m256i| _mm_xor_si128(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
        reduce(Wide { lo: lane_sum(lo), hi: lane_sum(hi), mid: lane_sum(md) })
    }

    /// A 256-bit carry-less product before reduction, as Karatsuba's three
    /// partial products (summed over several products, then reduced once).
    #[derive(Clone, Copy)]
    struct Wide {
        lo: __m128i,
        hi: __m128i,
        mid: __m128i,
    }

    impl Wide {
        #[inline]
        #[target_feature(enable = "sse2")]
        fn zero() -> Self {
            Self { lo: _mm_setzero_si128(), hi: _mm_setzero_si128(), mid: _mm_setzero_si128() }
        }

        #[inline]
        #[target_feature(enable = "sse2")]
        fn xor(self, o: Self) -> Self {
            Self {
                lo: _mm_xor_si128(self.lo, o.lo),
                hi: _mm_xor_si128(self.hi, o.hi),
                mid: _mm_xor_si128(self.mid, o.mid),
            }
        }
    }

    /// The halves of `h` XORed, in the low half.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn mid(h: __m128i) -> __m128i {
        _mm_xor_si128(h, _mm_shuffle_epi32::<0x0E>(h))
    }

    /// `a · h` unreduced; `h_mid` is [`mid`]`(h)`.
    #[inline]
    #[target_feature(enable = "pclmulqdq,sse2")]
    fn wide(a: __m128i, h: __m128i, h_mid: __m128i) -> Wide {
        Wide {
            lo: _mm_clmulepi64_si128::<0x00>(a, h),
            hi: _mm_clmulepi64_si128::<0x11>(a, h),
            mid: _mm_clmulepi64_si128::<0x00>(mid(a), h_mid),
        }
    }

    /// Montgomery reduction of a POLYVAL product (multiplies by x⁻¹²⁸ mod
    /// x¹²⁸ + x¹²⁷ + x¹²⁶ + x¹²¹ + 1). Only the low 64-bit lanes of the
    /// intermediates carry meaning; the lane-wise shifts keep them apart.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn reduce(w: Wide) -> __m128i {
        let (t0, t1) = (w.lo, w.hi);
        let t2 = _mm_xor_si128(w.mid, _mm_xor_si128(t0, t1));
        let v0 = t0;
        let v1 = _mm_xor_si128(_mm_shuffle_epi32::<0x0E>(t0), t2);
        let v2 = _mm_xor_si128(t1, _mm_shuffle_epi32::<0x0E>(t2));
        let v3 = _mm_shuffle_epi32::<0x0E>(t1);
        let v2 = xor_right(_mm_xor_si128(v2, v0), v0);
        let v1 = xor_left(v1, v0);
        let v3 = xor_right(_mm_xor_si128(v3, v1), v1);
        let v2 = xor_left(v2, v1);
        _mm_unpacklo_epi64(v2, v3)
    }

    /// `a ⊕ v>>1 ⊕ v>>2 ⊕ v>>7`, per 64-bit lane.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn xor_right(a: __m128i, v: __m128i) -> __m128i {
        let r = _mm_xor_si128(_mm_srli_epi64::<1>(v), _mm_srli_epi64::<2>(v));
        _mm_xor_si128(a, _mm_xor_si128(r, _mm_srli_epi64::<7>(v)))
    }

    /// `a ⊕ v<<63 ⊕ v<<62 ⊕ v<<57`, per 64-bit lane.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn xor_left(a: __m128i, v: __m128i) -> __m128i {
        let l = _mm_xor_si128(_mm_slli_epi64::<63>(v), _mm_slli_epi64::<62>(v));
        _mm_xor_si128(a, _mm_xor_si128(l, _mm_slli_epi64::<57>(v)))
    }

    /// The counter block `nonce ‖ counter` (big-endian 32-bit counter).
    #[inline]
    #[target_feature(enable = "sse4.1")]
    fn with_counter(base: __m128i, counter: u32) -> __m128i {
        _mm_insert_epi32::<3>(base, i32::from_le_bytes(counter.to_be_bytes()))
    }

    /// The block's bytes in reverse order (GHASH ↔ POLYVAL layout).
    #[inline]
    #[target_feature(enable = "ssse3")]
    fn reversed(v: __m128i) -> __m128i {
        _mm_shuffle_epi8(v, REVERSE)
    }

    /// `pshufb` control reversing 16 bytes.
    // SAFETY: transmuting 16 bytes to a 16-byte vector; every bit pattern
    // is a valid `__m128i`.
    const REVERSE: __m128i = unsafe { core::mem::transmute([15u8, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]) };

    #[inline]
    #[target_feature(enable = "sse2")]
    fn load(bytes: &[u8; 16]) -> __m128i {
        // SAFETY: 16 readable bytes; `loadu` has no alignment requirement.
        unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) }
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn store(v: __m128i) -> [u8; 16] {
        let mut out = [0u8; 16];
        // SAFETY: 16 writable bytes; `storeu` has no alignment requirement.
        unsafe { _mm_storeu_si128(out.as_mut_ptr().cast(), v) };
        out
    }

    #[inline]
    #[target_feature(enable = "avx")]
    fn load_pair(bytes: &[u8; 32]) -> __m256i {
        // SAFETY: 32 readable bytes; `loadu` has no alignment requirement.
        unsafe { _mm256_loadu_si256(bytes.as_ptr().cast()) }
    }

    #[inline]
    #[target_feature(enable = "avx")]
    fn store_pair(bytes: &mut [u8; 32], v: __m256i) {
        // SAFETY: 32 writable bytes; `storeu` has no alignment requirement.
        unsafe { _mm256_storeu_si256(bytes.as_mut_ptr().cast(), v) }
    }

    /// `k ⊕ k≪32 ⊕ k≪64 ⊕ k≪96` (the running XOR of a key schedule word).
    #[inline]
    #[target_feature(enable = "sse2")]
    fn spread(k: __m128i) -> __m128i {
        let k = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
        _mm_xor_si128(k, _mm_slli_si128::<8>(k))
    }

    /// FIPS 197 §5.2 for a 128-bit key, as in Intel's AES-NI white paper.
    #[target_feature(enable = "aes,sse2")]
    fn expand128(key: &[u8; 16]) -> [__m128i; 15] {
        let mut k = [_mm_setzero_si128(); 15];
        k[0] = load(key);
        let next = |k: __m128i, assist: __m128i| _mm_xor_si128(spread(k), _mm_shuffle_epi32::<0xFF>(assist));
        k[1] = next(k[0], _mm_aeskeygenassist_si128::<0x01>(k[0]));
        k[2] = next(k[1], _mm_aeskeygenassist_si128::<0x02>(k[1]));
        k[3] = next(k[2], _mm_aeskeygenassist_si128::<0x04>(k[2]));
        k[4] = next(k[3], _mm_aeskeygenassist_si128::<0x08>(k[3]));
        k[5] = next(k[4], _mm_aeskeygenassist_si128::<0x10>(k[4]));
        k[6] = next(k[5], _mm_aeskeygenassist_si128::<0x20>(k[5]));
        k[7] = next(k[6], _mm_aeskeygenassist_si128::<0x40>(k[6]));
        k[8] = next(k[7], _mm_aeskeygenassist_si128::<0x80>(k[7]));
        k[9] = next(k[8], _mm_aeskeygenassist_si128::<0x1B>(k[8]));
        k[10] = next(k[9], _mm_aeskeygenassist_si128::<0x36>(k[9]));
        k
    }

    /// FIPS 197 §5.2 for a 256-bit key: even round keys take RotWord,
    /// SubWord and the round constant, odd ones SubWord alone.
    #[target_feature(enable = "aes,sse2")]
    fn expand256(key: &[u8; 32]) -> [__m128i; 15] {
        let mut k = [_mm_setzero_si128(); 15];
        let (lo, hi) = key.split_at(16);
        k[0] = load(lo.try_into().unwrap_or(&[0; 16]));
        k[1] = load(hi.try_into().unwrap_or(&[0; 16]));
        let even = |k: __m128i, assist: __m128i| _mm_xor_si128(spread(k), _mm_shuffle_epi32::<0xFF>(assist));
        let odd = |k: __m128i, assist: __m128i| _mm_xor_si128(spread(k), _mm_shuffle_epi32::<0xAA>(assist));
        k[2] = even(k[0], _mm_aeskeygenassist_si128::<0x01>(k[1]));
        k[3] = odd(k[1], _mm_aeskeygenassist_si128::<0x00>(k[2]));
        k[4] = even(k[2], _mm_aeskeygenassist_si128::<0x02>(k[3]));
        k[5] = odd(k[3], _mm_aeskeygenassist_si128::<0x00>(k[4]));
        k[6] = even(k[4], _mm_aeskeygenassist_si128::<0x04>(k[5]));
        k[7] = odd(k[5], _mm_aeskeygenassist_si128::<0x00>(k[6]));
        k[8] = even(k[6], _mm_aeskeygenassist_si128::<0x08>(k[7]));
        k[9] = odd(k[7], _mm_aeskeygenassist_si128::<0x00>(k[8]));
        k[10] = even(k[8], _mm_aeskeygenassist_si128::<0x10>(k[9]));
        k[11] = odd(k[9], _mm_aeskeygenassist_si128::<0x00>(k[10]));
        k[12] = even(k[10], _mm_aeskeygenassist_si128::<0x20>(k[11]));
        k[13] = odd(k[11], _mm_aeskeygenassist_si128::<0x00>(k[12]));
        k[14] = even(k[12], _mm_aeskeygenassist_si128::<0x40>(k[13]));
        k
    }
}

/// The portable backend: aes-gcm 0.10 for whole seals and opens, and its
/// block cipher and GHASH for pre-sealing, all keyed once.
mod soft {
    use aes_gcm::aead::AeadInPlace;
    use aes_gcm::aead::consts::{U12, U16};
    use aes_gcm::aes::cipher::{Block, BlockCipher, BlockEncrypt, BlockSizeUser, KeyInit};
    use ghash::GHash;
    use ghash::universal_hash::UniversalHash;

    use super::{BadTag, counter_block, lengths_block};

    /// Counter blocks handed to the block cipher at once, for its
    /// parallel rounds.
    const BATCH: usize = 8;

    #[derive(Clone)]
    pub(super) struct Key<C> {
        aead: aes_gcm::AesGcm<C, U12>,
        cipher: C,
        ghash: GHash,
    }

    impl<C> Key<C>
    where
        C: BlockCipher + BlockEncrypt + BlockSizeUser<BlockSize = U16> + KeyInit + Clone,
    {
        pub(super) fn new(key: &aes_gcm::aes::cipher::Key<C>) -> Self {
            let cipher = C::new(key);
            let mut h = ghash::Key::default();
            cipher.encrypt_block(&mut h);
            Self { aead: aes_gcm::AesGcm::from(cipher.clone()), ghash: GHash::new(&h), cipher }
        }

        pub(super) fn seal(&self, nonce: &[u8; 12], aad: &[u8], text: &mut [u8]) -> Option<[u8; 16]> {
            self.aead.encrypt_in_place_detached(nonce.into(), aad, text).ok().map(Into::into)
        }

        pub(super) fn open(&self, nonce: &[u8; 12], aad: &[u8], text: &mut [u8], tag: &[u8; 16]) -> Result<(), BadTag> {
            self.aead.decrypt_in_place_detached(nonce.into(), aad, text, tag.into()).map_err(|_| BadTag)
        }

        /// Writes the keystream from counter 2 on over `out` and returns
        /// the tag mask E(J₀).
        pub(super) fn prepare(&self, nonce: &[u8; 12], out: &mut [u8]) -> [u8; 16] {
            let mut mask = Block::<C>::from(counter_block(nonce, 1));
            self.cipher.encrypt_block(&mut mask);
            let mut counter = 2u32;
            for chunk in out.chunks_mut(16 * BATCH) {
                let mut blocks: [Block<C>; BATCH] =
                    core::array::from_fn(|i| counter_block(nonce, counter.wrapping_add(i as u32)).into());
                counter = counter.wrapping_add(BATCH as u32);
                self.cipher.encrypt_blocks(&mut blocks);
                for (byte, k) in chunk.iter_mut().zip(blocks.iter().flatten()) {
                    *byte = *k;
                }
            }
            mask.into()
        }

        /// Encrypts `text` in place with `keystream` (at least as long) and
        /// returns its tag under `mask`.
        pub(super) fn seal_prepared(&self, keystream: &[u8], mask: &[u8; 16], aad: &[u8], text: &mut [u8]) -> [u8; 16] {
            for (byte, k) in text.iter_mut().zip(keystream) {
                *byte ^= k;
            }
            let mut ghash = self.ghash.clone();
            ghash.update_padded(aad);
            ghash.update_padded(text);
            ghash.update(&[lengths_block(aad.len(), text.len()).into()]);
            let mut tag: [u8; 16] = ghash.finalize().into();
            for (byte, m) in tag.iter_mut().zip(mask) {
                *byte ^= m;
            }
            tag
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex<const N: usize>(s: &str) -> [u8; N] {
        let mut out = [0u8; N];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    /// xorshift64: test inputs without a dependency.
    fn bytes() -> impl FnMut() -> u8 {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        }
    }

    /// The cipher on every path this CPU has: as [`Gcm::new`] picks it,
    /// the 128-bit path, and the portable crate.
    fn paths(key: &[u8]) -> [(&'static str, Gcm); 3] {
        let fast = Gcm::new(key).unwrap();
        [("fast", fast.clone()), ("narrow", fast.narrow()), ("portable", Gcm::portable(key).unwrap())]
    }

    /// The GCM specification's test cases 4 (AES-128) and 16 (AES-256):
    /// 60 bytes of plaintext, 20 of AAD; sealed whole and pre-sealed.
    #[test]
    fn gcm_spec_vectors() {
        let plain: [u8; 60] = unhex(concat!(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72",
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
        ));
        let aad: [u8; 20] = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let nonce: [u8; 12] = unhex("cafebabefacedbaddecaf888");
        let cases: [(&[u8], &str, &str); 2] = [
            (
                &unhex::<16>("feffe9928665731c6d6a8f9467308308"),
                concat!(
                    "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e",
                    "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"
                ),
                "5bc94fbc3221a5db94fae95ae7121a47",
            ),
            (
                &unhex::<32>("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"),
                concat!(
                    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa",
                    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
                ),
                "76fc6ece0f4e1768cddf8853bb2d551b",
            ),
        ];
        for (key, cipher, tag) in cases {
            let cipher: [u8; 60] = unhex(cipher);
            let tag: [u8; 16] = unhex(tag);
            for (path, gcm) in paths(key) {
                assert_eq!(gcm.key_len(), key.len());
                let mut buf = plain;
                let got = gcm.seal(&nonce, &aad, &mut buf);
                assert_eq!((buf, got), (cipher, Some(tag)), "{path}, {}-byte key", key.len());
                assert_eq!(gcm.open(&nonce, &aad, &mut buf, &tag), Ok(()));
                assert_eq!(buf, plain);
                let mut stream = Keystream::new();
                gcm.prepare(&nonce, buf.len(), &mut stream);
                let got = gcm.seal_prepared(&mut stream, &aad, &mut buf);
                assert_eq!((buf, got), (cipher, Some(tag)), "prepared, {path}, {}-byte key", key.len());
            }
        }
    }

    /// Every length from 0 to 300 bytes (all tails of the 8-block counter
    /// and 4-block hash loops) and some up to a full record, with AAD from
    /// 0 to 70 bytes: the wide path, the 128-bit path and the portable
    /// aes-gcm crate seal alike; then on each a flipped bit in the tag, the
    /// AAD and the text must each fail to open and leave the buffer alone.
    #[test]
    fn matches_portable_aes_gcm_at_every_length() {
        const MAX: usize = 16_384 + 1;
        let mut next = bytes();
        for len in (0..300usize).chain([511, 1024, 1041, 4099, MAX]) {
            let key16: [u8; 16] = core::array::from_fn(|_| next());
            let key32: [u8; 32] = core::array::from_fn(|_| next());
            let nonce: [u8; 12] = core::array::from_fn(|_| next());
            let aad: [u8; 70] = core::array::from_fn(|_| next());
            let aad = &aad[..len % 71];
            let plain: [u8; MAX] = core::array::from_fn(|_| next());
            let plain = &plain[..len];
            for key in [&key16[..], &key32[..]] {
                let mut reference = [0u8; MAX];
                reference[..len].copy_from_slice(plain);
                let soft = Gcm::portable(key).unwrap();
                let soft_tag = soft.seal(&nonce, aad, &mut reference[..len]).unwrap();
                for (path, gcm) in paths(key) {
                    let mut buf = [0u8; MAX];
                    buf[..len].copy_from_slice(plain);
                    let tag = gcm.seal(&nonce, aad, &mut buf[..len]).unwrap();
                    assert_eq!(
                        (&buf[..len], tag),
                        (&reference[..len], soft_tag),
                        "{path}, len {len}, key {}",
                        key.len()
                    );

                    let mut bad_tag = tag;
                    bad_tag[len % 16] ^= 1;
                    assert_eq!(gcm.open(&nonce, aad, &mut buf[..len], &bad_tag), Err(BadTag));
                    if !aad.is_empty() {
                        let mut bad_aad = [0u8; 70];
                        bad_aad[..aad.len()].copy_from_slice(aad);
                        bad_aad[0] ^= 0x80;
                        assert_eq!(gcm.open(&nonce, &bad_aad[..aad.len()], &mut buf[..len], &tag), Err(BadTag));
                    }
                    if len > 0 {
                        buf[len - 1] ^= 2;
                        assert_eq!(gcm.open(&nonce, aad, &mut buf[..len], &tag), Err(BadTag));
                        buf[len - 1] ^= 2;
                    }
                    assert_eq!(&buf[..len], &reference[..len], "{path}: a failed open changed the buffer");
                    assert_eq!(gcm.open(&nonce, aad, &mut buf[..len], &tag), Ok(()));
                    assert_eq!(&buf[..len], plain, "{path}");
                }
            }
        }
    }

    /// At every length a keystream holds, on every path and both key
    /// sizes, a prepared seal gives `seal`'s ciphertext and tag, whether
    /// the keystream was prepared for exactly the text or for more. A used
    /// keystream seals nothing more, and a text longer than prepared is
    /// refused untouched and clears the keystream.
    #[test]
    fn seal_prepared_matches_seal_at_every_length() {
        let mut next = bytes();
        let mut stream = Keystream::new();
        for len in 0..=KEYSTREAM {
            let key16: [u8; 16] = core::array::from_fn(|_| next());
            let key32: [u8; 32] = core::array::from_fn(|_| next());
            let nonce: [u8; 12] = core::array::from_fn(|_| next());
            let aad: [u8; 70] = core::array::from_fn(|_| next());
            let aad = &aad[..len % 71];
            let plain: [u8; KEYSTREAM + 1] = core::array::from_fn(|_| next());
            let prepared = len + len % 3 * 100;
            for key in [&key16[..], &key32[..]] {
                for (path, gcm) in paths(key) {
                    let mut sealed = plain;
                    let tag = gcm.seal(&nonce, aad, &mut sealed[..len]).unwrap();
                    gcm.prepare(&nonce, prepared, &mut stream);
                    assert_eq!((stream.len(), stream.is_empty()), (prepared.min(KEYSTREAM), false));
                    let mut buf = plain;
                    let got = gcm.seal_prepared(&mut stream, aad, &mut buf[..len]);
                    assert_eq!((&buf[..len], got), (&sealed[..len], Some(tag)), "{path}, len {len}, key {}", key.len());
                    assert_eq!(&buf[len..], &plain[len..]);
                    assert_eq!((stream.len(), stream.is_empty()), (0, true));

                    let mut again = plain;
                    assert_eq!(gcm.seal_prepared(&mut stream, aad, &mut again[..len]), None, "{path}: reused");
                    assert_eq!(again, plain);

                    gcm.prepare(&nonce, len, &mut stream);
                    let mut long = plain;
                    assert_eq!(gcm.seal_prepared(&mut stream, aad, &mut long[..len + 1]), None, "{path}: too long");
                    assert_eq!(long, plain);
                    assert!(stream.is_empty());
                }
            }
        }
    }

    /// A keystream never prepared (or cleared) has a zero mask: sealing
    /// even an empty text with it would publish GHASH of the AAD under H
    /// unmasked, from which H follows.
    #[test]
    fn empty_keystream_seals_nothing_not_even_an_empty_text() {
        for key in [&[7u8; 16][..], &[7u8; 32]] {
            for (path, gcm) in paths(key) {
                assert_eq!(gcm.seal_prepared(&mut Keystream::new(), b"aad", &mut []), None, "{path}");
                let mut stream = Keystream::new();
                gcm.prepare(&[1; 12], 0, &mut stream);
                assert!(!stream.is_empty());
                stream.clear();
                assert_eq!(gcm.seal_prepared(&mut stream, b"aad", &mut []), None, "{path}");
            }
        }
    }

    #[test]
    fn new_takes_aes128_and_aes256_keys_only() {
        for len in [0, 8, 15, 17, 24, 31, 33, 64] {
            assert!(Gcm::new(&[1; 64][..len]).is_none(), "{len}");
        }
        assert_eq!(Gcm::new(&[1; 16]).map(|g| g.key_len()), Some(16));
        assert_eq!(Gcm::new(&[1; 32]).map(|g| g.key_len()), Some(32));
    }

    #[test]
    fn debug_shows_no_key_material() {
        let text = alloc_free_debug(&Gcm::new(&[0x42; 16]).unwrap());
        assert!(text.starts_with("Gcm { key_bits: 128"), "{text}");
        // The comparison with the portable crate above is only worth
        // something where the accelerated path runs: here it must.
        assert!(text.contains(backend()), "{text}");
        #[cfg(target_arch = "x86_64")]
        assert_eq!(ni::available(), backend() != PORTABLE);
        let narrow = alloc_free_debug(&Gcm::new(&[0x42; 16]).unwrap().narrow());
        #[cfg(target_arch = "x86_64")]
        assert_eq!(narrow.contains(ACCELERATED), ni::available(), "{narrow}");
        let mut stream = Keystream::new();
        Gcm::new(&[0x42; 32]).unwrap().prepare(&[0; 12], 400, &mut stream);
        assert_eq!(alloc_free_debug(&stream), "Keystream { len: 400, prepared: true, .. }");
    }

    fn alloc_free_debug(c: &dyn core::fmt::Debug) -> heapless::String<96> {
        use core::fmt::Write;
        let mut s = heapless::String::new();
        write!(s, "{c:?}").unwrap();
        s
    }
}
