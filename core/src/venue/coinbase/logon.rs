//! Coinbase Exchange's Logon (35=A) and its signature
//! (`docs/protocols/coinbase-fix.md` §Logon): RawData (96) carries
//! base64(HMAC-SHA256(secret, prehash)), where the secret is the API
//! secret base64-decoded, and the prehash joins SendingTime, MsgType,
//! MsgSeqNum, SenderCompID, TargetCompID and Password with SOH, with no
//! separator at the end. SendingTime has exactly three fractional digits
//! and MsgSeqNum no leading zero, or the signature fails.

use core::ops::Range;

use super::fix::{self, Overflow, SOH, TIMESTAMP_LEN, Writer, tag};
use crate::order::digits::{U64_DIGITS, shortest};
use crate::sign::{HmacKey, TAG, base64_std};

/// Coinbase's TargetCompID (56) on order entry.
pub const TARGET_COMP_ID: &str = "Coinbase";

/// Length of the base64 signature.
pub const SIGNATURE_LEN: usize = TAG.div_ceil(3) * 4;

/// The longest prehash: timestamp, `A`, twenty digits, and an API key
/// and passphrase of up to 64 bytes each, with five separators.
pub const PREHASH_CAP: usize = TIMESTAMP_LEN + 1 + U64_DIGITS + 64 + TARGET_COMP_ID.len() + 64 + 5;

/// What the Logon proves and asks for.
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    /// The API key: SenderCompID (49) and Username (553).
    pub api_key: &'a str,
    /// The API passphrase: Password (554).
    pub passphrase: &'a str,
    /// The API secret, base64-decoded, as an HMAC key.
    pub secret: &'a HmacKey,
}

/// CancelOrdersOnDisconnect (8013).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOnDisconnect {
    /// `Y`: every order of the profile (Coinbase's recommendation).
    Profile,
    /// `S`: only the orders this session placed.
    Session,
}

impl CancelOnDisconnect {
    fn value(self) -> &'static [u8] {
        match self {
            Self::Profile => b"Y",
            Self::Session => b"S",
        }
    }
}

/// The Logon's session parameters.
#[derive(Debug, Clone, Copy)]
pub struct LogonParams {
    /// HeartBtInt (108), seconds; Coinbase allows at most 30.
    pub heartbeat_secs: u8,
    /// ResetSeqNumFlag (141): both sides start again at 1.
    pub reset_seq: bool,
    /// CancelOrdersOnDisconnect (8013).
    pub cancel_on_disconnect: CancelOnDisconnect,
}

/// The prehash of a Logon sent at `sending_time` as `seq`, into `out`;
/// returns its length.
pub fn prehash(
    creds: &Credentials<'_>,
    sending_time: &[u8; TIMESTAMP_LEN],
    seq: u64,
    out: &mut [u8],
) -> Result<usize, Overflow> {
    let mut digits = [0u8; U64_DIGITS];
    let seq = shortest(seq, &mut digits);
    let parts: [&[u8]; 6] =
        [sending_time, b"A", seq, creds.api_key.as_bytes(), TARGET_COMP_ID.as_bytes(), creds.passphrase.as_bytes()];
    let mut len = 0;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            *out.get_mut(len).ok_or(Overflow)? = SOH;
            len += 1;
        }
        out.get_mut(len..len + part.len()).ok_or(Overflow)?.copy_from_slice(part);
        len += part.len();
    }
    Ok(len)
}

/// The base64 signature of `prehash`.
pub fn signature(secret: &HmacKey, prehash: &[u8]) -> [u8; SIGNATURE_LEN] {
    let mut out = [0u8; SIGNATURE_LEN];
    // 32 bytes always encode to 44: the buffer is exactly that long.
    let _ = base64_std(&secret.sign(prehash), &mut out);
    out
}

