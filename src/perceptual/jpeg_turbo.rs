//! JPEG decoding with libjpeg-turbo's defaults (integer "islow" IDCT, fancy upsampling, no
//! DCT scaling): the pixels PIL, and therefore python-threatexchange/HMA and the PDQ
//! reference vectors, get. Pure-Rust decoders differ in the low bits, which moves PDQ hashes
//! by a few bits (PDQ.md §4, §10.3).
//!
//! Owns the JPEG path of `decode`: header-first limit checks, the libjpeg-turbo call
//! (cargo feature `turbojpeg`, on by default; links the system libturbojpeg, Debian package
//! `libturbojpeg0-dev`) and CMYK conversion. With the feature off, JPEG goes to the image-rs
//! decoder instead; `JPEG_DECODER` names whichever is compiled in, for the report.
//!
//! Colour handling, matching PIL: greyscale JPEGs stay one-channel grey; YCbCr and RGB
//! JPEGs become RGB; CMYK/YCCK JPEGs are read as CMYK (inverted when an Adobe APP14 marker
//! says so, as PIL's `CMYK;I`) and converted with PIL's `cmyk2rgb` formula. EXIF orientation
//! is not applied.

use image::DynamicImage;

use super::limits::{DecodeError, DecodeLimits};

/// Which JPEG decoder this build uses, for the report.
#[cfg(feature = "turbojpeg")]
pub const JPEG_DECODER: &str = "libjpeg-turbo (TurboJPEG API; islow IDCT, fancy upsampling)";
/// Which JPEG decoder this build uses, for the report.
#[cfg(not(feature = "turbojpeg"))]
pub const JPEG_DECODER: &str = "image-rs (zune-jpeg)";

/// Decodes a JPEG from memory. The header's size is checked against `limits` before any
/// pixel memory is allocated.
#[cfg(not(feature = "turbojpeg"))]
pub fn decode_jpeg(bytes: &[u8], limits: &DecodeLimits) -> Result<DynamicImage, DecodeError> {
    super::image_rs::decode_image_rs(bytes, image::ImageFormat::Jpeg, limits)
}

/// Decodes a JPEG from memory. The header's size is checked against `limits` before any
/// pixel memory is allocated.
#[cfg(feature = "turbojpeg")]
pub(crate) fn decode_jpeg(
    bytes: &[u8],
    limits: &DecodeLimits,
) -> Result<DynamicImage, DecodeError> {
    turbo::decode(bytes, limits, turbo::How::default()).map(|(image, _)| image)
}

/// Decodes a JPEG known to be cut short (a partial carve): libjpeg-turbo's warnings that
/// the data ended early are accepted, and the rows it could not decode come out grey.
#[cfg(feature = "turbojpeg")]
pub(crate) fn decode_jpeg_partial(
    bytes: &[u8],
    limits: &DecodeLimits,
) -> Result<DynamicImage, DecodeError> {
    let how = turbo::How {
        cut_short: true,
        ..turbo::How::default()
    };
    turbo::decode(bytes, limits, how).map(|(image, _)| image)
}

/// Without libjpeg-turbo, a JPEG cut short is decoded as any JPEG (and refused).
#[cfg(not(feature = "turbojpeg"))]
pub fn decode_jpeg_partial(
    bytes: &[u8],
    limits: &DecodeLimits,
) -> Result<DynamicImage, DecodeError> {
    decode_jpeg(bytes, limits)
}

/// `--fast`: decodes a JPEG at the smallest of libjpeg-turbo's DCT scales (n/8) whose
/// shorter side is still at least `min_short_side` px (full size if the picture is smaller),
/// as the reference tools' own speed shortcut does. With `luma_only`, a colour (YCbCr or
/// RGB) JPEG comes out as its grey channel alone, one byte per pixel: libjpeg then skips
/// the colour components' inverse DCT, upsampling and colour conversion (for YCbCr the
/// grey is the stored Y, the same BT.601 weights as PDQ's luma, without the round trip
/// through 8-bit RGB). Returns the picture and the JPEG's full width and height.
#[cfg(feature = "turbojpeg")]
pub(crate) fn decode_jpeg_reduced(
    bytes: &[u8],
    limits: &DecodeLimits,
    min_short_side: u32,
    luma_only: bool,
) -> Result<(DynamicImage, (u32, u32)), DecodeError> {
    let how = turbo::How {
        reduce_to: Some(min_short_side),
        luma_only,
        ..turbo::How::default()
    };
    turbo::decode(bytes, limits, how)
}

