//! The `ffmpeg` and `ffprobe` programs, run as child processes that cannot take the scan
//! down: a wall-clock timeout (the child is killed), an address-space limit, no core dump,
//! no file output, no network (protocol whitelist `file,pipe`), only the sniffed
//! container's demuxers, no reading of the terminal (`-nostdin`).
//!
//! Owns `Ffmpeg` (where the programs are, which version), `Limits`, `Probe` (`ffprobe`'s
//! frame rate and size) and `decode` (rgb24 frames of the sampled frame numbers, over a
//! pipe). Leaves hashing frames to `video::frames`.
//!
//! The colour conversion is swscale's default, as vPDQ's own `sws_scale` call: BT.601
//! limited range unless the stream says otherwise, `area` flags, no resize, so frames are
//! the pixels vPDQ hashes. No autorotation (`-noautorotate`): vPDQ hashes frames as
//! stored, and dihedral matching against picture lists covers rotations.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use rustix::process::{kill_process, prlimit, Pid, Resource, Rlimit, Signal};

use crate::failure::FailureKind;

use super::input::VideoInput;
use super::sniff::VideoContainer;

/// How much of a child's standard error is kept for the report.
const STDERR_KEEP: usize = 8192;

/// Resources one child may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time for one video (probe and decode together get twice this at most).
    pub timeout: Duration,
    /// Address-space limit (`RLIMIT_AS`) of the child, bytes.
    pub memory_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(300),
            memory_bytes: 2 << 30,
        }
    }
}

/// Why a video could not be (fully) decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("cannot start {program}: {reason}")]
    Spawn { program: String, reason: String },
    #[error("ffmpeg did not finish within {0:?} and was stopped")]
    Timeout(Duration),
    #[error("ffmpeg: {0}")]
    Ffmpeg(String),
    #[error("no video stream")]
    NoVideoStream,
    #[error("cannot read ffmpeg's output: {0}")]
    Pipe(String),
}

impl DecodeError {
    /// The kind of the video's failure.
    pub fn failure_kind(&self) -> FailureKind {
        match self {
            DecodeError::Spawn { .. } | DecodeError::Pipe(_) => FailureKind::DecoderProcess,
            DecodeError::Timeout(_) => FailureKind::Timeout,
            DecodeError::Ffmpeg(_) | DecodeError::NoVideoStream => FailureKind::Decode,
        }
    }
}

/// The installed ffmpeg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ffmpeg {
    ffmpeg: PathBuf,
    ffprobe: PathBuf,
    /// `ffmpeg -version`'s first line, for the report header.
    pub version: String,
}

/// What `ffprobe` says about the first video stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub width: u32,
    pub height: u32,
    /// Frames per second as a fraction: `avg_frame_rate`, else `r_frame_rate` (vPDQ's rule).
    pub rate_num: u64,
    pub rate_den: u64,
}

impl Probe {
    pub fn fps(&self) -> f64 {
        self.rate_num as f64 / self.rate_den as f64
    }
}

