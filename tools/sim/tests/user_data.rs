//! The user data stream on the WS-API connection (web-socket-api.md §"User Data Stream requests", user-data-stream.md):
//! subscribing by `session.logon` or by signature, the `{"subscriptionId":N,"event":{…}}` wrapper, the
//! executionReports of one order in order and with every documented field, CANCELED with the cancel's client id,
//! REJECTED, `outboundAccountPosition`, `eventStreamTerminated`, and the event faults.

mod common;

use std::time::{Duration, Instant};

use base64::Engine as _;
use common::{Client, NOW, api, call, fixed, recv, signed};
use ed25519_dalek::{Signer as _, SigningKey};
use hotline_sim::{Ed25519Key, Faults, Sim, SimConfig};
use serde_json::{Value, json};

fn ok(answer: &Value) -> &Value {
    assert_eq!(answer["status"], 200, "{answer}");
    &answer["result"]
}

fn start(faults: Faults) -> Sim {
    let sim = Sim::start(SimConfig { faults, ..fixed() }).expect("sim");
    sim.set_touch("90000.00", "1", "90000.01", "0.3").expect("touch");
    sim
}

/// A connection subscribed with the HMAC key (`userDataStream.subscribe.signature` takes any key type).
fn subscribed(sim: &Sim) -> Client {
    let mut ws = api(sim);
    let answer = call(&mut ws, &signed("userDataStream.subscribe.signature", "sub", vec![]));
    assert_eq!(ok(&answer), &json!({"subscriptionId": 0}));
    ws
}

fn limit(cid: &str, side: &str, tif: &str, price: &str, qty: &str) -> String {
    signed(
        "order.place",
        cid,
        vec![
            ("symbol", json!("BTCUSDT")),
            ("side", json!(side)),
            ("type", json!("LIMIT")),
            ("timeInForce", json!(tif)),
            ("price", json!(price)),
            ("quantity", json!(qty)),
            ("newClientOrderId", json!(cid)),
        ],
    )
}

/// The next event's payload, checking the wrapper.
fn event(ws: &mut Client, subscription: u64) -> Value {
    let mut frame = recv(ws);
    assert_eq!(frame["subscriptionId"], subscription, "{frame}");
    frame["event"].take()
}

#[test]
fn one_ioc_order_reports_new_trade_expired_then_balances_after_its_answer() {
    let sim = start(Faults::default());
    let mut ws = subscribed(&sim);
    ws.send(tokio_tungstenite::tungstenite::Message::text(limit("ioc-1", "BUY", "IOC", "90000.01", "0.5")))
        .expect("send");
    // The answer comes first, then the events (the sim's documented order).
    let answer = recv(&mut ws);
    assert_eq!((&answer["id"], &answer["result"]["status"]), (&json!("ioc-1"), &json!("EXPIRED")));

    let new = event(&mut ws, 0);
    assert_eq!(
        new,
        json!({"e": "executionReport", "E": NOW, "s": "BTCUSDT", "c": "ioc-1", "S": "BUY", "o": "LIMIT", "f": "IOC",
               "q": "0.50000000", "p": "90000.01000000", "P": "0.00000000", "F": "0.00000000", "g": -1, "C": "",
               "x": "NEW", "X": "NEW", "r": "NONE", "i": 1, "l": "0.00000000", "z": "0.00000000",
               "L": "0.00000000", "n": "0", "N": null, "T": NOW, "t": -1, "I": 1, "w": false, "m": false,
               "M": false, "O": NOW, "Z": "0.00000000", "Y": "0.00000000", "Q": "0.00000000", "V": "NONE"})
    );
    let trade = event(&mut ws, 0);
    let fields = ["x", "X", "l", "L", "n", "N", "t", "z", "Z", "Y", "I", "m"];
    assert_eq!(
        fields.map(|f| trade[f].clone()),
        [
            json!("TRADE"),
            json!("PARTIALLY_FILLED"),
            json!("0.30000000"),
            json!("90000.01000000"),
            json!("27.00000300"),
            json!("USDT"),
            json!(1),
            json!("0.30000000"),
            json!("27000.00300000"),
            json!("27000.00300000"),
            json!(2),
            json!(false),
        ]
    );
    let expired = event(&mut ws, 0);
    assert_eq!((&expired["x"], &expired["X"]), (&json!("EXPIRED"), &json!("EXPIRED")));
    assert_eq!(
        (&expired["eR"], &expired["z"], &expired["I"]),
        (&json!("UNFILLED_IOC_QUANTITY_EXPIRED"), &json!("0.30000000"), &json!(3))
    );
    let position = event(&mut ws, 0);
    assert_eq!(
        position,
        json!({"e": "outboundAccountPosition", "E": NOW, "u": NOW, "B": [
            {"a": "BTC", "f": "1.30000000", "l": "0.00000000"},
            {"a": "USDT", "f": "72972.99699700", "l": "0.00000000"}]})
    );
}

