//! The benchmarks' Coinbase exchange, in memory: FIX 5.0 SP2 order entry
//! over TLS, written apart from hotline's FIX codec so that the engine's
//! messages are read by a peer that shares no code with it
//! (docs/protocols/coinbase-fix.md). TLS records from a client turn into
//! plaintext in rustls ([`super::tls`]); the tag=value stream is split at
//! SOH by hand, with BodyLength (9) and CheckSum (10) checked (§Framing);
//! the Logon's signature is computed again with the hmac, sha2 and base64
//! crates (§Logon); and each message gets the answer Coinbase's gateway
//! gives: a Logon for the Logon, a Heartbeat echoing TestReqID (112) for a
//! TestRequest, an ExecutionReport with ExecType I for an
//! OrderStatusRequest, and for every NewOrderSingle an ExecutionReport that
//! fills it in full (ExecType F, OrdStatus 2, LastPx, LastQty, TradeID;
//! §Execution reports). Its MsgSeqNum counts from 1 after the Logon; the
//! client's must come without a gap (a dry run that took a number would
//! show here). Every answer leaves as its own TLS record.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use hotline_fix_acceptor::{KEY, PASSPHRASE, SECRET_B64};
use sha2::Sha256;

use super::tls::{Pipe, ServerTls};
use crate::lab::coinbase::INSTRUMENT;

/// The field separator.
const SOH: u8 = 0x01;
/// BeginString FIXT.1.1 and the BodyLength tag: how every message starts.
const BEGIN: &[u8] = b"8=FIXT.1.1\x019=";
/// Coinbase's SenderCompID, and the TargetCompID of what it is sent.
const COINBASE: &str = "Coinbase";

/// The tags this peer reads or writes (FIX 5.0 SP2, and Coinbase's own
/// 1003 TradeID and 1057 AggressorIndicator).
mod tag {
    pub(super) const AVG_PX: u32 = 6;
    pub(super) const CHECK_SUM: u32 = 10;
    pub(super) const CL_ORD_ID: u32 = 11;
    pub(super) const CUM_QTY: u32 = 14;
    pub(super) const EXEC_ID: u32 = 17;
    pub(super) const LAST_PX: u32 = 31;
    pub(super) const LAST_QTY: u32 = 32;
    pub(super) const MSG_SEQ_NUM: u32 = 34;
    pub(super) const MSG_TYPE: u32 = 35;
    pub(super) const ORDER_ID: u32 = 37;
    pub(super) const ORDER_QTY: u32 = 38;
    pub(super) const ORD_STATUS: u32 = 39;
    pub(super) const ORD_TYPE: u32 = 40;
    pub(super) const PRICE: u32 = 44;
    pub(super) const SENDER_COMP_ID: u32 = 49;
    pub(super) const SENDING_TIME: u32 = 52;
    pub(super) const SIDE: u32 = 54;
    pub(super) const SYMBOL: u32 = 55;
    pub(super) const TARGET_COMP_ID: u32 = 56;
    pub(super) const TEXT: u32 = 58;
    pub(super) const TIME_IN_FORCE: u32 = 59;
    pub(super) const TRANSACT_TIME: u32 = 60;
    pub(super) const NO_ORDERS: u32 = 73;
    pub(super) const RAW_DATA_LENGTH: u32 = 95;
    pub(super) const RAW_DATA: u32 = 96;
    pub(super) const ENCRYPT_METHOD: u32 = 98;
    pub(super) const HEART_BT_INT: u32 = 108;
    pub(super) const TEST_REQ_ID: u32 = 112;
    pub(super) const RESET_SEQ_NUM_FLAG: u32 = 141;
    pub(super) const EXEC_TYPE: u32 = 150;
    pub(super) const LEAVES_QTY: u32 = 151;
    pub(super) const USERNAME: u32 = 553;
    pub(super) const PASSWORD: u32 = 554;
    pub(super) const ORD_STATUS_REQ_ID: u32 = 790;
    pub(super) const TRADE_ID: u32 = 1003;
    pub(super) const AGGRESSOR_INDICATOR: u32 = 1057;
    pub(super) const DEFAULT_APPL_VER_ID: u32 = 1137;
    pub(super) const BATCH_ID: u32 = 8014;
}

