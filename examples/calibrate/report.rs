//! Renders the measurements as docs/detection.md: fixed formatting, sorted rows, nothing
//! that depends on the machine or the time, so two runs give the same bytes.

use std::fmt::Write as _;

use crate::corpus::{Corpus, Hashes, ALGORITHMS, TRANSFORMS};
use crate::measure::{
    copies_of, false_alerts, found, found_by_pdq, found_by_rule, quantile, short_hits, sorted,
    Calibration, OLD_SHORT, PDQ_MAX, PDQ_THRESHOLD, SHORT_MAX,
};

/// The markdown page. `rule_alerts` are the unrelated pictures that alert under the rule
/// at the old defaults and at the chosen thresholds (recounted pair by pair).
/// `margins`: the rule's false alerts with one chosen threshold raised by a bit.
pub fn markdown(
    corpus: &Corpus,
    c: &Calibration,
    rule_alerts: (usize, Option<usize>),
    margins: Option<[usize; 3]>,
) -> String {
    let mut out = String::new();
    header(&mut out);
    corpus_section(&mut out, corpus, c);
    chosen_section(&mut out, c, rule_alerts);
    if let Some([p, d, a]) = margins {
        let _ = write!(
            out,
            "One bit more on one threshold, and unrelated pictures that alert under the rule: \
             pHash {p}, dHash {d}, aHash {a}.\n\n"
        );
    }
    recall_section(&mut out, c);
    nearest_section(&mut out, c);
    copy_section(&mut out, c);
    curve_sections(&mut out, c);
    out
}

fn header(out: &mut String) {
    out.push_str(
        "# Detection: calibrating the perceptual thresholds\n\n\
         <!-- Written by `cargo run --release --example calibrate`; edit that, not this. -->\n\n\
         How far a transformed copy drifts from its listed original, how close unrelated \
         pictures come to the listed ones, and the thresholds that follow. Reproduce with:\n\n\
         ```sh\n\
         benches/calibration_corpus.sh /tmp/hashsweep-calibration\n\
         cargo run --release --example calibrate -- /tmp/hashsweep-calibration --docs docs\n\
         ```\n\n\
         The plot of the curves is [detection.svg](detection.svg).\n\n",
    );
}

fn corpus_section(out: &mut String, corpus: &Corpus, c: &Calibration) {
    let copies = c.copies.len();
    let _ = write!(
        out,
        "## The corpus\n\n\
         **Unrelated pictures** (benign, never a listed original or a copy of one): \
         {} hashed. The `seedNNN` sets are `gen_corpus.py corpus` pictures (gradients, shapes, \
         textures, fractals, landscapes, documents; mostly 320×240 to 1024×768, some icons); \
         `debian/PKG` are the photos and backgrounds that Debian package ships.\n\n\
         | source | hashed | not decodable | package |\n| --- | ---: | ---: | --- |\n",
        corpus.unrelated.len()
    );
    for (source, n) in &corpus.sources {
        let package = n.package.as_deref().unwrap_or("");
        let _ = writeln!(
            out,
            "| {source} | {} | {} | {package} |",
            n.hashed, n.undecoded
        );
    }
    let _ = write!(
        out,
        "\n**Listed originals**: {} (`gen_corpus.py variants`, from a seed used for nothing else), \
         with {copies} transformed copies ({} files left out as undecodable or without an \
         original).\n\n\
         Every picture is hashed by the library as a scan hashes it. PDQ is looked up with all \
         eight rotations and mirrors of the picture, and a PDQ value of quality under 50 is \
         never matched: {} unrelated pictures and {} copies have one (they count as not \
         found, and never alert through PDQ).\n\n",
        corpus.groups.len(),
        corpus.variants_skipped,
        c.unrelated_pdq_low_quality,
        c.copies.iter().filter(|k| k.pdq_low_quality).count(),
    );
    low_information_table(out, corpus);
}

