//! Coinbase Exchange's FIX 5.0 SP2 order entry as one venue
//! (`docs/protocols/coinbase-fix.md`): the engine's neutral order turns
//! into a patched NewOrderSingle, and the venue's FIX messages turn into
//! the engine's neutral [`Inbound`]. Everything Coinbase-specific lives in
//! this folder: the framing and field codec (`fix.rs`), the Logon and its
//! signature (`logon.rs`), the order template and the other requests
//! (`order.rs`), the execution report reader (`execution.rs`), the
//! FIXT.1.1 session (`session.rs`), and the WebSocket feed's `ticker`
//! channel that orders may be priced from (`market.rs`,
//! `docs/market-data.md` §Coinbase).
//!
//! FIX has no request ids: an answer names the order (ClOrdID) or the
//! message it answers (RefSeqNum). [`Coinbase`] keeps the engine's
//! request id of each message it sent in a ring, keyed by MsgSeqNum and by
//! what the message was about, and hands the engine replies with the ids
//! the engine knows. Its session runs on the venue's Unix time, which the
//! engine passes with every call.

pub mod execution;
pub mod fix;
pub mod logon;
pub mod market;
pub mod order;
pub mod session;

use core::ops::Range;

use self::execution::{ExecType, ExecutionReport, OrdStatus, decode_cancel_reject, decode_execution};
use self::fix::{FixError, Message, parse_utc_timestamp, tag};
use self::logon::{Credentials, LogonParams};
use self::order::{BatchTemplate, Entry, IdPrefix, OrderTemplate, Patch, PatchError};
use self::session::{Event, Session, SessionError};
use super::{
    Accepted, Decoded, Execution, Field, Inbound, NewOrder, OrderStatus, RejectKind, Rejection, Reply, RequestError,
};
use crate::ledger::{FeeAsset, Fill};
use crate::order::{Instrument, OrderType, Scale, Side, read_decimal};
use crate::sign::HmacKey;

/// Messages per second a session may send; above [`DISCONNECT_PER_SECOND`]
/// Coinbase disconnects it (`docs/protocols/coinbase-fix.md` §Rate limits).
pub const MESSAGES_PER_SECOND: u64 = 100;
/// Messages per second at which Coinbase drops the session.
pub const DISCONNECT_PER_SECOND: u64 = 200;
/// Orders per 10 s the risk gate may allow: the session's 100 messages a
/// second, less a tenth kept for Heartbeats, status requests and cancels.
pub const ORDERS_PER_10S: u64 = MESSAGES_PER_SECOND * 10 * 9 / 10;
/// Coinbase logs every session out weekly; a connection lives at most a
/// week.
pub const CONNECTION_LIFETIME_NS: u64 = 7 * 86_400 * 1_000_000_000;
/// The longest single request this venue renders (an order or a Logon);
/// a NewOrderBatch may be up to [`order::BATCH_CAP`].
pub const REQUEST_CAP: usize = 512;
/// Messages remembered to match answers to (the engine's order table has
/// as many slots).
const SENT: usize = 64;

/// How the engine trades on Coinbase.
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    /// The traded product (`BTC-USD`) and its price and size digits.
    pub instrument: Instrument<'a>,
    /// Limit (with its time in force) or market.
    pub order_type: OrderType,
    /// API key, passphrase and the decoded secret.
    pub credentials: Credentials<'a>,
    /// HeartBtInt, ResetSeqNumFlag, CancelOrdersOnDisconnect.
    pub logon: LogonParams,
    /// Random bits for this run's ClOrdID prefix.
    pub id_random: u64,
}

/// Coinbase's messages could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// Framing or a field.
    Fix(FixError),
    /// The session's rules (numbers, logon order).
    Session(SessionError),
    /// A decimal off the instrument's grid or out of range, in this tag.
    Decimal(u32),
}

/// A request could not be rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildError {
    /// The order template.
    Order(order::BuildError),
    /// The API key or passphrase is longer than the venue keeps.
    TooLong,
}

