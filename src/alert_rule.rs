//! When a perceptual hit may raise an alert on its own (docs/detection.md).
//!
//! Owns `AlertRule` (`WeakReason` is part of a `Hit`, `matcher`'s; the low-information
//! test of a value is `low_information`'s). A 64-bit perceptual hash (pHash,
//! dHash, aHash) is an 8×8 summary of a picture's coarse layout: unrelated pictures with
//! the same layout (a sky above, ground below) share most of its bits, so one such hit is
//! not evidence enough. A 64-bit hit alerts only when corroborated: the same list entry
//! (same list, and the same record or entry id: JSONL lists give each hash its own line under
//! one id) is also hit by another algorithm — a digest, PDQ, or a second
//! 64-bit hash. Uncorroborated hits, and every hit whose file or list value carries little
//! information, are kept as weak hits: reported and counted, never alerting alone.
//! Cryptographic and PDQ hits are not touched (PDQ's own guard is its quality cut-off).

use crate::low_information::{is_narrow, low_information};
use crate::matcher::{Hit, WeakReason};

/// How perceptual hits turn into alerts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AlertRule {
    /// `--alert-on-weak`: an uncorroborated 64-bit hit alerts alone (low-information hits
    /// stay weak whatever this says).
    pub alert_on_weak: bool,
}

impl AlertRule {
    /// Splits a file's hits into those that count (alerts, known-good marks) and the weak
    /// ones, each weak hit carrying its reason. The order within each part is kept.
    pub fn split(&self, hits: Vec<Hit>) -> (Vec<Hit>, Vec<Hit>) {
        // Each hit's values decoded and judged once, not once per pair.
        let low: Vec<bool> = hits
            .iter()
            .map(|hit| is_narrow(hit.algorithm) && is_low_information_hit(hit))
            .collect();
        let reasons: Vec<Option<WeakReason>> = (0..hits.len())
            .map(|i| self.weakness(i, &hits, &low))
            .collect();
        let mut strong = Vec::with_capacity(hits.len());
        let mut weak = Vec::new();
        for (mut hit, reason) in hits.into_iter().zip(reasons) {
            match reason {
                None => strong.push(hit),
                Some(reason) => {
                    hit.weak_reason = Some(reason);
                    weak.push(hit);
                }
            }
        }
        (strong, weak)
    }

    /// Why `all[at]` is weak; `low[i]` says whether `all[i]` is a low-information 64-bit hit.
    fn weakness(&self, at: usize, all: &[Hit], low: &[bool]) -> Option<WeakReason> {
        let hit = &all[at];
        if !is_narrow(hit.algorithm) {
            return None;
        }
        if low[at] {
            return Some(WeakReason::LowInformation);
        }
        let corroborated = all.iter().zip(low).any(|(other, other_low)| {
            other.algorithm != hit.algorithm && same_entry(hit, other) && !other_low
        });
        (!corroborated && !self.alert_on_weak).then_some(WeakReason::Uncorroborated)
    }
}

/// One listed file: the same list, and the same record (a VICS Media, a hashdeep line) or
/// the same entry id (list formats that give each hash a line of its own, one id per file).
fn same_entry(a: &Hit, b: &Hit) -> bool {
    a.list == b.list && (a.record == b.record || (a.entry_id.is_some() && a.entry_id == b.entry_id))
}

