//! One request rendered once: the JSON text frame of a Binance WebSocket API
//! request and, beside it, its signature payload (every param but
//! `signature`, sorted by name, `k=v` joined by `&`,
//! `docs/protocols/binance-ws-api.md` §Signing).
//! Values that change per order sit in fixed-width slots at known offsets
//! in both texts, so patching formats a value once, copies it into its two
//! places, and signing hashes the payload and writes the tag into the JSON.

use heapless::Vec;

use crate::order::digits::{self, Overflow};
use crate::sign::{
    BASE64_ED25519_SIG, ED25519_SIG, Ed25519Key, EncodeError, HEX_TAG, HmacKey, Midstate, TAG, base64_std, hex_lower,
};

/// Capacity of a rendered request.
pub const REQUEST_CAP: usize = 640;

/// Capacity of a rendered signature payload.
pub const PAYLOAD_CAP: usize = 512;

/// Most params one request template holds.
const MAX_PARAMS: usize = 16;

/// What changes from one order to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The request `id` (JSON only: not a param, not signed).
    RequestId,
    /// `newClientOrderId`.
    ClientOrderId,
    /// `origClientOrderId` of the order a cancel or status query names.
    OrigClientOrderId,
    /// `price`, in steps of the instrument's tick.
    Price,
    /// `quantity`, in steps of the instrument's lot.
    Quantity,
    /// `timestamp`, in the template's time unit.
    Timestamp,
    /// `fromId` of `myTrades`: the first trade id the page returns.
    FromId,
}

const SLOTS: usize = 7;

impl Slot {
    fn index(self) -> usize {
        match self {
            Self::RequestId => 0,
            Self::ClientOrderId => 1,
            Self::OrigClientOrderId => 2,
            Self::Price => 3,
            Self::Quantity => 4,
            Self::Timestamp => 5,
            Self::FromId => 6,
        }
    }
}

/// How a slot's digits are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// A JSON string of zero-padded digits: a client order id (a `STRING`
    /// param), or an id such as `fromId`, which Binance takes as a string
    /// (its own examples send `"orderId":"23"`) and checks against
    /// `^[0-9]{1,20}$` (its -1100 `ILLEGAL_CHARS` answer), leading zeros
    /// and all (`docs/protocols/binance-ws-api.md` §Request format,
    /// §myTrades).
    Padded,
    /// A JSON number of exactly the slot's width (no leading zero).
    Exact,
    /// A JSON string `I.F` with this many fraction digits, integer part
    /// zero-padded; Binance's parameter rule `^([0-9]{1,20})(\.[0-9]{1,20})?$`
    /// admits the leading zeros.
    Decimal(u8),
}

/// A param value while a template is being built.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    /// A string known at start-up.
    Text(&'a str),
    /// A number known at start-up.
    Number(u64),
    /// A per-order value of fixed width.
    Slot(Slot, Format, u8),
}

/// One request param.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Param<'a> {
    pub(crate) name: &'static str,
    pub(crate) value: Value<'a>,
}

/// How a template signs itself.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    /// `apiKey` and a hex HMAC-SHA256 `signature` in every request.
    Hmac {
        /// The API key, sent as the `apiKey` param.
        api_key: &'a str,
        /// The secret key.
        key: &'a HmacKey,
    },
    /// `apiKey` and a base64 Ed25519 `signature` in the request; what
    /// `session.logon` uses.
    Ed25519 {
        /// The API key, sent as the `apiKey` param.
        api_key: &'a str,
        /// The private key.
        key: &'a Ed25519Key,
    },
    /// On a connection after `session.logon`: no `apiKey`, no `signature`,
    /// only `timestamp` (`docs/protocols/binance-ws-api.md` §Session logon).
    Session,
}

#[derive(Debug, Clone)]
enum Signer {
    None,
    Hmac { key: HmacKey, prefix: Midstate },
    Ed25519(Ed25519Key),
}

/// A template could not be rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildError {
    /// The request or its payload exceeds [`REQUEST_CAP`] / [`PAYLOAD_CAP`].
    TooLong,
    /// More params than a template holds.
    TooManyParams,
    /// A start-up string would need JSON escaping (quote, backslash, control
    /// character), so its JSON and payload spellings would differ.
    NeedsEscape(&'static str),
    /// A slot width outside what its value type can fill.
    Width(Slot),
    /// This request needs a key (`session.logon` under [`Auth::Session`]).
    NeedsKey,
    /// A start-up value outside what Binance accepts for this param.
    OutOfRange(&'static str),
}

/// A per-order value could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchError {
    /// The template has no such slot.
    NoSlot(Slot),
    /// The value needs more digits than the slot's width (or, for a JSON
    /// number, fewer).
    Overflow(Slot),
    /// The signature did not fit its slot.
    Signature(EncodeError),
}

