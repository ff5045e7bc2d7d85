//! Decoding in a child process, for decoders written in C that parse hostile input
//! (libheif with libde265 and dav1d).
//!
//! `catch_unwind` contains a Rust panic, but a segfault, an abort or an endless loop in C
//! would take the whole scan down or stall a worker forever. So those pictures are decoded
//! by a child process: the hashsweep binary re-executed with the hidden first argument
//! `__decode-picture`, the picture's bytes written to its stdin (a pipe: nothing derived
//! from evidence touches the disk), pixels read back from its stdout. The parent kills it
//! at a wall-clock timeout; the child caps its own address space (`RLIMIT_AS`), CPU time
//! and core dumps (none: a core file would put evidence on disk) before it reads a byte.
//!
//! Owns `ChildDecoder` (parent side), the wire format of the pixels, and `child_main` (the
//! child side). The decoding itself lives in `heif`.

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use image::{DynamicImage, GrayImage, RgbImage};

use super::limits::{DecodeError, DecodeLimits};
use crate::sniff::PictureFormat;

/// The hidden first argument that turns the hashsweep binary into a decode child.
pub const CHILD_ARG: &str = "__decode-picture";

/// Starts every pixel stream, so garbage on stdout is never taken for a picture.
const MAGIC: &[u8; 4] = b"HSPX";
const HEADER_LEN: usize = 16;
/// How much of the child's stderr is kept for the error message.
const STDERR_KEEP: u64 = 2048;
/// Address space the child needs beyond the decoder's allowance: the binary, shared
/// libraries, thread stacks and the input bytes.
const ADDRESS_SPACE_OVERHEAD: u64 = 512 << 20;

/// Exit codes of the child, mapped back to `DecodeError` variants by the parent.
const EXIT_CORRUPT: u8 = 3;
const EXIT_LIMIT: u8 = 4;
const EXIT_UNSUPPORTED: u8 = 5;
const EXIT_USAGE: u8 = 6;

/// How to start a decode child and how long to give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildDecoder {
    program: PathBuf,
    /// Arguments before the child's own (`__decode-picture` for the hashsweep binary).
    prefix: Vec<OsString>,
    timeout: Duration,
}

impl ChildDecoder {
    /// 30 s is ten times a 48-MP HEIC's decode on a loaded two-core machine; a picture
    /// that takes longer is a decoder stuck in a loop.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

    /// The running hashsweep binary as the decode child (its path from `/proc/self/exe`).
    pub fn current_exe() -> Option<ChildDecoder> {
        let program = std::env::current_exe().ok()?;
        Some(ChildDecoder::new(program, [OsStr::new(CHILD_ARG)]))
    }

    /// Any program speaking the protocol of `child_main` (tests use stand-ins).
    pub fn new<I, S>(program: impl Into<PathBuf>, prefix: I) -> ChildDecoder
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        ChildDecoder {
            program: program.into(),
            prefix: prefix.into_iter().map(|s| s.as_ref().to_owned()).collect(),
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    pub fn with_timeout(mut self, timeout: Duration) -> ChildDecoder {
        self.timeout = timeout;
        self
    }

    /// Decodes `bytes` in a fresh child process under `limits` and the timeout.
    pub fn decode(
        &self,
        bytes: &[u8],
        format: PictureFormat,
        limits: &DecodeLimits,
    ) -> Result<DynamicImage, DecodeError> {
        let mut child = Command::new(&self.program)
            .args(&self.prefix)
            .arg(format.name())
            .args([limits.max_width, limits.max_height].map(|v| v.to_string()))
            .arg(limits.max_alloc.to_string())
            .arg(self.timeout.as_secs().max(1).to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group: the timeout kills the child and anything it started,
            // and a Ctrl-C at the terminal goes to the scan alone, which stops cleanly.
            .process_group(0)
            .spawn()
            .map_err(|e| process_error(format!("cannot start decoder process: {e}")))?;
        let (stdin, stdout, stderr) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let max_out = limits.max_alloc.saturating_add(HEADER_LEN as u64 + 1);
        let deadline = Instant::now() + self.timeout;
        let (status, out, err) = std::thread::scope(|scope| {
            scope.spawn(move || {
                // A child that dies early closes the pipe: the write error is expected.
                if let Some(mut stdin) = stdin {
                    let _ = stdin.write_all(bytes);
                }
            });
            let out = scope.spawn(move || read_capped(stdout, max_out));
            let err = scope.spawn(move || read_capped(stderr, STDERR_KEEP));
            let status = wait_until(&mut child, deadline);
            (status, out.join(), err.join())
        });
        let stderr_text = err
            .ok()
            .map(|e| String::from_utf8_lossy(&e).trim().to_string())
            .unwrap_or_default();
        match status {
            Err(e) => Err(process_error(format!("waiting for decoder process: {e}"))),
            Ok(None) => Err(process_error(format!(
                "decoder process killed after the {} s timeout",
                self.timeout.as_secs_f64()
            ))),
            Ok(Some(status)) if status.success() => parse_pixels(&out.unwrap_or_default(), limits),
            Ok(Some(status)) => Err(failure(status, stderr_text)),
        }
    }
}

fn process_error(message: String) -> DecodeError {
    DecodeError::DecoderProcess(message)
}

/// Polls the child until it exits or the deadline passes (then kills and reaps it).
/// Polling from 0.1 ms up to 5 ms costs nothing next to a process start.
fn wait_until(
    child: &mut std::process::Child,
    deadline: Instant,
) -> std::io::Result<Option<ExitStatus>> {
    let mut pause = Duration::from_micros(100);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            let group = rustix::process::Pid::from_child(child);
            rustix::process::kill_process_group(group, rustix::process::Signal::KILL)?;
            child.wait()?;
            return Ok(None);
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(5));
    }
}

