//! A lab's category map (`--category-map FILE`): what the category codes of a scheme mean
//! in this lab, overriding hashsweep's defaults (docs/lists.md, Categories).
//!
//! Owns the map's file format and its lookup. The file is CSV with a header row
//! `scheme,code,meaning,name`: `scheme` a scheme name (`vics-us`, `caid-uk`, `vics-other`,
//! `none` for lists without a numbered scheme), `code` the raw category code as lists
//! write it, `meaning` `alert` or `non-pertinent`, `name` the label reports show. Lines
//! starting with `#` are comments. The file's SHA-256 goes in the report header, as a
//! list's does. Applying a rule to a hit is `matcher`'s job.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::CategoryScheme;

/// What a category means for the lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CategoryMeaning {
    /// A hit raises an alert (a match, exit 1).
    Alert,
    /// A hit is reported as non-pertinent: never an alert, never exit 1.
    NonPertinent,
}

/// One rule: a code's meaning and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryRule {
    pub meaning: CategoryMeaning,
    pub name: String,
}

/// The loaded map and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryMap {
    pub path: PathBuf,
    pub sha256: String,
    rules: BTreeMap<(CategoryScheme, String), CategoryRule>,
}

/// What the report header records of the map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryMapInfo {
    #[serde(serialize_with = "crate::evidence::serialize_lossy")]
    pub path: PathBuf,
    pub sha256: String,
    pub rules: usize,
}

/// Why a category map could not be used; each names the file and, where it applies, the
/// line.
#[derive(Debug, thiserror::Error)]
pub enum CategoryMapError {
    #[error("{path}: cannot read the category map: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: line {line}: {message}")]
    Line {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{path}: the header must be scheme,code,meaning,name")]
    Header { path: PathBuf },
}

impl CategoryMap {
    /// Reads and parses the map at `path`.
    pub fn load(path: &Path) -> Result<CategoryMap, CategoryMapError> {
        let bytes = std::fs::read(path).map_err(|error| CategoryMapError::Io {
            path: path.to_path_buf(),
            error,
        })?;
        CategoryMap::parse(&bytes, path)
    }

    /// Parses a map's bytes; `path` names it in errors and in the header.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<CategoryMap, CategoryMapError> {
        let line_error = |line: u64, message: String| CategoryMapError::Line {
            path: path.to_path_buf(),
            line,
            message,
        };
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_reader(bytes);
        let header_ok = reader.headers().is_ok_and(|h| {
            h.iter()
                .map(str::to_ascii_lowercase)
                .eq(["scheme", "code", "meaning", "name"])
        });
        if !header_ok {
            return Err(CategoryMapError::Header {
                path: path.to_path_buf(),
            });
        }
        let mut rules = BTreeMap::new();
        for row in reader.records() {
            let row = row.map_err(|e| {
                let line = e.position().map_or(0, csv::Position::line);
                line_error(line, e.to_string())
            })?;
            let line = row.position().map_or(0, csv::Position::line);
            let scheme = CategoryScheme::from_name(&row[0]).ok_or_else(|| {
                line_error(
                    line,
                    format!(
                        "unknown scheme {:?} (vics-us, caid-uk, vics-other or none)",
                        &row[0]
                    ),
                )
            })?;
            let meaning = match row[2].to_ascii_lowercase().as_str() {
                "alert" => CategoryMeaning::Alert,
                "non-pertinent" => CategoryMeaning::NonPertinent,
                other => {
                    return Err(line_error(
                        line,
                        format!("unknown meaning {other:?} (alert or non-pertinent)"),
                    ))
                }
            };
            let (code, name) = (row[1].to_string(), row[3].to_string());
            if code.is_empty() || name.is_empty() {
                return Err(line_error(line, "code and name must not be empty".into()));
            }
            let rule = CategoryRule { meaning, name };
            if rules.insert((scheme, code.clone()), rule).is_some() {
                return Err(line_error(
                    line,
                    format!("code {code:?} of {} mapped twice", scheme.name()),
                ));
            }
        }
        Ok(CategoryMap {
            path: path.to_path_buf(),
            sha256: hex::encode(Sha256::digest(bytes)),
            rules,
        })
    }

    /// The rule for a raw code under a scheme (codes compare as written, trimmed).
    pub fn rule(&self, scheme: CategoryScheme, code: &str) -> Option<&CategoryRule> {
        self.rules.get(&(scheme, code.trim().to_string()))
    }

    pub fn info(&self) -> CategoryMapInfo {
        CategoryMapInfo {
            path: self.path.clone(),
            sha256: self.sha256.clone(),
            rules: self.rules.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<CategoryMap, CategoryMapError> {
        CategoryMap::parse(text.as_bytes(), Path::new("map.csv"))
    }

    #[test]
    fn rules_are_looked_up_by_scheme_and_code() {
        let map = parse(
            "scheme,code,meaning,name\n# UK codes from the lab's CAID guide\n\
             caid-uk, 1 ,alert,Category A\ncaid-uk,5,non-pertinent,Not relevant\n\
             vics-us,4,non-pertinent,Comparison\n",
        )
        .unwrap();
        let rule = map.rule(CategoryScheme::CaidUk, "1").unwrap();
        assert_eq!(rule.meaning, CategoryMeaning::Alert);
        assert_eq!(rule.name, "Category A");
        assert_eq!(
            map.rule(CategoryScheme::VicsUs, "4").unwrap().meaning,
            CategoryMeaning::NonPertinent
        );
        assert_eq!(map.rule(CategoryScheme::VicsUs, "1"), None);
        assert_eq!(map.rule(CategoryScheme::CaidUk, "4"), None);
        assert_eq!(map.info().rules, 3);
        assert_eq!(map.sha256.len(), 64);
    }

    #[test]
    fn bad_lines_are_errors_naming_file_and_line() {
        let err = parse("scheme,code,meaning,name\nvics-us,1,alert,CAM\nvics-us,2,maybe,X\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("map.csv: line 3: unknown meaning \"maybe\""),
            "{err}"
        );
        let err = parse("scheme,code,meaning,name\nnope,1,alert,X\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("map.csv: line 2: unknown scheme"), "{err}");
        let err = parse("scheme,code,meaning,name\nnone,a,alert,X\nnone,a,alert,Y\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 3: code \"a\" of none mapped twice"),
            "{err}"
        );
        assert!(matches!(
            parse("code,scheme\n"),
            Err(CategoryMapError::Header { .. })
        ));
        assert!(parse("scheme,code,meaning,name\nnone,1,alert\n").is_err());
    }
}
