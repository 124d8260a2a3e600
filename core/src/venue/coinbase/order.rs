//! NewOrderSingle (35=D) rendered once, patched per order
//! (`docs/protocols/coinbase-fix.md` §Orders). Every per-order value sits
//! in a fixed-width slot, so BodyLength never changes: MsgSeqNum is
//! zero-padded (FIX's `int` allows leading zeros), SendingTime always has
//! milliseconds, ClOrdID is a UUID, price and quantity have fixed digits.
//! A patch writes the slots and the CheckSum, nothing else.
//!
//! ClOrdID must be a lowercase UUIDv4. Each session draws 60 random bits
//! once; the engine's client order id fills the last 15 hex digits:
//! `pppppppp-pppp-4ppp-8ccc-cccccccccccc`, version 4 and variant 10 in
//! their places (RFC 9562 §5.4), so an id read back from an
//! ExecutionReport is the engine's own only if the prefix is this
//! session's.

use core::ops::Range;

use super::fix::{self, MAX_MESSAGE, Overflow, TIMESTAMP_LEN, Writer, tag};
use super::logon::TARGET_COMP_ID;
use crate::order::digits::{write_decimal, write_padded};
use crate::order::{Instrument, OrderType, Side, TimeInForce};

/// Digits of MsgSeqNum in an order (a billion messages per session).
pub const SEQ_DIGITS: usize = 9;

/// Length of a UUID in text.
pub const UUID_LEN: usize = 36;

/// Hex digits of the engine's client order id in a ClOrdID.
const ID_HEX: usize = 15;

/// The largest client order id a ClOrdID carries.
pub const MAX_CLIENT_ORDER_ID: u64 = (1 << (4 * ID_HEX)) - 1;

/// The session's ClOrdID prefix: 60 random bits drawn once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdPrefix([u8; UUID_LEN - ID_HEX - 1]);

const HEX: &[u8; 16] = b"0123456789abcdef";

impl IdPrefix {
    /// The prefix from the low 60 bits of `random`.
    pub fn new(random: u64) -> Self {
        let mut p = *b"00000000-0000-4000-8";
        let mut bits = random;
        for at in (0..p.len()).filter(|&i| !matches!(i, 8 | 13 | 14 | 18 | 19)) {
            if let Some(b) = p.get_mut(at) {
                *b = HEX[(bits & 0xf) as usize];
            }
            bits >>= 4;
        }
        Self(p)
    }

    /// The ClOrdID of the engine's client order id `id`.
    pub fn cl_ord_id(&self, id: u64) -> Result<[u8; UUID_LEN], Overflow> {
        let mut out = [0u8; UUID_LEN];
        let (head, tail) = out.split_at_mut(self.0.len());
        head.copy_from_slice(&self.0);
        write_hex(id, tail)?;
        Ok(out)
    }

    /// The engine's client order id in `cl_ord_id`, if it is one of this
    /// session's.
    pub fn client_order_id(&self, cl_ord_id: &[u8]) -> Option<u64> {
        read_id(&self.0, cl_ord_id)
    }

    /// The BatchID (8014) of the batch whose first order has the client
    /// order id `first`: the first order's ClOrdID with variant digit `9`
    /// for `8` (still a UUIDv4, RFC 9562 §4.1), so that no BatchID is ever
    /// one of the session's ClOrdIDs.
    pub fn batch_id(&self, first: u64) -> Result<[u8; UUID_LEN], Overflow> {
        let mut out = self.cl_ord_id(first)?;
        if let Some(variant) = out.get_mut(BATCH_VARIANT_AT) {
            *variant = b'9';
        }
        Ok(out)
    }

    /// The client order id of the first order of the batch `batch_id`, if
    /// it is one of this session's.
    pub fn batch_first(&self, batch_id: &[u8]) -> Option<u64> {
        let mut prefix = self.0;
        *prefix.get_mut(BATCH_VARIANT_AT)? = b'9';
        read_id(&prefix, batch_id)
    }
}

/// Where a UUID's variant digit lies.
const BATCH_VARIANT_AT: usize = 19;

