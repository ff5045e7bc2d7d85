//! Shell completions and the man page, generated from the same clap definition as the
//! parser, so they never drift from the flags.

use std::io::{self, Write};

use anyhow::Result;
use clap::CommandFactory;

use super::args::{Args, CompletionsArgs};
use super::Exit;

/// `hashsweep completions SHELL`.
pub fn completions(args: CompletionsArgs) -> Result<Exit> {
    let mut command = Args::command();
    let mut out = io::stdout().lock();
    clap_complete::generate(args.shell, &mut command, "hashsweep", &mut out);
    out.flush()?;
    Ok(Exit::NoMatch)
}

/// `hashsweep man`: hashsweep(1) in roff, every subcommand included.
pub fn man() -> Result<Exit> {
    let command = Args::command();
    let mut out = io::stdout().lock();
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    man.render_subcommands_section(&mut out)?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("hashsweep-{}", sub.get_name());
        let sub_man = clap_mangen::Man::new(sub.clone().bin_name(name.clone()));
        writeln!(out, ".SH \"{}\"", name.to_uppercase())?;
        sub_man.render_synopsis_section(&mut out)?;
        sub_man.render_options_section(&mut out)?;
        sub_man.render_extra_section(&mut out)?;
    }
    man.render_extra_section(&mut out)?;
    man.render_version_section(&mut out)?;
    out.flush()?;
    Ok(Exit::NoMatch)
}
