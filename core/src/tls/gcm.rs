//! AES-GCM (NIST SP 800-38D) for the record layer, and the two TLS 1.3
//! cipher suites built on it.
//!
//! embedded-tls keys a fresh cipher for every record it seals or opens, so
//! what counts is key setup plus one short record, not bulk throughput.
//! On x86-64 with AES-NI and PCLMULQDQ (detected at run time) the key
//! schedule is `aeskeygenassist`; H and the tag mask E(J₀) are encrypted
//! together; counter blocks are encrypted eight at a time, each group
//! hashed as soon as it is sealed so the AES of one group overlaps the
//! GHASH of the last; and GHASH multiplies four blocks by H⁴…H¹ before one
//! reduction. Where AVX2 has VAES and VPCLMULQDQ too, each instruction
//! takes two blocks and eight are hashed per reduction. GHASH is computed as POLYVAL over byte-reversed blocks (RFC
//! 8452, Appendix A), whose field layout matches the registers. Keying and
//! sealing a 400-byte order record takes 232 ns here with VAES (265–300 ns
//! on the 128-bit path) against 550–570 ns for aes-gcm 0.10, which this
//! replaces (`cargo bench --bench tls -- seal_400`).
//! Elsewhere the suites fall back to aes-gcm 0.10. Both paths are checked
//! against each other and against the GCM specification's vectors below,
//! and every TLS peer test runs through this code.

use aes_gcm::aead::consts::{U0, U12, U16, U32};
use aes_gcm::aead::{AeadCore, AeadInPlace, Error, Key, KeyInit, KeySizeUser, Nonce, Tag};
use embedded_tls::TlsCipherSuite;

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

/// TLS_AES_128_GCM_SHA256 (RFC 8446 §B.4) with [`AesGcm`] for records.
#[derive(Debug)]
pub struct Aes128GcmSha256;

impl TlsCipherSuite for Aes128GcmSha256 {
    const CODE_POINT: u16 = <embedded_tls::Aes128GcmSha256 as TlsCipherSuite>::CODE_POINT;
    type Cipher = AesGcm<16>;
    type KeyLen = U16;
    type IvLen = U12;
    type Hash = sha2::Sha256;
    type LabelBufferSize = <embedded_tls::Aes128GcmSha256 as TlsCipherSuite>::LabelBufferSize;
}

/// TLS_AES_256_GCM_SHA384 (RFC 8446 §B.4) with [`AesGcm`] for records.
#[derive(Debug)]
pub struct Aes256GcmSha384;

impl TlsCipherSuite for Aes256GcmSha384 {
    const CODE_POINT: u16 = <embedded_tls::Aes256GcmSha384 as TlsCipherSuite>::CODE_POINT;
    type Cipher = AesGcm<32>;
    type KeyLen = U32;
    type IvLen = U12;
    type Hash = sha2::Sha384;
    type LabelBufferSize = <embedded_tls::Aes256GcmSha384 as TlsCipherSuite>::LabelBufferSize;
}

/// AES-GCM with a `KEY`-byte key (16 or 32), a 12-byte nonce and a 16-byte
/// tag.
#[derive(Clone)]
pub struct AesGcm<const KEY: usize>(Backend);

// No heap to box into, and the large variant is the one in use wherever
// it exists.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
enum Backend {
    #[cfg(target_arch = "x86_64")]
    Ni(ni::Key),
    /// The key alone: aes-gcm is keyed at each use, as embedded-tls keys
    /// every record anyway, and the enum stays the size of `Ni`.
    Soft128([u8; 16]),
    Soft256([u8; 32]),
}

impl<const KEY: usize> core::fmt::Debug for AesGcm<KEY> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let backend = match self.0 {
            #[cfg(target_arch = "x86_64")]
            Backend::Ni(key) if key.is_wide() => WIDE,
            Backend::Ni(_) => ACCELERATED,
            Backend::Soft128(_) | Backend::Soft256(_) => PORTABLE,
        };
        // The key schedule stays out of any log.
        f.debug_struct("AesGcm").field("key_bits", &(KEY * 8)).field("backend", &backend).finish_non_exhaustive()
    }
}