/// Without libjpeg-turbo there is no DCT scaling: the full picture, in colour.
#[cfg(not(feature = "turbojpeg"))]
pub fn decode_jpeg_reduced(
    bytes: &[u8],
    limits: &DecodeLimits,
    _min_short_side: u32,
    _luma_only: bool,
) -> Result<(DynamicImage, (u32, u32)), DecodeError> {
    let image = decode_jpeg(bytes, limits)?;
    let size = (image.width(), image.height());
    Ok((image, size))
}

/// The DCT scale n/8 (n in 1..=8) `decode_jpeg_reduced` uses for a `width`×`height` JPEG:
/// the smallest whose scaled shorter side (rounded up, as libjpeg-turbo's `TJSCALED`) is at
/// least `min_short_side`.
pub(crate) fn reduced_scale(width: usize, height: usize, min_short_side: usize) -> usize {
    let short = width.min(height);
    (1..=8)
        .find(|n| (short * n).div_ceil(8) >= min_short_side)
        .unwrap_or(8)
}

#[cfg(feature = "turbojpeg")]
mod turbo {
    use image::{DynamicImage, GrayImage, RgbImage};
    use turbojpeg::{Colorspace, Decompressor, Image, PixelFormat};

    use super::{cmyk_to_rgb, has_adobe_marker, DecodeError, DecodeLimits};

    fn corrupt(err: turbojpeg::Error) -> DecodeError {
        DecodeError::Corrupt(err.to_string())
    }

    /// libjpeg's warnings that the data ended early (`JWRN_JPEG_EOF`, `JWRN_HIT_MARKER`):
    /// the picture is complete but for grey rows where data was missing.
    const CUT_SHORT: [&str; 2] = [
        "Premature end of JPEG file",
        "Corrupt JPEG data: premature end of data segment",
    ];

    /// How to decode; the default is the full picture, as PIL gets it.
    #[derive(Default)]
    pub(super) struct How {
        /// Decode at the DCT scale `reduced_scale` picks for this shorter side (TurboJPEG
        /// picks the scale from the output size asked for).
        pub reduce_to: Option<u32>,
        /// Accept the `CUT_SHORT` warnings (TurboJPEG reports them as errors after
        /// decoding every row).
        pub cut_short: bool,
        /// Decode a YCbCr or RGB JPEG to grey alone (`decode_jpeg_reduced`).
        pub luma_only: bool,
    }

    /// The picture, and the JPEG's full size.
    pub(super) fn decode(
        bytes: &[u8],
        limits: &DecodeLimits,
        how: How,
    ) -> Result<(DynamicImage, (u32, u32)), DecodeError> {
        let mut decompressor =
            Decompressor::new().map_err(|e| DecodeError::Unsupported(e.to_string()))?;
        let header = decompressor.read_header(bytes).map_err(corrupt)?;
        let format = match header.colorspace {
            Colorspace::Gray => PixelFormat::GRAY,
            Colorspace::CMYK | Colorspace::YCCK => PixelFormat::CMYK,
            Colorspace::RGB | Colorspace::YCbCr if how.luma_only => PixelFormat::GRAY,
            Colorspace::RGB | Colorspace::YCbCr => PixelFormat::RGB,
        };
        checked_len(header.width, header.height, format.size(), limits)?;
        let scale = how.reduce_to.map_or(8, |short| {
            super::reduced_scale(header.width, header.height, short as usize)
        });
        let (width, height) = (
            (header.width * scale).div_ceil(8),
            (header.height * scale).div_ceil(8),
        );
        let len = checked_len(width, height, format.size(), limits)?;
        let mut pixels = crate::perceptual::spare_pixels::take(len);
        let image = Image {
            pixels: pixels.as_mut_slice(),
            width,
            pitch: width * format.size(),
            height,
            format,
        };
        match decompressor.decompress(bytes, image) {
            Err(turbojpeg::Error::TurboJpegError(warning))
                if how.cut_short && CUT_SHORT.contains(&warning.as_str()) => {}
            done => done.map_err(corrupt)?,
        }
        // Every side fits in u32: checked against `limits` in `checked_len`.
        let full = (header.width as u32, header.height as u32);
        let (w, h) = (width as u32, height as u32);
        let built = match format {
            PixelFormat::GRAY => GrayImage::from_raw(w, h, pixels).map(DynamicImage::ImageLuma8),
            PixelFormat::CMYK => {
                let rgb = cmyk_to_rgb(&pixels, has_adobe_marker(bytes));
                RgbImage::from_raw(w, h, rgb).map(DynamicImage::ImageRgb8)
            }
            _ => RgbImage::from_raw(w, h, pixels).map(DynamicImage::ImageRgb8),
        };
        built
            .map(|image| (image, full))
            .ok_or_else(|| DecodeError::Corrupt("pixel buffer size mismatch".into()))
    }

