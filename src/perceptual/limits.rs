//! What every picture decoder shares: the limits a picture must respect (`DecodeLimits`)
//! and how a decode fails (`DecodeError`, with image-rs's errors mapped onto it).

use image::ImageError;

use crate::failure::FailureKind;

/// Upper bounds a picture must respect to be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    pub max_width: u32,
    pub max_height: u32,
    /// Largest allocation the decoder may make, in bytes.
    pub max_alloc: u64,
}

impl Default for DecodeLimits {
    /// 30,000 px a side covers panoramas and large scans; 1 GiB of decoder memory per
    /// picture keeps two workers well inside a small examiner workstation.
    fn default() -> Self {
        DecodeLimits {
            max_width: 30_000,
            max_height: 30_000,
            max_alloc: 1 << 30,
        }
    }
}

/// Why a picture could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("picture exceeds decode limits: {0}")]
    LimitExceeded(String),
    #[error("corrupt or truncated picture: {0}")]
    Corrupt(String),
    #[error("unsupported picture variant: {0}")]
    Unsupported(String),
    /// The decoder process crashed, hung past its timeout or could not be run.
    #[error("{0}")]
    DecoderProcess(String),
}

impl DecodeError {
    /// The kind of the item's failure when its picture is not decoded.
    pub fn failure_kind(&self) -> FailureKind {
        match self {
            DecodeError::LimitExceeded(_) => FailureKind::Limit,
            DecodeError::Corrupt(_) => FailureKind::Decode,
            DecodeError::Unsupported(_) => FailureKind::Unsupported,
            DecodeError::DecoderProcess(_) => FailureKind::DecoderProcess,
        }
    }
}

impl From<ImageError> for DecodeError {
    fn from(err: ImageError) -> Self {
        match err {
            ImageError::Limits(e) => DecodeError::LimitExceeded(e.to_string()),
            ImageError::Unsupported(e) => DecodeError::Unsupported(e.to_string()),
            other => DecodeError::Corrupt(other.to_string()),
        }
    }
}