impl Ffmpeg {
    /// Finds `ffmpeg` and `ffprobe` on `PATH` and asks the version; `None` if either is
    /// missing or does not run.
    pub fn locate() -> Option<Ffmpeg> {
        let path = std::env::var_os("PATH")?;
        let find = |name: &str| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        };
        let (ffmpeg, ffprobe) = (find("ffmpeg")?, find("ffprobe")?);
        let out = Command::new(&ffmpeg)
            .args(["-hide_banner", "-version"])
            .stdin(Stdio::null())
            .output()
            .ok()?;
        let version = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()?
            .trim()
            .to_string();
        out.status.success().then_some(Ffmpeg {
            ffmpeg,
            ffprobe,
            version,
        })
    }

    /// Frame rate and size of the first video stream.
    pub fn probe(
        &self,
        input: &VideoInput,
        container: VideoContainer,
        limits: Limits,
    ) -> Result<Probe, DecodeError> {
        let mut cmd = Command::new(&self.ffprobe);
        cmd.args(["-hide_banner", "-v", "error"]);
        cmd.args(input_args(container));
        cmd.args([
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height,avg_frame_rate,r_frame_rate",
            "-of",
            "default=noprint_wrappers=1",
        ]);
        let mut text = String::new();
        let run = run_limited(cmd, &self.ffprobe, input, limits, |out| {
            out.read_to_string(&mut text).map(|_| ())
        })?;
        run.check()?;
        parse_probe(&text).ok_or(DecodeError::NoVideoStream)
    }

    /// Decodes the first video stream, keeping frames whose number is a multiple of
    /// `every`, and hands each as `width × height` rgb24 bytes to `frame`. An error after
    /// some frames still leaves those frames delivered.
    pub fn decode(
        &self,
        input: &VideoInput,
        container: VideoContainer,
        probe: &Probe,
        every: u64,
        limits: Limits,
        mut frame: impl FnMut(Vec<u8>),
    ) -> Result<(), DecodeError> {
        let mut cmd = Command::new(&self.ffmpeg);
        cmd.args(["-nostdin", "-hide_banner", "-loglevel", "error"]);
        cmd.args(["-threads", "1", "-noautorotate"]);
        cmd.args(input_args(container));
        cmd.args(["-map", "0:v:0", "-an", "-sn", "-dn"]);
        cmd.args(["-vf", &format!("select=not(mod(n\\,{every}))")]);
        // Frames leave the filter graph as they came: none duplicated or dropped to reach
        // a constant rate, so the k-th frame out is frame k × every of the stream.
        cmd.args(["-fps_mode", "passthrough", "-sws_flags", "area"]);
        cmd.args(["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]);
        let frame_len = probe.width as usize * probe.height as usize * 3;
        let run = run_limited(cmd, &self.ffmpeg, input, limits, |out| loop {
            let mut buf = vec![0u8; frame_len];
            match read_full(out, &mut buf)? {
                n if n == frame_len => frame(buf),
                _ => return Ok(()),
            }
        })?;
        run.check()
    }
}

/// The input options both programs share: the sealed memfd on standard input, opened as a
/// seekable file, with only the sniffed container's demuxers and local protocols allowed.
fn input_args(container: VideoContainer) -> Vec<String> {
    [
        "-protocol_whitelist",
        "file,pipe",
        "-format_whitelist",
        container.demuxers(),
        "-i",
        "file:/proc/self/fd/0",
    ]
    .map(String::from)
    .to_vec()
}

fn parse_probe(text: &str) -> Option<Probe> {
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .map(str::trim)
    };
    let rate = |key| {
        let (n, d) = field(key)?.split_once('/')?;
        let (n, d) = (n.parse::<u64>().ok()?, d.parse::<u64>().ok()?);
        (n > 0 && d > 0).then_some((n, d))
    };
    let (rate_num, rate_den) = rate("avg_frame_rate").or_else(|| rate("r_frame_rate"))?;
    let width = field("width")?.parse().ok().filter(|w| *w > 0)?;
    let height = field("height")?.parse().ok().filter(|h| *h > 0)?;
    Some(Probe {
        width,
        height,
        rate_num,
        rate_den,
    })
}

/// Reads until `buf` is full or the stream ends; returns how much was read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// How a child ended.
struct ChildRun {
    status: ExitStatus,
    stderr: String,
    timed_out: Option<Duration>,
    pipe_error: Option<String>,
}

impl ChildRun {
    /// Any error ffmpeg printed (it runs at `-loglevel error`), a non-zero exit, a timeout
    /// or a broken pipe is a failure.
    fn check(&self) -> Result<(), DecodeError> {
        if let Some(t) = self.timed_out {
            return Err(DecodeError::Timeout(t));
        }
        if let Some(e) = &self.pipe_error {
            return Err(DecodeError::Pipe(e.clone()));
        }
        let message = first_error(&self.stderr);
        match (self.status.success(), message) {
            (true, None) => Ok(()),
            (_, Some(m)) => Err(DecodeError::Ffmpeg(m)),
            (false, None) => Err(DecodeError::Ffmpeg(format!("exited with {}", self.status))),
        }
    }
}

/// The first line ffmpeg printed, without the per-run object addresses (`[h264 @
/// 0x55…]`) and the memfd's path, so the same file always gives the same message.
fn first_error(stderr: &str) -> Option<String> {
    let line = stderr.lines().map(str::trim).find(|l| !l.is_empty())?;
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find(" @ 0x") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 5..];
        rest = tail.trim_start_matches(|c: char| c.is_ascii_hexdigit());
    }
    out.push_str(rest);
    Some(out.replace("file:/proc/self/fd/0", "input"))
}

/// Runs `cmd` with the video on standard input under `limits`, giving its standard output
/// to `consume`; kills it at the deadline.
fn run_limited(
    mut cmd: Command,
    program: &Path,
    input: &VideoInput,
    limits: Limits,
    consume: impl FnOnce(&mut std::process::ChildStdout) -> io::Result<()>,
) -> Result<ChildRun, DecodeError> {
    let spawn_err = |e: io::Error| DecodeError::Spawn {
        program: program.display().to_string(),
        reason: e.to_string(),
    };
    let stdin = input.stdin_fd().map_err(spawn_err)?;
    cmd.stdin(Stdio::from(stdin))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(spawn_err)?;
    let pid = Pid::from_child(&child);
    if let Err(e) = apply_limits(pid, limits) {
        kill(&mut child);
        return Err(spawn_err(e.into()));
    }
    let stderr = child.stderr.take().map(collect_stderr);
    let (done, watchdog) = watch(pid, limits.timeout);
    let mut pipe_error = None;
    if let Some(mut out) = child.stdout.take() {
        if let Err(e) = consume(&mut out) {
            pipe_error = Some(e.to_string());
        }
        // Dropping our end makes a child still writing get EPIPE and end.
    }
    if pipe_error.is_some() {
        kill(&mut child);
    }
    let status = child.wait();
    // The child is reaped only now, so its pid cannot have been reused while the
    // watchdog could still signal it.
    let _ = done.send(());
    let timed_out = watchdog.join().unwrap_or(false).then_some(limits.timeout);
    let stderr = stderr
        .map(|h| h.join().unwrap_or_default())
        .unwrap_or_default();
    Ok(ChildRun {
        status: status.map_err(spawn_err)?,
        stderr,
        timed_out,
        pipe_error,
    })
}