impl<const KEY: usize> AesGcm<KEY> {
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

impl AesGcm<16> {
    /// The cipher on the portable aes-gcm crate, whatever the CPU has: the
    /// fallback, and the reference the accelerated path is tested against.
    fn portable(key: &[u8; 16]) -> Self {
        Self(Backend::Soft128(*key))
    }
}

impl AesGcm<32> {
    /// See [`AesGcm::<16>::portable`].
    fn portable(key: &[u8; 32]) -> Self {
        Self(Backend::Soft256(*key))
    }
}

impl KeySizeUser for AesGcm<16> {
    type KeySize = U16;
}

impl KeySizeUser for AesGcm<32> {
    type KeySize = U32;
}

impl KeyInit for AesGcm<16> {
    fn new(key: &Key<Self>) -> Self {
        #[cfg(target_arch = "x86_64")]
        if ni::available() {
            // SAFETY: `available` detected AES-NI, PCLMULQDQ, SSSE3 and SSE4.1.
            return Self(Backend::Ni(unsafe { ni::Key::new(&key[..]) }));
        }
        Self::portable(&(*key).into())
    }
}

impl KeyInit for AesGcm<32> {
    fn new(key: &Key<Self>) -> Self {
        #[cfg(target_arch = "x86_64")]
        if ni::available() {
            // SAFETY: `available` detected AES-NI, PCLMULQDQ, SSSE3 and SSE4.1.
            return Self(Backend::Ni(unsafe { ni::Key::new(&key[..]) }));
        }
        Self::portable(&(*key).into())
    }
}

impl<const KEY: usize> AeadCore for AesGcm<KEY> {
    type NonceSize = U12;
    type TagSize = U16;
    type CiphertextOverhead = U0;
}

/// Longest plaintext GCM allows (SP 800-38D §5.2.1.1: 2³⁹ − 256 bits).
const MAX_TEXT: u64 = (1 << 36) - 32;

impl<const KEY: usize> AeadInPlace for AesGcm<KEY> {
    fn encrypt_in_place_detached(
        &self,
        nonce: &Nonce<Self>,
        aad: &[u8],
        buffer: &mut [u8],
    ) -> Result<Tag<Self>, Error> {
        if buffer.len() as u64 > MAX_TEXT || aad.len() as u64 > MAX_TEXT {
            return Err(Error);
        }
        match &self.0 {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: a `Ni` key exists only where `available` detected its
            // CPU features.
            Backend::Ni(key) => Ok(unsafe { key.seal(&(*nonce).into(), aad, buffer) }.into()),
            Backend::Soft128(k) => aes_gcm::Aes128Gcm::new(k.into()).encrypt_in_place_detached(nonce, aad, buffer),
            Backend::Soft256(k) => aes_gcm::Aes256Gcm::new(k.into()).encrypt_in_place_detached(nonce, aad, buffer),
        }
    }

