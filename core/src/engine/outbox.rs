//! The venue connection's byte movers: plaintext requests turn into masked
//! WebSocket frames (RFC 6455 §5.2) and then into TLS records through the
//! [`Link`]; what TLS has no room for yet waits in a backlog, so plaintext
//! is sealed in the order it was sent. Inbound records come back out as
//! plaintext for the WebSocket decoder. A request is framed inside the
//! next TLS record's plaintext room and sealed there, so an order is
//! copied once (from its template) before it is ciphertext; only when the
//! link has no room, or a backlog must go first, is it framed aside.

use rand_core::RngCore;

use super::event::VenueLoss;
use super::fire::Pass;
use super::link::Link;
use crate::tls;
use crate::venue::{REQUEST_CAP, RequestError};
use crate::ws::{self, Client, MAX_HEADER_LEN, Opcode};

/// Plaintext read from TLS per step.
pub(super) const PLAIN_CHUNK: usize = 4096;
/// Plaintext waiting for room in the TLS queue.
const BACKLOG: usize = 4096;
/// Room for a request and its WebSocket header.
const FRAME: usize = MAX_HEADER_LEN + REQUEST_CAP;
/// Plaintext the next record is prepared for while idle: one whole
/// request frame (the record layer caps it at its keystream).
pub(super) const PRESEALED: usize = FRAME;

/// Transport, WebSocket, and the buffers that move bytes.
pub(super) struct Outbox<'a, L> {
    pub(super) link: L,
    pub(super) ws: Client<'a>,
    pub(super) plain: [u8; PLAIN_CHUNK],
    frame: [u8; FRAME],
    backlog: [u8; BACKLOG],
    backlog_len: usize,
}

/// The masking key of dry-run frames, which are never sent.
const DRY_RUN_MASK: [u8; 4] = [0x5a, 0xa5, 0x3c, 0xc3];

/// Where a framed request waits to be sealed.
#[derive(Debug, Clone, Copy)]
pub(super) enum Framed {
    /// The first `len` bytes of the link's record room.
    Room(usize),
    /// `frame[start..end]`.
    Aside(usize, usize),
}

/// A request could not be framed or queued.
#[derive(Debug)]
pub(super) enum SendError {
    TooLong,
    Ws(ws::Error),
    Tls(tls::Error),
}

impl<'a, L: Link> Outbox<'a, L> {
    pub(super) fn new(link: L, ws: Client<'a>) -> Self {
        Self { link, ws, plain: [0; PLAIN_CHUNK], frame: [0; FRAME], backlog: [0; BACKLOG], backlog_len: 0 }
    }

    /// A new connection: nothing from the last one is sent on it.
    pub(super) fn restart(&mut self) {
        self.link.reconnect();
        self.backlog_len = 0;
    }

    /// Queues plaintext for sealing, in order behind anything waiting.
    fn send(&mut self, data: &[u8]) -> Result<(), tls::Error> {
        queue(&mut self.link, &mut self.backlog, &mut self.backlog_len, data)
    }

    /// Queues `frame[start..end]`, framed in place, without copying it out.
    pub(super) fn send_frame(&mut self, start: usize, end: usize) -> Result<(), tls::Error> {
        let frame = self.frame.get(start..end).unwrap_or_default();
        queue(&mut self.link, &mut self.backlog, &mut self.backlog_len, frame)
    }

    /// Moves backlog into TLS and owed WebSocket control frames after it.
    pub(super) fn flush(&mut self, rng: &mut impl RngCore) -> Result<(), tls::Error> {
        if self.backlog_len > 0 {
            let sent = self.link.send(self.backlog.get(..self.backlog_len).unwrap_or_default())?;
            self.backlog.copy_within(sent..self.backlog_len, 0);
            self.backlog_len -= sent;
        }
        if !self.ws.wants_transmit() {
            return Ok(());
        }
        let mut control = [0u8; 2 + 8 + 125];
        loop {
            match self.ws.poll_transmit(&mut control, mask(rng)) {
                Some(Ok(n)) => self.send(control.get(..n).unwrap_or_default())?,
                Some(Err(_)) | None => return Ok(()),
            }
        }
    }

