//! `core::ws` against tungstenite, an implementation this project did not
//! write: a real handshake and echo over loopback TCP, and property tests
//! that frames each side encodes decode identically on the other.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use hotline_core::ws::{Client, Decoder, Event, MAX_HEADER_LEN, Message, Opcode, Request, State, encode_frame};
use hotline_tests::Memory;
use proptest::prelude::*;
use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::frame::coding::{Data, OpCode};
use tungstenite::protocol::{Role, WebSocket};

const SIZES: [usize; 5] = [0, 125, 126, 65535, 65536];
const MAX_MESSAGE: usize = 128 * 1024;

/// A tungstenite server on loopback that echoes every data message and
/// finally answers one text message `"fragmented"` with that word sent in
/// three fragments, with a ping between the second and third.
fn echo_server() -> (String, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut ws = tungstenite::accept(stream).unwrap();
        loop {
            match ws.read() {
                Ok(tungstenite::Message::Text(text)) if text.as_str() == "fragmented" => {
                    let frames = [
                        Frame::message("frag", OpCode::Data(Data::Text), false),
                        Frame::message("men", OpCode::Data(Data::Continue), false),
                        Frame::ping("between"),
                        Frame::message("ted ✓", OpCode::Data(Data::Continue), true),
                    ];
                    for frame in frames {
                        ws.send(tungstenite::Message::Frame(frame)).unwrap();
                    }
                }
                Ok(message @ (tungstenite::Message::Text(_) | tungstenite::Message::Binary(_))) => {
                    ws.send(message).unwrap()
                }
                Ok(_) => {}
                Err(tungstenite::Error::ConnectionClosed) => return,
                Err(e) => panic!("server: {e}"),
            }
        }
    });
    (addr, handle)
}

/// Our client over a blocking TCP stream.
struct Conn<'b> {
    stream: TcpStream,
    client: Client<'b>,
    input: Vec<u8>,
    filled: usize,
    send: Vec<u8>,
}

impl<'b> Conn<'b> {
    fn open(addr: &str, message_buffer: &'b mut [u8]) -> Self {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut send = vec![0u8; MAX_MESSAGE + MAX_HEADER_LEN];
        let request = Request { host: addr, path: "/ws?x=1", key: *b"0123456789abcdef", headers: &[] };
        let (client, len) = Client::connect(&request, &mut send, message_buffer).unwrap();
        let mut conn = Self { stream, client, input: vec![0; 256 * 1024], filled: 0, send };
        conn.stream.write_all(&conn.send[..len]).unwrap();
        assert_eq!(conn.next(), Owned::Upgraded);
        conn
    }

    fn send(&mut self, opcode: Opcode, payload: &[u8]) {
        self.send[MAX_HEADER_LEN..MAX_HEADER_LEN + payload.len()].copy_from_slice(payload);
        let start =
            self.client.encode(&mut self.send, MAX_HEADER_LEN, payload.len(), opcode, true, [7, 1, 9, 3]).unwrap();
        self.stream.write_all(&self.send[start..MAX_HEADER_LEN + payload.len()]).unwrap();
    }

    /// The next event, reading from the socket as needed; control frames the
    /// client owes are sent on the way.
    fn next(&mut self) -> Owned {
        loop {
            if self.filled > 0 {
                let (used, event) = self.client.handle_input(&self.input[..self.filled]).unwrap();
                let owned = event.map(Owned::from);
                self.input.copy_within(used..self.filled, 0);
                self.filled -= used;
                let mut out = [0u8; 256];
                while let Some(frame) = self.client.poll_transmit(&mut out, [5, 6, 7, 8]) {
                    self.stream.write_all(&out[..frame.unwrap()]).unwrap();
                }
                if let Some(owned) = owned {
                    return owned;
                }
                if used > 0 {
                    continue;
                }
            }
            let n = self.stream.read(&mut self.input[self.filled..]).unwrap();
            assert!(n > 0, "server closed the stream");
            self.filled += n;
        }
    }
}

/// An event copied out of the client's buffers.
#[derive(Debug, PartialEq)]
enum Owned {
    Upgraded,
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<(u16, String)>),
}

impl From<Event<'_>> for Owned {
    fn from(event: Event<'_>) -> Self {
        match event {
            Event::Upgraded => Owned::Upgraded,
            Event::Message(message) => message.into(),
        }
    }
}

impl From<Message<'_>> for Owned {
    fn from(message: Message<'_>) -> Self {
        match message {
            Message::Text(t) => Owned::Text(t.to_owned()),
            Message::Binary(b) => Owned::Binary(b.to_vec()),
            Message::Ping(p) => Owned::Ping(p.to_vec()),
            Message::Pong(p) => Owned::Pong(p.to_vec()),
            Message::Close(c) => Owned::Close(c.map(|c| (c.code, c.reason.to_owned()))),
        }
    }
}

