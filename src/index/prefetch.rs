//! Software prefetch: asks the CPU to start loading a cache line that a later phase of a
//! probe will read, without waiting for it.
//!
//! Owns: the index's one `unsafe` block (the crate's others are the AVX2 calls in `pdq`).
//! A probe reads thousands of scattered lines (bucket records, bucket entries, candidate
//! hashes). A plain load that misses holds
//! its place in the CPU's reorder window until the line arrives, so only a few dozen misses
//! overlap; a prefetch retires at once, so a whole phase's misses are in flight together.
//!
//! Lines go to L2 (`PREFETCHT1`), not L1 (`PREFETCHT0`). A phase prefetches thousands of
//! lines before the next phase reads them, more than L1's 512, so most of what `T0` brought
//! into L1 was probably evicted again before its read. With `T1` (interleaved rounds in one
//! process, medians of 40 × 500 queries) queries took 1.15–1.22× less time at 10M uniform
//! PDQ, 1.14–1.30× at 1M clustered and 1.20× at 1M uniform, and the same at 100k.
//! `PREFETCHT2` measured the same as `T1`; `PREFETCHNTA` was 2–8% slower than `T0`.

/// Starts loading the line holding `items[at]` into L2 (and L3). An `at` past the
/// end is harmless: the address is never dereferenced and a prefetch cannot fault.
#[inline(always)]
pub(crate) fn prefetch<T>(items: &[T], at: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T1};
        let line = items.as_ptr().wrapping_add(at).cast::<i8>();
        // SAFETY: `_mm_prefetch` is unsafe only because it is an SSE intrinsic, and SSE is
        // part of the x86_64 baseline, so the instruction always exists. PREFETCHT1 is a
        // hint: it reads no data into the program, never faults, and any address is valid.
        #[allow(unsafe_code)]
        unsafe {
            _mm_prefetch::<_MM_HINT_T1>(line)
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (items, at);
}