    /// Frames `request` as one text message in the link's record room, or
    /// in the frame buffer when the room is short or a backlog is waiting.
    /// A dry pass frames only in the dry-run room, with a fixed mask: the
    /// engine's RNG stays as it was, so what is sent is the same byte for
    /// byte with or without dry runs.
    pub(super) fn frame_text(
        &mut self,
        request: &[u8],
        rng: &mut impl RngCore,
        pass: Pass,
    ) -> Result<Framed, SendError> {
        let head = ws::masked_header_len(request.len());
        let live = pass == Pass::Live;
        if self.backlog_len == 0 {
            let room = if live { self.link.room() } else { self.link.dry_room() };
            if let Some(room) = room.get_mut(..head + request.len()) {
                room.get_mut(head..).unwrap_or_default().copy_from_slice(request);
                let mask = if live { mask(rng) } else { DRY_RUN_MASK };
                let start =
                    self.ws.encode(room, head, request.len(), Opcode::Text, true, mask).map_err(SendError::Ws)?;
                if start == 0 {
                    return Ok(Framed::Room(head + request.len()));
                }
            }
        }
        if !live {
            return Err(SendError::TooLong);
        }
        let end = MAX_HEADER_LEN + request.len();
        self.frame.get_mut(MAX_HEADER_LEN..end).ok_or(SendError::TooLong)?.copy_from_slice(request);
        let start = self
            .ws
            .encode(&mut self.frame, MAX_HEADER_LEN, request.len(), Opcode::Text, true, mask(rng))
            .map_err(SendError::Ws)?;
        Ok(Framed::Aside(start, end))
    }

    /// Seals or queues a framed request; a dry pass runs the seal where the
    /// frame lies and queues nothing (the next record overwrites it).
    pub(super) fn send_framed(&mut self, framed: Framed, pass: Pass) -> Result<(), tls::Error> {
        match (framed, pass) {
            (Framed::Room(len), Pass::Live) => self.link.seal_room(len),
            (Framed::Room(len), Pass::Dry) => self.link.dry_run(len),
            (Framed::Aside(start, end), Pass::Live) => self.send_frame(start, end),
            (Framed::Aside(..), Pass::Dry) => Err(tls::Error::ShuttingDown),
        }
    }

    /// Frames `request` as one text message and queues it.
    pub(super) fn send_text(&mut self, request: &[u8], rng: &mut impl RngCore) -> Result<(), SendError> {
        let framed = self.frame_text(request, rng, Pass::Live)?;
        self.send_framed(framed, Pass::Live).map_err(SendError::Tls)
    }

    /// Queues an empty ping.
    pub(super) fn send_ping(&mut self, rng: &mut impl RngCore) -> Result<(), tls::Error> {
        match self.ws.encode(&mut self.frame, MAX_HEADER_LEN, 0, Opcode::Ping, true, mask(rng)) {
            Ok(start) => self.send_frame(start, MAX_HEADER_LEN),
            Err(_) => Ok(()),
        }
    }

    /// Writes the upgrade request for `request` and queues it.
    pub(super) fn send_upgrade(&mut self, request: &ws::Request<'_>) -> Result<(), SendError> {
        let n = self.ws.reconnect(request, &mut self.frame).map_err(SendError::Ws)?;
        self.send_frame(0, n).map_err(SendError::Tls)
    }
}

/// A fresh masking key (RFC 6455 §5.3).
fn mask(rng: &mut impl RngCore) -> [u8; 4] {
    rng.next_u32().to_ne_bytes()
}

/// Hands `data` to TLS, keeping in `backlog` what its queue has no room
/// for yet, so plaintext is sealed in the order it was sent.
fn queue<L: Link>(link: &mut L, backlog: &mut [u8], backlog_len: &mut usize, data: &[u8]) -> Result<(), tls::Error> {
    let sent = if *backlog_len == 0 { link.send(data)? } else { 0 };
    let rest = data.get(sent..).unwrap_or_default();
    let room = backlog.get_mut(*backlog_len..).unwrap_or_default();
    let dst = room.get_mut(..rest.len()).ok_or(tls::Error::ShuttingDown)?;
    dst.copy_from_slice(rest);
    *backlog_len += rest.len();
    Ok(())
}

impl From<SendError> for VenueLoss {
    fn from(e: SendError) -> Self {
        match e {
            SendError::Tls(e) => Self::Tls(e),
            SendError::Ws(e) => Self::Ws(e),
            SendError::TooLong => Self::Request(RequestError::TooLong),
        }
    }
}
