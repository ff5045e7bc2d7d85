//! `hashsweep list inspect|convert`: look at or rewrite hash lists without scanning.

use std::io::Write;

use anyhow::{Context, Result};

use hashsweep::list::{inspect_list, load_list, vpdq, write_hashdeep, write_jsonl, LoadOptions};

use super::args::{ConvertFormat, ListCommand, ListConvertArgs, ListInspectArgs};
use super::{open_output, Exit};

pub fn run(command: ListCommand) -> Result<Exit> {
    match command {
        ListCommand::Inspect(a) => inspect(a),
        ListCommand::Convert(a) => convert(a),
    }
}

/// One JSON document per list, one per line; exit 2 if any list would not load strictly.
fn inspect(args: ListInspectArgs) -> Result<Exit> {
    let options = LoadOptions {
        format: args.list_format,
        ..LoadOptions::alert()
    };
    let mut out = open_output(None)?;
    let mut all_strict = true;
    for path in &args.lists {
        let inspection = inspect_list(path, &options)?;
        all_strict &= inspection.loads_strictly;
        serde_json::to_writer_pretty(&mut out, &inspection)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(if all_strict {
        Exit::NoMatch
    } else {
        Exit::Error
    })
}

fn convert(args: ListConvertArgs) -> Result<Exit> {
    if matches!(args.to, ConvertFormat::Vpdq) {
        return convert_to_vpdq(&args);
    }
    let options = LoadOptions {
        format: args.list_format,
        lenient: args.lenient,
        ..LoadOptions::alert()
    };
    let list = load_list(&args.list, &options)?;
    let mut out = open_output(args.output.as_deref())?;
    let summary = match args.to {
        ConvertFormat::Jsonl => write_jsonl(&list, &mut out),
        ConvertFormat::Hashdeep => write_hashdeep(&list, &mut out),
        ConvertFormat::Vpdq => unreachable_vpdq(),
    }
    .context("cannot write the converted list")?;
    out.flush()?;
    if summary.skipped_entries > 0 {
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "hashsweep: {} entries have no place in the target format and were left out",
                summary.skipped_entries
            );
        }
    }
    Ok(Exit::NoMatch)
}

fn unreachable_vpdq() -> std::io::Result<hashsweep::list::WriteSummary> {
    Err(std::io::Error::other("vPDQ is written by convert_to_vpdq"))
}

/// The videos of `hashsweep hash` output, or of a vPDQ list, written as vPDQ files.
fn convert_to_vpdq(args: &ListConvertArgs) -> Result<Exit> {
    let text = std::fs::read(&args.list)
        .with_context(|| format!("cannot read {}", args.list.display()))?;
    let mut videos = vpdq::videos_from_records(&String::from_utf8_lossy(&text))
        .with_context(|| format!("{}", args.list.display()))?;
    if videos.is_empty() {
        let options = LoadOptions {
            format: args.list_format,
            lenient: args.lenient,
            ..LoadOptions::alert()
        };
        let list = load_list(&args.list, &options)?;
        videos = list.videos.into_iter().map(|v| (v.id, v.frames)).collect();
    }
    match (videos.as_slice(), args.output.as_deref()) {
        ([], _) => anyhow::bail!("{} holds no video frames", args.list.display()),
        ([(_, frames)], output) if !output.is_some_and(|o| o.is_dir()) => {
            let mut out = open_output(output)?;
            vpdq::write_vpdq(frames, &mut out)?;
            out.flush()?;
        }
        (_, Some(dir)) if dir.is_dir() => {
            for (path, frames) in &videos {
                let name = std::path::Path::new(path)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "video".to_string());
                let target = dir.join(format!("{name}.vpdq"));
                anyhow::ensure!(!target.exists(), "{} exists already", target.display());
                let mut out = open_output(Some(&target))?;
                vpdq::write_vpdq(frames, &mut out)?;
                out.flush()?;
            }
        }
        (many, _) => anyhow::bail!(
            "{} videos: give -o a directory to write one vPDQ file per video",
            many.len()
        ),
    }
    Ok(Exit::NoMatch)
}
