//! NTFS as Windows leaves it, end to end through the library: alternate data streams on
//! files and directories (deleted ones too), LZNT1-compressed files (plain, sparse and
//! compressed units; a compressed stream; deleted), and Recycle Bins (`$I`/`$R` of both
//! versions, a recycled folder, XP's INFO2).
//!
//! One NTFS volume is written through an ntfs-3g FUSE mount (`streams_interface=windows`
//! writes `name:stream`; the `system.ntfs_attrib_be` attribute 0x810 marks a folder
//! compressed), then put in an MBR disk, a GPT disk and an E01 of the GPT disk. The
//! oracle is The Sleuth Kit: `fls -r` lists the same files and streams, and `icat` gives
//! the same bytes (MD5) for every one of them, compressed ones included.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::AtomicBool;

use hashsweep::digest::FileDigests;
use hashsweep::evidence::{open_evidence, EvidenceItem, ItemKind, ItemLocation};

use crate::support::{images, outcomes, records, run};

const SID: &str = "S-1-5-21-1004336348-1177238915-682003330-1001";

/// Writes the volume's content through the mount at `$M` (pictures from `$P`).
const POPULATE: &str = r#"
set -e
cp "$P/readme.txt" "$M/notes.txt"
cat "$P/shapes.jpg" > "$M/notes.txt:hidden.jpg"
printf '[ZoneTransfer]\r\nZoneId=3\r\n' > "$M/notes.txt:Zone.Identifier"
mkdir "$M/album"
cat "$P/gradient.png" > "$M/album:cover.png"
cp "$P/text.png" "$M/album/"
mkdir "$M/comp"
setfattr -n system.ntfs_attrib_be -v 0x00000810 "$M/comp"
cp "$P/noise.jpg" "$P/tiny.png" "$M/comp/"
python3 -c "
import sys
text = b''.join(b'line %06d of a compressible file\n' % i for i in range(4000))
sys.stdout.buffer.write(text + bytes(200000) + text[:70001])" > "$M/comp/mixed.bin"
python3 -c "
import random, sys
sys.stdout.buffer.write(random.Random(24).randbytes(150000))" > "$M/comp/random.bin"
cat "$P/thumb.png" > "$M/comp/noise.jpg:thumb.png"
cp "$P/deleted.jpg" "$M/comp/deleted.jpg"
cp "$P/readme.txt" "$M/gone.txt"
cat "$P/secret.jpg" > "$M/gone.txt:secret.jpg"
B="$M/\$Recycle.Bin/$SID"
mkdir -p "$B" "$M/RECYCLER/$SID"
cp "$P/gradient.png" "$B/\$RAB12CD.png"
cp "$P/shapes.jpg" "$B/\$R9ZX81Q.jpg"
mkdir "$B/\$RFOLDER"
cp "$P/thumb.png" "$B/\$RFOLDER/c.png"
cp "$P/noise.jpg" "$M/RECYCLER/$SID/Dc1.jpg"
python3 - "$B" "$M/RECYCLER/$SID" <<'PY'
import struct, sys
bin, xp = sys.argv[1:3]
when = (1796205600 + 11644473600) * 10_000_000   # 2026-12-02T10:00:00Z
def path16(p): return p.encode('utf-16-le')
def v1(p, size): return struct.pack('<QQQ', 1, size, when) + path16(p).ljust(520, b'\0')
def v2(p, size): return struct.pack('<QQQI', 2, size, when, len(p) + 1) + path16(p) + b'\0\0'
open(bin + '/$IAB12CD.png', 'wb').write(v2(r'C:\Users\ana\Pictures\gradient.png', 1111))
open(bin + '/$I9ZX81Q.jpg', 'wb').write(v1(r'C:\Users\ana\Desktop\checker.jpg', 2222))
open(bin + '/$IFOLDER', 'wb').write(v2(r'D:\Holiday', 0))
rec = bytearray(800)
rec[0:22] = rb'C:\Photos\beach 1.jpg'.ljust(22, b'\0')
struct.pack_into('<IIQI', rec, 260, 1, 2, when, 3333)
rec[280:280 + 42] = path16(r'C:\Photos\beach 1.jpg')
open(xp + '/INFO2', 'wb').write(struct.pack('<IIIII', 5, 0, 0, 800, 0) + bytes(rec))
PY
sync
rm "$M/comp/deleted.jpg" "$M/gone.txt"
"#;