/// What a sent message was, to match its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Logon,
    Time,
    /// A NewOrderSingle not answered yet (`answered` once its first report
    /// came).
    Order {
        client_order_id: u64,
        side: Side,
        answered: bool,
    },
    Status {
        client_order_id: u64,
    },
    CancelAll,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sent {
    seq: u64,
    request_id: u64,
    kind: Kind,
}

/// The Coinbase session's requests, numbers and pending answers.
#[derive(Clone)]
pub(crate) struct Coinbase {
    template: OrderTemplate,
    batch: BatchTemplate,
    session: Session,
    logon: LogonParams,
    api_key: heapless::String<64>,
    /// The passphrase's bytes (`passphrase_len` of them), wiped on drop.
    passphrase: [u8; 64],
    passphrase_len: usize,
    secret: HmacKey,
    symbol: heapless::String<32>,
    scale: Scale,
    priced: bool,
    sent: heapless::Deque<Sent, SENT>,
    /// A rendered request, returned by reference.
    out: [u8; fix::MAX_MESSAGE],
}

impl core::fmt::Debug for Coinbase {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Coinbase")
            .field("api_key", &self.api_key)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

impl Drop for Coinbase {
    fn drop(&mut self) {
        // The HMAC key wipes itself.
        zeroize::Zeroize::zeroize(&mut self.passphrase);
    }
}

impl Coinbase {
    /// Renders the order template and keeps the session's credentials.
    pub(crate) fn new(settings: &Settings<'_>) -> Result<Self, BuildError> {
        let creds = &settings.credentials;
        let prefix = IdPrefix::new(settings.id_random);
        let mut passphrase = [0u8; 64];
        passphrase
            .get_mut(..creds.passphrase.len())
            .ok_or(BuildError::TooLong)?
            .copy_from_slice(creds.passphrase.as_bytes());
        Ok(Self {
            template: OrderTemplate::new(creds.api_key, &settings.instrument, settings.order_type, prefix)
                .map_err(BuildError::Order)?,
            batch: BatchTemplate::new(creds.api_key, &settings.instrument, settings.order_type, prefix)
                .map_err(BuildError::Order)?,
            session: Session::new(0, settings.logon.heartbeat_secs),
            logon: settings.logon,
            api_key: heapless::String::try_from(creds.api_key).map_err(|_| BuildError::TooLong)?,
            passphrase,
            passphrase_len: creds.passphrase.len(),
            secret: creds.secret.clone(),
            symbol: heapless::String::try_from(settings.instrument.symbol).map_err(|_| BuildError::TooLong)?,
            scale: settings.instrument.scale(),
            priced: settings.order_type.is_priced(),
            sent: heapless::Deque::new(),
            out: [0; fix::MAX_MESSAGE],
        })
    }

    /// Requests carry Unix nanoseconds (SendingTime is rendered from them).
    pub(crate) fn timestamp(&self, unix_ns: u64) -> u64 {
        unix_ns
    }

    fn remember(&mut self, seq: u64, request_id: u64, kind: Kind) {
        if self.sent.is_full() {
            let _ = self.sent.pop_front();
        }
        let _ = self.sent.push_back(Sent { seq, request_id, kind });
    }

    fn rendered(&self, range: Result<Range<usize>, fix::Overflow>) -> Result<&[u8], RequestError> {
        let range = range.map_err(|_| RequestError::TooLong)?;
        self.out.get(range).ok_or(RequestError::TooLong)
    }

    /// A new connection: a new session, logging on with MsgSeqNum 1 and
    /// ResetSeqNumFlag Y, or (`reset_seq` off) with the numbers the last
    /// connection left, so that the venue resends what that connection
    /// lost (docs/protocols/coinbase-fix.md §Session).
    pub(crate) fn logon(&mut self, id: u64, unix_ns: u64) -> Result<&[u8], RequestError> {
        let heartbeat = self.logon.heartbeat_secs;
        self.session = if self.logon.reset_seq {
            Session::new(unix_ns, heartbeat)
        } else {
            Session::resume(unix_ns, heartbeat, self.session.next_out(), self.session.next_in())
        };
        self.sent.clear();
        let seq = self.session.take_seq(unix_ns);
        self.remember(seq, id, Kind::Logon);
        // Valid UTF-8 when it was copied in.
        let passphrase = core::str::from_utf8(self.passphrase.get(..self.passphrase_len).unwrap_or_default());
        let creds =
            Credentials { api_key: &self.api_key, passphrase: passphrase.unwrap_or_default(), secret: &self.secret };
        let range = logon::logon(&mut self.out, &creds, &self.logon, seq, unix_ns);
        self.rendered(range)
    }

