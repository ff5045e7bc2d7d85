//! Video: differential against Meta's reference vPDQ (the `vpdq` Python package, see
//! tests/support/vpdq_oracle.py) on generated benign videos, and the exact outcomes of a
//! scan: a re-encoded copy matches its vPDQ entry, a half-length copy matches with the
//! percentages computed by hand, a listed still inside a slideshow is a frame hit at its
//! timestamp, unrelated videos give no hit, a truncated video is a failure that keeps the
//! frames hashed before, and without ffmpeg videos are digested and counted as not decoded.
//!
//! Every video is made at test time by ffmpeg from synthetic pictures (src/synth.rs) or
//! its `testsrc` pattern, small (160×120, a few seconds). Needs `ffmpeg` (and for the
//! differential `pip install vpdq`); without them the tests say so and pass, as the PDQ
//! differential does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use assert_cmd::Command;
use hashsweep::pdq::{pdq_from_image, PdqHash, PdqPipeline};
use hashsweep::synth::{picture, png_bytes, Pattern};
use hashsweep::video::{hash_video, Ffmpeg, Limits, VideoContainer, VideoInput};
use image::DynamicImage;
use serde_json::Value;
use tempfile::TempDir;

use crate::support::records;

/// The binary under test; `HASHSWEEP_TEST_BIN` names another build of it (a target
/// directory shared by several checkouts can hold another checkout's `hashsweep`).
fn hashsweep() -> Command {
    match std::env::var_os("HASHSWEEP_TEST_BIN") {
        Some(bin) => Command::new(bin),
        None => Command::cargo_bin("hashsweep").unwrap(),
    }
}

fn ffmpeg() -> Option<Ffmpeg> {
    let found = Ffmpeg::locate();
    if found.is_none() {
        eprintln!("ffmpeg not installed (.ci/setup installs it): video test skipped");
    }
    found
}

/// Runs the ffmpeg program to make a test video.
fn make(args: &[&str]) {
    let out = StdCommand::new("ffmpeg")
        .args(["-v", "error", "-y", "-nostdin"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `count` distinct synthetic stills, 160×120, written as `still00.png`…; returns them.
fn stills(dir: &Path, count: usize, seed: u64) -> Vec<image::RgbImage> {
    (0..count)
        .map(|i| {
            // Not `Gradient`: a smooth gradient has PDQ quality under 50, never matched. Not
            // `Text` either: its thin strokes move PDQ by 34–42 bits when the video is
            // rescaled (measured), so a rescaled copy would rightly miss those frames.
            let pattern = [Pattern::Shapes, Pattern::Noise][i % 2];
            let img = picture(pattern, 160, 120, seed + i as u64);
            fs::write(dir.join(format!("still{i:02}.png")), png_bytes(&img)).unwrap();
            img
        })
        .collect()
}

/// A slideshow: each still for one second at 10 frames per second.
fn slideshow(dir: &Path, out: &Path, codec: &[&str]) {
    let pattern = dir.join("still%02d.png");
    let mut args = vec!["-framerate", "1", "-i", pattern.to_str().unwrap()];
    args.extend(["-vf", "fps=10,format=yuv420p"]);
    args.extend(codec);
    args.push(out.to_str().unwrap());
    make(&args);
}

fn file_record<'a>(records: &'a [Value], name: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["path"].as_str().is_some_and(|p| p.ends_with(name)))
        .unwrap_or_else(|| panic!("no record for {name}: {records:?}"))
}

fn scan(evidence: &Path, list: &Path, extra: &[&str]) -> (i32, Vec<Value>) {
    let out = hashsweep()
        .arg("scan")
        .arg(evidence)
        .arg("-l")
        .arg(list)
        .args(extra)
        .output()
        .unwrap();
    (out.status.code().unwrap(), records(&out.stdout))
}

/// A PDQ list (`pdq HEX` lines) of one still, written into `dir`.
fn still_list(dir: &Path, still: &image::RgbImage) -> PathBuf {
    let pdq = pdq_from_image(
        &DynamicImage::ImageRgb8(still.clone()),
        PdqPipeline::Default,
    )
    .unwrap();
    let list = dir.join("still.txt");
    fs::write(&list, format!("pdq {}\n", pdq.hash().to_hex())).unwrap();
    list
}

/// `hashsweep report --format FORMAT` of `records` (a scan's output), as text.
fn render(dir: &Path, records: &[Value], format: &str) -> String {
    let path = dir.join(format!("report-{format}.jsonl"));
    let lines: Vec<String> = records.iter().map(Value::to_string).collect();
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    let out = hashsweep()
        .arg("report")
        .arg(&path)
        .args(["--format", format])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// One hashed frame: (frame number, quality, PDQ, timestamp in seconds).
type Frame = (u64, u32, PdqHash, f64);

fn oracle_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/vpdq_oracle.py")
}

/// The reference vPDQ features of each video: (frame, quality, hash, timestamp).
fn reference(videos: &[PathBuf]) -> Option<Vec<Vec<Frame>>> {
    let check = StdCommand::new("python3")
        .arg(oracle_script())
        .arg("--check")
        .status();
    if !check.is_ok_and(|s| s.success()) {
        eprintln!(
            "python package vpdq not installed (.ci/setup installs it): differential skipped"
        );
        return None;
    }
    let out = StdCommand::new("python3")
        .arg(oracle_script())
        .args(videos)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    Some(
        videos
            .iter()
            .map(|v| {
                json[v.to_str().unwrap()]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| {
                        (
                            f[0].as_u64().unwrap(),
                            f[1].as_u64().unwrap() as u32,
                            PdqHash::from_hex(f[2].as_str().unwrap()).unwrap(),
                            f[3].as_f64().unwrap(),
                        )
                    })
                    .collect()
            })
            .collect(),
    )
}

