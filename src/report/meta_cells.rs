//! A file's `meta` (times, owner, attributes) flattened for the tabular and text formats.
//!
//! Owns `META_COLUMNS` (owner, attributes, then one column per kind of time, named as in
//! `FileMeta::times`) and the cells and text lines made from a record's `meta`. Cells are
//! empty where the file's filesystem has no such time.

use crate::evidence::meta::{FileMeta, TIME_COLUMNS};

/// The columns `meta_cells` fills, in order.
pub(crate) fn meta_columns() -> Vec<&'static str> {
    let mut columns = vec!["owner", "attributes"];
    columns.extend(TIME_COLUMNS);
    columns
}

/// One cell per `meta_columns` entry (all empty without `meta`).
pub(crate) fn meta_cells(meta: Option<&FileMeta>) -> Vec<String> {
    let Some(meta) = meta else {
        return vec![String::new(); 2 + TIME_COLUMNS.len()];
    };
    let times = meta.times();
    let mut cells = vec![
        meta.owner().unwrap_or_default(),
        meta.attributes().join(" "),
    ];
    cells.extend(TIME_COLUMNS.iter().map(|column| {
        times
            .iter()
            .find(|(name, _)| name == column)
            .map(|(_, t)| t.to_string())
            .unwrap_or_default()
    }));
    cells
}

/// Lines for a person: the owner and attributes, then `name  time` per time present.
pub(crate) fn meta_lines(meta: &FileMeta) -> Vec<String> {
    let mut lines = Vec::new();
    let mut facts = Vec::new();
    if let Some(owner) = meta.owner() {
        facts.push(format!("owner {owner}"));
    }
    if !meta.attributes().is_empty() {
        facts.push(format!("attributes {}", meta.attributes().join(" ")));
    }
    if !facts.is_empty() {
        lines.push(facts.join(", "));
    }
    lines.extend(
        meta.times()
            .into_iter()
            .map(|(name, t)| format!("{name:<16}{t}")),
    );
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::meta::{FatMeta, Timestamp};

    #[test]
    fn cells_line_up_with_columns() {
        let fat = FileMeta::Fat(FatMeta {
            created: Timestamp::local(1_603_776_917, 120_000_000, 2),
            modified: Timestamp::local(1_603_771_260, 0, 0),
            accessed: None,
            attributes: vec!["archive".into()],
            attribute_bits: 0x20,
        });
        let columns = meta_columns();
        let cells = meta_cells(Some(&fat));
        assert_eq!(cells.len(), columns.len());
        let cell = |name: &str| &cells[columns.iter().position(|c| *c == name).unwrap()];
        assert_eq!(cell("created"), "2020-10-27T05:35:17.12");
        assert_eq!(cell("modified"), "2020-10-27T04:01:00");
        assert_eq!(cell("accessed"), "");
        assert_eq!(cell("attributes"), "archive");
        assert_eq!(meta_cells(None).len(), columns.len());
        assert_eq!(
            meta_lines(&fat),
            vec![
                "attributes archive",
                "created         2020-10-27T05:35:17.12",
                "modified        2020-10-27T04:01:00"
            ]
        );
    }
}
