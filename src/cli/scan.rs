//! `hashsweep scan`, fresh or resumed: loads the lists, opens the evidence, runs the
//! scanner (with its journal, when asked), writes the report, and says how it ended.
//!
//! A resume (`--resume JOURNAL`) re-runs the command line the journal recorded, from the
//! working directory it recorded, after checking that the tool, the evidence and every
//! list (by SHA-256) are the same; the journaled files are left out of the scan and their
//! records merged back, so the report equals the one an uninterrupted scan writes.
#![allow(clippy::print_stderr)]

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;

use hashsweep::algorithm::Algorithm;
use hashsweep::evidence::EvidenceSource;
use hashsweep::journal::{
    Journal, JournalHeader, JournalList, JournalSource, JournalWriter, ResumeInfo, JOURNAL_FORMAT,
    JOURNAL_VERSION,
};
use hashsweep::list::CategoryMap;
use hashsweep::matcher::Matcher;
use hashsweep::report::{
    self, CaseIdentity, EvidenceVerification, Header, SummaryRecord, ToolInfo,
};
use hashsweep::scan::{panic_message, ScanOptions};

use super::args::{Args, Command, ScanArgs};
use super::exhibit::fold_exhibits;
use super::records_out::RecordsOut;
use super::{
    config, human, now_rfc3339, open_sources, reports, run_scanner, stop_flag, Exit, Journaling,
};

pub fn scan(args: ScanArgs) -> Result<Exit> {
    match &args.resume {
        Some(journal) => resume(journal, &args),
        None => run(args, None),
    }
}

/// Re-runs the journaled scan; `now` may only change `--threads` and `--quiet`.
fn resume(journal_path: &Path, now: &ScanArgs) -> Result<Exit> {
    let journal_path = journal_path
        .canonicalize()
        .with_context(|| format!("cannot open journal {}", journal_path.display()))?;
    let journal = Journal::read(&journal_path)?;
    let recorded = &journal.header;
    std::env::set_current_dir(&recorded.working_directory).with_context(|| {
        format!(
            "cannot resume in the scan's working directory {}",
            recorded.working_directory.display()
        )
    })?;
    let parsed = Args::try_parse_from(&recorded.command_line)
        .context("the journal's command line no longer parses")?;
    let Command::Scan(mut args) = parsed.command else {
        bail!(
            "journal {}: not the journal of a scan",
            journal_path.display()
        );
    };
    args.journal = Some(journal_path);
    if now.read.threads.is_some() {
        args.read.threads = now.read.threads;
    }
    args.read.quiet |= now.read.quiet;
    run(*args, Some(journal))
}

