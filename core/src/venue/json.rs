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

    /// `true` or `false`.
    pub(crate) fn bool(self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(b),
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
    // Nineteen digits cannot overflow: the checks are for the twentieth.
    if digits.len() > 19 {
        return digits.iter().try_fold(0u64, |n, &b| match b {
            b'0'..=b'9' => n.checked_mul(10)?.checked_add(u64::from(b - b'0')),
            _ => None,
        });
    }
    let mut n = 0u64;
    let mut rest = digits;
    while let Some((chunk, tail)) = rest.split_first_chunk::<8>() {
        let chunk = u64::from_le_bytes(*chunk);
        if digit_bytes(chunk) < 8 {
            return None;
        }
        n = n.wrapping_mul(100_000_000).wrapping_add(eight_digits(chunk));
        rest = tail;
    }
    rest.iter().try_fold(n, |n, &b| match b {
        b'0'..=b'9' => Some(n.wrapping_mul(10).wrapping_add(u64::from(b - b'0'))),
        _ => None,
    })
}

// Strings and digit runs are scanned eight bytes at a time (SWAR): most
// of a frame's bytes are in them. In each mask below a byte's high bit is
// set where the byte stops the run; borrows and carries can set bits only
// above a byte that is itself set, so the lowest set bit is exact.

const ONES: u64 = u64::from_le_bytes([0x01; 8]);
const HIGH: u64 = u64::from_le_bytes([0x80; 8]);

/// Leading bytes of `chunk` (little-endian) inside a string that need no
/// attention: not a quote, a backslash or a control byte.
#[inline(always)]
fn plain_bytes(chunk: u64) -> usize {
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let control = chunk.wrapping_sub(ONES * 0x20) & !chunk & HIGH;
    let stop = zero(chunk ^ (ONES * u64::from(b'"'))) | zero(chunk ^ (ONES * u64::from(b'\\'))) | control;
    (stop.trailing_zeros() / 8) as usize
}

/// Leading ASCII digits of `chunk` (little-endian).
#[inline(always)]
fn digit_bytes(chunk: u64) -> usize {
    let below = chunk.wrapping_sub(ONES * u64::from(b'0'));
    let above = chunk.wrapping_add(ONES * (0x7f - u64::from(b'9')));
    let stop = (below | above | chunk) & HIGH;
    (stop.trailing_zeros() / 8) as usize
}

/// The value of eight ASCII digits (little-endian: the first byte is the
/// most significant digit), in three multiplications: pairs, quads, all.
#[inline(always)]
fn eight_digits(chunk: u64) -> u64 {
    let v = chunk.wrapping_sub(ONES * u64::from(b'0'));
    let v = (v.wrapping_mul(10).wrapping_add(v >> 8)) & 0x00ff_00ff_00ff_00ff;
    let v = (v.wrapping_mul(100).wrapping_add(v >> 16)) & 0x0000_ffff_0000_ffff;
    v.wrapping_mul(10_000).wrapping_add(v >> 32) & 0xffff_ffff
}

/// The members of the object that `bytes` holds, in order. Bytes after
/// the closing brace other than whitespace are an error.
#[derive(Debug, Clone)]
pub(crate) struct Members<'a> {
    bytes: &'a [u8],
    at: usize,
    state: Next,
    /// Objects entered with [`Self::next_entering`] and not yet closed.
    entered: usize,
}

