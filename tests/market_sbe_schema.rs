//! hotline's SBE `bestBidAsk` decoder against Binance's published schema
//! (`tests/vectors/binance_stream_1_0.xml`): the test reads the message
//! header, the root block's fields and the `symbol` var-data from the XML,
//! lays frames out by that reading (SBE 1.0 sequential layout: fields in
//! order, no padding, little-endian as `byteOrder` says), and checks that
//! hotline reads back every value. The offsets in the decoder are never
//! consulted, so a wrong one fails here.

use std::collections::HashMap;

use hotline_core::market::{Level, Touch};
use hotline_core::order::Scale;
use hotline_core::venue::binance::{
    BEST_BID_ASK_BLOCK, BEST_BID_ASK_TEMPLATE, BestBidAsk, HEADER_LEN, MarketError, SCHEMA_ID, SbeError,
    decode_market_binary,
};
use proptest::prelude::*;

const SCHEMA: &str = include_str!("vectors/binance_stream_1_0.xml");

/// One fixed-size field: where it lies and its primitive type.
#[derive(Debug, Clone)]
struct Field {
    offset: usize,
    primitive: String,
}

/// What the XML says a `BestBidAskStreamEvent` frame looks like.
#[derive(Debug)]
struct Layout {
    schema_id: u16,
    version: u16,
    template_id: u16,
    header: HashMap<String, Field>,
    header_len: usize,
    block: HashMap<String, Field>,
    block_len: usize,
    /// The `symbol` var-data's length prefix type.
    symbol_length: String,
}

fn size_of(primitive: &str) -> usize {
    match primitive {
        "char" | "int8" | "uint8" => 1,
        "int16" | "uint16" => 2,
        "int32" | "uint32" | "float" => 4,
        "int64" | "uint64" | "double" => 8,
        other => panic!("primitive type {other} not in SBE 1.0"),
    }
}

fn layout() -> Layout {
    let doc = roxmltree::Document::parse(SCHEMA).expect("schema XML parses");
    let root = doc.root_element();
    assert_eq!(root.attribute("byteOrder"), Some("littleEndian"));
    let types = root.children().find(|n| n.has_tag_name("types")).expect("<types>");
    // Named simple types and enums → their primitive type.
    let mut simple = HashMap::new();
    for t in types.children().filter(|n| n.is_element()) {
        let name = t.attribute("name").expect("type name").to_string();
        if t.has_tag_name("type") {
            simple.insert(name, t.attribute("primitiveType").expect("primitiveType").to_string());
        } else if t.has_tag_name("enum") {
            simple.insert(name, t.attribute("encodingType").expect("encodingType").to_string());
        }
    }
    let composite = |name: &str| {
        let c = types
            .children()
            .find(|n| n.has_tag_name("composite") && n.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("composite {name}"));
        let mut fields = HashMap::new();
        let mut at = 0;
        for t in c.children().filter(|n| n.has_tag_name("type")) {
            let primitive = t.attribute("primitiveType").expect("primitiveType").to_string();
            let len = if t.attribute("length") == Some("0") { 0 } else { size_of(&primitive) };
            fields.insert(t.attribute("name").expect("name").to_string(), Field { offset: at, primitive });
            at += len;
        }
        (fields, at)
    };
    let (header, header_len) = composite("messageHeader");
    let message =
        root.children().find(|n| n.attribute("name") == Some("BestBidAskStreamEvent")).expect("BestBidAskStreamEvent");
    let mut block = HashMap::new();
    let mut at = 0;
    for f in message.children().filter(|n| n.has_tag_name("field")) {
        if f.attribute("presence") == Some("constant") {
            continue;
        }
        let primitive = simple[f.attribute("type").expect("field type")].clone();
        let len = size_of(&primitive);
        block.insert(f.attribute("name").expect("name").to_string(), Field { offset: at, primitive });
        at += len;
    }
    assert!(message.children().all(|n| !n.has_tag_name("group")), "bestBidAsk has no groups");
    let data: Vec<_> = message.children().filter(|n| n.has_tag_name("data")).collect();
    assert_eq!(data.len(), 1, "one var-data field");
    assert_eq!(data[0].attribute("name"), Some("symbol"));
    let (var, _) = composite(data[0].attribute("type").expect("data type"));
    let number = |n: roxmltree::Node<'_, '_>, a: &str| n.attribute(a).expect(a).parse::<u16>().expect("u16");
    Layout {
        schema_id: number(root, "id"),
        version: number(root, "version"),
        template_id: number(message, "id"),
        header,
        header_len,
        block,
        block_len: at,
        symbol_length: var["length"].primitive.clone(),
    }
}