/// Writes a vPDQ list file (`frame,quality,pdq,timestamp`) as vpdq-hash-video does.
fn write_vpdq(path: &Path, features: &[Frame]) {
    let text: String = features
        .iter()
        .map(|(n, q, h, t)| format!("{n},{q},{},{t:.3}\n", h.to_hex()))
        .collect();
    fs::write(path, text).unwrap();
}

/// Our own frames of a video, as (frame, quality, hash, timestamp).
fn ours(ffmpeg: &Ffmpeg, path: &Path, container: VideoContainer) -> Vec<Frame> {
    let input = VideoInput::from_bytes(&fs::read(path).unwrap()).unwrap();
    let hashes = hash_video(ffmpeg, &input, container, 1.0, Limits::default()).unwrap();
    hashes
        .frames
        .iter()
        .map(|f| {
            (
                f.number,
                f.quality(),
                f.pdq.hash(),
                f.timestamp_ms as f64 / 1000.0,
            )
        })
        .collect()
}

#[test]
fn frames_match_reference_vpdq_across_codecs_and_containers() {
    let Some(ffmpeg) = ffmpeg() else { return };
    let dir = TempDir::new().unwrap();
    stills(dir.path(), 4, 100);
    let mut videos = Vec::new();
    let cases: &[(&str, &[&str], VideoContainer)] = &[
        ("h264.mp4", &["-c:v", "libx264"], VideoContainer::IsoBmff),
        (
            "vp9.webm",
            &["-c:v", "libvpx-vp9", "-b:v", "200k"],
            VideoContainer::Matroska,
        ),
        (
            "mpeg4.avi",
            &["-c:v", "mpeg4", "-q:v", "4"],
            VideoContainer::Avi,
        ),
        (
            "mpeg2.ts",
            &["-c:v", "mpeg2video", "-q:v", "4"],
            VideoContainer::MpegTs,
        ),
        // Not Theora: its encoder codes a repeated frame as an empty packet, which the
        // ffmpeg program does not output, so frame numbers would run behind vPDQ's.
        (
            "mjpeg.mov",
            &["-c:v", "mjpeg", "-q:v", "3"],
            VideoContainer::IsoBmff,
        ),
        (
            "flv1.flv",
            &["-c:v", "flv1", "-q:v", "4"],
            VideoContainer::Flv,
        ),
    ];
    for (name, codec, _) in cases {
        let path = dir.path().join(name);
        slideshow(dir.path(), &path, codec);
        videos.push(path);
    }
    let Some(reference) = reference(&videos) else {
        return;
    };
    let mut distances = Vec::new();
    for ((path, (_, _, container)), theirs) in videos.iter().zip(cases).zip(&reference) {
        let mine = ours(&ffmpeg, path, *container);
        let frames = |v: &[Frame]| v.iter().map(|f| f.0).collect::<Vec<_>>();
        assert_eq!(
            frames(&mine),
            frames(theirs),
            "{}: frame numbers",
            path.display()
        );
        assert_eq!(frames(&mine), vec![0, 10, 20, 30], "{}", path.display());
        for (m, t) in mine.iter().zip(theirs) {
            let d = m.2.distance(&t.2);
            assert!(d <= 31, "{} frame {}: distance {d}", path.display(), m.0);
            assert!((m.3 - t.3).abs() < 0.001, "timestamps {} vs {}", m.3, t.3);
            distances.push(d);
        }
    }
    distances.sort();
    eprintln!(
        "vPDQ differential: {} frames, distance median {} max {} ({:?})",
        distances.len(),
        distances[distances.len() / 2],
        distances[distances.len() - 1],
        distances
    );
}