/// The id in the last 15 hex digits of `uuid`, when it starts with
/// `prefix`.
fn read_id(prefix: &[u8], uuid: &[u8]) -> Option<u64> {
    if uuid.len() != UUID_LEN || uuid.get(..prefix.len())? != prefix {
        return None;
    }
    let tail = uuid.get(prefix.len()..)?;
    // The tail is `ccc-cccccccccccc`.
    if tail.get(3) != Some(&b'-') {
        return None;
    }
    let mut digits = tail.iter().enumerate().filter(|&(i, _)| i != 3);
    digits.try_fold(0u64, |n, (_, &b)| Some(n << 4 | u64::from(hex_value(b)?)))
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// Writes `id` as the `ccc-cccccccccccc` tail of a ClOrdID.
fn write_hex(mut id: u64, tail: &mut [u8]) -> Result<(), Overflow> {
    if id > MAX_CLIENT_ORDER_ID {
        return Err(Overflow);
    }
    for (i, b) in tail.iter_mut().enumerate().rev() {
        if i == 3 {
            *b = b'-';
        } else {
            *b = HEX[(id & 0xf) as usize];
            id >>= 4;
        }
    }
    Ok(())
}

/// A value of an order that does not fit its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchError {
    /// A batch of no order, or of more than [`MAX_BATCH`].
    BatchSize,
    /// MsgSeqNum needs more than [`SEQ_DIGITS`] digits.
    Seq,
    /// The client order id is above [`MAX_CLIENT_ORDER_ID`].
    ClientOrderId,
    /// The price needs more digits than the instrument allows.
    Price,
    /// The quantity needs more digits than the instrument allows.
    Quantity,
}

/// One order as the template takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Patch {
    /// MsgSeqNum.
    pub seq: u64,
    /// Unix nanoseconds, for SendingTime.
    pub unix_ns: u64,
    /// The engine's client order id.
    pub client_order_id: u64,
    /// Buy or sell.
    pub side: Side,
    /// Quantity in lots.
    pub qty: u64,
    /// Limit price in ticks (ignored for a market order).
    pub price: u64,
}

/// One order of a batch as the template takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The engine's client order id.
    pub client_order_id: u64,
    /// Buy or sell.
    pub side: Side,
    /// Quantity in lots.
    pub qty: u64,
    /// Limit price in ticks (ignored for a market order).
    pub price: u64,
}

/// Where an order's own values lie in its fields (`11=`, `54=`, `44=`,
/// `38=`), the same in a NewOrderSingle and in each entry of a batch.
#[derive(Debug, Clone)]
struct Slots {
    id: Range<usize>,
    side: usize,
    price: Option<(Range<usize>, u8)>,
    qty: (Range<usize>, u8),
}

impl Slots {
    /// The slots in `bytes`, rendered for `instrument` (`priced`: with a
    /// price).
    fn find(bytes: &[u8], instrument: &Instrument<'_>, priced: bool) -> Result<Self, BuildError> {
        let slot = |tag: &[u8], width: usize| slot(bytes, tag, width);
        Ok(Self {
            id: slot(b"\x0111=", UUID_LEN)?,
            side: slot(b"\x0154=", 1)?.start,
            price: if priced {
                Some((slot(b"\x0144=", usize::from(instrument.price.width()))?, instrument.price.decimals))
            } else {
                None
            },
            qty: (slot(b"\x0138=", usize::from(instrument.quantity.width()))?, instrument.quantity.decimals),
        })
    }

    /// The same slots `by` bytes earlier (found in a whole message, used in
    /// one entry of it).
    fn shifted(self, by: usize) -> Self {
        let back = |r: Range<usize>| r.start - by..r.end - by;
        Self {
            id: back(self.id),
            side: self.side - by,
            price: self.price.map(|(r, d)| (back(r), d)),
            qty: (back(self.qty.0), self.qty.1),
        }
    }

