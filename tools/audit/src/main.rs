//! The zero-allocation audit image. `_start` drives every public entry point
//! of hotline-core with opaque inputs (`black_box`), so each generic and
//! each function is instantiated and kept to the link. No global allocator
//! is defined and no libc is linked (linker/audit.ld): if anything reachable
//! from the core needs `alloc`, this image does not build.
#![no_std]
#![no_main]

use core::hint::black_box;

#[cfg(feature = "canary")]
extern crate alloc;

mod ws {
    use core::hint::black_box;

    use hotline_core::ws::decode::is_valid_close_code;
    use hotline_core::ws::frame::encode_control;
    use hotline_core::ws::handshake::write_request;
    use hotline_core::ws::{Client, Decoder, FrameHeader, Opcode, ProtocolError, Request, encode_frame, mask};

    pub(crate) fn exercise() {
        let mut out = [0u8; 512];
        let mut message = [0u8; 256];
        let request = Request { host: black_box("h"), path: black_box("/"), key: black_box([0; 16]), headers: &[] };
        if let Ok((mut client, _)) = Client::connect(&request, &mut out, &mut message) {
            let input = black_box([0u8; 64]);
            let _ = black_box(client.handle_input(&input).is_ok());
            black_box(client.state());
            client.close(black_box(1000), black_box("bye"));
            let _ = black_box(client.poll_transmit(&mut out, black_box([1; 4])).is_some());
            let _ = black_box(client.encode(&mut out, 14, 8, Opcode::Text, true, black_box([1; 4])).is_ok());
            let _ = black_box(client.reconnect(&request, &mut out).is_ok());
        }
        if let Ok((_, mut verifier)) = write_request(&request, &mut out) {
            let _ = black_box(verifier.handle_input(&black_box(*b"HTTP/1.1 101 \r\n\r\n")));
        }
        let mut buffer = [0u8; 64];
        let mut decoder = Decoder::new(&mut buffer);
        let _ = black_box(decoder.handle_input(&black_box([0x81, 1, b'a'])).is_ok());
        decoder.reset();
        if let Ok(hotline_core::Status::Complete((header, _))) = FrameHeader::parse(&black_box([0x81, 0])) {
            black_box(header.encoded_len());
            black_box(header.emit(&mut out));
        }
        if let Some(opcode) = Opcode::from_bits(black_box(9)) {
            black_box((opcode.bits(), opcode.is_control()));
        }
        black_box(ProtocolError::InvalidCloseCode(black_box(1)).close_code());
        black_box(is_valid_close_code(black_box(1000)));
        let _ = black_box(encode_control(&mut out, Opcode::Ping, &black_box([4; 8]), black_box([5; 4])));
        let _ = black_box(encode_frame(&mut out, 14, 10, Opcode::Binary, true, black_box([2; 4])).is_ok());
        mask::apply_mask(&mut out, black_box([3; 4]));
        black_box(&out);
    }
}

mod sign_order_venue {
    use core::hint::black_box;

    use hotline_core::order::{Decimal, Instrument, OrderType, Scale, Side, TimeInForce};
    use hotline_core::sign::{Ed25519Key, HmacKey, backend, base64_std, hex_lower, lanes, sign_many};
    use hotline_core::venue::binance::{Auth, PlaceOrder, PreArmed, Session, Slot, Template, TimeUnit};
    use hotline_core::venue::binance::{
        MarketMessage, UserEvent, decode, decode_event, decode_market_binary, decode_market_text,
    };
    use hotline_core::venue::coinbase::market::{FeedMessage, decode as decode_coinbase, subscribe};

