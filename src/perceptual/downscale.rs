//! The grey downscale behind pHash, dHash and aHash: image-rs's Lanczos3 `resize`, computed
//! for 8-bit grey with the very same floating-point operations in the very same order, only
//! laid out so that the compiler vectorises it.
//!
//! Owns `Downscaler` (and, for its tests, `lanczos3_resize`) and nothing else. `image::imageops::resize` is generic over pixel
//! types: it widens every grey sample to four `f32` channels through trait calls and walks
//! the picture column by column, which made the three 64-bit hashes cost more than decoding
//! the picture. The arithmetic per output sample is kept exactly — the same tap positions
//! and weights (same formulas, same `f32` rounding), each sum started at 0.0 and accumulated
//! tap by tap in the same order, no fused multiply-add — so the bytes are identical to
//! image-rs's (tested against it below and, through image_hasher, in
//! `tests/imghash_oracle.rs`). Only the loop order changes: the vertical pass reads each
//! source row once and adds it, whole, into the row of accumulators of every output row
//! whose taps cover it, which is independent per column (and compiled with AVX2 where the
//! CPU has it).

use image::GrayImage;

/// Lanczos window (image-rs's `FilterType::Lanczos3` support).
const SUPPORT: f32 = 3.0;

/// One output sample's source span: the first source index and the normalised weights.
struct Taps {
    first: usize,
    weights: Vec<f32>,
}

fn sinc(t: f32) -> f32 {
    let a = t * std::f32::consts::PI;
    if t == 0.0 {
        1.0
    } else {
        a.sin() / a
    }
}

fn lanczos3(x: f32) -> f32 {
    if x.abs() < SUPPORT {
        sinc(x) * sinc(x / SUPPORT)
    } else {
        0.0
    }
}

/// The taps of every output sample when `src_len` samples become `dst_len`, as image-rs's
/// `vertical_sample`/`horizontal_sample` compute them.
fn taps(src_len: u32, dst_len: u32) -> Vec<Taps> {
    let ratio = src_len as f32 / dst_len as f32;
    let sratio = if ratio < 1.0 { 1.0 } else { ratio };
    let src_support = SUPPORT * sratio;
    (0..dst_len)
        .map(|out| {
            let centre = (out as f32 + 0.5) * ratio;
            let first = ((centre - src_support).floor() as i64).clamp(0, i64::from(src_len) - 1);
            let end = ((centre + src_support).ceil() as i64).clamp(first + 1, i64::from(src_len));
            let centre = centre - 0.5;
            let mut weights: Vec<f32> = (first..end)
                .map(|i| lanczos3((i as u32 as f32 - centre) / sratio))
                .collect();
            let mut sum = 0.0f32;
            for w in &weights {
                sum += w;
            }
            for w in &mut weights {
                *w /= sum;
            }
            Taps {
                first: first as usize,
                weights,
            }
        })
        .collect()
}

/// `image::imageops::resize(grey, width, height, FilterType::Lanczos3)`, byte for byte.
#[cfg(test)]
fn lanczos3_resize(grey: &GrayImage, width: u32, height: u32) -> GrayImage {
    Downscaler::new(grey).resize(width, height)
}

/// Resizes one grey picture to several sizes, sharing the expensive vertical pass between
/// sizes of the same height (dHash's 9×8 and aHash's 8×8 both filter the full picture down
/// to 8 rows first).
pub(crate) struct Downscaler<'a> {
    grey: &'a GrayImage,
    vertical: Vec<VerticalPass>,
}

/// The picture filtered down to `height` rows of `f32` sums, full width (image-rs keeps
/// the intermediate as `f32` too).
struct VerticalPass {
    height: u32,
    rows: Vec<f32>,
}

impl<'a> Downscaler<'a> {
    pub(crate) fn new(grey: &'a GrayImage) -> Self {
        Downscaler {
            grey,
            vertical: Vec::new(),
        }
    }

    /// The picture at `width`×`height`, as image-rs's Lanczos3 `resize` gives it.
    pub(crate) fn resize(&mut self, width: u32, height: u32) -> GrayImage {
        let (src_w, src_h) = self.grey.dimensions();
        if src_w == 0 || src_h == 0 {
            return GrayImage::new(width, height);
        }
        if (src_w, src_h) == (width, height) {
            return self.grey.clone();
        }
        let index = match self.vertical.iter().position(|v| v.height == height) {
            Some(index) => index,
            None => {
                self.vertical.push(vertical_pass(self.grey, height));
                self.vertical.len() - 1
            }
        };
        horizontal_pass(&self.vertical[index], src_w as usize, width)
    }
}

/// The vertical pass, with AVX2 when the CPU has it (the same operations per column either
/// way: a vector lane is a column, and AVX2 brings no fused multiply-add).
fn vertical_pass(grey: &GrayImage, height: u32) -> VerticalPass {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `vertical_pass_avx2` is safe code compiled with AVX2 enabled; the CPU has
        // just reported AVX2.
        #[allow(unsafe_code)]
        return unsafe { vertical_pass_avx2(grey, height) };
    }
    vertical_pass_body(grey, height)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn vertical_pass_avx2(grey: &GrayImage, height: u32) -> VerticalPass {
    vertical_pass_body(grey, height)
}

