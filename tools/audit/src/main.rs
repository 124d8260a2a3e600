//! The zero-allocation audit image. `_start` drives every public entry point
//! of hotline-core with opaque inputs (`black_box`), so each generic and
//! each function is instantiated and kept to the link. No global allocator
//! is defined and no libc is linked (linker/audit.ld): if anything reachable
//! from the core needs `alloc`, this image does not build.
#![no_std]
#![no_main]

use core::hint::black_box;

#[cfg(feature = "canary")]
extern crate alloc;

mod ws {
    use core::hint::black_box;

    use hotline_core::ws::{Client, Decoder, FrameHeader, Opcode, Request, encode_frame, mask};

    pub(crate) fn exercise() {
        let mut out = [0u8; 512];
        let mut message = [0u8; 256];
        let request = Request { host: black_box("h"), path: black_box("/"), key: black_box([0; 16]), headers: &[] };
        if let Ok((mut client, _)) = Client::connect(&request, &mut out, &mut message) {
            let input = black_box([0u8; 64]);
            let _ = black_box(client.handle_input(&input).is_ok());
            client.close(black_box(1000), black_box("bye"));
            let _ = black_box(client.poll_transmit(&mut out, black_box([1; 4])).is_some());
            let _ = black_box(client.encode(&mut out, 14, 8, Opcode::Text, true, black_box([1; 4])).is_ok());
        }
        let mut buffer = [0u8; 64];
        let mut decoder = Decoder::new(&mut buffer);
        let _ = black_box(decoder.decode(&black_box([0x81, 1, b'a'])).is_ok());
        let _ = black_box(FrameHeader::parse(&black_box([0x81, 0])).is_ok());
        let _ = black_box(encode_frame(&mut out, 14, 10, Opcode::Binary, true, black_box([2; 4])).is_ok());
        mask::apply_mask(&mut out, black_box([3; 4]));
        black_box(&out);
    }
}

/// The image's entry point; it never returns and is never run for real.
#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    ws::exercise();
    #[cfg(feature = "canary")]
    black_box(alloc::vec::Vec::<u8>::with_capacity(black_box(8)));
    loop {
        black_box(());
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        black_box(());
    }
}

/// The precompiled `core` for this target is built with unwind tables that
/// name a personality routine; with `panic = "abort"` it is never called.
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}

/// The memory intrinsics LLVM emits calls to; libc would provide them in
/// a hosted build. Byte loops are enough: this image only has to link.
mod intrinsics {
    #[unsafe(no_mangle)]
    unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
        // SAFETY: the caller (compiler-generated code) guarantees both
        // ranges are valid for `n` bytes and do not overlap.
        unsafe { copy_forward(dst, src, n) };
        dst
    }

    #[unsafe(no_mangle)]
    unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
        if (dst as usize) <= (src as usize) {
            // SAFETY: both ranges are valid for `n` bytes; copying forward is
            // correct when the destination starts at or before the source.
            unsafe { copy_forward(dst, src, n) };
        } else {
            for i in (0..n).rev() {
                // SAFETY: `i < n`, within both valid ranges; copying backward
                // is correct when the destination starts after the source.
                unsafe { dst.add(i).write_volatile(src.add(i).read_volatile()) };
            }
        }
        dst
    }

    #[unsafe(no_mangle)]
    unsafe extern "C" fn memset(dst: *mut u8, value: i32, n: usize) -> *mut u8 {
        for i in 0..n {
            // SAFETY: the caller guarantees `dst` is valid for `n` bytes.
            unsafe { dst.add(i).write_volatile(value as u8) };
        }
        dst
    }

    #[unsafe(no_mangle)]
    unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
        for i in 0..n {
            // SAFETY: the caller guarantees both ranges are valid for `n` bytes.
            let (x, y) = unsafe { (a.add(i).read_volatile(), b.add(i).read_volatile()) };
            if x != y {
                return i32::from(x) - i32::from(y);
            }
        }
        0
    }

    #[unsafe(no_mangle)]
    unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
        // SAFETY: same contract as memcmp.
        unsafe { memcmp(a, b, n) }
    }

    /// Volatile accesses keep LLVM from turning these loops back into
    /// calls to the very functions they implement.
    unsafe fn copy_forward(dst: *mut u8, src: *const u8, n: usize) {
        for i in 0..n {
            // SAFETY: the caller guarantees both ranges are valid for `n` bytes.
            unsafe { dst.add(i).write_volatile(src.add(i).read_volatile()) };
        }
    }
}
