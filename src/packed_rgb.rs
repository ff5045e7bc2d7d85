//! Eight packed 8-bit RGB or RGBA pixels as three f32 vectors (red, green, blue) with
//! AVX2: the gather both per-pixel colour conversions share, PDQ's luma (`pdq::luma`) and
//! image-rs's grey for pHash, dHash and aHash (`perceptual::grey`).
//!
//! Owns `avx2::for_each_eight`. A compiler does not vectorise a loop over three-byte
//! pixels by itself (they straddle vector lanes); here each step loads pixels 0–3 and 4–7
//! of a group into the two 128-bit halves of one register and a byte shuffle per channel
//! moves each pixel's byte into the low byte of an i32 lane, converted to f32 (exact for
//! 0–255). What the caller computes from the three vectors is its own.
//!
//! The `unsafe` here is two unaligned loads from a bounds-checked slice and the loads of
//! the shuffle masks from their arrays.

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2 {
    use std::arch::x86_64::{
        __m256, __m256i, _mm256_cvtepi32_ps, _mm256_loadu_si256, _mm256_set_m128i,
        _mm256_shuffle_epi8, _mm_loadu_si128,
    };

    /// The shuffle that moves channel `channel` of four packed pixels of `C` bytes (in each
    /// 128-bit half) into the low byte of four i32 lanes, zeroing the other bytes.
    fn gather_mask<const C: usize>(channel: usize) -> [i8; 32] {
        let mut mask = [-1i8; 32];
        for pixel in 0..4 {
            let byte = (channel + C * pixel) as i8;
            mask[4 * pixel] = byte;
            mask[16 + 4 * pixel] = byte;
        }
        mask
    }

    /// Loads a 32-byte shuffle mask.
    #[target_feature(enable = "avx2")]
    pub(crate) fn load_mask(mask: [i8; 32]) -> __m256i {
        // SAFETY: reads 32 bytes from a 32-byte array.
        #[allow(unsafe_code)]
        unsafe {
            _mm256_loadu_si256(mask.as_ptr().cast::<__m256i>())
        }
    }

    /// Calls `each(first, [r, g, b])` for consecutive groups of eight pixels of `raw`
    /// (packed, `C` bytes each, red first; `C` is 3 or 4), `first` being the group's first
    /// pixel, for as many of the first `pixels` as whole groups cover while `raw` holds
    /// the `4·C + 16` bytes a step reads. Returns how many pixels it covered: the caller
    /// converts the rest (under ten).
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(crate) fn for_each_eight<const C: usize>(
        raw: &[u8],
        pixels: usize,
        mut each: impl FnMut(usize, [__m256; 3]),
    ) -> usize {
        const { assert!(C == 3 || C == 4) };
        let masks = [0, 1, 2].map(|channel| load_mask(gather_mask::<C>(channel)));
        let pixels = pixels.min(raw.len() / C);
        let mut done = 0;
        while done + 8 <= pixels && done * C + 4 * C + 16 <= raw.len() {
            let bytes = &raw[done * C..][..4 * C + 16];
            // SAFETY: `bytes` holds 4·C + 16 bytes, so both 16-byte loads are in bounds.
            #[allow(unsafe_code)]
            let (lo, hi) = unsafe {
                (
                    _mm_loadu_si128(bytes.as_ptr().cast()),
                    _mm_loadu_si128(bytes[4 * C..].as_ptr().cast()),
                )
            };
            let v = _mm256_set_m128i(hi, lo);
            each(
                done,
                masks.map(|mask| _mm256_cvtepi32_ps(_mm256_shuffle_epi8(v, mask))),
            );
            done += 8;
        }
        done
    }
}