/// Writes the pictures the volume is filled with into `dir`.
fn pictures(dir: &Path) {
    use hashsweep::synth::{jpeg_bytes, picture, png_bytes, Pattern};
    std::fs::create_dir(dir).unwrap();
    let files = [
        (
            "shapes.jpg",
            jpeg_bytes(&picture(Pattern::Shapes, 160, 120, 1), 90),
        ),
        (
            "gradient.png",
            png_bytes(&picture(Pattern::Gradient, 200, 150, 2)),
        ),
        ("text.png", png_bytes(&picture(Pattern::Text, 120, 80, 3))),
        (
            "noise.jpg",
            jpeg_bytes(&picture(Pattern::Noise, 96, 96, 4), 95),
        ),
        ("tiny.png", png_bytes(&picture(Pattern::Gradient, 4, 4, 5))),
        ("thumb.png", png_bytes(&picture(Pattern::Shapes, 64, 64, 6))),
        (
            "deleted.jpg",
            jpeg_bytes(&picture(Pattern::Noise, 80, 60, 7), 92),
        ),
        (
            "secret.jpg",
            jpeg_bytes(&picture(Pattern::Shapes, 64, 64, 8), 80),
        ),
        ("readme.txt", b"not a picture\n".to_vec()),
    ];
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

/// Builds the NTFS volume through FUSE, or `None` (after a notice) where FUSE is missing.
fn build_volume(dir: &Path, pics: &Path) -> Option<std::path::PathBuf> {
    let vol = dir.join("vol.ntfs");
    let mnt = dir.join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let script = format!(
        "truncate -s 12M {vol} && mkntfs -q -F -Q -s 512 -c 4096 {vol} 2>/dev/null && \
         ntfs-3g -o compression,streams_interface=windows {vol} {mnt} && \
         {{ bash -c \"$POPULATE\"; rc=$?; umount {mnt}; exit $rc; }}",
        vol = vol.display(),
        mnt = mnt.display()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .env("POPULATE", POPULATE)
        .env("M", &mnt)
        .env("P", pics)
        .env("SID", SID)
        .output()
        .unwrap();
    if out.status.success() {
        return Some(vol);
    }
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        std::env::var_os("CI").is_none(),
        "CI builds NTFS through ntfs-3g: {err}"
    );
    eprintln!("NOTICE: no FUSE/setfattr here ({err}): NTFS stream tests skipped");
    None
}

/// The volume in an MBR disk, a GPT disk and an E01 of the GPT disk (partition at 1 MiB).
fn layouts(dir: &Path, vol: &Path) {
    let script = format!(
        "set -e; size=$(stat -c %s {vol}); sectors=$((size / 512))
         for t in mbr gpt; do truncate -s $((size + 2 * 1048576)) $t.img; done
         printf 'label: dos\\nstart=2048, size=%d, type=7\\n' $sectors | sfdisk -q mbr.img
         sgdisk -n 1:2048:+$sectors -t 1:0700 gpt.img >/dev/null
         for t in mbr gpt; do dd if={vol} of=$t.img bs=1M seek=1 conv=notrunc status=none; done
         ewfacquirestream -q -t gpt -c deflate:fast -C c -D d -e e -E ev -N n < gpt.img",
        vol = vol.display()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every readable item of a scan: path inside the evidence → (item, MD5 of its content).
fn scan(image: &Path) -> BTreeMap<String, (EvidenceItem, String)> {
    let source = open_evidence(image).unwrap();
    let items = source.enumerate(&AtomicBool::new(false)).unwrap();
    let prefix = format!("{}/", image.display());
    items
        .into_iter()
        .filter(|i| matches!(i.kind, ItemKind::File { .. }))
        .map(|i| {
            let mut bytes = Vec::new();
            let read = source.open(&i).unwrap().read_to_end(&mut bytes);
            read.unwrap_or_else(|e| panic!("{}: {e}", i.path));
            let ItemKind::File { size } = i.kind else {
                unreachable!()
            };
            assert_eq!(bytes.len() as u64, size, "{}", i.path);
            let md5 = hex::encode(FileDigests::of(&bytes).md5);
            let path = i.path.lossy();
            let path = path
                .strip_prefix(&prefix)
                .unwrap_or_else(|| panic!("{path}"));
            let path = path.to_string();
            (path, (i, md5))
        })
        .collect()
}

/// What `fls -r -p` lists at `offset` (sectors): path → (metadata address, deleted), for
/// files and streams of files and directories, NTFS metadata files and orphans left out.
fn fls(image: &Path, offset: u64) -> BTreeMap<String, (String, bool)> {
    let out = Command::new("fls")
        .args(["-r", "-p", "-o", &offset.to_string()])
        .arg(image)
        .output()
        .unwrap();
    assert!(out.status.success(), "fls {}", image.display());
    let system = |n: &str| {
        n.starts_with('$') && !n.starts_with("$Recycle.Bin") || n.starts_with("$OrphanFiles")
    };
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let (meta, name) = l.split_once('\t')?;
            let (kind, rest) = meta.split_once(' ')?;
            let stream = name.contains(':') && !name.contains("/.:");
            let listed = kind.ends_with("/r") && (!kind.starts_with('d') || stream);
            let addr = rest.trim_start_matches("* ").trim_end_matches(':');
            (listed && !system(name))
                .then(|| (name.to_string(), (addr.to_string(), meta.contains('*'))))
        })
        .collect()
}

fn icat_md5(image: &Path, offset: u64, addr: &str) -> String {
    let out = Command::new("icat")
        .args(["-o", &offset.to_string()])
        .arg(image)
        .arg(addr)
        .output()
        .unwrap();
    assert!(out.status.success(), "icat {addr}");
    hex::encode(FileDigests::of(&out.stdout).md5)
}

fn loc<'a>(found: &'a BTreeMap<String, (EvidenceItem, String)>, p: &str) -> &'a ItemLocation {
    found
        .get(p)
        .unwrap_or_else(|| panic!("{p} not found in {:?}", found.keys()))
        .0
        .location
        .as_ref()
        .unwrap()
}