#[test]
fn every_frame_mode_agrees_with_reference() {
    let Some(ffmpeg) = ffmpeg() else { return };
    let dir = TempDir::new().unwrap();
    let moving = dir.path().join("testsrc.mkv");
    make(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=128x96:rate=10:duration=2",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        moving.to_str().unwrap(),
    ]);
    let input = VideoInput::from_bytes(&fs::read(&moving).unwrap()).unwrap();
    let mine = hash_video(
        &ffmpeg,
        &input,
        VideoContainer::Matroska,
        0.0,
        Limits::default(),
    )
    .unwrap();
    assert_eq!(mine.frames.len(), 20);
    let check = StdCommand::new("python3")
        .arg(oracle_script())
        .arg("--check")
        .status();
    if !check.is_ok_and(|s| s.success()) {
        return;
    }
    let out = StdCommand::new("python3")
        .arg(oracle_script())
        .args(["--seconds-per-hash", "0"])
        .arg(&moving)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let theirs = json[moving.to_str().unwrap()].as_array().unwrap();
    assert_eq!(theirs.len(), 20);
    for (m, t) in mine.frames.iter().zip(theirs) {
        let hash = PdqHash::from_hex(t[2].as_str().unwrap()).unwrap();
        assert_eq!(m.number, t[0].as_u64().unwrap());
        assert!(m.pdq.hash().distance(&hash) <= 31);
    }
}

/// The slideshow of 8 stills, its vPDQ list (by the reference when installed, else ours),
/// in `dir/list/`; the evidence goes in `dir/ev/`.
fn listed_slideshow(ffmpeg: &Ffmpeg, dir: &Path) -> (PathBuf, Vec<image::RgbImage>) {
    let work = dir.join("work");
    fs::create_dir_all(&work).unwrap();
    fs::create_dir_all(dir.join("ev")).unwrap();
    fs::create_dir_all(dir.join("list")).unwrap();
    let images = stills(&work, 8, 7);
    let original = work.join("original.mp4");
    slideshow(&work, &original, &["-c:v", "libx264", "-crf", "18"]);
    let features = reference(std::slice::from_ref(&original))
        .map(|mut r| r.remove(0))
        .unwrap_or_else(|| ours(ffmpeg, &original, VideoContainer::IsoBmff));
    assert_eq!(features.len(), 8);
    let list = dir.join("list/original.vpdq");
    write_vpdq(&list, &features);
    (original, images)
}