/// One client's Coinbase exchange: TLS, the plaintext stream, the session.
#[derive(Debug)]
pub(crate) struct FixVenue {
    tls: ServerTls,
    pipe: Pipe,
    gateway: Gateway,
}

impl FixVenue {
    /// A venue waiting for the client's TLS hello.
    pub(crate) fn new(config: Arc<rustls::ServerConfig>) -> Result<Self, String> {
        Ok(Self { tls: ServerTls::new(config)?, pipe: Pipe::default(), gateway: Gateway::default() })
    }

    /// Takes the client's bytes and answers every whole message in them.
    pub(crate) fn receive(&mut self, wire: &[u8]) -> Result<(), String> {
        self.tls.receive(wire, &mut self.pipe.rx)?;
        while let Some(len) = frame(self.pipe.unread())? {
            let answer = self.gateway.answer(&self.pipe.unread()[..len])?;
            self.pipe.consume(len);
            if let Some(answer) = answer {
                self.tls.seal(answer.as_bytes())?;
            }
        }
        Ok(())
    }

    /// The next TLS bytes for the client: handshake flights, then one
    /// answer per call.
    pub(crate) fn pop_record(&mut self) -> Option<Vec<u8>> {
        self.tls.pop_record()
    }

    /// NewOrderSingles read, checked and filled since the last call.
    pub(crate) fn take_placed(&mut self) -> u64 {
        std::mem::take(&mut self.gateway.placed)
    }
}

/// The length of the first whole message in `buf`, `None` until all of it
/// has arrived: BeginString FIXT.1.1, BodyLength counting from `35=` to the
/// separator before `10=`, and CheckSum the sum of every byte before `10=`
/// modulo 256 in three digits (§Framing).
fn frame(buf: &[u8]) -> Result<Option<usize>, String> {
    let head = buf.len().min(BEGIN.len());
    if buf[..head] != BEGIN[..head] {
        return Err(format!("not a FIXT.1.1 message: {}", shown(buf)));
    }
    let Some(digits) = buf.get(BEGIN.len()..).and_then(|rest| rest.iter().position(|&b| b == SOH)) else {
        return Ok(None);
    };
    let body = BEGIN.len() + digits + 1;
    let len = number(&buf[BEGIN.len()..body - 1]).ok_or_else(|| format!("bad BodyLength: {}", shown(buf)))?;
    let trailer = body + usize::try_from(len).map_err(|_| "BodyLength out of range")?;
    let end = trailer + b"10=000\x01".len();
    let Some(message) = buf.get(..end) else { return Ok(None) };
    if message[trailer - 1] != SOH || !message[trailer..].starts_with(b"10=") || message[end - 1] != SOH {
        return Err(format!("BodyLength {len} does not end where the trailer starts: {}", shown(message)));
    }
    let sum = message[..trailer].iter().fold(0u8, |sum, &b| sum.wrapping_add(b));
    if number(&message[trailer + 3..end - 1]) != Some(u64::from(sum)) {
        return Err(format!("CheckSum is not {sum:03}: {}", shown(message)));
    }
    Ok(Some(end))
}

/// A non-empty run of ASCII digits as a number.
fn number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// A message for an error: SOH as `|`.
fn shown(message: &[u8]) -> String {
    String::from_utf8_lossy(message).replace('\x01', "|")
}

/// A message's fields in order, split at SOH.
struct Fields<'a>(Vec<(u32, &'a str)>);

