//! The 8-bit grey picture pHash, dHash and aHash start from: image-rs's `to_luma8`, bit
//! for bit, at a fraction of its cost.
//!
//! Owns `GreyRows`. image-rs 0.25.10 converts 8-bit sRGB to grey through its colour-space
//! machinery, 256 pixels at a time through f32 buffers: per pixel
//! `v = c as f32 · (1/255)` for each channel, `luma = ((0 + r·kr) + g·kg) + b·kb` with the
//! BT.709 luminance row its CMS derives (`KR`, `KG`, `KB` below), then
//! `(luma · 255).round() as u8`. On corpus A that was 15% of a scan computing all four
//! perceptual hashes. Here the same operations, in the same order, run eight pixels at a
//! time with AVX2 (runtime detection; the scalar formula otherwise and for the last few
//! pixels). image-rs multiplies and adds separately unless the build enables FMA, and so
//! does this module; an FMA build, a picture in another colour space and every other pixel
//! type go to `to_luma8` itself. Tested equal to `to_luma8` over all 2^24 colours, RGB and
//! RGBA, on both paths.
//!
//! Even so, a second full pass over a 12-MP picture's 36 MB of pixels waits on memory, so
//! the grey picture is built band by band beside PDQ's luma conversion
//! (`pdq_from_image_observed`), while each band is still in the cache.
//!
//! The `unsafe` is the call into the AVX2 function after detection; the pixels come as
//! f32 vectors from `packed_rgb`.

use image::metadata::Cicp;
use image::{DynamicImage, GrayImage};

/// The Y row of BT.709 primaries to XYZ with a D65 white point, as image-rs's CMS (moxcms
/// 0.8) computes it in f32: 0.21264784, 0.7151792, 0.07217304.
const KR: f32 = f32::from_bits(0x3E59_C05B);
const KG: f32 = f32::from_bits(0x3F37_15FC);
const KB: f32 = f32::from_bits(0x3D93_CF75);

/// image-rs's `1.0 / u8::MAX as f32`.
const UNIT: f32 = 1.0 / 255.0;

/// `image.to_luma8()`, the same bytes, built a band of rows at a time so that it can ride along with another pass
/// over the same pixels (the PDQ luma conversion) while they are still in the CPU's cache:
/// a 12-MP picture's 36 MB of pixels do not stay there until a second full pass.
pub(crate) struct GreyRows<'a> {
    image: &'a DynamicImage,
    /// The grey bytes so far, for a picture this module converts itself; `None` for one
    /// left to `to_luma8`.
    grey: Option<Vec<u8>>,
    /// Rows 0..done are converted.
    done: usize,
}

impl<'a> GreyRows<'a> {
    pub(crate) fn new(image: &'a DynamicImage) -> Self {
        let exact_path = !cfg!(target_feature = "fma") && image.color_space() == Cicp::SRGB;
        let ours = matches!(
            image,
            DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_)
        );
        let pixels = image.width() as usize * image.height() as usize;
        GreyRows {
            image,
            grey: (exact_path && ours).then(|| vec![0u8; pixels]),
            done: 0,
        }
    }

    /// Converts the rows of `rows` not converted yet, when they continue the converted
    /// ones (anything else is left to `finish`).
    pub(crate) fn convert(&mut self, rows: std::ops::Range<usize>) {
        let Some(grey) = self.grey.as_mut() else {
            return;
        };
        let end = rows.end.min(self.image.height() as usize);
        if rows.start > self.done || end <= self.done {
            return;
        }
        let width = self.image.width() as usize;
        let (first, last) = (self.done * width, end * width);
        match self.image {
            DynamicImage::ImageRgb8(p) => {
                packed::<3>(&p.as_raw()[first * 3..last * 3], &mut grey[first..last])
            }
            DynamicImage::ImageRgba8(p) => {
                packed::<4>(&p.as_raw()[first * 4..last * 4], &mut grey[first..last])
            }
            _ => {}
        }
        self.done = end;
    }

    /// The whole grey picture: the rows not converted yet are converted now.
    pub(crate) fn finish(mut self) -> GrayImage {
        let (width, height) = (self.image.width(), self.image.height());
        self.convert(self.done..height as usize);
        self.grey
            .and_then(|grey| GrayImage::from_raw(width, height, grey))
            .unwrap_or_else(|| self.image.to_luma8())
    }
}