/// Reads a pipe to its end, keeping at most `cap` bytes (the rest is drained and dropped
/// so the child never blocks on a full pipe).
fn read_capped(pipe: Option<impl Read>, cap: u64) -> Vec<u8> {
    let Some(mut pipe) = pipe else {
        return Vec::new();
    };
    let mut kept = Vec::new();
    let _ = (&mut pipe).take(cap).read_to_end(&mut kept);
    let _ = std::io::copy(&mut pipe, &mut std::io::sink());
    kept
}

/// Maps a failed child's exit to an error naming the cause.
fn failure(status: ExitStatus, stderr: String) -> DecodeError {
    use std::os::unix::process::ExitStatusExt;
    if let Some(signal) = status.signal() {
        return process_error(format!(
            "decoder process crashed (signal {signal}){}",
            if stderr.is_empty() {
                String::new()
            } else {
                format!(": {stderr}")
            }
        ));
    }
    match status.code().and_then(|c| u8::try_from(c).ok()) {
        Some(EXIT_CORRUPT) => DecodeError::Corrupt(stderr),
        Some(EXIT_LIMIT) => DecodeError::LimitExceeded(stderr),
        Some(EXIT_UNSUPPORTED) => DecodeError::Unsupported(stderr),
        code => process_error(format!(
            "decoder process failed (exit {}): {stderr}",
            code.map_or_else(|| "?".to_string(), |c| c.to_string())
        )),
    }
}

/// Checks and unpacks `HSPX`, width, height (u32 LE), channels (1 grey or 3 RGB), three
/// zero bytes, then the rows.
fn parse_pixels(out: &[u8], limits: &DecodeLimits) -> Result<DynamicImage, DecodeError> {
    let bad = |what: &str| process_error(format!("decoder process wrote {what}"));
    if out.len() < HEADER_LEN || &out[..4] != MAGIC {
        return Err(bad("no pixel header"));
    }
    let width = u32::from_le_bytes([out[4], out[5], out[6], out[7]]);
    let height = u32::from_le_bytes([out[8], out[9], out[10], out[11]]);
    let channels = out[12];
    if width > limits.max_width || height > limits.max_height {
        return Err(bad("a picture over the decode limits"));
    }
    let expected = (width as usize)
        .checked_mul(height as usize)
        .and_then(|n| n.checked_mul(usize::from(channels)));
    let pixels = &out[HEADER_LEN..];
    if expected != Some(pixels.len()) {
        return Err(bad("a pixel stream of the wrong length"));
    }
    let built = match channels {
        1 => GrayImage::from_raw(width, height, pixels.to_vec()).map(DynamicImage::ImageLuma8),
        3 => RgbImage::from_raw(width, height, pixels.to_vec()).map(DynamicImage::ImageRgb8),
        _ => None,
    };
    built.ok_or_else(|| bad("an unknown channel count"))
}

/// Writes a decoded picture in the wire format (the child side of `parse_pixels`).
fn write_pixels(out: &mut impl Write, image: &DynamicImage) -> std::io::Result<()> {
    let (channels, pixels): (u8, &[u8]) = match image {
        DynamicImage::ImageLuma8(p) => (1, p.as_raw()),
        DynamicImage::ImageRgb8(p) => (3, p.as_raw()),
        _ => {
            return Err(std::io::Error::other(
                "child pictures are 8-bit grey or RGB",
            ));
        }
    };
    let mut header = [0u8; HEADER_LEN];
    header[..4].copy_from_slice(MAGIC);
    header[4..8].copy_from_slice(&image.width().to_le_bytes());
    header[8..12].copy_from_slice(&image.height().to_le_bytes());
    header[12] = channels;
    out.write_all(&header)?;
    out.write_all(pixels)?;
    out.flush()
}

/// What the child was asked to do.
struct ChildRequest {
    format: PictureFormat,
    limits: DecodeLimits,
    cpu_seconds: u64,
}