    fn decrypt_in_place_detached(
        &self,
        nonce: &Nonce<Self>,
        aad: &[u8],
        buffer: &mut [u8],
        tag: &Tag<Self>,
    ) -> Result<(), Error> {
        if buffer.len() as u64 > MAX_TEXT || aad.len() as u64 > MAX_TEXT {
            return Err(Error);
        }
        match &self.0 {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as in `encrypt_in_place_detached`.
            Backend::Ni(key) => unsafe { key.open(&(*nonce).into(), aad, buffer, &(*tag).into()) },
            Backend::Soft128(k) => aes_gcm::Aes128Gcm::new(k.into()).decrypt_in_place_detached(nonce, aad, buffer, tag),
            Backend::Soft256(k) => aes_gcm::Aes256Gcm::new(k.into()).decrypt_in_place_detached(nonce, aad, buffer, tag),
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod ni {
    use core::arch::x86_64::*;

    use super::Error;

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
    /// Blocks hashed per reduction.
    const FOLD: usize = 4;

    /// An expanded AES key.
    #[derive(Clone, Copy)]
    pub(super) struct Key {
        /// Round keys; 11 used for AES-128, 15 for AES-256.
        round: [__m128i; 15],
        /// 10 or 14.
        rounds: usize,
        /// Seal two blocks per instruction (AVX2 with VAES and VPCLMULQDQ,
        /// detected at run time).
        wide: bool,
    }

    /// What GHASH needs for one record: H¹…H⁴ in POLYVAL form, and the
    /// tag mask E(J₀).
    struct Hash {
        /// `h[i]` is H^(i+1).
        h: [__m128i; FOLD],
        /// Each power's high and low halves XORed, in the low half
        /// (Karatsuba's middle operand).
        h_mid: [__m128i; FOLD],
        mask: __m128i,
    }

    impl Key {
        /// Expands a 16- or 32-byte key.
        ///
        /// # Safety
        /// The CPU has AES-NI, PCLMULQDQ, SSSE3 and SSE4.1 ([`available`]).
        #[target_feature(enable = "aes,pclmulqdq,ssse3,sse4.1")]
        pub(super) unsafe fn new(key: &[u8]) -> Self {
            match key.len() {
                32 => Self { round: expand256(key), rounds: 14, wide: two_per_instruction() },
                _ => Self { round: expand128(key), rounds: 10, wide: two_per_instruction() },
            }
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

        /// H = E(0) and E(J₀) in one pass, H turned into POLYVAL's key
        /// (byte-reversed, then multiplied by x: RFC 8452 Appendix A,
        /// mulX_POLYVAL), and its powers.
        #[target_feature(enable = "aes,pclmulqdq,ssse3,sse4.1")]
        fn hash(&self, j0: __m128i) -> Hash {
            let [h, mask] = self.encrypt([_mm_setzero_si128(), j0]);
            let mut v = u128::from_be_bytes(store(h));
            let carry = v >> 127;
            v = (v << 1) ^ carry ^ (carry << 127) ^ (carry << 126) ^ (carry << 121);
            let h1 = load(&v.to_le_bytes());
            let h2 = reduce(wide(h1, h1, mid(h1)));
            let h3 = reduce(wide(h2, h1, mid(h1)));
            let h4 = reduce(wide(h2, h2, mid(h2)));
            let h = [h1, h2, h3, h4];
            Hash { h, h_mid: [mid(h1), mid(h2), mid(h3), mid(h4)], mask }
        }

        /// Encrypts `buffer` in place; returns the tag.
        ///
        /// # Safety
        /// As [`Key::new`].
        #[target_feature(enable = "aes,pclmulqdq,ssse3,sse4.1")]
        pub(super) unsafe fn seal(&self, nonce: &[u8; 12], aad: &[u8], buffer: &mut [u8]) -> [u8; 16] {
            let j0 = counter_base(nonce);
            let gh = self.hash(j0);
            let y = gh.absorb(_mm_setzero_si128(), aad);
            let (groups, rest) = buffer.as_chunks_mut::<{ 16 * LANES }>();
            let counter = 2u32.wrapping_add((LANES * groups.len()) as u32);
            let y = if self.wide {
                // SAFETY: `wide` is set only where `two_per_instruction`
                // found AVX2, VAES and VPCLMULQDQ; `new`'s features hold too.
                unsafe { self.seal_wide(&gh, j0, groups, y) }
            } else {
                self.seal_groups(&gh, j0, groups, y)
            };
            self.ctr(j0, counter, rest);
            let y = gh.absorb(y, rest);
            gh.finish(y, aad.len(), buffer.len())
        }

        /// Encrypts and hashes [`seal`](Self::seal)'s 8-block groups from
        /// counter 2 on, stitched: each group is hashed as soon as it is
        /// encrypted, so the AES of one group overlaps the GHASH of the one
        /// before. Returns the hash.
        #[target_feature(enable = "aes,pclmulqdq,ssse3,sse4.1")]
        fn seal_groups(&self, gh: &Hash, j0: __m128i, groups: &mut [[u8; 16 * LANES]], mut y: __m128i) -> __m128i {
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
                let [a, b, c, d, e, f, g, h] = xs;
                y = gh.fold(y, [a, b, c, d]);
                y = gh.fold(y, [e, f, g, h]);
            }
            y
        }

        /// [`seal_groups`](Self::seal_groups) two blocks per instruction:
        /// AES on 256-bit registers, and GHASH of all eight blocks by
        /// H⁸…H¹ before one reduction.
        ///
        /// # Safety
        /// As [`Key::new`], and the CPU has AVX2, VAES and VPCLMULQDQ.
        #[target_feature(enable = "aes,pclmulqdq,ssse3,sse4.1,avx2,vaes,vpclmulqdq")]
        unsafe fn seal_wide(&self, gh: &Hash, j0: __m128i, groups: &mut [[u8; 16 * LANES]], mut y: __m128i) -> __m128i {
            let [h1, h2, h3, h4] = gh.h;
            let times_h4 = |h: __m128i| reduce(wide(h4, h, mid(h)));
            let (h5, h6, h7, h8) = (times_h4(h1), times_h4(h2), times_h4(h3), times_h4(h4));
            // Register k holds blocks 2k (low lane) and 2k + 1 (high lane).
            let pair = |lo: __m128i, hi: __m128i| _mm256_set_m128i(hi, lo);
            let powers = [pair(h8, h7), pair(h6, h5), pair(h4, h3), pair(h2, h1)];
            let mids = powers.map(|p| _mm256_xor_si256(p, _mm256_shuffle_epi32::<0x0E>(p)));
            let keys = self.round.map(|k| _mm256_broadcastsi128_si256(k));
            let rounds = self.rounds.min(14);
            let reverse = _mm256_broadcastsi128_si256(REVERSE);
            let lane_sum = |v: __m256i| _mm_xor_si128(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
            let mut counter = 2u32;
            for group in groups {
                let mut stream: [__m256i; LANES / 2] = core::array::from_fn(|k| {
                    let first = counter.wrapping_add(2 * k as u32);
                    pair(with_counter(j0, first), with_counter(j0, first.wrapping_add(1)))
                });
                counter = counter.wrapping_add(LANES as u32);
                for b in &mut stream {
                    *b = _mm256_xor_si256(*b, keys[0]);
                }
                for k in keys.get(1..rounds).unwrap_or_default() {
                    for b in &mut stream {
                        *b = _mm256_aesenc_epi128(*b, *k);
                    }
                }
                for b in &mut stream {
                    *b = _mm256_aesenclast_epi128(*b, keys[rounds]);
                }
                let (pairs, _) = group.as_chunks_mut::<32>();
                let (mut lo, mut hi, mut md) = (_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256());
                for (k, (chunk, ks)) in pairs.iter_mut().zip(stream).enumerate() {
                    // SAFETY: 32 readable and writable bytes; unaligned
                    // access is allowed.
                    let c = _mm256_xor_si256(unsafe { _mm256_loadu_si256(chunk.as_ptr().cast()) }, ks);
                    // SAFETY: as above.
                    unsafe { _mm256_storeu_si256(chunk.as_mut_ptr().cast(), c) };
                    let mut x = _mm256_shuffle_epi8(c, reverse);
                    if k == 0 {
                        x = _mm256_xor_si256(x, _mm256_zextsi128_si256(y));
                    }
                    let (p, pm) = (powers[k], mids[k]);
                    lo = _mm256_xor_si256(lo, _mm256_clmulepi64_epi128::<0x00>(x, p));
                    hi = _mm256_xor_si256(hi, _mm256_clmulepi64_epi128::<0x11>(x, p));
                    let xm = _mm256_xor_si256(x, _mm256_shuffle_epi32::<0x0E>(x));
                    md = _mm256_xor_si256(md, _mm256_clmulepi64_epi128::<0x00>(xm, pm));
                }
                y = reduce(Wide { lo: lane_sum(lo), hi: lane_sum(hi), mid: lane_sum(md) });
            }
            y
        }

        /// Checks `tag` over `aad` and the ciphertext in `buffer`, then
        /// decrypts it in place. On a bad tag the buffer is left as it was.
        ///
        /// # Safety
        /// As [`Key::new`].
        #[target_feature(enable = "aes,pclmulqdq,ssse3,sse4.1")]
        pub(super) unsafe fn open(
            &self,
            nonce: &[u8; 12],
            aad: &[u8],
            buffer: &mut [u8],
            tag: &[u8; 16],
        ) -> Result<(), Error> {
            let j0 = counter_base(nonce);
            let gh = self.hash(j0);
            let y = gh.absorb(_mm_setzero_si128(), aad);
            let y = gh.absorb(y, buffer);
            let expected = gh.finish(y, aad.len(), buffer.len());
            // Constant time: every byte is compared.
            let diff = expected.iter().zip(tag).fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if diff != 0 {
                return Err(Error);
            }
            self.ctr(j0, 2, buffer);
            Ok(())
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

        /// XORs the keystream from counter `first` on into `data` (GCTR,
        /// §6.5; the text starts at counter 2).
        #[target_feature(enable = "aes,ssse3,sse4.1")]
        fn ctr(&self, j0: __m128i, first: u32, data: &mut [u8]) {
            let (blocks, tail) = data.as_chunks_mut::<16>();
            let mut counter = first;
            for group in blocks.chunks_mut(LANES) {
                let stream = self
                    .encrypt(core::array::from_fn::<_, LANES, _>(|i| with_counter(j0, counter.wrapping_add(i as u32))));
                counter = counter.wrapping_add(group.len() as u32);
                for (block, ks) in group.iter_mut().zip(stream) {
                    *block = store(_mm_xor_si128(load(block), ks));
                }
            }
            if !tail.is_empty() {
                let [ks] = self.encrypt([with_counter(j0, counter)]);
                for (byte, k) in tail.iter_mut().zip(store(ks)) {
                    *byte ^= k;
                }
            }
        }
    }

    impl Hash {
        /// The tag from the hash `y` of the AAD and text (§7.1 steps 5–6):
        /// the lengths block, then E(J₀) ⊕ GHASH.
        #[target_feature(enable = "pclmulqdq,ssse3")]
        fn finish(&self, y: __m128i, aad_len: usize, text_len: usize) -> [u8; 16] {
            let mut lengths = [0u8; 16];
            lengths[..8].copy_from_slice(&(aad_len as u64 * 8).to_be_bytes());
            lengths[8..].copy_from_slice(&(text_len as u64 * 8).to_be_bytes());
            let y = self.fold(y, [reversed(load(&lengths))]);
            store(_mm_xor_si128(reversed(y), self.mask))
        }

        /// Hashes `data`, zero-padded to whole blocks, into `y`.
        #[target_feature(enable = "pclmulqdq,ssse3")]
        fn absorb(&self, mut y: __m128i, data: &[u8]) -> __m128i {
            let (groups, rest) = data.as_chunks::<{ 16 * FOLD }>();
            for group in groups {
                let (blocks, _) = group.as_chunks::<16>();
                let mut xs = [_mm_setzero_si128(); FOLD];
                for (x, block) in xs.iter_mut().zip(blocks) {
                    *x = reversed(load(block));
                }
                y = self.fold(y, xs);
            }
            let (blocks, tail) = rest.as_chunks::<16>();
            let mut xs = [_mm_setzero_si128(); FOLD];
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
            let [a, b, c, _] = xs;
            match n {
                0 => y,
                1 => self.fold(y, [a]),
                2 => self.fold(y, [a, b]),
                3 => self.fold(y, [a, b, c]),
                _ => self.fold(y, xs),
            }
        }

        /// `(…((y ⊕ b₀)·H ⊕ b₁)·H … ⊕ bₙ₋₁)·H` for `N` ≤ [`FOLD`] blocks,
        /// as `(y ⊕ b₀)·Hⁿ ⊕ b₁·Hⁿ⁻¹ ⊕ … ⊕ bₙ₋₁·H` with one reduction.
        #[inline]
        #[target_feature(enable = "pclmulqdq,sse2")]
        fn fold<const N: usize>(&self, y: __m128i, mut blocks: [__m128i; N]) -> __m128i {
            const { assert!(N >= 1 && N <= FOLD) };
            blocks[0] = _mm_xor_si128(y, blocks[0]);
            let mut acc = Wide::zero();
            for (i, b) in blocks.into_iter().enumerate() {
                acc = acc.xor(wide(b, self.h[N - 1 - i], self.h_mid[N - 1 - i]));
            }
            reduce(acc)
        }
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

    /// J₀ = `nonce ‖ 1` (§7.1 step 2, 96-bit IV).
    #[inline]
    #[target_feature(enable = "sse2")]
    fn counter_base(nonce: &[u8; 12]) -> __m128i {
        let mut block = [0u8; 16];
        block[..12].copy_from_slice(nonce);
        block[15] = 1;
        load(&block)
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

    /// `k ⊕ k≪32 ⊕ k≪64 ⊕ k≪96` (the running XOR of a key schedule word).
    #[inline]
    #[target_feature(enable = "sse2")]
    fn spread(k: __m128i) -> __m128i {
        let k = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
        _mm_xor_si128(k, _mm_slli_si128::<8>(k))
    }

    /// FIPS 197 §5.2 for a 128-bit key, as in Intel's AES-NI white paper.
    #[target_feature(enable = "aes,sse2")]
    fn expand128(key: &[u8]) -> [__m128i; 15] {
        let mut k = [_mm_setzero_si128(); 15];
        k[0] = load(key.try_into().unwrap_or(&[0; 16]));
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
    fn expand256(key: &[u8]) -> [__m128i; 15] {
        let mut k = [_mm_setzero_si128(); 15];
        k[0] = load(key.get(..16).and_then(|k| k.try_into().ok()).unwrap_or(&[0; 16]));
        k[1] = load(key.get(16..32).and_then(|k| k.try_into().ok()).unwrap_or(&[0; 16]));
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

    /// The GCM specification's test cases 4 (AES-128) and 16 (AES-256):
    /// 60 bytes of plaintext, 20 of AAD.
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
            let mut buf = plain;
            let got = seal(key, &nonce, &aad, &mut buf);
            assert_eq!((buf, got), (cipher, tag), "{}-byte key", key.len());
            assert!(open(key, &nonce, &aad, &mut buf, &tag).is_ok());
            assert_eq!(buf, plain);
        }
    }

    fn seal(key: &[u8], nonce: &[u8; 12], aad: &[u8], buf: &mut [u8]) -> [u8; 16] {
        let tag = match key.len() {
            16 => AesGcm::<16>::new_from_slice(key).unwrap().encrypt_in_place_detached(nonce.into(), aad, buf),
            _ => AesGcm::<32>::new_from_slice(key).unwrap().encrypt_in_place_detached(nonce.into(), aad, buf),
        };
        tag.unwrap().into()
    }

    fn open(key: &[u8], nonce: &[u8; 12], aad: &[u8], buf: &mut [u8], tag: &[u8; 16]) -> Result<(), Error> {
        match key.len() {
            16 => {
                AesGcm::<16>::new_from_slice(key).unwrap().decrypt_in_place_detached(nonce.into(), aad, buf, tag.into())
            }
            _ => {
                AesGcm::<32>::new_from_slice(key).unwrap().decrypt_in_place_detached(nonce.into(), aad, buf, tag.into())
            }
        }
    }

    /// Every length from 0 to 300 bytes (all tails of the 8-block counter
    /// and 4-block hash loops) and some up to a full record, with AAD from
    /// 0 to 70 bytes, against the portable aes-gcm crate; then a flipped bit
    /// in the tag, the AAD and the text must each fail to open and leave
    /// the buffer alone.
    #[test]
    fn matches_portable_aes_gcm_at_every_length() {
        const MAX: usize = 16_384 + 1;
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        };
        for len in (0..300usize).chain([511, 1024, 1041, 4099, MAX]) {
            let key16: [u8; 16] = core::array::from_fn(|_| next());
            let key32: [u8; 32] = core::array::from_fn(|_| next());
            let nonce: [u8; 12] = core::array::from_fn(|_| next());
            let aad: [u8; 70] = core::array::from_fn(|_| next());
            let aad = &aad[..len % 71];
            let plain: [u8; MAX] = core::array::from_fn(|_| next());
            let plain = &plain[..len];
            for key in [&key16[..], &key32[..]] {
                let mut fast = [0u8; MAX];
                let mut soft = [0u8; MAX];
                fast[..len].copy_from_slice(plain);
                soft[..len].copy_from_slice(plain);
                let mut narrow = fast;
                let tag = seal(key, &nonce, aad, &mut fast[..len]);
                let narrow_tag: [u8; 16] = match key.len() {
                    16 => AesGcm::<16>::new_from_slice(key).unwrap().narrow().encrypt_in_place_detached(
                        (&nonce).into(),
                        aad,
                        &mut narrow[..len],
                    ),
                    _ => AesGcm::<32>::new_from_slice(key).unwrap().narrow().encrypt_in_place_detached(
                        (&nonce).into(),
                        aad,
                        &mut narrow[..len],
                    ),
                }
                .unwrap()
                .into();
                assert_eq!((&narrow[..len], narrow_tag), (&fast[..len], tag), "narrow path, len {len}");
                let soft_tag: [u8; 16] = match key.len() {
                    16 => AesGcm::<16>::portable(key.try_into().unwrap()).encrypt_in_place_detached(
                        (&nonce).into(),
                        aad,
                        &mut soft[..len],
                    ),
                    _ => AesGcm::<32>::portable(key.try_into().unwrap()).encrypt_in_place_detached(
                        (&nonce).into(),
                        aad,
                        &mut soft[..len],
                    ),
                }
                .unwrap()
                .into();
                assert_eq!((&fast[..len], tag), (&soft[..len], soft_tag), "len {len}, key {}", key.len());

                let mut bad_tag = tag;
                bad_tag[len % 16] ^= 1;
                assert!(open(key, &nonce, aad, &mut fast[..len], &bad_tag).is_err());
                if !aad.is_empty() {
                    let mut bad_aad = [0u8; 70];
                    bad_aad[..aad.len()].copy_from_slice(aad);
                    bad_aad[0] ^= 0x80;
                    assert!(open(key, &nonce, &bad_aad[..aad.len()], &mut fast[..len], &tag).is_err());
                }
                if len > 0 {
                    fast[len - 1] ^= 2;
                    assert!(open(key, &nonce, aad, &mut fast[..len], &tag).is_err());
                    fast[len - 1] ^= 2;
                }
                assert_eq!(&fast[..len], &soft[..len], "a failed open changed the buffer");
                open(key, &nonce, aad, &mut fast[..len], &tag).unwrap();
                assert_eq!(&fast[..len], plain);
            }
        }
    }

    #[test]
    fn debug_shows_no_key_material() {
        let text = alloc_free_debug(&AesGcm::<16>::new(&[0x42; 16].into()));
        assert!(text.starts_with("AesGcm { key_bits: 128"), "{text}");
        // The comparison with the portable crate above is only worth
        // something where the accelerated path runs: here it must.
        assert!(text.contains(backend()), "{text}");
        #[cfg(target_arch = "x86_64")]
        assert_eq!(ni::available(), backend() != PORTABLE);
        let narrow = alloc_free_debug(&AesGcm::<16>::new(&[0x42; 16].into()).narrow());
        #[cfg(target_arch = "x86_64")]
        assert_eq!(narrow.contains(ACCELERATED), ni::available(), "{narrow}");
    }

    fn alloc_free_debug(c: &AesGcm<16>) -> heapless::String<96> {
        use core::fmt::Write;
        let mut s = heapless::String::new();
        write!(s, "{c:?}").unwrap();
        s
    }
}
