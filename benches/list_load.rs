//! Load time and peak memory of big generated lists (docs/lists.md has the numbers).
//!
//! Not a criterion bench: one load of a multi-GB list is the measurement, and peak RSS needs
//! a process-wide reading (`VmHWM`, reset through `/proc/self/clear_refs` before each
//! load, so writing the file does not count). Run:
//!
//! ```text
//! cargo bench --bench list_load                                # 1 M records
//! LIST_BENCH_ENTRIES=10000000 cargo bench --bench list_load    # 10 M records
//! LIST_BENCH_FORMATS=vics,hashdeep,md5sum ...                  # pick formats
//! ```
//!
//! Each record carries an MD5 and a SHA-1 (two entries), the shape of a VICS Media and of
//! the lab lists the memory target speaks of. Files go to a temp dir and are removed.

// A bench reports on stdout; the library lints forbid printing elsewhere.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use hashsweep::list::{load_list, LoadOptions};

/// splitmix64: distinct, well-spread synthetic hash bytes without a RNG crate.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn fake_hex(i: u64, salt: u64, bytes: usize) -> String {
    let words: Vec<u8> = (0..bytes.div_ceil(8) as u64)
        .flat_map(|k| mix(i ^ salt.rotate_left(k as u32 * 7) ^ (k << 56)).to_le_bytes())
        .take(bytes)
        .collect();
    hex::encode(words)
}

fn write_list(path: &Path, format: &str, n: u64) {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path).unwrap());
    match format {
        "vics" => {
            writeln!(w, "{{\"@odata.context\":\"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media\",\"value\":[").unwrap();
            for i in 0..n {
                let sep = if i + 1 == n { "" } else { "," };
                writeln!(w, "{{\"MediaID\":{i},\"Category\":{},\"MD5\":\"{}\",\"SHA1\":\"{}\",\"MediaSize\":{}}}{sep}",
                    i % 5, fake_hex(i, 1, 16), fake_hex(i, 2, 20), 1000 + i % 977).unwrap();
            }
            writeln!(w, "]}}").unwrap();
        }
        "hashdeep" => {
            writeln!(w, "%%%% HASHDEEP-1.0\n%%%% size,md5,sha1,filename").unwrap();
            for i in 0..n {
                writeln!(
                    w,
                    "{},{},{},img/{i}.jpg",
                    1000 + i % 977,
                    fake_hex(i, 1, 16),
                    fake_hex(i, 2, 20)
                )
                .unwrap();
            }
        }
        _ => {
            for i in 0..n {
                writeln!(w, "{}  img/{i}.jpg", fake_hex(i, 1, 16)).unwrap();
                writeln!(w, "{}  img/{i}.jpg", fake_hex(i, 2, 20)).unwrap();
            }
        }
    }
    w.flush().unwrap();
}

/// Peak resident set size of this process since the last reset, in MiB.
fn peak_rss_mib() -> f64 {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(f64::NAN);
    kib / 1024.0
}

fn main() {
    let n: u64 = std::env::var("LIST_BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let formats = std::env::var("LIST_BENCH_FORMATS").unwrap_or_else(|_| "vics,hashdeep".into());
    let dir = tempfile::tempdir().unwrap();
    println!("records  format    file MiB  load s   peak RSS MiB  entries");
    for format in formats.split(',') {
        let path = dir.path().join(format!("list.{format}"));
        write_list(&path, format, n);
        let size = fs::metadata(&path).unwrap().len() as f64 / (1 << 20) as f64;
        // Reset the high-water mark so only the load is measured (Linux ≥ 4.0).
        let _ = fs::write("/proc/self/clear_refs", "5");
        let start = Instant::now();
        let list = load_list(&path, &LoadOptions::alert()).unwrap();
        let secs = start.elapsed().as_secs_f64();
        let rss = peak_rss_mib();
        println!(
            "{n:>8}  {format:<8} {size:>9.0}  {secs:>6.2}  {rss:>13.0}  {}",
            list.len()
        );
        drop(list);
        fs::remove_file(&path).unwrap();
    }
}
