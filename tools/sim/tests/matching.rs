//! Orders against the simulated touch, as a client sees them in `order.place` answers, `order.status`, the balances
//! and the journal: IOC fills part and expires the rest, FOK fills all or nothing, MARKET takes what the depth allows,
//! depth taken stays taken until the next touch, GTC rests and fills at its own price when a later touch crosses it,
//! LIMIT_MAKER never takes, and no order spends money the account does not have.

mod common;

use common::{NOW, api, call, fixed, signed};
use hotline_sim::{Sim, SimConfig};
use serde_json::{Value, json};

/// A signed order on BTCUSDT.
fn order(cid: &str, side: &str, kind: &str, extra: Vec<(&'static str, Value)>) -> String {
    let mut params = vec![
        ("symbol", json!("BTCUSDT")),
        ("side", json!(side)),
        ("type", json!(kind)),
        ("newClientOrderId", json!(cid)),
    ];
    params.extend(extra);
    signed("order.place", cid, params)
}

fn limit(cid: &str, side: &str, tif: &str, price: &str, qty: &str) -> String {
    order(cid, side, "LIMIT", vec![("timeInForce", json!(tif)), ("price", json!(price)), ("quantity", json!(qty))])
}

fn ok(answer: &Value) -> &Value {
    assert_eq!(answer["status"], 200, "{answer}");
    &answer["result"]
}

fn balance(sim: &Sim, asset: &str) -> (String, String) {
    let b = sim.balances().into_iter().find(|b| b.asset == asset).expect("asset");
    (b.free, b.locked)
}

fn start() -> Sim {
    let sim = Sim::start(fixed()).expect("sim");
    sim.set_touch("90000.00", "1", "90000.01", "0.3").expect("touch");
    sim
}

#[test]
fn ioc_fills_what_the_touch_has_and_expires_the_rest() {
    let sim = start();
    let mut ws = api(&sim);
    let answer = call(&mut ws, &limit("ioc-1", "BUY", "IOC", "90000.01", "0.5"));
    let result = ok(&answer);
    assert_eq!(result["status"], "EXPIRED");
    assert_eq!(result["expiryReason"], "UNFILLED_IOC_QUANTITY_EXPIRED");
    assert_eq!((&result["origQty"], &result["executedQty"]), (&json!("0.50000000"), &json!("0.30000000")));
    assert_eq!(result["cummulativeQuoteQty"], "27000.00300000");
    assert_eq!(
        result["fills"],
        json!([{"price": "90000.01000000", "qty": "0.30000000", "commission": "27.00000300",
                "commissionAsset": "USDT", "tradeId": 1}])
    );
    // The depth is gone until the next touch.
    let again = call(&mut ws, &limit("ioc-2", "BUY", "IOC", "90000.01", "0.1"));
    assert_eq!((&ok(&again)["status"], &ok(&again)["fills"]), (&json!("EXPIRED"), &json!([])));
    sim.set_touch("90000.00", "1", "90000.01", "0.3").expect("touch");
    let refreshed = call(&mut ws, &limit("ioc-3", "BUY", "IOC", "90001", "0.1"));
    assert_eq!(ok(&refreshed)["status"], "FILLED");
    assert_eq!(ok(&refreshed)["fills"][0]["tradeId"], 2);
    // Not marketable: nothing.
    let low = call(&mut ws, &limit("ioc-4", "BUY", "IOC", "89999.99", "0.1"));
    assert_eq!((&ok(&low)["status"], &ok(&low)["executedQty"]), (&json!("EXPIRED"), &json!("0.00000000")));

    // 0.4 BTC bought for 36000.004 USDT plus 36.000004 commission.
    assert_eq!(balance(&sim, "BTC"), ("1.40000000".to_owned(), "0.00000000".to_owned()));
    assert_eq!(balance(&sim, "USDT").0, "63963.99599600");
    let fills = sim.fills();
    assert_eq!(fills.iter().map(|f| (f.trade_id, f.is_maker)).collect::<Vec<_>>(), [(1, false), (2, false)]);
}

#[test]
fn fok_fills_all_or_nothing() {
    let sim = start();
    let mut ws = api(&sim);
    let none = call(&mut ws, &limit("fok-1", "BUY", "FOK", "90000.01", "0.5"));
    let result = ok(&none);
    assert_eq!((&result["status"], &result["expiryReason"]), (&json!("EXPIRED"), &json!("UNFILLED_FOK_ORDER_EXPIRED")));
    assert_eq!((&result["executedQty"], &result["fills"]), (&json!("0.00000000"), &json!([])));
    let all = call(&mut ws, &limit("fok-2", "SELL", "FOK", "90000.00", "1"));
    assert_eq!(ok(&all)["status"], "FILLED");
    assert_eq!(ok(&all)["fills"][0]["price"], "90000.00000000");
    assert!(ok(&all).get("expiryReason").is_none());
    assert_eq!(sim.fills().len(), 1);
}

#[test]
fn market_orders_fill_what_the_depth_allows() {
    let sim = start();
    let mut ws = api(&sim);
    let sold = call(&mut ws, &order("mkt-1", "SELL", "MARKET", vec![("quantity", json!("1"))]));
    assert_eq!(ok(&sold)["status"], "FILLED");
    let market = Sim::start(fixed()).expect("sim");
    market.set_touch("90000.00", "0.25", "90000.01", "0.25").expect("touch");
    let mut ws = api(&market);
    let partial = call(&mut ws, &order("mkt-2", "SELL", "MARKET", vec![("quantity", json!("0.5"))]));
    let result = ok(&partial);
    assert_eq!((&result["status"], &result["expiryReason"]), (&json!("EXPIRED"), &json!("INSUFFICIENT_LIQUIDITY")));
    assert_eq!(result["executedQty"], "0.25000000");
    // quoteOrderQty: what 9000.001 USDT buys at the ask.
    let quote = call(&mut ws, &order("mkt-3", "BUY", "MARKET", vec![("quoteOrderQty", json!("9000.001"))]));
    assert_eq!((&ok(&quote)["status"], &ok(&quote)["executedQty"]), (&json!("FILLED"), &json!("0.10000000")));
}

#[test]
fn gtc_rests_then_fills_at_its_price_when_a_touch_crosses_it() {
    let sim = start();
    let mut ws = api(&sim);
    let placed = call(&mut ws, &limit("gtc-1", "BUY", "GTC", "89990.00", "0.5"));
    let result = ok(&placed);
    assert_eq!((&result["status"], &result["fills"]), (&json!("NEW"), &json!([])));
    // 0.5 × 89990 = 44995 USDT plus 0.1 % is held.
    assert_eq!(balance(&sim, "USDT"), ("54960.00500000".to_owned(), "45039.99500000".to_owned()));

    sim.set_touch("89989.00", "1", "89990.00", "0.2").expect("touch");
    let query = signed("order.status", "q", vec![("symbol", json!("BTCUSDT")), ("origClientOrderId", json!("gtc-1"))]);
    let status = call(&mut ws, &query);
    assert_eq!(
        (&ok(&status)["status"], &ok(&status)["executedQty"]),
        (&json!("PARTIALLY_FILLED"), &json!("0.20000000"))
    );
    assert_eq!(ok(&status)["isWorking"], true);

    // A touch well below the order fills the rest at the order's own price.
    sim.set_touch("89000.00", "1", "89000.01", "5").expect("touch");
    let status = call(&mut ws, &query);
    assert_eq!(
        (&ok(&status)["status"], &ok(&status)["cummulativeQuoteQty"]),
        (&json!("FILLED"), &json!("44995.00000000"))
    );
    assert_eq!(ok(&status)["isWorking"], false);
    let fills = sim.fills();
    assert_eq!(
        fills.iter().map(|f| (f.trade_id, f.price.as_str(), f.qty.as_str(), f.is_maker)).collect::<Vec<_>>(),
        [(1, "89990.00000000", "0.20000000", true), (2, "89990.00000000", "0.30000000", true)]
    );
    assert_eq!(balance(&sim, "USDT"), ("54960.00500000".to_owned(), "0.00000000".to_owned()));
    assert_eq!(balance(&sim, "BTC"), ("1.50000000".to_owned(), "0.00000000".to_owned()));

    // A sell rests above the bid until the bid reaches it.
    let sell = call(&mut ws, &limit("gtc-2", "SELL", "GTC", "89500.00", "0.1"));
    assert_eq!(ok(&sell)["status"], "NEW");
    assert_eq!(balance(&sim, "BTC").1, "0.10000000");
    sim.set_touch("89600.00", "0.05", "89600.01", "1").expect("touch");
    assert_eq!(
        sim.fills().last().map(|f| (f.qty.clone(), f.side.clone())),
        Some(("0.05000000".to_owned(), "SELL".to_owned()))
    );
}

#[test]
fn limit_maker_that_would_take_is_rejected() {
    let sim = start();
    let mut ws = api(&sim);
    let maker = |cid: &str, side: &str, price: &str| {
        // LIMIT_MAKER answers ACK unless asked (web-socket-api.md §"Place new order (TRADE)").
        let params = vec![("price", json!(price)), ("quantity", json!("0.1")), ("newOrderRespType", json!("RESULT"))];
        order(cid, side, "LIMIT_MAKER", params)
    };
    let taking = call(&mut ws, &maker("lm-1", "BUY", "90000.01"));
    assert_eq!((taking["status"].as_i64(), &taking["error"]["code"]), (Some(400), &json!(-2010)));
    assert_eq!(taking["error"]["msg"], "Order would immediately match and take.");
    let resting = call(&mut ws, &maker("lm-2", "SELL", "90000.01"));
    assert_eq!(ok(&resting)["status"], "NEW");
    assert_eq!(sim.orders().len(), 1);
}

#[test]
fn orders_beyond_the_balance_are_rejected_and_finer_than_a_tick_fail_the_filter() {
    let sim = start();
    let mut ws = api(&sim);
    let big = call(&mut ws, &limit("big-1", "BUY", "GTC", "90000.00", "1.2"));
    assert_eq!(big["error"]["msg"], "Account has insufficient balance for requested action.");
    let oversold = call(&mut ws, &order("big-2", "SELL", "MARKET", vec![("quantity", json!("1.00001"))]));
    assert_eq!(oversold["error"]["code"], -2010);
    let tick = call(&mut ws, &limit("tick-1", "BUY", "GTC", "90000.001", "0.1"));
    assert_eq!(
        (&tick["error"]["code"], &tick["error"]["msg"]),
        (&json!(-1013), &json!("Filter failure: PRICE_FILTER"))
    );
    let lot = call(&mut ws, &limit("lot-1", "BUY", "GTC", "90000.00", "0.000001"));
    assert_eq!(lot["error"]["msg"], "Filter failure: LOT_SIZE");
    assert!(sim.orders().is_empty());
}

#[test]
fn the_journal_holds_orders_as_before_and_fills_with_a_kind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.jsonl");
    let sim = Sim::start(SimConfig { journal: Some(path.clone()), ..fixed() }).expect("sim");
    let mut ws = api(&sim);
    ok(&call(&mut ws, &limit("j-1", "BUY", "IOC", "90000.01", "0.1")));
    let lines: Vec<Value> = std::fs::read_to_string(&path)
        .expect("journal")
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON line"))
        .collect();
    assert_eq!(lines[0], sim.orders()[0].to_json());
    assert!(lines[0].get("kind").is_none());
    assert_eq!(lines[1], sim.fills()[0].to_json());
    assert_eq!(
        lines[1],
        json!({"kind": "fill", "tradeId": 1, "orderId": 1, "clientOrderId": "j-1", "symbol": "BTCUSDT", "side": "BUY",
               "price": "90000.01000000", "qty": "0.10000000", "quoteQty": "9000.00100000",
               "commission": "9.00000100", "commissionAsset": "USDT", "isMaker": false, "time": NOW})
    );
    assert_eq!(lines.len(), 2);
}
