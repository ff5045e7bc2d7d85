//! Packed RGB and RGBA bytes → f32 luma, eight pixels at a time with AVX2, picked at run
//! time: the conversion every colour picture's every pixel goes through.
//!
//! Owns `convert_packed`. The compiler does not vectorise the scalar loop in `luma` (its
//! three-byte pixels straddle vector lanes), so it costs about 0.5 ns a pixel; this path,
//! about 0.19 ns (12 MP in strips of 8 rows, medians of 30, 2026-12-04). The channels come
//! as f32 from `packed_rgb`, are multiplied by the same `f32` coefficients and summed as
//! `(R·r + G·g) + B·b`:
//! the scalar formula's operations in its order, with no fused multiply-add (AVX2 has
//! none; FMA is a separate feature, never enabled here). Every value equals the scalar
//! path's bit for bit, tested over all 2^24 colours.
//!
//! The `unsafe` is the call into the AVX2 function, made only after the CPU said it has
//! AVX2, and its stores into a bounds-checked slice.

/// Converts as many leading pixels of `raw` (packed, `C` bytes each, red first; `C` is 3 or
/// 4) into `out` as the CPU's vector path takes, and returns how many it did: 0 without
/// AVX2, else all but a tail of under ten pixels. The caller converts the rest.
pub(super) fn convert_packed<const C: usize>(raw: &[u8], out: &mut [f32]) -> usize {
    const { assert!(C == 3 || C == 4) };
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `avx2::convert` only needs the CPU to execute AVX2 instructions, which
        // the detection on the line above has just confirmed.
        #[allow(unsafe_code)]
        return unsafe { avx2::convert::<C>(raw, out) };
    }
    let _ = (raw, out);
    0
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{_mm256_add_ps, _mm256_mul_ps, _mm256_set1_ps, _mm256_storeu_ps};

    use super::super::{LUMA_B, LUMA_G, LUMA_R};
    use crate::packed_rgb::avx2::for_each_eight;

    /// See `convert_packed`.
    #[target_feature(enable = "avx2")]
    #[allow(unsafe_code)]
    pub(super) unsafe fn convert<const C: usize>(raw: &[u8], out: &mut [f32]) -> usize {
        let [cr, cg, cb] = [LUMA_R, LUMA_G, LUMA_B].map(|k| _mm256_set1_ps(k));
        for_each_eight::<C>(raw, out.len(), |first, [r, g, b]| {
            let luma = _mm256_add_ps(
                _mm256_add_ps(_mm256_mul_ps(cr, r), _mm256_mul_ps(cg, g)),
                _mm256_mul_ps(cb, b),
            );
            let dst = &mut out[first..][..8];
            // SAFETY: `dst` holds 8 f32, the 32 bytes stored.
            unsafe { _mm256_storeu_ps(dst.as_mut_ptr(), luma) };
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(r: u8, g: u8, b: u8) -> f32 {
        super::super::rgb(r, g, b)
    }

    #[test]
    fn every_colour_converts_exactly_as_the_scalar_formula() {
        if !cfg!(target_arch = "x86_64") || !std::arch::is_x86_feature_detected!("avx2") {
            eprintln!("NOTICE: this CPU has no AVX2; the vector path was not checked");
            return;
        }
        // All 2^24 colours, a red-green plane per blue level.
        let mut raw = Vec::with_capacity(3 << 16);
        let mut out = vec![0.0f32; 1 << 16];
        for b in 0..=255u8 {
            raw.clear();
            for r in 0..=255u8 {
                for g in 0..=255u8 {
                    raw.extend([r, g, b]);
                }
            }
            let done = convert_packed::<3>(&raw, &mut out);
            assert!(done >= out.len() - 10, "{done}");
            for (k, (px, &y)) in raw.as_chunks::<3>().0.iter().zip(&out[..done]).enumerate() {
                assert_eq!(
                    y.to_bits(),
                    scalar(px[0], px[1], px[2]).to_bits(),
                    "pixel {k}"
                );
            }
        }
    }

    #[test]
    fn rgba_skips_alpha_and_leaves_a_short_tail() {
        if !cfg!(target_arch = "x86_64") || !std::arch::is_x86_feature_detected!("avx2") {
            eprintln!("NOTICE: this CPU has no AVX2; the vector path was not checked");
            return;
        }
        for pixels in [0, 7, 8, 9, 10, 11, 17, 100, 1001] {
            let raw: Vec<u8> = (0..pixels * 4).map(|k| (k * 37 % 251) as u8).collect();
            let mut out = vec![f32::NAN; pixels];
            let done = convert_packed::<4>(&raw, &mut out);
            // A step needs 32 bytes: whole steps of 8 while 8 pixels remain.
            assert_eq!(done, pixels / 8 * 8, "{pixels} px");
            for (px, &y) in raw.as_chunks::<4>().0.iter().zip(&out[..done]) {
                assert_eq!(y.to_bits(), scalar(px[0], px[1], px[2]).to_bits());
            }
            assert!(
                out[done..].iter().all(|y| y.is_nan()),
                "tail left to the caller"
            );
        }
    }
}