    /// The venue's clock: a TestRequest whose Heartbeat carries the
    /// venue's SendingTime.
    pub(crate) fn time_request(&mut self, id: u64, unix_ns: u64) -> Result<&[u8], RequestError> {
        let seq = self.session.take_seq(unix_ns);
        self.remember(seq, id, Kind::Time);
        let mut w = order::header(&mut self.out, b"1", &self.api_key, seq, unix_ns);
        w.uint(tag::TEST_REQ_ID, id);
        let range = w.finish();
        self.rendered(range)
    }

    /// OrderMassCancelRequest (35=q) for the orders of this trading
    /// session: MassCancelRequestType 6, the only one Coinbase takes
    /// (docs/protocols/coinbase-fix.md §In the engine).
    pub(crate) fn cancel_all(&mut self, id: u64, unix_ns: u64) -> Result<&[u8], RequestError> {
        let seq = self.session.take_seq(unix_ns);
        self.remember(seq, id, Kind::CancelAll);
        let cl = self.template.prefix().cl_ord_id(0).map_err(|_| RequestError::Overflow(Field::ClientOrderId))?;
        let mut w = order::header(&mut self.out, b"q", &self.api_key, seq, unix_ns);
        w.field(tag::CL_ORD_ID, &cl)
            .field(tag::MASS_CANCEL_REQUEST_TYPE, b"6")
            .field(tag::TRANSACT_TIME, &fix::utc_timestamp(unix_ns));
        let range = w.finish();
        self.rendered(range)
    }

    /// OrderStatusRequest (35=H) for the order `client_order_id`.
    pub(crate) fn status_query(&mut self, id: u64, client_order_id: u64, unix_ns: u64) -> Result<&[u8], RequestError> {
        // Side (54) is required; an order this session did not send
        // (one from before a restart) is asked about as a buy.
        let side = self
            .sent
            .iter()
            .find_map(|s| match s.kind {
                Kind::Order { client_order_id: c, side, .. } if c == client_order_id => Some(side),
                _ => None,
            })
            .unwrap_or(Side::Buy);
        let cl = self
            .template
            .prefix()
            .cl_ord_id(client_order_id)
            .map_err(|_| RequestError::Overflow(Field::ClientOrderId))?;
        let seq = self.session.take_seq(unix_ns);
        self.remember(seq, id, Kind::Status { client_order_id });
        let range = order::status(&mut self.out, &self.api_key, seq, unix_ns, &cl, &self.symbol, side);
        self.rendered(range)
    }

    /// The NewOrderSingle for `order`, numbered with the session's next
    /// MsgSeqNum; `commit` takes that number and awaits the answer (a dry
    /// run takes nothing).
    #[inline]
    pub(crate) fn place(&mut self, order: &NewOrder, commit: bool) -> Result<&[u8], RequestError> {
        let seq = self.session.next_out();
        let patch = Patch {
            seq,
            unix_ns: order.timestamp,
            client_order_id: order.client_order_id,
            side: order.side,
            qty: order.qty,
            price: if self.priced { order.price } else { 0 },
        };
        self.template.patch(&patch).map_err(request_error)?;
        if commit {
            self.session.take_seq(order.timestamp);
            self.remember_order(seq, order);
        }
        Ok(self.template.bytes())
    }

