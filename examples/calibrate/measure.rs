//! The measurements: how far each transformed copy lies from its own original, how close
//! each unrelated picture comes to any original, the recall and false-alert curves per
//! threshold, and the search for 64-bit thresholds under the corroboration rule.
//!
//! The rule (issue 22): a picture alerts on a listed original when PDQ hits it, or when at
//! least two of pHash, dHash and aHash hit that same original within their thresholds. A
//! copy counts as found only through its own original.

use rayon::prelude::*;

use crate::corpus::{Corpus, Hashes, TRANSFORMS};

/// The largest 64-bit threshold searched: two unrelated 64-bit hashes lie about 32 bits
/// apart, so a threshold past it would match most of the world.
pub const SHORT_MAX: u32 = 32;
/// The curves run to here for PDQ (of 256 bits; unrelated pictures lie near 128).
pub const PDQ_MAX: u32 = 96;
/// PDQ's default, Meta's operating point; not searched, only checked.
pub const PDQ_THRESHOLD: u32 = 31;
/// `Algorithm::default_threshold` before this calibration (pHash, dHash, aHash).
pub const OLD_SHORT: [u32; 3] = [10, 10, 6];
/// The three pairs of 64-bit algorithms (indexes into pHash, dHash, aHash).
const PAIRS: [(usize, usize); 3] = [(0, 1), (0, 2), (1, 2)];

/// Distances to act on, per algorithm in `ALGORITHMS` order; `None` where a scan could not
/// match (no hash, or a PDQ quality under the floor).
pub type Distances = [Option<u32>; 4];

/// One transformed copy measured against its own original.
#[derive(Debug, Clone)]
pub struct Copy {
    pub transform: usize,
    pub distances: Distances,
    pub pdq_low_quality: bool,
}

/// One unrelated picture measured against every original.
#[derive(Debug, Clone)]
struct Unrelated {
    nearest: Distances,
    pdq_low_quality: bool,
    /// Per pair of 64-bit algorithms (`PAIRS`), for each distance x of the first: the
    /// smallest distance of the second over the originals where the first is x.
    pair_min: [[u32; 65]; 3],
}

/// Everything the report and the plot show.
#[derive(Debug)]
pub struct Calibration {
    pub copies: Vec<Copy>,
    pub nearest: Vec<Distances>,
    pub unrelated_pdq_low_quality: usize,
    /// `pair_limit[p][x]`: the largest threshold of the pair's second algorithm that raises no
    /// false alert together with threshold x of the first, or -1 for none.
    pub pair_limit: [[i64; 65]; 3],
    pub chosen: Option<[u32; 3]>,
}

pub fn measure(corpus: &Corpus) -> Calibration {
    let copies = corpus
        .groups
        .iter()
        .flat_map(|g| g.copies.iter().map(move |(t, h)| (g, t, h)))
        .filter_map(|(g, t, h)| {
            let transform = TRANSFORMS.iter().position(|n| n == t)?;
            Some(measure_copy(transform, h, &g.original))
        })
        .collect();
    let originals: Vec<&Hashes> = corpus.groups.iter().map(|g| &g.original).collect();
    let unrelated: Vec<Unrelated> = corpus
        .unrelated
        .par_iter()
        .map(|u| measure_unrelated(u, &originals))
        .collect();
    let pair_limit = pair_limits(&unrelated);
    let mut calibration = Calibration {
        copies,
        nearest: unrelated.iter().map(|u| u.nearest).collect(),
        unrelated_pdq_low_quality: unrelated.iter().filter(|u| u.pdq_low_quality).count(),
        pair_limit,
        chosen: None,
    };
    calibration.chosen = search(&calibration);
    calibration
}

fn distances(picture: &Hashes, listed: &Hashes) -> Distances {
    let [p, d, a] = picture.short_distances(listed);
    [picture.pdq_distance(listed), p, d, a]
}

fn low_quality(h: &Hashes) -> bool {
    h.pdq.as_ref().is_some_and(|p| !p.matchable())
}

fn measure_copy(transform: usize, copy: &Hashes, original: &Hashes) -> Copy {
    Copy {
        transform,
        distances: distances(copy, original),
        pdq_low_quality: low_quality(copy),
    }
}

