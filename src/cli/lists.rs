//! `hashsweep list inspect|convert`: look at or rewrite hash lists without scanning.

use std::io::Write;

use anyhow::{Context, Result};

use hashsweep::list::{
    inspect_list, load_list, write_hashdeep, write_jsonl, ListFormat, LoadOptions,
};

use super::args::{ConvertFormat, ListCommand, ListConvertArgs, ListInspectArgs};
use super::{open_output, Exit};

pub fn run(command: ListCommand) -> Result<Exit> {
    match command {
        ListCommand::Inspect(a) => inspect(a),
        ListCommand::Convert(a) => convert(a),
    }
}

fn forced_format(flag: Option<&str>) -> Result<Option<ListFormat>> {
    flag.map(str::parse)
        .transpose()
        .map_err(|e: String| anyhow::anyhow!("--list-format: {e}"))
}

/// One JSON document per list, one per line; exit 2 if any list would not load strictly.
fn inspect(args: ListInspectArgs) -> Result<Exit> {
    let options = LoadOptions {
        format: forced_format(args.list_format.as_deref())?,
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
    let options = LoadOptions {
        format: forced_format(args.list_format.as_deref())?,
        lenient: args.lenient,
        ..LoadOptions::alert()
    };
    let list = load_list(&args.list, &options)?;
    let mut out = open_output(args.output.as_deref())?;
    let summary = match args.to {
        ConvertFormat::Jsonl => write_jsonl(&list, &mut out),
        ConvertFormat::Hashdeep => write_hashdeep(&list, &mut out),
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
