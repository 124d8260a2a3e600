//! Pre-armed orders: for a response fixed in advance (side, size, price),
//! signed copies of the request for the next `K` timestamps are made off
//! the critical path, all `K` signed in one multi-buffer call, so firing is
//! a lookup by timestamp, a request id written into a JSON-only slot (the
//! id is not a signed param, `docs/protocols/binance-ws-api.md` §Signing)
//! and a copy.

use super::template::{PAYLOAD_CAP, PatchError, REQUEST_CAP, Slot, Template};
use crate::order::digits;
use crate::sign::{hex_lower, sign_many};

/// Arming failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArmError {
    /// A value did not fit its slot.
    Patch(PatchError),
    /// Only HMAC templates are pre-armed: their signatures are what costs.
    NotHmac,
    /// The last timestamp `first + K - 1` overflows `u64`.
    Timestamp,
}

/// Firing found no copy to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FireError {
    /// Not armed, or already fired since the last arming.
    NotArmed,
    /// `now` is before the first armed timestamp.
    Early,
    /// `now` is past the last armed timestamp: re-arm.
    Expired,
    /// The request id does not fit its slot.
    RequestId,
}

/// `K` signed copies of one order, for timestamps `first..first + K`.
#[derive(Debug, Clone)]
pub struct PreArmed<const K: usize> {
    template: Template,
    copies: [[u8; REQUEST_CAP]; K],
    first: u64,
    armed: bool,
}

impl<const K: usize> PreArmed<K> {
    /// Wraps a template whose per-order values other than the timestamp and
    /// the request id are set by [`Self::arm`].
    pub fn new(template: Template) -> Self {
        Self { template, copies: [[0; REQUEST_CAP]; K], first: 0, armed: false }
    }

    /// Writes `fixed` (price, quantity, client order id, ...) into the
    /// template and signs one copy for each timestamp `first..first + K`.
    pub fn arm(&mut self, first: u64, fixed: &[(Slot, u64)]) -> Result<(), ArmError> {
        self.armed = false;
        first.checked_add(K as u64).ok_or(ArmError::Timestamp)?;
        for &(slot, value) in fixed {
            self.template.set(slot, value).map_err(ArmError::Patch)?;
        }
        let (key, prefix) = self.template.hmac().ok_or(ArmError::NotHmac)?;
        let (key, prefix) = (key.clone(), prefix.clone());
        let payload_len = self.template.payload().len();
        let mut payloads = [[0u8; PAYLOAD_CAP]; K];
        for (i, (copy, payload)) in self.copies.iter_mut().zip(&mut payloads).enumerate() {
            self.template.set(Slot::Timestamp, first + i as u64).map_err(ArmError::Patch)?;
            let request = self.template.request();
            copy.get_mut(..request.len()).unwrap_or_default().copy_from_slice(request);
            payload.get_mut(..payload_len).unwrap_or_default().copy_from_slice(self.template.payload());
        }
        let skip = prefix.message_bytes();
        let rests: [&[u8]; K] = core::array::from_fn(|i| payloads[i].get(skip..payload_len).unwrap_or_default());
        let tags = sign_many(&key, &prefix, &rests);
        let (at, width) = self.template.signature_slot();
        for (copy, tag) in self.copies.iter_mut().zip(&tags) {
            let out = copy.get_mut(at..at + width).unwrap_or_default();
            hex_lower(tag, out).map_err(|e| ArmError::Patch(PatchError::Signature(e)))?;
        }
        self.first = first;
        self.armed = true;
        Ok(())
    }

    /// The first armed timestamp.
    pub fn first(&self) -> u64 {
        self.first
    }