    pub(crate) fn exercise() {
        let key = HmacKey::new(black_box(b"secret"));
        let ed = Ed25519Key::from_seed(&black_box([7; 32]));
        let dec = Decimal { int_digits: black_box(5), decimals: black_box(2) };
        let order = PlaceOrder {
            instrument: Instrument { symbol: black_box("BTCUSDT"), price: dec, quantity: dec },
            side: Side::Sell,
            order_type: OrderType::Limit(TimeInForce::Gtc),
            resp_type: None,
            client_order_id: Some(black_box(12)),
        };
        for auth in [
            Auth::Hmac { api_key: black_box("k"), key: &key },
            Auth::Ed25519 { api_key: black_box("k"), key: &ed },
            Auth::Session,
        ] {
            let session = Session { auth, time: TimeUnit::Millis, recv_window: black_box(Some(100)) };
            for mut t in [
                Template::order_place(&order, &session),
                Template::order_cancel(black_box("BTCUSDT"), 8, &session),
                Template::order_status(black_box("BTCUSDT"), 8, &session),
                Template::session_logon(&session),
            ]
            .into_iter()
            .flatten()
            {
                let _ = black_box(t.set(Slot::Timestamp, black_box(1_700_000_000_000)));
                let _ = black_box(t.sign());
                black_box((t.has(Slot::Price), t.request(), t.payload()));
                let mut armed = PreArmed::<8>::new(t);
                let _ = black_box(armed.arm(black_box(1), &[(Slot::Price, black_box(5))]));
                black_box(armed.first());
                let _ = black_box(armed.fire(black_box(2), black_box(3)).map(|r| r.len()));
            }
        }
        let from = key.midstate(&black_box([0u8; 64]));
        black_box(sign_many(&key, &from, &black_box([&b"abc"[..]; 8])));
        black_box((from.message_bytes(), key.sign(black_box(b"m")), key.sign_from(&from, black_box(b"m"))));
        black_box((ed.public(), lanes()));
        crate::shown(format_args!("{key:?} {from:?} {ed:?}"));
        let mut out = [0u8; 128];
        let _ = black_box(hex_lower(&black_box([1u8; 32]), &mut out[..64]));
        let _ = black_box(base64_std(&ed.sign(black_box(b"m")), &mut out));
        black_box(backend().name());
        let _ = black_box(decode(&black_box(*b"{\"id\":\"1\",\"status\":200}")).is_ok());
        let scale = Scale { price: black_box(2), qty: black_box(5) };
        let ticker = black_box(*br#"{"u":1,"s":"BTCUSDT","b":"1.00","B":"1","a":"1.01","A":"1"}"#);
        black_box(decode_market_text(&ticker, scale).map(|m| matches!(m, MarketMessage::Ticker(_))));
        black_box(decode_market_binary(&black_box([0u8; 66]), scale).map(|t| t.touch.update_id));
        let feed = black_box(*br#"{"type":"ticker","sequence":1,"product_id":"BTC-USD","best_bid":"1","best_bid_size":"1","best_ask":"2","best_ask_size":"1"}"#);
        black_box(decode_coinbase(&feed, scale).map(|m| matches!(m, FeedMessage::Ticker(_))));
        black_box(subscribe(black_box("BTC-USD")).map(|s| s.len()));
        let event = black_box(*br#"{"subscriptionId":0,"event":{"e":"executionReport","s":"BTCUSDT","X":"FILLED"}}"#);
        black_box(decode_event(&event, scale).map(|f| matches!(f.event, UserEvent::Execution(_))));
    }
}

mod feed {
    use core::hint::black_box;

    use hotline_core::feed::bitcoind::{self, Subscriber, Topic, emit_notification};
    use hotline_core::feed::zmtp::{self, FrameHeader, Greeting, Properties, SubSocket, emit_frame, emit_subscribe};

    pub(crate) fn exercise() {
        let mut out = [0u8; 256];
        let input = black_box([0u8; 128]);
        let _ = black_box(Greeting::parse(&input));
        let _ = black_box(Greeting::emit_client(&mut out));
        let _ = black_box(FrameHeader::parse(&input));
        let _ = black_box(FrameHeader::emit(&mut out, black_box(true), black_box(false), black_box(9)));
        let _ = black_box(emit_frame(&mut out, black_box(false), black_box(true), &input));
        let _ = black_box(emit_subscribe(&mut out, black_box(b"rawtx")));
        if let Ok(properties) = Properties::parse(&input) {
            black_box(properties.get(black_box(b"Socket-Type")));
            black_box(properties.iter().count());
        }
        let mut socket = SubSocket::new(black_box(1024));
        black_box((socket.buffer_len(), socket.is_open()));
        let _ = black_box(socket.poll_transmit(&mut out));
        if let Ok((_, Some(zmtp::Event::Message(message)))) = socket.handle_input(&input) {
            black_box((message.first_index(), message.frame_count(), message.ends_message()));
            black_box((message.frames().count(), message.frame(black_box(1))));
        }
        crate::shown(format_args!("{}", zmtp::Error::BufferTooSmall));

        let topics = black_box([Topic::RawTx, Topic::Sequence]);
        let mut subscriber = Subscriber::new(&topics, black_box(4096));
        let mut wide = [0u8; Subscriber::MIN_TRANSMIT_LEN];
        let _ = black_box(subscriber.poll_transmit(&mut wide));
        black_box(subscriber.buffer_len());
        let _ = black_box(subscriber.handle_input(&input));
        subscriber.reconnect();
        black_box((Topic::from_name(black_box(b"rawtx")), black_box(Topic::HashBlock).name()));
        let _ = black_box(emit_notification(&mut out, Topic::RawTx, &input, black_box(7)));
        crate::shown(format_args!("{}", bitcoind::Error::from(black_box(zmtp::Error::BufferTooSmall))));
    }
}

mod btc {
    use core::hint::black_box;

    use hotline_core::btc::script::ScriptType;
    use hotline_core::btc::tx::{Error, Tx};

    pub(crate) fn exercise() {
        let bytes = black_box([0u8; 128]);
        if let Ok(tx) = Tx::parse(&bytes) {
            black_box((tx.as_bytes(), tx.version(), tx.lock_time(), tx.is_segwit(), tx.is_coinbase()));
            black_box((tx.input_count(), tx.output_count(), tx.total_out_sat(), tx.max_out_sat()));
            black_box((tx.size(), tx.stripped_size(), tx.weight(), tx.vsize()));
            for input in tx.inputs() {
                black_box((input.prevout.is_null(), input.script_sig, input.sequence));
            }
            for output in tx.outputs() {
                black_box(output.script_type());
            }
            let (txid, wtxid) = (tx.txid(), tx.wtxid());
            black_box(txid.to_display_bytes());
            crate::shown(format_args!("{txid} {wtxid:x} {wtxid:?}"));
        }
        let kind = ScriptType::classify(&bytes[..black_box(22)]);
        crate::shown(format_args!("{kind} {}", kind.name()));
        crate::shown(format_args!("{}", black_box(Error::Truncated)));
    }
}

mod strategy {
    use core::hint::black_box;

    use hotline_core::btc::tx::Tx;
    use hotline_core::order::Side;
    use hotline_core::strategy::whale::{Decision, Detector, Rules, Sizing, WatchEntry, WatchKind};

    pub(crate) fn exercise() {
        let watch = [WatchEntry { script: black_box(&[0u8; 22][..]), kind: WatchKind::ExchangeDeposit }];
        let rules = Rules { watch: &watch, unlabeled_side: black_box(Some(Side::Buy)), ..Rules::default() };
        let mut detector = Detector::<64>::new(rules);
        black_box(detector.rules().max_strength);
        detector.on_feed_gap(black_box(1));
        let sizing = Sizing { base_qty: black_box(1), max_qty: black_box(10) };
        if let Ok(tx) = Tx::parse(&black_box([0u8; 128]))
            && let Decision::Signal(signal) = detector.evaluate(black_box(2), &tx)
        {
            black_box(sizing.quantity(&signal));
        }
    }
}

mod risk {
    use core::hint::black_box;

    use hotline_core::order::Side;
    use hotline_core::risk::bucket::TokenBucket;
    use hotline_core::risk::{Gate, Limits, OrderRequest};

    pub(crate) fn exercise() {
        let mut gate = Gate::new(Limits::new(black_box(10), black_box(1_000), black_box(20)));
        black_box(gate.limits().max_open_orders);
        let order = OrderRequest {
            side: black_box(Side::Buy),
            qty: black_box(2),
            price: black_box(3),
            collar_mid_half_ticks: black_box(Some(6)),
        };
        if let Err(reason) = gate.check(black_box(1), &order) {
            black_box(reason.code());
        }
        gate.on_ack();
        gate.on_fill(Side::Buy, black_box(1));
        gate.on_closed(Side::Buy, black_box(1));
        gate.on_reject(black_box(2), Side::Sell, black_box(1));
        gate.on_feed_gap(black_box(3));
        gate.kill(black_box(4));
        gate.rearm(black_box(5));
        black_box((gate.killed(), gate.open_orders(), gate.position(), gate.events_dropped()));
        while let Some(event) = gate.poll_event() {
            black_box(event);
        }
        let mut bucket = TokenBucket::new(black_box(20), black_box(10_000_000_000));
        if bucket.available(black_box(6)) {
            bucket.take();
        }
        black_box((bucket.max_per_window(), bucket.tokens()));
    }
}

mod tls {
    use core::hint::black_box;

    use hotline_core::tls::{Client, Handover, Keys, Secrets, Storage, Suite};

    /// Keys as a handshake would hand them over.
    pub(crate) fn handover(suite: Suite) -> Option<Handover> {
        let keys = |fill: u8| Keys::new(suite, &black_box([fill; 32])[..suite.key_len()], black_box([fill; 12]));
        Some(Handover::new(Secrets { tx: keys(1)?, tx_seq: 0, rx: keys(2)?, rx_seq: black_box(0) }))
    }

    /// TLS 1.2 keys as a handshake would hand them over.
    fn handover12(suite: Suite) -> Option<Handover> {
        let keys = |fill: u8| Keys::tls12(suite, &black_box([fill; 32])[..suite.key_len()], black_box([fill; 4]));
        Some(Handover::new(Secrets { tx: keys(1)?, tx_seq: 1, rx: keys(2)?, rx_seq: black_box(1) }))
    }

    pub(crate) fn exercise() {
        for suite in [Suite::Aes128GcmSha256, Suite::Aes256GcmSha384] {
            client(handover(suite));
            client(handover12(suite));
        }
    }

    /// One connection, driven through the whole record-layer surface:
    /// seal, pre-seal, dry run, open, alerts, close.
    fn client(handover: Option<Handover>) {
        let Some(handover) = handover else { return };
        let mut storage = Storage::default();
        let mut client = Client::new(&mut storage, handover);
        client.reconnect();
        let mut buf = [0u8; 1024];
        black_box(client.poll_transmit(&mut buf));
        let _ = black_box(client.send(black_box(b"order")));
        client.prepare(black_box(400));
        let room = client.room();
        let n = room.len().min(black_box(400));
        if let Some(r) = room.get_mut(..n) {
            r.fill(black_box(7));
        }
        let _ = black_box(client.seal_room(n));
        let _ = black_box(client.dry_run(black_box(400)));
        black_box(client.poll_transmit(&mut buf));
        let _ = black_box(
            client.handle_input(&black_box([23u8, 3, 3, 0, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])),
        );
        let _ = black_box(client.recv(&mut buf));
        black_box((client.wants_write(), client.state(), client.suite(), client.version(), client.next_tx_seq()));
        let _ = black_box(client.close());
        let _ = black_box(client.handle_eof());
        client.reconnect();
        if let Some(error) = client.error() {
            crate::shown(format_args!("{error} {client:?}"));
        }
    }
}

mod engine {
    use core::hint::black_box;

    use hotline_core::engine::{BookPricing, Engine, MarketFeed, NoStamp, Pricing, Settings, Stream, Timers};
    use hotline_core::order::{Decimal, Instrument, OrderType, Scale, Side, TimeInForce};
    use hotline_core::risk::Limits;
    use hotline_core::sign::{Ed25519Key, HmacKey};
    use hotline_core::strategy::whale::{Rules, Sizing};
    use hotline_core::tls::{Client, Storage, Suite};
    use hotline_core::venue;
    use hotline_core::venue::binance::{self, Auth, PlaceOrder, TimeUnit};

    pub(crate) fn exercise() {
        let hmac = HmacKey::new(black_box(b"secret"));
        let ed25519 = Ed25519Key::from_seed(&black_box([7; 32]));
        run(Auth::Hmac { api_key: black_box("key"), key: &hmac }, false);
        run(Auth::Ed25519 { api_key: black_box("key"), key: &ed25519 }, true);
    }

    /// The whole engine surface over a real TLS engine; with `book`,
    /// limit orders priced from a market-data stream over a second one.
    fn run(auth: Auth<'_>, book: bool) {
        let Some(handover) = crate::tls::handover(Suite::Aes128GcmSha256) else { return };
        let Some(market_handover) = crate::tls::handover(Suite::Aes128GcmSha256) else { return };
        let mut storage = Storage::default();
        let mut market_storage = Storage::default();
        let link = Client::new(&mut storage, handover);
        let market_link = Client::new(&mut market_storage, market_handover);
        let pricing = if book {
            Pricing::Book(BookPricing {
                offset_ticks: black_box(5),
                max_age_ns: black_box(1_000_000),
                feed: if black_box(false) { MarketFeed::Coinbase } else { MarketFeed::Binance },
                host: black_box("stream.example.com"),
                path: black_box("/ws/btcusdt@bestBidAsk"),
                headers: &[("X-MBX-APIKEY", "key")],
                symbol: black_box("BTCUSDT"),
                scale: Scale { price: 2, qty: 5 },
            })
        } else {
            Pricing::Fixed { limit: black_box(0), reference: black_box(1) }
        };
        let order_type = if book { OrderType::Limit(TimeInForce::Ioc) } else { OrderType::Market };
        let settings = Settings {
            host: black_box("example.com"),
            path: black_box("/ws-api/v3"),
            venue: venue::Settings::Binance(binance::Settings {
                order: PlaceOrder {
                    instrument: Instrument {
                        symbol: black_box("BTCUSDT"),
                        price: Decimal { int_digits: 7, decimals: 2 },
                        quantity: Decimal { int_digits: 3, decimals: 5 },
                    },
                    side: Side::Buy,
                    order_type: black_box(order_type),
                    resp_type: None,
                    client_order_id: Some(16),
                },
                auth,
                time_unit: TimeUnit::Millis,
                recv_window: None,
            }),
            sizing: Sizing { base_qty: 1, max_qty: 10 },
            ladder: hotline_core::engine::Ladder::SINGLE,
            pricing,
            max_tx_bytes: black_box(4096),
            nodes: black_box(2),
            timers: Timers::default(),
            unix_offset_ns: black_box(0),
            first_client_order_id: black_box(1),
            user_data: black_box(true),
        };
        let mut feed = [0u8; 16384];
        let mut message = [0u8; 4096];
        let mut market_message = [0u8; 4096];
        let limits = Limits::new(black_box(10), black_box(1_000), black_box(20));
        let Ok(mut engine) =
            Engine::new(settings, Rules::default(), limits, link, NoStamp, &mut feed, &mut message, black_box([3; 32]))
        else {
            return;
        };
        if book && engine.attach_market(market_link, &mut market_message).is_err() {
            return;
        }
        let mut out = [0u8; 2048];
        engine.feed_connected(black_box(0), black_box(1));
        engine.feed_connected(black_box(1), black_box(1));
        engine.venue_connected(black_box(1));
        engine.market_connected(black_box(1));
        black_box(engine.poll_transmit(black_box(2), Stream::Market, &mut out));
        engine.handle_market(black_box(3), &black_box([23u8, 3, 3, 0, 4, 2, 0, 0, 0]));
        black_box((engine.book().touch().map(|t| t.mid_half_ticks()), engine.market_state()));
        black_box(engine.poll_transmit(black_box(2), Stream::Feed(black_box(0)), &mut out));
        black_box(engine.poll_transmit(black_box(2), Stream::Venue, &mut out));
        let _ = black_box(engine.handle_feed(black_box(0), black_box(3), &black_box([0u8; 64])));
        let _ = black_box(engine.handle_feed(black_box(1), black_box(3), &black_box([0u8; 64])));
        black_box(engine.warm(black_box(3)));
        black_box(engine.node_stats().first().map(|n| n.lead_ns.quantile_ns(500)));
        engine.handle_venue(black_box(4), &black_box([22u8, 3, 3, 0, 4, 2, 0, 0, 0]));
        if let Some(deadline) = engine.poll_timeout() {
            engine.handle_timeout(deadline);
        }
        engine.kill(black_box(5));
        engine.shutdown(black_box(6));
        engine.venue_closed(black_box(7));
        engine.venue_connect_failed(black_box(8));
        engine.market_closed(black_box(8));
        engine.market_connect_failed(black_box(9));
        engine.feed_closed(black_box(1), black_box(7));
        while let Some(event) = engine.poll_event() {
            crate::shown(format_args!("{event:?}"));
        }
        black_box((engine.is_finished(), engine.venue_state(), engine.events_dropped(), engine.venue_offset_ns()));
        black_box((engine.counters().orders_sent, engine.orders().unresolved(), engine.gate().open_orders()));
        black_box(engine.canonical_payload(black_box(1)).map(<[u8]>::len));
        crate::shown(format_args!("{engine:?}"));
    }
}

/// Formats into a byte counter: the `Display`/`Debug` impls of the core
/// take part in the link like every other entry point.
fn shown(args: core::fmt::Arguments<'_>) {
    struct Count(usize);
    impl core::fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = core::fmt::write(&mut count, args);
    black_box(count.0);
}

/// The image's entry point; it never returns and is never run for real.
#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    ws::exercise();
    sign_order_venue::exercise();
    feed::exercise();
    btc::exercise();
    strategy::exercise();
    risk::exercise();
    tls::exercise();
    engine::exercise();
    #[cfg(feature = "canary")]
    black_box(alloc::vec::Vec::<u8>::with_capacity(black_box(8)));
    loop {
        black_box(());
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        black_box(());
    }
}

/// The precompiled `core` for this target is built with unwind tables that
/// name a personality routine; with `panic = "abort"` it is never called.
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}

/// The memory intrinsics LLVM emits calls to; libc would provide them in
/// a hosted build. Byte loops are enough: this image only has to link.
mod intrinsics {
    #[unsafe(no_mangle)]
    unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
        // SAFETY: the caller (compiler-generated code) guarantees both
        // ranges are valid for `n` bytes and do not overlap.
        unsafe { copy_forward(dst, src, n) };
        dst
    }

