//! What a client asks after a reconnect (web-socket-api.md §"Current open orders (USER_DATA)", §"Cancel open orders
//! (TRADE)", §"Account trade history (USER_DATA)", §"Account information (USER_DATA)", §"Query order (USER_DATA)"):
//! the open orders, their mass cancel with a CANCELED report each, the trades by id or order, and the balances.

mod common;

use common::{Client, api, call, fixed, recv, signed};
use hotline_sim::Sim;
use serde_json::{Value, json};

fn ok(answer: &Value) -> &Value {
    assert_eq!(answer["status"], 200, "{answer}");
    &answer["result"]
}

fn limit(ws: &mut Client, cid: &str, side: &str, tif: &str, price: &str, qty: &str) -> Value {
    let request = signed(
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
    );
    ok(&call(ws, &request)).clone()
}

#[test]
fn open_orders_cancel_all_trades_and_account_reconcile() {
    let sim = Sim::start(fixed()).expect("sim");
    sim.set_touch("90000.00", "1", "90000.01", "1").expect("touch");
    let mut watcher = api(&sim);
    let subscribe = signed("userDataStream.subscribe.signature", "s", vec![]);
    assert_eq!(ok(&call(&mut watcher, &subscribe)), &json!({"subscriptionId": 0}));
    let drain = |ws: &mut Client, n: usize| (0..n).map(|_| recv(ws)["event"].clone()).collect::<Vec<_>>();
    let mut ws = api(&sim);

    limit(&mut ws, "t-1", "BUY", "IOC", "90000.01", "0.1");
    limit(&mut ws, "t-2", "SELL", "IOC", "90000.00", "0.2");
    limit(&mut ws, "rest-1", "BUY", "GTC", "80000.00", "0.1");
    limit(&mut ws, "rest-2", "SELL", "GTC", "99000.00", "0.1");
    // NEW, TRADE, balances for each IOC; NEW, balances for each GTC.
    drain(&mut watcher, 10);

    let open = call(&mut ws, &signed("openOrders.status", "o", vec![("symbol", json!("BTCUSDT"))]));
    let open = ok(&open).as_array().expect("flat list");
    assert_eq!(open.iter().map(|o| o["clientOrderId"].clone()).collect::<Vec<_>>(), [json!("rest-1"), json!("rest-2")]);
    assert_eq!(
        (&open[0]["status"], &open[0]["isWorking"], &open[0]["price"]),
        (&json!("NEW"), &json!(true), &json!("80000.00000000"))
    );
    assert_eq!(open[0]["rateLimits"], Value::Null);
    let all = call(&mut ws, &signed("openOrders.status", "a", vec![]));
    // Weights: subscribe 2, four orders 1 each, openOrders.status 6 with a symbol and 80 without.
    assert_eq!(all["rateLimits"][0]["count"], 2 + 4 + 6 + 80, "{all}");
    assert_eq!(ok(&all).as_array().map(Vec::len), Some(2));

    let account = call(&mut ws, &signed("account.status", "acc", vec![("omitZeroBalances", json!(true))]));
    let account = ok(&account);
    assert_eq!((&account["makerCommission"], &account["commissionRates"]["taker"]), (&json!(10), &json!("0.00100000")));
    assert_eq!(
        account["balances"],
        json!([{"asset": "BTC", "free": "0.80000000", "locked": "0.10000000"},
               {"asset": "USDT", "free": "100964.99899900", "locked": "8008.00000000"}])
    );

    let cancelled = call(&mut ws, &signed("openOrders.cancelAll", "x", vec![("symbol", json!("BTCUSDT"))]));
    let reports = ok(&cancelled).as_array().expect("list");
    assert_eq!(
        reports.iter().map(|r| (r["origClientOrderId"].clone(), r["status"].clone())).collect::<Vec<_>>(),
        [(json!("rest-1"), json!("CANCELED")), (json!("rest-2"), json!("CANCELED"))]
    );
    let events = drain(&mut watcher, 4);
    assert_eq!(
        events.iter().map(|e| (e["e"].clone(), e["x"].clone(), e["C"].clone())).collect::<Vec<_>>(),
        [
            (json!("executionReport"), json!("CANCELED"), json!("rest-1")),
            (json!("outboundAccountPosition"), Value::Null, Value::Null),
            (json!("executionReport"), json!("CANCELED"), json!("rest-2")),
            (json!("outboundAccountPosition"), Value::Null, Value::Null),
        ]
    );
    assert_eq!(ok(&call(&mut ws, &signed("openOrders.status", "o2", vec![("symbol", json!("BTCUSDT"))]))), &json!([]));
    let none = call(&mut ws, &signed("openOrders.cancelAll", "x2", vec![("symbol", json!("BTCUSDT"))]));
    assert_eq!(none["error"]["code"], -2011);

    let trades = |ws: &mut Client, params: Vec<(&'static str, Value)>| {
        let mut all = vec![("symbol", json!("BTCUSDT"))];
        all.extend(params);
        ok(&call(ws, &signed("myTrades", "m", all))).as_array().expect("list").clone()
    };
    let every = trades(&mut ws, vec![]);
    assert_eq!(
        every[0],
        json!({"symbol": "BTCUSDT", "id": 1, "orderId": 1, "orderListId": -1, "price": "90000.01000000",
               "qty": "0.10000000", "quoteQty": "9000.00100000", "commission": "9.00000100",
               "commissionAsset": "USDT", "time": common::NOW, "isBuyer": true, "isMaker": false,
               "isBestMatch": true})
    );
    assert_eq!((every.len(), &every[1]["isBuyer"]), (2, &json!(false)));
    assert_eq!(
        trades(&mut ws, vec![("fromId", json!(2))]).iter().map(|t| t["id"].clone()).collect::<Vec<_>>(),
        [json!(2)]
    );
    assert_eq!(trades(&mut ws, vec![("orderId", json!(2))])[0]["orderId"], 2);
    assert_eq!(trades(&mut ws, vec![("limit", json!(1))])[0]["id"], 2, "the most recent");
    assert_eq!(trades(&mut ws, vec![("fromId", json!(1)), ("limit", json!(1))])[0]["id"], 1);
    let bad = call(&mut ws, &signed("myTrades", "b", vec![("symbol", json!("BTCUSDT")), ("limit", json!(1001))]));
    assert_eq!(bad["error"]["code"], -1130);

    let status = call(&mut ws, &signed("order.status", "s", vec![("symbol", json!("BTCUSDT")), ("orderId", json!(1))]));
    assert_eq!((&ok(&status)["status"], &ok(&status)["executedQty"]), (&json!("FILLED"), &json!("0.10000000")));
}
