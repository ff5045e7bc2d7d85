//! `hashsweep scan`, fresh or resumed: loads the lists, opens the evidence, runs the
//! scanner (with its journal, when asked), writes the report, and says how it ended.
//!
//! A resume (`--resume JOURNAL`) re-runs the scan config the journal recorded, from the
//! working directory it recorded, after checking that the tool, the evidence and every
//! list (by SHA-256) are the same; the journaled files are left out of the scan and their
//! records merged back, so the report equals the one an uninterrupted scan writes.
#![allow(clippy::print_stderr)]

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use hashsweep::journal::{
    Journal, JournalHeader, JournalList, JournalSource, JournalWriter, ResumeInfo, JOURNAL_FORMAT,
    JOURNAL_VERSION,
};
use hashsweep::list::CategoryMap;
use hashsweep::manifest::DigestWriter;
use hashsweep::report::{
    self, EvidenceVerification, Header, ListRecord, Shown, SourceRecord, SummaryRecord, ToolInfo,
};
use hashsweep::scan::{panic_message, FileResult, ScanOptions, ScanTotals};
use hashsweep::{Algorithm, EvidenceSource, Matcher};

use super::args::ScanArgs;
use super::config::ScanConfig;
use super::records_out::RecordsOut;
use super::{build, human, now_rfc3339, reports, run_scanner, stop_flag, Exit, Journaling};