enum Signature {
    Hmac([u8; TAG]),
    Ed25519([u8; ED25519_SIG]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Place {
    json: usize,
    payload: Option<usize>,
    width: usize,
    format: Format,
}

/// A request template: the exact bytes of one request with fixed-width
/// slots, plus its signature payload whose slots alias the same values.
#[derive(Debug, Clone)]
pub struct Template {
    json: [u8; REQUEST_CAP],
    json_len: usize,
    payload: [u8; PAYLOAD_CAP],
    payload_len: usize,
    slots: [Option<Place>; SLOTS],
    signature: usize,
    signer: Signer,
}

struct Out<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl Out<'_> {
    fn push(&mut self, bytes: &[u8]) -> Result<(), BuildError> {
        let end = self.len + bytes.len();
        self.buf.get_mut(self.len..end).ok_or(BuildError::TooLong)?.copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    /// Reserves `width` bytes of `fill` and returns their offset.
    fn reserve(&mut self, width: usize, fill: u8) -> Result<usize, BuildError> {
        let at = self.len;
        let end = at + width;
        self.buf.get_mut(at..end).ok_or(BuildError::TooLong)?.fill(fill);
        self.len = end;
        Ok(at)
    }
}

fn check_text(name: &'static str, text: &str) -> Result<(), BuildError> {
    if text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        return Err(BuildError::NeedsEscape(name));
    }
    Ok(())
}

fn check_width(slot: Slot, format: Format, width: u8) -> Result<(), BuildError> {
    let width = usize::from(width);
    let ok = match format {
        Format::Padded | Format::Exact => (1..=digits::U64_DIGITS).contains(&width),
        Format::Decimal(0) => (1..=digits::U64_DIGITS).contains(&width),
        Format::Decimal(d) => width > usize::from(d) + 1 && usize::from(d) < digits::U64_DIGITS,
    };
    if ok { Ok(()) } else { Err(BuildError::Width(slot)) }
}

impl Template {
    /// Renders `method` with `params` (any order; rendered sorted by name),
    /// a request-id slot of `id_width` digits, and the auth params.
    pub(crate) fn render(method: &str, id_width: u8, params: &[Param<'_>], auth: Auth<'_>) -> Result<Self, BuildError> {
        check_text("method", method)?;
        check_width(Slot::RequestId, Format::Padded, id_width)?;
        let mut sorted: Vec<Param<'_>, MAX_PARAMS> = Vec::new();
        let api_key = match auth {
            Auth::Hmac { api_key, .. } | Auth::Ed25519 { api_key, .. } => Some(api_key),
            Auth::Session => None,
        };
        let auth_param = api_key.map(|key| Param { name: "apiKey", value: Value::Text(key) });
        for param in params.iter().chain(auth_param.iter()) {
            match param.value {
                Value::Text(text) => check_text(param.name, text)?,
                Value::Slot(slot, format, width) => check_width(slot, format, width)?,
                Value::Number(_) => {}
            }
            sorted.push(*param).map_err(|_| BuildError::TooManyParams)?;
        }
        sorted.sort_unstable_by(|a, b| a.name.cmp(b.name));

        let mut t = Self {
            json: [0; REQUEST_CAP],
            json_len: 0,
            payload: [0; PAYLOAD_CAP],
            payload_len: 0,
            slots: [None; SLOTS],
            signature: 0,
            signer: Signer::None,
        };
        let mut json = Out { buf: &mut t.json, len: 0 };
        let mut payload = Out { buf: &mut t.payload, len: 0 };
        json.push(b"{\"id\":\"")?;
        t.slots[Slot::RequestId.index()] = Some(Place {
            json: json.reserve(usize::from(id_width), b'0')?,
            payload: None,
            width: usize::from(id_width),
            format: Format::Padded,
        });
        json.push(b"\",\"method\":\"")?;
        json.push(method.as_bytes())?;
        json.push(b"\",\"params\":{")?;
        let mut number = [0u8; digits::U64_DIGITS];
        for (i, param) in sorted.iter().enumerate() {
            if i > 0 {
                json.push(b",")?;
                payload.push(b"&")?;
            }
            json.push(b"\"")?;
            json.push(param.name.as_bytes())?;
            json.push(b"\":")?;
            payload.push(param.name.as_bytes())?;
            payload.push(b"=")?;
            match param.value {
                Value::Text(text) => {
                    json.push(b"\"")?;
                    json.push(text.as_bytes())?;
                    json.push(b"\"")?;
                    payload.push(text.as_bytes())?;
                }
                Value::Number(n) => {
                    let text = digits::shortest(n, &mut number);
                    json.push(text)?;
                    payload.push(text)?;
                }
                Value::Slot(slot, format, width) => {
                    let width = usize::from(width);
                    let quoted = format != Format::Exact;
                    if quoted {
                        json.push(b"\"")?;
                    }
                    let at = json.reserve(width, b'0')?;
                    if quoted {
                        json.push(b"\"")?;
                    }
                    t.slots[slot.index()] =
                        Some(Place { json: at, payload: Some(payload.reserve(width, b'0')?), width, format });
                }
            }
        }
        let signature_width = match auth {
            Auth::Hmac { .. } => Some(HEX_TAG),
            Auth::Ed25519 { .. } => Some(BASE64_ED25519_SIG),
            Auth::Session => None,
        };
        if let Some(width) = signature_width {
            json.push(if sorted.is_empty() { b"" } else { b"," })?;
            json.push(b"\"signature\":\"")?;
            t.signature = json.reserve(width, b'0')?;
            json.push(b"\"")?;
        }
        json.push(b"}}")?;
        t.json_len = json.len;
        t.payload_len = payload.len;
        t.signer = match auth {
            Auth::Hmac { key, .. } => {
                // Everything before the first slot is the same in every
                // order, so its whole blocks are hashed here, once.
                let constant = t.slots.iter().flatten().filter_map(|p| p.payload).min().unwrap_or(t.payload_len);
                Signer::Hmac { key: key.clone(), prefix: key.midstate(t.payload.get(..constant).unwrap_or_default()) }
            }
            Auth::Ed25519 { key, .. } => Signer::Ed25519(key.clone()),
            Auth::Session => Signer::None,
        };
        Ok(t)
    }

    /// Whether the template has `slot`.
    pub fn has(&self, slot: Slot) -> bool {
        self.slots[slot.index()].is_some()
    }

    /// Writes `value` into `slot`, in the request and in the payload.
    pub fn set(&mut self, slot: Slot, value: u64) -> Result<(), PatchError> {
        let place = self.slots[slot.index()].ok_or(PatchError::NoSlot(slot))?;
        let field = self.json.get_mut(place.json..place.json + place.width).ok_or(PatchError::NoSlot(slot))?;
        write_slot(place.format, value, field).map_err(|Overflow| PatchError::Overflow(slot))?;
        if let Some(at) = place.payload {
            self.payload.get_mut(at..at + place.width).ok_or(PatchError::NoSlot(slot))?.copy_from_slice(field);
        }
        Ok(())
    }

    /// Signs the payload as it stands and writes the signature into the
    /// request. Does nothing for a [`Auth::Session`] template.
    pub fn sign(&mut self) -> Result<(), PatchError> {
        let payload = self.payload();
        let signature = match &self.signer {
            Signer::None => return Ok(()),
            Signer::Hmac { key, prefix } => {
                Signature::Hmac(key.sign_from(prefix, payload.get(prefix.message_bytes()..).unwrap_or_default()))
            }
            Signer::Ed25519(key) => Signature::Ed25519(key.sign(payload)),
        };
        let (at, width) = self.signature_slot();
        let out = self.json.get_mut(at..at + width).unwrap_or_default();
        match signature {
            Signature::Hmac(tag) => hex_lower(&tag, out),
            Signature::Ed25519(sig) => base64_std(&sig, out).map(drop),
        }
        .map_err(PatchError::Signature)
    }

    /// The request as it stands: one WebSocket text frame's payload.
    pub fn request(&self) -> &[u8] {
        self.json.get(..self.json_len).unwrap_or_default()
    }

    /// The signature payload as it stands.
    pub fn payload(&self) -> &[u8] {
        self.payload.get(..self.payload_len).unwrap_or_default()
    }

    /// The HMAC key and the payload's constant-prefix midstate, if the
    /// template signs with HMAC.
    pub(crate) fn hmac(&self) -> Option<(&HmacKey, &Midstate)> {
        match &self.signer {
            Signer::Hmac { key, prefix } => Some((key, prefix)),
            Signer::None | Signer::Ed25519(_) => None,
        }
    }

    /// Offset and width of the signature slot in the request.
    pub(crate) fn signature_slot(&self) -> (usize, usize) {
        let width = match self.signer {
            Signer::Hmac { .. } => HEX_TAG,
            Signer::Ed25519(_) => BASE64_ED25519_SIG,
            Signer::None => 0,
        };
        (self.signature, width)
    }

    /// Offset and width of `slot` in the request.
    pub(crate) fn json_slot(&self, slot: Slot) -> Option<(usize, usize)> {
        self.slots[slot.index()].map(|p| (p.json, p.width))
    }
}

/// Formats `value` for a slot laid out as `format` into `out`.
pub(crate) fn write_slot(format: Format, value: u64, out: &mut [u8]) -> Result<(), Overflow> {
    match format {
        Format::Padded => digits::write_padded(value, out),
        Format::Exact => digits::write_exact(value, out),
        Format::Decimal(d) => digits::write_decimal(value, usize::from(d), out),
    }
}