    /// The signed request for timestamp `now` with `request_id` written in.
    /// Firing disarms: the copies share one client order id.
    pub fn fire(&mut self, now: u64, request_id: u64) -> Result<&[u8], FireError> {
        if !self.armed {
            return Err(FireError::NotArmed);
        }
        let offset = now.checked_sub(self.first).ok_or(FireError::Early)?;
        let copy = usize::try_from(offset).ok().and_then(|i| self.copies.get_mut(i)).ok_or(FireError::Expired)?;
        let (at, width) = self.template.json_slot(Slot::RequestId).ok_or(FireError::RequestId)?;
        let id = copy.get_mut(at..at + width).ok_or(FireError::RequestId)?;
        digits::write_padded(request_id, id).map_err(|_| FireError::RequestId)?;
        self.armed = false;
        Ok(copy.get(..self.template.request().len()).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::{Decimal, Instrument, OrderType, Side, TimeInForce};
    use crate::sign::HmacKey;
    use crate::venue::binance::{Auth, PlaceOrder, RespType, Session, TimeUnit};

    fn template(key: &HmacKey) -> Template {
        let order = PlaceOrder {
            instrument: Instrument {
                symbol: "BTCUSDT",
                price: Decimal { int_digits: 7, decimals: 2 },
                quantity: Decimal { int_digits: 4, decimals: 5 },
            },
            side: Side::Sell,
            order_type: OrderType::Limit(TimeInForce::Ioc),
            resp_type: Some(RespType::Ack),
            client_order_id: Some(12),
        };
        let session = Session {
            auth: Auth::Hmac { api_key: "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A", key },
            time: TimeUnit::Millis,
            recv_window: Some(100),
        };
        Template::order_place(&order, &session).unwrap()
    }

    const FIXED: [(Slot, u64); 3] = [(Slot::Price, 9_100_050), (Slot::Quantity, 150_000), (Slot::ClientOrderId, 77)];

    #[test]
    fn every_copy_equals_a_freshly_signed_order() {
        let key = HmacKey::new(b"secret");
        let mut armed = PreArmed::<10>::new(template(&key));
        let first = 1_700_000_000_000;
        for now in first..first + 10 {
            armed.arm(first, &FIXED).unwrap();
            let fired = armed.fire(now, now - first + 5).unwrap();
            let mut fresh = template(&key);
            for (slot, value) in FIXED {
                fresh.set(slot, value).unwrap();
            }
            fresh.set(Slot::Timestamp, now).unwrap();
            fresh.set(Slot::RequestId, now - first + 5).unwrap();
            fresh.sign().unwrap();
            assert_eq!(fired, fresh.request());
        }
    }

    #[test]
    fn fires_once_and_only_inside_its_window() {
        let key = HmacKey::new(b"secret");
        let mut armed = PreArmed::<4>::new(template(&key));
        assert_eq!(armed.fire(0, 1).err(), Some(FireError::NotArmed));
        armed.arm(1_700_000_000_000, &FIXED).unwrap();
        assert_eq!(armed.first(), 1_700_000_000_000);
        assert_eq!(armed.fire(1_699_999_999_999, 1).err(), Some(FireError::Early));
        assert_eq!(armed.fire(1_700_000_000_004, 1).err(), Some(FireError::Expired));
        assert!(armed.fire(1_700_000_000_003, 1).is_ok());
        assert_eq!(armed.fire(1_700_000_000_003, 2).err(), Some(FireError::NotArmed));
        assert_eq!(armed.arm(u64::MAX - 1, &FIXED), Err(ArmError::Timestamp));
        assert_eq!(
            armed.arm(1_700_000_000_000, &[(Slot::Price, 10_000_000_000)]),
            Err(ArmError::Patch(PatchError::Overflow(Slot::Price)))
        );
        let after_logon = Session { auth: Auth::Session, time: TimeUnit::Millis, recv_window: None };
        let order = PlaceOrder {
            instrument: Instrument {
                symbol: "BTCUSDT",
                price: Decimal { int_digits: 7, decimals: 2 },
                quantity: Decimal { int_digits: 4, decimals: 5 },
            },
            side: Side::Buy,
            order_type: OrderType::Market,
            resp_type: None,
            client_order_id: None,
        };
        let unsigned = Template::order_place(&order, &after_logon).unwrap();
        assert_eq!(PreArmed::<4>::new(unsigned).arm(1_700_000_000_000, &[]), Err(ArmError::NotHmac));
    }
}