/// A frame's values, by the schema's field names.
#[derive(Debug, Clone)]
struct Event {
    event_time: i64,
    book_update_id: i64,
    price_exponent: i8,
    qty_exponent: i8,
    mantissas: [i64; 4],
    symbol: String,
    /// Bytes a later schema version appends to the root block.
    extension: usize,
}

fn put(frame: &mut [u8], field: &Field, value: i64) {
    let bytes = value.to_le_bytes();
    let len = size_of(&field.primitive);
    frame[field.offset..field.offset + len].copy_from_slice(&bytes[..len]);
}

fn encode(layout: &Layout, e: &Event) -> Vec<u8> {
    let block_len = layout.block_len + e.extension;
    let mut frame = vec![0xa5; layout.header_len + block_len + 1 + e.symbol.len()];
    put(&mut frame, &layout.header["blockLength"], block_len as i64);
    put(&mut frame, &layout.header["templateId"], i64::from(layout.template_id));
    put(&mut frame, &layout.header["schemaId"], i64::from(layout.schema_id));
    put(&mut frame, &layout.header["version"], i64::from(layout.version));
    let block = &mut frame[layout.header_len..];
    let f = |name: &str| &layout.block[name];
    put(block, f("eventTime"), e.event_time);
    put(block, f("bookUpdateId"), e.book_update_id);
    put(block, f("priceExponent"), i64::from(e.price_exponent));
    put(block, f("qtyExponent"), i64::from(e.qty_exponent));
    for (name, m) in ["bidPrice", "bidQty", "askPrice", "askQty"].into_iter().zip(e.mantissas) {
        put(block, f(name), m);
    }
    let symbol_at = layout.header_len + block_len;
    assert_eq!(size_of(&layout.symbol_length), 1);
    frame[symbol_at] = e.symbol.len() as u8;
    frame[symbol_at + 1..].copy_from_slice(e.symbol.as_bytes());
    frame
}

#[test]
fn the_decoder_constants_match_the_schema() {
    let layout = layout();
    assert_eq!(layout.schema_id, SCHEMA_ID);
    assert_eq!(layout.version, 0);
    assert_eq!(layout.template_id, BEST_BID_ASK_TEMPLATE);
    assert_eq!(layout.header_len, HEADER_LEN);
    assert_eq!(layout.block_len, BEST_BID_ASK_BLOCK);
}

#[test]
fn a_btcusdt_frame_is_66_bytes_and_reads_back() {
    let layout = layout();
    let event = Event {
        event_time: 1_764_633_600_000_123,
        book_update_id: 71_234_567_890,
        price_exponent: -2,
        qty_exponent: -8,
        mantissas: [9_123_401, 150_000, 9_123_402, 27_500_000],
        symbol: "BTCUSDT".into(),
        extension: 0,
    };
    let frame = encode(&layout, &event);
    assert_eq!(frame.len(), 66);
    let ticker = decode_market_binary(&frame, Scale { price: 2, qty: 5 }).expect("decodes");
    assert_eq!(ticker.symbol, "BTCUSDT");
    assert_eq!(ticker.event_time_us, Some(1_764_633_600_000_123));
    assert_eq!(
        ticker.touch,
        Touch {
            update_id: 71_234_567_890,
            bid: Level { price: 9_123_401, qty: 150 },
            ask: Level { price: 9_123_402, qty: 27_500 },
        }
    );
    // The tick grid is the instrument's: a cent-priced book does not fit
    // whole-dollar ticks, and that is an error, not a rounding.
    assert!(matches!(decode_market_binary(&frame, Scale { price: 0, qty: 5 }), Err(MarketError::Decimal(..))));
}