#[test]
fn reencoded_copy_matches_its_vpdq_entry_and_trimmed_copy_scores_by_hand() {
    let Some(ffmpeg) = ffmpeg() else { return };
    let dir = TempDir::new().unwrap();
    let (original, _) = listed_slideshow(&ffmpeg, dir.path());
    let list = dir.path().join("list/original.vpdq");
    let ev = dir.path().join("ev");
    // Another codec, bitrate, resolution and container.
    make(&[
        "-i",
        original.to_str().unwrap(),
        "-vf",
        "scale=128:96",
        "-c:v",
        "mpeg4",
        "-b:v",
        "300k",
        ev.join("copy.avi").to_str().unwrap(),
    ]);
    // The first half (4 of 8 stills), re-encoded.
    make(&[
        "-i",
        original.to_str().unwrap(),
        "-t",
        "4",
        "-c:v",
        "libx264",
        "-crf",
        "30",
        ev.join("half.mkv").to_str().unwrap(),
    ]);
    let listed = fs::read_to_string(&list).unwrap();
    for name in ["copy.avi", "half.mkv"] {
        let out = hashsweep().arg("hash").arg(ev.join(name)).output().unwrap();
        let record: Value = serde_json::from_slice(
            &out.stdout[..out.stdout.iter().position(|b| *b == b'\n').unwrap()],
        )
        .unwrap();
        let frames = record["video"]["frames"].as_array().unwrap();
        let d: Vec<(u64, u64, u32)> = frames
            .iter()
            .zip(listed.lines())
            .map(|(f, l)| {
                let a = PdqHash::from_hex(f["pdq"].as_str().unwrap()).unwrap();
                let b = PdqHash::from_hex(l.split(',').nth(2).unwrap()).unwrap();
                (
                    f["frame"].as_u64().unwrap(),
                    f["quality"].as_u64().unwrap(),
                    a.distance(&b),
                )
            })
            .collect();
        eprintln!("{name}: (frame, quality, distance to listed) {d:?}");
    }
    let (code, records) = scan(&ev, &list, &[]);
    assert_eq!(code, 1, "{records:?}");
    let copy = file_record(&records, "copy.avi");
    assert_eq!(copy["record"], "match");
    let m = &copy["video"]["video_matches"][0];
    assert_eq!(m["video_id"], "original");
    assert_eq!(
        (
            m["query_frames"].as_u64(),
            m["query_frames_matched"].as_u64()
        ),
        (Some(8), Some(8))
    );
    assert_eq!(
        (
            m["compared_frames"].as_u64(),
            m["compared_frames_matched"].as_u64()
        ),
        (Some(8), Some(8))
    );
    assert_eq!(m["query_percent"], 100.0);
    // By hand: the half copy's 4 frames all match (4/4 = 100 %), and 4 of the listed 8
    // frames are matched by it (4/8 = 50 %).
    let half = file_record(&records, "half.mkv");
    assert_eq!(half["record"], "match");
    let m = &half["video"]["video_matches"][0];
    assert_eq!(m["query_percent"], 100.0);
    assert_eq!(m["compared_percent"], 50.0);
    assert_eq!(m["query_frames"], 4);
    assert_eq!(m["compared_frames_matched"], 4);
    let pair = &m["best_pairs"][0];
    assert_eq!(pair["frame"], pair["listed_frame"]);
    assert!(pair["distance"].as_u64().unwrap() <= 31);
    // Every format shows the vPDQ matches with their scores.
    let text = render(dir.path(), &records, "text");
    assert!(
        text.contains(
            "Matches (2 files; 2 hits, a hit being one list entry matched by one algorithm)"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "entry original: vPDQ: 100.00% of this video's frames (4 of 4) and 50.00% of the \
             listed video's (4 of 8) match (thresholds 80% and 0%)"
        ),
        "{text}"
    );
    let csv = render(dir.path(), &records, "csv");
    let vpdq_rows: Vec<&str> = csv
        .lines()
        .filter(|l| l.starts_with("match,") && l.contains(",vpdq,"))
        .collect();
    assert_eq!(vpdq_rows.len(), 2, "{csv}");
    assert!(vpdq_rows
        .iter()
        .any(|r| r.contains("half.mkv") && r.contains("50.00% of the listed video's (4 of 8)")));
    let vics: Value = serde_json::from_str(&render(dir.path(), &records, "vics")).unwrap();
    let media = vics["value"][0]["Media"].as_array().unwrap();
    assert_eq!(media.len(), 2, "{vics}");
    // Asking for 60 % of the listed video leaves only the full copy.
    let (code, records) = scan(&ev, &list, &["--vpdq-threshold", "query=80,compared=60"]);
    assert_eq!(code, 1);
    assert_eq!(file_record(&records, "copy.avi")["record"], "match");
    assert!(records
        .iter()
        .all(|r| !r["path"].as_str().unwrap_or("").ends_with("half.mkv")));
    let summary = records.last().unwrap();
    assert_eq!(summary["videos"], 2);
    assert_eq!(summary["video_frames_hashed"], 12);
}