impl<'a> Fields<'a> {
    /// Splits a framed message; every field must be `tag=value` with a
    /// numeric tag and a value, and MsgType must follow BodyLength.
    fn split(message: &'a [u8]) -> Result<Self, String> {
        let text = std::str::from_utf8(message).map_err(|_| format!("not text: {}", shown(message)))?;
        let fields = text
            .strip_suffix('\x01')
            .unwrap_or(text)
            .split('\x01')
            .map(|field| {
                let (tag, value) = field.split_once('=').ok_or_else(|| format!("no '=' in {field:?}"))?;
                let tag = number(tag.as_bytes()).and_then(|t| u32::try_from(t).ok());
                match tag {
                    Some(tag) if !value.is_empty() => Ok((tag, value)),
                    _ => Err(format!("bad field {field:?}")),
                }
            })
            .collect::<Result<Vec<_>, String>>()?;
        if fields.get(2).map(|f| f.0) != Some(tag::MSG_TYPE) {
            return Err(format!("MsgType is not the third field: {}", shown(message)));
        }
        Ok(Self(fields))
    }

    fn get(&self, tag: u32) -> Option<&'a str> {
        self.0.iter().find(|f| f.0 == tag).map(|f| f.1)
    }

    /// The value of `tag`, which the message must carry.
    fn need(&self, tag: u32) -> Result<&'a str, String> {
        self.get(tag).ok_or_else(|| format!("no tag {tag} in {}", self.shown()))
    }

    fn msg_type(&self) -> &'a str {
        self.0[2].1
    }

    fn shown(&self) -> String {
        self.0.iter().map(|(tag, value)| format!("{tag}={value}|")).collect()
    }
}

/// Where the session stands.
#[derive(Debug, Default)]
enum Session {
    /// Waiting for the client's Logon.
    #[default]
    LoggingOn,
    /// Logged on as this SenderCompID; the client's next MsgSeqNum and
    /// this side's.
    Active { client: String, next_in: u64, next_out: u64 },
    /// Logged out: nothing more is read.
    Closed,
}

/// An order filled, as a status request is answered about it.
#[derive(Debug)]
struct Filled {
    order_id: String,
    side: String,
    qty: String,
    price: String,
}

/// The session: checks each message from the client and writes its answer.
#[derive(Debug, Default)]
struct Gateway {
    session: Session,
    /// NewOrderSingles filled since the owner last took the count.
    placed: u64,
    filled: HashMap<String, Filled>,
    /// The last OrderID, ExecID and TradeID given, one counter for all.
    last_id: u64,
}

impl Gateway {
    /// The answer to one framed message, if it has one; an error for
    /// anything Coinbase would refuse.
    fn answer(&mut self, message: &[u8]) -> Result<Option<String>, String> {
        let f = Fields::split(message)?;
        let seq = f.need(tag::MSG_SEQ_NUM).map(|s| number(s.as_bytes()))?.ok_or("bad MsgSeqNum")?;
        if f.need(tag::TARGET_COMP_ID)? != COINBASE {
            return Err(format!("TargetCompID is not {COINBASE}: {}", f.shown()));
        }
        if !is_utc_ms(f.need(tag::SENDING_TIME)?) {
            return Err(format!("SendingTime needs three fraction digits: {}", f.shown()));
        }
        let Session::Active { client, next_in, .. } = &mut self.session else {
            return match (&self.session, f.msg_type()) {
                (Session::LoggingOn, "A") => self.logon(&f, seq).map(Some),
                (Session::LoggingOn, _) => Err(format!("a message before the Logon: {}", f.shown())),
                _ => Err(format!("a message after the Logout: {}", f.shown())),
            };
        };
        if seq != *next_in {
            return Err(format!("MsgSeqNum {seq}, expected {next_in}: {}", f.shown()));
        }
        *next_in += 1;
        if f.need(tag::SENDER_COMP_ID)? != client {
            return Err(format!("SenderCompID is not {client}: {}", f.shown()));
        }
        match f.msg_type() {
            // Heartbeat.
            "0" => Ok(None),
            // TestRequest: a Heartbeat naming it.
            "1" => self.render("0", &[(tag::TEST_REQ_ID, f.need(tag::TEST_REQ_ID)?)]).map(Some),
            "D" => self.order(&f).map(Some),
            "U6" => self.batch(&f).map(Some),
            "H" => self.status(&f).map(Some),
            // Logout: answered with one, and the session is over.
            "5" => {
                let answer = self.render("5", &[])?;
                self.session = Session::Closed;
                Ok(Some(answer))
            }
            other => Err(format!("MsgType {other} is not served here: {}", f.shown())),
        }
    }

