//! The QuickFIX acceptor (`tools/fix-acceptor`) proven against a client that
//! shares no code with it: each test builds FIXT.1.1 tag=value messages by
//! hand (BodyLength and CheckSum per FIXT.1.1, "Message format") and checks
//! the acceptor's answers to Coinbase Exchange's FIX 5.0 SP2 order-entry
//! flows, over plain TCP and over stunnel with rustls.

#[allow(dead_code)]
mod tls_support;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use sha2::Sha256;

use fix_support::{Book, KEY, Options, PASSPHRASE, Peer, Reset, SECRET_B64, Tls, TlsVersion};
use hotline_fix_acceptor as fix_support;
use tls_support::{Alg, Flaws};

const SOH: u8 = 0x01;

/// Bound on each read; reached only when the acceptor fails to answer.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

/// One received message: its fields in wire order.
#[derive(Debug)]
struct Msg(Vec<(u32, String)>);

impl Msg {
    fn get(&self, tag: u32) -> Option<&str> {
        self.0.iter().find(|(t, _)| *t == tag).map(|(_, v)| v.as_str())
    }

    fn req(&self, tag: u32) -> &str {
        self.get(tag).unwrap_or_else(|| panic!("tag {tag} missing in {self:?}"))
    }

    fn msg_type(&self) -> &str {
        self.req(35)
    }
}

/// `YYYYMMDD-HH:MM:SS.sss` in UTC with `digits` fractional digits.
fn sending_time(digits: usize) -> String {
    let now = time::OffsetDateTime::now_utc();
    let frac = format!("{:09}", now.nanosecond());
    format!(
        "{:04}{:02}{:02}-{:02}:{:02}:{:02}.{}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        &frac[..digits]
    )
}

/// Coinbase's Logon signature: base64(HMAC-SHA256(base64decode(secret),
/// SendingTime SOH MsgType SOH MsgSeqNum SOH SenderCompID SOH TargetCompID
/// SOH Password)).
fn signature(secret_b64: &str, sending_time: &str, seq: u32, passphrase: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let secret = b64.decode(secret_b64).expect("base64 secret");
    let prehash = [sending_time, "A", &seq.to_string(), KEY, "Coinbase", passphrase].join("\x01");
    let mut mac = Hmac::<Sha256>::new_from_slice(&secret).expect("HMAC key");
    mac.update(prehash.as_bytes());
    b64.encode(mac.finalize().into_bytes())
}

/// A FIXT.1.1 message: header, `body`, BodyLength (9) over everything
/// after it up to the CheckSum field, CheckSum (10) the byte sum mod 256.
fn encode(msg_type: &str, seq: u32, sending_time: &str, body: &[(u32, &str)]) -> Vec<u8> {
    let mut inner = Vec::new();
    let mut put = |tag: u32, value: &str| {
        inner.extend_from_slice(format!("{tag}={value}").as_bytes());
        inner.push(SOH);
    };
    put(35, msg_type);
    put(49, KEY);
    put(56, "Coinbase");
    put(34, &seq.to_string());
    put(52, sending_time);
    for (tag, value) in body {
        put(*tag, value);
    }
    let mut out = format!("8=FIXT.1.1\x019={}\x01", inner.len()).into_bytes();
    out.extend_from_slice(&inner);
    let sum = out.iter().map(|&b| u32::from(b)).sum::<u32>() % 256;
    out.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    out
}

/// A client session: writes messages with increasing MsgSeqNum, reads and
/// checks the acceptor's framing.
struct Client {
    stream: Box<dyn Stream>,
    buf: Vec<u8>,
    seq: u32,
}

impl Client {
    fn tcp(addr: SocketAddr) -> Client {
        let tcp = TcpStream::connect(addr).expect("connect to acceptor");
        tcp.set_read_timeout(Some(READ_TIMEOUT)).expect("read timeout");
        Client { stream: Box::new(tcp), buf: Vec::new(), seq: 1 }
    }

    fn send(&mut self, msg_type: &str, body: &[(u32, &str)]) {
        let bytes = encode(msg_type, self.seq, &sending_time(3), body);
        self.seq += 1;
        self.stream.write_all(&bytes).expect("write");
        self.stream.flush().expect("flush");
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        self.seq += 1;
        self.stream.write_all(bytes).expect("write");
        self.stream.flush().expect("flush");
    }

