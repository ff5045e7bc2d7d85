//! Picture → f32 luma as the reference pipelines feed the PDQ core, and the C++ CLI's
//! 512×512 squash (PDQ.md steps 0 and 1, §4).
//!
//! Owns the channel rules:
//! * 8-bit grey (incl. 1/2/4-bit, expanded by the decoder): luma = value, the reference's
//!   grey path. Never expanded to RGB: that changes 35 of the 256 levels by an ulp.
//! * RGB: `(0.299·R + 0.587·G) + 0.114·B` in f32, left to right, no fused multiply-add.
//! * Alpha is ignored, never composited (the CLI's PNM drops it; pdqhash reads the first
//!   three channels of RGBA). Grey+alpha goes through the RGB formula with R = G = B, as
//!   python-threatexchange/HMA's `convert('RGB')` feeds it.
//! * 16-bit samples follow PIL, which HMA uses: 16-bit grey (`I;16`) is clipped to 255 and
//!   goes through the RGB formula (`convert('RGB')`); 16-bit RGB/RGBA/grey+alpha keep the
//!   high byte (PIL's `;16B` raw modes).
//! * Float pictures (no reference pipeline produces them) go through image-rs `to_rgb8`.
//!
//! Palette pictures arrive already expanded to RGB(A) by the decoder. Leaves out decoding.

use std::borrow::Cow;

use image::DynamicImage;

use super::filter::LumaSource;

mod simd;

/// f32 bit patterns of the reference's `const float` coefficients (C++ rounds the double
/// literal to float; PDQ.md step 1 lists the patterns).
const LUMA_R: f32 = f32::from_bits(0x3E99_1687);
const LUMA_G: f32 = f32::from_bits(0x3F16_45A2);
const LUMA_B: f32 = f32::from_bits(0x3DE9_78D5);

/// Side of the CLI's squashed picture (`pdqio.cpp` `DOWNSAMPLE_DIMS`).
const CLI_SIDE: usize = 512;

/// A row-major f32 luma plane.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Luma {
    pub width: usize,
    pub height: usize,
    pub data: Vec<f32>,
}

#[inline(always)]
fn rgb(r: u8, g: u8, b: u8) -> f32 {
    LUMA_R * f32::from(r) + LUMA_G * f32::from(g) + LUMA_B * f32::from(b)
}

fn high_byte(v: u16) -> u8 {
    (v >> 8) as u8
}

/// Converts pixels `first..first + out.len()` (row-major pixel indices) with the channel
/// rules above. Fixed-size chunks let the compiler drop bounds checks and vectorise.
fn convert(img: &DynamicImage, first: usize, out: &mut [f32]) {
    let range = first..first + out.len();
    match img {
        DynamicImage::ImageLuma8(p) => {
            for (o, &v) in out.iter_mut().zip(&p.as_raw()[range]) {
                *o = f32::from(v);
            }
        }
        DynamicImage::ImageLumaA8(p) => map::<u8, 2>(p.as_raw(), range, out, |[l, _]| rgb(l, l, l)),
        DynamicImage::ImageRgb8(p) => packed::<3>(p.as_raw(), range, out),
        DynamicImage::ImageRgba8(p) => packed::<4>(p.as_raw(), range, out),
        DynamicImage::ImageLuma16(p) => map::<u16, 1>(p.as_raw(), range, out, |[v]| {
            let v = v.min(255) as u8;
            rgb(v, v, v)
        }),
        DynamicImage::ImageLumaA16(p) => map::<u16, 2>(p.as_raw(), range, out, |[v, _]| {
            let v = high_byte(v);
            rgb(v, v, v)
        }),
        DynamicImage::ImageRgb16(p) => {
            map::<u16, 3>(p.as_raw(), range, out, |[r, g, b]| rgb16(r, g, b))
        }
        DynamicImage::ImageRgba16(p) => {
            map::<u16, 4>(p.as_raw(), range, out, |[r, g, b, _]| rgb16(r, g, b))
        }
        // `supported` converts anything else to RGB8 first; this arm is the safe fallback.
        other => {
            let p = other.to_rgb8();
            map::<u8, 3>(p.as_raw(), range, out, |[r, g, b]| rgb(r, g, b));
        }
    }
}

/// 8-bit RGB (`C` = 3) or RGBA (`C` = 4): the vector path (`simd`) where the CPU has one,
/// the scalar formula for the rest.
fn packed<const C: usize>(raw: &[u8], pixels: std::ops::Range<usize>, out: &mut [f32]) {
    let raw = &raw[pixels.start * C..pixels.end * C];
    let done = simd::convert_packed::<C>(raw, out);
    map::<u8, C>(
        &raw[done * C..],
        0..out.len() - done,
        &mut out[done..],
        |px| rgb(px[0], px[1], px[2]),
    );
}

fn rgb16(r: u16, g: u16, b: u16) -> f32 {
    rgb(high_byte(r), high_byte(g), high_byte(b))
}

fn map<T: Copy, const C: usize>(
    raw: &[T],
    pixels: std::ops::Range<usize>,
    out: &mut [f32],
    f: impl Fn([T; C]) -> f32,
) {
    let (chunks, _) = raw[pixels.start * C..pixels.end * C].as_chunks::<C>();
    for (o, &px) in out.iter_mut().zip(chunks) {
        *o = f(px);
    }
}

/// The picture itself when `convert` handles its pixel type directly, else an RGB8 copy
/// (float pictures, which no reference pipeline produces).
pub(crate) fn supported(img: &DynamicImage) -> Cow<'_, DynamicImage> {
    use DynamicImage as D;
    match img {
        D::ImageLuma8(_) | D::ImageLumaA8(_) | D::ImageRgb8(_) | D::ImageRgba8(_) => {
            Cow::Borrowed(img)
        }
        D::ImageLuma16(_) | D::ImageLumaA16(_) | D::ImageRgb16(_) | D::ImageRgba16(_) => {
            Cow::Borrowed(img)
        }
        other => Cow::Owned(D::ImageRgb8(other.to_rgb8())),
    }
}