/// Renders the Logon sent as `seq` at `unix_ns` into `buf`; the message is
/// `buf[range]`.
pub fn logon(
    buf: &mut [u8],
    creds: &Credentials<'_>,
    params: &LogonParams,
    seq: u64,
    unix_ns: u64,
) -> Result<Range<usize>, Overflow> {
    let sending_time = fix::utc_timestamp(unix_ns);
    let mut pre = [0u8; PREHASH_CAP];
    let len = prehash(creds, &sending_time, seq, &mut pre)?;
    let sig = signature(creds.secret, pre.get(..len).ok_or(Overflow)?);
    let mut w = Writer::new(buf, b"A");
    w.uint(tag::MSG_SEQ_NUM, seq)
        .field(tag::SENDER_COMP_ID, creds.api_key.as_bytes())
        .field(tag::SENDING_TIME, &sending_time)
        .field(tag::TARGET_COMP_ID, TARGET_COMP_ID.as_bytes())
        .field(tag::ENCRYPT_METHOD, b"0")
        .uint(tag::HEART_BT_INT, u64::from(params.heartbeat_secs))
        .field(tag::RESET_SEQ_NUM_FLAG, if params.reset_seq { b"Y" } else { b"N" })
        .field(tag::USERNAME, creds.api_key.as_bytes())
        .field(tag::PASSWORD, creds.passphrase.as_bytes())
        .uint(tag::RAW_DATA_LENGTH, SIGNATURE_LEN as u64)
        .field(tag::RAW_DATA, &sig)
        // DefaultApplVerID 9: FIX 5.0 SP2.
        .field(tag::DEFAULT_APPL_VER_ID, b"9")
        .field(tag::CANCEL_ORDERS_ON_DISCONNECT, params.cancel_on_disconnect.value());
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venue::coinbase::fix::Message;

    /// The vector in `docs/protocols/coinbase-fix.md` §Logon: secret
    /// `c2VjcmV0` ("secret"), key `key123`, passphrase `pass`, sent
    /// 2023-08-22 20:43:30.000 as MsgSeqNum 1 (computed with Python's hmac
    /// and `openssl dgst -hmac`, not published by Coinbase).
    #[test]
    fn the_documented_vector() {
        let secret = HmacKey::new(b"secret");
        let creds = Credentials { api_key: "key123", passphrase: "pass", secret: &secret };
        let mut pre = [0u8; PREHASH_CAP];
        let n = prehash(&creds, b"20230822-20:43:30.000", 1, &mut pre).unwrap();
        assert_eq!(&pre[..n], b"20230822-20:43:30.000\x01A\x011\x01key123\x01Coinbase\x01pass");
        assert_eq!(&signature(&secret, &pre[..n]), b"S39jvQ4fgGiMtrpMl8QiKq+LmZnwuEI5B5h8+1yloWw=");
    }

    #[test]
    fn the_logon_carries_the_signature_over_its_own_fields() {
        let secret = HmacKey::new(b"secret");
        let creds = Credentials { api_key: "key123", passphrase: "pass", secret: &secret };
        let params =
            LogonParams { heartbeat_secs: 10, reset_seq: true, cancel_on_disconnect: CancelOnDisconnect::Profile };
        let mut buf = [0u8; 512];
        let range = logon(&mut buf, &creds, &params, 1, 1_692_737_010_000_000_000).unwrap();
        let (m, _) = Message::parse(&buf[range]).unwrap().unwrap();
        assert_eq!(m.msg_type(), b"A");
        assert_eq!(m.get(tag::SENDING_TIME), Some(&b"20230822-20:43:30.000"[..]));
        assert_eq!(m.get(tag::RAW_DATA), Some(&b"S39jvQ4fgGiMtrpMl8QiKq+LmZnwuEI5B5h8+1yloWw="[..]));
        assert_eq!(m.get(tag::RAW_DATA_LENGTH), Some(&b"44"[..]));
        assert_eq!(m.get(tag::CANCEL_ORDERS_ON_DISCONNECT), Some(&b"Y"[..]));
        assert_eq!(m.get(tag::PASSWORD), Some(&b"pass"[..]));
        assert_eq!(m.get(tag::HEART_BT_INT), Some(&b"10"[..]));
    }
}