    /// The next whole message, its BodyLength and CheckSum verified; `None`
    /// when the acceptor closed the connection.
    fn recv(&mut self) -> Option<Msg> {
        loop {
            if let Some(msg) = self.frame() {
                return Some(msg);
            }
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return None,
                Err(e) => panic!("read: {e} (buffered: {:?})", String::from_utf8_lossy(&self.buf)),
            }
        }
    }

    fn frame(&mut self) -> Option<Msg> {
        let prefix = b"8=FIXT.1.1\x019=";
        if self.buf.len() < prefix.len() {
            return None;
        }
        assert_eq!(&self.buf[..prefix.len()], prefix, "BeginString");
        let len_end = prefix.len() + self.buf[prefix.len()..].iter().position(|&b| b == SOH)?;
        let body_len: usize = std::str::from_utf8(&self.buf[prefix.len()..len_end]).unwrap().parse().expect("9");
        let body_end = len_end + 1 + body_len;
        let total = body_end + 7;
        if self.buf.len() < total {
            return None;
        }
        let sum = self.buf[..body_end].iter().map(|&b| u32::from(b)).sum::<u32>() % 256;
        assert_eq!(&self.buf[body_end..total], format!("10={sum:03}\x01").as_bytes(), "CheckSum");
        let fields = self.buf[..body_end]
            .split(|&b| b == SOH)
            .filter(|f| !f.is_empty())
            .map(|f| {
                let f = std::str::from_utf8(f).expect("utf-8 field");
                let (tag, value) = f.split_once('=').expect("tag=value");
                (tag.parse().expect("numeric tag"), value.to_owned())
            })
            .collect();
        self.buf.drain(..total);
        Some(Msg(fields))
    }

    /// The next message that is not a Heartbeat.
    fn expect(&mut self, msg_type: &str) -> Msg {
        loop {
            let msg = self.recv().unwrap_or_else(|| panic!("connection closed waiting for 35={msg_type}"));
            if msg.msg_type() == "0" && msg_type != "0" {
                continue;
            }
            assert_eq!(msg.msg_type(), msg_type, "{msg:?}");
            return msg;
        }
    }

    /// Sends a Logon signed with `secret_b64`; `edit` changes its body
    /// fields (which the signature does not cover) before it is encoded.
    fn logon_with(&mut self, sending_time: &str, secret_b64: &str, edit: impl FnOnce(&mut Vec<(u32, String)>)) {
        let sig = signature(secret_b64, sending_time, self.seq, PASSPHRASE);
        let mut body: Vec<(u32, String)> = [
            (98, "0"),
            (108, "30"),
            (141, "Y"),
            (553, KEY),
            (554, PASSPHRASE),
            (95, &sig.len().to_string()),
            (96, &sig),
            (1137, "9"),
            (8001, "N"),
            (8013, "Y"),
            (9406, "N"),
        ]
        .iter()
        .map(|(t, v)| (*t, v.to_string()))
        .collect();
        edit(&mut body);
        let body: Vec<(u32, &str)> = body.iter().map(|(t, v)| (*t, v.as_str())).collect();
        let bytes = encode("A", self.seq, sending_time, &body);
        self.send_raw(&bytes);
    }

    fn logon(&mut self) -> Msg {
        self.logon_with(&sending_time(3), SECRET_B64, |_| {});
        self.expect("A")
    }

    fn order(&mut self, cl_ord_id: &str, side: &str, price: &str, qty: &str, tif: &str) {
        self.send("D", &[(11, cl_ord_id), (55, "BTC-USD"), (54, side), (40, "2"), (44, price), (38, qty), (59, tif)]);
    }
}

/// A fresh lowercase UUIDv4 (RFC 9562 §5.4), as Coinbase requires for ClOrdID.
fn uuid4() -> String {
    let mut b: [u8; 16] = rand_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

fn rand_bytes() -> [u8; 16] {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut b).expect("random");
    b
}

fn assert_uuid(s: &str) {
    let parts: Vec<usize> = s.split('-').map(str::len).collect();
    assert_eq!(parts, [8, 4, 4, 4, 12], "UUID: {s}");
}

#[test]
fn signer_matches_the_public_vector() {
    assert_eq!(
        fix_support::selftest().expect("selftest runs"),
        "SELFTEST ok S39jvQ4fgGiMtrpMl8QiKq+LmZnwuEI5B5h8+1yloWw="
    );
    assert_eq!(
        signature("c2VjcmV0", "20230822-20:43:30.000", 1, "pass"),
        "S39jvQ4fgGiMtrpMl8QiKq+LmZnwuEI5B5h8+1yloWw="
    );
}

#[test]
fn good_logon_is_answered() {
    let peer = Peer::start(Options::default()).expect("the acceptor starts");
    let mut c = Client::tcp(peer.addr);
    let a = c.logon();
    assert_eq!(a.req(49), "Coinbase");
    assert_eq!(a.req(56), KEY);
    assert_eq!(a.req(34), "1");
    assert_eq!(a.req(108), "30");
    assert_eq!(a.req(1137), "9");
}

fn refused(peer: &Peer, sending_time: &str, secret_b64: &str) -> String {
    let mut c = Client::tcp(peer.addr);
    c.logon_with(sending_time, secret_b64, |_| {});
    let logout = c.expect("5");
    assert!(c.recv().is_none(), "the acceptor closes after refusing a logon");
    logout.req(58).to_owned()
}

#[test]
fn bad_signature_is_refused() {
    let peer = Peer::start(Options::default()).expect("the acceptor starts");
    let text = refused(&peer, &sending_time(3), "b3RoZXI=");
    assert!(text.contains("bad signature"), "{text}");
}