fn parse_request(args: &[OsString]) -> Option<ChildRequest> {
    let text: Vec<&str> = args.iter().map(|a| a.to_str()).collect::<Option<_>>()?;
    let [format, width, height, alloc, seconds] = text.as_slice() else {
        return None;
    };
    let format = PictureFormat::ALL
        .into_iter()
        .find(|f| f.name() == *format)?;
    Some(ChildRequest {
        format,
        limits: DecodeLimits {
            max_width: width.parse().ok()?,
            max_height: height.parse().ok()?,
            max_alloc: alloc.parse().ok()?,
        },
        cpu_seconds: seconds.parse().ok()?,
    })
}

/// Caps the child's own resources before it reads any input: address space, CPU time
/// (a backstop to the parent's wall-clock timeout) and core dumps (none).
fn limit_self(request: &ChildRequest) -> std::io::Result<()> {
    use rustix::process::{setrlimit, Resource, Rlimit};
    let cap = |limit: u64| Rlimit {
        current: Some(limit),
        maximum: Some(limit),
    };
    let address_space = request
        .limits
        .max_alloc
        .saturating_add(ADDRESS_SPACE_OVERHEAD);
    setrlimit(Resource::As, cap(address_space))?;
    setrlimit(Resource::Cpu, cap(request.cpu_seconds.saturating_add(1)))?;
    setrlimit(Resource::Core, cap(0))?;
    Ok(())
}

/// The child side, when the process was started with `CHILD_ARG` first: returns the exit
/// code, or `None` for an ordinary start (then the binary parses its command line).
pub fn child_main() -> Option<u8> {
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() != Some(OsStr::new(CHILD_ARG)) {
        return None;
    }
    let rest: Vec<OsString> = args.collect();
    let Some(request) = parse_request(&rest) else {
        return Some(EXIT_USAGE);
    };
    if let Err(e) = limit_self(&request) {
        let _ = writeln!(std::io::stderr(), "cannot set resource limits: {e}");
        return Some(EXIT_USAGE);
    }
    let mut bytes = Vec::new();
    if std::io::stdin().lock().read_to_end(&mut bytes).is_err() {
        return Some(EXIT_USAGE);
    }
    let decoded = super::heif::decode_heif(&bytes, &request.limits);
    let (code, message) = match decoded {
        Ok(image) => match write_pixels(&mut std::io::stdout().lock(), &image) {
            Ok(()) => return Some(0),
            Err(e) => (EXIT_USAGE, e.to_string()),
        },
        Err(DecodeError::Corrupt(m)) => (EXIT_CORRUPT, m),
        Err(DecodeError::LimitExceeded(m)) => (EXIT_LIMIT, m),
        Err(e) => (EXIT_UNSUPPORTED, e.to_string()),
    };
    let _ = writeln!(std::io::stderr(), "{} {message}", request.format.name());
    Some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stand_in(script: &str) -> ChildDecoder {
        ChildDecoder::new("/bin/sh", ["-c", script, "stand-in"])
    }

    fn decode(child: &ChildDecoder) -> Result<DynamicImage, DecodeError> {
        child.decode(
            b"\0\0\0\x18ftypheic",
            PictureFormat::Heif,
            &DecodeLimits::default(),
        )
    }

    #[test]
    fn a_crashing_decoder_is_an_error_not_a_crash() {
        let err = decode(&stand_in("cat >/dev/null; kill -SEGV $$")).unwrap_err();
        assert_eq!(
            err,
            DecodeError::DecoderProcess("decoder process crashed (signal 11)".to_string())
        );
    }

    #[test]
    fn a_hanging_decoder_is_killed_at_the_timeout() {
        let child = stand_in("sleep 30; exit 0").with_timeout(Duration::from_millis(300));
        let started = Instant::now();
        let err = decode(&child).unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            err,
            DecodeError::DecoderProcess(
                "decoder process killed after the 0.3 s timeout".to_string()
            )
        );
    }

    #[test]
    fn exit_codes_and_garbage_map_to_typed_errors() {
        let err = decode(&stand_in("echo 'bad box at 40' >&2; exit 3")).unwrap_err();
        assert_eq!(err, DecodeError::Corrupt("bad box at 40".to_string()));
        let err = decode(&stand_in("echo hello")).unwrap_err();
        assert_eq!(
            err,
            DecodeError::DecoderProcess("decoder process wrote no pixel header".to_string())
        );
        let missing = ChildDecoder::new("/nonexistent/decoder", [""; 0]);
        assert!(matches!(
            decode(&missing),
            Err(DecodeError::DecoderProcess(_))
        ));
    }

    #[test]
    fn pixels_round_trip_through_the_wire_format() {
        let image = DynamicImage::ImageRgb8(RgbImage::from_fn(7, 5, |x, y| {
            image::Rgb([x as u8, y as u8, 9])
        }));
        let mut wire = Vec::new();
        write_pixels(&mut wire, &image).unwrap();
        assert_eq!(
            parse_pixels(&wire, &DecodeLimits::default()).unwrap(),
            image
        );
        let small = DecodeLimits {
            max_width: 6,
            ..DecodeLimits::default()
        };
        assert!(parse_pixels(&wire, &small).is_err());
        assert!(parse_pixels(&wire[..wire.len() - 1], &DecodeLimits::default()).is_err());
    }
}