/// A member read by [`Members::next_entering`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry<'a> {
    /// A member with its value.
    Member(&'a [u8], Value<'a>),
    /// The member named by the caller, whose object value is now being
    /// read: the reader's next members are that object's, up to a `None`
    /// at its closing brace, after which the enclosing object continues.
    Entered(&'a [u8]),
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
        let mut members = Self { bytes, at: 0, state: Next::First, entered: 0 };
        members.skip_space();
        members.expect(b'{')?;
        Ok(members)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    #[inline(always)]
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

    /// The next eight bytes, if there are eight.
    #[inline(always)]
    fn chunk(&self) -> Option<u64> {
        self.bytes.get(self.at..)?.first_chunk::<8>().map(|c| u64::from_le_bytes(*c))
    }

    /// The bytes of a string whose opening quote is at `self.at`.
    #[inline(always)]
    fn string(&mut self) -> Result<&'a [u8], JsonError> {
        self.expect(b'"')?;
        let start = self.at;
        loop {
            while let Some(chunk) = self.chunk() {
                let plain = plain_bytes(chunk);
                self.at += plain;
                if plain < 8 {
                    break;
                }
            }
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
    #[inline(always)]
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

    #[inline(always)]
    fn digits(&mut self) {
        while let Some(chunk) = self.chunk() {
            let digits = digit_bytes(chunk);
            self.at += digits;
            if digits < 8 {
                return;
            }
        }
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
    // Kept out of line: hot messages are flat, and inlined into `value`
    // it makes every member's value return through memory.
    #[inline(never)]
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

    #[inline(always)]
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
    /// the `close` bracket (and, at the outermost level, the whitespace
    /// after it, the end of the bytes) and returns false.
    #[inline(always)]
    fn next_item(&mut self, close: u8) -> Result<bool, JsonError> {
        self.skip_space();
        match (self.state, self.peek().ok_or(JsonError::Truncated)?) {
            (Next::First | Next::More, b) if b == close && self.entered > 0 => {
                self.at += 1;
                self.entered -= 1;
                self.state = Next::More;
                Ok(false)
            }
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

    /// Steps to the next member and over its key and colon; `None` past
    /// the closing brace.
    #[inline(always)]
    fn key(&mut self) -> Result<Option<&'a [u8]>, JsonError> {
        if !self.next_item(b'}')? {
            return Ok(None);
        }
        let key = match self.short_key() {
            Some(key) => key,
            None => self.string()?,
        };
        self.skip_space();
        self.expect(b':')?;
        self.skip_space();
        Ok(Some(key))
    }

    /// A one- or two-letter key, as venues name the members of their hot
    /// messages. Told by comparisons the CPU predicts, so the next
    /// member's position does not wait on a scan of this key's bytes: a
    /// data dependency per member less (an `executionReport`'s members
    /// read in 260 ns rather than 360).
    #[inline(always)]
    fn short_key(&mut self) -> Option<&'a [u8]> {
        let letter = |b: &u8| b.is_ascii_alphabetic();
        match self.bytes.get(self.at..self.at + 4)? {
            [b'"', a, b'"', _] if letter(a) => {
                let key = self.bytes.get(self.at + 1..self.at + 2)?;
                self.at += 3;
                Some(key)
            }
            [b'"', a, b, b'"'] if letter(a) && letter(b) => {
                let key = self.bytes.get(self.at + 1..self.at + 3)?;
                self.at += 4;
                Some(key)
            }
            _ => None,
        }
    }

    #[inline(always)]
    fn member(&mut self) -> Result<Option<(&'a [u8], Value<'a>)>, JsonError> {
        let Some(key) = self.key()? else { return Ok(None) };
        let value = self.value()?;
        self.state = Next::More;
        Ok(Some((key, value)))
    }

    #[inline]
    fn entry(&mut self, enter: &[u8]) -> Result<Option<Entry<'a>>, JsonError> {
        let Some(key) = self.key()? else { return Ok(None) };
        if key == enter && self.peek() == Some(b'{') {
            // Entered objects count towards the depth limit too.
            if self.entered + 1 >= MAX_DEPTH {
                return Err(JsonError::Depth);
            }
            self.at += 1;
            self.entered += 1;
            self.state = Next::First;
            return Ok(Some(Entry::Entered(key)));
        }
        let value = self.value()?;
        self.state = Next::More;
        Ok(Some(Entry::Member(key, value)))
    }

    fn element(&mut self) -> Result<Option<Value<'a>>, JsonError> {
        if !self.next_item(b']')? {
            return Ok(None);
        }
        let value = self.value()?;
        self.state = Next::More;
        Ok(Some(value))
    }

    /// Ends the reading on an error: a reader never resumes after one.
    #[inline(always)]
    fn ended<T>(&mut self, item: Result<Option<T>, JsonError>) -> Option<Result<T, JsonError>> {
        if item.is_err() {
            self.state = Next::Done;
        }
        item.transpose()
    }

    /// The next member, as [`Iterator::next`] reads it, except that when
    /// its key is `key` and its value an object, that object is entered
    /// rather than skimmed and returned whole: one pass reads a wrapper
    /// and the object it carries. The caller reads the entered object's
    /// members to their end (`None`) before the wrapper's next member.
    #[inline]
    pub(crate) fn next_entering(&mut self, key: &[u8]) -> Option<Result<Entry<'a>, JsonError>> {
        if self.state == Next::Done {
            return None;
        }
        let entry = self.entry(key);
        self.ended(entry)
    }
}

