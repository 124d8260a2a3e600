//! RFC 6455 §4.1–4.2 opening handshake, client side: renders the HTTP/1.1
//! upgrade request into a caller buffer and verifies the server's `101
//! Switching Protocols` response from bytes that may arrive in any split.
//! The response head is parsed with `httparse`; the bytes after it belong
//! to the framing layer (a server may send its first frame in the same
//! segment).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha1::{Digest as _, Sha1};

use crate::Status;

/// The GUID appended to the key before hashing (RFC 6455 §1.3).
const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Length of a base64-encoded 16-byte key, and of the base64 SHA-1 accept.
const KEY_B64_LEN: usize = 24;
const ACCEPT_LEN: usize = 28;

/// The largest response head accepted; real servers send a few hundred
/// bytes, so anything near this is hostile or broken.
pub const MAX_RESPONSE_HEAD: usize = 4096;

/// Most response headers inspected; more is an error, not a truncation.
const MAX_HEADERS: usize = 32;

/// The upgrade request to send.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `Host` header value: the host name, with `:port` if not the default.
    pub host: &'a str,
    /// Request target: path and query, starting with `/`.
    pub path: &'a str,
    /// 16 bytes from a CSPRNG, sent base64-encoded as `Sec-WebSocket-Key`.
    pub key: [u8; 16],
    /// Extra header lines (name, value), e.g. `User-Agent`.
    pub headers: &'a [(&'a str, &'a str)],
}

/// Why the handshake failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandshakeError {
    /// The output buffer cannot hold the request.
    BufferTooSmall,
    /// A request field holds a character that would break the request line
    /// or inject a header; names the field.
    InvalidRequestField(&'static str),
    /// The response head exceeds [`MAX_RESPONSE_HEAD`] bytes.
    ResponseTooLarge,
    /// The response is not well-formed HTTP/1.1 (httparse's verdict).
    MalformedResponse(httparse::Error),
    /// The server answered with another status than 101.
    Status(u16),
    /// `Upgrade: websocket` is missing.
    MissingUpgrade,
    /// `Connection: Upgrade` is missing.
    MissingConnection,
    /// `Sec-WebSocket-Accept` is missing or does not match the key.
    BadAccept,
    /// The server chose an extension the client did not offer.
    UnofferedExtension,
    /// The server chose a subprotocol the client did not offer.
    UnofferedSubprotocol,
}

/// Writes `request` into `out`, returning the number of bytes written, and
/// the verifier that checks the matching response.
pub fn write_request(request: &Request<'_>, out: &mut [u8]) -> Result<(usize, ResponseVerifier), HandshakeError> {
    check_field("host", request.host, false)?;
    check_field("path", request.path, false)?;
    if !request.path.starts_with('/') {
        return Err(HandshakeError::InvalidRequestField("path"));
    }
    for (name, value) in request.headers {
        check_field("header name", name, false)?;
        check_field("header value", value, true)?;
        if name.is_empty() || name.contains(':') {
            return Err(HandshakeError::InvalidRequestField("header name"));
        }
    }
    let mut key = [0u8; KEY_B64_LEN];
    encode_b64(&request.key, &mut key);
    let key = core::str::from_utf8(&key).map_err(|_| HandshakeError::InvalidRequestField("key"))?;

    let mut w = Writer { out, len: 0 };
    w.put(&["GET ", request.path, " HTTP/1.1\r\nHost: ", request.host, "\r\n"])?;
    w.put(&["Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ", key, "\r\n"])?;
    w.put(&["Sec-WebSocket-Version: 13\r\n"])?;
    for (name, value) in request.headers {
        w.put(&[name, ": ", value, "\r\n"])?;
    }
    w.put(&["\r\n"])?;
    Ok((w.len, ResponseVerifier::new(key.as_bytes())))
}

/// Header names and values are visible ASCII; values may contain spaces.
fn check_field(name: &'static str, value: &str, spaces: bool) -> Result<(), HandshakeError> {
    let ok = value.bytes().all(|b| b.is_ascii_graphic() || (spaces && b == b' '));
    if ok { Ok(()) } else { Err(HandshakeError::InvalidRequestField(name)) }
}