    /// Writes `order` into `bytes`, ClOrdID under `prefix`. Inlined into
    /// both templates' patches, the NewOrderSingle's on the fire path.
    #[inline(always)]
    fn write(&self, bytes: &mut [u8], prefix: &IdPrefix, order: &Entry) -> Result<(), PatchError> {
        let id = prefix.cl_ord_id(order.client_order_id).map_err(|_| PatchError::ClientOrderId)?;
        if let Some(slot) = bytes.get_mut(self.id.clone()) {
            slot.copy_from_slice(&id);
        }
        if let Some(b) = bytes.get_mut(self.side) {
            *b = match order.side {
                Side::Buy => b'1',
                Side::Sell => b'2',
            };
        }
        if let Some((range, decimals)) = &self.price {
            let out = bytes.get_mut(range.clone()).unwrap_or_default();
            write_decimal(order.price, usize::from(*decimals), out).map_err(|_| PatchError::Price)?;
        }
        let (range, decimals) = &self.qty;
        write_decimal(order.qty, usize::from(*decimals), bytes.get_mut(range.clone()).unwrap_or_default())
            .map_err(|_| PatchError::Quantity)
    }
}

/// The fields of one order, from ClOrdID on: a NewOrderSingle's body
/// after its header, and a batch's entry (its first field, 11, is the
/// NoOrders group's delimiter).
fn order_fields(w: &mut Writer<'_>, instrument: &Instrument<'_>, order_type: OrderType) -> Result<(), BuildError> {
    let zeros = [b'0'; 32];
    let decimal = |d: crate::order::Decimal| zeros.get(..usize::from(d.width())).ok_or(BuildError::TooLong);
    let (ord_type, tif): (&[u8], Option<&[u8]>) = match order_type {
        OrderType::Market => (b"1", None),
        OrderType::Limit(TimeInForce::Gtc) => (b"2", Some(b"1")),
        OrderType::Limit(TimeInForce::Ioc) => (b"2", Some(b"3")),
        OrderType::Limit(TimeInForce::Fok) => (b"2", Some(b"4")),
        OrderType::LimitMaker => return Err(BuildError::OrderType),
    };
    w.field(tag::CL_ORD_ID, &[b'0'; UUID_LEN])
        .field(tag::SYMBOL, instrument.symbol.as_bytes())
        .field(tag::SIDE, b"1")
        .field(tag::ORD_TYPE, ord_type);
    if order_type.is_priced() {
        w.field(tag::PRICE, decimal(instrument.price)?);
    }
    w.field(tag::ORDER_QTY, decimal(instrument.quantity)?);
    if let Some(tif) = tif {
        w.field(tag::TIME_IN_FORCE, tif);
    }
    Ok(())
}

/// A writer of a template's message `msg_type` from `api_key`: the
/// standard header with MsgSeqNum and SendingTime left as zeros for their
/// slots.
fn template_header<'b>(buf: &'b mut [u8], msg_type: &[u8], api_key: &str) -> Writer<'b> {
    let mut w = Writer::new(buf, msg_type);
    w.field(tag::MSG_SEQ_NUM, &[b'0'; SEQ_DIGITS])
        .field(tag::SENDER_COMP_ID, api_key.as_bytes())
        .field(tag::SENDING_TIME, &[b'0'; TIMESTAMP_LEN])
        .field(tag::TARGET_COMP_ID, TARGET_COMP_ID.as_bytes());
    w
}

/// The `width` bytes after the first `tag` (`␁NN=`) in `bytes`.
fn slot(bytes: &[u8], tag: &[u8], width: usize) -> Result<Range<usize>, BuildError> {
    let at = find(bytes, tag).ok_or(BuildError::TooLong)? + tag.len();
    Ok(at..at + width)
}

/// A rendered NewOrderSingle and where its slots lie.
#[derive(Debug, Clone)]
pub struct OrderTemplate {
    bytes: heapless::Vec<u8, 512>,
    seq: Range<usize>,
    time: Range<usize>,
    slots: Slots,
    /// Where `10=` starts.
    trailer: usize,
    prefix: IdPrefix,
}

/// The order could not be rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildError {
    /// Coinbase orders are limit or market (post-only is a limit with
    /// ExecInst, not modelled here).
    OrderType,
    /// The rendered order is longer than the template holds.
    TooLong,
}