#[test]
fn resting_orders_report_fills_from_touches_and_cancels_with_both_ids() {
    let sim = start(Faults::default());
    let mut watcher = subscribed(&sim);
    let mut trader = api(&sim);
    ok(&call(&mut trader, &limit("gtc-1", "BUY", "GTC", "89990.00", "0.5")));
    assert_eq!(
        (event(&mut watcher, 0)["x"].clone(), event(&mut watcher, 0)["e"].clone()),
        (json!("NEW"), json!("outboundAccountPosition"))
    );

    sim.set_touch("89989.00", "1", "89990.00", "0.2").expect("touch");
    let trade = event(&mut watcher, 0);
    assert_eq!(
        (&trade["x"], &trade["X"], &trade["m"], &trade["w"]),
        (&json!("TRADE"), &json!("PARTIALLY_FILLED"), &json!(true), &json!(true))
    );
    assert_eq!((&trade["L"], &trade["W"]), (&json!("89990.00000000"), &json!(NOW)));
    assert_eq!(event(&mut watcher, 0)["e"], "outboundAccountPosition");

    let cancel = signed(
        "order.cancel",
        "c",
        vec![("symbol", json!("BTCUSDT")), ("origClientOrderId", json!("gtc-1")), ("newClientOrderId", json!("cx-1"))],
    );
    let answer = call(&mut trader, &cancel);
    assert_eq!((&ok(&answer)["clientOrderId"], &ok(&answer)["origClientOrderId"]), (&json!("cx-1"), &json!("gtc-1")));
    let canceled = event(&mut watcher, 0);
    assert_eq!(
        (&canceled["x"], &canceled["X"], &canceled["c"], &canceled["C"], &canceled["z"]),
        (&json!("CANCELED"), &json!("CANCELED"), &json!("cx-1"), &json!("gtc-1"), &json!("0.20000000"))
    );
    let position = event(&mut watcher, 0);
    assert_eq!(position["B"][1]["l"], "0.00000000", "the hold is released: {position}");
}

#[test]
fn refused_orders_report_rejected() {
    let sim = start(Faults::default());
    let mut ws = subscribed(&sim);
    let maker = signed(
        "order.place",
        "lm",
        vec![
            ("symbol", json!("BTCUSDT")),
            ("side", json!("SELL")),
            ("type", json!("LIMIT_MAKER")),
            ("price", json!("89000")),
            ("quantity", json!("0.1")),
            ("newClientOrderId", json!("lm-1")),
        ],
    );
    assert_eq!(call(&mut ws, &maker)["error"]["code"], -2010);
    let rejected = event(&mut ws, 0);
    assert_eq!(
        (&rejected["x"], &rejected["X"], &rejected["r"], &rejected["i"], &rejected["c"]),
        (&json!("REJECTED"), &json!("REJECTED"), &json!("WOULD_MATCH_IMMEDIATELY"), &json!(-1), &json!("lm-1"))
    );
}