fn encode_b64<const N: usize>(input: &[u8], out: &mut [u8; N]) {
    // Both call sites size `out` exactly for their input.
    let written = STANDARD.encode_slice(input, out);
    debug_assert_eq!(written, Ok(N));
}

struct Writer<'o> {
    out: &'o mut [u8],
    len: usize,
}

impl Writer<'_> {
    fn put(&mut self, parts: &[&str]) -> Result<(), HandshakeError> {
        for part in parts {
            let end = self.len + part.len();
            let dst = self.out.get_mut(self.len..end).ok_or(HandshakeError::BufferTooSmall)?;
            dst.copy_from_slice(part.as_bytes());
            self.len = end;
        }
        Ok(())
    }
}

/// Verifies the server's response to one request, fed incrementally.
#[derive(Debug, Clone)]
pub struct ResponseVerifier {
    accept: [u8; ACCEPT_LEN],
    head: [u8; MAX_RESPONSE_HEAD],
    len: usize,
}

impl ResponseVerifier {
    fn new(key_b64: &[u8]) -> Self {
        let mut sha = Sha1::new();
        sha.update(key_b64);
        sha.update(GUID);
        let mut accept = [0u8; ACCEPT_LEN];
        encode_b64(&sha.finalize(), &mut accept);
        Self { accept, head: [0; MAX_RESPONSE_HEAD], len: 0 }
    }

    /// Consumes response bytes: `Partial` when all input was taken and the
    /// head is not complete yet; `Complete(consumed)` once the response is
    /// verified, where the first `consumed` bytes of this input ended the
    /// head and the rest are WebSocket frames.
    pub fn handle_input(&mut self, input: &[u8]) -> Result<Status<usize>, HandshakeError> {
        let before = self.len;
        let take = input.len().min(MAX_RESPONSE_HEAD - before);
        self.head[before..before + take].copy_from_slice(&input[..take]);
        self.len += take;
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(&self.head[..self.len]) {
            Ok(httparse::Status::Complete(head_len)) => {
                self.check(&response)?;
                Ok(Status::Complete(head_len - before))
            }
            Ok(httparse::Status::Partial) if self.len == MAX_RESPONSE_HEAD => Err(HandshakeError::ResponseTooLarge),
            Ok(httparse::Status::Partial) => Ok(Status::Partial),
            Err(e) => Err(HandshakeError::MalformedResponse(e)),
        }
    }

    fn check(&self, response: &httparse::Response<'_, '_>) -> Result<(), HandshakeError> {
        match response.code {
            Some(101) => {}
            code => return Err(HandshakeError::Status(code.unwrap_or(0))),
        }
        let mut upgrade = false;
        let mut connection = false;
        let mut accept = false;
        for header in response.headers.iter() {
            let name = header.name;
            if name.eq_ignore_ascii_case("upgrade") {
                upgrade |= has_token(header.value, b"websocket");
            } else if name.eq_ignore_ascii_case("connection") {
                connection |= has_token(header.value, b"upgrade");
            } else if name.eq_ignore_ascii_case("sec-websocket-accept") {
                accept = header.value.trim_ascii() == self.accept;
            } else if name.eq_ignore_ascii_case("sec-websocket-extensions") {
                return Err(HandshakeError::UnofferedExtension);
            } else if name.eq_ignore_ascii_case("sec-websocket-protocol") {
                return Err(HandshakeError::UnofferedSubprotocol);
            }
        }
        if !upgrade {
            Err(HandshakeError::MissingUpgrade)
        } else if !connection {
            Err(HandshakeError::MissingConnection)
        } else if !accept {
            Err(HandshakeError::BadAccept)
        } else {
            Ok(())
        }
    }
}