fn event() -> impl Strategy<Value = Event> {
    (
        any::<i64>(),
        any::<i64>(),
        any::<i8>(),
        any::<i8>(),
        any::<[i64; 4]>(),
        "[A-Z0-9]{0,20}|\\PC{0,12}",
        prop_oneof![Just(0usize), 1usize..40],
    )
        .prop_map(|(event_time, book_update_id, price_exponent, qty_exponent, mantissas, symbol, extension)| {
            Event { event_time, book_update_id, price_exponent, qty_exponent, mantissas, symbol, extension }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Every field hotline reads is the value the schema's layout put there,
    /// whatever the values and however long a later version's root block.
    #[test]
    fn every_field_reads_back(e in event()) {
        let layout = layout();
        let frame = encode(&layout, &e);
        let view = BestBidAsk::new_checked(&frame[..]).expect("a whole frame");
        prop_assert_eq!(view.event_time_us(), e.event_time);
        prop_assert_eq!(view.book_update_id(), e.book_update_id);
        prop_assert_eq!(view.price_exponent(), e.price_exponent);
        prop_assert_eq!(view.qty_exponent(), e.qty_exponent);
        prop_assert_eq!(
            [view.bid_price(), view.bid_qty(), view.ask_price(), view.ask_qty()],
            e.mantissas
        );
        prop_assert_eq!(view.symbol(), e.symbol.as_bytes());
        prop_assert_eq!(view.version(), layout.version);
        // Every prefix is truncated, never a panic or a wrong read.
        for end in 0..frame.len() {
            prop_assert_eq!(BestBidAsk::new_checked(&frame[..end]).err(), Some(SbeError::Truncated));
        }
    }

    /// The scaled touch is exact where the value is on the grid and an
    /// error where it is not.
    #[test]
    fn scaling_is_exact(
        ticks in proptest::array::uniform4(0i64..1_000_000_000_000),
        exponent in -8i8..=0,
        decimals in 0u8..=8,
    ) {
        let layout = layout();
        let e = Event {
            event_time: 1,
            book_update_id: 2,
            price_exponent: exponent,
            qty_exponent: exponent,
            mantissas: ticks,
            symbol: "BTCUSDT".into(),
            extension: 0,
        };
        let frame = encode(&layout, &e);
        let result = decode_market_binary(&frame, Scale { price: decimals, qty: decimals });
        // value = m × 10^exponent; in steps of 10^-decimals: m × 10^(exponent + decimals).
        let shift = i32::from(exponent) + i32::from(decimals);
        let expect: Option<Vec<u64>> = ticks
            .iter()
            .map(|&m| {
                let m = m as u128;
                if shift >= 0 {
                    u64::try_from(m * 10u128.pow(shift as u32)).ok()
                } else {
                    let p = 10u128.pow((-shift) as u32);
                    m.is_multiple_of(p).then(|| (m / p) as u64)
                }
            })
            .collect();
        match (result, expect) {
            (Ok(t), Some(v)) => {
                prop_assert_eq!([t.touch.bid.price, t.touch.bid.qty, t.touch.ask.price, t.touch.ask.qty], [v[0], v[1], v[2], v[3]]);
            }
            (Err(MarketError::Decimal(..)), None) => {}
            (got, want) => prop_assert!(false, "got {:?}, want {:?}", got, want),
        }
    }
}
