//! Category schemes: how a list's raw category codes read as labels.
//!
//! Owns `CategoryScheme` and its code → label tables. The raw code is always kept next to
//! the label; nothing here decides severity or whether a hit is reported (`matcher`'s job).

use serde::Serialize;

/// The numbering a list's `Category` codes follow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CategoryScheme {
    /// No numbered scheme (hashdeep, NSRL, PDQ lists, …): categories are free text if any.
    #[default]
    None,
    /// Project VIC US numbering 0–4 (Autopsy `ImageGalleryService` "PV_US_CAT*";
    /// docs/list-formats.md §categories). Used for VICS region `US`, `Default`, `CUSTOM`
    /// and for 1.x files, which carry no region and come from the US model.
    VicsUs,
    /// VICS region `UK` (CAID). Its integer codes are not public
    /// (docs/list-formats.md §categories): codes are kept raw and get no label rather than
    /// a guessed one.
    CaidUk,
    /// A VICS region hashsweep has no table for; codes kept raw, no label.
    VicsOther,
}

impl CategoryScheme {
    pub fn name(self) -> &'static str {
        match self {
            CategoryScheme::None => "none",
            CategoryScheme::VicsUs => "vics-us",
            CategoryScheme::CaidUk => "caid-uk",
            CategoryScheme::VicsOther => "vics-other",
        }
    }

    /// Parses a scheme name as written by `name`.
    pub fn from_name(s: &str) -> Option<Self> {
        [
            CategoryScheme::None,
            CategoryScheme::VicsUs,
            CategoryScheme::CaidUk,
            CategoryScheme::VicsOther,
        ]
        .into_iter()
        .find(|c| c.name().eq_ignore_ascii_case(s.trim()))
    }

    /// The scheme for a VICS region string (case-insensitive); `None` region = 1.x file.
    pub fn for_vics_region(region: Option<&str>) -> Self {
        match region.map(str::to_ascii_uppercase).as_deref() {
            None | Some("US") | Some("DEFAULT") | Some("CUSTOM") => CategoryScheme::VicsUs,
            Some("UK") => CategoryScheme::CaidUk,
            Some(_) => CategoryScheme::VicsOther,
        }
    }

    /// Whether a raw code means "not pertinent" under this scheme (Project VIC US 0,
    /// Non-Pertinent): such a hit is reported as non-pertinent, never as an alert. An
    /// absent category is not code 0, and schemes without a public table mark nothing.
    pub fn is_non_pertinent(self, raw: Option<&str>) -> bool {
        self == CategoryScheme::VicsUs && raw.and_then(|c| c.trim().parse::<i64>().ok()) == Some(0)
    }

    /// The label of a raw category code, if this scheme has one for it.
    ///
    /// An absent category has no label: "uncategorised" is not a code, and a report must
    /// be able to tell it from code 0 (non-pertinent in the US scheme).
    pub fn label(self, raw: Option<&str>) -> Option<&'static str> {
        let code: i64 = raw?.trim().parse().ok()?;
        match self {
            CategoryScheme::VicsUs => match code {
                0 => Some("Non-Pertinent"),
                1 => Some("Child Abuse Material (CAM)"),
                2 => Some("Child Exploitive (Non-CAM) / Age Difficult"),
                3 => Some("CGI/Animation - Child Exploitive"),
                4 => Some("Comparison Images"),
                _ => None,
            },
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn us_labels_keep_zero_apart_from_absent() {
        let us = CategoryScheme::VicsUs;
        assert_eq!(us.label(Some("0")), Some("Non-Pertinent"));
        assert_eq!(us.label(Some(" 4")), Some("Comparison Images"));
        assert_eq!(us.label(None), None);
        assert_eq!(us.label(Some("8")), None);
        assert_eq!(CategoryScheme::CaidUk.label(Some("1")), None);
        assert!(us.is_non_pertinent(Some("0")));
        assert!(!us.is_non_pertinent(None));
        assert!(!us.is_non_pertinent(Some("1")));
        assert!(!CategoryScheme::CaidUk.is_non_pertinent(Some("0")));
        assert!(!CategoryScheme::None.is_non_pertinent(Some("0")));
    }

    #[test]
    fn regions_pick_schemes() {
        assert_eq!(
            CategoryScheme::for_vics_region(Some("Default")),
            CategoryScheme::VicsUs
        );
        assert_eq!(
            CategoryScheme::for_vics_region(Some("uk")),
            CategoryScheme::CaidUk
        );
        assert_eq!(
            CategoryScheme::for_vics_region(None),
            CategoryScheme::VicsUs
        );
        assert_eq!(
            CategoryScheme::for_vics_region(Some("Canada")),
            CategoryScheme::VicsOther
        );
        assert_eq!(
            CategoryScheme::from_name("VICS-US"),
            Some(CategoryScheme::VicsUs)
        );
    }
}
