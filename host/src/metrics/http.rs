//! The bytes of an HTTP/1.1 request head, in any split and from anyone,
//! turn into its method and path, or into the error that says what the
//! client did wrong (RFC 9112 §2.2 message parsing, §3 request line, §5
//! field lines: <https://www.rfc-editor.org/rfc/rfc9112>). It reads only
//! the head, never a body, holds at most [`MAX_HEAD`] bytes, allocates
//! nothing and never panics; `Partial` means "read more".

use hotline_core::Status;

/// The most a request head may take, request line included.
pub const MAX_HEAD: usize = 4096;
/// The most the request line may take (RFC 9112 §3: a server MUST answer
/// a request-target longer than it parses with 414).
pub const MAX_REQUEST_LINE: usize = 1024;

/// A request head's meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// The method, a token (RFC 9110 §9.1).
    pub method: &'a str,
    /// The request-target's path, without its query.
    pub path: &'a str,
}

/// What is wrong with a request head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The request line is longer than [`MAX_REQUEST_LINE`].
    LineTooLong,
    /// The head is longer than [`MAX_HEAD`].
    HeadTooLarge,
    /// The request line is not `method SP request-target SP HTTP-version`.
    RequestLine,
    /// The method is not a token.
    Method,
    /// The request-target is not in origin form (`/path?query`) or has a
    /// byte outside visible ASCII.
    Target,
    /// The version is not `HTTP/d.d`.
    Version,
    /// The version is well-formed but not 1.0 or 1.1.
    UnsupportedVersion,
    /// A field line is not `name ":" value`, or is folded (obs-fold).
    Field,
}

impl Error {
    /// The response status this error earns.
    pub const fn status(self) -> u16 {
        match self {
            Error::LineTooLong => 414,
            Error::HeadTooLarge => 431,
            Error::UnsupportedVersion => 505,
            Error::RequestLine | Error::Method | Error::Target | Error::Version | Error::Field => 400,
        }
    }
}

/// Parses the request head at the start of `buf`: `Partial` until its
/// empty line has arrived.
pub fn parse(buf: &[u8]) -> Result<Status<Request<'_>>, Error> {
    // RFC 9112 §2.2: a server SHOULD ignore empty lines before the request line.
    let start = buf.iter().position(|&b| b != b'\r' && b != b'\n').unwrap_or(buf.len());
    let rest = buf.get(start..).unwrap_or_default();
    let Some((line, mut fields)) = split_line(rest) else {
        return if rest.len() > MAX_REQUEST_LINE {
            Err(Error::LineTooLong)
        } else if buf.len() >= MAX_HEAD {
            Err(Error::HeadTooLarge)
        } else {
            Ok(Status::Partial)
        };
    };
    if line.len() > MAX_REQUEST_LINE {
        return Err(Error::LineTooLong);
    }
    let request = request_line(line)?;
    loop {
        let Some((field, next)) = split_line(fields) else {
            return if buf.len() >= MAX_HEAD { Err(Error::HeadTooLarge) } else { Ok(Status::Partial) };
        };
        if buf.len() - next.len() > MAX_HEAD {
            return Err(Error::HeadTooLarge);
        }
        if field.is_empty() {
            return Ok(Status::Complete(request));
        }
        field_line(field)?;
        fields = next;
    }
}

/// The line before the first LF (a CR before it dropped; RFC 9112 §2.2
/// lets a recipient accept a bare LF), and what follows it.
fn split_line(buf: &[u8]) -> Option<(&[u8], &[u8])> {
    let lf = buf.iter().position(|&b| b == b'\n')?;
    let line = buf.get(..lf)?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Some((line, buf.get(lf + 1..)?))
}

/// `method SP request-target SP HTTP-version` (RFC 9112 §3).
fn request_line(line: &[u8]) -> Result<Request<'_>, Error> {
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::RequestLine);
    };
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return Err(Error::Method);
    }
    // Origin form only (RFC 9112 §3.2.1): what a scraper sends.
    if target.first() != Some(&b'/') || !target.iter().all(|b| (0x21..=0x7e).contains(b)) {
        return Err(Error::Target);
    }
    match version {
        b"HTTP/1.1" | b"HTTP/1.0" => {}
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor] if major.is_ascii_digit() && minor.is_ascii_digit() => {
            return Err(Error::UnsupportedVersion);
        }
        _ => return Err(Error::Version),
    }
    let path = target.split(|&b| b == b'?').next().unwrap_or_default();
    // Every byte was checked to be a token character or visible ASCII.
    let text = |bytes| std::str::from_utf8(bytes).map_err(|_| Error::RequestLine);
    Ok(Request { method: text(method)?, path: text(path)? })
}