/// Address space as asked; no core file (it would hold decoded evidence) and no file
/// written at all (ffmpeg's only output is the pipe).
fn apply_limits(pid: Pid, limits: Limits) -> rustix::io::Result<()> {
    let cap = |n: u64| Rlimit {
        current: Some(n),
        maximum: Some(n),
    };
    prlimit(Some(pid), Resource::As, cap(limits.memory_bytes))?;
    prlimit(Some(pid), Resource::Core, cap(0))?;
    prlimit(Some(pid), Resource::Fsize, cap(0))?;
    Ok(())
}

fn kill(child: &mut Child) {
    let _ = child.kill();
}

/// A thread that kills `pid` unless told the child was done before `timeout`; returns
/// whether it killed.
fn watch(pid: Pid, timeout: Duration) -> (mpsc::Sender<()>, thread::JoinHandle<bool>) {
    let (tx, rx) = mpsc::channel::<()>();
    let handle = thread::spawn(move || match rx.recv_timeout(timeout) {
        Err(mpsc::RecvTimeoutError::Timeout) => {
            let _ = kill_process(pid, Signal::KILL);
            // Wait for the main thread to reap the child before returning.
            let _ = rx.recv();
            true
        }
        _ => false,
    });
    (tx, handle)
}

/// Reads the child's standard error to its end, keeping the first `STDERR_KEEP` bytes.
fn collect_stderr(mut err: ChildStderr) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = err.read(&mut buf) {
            if n == 0 {
                break;
            }
            let room = STDERR_KEEP.saturating_sub(kept.len());
            kept.extend_from_slice(&buf[..n.min(room)]);
        }
        String::from_utf8_lossy(&kept).into_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(script: &str, limits: Limits) -> (ChildRun, String) {
        let input = VideoInput::from_bytes(b"video bytes").unwrap();
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script]);
        let mut out = String::new();
        let run = run_limited(cmd, Path::new("sh"), &input, limits, |o| {
            o.read_to_string(&mut out).map(|_| ())
        })
        .unwrap();
        (run, out)
    }

    #[test]
    fn a_child_past_its_deadline_is_killed_and_reported() {
        let limits = Limits {
            timeout: Duration::from_millis(300),
            ..Limits::default()
        };
        let started = std::time::Instant::now();
        let (run, _) = shell("exec sleep 30", limits);
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(
            run.check(),
            Err(DecodeError::Timeout(Duration::from_millis(300)))
        );
    }

    #[test]
    fn limits_reach_the_child_and_the_video_is_its_stdin() {
        let limits = Limits {
            memory_bytes: 512 << 20,
            ..Limits::default()
        };
        // Give the parent's prlimit a moment to land before the child reads its limits.
        let script = "sleep 0.3; ulimit -v; ulimit -c; ulimit -f; cat";
        let (run, out) = shell(script, limits);
        assert_eq!(run.check(), Ok(()));
        assert_eq!(out, format!("{}\n0\n0\nvideo bytes", 512 * 1024));
    }

    #[test]
    fn probe_output_is_parsed_with_vpdq_rate_rule() {
        let text = "width=160\nheight=120\nr_frame_rate=25/1\navg_frame_rate=0/0\n";
        let p = parse_probe(text).unwrap();
        assert_eq!(
            (p.width, p.height, p.rate_num, p.rate_den),
            (160, 120, 25, 1)
        );
        let text = "width=64\nheight=48\nr_frame_rate=30/1\navg_frame_rate=30000/1001\n";
        assert_eq!(parse_probe(text).unwrap().rate_num, 30000);
        assert!(parse_probe("width=0\nheight=5\navg_frame_rate=1/1").is_none());
        assert!(parse_probe("").is_none());
    }

    #[test]
    fn error_lines_lose_addresses_and_memfd_path() {
        let err = "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x559b879bb900] moov atom not found\n\
                   file:/proc/self/fd/0: Invalid data found when processing input\n";
        assert_eq!(
            first_error(err).unwrap(),
            "[mov,mp4,m4a,3gp,3g2,mj2] moov atom not found"
        );
        assert_eq!(first_error("\n  \n"), None);
    }
}
