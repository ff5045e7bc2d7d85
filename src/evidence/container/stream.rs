//! Single compressed streams: gzip (all members), bzip2, xz and zstd, each one entry whose
//! payload may itself be a container (a `.tar.gz` is a gzip holding a tar).
//!
//! The payload is named after gzip's stored file name when there is one, else after the
//! container with its compression suffix dropped (`x.tar.gz` → `x.tar`), else `payload`.
//! Decoders are pure Rust (flate2 on miniz_oxide, bzip2 on libbz2-rs, lzma-rust2, ruzstd).

use std::io::Read;

use flate2::read::MultiGzDecoder;

use super::{ContainerError, ContainerFormat, EntryBody, EntryInfo, Visitor};

pub(super) fn read_entries(
    format: ContainerFormat,
    bytes: &[u8],
    container_name: &[u8],
    visit: &mut Visitor<'_>,
) -> Result<(), ContainerError> {
    let mut info = EntryInfo {
        index: 0,
        name: payload_name(format, container_name),
        method: Some(format.name().to_string()),
        compressed_size: Some(bytes.len() as u64),
        ..EntryInfo::default()
    };
    let mut decoder: Box<dyn Read + '_> = match format {
        ContainerFormat::Gzip => {
            let gz = MultiGzDecoder::new(bytes);
            if let Some(header) = gz.header() {
                if let Some(name) = header.filename().filter(|n| !n.is_empty()) {
                    info.name = name.to_vec();
                }
                if header.mtime() != 0 {
                    let time = std::time::UNIX_EPOCH
                        + std::time::Duration::from_secs(u64::from(header.mtime()));
                    info.mtime = Some(humantime::format_rfc3339_seconds(time).to_string());
                }
            }
            Box::new(gz)
        }
        ContainerFormat::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(bytes)),
        ContainerFormat::Xz => Box::new(lzma_rust2::XzReader::new(bytes, true)),
        ContainerFormat::Zstd => match ruzstd::decoding::StreamingDecoder::new(bytes) {
            Ok(decoder) => Box::new(decoder),
            Err(e) => {
                return Err(ContainerError::Corrupt {
                    format: format.name(),
                    offset: 0,
                    message: e.to_string(),
                })
            }
        },
        _ => unreachable_format(format)?,
    };
    visit(info, EntryBody::Data(&mut decoder))?;
    Ok(())
}

fn unreachable_format(format: ContainerFormat) -> Result<Box<dyn Read>, ContainerError> {
    Err(ContainerError::Unreadable {
        format: format.name(),
        message: "not a single-stream format".to_string(),
    })
}

/// `x.tar.gz` → `x.tar`, `x.tgz` → `x.tar`, `x.gz` → `x`; `payload` when nothing is left.
fn payload_name(format: ContainerFormat, container_name: &[u8]) -> Vec<u8> {
    let base = container_name
        .rsplit(|b| *b == b'/')
        .next()
        .unwrap_or(container_name);
    let suffixes: &[(&[u8], &[u8])] = match format {
        ContainerFormat::Gzip => &[(b".tgz", b".tar"), (b".gz", b""), (b".z", b"")],
        ContainerFormat::Bzip2 => &[(b".tbz2", b".tar"), (b".tbz", b".tar"), (b".bz2", b"")],
        ContainerFormat::Xz => &[(b".txz", b".tar"), (b".xz", b"")],
        ContainerFormat::Zstd => &[(b".tzst", b".tar"), (b".zst", b"")],
        _ => &[],
    };
    let lower = base.to_ascii_lowercase();
    for (suffix, replacement) in suffixes {
        if lower.ends_with(suffix) && lower.len() > suffix.len() {
            let mut name = base[..base.len() - suffix.len()].to_vec();
            name.extend_from_slice(replacement);
            return name;
        }
    }
    b"payload".to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_names() {
        let gz = ContainerFormat::Gzip;
        assert_eq!(payload_name(gz, b"dir/x.tar.gz"), b"x.tar");
        assert_eq!(payload_name(gz, b"x.TGZ"), b"x.tar");
        assert_eq!(payload_name(gz, b"photo.jpg.gz"), b"photo.jpg");
        assert_eq!(payload_name(gz, b"blob"), b"payload");
        assert_eq!(payload_name(gz, b".gz"), b"payload");
        assert_eq!(payload_name(ContainerFormat::Zstd, b"a.tzst"), b"a.tar");
    }
}