    /// Checks a Logon (§Logon) and logs the client on: numbers start at 1
    /// both ways (ResetSeqNumFlag).
    fn logon(&mut self, f: &Fields<'_>, seq: u64) -> Result<String, String> {
        let expect = |tag: u32, value: &str| match f.get(tag) {
            Some(v) if v == value => Ok(()),
            _ => Err(format!("tag {tag} is not {value}: {}", f.shown())),
        };
        expect(tag::USERNAME, KEY)?;
        expect(tag::PASSWORD, PASSPHRASE)?;
        expect(tag::ENCRYPT_METHOD, "0")?;
        expect(tag::RESET_SEQ_NUM_FLAG, "Y")?;
        expect(tag::DEFAULT_APPL_VER_ID, "9")?;
        if seq != 1 {
            return Err(format!("the Logon's MsgSeqNum is {seq}, not 1: {}", f.shown()));
        }
        let raw = f.need(tag::RAW_DATA)?;
        expect(tag::RAW_DATA_LENGTH, &raw.len().to_string())?;
        let client = f.need(tag::SENDER_COMP_ID)?;
        // The prehash takes MsgSeqNum as a number: one sent with leading
        // zeros fails here, as it does at Coinbase.
        let expected =
            signature(SECRET_B64, f.need(tag::SENDING_TIME)?, &seq.to_string(), client, COINBASE, PASSPHRASE)?;
        if raw != expected {
            return Err(format!("bad Logon signature {raw}, expected {expected}"));
        }
        self.session = Session::Active { client: client.to_owned(), next_in: 2, next_out: 1 };
        let heartbeat = f.need(tag::HEART_BT_INT)?;
        self.render(
            "A",
            &[
                (tag::ENCRYPT_METHOD, "0"),
                (tag::HEART_BT_INT, heartbeat),
                (tag::RESET_SEQ_NUM_FLAG, "Y"),
                (tag::DEFAULT_APPL_VER_ID, "9"),
            ],
        )
    }

    /// Checks a NewOrderSingle (§Orders) and fills it in full at its
    /// limit price.
    fn order(&mut self, f: &Fields<'_>) -> Result<String, String> {
        let cl_ord_id = f.need(tag::CL_ORD_ID)?;
        if !is_uuid4(cl_ord_id) {
            return Err(format!("ClOrdID is not a lowercase UUIDv4: {}", f.shown()));
        }
        if self.filled.contains_key(cl_ord_id) {
            return Err(format!("ClOrdID {cl_ord_id} again"));
        }
        let symbol = f.need(tag::SYMBOL)?;
        let side = f.need(tag::SIDE)?;
        let tif = f.need(tag::TIME_IN_FORCE)?;
        if symbol != INSTRUMENT.symbol || !matches!(side, "1" | "2") || !matches!(tif, "1" | "3" | "4") {
            return Err(format!("bad symbol, side or time in force: {}", f.shown()));
        }
        // Limit orders only: the fill is at the limit.
        if f.need(tag::ORD_TYPE)? != "2" {
            return Err(format!("not a limit order: {}", f.shown()));
        }
        let (Some(qty), Some(price)) = (decimal(f.need(tag::ORDER_QTY)?), decimal(f.need(tag::PRICE)?)) else {
            return Err(format!("bad OrderQty or Price: {}", f.shown()));
        };
        let order_id = self.next_uuid();
        let exec_id = self.next_uuid();
        let trade_id = self.next_id().to_string();
        let now = utc_now();
        let report = self.render(
            "8",
            &[
                (tag::CL_ORD_ID, cl_ord_id),
                (tag::ORDER_ID, &order_id),
                (tag::EXEC_ID, &exec_id),
                (tag::EXEC_TYPE, "F"),
                (tag::ORD_STATUS, "2"),
                (tag::SYMBOL, symbol),
                (tag::SIDE, side),
                (tag::ORD_TYPE, "2"),
                (tag::PRICE, &price),
                (tag::ORDER_QTY, &qty),
                (tag::TIME_IN_FORCE, tif),
                (tag::CUM_QTY, &qty),
                (tag::LEAVES_QTY, "0"),
                (tag::AVG_PX, &price),
                (tag::LAST_PX, &price),
                (tag::LAST_QTY, &qty),
                (tag::TRADE_ID, &trade_id),
                (tag::AGGRESSOR_INDICATOR, "Y"),
                (tag::TRANSACT_TIME, &now),
            ],
        )?;
        self.filled.insert(cl_ord_id.to_owned(), Filled { order_id, side: side.to_owned(), qty, price });
        self.placed += 1;
        Ok(report)
    }

