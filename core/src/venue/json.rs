//! One JSON object's members, read in a single pass without copying
//! (RFC 8259): the venues' hot messages (a book ticker, an execution
//! report) are flat objects whose fields the decoder picks by key, so a
//! full deserializer's visitor machinery is more than they need. Keys and
//! strings are borrowed as written, escapes included; nested objects and
//! arrays are returned as their raw span for a second reader (a skipped
//! span is checked for tokens and balanced brackets, not for every rule of
//! the grammar: its reader checks the rest). Truncated,
//! malformed and too-deep input is a typed error, never a panic.

/// Nesting a skipped value may have.
const MAX_DEPTH: usize = 32;

/// Why the bytes are not one JSON object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonError {
    /// The bytes end inside the object.
    Truncated,
    /// A byte that JSON does not allow there.
    Syntax,
    /// A value nested deeper than 32 levels.
    Depth,
}

/// A member's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    /// A string's bytes between the quotes, escapes as written.
    Str(&'a [u8]),
    /// A number as written.
    Num(&'a [u8]),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// An object, braces included.
    Object(&'a [u8]),
    /// An array, brackets included.
    Array(&'a [u8]),
}

impl<'a> Value<'a> {
    /// A string value as text: valid UTF-8, escapes as written.
    pub(crate) fn str(self) -> Option<&'a str> {
        match self {
            Self::Str(s) => core::str::from_utf8(s).ok(),
            _ => None,
        }
    }

    /// A non-negative integer number.
    pub(crate) fn u64(self) -> Option<u64> {
        match self {
            Self::Num(n) => unsigned(n),
            _ => None,
        }
    }

    /// An integer number, possibly negative.
    pub(crate) fn i64(self) -> Option<i64> {
        match self {
            Self::Num([b'-', rest @ ..]) => 0i64.checked_sub_unsigned(unsigned(rest)?),
            Self::Num(n) => i64::try_from(unsigned(n)?).ok(),
            _ => None,
        }
    }
}

/// Decimal digits only, within a `u64`.
fn unsigned(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || (digits.len() > 1 && digits.first() == Some(&b'0')) {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| match b {
        b'0'..=b'9' => n.checked_mul(10)?.checked_add(u64::from(b - b'0')),
        _ => None,
    })
}

/// The members of the object that `bytes` holds, in order. Bytes after
/// the closing brace other than whitespace are an error.
#[derive(Debug, Clone)]
pub(crate) struct Members<'a> {
    bytes: &'a [u8],
    at: usize,
    state: Next,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    /// After `{`: a key or `}`.
    First,
    /// After a value: `,` or `}`.
    More,
    /// The object closed, or an error ended the reading.
    Done,
}

impl<'a> Members<'a> {
    /// Starts reading the object in `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Result<Self, JsonError> {
        let mut members = Self { bytes, at: 0, state: Next::First };
        members.skip_space();
        members.expect(b'{')?;
        Ok(members)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), JsonError> {
        match self.peek() {
            Some(b) if b == byte => {
                self.at += 1;
                Ok(())
            }
            Some(_) => Err(JsonError::Syntax),
            None => Err(JsonError::Truncated),
        }
    }

    /// The bytes of a string whose opening quote is at `self.at`.
    fn string(&mut self) -> Result<&'a [u8], JsonError> {
        self.expect(b'"')?;
        let start = self.at;
        loop {
            match self.peek().ok_or(JsonError::Truncated)? {
                b'"' => break,
                b'\\' => {
                    self.at += 1;
                    match self.peek().ok_or(JsonError::Truncated)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            let hex = self.bytes.get(self.at + 1..self.at + 5).ok_or(JsonError::Truncated)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return Err(JsonError::Syntax);
                            }
                            self.at += 4;
                        }
                        _ => return Err(JsonError::Syntax),
                    }
                }
                0..=0x1f => return Err(JsonError::Syntax),
                _ => {}
            }
            self.at += 1;
        }
        let text = self.bytes.get(start..self.at).ok_or(JsonError::Truncated)?;
        self.at += 1;
        Ok(text)
    }

    /// A number's bytes (RFC 8259 §6 grammar).
    fn number(&mut self) -> Result<&'a [u8], JsonError> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => self.digits(),
            Some(_) => return Err(JsonError::Syntax),
            None => return Err(JsonError::Truncated),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.some_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            self.some_digits()?;
        }
        self.bytes.get(start..self.at).ok_or(JsonError::Truncated)
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
    }

    fn some_digits(&mut self) -> Result<(), JsonError> {
        let start = self.at;
        self.digits();
        match self.peek() {
            _ if self.at > start => Ok(()),
            Some(_) => Err(JsonError::Syntax),
            None => Err(JsonError::Truncated),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), JsonError> {
        let end = self.at + word.len();
        match self.bytes.get(self.at..end) {
            Some(w) if w == word => {
                self.at = end;
                Ok(())
            }
            Some(_) => Err(JsonError::Syntax),
            None if self.bytes.get(self.at..).is_some_and(|rest| word.starts_with(rest)) => Err(JsonError::Truncated),
            None => Err(JsonError::Syntax),
        }
    }

    /// An object or array from its opening bracket to its matching close.
    fn nested(&mut self) -> Result<&'a [u8], JsonError> {
        let start = self.at;
        let mut stack = [0u8; MAX_DEPTH];
        let mut depth = 0usize;
        loop {
            self.skip_space();
            match self.peek().ok_or(JsonError::Truncated)? {
                open @ (b'{' | b'[') => {
                    *stack.get_mut(depth).ok_or(JsonError::Depth)? = open;
                    depth += 1;
                    self.at += 1;
                    continue;
                }
                b'"' => {
                    self.string()?;
                }
                b'-' | b'0'..=b'9' => {
                    self.number()?;
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                b'}' | b']' => {}
                _ => return Err(JsonError::Syntax),
            }
            // After a value (or at an empty container's close): `,` `:`
            // or closing brackets.
            loop {
                self.skip_space();
                let open = depth.checked_sub(1).and_then(|d| stack.get(d)).copied().ok_or(JsonError::Syntax)?;
                match (open, self.peek().ok_or(JsonError::Truncated)?) {
                    (b'{', b'}') | (b'[', b']') => {
                        self.at += 1;
                        depth -= 1;
                        if depth == 0 {
                            return self.bytes.get(start..self.at).ok_or(JsonError::Truncated);
                        }
                    }
                    (_, b',' | b':') => {
                        self.at += 1;
                        break;
                    }
                    _ => return Err(JsonError::Syntax),
                }
            }
        }
    }

    fn value(&mut self) -> Result<Value<'a>, JsonError> {
        self.skip_space();
        Ok(match self.peek().ok_or(JsonError::Truncated)? {
            b'"' => Value::Str(self.string()?),
            b'-' | b'0'..=b'9' => Value::Num(self.number()?),
            b't' => {
                self.literal(b"true")?;
                Value::Bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                Value::Bool(false)
            }
            b'n' => {
                self.literal(b"null")?;
                Value::Null
            }
            b'{' => Value::Object(self.nested()?),
            b'[' => Value::Array(self.nested()?),
            _ => return Err(JsonError::Syntax),
        })
    }

    /// Steps over the `,` before the next item and returns true, or over
    /// the `close` bracket (and the whitespace after it, the end of the
    /// bytes) and returns false.
    fn next_item(&mut self, close: u8) -> Result<bool, JsonError> {
        self.skip_space();
        match (self.state, self.peek().ok_or(JsonError::Truncated)?) {
            (Next::First | Next::More, b) if b == close => {
                self.at += 1;
                self.state = Next::Done;
                self.skip_space();
                match self.peek() {
                    None => Ok(false),
                    Some(_) => Err(JsonError::Syntax),
                }
            }
            (Next::More, b',') => {
                self.at += 1;
                self.skip_space();
                Ok(true)
            }
            (Next::More, _) => Err(JsonError::Syntax),
            _ => Ok(true),
        }
    }

    fn member(&mut self) -> Result<Option<(&'a [u8], Value<'a>)>, JsonError> {
        if !self.next_item(b'}')? {
            return Ok(None);
        }
        let key = self.string()?;
        self.skip_space();
        self.expect(b':')?;
        let value = self.value()?;
        self.state = Next::More;
        Ok(Some((key, value)))
    }
}