fn is_low_information_hit(hit: &Hit) -> bool {
    let low = |hex: &str| {
        hex::decode(hex)
            .ok()
            .and_then(|bytes| low_information(hit.algorithm, &bytes))
            .is_some()
    };
    low(&hit.list_hash) || hit.file_hash.as_deref().is_some_and(low)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algorithm::Algorithm;
    use crate::list::ListRole;

    fn hit(algorithm: Algorithm, record: u32, list_hash: &str, file_hash: Option<&str>) -> Hit {
        Hit {
            list: "l".into(),
            role: ListRole::Alert,
            entry_id: Some(record.to_string()),
            category: None,
            category_label: None,
            label: None,
            series: None,
            tags: None,
            flags: Default::default(),
            photodna: false,
            algorithm,
            distance: 3,
            list_hash: list_hash.into(),
            threshold: Some(10),
            transform: None,
            file_hash: file_hash.map(str::to_string),
            quality: None,
            also_exact: None,
            non_pertinent: false,
            weak_reason: None,
            record,
        }
    }

    const A: &str = "9a3c5e7f1b2d4c6e";
    const B: &str = "1f2e3d4c5b6a7988";

    fn algorithms(hits: &[Hit]) -> Vec<(Algorithm, u32, Option<WeakReason>)> {
        hits.iter()
            .map(|h| (h.algorithm, h.record, h.weak_reason))
            .collect()
    }

    #[test]
    fn a_lone_64_bit_hit_is_weak_and_two_on_one_entry_alert() {
        let rule = AlertRule::default();
        let (strong, weak) = rule.split(vec![hit(Algorithm::Dhash, 1, A, Some(B))]);
        assert!(strong.is_empty());
        assert_eq!(
            algorithms(&weak),
            [(Algorithm::Dhash, 1, Some(WeakReason::Uncorroborated))]
        );
        let (strong, weak) = rule.split(vec![
            hit(Algorithm::Dhash, 1, A, Some(B)),
            hit(Algorithm::Phash, 1, B, Some(A)),
            hit(Algorithm::Ahash, 2, A, Some(B)),
        ]);
        assert_eq!(
            algorithms(&strong),
            [(Algorithm::Dhash, 1, None), (Algorithm::Phash, 1, None)]
        );
        assert_eq!(
            algorithms(&weak),
            [(Algorithm::Ahash, 2, Some(WeakReason::Uncorroborated))]
        );
    }

    #[test]
    fn exact_and_pdq_hits_alert_alone_and_corroborate() {
        let rule = AlertRule::default();
        let md5 = hit(Algorithm::Md5, 4, "00", None);
        let pdq = hit(Algorithm::Pdq, 5, "00", None);
        let (strong, weak) = rule.split(vec![
            md5.clone(),
            pdq.clone(),
            hit(Algorithm::Ahash, 4, A, Some(B)),
            hit(Algorithm::Dhash, 5, A, Some(B)),
        ]);
        assert_eq!(strong.len(), 4);
        assert!(weak.is_empty());
        // The same record number on another list is another entry.
        let mut other_list = hit(Algorithm::Phash, 5, A, Some(B));
        other_list.list = "m".into();
        let (_, weak) = rule.split(vec![pdq, other_list]);
        assert_eq!(weak.len(), 1);
    }

    #[test]
    fn lines_of_one_entry_id_are_one_entry() {
        let rule = AlertRule::default();
        let mut phash = hit(Algorithm::Phash, 8, B, Some(A));
        phash.entry_id = Some("1".into());
        let (strong, weak) = rule.split(vec![hit(Algorithm::Dhash, 1, A, Some(B)), phash]);
        assert_eq!(strong.len(), 2);
        assert!(weak.is_empty());
        // Without ids, two records are two entries.
        let mut dhash = hit(Algorithm::Dhash, 1, A, Some(B));
        let mut phash = hit(Algorithm::Phash, 8, B, Some(A));
        dhash.entry_id = None;
        phash.entry_id = None;
        let (strong, weak) = rule.split(vec![dhash, phash]);
        assert!(strong.is_empty());
        assert_eq!(weak.len(), 2);
    }

    #[test]
    fn alert_on_weak_restores_lone_hits_but_not_low_information_ones() {
        let rule = AlertRule {
            alert_on_weak: true,
        };
        let (strong, weak) = rule.split(vec![
            hit(Algorithm::Dhash, 1, A, Some(B)),
            hit(Algorithm::Ahash, 2, "ffffffff00000000", Some(B)),
        ]);
        assert_eq!(algorithms(&strong), [(Algorithm::Dhash, 1, None)]);
        assert_eq!(
            algorithms(&weak),
            [(Algorithm::Ahash, 2, Some(WeakReason::LowInformation))]
        );
    }

    #[test]
    fn a_low_information_hit_neither_alerts_nor_corroborates() {
        let rule = AlertRule::default();
        // The file's aHash is low-information; its dHash on the same entry is alone then.
        let (strong, weak) = rule.split(vec![
            hit(Algorithm::Ahash, 1, A, Some("0000000000000000")),
            hit(Algorithm::Dhash, 1, A, Some(B)),
        ]);
        assert!(strong.is_empty());
        assert_eq!(
            algorithms(&weak),
            [
                (Algorithm::Ahash, 1, Some(WeakReason::LowInformation)),
                (Algorithm::Dhash, 1, Some(WeakReason::Uncorroborated)),
            ]
        );
    }
}