    #[unsafe(no_mangle)]
    unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
        if (dst as usize) <= (src as usize) {
            // SAFETY: both ranges are valid for `n` bytes; copying forward is
            // correct when the destination starts at or before the source.
            unsafe { copy_forward(dst, src, n) };
        } else {
            for i in (0..n).rev() {
                // SAFETY: `i < n`, within both valid ranges; copying backward
                // is correct when the destination starts after the source.
                unsafe { dst.add(i).write_volatile(src.add(i).read_volatile()) };
            }
        }
        dst
    }

    #[unsafe(no_mangle)]
    unsafe extern "C" fn memset(dst: *mut u8, value: i32, n: usize) -> *mut u8 {
        for i in 0..n {
            // SAFETY: the caller guarantees `dst` is valid for `n` bytes.
            unsafe { dst.add(i).write_volatile(value as u8) };
        }
        dst
    }

    #[unsafe(no_mangle)]
    unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
        for i in 0..n {
            // SAFETY: the caller guarantees both ranges are valid for `n` bytes.
            let (x, y) = unsafe { (a.add(i).read_volatile(), b.add(i).read_volatile()) };
            if x != y {
                return i32::from(x) - i32::from(y);
            }
        }
        0
    }

    #[unsafe(no_mangle)]
    unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
        // SAFETY: same contract as memcmp.
        unsafe { memcmp(a, b, n) }
    }

    /// Volatile accesses keep LLVM from turning these loops back into
    /// calls to the very functions they implement.
    unsafe fn copy_forward(dst: *mut u8, src: *const u8, n: usize) {
        for i in 0..n {
            // SAFETY: the caller guarantees both ranges are valid for `n` bytes.
            unsafe { dst.add(i).write_volatile(src.add(i).read_volatile()) };
        }
    }
}
