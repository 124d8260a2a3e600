//! The io_uring transport: outgoing bytes turn into submitted sends and
//! completions into received bytes, over one ring, a fixed set of TCP
//! connections registered as fixed files, and one registered receive and one
//! registered send buffer per connection. The host's event loop arms receives,
//! copies outgoing bytes into a connection's send buffer and submits them, and
//! drains completions, all without allocating after start-up. Short writes are
//! resubmitted here; a connection never has more than one receive and one send
//! in flight, so buffers are never reused while the kernel owns them.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::Instant;

use io_uring::{IoUring, cqueue, opcode, squeue, types};

use super::provided::Provided;

/// How to build the ring.
#[derive(Debug, Clone, Copy)]
pub struct RingConfig {
    /// Submission queue entries (a power of two).
    pub entries: u32,
    /// Kernel-side submission polling: a kernel thread picks up submissions
    /// without a syscall, idling after this many milliseconds.
    pub sqpoll_idle_ms: Option<u32>,
    /// Bytes of each connection's receive and send buffer.
    pub buffer_size: usize,
    /// Receive with one multishot submission per connection into provided
    /// buffers, where the kernel has it (6.0+); otherwise one `ReadFixed`
    /// into the registered buffer per arrival.
    pub multishot: bool,
}

impl Default for RingConfig {
    fn default() -> Self {
        Self { entries: 64, sqpoll_idle_ms: None, buffer_size: 64 * 1024, multishot: true }
    }
}

impl RingConfig {
    /// The default ring, with kernel-side submission polling when `sqpoll`
    /// (its thread idles after a second without submissions).
    pub fn with_sqpoll(sqpoll: bool) -> Self {
        Self { sqpoll_idle_ms: sqpoll.then_some(1000), ..Self::default() }
    }
}

/// Provided buffers per connection for multishot receive.
const PROVIDED: u16 = 16;

/// A connection's index in the ring, in the order given to [`Ring::new`].
pub type Conn = usize;

/// A finished operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// `len` bytes arrived in [`Ring::received`]; 0 means the peer closed.
    Received { conn: Conn, len: usize },
    /// Everything submitted with [`Ring::send`] was written.
    Sent { conn: Conn, len: usize },
    /// An operation failed with this errno.
    Failed { conn: Conn, op: Op, errno: i32 },
}

/// The kind of operation in a completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// A receive.
    Recv,
    /// A send.
    Send,
}

/// Why a submission was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitError {
    /// This connection already has that operation in flight.
    Busy,
    /// More bytes than the connection's send buffer holds.
    TooLong,
    /// The submission queue is full; drain completions first.
    QueueFull,
}

/// The user data of the NOP a dry run submits ([`Ring::warm`]); no
/// connection's operation has it.
const NOP: u64 = u64::MAX;
/// Bytes of a send buffer a dry run writes.
const WARM_BYTES: usize = 512;

struct Slot {
    rx: Box<[u8]>,
    /// Multishot receive's buffers, if the kernel took them.
    provided: Option<Provided>,
    /// The provided buffer the last completion delivered, until given back.
    held: Option<u16>,
    tx: Box<[u8]>,
    recv_in_flight: bool,
    /// Bytes of the current send, and how many the kernel has written.
    send_len: usize,
    send_done: usize,
}

/// The ring and its connections' buffers.
pub struct Ring {
    ring: IoUring,
    slots: Box<[Slot]>,
    sqpoll: bool,
    /// A dry run's NOP is in flight.
    nop_in_flight: bool,
}

impl std::fmt::Debug for Ring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ring").field("connections", &self.slots.len()).field("sqpoll", &self.sqpoll).finish()
    }
}

const OP_BITS: u64 = 1;

