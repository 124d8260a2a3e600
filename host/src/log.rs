//! Binary logging with defmt on the Linux host: log sites turn into compact
//! frames in a file, and that file back into text. Log sites encode only an
//! index into the binary's `.defmt` section plus their raw arguments, so a
//! log call on the hot path costs a few stores. Frames go into a lock-free
//! single-producer/single-consumer byte ring; a background thread drains it
//! to a file, and `hotline log FILE` decodes that file against the binary
//! with `defmt-decoder`. The `.defmt` section is placed by
//! `linker/defmt-host.ld` (passed to the `hotline` binary only, which is
//! linked non-PIE so that a log index equals its address in the ELF).
//!
//! A frame that does not fit in the ring is dropped whole and counted: the
//! engine never waits for the disk.
#![allow(unsafe_code)]

use std::cell::UnsafeCell;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Bytes in the ring between log sites and the drain thread.
const RING_BYTES: usize = 1 << 20;
/// The largest frame; longer frames are dropped.
const MAX_FRAME: usize = 1024;

/// The byte ring. Producer: whoever holds the logger; consumer: the drain
/// thread. Positions grow without bound and are reduced modulo the size.
struct ByteRing {
    bytes: [AtomicU8; RING_BYTES],
    head: AtomicUsize,
    tail: AtomicUsize,
}

static RING: ByteRing =
    ByteRing { bytes: [const { AtomicU8::new(0) }; RING_BYTES], head: AtomicUsize::new(0), tail: AtomicUsize::new(0) };
static DROPPED: AtomicU64 = AtomicU64::new(0);
static TAKEN: AtomicBool = AtomicBool::new(false);
static EPOCH: OnceLock<Instant> = OnceLock::new();

/// The frame being encoded, owned by whoever set `TAKEN`.
struct Staging {
    encoder: defmt::Encoder,
    frame: [u8; MAX_FRAME],
    len: usize,
    overflow: bool,
}

struct Shared(UnsafeCell<Staging>);

// SAFETY: the staging frame is only touched between `acquire` (which takes
// `TAKEN`) and `release` (which clears it), so by one thread at a time.
unsafe impl Sync for Shared {}

static STAGING: Shared =
    Shared(UnsafeCell::new(Staging { encoder: defmt::Encoder::new(), frame: [0; MAX_FRAME], len: 0, overflow: false }));

impl Staging {
    fn sink(frame: &mut [u8; MAX_FRAME], len: &mut usize, overflow: &mut bool) -> impl FnMut(&[u8]) {
        move |bytes: &[u8]| match frame.get_mut(*len..*len + bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                *len += bytes.len();
            }
            None => *overflow = true,
        }
    }
}

#[defmt::global_logger]
struct Logger;

// SAFETY: `acquire` takes a spin lock that `release` frees, so defmt's
// contract (no reentrant or concurrent frames) holds across threads.
unsafe impl defmt::Logger for Logger {
    fn acquire() {
        while TAKEN.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            std::hint::spin_loop();
        }
        // SAFETY: the lock is held; see `Shared`.
        let staging = unsafe { &mut *STAGING.0.get() };
        staging.len = 0;
        staging.overflow = false;
        let Staging { encoder, frame, len, overflow } = staging;
        encoder.start_frame(Staging::sink(frame, len, overflow));
    }

    unsafe fn flush() {}

    unsafe fn release() {
        // SAFETY: defmt calls `release` only after `acquire`; the lock is held.
        let staging = unsafe { &mut *STAGING.0.get() };
        let Staging { encoder, frame, len, overflow } = staging;
        encoder.end_frame(Staging::sink(frame, len, overflow));
        if staging.overflow || !push(&staging.frame[..staging.len]) {
            DROPPED.fetch_add(1, Ordering::Relaxed);
        }
        TAKEN.store(false, Ordering::Release);
    }

    unsafe fn write(bytes: &[u8]) {
        // SAFETY: defmt calls `write` only between `acquire` and `release`.
        let staging = unsafe { &mut *STAGING.0.get() };
        let Staging { encoder, frame, len, overflow } = staging;
        encoder.write(bytes, Staging::sink(frame, len, overflow));
    }
}