/// Whether a comma-separated header value lists `token`, ignoring ASCII case.
fn has_token(value: &[u8], token: &[u8]) -> bool {
    value.split(|&b| b == b',').any(|item| item.trim_ascii().eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6455 §1.3: key `dGhlIHNhbXBsZSBub25jZQ==` ("the sample nonce").
    const SAMPLE_KEY: [u8; 16] = *b"the sample nonce";

    fn request() -> Request<'static> {
        Request {
            host: "server.example.com",
            path: "/chat?x=1",
            key: SAMPLE_KEY,
            headers: &[("Origin", "http://example.com")],
        }
    }

    fn upgraded(response: &[u8]) -> Result<Status<usize>, HandshakeError> {
        let mut out = [0u8; 512];
        let (_, mut verifier) = write_request(&request(), &mut out).unwrap();
        verifier.handle_input(response)
    }

    #[test]
    fn request_matches_the_rfc_example() {
        let mut out = [0u8; 512];
        let (n, verifier) = write_request(&request(), &mut out).unwrap();
        let text = core::str::from_utf8(&out[..n]).unwrap();
        assert_eq!(
            text,
            "GET /chat?x=1 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: http://example.com\r\n\r\n"
        );
        assert_eq!(&verifier.accept, b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(write_request(&request(), &mut out[..n - 1]).map(|r| r.0), Err(HandshakeError::BufferTooSmall));
    }

    #[test]
    fn request_fields_cannot_inject_lines() {
        let mut out = [0u8; 512];
        let bad_host = Request { host: "a\r\nX: y", ..request() };
        assert_eq!(write_request(&bad_host, &mut out).map(|r| r.0), Err(HandshakeError::InvalidRequestField("host")));
        let bad_path = Request { path: "chat", ..request() };
        assert_eq!(write_request(&bad_path, &mut out).map(|r| r.0), Err(HandshakeError::InvalidRequestField("path")));
        let bad_header = Request { headers: &[("X", "1\n2")], ..request() };
        assert_eq!(
            write_request(&bad_header, &mut out).map(|r| r.0),
            Err(HandshakeError::InvalidRequestField("header value"))
        );
    }

    const GOOD: &[u8] =
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n\
        Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x02hi";

    #[test]
    fn response_is_verified_from_any_split_and_leaves_the_first_frame() {
        let head_len = GOOD.len() - 4;
        for cut in 0..GOOD.len() {
            let mut out = [0u8; 512];
            let (_, mut verifier) = write_request(&request(), &mut out).unwrap();
            let first = verifier.handle_input(&GOOD[..cut]).unwrap();
            let progress = if cut >= head_len { first } else { verifier.handle_input(&GOOD[cut..]).unwrap() };
            let consumed = if cut >= head_len { head_len } else { head_len - cut };
            assert_eq!(progress, Status::Complete(consumed), "cut at {cut}");
        }
    }

    #[test]
    fn response_faults_are_named() {
        let cases: [(&[u8], HandshakeError); 7] = [
            (b"HTTP/1.1 403 Forbidden\r\n\r\n", HandshakeError::Status(403)),
            (b"HTTP/1.1 101 OK\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", HandshakeError::MissingUpgrade),
            (b"HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", HandshakeError::MissingConnection),
            (b"HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Accept: AAAA\r\n\r\n", HandshakeError::BadAccept),
            (b"HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n", HandshakeError::BadAccept),
            (b"HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n", HandshakeError::UnofferedExtension),
            (b"HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Protocol: chat\r\n\r\n", HandshakeError::UnofferedSubprotocol),
        ];
        for (response, error) in cases {
            assert_eq!(upgraded(response), Err(error), "{}", core::str::from_utf8(response).unwrap());
        }
        assert!(matches!(upgraded(b"HTTP/1.1 1x1 OK\r\n\r\n"), Err(HandshakeError::MalformedResponse(_))));
    }

    #[test]
    fn an_endless_head_is_refused_not_buffered() {
        let mut out = [0u8; 512];
        let (_, mut verifier) = write_request(&request(), &mut out).unwrap();
        assert_eq!(verifier.handle_input(b"HTTP/1.1 101 Switching Protocols\r\n"), Ok(Status::Partial));
        let mut line = [b'a'; 1000];
        line[..7].copy_from_slice(b"X-Pad: ");
        line[998..].copy_from_slice(b"\r\n");
        for _ in 0..4 {
            assert_eq!(verifier.handle_input(&line), Ok(Status::Partial));
        }
        assert_eq!(verifier.handle_input(&line), Err(HandshakeError::ResponseTooLarge));
    }
}
