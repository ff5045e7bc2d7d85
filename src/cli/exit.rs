//! The documented exit statuses (ClamAV-style), in one place.

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Finished, nothing matched.
    NoMatch = 0,
    /// Finished, at least one file matched an alert list.
    Match = 1,
    /// Fatal error: bad list, unreadable evidence root, report not writable, bad flags.
    Error = 2,
    /// `report`: rendered, but the report is incomplete (truncated, or the scan was
    /// interrupted): the rendering says INCOMPLETE.
    Incomplete = 3,
    /// Stopped by Ctrl-C; a partial report marked interrupted was written.
    Interrupted = 130,
}

impl Exit {
    pub fn code(self) -> ExitCode {
        ExitCode::from(self as u8)
    }
}