#[test]
fn slideshow_with_listed_still_hits_at_its_timestamp_and_unrelated_videos_do_not() {
    let Some(_ffmpeg) = ffmpeg() else { return };
    let dir = TempDir::new().unwrap();
    let ev = dir.path().join("ev");
    fs::create_dir_all(&ev).unwrap();
    let images = stills(dir.path(), 8, 7);
    slideshow(dir.path(), &ev.join("show.mp4"), &["-c:v", "libx264"]);
    // Unrelated: the testsrc pattern, and a slideshow of other stills.
    make(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=160x120:rate=10:duration=3",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        ev.join("testsrc.mp4").to_str().unwrap(),
    ]);
    let other = dir.path().join("other");
    fs::create_dir_all(&other).unwrap();
    stills(&other, 3, 5000);
    slideshow(
        &other,
        &ev.join("other.webm"),
        &["-c:v", "libvpx-vp9", "-b:v", "200k"],
    );
    // The list: still 5 as a PDQ picture hash (shown from 5.0 s, frames 50–59).
    let list = still_list(dir.path(), &images[5]);
    let (code, records) = scan(&ev, &list, &[]);
    assert_eq!(code, 1, "{records:?}");
    let matches: Vec<&Value> = records.iter().filter(|r| r["record"] == "match").collect();
    assert_eq!(matches.len(), 1, "{matches:?}");
    let hits = matches[0]["video"]["frame_hits"].as_array().unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["frame"], 50);
    assert_eq!(hits[0]["timestamp"], "5.000");
    assert_eq!(hits[0]["frames_matched"], 1);
    assert_eq!(hits[0]["algorithm"], "pdq");
    assert!(hits[0]["distance"].as_u64().unwrap() <= 31);
    assert!(matches[0]["path"].as_str().unwrap().ends_with("show.mp4"));
    // Every format names the frame and its timestamp.
    let text = render(dir.path(), &records, "text");
    assert!(
        text.contains(
            "Matches (1 files; 1 hits, a hit being one list entry matched by one algorithm)"
        ),
        "{text}"
    );
    assert!(text.contains("; frame 50 at 5.000 s"), "{text}");
    let csv = render(dir.path(), &records, "csv");
    let rows: Vec<&str> = csv.lines().filter(|l| l.starts_with("match,")).collect();
    assert_eq!(rows.len(), 1, "{csv}");
    assert!(rows[0].contains("show.mp4") && rows[0].contains("frame 50 at 5.000 s"));
    let vics: Value = serde_json::from_str(&render(dir.path(), &records, "vics")).unwrap();
    let media = vics["value"][0]["Media"].as_array().unwrap();
    assert_eq!(media.len(), 1, "{vics}");
    assert_eq!(media[0]["MD5"], matches[0]["hashes"]["md5"]);
    let summary = records.last().unwrap();
    assert_eq!(summary["videos"], 3);
    assert_eq!(summary["video_frames_hashed"], 8 + 3 + 3);
}

