//! ExecutionReport (35=8) and OrderCancelReject (35=9) read in one pass
//! over the fields, without copying (`docs/protocols/coinbase-fix.md`
//! §Execution reports): the order's ids, what happened (ExecType 150),
//! where it stands (OrdStatus 39), quantities as the venue's decimal
//! text, and for a fill its price, quantity, TradeID (1003), aggressor
//! flag (1057) and fees (the NoMiscFees group, 136 with 137/138/139).

use super::fix::{FixError, Message, parse_uint, parse_utc_timestamp, tag};
use crate::ledger::FEE_DECIMALS;
use crate::order::{Side, read_decimal};

/// ExecType (150): what the report says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecType {
    /// `0`: the order is working.
    New,
    /// `F`: a trade (a fill, partial or full).
    Trade,
    /// `4`: cancelled.
    Canceled,
    /// `5`: replaced.
    Replaced,
    /// `6`: a cancel is pending.
    PendingCancel,
    /// `8`: rejected (Text 58 says why).
    Rejected,
    /// `C`: expired (an IOC's unfilled rest).
    Expired,
    /// `D`: restated by the venue (self-trade prevention).
    Restated,
    /// `I`: the answer to an OrderStatusRequest.
    Status,
    /// Any other value.
    Other(u8),
}

impl ExecType {
    fn from_byte(b: u8) -> Self {
        match b {
            b'0' => Self::New,
            b'F' => Self::Trade,
            b'4' => Self::Canceled,
            b'5' => Self::Replaced,
            b'6' => Self::PendingCancel,
            b'8' => Self::Rejected,
            b'C' => Self::Expired,
            b'D' => Self::Restated,
            b'I' => Self::Status,
            other => Self::Other(other),
        }
    }
}

/// OrdStatus (39): where the order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrdStatus {
    /// `0` new, `1` partially filled, `6` pending cancel, `A` pending
    /// new, `E` pending replace: still working.
    Working,
    /// `2`: filled in full.
    Filled,
    /// `4` canceled, `C` expired, `3` done for day: closed.
    Closed,
    /// `8`: rejected (in a status answer: no such order).
    Rejected,
}

impl OrdStatus {
    fn from_byte(b: u8) -> Option<Self> {
        match b {
            b'0' | b'1' | b'6' | b'A' | b'E' => Some(Self::Working),
            b'2' => Some(Self::Filled),
            b'3' | b'4' | b'C' => Some(Self::Closed),
            b'8' => Some(Self::Rejected),
            _ => None,
        }
    }
}

/// One ExecutionReport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecutionReport<'a> {
    /// ClOrdID (11), when the report carries it.
    pub cl_ord_id: Option<&'a [u8]>,
    /// OrderID (37).
    pub order_id: &'a [u8],
    /// ExecType (150).
    pub exec_type: ExecType,
    /// OrdStatus (39).
    pub ord_status: OrdStatus,
    /// Side (54).
    pub side: Side,
    /// OrderQty (38), decimal text.
    pub order_qty: Option<&'a [u8]>,
    /// CumQty (14), decimal text.
    pub cum_qty: Option<&'a [u8]>,
    /// LastPx (31), decimal text (fills).
    pub last_px: Option<&'a [u8]>,
    /// LastQty (32), decimal text (fills).
    pub last_qty: Option<&'a [u8]>,
    /// TradeID (1003) of a fill.
    pub trade_id: Option<u64>,
    /// AggressorIndicator (1057): `Y` when the order took liquidity.
    pub aggressor: Option<bool>,
    /// The fees of a fill (MiscFeeAmt 137 summed over the group), in
    /// 10^-[`FEE_DECIMALS`] of their currency, and that currency (138).
    pub fee: Option<(u64, Option<&'a [u8]>)>,
    /// TransactTime (60), Unix milliseconds.
    pub transact_time_ms: Option<u64>,
    /// Text (58): why, for a rejection.
    pub text: Option<&'a [u8]>,
    /// OrdRejReason (103) of a rejection.
    pub ord_rej_reason: Option<u64>,
}

/// One OrderCancelReject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancelReject<'a> {
    /// ClOrdID (11) of the cancel request.
    pub cl_ord_id: Option<&'a [u8]>,
    /// OrigClOrdID (41): the order it was to cancel.
    pub orig_cl_ord_id: Option<&'a [u8]>,
    /// CxlRejReason (102), when given.
    pub reason: Option<u64>,
    /// Text (58).
    pub text: Option<&'a [u8]>,
}