    /// The NewOrderBatch (U6) for `orders` (1 to [`order::MAX_BATCH`], all
    /// sent at the first one's timestamp) as one message numbered with the
    /// session's next MsgSeqNum; `commit` as for [`place`](Self::place).
    /// Each order is answered on its own, as a NewOrderSingle is, unless
    /// the venue refuses the whole batch (NewOrderBatchReject, U7).
    #[inline]
    pub(crate) fn place_batch(&mut self, orders: &[NewOrder], commit: bool) -> Result<&[u8], RequestError> {
        let seq = self.session.next_out();
        let unix_ns = orders.first().map_or(0, |o| o.timestamp);
        let priced = self.priced;
        let entries = orders.iter().map(|o| Entry {
            client_order_id: o.client_order_id,
            side: o.side,
            qty: o.qty,
            price: if priced { o.price } else { 0 },
        });
        self.batch.patch(seq, unix_ns, entries).map_err(request_error)?;
        if commit {
            self.session.take_seq(unix_ns);
            for order in orders {
                self.remember_order(seq, order);
            }
        }
        Ok(self.batch.bytes())
    }

    fn remember_order(&mut self, seq: u64, order: &NewOrder) {
        let kind = Kind::Order { client_order_id: order.client_order_id, side: order.side, answered: false };
        self.remember(seq, order.request_id, kind);
    }
}

fn request_error(e: PatchError) -> RequestError {
    match e {
        PatchError::BatchSize => RequestError::TooLong,
        PatchError::Seq => RequestError::Overflow(Field::RequestId),
        PatchError::ClientOrderId => RequestError::Overflow(Field::ClientOrderId),
        PatchError::Price => RequestError::Overflow(Field::Price),
        PatchError::Quantity => RequestError::Overflow(Field::Quantity),
    }
}

impl Coinbase {
    /// One complete message from the venue, received at `unix_ns`: what
    /// it means, appended to `out`.
    pub(crate) fn decode(&mut self, message: &[u8], unix_ns: u64, out: &mut Decoded) -> Result<(), DecodeError> {
        let (m, _) = Message::parse(message).map_err(DecodeError::Fix)?.ok_or(DecodeError::Fix(FixError::Trailer))?;
        let event = self.session.on_message(unix_ns, &m).map_err(DecodeError::Session)?;
        let inbound = match event {
            Event::None => match m.msg_type() {
                // A Heartbeat naming our TestRequest: the venue's clock.
                b"0" => self.heartbeat(&m),
                _ => None,
            },
            Event::LoggedOn => self.answer(|k| k == Kind::Logon, accepted_at(&m)),
            Event::LoggedOut(_) if self.pending(|k| k == Kind::Logon).is_some() => {
                self.answer(|k| k == Kind::Logon, refused(0, RejectKind::BadSignature))
            }
            Event::LoggedOut(_) => Some(Inbound::Closing),
            Event::Gap(_) => Some(Inbound::Gap),
            Event::Rejected { ref_seq, .. } => {
                self.refuse_seq(ref_seq, 0, out);
                None
            }
            Event::Application(m) => return self.application(&m, out),
        };
        if let Some(inbound) = inbound {
            let _ = out.push(inbound);
        }
        Ok(())
    }

