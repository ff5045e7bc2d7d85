//! The `hashsweep` binary: parse the command line, run, map the outcome to an exit code.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Re-executed as the decode child of a scan (HEIF/AVIF): decode stdin, nothing else.
    if let Some(code) = hashsweep::perceptual::isolate::child_main() {
        return ExitCode::from(code);
    }
    cli::quiet_panics();
    let args = cli::args::Args::parse();
    cli::run(args).code()
}
