//! vPDQ video hash files: one video per file, one frame per line.
//!
//! Owns reading Meta's line formats (docs/list-formats.md §vpdq):
//! `frame,quality,pdq,timestamp` (what the C++ `vpdq-hash-video` writes),
//! `frame,pdq,quality,timestamp` (the Python binding's README example) and
//! `pdq,quality,timestamp` (python-threatexchange's compact serialisation, frames numbered
//! by line). The PDQ field is found by its 64 hex digits, so the two 4-field orders cannot
//! be confused. `#` comments and blank lines are skipped. Matching is `video::vpdq`'s; the
//! writer for `list convert` is `write_vpdq`.

use std::io::{self, Write};

use crate::pdq::PdqHash;

/// One frame of a vPDQ hash, as a vPDQ list stores it and a video's frames give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VpdqFeature {
    pub frame: u64,
    pub quality: u32,
    pub hash: PdqHash,
    /// Seconds × 1000, rounded.
    pub timestamp_ms: u64,
}

/// One listed video.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedVideo {
    /// The video's identifier in reports (the list file's name without extension).
    pub id: String,
    pub frames: Vec<VpdqFeature>,
}

/// A line that is not a vPDQ frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct VpdqParseError {
    pub line: u64,
    pub reason: String,
}

/// Whether a line has the shape of a vPDQ frame line (used by format detection).
pub(crate) fn is_vpdq_line(line: &str) -> bool {
    parse_line(line, 0).is_ok_and(|f| f.is_some())
}

/// Every frame of a vPDQ file, in file order.
pub fn parse_vpdq(text: &[u8]) -> Result<Vec<VpdqFeature>, VpdqParseError> {
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    let text = String::from_utf8_lossy(text);
    let mut frames = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        match parse_line(line, frames.len() as u64) {
            Ok(Some(f)) => frames.push(f),
            Ok(None) => {}
            Err(reason) => {
                return Err(VpdqParseError {
                    line: line_no,
                    reason,
                })
            }
        }
    }
    Ok(frames)
}

fn parse_line(line: &str, index: u64) -> Result<Option<VpdqFeature>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    let hash_at = fields
        .iter()
        .position(|f| f.len() == 64 && f.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or("no 64-hex PDQ field")?;
    let (frame, quality, timestamp) = match (fields.len(), hash_at) {
        (4, 2) => (Some(fields[0]), fields[1], fields[3]),
        (4, 1) => (Some(fields[0]), fields[2], fields[3]),
        (3, 0) => (None, fields[1], fields[2]),
        _ => {
            return Err(format!(
                "{} fields; expected frame,quality,pdq,timestamp",
                fields.len()
            ))
        }
    };
    let frame = match frame {
        Some(f) => f
            .parse::<u64>()
            .map_err(|_| format!("frame number {f:?}"))?,
        None => index,
    };
    let quality = quality
        .parse::<u32>()
        .ok()
        .filter(|q| *q <= 100)
        .ok_or_else(|| format!("quality {quality:?} is not 0-100"))?;
    let seconds = timestamp
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e12)
        .ok_or_else(|| format!("timestamp {timestamp:?} is not a number of seconds"))?;
    let hash = PdqHash::from_hex(fields[hash_at]).map_err(|e| e.to_string())?;
    Ok(Some(VpdqFeature {
        frame,
        quality,
        hash,
        timestamp_ms: (seconds * 1000.0).round() as u64,
    }))
}

/// Writes frames as `vpdq-hash-video` does: `frame,quality,pdq,timestamp` with three
/// decimals of seconds.
pub fn write_vpdq<W: Write>(frames: &[VpdqFeature], mut w: W) -> io::Result<()> {
    for f in frames {
        writeln!(
            w,
            "{},{},{},{}.{:03}",
            f.frame,
            f.quality,
            f.hash.to_hex(),
            f.timestamp_ms / 1000,
            f.timestamp_ms % 1000
        )?;
    }
    Ok(())
}

/// The videos of a `hashsweep hash` (or scan) JSON Lines output: each record with a
/// `video.frames` array, as (path, frames). Lines that are not such records are passed by.
pub fn videos_from_records(text: &str) -> Result<Vec<(String, Vec<VpdqFeature>)>, VpdqParseError> {
    let mut videos = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Ok(record) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let Some(frames) = record.pointer("/video/frames").and_then(|f| f.as_array()) else {
            continue;
        };
        let bad = |reason: &str| VpdqParseError {
            line: i as u64 + 1,
            reason: reason.to_string(),
        };
        let mut features = Vec::with_capacity(frames.len());
        for f in frames {
            let text = format!(
                "{},{},{},{}",
                f["frame"]
                    .as_u64()
                    .ok_or_else(|| bad("frame without a number"))?,
                f["quality"]
                    .as_u64()
                    .ok_or_else(|| bad("frame without quality"))?,
                f["pdq"].as_str().ok_or_else(|| bad("frame without pdq"))?,
                f["timestamp"]
                    .as_str()
                    .ok_or_else(|| bad("frame without timestamp"))?,
            );
            match parse_line(&text, 0) {
                Ok(Some(feature)) => features.push(feature),
                Ok(None) => {}
                Err(reason) => return Err(bad(&reason)),
            }
        }
        let path = record["path"].as_str().unwrap_or("").to_string();
        videos.push((path, features));
    }
    Ok(videos)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c";

    #[test]
    fn reads_all_three_line_orders() {
        let text = format!("# made by vpdq\n0,100,{H},0.000\n\n30,98,{H},1.001\n");
        let frames = parse_vpdq(text.as_bytes()).unwrap();
        assert_eq!(frames.len(), 2);
        assert_eq!(
            (frames[1].frame, frames[1].quality, frames[1].timestamp_ms),
            (30, 98, 1001)
        );
        assert_eq!(frames[0].hash.to_hex(), H);
        let python = format!("2,{H},80,2\n");
        let f = parse_vpdq(python.as_bytes()).unwrap()[0];
        assert_eq!((f.frame, f.quality, f.timestamp_ms), (2, 80, 2000));
        let compact = format!("{H},77,0.5\n{H},78,1.5\n");
        let f = parse_vpdq(compact.as_bytes()).unwrap();
        assert_eq!((f[1].frame, f[1].quality, f[1].timestamp_ms), (1, 78, 1500));
    }

    #[test]
    fn bad_lines_name_their_line() {
        let text = format!("0,100,{H},0\n1,101,{H},1\n");
        let err = parse_vpdq(text.as_bytes()).unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.reason.contains("quality"), "{err}");
        assert!(parse_vpdq(b"0,100,abc,0\n").is_err());
        assert!(parse_vpdq(format!("x,100,{H},0").as_bytes()).is_err());
        assert!(parse_vpdq(format!("0,100,{H},-1").as_bytes()).is_err());
        assert!(parse_vpdq(format!("0,100,{H},nan").as_bytes()).is_err());
    }

    #[test]
    fn written_frames_read_back() {
        let frames = parse_vpdq(format!("0,100,{H},0.000\n5,60,{H},0.167\n").as_bytes()).unwrap();
        let mut out = Vec::new();
        write_vpdq(&frames, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            format!("0,100,{H},0.000\n5,60,{H},0.167\n")
        );
        assert_eq!(parse_vpdq(&out).unwrap(), frames);
    }
}
