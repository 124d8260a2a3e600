//! Fuzz body for `core::feed`: arbitrary bytes from a "bitcoind" (after a
//! valid libzmq greeting and READY, so the fuzzer reaches the message
//! layer) are handed to the subscriber in reads of fuzzer-chosen size,
//! through a host buffer of exactly `buffer_len()` bytes. Checked: no
//! panic, every call makes bounded progress, bodies respect the maximum,
//! and an event without progress is never repeated.

use hotline_core::feed::bitcoind::{Event, Subscriber, Topic};

/// libzmq 4.3.4's PUB greeting and READY, as captured on loopback (docs/protocols/bitcoind-zmq.md §What libzmq sends).
const PUB_HELLO: &[u8] = b"\xff\0\0\0\0\0\0\0\x01\x7f\x03\x01NULL\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x04\x19\x05READY\x0bSocket-Type\x00\x00\x00\x03PUB";
const MAX_BODY: usize = 600;

/// Feeds `data` to a subscriber. The first byte picks the read size and
/// whether the canned handshake is prepended.
pub fn zmtp(data: &[u8]) {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(control & 0x7f) + 1;
    let stream: Vec<u8> =
        if control & 0x80 == 0 { PUB_HELLO.iter().chain(rest).copied().collect() } else { rest.to_vec() };
    let mut sub = Subscriber::new(&[Topic::RawTx, Topic::Sequence], MAX_BODY);
    let mut out = [0u8; Subscriber::MIN_TRANSMIT_LEN];
    let mut buf = vec![0u8; sub.buffer_len()];
    let mut filled = 0;
    for read in stream.chunks(chunk) {
        let mut read = read;
        while !read.is_empty() {
            let room = buf.len() - filled;
            let take = room.min(read.len());
            assert!(take > 0, "the buffer filled up without progress");
            buf[filled..filled + take].copy_from_slice(&read[..take]);
            filled += take;
            read = &read[take..];
            let mut stalled = false;
            loop {
                while let Ok(Some(n)) = sub.poll_transmit(&mut out) {
                    assert!(n <= out.len());
                }
                let Ok((used, event)) = sub.handle_input(&buf[..filled]) else {
                    return;
                };
                assert!(used <= filled);
                if let Some(Event::Notification(n)) = event {
                    assert!(n.body.len() <= MAX_BODY);
                }
                match (used, event.is_some()) {
                    (0, false) => break,
                    (0, true) => {
                        assert!(!stalled, "two events without progress");
                        stalled = true;
                    }
                    _ => stalled = false,
                }
                buf.copy_within(used..filled, 0);
                filled -= used;
            }
        }
    }
}