    /// Checks a NewOrderBatch (docs/protocols/coinbase-fix.md §Batches):
    /// a lowercase UUIDv4 BatchID, NoOrders entries each opened by its
    /// ClOrdID, 1 to 15 of them, each checked and filled as a
    /// NewOrderSingle; the answer is their reports back to back.
    fn batch(&mut self, f: &Fields<'_>) -> Result<String, String> {
        if !is_uuid4(f.need(tag::BATCH_ID)?) {
            return Err(format!("BatchID is not a lowercase UUIDv4: {}", f.shown()));
        }
        let count = number(f.need(tag::NO_ORDERS)?.as_bytes()).ok_or("bad NoOrders")?;
        let group = f.0.iter().position(|(t, _)| *t == tag::NO_ORDERS).map_or(0, |at| at + 1);
        let mut entries: Vec<Fields<'_>> = Vec::new();
        for &(t, value) in f.0.iter().skip(group).filter(|(t, _)| *t != tag::CHECK_SUM) {
            if t == tag::CL_ORD_ID {
                entries.push(Fields(Vec::new()));
            }
            let entry = entries.last_mut().ok_or_else(|| format!("an entry not opened by ClOrdID: {}", f.shown()))?;
            entry.0.push((t, value));
        }
        if entries.len() as u64 != count || !(1..=15).contains(&count) {
            return Err(format!("NoOrders {count} with {} entries: {}", entries.len(), f.shown()));
        }
        entries.iter().map(|e| self.order(e)).collect()
    }

    /// Answers an OrderStatusRequest: where the order stands, or
    /// OrdStatus 8 for an order this venue does not know.
    fn status(&mut self, f: &Fields<'_>) -> Result<String, String> {
        let cl_ord_id = f.need(tag::CL_ORD_ID)?;
        let symbol = f.need(tag::SYMBOL)?;
        let exec_id = self.next_uuid();
        let now = utc_now();
        let known = self.filled.get(cl_ord_id).map(|o| [&o.order_id, &o.side, &o.qty, &o.price].map(String::clone));
        let mut fields = match &known {
            Some([order_id, side, qty, price]) => vec![
                (tag::ORDER_ID, order_id.as_str()),
                (tag::ORD_STATUS, "2"),
                (tag::SIDE, side.as_str()),
                (tag::ORDER_QTY, qty.as_str()),
                (tag::CUM_QTY, qty.as_str()),
                (tag::AVG_PX, price.as_str()),
            ],
            None => vec![
                (tag::ORDER_ID, "NONE"),
                (tag::ORD_STATUS, "8"),
                (tag::SIDE, f.need(tag::SIDE)?),
                (tag::CUM_QTY, "0"),
                (tag::AVG_PX, "0"),
                (tag::TEXT, "unknown order"),
            ],
        };
        fields.extend([
            (tag::CL_ORD_ID, cl_ord_id),
            (tag::EXEC_ID, &exec_id),
            (tag::EXEC_TYPE, "I"),
            (tag::SYMBOL, symbol),
            (tag::LEAVES_QTY, "0"),
            (tag::TRANSACT_TIME, &now),
        ]);
        if let Some(id) = f.get(tag::ORD_STATUS_REQ_ID) {
            fields.push((tag::ORD_STATUS_REQ_ID, id));
        }
        self.render("8", &fields)
    }

