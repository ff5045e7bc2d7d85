//! The `hashsweep` binary: parse the command line, run, map the outcome to an exit code.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    cli::quiet_panics();
    let args = cli::args::Args::parse();
    cli::run(args).code()
}