impl OrderTemplate {
    /// Renders the NewOrderSingle of `instrument` and `order_type` from
    /// `api_key`, with ClOrdIDs under `prefix`.
    pub fn new(
        api_key: &str,
        instrument: &Instrument<'_>,
        order_type: OrderType,
        prefix: IdPrefix,
    ) -> Result<Self, BuildError> {
        let mut buf = [0u8; MAX_MESSAGE];
        let mut w = template_header(&mut buf, b"D", api_key);
        order_fields(&mut w, instrument, order_type)?;
        let range = w.finish().map_err(|_| BuildError::TooLong)?;
        let bytes = heapless::Vec::from_slice(buf.get(range).unwrap_or_default()).map_err(|_| BuildError::TooLong)?;
        Ok(Self {
            seq: slot(&bytes, b"\x0134=", SEQ_DIGITS)?,
            time: slot(&bytes, b"\x0152=", TIMESTAMP_LEN)?,
            slots: Slots::find(&bytes, instrument, order_type.is_priced())?,
            trailer: bytes.len() - 7,
            bytes,
            prefix,
        })
    }

    /// The session's ClOrdID prefix.
    pub fn prefix(&self) -> &IdPrefix {
        &self.prefix
    }

    /// The message as last patched.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Writes `order` into the slots and the CheckSum; returns the message.
    #[inline]
    pub fn patch(&mut self, order: &Patch) -> Result<&[u8], PatchError> {
        let bytes = self.bytes.as_mut_slice();
        write_padded(order.seq, bytes.get_mut(self.seq.clone()).unwrap_or_default()).map_err(|_| PatchError::Seq)?;
        if let Some(slot) = bytes.get_mut(self.time.clone()) {
            slot.copy_from_slice(&fix::utc_timestamp(order.unix_ns));
        }
        let entry =
            Entry { client_order_id: order.client_order_id, side: order.side, qty: order.qty, price: order.price };
        self.slots.write(bytes, &self.prefix, &entry)?;
        let sum = fix::checksum(bytes.get(..self.trailer).unwrap_or_default());
        if let Some(t) = bytes.get_mut(self.trailer..) {
            t.copy_from_slice(&fix::trailer_bytes(sum));
        }
        Ok(self.bytes.as_slice())
    }
}

/// Orders one NewOrderBatch carries at most (Coinbase's figure, given
/// with its rate limits: `docs/protocols/coinbase-fix.md` §Rate limits).
pub const MAX_BATCH: usize = 15;

/// The longest NewOrderBatch rendered: 15 entries of the widest
/// instrument the configuration allows, and its header.
pub const BATCH_CAP: usize = 2560;

/// A rendered NewOrderBatch (35=U6) of [`MAX_BATCH`] entries, patched per
/// batch for the first 1 to 15 of them (`docs/protocols/coinbase-fix.md`
/// §Orders). The entries lie one after another at fixed offsets with
/// fixed-width slots, as a NewOrderSingle's do; what precedes them depends
/// on how many are sent (BodyLength and NoOrders), so the header is
/// written right before the first entry per batch: the standard header
/// and BatchID, rendered once and patched (MsgSeqNum, SendingTime,
/// BatchID), then `73=<n>`. The CheckSum after entry `n` overwrites the
/// start of entry `n + 1`, whose ClOrdID tag is written back when a
/// later batch carries it.
#[derive(Debug, Clone)]
pub struct BatchTemplate {
    bytes: [u8; BATCH_CAP],
    /// `35=U6␁34=…␁49=…␁52=…␁56=…␁8014=…␁`.
    head: heapless::Vec<u8, 192>,
    seq: Range<usize>,
    time: Range<usize>,
    batch_id: Range<usize>,
    /// Where the first entry starts in `bytes`.
    entries_at: usize,
    entry_len: usize,
    /// Slots within an entry.
    slots: Slots,
    prefix: IdPrefix,
    /// Where the message last patched lies in `bytes`.
    sent: Range<usize>,
}

/// `8=FIXT.1.1␁9=dddd␁` and `73=dd␁`: the most written around the head.
const BATCH_ROOM: usize = 18 + 6;

