//! A per-thread spare pixel buffer, so that decoding one large JPEG after another does not
//! map, fault in and unmap a fresh buffer each time.
//!
//! Owns `take` and `give_back`. A 12-MP picture's RGB pixels are 36 MB, more than glibc's
//! largest mmap threshold (32 MiB), so every such buffer was its own mapping: the kernel
//! faulted in and zeroed about 9,000 pages per picture and unmapped them when it was
//! dropped. Each thread now keeps the last decoded picture's buffer, and its next JPEG is
//! decoded into it. The buffer is zeroed before every reuse, exactly as a fresh one is, so
//! nothing of one picture can reach another's hashes. A buffer larger than `KEEP_AT_MOST`
//! is not kept: one huge picture does not hold its memory for the rest of the scan.

use std::cell::RefCell;

use image::DynamicImage;

/// The largest buffer a thread keeps between pictures: a 20-MP RGB picture.
const KEEP_AT_MOST: usize = 64 << 20;

thread_local! {
    static SPARE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A zeroed buffer of `len` bytes: this thread's spare if it has one, else a new one.
pub(crate) fn take(len: usize) -> Vec<u8> {
    let mut buf = SPARE.with_borrow_mut(std::mem::take);
    if buf.capacity() < len {
        // Too small: growing it would copy its stale bytes only to zero them.
        return vec![0; len];
    }
    buf.clear();
    buf.resize(len, 0);
    buf
}

/// Keeps a hashed picture's 8-bit buffer as this thread's spare (the larger of it and the
/// current spare, up to `KEEP_AT_MOST`); other pictures are simply dropped.
pub(crate) fn give_back(image: DynamicImage) {
    let buf = match image {
        DynamicImage::ImageRgb8(p) => p.into_raw(),
        DynamicImage::ImageLuma8(p) => p.into_raw(),
        DynamicImage::ImageRgba8(p) => p.into_raw(),
        _ => return,
    };
    if buf.capacity() > KEEP_AT_MOST {
        return;
    }
    SPARE.with_borrow_mut(|spare| {
        if buf.capacity() > spare.capacity() {
            *spare = buf;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::RgbImage;

    #[test]
    fn a_reused_buffer_is_zeroed_and_keeps_its_memory() {
        let picture = RgbImage::from_pixel(100, 10, image::Rgb([200, 100, 50]));
        give_back(DynamicImage::ImageRgb8(picture));
        let reused = take(2000);
        assert_eq!(reused.len(), 2000);
        assert!(
            reused.iter().all(|&b| b == 0),
            "no byte of the last picture"
        );
        assert!(
            reused.capacity() >= 3000,
            "the spare's memory, not a new buffer"
        );
        // Taken: the thread has no spare until one is given back.
        assert!(take(10).capacity() < 1024);
    }

    #[test]
    fn huge_buffers_are_not_kept() {
        let _ = take(0);
        let huge = image::GrayImage::new(1, (KEEP_AT_MOST + 1) as u32);
        give_back(DynamicImage::ImageLuma8(huge));
        assert!(take(1).capacity() < 1024, "a new buffer, not the huge one");
    }
}