/// How many values of each 64-bit hash are low-information: those never alert nor
/// corroborate, and are left out of every distance below.
fn low_information_table(out: &mut String, corpus: &Corpus) {
    out.push_str(
        "A 64-bit value that is low-information (nearly uniform, one or two distinct rows, \
         or one run of 40 equal bits: flat, vignetted or blank pictures) never alerts nor \
         corroborates under the rule, so it is left out of every distance below. How many \
         there are:\n\n\
         | hashes | pictures | phash | dhash | ahash |\n| --- | ---: | ---: | ---: | ---: |\n",
    );
    let originals: Vec<&Hashes> = corpus.groups.iter().map(|g| &g.original).collect();
    let copies: Vec<&Hashes> = corpus
        .groups
        .iter()
        .flat_map(|g| g.copies.values())
        .collect();
    let unrelated: Vec<&Hashes> = corpus.unrelated.iter().collect();
    for (name, set) in [
        ("unrelated", &unrelated),
        ("originals", &originals),
        ("copies", &copies),
    ] {
        let _ = write!(out, "| {name} | {} |", set.len());
        for alg in 0..3 {
            let n = set.iter().filter(|h| h.low_information()[alg]).count();
            let _ = write!(out, " {n} |");
        }
        out.push('\n');
    }
    out.push('\n');
}

fn chosen_section(out: &mut String, c: &Calibration, rule_alerts: (usize, Option<usize>)) {
    out.push_str(
        "## Thresholds\n\n\
         The rule: a 64-bit hash (pHash, dHash, aHash) alerts only when a second algorithm \
         hits the same list entry; PDQ alerts alone. The pHash, dHash and aHash thresholds \
         are searched over 0..=32 each for no false alert on the unrelated pictures under the \
         rule and the most copies found by it (ties: the fewest weak hits on unrelated \
         pictures, each algorithm alone, summed; then the smallest thresholds).\n\n",
    );
    let Some(t) = c.chosen else {
        out.push_str("No thresholds give zero false alerts on this corpus.\n\n");
        return;
    };
    out.push_str(
        "| algorithm | old default | calibrated | unrelated hit alone at calibrated | \
         copies found alone at calibrated |\n| --- | ---: | ---: | ---: | ---: |\n",
    );
    let olds = [PDQ_THRESHOLD, OLD_SHORT[0], OLD_SHORT[1], OLD_SHORT[2]];
    let news = [PDQ_THRESHOLD, t[0], t[1], t[2]];
    for (i, alg) in ALGORITHMS.iter().enumerate() {
        let _ = writeln!(
            out,
            "| {alg} | {} | {} | {} | {} |",
            olds[i],
            news[i],
            false_alerts(c, i, news[i]),
            percent(found(c, i, news[i], None), c.copies.len()),
        );
    }
    let (at_old, at_new) = rule_alerts;
    let _ = write!(
        out,
        "\nUnder the rule, unrelated pictures that alert: {at_old} at the old defaults \
         ({}, {}, {}), {} at the calibrated ones. PDQ alone at {PDQ_THRESHOLD}: {} \
         (PDQ's false alerts are not the 64-bit thresholds' to remove).\n\n",
        OLD_SHORT[0],
        OLD_SHORT[1],
        OLD_SHORT[2],
        at_new.map_or("?".to_string(), |n| n.to_string()),
        false_alerts(c, 0, PDQ_THRESHOLD),
    );
}

