//! Property test: random Binance orders rendered through hotline's
//! templates and signed by hotline are checked against the conventional
//! pipeline computed independently from the rendered request: `serde_json`
//! parses it, a `BTreeMap` sorts the params, the `hmac` crate signs the
//! joined string and `hex` encodes it. Payload and signature must agree
//! byte for byte, and every value must read back as the one patched in.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use hotline_core::order::{Decimal, Instrument, OrderType, Side, TimeInForce};
use hotline_core::sign::HmacKey;
use hotline_core::venue::binance::{Auth, PatchError, PlaceOrder, RespType, Session, Slot, Template, TimeUnit};
use proptest::prelude::*;
use sha2::Sha256;

#[derive(Debug, Clone)]
struct Case {
    secret: Vec<u8>,
    api_key: String,
    symbol: String,
    side: Side,
    order_type: OrderType,
    resp_type: Option<RespType>,
    recv_window: Option<u32>,
    micros: bool,
    price: (Decimal, u64),
    quantity: (Decimal, u64),
    client_order_id: Option<(u8, u64)>,
    request_id: u64,
    timestamp: u64,
}

fn decimal_and_value() -> impl Strategy<Value = (Decimal, u64)> {
    (1u8..=9, 0u8..=8).prop_flat_map(|(int_digits, decimals)| {
        let max = 10u64.pow(u32::from(int_digits) + u32::from(decimals));
        (Just(Decimal { int_digits, decimals }), 0..max)
    })
}

fn case() -> impl Strategy<Value = Case> {
    let order_type = prop_oneof![
        Just(OrderType::Limit(TimeInForce::Gtc)),
        Just(OrderType::Limit(TimeInForce::Ioc)),
        Just(OrderType::Limit(TimeInForce::Fok)),
        Just(OrderType::LimitMaker),
        Just(OrderType::Market),
    ];
    let resp_type =
        prop_oneof![Just(None), Just(Some(RespType::Ack)), Just(Some(RespType::Result)), Just(Some(RespType::Full)),];
    let client = (1u8..=20).prop_flat_map(|w| {
        let max = if w >= 20 { u64::MAX } else { 10u64.pow(u32::from(w)) - 1 };
        (Just(w), 0..=max)
    });
    (
        (
            proptest::collection::vec(any::<u8>(), 0..100),
            "[A-Za-z0-9]{64}",
            "[A-Z0-9]{2,12}|[１-９]{1,6}",
            prop_oneof![Just(Side::Buy), Just(Side::Sell)],
            order_type,
            resp_type,
            proptest::option::of(1u32..=60_000),
        ),
        (
            any::<bool>(),
            decimal_and_value(),
            decimal_and_value(),
            proptest::option::of(client),
            any::<u64>(),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (secret, api_key, symbol, side, order_type, resp_type, recv_window),
                (micros, price, quantity, client_order_id, request_id, late),
            )| {
                let (lo, hi) = if micros {
                    (1_000_000_000_000_000, 9_999_999_999_999_999)
                } else {
                    (1_000_000_000_000, 9_999_999_999_999)
                };
                Case {
                    secret,
                    api_key,
                    symbol,
                    side,
                    order_type,
                    resp_type,
                    recv_window,
                    micros,
                    price,
                    quantity,
                    client_order_id,
                    request_id,
                    timestamp: if late { hi } else { lo + request_id % (hi - lo) },
                }
            },
        )
}

/// The decimal as Rust's own formatter writes it, zero-padded to the slot.
fn reference_decimal(d: Decimal, units: u64) -> String {
    let scale = 10u64.pow(u32::from(d.decimals));
    let (int, frac) = (units / scale, units % scale);
    if d.decimals == 0 {
        format!("{int:0w$}", w = usize::from(d.int_digits))
    } else {
        format!("{int:0w$}.{frac:0f$}", w = usize::from(d.int_digits), f = usize::from(d.decimals))
    }
}

