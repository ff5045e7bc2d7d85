//! What a renderer may be told beyond the report itself: `RenderOptions`, shared by every
//! renderer and the dispatcher (`render`).

use super::flood::DEFAULT_FLOOD_THRESHOLD;

/// What a renderer may be told beyond the report itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RenderOptions {
    /// Flag a list entry matching more distinct files than this (flood guard).
    pub flood_threshold: usize,
    /// `hashsweep report --case-number`: the case number for formats that carry one (VICS
    /// `CaseNumber`) in place of the one the scan recorded in its header.
    pub case_number: Option<String>,
    /// VICS: full lab paths in `FilePath` instead of paths inside the exhibit.
    pub vics_absolute_paths: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            flood_threshold: DEFAULT_FLOOD_THRESHOLD,
            case_number: None,
            vics_absolute_paths: false,
        }
    }
}