impl Ring {
    /// Builds the ring, registers `sockets` as fixed files and two buffers
    /// per connection. The sockets must outlive the ring.
    pub fn new(config: &RingConfig, sockets: &[BorrowedFd<'_>]) -> io::Result<Self> {
        let ring = Self::build(config, sockets.len())?;
        let fds: Vec<i32> = sockets.iter().map(AsRawFd::as_raw_fd).collect();
        ring.ring.submitter().register_files(&fds)?;
        Ok(ring)
    }

    /// Builds the ring with `conns` empty connection slots: sockets come
    /// and go with [`Ring::attach`] and [`Ring::detach`].
    pub fn sparse(config: &RingConfig, conns: usize) -> io::Result<Self> {
        let ring = Self::build(config, conns)?;
        ring.ring.submitter().register_files_sparse(conns as u32)?;
        Ok(ring)
    }

    fn build(config: &RingConfig, conns: usize) -> io::Result<Self> {
        let mut builder = IoUring::builder();
        if let Some(idle) = config.sqpoll_idle_ms {
            builder.setup_sqpoll(idle);
        }
        let ring = builder.build(config.entries)?;
        let slots: Box<[Slot]> = (0..conns)
            .map(|_| Slot {
                rx: vec![0; config.buffer_size].into_boxed_slice(),
                provided: None,
                held: None,
                tx: vec![0; config.buffer_size].into_boxed_slice(),
                recv_in_flight: false,
                send_len: 0,
                send_done: 0,
            })
            .collect();
        let iovecs: Vec<libc::iovec> = slots
            .iter()
            .flat_map(|s| [&s.rx, &s.tx])
            .map(|b| libc::iovec { iov_base: b.as_ptr() as *mut libc::c_void, iov_len: b.len() })
            .collect();
        // SAFETY: the buffers are heap allocations owned by `slots`, which
        // lives as long as the ring (dropped after it, field order) and is
        // never resized, so the registered memory stays valid and in place.
        unsafe { ring.submitter().register_buffers(&iovecs)? };
        let mut ring = Self { ring, slots, sqpoll: config.sqpoll_idle_ms.is_some(), nop_in_flight: false };
        if config.multishot {
            ring.provide(config.buffer_size);
        }
        Ok(ring)
    }

    /// Gives every connection its provided buffers; on a kernel without
    /// buffer rings, none (receives stay single-shot).
    fn provide(&mut self, size: usize) {
        for (group, slot) in self.slots.iter_mut().enumerate() {
            let provided = Provided::new(PROVIDED, size).and_then(|p| p.register(&self.ring, group as u16).map(|()| p));
            match provided {
                Ok(p) => slot.provided = Some(p),
                Err(_) => {
                    for slot in self.slots.iter_mut() {
                        slot.provided = None;
                    }
                    return;
                }
            }
        }
    }

    /// Whether receives are multishot.
    pub fn multishot(&self) -> bool {
        self.slots.iter().all(|s| s.provided.is_some())
    }

    /// Puts `socket` in slot `conn`. The slot must be [`idle`](Ring::idle);
    /// the socket must stay open until it is detached.
    pub fn attach(&mut self, conn: Conn, socket: BorrowedFd<'_>) -> io::Result<()> {
        self.ring.submitter().register_files_update(conn as u32, &[socket.as_raw_fd()])?;
        let slot = &mut self.slots[conn];
        slot.send_len = 0;
        slot.send_done = 0;
        Ok(())
    }

    /// Empties slot `conn`; wait until it is [`idle`](Ring::idle) first.
    pub fn detach(&mut self, conn: Conn) -> io::Result<()> {
        self.ring.submitter().register_files_update(conn as u32, &[-1]).map(drop)
    }

    /// Whether no operation on `conn` is in flight.
    pub fn idle(&self, conn: Conn) -> bool {
        let slot = &self.slots[conn];
        !slot.recv_in_flight && slot.send_len == 0
    }

    /// Whether kernel-side submission polling is on.
    pub fn sqpoll(&self) -> bool {
        self.sqpoll
    }

    /// Arms a receive on `conn` unless one is armed: a multishot receive
    /// stays armed across completions.
    pub fn recv(&mut self, conn: Conn) -> Result<(), SubmitError> {
        let slot = &mut self.slots[conn];
        if slot.recv_in_flight {
            return Ok(());
        }
        let entry = match &slot.provided {
            Some(_) => opcode::RecvMulti::new(types::Fixed(conn as u32), conn as u16).build(),
            None => opcode::ReadFixed::new(
                types::Fixed(conn as u32),
                slot.rx.as_mut_ptr(),
                slot.rx.len() as u32,
                (conn * 2) as u16,
            )
            .build(),
        };
        push(&mut self.ring, &entry.user_data(user_data(conn, Op::Recv)))?;
        self.slots[conn].recv_in_flight = true;
        Ok(())
    }

    /// The bytes of the last [`Completion::Received`] on `conn`, valid
    /// until the next [`Ring::poll`].
    pub fn received(&self, conn: Conn, len: usize) -> &[u8] {
        let slot = &self.slots[conn];
        match (&slot.provided, slot.held) {
            (Some(p), Some(bid)) => p.buffer(bid, len),
            _ => &slot.rx[..len],
        }
    }

    /// The connection's send buffer, to fill before [`Ring::send`]; `None`
    /// while a send is in flight.
    pub fn send_buffer(&mut self, conn: Conn) -> Option<&mut [u8]> {
        let slot = &mut self.slots[conn];
        (slot.send_len == 0).then_some(&mut slot.tx[..])
    }

    /// Sends the first `len` bytes of the connection's send buffer.
    pub fn send(&mut self, conn: Conn, len: usize) -> Result<(), SubmitError> {
        let slot = &self.slots[conn];
        if slot.send_len != 0 {
            return Err(SubmitError::Busy);
        }
        if len > slot.tx.len() {
            return Err(SubmitError::TooLong);
        }
        self.submit_write(conn, 0, len)?;
        let slot = &mut self.slots[conn];
        slot.send_len = len;
        slot.send_done = 0;
        Ok(())
    }

    fn submit_write(&mut self, conn: Conn, from: usize, to: usize) -> Result<(), SubmitError> {
        let slot = &self.slots[conn];
        let entry = opcode::WriteFixed::new(
            types::Fixed(conn as u32),
            slot.tx[from..].as_ptr(),
            (to - from) as u32,
            (conn * 2 + 1) as u16,
        )
        .build()
        .user_data(user_data(conn, Op::Send));
        push(&mut self.ring, &entry)
    }

    /// A dry run of a send on `conn`, while idle: the head of its send
    /// buffer is written (when no send owns it) and a NOP goes through the
    /// submission and completion queues (when none is in flight), so a
    /// real send finds both warm. Nothing reaches a socket; the NOP's
    /// completion is consumed by [`Ring::poll`]. Best effort: with the
    /// submission queue full, no NOP.
    pub fn warm(&mut self, conn: Conn) {
        if let Some(buf) = self.send_buffer(conn) {
            let head = buf.len().min(WARM_BYTES);
            std::hint::black_box(&mut buf[..head]).fill(0);
        }
        if !self.nop_in_flight {
            self.nop_in_flight = push(&mut self.ring, &opcode::Nop::new().build().user_data(NOP)).is_ok();
        }
    }

    /// Hands queued submissions to the kernel and waits for at least `want`
    /// completions (0: do not wait). With SQPOLL this makes a syscall only
    /// when the kernel thread sleeps.
    pub fn submit(&mut self, want: usize) -> io::Result<usize> {
        self.ring.submit_and_wait(want)
    }

    /// Like [`Ring::submit`] with `want` = 1, but gives up after `timeout`.
    pub fn submit_and_wait_for(&mut self, timeout: std::time::Duration) -> io::Result<()> {
        let ts = types::Timespec::from(timeout);
        let args = types::SubmitArgs::new().timespec(&ts);
        match self.ring.submitter().submit_with_args(1, &args) {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.raw_os_error(), Some(libc::ETIME | libc::EINTR)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The next finished operation, if any. Short writes are resubmitted
    /// here and not reported.
    pub fn poll(&mut self) -> Result<Option<Completion>, SubmitError> {
        // The host is done with the buffers of earlier completions.
        for slot in self.slots.iter_mut() {
            if let (Some(p), Some(bid)) = (&mut slot.provided, slot.held.take()) {
                p.give_back(bid);
            }
        }
        loop {
            let Some(cqe) = self.ring.completion().next() else { return Ok(None) };
            if cqe.user_data() == NOP {
                self.nop_in_flight = false;
                continue;
            }
            let conn = (cqe.user_data() >> OP_BITS) as usize;
            let result = cqe.result();
            if cqe.user_data() & 1 == 0 {
                let slot = &mut self.slots[conn];
                if slot.provided.is_none() || !cqueue::more(cqe.flags()) {
                    slot.recv_in_flight = false;
                }
                if slot.provided.is_some() && result == -libc::ENOBUFS {
                    // Every buffer was taken before the host gave one back:
                    // nothing is lost (the data waits in the socket); arm again.
                    self.recv(conn)?;
                    continue;
                }
                slot.held = cqueue::buffer_select(cqe.flags());
                return Ok(Some(match usize::try_from(result) {
                    Ok(len) => Completion::Received { conn, len },
                    Err(_) => Completion::Failed { conn, op: Op::Recv, errno: -result },
                }));
            }
            let slot = &mut self.slots[conn];
            match usize::try_from(result) {
                Ok(written) if slot.send_done + written < slot.send_len => {
                    slot.send_done += written;
                    let (from, to) = (slot.send_done, slot.send_len);
                    self.submit_write(conn, from, to)?;
                }
                Ok(_) => return Ok(Some(Completion::Sent { conn, len: std::mem::take(&mut slot.send_len) })),
                Err(_) => {
                    slot.send_len = 0;
                    return Ok(Some(Completion::Failed { conn, op: Op::Send, errno: -result }));
                }
            }
        }
    }
}

fn user_data(conn: Conn, op: Op) -> u64 {
    ((conn as u64) << OP_BITS) | matches!(op, Op::Send) as u64
}

fn push(ring: &mut IoUring, entry: &squeue::Entry) -> Result<(), SubmitError> {
    // SAFETY: every buffer an entry points at is a registered buffer owned
    // by the ring's slots, and the in-flight flags keep it from being
    // reused or refilled until its completion is reaped.
    unsafe { ring.submission().push(entry) }.map_err(|_| SubmitError::QueueFull)
}

/// One TCP connection on a ring of its own, used as a blocking stream with
/// deadlines: the engine's transport for paths that run before or outside
/// its loop (`hotline probe`, the TLS peer tests).
pub struct RingStream {
    ring: Ring,
    /// A receive that completed while a send was awaited.
    ready: Option<usize>,
    // Dropped after the ring, which holds it as a fixed file.
    _socket: OwnedFd,
}

impl std::fmt::Debug for RingStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RingStream").field("ring", &self.ring).finish_non_exhaustive()
    }
}

impl RingStream {
    /// Puts `socket` (a connected TCP stream) on a new ring. Receives are
    /// single-shot: a receive that completes while a send is awaited must
    /// keep its bytes until [`RingStream::recv`], and a provided buffer
    /// would go back to the kernel at the next poll.
    pub fn new(socket: OwnedFd, config: &RingConfig) -> io::Result<Self> {
        let ring = Ring::new(&RingConfig { multishot: false, ..*config }, &[socket.as_fd()])?;
        Ok(Self { ring, ready: None, _socket: socket })
    }