    /// Bytes of the output, refused before allocation if the header is over the limits.
    fn checked_len(
        width: usize,
        height: usize,
        channels: usize,
        limits: &DecodeLimits,
    ) -> Result<usize, DecodeError> {
        let over = || {
            DecodeError::LimitExceeded(format!(
                "JPEG header declares {width}×{height} px ({channels} channels)"
            ))
        };
        if width > limits.max_width as usize || height > limits.max_height as usize {
            return Err(over());
        }
        let len = width
            .checked_mul(height)
            .and_then(|n| n.checked_mul(channels))
            .ok_or_else(over)?;
        if len as u64 > limits.max_alloc {
            return Err(over());
        }
        Ok(len)
    }
}

/// Whether the JPEG carries an Adobe APP14 segment before its first scan; Adobe CMYK JPEGs
/// store inverted ink values (PIL then reads them as `CMYK;I`).
#[cfg_attr(not(feature = "turbojpeg"), allow(dead_code))]
fn has_adobe_marker(bytes: &[u8]) -> bool {
    let mut pos = 2; // after SOI
    while pos + 4 <= bytes.len() && bytes[pos] == 0xFF {
        let marker = bytes[pos + 1];
        if marker == 0xDA {
            return false; // start of scan: no more header segments
        }
        let seg_len = usize::from(u16::from_be_bytes([bytes[pos + 2], bytes[pos + 3]]));
        let body = bytes.get(pos + 4..pos + 2 + seg_len).unwrap_or(&[]);
        if marker == 0xEE && body.starts_with(b"Adobe") {
            return true;
        }
        pos += 2 + seg_len;
    }
    false
}