impl BatchTemplate {
    /// Renders the NewOrderBatch of `instrument` and `order_type` from
    /// `api_key`, with ClOrdIDs and BatchIDs under `prefix`.
    pub fn new(
        api_key: &str,
        instrument: &Instrument<'_>,
        order_type: OrderType,
        prefix: IdPrefix,
    ) -> Result<Self, BuildError> {
        let mut buf = [0u8; MAX_MESSAGE];
        let mut w = template_header(&mut buf, b"U6", api_key);
        w.field(tag::BATCH_ID, &[b'0'; UUID_LEN]).uint(tag::NO_ORDERS, 1);
        order_fields(&mut w, instrument, order_type)?;
        let range = w.finish().map_err(|_| BuildError::TooLong)?;
        let one = buf.get(range).unwrap_or_default();
        // `8=FIXT.1.1␁9=ddd␁` | head | `73=1␁` | entry | `10=ddd␁`
        let head_at = find(one, b"35=U6").ok_or(BuildError::TooLong)?;
        let entry_at = find(one, b"\x0173=1\x01").ok_or(BuildError::TooLong)? + 1;
        let head = heapless::Vec::from_slice(one.get(head_at..entry_at).unwrap_or_default())
            .map_err(|_| BuildError::TooLong)?;
        // The entry follows `73=1␁`; its slots are the message's, from there.
        let entry_start = entry_at + 5;
        let entry = one.get(entry_start..one.len() - 7).unwrap_or_default();
        let entries_at = BATCH_ROOM + head.len();
        let mut bytes = [0u8; BATCH_CAP];
        let room = bytes.get_mut(entries_at..BATCH_CAP - 7).unwrap_or_default();
        let mut chunks = room.chunks_exact_mut(entry.len());
        for _ in 0..MAX_BATCH {
            chunks.next().ok_or(BuildError::TooLong)?.copy_from_slice(entry);
        }
        let slots = Slots::find(one, instrument, order_type.is_priced())?.shifted(entry_start);
        Ok(Self {
            seq: slot(&head, b"\x0134=", SEQ_DIGITS)?,
            time: slot(&head, b"\x0152=", TIMESTAMP_LEN)?,
            batch_id: slot(&head, b"\x018014=", UUID_LEN)?,
            entries_at,
            entry_len: entry.len(),
            slots,
            head,
            bytes,
            prefix,
            sent: 0..0,
        })
    }

    /// Writes `orders` (1 to [`MAX_BATCH`]) into the first entries, the
    /// header for as many, numbered `seq` and sent at `unix_ns`, and the
    /// CheckSum; returns the message.
    #[inline]
    pub fn patch(
        &mut self,
        seq: u64,
        unix_ns: u64,
        orders: impl IntoIterator<Item = Entry>,
    ) -> Result<&[u8], PatchError> {
        let mut n = 0;
        let mut first = None;
        let end = self.entries_at + MAX_BATCH * self.entry_len;
        let entries = self.bytes.get_mut(self.entries_at..end).unwrap_or_default();
        let mut chunks = entries.chunks_exact_mut(self.entry_len);
        for order in orders {
            let entry = chunks.next().ok_or(PatchError::BatchSize)?;
            if let Some(tag) = entry.get_mut(..3) {
                tag.copy_from_slice(b"11=");
            }
            self.slots.write(entry, &self.prefix, &order)?;
            first = first.or(Some(order.client_order_id));
            n += 1;
        }
        let first = first.ok_or(PatchError::BatchSize)?;
        let head = self.head.as_mut_slice();
        write_padded(seq, head.get_mut(self.seq.clone()).unwrap_or_default()).map_err(|_| PatchError::Seq)?;
        if let Some(slot) = head.get_mut(self.time.clone()) {
            slot.copy_from_slice(&fix::utc_timestamp(unix_ns));
        }
        let batch_id = self.prefix.batch_id(first).map_err(|_| PatchError::ClientOrderId)?;
        if let Some(slot) = head.get_mut(self.batch_id.clone()) {
            slot.copy_from_slice(&batch_id);
        }
        // `73=<n>␁` right before the first entry, the head before it.
        let count: &[u8] = if n < 10 { &[b'0' + n as u8] } else { &[b'1', b'0' + (n - 10) as u8] };
        let count_at = self.entries_at - count.len() - 4;
        let start = count_at - self.head.len();
        let bytes = &mut self.bytes;
        if let Some(to) = bytes.get_mut(start..count_at) {
            to.copy_from_slice(&self.head);
        }
        if let Some(to) = bytes.get_mut(count_at..self.entries_at) {
            to.get_mut(..3).unwrap_or_default().copy_from_slice(b"73=");
            to.get_mut(3..3 + count.len()).unwrap_or_default().copy_from_slice(count);
            if let Some(soh) = to.last_mut() {
                *soh = fix::SOH;
            }
        }
        let body = start..self.entries_at + n * self.entry_len;
        self.sent = fix::enclose(bytes, body).map_err(|_| PatchError::BatchSize)?;
        Ok(self.bytes())
    }

