//! `autobahn-client [URL]`: runs every case of an Autobahn TestSuite fuzzing
//! server against `hotline_core::ws`, echoing each message it receives, then
//! asks the server to write its reports. Plain blocking TCP: the protocol is
//! all in the core; this tool only moves bytes.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use hotline_core::ws::{Client, Event, MAX_HEADER_LEN, Message, Opcode, Request, State};

const AGENT: &str = "hotline";
/// Autobahn's cases 1–7 send messages up to 64 KiB; 9.* goes to 16 MiB.
const MAX_MESSAGE: usize = 16 << 20;

fn main() -> ExitCode {
    let url = std::env::args().nth(1).unwrap_or_else(|| "ws://127.0.0.1:9001".to_owned());
    match run(&url) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("autobahn-client: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(url: &str) -> Result<(), String> {
    let authority = url.strip_prefix("ws://").ok_or_else(|| format!("{url}: only ws:// URLs are supported"))?;
    let authority = authority.trim_end_matches('/');
    let count_reply = session(authority, "/getCaseCount", false)?;
    let count: u32 =
        count_reply.trim().parse().map_err(|e| format!("case count {count_reply:?} from {authority}: {e}"))?;
    eprintln!("autobahn-client: {count} cases at {authority}");
    for case in 1..=count {
        let path = format!("/runCase?case={case}&agent={AGENT}");
        if let Err(e) = session(authority, &path, true) {
            eprintln!("case {case}: {e}");
        }
        if case % 25 == 0 || case == count {
            eprintln!("autobahn-client: ran {case}/{count}");
        }
    }
    session(authority, &format!("/updateReports?agent={AGENT}"), false)?;
    Ok(())
}

/// Opens one connection to `path`, echoes data messages if `echo`, and
/// returns the last text message received once the server closes.
fn session(authority: &str, path: &str, echo: bool) -> Result<String, String> {
    let mut stream = TcpStream::connect(authority).map_err(|e| format!("connect {authority}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(60))).map_err(|e| e.to_string())?;
    let request = Request { host: authority, path, key: random(), headers: &[("User-Agent", AGENT)] };
    let mut message_buffer = vec![0u8; MAX_MESSAGE];
    let mut send = vec![0u8; MAX_MESSAGE + MAX_HEADER_LEN];
    let (mut client, len) =
        Client::connect(&request, &mut send, &mut message_buffer).map_err(|e| format!("request: {e:?}"))?;
    stream.write_all(&send[..len]).map_err(|e| e.to_string())?;

    let mut last_text = String::new();
    let mut input = vec![0u8; 64 * 1024];
    loop {
        let n = match stream.read(&mut input) {
            Ok(0) => return Ok(last_text),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(last_text),
            Err(e) => return Err(format!("read: {e}")),
        };
        let mut rest = &input[..n];
        while !rest.is_empty() {
            let Ok((used, event)) = client.handle_input(rest) else {
                // The connection failed: the client queued the close frame
                // with the matching code and drops further input; wait for
                // the server to close the stream.
                flush(&mut client, &mut stream)?;
                break;
            };
            rest = &rest[used..];
            let echoed = match event {
                Some(Event::Message(Message::Text(text))) => {
                    last_text.clear();
                    last_text.push_str(text);
                    echo.then(|| stage(&mut send, Opcode::Text, text.as_bytes()))
                }
                Some(Event::Message(Message::Binary(data))) => echo.then(|| stage(&mut send, Opcode::Binary, data)),
                _ => None,
            };
            if let Some((opcode, len)) = echoed {
                let start = client
                    .encode(&mut send, MAX_HEADER_LEN, len, opcode, true, random())
                    .map_err(|e| format!("encode: {e:?}"))?;
                stream.write_all(&send[start..MAX_HEADER_LEN + len]).map_err(|e| e.to_string())?;
            }
            flush(&mut client, &mut stream)?;
        }
        if client.state() == State::Closed {
            // The server closes the TCP stream after the close handshake.
            let _ = stream.shutdown(std::net::Shutdown::Write);
        }
    }
}

/// Copies an echo payload into the send buffer behind the header room.
fn stage(send: &mut [u8], opcode: Opcode, payload: &[u8]) -> (Opcode, usize) {
    send[MAX_HEADER_LEN..MAX_HEADER_LEN + payload.len()].copy_from_slice(payload);
    (opcode, payload.len())
}

/// Sends every control frame the client owes.
fn flush(client: &mut Client<'_>, stream: &mut TcpStream) -> Result<(), String> {
    let mut out = [0u8; 256];
    while let Some(frame) = client.poll_transmit(&mut out, random()) {
        let len = frame.map_err(|e| format!("control frame: {e:?}"))?;
        stream.write_all(&out[..len]).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Bytes from the operating system's CSPRNG (RFC 6455 §5.3, §4.1).
fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    bytes
}
