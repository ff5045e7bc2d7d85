//! pHash, dHash and aHash through `image_hasher` (the maintained fork of img_hash).
//!
//! Owns the three hasher configurations. All are 8×8 = 64 bits, most-significant bit first
//! (the order other libraries print), computed from an 8-bit grey image. Values from other
//! libraries are not comparable (resize filters differ), so these hashes are for lists that
//! hashsweep itself produced (`hashsweep hash`).
//!
//! image_hasher resizes the full picture with Lanczos3 once per hash, generically over pixel
//! types; that made the three 64-bit hashes cost more than decoding. `hash_wanted` instead
//! downscales once per target size with `downscale::Downscaler` (the same arithmetic, so the
//! same bytes) and hands image_hasher the 16×16, 9×8 or 8×8 picture, which it then copies
//! instead of resizing: the values are image_hasher's own, bit for bit (tested, with
//! image_hasher on the full picture as the oracle).

use super::downscale::Downscaler;
use image::GrayImage;
use image_hasher::{BitOrder, HashAlg, Hasher, HasherConfig};
use std::sync::Arc;

/// Which of the three hashes to compute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WantedImgHashes {
    pub phash: bool,
    pub dhash: bool,
    pub ahash: bool,
}

/// The computed values; one not wanted stays `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImgHashValues {
    pub phash: Option<[u8; 8]>,
    pub dhash: Option<[u8; 8]>,
    pub ahash: Option<[u8; 8]>,
}

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

    /// The asked-for hashes of one grey picture, each equal to image_hasher's on the full
    /// picture (`phash`, `dhash`, `ahash` below), from shared downscales.
    pub fn hash_wanted(&self, grey: &GrayImage, wanted: WantedImgHashes) -> ImgHashValues {
        let mut downscaler = Downscaler::new(grey);
        // The sizes image_hasher resizes to: DCT input 2× the 8×8 hash; gradient 9×8; mean 8×8.
        ImgHashValues {
            phash: wanted.phash.then(|| self.phash(&downscaler.resize(16, 16))),
            dhash: wanted.dhash.then(|| self.dhash(&downscaler.resize(9, 8))),
            ahash: wanted.ahash.then(|| self.ahash(&downscaler.resize(8, 8))),
        }
    }

    /// image_hasher's pHash of the picture as given (it resizes it itself: slow on a large
    /// picture; `hash_wanted` is the fast path to the same value).
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

    #[test]
    fn shared_downscales_give_image_hashers_values() {
        let h = ImgHashers::new();
        let all = WantedImgHashes {
            phash: true,
            dhash: true,
            ahash: true,
        };
        // Includes the hash sizes themselves (image_hasher copies instead of resizing).
        for (w, h_) in [(640, 480), (33, 1000), (16, 16), (9, 8), (8, 8), (2, 2)] {
            let grey = GrayImage::from_fn(w, h_, |x, y| {
                image::Luma([((x * 7 + y * 13) ^ (x * y)) as u8])
            });
            let fast = h.hash_wanted(&grey, all);
            assert_eq!(fast.phash, Some(h.phash(&grey)), "{w}x{h_}");
            assert_eq!(fast.dhash, Some(h.dhash(&grey)), "{w}x{h_}");
            assert_eq!(fast.ahash, Some(h.ahash(&grey)), "{w}x{h_}");
        }
        let only_d = h.hash_wanted(
            &gradient(100, 50),
            WantedImgHashes {
                dhash: true,
                ..Default::default()
            },
        );
        assert_eq!((only_d.phash, only_d.ahash), (None, None));
        assert_eq!(only_d.dhash, Some(h.dhash(&gradient(100, 50))));
    }
}
