//! `hashsweep list inspect`: what a list file is and holds, as a serialisable summary.
//!
//! Owns `ListInspection` and `inspect_list`. A list is loaded leniently so that every
//! problem is counted (the first ones listed with their place) instead of stopping at the
//! first; fatal problems (unknown format, bad header, no entries) are still errors. Printing
//! the summary is the CLI's job.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::{load_list, HashList, ListError, ListProvenance, LoadOptions};

/// Problems listed verbatim by `inspect` (all are counted).
const INSPECT_MAX_WARNINGS: usize = 100;

/// Entries of one raw category code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryCount {
    /// The raw code; `None` for entries without a category (not the same as `"0"`).
    pub category: Option<String>,
    /// Its label under the list's scheme.
    pub label: Option<String>,
    /// Source records with this category.
    pub records: u64,
    /// Entries per algorithm with this category.
    pub entries: BTreeMap<String, u64>,
}

/// Everything `list inspect` reports about one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListInspection {
    /// Format, version, SHA-256, counts per algorithm, rejected lines and the problems found.
    pub provenance: ListProvenance,
    /// Entry counts per category code, codes in ascending order (absent first).
    pub categories: Vec<CategoryCount>,
    /// Whether a default (non-lenient) load would succeed.
    pub loads_strictly: bool,
    /// 64-bit perceptual entries whose value carries little information (nearly uniform,
    /// one or two rows repeated, one long run): they never alert alone (`alert_rule`).
    pub low_information: LowInformation,
}

/// The low-information 64-bit entries of a list: counts per algorithm and the first few.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LowInformation {
    pub entries: BTreeMap<String, u64>,
    /// The first entries, in list order.
    pub examples: Vec<LowInformationEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LowInformationEntry {
    pub algorithm: &'static str,
    pub hash: String,
    pub id: Option<String>,
    pub why: &'static str,
}

/// Low-information entries shown by value (all are counted).
const LOW_INFORMATION_EXAMPLES: usize = 20;

/// Finds the entries `low_information` flags.
pub(super) fn low_information(list: &HashList) -> LowInformation {
    let mut found = LowInformation::default();
    for e in list.iter() {
        let Some(why) = crate::low_information::low_information(e.algorithm, e.hash) else {
            continue;
        };
        *found
            .entries
            .entry(e.algorithm.name().to_string())
            .or_insert(0) += 1;
        if found.examples.len() < LOW_INFORMATION_EXAMPLES {
            found.examples.push(LowInformationEntry {
                algorithm: e.algorithm.name(),
                hash: hex::encode(e.hash),
                id: e.id.map(str::to_string),
                why,
            });
        }
    }
    found
}

/// Inspects one list file. `options.lenient` is ignored: inspection always counts problems.
pub fn inspect_list(path: &Path, options: &LoadOptions) -> Result<ListInspection, ListError> {
    let lenient = LoadOptions {
        lenient: true,
        max_warnings: options.max_warnings.max(INSPECT_MAX_WARNINGS),
        ..options.clone()
    };
    let list = load_list(path, &lenient)?;
    Ok(ListInspection {
        categories: categories(&list),
        low_information: low_information(&list),
        loads_strictly: list.provenance.rejected == 0,
        provenance: list.provenance,
    })
}

/// Label, entries per algorithm and records seen, of one category.
type Tally<'a> = (Option<&'a str>, BTreeMap<String, u64>, Vec<u32>);

/// Counts entries and records per raw category.
pub(super) fn categories(list: &HashList) -> Vec<CategoryCount> {
    let mut by: BTreeMap<Option<&str>, Tally<'_>> = BTreeMap::new();
    for e in list.iter() {
        let slot = by
            .entry(e.category)
            .or_insert((e.category_label, BTreeMap::new(), Vec::new()));
        *slot.1.entry(e.algorithm.name().to_string()).or_insert(0) += 1;
        slot.2.push(e.record);
    }
    by.into_iter()
        .map(|(category, (label, entries, mut records))| {
            records.sort_unstable();
            records.dedup();
            CategoryCount {
                category: category.map(str::to_string),
                label: label.map(str::to_string),
                records: records.len() as u64,
                entries,
            }
        })
        .collect()
}