#[test]
fn truncated_video_fails_with_the_frames_hashed_so_far() {
    let Some(_ffmpeg) = ffmpeg() else { return };
    let dir = TempDir::new().unwrap();
    let ev = dir.path().join("ev");
    fs::create_dir_all(&ev).unwrap();
    stills(dir.path(), 8, 7);
    let full = dir.path().join("full.mkv");
    slideshow(dir.path(), &full, &["-c:v", "libx264"]);
    let bytes = fs::read(&full).unwrap();
    fs::write(ev.join("cut.mkv"), &bytes[..bytes.len() / 2]).unwrap();
    let list = dir.path().join("l.txt");
    fs::write(
        &list,
        "pdq 0000000000000000000000000000000000000000000000000000000000000001\n",
    )
    .unwrap();
    let (code, records) = scan(&ev, &list, &[]);
    assert_eq!(code, 0);
    let cut = file_record(&records, "cut.mkv");
    assert_eq!(cut["record"], "failure");
    let error = cut["error"].as_str().unwrap();
    assert!(error.starts_with("video not fully decoded ("), "{error}");
    let frames = cut["video"]["frames_hashed"].as_u64().unwrap();
    assert!((1..8).contains(&frames), "{frames} frames hashed of 8");
    assert_eq!(
        cut["video"]["frames"].as_array().unwrap().len() as u64,
        frames
    );
    assert!(cut["hashes"]["sha256"].is_string(), "digested all the same");
    assert!(
        error.contains(&format!("({frames} frames hashed)")),
        "{error}"
    );
}

#[test]
fn without_ffmpeg_videos_are_digested_and_their_frames_skipped() {
    let Some(_ffmpeg) = ffmpeg() else { return };
    let dir = TempDir::new().unwrap();
    let ev = dir.path().join("ev");
    fs::create_dir_all(&ev).unwrap();
    make(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=64x48:rate=5:duration=1",
        "-pix_fmt",
        "yuv420p",
        ev.join("a.mp4").to_str().unwrap(),
    ]);
    let list = dir.path().join("l.txt");
    fs::write(
        &list,
        "pdq 0000000000000000000000000000000000000000000000000000000000000001\n",
    )
    .unwrap();
    let empty_path = dir.path().join("bin");
    fs::create_dir_all(&empty_path).unwrap();
    let out = hashsweep()
        .env("PATH", &empty_path)
        .args(["scan", "--all-files"])
        .arg(&ev)
        .arg("-l")
        .arg(&list)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = records(&out.stdout);
    let records = &all;
    assert!(records[0]["video"]["decoder"]
        .as_str()
        .unwrap()
        .starts_with("none: ffmpeg not found"));
    let a = file_record(records, "a.mp4");
    assert_eq!(a["record"], "file");
    assert_eq!(a["video"]["not_decoded"], "no_video_decoder");
    assert_eq!(a["video"]["frames_hashed"], 0);
    assert!(
        a["hashes"]["md5"].is_string(),
        "the video itself is digested"
    );
    let frames = file_record(records, "a.mp4!/$Unread");
    assert_eq!(frames["record"], "skipped");
    assert_eq!(frames["reason"], "no_video_decoder");
    assert_eq!(frames["skip_kind"], "not_examined");
    assert_eq!(frames["container"]["format"], "video");
    let summary = records.last().unwrap();
    assert_eq!(summary["videos"], 1);
    assert_eq!(summary["files_seen"], 2);
    assert_eq!(summary["hashed"], 1);
    assert_eq!(summary["skipped"]["no_video_decoder"], 1);
    assert_eq!(summary["not_examined"]["no_video_decoder"], 1);
    assert_eq!(summary["entries_seen"], 1);
    // --no-video: digested only, no video object at all.
    let out = hashsweep()
        .args(["scan", "--all-files", "--no-video"])
        .arg(&ev)
        .arg("-l")
        .arg(&list)
        .output()
        .unwrap();
    let plain = self::records(&out.stdout);
    assert!(plain[0]["video"].is_null());
    assert!(file_record(&plain, "a.mp4")["video"].is_null());
    assert_eq!(plain.last().unwrap()["videos"], 0);
}