fn render(c: &Case) -> Result<Template, PatchError> {
    let key = HmacKey::new(&c.secret);
    let session = Session {
        auth: Auth::Hmac { api_key: &c.api_key, key: &key },
        time: if c.micros { TimeUnit::Micros } else { TimeUnit::Millis },
        recv_window: c.recv_window,
    };
    let order = PlaceOrder {
        instrument: Instrument { symbol: &c.symbol, price: c.price.0, quantity: c.quantity.0 },
        side: c.side,
        order_type: c.order_type,
        resp_type: c.resp_type,
        client_order_id: c.client_order_id.map(|(w, _)| w),
    };
    let mut t = Template::order_place(&order, &session).expect("template renders");
    t.set(Slot::RequestId, c.request_id)?;
    t.set(Slot::Timestamp, c.timestamp)?;
    t.set(Slot::Quantity, c.quantity.1)?;
    if t.has(Slot::Price) {
        t.set(Slot::Price, c.price.1)?;
    }
    if let Some((_, id)) = c.client_order_id {
        t.set(Slot::ClientOrderId, id)?;
    }
    t.sign()?;
    Ok(t)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn template_signature_matches_conventional_pipeline(c in case()) {
        let t = render(&c).expect("every generated value fits its slot");
        let json: serde_json::Value = serde_json::from_slice(t.request()).expect("request is JSON");
        let id = format!("{:020}", c.request_id);
        prop_assert_eq!(json["id"].as_str(), Some(id.as_str()));
        prop_assert_eq!(json["method"].as_str(), Some("order.place"));
        let params = json["params"].as_object().expect("params object");

        let mut sorted = BTreeMap::new();
        for (name, value) in params {
            if name != "signature" {
                let text = match value {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                sorted.insert(name.clone(), text);
            }
        }
        let payload = sorted
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        prop_assert_eq!(std::str::from_utf8(t.payload()).unwrap(), payload.as_str());

        let mut mac = Hmac::<Sha256>::new_from_slice(&c.secret).unwrap();
        mac.update(payload.as_bytes());
        let expected = hex::encode(mac.finalize().into_bytes());
        prop_assert_eq!(params["signature"].as_str(), Some(expected.as_str()));

        prop_assert_eq!(sorted["apiKey"].as_str(), c.api_key.as_str());
        prop_assert_eq!(sorted["symbol"].as_str(), c.symbol.as_str());
        prop_assert_eq!(sorted["timestamp"].clone(), c.timestamp.to_string());
        prop_assert!(params["timestamp"].is_u64());
        prop_assert_eq!(sorted["quantity"].clone(), reference_decimal(c.quantity.0, c.quantity.1));
        let priced = !matches!(c.order_type, OrderType::Market);
        prop_assert_eq!(sorted.get("price").cloned(), priced.then(|| reference_decimal(c.price.0, c.price.1)));
        prop_assert_eq!(
            sorted.get("recvWindow").cloned(),
            c.recv_window.map(|w| w.to_string())
        );
        prop_assert_eq!(
            sorted.get("newClientOrderId").cloned(),
            c.client_order_id.map(|(w, id)| format!("{id:0w$}", w = usize::from(w)))
        );
    }

    #[test]
    fn cancel_and_status_match_conventional_pipeline(
        secret in proptest::collection::vec(any::<u8>(), 1..80),
        symbol in "[A-Z0-9]{2,12}",
        width in 1u8..=20,
        id in any::<u64>(),
        recv_window in proptest::option::of(1u32..=60_000),
        cancel in any::<bool>(),
    ) {
        let key = HmacKey::new(&secret);
        let session = Session {
            auth: Auth::Hmac { api_key: "k3y", key: &key },
            time: TimeUnit::Millis,
            recv_window,
        };
        let mut t = if cancel {
            Template::order_cancel(&symbol, width, &session)
        } else {
            Template::order_status(&symbol, width, &session)
        }
        .expect("template renders");
        let id = if width >= 20 { id } else { id % 10u64.pow(u32::from(width)) };
        t.set(Slot::OrigClientOrderId, id).unwrap();
        t.set(Slot::Timestamp, 1_700_000_000_000).unwrap();
        t.set(Slot::RequestId, 3).unwrap();
        t.sign().unwrap();
        let json: serde_json::Value = serde_json::from_slice(t.request()).expect("request is JSON");
        prop_assert_eq!(
            json["method"].as_str(),
            Some(if cancel { "order.cancel" } else { "order.status" })
        );
        let mut expected = BTreeMap::new();
        expected.insert("apiKey", "k3y".to_owned());
        expected.insert("symbol", symbol.clone());
        expected.insert("origClientOrderId", format!("{id:0w$}", w = usize::from(width)));
        expected.insert("timestamp", "1700000000000".to_owned());
        if let Some(w) = recv_window {
            expected.insert("recvWindow", w.to_string());
        }
        let payload = expected
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        prop_assert_eq!(std::str::from_utf8(t.payload()).unwrap(), payload.as_str());
        let mut mac = Hmac::<Sha256>::new_from_slice(&secret).unwrap();
        mac.update(payload.as_bytes());
        let signature = hex::encode(mac.finalize().into_bytes());
        prop_assert_eq!(json["params"]["signature"].as_str(), Some(signature.as_str()));
        prop_assert_eq!(json["params"].as_object().map(|p| p.len()), Some(expected.len() + 1));
    }

    #[test]
    fn values_wider_than_their_slot_are_refused(c in case(), extra in 1u64..1000) {
        let limit = 10u64.pow(u32::from(c.quantity.0.int_digits) + u32::from(c.quantity.0.decimals));
        let mut too_big = c.clone();
        too_big.quantity.1 = limit.saturating_mul(extra);
        prop_assert_eq!(render(&too_big).err(), Some(PatchError::Overflow(Slot::Quantity)));
        let mut too_short = c;
        too_short.timestamp = 999_999_999_999 / extra;
        prop_assert_eq!(render(&too_short).err(), Some(PatchError::Overflow(Slot::Timestamp)));
    }
}
