//! WebSocket framing: hotline's in-place encoder and zero-copy decoder
//! against tungstenite 0.30 on the same inputs, in the same group.
//!
//! encode: a masked client text frame whose payload already sits in the send
//! buffer (hotline) versus tungstenite's client `write` + `flush` of the same
//! message into a discarding stream.
//! decode: one unmasked server text frame to a UTF-8-checked `&str`
//! (hotline) versus tungstenite's header parse + `from_utf8`, and its full
//! buffered `WebSocket::read` (warm: its read buffer is already allocated).

use std::hint::black_box;
use std::io::Cursor;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hotline_core::ws::{Decoder, FrameHeader, MAX_HEADER_LEN, Message, Opcode, encode_frame};
use hotline_tests::Memory;
use tungstenite::protocol::frame::FrameHeader as TungsteniteHeader;
use tungstenite::protocol::{Role, WebSocket};

const SIZES: [usize; 3] = [64, 400, 4096];
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// ASCII JSON-like text of exactly `len` bytes, like an order or an ack.
fn payload(len: usize) -> String {
    r#"{"id":"4885f793","method":"order.place","params":{"symbol":"BTCUSDT","price":"52000.00"}}"#
        .chars()
        .cycle()
        .take(len)
        .collect()
}

/// An unmasked server frame carrying `text`.
fn server_frame(text: &str) -> Vec<u8> {
    let header = FrameHeader { fin: true, rsv: 0, opcode: Opcode::Text, mask: None, payload_len: text.len() as u64 };
    let mut wire = vec![0u8; header.encoded_len()];
    header.emit(&mut wire).expect("sized for the header");
    wire.extend_from_slice(text.as_bytes());
    wire
}

fn ws(c: &mut Criterion) {
    let mut group = c.benchmark_group("ws");
    for size in SIZES {
        let text = payload(size);
        group.throughput(Throughput::Bytes(size as u64));

        let mut buf = vec![0u8; MAX_HEADER_LEN + size];
        buf[MAX_HEADER_LEN..].copy_from_slice(text.as_bytes());
        group.bench_function(format!("encode/hotline/{size}"), |b| {
            b.iter(|| encode_frame(black_box(&mut buf), MAX_HEADER_LEN, size, Opcode::Text, true, black_box(MASK)))
        });

        let mut client = WebSocket::from_raw_socket(Memory::default(), Role::Client, None);
        let message = tungstenite::Message::text(text.clone());
        group.bench_function(format!("encode/tungstenite/{size}"), |b| {
            b.iter(|| {
                client.get_mut().output.clear();
                client.write(black_box(message.clone())).expect("in-memory write");
                client.flush().expect("in-memory flush");
            })
        });

        let wire = server_frame(&text);
        let mut message_buffer = vec![0u8; 64 * 1024];
        let mut decoder = Decoder::new(&mut message_buffer);
        group.bench_function(format!("decode/hotline/{size}"), |b| {
            b.iter(|| match decoder.handle_input(black_box(&wire)) {
                Ok((_, Some(Message::Text(t)))) => t.len(),
                other => panic!("unexpected {other:?}"),
            })
        });

        group.bench_function(format!("decode/tungstenite-frame/{size}"), |b| {
            b.iter(|| {
                let mut cursor = Cursor::new(black_box(wire.as_slice()));
                let (_, len) = TungsteniteHeader::parse(&mut cursor).expect("valid").expect("complete");
                let start = cursor.position() as usize;
                std::str::from_utf8(&wire[start..start + len as usize]).expect("utf-8").len()
            })
        });

        let mut reader = WebSocket::from_raw_socket(Memory::reading(wire.clone()), Role::Client, None);
        group.bench_function(format!("decode/tungstenite-read/{size}"), |b| {
            b.iter(|| {
                reader.get_mut().input.set_position(0);
                match reader.read() {
                    Ok(tungstenite::Message::Text(t)) => t.len(),
                    other => panic!("unexpected {other:?}"),
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, ws);
criterion_main!(benches);