#[test]
fn handshake_and_echo_against_a_tungstenite_server() {
    let (addr, server) = echo_server();
    let mut message_buffer = vec![0u8; MAX_MESSAGE];
    let mut conn = Conn::open(&addr, &mut message_buffer);
    for size in SIZES {
        let text: String = "abcdefghij".chars().cycle().take(size).collect();
        conn.send(Opcode::Text, text.as_bytes());
        assert_eq!(conn.next(), Owned::Text(text), "text of {size} bytes");
        let binary: Vec<u8> = (0..size).map(|i| (i * 7 + 3) as u8).collect();
        conn.send(Opcode::Binary, &binary);
        assert_eq!(conn.next(), Owned::Binary(binary), "binary of {size} bytes");
    }
    conn.send(Opcode::Text, b"fragmented");
    assert_eq!(conn.next(), Owned::Ping(b"between".to_vec()));
    assert_eq!(conn.next(), Owned::Text("fragmented ✓".to_owned()));
    conn.client.close(1000, "done");
    let mut out = [0u8; 256];
    let len = conn.client.poll_transmit(&mut out, [1, 2, 3, 4]).unwrap().unwrap();
    conn.stream.write_all(&out[..len]).unwrap();
    assert_eq!(conn.next(), Owned::Close(Some((1000, "done".to_owned()))));
    assert_eq!(conn.client.state(), State::Closed);
    server.join().unwrap();
}

/// What a generated message is.
#[derive(Debug, Clone)]
enum Generated {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
}

fn generated() -> impl Strategy<Value = Generated> {
    prop_oneof![
        ".{0,300}".prop_map(Generated::Text),
        proptest::collection::vec(any::<u8>(), 0..70_000).prop_map(Generated::Binary),
        proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Generated::Ping),
    ]
}

impl Generated {
    fn expected(&self) -> Owned {
        match self {
            Generated::Text(t) => Owned::Text(t.clone()),
            Generated::Binary(b) => Owned::Binary(b.clone()),
            Generated::Ping(p) => Owned::Ping(p.clone()),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Server frames written by tungstenite, fed to our decoder split at
    /// random points, come out as the same messages.
    #[test]
    fn tungstenite_server_frames_decode_in_ours(
        messages in proptest::collection::vec(generated(), 1..6),
        fragment in 1usize..200,
        step in 1usize..5000,
    ) {
        let mut server = WebSocket::from_raw_socket(
            Memory::default(),
            Role::Server,
            None,
        );
        for message in &messages {
            match message {
                Generated::Text(t) if t.len() > fragment => {
                    // Fragment long texts at a byte offset: a fragment may end
                    // inside a UTF-8 sequence, which must still decode.
                    let (a, b) = t.as_bytes().split_at(fragment);
                    server.send(tungstenite::Message::Frame(Frame::message(a.to_vec(), OpCode::Data(Data::Text), false))).unwrap();
                    server.send(tungstenite::Message::Frame(Frame::ping(vec![1, 2]))).unwrap();
                    server.send(tungstenite::Message::Frame(Frame::message(b.to_vec(), OpCode::Data(Data::Continue), true))).unwrap();
                }
                Generated::Text(t) => server.send(tungstenite::Message::text(t.clone())).unwrap(),
                Generated::Binary(b) => server.send(tungstenite::Message::binary(b.clone())).unwrap(),
                Generated::Ping(p) => server.send(tungstenite::Message::Ping(p.clone().into())).unwrap(),
            }
        }
        let wire = std::mem::take(&mut server.get_mut().output);
        let mut buffer = vec![0u8; MAX_MESSAGE];
        let mut decoder = Decoder::new(&mut buffer);
        let mut got = Vec::new();
        for mut chunk in wire.chunks(step) {
            while !chunk.is_empty() {
                let (used, message) = decoder.handle_input(chunk).unwrap();
                if let Some(message) = message {
                    got.push(Owned::from(message));
                }
                chunk = &chunk[used..];
            }
        }
        got.retain(|m| *m != Owned::Ping(vec![1, 2]));
        let expected: Vec<Owned> = messages.iter().map(Generated::expected).collect();
        prop_assert_eq!(got, expected);
    }

    /// Client frames encoded and masked by us are read by a tungstenite
    /// server as the same messages.
    #[test]
    fn our_client_frames_decode_in_tungstenite(
        messages in proptest::collection::vec(generated(), 1..6),
        mask in any::<[u8; 4]>(),
    ) {
        let mut wire = Vec::new();
        let mut buf = vec![0u8; MAX_MESSAGE + MAX_HEADER_LEN];
        for message in &messages {
            let (opcode, payload) = match message {
                Generated::Text(t) => (Opcode::Text, t.as_bytes()),
                Generated::Binary(b) => (Opcode::Binary, b.as_slice()),
                Generated::Ping(p) => (Opcode::Ping, p.as_slice()),
            };
            buf[MAX_HEADER_LEN..MAX_HEADER_LEN + payload.len()].copy_from_slice(payload);
            let start = encode_frame(&mut buf, MAX_HEADER_LEN, payload.len(), opcode, true, mask).unwrap();
            wire.extend_from_slice(&buf[start..MAX_HEADER_LEN + payload.len()]);
        }
        let mut server = WebSocket::from_raw_socket(
            Memory::reading(wire),
            Role::Server,
            None,
        );
        for message in &messages {
            let got = match server.read().unwrap() {
                tungstenite::Message::Text(t) => Owned::Text(t.as_str().to_owned()),
                tungstenite::Message::Binary(b) => Owned::Binary(b.to_vec()),
                tungstenite::Message::Ping(p) => Owned::Ping(p.to_vec()),
                other => panic!("unexpected {other:?}"),
            };
            prop_assert_eq!(got, message.expected());
        }
    }
}