    fn next_id(&mut self) -> u64 {
        self.last_id += 1;
        self.last_id
    }

    /// A fresh lowercase UUIDv4-shaped id.
    fn next_uuid(&mut self) -> String {
        format!("00000000-0000-4000-8000-{:012x}", self.next_id())
    }

    /// A message from Coinbase: the header (MsgSeqNum, SenderCompID,
    /// SendingTime, TargetCompID), `body` in order, then BodyLength and
    /// CheckSum computed over the text (§Framing, §Header).
    fn render(&mut self, msg_type: &str, body: &[(u32, &str)]) -> Result<String, String> {
        let Session::Active { client, next_out, .. } = &mut self.session else {
            return Err(format!("a {msg_type} to a client not logged on"));
        };
        let seq = *next_out;
        *next_out += 1;
        let mut fields = format!("35={msg_type}\x0134={seq}\x0149={COINBASE}\x0152={}\x0156={client}\x01", utc_now());
        for (tag, value) in body {
            let _ = write!(fields, "{tag}={value}\x01");
        }
        let mut message = format!("8=FIXT.1.1\x019={}\x01{fields}", fields.len());
        let sum = message.bytes().fold(0u8, |sum, b| sum.wrapping_add(b));
        let _ = write!(message, "10={sum:03}\x01");
        Ok(message)
    }
}

/// The Logon's RawData (§Logon): base64(HMAC-SHA256(base64decode(secret),
/// SendingTime SOH MsgType SOH MsgSeqNum SOH SenderCompID SOH TargetCompID
/// SOH Password)).
fn signature(
    secret_b64: &str,
    sending_time: &str,
    seq: &str,
    sender: &str,
    target: &str,
    password: &str,
) -> Result<String, String> {
    let secret = STANDARD.decode(secret_b64).map_err(|e| format!("the API secret: {e}"))?;
    let prehash = [sending_time, "A", seq, sender, target, password].join("\x01");
    let mut mac = Hmac::<Sha256>::new_from_slice(&secret).map_err(|e| format!("HMAC: {e}"))?;
    mac.update(prehash.as_bytes());
    Ok(STANDARD.encode(mac.finalize().into_bytes()))
}

/// Whether `text` is `YYYYMMDD-HH:MM:SS.sss`.
fn is_utc_ms(text: &str) -> bool {
    text.len() == 21
        && text.bytes().enumerate().all(|(i, b)| match i {
            8 => b == b'-',
            11 | 14 => b == b':',
            17 => b == b'.',
            _ => b.is_ascii_digit(),
        })
}

/// Whether `id` is a lowercase UUID with version 4 and variant 10
/// (RFC 9562 §5.4), as Coinbase requires of ClOrdID.
fn is_uuid4(id: &str) -> bool {
    id.len() == 36
        && id.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            14 => b == b'4',
            19 => matches!(b, b'8' | b'9' | b'a' | b'b'),
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

/// A positive decimal written plainly, as Coinbase writes them (no
/// leading zeros before the point, none trailing after it).
fn decimal(text: &str) -> Option<String> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || text.ends_with('.') {
        return None;
    }
    let (int, frac) = (int.trim_start_matches('0'), frac.trim_end_matches('0'));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let int = if int.is_empty() { "0" } else { int };
    Some(if frac.is_empty() { int.to_owned() } else { format!("{int}.{frac}") })
}

/// Now in UTC, `YYYYMMDD-HH:MM:SS.sss`.
fn utc_now() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}{:02}{:02}-{:02}:{:02}:{:02}.{:03}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