#[test]
fn sending_time_with_six_fractional_digits_is_refused() {
    let peer = Peer::start(Options::default()).expect("the acceptor starts");
    let text = refused(&peer, &sending_time(6), SECRET_B64);
    assert!(text.contains("SendingTime must have 3 fractional digits"), "{text}");
}

/// Sets `tag` in a Logon body, replacing its value or removing it.
fn set(body: &mut Vec<(u32, String)>, tag: u32, value: Option<&str>) {
    body.retain(|(t, _)| *t != tag);
    if let Some(v) = value {
        body.push((tag, v.to_owned()));
    }
}

#[test]
fn logon_with_141_y_is_refused_when_resets_are_off() {
    let peer = Peer::start(Options { reset: Reset::Never, ..Options::default() }).expect("the acceptor starts");
    let mut c = Client::tcp(peer.addr);
    c.logon_with(&sending_time(3), SECRET_B64, |_| {});
    let text = c.expect("5").req(58).to_owned();
    assert!(text.contains("ResetSeqNumFlag (141) Y refused"), "{text}");
}

#[test]
fn logon_without_cancel_orders_on_disconnect_is_refused() {
    let peer = Peer::start(Options::default()).expect("the acceptor starts");
    let mut c = Client::tcp(peer.addr);
    c.logon_with(&sending_time(3), SECRET_B64, |b| set(b, 8013, None));
    let text = c.expect("5").req(58).to_owned();
    assert!(text.contains("CancelOrdersOnDisconnect (8013)"), "{text}");
}

/// DefaultApplVerID (1137) is required on a FIXT.1.1 Logon (the transport
/// dictionary, and QuickFIX reads it to pick the application dictionary);
/// QuickFIX drops a Logon without it before the application sees it, with no
/// Logout, and says why only in its event log.
#[test]
fn logon_without_default_appl_ver_id_is_dropped() {
    let peer = Peer::start(Options::default()).expect("the acceptor starts");
    let mut c = Client::tcp(peer.addr);
    c.logon_with(&sending_time(3), SECRET_B64, |b| set(b, 1137, None));
    assert!(c.recv().is_none());
    let log = peer.event_log().expect("QuickFIX's event log");
    assert!(log.contains("Required tag missing:1137"), "{log}");
}

/// Reset::Flag keeps sequence numbers in the acceptor's FileStore: a client
/// that logs out and resumes with 141=N continues the numbering, and a
/// ResendRequest is answered from the store (application messages resent
/// with PossDupFlag, admin messages gap-filled). CancelOrdersOnDisconnect=Y
/// canceled the order left resting at the logout.
#[test]
fn resume_with_141_n_continues_sequence_numbers_and_resends_from_the_store() {
    let peer = Peer::start(Options { reset: Reset::Flag, ..Options::default() }).expect("the acceptor starts");
    let mut c = Client::tcp(peer.addr);
    c.logon();
    let id = uuid4();
    c.order(&id, "1", "59000", "0.1", "1");
    let new = c.expect("8");
    assert_eq!((new.req(34), new.req(150)), ("2", "0"));
    c.send("5", &[]);
    assert_eq!(c.expect("5").req(34), "3");
    assert!(c.recv().is_none());

    let mut c = Client { seq: 4, ..Client::tcp(peer.addr) };
    c.logon_with(&sending_time(3), SECRET_B64, |b| set(b, 141, Some("N")));
    let a = c.expect("A");
    assert_eq!(a.req(34), "4");
    assert_eq!(a.get(141), None);

    c.send("2", &[(7, "2"), (16, "0")]);
    let resent = c.expect("8");
    assert_eq!((resent.req(34), resent.req(43), resent.req(17)), ("2", "Y", new.req(17)));
    assert!(resent.get(122).is_some(), "OrigSendingTime on a resent message");
    let gap = c.expect("4");
    assert_eq!((gap.req(34), gap.req(123), gap.req(36)), ("3", "Y", "5"));

    c.send("H", &[(11, &id), (55, "BTC-USD"), (54, "1")]);
    let status = c.expect("8");
    assert_eq!((status.req(34), status.req(150), status.req(39)), ("5", "I", "4"));
}

#[test]
fn test_request_is_answered() {
    let peer = Peer::start(Options::default()).expect("the acceptor starts");
    let mut c = Client::tcp(peer.addr);
    c.logon();
    c.send("1", &[(112, "probe-1")]);
    let hb = c.expect("0");
    assert_eq!(hb.req(112), "probe-1");
    c.send("0", &[]);
    c.send("1", &[(112, "probe-2")]);
    assert_eq!(c.expect("0").req(112), "probe-2");
}