pub fn scan(args: ScanArgs) -> Result<Exit> {
    match &args.resume {
        Some(journal) => resume(journal, &args),
        None => run(ScanConfig::try_from(args)?, None),
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
    let mut config: ScanConfig = serde_json::from_value(recorded.config.clone())
        .with_context(|| format!("journal {}: unreadable scan config", journal_path.display()))?;
    config.journal = Some(journal_path);
    config.read.threads = now.read.threads;
    config.read.quiet = now.read.quiet;
    config.check()?;
    run(config, Some(journal))
}

/// A scan: the parts built from the config, the scan, the report, the exit code.
fn run(config: ScanConfig, mut prior: Option<Journal>) -> Result<Exit> {
    let started = Instant::now();
    let started_at = prior
        .as_ref()
        .map_or_else(now_rfc3339, |j| j.header.started_at.clone());
    build::init_thread_pool(config.read.threads)?;
    let (matcher, sources) = build_parts(&config)?;
    let options = scan_options(&config, &matcher);
    let mut header = header(&matcher, &options, &sources, started_at.clone(), &config);
    let journal = open_journal(&config, &matcher, &sources, &mut header, prior.as_ref())?;
    // A resume replaces the report its killed run had begun.
    let overwrite = config.output.force || prior.is_some();
    let mut out = open_report(&config, overwrite)?;
    let journaled = prior.as_mut().map(Journal::take_records);
    let nothing_done = HashSet::new();
    let done = prior.as_ref().map_or(&nothing_done, |j| &j.done);
    // Records stream into the report as files finish; only `--verify-image`, whose result
    // is in the header, makes them wait in a spool beside the report.
    let mut records = RecordsOut::start(
        &mut out,
        &header,
        !config.verify_image,
        &reports::spool_dir(&config.output),
        journaled,
    )
    .context("cannot write the report")?;
    let journaling = journal.as_ref().map(|sink| Journaling {
        sink,
        already_done: done,
    });
    let (totals, verification) =
        scan_and_verify(&config, &matcher, options, &sources, journaling, |result| {
            records.put(&result)
        })?;
    header.set_verification(verification);
    let terminal = records.finish(&header).context("cannot write the report")?;
    let journal_written = journal.map(JournalWriter::finish).transpose();
    let summary = summary_record(&totals, prior.as_ref(), started_at, started);
    report::write_line(&mut out, &summary).context("cannot write the report")?;
    let digest = out.finish().context("cannot write the report")?;
    if !config.read.quiet {
        let report = config.output.report.as_deref();
        human::print_scan_summary(&terminal, &summary, &header.evidence, report);
    }
    if let Err(e) = journal_written {
        eprintln!(
            "hashsweep: warning: {}; the report is complete, but a resume of this scan would \
             redo the files not journaled",
            human::escape(&format!("{e:#}"))
        );
    }
    let quiet = config.read.quiet;
    reports::after_scan(&config.output, quiet, overwrite, &header, &summary, digest)?;
    Ok(if totals.interrupted {
        Exit::Interrupted
    } else if summary.total.matched > 0 {
        Exit::Match
    } else {
        Exit::NoMatch
    })
}

/// The report's last line: this run's counts plus, on a resume, the journaled files'.
fn summary_record(
    totals: &ScanTotals,
    prior: Option<&Journal>,
    started_at: String,
    started: Instant,
) -> SummaryRecord {
    let mut counts = totals.summary.clone();
    if let Some(prior) = prior {
        prior.add_to(&mut counts);
    }
    let elapsed_ms = started.elapsed().as_millis() as u64;
    SummaryRecord {
        interrupted: totals.interrupted,
        ..SummaryRecord::new(counts, started_at, now_rfc3339(), elapsed_ms)
    }
}

/// The scanner's options: the perceptual hashes asked for, else PDQ and every one the
/// lists carry.
fn scan_options(config: &ScanConfig, matcher: &Matcher) -> ScanOptions {
    let perceptual = config.read.perceptual.clone().unwrap_or_else(|| {
        let mut algorithms = matcher.perceptual_algorithms();
        algorithms.push(Algorithm::Pdq);
        algorithms
    });
    let mut options =
        build::scan_options(&config.read, &perceptual, config.listing, config.dihedral);
    options.alert_rule = config.alert_rule;
    options
}

/// The journal of a `--journal` scan, new or resumed. A resume must find the tool, the
/// evidence and the lists unchanged; the header then keeps the first run's command line and
/// lists every resume.
fn open_journal(
    config: &ScanConfig,
    matcher: &Matcher,
    sources: &[Box<dyn EvidenceSource>],
    header: &mut Header,
    prior: Option<&Journal>,
) -> Result<Option<JournalWriter>> {
    let Some(path) = &config.journal else {
        return Ok(None);
    };
    // Only a journaled scan needs its identity (and a UTF-8 command line to record).
    let identity = journal_header(config, matcher, sources, &header.started_at)?;
    let Some(prior) = prior else {
        return Ok(Some(JournalWriter::create(
            path,
            &identity,
            config.listing,
        )?));
    };
    check_same_scan(&prior.header, &identity)?;
    let this_resume = ResumeInfo {
        command_line: header.command_line.clone(),
        at: now_rfc3339(),
        files_already_done: prior.files_done(),
    };
    header.command_line = prior.header.command_line.clone();
    header.resumed = prior
        .resumes
        .iter()
        .chain([&this_resume])
        .cloned()
        .collect();
    Ok(Some(JournalWriter::resume(
        prior,
        &this_resume,
        config.listing,
    )?))
}

/// The report's writer, opened before the scan: a report that cannot be written is fatal
/// before hours of work, and so is a manifest that would be refused after it.
fn open_report(config: &ScanConfig, overwrite: bool) -> Result<DigestWriter<Box<dyn Write>>> {
    if let Some(manifest) =
        reports::manifest_destination(&config.output).filter(|p| !overwrite && p.exists())
    {
        bail!(
            "manifest {} already exists: refusing to overwrite it (use --force to replace it)",
            manifest.display()
        );
    }
    reports::report_writer(&config.output, overwrite)
}

/// Runs the scanner, handing each kept result to `keep`. `--verify-image` hashes each
/// image's media on its own thread meanwhile: the image is read once more, but the scan
/// does not wait for it.
fn scan_and_verify(
    config: &ScanConfig,
    matcher: &Matcher,
    options: ScanOptions,
    sources: &[Box<dyn EvidenceSource>],
    journaling: Option<Journaling<'_>>,
    keep: impl FnMut(FileResult),
) -> Result<(ScanTotals, Vec<EvidenceVerification>)> {
    let stop = stop_flag();
    let (totals, verification) = std::thread::scope(|scope| {
        let verifying = config
            .verify_image
            .then(|| scope.spawn(|| verify_media(sources, &stop)));
        let quiet = config.read.quiet;
        let totals = run_scanner(matcher, options, sources, quiet, journaling, &stop, keep);
        if totals.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        let verification = verifying.map(|thread| {
            thread.join().map_err(|panic| {
                anyhow::anyhow!("image verification failed: {}", panic_message(&*panic))
            })
        });
        (totals, verification.transpose())
    });
    Ok((totals?, verification?.unwrap_or_default()))
}

/// The matcher (lists loaded and indexed, the category map applied) and the evidence
/// sources. The category map and the evidence are opened first: the lists may take
/// minutes to load, and a missing evidence path should not wait for them.
fn build_parts(config: &ScanConfig) -> Result<(Matcher, Vec<Box<dyn EvidenceSource>>)> {
    let category_map = config
        .category_map
        .as_deref()
        .map(CategoryMap::load)
        .transpose()?;
    let sources = build::open_sources(&config.evidence, &config.read)?;
    let lists = build::load_lists(&config.lists, config.lenient)?;
    let mut matcher =
        Matcher::new(lists, config.thresholds.clone()).context("cannot index the hash lists")?;
    if let Some(map) = category_map {
        matcher = matcher.with_category_map(map);
    }
    Ok((matcher, sources))
}

/// What a resume must find unchanged.
fn journal_header(
    config: &ScanConfig,
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
        config: serde_json::to_value(config).context("cannot record the scan's config")?,
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
    config: &ScanConfig,
) -> Header {
    let mut evidence: Vec<_> = sources.iter().map(|s| s.info()).collect();
    for (info, exhibit) in evidence.iter_mut().zip(&config.exhibits) {
        info.exhibit = exhibit.clone();
    }
    let command_line = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    Header {
        evidence: evidence.iter().map(SourceRecord::from).collect(),
        lists: matcher
            .lists()
            .iter()
            .map(|l| ListRecord::from(&l.provenance))
            .collect(),
        category_map: matcher.category_map().map(|m| Shown::Written(m.info())),
        thresholds: (matcher.thresholds().to_named().into_iter())
            .map(|(algorithm, t)| (algorithm.to_string(), t))
            .collect(),
        fast: options.perceptual.is_fast(),
        perceptual_algorithms: options
            .perceptual
            .algorithms()
            .iter()
            .map(|a| a.name().to_string())
            .collect(),
        decoders: (hashsweep::perceptual::decoders().into_iter())
            .map(|(format, decoder)| (format.to_string(), decoder.to_string()))
            .collect(),
        video: report::VideoHeader::of(options.video.as_ref()).map(Shown::Written),
        journal: config.journal.as_ref().map(|p| p.display().to_string()),
        case: config.output.case.clone(),
        force: config.output.force,
        ..Header::new(command_line, started_at)
    }
}
