//! Pictures inside pictures, scanned as child items: every TIFF page after the first
//! (`doc.tif!/page-2`), every image of a multi-image icon (`icon.ico!/icon-1-128x128`), the
//! second image of a stereo MPO (`stereo.mpo!/mpf-2`, JPEG's Multi-Picture Format),
//! also inside an archive (`bundle.zip!/doc.tif!/page-3`), and a TIFF whose page chain
//! loops, which keeps its own record and says why its pages were not examined.
//!
//! Pictures, TIFF and icon are written by Pillow; the list holds the PDQ hashes that the
//! reference `pdqhash` (tests/support/pdqhash_oracle.py) computes from PNG copies of the
//! pages and icon images.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

use crate::support::{outcomes, pdq_oracle, run, scan};

/// Writes into the current directory: pictures p1…p5 as PNG in `oracle/`, and in `ev/`:
/// `doc.tif` (pages p1, p2, p3), `icon.ico` (p5 at 128×128, then p4 at 256×256, as
/// Pillow orders them; both BMP images), `stereo.mpo` (p1, then p2 as its MPF second
/// image), `bundle.zip` (doc.tif, stored) and `loop.tif` (two pages whose chain loops).
const GENERATE: &str = r#"
import os, random, struct, zipfile
from PIL import Image, ImageDraw