fn measure_unrelated(picture: &Hashes, originals: &[&Hashes]) -> Unrelated {
    let mut nearest: Distances = [None; 4];
    let mut pair_min = [[u32::MAX; 65]; 3];
    for original in originals {
        let d = distances(picture, original);
        for (n, x) in nearest.iter_mut().zip(d) {
            *n = match (*n, x) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        for (slot, (i, j)) in pair_min.iter_mut().zip(PAIRS) {
            if let (Some(x), Some(y)) = (d[1 + i], d[1 + j]) {
                slot[x as usize] = slot[x as usize].min(y);
            }
        }
    }
    Unrelated {
        nearest,
        pdq_low_quality: low_quality(picture),
        pair_min,
    }
}

/// For each pair and each threshold x of its first algorithm, the largest threshold of the
/// second that keeps every unrelated picture from a corroborated hit through that pair.
fn pair_limits(unrelated: &[Unrelated]) -> [[i64; 65]; 3] {
    let mut limits = [[0i64; 65]; 3];
    for (p, limit) in limits.iter_mut().enumerate() {
        let mut closest = u32::MAX;
        for (x, slot) in limit.iter_mut().enumerate() {
            let here = unrelated.iter().map(|u| u.pair_min[p][x]).min();
            closest = closest.min(here.unwrap_or(u32::MAX));
            // Within x on the first and within `closest` on the second is a false alert.
            *slot = i64::from(closest.min(65)) - 1;
        }
    }
    limits
}

/// Whether the 64-bit thresholds raise no corroborated false alert on the corpus.
pub fn zero_false_alerts(c: &Calibration, t: [u32; 3]) -> bool {
    PAIRS
        .iter()
        .enumerate()
        .all(|(p, &(i, j))| i64::from(t[j]) <= c.pair_limit[p][t[i] as usize])
}

/// Whether a copy is found at these thresholds under the rule (PDQ at its default).
pub fn found_by_rule(copy: &Copy, t: [u32; 3]) -> bool {
    found_by_pdq(copy) || short_hits(&copy.distances, t) >= 2
}

pub fn found_by_pdq(copy: &Copy) -> bool {
    copy.distances[0].is_some_and(|d| d <= PDQ_THRESHOLD)
}

/// How many of pHash, dHash and aHash are within their thresholds.
pub fn short_hits(d: &Distances, t: [u32; 3]) -> usize {
    (0..3)
        .filter(|&i| d[1 + i].is_some_and(|x| x <= t[i]))
        .count()
}

/// The thresholds with no false alert that find the most copies under the rule. Ties go to
/// the fewest weak hits on unrelated pictures (each algorithm alone within its threshold,
/// summed: what `--report-weak` would show an examiner), then to the smallest thresholds,
/// then to the first in (pHash, dHash, aHash) order.
fn search(c: &Calibration) -> Option<[u32; 3]> {
    let alone: Vec<Vec<usize>> = (1..=3)
        .map(|alg| (0..=SHORT_MAX).map(|t| false_alerts(c, alg, t)).collect())
        .collect();
    let mut best: Option<((usize, i64, i64), [u32; 3])> = None;
    for p in 0..=SHORT_MAX {
        for d in 0..=SHORT_MAX {
            for a in 0..=SHORT_MAX {
                let t = [p, d, a];
                if !zero_false_alerts(c, t) {
                    continue;
                }
                let weak: usize = (0..3).map(|i| alone[i][t[i] as usize]).sum();
                let score = (rule_found(c, t), -(weak as i64), -i64::from(p + d + a));
                if best.as_ref().is_none_or(|(s, _)| score > *s) {
                    best = Some((score, t));
                }
            }
        }
    }
    best.map(|(_, t)| t)
}

fn rule_found(c: &Calibration, t: [u32; 3]) -> usize {
    c.copies.iter().filter(|k| found_by_rule(k, t)).count()
}

/// Unrelated pictures that would alert under the rule: through PDQ at its default, or
/// through two 64-bit algorithms on one original (recomputed, a check on the search).
pub fn rule_false_alerts(corpus: &Corpus, t: [u32; 3]) -> usize {
    corpus
        .unrelated
        .par_iter()
        .filter(|u| {
            corpus.groups.iter().any(|g| {
                let d = distances(u, &g.original);
                d[0].is_some_and(|x| x <= PDQ_THRESHOLD) || short_hits(&d, t) >= 2
            })
        })
        .count()
}

/// The false alerts under the rule when one of the chosen thresholds is raised by a bit
/// (pHash, dHash, aHash): how close the chosen point sits to the first false alert.
pub fn margins(corpus: &Corpus, t: [u32; 3]) -> [usize; 3] {
    std::array::from_fn(|i| {
        let mut raised = t;
        raised[i] += 1;
        rule_false_alerts(corpus, raised)
    })
}

/// Unrelated pictures within `t` of some original, by one algorithm alone.
pub fn false_alerts(c: &Calibration, alg: usize, t: u32) -> usize {
    c.nearest
        .iter()
        .filter(|n| n[alg].is_some_and(|d| d <= t))
        .count()
}

/// Copies within `t` of their own original, by one algorithm alone (of those of the
/// transform, or all with `None`).
pub fn found(c: &Calibration, alg: usize, t: u32, transform: Option<usize>) -> usize {
    copies_of(c, transform)
        .filter(|k| k.distances[alg].is_some_and(|d| d <= t))
        .count()
}

pub fn copies_of(c: &Calibration, transform: Option<usize>) -> impl Iterator<Item = &Copy> {
    c.copies
        .iter()
        .filter(move |k| transform.is_none_or(|t| k.transform == t))
}

/// The nearest-rank quantile of sorted values (`q` in per mille, so every output is exact).
pub fn quantile(sorted: &[u32], per_mille: usize) -> Option<u32> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = (per_mille * n).div_ceil(1000).clamp(1, n);
    Some(sorted[rank - 1])
}

/// The sorted distances of one algorithm over some measured items.
pub fn sorted<'a>(items: impl Iterator<Item = &'a Distances>, alg: usize) -> Vec<u32> {
    let mut v: Vec<u32> = items.filter_map(|d| d[alg]).collect();
    v.sort_unstable();
    v
}
