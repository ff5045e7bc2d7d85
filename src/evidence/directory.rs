//! A directory (or single file) on the examiner's filesystem as evidence.
//!
//! Walks the tree itself rather than with walkdir: every directory is opened with
//! `O_NOATIME` (where the kernel permits it: owner or root), because merely listing a
//! directory moves its access time on a `relatime` mount, and walkdir cannot pass that flag.
//! Directories waiting to be listed are kept by path, not held open, so no tree is too wide
//! for the descriptor limit. Symbolic links are never followed (a link is listed as skipped,
//! so a link pointing outside the evidence reads nothing outside it, and a link loop is just
//! a link); a directory reached twice (a bind mount of its own parent) is a failure, not an
//! endless walk. Files are opened read-only with `O_NOATIME`, `O_NOFOLLOW` so a file swapped
//! for a link after listing is refused, and `O_NONBLOCK` so a file swapped for a FIFO cannot
//! hang a worker.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags, CWD};

use super::meta::FileMeta;
use super::statx::stat_file;
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
        SourceInfo::plain(&self.root, kind)
    }

    fn enumerate(&self, stop: &AtomicBool) -> Result<Vec<EvidenceItem>, EvidenceError> {
        // The root itself must be readable; anything below it that is not becomes an item.
        let fatal = |source: io::Error| EvidenceError::Open {
            path: self.root.clone(),
            error: source,
        };
        let st = rustix::fs::lstat(&self.root).map_err(|e| fatal(e.into()))?;
        let file_type = FileType::from_raw_mode(st.st_mode);
        if file_type != FileType::Directory {
            let (kind, meta) = kind_of(file_type, || stat_file(CWD, &self.root));
            return Ok(vec![with_meta(item(&self.root, kind), meta)]);
        }
        let root_fd = open_dir(&self.root).map_err(fatal)?;
        let mut walk = Walk {
            items: Vec::new(),
            seen_dirs: HashSet::new(),
            pending: Vec::new(),
        };
        walk.list_if_new(&root_fd, &self.root);
        drop(root_fd);
        // Directories still to list are kept by path, not open: a tree with more
        // directories than the process may hold descriptors must still be walked whole.
        while let Some(path) = walk.pending.pop() {
            if stop.load(Ordering::Relaxed) {
                return Err(EvidenceError::Interrupted {
                    path: self.root.clone(),
                });
            }
            match open_dir(&path) {
                Ok(fd) => walk.list_if_new(&fd, &path),
                Err(e) => walk.items.push(unlistable(&path, &e)),
            }
        }
        Ok(walk.items)
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

/// A depth-first walk: the items found, the directories still to list, and those listed.
struct Walk {
    items: Vec<EvidenceItem>,
    seen_dirs: HashSet<(u64, u64)>,
    pending: Vec<PathBuf>,
}

impl Walk {
    /// Lists an opened directory unless it was listed before (same device and inode).
    fn list_if_new(&mut self, fd: &OwnedFd, path: &Path) {
        match rustix::fs::fstat(fd) {
            Ok(st) if !self.seen_dirs.insert((st.st_dev, st.st_ino)) => self.items.push(item(
                path,
                ItemKind::Unreadable {
                    error: "filesystem loop: this directory was already walked".to_string(),
                },
            )),
            _ => self.list(fd, path),
        }
    }

    /// Lists one directory: an item per non-directory entry, subdirectories queued.
    fn list(&mut self, fd: &OwnedFd, path: &Path) {
        let listing = fd
            .try_clone()
            .and_then(|dup| Dir::new(dup).map_err(io::Error::from));
        let dir = match listing {
            Ok(dir) => dir,
            Err(e) => return self.items.push(unlistable(path, &e)),
        };
        for entry in dir {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => return self.items.push(unlistable(path, &e.into())),
            };
            let name = entry.file_name().to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            let child = path.join(OsStr::from_bytes(name));
            let stat = || rustix::fs::statat(fd, name, AtFlags::SYMLINK_NOFOLLOW);
            let file_type = match entry.file_type() {
                FileType::Unknown => match stat() {
                    Ok(st) => FileType::from_raw_mode(st.st_mode),
                    Err(e) => {
                        self.items.push(cannot_stat(&child, &e.into()));
                        continue;
                    }
                },
                known => known,
            };
            if file_type == FileType::Directory {
                self.pending.push(child);
                continue;
            }
            let (kind, meta) = kind_of(file_type, || stat_file(fd, name));
            self.items.push(with_meta(item(&child, kind), meta));
        }
    }
}

/// Opens a directory to list it, without moving its access time where permitted.
fn open_dir(path: &Path) -> io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    match rustix::fs::openat(CWD, path, flags | OFlags::NOATIME, Mode::empty()) {
        // O_NOATIME is refused (EPERM) on directories the user does not own, unless root.
        Err(rustix::io::Errno::PERM) => Ok(rustix::fs::openat(CWD, path, flags, Mode::empty())?),
        other => Ok(other?),
    }
}

/// What a non-directory entry is: a link and any special file (FIFO, socket, device) are
/// never opened; size and facts (`statx`) are asked only of regular files.
fn kind_of(
    file_type: FileType,
    stat: impl FnOnce() -> io::Result<(u64, FileMeta)>,
) -> (ItemKind, Option<FileMeta>) {
    match file_type {
        FileType::Symlink => (
            ItemKind::Skipped {
                reason: SkipReason::Symlink,
            },
            None,
        ),
        FileType::RegularFile => match stat() {
            Ok((size, meta)) => (ItemKind::File { size }, Some(meta)),
            Err(err) => (
                ItemKind::Unreadable {
                    error: format!("cannot stat: {err}"),
                },
                None,
            ),
        },
        _ => (
            ItemKind::Skipped {
                reason: SkipReason::SpecialFile,
            },
            None,
        ),
    }
}

fn with_meta(item: EvidenceItem, meta: Option<FileMeta>) -> EvidenceItem {
    EvidenceItem { meta, ..item }
}

fn item(path: &Path, kind: ItemKind) -> EvidenceItem {
    EvidenceItem {
        path: ItemPath::from(path),
        kind,
        locator: Locator::Path(path.to_path_buf()),
        location: None,
        meta: None,
    }
}

fn unlistable(path: &Path, err: &io::Error) -> EvidenceItem {
    item(
        path,
        ItemKind::Unreadable {
            error: format!("cannot list directory: {err}"),
        },
    )
}

fn cannot_stat(path: &Path, err: &io::Error) -> EvidenceItem {
    item(
        path,
        ItemKind::Unreadable {
            error: format!("cannot stat: {err}"),
        },
    )
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
