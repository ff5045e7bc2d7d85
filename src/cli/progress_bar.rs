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
    // Sources stream their items, so until the last one is listed the totals still grow:
    // a count and a rate, no bar and no ETA, until they are final.
    let listing = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    listing.set_style(style("{spinner} {bytes} {binary_bytes_per_sec} {msg}"));
    let mut bar: Option<ProgressBar> = None;
    while !done.load(Ordering::Relaxed) {
        let snap = progress.snapshot();
        if snap.totals_final && bar.is_none() {
            listing.finish_and_clear();
            let b = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            b.set_style(style(
                "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
            ));
            bar = Some(b);
        }
        match &bar {
            Some(b) => {
                b.set_length(snap.bytes_total);
                b.set_position(snap.bytes_done);
                b.set_message(format!("{}/{} files", snap.files_done, snap.files_total));
            }
            None => {
                listing.set_position(snap.bytes_done);
                listing.set_message(format!(
                    "{} of {} files listed so far (listing…)",
                    snap.files_done, snap.files_total
                ));
                listing.tick();
            }
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    listing.finish_and_clear();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}
