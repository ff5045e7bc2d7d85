//! `--exhibit ID=PATH`: naming evidence by the exhibit ID of the case file instead of the
//! lab path it was mounted or copied to.
//!
//! Owns the flag's value (`Exhibit`, parsed by clap) and how exhibits join the EVIDENCE
//! arguments: a PATH already given as EVIDENCE gets the ID, any other PATH is scanned as
//! one more evidence source after them. The IDs go in the report header (`evidence[].
//! exhibit`), from where every format shows them.

use std::path::PathBuf;

use anyhow::{bail, Result};

/// Longest exhibit ID accepted.
const MAX_ID_CHARS: usize = 64;

/// One `--exhibit ID=PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exhibit {
    pub id: String,
    pub path: PathBuf,
}

/// clap's value parser for `--exhibit`.
pub fn parse_exhibit(value: &str) -> Result<Exhibit, String> {
    let Some((id, path)) = value.split_once('=') else {
        return Err("expected ID=PATH, e.g. HD-01=/mnt/images/disk.E01".to_string());
    };
    let id = id.trim();
    if id.is_empty() || path.is_empty() {
        return Err("both ID and PATH are needed: ID=PATH".to_string());
    }
    if id.chars().count() > MAX_ID_CHARS || id.chars().any(char::is_control) {
        return Err(format!(
            "exhibit ID {id:?}: at most {MAX_ID_CHARS} characters, no control characters"
        ));
    }
    Ok(Exhibit {
        id: id.to_string(),
        path: PathBuf::from(path),
    })
}

/// Adds the exhibits' paths to `evidence` (those not already there) and returns the
/// exhibit ID of each evidence source, in `evidence` order. Refuses one ID for two paths
/// and two IDs for one path.
pub fn fold_exhibits(
    evidence: &mut Vec<PathBuf>,
    exhibits: &[Exhibit],
) -> Result<Vec<Option<String>>> {
    let mut ids: Vec<Option<String>> = vec![None; evidence.len()];
    for exhibit in exhibits {
        if ids.iter().flatten().any(|id| *id == exhibit.id) {
            bail!("--exhibit {}: the ID names two evidence paths", exhibit.id);
        }
        match evidence.iter().position(|p| *p == exhibit.path) {
            Some(at) if ids[at].is_some() => bail!(
                "--exhibit {}: {} already has an exhibit ID",
                exhibit.id,
                exhibit.path.display()
            ),
            Some(at) => ids[at] = Some(exhibit.id.clone()),
            None => {
                evidence.push(exhibit.path.clone());
                ids.push(Some(exhibit.id.clone()));
            }
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exhibit(value: &str) -> Exhibit {
        parse_exhibit(value).unwrap()
    }

    #[test]
    fn parses_id_and_path_at_the_first_equals_sign() {
        assert_eq!(
            exhibit("HD-01=/mnt/a=b.E01"),
            Exhibit {
                id: "HD-01".into(),
                path: PathBuf::from("/mnt/a=b.E01")
            }
        );
        assert!(parse_exhibit("no-separator").is_err());
        assert!(parse_exhibit("=/path").is_err());
        assert!(parse_exhibit("ID=").is_err());
        assert!(parse_exhibit("bad\u{7}id=/p").is_err());
    }

    #[test]
    fn exhibits_name_evidence_arguments_or_add_sources() {
        let mut evidence = vec![PathBuf::from("/a"), PathBuf::from("/b")];
        let ids = fold_exhibits(&mut evidence, &[exhibit("E2=/b"), exhibit("E3=/c")]).unwrap();
        assert_eq!(evidence, ["/a", "/b", "/c"].map(PathBuf::from));
        assert_eq!(ids, [None, Some("E2".into()), Some("E3".into())]);
    }

    #[test]
    fn one_id_for_two_paths_or_two_ids_for_one_path_is_refused() {
        let mut evidence = vec![PathBuf::from("/a")];
        assert!(fold_exhibits(&mut evidence, &[exhibit("E1=/a"), exhibit("E1=/b")]).is_err());
        let mut evidence = vec![PathBuf::from("/a")];
        assert!(fold_exhibits(&mut evidence, &[exhibit("E1=/a"), exhibit("E2=/a")]).is_err());
    }
}
