//! `HitRecord`: one hit as the report writes it (a file's `hits` and `weak_hits`, a video's
//! `frame_hits`) and as every renderer reads it back, with the rules renderers ask of a hit
//! (`is_alert`, `is_same_entry`, …) stated once.
//!
//! Owns the hit's wire shape (and the score of a vPDQ match, which a hit read from one
//! carries) only; which hits a file has is `matcher` and `alert_rule`'s
//! work. Every field is optional on reading, so an older report reads; a role this build
//! does not know is kept as written (`Open`), and unknown fields are kept in `extra`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::open::Open;
use crate::extra::Extra;
use crate::list::{EntryFlags, ListRole};
use crate::matcher::Hit;

/// One list entry a file (or a video frame) matched. `threshold`, `transform`, `quality`
/// and `also_exact` are the "why it matched" fields; older scans do not write them, and
/// renderers fall back (see `report::why`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HitRecord {
    /// A video's frame hit: the frame that hit (the closest, earliest of
    /// `frames_matched`), and its timestamp in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// How many hashed frames hit this entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames_matched: Option<u32>,
    pub list: String,
    pub role: Open<ListRole>,
    pub entry_id: Option<String>,
    /// The raw category code, exactly as the list wrote it (`null` stays `null`).
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_label: Option<String>,
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<String>,
    /// The entry's VICS yes/no flags, as the list gave them.
    #[serde(skip_serializing_if = "HitFlags::is_empty")]
    pub flags: HitFlags,
    /// The entry carries a PhotoDNA signature.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub photodna: bool,
    pub algorithm: Cow<'static, str>,
    pub distance: u32,
    pub list_hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transform: Option<Cow<'static, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub also_exact: Option<bool>,
    /// The entry's category is non-pertinent (VICS US 0): not an alert.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub non_pertinent: bool,
    /// A weak hit's reason (`uncorroborated`, `low_information`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weak_reason: Option<Cow<'static, str>>,
    /// A vPDQ match of a video against a listed video, shown as a hit: only ever read (from
    /// the record's `video.video_matches`), never written as one.
    #[serde(skip)]
    pub vpdq: Option<VpdqScoreRecord>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The percentages of a vPDQ match and the exact counts behind them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VpdqScoreRecord {
    /// Share of this video's frames (de-duplicated, quality ≥ 50) matching the listed video.
    pub query_percent: f64,
    /// Share of the listed video's frames matching this video.
    pub compared_percent: f64,
    pub query_frames_matched: u32,
    pub query_frames: u32,
    pub compared_frames_matched: u32,
    pub compared_frames: u32,
}

/// The VICS flags in the order the scan writes them; flags of a newer build in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HitFlags {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub victim_identified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offender_identified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_distributed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_precategorized: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl HitFlags {
    pub fn is_empty(&self) -> bool {
        *self == HitFlags::default()
    }

    /// Every yes/no flag given, by name (sorted).
    pub fn by_name(&self) -> BTreeMap<&str, bool> {
        let known = [
            ("victim_identified", self.victim_identified),
            ("offender_identified", self.offender_identified),
            ("is_distributed", self.is_distributed),
            ("is_precategorized", self.is_precategorized),
        ];
        let known = known.into_iter().filter_map(|(k, v)| Some((k, v?)));
        let extra = self
            .extra
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.as_bool()?)));
        known.chain(extra).collect()
    }
}

impl From<EntryFlags> for HitFlags {
    fn from(f: EntryFlags) -> Self {
        HitFlags {
            victim_identified: f.victim_identified,
            offender_identified: f.offender_identified,
            is_distributed: f.is_distributed,
            is_precategorized: f.is_precategorized,
            extra: Extra::new(),
        }
    }
}

impl From<&Hit> for HitRecord {
    fn from(h: &Hit) -> Self {
        HitRecord {
            list: h.list.clone(),
            role: Open::Known(h.role),
            entry_id: h.entry_id.clone(),
            category: h.category.clone(),
            category_label: h.category_label.clone(),
            label: h.label.clone(),
            series: h.series.clone(),
            tags: h.tags.clone(),
            flags: HitFlags::from(h.flags),
            photodna: h.photodna,
            algorithm: Cow::Borrowed(h.algorithm.name()),
            distance: h.distance,
            list_hash: h.list_hash.clone(),
            threshold: h.threshold,
            transform: h.transform.map(Cow::Borrowed),
            file_hash: h.file_hash.clone(),
            quality: h.quality,
            also_exact: h.also_exact,
            non_pertinent: h.non_pertinent,
            weak_reason: h.weak_reason.map(|w| Cow::Borrowed(w.code())),
            ..HitRecord::default()
        }
    }
}

impl HitRecord {
    /// Whether `other` names this hit's list entry: same list and entry id, or the same
    /// list when this hit's list gives no ids (as `matcher::Hit::is_same_entry`).
    pub fn is_same_entry(&self, other: &HitRecord) -> bool {
        other.list == self.list && (self.entry_id.is_none() || other.entry_id == self.entry_id)
    }

    /// A hit on an alert list, pertinent or not.
    pub fn on_alert_list(&self) -> bool {
        self.role.is(ListRole::Alert)
    }

    /// A hit on a known-good list: it marks the file known, never hides an alert.
    pub fn is_known_good(&self) -> bool {
        self.role.is(ListRole::KnownGood)
    }

    /// A hit that raised an alert: on an alert list, in a pertinent category.
    pub fn is_alert(&self) -> bool {
        self.on_alert_list() && !self.non_pertinent
    }

    /// A hit on an alert list in a non-pertinent category.
    pub fn is_non_pertinent(&self) -> bool {
        self.on_alert_list() && self.non_pertinent
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::algorithm::Algorithm;
    use crate::matcher::WeakReason;

    /// A hit with every optional field given.
    pub(crate) fn full_hit() -> Hit {
        Hit {
            list: "l".into(),
            role: ListRole::Alert,
            entry_id: Some("7".into()),
            category: None,
            category_label: Some("c".into()),
            label: Some("x".into()),
            series: Some("s".into()),
            tags: Some("t".into()),
            flags: EntryFlags {
                victim_identified: Some(true),
                is_distributed: Some(false),
                ..EntryFlags::default()
            },
            photodna: true,
            algorithm: Algorithm::Dhash,
            distance: 2,
            list_hash: "00ff".into(),
            threshold: Some(10),
            transform: Some("rotate90"),
            file_hash: Some("01ff".into()),
            quality: Some(80),
            also_exact: Some(false),
            non_pertinent: true,
            weak_reason: Some(WeakReason::LowInformation),
            record: 3,
        }
    }

    /// The record writes a hit exactly as the matcher's own `Serialize` does, and reads back.
    #[test]
    fn a_hit_is_written_as_the_matcher_serialises_it_and_reads_back() {
        let hit = full_hit();
        let text = serde_json::to_string(&HitRecord::from(&hit)).unwrap();
        assert_eq!(text, serde_json::to_string(&hit).unwrap());
        let read: HitRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(serde_json::to_string(&read).unwrap(), text);
        let names: Vec<_> = read.flags.by_name().into_iter().collect();
        assert_eq!(
            names,
            [("is_distributed", false), ("victim_identified", true)]
        );
    }
}
