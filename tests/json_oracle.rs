//! serde_json as the writer for the oracle tests of hotline's JSON
//! decoders: decimals as the venues write them, strings as hotline borrows
//! them, members hotline must skip, and objects of members in any order
//! with any whitespace, every key and value rendered by serde_json.

use proptest::prelude::*;
use serde_json::{Value, json};

/// `units` steps of 10^-`decimals` as a venue writes a decimal: the
/// integer part, and the fraction to the grid then `zeros` more zeros.
pub(crate) fn decimal(units: u64, decimals: u8, zeros: usize) -> String {
    let scale = 10u64.pow(u32::from(decimals));
    let (int, frac) = (units / scale, units % scale);
    let mut text = int.to_string();
    if decimals > 0 || zeros > 0 {
        text.push('.');
        if decimals > 0 {
            text.push_str(&format!("{frac:0width$}", width = usize::from(decimals)));
        }
        text.push_str(&"0".repeat(zeros));
    }
    text
}

/// A string as serde_json writes it, without its quotes: what hotline
/// borrows.
pub(crate) fn as_written(s: &str) -> String {
    let quoted = serde_json::to_string(s).expect("a string");
    quoted[1..quoted.len() - 1].to_owned()
}

/// A JSON value for a member hotline skips: any type, nested.
pub(crate) fn unknown_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("\\PC{0,6}", inner), 0..4)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// Up to seven members whose keys are none of `read`, with any values.
pub(crate) fn unknown_members(read: &'static [&'static str]) -> impl Strategy<Value = Vec<(String, Value)>> {
    prop::collection::vec(
        (
            prop_oneof!["[a-zA-Z_]{1,10}", "\\PC{0,8}"].prop_filter("not read", |k| !read.contains(&k.as_str())),
            unknown_value(),
        ),
        0..8,
    )
}

/// Whitespace written around every separator of an object.
pub(crate) fn space() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just(""), Just(" "), Just("\n  "), Just("\t")]
}

/// An object of `members` in `order`, every key and value written by
/// serde_json, `space` around each separator.
pub(crate) fn object(members: &[(String, Value)], order: &[usize], space: &str) -> String {
    let body: Vec<String> = order
        .iter()
        .filter_map(|&i| members.get(i))
        .map(|(key, value)| {
            let key = serde_json::to_string(key).expect("a string");
            let value = serde_json::to_string(value).expect("a value");
            format!("{space}{key}{space}:{space}{value}")
        })
        .collect();
    format!("{{{}{space}}}", body.join(&format!("{space},")))
}
