//! Synthetic, benign pictures for fixtures, tests and benchmarks: gradients, shapes, smooth
//! noise and text-like blocks, plus the transformed copies a perceptual matcher must still
//! recognise (resize, re-encode, small crop, brightness, flip).
//!
//! Owns the generators and a small deterministic PRNG, so the same seed gives the same
//! pixels on every machine. Nothing here ever touches real material; the project holds
//! none.
//!
//! Not in the product: the module exists in unit tests and with the `synth` feature, which
//! the package's dev-dependency on itself turns on for integration tests, benches and
//! examples (`cargo build` leaves it off).

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{imageops, DynamicImage, ImageFormat, Rgb, RgbImage};

/// SplitMix64: tiny, fast, and fully specified, so fixtures are reproducible forever.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0); the modulo bias is irrelevant for pictures.
    pub fn below(&mut self, n: u32) -> u32 {
        (self.next_u64() % u64::from(n.max(1))) as u32
    }

    pub fn colour(&mut self) -> Rgb<u8> {
        let v = self.next_u64();
        Rgb([v as u8, (v >> 8) as u8, (v >> 16) as u8])
    }
}

/// The kinds of generated picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    Gradient,
    Shapes,
    Noise,
    Text,
}

impl Pattern {
    pub const ALL: [Pattern; 4] = [
        Pattern::Gradient,
        Pattern::Shapes,
        Pattern::Noise,
        Pattern::Text,
    ];
}

/// A picture of `pattern`, fully determined by `(pattern, w, h, seed)`.
pub fn picture(pattern: Pattern, w: u32, h: u32, seed: u64) -> RgbImage {
    let mut rng = SplitMix64::new(seed ^ (pattern as u64) << 56);
    match pattern {
        Pattern::Gradient => gradient(w, h, &mut rng),
        Pattern::Shapes => shapes(w, h, &mut rng),
        Pattern::Noise => smooth_noise(w, h, &mut rng),
        Pattern::Text => text_blocks(w, h, &mut rng),
    }
}

fn lerp(a: u8, b: u8, t: f32) -> u8 {
    (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8
}

/// A two-colour ramp modulated by seeded waves: a bare ramp has almost no structure, and
/// perceptual hashes see structure, so two bare ramps would look alike whatever the colours.
fn gradient(w: u32, h: u32, rng: &mut SplitMix64) -> RgbImage {
    let (a, b) = (rng.colour(), rng.colour());
    let angle = rng.below(360) as f32 * std::f32::consts::PI / 180.0;
    let (dx, dy) = (angle.cos(), angle.sin());
    let waves: Vec<(f32, f32, f32)> = (0..3)
        .map(|_| {
            let fx = (rng.below(7) as f32 - 3.0) / w.max(1) as f32;
            let fy = (rng.below(7) as f32 - 3.0) / h.max(1) as f32;
            (fx, fy, rng.below(628) as f32 / 100.0)
        })
        .collect();
    RgbImage::from_fn(w, h, |x, y| {
        let (u, v) = (x as f32 / w.max(1) as f32, y as f32 / h.max(1) as f32);
        let ramp = 0.5 + 0.5 * ((u - 0.5) * dx + (v - 0.5) * dy);
        let wave: f32 = waves
            .iter()
            .map(|(fx, fy, phase)| {
                (std::f32::consts::TAU * (fx * x as f32 + fy * y as f32) + phase).sin()
            })
            .sum::<f32>()
            / 6.0;
        let t = (ramp + wave).clamp(0.0, 1.0);
        Rgb([
            lerp(a[0], b[0], t),
            lerp(a[1], b[1], t),
            lerp(a[2], b[2], t),
        ])
    })
}

/// Discs and squares over a smooth textured background: flat fills alone give PDQ too
/// little texture (quality near its cut-off) to be a fair test.
fn shapes(w: u32, h: u32, rng: &mut SplitMix64) -> RgbImage {
    let mut img = smooth_noise(w, h, rng);
    for _ in 0..(6 + rng.below(6)) {
        let colour = rng.colour();
        let (cx, cy) = (rng.below(w) as i64, rng.below(h) as i64);
        let r = i64::from(w.min(h) / 10 + rng.below(w.min(h) / 4 + 1));
        let circle = rng.below(2) == 0;
        for y in (cy - r).max(0)..(cy + r).min(i64::from(h)) {
            for x in (cx - r).max(0)..(cx + r).min(i64::from(w)) {
                let inside = !circle || (x - cx).pow(2) + (y - cy).pow(2) <= r * r;
                if inside {
                    img.put_pixel(x as u32, y as u32, colour);
                }
            }
        }
    }
    img
}

/// Fractal value noise: four octaves of bilinearly interpolated random grids (4 to 32 cells
/// a side, each half the amplitude of the last). Textured at every scale like a photo, yet
/// smooth enough that re-encoding does not destroy it.
fn smooth_noise(w: u32, h: u32, rng: &mut SplitMix64) -> RgbImage {
    let octaves: Vec<(u32, f32, Vec<[f32; 3]>)> =
        [(4u32, 0.5f32), (8, 0.25), (16, 0.15), (32, 0.1)]
            .into_iter()
            .map(|(cells, amp)| {
                let grid = (0..(cells + 1) * (cells + 1))
                    .map(|_| {
                        let c = rng.colour();
                        [f32::from(c[0]), f32::from(c[1]), f32::from(c[2])]
                    })
                    .collect();
                (cells, amp, grid)
            })
            .collect();
    RgbImage::from_fn(w, h, |x, y| {
        let mut rgb = [0f32; 3];
        for (cells, amp, grid) in &octaves {
            let at = |gx: u32, gy: u32| grid[(gy * (cells + 1) + gx) as usize];
            let fx = x as f32 * *cells as f32 / w.max(1) as f32;
            let fy = y as f32 * *cells as f32 / h.max(1) as f32;
            let (gx, gy) = (fx as u32, fy as u32);
            let (tx, ty) = (fx - gx as f32, fy - gy as f32);
            for (c, out) in rgb.iter_mut().enumerate() {
                let top = at(gx, gy)[c] * (1.0 - tx) + at(gx + 1, gy)[c] * tx;
                let bottom = at(gx, gy + 1)[c] * (1.0 - tx) + at(gx + 1, gy + 1)[c] * tx;
                *out += amp * (top * (1.0 - ty) + bottom * ty);
            }
        }
        Rgb(rgb.map(|v| v.round().clamp(0.0, 255.0) as u8))
    })
}

/// Rows of dark "word" blocks on a light page: the shape of a scanned document.
fn text_blocks(w: u32, h: u32, rng: &mut SplitMix64) -> RgbImage {
    let mut img = RgbImage::from_pixel(w, h, Rgb([245, 245, 240]));
    // A seeded figure box, as pages have, so two pages of "text" differ in layout.
    let (bw, bh) = (w / 4 + rng.below(w / 4 + 1), h / 5 + rng.below(h / 4 + 1));
    let (bx, by) = (rng.below(w - bw), rng.below(h - bh));
    let fill = rng.colour();
    for yy in by..by + bh {
        for xx in bx..bx + bw {
            img.put_pixel(xx, yy, fill);
        }
    }
    let line = (h / (10 + rng.below(12))).max(4);
    let mut y = line;
    while y + line < h {
        let mut x = w / 12;
        while x < w - w / 12 {
            let word = (w / 40).max(2) + rng.below((w / 10).max(1));
            let end = (x + word).min(w - w / 12);
            for yy in y..y + line * 2 / 3 {
                for xx in x..end {
                    img.put_pixel(xx, yy, Rgb([30, 30, 40]));
                }
            }
            x = end + (w / 60).max(2);
        }
        y += line + line / 2 + rng.below(line / 2 + 1);
    }
    img
}

/// The transformed copies used to test perceptual matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    HalfSize,
    Reencode,
    Crop5,
    Brighter,
    FlipHorizontal,
}

