//! Request signing for the venues: Binance's HMAC-SHA256 over the sorted
//! parameter string with lowercase hex output, and Ed25519 with standard
//! base64 output (`docs/protocols/binance-ws-api.md` §Signing), into fixed buffers. HMAC keys are kept
//! as pad-block midstates ([`HmacKey`]); [`backend`] names the SHA-256 path
//! `sha2` dispatches to at run time on this CPU, and [`sign_many`] signs
//! eight equal-length payloads at once in AVX2 lanes where the CPU has them.

mod hex;
mod hmac;
// The AVX2 lanes need `core::arch` intrinsics; each unsafe block carries
// its `// SAFETY:` argument.
#[allow(unsafe_code)]
mod multi;

use base64::Engine as _;
use ed25519_dalek::Signer as _;

pub use hex::hex_lower;
pub use hmac::{BLOCK, HmacKey, Midstate, TAG};
pub use multi::{LANES, lanes, sign_many};

/// Length of a lowercase-hex HMAC-SHA256 tag.
pub const HEX_TAG: usize = TAG * 2;

/// Length of an Ed25519 signature.
pub const ED25519_SIG: usize = 64;

/// Length of a standard, padded base64 Ed25519 signature.
pub const BASE64_ED25519_SIG: usize = ED25519_SIG.div_ceil(3) * 4;

/// The output buffer does not have the length the encoding needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeError {
    /// Bytes the encoding needs.
    pub needed: usize,
    /// Bytes the buffer has.
    pub available: usize,
}

/// Writes `bytes` as standard, padded base64 (RFC 4648 §4) into the start of
/// `out` and returns the encoded length.
pub fn base64_std(bytes: &[u8], out: &mut [u8]) -> Result<usize, EncodeError> {
    base64::engine::general_purpose::STANDARD
        .encode_slice(bytes, out)
        .map_err(|_| EncodeError { needed: bytes.len().div_ceil(3) * 4, available: out.len() })
}

/// An Ed25519 signing key (RFC 8032), wiped on drop by `ed25519-dalek`.
#[derive(Clone)]
pub struct Ed25519Key(ed25519_dalek::SigningKey);

impl core::fmt::Debug for Ed25519Key {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Ed25519Key(<secret>)")
    }
}

impl Ed25519Key {
    /// The key whose 32-byte secret seed is `seed`.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    /// The public key, as registered with the venue.
    pub fn public(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    /// The Ed25519 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; ED25519_SIG] {
        self.0.sign(message).to_bytes()
    }
}

/// The SHA-256 compression path `sha2` takes on this CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// x86 SHA extensions (`sha256rnds2`), picked at run time.
    ShaNi,
    /// Portable Rust rounds.
    Portable,
}

impl Backend {
    /// Short name for logs and `hotline cpu`.
    pub fn name(self) -> &'static str {
        match self {
            Self::ShaNi => "sha-ni",
            Self::Portable => "portable",
        }
    }
}

// The same probe, with the same feature list, as sha2 0.10's x86 backend
// (`src/sha256/x86.rs`), so the answer is the path its `compress256` takes.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
cpufeatures::new!(shani_cpuid, "sha", "sse2", "ssse3", "sse4.1");

/// The SHA-256 path in use on this CPU.
pub fn backend() -> Backend {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    if shani_cpuid::get() {
        return Backend::ShaNi;
    }
    Backend::Portable
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 4648 §10 test vectors.
    #[test]
    fn base64_rfc4648_vectors() {
        for (input, expected) in [
            (&b""[..], &b""[..]),
            (b"f", b"Zg=="),
            (b"fo", b"Zm8="),
            (b"foo", b"Zm9v"),
            (b"foob", b"Zm9vYg=="),
            (b"fooba", b"Zm9vYmE="),
            (b"foobar", b"Zm9vYmFy"),
        ] {
            let mut out = [0u8; 8];
            let n = base64_std(input, &mut out).unwrap();
            assert_eq!(&out[..n], expected);
        }
        assert!(base64_std(b"foobar", &mut [0u8; 7]).is_err());
    }
}