/// `field-name ":" OWS field-value OWS` (RFC 9112 §5); a line starting
/// with whitespace is obs-fold, which a server MUST reject or unfold
/// (§5.2): rejected here.
fn field_line(line: &[u8]) -> Result<(), Error> {
    let colon = line.iter().position(|&b| b == b':').ok_or(Error::Field)?;
    let (name, value) = line.split_at(colon);
    let value_ok = value.iter().all(|&b| b == b'\t' || (0x20..=0x7e).contains(&b) || b >= 0x80);
    if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) || !value_ok {
        return Err(Error::Field);
    }
    Ok(())
}

/// RFC 9110 §5.6.2 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRAPE: &[u8] =
        b"GET /metrics?x=1 HTTP/1.1\r\nHost: 127.0.0.1:9464\r\nAccept: text/plain;version=0.0.4\r\n\r\n";

    #[test]
    fn a_scrape_parses_in_any_split() {
        let expected = Request { method: "GET", path: "/metrics" };
        assert_eq!(parse(SCRAPE), Ok(Status::Complete(expected)));
        for cut in 0..SCRAPE.len() {
            assert_eq!(parse(&SCRAPE[..cut]), Ok(Status::Partial), "cut at {cut}");
        }
        assert_eq!(
            parse(b"\r\nHEAD /health HTTP/1.0\n\n"),
            Ok(Status::Complete(Request { method: "HEAD", path: "/health" }))
        );
    }

    #[test]
    fn malformed_heads_are_typed_errors() {
        let cases: [(&[u8], Error); 13] = [
            (b"GET /metrics\r\n\r\n", Error::RequestLine),
            (b"GET  /metrics HTTP/1.1\r\n\r\n", Error::RequestLine),
            (b"GET /metrics HTTP/1.1 x\r\n\r\n", Error::RequestLine),
            (b"G(T /metrics HTTP/1.1\r\n\r\n", Error::Method),
            (b"GET metrics HTTP/1.1\r\n\r\n", Error::Target),
            (b"GET http://a/metrics HTTP/1.1\r\n\r\n", Error::Target),
            (b"GET /m\x00 HTTP/1.1\r\n\r\n", Error::Target),
            (b"GET /\xff HTTP/1.1\r\n\r\n", Error::Target),
            (b"GET / HTTP/2.0\r\n\r\n", Error::UnsupportedVersion),
            (b"GET / http/1.1\r\n\r\n", Error::Version),
            (b"GET / HTTP/1.1\r\nNo colon\r\n\r\n", Error::Field),
            (b"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", Error::Field),
            (b"GET / HTTP/1.1\r\nA: \x01\r\n\r\n", Error::Field),
        ];
        for (head, error) in cases {
            assert_eq!(parse(head), Err(error), "{}", String::from_utf8_lossy(head));
            assert_eq!(error.status(), if error == Error::UnsupportedVersion { 505 } else { 400 });
        }
        // An error shows before the head is complete.
        assert_eq!(parse(b"GET metrics HTTP/1.1\r\n"), Err(Error::Target));
    }

    #[test]
    fn oversized_heads_are_refused_before_the_cap_is_passed() {
        let mut line = b"GET /".to_vec();
        line.resize(MAX_REQUEST_LINE + 1, b'a');
        assert_eq!(parse(&line), Err(Error::LineTooLong));
        assert_eq!(Error::LineTooLong.status(), 414);
        line.extend_from_slice(b" HTTP/1.1\r\n\r\n");
        assert_eq!(parse(&line), Err(Error::LineTooLong));

        let mut head = b"GET / HTTP/1.1\r\n".to_vec();
        while head.len() < MAX_HEAD {
            head.extend_from_slice(b"X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        assert_eq!(parse(&head[..MAX_HEAD - 1]), Ok(Status::Partial));
        assert_eq!(parse(&head[..MAX_HEAD]), Err(Error::HeadTooLarge));
        head.extend_from_slice(b"\r\n");
        assert_eq!(parse(&head), Err(Error::HeadTooLarge));
        assert_eq!(Error::HeadTooLarge.status(), 431);
        assert_eq!(parse(&[b'\n'; MAX_HEAD]), Err(Error::HeadTooLarge));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A fixed xorshift stream: every byte value, every split.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut buf = [0u8; 96];
        for round in 0..20_000 {
            for b in &mut buf {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = if round % 2 == 0 { x as u8 } else { b"GET /:\r\n ?"[(x % 10) as usize] };
            }
            let _ = parse(&buf[..(x % 97) as usize]);
        }
    }
}
