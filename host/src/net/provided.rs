//! A ring of provided buffers (`io_uring_register_buf_ring(3)`) for one
//! connection's multishot receive: the kernel picks a free buffer for each
//! arrival and names it in the completion, so one submission keeps
//! receiving until it is cancelled or the buffers run out. A delivered
//! buffer is the host's until it is given back, which puts it at the
//! ring's tail again.

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::io;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU16, Ordering};

use io_uring::IoUring;
use io_uring::types::BufRingEntry;

/// The kernel maps the ring by pages.
const PAGE: usize = 4096;

/// The buffers and the ring of entries that offers them to the kernel.
pub(crate) struct Provided {
    entries: NonNull<BufRingEntry>,
    layout: Layout,
    buffers: Box<[u8]>,
    size: usize,
    count: u16,
    tail: u16,
}

impl Provided {
    /// `count` (a power of two) buffers of `size` bytes, all offered.
    pub(crate) fn new(count: u16, size: usize) -> io::Result<Self> {
        if !count.is_power_of_two() || size == 0 || u32::try_from(size).is_err() {
            return Err(io::Error::other("provided buffers: count must be a power of two, size 1..4 GiB"));
        }
        let layout = Layout::from_size_align(usize::from(count) * size_of::<BufRingEntry>(), PAGE)
            .map_err(|e| io::Error::other(format!("provided buffers: {e}")))?;
        // SAFETY: the layout has a non-zero size (count ≥ 1, entries are
        // 16 bytes); zeroed memory is a valid ring of empty entries.
        let raw = unsafe { alloc_zeroed(layout) };
        let entries = NonNull::new(raw.cast::<BufRingEntry>()).ok_or_else(|| io::Error::other("out of memory"))?;
        let mut provided = Self {
            entries,
            layout,
            buffers: vec![0; usize::from(count) * size].into_boxed_slice(),
            size,
            count,
            tail: 0,
        };
        for bid in 0..count {
            provided.give_back(bid);
        }
        Ok(provided)
    }

    /// Registers the ring as buffer group `group` of `ring`.
    pub(crate) fn register(&self, ring: &IoUring, group: u16) -> io::Result<()> {
        // SAFETY: the entries stay allocated and in place until `self` is
        // dropped, which the ring's owner does only after the ring itself.
        unsafe { ring.submitter().register_buf_ring_with_flags(self.entries.as_ptr() as u64, self.count, group, 0) }
    }

    /// The first `len` bytes of buffer `bid`.
    pub(crate) fn buffer(&self, bid: u16, len: usize) -> &[u8] {
        let start = usize::from(bid % self.count) * self.size;
        &self.buffers[start..start + len.min(self.size)]
    }

    /// Offers buffer `bid` to the kernel again.
    pub(crate) fn give_back(&mut self, bid: u16) {
        let bid = bid % self.count;
        let index = usize::from(self.tail & (self.count - 1));
        let addr = self.buffers[usize::from(bid) * self.size..].as_ptr() as u64;
        // SAFETY: `index` < count, inside the allocation; the kernel reads
        // an entry only after the tail store below publishes it.
        let entry = unsafe { &mut *self.entries.as_ptr().add(index) };
        entry.set_addr(addr);
        entry.set_len(self.size as u32);
        entry.set_bid(bid);
        self.tail = self.tail.wrapping_add(1);
        // SAFETY: the tail field lives in the first entry of the ring (the
        // kernel's layout); it is written with release ordering so the
        // entry above is visible before it.
        let tail = unsafe { AtomicU16::from_ptr(BufRingEntry::tail(self.entries.as_ptr()).cast_mut()) };
        tail.store(self.tail, Ordering::Release);
    }
}

impl Drop for Provided {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout, freed once.
        unsafe { dealloc(self.entries.as_ptr().cast(), self.layout) };
    }
}