/// PIL's `cmyk2rgb` (Pillow `Convert.c`): with nk = 255 − K, each channel is
/// `clip(nk − C·nk/255)` using PIL's rounded integer `MULDIV255`. `inverted` applies PIL's
/// `CMYK;I` raw mode first.
#[cfg_attr(not(feature = "turbojpeg"), allow(dead_code))]
fn cmyk_to_rgb(cmyk: &[u8], inverted: bool) -> Vec<u8> {
    let muldiv255 = |a: i32, b: i32| {
        let t = a * b + 128;
        ((t >> 8) + t) >> 8
    };
    let mut rgb = Vec::with_capacity(cmyk.len() / 4 * 3);
    for px in cmyk.chunks_exact(4) {
        let ink = |v: u8| i32::from(if inverted { 255 - v } else { v });
        let nk = 255 - ink(px[3]);
        for &c in &px[..3] {
            rgb.push((nk - muldiv255(ink(c), nk)).clamp(0, 255) as u8);
        }
    }
    rgb
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, RgbImage};
    use std::io::Cursor;

    fn jpeg_bytes(img: DynamicImage) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    fn gradient() -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(48, 40, |x, y| {
            image::Rgb([(x * 5) as u8, (y * 6) as u8, 100])
        }))
    }

    #[test]
    fn decodes_colour_and_grey() {
        let limits = DecodeLimits::default();
        let rgb = decode_jpeg(&jpeg_bytes(gradient()), &limits).unwrap();
        assert_eq!((rgb.width(), rgb.height()), (48, 40));
        assert!(matches!(rgb, DynamicImage::ImageRgb8(_)));
        let grey = decode_jpeg(&jpeg_bytes(gradient().grayscale()), &limits).unwrap();
        assert!(
            matches!(grey, DynamicImage::ImageLuma8(_)),
            "grey stays one channel"
        );
    }

    #[test]
    fn huge_header_is_refused_cheaply() {
        // A valid tiny JPEG whose SOF0 is patched to claim 65000×65000 px (JPEG sides are
        // 16-bit; libjpeg-turbo stops at 65500): 12 GiB of RGB if it were allocated.
        let mut bytes = jpeg_bytes(gradient());
        let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        let side = 65_000u16.to_be_bytes();
        bytes[sof + 5..sof + 7].copy_from_slice(&side);
        bytes[sof + 7..sof + 9].copy_from_slice(&side);
        let err = decode_jpeg(&bytes, &DecodeLimits::default()).unwrap_err();
        assert!(matches!(err, DecodeError::LimitExceeded(_)), "{err:?}");
        let small = DecodeLimits {
            max_alloc: 1000,
            ..DecodeLimits::default()
        };
        let err = decode_jpeg(&jpeg_bytes(gradient()), &small).unwrap_err();
        assert!(matches!(err, DecodeError::LimitExceeded(_)), "{err:?}");
    }

    #[test]
    fn reduced_scale_keeps_the_shorter_side_at_least_the_minimum() {
        // 1200 px short side: 3/8 gives 450 < 512, 4/8 gives 600.
        assert_eq!(reduced_scale(2000, 1200, 512), 4);
        assert_eq!(reduced_scale(4032, 3024, 512), 2);
        assert_eq!(reduced_scale(8000, 4096, 512), 1);
        // Rounded up as TJSCALED: 4089 × 1/8 = 511.1 → 512.
        assert_eq!(reduced_scale(6000, 4089, 512), 1);
        assert_eq!(reduced_scale(640, 480, 512), 8);
    }

    #[cfg(feature = "turbojpeg")]
    #[test]
    fn reduced_decode_is_smaller_and_reports_the_full_size() {
        let big = DynamicImage::ImageRgb8(RgbImage::from_fn(2000, 1200, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 100])
        }));
        let bytes = jpeg_bytes(big);
        let (image, full) =
            decode_jpeg_reduced(&bytes, &DecodeLimits::default(), 512, false).unwrap();
        assert_eq!(full, (2000, 1200));
        assert_eq!((image.width(), image.height()), (1000, 600));
        let (small, full) = decode_jpeg_reduced(
            &jpeg_bytes(gradient()),
            &DecodeLimits::default(),
            512,
            false,
        )
        .unwrap();
        assert_eq!((small.width(), small.height()), full);
    }

    /// `luma_only`: the grey channel alone, at the same reduced size, within rounding of the
    /// BT.601 luma of the colour decode (the weights PDQ uses).
    #[cfg(feature = "turbojpeg")]
    #[test]
    fn luma_only_reduced_decode_is_the_colour_decodes_luma() {
        let big = DynamicImage::ImageRgb8(RgbImage::from_fn(2000, 1200, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 200) as u8 + 30])
        }));
        let bytes = jpeg_bytes(big);
        let limits = DecodeLimits::default();
        let (colour, full) = decode_jpeg_reduced(&bytes, &limits, 512, false).unwrap();
        let (grey, grey_full) = decode_jpeg_reduced(&bytes, &limits, 512, true).unwrap();
        assert_eq!(full, grey_full);
        let (DynamicImage::ImageRgb8(colour), DynamicImage::ImageLuma8(grey)) = (colour, grey)
        else {
            panic!("colour decode should be RGB and luma_only grey");
        };
        assert_eq!(grey.dimensions(), (1000, 600));
        let gaps: Vec<f32> = colour
            .pixels()
            .zip(grey.pixels())
            .map(|(rgb, y)| {
                let [r, g, b] = rgb.0.map(f32::from);
                (0.299 * r + 0.587 * g + 0.114 * b - f32::from(y.0[0])).abs()
            })
            .collect();
        // Clipped RGB where chroma is sharp (the pattern wraps) moves the colour decode's
        // luma by a few levels; on average they agree to rounding.
        let worst = gaps.iter().copied().fold(0.0, f32::max);
        let mean = gaps.iter().sum::<f32>() / gaps.len() as f32;
        assert!(
            worst <= 3.0 && mean <= 0.5,
            "grey off by {worst} at worst, {mean} on average"
        );
    }

    #[test]
    fn truncated_jpeg_is_an_error() {
        let bytes = jpeg_bytes(gradient());
        assert!(decode_jpeg(&bytes[..bytes.len() / 2], &DecodeLimits::default()).is_err());
        assert!(decode_jpeg(b"\xFF\xD8garbage", &DecodeLimits::default()).is_err());
    }

    #[test]
    fn cmyk_conversion_matches_pil() {
        // Values from Pillow 13: Image.new('CMYK', (1,1), c).convert('RGB').
        assert_eq!(cmyk_to_rgb(&[0, 0, 0, 0], false), [255, 255, 255]);
        assert_eq!(cmyk_to_rgb(&[255, 0, 0, 0], false), [0, 255, 255]);
        assert_eq!(cmyk_to_rgb(&[10, 100, 200, 50], false), [197, 125, 44]);
        assert_eq!(cmyk_to_rgb(&[245, 155, 55, 205], true), [197, 125, 44]);
    }

    #[test]
    fn adobe_marker_is_found_only_in_header() {
        let plain = jpeg_bytes(gradient());
        assert!(!has_adobe_marker(&plain));
        let mut adobe = vec![0xFF, 0xD8, 0xFF, 0xEE, 0x00, 0x0E];
        adobe.extend_from_slice(b"Adobe\0\x64\0\0\0\0\x02");
        adobe.extend_from_slice(&plain[2..]);
        assert!(has_adobe_marker(&adobe));
    }
}