fn ioc_buy_fills_and_expires_the_remainder(c: &mut Client, peer: &Peer) {
    let id = uuid4();
    c.order(&id, "1", "60010", "0.4", "3");

    let new = c.expect("8");
    assert_eq!((new.req(150), new.req(39)), ("0", "0"));
    assert_eq!(new.req(11), id);
    assert_uuid(new.req(37));
    assert_eq!((new.req(55), new.req(54), new.req(38), new.req(44)), ("BTC-USD", "1", "0.4", "60010"));
    assert_eq!((new.req(14), new.req(151)), ("0", "0.4"));
    assert!(new.get(60).is_some());

    let fill = c.expect("8");
    assert_eq!((fill.req(150), fill.req(39)), ("F", "1"));
    assert_eq!(fill.req(37), new.req(37));
    assert_ne!(fill.req(17), new.req(17));
    assert_eq!((fill.req(31), fill.req(32)), ("60010", "0.25"));
    assert_eq!((fill.req(14), fill.req(151), fill.req(6)), ("0.25", "0.15", "60010"));
    assert_eq!((fill.req(1003), fill.req(1057)), ("1", "Y"));
    // 40 bps of 60010 * 0.25 = 60.01 USD.
    assert_eq!((fill.req(136), fill.req(137), fill.req(138), fill.req(139)), ("1", "60.01", "USD", "4"));

    let done = c.expect("8");
    assert_eq!((done.req(150), done.req(39)), ("C", "C"));
    assert_eq!((done.req(14), done.req(151)), ("0.25", "0"));

    let journal = peer.journal().expect("the acceptor's journal");
    assert_eq!(journal.len(), 1);
    let j = &journal[0];
    assert_eq!((j.cl_ord_id.as_str(), j.order_id.as_str(), j.trade_id.as_str()), (id.as_str(), fill.req(37), "1"));
    assert_eq!((j.side.as_str(), j.price.as_str(), j.qty.as_str()), ("buy", "60010", "0.25"));
    assert_eq!((j.fee.as_str(), j.fee_currency.as_str()), ("60.01", "USD"));
}

#[test]
fn ioc_buy_at_the_ask_fills_the_depth_and_expires_the_rest() {
    let peer = Peer::start(Options::default()).expect("the acceptor starts");
    let mut c = Client::tcp(peer.addr);
    c.logon();
    ioc_buy_fills_and_expires_the_remainder(&mut c, &peer);

    // The ask is used up: a second IOC buy expires with no fill.
    let id = uuid4();
    c.order(&id, "1", "60010", "0.1", "3");
    assert_eq!(c.expect("8").req(150), "0");
    let done = c.expect("8");
    assert_eq!((done.req(150), done.req(14)), ("C", "0"));
    assert_eq!(peer.journal().expect("the acceptor's journal").len(), 1);
}

#[test]
fn fok_that_cannot_fill_in_full_is_canceled_without_a_fill() {
    let peer = Peer::start(Options::default()).expect("the acceptor starts");
    let mut c = Client::tcp(peer.addr);
    c.logon();
    let id = uuid4();
    c.order(&id, "2", "60000", "0.6", "4");
    assert_eq!(c.expect("8").req(150), "0");
    let done = c.expect("8");
    assert_eq!((done.req(150), done.req(39), done.req(14)), ("C", "C", "0"));

    let id = uuid4();
    c.order(&id, "2", "59990", "0.5", "4");
    assert_eq!(c.expect("8").req(150), "0");
    let fill = c.expect("8");
    assert_eq!((fill.req(150), fill.req(39), fill.req(31), fill.req(32)), ("F", "2", "60000", "0.5"));
    let journal = peer.journal().expect("the acceptor's journal");
    assert_eq!(journal.len(), 1);
    assert_eq!((journal[0].side.as_str(), journal[0].qty.as_str()), ("sell", "0.5"));
}

#[test]
fn gtc_rests_and_an_order_cancel_request_cancels_it() {
    let peer = Peer::start(Options::default()).expect("the acceptor starts");
    let mut c = Client::tcp(peer.addr);
    c.logon();
    let id = uuid4();
    c.order(&id, "1", "59000", "0.1", "1");
    let new = c.expect("8");
    assert_eq!((new.req(150), new.req(39), new.req(151)), ("0", "0", "0.1"));

    let cancel_id = uuid4();
    c.send("F", &[(11, &cancel_id), (41, &id), (55, "BTC-USD"), (54, "1")]);
    let canceled = c.expect("8");
    assert_eq!((canceled.req(150), canceled.req(39)), ("4", "4"));
    assert_eq!((canceled.req(11), canceled.req(41), canceled.req(37)), (cancel_id.as_str(), id.as_str(), new.req(37)));
    assert_eq!(canceled.req(151), "0");

    // Canceling again is too late; an order never sent is unknown.
    c.send("F", &[(11, &uuid4()), (41, &id), (55, "BTC-USD"), (54, "1")]);
    let late = c.expect("9");
    assert_eq!((late.req(102), late.req(434), late.req(39)), ("0", "1", "4"));
    let unknown = uuid4();
    c.send("F", &[(11, &uuid4()), (41, &unknown), (55, "BTC-USD"), (54, "1")]);
    let rej = c.expect("9");
    assert_eq!((rej.req(102), rej.req(434), rej.req(41)), ("1", "1", unknown.as_str()));
    assert!(peer.journal().expect("the acceptor's journal").is_empty());
}