fn file_md5(path: &Path) -> String {
    hex::encode(FileDigests::of(&std::fs::read(path).unwrap()).md5)
}

#[test]
fn streams_compression_and_recycle_bins_agree_with_the_sleuth_kit() {
    let tmp = tempfile::tempdir().unwrap();
    let pics = tmp.path().join("pics");
    pictures(&pics);
    let Some(vol) = build_volume(tmp.path(), &pics) else {
        return;
    };
    layouts(tmp.path(), &vol);
    let tsk = images::have("fls") && images::have("icat");
    assert!(
        tsk || std::env::var_os("CI").is_none(),
        "CI must install sleuthkit"
    );
    for (image, prefix, sector) in [
        ("vol.ntfs", "", 0),
        ("mbr.img", "p1/", 2048),
        ("gpt.img", "p1/", 2048),
        ("gpt.E01", "p1/", 2048),
    ] {
        let image = tmp.path().join(image);
        let found = scan(&image);
        let p = |s: &str| format!("{prefix}{s}");
        check_content(&found, &pics, &p);
        check_recycle_bin(&found, &p);
        if tsk && !image.to_string_lossy().ends_with(".E01") {
            let theirs = fls(&image, sector);
            let ours: BTreeSet<String> = found
                .keys()
                .map(|k| k.strip_prefix(prefix).unwrap().to_string())
                .collect();
            assert_eq!(
                ours,
                theirs.keys().cloned().collect(),
                "{}",
                image.display()
            );
            for (name, (addr, deleted)) in &theirs {
                let (item, md5) = &found[&p(name)];
                assert_eq!(md5, &icat_md5(&image, sector, addr), "{name} ({addr})");
                assert_eq!(item.location.as_ref().unwrap().deleted, *deleted, "{name}");
            }
        }
    }
}