impl<'a> Iterator for Members<'a> {
    type Item = Result<(&'a [u8], Value<'a>), JsonError>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        if self.state == Next::Done {
            return None;
        }
        let member = self.member();
        self.ended(member)
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
        let mut cursor = Members { bytes, at: 0, state: Next::First, entered: 0 };
        cursor.skip_space();
        cursor.expect(b'[')?;
        Ok(Self { cursor })
    }
}

impl<'a> Iterator for Elements<'a> {
    type Item = Result<Value<'a>, JsonError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.cursor.state == Next::Done {
            return None;
        }
        let element = self.cursor.element();
        self.cursor.ended(element)
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
    fn an_entered_object_is_read_in_the_same_pass() {
        let msg = br#" {"id":1, "event" : {"e":"x","B":[1],"\u0041":"A"} ,"event":[2],"z":{}} "#;
        let mut m = Members::new(msg).unwrap();
        assert_eq!(m.next_entering(b"event"), Some(Ok(Entry::Member(b"id", Value::Num(b"1")))));
        assert_eq!(m.next_entering(b"event"), Some(Ok(Entry::Entered(b"event"))));
        let inner = all_of(&mut m).unwrap();
        assert_eq!(
            inner.as_slice(),
            &[(&b"e"[..], Value::Str(b"x")), (b"B", Value::Array(b"[1]")), (br"\u0041", Value::Str(b"A"))]
        );
        // Only an object is entered; the outer object then goes on.
        assert_eq!(m.next_entering(b"event"), Some(Ok(Entry::Member(b"event", Value::Array(b"[2]")))));
        assert_eq!(m.next_entering(b"event"), Some(Ok(Entry::Member(b"z", Value::Object(b"{}")))));
        assert_eq!(m.next_entering(b"event"), None);
        assert_eq!(m.next(), None);

        let reads = |bytes: &[u8]| -> Result<usize, JsonError> {
            let mut m = Members::new(bytes)?;
            let mut n = 0;
            while let Some(entry) = m.next_entering(b"event") {
                if let Entry::Entered(_) = entry? {
                    n += all_of(&mut m)?.len();
                }
            }
            Ok(n)
        };
        let msg = br#"{"subscriptionId":0,"event":{"e":"eventStreamTerminated","E":1728973001334}}"#;
        assert_eq!(reads(msg), Ok(2));
        for end in 0..msg.len() {
            assert_eq!(reads(&msg[..end]), Err(JsonError::Truncated), "prefix {end}");
        }
        for bad in
            [&br#"{"event":{"e":1}} x"#[..], br#"{"event":{"e":1},}"#, br#"{"event":{"e":1}]"#, br#"{"event":{"e" 1}}"#]
        {
            assert_eq!(reads(bad), Err(JsonError::Syntax), "{}", core::str::from_utf8(bad).unwrap());
        }
    }

    fn all_of<'a>(m: &mut Members<'a>) -> Result<heapless::Vec<(&'a [u8], Value<'a>), 16>, JsonError> {
        let mut out = heapless::Vec::new();
        for member in m.by_ref() {
            out.push(member?).map_err(|_| JsonError::Depth)?;
        }
        Ok(out)
    }

    #[test]
    fn long_strings_and_short_keys() {
        let msg = br#"{"a":"0123456789abcdef\"0123456789","ab" :"0123456789\u00e9","abc":"x","a1":"\\"}"#;
        let m = all(msg).unwrap();
        assert_eq!(m[0], (&b"a"[..], Value::Str(br#"0123456789abcdef\"0123456789"#)));
        assert_eq!(m[1], (&b"ab"[..], Value::Str(br"0123456789\u00e9")));
        assert_eq!(m[2], (&b"abc"[..], Value::Str(b"x")));
        assert_eq!(m[3], (&b"a1"[..], Value::Str(br"\\")));
        for bad in [&b"{\"a\":\"0123456789abcdef\x1f\"}"[..], b"{\"a\":\"0123456789abcdef\\q\"}", b"{\"\x01\":1}"] {
            assert_eq!(all(bad).err(), Some(JsonError::Syntax));
        }
        for end in 0..msg.len() {
            assert_eq!(all(&msg[..end]).err(), Some(JsonError::Truncated), "prefix {end}");
        }
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut msg = [b'['; 80];
        msg[..5].copy_from_slice(br#"{"a":"#);
        assert_eq!(all(&msg).err(), Some(JsonError::Depth));
    }

    #[test]
    fn eight_byte_scans_stop_where_bytes_do() {
        let scan = |f: fn(u64) -> usize, bytes: &[u8; 8]| f(u64::from_le_bytes(*bytes));
        assert_eq!(scan(plain_bytes, b"abcdefgh"), 8);
        assert_eq!(scan(plain_bytes, b"abc\"efgh"), 3);
        assert_eq!(scan(plain_bytes, b"\\bcdefgh"), 0);
        assert_eq!(scan(plain_bytes, b"abcdefg\x1f"), 7);
        assert_eq!(scan(plain_bytes, b"\xe2\x82\xac \x7f~!#"), 8);
        assert_eq!(scan(plain_bytes, b"a\x00\"\\\x01bcd"), 1);
        assert_eq!(scan(digit_bytes, b"01234567"), 8);
        assert_eq!(scan(digit_bytes, b"0123456:"), 7);
        assert_eq!(scan(digit_bytes, b"/1234567"), 0);
        assert_eq!(scan(digit_bytes, b"12.45678"), 2);
        assert_eq!(scan(digit_bytes, b"1\xb9\x39\xff0000"), 1);
        // Every byte value, in every position, against the byte-wise rule.
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut plain = *b"abcdefgh";
                plain[at] = b;
                let stops = b == b'"' || b == b'\\' || b < 0x20;
                assert_eq!(scan(plain_bytes, &plain), if stops { at } else { 8 });
                let mut digits = *b"12345678";
                digits[at] = b;
                assert_eq!(scan(digit_bytes, &digits), if b.is_ascii_digit() { 8 } else { at });
            }
        }
    }

    #[test]
    fn integers_are_checked() {
        assert_eq!(Value::Num(b"18446744073709551615").u64(), Some(u64::MAX));
        assert_eq!(Value::Num(b"18446744073709551616").u64(), None);
        assert_eq!(Value::Num(b"-9223372036854775808").i64(), Some(i64::MIN));
        assert_eq!(Value::Num(b"-9223372036854775809").i64(), None);
        assert_eq!(Value::Num(b"1.5").u64(), None);
        assert_eq!(Value::Num(b"1234567890123.5").u64(), None);
        assert_eq!(Value::Num(b"12345678e0").u64(), None);
        assert_eq!(Value::Num(b"9999999999999999999").u64(), Some(9_999_999_999_999_999_999));
        assert_eq!(Value::Num(b"1764633600123").u64(), Some(1_764_633_600_123));
        assert_eq!(Value::Num(b"01").u64(), None);
        assert_eq!(Value::Num(b"0").u64(), Some(0));
        let mut n = 0u64;
        for len in 1..=19 {
            n = n * 10 + (len % 10);
            let mut text = heapless::String::<20>::new();
            for d in 1..=len {
                text.push(char::from(b'0' + (d % 10) as u8)).unwrap();
            }
            assert_eq!(Value::Num(text.as_bytes()).u64(), Some(n), "{text}");
        }
        assert_eq!(Value::Num(b"-1").i64(), Some(-1));
        assert_eq!(Value::Str(b"1").u64(), None);
    }
}
