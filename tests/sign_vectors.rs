//! Signatures checked against vectors this project did not write: Binance's documented WebSocket API examples
//! (docs/protocols/binance-ws-api.md §Test vectors: vectors A, B with the non-ASCII symbol, C, the `session.logon`
//! example, and §openOrders.status's example), each rendered through the templates, RFC 4231's HMAC-SHA256 test
//! cases 1–7, and RFC 8032's Ed25519 test vectors with a `session.logon` signed by one.

use base64::Engine as _;
use ed25519_dalek::Verifier as _;
use hotline_core::order::{Decimal, Instrument, OrderType, Side, TimeInForce};
use hotline_core::sign::{Ed25519Key, HmacKey, hex_lower};
use hotline_core::venue::binance::{Auth, PlaceOrder, Session, Slot, Template, TimeUnit};

const API_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
const SECRET: &[u8] = b"NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

fn hex(bytes: &[u8]) -> String {
    let mut out = vec![0u8; bytes.len() * 2];
    hex_lower(bytes, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn signature_of(request: &[u8]) -> String {
    let json: serde_json::Value = serde_json::from_slice(request).expect("request is JSON");
    json["params"]["signature"].as_str().expect("signature").to_owned()
}

struct Vector {
    symbol: &'static str,
    side: Side,
    price: (u64, Decimal),
    quantity: (u64, Decimal),
    recv_window: Option<u32>,
    timestamp: u64,
    payload: &'static str,
    signature: &'static str,
}

fn check(v: &Vector) {
    let key = HmacKey::new(SECRET);
    let session = Session {
        auth: Auth::Hmac { api_key: API_KEY, key: &key },
        time: TimeUnit::Millis,
        recv_window: v.recv_window,
    };
    let order = PlaceOrder {
        instrument: Instrument { symbol: v.symbol, price: v.price.1, quantity: v.quantity.1 },
        side: v.side,
        order_type: OrderType::Limit(TimeInForce::Gtc),
        resp_type: None,
        client_order_id: None,
    };
    let mut t = Template::order_place(&order, &session).unwrap();
    t.set(Slot::Price, v.price.0).unwrap();
    t.set(Slot::Quantity, v.quantity.0).unwrap();
    t.set(Slot::Timestamp, v.timestamp).unwrap();
    t.set(Slot::RequestId, 7).unwrap();
    t.sign().unwrap();
    assert_eq!(std::str::from_utf8(t.payload()).unwrap(), v.payload);
    assert_eq!(signature_of(t.request()), v.signature);
    assert_eq!(hex(&key.sign(v.payload.as_bytes())), v.signature);
}

const fn dec(int_digits: u8, decimals: u8) -> Decimal {
    Decimal { int_digits, decimals }
}

#[test]
fn binance_vector_a_ascii() {
    check(&Vector {
        symbol: "BTCUSDT",
        side: Side::Sell,
        price: (5_200_000, dec(5, 2)),
        quantity: (1_000_000, dec(1, 8)),
        recv_window: Some(100),
        timestamp: 1_645_423_376_532,
        payload: "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT",
        signature: "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24",
    });
}

#[test]
fn binance_vector_b_non_ascii_symbol() {
    check(&Vector {
        symbol: "１２３４５６",
        side: Side::Buy,
        price: (10_000_000, dec(1, 8)),
        quantity: (100_000_000, dec(1, 8)),
        recv_window: Some(5000),
        timestamp: 1_645_423_376_532,
        payload: "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=0.10000000&quantity=1.00000000&recvWindow=5000&side=BUY&symbol=１２３４５６&timeInForce=GTC&timestamp=1645423376532&type=LIMIT",
        signature: "b33892ae8e687c939f4468c6268ddd4c40ac1af18ad19a064864c47bae0752cd",
    });
}

#[test]
fn binance_vector_c_order_place() {
    check(&Vector {
        symbol: "BTCUSDT",
        side: Side::Sell,
        price: (2_341_610_000_000, dec(5, 8)),
        quantity: (847_000, dec(1, 8)),
        recv_window: None,
        timestamp: 1_660_801_715_431,
        payload: "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=23416.10000000&quantity=0.00847000&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1660801715431&type=LIMIT",
        signature: "15af09e41c36f3cc61378c2fbe2c33719a03dd5eba8d0f9206fbda44de717c88",
    });
}

#[test]
fn binance_session_logon_example() {
    let key = HmacKey::new(SECRET);
    let session =
        Session { auth: Auth::Hmac { api_key: API_KEY, key: &key }, time: TimeUnit::Millis, recv_window: None };
    let mut t = Template::session_logon(&session).unwrap();
    t.set(Slot::Timestamp, 1_649_729_878_532).unwrap();
    t.sign().unwrap();
    assert_eq!(std::str::from_utf8(t.payload()).unwrap(), format!("apiKey={API_KEY}&timestamp=1649729878532"));
    assert_eq!(signature_of(t.request()), "1cf54395b336b0a9727ef27d5d98987962bc47aca6e13fe978612d0adee066ed");
}

#[test]
fn binance_open_orders_status_example() {
    // web-socket-api.md §"Current open orders (USER_DATA)", its request.
    let key = HmacKey::new(SECRET);
    let session =
        Session { auth: Auth::Hmac { api_key: API_KEY, key: &key }, time: TimeUnit::Millis, recv_window: None };
    let mut t = Template::open_orders_status("BTCUSDT", &session).unwrap();
    t.set(Slot::Timestamp, 1_660_813_156_812).unwrap();
    t.sign().unwrap();
    assert_eq!(
        std::str::from_utf8(t.payload()).unwrap(),
        format!("apiKey={API_KEY}&symbol=BTCUSDT&timestamp=1660813156812")
    );
    assert_eq!(signature_of(t.request()), "d632b3fdb8a81dd44f82c7c901833309dd714fe508772a89b0a35b0ee0c48b89");
}

/// RFC 4231 §4.2–§4.8 as hex: (key, data, HMAC-SHA-256).
/// Case 5 checks only the first 128 bits (truncated output).
const RFC4231: &[(&str, &str, &str)] = &[
    (
        "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
        "4869205468657265",
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    ),
    (
        "4a656665",
        "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ),
    (
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
    ),
    (
        "0102030405060708090a0b0c0d0e0f10111213141516171819",
        "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
    ),
    (
        "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
        "546573742057697468205472756e636174696f6e",
        "a3b6167473100ee06e0c796c2955552b",
    ),
    (
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ),
    (
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e",
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ),
];

#[test]
fn rfc4231_cases_1_to_7() {
    for (case, (key, data, expected)) in RFC4231.iter().enumerate() {
        let key = HmacKey::new(&hex::decode(key).unwrap());
        let tag = hex(&key.sign(&hex::decode(data).unwrap()));
        assert!(tag.starts_with(expected), "RFC 4231 case {}: {tag} != {expected}", case + 1);
    }
}

/// RFC 8032 §7.1 TEST 1 and TEST 2 as hex: (secret seed, public key,
/// message, signature).
const RFC8032: &[(&str, &str, &str, &str)] = &[
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
];

fn seed(hex_seed: &str) -> [u8; 32] {
    hex::decode(hex_seed).unwrap().try_into().unwrap()
}

#[test]
fn rfc8032_ed25519_vectors() {
    for (secret, public, message, signature) in RFC8032 {
        let key = Ed25519Key::from_seed(&seed(secret));
        assert_eq!(hex(&key.public()), *public);
        assert_eq!(hex(&key.sign(&hex::decode(message).unwrap())), *signature);
    }
}

#[test]
fn ed25519_session_logon_verifies() {
    let key = Ed25519Key::from_seed(&seed(RFC8032[1].0));
    let session = Session {
        auth: Auth::Ed25519 { api_key: API_KEY, key: &key },
        time: TimeUnit::Millis,
        recv_window: Some(5000),
    };
    let mut t = Template::session_logon(&session).unwrap();
    t.set(Slot::Timestamp, 1_649_729_878_532).unwrap();
    t.set(Slot::RequestId, 1).unwrap();
    t.sign().unwrap();
    let payload = format!("apiKey={API_KEY}&recvWindow=5000&timestamp=1649729878532");
    assert_eq!(std::str::from_utf8(t.payload()).unwrap(), payload);
    let signature = base64::engine::general_purpose::STANDARD.decode(signature_of(t.request())).unwrap();
    let verifying = ed25519_dalek::VerifyingKey::from_bytes(&key.public()).unwrap();
    let signature = ed25519_dalek::Signature::from_slice(&signature).unwrap();
    verifying.verify(payload.as_bytes(), &signature).unwrap();
}

/// The SHA-256 path and the multi-buffer lane count follow what std's own
/// CPU detection reports: SHA-NI when the CPU has it, AVX2 lanes only
/// without SHA-NI (measured faster here).
#[cfg(target_arch = "x86_64")]
#[test]
fn dispatch_follows_std_cpu_detection() {
    use hotline_core::sign::{Backend, LANES, backend, lanes};
    let sha_ni = std::arch::is_x86_feature_detected!("sha") && std::arch::is_x86_feature_detected!("sse4.1");
    let avx2 = std::arch::is_x86_feature_detected!("avx2");
    assert_eq!(backend() == Backend::ShaNi, sha_ni);
    assert_eq!(lanes(), if avx2 && !sha_ni { LANES } else { 1 });
}
