//! The one shape of every parser's answer when the input may stop short:
//! the value, or "the input ends before the value does" (httparse's
//! `Status`, which hotline's WebSocket, ZMTP and handshake parsers share).
//! A parser that must say how many bytes its value took returns it inside
//! `Complete`.

/// A parse result: the value, or a need for more bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status<T> {
    /// The value, decoded from a prefix of the input.
    Complete(T),
    /// The input ends before the value does.
    Partial,
}
