//! Splitting one line of a delimited text list into fields.
//!
//! Owns the small CSV dialect the line formats share (NSRL, HashKeeper, PDQ CSV/TSV):
//! fields optionally in double quotes, `""` inside quotes for a quote, the delimiter
//! allowed inside quotes (NSRL file names contain commas, docs/list-formats.md §nsrl-rds2).
//! Records never span lines in these formats, so a line is a record. Leaves what the fields
//! mean to callers.

/// Splits `line` on `delim`, unquoting quoted fields. Errs on an unterminated quote or text
/// after a closing quote.
pub(crate) fn split(line: &str, delim: char) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(ch) => field.push(ch),
                    None => return Err("unterminated quoted field".to_string()),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(ch) if ch == delim => {}
                Some(ch) => return Err(format!("unexpected {ch:?} after a quoted field")),
            }
        } else {
            loop {
                match chars.next() {
                    Some(ch) if ch == delim => break,
                    Some(ch) => field.push(ch),
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                }
            }
        }
        fields.push(field);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_and_bare_fields() {
        assert_eq!(
            split(r#""A","icon, large.png",15,"",x"#, ',').unwrap(),
            vec!["A", "icon, large.png", "15", "", "x"]
        );
        assert_eq!(split("a\tb\t", '\t').unwrap(), vec!["a", "b", ""]);
        assert_eq!(split(r#""say ""hi""""#, ',').unwrap(), vec![r#"say "hi""#]);
        assert_eq!(split("", ',').unwrap(), vec![""]);
        assert!(split(r#""open"#, ',').is_err());
        assert!(split(r#""a"b,c"#, ',').is_err());
    }
}