#[test]
fn hash_prints_frames_and_list_convert_writes_them_as_vpdq() {
    let Some(ffmpeg) = ffmpeg() else { return };
    let dir = TempDir::new().unwrap();
    stills(dir.path(), 3, 40);
    let video = dir.path().join("v.mp4");
    slideshow(dir.path(), &video, &["-c:v", "libx264"]);
    let out = hashsweep().arg("hash").arg(&video).output().unwrap();
    assert!(out.status.success());
    let records = records(&out.stdout);
    let frames = records[0]["video"]["frames"].as_array().unwrap();
    let expected = ours(&ffmpeg, &video, VideoContainer::IsoBmff);
    assert_eq!(frames.len(), 3);
    for (f, e) in frames.iter().zip(&expected) {
        assert_eq!(f["frame"], e.0);
        assert_eq!(f["pdq"], e.2.to_hex());
        assert_eq!(f["quality"], e.1);
    }
    let hash_out = dir.path().join("hash.jsonl");
    fs::write(&hash_out, &out.stdout).unwrap();
    let converted = hashsweep()
        .args(["list", "convert", "--to", "vpdq"])
        .arg(&hash_out)
        .output()
        .unwrap();
    assert!(
        converted.status.success(),
        "{}",
        String::from_utf8_lossy(&converted.stderr)
    );
    let want: String = expected
        .iter()
        .map(|(n, q, h, t)| format!("{n},{q},{},{t:.3}\n", h.to_hex()))
        .collect();
    assert_eq!(String::from_utf8(converted.stdout).unwrap(), want);
}