#[test]
fn logon_subscription_lifecycle() {
    let key = SigningKey::from_bytes(&[7; 32]);
    let ed = Ed25519Key { api_key: "ed-key".to_owned(), public_key: key.verifying_key().to_bytes() };
    let sim = Sim::start(SimConfig { ed25519_keys: vec![ed], ..fixed() }).expect("sim");
    let mut ws = api(&sim);
    let subscribe = r#"{"id":"s","method":"userDataStream.subscribe"}"#;
    let refused = call(&mut ws, subscribe);
    assert_eq!((refused["status"].as_i64(), &refused["error"]["code"]), (Some(401), &json!(-1002)));

    let signature = base64::engine::general_purpose::STANDARD
        .encode(key.sign(format!("apiKey=ed-key&timestamp={NOW}").as_bytes()).to_bytes());
    let logon = json!({"id": "l", "method": "session.logon",
                       "params": {"apiKey": "ed-key", "timestamp": NOW, "signature": signature}});
    assert_eq!(ok(&call(&mut ws, &logon.to_string()))["userDataStream"], false);
    let with_params = call(&mut ws, r#"{"id":"p","method":"userDataStream.subscribe","params":{"x":1}}"#);
    assert_eq!(with_params["error"]["code"], -1104);
    assert_eq!(ok(&call(&mut ws, subscribe)), &json!({"subscriptionId": 0}));
    assert_eq!(call(&mut ws, subscribe)["error"]["code"], -2035);
    let status = call(&mut ws, r#"{"id":"st","method":"session.status"}"#);
    assert_eq!(ok(&status)["userDataStream"], true);
    assert_eq!(ok(&call(&mut ws, r#"{"id":"ls","method":"session.subscriptions"}"#)), &json!([{"subscriptionId": 0}]));

    // Unsubscribe: its answer, then the termination event.
    assert_eq!(ok(&call(&mut ws, r#"{"id":"u","method":"userDataStream.unsubscribe"}"#)), &json!({}));
    assert_eq!(event(&mut ws, 0), json!({"e": "eventStreamTerminated", "E": NOW}));
    // Ids keep counting on the connection; logout ends a logon subscription.
    assert_eq!(ok(&call(&mut ws, subscribe)), &json!({"subscriptionId": 1}));
    assert_eq!(ok(&call(&mut ws, r#"{"id":"o","method":"session.logout"}"#))["userDataStream"], false);
    assert_eq!(event(&mut ws, 1)["e"], "eventStreamTerminated");
}

#[test]
fn every_nth_event_can_be_dropped() {
    let sim = start(Faults { drop_events_every: Some(2), ..Faults::default() });
    let mut ws = subscribed(&sim);
    // NEW, TRADE, EXPIRED, outboundAccountPosition: the 2nd and 4th are lost.
    ok(&call(&mut ws, &limit("d-1", "BUY", "IOC", "90000.01", "0.5")));
    assert_eq!(event(&mut ws, 0)["x"], "NEW");
    assert_eq!(event(&mut ws, 0)["x"], "EXPIRED");
    let time = call(&mut ws, r#"{"id":"t","method":"time"}"#);
    assert_eq!(time["id"], "t", "nothing else was sent: {time}");
}

#[test]
fn events_can_be_delayed_behind_answers() {
    let sim = start(Faults { event_delay: Duration::from_millis(150), ..Faults::default() });
    let mut ws = subscribed(&sim);
    let sent = Instant::now();
    ok(&call(&mut ws, &limit("late-1", "BUY", "IOC", "90000.01", "0.1")));
    // Answers are not held back.
    assert_eq!(call(&mut ws, r#"{"id":"t","method":"time"}"#)["id"], "t");
    assert_eq!(event(&mut ws, 0)["x"], "NEW");
    assert!(sent.elapsed() >= Duration::from_millis(150));
}

#[test]
fn a_disconnect_between_fill_and_report_leaves_the_fill_for_my_trades() {
    let sim = start(Faults { disconnect_before_trade_report: Some(1), ..Faults::default() });
    let mut ws = subscribed(&sim);
    let answer = call(&mut ws, &limit("gone-1", "BUY", "IOC", "90000.01", "0.1"));
    assert_eq!(ok(&answer)["status"], "FILLED");
    assert_eq!(event(&mut ws, 0)["x"], "NEW");
    assert!(ws.read().is_err(), "the connection drops instead of sending TRADE");
    assert_eq!(sim.fills().len(), 1);

    let mut again = api(&sim);
    let trades = call(&mut again, &signed("myTrades", "m", vec![("symbol", json!("BTCUSDT")), ("fromId", json!(1))]));
    assert_eq!(ok(&trades)[0]["id"], 1);
    assert_eq!(ok(&trades)[0]["orderId"], 1);
}