pub fn transform(img: &RgbImage, t: Transform) -> RgbImage {
    let (w, h) = img.dimensions();
    match t {
        Transform::HalfSize => imageops::resize(img, w / 2, h / 2, imageops::FilterType::Triangle),
        // The re-encoding itself happens when the copy is saved as JPEG.
        Transform::Reencode => img.clone(),
        Transform::Crop5 => {
            imageops::crop_imm(img, w / 40, h / 40, w - w / 20, h - h / 20).to_image()
        }
        Transform::Brighter => {
            let mut out = img.clone();
            out.pixels_mut()
                .for_each(|p| p.0.iter_mut().for_each(|c| *c = c.saturating_add(20)));
            out
        }
        Transform::FlipHorizontal => imageops::flip_horizontal(img),
    }
}

/// PNG bytes (lossless).
pub fn png_bytes(img: &RgbImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    // Writing to memory cannot fail for a well-formed RgbImage.
    let _ = DynamicImage::ImageRgb8(img.clone()).write_to(&mut out, ImageFormat::Png);
    out.into_inner()
}

/// JPEG bytes at `quality` (1–100).
pub fn jpeg_bytes(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = JpegEncoder::new_with_quality(&mut out, quality).encode_image(img);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_pixels_other_seed_other_pixels() {
        for p in Pattern::ALL {
            assert_eq!(picture(p, 64, 48, 7), picture(p, 64, 48, 7));
            assert_ne!(picture(p, 64, 48, 7), picture(p, 64, 48, 8), "{p:?}");
        }
    }

    #[test]
    fn prng_is_splitmix64() {
        // First output of SplitMix64 seeded with 0 (Vigna's reference implementation).
        assert_eq!(SplitMix64::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn encodings_decode_back() {
        let img = picture(Pattern::Shapes, 40, 30, 1);
        let png = image::load_from_memory(&png_bytes(&img)).unwrap();
        assert_eq!(png.to_rgb8(), img);
        let jpg = image::load_from_memory(&jpeg_bytes(&img, 90)).unwrap();
        assert_eq!(jpg.dimensions_tuple(), (40, 30));
    }

    trait Dims {
        fn dimensions_tuple(&self) -> (u32, u32);
    }
    impl Dims for DynamicImage {
        fn dimensions_tuple(&self) -> (u32, u32) {
            (self.width(), self.height())
        }
    }
}