fn run(mut args: ScanArgs, prior: Option<Journal>) -> Result<Exit> {
    let started = Instant::now();
    let started_at = prior
        .as_ref()
        .map_or_else(now_rfc3339, |j| j.header.started_at.clone());
    config::init_thread_pool(args.read.threads)?;
    let exhibits = fold_exhibits(&mut args.evidence, &args.exhibit)?;
    reports::check_scan_args(&args)?;
    let thresholds = config::thresholds(&args.thresholds)?;
    for output in args.output.iter().chain(&args.journal) {
        config::check_output_outside_evidence(output, &args.evidence)?;
    }
    // Every check that can fail fast comes before the lists, which may take minutes to load.
    let category_map = args
        .category_map
        .as_deref()
        .map(CategoryMap::load)
        .transpose()?;
    let asked_perceptual = config::perceptual_flag(&args.read)?;
    let video = config::video_config(&args.read, args.vpdq_threshold.as_deref())?;
    let sources = open_sources(&args.evidence, &args.read)?;
    let lists = config::load_lists(&args)?;
    let mut matcher = Matcher::new(lists, thresholds).context("cannot index the hash lists")?;
    if let Some(map) = category_map {
        matcher = matcher.with_category_map(map);
    }
    let perceptual = asked_perceptual.unwrap_or_else(|| {
        let mut algorithms = matcher.perceptual_algorithms();
        algorithms.push(Algorithm::Pdq);
        algorithms
    });
    let listing = config::listing(&args);
    let mut options = config::scan_options(&args.read, &perceptual, listing, !args.no_dihedral);
    options.video = video;
    options.alert_rule.alert_on_weak = args.alert_on_weak;
    // Only a journaled scan needs its identity (and a UTF-8 command line to record).
    let identity = args
        .journal
        .as_ref()
        .map(|_| journal_header(&matcher, &sources, &started_at))
        .transpose()?;
    if let (Some(prior), Some(identity)) = (&prior, &identity) {
        check_same_scan(&prior.header, identity)?;
    }
    let mut header = header(&matcher, &options, &sources, started_at.clone());
    for (info, exhibit) in header.evidence.iter_mut().zip(exhibits) {
        info.exhibit = exhibit;
    }
    header.journal = args.journal.as_ref().map(|p| p.display().to_string());
    header.force = args.force;
    header.case = CaseIdentity::of(
        args.render.case_number.clone(),
        args.render.examiner.clone(),
        args.render.agency.clone(),
    );
    let this_resume = prior.as_ref().map(|j| ResumeInfo {
        command_line: header.command_line.clone(),
        at: now_rfc3339(),
        files_already_done: j.entries.len() as u64,
    });
    if let Some(prior) = &prior {
        header.command_line = prior.header.command_line.clone();
        header.resumed = prior.resumes.iter().chain(&this_resume).cloned().collect();
    }
    // Opened before the scan: a report that cannot be written is fatal before hours of work.
    // A resume replaces the report its killed run had begun.
    let overwrite = args.force || prior.is_some();
    if let Some(manifest) =
        reports::manifest_destination(&args).filter(|p| !overwrite && p.exists())
    {
        bail!(
            "manifest {} already exists: refusing to overwrite it (use --force to replace it)",
            manifest.display()
        );
    }
    let mut out = reports::report_writer(&args, overwrite)?;
    let journal = match (&args.journal, &identity, &prior, &this_resume) {
        (Some(path), Some(identity), None, _) => {
            Some(JournalWriter::create(path, identity, listing)?)
        }
        (Some(_), _, Some(prior), Some(info)) => Some(JournalWriter::resume(prior, info, listing)?),
        _ => None,
    };
    let nothing_done = HashSet::new();
    let done = prior.as_ref().map_or(&nothing_done, |j| &j.done);
    // Records stream into the report as files finish; only `--verify-image`, whose result
    // is in the header, makes them wait in a spool beside the report.
    let mut records = RecordsOut::start(
        &mut out,
        &header,
        !args.verify_image,
        &reports::spool_dir(&args),
        prior.as_ref().map(Journal::records),
    )
    .context("cannot write the report")?;
    let stop = stop_flag();
    // `--verify-image` hashes each image's media on its own thread while the pool hashes the
    // files: the image is read once more, but the scan does not wait for it.
    let (output, verification) = std::thread::scope(|scope| {
        let verifying = args
            .verify_image
            .then(|| scope.spawn(|| verify_media(&sources, &stop)));
        let output = run_scanner(
            &matcher,
            options,
            &sources,
            args.read.quiet,
            journal.as_ref().map(|sink| Journaling {
                sink,
                already_done: done,
            }),
            &stop,
            |result| records.put(&result),
        );
        if output.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        let verification = verifying.map(|thread| {
            thread.join().map_err(|panic| {
                anyhow::anyhow!("image verification failed: {}", panic_message(&*panic))
            })
        });
        (output, verification.transpose())
    });
    let output = output?;
    header.evidence_verification = verification?.unwrap_or_default();
    let terminal = records.finish(&header).context("cannot write the report")?;
    let journal_written = journal.map(JournalWriter::finish).transpose();
    let mut counts = output.summary.clone();
    if let Some(prior) = &prior {
        prior.add_to(&mut counts);
    }
    let summary = SummaryRecord {
        record: "summary",
        counts,
        started_at,
        finished_at: now_rfc3339(),
        elapsed_ms: started.elapsed().as_millis() as u64,
        interrupted: output.interrupted,
    };
    report::write_line(&mut out, &summary).context("cannot write the report")?;
    let digest = out.finish().context("cannot write the report")?;
    if !args.read.quiet {
        human::print_scan_summary(
            &terminal,
            &summary,
            &header.evidence,
            args.output.as_deref(),
        );
    }
    if let Err(e) = journal_written {
        eprintln!(
            "hashsweep: warning: {}; the report is complete, but a resume of this scan would \
             redo the files not journaled",
            human::escape(&format!("{e:#}"))
        );
    }
    reports::after_scan(&args, overwrite, &header, &summary, digest)?;
    Ok(if output.interrupted {
        Exit::Interrupted
    } else if summary.counts.total.matched > 0 {
        Exit::Match
    } else {
        Exit::NoMatch
    })
}