#[test]
fn order_mass_cancel_request_cancels_the_sessions_open_orders() {
    let peer = Peer::start(Options::default()).expect("the acceptor starts");
    let mut c = Client::tcp(peer.addr);
    c.logon();
    let (a, b) = (uuid4(), uuid4());
    c.order(&a, "1", "59000", "0.1", "1");
    c.order(&b, "2", "61000", "0.2", "1");
    let resting = [c.expect("8"), c.expect("8")];
    assert!(resting.iter().all(|r| r.req(150) == "0"));

    let mass = uuid4();
    let now = sending_time(3);
    c.send("q", &[(11, &mass), (530, "6"), (60, &now)]);
    let mut canceled = [c.expect("8"), c.expect("8")].map(|r| (r.req(11).to_owned(), r.req(150).to_owned()));
    canceled.sort();
    let mut expected = [(a.clone(), "4".to_owned()), (b, "4".to_owned())];
    expected.sort();
    assert_eq!(canceled, expected);
    let report = c.expect("r");
    assert_eq!((report.req(11), report.req(530), report.req(531)), (mass.as_str(), "6", "6"));

    // Only the trading session's orders can be mass-cancelled; without
    // TransactTime the dictionary refuses the message.
    c.send("q", &[(11, &uuid4()), (530, "1"), (60, &now)]);
    assert_eq!(c.expect("r").req(531), "0");
    c.send("q", &[(11, &uuid4()), (530, "6")]);
    assert_eq!(c.expect("3").req(371), "60");
    c.send("H", &[(11, &a), (55, "BTC-USD"), (54, "1")]);
    assert_eq!(c.expect("8").req(39), "4");
}

#[test]
fn a_dropped_order_is_handled_and_its_reports_resent_after_the_logon() {
    let options = Options { reset: Reset::Flag, drop_at_order: Some(1), ..Options::default() };
    let peer = Peer::start(options).expect("the acceptor starts");
    let mut c = Client::tcp(peer.addr);
    c.logon();
    let id = uuid4();
    // At the ask: fills the ask's depth as the connection drops.
    c.order(&id, "1", "60010", "0.1", "3");
    assert!(c.recv().is_none(), "the connection dropped before any report");

    let mut c = Client { seq: 3, ..Client::tcp(peer.addr) };
    c.logon_with(&sending_time(3), SECRET_B64, |b| set(b, 141, Some("N")));
    let a = c.expect("A");
    assert!(a.req(34).parse::<u32>().expect("MsgSeqNum") > 2, "the reports took numbers: {}", a.req(34));
    c.send("2", &[(7, "2"), (16, "0")]);
    let new = c.expect("8");
    assert_eq!((new.req(150), new.req(43)), ("0", "Y"));
    let fill = c.expect("8");
    assert_eq!((fill.req(150), fill.req(43)), ("F", "Y"));
    // The journal line was written before the report was stored.
    let journal = peer.journal().expect("the acceptor's journal");
    assert_eq!(journal.len(), 1, "handled all the same");
    assert_eq!(fill.req(1003), journal[0].trade_id);
}

#[test]
fn order_status_request_reports_the_order_state() {
    let peer = Peer::start(Options::default()).expect("the acceptor starts");
    let mut c = Client::tcp(peer.addr);
    c.logon();
    let id = uuid4();
    c.order(&id, "2", "60500", "0.2", "1");
    let new = c.expect("8");
    assert_eq!(new.req(150), "0");

    c.send("H", &[(11, &id), (55, "BTC-USD"), (54, "2"), (790, "status-1")]);
    let status = c.expect("8");
    assert_eq!((status.req(150), status.req(39), status.req(790)), ("I", "0", "status-1"));
    assert_eq!((status.req(11), status.req(37), status.req(151)), (id.as_str(), new.req(37), "0.2"));

    c.send("H", &[(11, &uuid4()), (55, "BTC-USD"), (54, "2")]);
    let unknown = c.expect("8");
    assert_eq!((unknown.req(150), unknown.req(39), unknown.req(58)), ("I", "8", "unknown order"));
}

#[test]
fn bad_orders_are_rejected_with_a_reason() {
    let peer = Peer::start(Options::default()).expect("the acceptor starts");
    let mut c = Client::tcp(peer.addr);
    c.logon();
    let upper = uuid4().to_uppercase();
    c.order(&upper, "1", "60010", "0.1", "3");
    let rej = c.expect("8");
    assert_eq!((rej.req(150), rej.req(39), rej.req(11)), ("8", "8", upper.as_str()));
    assert_eq!(rej.req(58), "ClOrdID must be a lowercase UUIDv4");

    c.order(&uuid4(), "1", "70000", "0.1", "3");
    let far = c.expect("8");
    assert_eq!((far.req(150), far.req(58)), ("8", "price more than 10% away from the mid"));

    let id = uuid4();
    c.order(&id, "1", "59000", "0.1", "1");
    assert_eq!(c.expect("8").req(150), "0");
    c.order(&id, "1", "59000", "0.1", "1");
    let dup = c.expect("8");
    assert_eq!((dup.req(150), dup.req(103)), ("8", "6"));
}

