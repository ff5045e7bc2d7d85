//! Facts of a file of directory evidence, through `statx(2)`.
//!
//! Owns `stat_file`: the size and the `FileMeta::Statx` of one directory entry, asked of
//! the kernel without following a link and without opening the file, so nothing the walk
//! does moves the file's access time. The birth time is reported only when the kernel says
//! the filesystem gave it (`STATX_BTIME` in the returned mask).

use std::io;
use std::os::fd::AsFd;

use rustix::fs::{AtFlags, Statx, StatxFlags, StatxTimestamp};

use super::meta::{FileMeta, StatxMeta, Timestamp};

/// Size and facts of `name` in directory `dir` (or of `name` itself, with `CWD`).
pub(super) fn stat_file<Fd: AsFd, P: rustix::path::Arg>(
    dir: Fd,
    name: P,
) -> io::Result<(u64, FileMeta)> {
    let wanted = StatxFlags::BASIC_STATS | StatxFlags::BTIME;
    let st = rustix::fs::statx(dir, name, AtFlags::SYMLINK_NOFOLLOW, wanted)?;
    Ok((st.stx_size, meta_of(&st)))
}

fn meta_of(st: &Statx) -> FileMeta {
    let given = StatxFlags::from_bits_truncate(st.stx_mask);
    let time = |flag: StatxFlags, t: StatxTimestamp| {
        given
            .contains(flag)
            .then(|| Timestamp::utc(t.tv_sec, t.tv_nsec, 9))
            .flatten()
    };
    FileMeta::Statx(StatxMeta {
        atime: time(StatxFlags::ATIME, st.stx_atime),
        mtime: time(StatxFlags::MTIME, st.stx_mtime),
        ctime: time(StatxFlags::CTIME, st.stx_ctime),
        btime: time(StatxFlags::BTIME, st.stx_btime),
        uid: st.stx_uid,
        gid: st.stx_gid,
        mode: u32::from(st.stx_mode),
    })
}
