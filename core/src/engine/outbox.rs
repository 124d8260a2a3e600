//! The venue connection's byte movers: plaintext requests turn into masked
//! WebSocket frames (RFC 6455 §5.2) and then into TLS records through the
//! [`Link`]; what TLS has no room for yet waits in a backlog, so plaintext
//! is sealed in the order it was sent. Inbound records come back out as
//! plaintext for the WebSocket decoder. A request is framed inside the
//! next TLS record's plaintext room and sealed there, so an order is
//! copied once (from its template) before it is ciphertext; only when the
//! link has no room, or a backlog must go first, is it framed aside.
//! A venue on FIX (`venue::Transport::Fix`) needs no framing: its
//! requests are complete messages, copied into the record room as they
//! are, and its inbound plaintext is cut into messages here by their
//! BodyLength and CheckSum (`docs/protocols/coinbase-fix.md` §Framing).

use rand_core::RngCore;

use super::event::VenueLoss;
use super::fire::Pass;
use super::link::Link;
use crate::tls;
use crate::venue::coinbase::fix::{self, Framing};
use crate::venue::{ORDER_CAP, REQUEST_CAP, RequestError, Transport};
use crate::ws::{self, Client, MAX_HEADER_LEN, Opcode};

/// Plaintext read from TLS per step.
pub(super) const PLAIN_CHUNK: usize = 4096;
/// Plaintext waiting for room in the TLS queue.
const BACKLOG: usize = 4096;
/// Room for a request and its WebSocket header.
const FRAME: usize = MAX_HEADER_LEN + REQUEST_CAP;
/// Plaintext the next record is prepared for while idle: one whole
/// one-order request frame (the record layer caps it at its keystream);
/// a longer batch is sealed in full when it goes.
pub(super) const PRESEALED: usize = MAX_HEADER_LEN + ORDER_CAP;

/// Transport, WebSocket, and the buffers that move bytes.
pub(super) struct Outbox<'a, L> {
    pub(super) link: L,
    pub(super) ws: Client<'a>,
    pub(super) transport: Transport,
    pub(super) plain: [u8; PLAIN_CHUNK],
    frame: [u8; FRAME],
    backlog: [u8; BACKLOG],
    backlog_len: usize,
    /// FIX plaintext not yet a whole message.
    fix_in: Reassembly,
}

/// Plaintext of a FIX stream until it holds whole messages.
pub(super) struct Reassembly {
    buf: [u8; fix::MAX_MESSAGE],
    len: usize,
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
    pub(super) fn new(link: L, ws: Client<'a>, transport: Transport) -> Self {
        Self {
            link,
            ws,
            transport,
            plain: [0; PLAIN_CHUNK],
            frame: [0; FRAME],
            backlog: [0; BACKLOG],
            backlog_len: 0,
            fix_in: Reassembly { buf: [0; fix::MAX_MESSAGE], len: 0 },
        }
    }

    /// A new connection: nothing from the last one is sent on it, nothing
    /// half-read from it is kept.
    pub(super) fn restart(&mut self) {
        self.link.reconnect();
        self.backlog_len = 0;
        self.fix_in.len = 0;
    }

    /// Adds `plain[..n]` to the FIX stream and hands each whole message to
    /// `each`, in order; what is left waits for the next bytes.
    pub(super) fn read_fix(&mut self, n: usize, mut each: impl FnMut(&[u8])) -> Result<(), fix::FixError> {
        let mut input = self.plain.get(..n).unwrap_or_default();
        let r = &mut self.fix_in;
        while !input.is_empty() {
            let room = r.buf.get_mut(r.len..).unwrap_or_default();
            let take = room.len().min(input.len());
            room.get_mut(..take).unwrap_or_default().copy_from_slice(input.get(..take).unwrap_or_default());
            r.len += take;
            input = input.get(take..).unwrap_or_default();
            let mut at = 0;
            while let Framing::Complete(len) = fix::frame(r.buf.get(at..r.len).unwrap_or_default())? {
                each(r.buf.get(at..at + len).unwrap_or_default());
                at += len;
            }
            r.buf.copy_within(at..r.len, 0);
            r.len -= at;
            // `frame` refuses a message longer than the buffer, so a full
            // buffer always held a whole one: this cannot happen.
            if take == 0 {
                return Err(fix::FixError::TooLong(r.len));
            }
        }
        Ok(())
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
        if self.transport == Transport::Fix {
            return self.place_raw(request, pass);
        }
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

    /// A FIX request as it is: in the record room, or aside.
    fn place_raw(&mut self, request: &[u8], pass: Pass) -> Result<Framed, SendError> {
        let live = pass == Pass::Live;
        if self.backlog_len == 0 {
            let room = if live { self.link.room() } else { self.link.dry_room() };
            if let Some(room) = room.get_mut(..request.len()) {
                room.copy_from_slice(request);
                return Ok(Framed::Room(request.len()));
            }
        }
        if !live {
            return Err(SendError::TooLong);
        }
        self.frame.get_mut(..request.len()).ok_or(SendError::TooLong)?.copy_from_slice(request);
        Ok(Framed::Aside(0, request.len()))
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

    /// Queues an empty ping (a FIX session keeps itself alive with
    /// Heartbeats instead).
    pub(super) fn send_ping(&mut self, rng: &mut impl RngCore) -> Result<(), tls::Error> {
        if self.transport == Transport::Fix {
            return Ok(());
        }
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