#[cfg(test)]
mod tests {
    //! The engine's own FIX codec plays the client here: what it renders
    //! must pass this peer's checks, and what this peer answers must read
    //! back through the engine's decoders.

    use hotline_core::order::{OrderType, Side, TimeInForce};
    use hotline_core::sign::HmacKey;
    use hotline_core::venue::coinbase::execution::{ExecType, OrdStatus, decode_execution};
    use hotline_core::venue::coinbase::fix::{self as codec, Message, Writer};
    use hotline_core::venue::coinbase::logon::{self, CancelOnDisconnect, Credentials, LogonParams};
    use hotline_core::venue::coinbase::order::{self, IdPrefix, OrderTemplate, Patch};

    use super::*;

    /// 2026-08-01 12:00:00 UTC.
    const T0: u64 = 1_785_585_600_000_000_000;

    fn logon_message(secret: &[u8], passphrase: &str) -> Vec<u8> {
        let key = HmacKey::new(secret);
        let creds = Credentials { api_key: KEY, passphrase, secret: &key };
        let params =
            LogonParams { heartbeat_secs: 10, reset_seq: true, cancel_on_disconnect: CancelOnDisconnect::Profile };
        let mut buf = [0u8; 512];
        let range = logon::logon(&mut buf, &creds, &params, 1, T0).unwrap();
        buf[range].to_vec()
    }