    fn application(&mut self, m: &Message<'_>, out: &mut Decoded) -> Result<(), DecodeError> {
        match m.msg_type() {
            b"8" => {
                let r = decode_execution(m).map_err(DecodeError::Fix)?;
                self.execution(&r, out)?;
            }
            // The engine cancels with OrderMassCancelRequest, never one
            // order at a time: a cancel reject answers nothing of its. It
            // is still read, so a malformed one is reported.
            b"9" => {
                decode_cancel_reject(m).map_err(DecodeError::Fix)?;
            }
            // BusinessMessageReject names the message it refuses.
            b"j" => {
                let ref_seq = m.uint(tag::REF_SEQ_NUM).map_err(DecodeError::Fix)?;
                let code = m.uint(tag::BUSINESS_REJECT_REASON).ok().and_then(|c| i32::try_from(c).ok()).unwrap_or(0);
                self.refuse_seq(ref_seq, code, out);
            }
            // NewOrderBatchReject: none of the batch was placed. Its
            // BatchID names the batch's first order, whose MsgSeqNum
            // every order of the batch shares.
            b"U7" => {
                let batch_id = m.get(tag::BATCH_ID).ok_or(DecodeError::Fix(FixError::Missing(tag::BATCH_ID)))?;
                let first = self.template.prefix().batch_first(batch_id);
                let seq = self.sent.iter().find_map(|s| match s.kind {
                    Kind::Order { client_order_id, .. } if Some(client_order_id) == first => Some(s.seq),
                    _ => None,
                });
                if let Some(seq) = seq {
                    self.refuse_seq(seq, 0, out);
                }
            }
            // OrderMassCancelReport: MassCancelResponse (531) 0 is a refusal.
            b"r" => {
                let response = m.get(tag::MASS_CANCEL_RESPONSE).unwrap_or_default();
                let outcome = if response == b"0" { refused(0, RejectKind::Other) } else { accepted(None) };
                if let Some(inbound) = self.answer(|k| k == Kind::CancelAll, outcome) {
                    let _ = out.push(inbound);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn execution(&mut self, r: &ExecutionReport<'_>, out: &mut Decoded) -> Result<(), DecodeError> {
        let client_order_id = r.cl_ord_id.and_then(|c| self.template.prefix().client_order_id(c));
        let status = match r.ord_status {
            OrdStatus::Working => OrderStatus::Working,
            OrdStatus::Filled => OrderStatus::Filled,
            OrdStatus::Closed | OrdStatus::Rejected => OrderStatus::Closed,
        };
        let code = r.ord_rej_reason.and_then(|c| i32::try_from(c).ok()).unwrap_or(0);
        let qty = |tag: u32, text: Option<&[u8]>| -> Result<u64, DecodeError> {
            text.map_or(Ok(0), |t| read_decimal(t, self.scale.qty).map_err(|_| DecodeError::Decimal(tag)))
        };
        let cumulative = qty(tag::CUM_QTY, r.cum_qty)?;
        let order_id = fnv64(r.order_id);
        // Where the order stands, as an answer to a request about it.
        let standing = super::Outcome::Accepted(Accepted {
            order_id: Some(order_id),
            status,
            executed_qty: Some(cumulative),
            server_time_ms: r.transact_time_ms,
        });
        if r.exec_type == ExecType::Status {
            let Some(id) = client_order_id else { return Ok(()) };
            // FIX 5.0 SP2 answers a status request for an order it does
            // not know with OrdStatus Rejected.
            let outcome =
                if r.ord_status == OrdStatus::Rejected { refused(code, RejectKind::NoSuchOrder) } else { standing };
            if let Some(inbound) = self.answer(|k| k == Kind::Status { client_order_id: id }, outcome) {
                let _ = out.push(inbound);
            }
            return Ok(());
        }
        // The first report of one of our orders answers its NewOrderSingle.
        if let Some(id) = client_order_id
            && let Some(at) =
                self.pending(|k| matches!(k, Kind::Order { client_order_id: c, answered: false, .. } if c == id))
        {
            let outcome = if r.exec_type == ExecType::Rejected { refused(code, RejectKind::Other) } else { standing };
            if let Some(sent) = self.sent.iter_mut().nth(at) {
                if let Kind::Order { answered, .. } = &mut sent.kind {
                    *answered = true;
                }
                let _ = out.push(Inbound::Reply(Reply { id: Some(sent.request_id), status: 200, outcome }));
            }
            if r.exec_type == ExecType::Rejected {
                return Ok(());
            }
        }
        let fill = match (r.exec_type, r.trade_id) {
            (ExecType::Trade, Some(trade_id)) => {
                let price = r.last_px.map_or(Ok(0), |t| {
                    read_decimal(t, self.scale.price).map_err(|_| DecodeError::Decimal(tag::LAST_PX))
                })?;
                let (fee, currency) = r.fee.unwrap_or((0, None));
                Some(Fill {
                    trade_id,
                    order_id,
                    side: r.side,
                    qty: qty(tag::LAST_QTY, r.last_qty)?,
                    price,
                    fee,
                    fee_asset: self.fee_asset(fee, currency),
                    maker: r.aggressor == Some(false),
                })
            }
            _ => None,
        };
        let order_qty = match r.order_qty {
            Some(_) => qty(tag::ORDER_QTY, r.order_qty)?,
            None => cumulative,
        };
        let _ = out.push(Inbound::Execution(Execution {
            client_order_id,
            side: r.side,
            order_qty,
            cumulative_qty: cumulative,
            status,
            fill,
            time_ms: r.transact_time_ms.unwrap_or(0),
        }));
        Ok(())
    }

    /// A Heartbeat answering our clock TestRequest.
    fn heartbeat(&mut self, m: &Message<'_>) -> Option<Inbound> {
        let id = m.uint(tag::TEST_REQ_ID).ok()?;
        let at = self.sent.iter().position(|s| s.kind == Kind::Time && s.request_id == id)?;
        let sent = self.take(at)?;
        Some(Inbound::Reply(Reply { id: Some(sent.request_id), status: 200, outcome: accepted_at(m) }))
    }

    /// Index in `sent` of the oldest message of the kind `is`.
    fn pending(&self, is: impl Fn(Kind) -> bool) -> Option<usize> {
        self.sent.iter().position(|s| is(s.kind))
    }

    /// The reply to the oldest message of the kind `is`, which is
    /// forgotten.
    fn answer(&mut self, is: impl Fn(Kind) -> bool, outcome: super::Outcome) -> Option<Inbound> {
        let at = self.pending(is)?;
        let id = self.take(at)?.request_id;
        Some(Inbound::Reply(Reply { id: Some(id), status: 200, outcome }))
    }

    fn take(&mut self, at: usize) -> Option<Sent> {
        let sent = *self.sent.iter().nth(at)?;
        let n = self.sent.len();
        for _ in 0..n {
            if let Some(s) = self.sent.pop_front()
                && s != sent
            {
                let _ = self.sent.push_back(s);
            }
        }
        Some(sent)
    }

    /// The replies refusing the message numbered `ref_seq`, if we
    /// remember it: one per order of a batch.
    fn refuse_seq(&mut self, ref_seq: u64, code: i32, out: &mut Decoded) {
        while let Some(at) = self.sent.iter().position(|s| s.seq == ref_seq)
            && let Some(sent) = self.take(at)
        {
            let kind = if sent.kind == Kind::Logon { RejectKind::BadSignature } else { RejectKind::Other };
            let reply = Reply { id: Some(sent.request_id), status: 400, outcome: refused(code, kind) };
            let _ = out.push(Inbound::Reply(reply));
        }
    }

    fn fee_asset(&self, fee: u64, currency: Option<&[u8]>) -> FeeAsset {
        let symbol = self.symbol.as_bytes();
        let (base, quote) = match symbol.iter().position(|&b| b == b'-') {
            Some(dash) => (symbol.get(..dash).unwrap_or_default(), symbol.get(dash + 1..).unwrap_or_default()),
            None => (symbol, &[][..]),
        };
        match currency {
            _ if fee == 0 => FeeAsset::None,
            // Coinbase charges fees in the quote currency.
            None => FeeAsset::Quote,
            Some(c) if c == quote => FeeAsset::Quote,
            Some(c) if c == base => FeeAsset::Base,
            Some(_) => FeeAsset::Other,
        }
    }

    /// The next admin message the session owes (Heartbeat, TestRequest,
    /// ResendRequest, gap fill, Logout), rendered at `unix_ns`.
    pub(crate) fn poll_admin(&mut self, unix_ns: u64) -> Option<Result<&[u8], RequestError>> {
        let range = self.session.poll_admin(unix_ns, &self.api_key, &mut self.out)?;
        Some(self.rendered(range))
    }

    /// When the session's timers next need [`on_timeout`](Self::on_timeout),
    /// in the venue's Unix time.
    pub(crate) fn deadline(&self) -> Option<u64> {
        self.session.deadline()
    }

    /// The session's timers at `unix_ns`; an unanswered TestRequest ends it.
    pub(crate) fn on_timeout(&mut self, unix_ns: u64) -> Result<Option<Inbound>, SessionError> {
        Ok(self.session.on_timeout(unix_ns)?.map(|_| Inbound::Gap))
    }

    /// The Text (58) of `message` when it is a Logout: why the venue ends
    /// the session.
    pub(crate) fn logout_text(message: &[u8]) -> Option<&[u8]> {
        // MsgType is the third field, inside the first 24 bytes
        // (`8=FIXT.1.1␁9=NNNN␁35=5␁`): every other message is passed by
        // without parsing it again.
        let head = message.get(..message.len().min(24))?;
        if !head.windows(6).any(|w| w == b"\x0135=5\x01") {
            return None;
        }
        let (m, _) = Message::parse(message).ok()??;
        (m.msg_type() == b"5").then(|| m.get(tag::TEXT).unwrap_or_default())
    }

    /// Whether the session still waits for messages it asked the venue to
    /// send again.
    pub(crate) fn resending(&self) -> bool {
        self.session.resending()
    }

    /// Ends the session with a Logout.
    pub(crate) fn logout(&mut self) {
        self.session.logout("");
    }
}

fn accepted(server_time_ms: Option<u64>) -> super::Outcome {
    super::Outcome::Accepted(Accepted {
        order_id: None,
        status: OrderStatus::Working,
        executed_qty: None,
        server_time_ms,
    })
}

/// Accepted, with the message's SendingTime as the venue's clock.
fn accepted_at(m: &Message<'_>) -> super::Outcome {
    accepted(m.get(tag::SENDING_TIME).and_then(parse_utc_timestamp))
}

fn refused(code: i32, kind: RejectKind) -> super::Outcome {
    super::Outcome::Rejected(Rejection { code, kind, retry_after_unix_ms: None })
}

/// OrderID (a UUID at Coinbase) as the ledger's 64-bit order id: its
/// FNV-1a hash, stable for the same id.
fn fnv64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::fix::Writer;
    use super::*;
    use crate::order::Instrument;

    fn message(msg_type: &[u8], fields: &[(u32, &[u8])]) -> heapless::Vec<u8, 512> {
        let mut buf = [0u8; 512];
        let mut w = Writer::new(&mut buf, msg_type);
        w.uint(tag::MSG_SEQ_NUM, 1).field(tag::SENDER_COMP_ID, b"Coinbase");
        for (t, v) in fields {
            w.field(*t, v);
        }
        let range = w.finish().unwrap();
        heapless::Vec::from_slice(&buf[range]).unwrap()
    }

    /// A message from the venue numbered `seq`.
    fn from_venue(msg_type: &[u8], seq: u64, fields: &[(u32, &[u8])]) -> heapless::Vec<u8, 512> {
        let mut buf = [0u8; 512];
        let mut w = Writer::new(&mut buf, msg_type);
        w.uint(tag::MSG_SEQ_NUM, seq)
            .field(tag::SENDER_COMP_ID, b"Coinbase")
            .field(tag::SENDING_TIME, b"20260801-12:00:00.000")
            .field(tag::TARGET_COMP_ID, b"key123");
        for (t, v) in fields {
            w.field(*t, v);
        }
        let range = w.finish().unwrap();
        heapless::Vec::from_slice(&buf[range]).unwrap()
    }

    fn decode(c: &mut Coinbase, message: &[u8], t: u64) -> Decoded {
        let mut out = Decoded::new();
        c.decode(message, t, &mut out).unwrap();
        out
    }

    fn refusals(decoded: &Decoded) -> heapless::Vec<u64, 16> {
        decoded
            .iter()
            .filter_map(|i| match i {
                Inbound::Reply(Reply { id, outcome: super::super::Outcome::Rejected(_), .. }) => *id,
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_batch_is_refused_whole_by_its_batch_reject_or_a_session_reject_and_else_answered_per_order() {
        let secret = HmacKey::new(b"secret");
        let settings = Settings {
            instrument: Instrument {
                symbol: "BTC-USD",
                price: crate::order::Decimal { int_digits: 7, decimals: 2 },
                quantity: crate::order::Decimal { int_digits: 4, decimals: 8 },
            },
            order_type: OrderType::Limit(crate::order::TimeInForce::Ioc),
            credentials: Credentials { api_key: "key123", passphrase: "pass", secret: &secret },
            logon: LogonParams {
                heartbeat_secs: 30,
                reset_seq: true,
                cancel_on_disconnect: logon::CancelOnDisconnect::Profile,
            },
            id_random: 42,
        };
        let mut c = Coinbase::new(&settings).unwrap();
        let t = 1_785_585_600_000_000_000;
        c.logon(1, t).unwrap();
        let logged_on = decode(&mut c, &from_venue(b"A", 1, &[(tag::HEART_BT_INT, b"30")]), t);
        assert!(matches!(logged_on[..], [Inbound::Reply(Reply { id: Some(1), .. })]), "{logged_on:?}");
        let order = |id: u64| NewOrder {
            request_id: id,
            client_order_id: id,
            side: Side::Buy,
            qty: 100,
            price: 6_000_000,
            timestamp: t,
        };
        let prefix = *c.template.prefix();

        // Refused whole by its BatchID, which names the first order.
        c.place_batch(&[order(10), order(11), order(12)], true).unwrap();
        let batch_id = prefix.batch_id(10).unwrap();
        let r = decode(&mut c, &from_venue(b"U7", 2, &[(tag::BATCH_ID, &batch_id), (tag::TEXT, b"no")]), t);
        assert_eq!(refusals(&r), [10, 11, 12]);
        // An unknown BatchID answers nothing.
        let r = decode(&mut c, &from_venue(b"U7", 3, &[(tag::BATCH_ID, &batch_id)]), t);
        assert!(r.is_empty(), "{r:?}");

        // A session Reject names the batch's MsgSeqNum (3: the Logon was 1).
        c.place_batch(&[order(20), order(21)], true).unwrap();
        let r = decode(&mut c, &from_venue(b"3", 4, &[(tag::REF_SEQ_NUM, b"3")]), t);
        assert_eq!(refusals(&r), [20, 21]);

        // Otherwise each order is answered by its own report.
        let bytes =
            heapless::Vec::<u8, 2560>::from_slice(c.place_batch(&[order(30), order(31)], true).unwrap()).unwrap();
        let (m, _) = Message::parse(&bytes).unwrap().unwrap();
        assert_eq!(m.seq(), Ok(4));
        for (seq, id, exec) in [(5, 31, b"0"), (6, 30, b"8")] {
            let cl = prefix.cl_ord_id(id).unwrap();
            let status: &[u8] = if exec == b"0" { b"0" } else { b"8" };
            let fields: [(u32, &[u8]); 8] = [
                (tag::CL_ORD_ID, &cl),
                (tag::ORDER_ID, b"7c1d1a2f-0000-4000-8000-000000000001"),
                (tag::EXEC_ID, b"e1"),
                (tag::EXEC_TYPE, exec),
                (tag::ORD_STATUS, status),
                (tag::SIDE, b"1"),
                (tag::ORDER_QTY, b"0.00000100"),
                (tag::CUM_QTY, b"0"),
            ];
            let r = decode(&mut c, &from_venue(b"8", seq, &fields), t);
            let reply = r.iter().find_map(|i| match i {
                Inbound::Reply(reply) => Some(*reply),
                _ => None,
            });
            assert_eq!(reply.and_then(|r| r.id), Some(id), "{r:?}");
            let refused = matches!(reply.map(|r| r.outcome), Some(super::super::Outcome::Rejected(_)));
            assert_eq!(refused, exec == b"8");
        }
    }

    #[test]
    fn a_logout_says_why_and_nothing_else_is_read_for_it() {
        let text = b"Rejected Logon Attempt: bad signature";
        let logout = message(b"5", &[(tag::TEXT, text)]);
        assert_eq!(Coinbase::logout_text(&logout), Some(&text[..]));
        assert_eq!(Coinbase::logout_text(&message(b"5", &[])), Some(&b""[..]));
        // A report whose Text happens to hold "35=5" is not a Logout.
        let report = message(b"8", &[(tag::TEXT, b"\x0135=5\x01")]);
        assert_eq!(Coinbase::logout_text(&report), None);
        assert_eq!(Coinbase::logout_text(b"8=FIXT.1.1\x019=5\x0135=5\x01"), None, "cut short");
    }
}