/// The same video as a file of a FAT volume and as an entry of a zip on that volume: both
/// decoded from memory (a memfd handed to ffmpeg), both hit at the same frame.
#[test]
fn video_inside_a_fat_disk_image_and_inside_a_zip_there_is_decoded_from_memory() {
    let Some(_ffmpeg) = ffmpeg() else { return };
    if StdCommand::new("mcopy").arg("--version").output().is_err() {
        eprintln!("mtools not installed (.ci/setup installs it): skipped");
        return;
    }
    let dir = TempDir::new().unwrap();
    let images = stills(dir.path(), 8, 7);
    slideshow(
        dir.path(),
        &dir.path().join("show.mp4"),
        &["-c:v", "libx264"],
    );
    let script = "python3 -c 'import zipfile; zipfile.ZipFile(\"clips.zip\", \"w\").write(\"show.mp4\")' && \
                  truncate -s 4M vol.img && mkfs.fat vol.img >/dev/null && \
                  mmd -i vol.img ::/clips && mcopy -i vol.img show.mp4 clips.zip ::/clips/";
    let out = StdCommand::new("bash")
        .args(["-c", script])
        .current_dir(dir.path())
        .env("MTOOLS_SKIP_CHECK", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = still_list(dir.path(), &images[5]);
    let (code, records) = scan(&dir.path().join("vol.img"), &list, &[]);
    assert_eq!(code, 1, "{records:?}");
    for path in ["clips/show.mp4", "clips/clips.zip!/show.mp4"] {
        let show = file_record(&records, path);
        assert_eq!(show["record"], "match", "{path}");
        let hit = &show["video"]["frame_hits"][0];
        assert_eq!(
            (hit["frame"].as_u64(), hit["timestamp"].as_str()),
            (Some(50), Some("5.000")),
            "{path}"
        );
    }
    assert!(file_record(&records, "clips/show.mp4")["location"].is_object());
    assert_eq!(
        file_record(&records, "clips/clips.zip!/show.mp4")["container"]["format"],
        "zip"
    );
    let summary = records.last().unwrap();
    assert_eq!(summary["videos"], 2);
    assert_eq!(summary["video_frames_hashed"], 16);
}

/// An animated GIF and an APNG holding four stills: the frames after the first are sampled
/// as vPDQ samples a video's, a listed third still is a frame hit at its frame and time,
/// and the GIF's frames agree with the reference vPDQ (which decodes it with ffmpeg).
#[test]
fn animated_gif_and_apng_frames_are_sampled_and_matched() {
    use hashsweep::perceptual::DecodeLimits;
    use hashsweep::sniff::PictureFormat;
    use hashsweep::video::animation::hash_animation;
    use image::codecs::gif::{GifEncoder, Repeat};
    use image::{Delay, Frame};

    let dir = TempDir::new().unwrap();
    let ev = dir.path().join("ev");
    fs::create_dir_all(&ev).unwrap();
    let images = stills(dir.path(), 4, 300);
    // GIF: each still for 10 frames of 100 ms (10 fps: frames 0, 10, 20, 30 are hashed).
    let gif = ev.join("anim.gif");
    {
        let mut encoder = GifEncoder::new_with_speed(fs::File::create(&gif).unwrap(), 10);
        encoder.set_repeat(Repeat::Infinite).unwrap();
        for img in &images {
            let rgba = DynamicImage::ImageRgb8(img.clone()).to_rgba8();
            for _ in 0..10 {
                let delay = Delay::from_numer_denom_ms(100, 1);
                encoder
                    .encode_frame(Frame::from_parts(rgba.clone(), 0, 0, delay))
                    .unwrap();
            }
        }
    }
    // APNG (Pillow): each still once for 1 s (1 fps: every frame is hashed).
    let script = format!(
        "from PIL import Image\nims=[Image.open('{}/still{{:02}}.png'.format(i)) for i in range(4)]\n\
         ims[0].save('{}', save_all=True, append_images=ims[1:], duration=1000, loop=0)\n",
        dir.path().display(),
        ev.join("anim.png").display()
    );
    if !StdCommand::new("python3")
        .args(["-c", &script])
        .status()
        .is_ok_and(|s| s.success())
    {
        eprintln!("Pillow not installed (.ci/setup installs it): APNG case skipped");
        fs::remove_file(ev.join("anim.png")).ok();
    }
    let list = still_list(dir.path(), &images[2]);
    let (code, records) = scan(&ev, &list, &[]);
    assert_eq!(code, 1, "{records:?}");
    let gif_record = file_record(&records, "anim.gif");
    assert_eq!(gif_record["record"], "match");
    assert_eq!(gif_record["video"]["container"], "animation");
    let hit = &gif_record["video"]["frame_hits"][0];
    assert_eq!(
        (hit["frame"].as_u64(), hit["timestamp"].as_str()),
        (Some(20), Some("2.000"))
    );
    assert!(hit["distance"].as_u64().unwrap() <= 31);
    let apng = ev.join("anim.png").exists();
    if apng {
        let png_record = file_record(&records, "anim.png");
        let hit = &png_record["video"]["frame_hits"][0];
        assert_eq!(
            (hit["frame"].as_u64(), hit["timestamp"].as_str()),
            (Some(2), Some("2.000"))
        );
    }
    let summary = records.last().unwrap();
    assert_eq!(summary["animations"], if apng { 2 } else { 1 });
    assert_eq!(summary["animation_frames_hashed"], if apng { 8 } else { 4 });
    assert_eq!(summary["videos"], 0);
    // --no-video leaves the animation alone: the first frame is the picture, no hit.
    let (code, _) = scan(&ev, &list, &["--no-video"]);
    assert_eq!(code, 0);

    // The reference decodes the GIF with ffmpeg, as a video.
    let Some(reference) = reference(std::slice::from_ref(&gif)) else {
        return;
    };
    let (mine, error) = hash_animation(
        &fs::read(&gif).unwrap(),
        PictureFormat::Gif,
        1.0,
        &DecodeLimits::default(),
    )
    .unwrap();
    assert!(error.is_none());
    let numbers: Vec<u64> = mine.frames.iter().map(|f| f.number).collect();
    let theirs: Vec<u64> = reference[0].iter().map(|f| f.0).collect();
    assert_eq!(numbers, theirs);
    let distances: Vec<u32> = mine
        .frames
        .iter()
        .zip(&reference[0])
        .map(|(m, t)| m.pdq.hash().distance(&t.2))
        .collect();
    eprintln!("animated GIF against vPDQ, per-frame PDQ distance: {distances:?}");
    assert!(distances.iter().all(|d| *d <= 31), "{distances:?}");
}