defmt::timestamp!("{=u64:us}", EPOCH.get_or_init(Instant::now).elapsed().as_micros() as u64);

/// Appends a whole frame to the ring, or nothing if it does not fit.
fn push(frame: &[u8]) -> bool {
    let head = RING.head.load(Ordering::Relaxed);
    let tail = RING.tail.load(Ordering::Acquire);
    if RING_BYTES - (head - tail) < frame.len() {
        return false;
    }
    for (i, &byte) in frame.iter().enumerate() {
        RING.bytes[(head + i) % RING_BYTES].store(byte, Ordering::Relaxed);
    }
    RING.head.store(head + frame.len(), Ordering::Release);
    true
}

/// Moves everything in the ring into `out`; returns the number of bytes.
fn drain_into(out: &mut impl Write) -> io::Result<usize> {
    let head = RING.head.load(Ordering::Acquire);
    let tail = RING.tail.load(Ordering::Relaxed);
    let mut chunk = [0u8; 4096];
    let mut at = tail;
    while at < head {
        let n = (head - at).min(chunk.len());
        for (i, byte) in chunk[..n].iter_mut().enumerate() {
            *byte = RING.bytes[(at + i) % RING_BYTES].load(Ordering::Relaxed);
        }
        out.write_all(&chunk[..n])?;
        at += n;
    }
    RING.tail.store(head, Ordering::Release);
    Ok(head - tail)
}

/// The drain thread writing the ring to a file.
#[derive(Debug)]
pub struct LogFile {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<io::Result<u64>>,
}

/// What a log file received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSummary {
    /// Bytes written to the file.
    pub bytes: u64,
    /// Frames dropped because the ring was full or a frame too long.
    pub dropped: u64,
}

impl LogFile {
    /// Creates `path` and starts draining the ring into it every millisecond.
    pub fn start(path: &Path) -> io::Result<Self> {
        EPOCH.get_or_init(Instant::now);
        let file = File::create(path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = thread::Builder::new().name("hotline-log".into()).spawn(move || {
            let mut out = BufWriter::new(file);
            let mut total = 0u64;
            while !stopping.load(Ordering::Acquire) {
                let n = drain_into(&mut out)?;
                total += n as u64;
                if n == 0 {
                    out.flush()?;
                    thread::sleep(Duration::from_millis(1));
                }
            }
            total += drain_into(&mut out)? as u64;
            out.flush()?;
            Ok(total)
        })?;
        Ok(Self { path: path.to_owned(), stop, thread })
    }

    /// Where the log goes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes out what is left and closes the file.
    pub fn finish(self) -> io::Result<LogSummary> {
        self.stop.store(true, Ordering::Release);
        let bytes = self.thread.join().map_err(|_| io::Error::other("the log thread panicked"))??;
        Ok(LogSummary { bytes, dropped: DROPPED.load(Ordering::Relaxed) })
    }
}

/// Decodes a log written by the binary `elf` into one line per frame:
/// timestamp, level and message. Returns the number of frames.
pub fn decode(elf: &[u8], log: &[u8], out: &mut impl Write) -> Result<usize, String> {
    let table = defmt_decoder::Table::parse(elf)
        .map_err(|e| format!("reading the binary's defmt table: {e}"))?
        .ok_or("the binary has no .defmt section: was it linked with linker/defmt-host.ld?")?;
    let mut decoder = table.new_stream_decoder();
    decoder.received(log);
    let mut frames = 0;
    loop {
        match decoder.decode() {
            Ok(frame) => {
                let level = frame.level().map_or("-", |l| l.as_str());
                writeln!(
                    out,
                    "{} {level:<5} {}",
                    frame.display_timestamp().map_or(String::new(), |t| t.to_string()),
                    frame.display_message()
                )
                .map_err(|e| e.to_string())?;
                frames += 1;
            }
            Err(defmt_decoder::DecodeError::UnexpectedEof) if frames == 0 && !log.is_empty() => {
                return Err("no complete defmt frame: the file is not a hotline log".to_owned());
            }
            Err(defmt_decoder::DecodeError::UnexpectedEof) => return Ok(frames),
            Err(defmt_decoder::DecodeError::Malformed) => {
                return Err(format!("malformed frame after {frames} frames: the log does not match this binary"));
            }
        }
    }
}