    /// The message as last patched.
    pub fn bytes(&self) -> &[u8] {
        self.bytes.get(self.sent.clone()).unwrap_or_default()
    }
}

/// Where `needle` first occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Renders an OrderCancelRequest (35=F) for the order with ClOrdID
/// `orig`, itself identified by `cl_ord_id`.
#[allow(clippy::too_many_arguments)]
pub fn cancel(
    buf: &mut [u8],
    api_key: &str,
    seq: u64,
    unix_ns: u64,
    cl_ord_id: &[u8; UUID_LEN],
    orig: &[u8; UUID_LEN],
    symbol: &str,
    side: Side,
) -> Result<Range<usize>, Overflow> {
    let mut w = header(buf, b"F", api_key, seq, unix_ns);
    w.field(tag::CL_ORD_ID, cl_ord_id)
        .field(tag::ORIG_CL_ORD_ID, orig)
        .field(tag::SYMBOL, symbol.as_bytes())
        .field(tag::SIDE, side_value(side));
    w.finish()
}

/// Renders an OrderStatusRequest (35=H) for the order with ClOrdID
/// `cl_ord_id`.
pub fn status(
    buf: &mut [u8],
    api_key: &str,
    seq: u64,
    unix_ns: u64,
    cl_ord_id: &[u8; UUID_LEN],
    symbol: &str,
    side: Side,
) -> Result<Range<usize>, Overflow> {
    let mut w = header(buf, b"H", api_key, seq, unix_ns);
    w.field(tag::CL_ORD_ID, cl_ord_id).field(tag::SYMBOL, symbol.as_bytes()).field(tag::SIDE, side_value(side));
    w.finish()
}

/// A writer with the standard header of a message from `api_key`.
pub(super) fn header<'b>(buf: &'b mut [u8], msg_type: &[u8], api_key: &str, seq: u64, unix_ns: u64) -> Writer<'b> {
    let mut w = Writer::new(buf, msg_type);
    w.uint(tag::MSG_SEQ_NUM, seq)
        .field(tag::SENDER_COMP_ID, api_key.as_bytes())
        .field(tag::SENDING_TIME, &fix::utc_timestamp(unix_ns))
        .field(tag::TARGET_COMP_ID, TARGET_COMP_ID.as_bytes());
    w
}