/// Reads an ExecutionReport. Fails on a missing or malformed field the
/// engine needs, or a fee group whose count disagrees with its entries.
pub fn decode_execution<'a>(m: &Message<'a>) -> Result<ExecutionReport<'a>, FixError> {
    let mut cl_ord_id = None;
    let mut order_id = None;
    let mut exec_type = None;
    let mut ord_status = None;
    let mut side = None;
    let mut order_qty = None;
    let mut cum_qty = None;
    let mut last_px = None;
    let mut last_qty = None;
    let mut trade_id = None;
    let mut aggressor = None;
    let mut transact_time_ms = None;
    let mut text = None;
    let mut ord_rej_reason = None;
    let mut fee_count: Option<u64> = None;
    let mut fee_entries = 0u64;
    let mut fee_sum = 0u64;
    let mut fee_currency = None;
    for f in m.fields() {
        let one = |v: &[u8]| match v {
            [b] => Ok(*b),
            _ => Err(FixError::Value(f.tag)),
        };
        match f.tag {
            tag::CL_ORD_ID => cl_ord_id = Some(f.value),
            tag::ORDER_ID => order_id = Some(f.value),
            tag::EXEC_TYPE => exec_type = Some(ExecType::from_byte(one(f.value)?)),
            tag::ORD_STATUS => {
                ord_status = Some(OrdStatus::from_byte(one(f.value)?).ok_or(FixError::Value(f.tag))?);
            }
            tag::SIDE => {
                side = Some(match one(f.value)? {
                    b'1' => Side::Buy,
                    b'2' => Side::Sell,
                    _ => return Err(FixError::Value(f.tag)),
                });
            }
            tag::ORDER_QTY => order_qty = Some(f.value),
            tag::CUM_QTY => cum_qty = Some(f.value),
            tag::LAST_PX => last_px = Some(f.value),
            tag::LAST_QTY => last_qty = Some(f.value),
            tag::TRADE_ID => trade_id = Some(parse_uint(f.value).ok_or(FixError::Value(f.tag))?),
            tag::AGGRESSOR_INDICATOR => {
                aggressor = Some(match one(f.value)? {
                    b'Y' => true,
                    b'N' => false,
                    _ => return Err(FixError::Value(f.tag)),
                });
            }
            tag::TRANSACT_TIME => {
                transact_time_ms = Some(parse_utc_timestamp(f.value).ok_or(FixError::Value(f.tag))?);
            }
            tag::TEXT => text = Some(f.value),
            tag::ORD_REJ_REASON => ord_rej_reason = Some(parse_uint(f.value).ok_or(FixError::Value(f.tag))?),
            tag::NO_MISC_FEES => {
                if fee_count.is_some() {
                    return Err(FixError::Group(tag::NO_MISC_FEES));
                }
                fee_count = Some(parse_uint(f.value).ok_or(FixError::Value(f.tag))?);
            }
            tag::MISC_FEE_AMT => {
                if fee_count.is_none() {
                    return Err(FixError::Group(tag::NO_MISC_FEES));
                }
                fee_entries += 1;
                let amount = read_decimal(f.value, FEE_DECIMALS).map_err(|_| FixError::Value(f.tag))?;
                fee_sum = fee_sum.checked_add(amount).ok_or(FixError::Value(f.tag))?;
            }
            tag::MISC_FEE_CURR => {
                if fee_count.is_none() {
                    return Err(FixError::Group(tag::NO_MISC_FEES));
                }
                match fee_currency {
                    Some(c) if c != f.value => return Err(FixError::Value(f.tag)),
                    _ => fee_currency = Some(f.value),
                }
            }
            _ => {}
        }
    }
    if fee_count.is_some_and(|n| n != fee_entries) {
        return Err(FixError::Group(tag::NO_MISC_FEES));
    }
    Ok(ExecutionReport {
        cl_ord_id,
        order_id: order_id.ok_or(FixError::Missing(tag::ORDER_ID))?,
        exec_type: exec_type.ok_or(FixError::Missing(tag::EXEC_TYPE))?,
        ord_status: ord_status.ok_or(FixError::Missing(tag::ORD_STATUS))?,
        side: side.ok_or(FixError::Missing(tag::SIDE))?,
        order_qty,
        cum_qty,
        last_px,
        last_qty,
        trade_id,
        aggressor,
        fee: fee_count.map(|_| (fee_sum, fee_currency)),
        transact_time_ms,
        text,
        ord_rej_reason,
    })
}