/// What a resume must find unchanged.
fn journal_header(
    matcher: &Matcher,
    sources: &[Box<dyn EvidenceSource>],
    started_at: &str,
) -> Result<JournalHeader> {
    let command_line = std::env::args_os()
        .map(|a| {
            a.into_string()
                .map_err(|a| anyhow::anyhow!("argument {a:?} is not UTF-8: no journal possible"))
        })
        .collect::<Result<_>>()?;
    Ok(JournalHeader {
        format: JOURNAL_FORMAT.to_string(),
        version: JOURNAL_VERSION,
        tool_version: ToolInfo::current().version.to_string(),
        command_line,
        working_directory: std::env::current_dir().context("no working directory")?,
        started_at: started_at.to_string(),
        evidence: sources
            .iter()
            .map(|s| {
                let info = s.info();
                JournalSource {
                    path: info.path.display().to_string(),
                    kind: info.kind.to_string(),
                }
            })
            .collect(),
        // The category map is checked like a list: a changed map refuses the resume.
        lists: matcher
            .lists()
            .iter()
            .map(|l| (&l.provenance.path, &l.provenance.sha256))
            .chain(matcher.category_map().map(|m| (&m.path, &m.sha256)))
            .map(|(path, sha256)| JournalList {
                path: path.display().to_string(),
                sha256: sha256.clone(),
            })
            .collect(),
    })
}

/// Refuses to resume against another tool version, other evidence or changed lists.
fn check_same_scan(recorded: &JournalHeader, now: &JournalHeader) -> Result<()> {
    if recorded.tool_version != now.tool_version {
        bail!(
            "the journal was written by hashsweep {}, this is {}: resume with that version",
            recorded.tool_version,
            now.tool_version
        );
    }
    if recorded.evidence != now.evidence {
        bail!("the evidence is not what the journal recorded: refusing to resume");
    }
    for (was, is) in recorded.lists.iter().zip(&now.lists) {
        if was != is {
            bail!(
                "list {} changed since the scan started (SHA-256 {} then, {} now): refusing \
                 to resume",
                was.path,
                was.sha256,
                is.sha256
            );
        }
    }
    if recorded.lists.len() != now.lists.len() {
        bail!("the lists are not those the journal recorded: refusing to resume");
    }
    Ok(())
}

/// `--verify-image`: the whole-image hashes of every evidence source that is a disk image.
fn verify_media(
    sources: &[Box<dyn EvidenceSource>],
    stop: &AtomicBool,
) -> Vec<EvidenceVerification> {
    sources
        .iter()
        .enumerate()
        .filter_map(|(evidence, source)| {
            let result = source.verify_media(stop)?;
            Some(EvidenceVerification { evidence, result })
        })
        .collect()
}

fn header(
    matcher: &Matcher,
    options: &ScanOptions,
    sources: &[Box<dyn EvidenceSource>],
    started_at: String,
) -> Header {
    Header {
        record: "header",
        format: report::REPORT_FORMAT,
        format_version: report::REPORT_VERSION,
        tool: ToolInfo::current(),
        command_line: std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        started_at,
        evidence: sources.iter().map(|s| s.info()).collect(),
        evidence_verification: Vec::new(),
        lists: matcher
            .lists()
            .iter()
            .map(|l| l.provenance.clone())
            .collect(),
        category_map: matcher.category_map().map(CategoryMap::info),
        thresholds: matcher.thresholds().to_named(),
        fast: options.perceptual.is_fast(),
        perceptual_algorithms: options
            .perceptual
            .algorithms()
            .iter()
            .map(|a| a.name())
            .collect(),
        decoders: hashsweep::perceptual::decoders(),
        video: report::VideoHeader::of(options.video.as_ref()),
        journal: None,
        resumed: Vec::new(),
        case: None,
        force: false,
    }
}