    fn read(answer: &str) -> Message<'_> {
        let (m, used) = Message::parse(answer.as_bytes()).unwrap().unwrap();
        assert_eq!(used, answer.len());
        m
    }

    #[test]
    fn the_documented_logon_signature() {
        let sig = signature("c2VjcmV0", "20230822-20:43:30.000", "1", "key123", "Coinbase", "pass").unwrap();
        assert_eq!(sig, "S39jvQ4fgGiMtrpMl8QiKq+LmZnwuEI5B5h8+1yloWw=");
    }

    #[test]
    fn framing_waits_for_the_whole_message_and_checks_its_length_and_sum() {
        let message = logon_message(b"secret", PASSPHRASE);
        assert_eq!(frame(&message), Ok(Some(message.len())));
        for cut in [1, BEGIN.len() + 1, message.len() - 1] {
            assert_eq!(frame(&message[..cut]), Ok(None), "cut at {cut}");
        }
        let mut two = message.clone();
        two.extend_from_slice(&message);
        assert_eq!(frame(&two), Ok(Some(message.len())));
        let mut bad_sum = message.clone();
        let at = bad_sum.len() - 2;
        bad_sum[at] = if bad_sum[at] == b'0' { b'1' } else { b'0' };
        assert!(frame(&bad_sum).unwrap_err().contains("CheckSum"));
        // A BodyLength too short ends inside the body; one too long waits
        // for bytes that are not the message's.
        let mut bad_length = message.clone();
        bad_length[BEGIN.len()] -= 1;
        assert!(frame(&bad_length).unwrap_err().contains("does not end where the trailer starts"));
        bad_length[BEGIN.len()] += 2;
        assert_eq!(frame(&bad_length), Ok(None));
        assert!(frame(b"8=FIX.4.2\x019=5\x01").is_err());
    }

    #[test]
    fn a_session_logs_on_fills_orders_and_answers_its_requests() {
        let mut g = Gateway::default();
        let answer = g.answer(&logon_message(b"secret", PASSPHRASE)).unwrap().unwrap();
        let m = read(&answer);
        assert_eq!((m.msg_type(), m.seq()), (&b"A"[..], Ok(1)));
        assert_eq!(m.get(108), Some(&b"10"[..]));

        let mut buf = [0u8; 512];
        let mut w = Writer::new(&mut buf, b"1");
        w.uint(34, 2).field(49, KEY.as_bytes()).field(52, &codec::utc_timestamp(T0)).field(56, b"Coinbase");
        w.uint(112, 7);
        let range = w.finish().unwrap();
        let answer = g.answer(&buf[range]).unwrap().unwrap();
        let m = read(&answer);
        assert_eq!((m.msg_type(), m.seq(), m.get(112)), (&b"0"[..], Ok(2), Some(&b"7"[..])));
        assert!(m.get(52).and_then(codec::parse_utc_timestamp).is_some());

        let instrument = INSTRUMENT;
        let prefix = IdPrefix::new(0x5eed_1234_abcd);
        let mut template = OrderTemplate::new(KEY, &instrument, OrderType::Limit(TimeInForce::Ioc), prefix).unwrap();
        let patch =
            Patch { seq: 3, unix_ns: T0, client_order_id: 42, side: Side::Sell, qty: 300_000, price: 6_000_000 };
        let answer = g.answer(template.patch(&patch).unwrap()).unwrap().unwrap();
        assert_eq!(g.placed, 1);
        let m = read(&answer);
        let r = decode_execution(&m).unwrap();
        assert_eq!((r.exec_type, r.ord_status, r.side), (ExecType::Trade, OrdStatus::Filled, Side::Sell));
        assert_eq!(r.cl_ord_id.and_then(|c| prefix.client_order_id(c)), Some(42));
        assert_eq!((r.last_qty, r.cum_qty, r.last_px), (Some(&b"0.003"[..]), Some(&b"0.003"[..]), Some(&b"60000"[..])));
        assert!(r.trade_id.is_some() && r.transact_time_ms.is_some());

        let cl = prefix.cl_ord_id(42).unwrap();
        let range = order::status(&mut buf, KEY, 4, T0, &cl, instrument.symbol, Side::Sell).unwrap();
        let answer = g.answer(&buf[range]).unwrap().unwrap();
        let r = decode_execution(&read(&answer)).unwrap();
        assert_eq!((r.exec_type, r.ord_status, r.cum_qty), (ExecType::Status, OrdStatus::Filled, Some(&b"0.003"[..])));
        let unknown = prefix.cl_ord_id(43).unwrap();
        let range = order::status(&mut buf, KEY, 5, T0, &unknown, instrument.symbol, Side::Buy).unwrap();
        let answer = g.answer(&buf[range]).unwrap().unwrap();
        assert_eq!(decode_execution(&read(&answer)).unwrap().ord_status, OrdStatus::Rejected);

        // A number skipped (a dry run that took one) is refused.
        let patch = Patch { seq: 7, client_order_id: 44, ..patch };
        let err = g.answer(template.patch(&patch).unwrap()).unwrap_err();
        assert!(err.contains("MsgSeqNum 7, expected 6"), "{err}");
        assert_eq!(g.placed, 1);
    }

    #[test]
    fn a_logon_with_a_wrong_secret_or_passphrase_or_out_of_turn_is_refused() {
        let err = Gateway::default().answer(&logon_message(b"not the secret", PASSPHRASE)).unwrap_err();
        assert!(err.contains("bad Logon signature"), "{err}");
        let err = Gateway::default().answer(&logon_message(b"secret", "wrong")).unwrap_err();
        assert!(err.contains("tag 554"), "{err}");
        let mut template =
            OrderTemplate::new(KEY, &INSTRUMENT, OrderType::Limit(TimeInForce::Ioc), IdPrefix::new(1)).unwrap();
        let patch = Patch { seq: 1, unix_ns: T0, client_order_id: 1, side: Side::Buy, qty: 1, price: 6_000_000 };
        let err = Gateway::default().answer(template.patch(&patch).unwrap()).unwrap_err();
        assert!(err.contains("before the Logon"), "{err}");
    }

    #[test]
    fn decimals_are_written_plainly() {
        assert_eq!(decimal("0000.00300000").as_deref(), Some("0.003"));
        assert_eq!(decimal("0060000.00").as_deref(), Some("60000"));
        assert_eq!(decimal("12.5").as_deref(), Some("12.5"));
        for bad in ["0.000", "", ".5", "5.", "1e3", "-1"] {
            assert_eq!(decimal(bad), None, "{bad}");
        }
    }
}
