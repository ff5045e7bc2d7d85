//! pHash, dHash and aHash through `image_hasher` (the maintained fork of img_hash).
//!
//! Owns the three hasher configurations. All are 8×8 = 64 bits, most-significant bit first
//! (the order other libraries print), computed from an 8-bit grey image. Values from other
//! libraries are not comparable (resize filters differ), so these hashes are for lists that
//! hashsweep itself produced (`hashsweep hash`).

use image::GrayImage;
use image_hasher::{BitOrder, HashAlg, Hasher, HasherConfig};
use std::sync::Arc;

/// The three configured hashers, built once and shared by every worker.
#[derive(Clone)]
pub struct ImgHashers {
    phash: Arc<Hasher<[u8; 8]>>,
    dhash: Arc<Hasher<[u8; 8]>>,
    ahash: Arc<Hasher<[u8; 8]>>,
}

impl Default for ImgHashers {
    fn default() -> Self {
        Self::new()
    }
}

fn config(alg: HashAlg) -> HasherConfig<[u8; 8]> {
    HasherConfig::with_bytes_type::<[u8; 8]>()
        .hash_size(8, 8)
        .hash_alg(alg)
        .bit_order(BitOrder::MsbFirst)
}

impl ImgHashers {
    pub fn new() -> Self {
        ImgHashers {
            // Krawetz's pHash: DCT, then each low-frequency coefficient against their median.
            // (Mean + DCT is degenerate: the DC term dominates the mean, so smooth pictures
            // all hash to 0x8000000000000000 and would match each other.)
            phash: Arc::new(config(HashAlg::Median).preproc_dct().to_hasher()),
            dhash: Arc::new(config(HashAlg::Gradient).to_hasher()),
            ahash: Arc::new(config(HashAlg::Mean).to_hasher()),
        }
    }

    pub fn phash(&self, grey: &GrayImage) -> [u8; 8] {
        self.phash.hash_image(grey).into_inner()
    }

    pub fn dhash(&self, grey: &GrayImage) -> [u8; 8] {
        self.dhash.hash_image(grey).into_inner()
    }

    pub fn ahash(&self, grey: &GrayImage) -> [u8; 8] {
        self.ahash.hash_image(grey).into_inner()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(w: u32, h: u32) -> GrayImage {
        GrayImage::from_fn(w, h, |x, _| image::Luma([(x * 255 / (w - 1)) as u8]))
    }

    #[test]
    fn resized_copy_hashes_close_and_mirror_far() {
        let h = ImgHashers::new();
        let big = gradient(256, 128);
        let small = gradient(128, 64);
        let mirrored = image::imageops::flip_horizontal(&big);
        let dist = |a: [u8; 8], b: [u8; 8]| u64::from_be_bytes(a) ^ u64::from_be_bytes(b);
        assert!(dist(h.dhash(&big), h.dhash(&small)).count_ones() <= 2);
        // A left-to-right ramp and its mirror disagree on every horizontal gradient bit.
        assert_eq!(dist(h.dhash(&big), h.dhash(&mirrored)).count_ones(), 64);
    }
}