/// The acceptor's data dictionaries (`tools/fix-acceptor/spec/`) make
/// QuickFIX answer malformed messages with a session Reject (35=3) carrying
/// RefTagID (371) and SessionRejectReason (373).
#[test]
fn malformed_orders_get_a_session_reject() {
    let peer = Peer::start(Options::default()).expect("the acceptor starts");
    let mut c = Client::tcp(peer.addr);
    c.logon();
    let id = uuid4();
    let base = [(11, id.as_str()), (55, "BTC-USD"), (54, "1"), (40, "2"), (44, "59000"), (38, "0.1")];
    let mut check = |extra: &[(u32, &str)], tag: &str, reason: &str| {
        let body: Vec<(u32, &str)> = base.iter().chain(extra).copied().collect();
        c.send("D", &body);
        let rej = c.expect("3");
        assert_eq!((rej.req(371), rej.req(372), rej.req(373)), (tag, "D", reason), "{rej:?}");
    };
    // SessionRejectReason (373): 0 invalid tag, 1 required tag missing,
    // 5 value out of range, 6 incorrect data format, 11 invalid MsgType.
    check(&[(59, "1"), (5555, "x")], "5555", "0");
    check(&[], "59", "1");
    check(&[(59, "1"), (18, "A"), (9406, "N")], "9406", "0");
    check(&[(59, "1"), (60, "yesterday")], "60", "6");
    c.send("D", &[(11, "not-sent"), (55, "BTC-USD"), (54, "3"), (40, "2"), (44, "1"), (38, "1"), (59, "1")]);
    let rej = c.expect("3");
    assert_eq!((rej.req(371), rej.req(373)), ("54", "5"));
    c.send("Z", &[]);
    assert_eq!(c.expect("3").req(373), "11");

    // Fields the dictionary leaves optional but the gateway needs are a
    // BusinessMessageReject (35=j) with 380=5, conditionally required field
    // missing.
    c.send("D", &[(11, &uuid4()), (55, "BTC-USD"), (54, "1"), (40, "2"), (38, "0.1"), (59, "1")]);
    let rej = c.expect("j");
    assert_eq!((rej.req(372), rej.req(380)), ("D", "5"));
    assert!(rej.req(58).contains("(44)"), "{rej:?}");
    c.send("F", &[(11, &uuid4()), (55, "BTC-USD"), (54, "1")]);
    let rej = c.expect("j");
    assert_eq!((rej.req(372), rej.req(380)), ("F", "5"));
    assert!(rej.req(58).contains("(41)"), "{rej:?}");
    assert!(peer.journal().expect("the acceptor's journal").is_empty());
}

fn tls_client(addr: SocketAddr, root: &rustls::pki_types::CertificateDer<'static>) -> (Client, String) {
    let mut roots = RootCertStore::empty();
    roots.add(root.clone()).expect("test root");
    let config = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(addr).expect("connect to stunnel");
    tcp.set_read_timeout(Some(READ_TIMEOUT)).expect("read timeout");
    let name = ServerName::try_from("localhost").expect("name");
    let mut stream = StreamOwned::new(ClientConnection::new(Arc::new(config), name).expect("client"), tcp);
    while stream.conn.is_handshaking() {
        stream.conn.complete_io(&mut stream.sock).expect("TLS handshake");
    }
    let negotiated = format!(
        "{:?} {:?}",
        stream.conn.protocol_version().expect("version"),
        stream.conn.negotiated_cipher_suite().expect("suite").suite()
    );
    (Client { stream: Box::new(stream), buf: Vec::new(), seq: 1 }, negotiated)
}

fn over_stunnel(version: TlsVersion, expect: &str) {
    let chain = tls_support::chain(Alg::Rsa2048, Flaws::default());
    let tls = Tls {
        version,
        cert_chain_pem: format!("{}{}", chain.leaf_pem, chain.intermediate_pem),
        key_pem: chain.leaf_key_pem.clone(),
    };
    let peer = Peer::start(Options { tls: Some(tls), ..Options::default() }).expect("the acceptor starts");
    let (mut c, negotiated) = tls_client(peer.tls_addr.expect("stunnel port"), &chain.root);
    assert_eq!(negotiated, expect);
    c.logon();
    ioc_buy_fills_and_expires_the_remainder(&mut c, &peer);
}

