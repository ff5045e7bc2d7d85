//! The progress bar: a thread that polls the engine's counters and draws them with
//! indicatif on stderr, only when stderr is a terminal.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use hashsweep::progress::Progress;

pub struct ProgressBarThread {
    done: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl ProgressBarThread {
    /// Starts drawing unless `quiet` or stderr is not a terminal.
    pub fn start(progress: Arc<Progress>, quiet: bool) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        let handle = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let done = Arc::clone(&done);
            std::thread::spawn(move || draw(&progress, &done))
        });
        ProgressBarThread { done, handle }
    }

    pub fn finish(mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

fn draw(progress: &Progress, done: &AtomicBool) {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    while !done.load(Ordering::Relaxed) {
        let snap = progress.snapshot();
        bar.set_length(snap.bytes_total);
        bar.set_position(snap.bytes_done);
        bar.set_message(format!("{}/{} files", snap.files_done, snap.files_total));
        std::thread::sleep(Duration::from_millis(150));
    }
    bar.finish_and_clear();
}