/// Reads each source row once, adding it into every output row whose taps cover it. Each
/// output row still receives its taps in image-rs's order (source rows ascending), one
/// `sum + sample * w` at a time, so every column's sum is computed exactly as before; only
/// the source, which the output rows' Lanczos3 taps cover about six times over, is read
/// once instead of once per covering output row.
#[inline(always)]
fn vertical_pass_body(grey: &GrayImage, height: u32) -> VerticalPass {
    let src_w = grey.width() as usize;
    let src = grey.as_raw();
    let mut rows = vec![0.0f32; src_w * height as usize];
    let taps = taps(grey.height(), height);
    // Output rows `lo..hi` cover the current source row (tap spans move down monotonically).
    let (mut lo, mut hi) = (0, 0);
    for (r, line) in src.chunks_exact(src_w).enumerate() {
        while lo < taps.len() && taps[lo].first + taps[lo].weights.len() <= r {
            lo += 1;
        }
        while hi < taps.len() && taps[hi].first <= r {
            hi += 1;
        }
        for (o, acc) in rows.chunks_exact_mut(src_w).enumerate().take(hi).skip(lo) {
            let Some(&w) = taps[o].weights.get(r - taps[o].first) else {
                continue;
            };
            // Per column: sum = sum + (sample * w), in tap order, as image-rs does.
            for (a, &p) in acc.iter_mut().zip(line) {
                *a += f32::from(p) * w;
            }
        }
    }
    VerticalPass { height, rows }
}

/// Filters each row down to `width` samples and rounds to u8 as image-rs does (clamp to
/// 0..=255, round half away from zero).
fn horizontal_pass(pass: &VerticalPass, src_w: usize, width: u32) -> GrayImage {
    let columns = taps(src_w as u32, width);
    let mut out = GrayImage::new(width, pass.height);
    for (y, line) in pass.rows.chunks_exact(src_w).enumerate() {
        for (x, taps) in columns.iter().enumerate() {
            let mut sum = 0.0f32;
            for (&w, &v) in taps.weights.iter().zip(&line[taps.first..]) {
                sum += v * w;
            }
            let clamped = sum.clamp(0.0, 255.0);
            out.put_pixel(x as u32, y as u32, image::Luma([clamped.round() as u8]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::imageops::{resize, FilterType};
    use proptest::prelude::*;

    fn noise(w: u32, h: u32, seed: u32) -> GrayImage {
        GrayImage::from_fn(w, h, |x, y| {
            let v = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503) ^ seed)
                .wrapping_mul(2_246_822_519);
            image::Luma([(v >> 24) as u8])
        })
    }

    fn assert_same(src: &GrayImage, w: u32, h: u32) {
        let ours = lanczos3_resize(src, w, h);
        let theirs = resize(src, w, h, FilterType::Lanczos3);
        assert_eq!(
            ours.as_raw(),
            theirs.as_raw(),
            "{}x{} -> {w}x{h}",
            src.width(),
            src.height()
        );
    }

    #[test]
    fn hash_sizes_match_image_rs_on_awkward_shapes() {
        // Downscales by odd ratios, one-pixel lines, same size (a copy), upscales.
        for (sw, sh) in [
            (641, 479),
            (1, 300),
            (300, 1),
            (16, 16),
            (9, 8),
            (8, 8),
            (3, 5),
        ] {
            let src = noise(sw, sh, sw ^ sh);
            for (w, h) in [(16, 16), (9, 8), (8, 8)] {
                assert_same(&src, w, h);
            }
        }
    }

    #[test]
    fn flat_and_extreme_pictures_match_image_rs() {
        // Saturated edges exercise the clamp (Lanczos overshoots past 0 and 255).
        let edges = GrayImage::from_fn(97, 61, |x, y| {
            image::Luma([if (x / 3 + y / 5) % 2 == 0 { 0 } else { 255 }])
        });
        let flat = GrayImage::from_pixel(50, 70, image::Luma([200]));
        for src in [&edges, &flat] {
            for (w, h) in [(16, 16), (9, 8), (8, 8)] {
                assert_same(src, w, h);
            }
        }
    }

    #[test]
    fn shared_vertical_pass_gives_each_size_exactly() {
        let src = noise(333, 250, 7);
        let mut shared = Downscaler::new(&src);
        for (w, h) in [(9, 8), (8, 8), (16, 16), (9, 8)] {
            assert_eq!(
                shared.resize(w, h).as_raw(),
                resize(&src, w, h, FilterType::Lanczos3).as_raw()
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn any_size_matches_image_rs(sw in 1u32..200, sh in 1u32..200, w in 1u32..20, h in 1u32..20, seed in any::<u32>()) {
            assert_same(&noise(sw, sh, seed), w, h);
        }
    }
}