def picture(seed, size):
    rnd = random.Random(seed)
    im = Image.new("RGB", size, (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    draw = ImageDraw.Draw(im)
    for _ in range(60):
        x, y = rnd.randrange(size[0]), rnd.randrange(size[1])
        box = (x, y, x + rnd.randrange(8, size[0] // 2), y + rnd.randrange(8, size[1] // 2))
        fill = (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
        (draw.ellipse if rnd.random() < 0.5 else draw.rectangle)(box, fill=fill)
    return im

os.makedirs("oracle"); os.makedirs("ev")
p = {i: picture(i, (256, 256) if i != 5 else (128, 128)) for i in range(1, 6)}
for i, im in p.items():
    im.copy().save(f"oracle/p{i}.png")  # a copy: Pillow 13 keeps the PNG encoder's settings
p[1].save("ev/doc.tif", save_all=True, append_images=[p[2], p[3]])
p[4].save("ev/icon.ico", sizes=[(256, 256), (128, 128)], append_images=[p[5]], bitmap_format="bmp")
# A stereo MPO (a JPEG with an MPF index): p1, then p2 as its second image.
p[1].copy().save("ev/stereo.mpo", "MPO", save_all=True, append_images=[p[2].copy()])
with zipfile.ZipFile("ev/bundle.zip", "w", zipfile.ZIP_STORED) as z:
    z.write("ev/doc.tif", "doc.tif")

# loop.tif: page 2's "next IFD" points back at page 1.
p[1].save("loop.tif", save_all=True, append_images=[p[2]])
data = bytearray(open("loop.tif", "rb").read())
assert data[:4] == b"II*\0"
def next_field(ifd):
    (count,) = struct.unpack_from("<H", data, ifd)
    return ifd + 2 + 12 * count
(first,) = struct.unpack_from("<I", data, 4)
(second,) = struct.unpack_from("<I", data, next_field(first))
struct.pack_into("<I", data, next_field(second), first)
open("ev/loop.tif", "wb").write(bytes(data))
os.remove("loop.tif")
"#;

/// A PDQ list of the oracle's hashes of p2, p3 and p5 (ids `page2`, `page3`, `icon128`).
fn pdq_list(dir: &Path) -> std::path::PathBuf {
    let oracle = pdq_oracle::hashes(&dir.join("oracle"));
    let lines: String = [
        ("p2.png", "page2"),
        ("p3.png", "page3"),
        ("p5.png", "icon128"),
    ]
    .iter()
    .map(|(png, id)| {
        let (quality, hashes) = &oracle[*png];
        assert!(*quality >= 50, "{png} has PDQ quality {quality}");
        let hash = hashes[0].to_hex();
        format!("{}\n", json!({"algorithm": "pdq", "hash": hash, "id": id}))
    })
    .collect();
    let path = dir.join("list.jsonl");
    fs::write(&path, lines).unwrap();
    path
}

/// Path → sorted ids of its hits, for every match record.
fn hits(records: &[Value], root: &Path) -> BTreeMap<String, Vec<(String, u64)>> {
    let prefix = format!("{}/", root.display());
    records
        .iter()
        .filter(|r| r["record"] == "match")
        .map(|r| {
            let path = r["path"].as_str().unwrap().trim_start_matches(&prefix);
            let mut ids: Vec<(String, u64)> = r["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| {
                    let id = h["entry_id"].as_str().unwrap().to_string();
                    (id, h["distance"].as_u64().unwrap())
                })
                .collect();
            ids.sort();
            (path.to_string(), ids)
        })
        .collect()
}

#[test]
fn pictures_inside_pictures_are_children_matched_like_files() {
    if !pdq_oracle::available("embedded") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    run(Command::new("python3")
        .arg("-c")
        .arg(GENERATE)
        .current_dir(dir.path()));
    let list = pdq_list(dir.path());
    let ev = dir.path().join("ev");
    let scan = |extra: &[&str]| scan(&ev, &list, &[&["--all-files"], extra].concat());
    let (code, recs) = scan(&[]);
    assert_eq!(code, Some(1), "{recs:?}");

    let found: BTreeMap<String, String> = outcomes(&recs, &ev);
    let want: BTreeMap<String, String> = [
        ("bundle.zip", "file"),
        ("bundle.zip!/doc.tif", "file"),
        ("bundle.zip!/doc.tif!/page-2", "match"),
        ("bundle.zip!/doc.tif!/page-3", "match"),
        ("doc.tif", "file"),
        ("doc.tif!/page-2", "match"),
        ("doc.tif!/page-3", "match"),
        ("icon.ico", "file"),
        ("icon.ico!/icon-1-128x128", "match"),
        ("icon.ico!/icon-2-256x256", "file"),
        ("loop.tif", "file"),
        ("stereo.mpo", "file"),
        ("stereo.mpo!/mpf-2", "match"),
    ]
    .iter()
    .map(|(p, k)| (p.to_string(), k.to_string()))
    .collect();
    assert_eq!(found, want);

    // Lossless pages and icon images hash exactly as the reference hashes their PNGs.
    let page = |id: &str| vec![(id.to_string(), 0)];
    let want_hits: BTreeMap<String, Vec<(String, u64)>> = [
        ("bundle.zip!/doc.tif!/page-2", page("page2")),
        ("bundle.zip!/doc.tif!/page-3", page("page3")),
        ("doc.tif!/page-2", page("page2")),
        ("doc.tif!/page-3", page("page3")),
        ("icon.ico!/icon-1-128x128", page("icon128")),
        // JPEG-coded at Pillow's default quality, p2 keeps the PNG's PDQ hash exactly.
        ("stereo.mpo!/mpf-2", page("page2")),
    ]
    .into_iter()
    .map(|(p, h)| (p.to_string(), h))
    .collect();
    assert_eq!(hits(&recs, &ev), want_hits);

    let record = |path: &str| {
        recs.iter()
            .find(|r| r["path"] == ev.join(path).to_str().unwrap())
            .unwrap()
    };
    let page3 = &record("bundle.zip!/doc.tif!/page-3")["container"];
    assert_eq!(page3["format"], "tiff");
    assert_eq!(page3["depth"], 2);
    assert_eq!(page3["index"], 1);
    let icon = &record("icon.ico!/icon-1-128x128")["container"];
    assert_eq!(icon["format"], "ico");
    assert_eq!(icon["index"], 0);
    let notes = record("loop.tif")["notes"].to_string();
    assert!(
        notes.contains("embedded pictures not examined: IFD chain loops back"),
        "{notes}"
    );

    let summary = recs.last().unwrap();
    assert_eq!(summary["record"], "summary");
    assert_eq!(summary["files_seen"], 13);
    assert_eq!(summary["matched"], 6);

    // One thread gives the same file records; --no-archives gives no children at all.
    let files = |recs: Vec<Value>| -> Vec<Value> {
        recs.into_iter()
            .filter(|r| r.get("path").is_some())
            .collect()
    };
    let (_, single) = scan(&["--threads", "1"]);
    assert_eq!(files(single), files(recs.clone()));
    let (code, flat) = scan(&["--no-archives"]);
    assert_eq!(code, Some(0));
    let flat: Vec<String> = outcomes(&flat, &ev).into_keys().collect();
    assert_eq!(
        flat,
        [
            "bundle.zip",
            "doc.tif",
            "icon.ico",
            "loop.tif",
            "stereo.mpo"
        ]
    );
}