/// Streams, compressed files and deleted ones hold the pictures that were written.
fn check_content(
    found: &BTreeMap<String, (EvidenceItem, String)>,
    pics: &Path,
    p: &dyn Fn(&str) -> String,
) {
    // (item, picture written, stream name, compressed, deleted)
    for (path, source, stream, compressed, deleted) in [
        (
            "notes.txt:hidden.jpg",
            "shapes.jpg",
            Some("hidden.jpg"),
            false,
            false,
        ),
        (
            "album:cover.png",
            "gradient.png",
            Some("cover.png"),
            false,
            false,
        ),
        ("album/text.png", "text.png", None, false, false),
        ("comp/noise.jpg", "noise.jpg", None, true, false),
        // Resident (small enough for the MFT record): never packed, so not `compressed`.
        ("comp/tiny.png", "tiny.png", None, false, false),
        (
            "comp/noise.jpg:thumb.png",
            "thumb.png",
            Some("thumb.png"),
            true,
            false,
        ),
        ("comp/deleted.jpg", "deleted.jpg", None, true, true),
        (
            "gone.txt:secret.jpg",
            "secret.jpg",
            Some("secret.jpg"),
            false,
            true,
        ),
    ] {
        let (_, md5) = &found
            .get(&p(path))
            .unwrap_or_else(|| panic!("{path} not in {:?}", found.keys()));
        assert_eq!(md5, &file_md5(&pics.join(source)), "{path}");
        let l = loc(found, &p(path));
        assert_eq!(l.stream.as_deref(), stream, "{path}");
        assert_eq!((l.compressed, l.deleted), (compressed, deleted), "{path}");
    }
    let text: Vec<u8> = (0..4000)
        .flat_map(|i| format!("line {i:06} of a compressible file\n").into_bytes())
        .collect();
    let mut mixed = text.clone();
    mixed.extend(std::iter::repeat_n(0u8, 200_000));
    mixed.extend_from_slice(&text[..70_001]);
    assert_eq!(
        found[&p("comp/mixed.bin")].1,
        hex::encode(FileDigests::of(&mixed).md5)
    );
    assert!(loc(found, &p("comp/mixed.bin")).compressed);
    // Incompressible: two units stored plain (16 clusters each), then a short one; the
    // content is checked against icat.
    assert!(loc(found, &p("comp/random.bin")).compressed);
    let zone = &found[&p("notes.txt:Zone.Identifier")].1;
    assert_eq!(
        zone,
        &hex::encode(FileDigests::of(b"[ZoneTransfer]\r\nZoneId=3\r\n").md5)
    );
}

/// `$R` files (and the files of a recycled folder) carry what their `$I` or INFO2 says.
fn check_recycle_bin(found: &BTreeMap<String, (EvidenceItem, String)>, p: &dyn Fn(&str) -> String) {
    let bin = format!("$Recycle.Bin/{SID}");
    let xp = format!("RECYCLER/{SID}");
    for (path, from, size) in [
        (
            format!("{bin}/$RAB12CD.png"),
            r"C:\Users\ana\Pictures\gradient.png",
            1111,
        ),
        (
            format!("{bin}/$R9ZX81Q.jpg"),
            r"C:\Users\ana\Desktop\checker.jpg",
            2222,
        ),
        (format!("{bin}/$RFOLDER/c.png"), r"D:\Holiday\c.png", 0),
        (format!("{xp}/Dc1.jpg"), r"C:\Photos\beach 1.jpg", 3333),
    ] {
        let l = loc(found, &p(&path));
        assert_eq!(l.recycled_from.as_deref(), Some(from), "{path}");
        assert_eq!(l.recycled_size, Some(size), "{path}");
        assert_eq!(
            l.deleted_at.as_deref(),
            Some("2026-12-02T10:00:00Z"),
            "{path}"
        );
    }
    let i_file = loc(found, &p(&format!("{bin}/$IAB12CD.png")));
    assert_eq!(i_file.recycled_from, None);
}

