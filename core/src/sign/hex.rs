//! Lowercase hex (RFC 4648 §8, base16) into a fixed buffer: the encoding of
//! Binance HMAC signatures (`docs/protocols/binance-ws-api.md` §Signing). A table of byte pairs
//! writes each input byte with one lookup; the `hex` crate's
//! `encode_to_slice` took about 120 ns for a 32-byte tag here, a third of a
//! whole signature.

use super::EncodeError;

/// `"00" "01" … "ff"`.
const PAIRS: [u8; 512] = {
    let digits = b"0123456789abcdef";
    let mut pairs = [0u8; 512];
    let mut i = 0;
    while i < 256 {
        pairs[2 * i] = digits[i >> 4];
        pairs[2 * i + 1] = digits[i & 0xf];
        i += 1;
    }
    pairs
};

/// Writes `bytes` as lowercase hex into `out`, which must be exactly twice as
/// long (Binance accepts either case; lowercase is what its examples show).
pub fn hex_lower(bytes: &[u8], out: &mut [u8]) -> Result<(), EncodeError> {
    if out.len() != bytes.len() * 2 {
        return Err(EncodeError { needed: bytes.len() * 2, available: out.len() });
    }
    for (pair, &byte) in out.chunks_exact_mut(2).zip(bytes) {
        let at = usize::from(byte) * 2;
        pair.copy_from_slice(&PAIRS[at..at + 2]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_and_exact_length() {
        let bytes: [u8; 256] = core::array::from_fn(|i| i as u8);
        let mut out = [0u8; 512];
        hex_lower(&bytes, &mut out).unwrap();
        let mut expected = [0u8; 512];
        hex::encode_to_slice(bytes, &mut expected).unwrap();
        assert_eq!(out, expected);
        assert_eq!(hex_lower(&[0xab, 0x01], &mut out[..5]), Err(EncodeError { needed: 4, available: 5 }));
        hex_lower(&[0xab, 0x01], &mut out[..4]).unwrap();
        assert_eq!(&out[..4], b"ab01");
    }
}