#[test]
fn tls12_through_stunnel_logs_on_and_fills() {
    over_stunnel(TlsVersion::Tls12, "TLSv1_2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
}

#[test]
fn tls13_through_stunnel_logs_on_and_fills() {
    over_stunnel(TlsVersion::Tls13, "TLSv1_3 TLS13_AES_256_GCM_SHA384");
}

#[test]
fn a_custom_book_is_used() {
    let book = Book {
        symbol: "ETH-USD".into(),
        bid: "3000".into(),
        bid_qty: "2".into(),
        ask: "3001.5".into(),
        ask_qty: "1".into(),
    };
    let peer = Peer::start(Options { book, fee_bps: Some(10), ..Options::default() }).expect("the acceptor starts");
    let mut c = Client::tcp(peer.addr);
    c.logon();
    let id = uuid4();
    c.send("D", &[(11, &id), (55, "ETH-USD"), (54, "2"), (40, "2"), (44, "2999"), (38, "1.5"), (59, "3")]);
    assert_eq!(c.expect("8").req(150), "0");
    let fill = c.expect("8");
    assert_eq!((fill.req(150), fill.req(39), fill.req(31), fill.req(32)), ("F", "2", "3000", "1.5"));
    // 10 bps of 3000 * 1.5 = 4.5 USD.
    assert_eq!(peer.journal().expect("the acceptor's journal")[0].fee, "4.5");
}

/// One NoOrders (73) entry of a NewOrderBatch: ClOrdID, Symbol, Side,
/// Price, OrderQty, TimeInForce; always a limit order (40=2).
struct Entry<'a> {
    id: String,
    symbol: &'a str,
    side: &'a str,
    price: &'a str,
    qty: &'a str,
    tif: &'a str,
}

impl<'a> Entry<'a> {
    fn new(symbol: &'a str, side: &'a str, price: &'a str, qty: &'a str, tif: &'a str) -> Self {
        Entry { id: uuid4(), symbol, side, price, qty, tif }
    }
}