/// Converts a whole decoded picture.
pub(crate) fn from_image(img: &DynamicImage) -> Luma {
    let (width, height) = (img.width() as usize, img.height() as usize);
    let mut data = vec![0.0; width * height];
    convert(img, 0, &mut data);
    Luma {
        width,
        height,
        data,
    }
}

/// A picture as a `LumaSource`: rows are converted a strip at a time, so no full-size luma
/// plane is ever allocated.
/// `observe` hears of each band of rows once it is converted.
pub(crate) struct ImageRows<'a> {
    img: &'a DynamicImage,
    cols: usize,
    scratch: Vec<f32>,
    observe: &'a mut dyn FnMut(std::ops::Range<usize>),
}

impl<'a> ImageRows<'a> {
    pub(crate) fn new(
        img: &'a DynamicImage,
        observe: &'a mut dyn FnMut(std::ops::Range<usize>),
    ) -> Self {
        ImageRows {
            img,
            cols: img.width() as usize,
            scratch: Vec::new(),
            observe,
        }
    }
}

impl LumaSource for ImageRows<'_> {
    fn rows(&mut self, first: usize, count: usize) -> &[f32] {
        self.scratch.resize(count * self.cols, 0.0);
        convert(self.img, first * self.cols, &mut self.scratch);
        (self.observe)(first..first + count);
        &self.scratch
    }
}

/// The C++ CLI's pre-resize: a picture wider or taller than 512 becomes exactly 512×512 by
/// nearest neighbour, aspect not kept; output column x takes source column
/// `floor(x·W/512)` (CImg, top-left aligned), rows likewise. Smaller pictures pass through.
pub(crate) fn cli_squash(luma: Luma) -> Luma {
    if luma.width <= CLI_SIDE && luma.height <= CLI_SIDE {
        return luma;
    }
    let cols: Vec<usize> = (0..CLI_SIDE).map(|x| x * luma.width / CLI_SIDE).collect();
    let mut data = Vec::with_capacity(CLI_SIDE * CLI_SIDE);
    for y in 0..CLI_SIDE {
        let row = &luma.data[y * luma.height / CLI_SIDE * luma.width..];
        data.extend(cols.iter().map(|&c| row[c]));
    }
    Luma {
        width: CLI_SIDE,
        height: CLI_SIDE,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, ImageBuffer, Luma as Grey, LumaA, Rgba};

    #[test]
    fn coefficients_are_the_double_literals_rounded_to_float() {
        assert_eq!(LUMA_R, 0.299f64 as f32);
        assert_eq!(LUMA_G, 0.587f64 as f32);
        assert_eq!(LUMA_B, 0.114f64 as f32);
    }

    #[test]
    fn grey_is_used_directly_not_expanded_to_rgb() {
        let img = DynamicImage::ImageLuma8(GrayImage::from_fn(256, 1, |x, _| Grey([x as u8])));
        let luma = from_image(&img);
        let mut differs = 0;
        for (v, &y) in luma.data.iter().enumerate() {
            assert_eq!(y, v as f32);
            differs += usize::from(rgb(v as u8, v as u8, v as u8) != y);
        }
        // PDQ.md finding 5: the RGB formula moves 35 grey levels by an ulp.
        assert_eq!(differs, 35);
    }

    #[test]
    fn alpha_is_ignored_and_grey_alpha_uses_rgb_formula() {
        let rgba = ImageBuffer::from_fn(3, 1, |x, _| Rgba([10, 20, 30, (x * 100) as u8]));
        let luma = from_image(&DynamicImage::ImageRgba8(rgba));
        assert!(luma.data.iter().all(|&y| y == rgb(10, 20, 30)));
        let la = ImageBuffer::from_pixel(2, 2, LumaA([77u8, 0]));
        let luma = from_image(&DynamicImage::ImageLumaA8(la));
        assert!(luma.data.iter().all(|&y| y == rgb(77, 77, 77)));
    }

    #[test]
    fn sixteen_bit_follows_pil() {
        let grey = ImageBuffer::from_fn(3, 1, |x, _| Grey([[5u16, 255, 40000][x as usize]]));
        let luma = from_image(&DynamicImage::ImageLuma16(grey));
        assert_eq!(
            luma.data,
            [rgb(5, 5, 5), rgb(255, 255, 255), rgb(255, 255, 255)]
        );
        let colour = ImageBuffer::from_pixel(1, 1, image::Rgb([0x12ffu16, 0x3400, 0xff01]));
        let luma = from_image(&DynamicImage::ImageRgb16(colour));
        assert_eq!(luma.data, [rgb(0x12, 0x34, 0xff)]);
    }

    #[test]
    fn cli_squash_samples_top_left_nearest_neighbour() {
        let (w, h) = (1000, 300);
        let data = (0..w * h).map(|k| k as f32).collect();
        let small = Luma {
            width: 300,
            height: 200,
            data: vec![1.0; 300 * 200],
        };
        assert_eq!(cli_squash(small.clone()), small);
        let out = cli_squash(Luma {
            width: w,
            height: h,
            data,
        });
        assert_eq!((out.width, out.height), (512, 512));
        // Output (x=511, y=511) takes source column 511·1000/512 = 998, row 511·300/512 = 299.
        assert_eq!(out.data[511 * 512 + 511], (299 * w + 998) as f32);
        assert_eq!(out.data[1], 1.0); // column 1·1000/512 = 1
    }
}
