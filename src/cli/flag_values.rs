//! The typed values of flags that are more than a word: clap runs these parsers while it
//! reads the command line, so a mistyped value stops the command before anything is read.
//!
//! Owns `--perceptual NAME` and `--threshold ALGO=N`. Library types that know their own
//! spelling (`ListFormat`, `EvidenceType`, `VpdqThresholds`) are parsed by their `FromStr`.

use hashsweep::matcher::{ThresholdError, Thresholds};
use hashsweep::Algorithm;

/// One name given to `--perceptual`: a perceptual algorithm, or `none` (`None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerceptualName(pub Option<Algorithm>);

/// clap's value parser for `--perceptual`.
pub fn parse_perceptual(text: &str) -> Result<PerceptualName, String> {
    let text = text.trim();
    if text == "none" {
        return Ok(PerceptualName(None));
    }
    let algorithm: Algorithm = text.parse().map_err(|e| format!("{e}"))?;
    if !algorithm.is_perceptual() {
        return Err(format!(
            "{text}: not a perceptual algorithm (pdq, phash, dhash, ahash, or none)"
        ));
    }
    Ok(PerceptualName(Some(algorithm)))
}

/// The algorithms of a `--perceptual` list, `none` left out.
pub fn perceptual_algorithms(names: &[PerceptualName]) -> Vec<Algorithm> {
    names.iter().filter_map(|n| n.0).collect()
}

/// One `--threshold ALGO=N`, checked against the algorithm's width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThresholdFlag {
    pub algorithm: Algorithm,
    pub value: u32,
}

/// clap's value parser for `--threshold`.
pub fn parse_threshold(text: &str) -> Result<ThresholdFlag, String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| "expected ALGO=N, e.g. pdq=31".to_string())?;
    let algorithm: Algorithm = name.parse().map_err(|e| format!("{e}"))?;
    let value: u32 = value
        .parse()
        .map_err(|_| format!("{value:?} is not a whole number"))?;
    Thresholds::default()
        .set(algorithm, value)
        .map_err(|e| e.to_string())?;
    Ok(ThresholdFlag { algorithm, value })
}

/// The defaults with every `--threshold` applied, later flags winning.
pub fn thresholds(flags: &[ThresholdFlag]) -> Result<Thresholds, ThresholdError> {
    let mut thresholds = Thresholds::default();
    for flag in flags {
        thresholds.set(flag.algorithm, flag.value)?;
    }
    Ok(thresholds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perceptual_names_are_perceptual_algorithms_or_none() {
        assert_eq!(parse_perceptual("none"), Ok(PerceptualName(None)));
        assert_eq!(
            parse_perceptual(" PDQ"),
            Ok(PerceptualName(Some(Algorithm::Pdq)))
        );
        assert!(parse_perceptual("sha1")
            .unwrap_err()
            .contains("not a perceptual algorithm"));
        assert!(parse_perceptual("pqd")
            .unwrap_err()
            .contains("unknown hash algorithm \"pqd\""));
    }

    #[test]
    fn thresholds_are_checked_as_they_are_read() {
        assert_eq!(
            parse_threshold("pdq=24"),
            Ok(ThresholdFlag {
                algorithm: Algorithm::Pdq,
                value: 24
            })
        );
        assert!(parse_threshold("pdq").unwrap_err().contains("ALGO=N"));
        assert!(parse_threshold("pdq=x")
            .unwrap_err()
            .contains("whole number"));
        assert!(parse_threshold("pdq=257").is_err());
        assert!(parse_threshold("md5=1").is_err());
        let both = [parse_threshold("pdq=24"), parse_threshold("pdq=20")].map(Result::unwrap);
        assert_eq!(thresholds(&both).unwrap().get(Algorithm::Pdq), Some(20));
    }
}