/// Reads an OrderCancelReject.
pub fn decode_cancel_reject<'a>(m: &Message<'a>) -> Result<CancelReject<'a>, FixError> {
    let mut r = CancelReject { cl_ord_id: None, orig_cl_ord_id: None, reason: None, text: None };
    for f in m.fields() {
        match f.tag {
            tag::CL_ORD_ID => r.cl_ord_id = Some(f.value),
            tag::ORIG_CL_ORD_ID => r.orig_cl_ord_id = Some(f.value),
            tag::CXL_REJ_REASON => r.reason = Some(parse_uint(f.value).ok_or(FixError::Value(f.tag))?),
            tag::TEXT => r.text = Some(f.value),
            _ => {}
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venue::coinbase::fix::Writer;

    fn report(fields: &[(u32, &[u8])], out: &mut [u8; 1024]) -> core::ops::Range<usize> {
        let mut w = Writer::new(out, b"8");
        for (t, v) in fields {
            w.field(*t, v);
        }
        w.finish().unwrap()
    }

    #[test]
    fn a_fill_with_its_fees() {
        let mut buf = [0u8; 1024];
        let r = report(
            &[
                (tag::MSG_SEQ_NUM, b"5"),
                (tag::CL_ORD_ID, b"1985ca2d-61ef-49f1-bfce-6c39d8462914"),
                (tag::ORDER_ID, b"7c1d1a2f-0000-4000-8000-000000000001"),
                (tag::EXEC_ID, b"e1"),
                (tag::EXEC_TYPE, b"F"),
                (tag::ORD_STATUS, b"1"),
                (tag::SIDE, b"1"),
                (tag::ORDER_QTY, b"0.002"),
                (tag::CUM_QTY, b"0.001"),
                (tag::LAST_PX, b"60000.01"),
                (tag::LAST_QTY, b"0.001"),
                (tag::TRADE_ID, b"123456"),
                (tag::AGGRESSOR_INDICATOR, b"Y"),
                (tag::NO_MISC_FEES, b"1"),
                (tag::MISC_FEE_AMT, b"0.36"),
                (tag::MISC_FEE_CURR, b"USD"),
                (tag::MISC_FEE_TYPE, b"4"),
                (tag::TRANSACT_TIME, b"20260801-12:00:00.123456"),
            ],
            &mut buf,
        );
        let (m, _) = Message::parse(&buf[r]).unwrap().unwrap();
        let e = decode_execution(&m).unwrap();
        assert_eq!(e.exec_type, ExecType::Trade);
        assert_eq!(e.ord_status, OrdStatus::Working);
        assert_eq!(e.side, Side::Buy);
        assert_eq!(e.trade_id, Some(123_456));
        assert_eq!(e.aggressor, Some(true));
        assert_eq!(e.fee, Some((36_000_000, Some(&b"USD"[..]))));
        assert_eq!(e.last_px, Some(&b"60000.01"[..]));
        assert_eq!(e.transact_time_ms, Some(1_785_585_600_123));
    }

    #[test]
    fn a_fee_group_that_disagrees_with_its_count_is_refused() {
        let mut buf = [0u8; 1024];
        let base: [(u32, &[u8]); 4] =
            [(tag::ORDER_ID, b"o"), (tag::EXEC_TYPE, b"F"), (tag::ORD_STATUS, b"2"), (tag::SIDE, b"2")];
        let mut fields: heapless::Vec<(u32, &[u8]), 12> = heapless::Vec::from_slice(&base).unwrap();
        fields.extend_from_slice(&[(tag::NO_MISC_FEES, b"2"), (tag::MISC_FEE_AMT, b"1")]).unwrap();
        let r = report(&fields, &mut buf);
        let (m, _) = Message::parse(&buf[r]).unwrap().unwrap();
        assert_eq!(decode_execution(&m), Err(FixError::Group(tag::NO_MISC_FEES)));
        let r = report(&[(tag::ORDER_ID, b"o"), (tag::EXEC_TYPE, b"F"), (tag::SIDE, b"1")], &mut buf);
        let (m, _) = Message::parse(&buf[r]).unwrap().unwrap();
        assert_eq!(decode_execution(&m), Err(FixError::Missing(tag::ORD_STATUS)));
        let r = report(
            &[(tag::ORDER_ID, b"o"), (tag::EXEC_TYPE, b"F"), (tag::ORD_STATUS, b"Z"), (tag::SIDE, b"1")],
            &mut buf,
        );
        let (m, _) = Message::parse(&buf[r]).unwrap().unwrap();
        assert_eq!(decode_execution(&m), Err(FixError::Value(tag::ORD_STATUS)));
    }

    #[test]
    fn an_ioc_expiry_and_a_cancel_reject() {
        let mut buf = [0u8; 1024];
        let r = report(
            &[
                (tag::ORDER_ID, b"o"),
                (tag::EXEC_TYPE, b"C"),
                (tag::ORD_STATUS, b"C"),
                (tag::SIDE, b"2"),
                (tag::CUM_QTY, b"0"),
            ],
            &mut buf,
        );
        let (m, _) = Message::parse(&buf[r]).unwrap().unwrap();
        let e = decode_execution(&m).unwrap();
        assert_eq!((e.exec_type, e.ord_status, e.fee), (ExecType::Expired, OrdStatus::Closed, None));
        let mut w = Writer::new(&mut buf, b"9");
        w.field(tag::CL_ORD_ID, b"c")
            .field(tag::ORIG_CL_ORD_ID, b"o")
            .field(tag::CXL_REJ_REASON, b"1")
            .field(tag::TEXT, b"Unknown order");
        let r = w.finish().unwrap();
        let (m, _) = Message::parse(&buf[r]).unwrap().unwrap();
        let c = decode_cancel_reject(&m).unwrap();
        assert_eq!((c.orig_cl_ord_id, c.reason, c.text), (Some(&b"o"[..]), Some(1), Some(&b"Unknown order"[..])));
    }
}