fn recall_section(out: &mut String, c: &Calibration) {
    let Some(t) = c.chosen else { return };
    out.push_str(
        "### Copies found per transform, at the calibrated thresholds\n\n\
         Each algorithm alone; two of the 64-bit ones on the copy's own original; the rule \
         (PDQ, or two 64-bit); and, for comparison, the behaviour before the rule (any one \
         algorithm at the old defaults).\n\n\
         | transform | copies | pdq | phash | dhash | ahash | two 64-bit | rule | \
         any one, old defaults |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    let thresholds = [PDQ_THRESHOLD, t[0], t[1], t[2]];
    for (i, name) in TRANSFORMS.iter().enumerate() {
        recall_row(out, c, name, Some(i), thresholds);
    }
    recall_row(out, c, "all", None, thresholds);
    out.push('\n');
}

fn recall_row(out: &mut String, c: &Calibration, name: &str, tr: Option<usize>, t: [u32; 4]) {
    let n = copies_of(c, tr).count();
    let short = [t[1], t[2], t[3]];
    let pair = copies_of(c, tr)
        .filter(|k| short_hits(&k.distances, short) >= 2)
        .count();
    let rule = copies_of(c, tr).filter(|k| found_by_rule(k, short)).count();
    let old = copies_of(c, tr)
        .filter(|k| found_by_pdq(k) || short_hits(&k.distances, OLD_SHORT) >= 1)
        .count();
    let _ = write!(out, "| {name} | {n} |");
    for (alg, &at) in t.iter().enumerate() {
        let _ = write!(out, " {} |", percent(found(c, alg, at, tr), n));
    }
    let _ = writeln!(
        out,
        " {} | {} | {} |",
        percent(pair, n),
        percent(rule, n),
        percent(old, n)
    );
}

fn nearest_section(out: &mut String, c: &Calibration) {
    out.push_str(
        "## Nearest unrelated distance\n\n\
         For each unrelated picture, its distance to the closest listed original (PDQ: the \
         closest of its eight rotations and mirrors). Low quantiles are what false alerts \
         come from.\n\n\
         | algorithm | pictures | min | 0.1% | 1% | 5% | 25% | median |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for (i, alg) in ALGORITHMS.iter().enumerate() {
        let v = sorted(c.nearest.iter(), i);
        let _ = write!(out, "| {alg} | {} |", v.len());
        for q in [0, 1, 10, 50, 250, 500] {
            let _ = write!(out, " {} |", show(quantile(&v, q)));
        }
        out.push('\n');
    }
    out.push('\n');
}

fn copy_section(out: &mut String, c: &Calibration) {
    out.push_str(
        "## Transformed-copy distance\n\n\
         Each copy against its own original: median / 90th percentile / maximum, in bits.\n\n\
         | transform | pdq | phash | dhash | ahash |\n| --- | --- | --- | --- | --- |\n",
    );
    for (t, name) in TRANSFORMS.iter().enumerate() {
        let _ = write!(out, "| {name} |");
        for alg in 0..ALGORITHMS.len() {
            let v = sorted(copies_of(c, Some(t)).map(|k| &k.distances), alg);
            let _ = write!(
                out,
                " {} / {} / {} |",
                show(quantile(&v, 500)),
                show(quantile(&v, 900)),
                show(v.last().copied())
            );
        }
        out.push('\n');
    }
    out.push('\n');
}

fn curve_sections(out: &mut String, c: &Calibration) {
    out.push_str(
        "## Curves\n\n\
         Per threshold, each algorithm alone: the copies found (all transforms) and the \
         unrelated pictures within the threshold of some original (false alerts).\n\n\
         | threshold | phash found | phash false | dhash found | dhash false | \
         ahash found | ahash false |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for t in 0..=SHORT_MAX {
        let _ = write!(out, "| {t} |");
        for alg in 1..ALGORITHMS.len() {
            curve_cells(out, c, alg, t);
        }
        out.push('\n');
    }
    out.push_str("\n| pdq threshold | found | false |\n| ---: | ---: | ---: |\n");
    let mut rows: Vec<u32> = (0..=PDQ_MAX).step_by(8).collect();
    rows.push(PDQ_THRESHOLD);
    rows.sort_unstable();
    for t in rows {
        let _ = write!(out, "| {t} |");
        curve_cells(out, c, 0, t);
        out.push('\n');
    }
}

fn curve_cells(out: &mut String, c: &Calibration, alg: usize, t: u32) {
    let _ = write!(
        out,
        " {} | {} |",
        percent(found(c, alg, t, None), c.copies.len()),
        false_alerts(c, alg, t)
    );
}

fn percent(n: usize, of: usize) -> String {
    if of == 0 {
        return "–".to_string();
    }
    // Integer arithmetic, rounded half up, so no float formatting can differ.
    let tenths = (n * 1000 + of / 2) / of;
    format!("{}.{}%", tenths / 10, tenths % 10)
}

fn show(v: Option<u32>) -> String {
    v.map_or("–".to_string(), |d| d.to_string())
}
