//! Harnesses for `core::ws`: the handshake response verifier and the frame
//! decoder.

use hotline_core::Status;
use hotline_core::ws::handshake::{Request, write_request};
use hotline_core::ws::{Decoder, Message, ProtocolError};

/// The key whose accept value (`s3pPLMBiTxaQ9kYGzzhZRbK+xOo=`, RFC 6455
/// §1.3) the seed corpus carries, so the fuzzer starts from valid responses.
const KEY: [u8; 16] = *b"the sample nonce";

/// Feeds a server response to the verifier in two pieces split where the
/// first byte says. An upgrade must never claim more bytes than it was given.
pub fn ws_handshake(data: &[u8]) {
    let Some((&split, response)) = data.split_first() else { return };
    let mut out = [0u8; 256];
    let request = Request { host: "h", path: "/", key: KEY, headers: &[] };
    let (_, mut verifier) = write_request(&request, &mut out).expect("the request fits");
    let (a, b) = response.split_at(usize::from(split).min(response.len()));
    for piece in [a, b] {
        match verifier.handle_input(piece) {
            Ok(Status::Partial) => {}
            Ok(Status::Complete(consumed)) => {
                assert!(consumed <= piece.len());
                return;
            }
            Err(_) => return,
        }
    }
}

/// What the decoder produced, copied out of its buffers.
#[derive(Debug, PartialEq)]
enum Decoded {
    Text(Vec<u8>),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<(u16, Vec<u8>)>),
    Failed(ProtocolError),
}

/// Decodes `input` delivered in chunks of `step` bytes.
fn decode(input: &[u8], step: usize) -> Vec<Decoded> {
    let mut buffer = [0u8; 1024];
    let mut decoder = Decoder::new(&mut buffer);
    let mut out = Vec::new();
    for chunk in input.chunks(step) {
        let mut chunk = chunk;
        while !chunk.is_empty() {
            match decoder.handle_input(chunk) {
                Ok((used, message)) => {
                    assert!(used <= chunk.len());
                    assert!(used > 0 || message.is_some(), "the decoder made no progress");
                    if let Some(message) = message {
                        out.push(match message {
                            Message::Text(t) => Decoded::Text(t.as_bytes().to_vec()),
                            Message::Binary(b) => Decoded::Binary(b.to_vec()),
                            Message::Ping(p) => Decoded::Ping(p.to_vec()),
                            Message::Pong(p) => Decoded::Pong(p.to_vec()),
                            Message::Close(c) => Decoded::Close(c.map(|c| (c.code, c.reason.as_bytes().to_vec()))),
                        });
                    }
                    chunk = &chunk[used..];
                }
                Err(e) => {
                    out.push(Decoded::Failed(e));
                    return out;
                }
            }
        }
    }
    out
}

/// Decodes server frames whole and split into chunks of the size the first
/// byte says: both deliveries must yield the same messages and the same
/// error, and the decoder must always make progress.
pub fn ws_frames(data: &[u8]) {
    let Some((&step, frames)) = data.split_first() else { return };
    let whole = decode(frames, frames.len().max(1));
    let split = decode(frames, usize::from(step).max(1));
    assert_eq!(whole, split);
}
