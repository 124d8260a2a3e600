//! RFC 6455 WebSocket, client side, sans-IO: the opening handshake
//! ([`handshake`]), the frame format and in-place client encoder
//! ([`frame`], [`mask`]), the server-frame decoder with message reassembly
//! and incremental UTF-8 validation ([`decode`]), and the connection state
//! machine that ties them together ([`client`]). No socket, clock or
//! allocator: bytes in, events and bytes out.

pub mod client;
pub mod decode;
pub mod frame;
pub mod handshake;
pub mod mask;
mod utf8;

pub use client::{Client, Error, Event, State};
pub use decode::{CloseFrame, Decoder, Message, ProtocolError};
pub use frame::{EncodeError, FrameHeader, MAX_HEADER_LEN, Opcode, encode_frame, masked_header_len};
pub use handshake::{HandshakeError, Request};