impl<'a> Iterator for Members<'a> {
    type Item = Result<(&'a [u8], Value<'a>), JsonError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.state == Next::Done {
            return None;
        }
        let member = self.member();
        if member.is_err() {
            self.state = Next::Done;
        }
        member.transpose()
    }
}

/// The elements of the array that `bytes` holds (an [`Value::Array`]
/// span), in order. Bytes after the closing bracket other than whitespace
/// are an error.
#[derive(Debug, Clone)]
pub(crate) struct Elements<'a> {
    cursor: Members<'a>,
}

impl<'a> Elements<'a> {
    /// Starts reading the array in `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Result<Self, JsonError> {
        let mut cursor = Members { bytes, at: 0, state: Next::First };
        cursor.skip_space();
        cursor.expect(b'[')?;
        Ok(Self { cursor })
    }

    fn element(&mut self) -> Result<Option<Value<'a>>, JsonError> {
        if !self.cursor.next_item(b']')? {
            return Ok(None);
        }
        let value = self.cursor.value()?;
        self.cursor.state = Next::More;
        Ok(Some(value))
    }
}

impl<'a> Iterator for Elements<'a> {
    type Item = Result<Value<'a>, JsonError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.cursor.state == Next::Done {
            return None;
        }
        let element = self.element();
        if element.is_err() {
            self.cursor.state = Next::Done;
        }
        element.transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8]) -> Result<heapless::Vec<(&[u8], Value<'_>), 16>, JsonError> {
        let mut out = heapless::Vec::new();
        for m in Members::new(bytes)? {
            out.push(m?).map_err(|_| JsonError::Depth)?;
        }
        Ok(out)
    }

    #[test]
    fn reads_a_book_ticker() {
        let msg =
            br#"{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#;
        let m = all(msg).unwrap();
        assert_eq!(m.len(), 6);
        assert_eq!(m[0], (&b"u"[..], Value::Num(b"400900217")));
        assert_eq!(m[0].1.u64(), Some(400_900_217));
        assert_eq!(m[1].1.str(), Some("BNBUSDT"));
        assert_eq!(m[5], (&b"A"[..], Value::Str(b"40.66000000")));
    }

    #[test]
    fn nested_values_are_spans() {
        let msg = br#" { "a" : [1, {"b": [true, null, "x]}"]}, -2.5e+3] , "c":{}, "d":[], "e":false, "f":-7 } "#;
        let m = all(msg).unwrap();
        assert_eq!(m[0].1, Value::Array(br#"[1, {"b": [true, null, "x]}"]}, -2.5e+3]"#));
        assert_eq!(m[1].1, Value::Object(b"{}"));
        assert_eq!(m[2].1, Value::Array(b"[]"));
        assert_eq!(m[3].1, Value::Bool(false));
        assert_eq!(m[4].1.i64(), Some(-7));
        assert_eq!(m[4].1.u64(), None);
        assert!(all(b"{}").unwrap().is_empty());
    }

    #[test]
    fn every_prefix_is_truncated_and_never_panics() {
        let msg =
            br#"{"subscriptionId":0,"event":{"e":"x","B":[{"a":"ETH","f":"1.0"}],"n":null,"t":true,"u":"\u00e9\n"}}"#;
        assert!(all(msg).is_ok());
        for end in 0..msg.len() {
            assert_eq!(all(&msg[..end]).err(), Some(JsonError::Truncated), "prefix {end}");
        }
    }

    #[test]
    fn malformed_is_a_syntax_error() {
        for bad in [
            &br#"[1]"#[..],
            br#"{"a":1,}"#,
            br#"{"a" 1}"#,
            br#"{"a":1 "b":2}"#,
            br#"{"a":01}"#,
            br#"{"a":1.}"#,
            br#"{"a":-}"#,
            br#"{"a":tru}"#,
            br#"{"a":"\x"}"#,
            br#"{"a":"\u12G4"}"#,
            b"{\"a\":\"\x01\"}",
            br#"{"a":[1}"#,
            br#"{"a":{"b":1]}"#,
            br#"{"a":[1,,2]}"#,
            br#"{"a":1} x"#,
            br#"{1:2}"#,
            br#"{,"a":1}"#,
        ] {
            assert_eq!(all(bad).err(), Some(JsonError::Syntax), "{}", core::str::from_utf8(bad).unwrap());
        }
    }

    fn elements(bytes: &[u8]) -> Result<heapless::Vec<Value<'_>, 16>, JsonError> {
        let mut out = heapless::Vec::new();
        for e in Elements::new(bytes)? {
            out.push(e?).map_err(|_| JsonError::Depth)?;
        }
        Ok(out)
    }

    #[test]
    fn reads_an_array_of_balances() {
        let msg = br#" [ {"a":"BTC","f":"1.0","l":"0"} , "x", 7, [], null ] "#;
        let e = elements(msg).unwrap();
        assert_eq!(e.len(), 5);
        assert_eq!(e[0], Value::Object(br#"{"a":"BTC","f":"1.0","l":"0"}"#));
        assert_eq!(e[1].str(), Some("x"));
        assert_eq!(e[2].u64(), Some(7));
        assert_eq!(e[3], Value::Array(b"[]"));
        assert_eq!(e[4], Value::Null);
        assert!(elements(b"[]").unwrap().is_empty());
        for end in 0..msg.trim_ascii_end().len() {
            assert_eq!(elements(&msg[..end]).err(), Some(JsonError::Truncated), "prefix {end}");
        }
        for bad in [&b"{}"[..], b"[1,]", b"[,1]", b"[1 2]", b"[1}", b"[1] x", b"[\"a\":1]"] {
            assert_eq!(elements(bad).err(), Some(JsonError::Syntax), "{}", core::str::from_utf8(bad).unwrap());
        }
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut msg = [b'['; 80];
        msg[..5].copy_from_slice(br#"{"a":"#);
        assert_eq!(all(&msg).err(), Some(JsonError::Depth));
    }

    #[test]
    fn integers_are_checked() {
        assert_eq!(Value::Num(b"18446744073709551615").u64(), Some(u64::MAX));
        assert_eq!(Value::Num(b"18446744073709551616").u64(), None);
        assert_eq!(Value::Num(b"-9223372036854775808").i64(), Some(i64::MIN));
        assert_eq!(Value::Num(b"-9223372036854775809").i64(), None);
        assert_eq!(Value::Num(b"1.5").u64(), None);
        assert_eq!(Value::Num(b"-1").i64(), Some(-1));
        assert_eq!(Value::Str(b"1").u64(), None);
    }
}
