//! Source comments cite the repository's docs by section (`docs/list-formats.md §vics`):
//! every cited section must exist as an `<a id="…">` anchor in that doc, and no comment
//! may cite notes kept outside the repository (`FORMATS.md`), which a reader of the
//! repository cannot open.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every citation of a docs/ section in `text`, as (file name, anchor).
fn citations(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("docs/") {
        let rest = &text[at + "docs/".len()..];
        let Some((doc, after)) = rest.split_once(".md §") else {
            continue;
        };
        if doc.contains(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')) {
            continue;
        }
        let anchor: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        found.push((
            format!("{doc}.md"),
            anchor.trim_end_matches('-').to_string(),
        ));
    }
    found
}

#[test]
fn cited_doc_sections_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "tests", "benches", "examples"] {
        rust_files(&root.join(dir), &mut files);
    }
    // Spelled in two halves so that this file does not match itself.
    let outside = ["FORMATS", ".md §"].concat();
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(
            !text.contains(&outside),
            "{} cites FORMATS.md, which is not in the repository; cite docs/list-formats.md",
            file.display()
        );
        for (doc, anchor) in citations(&text) {
            let body = std::fs::read_to_string(root.join("docs").join(&doc))
                .unwrap_or_else(|e| panic!("{} cites docs/{doc}: {e}", file.display()));
            assert!(
                body.contains(&format!("<a id=\"{anchor}\"></a>")),
                "{} cites docs/{doc} §{anchor}, which has no such anchor",
                file.display()
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 20,
        "only {checked} citations found: is the pattern still right?"
    );
}
