//! HMAC-SHA256 (RFC 2104, FIPS 198-1) over `sha2`'s block compression, with
//! the key's inner and outer pad blocks compressed once when the key is
//! loaded. A signature then costs the message blocks, one padding block and
//! one outer block: for Binance's 197-byte vector-A payload that is 5
//! compressions instead of the 7 a re-keyed HMAC pays. A template whose
//! leading payload bytes never change can also start from a [`Midstate`]
//! taken after them, which drops the constant blocks from every signature.

use sha2::digest::generic_array::GenericArray;
use sha2::{Digest, Sha256, compress256};
use zeroize::Zeroize;

/// SHA-256 block size in bytes (FIPS 180-4 §1).
pub const BLOCK: usize = 64;

/// Length of an HMAC-SHA256 tag in bytes.
pub const TAG: usize = 32;

/// The SHA-256 initial hash value H(0) (FIPS 180-4 §5.3.3).
const H0: [u32; 8] =
    [0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19];

/// An HMAC-SHA256 key reduced to its two pad-block midstates.
///
/// The midstates are key-equivalent (they forge any tag), so they are wiped
/// on drop and never printed.
#[derive(Clone)]
pub struct HmacKey {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl core::fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("HmacKey(<secret>)")
    }
}

impl Drop for HmacKey {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}

/// The inner hash state after the ipad block and some whole message blocks.
///
/// Derived from the key, so wiped on drop like it.
#[derive(Clone)]
pub struct Midstate {
    state: [u32; 8],
    /// Message bytes compressed so far, after the ipad block.
    message: usize,
}

impl core::fmt::Debug for Midstate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Midstate").field("message", &self.message).finish_non_exhaustive()
    }
}

impl Drop for Midstate {
    fn drop(&mut self) {
        self.state.zeroize();
    }
}

impl Midstate {
    /// The hash state itself.
    pub(super) fn state(&self) -> &[u32; 8] {
        &self.state
    }

    /// Number of message bytes (after the ipad block) this state has absorbed.
    pub fn message_bytes(&self) -> usize {
        self.message
    }
}

fn compress(state: &mut [u32; 8], block: &[u8; BLOCK]) {
    compress256(state, core::slice::from_ref(GenericArray::from_slice(block)));
}

fn compress_blocks(state: &mut [u32; 8], data: &[u8]) {
    for chunk in data.chunks_exact(BLOCK) {
        compress256(state, core::slice::from_ref(GenericArray::from_slice(chunk)));
    }
}

/// The FIPS 180-4 §5.1.1 padding of a stream of `total` bytes whose last
/// `tail.len() < 64` bytes are `tail`: the final one or two blocks, and
/// their length.
pub(super) fn padded(tail: &[u8], total: u64) -> ([u8; BLOCK * 2], usize) {
    let mut block = [0u8; BLOCK * 2];
    let n = tail.len().min(BLOCK - 1);
    block[..n].copy_from_slice(&tail[..n]);
    block[n] = 0x80;
    let end = if n < BLOCK - 8 { BLOCK } else { BLOCK * 2 };
    block[end - 8..end].copy_from_slice(&total.wrapping_mul(8).to_be_bytes());
    (block, end)
}

fn finish(state: &mut [u32; 8], tail: &[u8], total: u64) {
    let (block, end) = padded(tail, total);
    compress_blocks(state, &block[..end]);
}

pub(super) fn state_bytes(state: &[u32; 8]) -> [u8; TAG] {
    let mut out = [0u8; TAG];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

impl HmacKey {
    /// Loads a key: keys longer than a block are first hashed (RFC 2104 §2),
    /// then both pad blocks are compressed.
    pub fn new(secret: &[u8]) -> Self {
        let mut block = [0u8; BLOCK];
        if secret.len() > BLOCK {
            let mut digest = Sha256::digest(secret);
            block[..TAG].copy_from_slice(&digest);
            digest.zeroize();
        } else {
            block[..secret.len()].copy_from_slice(secret);
        }
        let mut key = Self { inner: H0, outer: H0 };
        for b in &mut block {
            *b ^= 0x36;
        }
        compress(&mut key.inner, &block);
        for b in &mut block {
            // Turns each `k ^ 0x36` into `k ^ 0x5c`.
            *b ^= 0x36 ^ 0x5c;
        }
        compress(&mut key.outer, &block);
        block.zeroize();
        key
    }

    /// The inner state after the ipad block and the whole blocks at the
    /// start of `prefix`; the rest of `prefix` is left for [`Self::sign_from`].
    pub fn midstate(&self, prefix: &[u8]) -> Midstate {
        let whole = prefix.len() - prefix.len() % BLOCK;
        let mut state = self.inner;
        compress_blocks(&mut state, &prefix[..whole]);
        Midstate { state, message: whole }
    }

    /// The hash state after the opad block.
    pub(super) fn outer(&self) -> &[u32; 8] {
        &self.outer
    }

    /// HMAC-SHA256 of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; TAG] {
        let mut state = self.inner;
        self.finish_from(&mut state, 0, message)
    }

    /// HMAC-SHA256 of a message whose leading whole blocks `from` has
    /// absorbed; `rest` is the message without them.
    pub fn sign_from(&self, from: &Midstate, rest: &[u8]) -> [u8; TAG] {
        let mut state = from.state;
        self.finish_from(&mut state, from.message, rest)
    }

    fn finish_from(&self, inner: &mut [u32; 8], absorbed: usize, rest: &[u8]) -> [u8; TAG] {
        let whole = rest.len() - rest.len() % BLOCK;
        compress_blocks(inner, &rest[..whole]);
        finish(inner, &rest[whole..], (BLOCK + absorbed + rest.len()) as u64);
        // The per-signature temporaries are not wiped: they hold the public
        // payload and states that end with this call, and wiping them is
        // hundreds of volatile stores on the hot path. The stored key
        // material (`HmacKey`, `Midstate`) is wiped on drop.
        let digest = state_bytes(inner);
        let mut outer = self.outer;
        finish(&mut outer, &digest, (BLOCK + TAG) as u64);
        state_bytes(&outer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex32(tag: [u8; TAG]) -> [u8; 64] {
        let mut out = [0u8; 64];
        hex::encode_to_slice(tag, &mut out).unwrap();
        out
    }

    // RFC 4231 §4.2, test case 1.
    #[test]
    fn rfc4231_case1() {
        let key = HmacKey::new(&[0x0b; 20]);
        assert_eq!(&hex32(key.sign(b"Hi There")), b"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    }

    #[test]
    fn midstate_matches_one_shot_at_every_split() {
        let key = HmacKey::new(b"key");
        let msg = [0x5au8; 300];
        for len in 0..msg.len() {
            let whole = key.sign(&msg[..len]);
            for cut in [0, 64, 128, 192, 256] {
                if cut <= len {
                    let mid = key.midstate(&msg[..cut]);
                    assert_eq!(mid.message_bytes(), cut);
                    assert_eq!(key.sign_from(&mid, &msg[cut..len]), whole, "len {len} cut {cut}");
                }
            }
        }
    }

    #[test]
    fn debug_hides_key_material() {
        use core::fmt::Write;
        let key = HmacKey::new(b"NhqPtmdSJYdK");
        let mut text = heapless::String::<64>::new();
        write!(text, "{key:?} {:?}", key.midstate(&[0; 64])).unwrap();
        assert_eq!(text, "HmacKey(<secret>) Midstate { message: 64, .. }");
    }
}