/// One grey byte per packed pixel of `C` bytes (red first).
fn packed<const C: usize>(raw: &[u8], grey: &mut [u8]) {
    let done = vector::convert::<C>(raw, grey);
    scalar::<C>(&raw[done * C..], &mut grey[done..]);
}

fn scalar<const C: usize>(raw: &[u8], grey: &mut [u8]) {
    for (g, px) in grey.iter_mut().zip(raw.as_chunks::<C>().0) {
        *g = pixel(px[0], px[1], px[2]);
    }
}

/// image-rs's arithmetic for one pixel.
fn pixel(r: u8, g: u8, b: u8) -> u8 {
    let mut luma = 0.0f32;
    for (c, k) in [r, g, b].into_iter().zip([KR, KG, KB]) {
        luma += f32::from(c) * UNIT * k;
    }
    // A saturating cast, as image-rs's.
    (luma * 255.0).round() as u8
}

mod vector {
    /// Converts as many leading pixels as the vector path takes and returns how many: 0
    /// without AVX2 (and off x86-64).
    pub(super) fn convert<const C: usize>(raw: &[u8], grey: &mut [u8]) -> usize {
        const { assert!(C == 3 || C == 4) };
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: `avx2::convert` only needs the CPU to execute AVX2 instructions, which
            // the detection on the line above has just confirmed.
            #[allow(unsafe_code)]
            return unsafe { avx2::convert::<C>(raw, grey) };
        }
        let _ = (raw, grey);
        0
    }

    #[cfg(target_arch = "x86_64")]
    mod avx2 {
        use std::arch::x86_64::{
            _mm256_add_ps, _mm256_and_ps, _mm256_castsi256_si128, _mm256_cmp_ps,
            _mm256_cvttps_epi32, _mm256_extracti128_si256, _mm256_max_ps, _mm256_min_ps,
            _mm256_mul_ps, _mm256_round_ps, _mm256_set1_ps, _mm256_setzero_ps, _mm256_shuffle_epi8,
            _mm256_sub_ps, _mm_cvtsi128_si32, _CMP_GE_OQ, _MM_FROUND_NO_EXC, _MM_FROUND_TO_ZERO,
        };

        use super::super::{KB, KG, KR, UNIT};
        use crate::packed_rgb::avx2::{for_each_eight, load_mask};

        /// See `vector::convert`.
        #[target_feature(enable = "avx2")]
        #[allow(unsafe_code)]
        pub(super) unsafe fn convert<const C: usize>(raw: &[u8], grey: &mut [u8]) -> usize {
            // The low byte of each i32 lane, packed into each half's first four bytes.
            let low_bytes = load_mask(std::array::from_fn(|i| match i % 16 {
                k @ 0..4 => (4 * k) as i8,
                _ => -1,
            }));
            let unit = _mm256_set1_ps(UNIT);
            let coefficients = [KR, KG, KB].map(|k| _mm256_set1_ps(k));
            let (half, one, max) = (
                _mm256_set1_ps(0.5),
                _mm256_set1_ps(1.0),
                _mm256_set1_ps(255.0),
            );
            for_each_eight::<C>(raw, grey.len(), |first, channels| {
                let mut luma = _mm256_setzero_ps();
                for (c, k) in channels.into_iter().zip(coefficients) {
                    luma = _mm256_add_ps(luma, _mm256_mul_ps(_mm256_mul_ps(c, unit), k));
                }
                // Rust's `round` (half away from zero) of x ≥ 0: the integer part, plus one
                // when the exact remainder is at least one half; then the saturating cast.
                let x = _mm256_mul_ps(luma, max);
                let whole = _mm256_round_ps::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(x);
                let up = _mm256_cmp_ps::<_CMP_GE_OQ>(_mm256_sub_ps(x, whole), half);
                let rounded = _mm256_add_ps(whole, _mm256_and_ps(up, one));
                let clamped = _mm256_min_ps(_mm256_max_ps(rounded, _mm256_setzero_ps()), max);
                let bytes = _mm256_shuffle_epi8(_mm256_cvttps_epi32(clamped), low_bytes);
                let low = _mm_cvtsi128_si32(_mm256_castsi256_si128(bytes));
                let high = _mm_cvtsi128_si32(_mm256_extracti128_si256::<1>(bytes));
                let out = &mut grey[first..][..8];
                out[..4].copy_from_slice(&low.to_le_bytes());
                out[4..].copy_from_slice(&high.to_le_bytes());
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{RgbImage, RgbaImage};

    fn to_grey(image: &DynamicImage) -> GrayImage {
        GreyRows::new(image).finish()
    }

    /// Every colour once: a 4096×4096 picture.
    fn all_colours() -> RgbImage {
        RgbImage::from_fn(4096, 4096, |x, y| {
            let n = y * 4096 + x;
            image::Rgb([(n >> 16) as u8, (n >> 8) as u8, n as u8])
        })
    }

    #[test]
    fn every_colour_greys_as_image_rs_does() {
        let rgb = DynamicImage::ImageRgb8(all_colours());
        let expected = rgb.to_luma8();
        let differing = |a: &[u8], b: &[u8]| a.iter().zip(b).filter(|(x, y)| x != y).count();
        let grey = to_grey(&rgb);
        assert_eq!(grey.dimensions(), expected.dimensions());
        assert_eq!(
            differing(&grey, &expected),
            0,
            "vector path (when the CPU has AVX2)"
        );
        let mut scalar_only = vec![0u8; 4096 * 4096];
        scalar::<3>(rgb.as_bytes(), &mut scalar_only);
        assert_eq!(differing(&scalar_only, &expected), 0, "scalar path");

        let rgba = DynamicImage::ImageRgba8(RgbaImage::from_fn(4096, 4096, |x, y| {
            let [r, g, b] = rgb.as_rgb8().map_or([0; 3], |p| p.get_pixel(x, y).0);
            image::Rgba([r, g, b, (x ^ y) as u8])
        }));
        let grey = to_grey(&rgba);
        assert_eq!(differing(&grey, &rgba.to_luma8()), 0, "RGBA, alpha ignored");
    }

    #[test]
    fn bands_in_any_order_give_the_whole_picture() {
        let rgb = DynamicImage::ImageRgb8(RgbImage::from_fn(37, 29, |x, y| {
            image::Rgb([(x * 7) as u8, (y * 9) as u8, (x * y) as u8])
        }));
        let mut rows = GreyRows::new(&rgb);
        // Bands of 8 as PDQ asks, one asked twice, one past a gap (left to `finish`), one
        // past the end.
        for band in [0..8, 8..16, 8..16, 24..29, 16..20, 28..40] {
            rows.convert(band);
        }
        assert_eq!(rows.finish(), rgb.to_luma8());
    }

    #[test]
    fn other_colour_spaces_and_types_go_to_image_rs() {
        let mut p3 = DynamicImage::ImageRgb8(RgbImage::from_pixel(9, 3, image::Rgb([200, 30, 90])));
        p3.set_color_space(Cicp::DISPLAY_P3).unwrap();
        assert_eq!(to_grey(&p3), p3.to_luma8());
        assert_ne!(
            to_grey(&p3).get_pixel(0, 0).0[0],
            pixel(200, 30, 90),
            "P3 weighs differently"
        );
        let wide = DynamicImage::ImageRgb16(image::ImageBuffer::from_pixel(
            5,
            2,
            image::Rgb([9000u16, 100, 65535]),
        ));
        assert_eq!(to_grey(&wide), wide.to_luma8());
    }
}
