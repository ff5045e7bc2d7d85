//! Netpbm (PGM/PPM) sample levels as Pillow gives them, for a maxval other than 255.
//!
//! image-rs decodes PNM and stretches samples to the full 8- or 16-bit range with an f32
//! factor rounded half away from zero. Pillow (`PpmImagePlugin`) computes
//! `round(v / maxval · out_max)` in f64, rounding half to even, where `out_max` is 255
//! except for grey over 255 levels, which becomes 32-bit `I` with `out_max` 65535; and it
//! reduces 16-bit colour to 8 bits by that same formula rather than by the high byte. Both
//! maps are increasing in `v`, so image-rs's level tells `v` apart and a table translates it
//! to Pillow's level. PBM (bilevel) and PAM (which Pillow does not read) are left as decoded.

use image::{DynamicImage, GrayImage, ImageBuffer, Luma, RgbImage};

/// Rewrites image-rs's levels to Pillow's, when the header says they differ.
pub(super) fn pillow_levels(bytes: &[u8], image: DynamicImage) -> DynamicImage {
    let Some(m) = maxval(bytes) else {
        return image;
    };
    match image {
        DynamicImage::ImageLuma8(p) if m < 255 => {
            let table = table_8(m);
            DynamicImage::ImageLuma8(GrayImage::from_fn(p.width(), p.height(), |x, y| {
                Luma([table[usize::from(p.get_pixel(x, y)[0])]])
            }))
        }
        DynamicImage::ImageRgb8(mut p) if m < 255 => {
            let table = table_8(m);
            p.iter_mut().for_each(|v| *v = table[usize::from(*v)]);
            DynamicImage::ImageRgb8(p)
        }
        DynamicImage::ImageLuma16(mut p) if m > 255 && m < 65535 => {
            let table = table_16(m, 65535);
            p.iter_mut().for_each(|v| *v = table[usize::from(*v)]);
            DynamicImage::ImageLuma16(p)
        }
        DynamicImage::ImageRgb16(p) if m > 255 => {
            let table = table_16(m, 255);
            let data = p
                .as_raw()
                .iter()
                .map(|&v| table[usize::from(v)] as u8)
                .collect();
            let rgb: Option<RgbImage> = ImageBuffer::from_raw(p.width(), p.height(), data);
            rgb.map_or(DynamicImage::ImageRgb16(p), DynamicImage::ImageRgb8)
        }
        other => other,
    }
}

/// Pillow's level for sample `v`: `round(v / maxval * out_max)`, half to even, clipped.
fn pillow(v: u32, maxval: u32, out_max: u32) -> u32 {
    let level = (f64::from(v) / f64::from(maxval) * f64::from(out_max)).round_ties_even();
    (level as u32).min(out_max)
}

/// image-rs's level for sample `v` (its `read_samples`: f32 factor, `round`).
fn image_rs(v: u32, maxval: u32, full: u32) -> u32 {
    let factor = full as f32 / maxval as f32;
    ((v as f32) * factor).round() as u32
}

/// image-rs 8-bit level → Pillow level, for maxval < 255.
fn table_8(maxval: u32) -> [u8; 256] {
    let mut table: [u8; 256] = std::array::from_fn(|i| i as u8);
    for v in 0..=maxval {
        let from = image_rs(v, maxval, 255).min(255) as usize;
        table[from] = pillow(v, maxval, 255) as u8;
    }
    table
}

/// image-rs 16-bit level → Pillow level (`out_max` 65535 for grey, 255 for colour).
fn table_16(maxval: u32, out_max: u32) -> Vec<u16> {
    let mut table: Vec<u16> = (0..=u16::MAX).collect();
    for v in 0..=maxval {
        let from = if maxval == 65535 {
            v
        } else {
            image_rs(v, maxval, 65535).min(65535)
        };
        table[from as usize] = pillow(v, maxval, out_max) as u16;
    }
    table
}

/// The maxval of a P2/P3/P5/P6 header (magic, width, height, maxval; `#` comments
/// skipped).
fn maxval(bytes: &[u8]) -> Option<u32> {
    if !matches!(bytes.get(..2)?, b"P2" | b"P3" | b"P5" | b"P6") {
        return None;
    }
    let mut rest = &bytes[2..];
    let mut numbers = [0u32; 3];
    for n in &mut numbers {
        loop {
            rest = rest.trim_ascii_start();
            if rest.first() == Some(&b'#') {
                let end = rest.iter().position(|&b| b == b'\n' || b == b'\r')?;
                rest = &rest[end..];
            } else {
                break;
            }
        }
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        *n = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
        rest = &rest[digits..];
    }
    Some(numbers[2]).filter(|m| (1..=65535).contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_skips_comments() {
        let plain = b"P2\n# made by hand\n3 2\n# levels\n100\n0 1 2";
        assert_eq!(maxval(plain), Some(100));
        assert_eq!(maxval(b"P6 4 4 65535 "), Some(65535));
        assert_eq!(maxval(b"P7\nWIDTH 2\n"), None);
        assert_eq!(maxval(b"P5 4 4 0 "), None);
    }

    #[test]
    fn levels_round_half_to_even_as_pillow() {
        // maxval 100: v = 30 → 76.5, Pillow 76 (half to even), image-rs 77.
        let grey = GrayImage::from_raw(2, 1, vec![image_rs(30, 100, 255) as u8, 255]).unwrap();
        let out = pillow_levels(b"P5 2 1 100\n", DynamicImage::ImageLuma8(grey));
        assert_eq!(out.as_luma8().unwrap().as_raw(), &vec![76, 255]);
        // 16-bit colour keeps Pillow's rounded 8-bit level, not the high byte: 255 → 1.
        let rgb = ImageBuffer::from_raw(1, 1, vec![255u16, 65535, 32896]).unwrap();
        let out = pillow_levels(b"P6 1 1 65535\n", DynamicImage::ImageRgb16(rgb));
        assert_eq!(out.as_rgb8().unwrap().as_raw(), &vec![1, 255, 128]);
    }
}