fn side_value(side: Side) -> &'static [u8] {
    match side {
        Side::Buy => b"1",
        Side::Sell => b"2",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::{Decimal, read_decimal};
    use crate::venue::coinbase::fix::Message;

    const BTC_USD: Instrument<'static> = Instrument {
        symbol: "BTC-USD",
        price: Decimal { int_digits: 7, decimals: 2 },
        quantity: Decimal { int_digits: 4, decimals: 8 },
    };

    #[test]
    fn cl_ord_ids_are_lowercase_uuid_v4_and_read_back() {
        let prefix = IdPrefix::new(0x0123_4567_89ab_cdef);
        let id = prefix.cl_ord_id(42).unwrap();
        let text = core::str::from_utf8(&id).unwrap();
        assert_eq!(text.len(), 36);
        assert_eq!(&text[14..15], "4", "{text}");
        assert!(matches!(&text[19..20], "8" | "9" | "a" | "b"), "{text}");
        assert!(text.bytes().all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert!(text.ends_with("000-00000000002a"), "{text}");
        assert_eq!(prefix.client_order_id(&id), Some(42));
        assert_eq!(prefix.client_order_id(&prefix.cl_ord_id(MAX_CLIENT_ORDER_ID).unwrap()), Some(MAX_CLIENT_ORDER_ID));
        assert_eq!(prefix.cl_ord_id(MAX_CLIENT_ORDER_ID + 1), Err(Overflow));
        assert_eq!(IdPrefix::new(7).client_order_id(&id), None);
        assert_eq!(prefix.client_order_id(b"1985ca2d-61ef-49f1-bfce-6c39d8462914"), None);
        // The tail's one dash must be where a UUID has it.
        let mut moved = id;
        moved.swap(23, 24);
        assert_eq!(prefix.client_order_id(&moved), None);
    }

    #[test]
    fn a_patched_order_frames_and_keeps_its_length() {
        let prefix = IdPrefix::new(99);
        let mut t = OrderTemplate::new("key123", &BTC_USD, OrderType::Limit(TimeInForce::Ioc), prefix).unwrap();
        let first = heapless::Vec::<u8, 512>::from_slice(
            t.patch(&Patch {
                seq: 2,
                unix_ns: 1_785_585_600_000_000_000,
                client_order_id: 7,
                side: Side::Buy,
                qty: 100_000,
                price: 6_000_000,
            })
            .unwrap(),
        )
        .unwrap();
        let (m, len) = Message::parse(&first).unwrap().unwrap();
        assert_eq!(len, first.len());
        assert_eq!(m.msg_type(), b"D");
        assert_eq!(m.seq(), Ok(2));
        assert_eq!(m.get(tag::MSG_SEQ_NUM), Some(&b"000000002"[..]));
        assert_eq!(m.get(tag::SENDING_TIME), Some(&b"20260801-12:00:00.000"[..]));
        assert_eq!(m.get(tag::PRICE), Some(&b"0060000.00"[..]));
        assert_eq!(m.get(tag::ORDER_QTY), Some(&b"0000.00100000"[..]));
        assert_eq!(m.get(tag::SIDE), Some(&b"1"[..]));
        assert_eq!(m.get(tag::TIME_IN_FORCE), Some(&b"3"[..]));
        assert_eq!(prefix.client_order_id(m.get(tag::CL_ORD_ID).unwrap()), Some(7));
        let second = t
            .patch(&Patch { seq: 123_456, unix_ns: 0, client_order_id: 8, side: Side::Sell, qty: 1, price: 1 })
            .unwrap();
        assert_eq!(second.len(), first.len());
        let (m, _) = Message::parse(second).unwrap().unwrap();
        assert_eq!(m.seq(), Ok(123_456));
        assert_eq!(m.get(tag::SIDE), Some(&b"2"[..]));
        assert_eq!(
            t.patch(&Patch { seq: 1_000_000_000, unix_ns: 0, client_order_id: 8, side: Side::Sell, qty: 1, price: 1 }),
            Err(PatchError::Seq)
        );
        assert_eq!(
            t.patch(&Patch { seq: 1, unix_ns: 0, client_order_id: 8, side: Side::Sell, qty: 1, price: u64::MAX }),
            Err(PatchError::Price)
        );
    }

    /// The fields of a NoOrders entry, in order, until the next entry's
    /// ClOrdID.
    fn entries<'m>(m: &Message<'m>) -> heapless::Vec<heapless::Vec<(u32, &'m [u8]), 8>, MAX_BATCH> {
        let mut out: heapless::Vec<heapless::Vec<(u32, &[u8]), 8>, MAX_BATCH> = heapless::Vec::new();
        for f in m.fields().skip_while(|f| f.tag != tag::NO_ORDERS).skip(1) {
            if f.tag == tag::CL_ORD_ID {
                out.push(heapless::Vec::new()).unwrap();
            }
            out.last_mut().unwrap().push((f.tag, f.value)).unwrap();
        }
        out
    }

    #[test]
    fn a_batch_of_any_size_frames_and_the_next_one_starts_clean() {
        let prefix = IdPrefix::new(0xabc);
        let mut t = BatchTemplate::new("key123", &BTC_USD, OrderType::Limit(TimeInForce::Ioc), prefix).unwrap();
        let order =
            |i: u64| Entry { client_order_id: 100 + i, side: Side::Sell, qty: 1_000 * (i + 1), price: 6_000_000 - i };
        // 15, then fewer (the last trailer lies over an entry the next
        // batch must carry again), then 10 and 9 (NoOrders' digits).
        for n in [15u64, 2, 3, 1, 10, 9, 15] {
            let bytes = heapless::Vec::<u8, BATCH_CAP>::from_slice(
                t.patch(7 + n, 1_785_585_600_000_000_000, (0..n).map(order)).unwrap(),
            )
            .unwrap();
            let (m, len) = Message::parse(&bytes).unwrap().unwrap_or_else(|| panic!("{n}: incomplete"));
            assert_eq!(len, bytes.len());
            assert_eq!(m.msg_type(), b"U6");
            assert_eq!(m.seq(), Ok(7 + n));
            assert_eq!(m.get(tag::SENDING_TIME), Some(&b"20260801-12:00:00.000"[..]));
            assert_eq!(m.uint(tag::NO_ORDERS), Ok(n));
            let batch_id = m.get(tag::BATCH_ID).unwrap();
            assert_eq!(prefix.batch_first(batch_id), Some(100));
            assert_eq!(prefix.client_order_id(batch_id), None, "a BatchID is no ClOrdID");
            let entries = entries(&m);
            assert_eq!(entries.len() as u64, n);
            for (i, e) in entries.iter().enumerate() {
                let tags: heapless::Vec<u32, 8> = e.iter().map(|f| f.0).collect();
                assert_eq!(tags, [11, 55, 54, 40, 44, 38, 59]);
                assert_eq!(prefix.client_order_id(e[0].1), Some(100 + i as u64));
                assert_eq!(e[2].1, b"2");
                assert_eq!(read_decimal(e[4].1, 2), Ok(6_000_000 - i as u64));
                assert_eq!(read_decimal(e[5].1, 8), Ok(1_000 * (i as u64 + 1)));
            }
        }
        assert_eq!(t.patch(1, 0, core::iter::empty()).err(), Some(PatchError::BatchSize));
        assert_eq!(t.patch(1, 0, (0..16).map(order)).err(), Some(PatchError::BatchSize));
        assert_eq!(t.patch(1, 0, [Entry { price: u64::MAX, ..order(0) }]).err(), Some(PatchError::Price));
    }

    #[test]
    fn the_widest_instrument_batch_fits() {
        let wide = Instrument {
            symbol: "ABCDEFGHIJ-KLMNOPQRST",
            price: Decimal { int_digits: 10, decimals: 9 },
            quantity: Decimal { int_digits: 10, decimals: 9 },
        };
        let key = "k".repeat(64);
        let mut t = BatchTemplate::new(&key, &wide, OrderType::Limit(TimeInForce::Gtc), IdPrefix::new(1)).unwrap();
        let order = Entry { client_order_id: MAX_CLIENT_ORDER_ID, side: Side::Buy, qty: u64::MAX / 10, price: 1 };
        let bytes = t.patch(999_999_999, u64::MAX, [order; MAX_BATCH]).unwrap();
        let (m, _) = Message::parse(bytes).unwrap().unwrap();
        assert_eq!(m.uint(tag::NO_ORDERS), Ok(MAX_BATCH as u64));
    }

    #[test]
    fn cancel_and_status_requests_frame() {
        let prefix = IdPrefix::new(5);
        let mut buf = [0u8; 512];
        let r = cancel(
            &mut buf,
            "k",
            9,
            0,
            &prefix.cl_ord_id(2).unwrap(),
            &prefix.cl_ord_id(1).unwrap(),
            "BTC-USD",
            Side::Buy,
        )
        .unwrap();
        let (m, _) = Message::parse(&buf[r]).unwrap().unwrap();
        assert_eq!(m.msg_type(), b"F");
        assert_eq!(prefix.client_order_id(m.get(tag::ORIG_CL_ORD_ID).unwrap()), Some(1));
        let r = status(&mut buf, "k", 10, 0, &prefix.cl_ord_id(1).unwrap(), "BTC-USD", Side::Sell).unwrap();
        let (m, _) = Message::parse(&buf[r]).unwrap().unwrap();
        assert_eq!(m.msg_type(), b"H");
        assert_eq!(m.seq(), Ok(10));
    }
}