/// Sets the encrypted flag (0x4000) on the unnamed `$DATA` attribute of the one MFT record
/// whose `$FILE_NAME` is `name`, in the raw volume: as EFS leaves a file (no Linux tool
/// writes EFS). The flag word is not in a sector's last two bytes, so no fixup changes.
const MARK_ENCRYPTED: &str = r#"
import struct, sys
path, name = sys.argv[1], sys.argv[2].encode('utf-16-le')
img = bytearray(open(path, 'rb').read())
marked = 0
for off in range(0, len(img) - 1024, 1024):
    if img[off:off + 4] != b'FILE':
        continue
    rec = bytearray(img[off:off + 1024])
    usa, count = struct.unpack_from('<HH', rec, 4)
    for i in range(1, count):
        rec[i * 512 - 2:i * 512] = rec[usa + 2 * i:usa + 2 * i + 2]
    attr, names, data = struct.unpack_from('<H', rec, 20)[0], [], None
    while attr < 1016:
        kind, length = struct.unpack_from('<II', rec, attr)
        if kind == 0xFFFFFFFF or length == 0:
            break
        if kind == 0x30:
            body = attr + struct.unpack_from('<H', rec, attr + 20)[0]
            names.append(bytes(rec[body + 66:body + 66 + 2 * rec[body + 64]]))
        if kind == 0x80 and rec[attr + 9] == 0:
            data = attr
        attr += length
    if name in names and data is not None:
        assert (data + 12) % 512 < 510
        flags = struct.unpack_from('<H', img, off + data + 12)[0]
        struct.pack_into('<H', img, off + data + 12, flags | 0x4000)
        marked += 1
assert marked == 1, marked
open(path, 'wb').write(img)
"#;

/// An EFS-encrypted file is `skipped: encrypted`, never read as if its ciphertext were
/// content; the file beside it is scanned; TSK's `istat` sees the same flag.
#[test]
fn an_efs_encrypted_file_is_skipped_as_encrypted() {
    if !images::have("mkntfs") || !images::have("ntfscp") || !images::have("istat") {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI has ntfs-3g and sleuthkit"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pic = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/evidence/camera/IMG_0003.png");
    let vol = dir.path().join("efs.ntfs");
    let script = format!(
        "set -e; truncate -s 8M {vol}; mkntfs -q -F -Q -s 512 -c 4096 {vol} 2>/dev/null
         ntfscp -q {vol} {pic} secret.png; ntfscp -q {vol} {pic} plain.png
         python3 -c \"$MARK\" {vol} secret.png",
        vol = vol.display(),
        pic = pic.display()
    );
    run(Command::new("bash")
        .arg("-c")
        .arg(&script)
        .env("MARK", MARK_ENCRYPTED));
    let listed = fls(&vol, 0);
    let istat = Command::new("istat")
        .arg(&vol)
        .arg(&listed["secret.png"].0)
        .output()
        .unwrap();
    let istat = String::from_utf8(istat.stdout).unwrap();
    assert!(
        istat
            .lines()
            .any(|l| l.contains("$DATA") && l.contains("Encrypted")),
        "{istat}"
    );
    let list = dir.path().join("list.jsonl");
    let line = format!(
        "{{\"algorithm\":\"md5\",\"hash\":\"{}\",\"id\":\"PIC\"}}\n",
        file_md5(&pic)
    );
    std::fs::write(&list, line).unwrap();
    let out = Command::new(assert_cmd::cargo::cargo_bin("hashsweep"))
        .arg("scan")
        .arg(&vol)
        .arg("-l")
        .arg(&list)
        .args(["-q", "--list-skipped"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let outcomes = outcomes(&records(&out.stdout), &vol);
    assert_eq!(outcomes.get("plain.png").map(String::as_str), Some("match"));
    assert_eq!(
        outcomes.get("secret.png").map(String::as_str),
        Some("skipped:encrypted"),
        "{outcomes:?}"
    );
}
