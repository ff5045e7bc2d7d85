//! A directory (or single file) on the examiner's filesystem as evidence.
//!
//! Walks with walkdir without following symbolic links (a link is listed as skipped, so a
//! link pointing outside the evidence reads nothing outside it). Files are opened read-only
//! with `O_NOATIME` (where the kernel permits it: owner or root) so reading does not even
//! move access times, `O_NOFOLLOW` so a file swapped for a link after listing is refused, and
//! `O_NONBLOCK` so a file swapped for a FIFO cannot hang a worker.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use walkdir::WalkDir;

use super::{
    EvidenceError, EvidenceItem, EvidenceSource, ItemKind, ItemPath, Locator, SkipReason,
    SourceInfo,
};

pub struct DirectorySource {
    root: PathBuf,
}

impl DirectorySource {
    pub fn new(root: &Path) -> Self {
        DirectorySource {
            root: root.to_path_buf(),
        }
    }
}

impl EvidenceSource for DirectorySource {
    fn info(&self) -> SourceInfo {
        let kind = if self.root.is_dir() {
            "directory"
        } else {
            "file"
        };
        SourceInfo {
            path: self.root.clone(),
            kind,
        }
    }

    fn enumerate(&self, stop: &AtomicBool) -> Result<Vec<EvidenceItem>, EvidenceError> {
        // The root itself must be readable; anything below it that is not becomes an item.
        std::fs::symlink_metadata(&self.root).map_err(|source| EvidenceError::Open {
            path: self.root.clone(),
            source,
        })?;
        let mut items = Vec::new();
        for entry in WalkDir::new(&self.root).follow_links(false) {
            if stop.load(Ordering::Relaxed) {
                return Err(EvidenceError::Interrupted {
                    path: self.root.clone(),
                });
            }
            match entry {
                Ok(entry) => items.extend(item_for(&entry)),
                Err(err) => items.push(walk_error_item(&self.root, err)?),
            }
        }
        Ok(items)
    }

    fn open(&self, item: &EvidenceItem) -> io::Result<Box<dyn Read + Send + '_>> {
        match &item.locator {
            Locator::Path(path) => Ok(Box::new(open_read_only(path)?)),
            Locator::Index(_) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "directory items are located by path",
            )),
        }
    }
}

/// The item for one walked entry; directories are containers, not items.
fn item_for(entry: &walkdir::DirEntry) -> Option<EvidenceItem> {
    let file_type = entry.file_type();
    let kind = if file_type.is_dir() {
        return None;
    } else if file_type.is_symlink() {
        ItemKind::Skipped {
            reason: SkipReason::Symlink,
        }
    } else if file_type.is_fifo()
        || file_type.is_socket()
        || file_type.is_block_device()
        || file_type.is_char_device()
    {
        ItemKind::Skipped {
            reason: SkipReason::SpecialFile,
        }
    } else {
        match entry.metadata() {
            Ok(meta) => ItemKind::File { size: meta.len() },
            Err(err) => ItemKind::Unreadable {
                error: format!("cannot stat: {err}"),
            },
        }
    };
    Some(EvidenceItem {
        path: ItemPath::from(entry.path()),
        kind,
        locator: Locator::Path(entry.path().to_path_buf()),
        location: None,
    })
}

/// A walk error below the root is an unreadable item; at the root it is fatal.
fn walk_error_item(root: &Path, err: walkdir::Error) -> Result<EvidenceItem, EvidenceError> {
    let path = err.path().unwrap_or(root).to_path_buf();
    if err.depth() == 0 {
        let source = err
            .into_io_error()
            .unwrap_or_else(|| io::Error::other("filesystem loop at the evidence root"));
        return Err(EvidenceError::Open { path, source });
    }
    let error = match err.io_error() {
        Some(io_err) => format!("cannot list directory: {io_err}"),
        None => format!("{err}"),
    };
    Ok(EvidenceItem {
        path: ItemPath::from(path.as_path()),
        kind: ItemKind::Unreadable { error },
        locator: Locator::Path(path),
        location: None,
    })
}

/// Opens a file for reading only, without touching its access time where permitted.
pub fn open_read_only(path: &Path) -> io::Result<File> {
    let flags = libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC;
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(flags | libc::O_NOATIME)
        .open(path)
    {
        // O_NOATIME is refused (EPERM) on files the user does not own, unless root.
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => {
            OpenOptions::new().read(true).custom_flags(flags).open(path)
        }
        other => other,
    }?;
    if !file.metadata()?.file_type().is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "no longer a regular file",
        ));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_files_and_skips_links_without_following_them() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.txt"), b"outside").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/a.bin"), b"abc").unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        let source = DirectorySource::new(dir.path());
        let mut items = source.enumerate(&AtomicBool::new(false)).unwrap();
        items.sort_by(|a, b| a.path.cmp(&b.path));
        let kinds: Vec<_> = items.iter().map(|i| i.kind.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                ItemKind::Skipped {
                    reason: SkipReason::Symlink
                },
                ItemKind::File { size: 3 },
            ]
        );
        let mut buf = Vec::new();
        source
            .open(&items[1])
            .unwrap()
            .read_to_end(&mut buf)
            .unwrap();
        assert_eq!(buf, b"abc");
    }

    #[test]
    fn missing_root_is_fatal() {
        let source = DirectorySource::new(Path::new("/nonexistent/hashsweep-evidence"));
        assert!(matches!(
            source.enumerate(&AtomicBool::new(false)),
            Err(EvidenceError::Open { .. })
        ));
    }
}