impl Client {
    /// NewOrderBatch (35=U6): BatchID (8014), NoOrders (73), then each
    /// entry's fields in order, the group flattened onto the wire.
    fn batch(&mut self, batch_id: &str, entries: &[Entry<'_>]) {
        let count = entries.len().to_string();
        let mut body: Vec<(u32, &str)> = vec![(8014, batch_id), (73, count.as_str())];
        for e in entries {
            body.extend([(11, e.id.as_str()), (55, e.symbol), (54, e.side), (40, "2")]);
            body.extend([(44, e.price), (38, e.qty), (59, e.tif)]);
        }
        self.send("U6", &body);
    }

    /// Asserts that nothing but the answer to a TestRequest follows: no
    /// ExecutionReport was queued before it.
    fn expect_nothing_else(&mut self) {
        let probe = uuid4();
        self.send("1", &[(112, &probe)]);
        let next = self.recv().expect("the acceptor answers the TestRequest");
        assert_eq!((next.msg_type(), next.get(112)), ("0", Some(probe.as_str())), "{next:?}");
    }
}

/// A batch is handled entry by entry, each as a NewOrderSingle would be, in
/// entry order: an IOC buy that the ask fills in full, a GTC sell that
/// rests, an IOC buy that takes the ask's remaining depth and expires.
#[test]
fn new_order_batch_handles_each_order_in_entry_order() {
    let peer = Peer::start(Options::default()).expect("the acceptor starts");
    let mut c = Client::tcp(peer.addr);
    c.logon();
    let entries = [
        Entry::new("BTC-USD", "1", "60010", "0.1", "3"),
        Entry::new("BTC-USD", "2", "60500", "0.2", "1"),
        Entry::new("BTC-USD", "1", "60010", "0.4", "3"),
    ];
    let (a, b, d) = (entries[0].id.as_str(), entries[1].id.as_str(), entries[2].id.as_str());
    c.batch(&uuid4(), &entries);

    let reports: Vec<Msg> = (0..6).map(|_| c.expect("8")).collect();
    let seen: Vec<(&str, &str, &str)> = reports.iter().map(|r| (r.req(11), r.req(150), r.req(39))).collect();
    assert_eq!(
        seen,
        [(a, "0", "0"), (a, "F", "2"), (b, "0", "0"), (d, "0", "0"), (d, "F", "1"), (d, "C", "C")],
        "{reports:?}"
    );
    let [a_new, a_fill, b_new, d_new, d_fill, d_done] = &reports[..] else { unreachable!() };
    for r in [a_new, b_new, d_new] {
        assert_uuid(r.req(37));
    }
    assert_ne!(a_new.req(37), d_new.req(37));
    assert_eq!((a_new.req(54), a_new.req(44), a_new.req(38), a_new.req(59)), ("1", "60010", "0.1", "3"));
    assert_eq!((b_new.req(54), b_new.req(44), b_new.req(38), b_new.req(59)), ("2", "60500", "0.2", "1"));
    assert_eq!((a_fill.req(37), a_fill.req(31), a_fill.req(32)), (a_new.req(37), "60010", "0.1"));
    assert_eq!((a_fill.req(14), a_fill.req(151), a_fill.req(1003)), ("0.1", "0", "1"));
    // The ask had 0.25; the first order took 0.1, so the third gets 0.15.
    assert_eq!((d_fill.req(37), d_fill.req(31), d_fill.req(32)), (d_new.req(37), "60010", "0.15"));
    assert_eq!((d_fill.req(14), d_fill.req(151), d_fill.req(1003)), ("0.15", "0.25", "2"));
    assert_eq!((d_done.req(14), d_done.req(151)), ("0.15", "0"));
    assert_eq!((b_new.req(14), b_new.req(151)), ("0", "0.2"));

    let journal = peer.journal().expect("the acceptor's journal");
    let fills: Vec<(&str, &str)> = journal.iter().map(|j| (j.cl_ord_id.as_str(), j.qty.as_str())).collect();
    assert_eq!(fills, [(a, "0.1"), (d, "0.15")]);

    // The GTC sell rests.
    c.send("H", &[(11, b), (55, "BTC-USD"), (54, "2")]);
    let status = c.expect("8");
    assert_eq!((status.req(150), status.req(39), status.req(151)), ("I", "0", "0.2"));
    c.expect_nothing_else();
}

/// More than 15 entries: the whole batch is refused with a
/// NewOrderBatchReject (35=U7) and none of its orders is handled.
#[test]
fn new_order_batch_of_sixteen_is_refused_with_u7() {
    let peer = Peer::start(Options::default()).expect("the acceptor starts");
    let mut c = Client::tcp(peer.addr);
    c.logon();
    let entries: Vec<Entry<'_>> = (0..16).map(|_| Entry::new("BTC-USD", "1", "60010", "0.01", "3")).collect();
    let batch_id = uuid4();
    c.batch(&batch_id, &entries);

    let rej = c.expect("U7");
    assert_eq!(rej.req(8014), batch_id);
    assert!(rej.req(58).contains("NoOrders (73) must be 1 to 15, got 16"), "{rej:?}");
    c.expect_nothing_else();
    c.send("H", &[(11, &entries[0].id), (55, "BTC-USD"), (54, "1")]);
    let status = c.expect("8");
    assert_eq!((status.req(150), status.req(39), status.req(58)), ("I", "8", "unknown order"));
    assert!(peer.journal().expect("the acceptor's journal").is_empty());

    // Fifteen are accepted.
    let entries: Vec<Entry<'_>> = (0..15).map(|_| Entry::new("BTC-USD", "1", "59000", "0.01", "1")).collect();
    c.batch(&uuid4(), &entries);
    for e in &entries {
        let new = c.expect("8");
        assert_eq!((new.req(11), new.req(150)), (e.id.as_str(), "0"));
    }
    c.expect_nothing_else();
}

/// All orders of a batch must have one symbol; a BatchID must be a
/// lowercase UUIDv4. Either fault refuses the whole batch with U7.
#[test]
fn new_order_batch_mixing_symbols_is_refused_with_u7() {
    let peer = Peer::start(Options::default()).expect("the acceptor starts");
    let mut c = Client::tcp(peer.addr);
    c.logon();
    let entries = [Entry::new("BTC-USD", "1", "60010", "0.1", "3"), Entry::new("ETH-USD", "1", "60010", "0.1", "3")];
    let batch_id = uuid4();
    c.batch(&batch_id, &entries);
    let rej = c.expect("U7");
    assert_eq!(rej.req(8014), batch_id);
    let text = rej.req(58);
    assert!(text.contains("one Symbol (55): BTC-USD and ETH-USD"), "{text}");
    assert!(text.contains(&entries[1].id), "{text}");
    c.expect_nothing_else();

    let upper = uuid4().to_uppercase();
    c.batch(&upper, &entries[..1]);
    let rej = c.expect("U7");
    assert_eq!((rej.req(8014), rej.req(58)), (upper.as_str(), "BatchID (8014) must be a lowercase UUIDv4"));
    c.expect_nothing_else();
    assert!(peer.journal().expect("the acceptor's journal").is_empty());
}

/// Coinbase's page: U7 when every order of a batch is rejected; when only
/// some are, each of those gets an ExecutionReport reject and the others
/// are handled.
#[test]
fn new_order_batch_rejects_bad_entries_alone_and_refuses_an_all_bad_batch() {
    let peer = Peer::start(Options::default()).expect("the acceptor starts");
    let mut c = Client::tcp(peer.addr);
    c.logon();
    let entries = [Entry::new("BTC-USD", "1", "70000", "0.1", "1"), Entry::new("BTC-USD", "1", "59000", "0.1", "1")];
    c.batch(&uuid4(), &entries);
    let far = c.expect("8");
    assert_eq!((far.req(11), far.req(150), far.req(39)), (entries[0].id.as_str(), "8", "8"));
    assert_eq!(far.req(58), "price more than 10% away from the mid");
    let new = c.expect("8");
    assert_eq!((new.req(11), new.req(150), new.req(39)), (entries[1].id.as_str(), "0", "0"));
    c.expect_nothing_else();

    // Both bad: the second reuses the resting order's ClOrdID.
    let mut dup = Entry::new("BTC-USD", "1", "59000", "0.1", "1");
    dup.id = entries[1].id.clone();
    let bad = [Entry::new("BTC-USD", "1", "50000", "0.1", "1"), dup];
    let batch_id = uuid4();
    c.batch(&batch_id, &bad);
    let rej = c.expect("U7");
    assert_eq!(rej.req(8014), batch_id);
    let text = rej.req(58);
    assert!(text.contains(&bad[0].id) && text.contains("price more than 10% away from the mid"), "{text}");
    c.expect_nothing_else();
}