    /// Sends all of `data`, waiting for each write to complete.
    pub fn send_all(&mut self, mut data: &[u8], deadline: Instant) -> io::Result<()> {
        while !data.is_empty() {
            let buf = self.ring.send_buffer(0).ok_or_else(|| io::Error::other("a send is already in flight"))?;
            let n = buf.len().min(data.len());
            buf[..n].copy_from_slice(&data[..n]);
            self.ring.send(0, n).map_err(submit_error)?;
            loop {
                match self.next(deadline)? {
                    Completion::Sent { .. } => break,
                    Completion::Received { len, .. } => self.ready = Some(len),
                    Completion::Failed { errno, .. } => return Err(io::Error::from_raw_os_error(errno)),
                }
            }
            data = &data[n..];
        }
        Ok(())
    }

    /// The next bytes received (empty at end of stream), valid until the
    /// next call; [`io::ErrorKind::TimedOut`] once `deadline` passes.
    pub fn recv(&mut self, deadline: Instant) -> io::Result<&[u8]> {
        let len = match self.ready.take() {
            Some(len) => len,
            None => {
                match self.ring.recv(0) {
                    Ok(()) | Err(SubmitError::Busy) => {}
                    Err(e) => return Err(submit_error(e)),
                }
                loop {
                    match self.next(deadline)? {
                        Completion::Received { len, .. } => break len,
                        Completion::Sent { .. } => {}
                        Completion::Failed { errno, .. } => return Err(io::Error::from_raw_os_error(errno)),
                    }
                }
            }
        };
        Ok(self.ring.received(0, len))
    }

    /// The next completion, waiting in the kernel up to `deadline`.
    fn next(&mut self, deadline: Instant) -> io::Result<Completion> {
        loop {
            if let Some(done) = self.ring.poll().map_err(submit_error)? {
                return Ok(done);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"));
            }
            self.ring.submit_and_wait_for(left)?;
        }
    }
}

fn submit_error(e: SubmitError) -> io::Error {
    io::Error::other(format!("io_uring: {e:?}"))
}
