//! A minimal CSV reader for code-table files: a header row naming the
//! columns (`local,code,display,system`), RFC 4180 quoting within a line,
//! blank lines and `#` comment lines skipped.

use super::{CodeTableError, Mapping};

/// Parsed rows: `(line number, local code, mapping)`.
pub(super) fn parse(
    table: &str,
    text: &str,
) -> Result<Vec<(usize, String, Mapping)>, CodeTableError> {
    let err = |line: usize, reason: String| CodeTableError {
        table: table.to_owned(),
        line,
        reason,
    };
    let mut columns: Option<Columns> = None;
    let mut rows = Vec::new();
    for (idx, raw) in text.lines().enumerate() {
        let line_no = idx + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let fields = split_line(line).map_err(|reason| err(line_no, reason))?;
        let Some(cols) = &columns else {
            columns = Some(Columns::from_header(&fields).map_err(|reason| err(line_no, reason))?);
            continue;
        };
        if fields.len() > cols.width {
            let reason = format!("{} fields, but the header has {}", fields.len(), cols.width);
            return Err(err(line_no, reason));
        }
        let get = |idx: Option<usize>| {
            idx.and_then(|i| fields.get(i))
                .map(|f| f.trim())
                .filter(|f| !f.is_empty())
        };
        let local =
            get(Some(cols.local)).ok_or_else(|| err(line_no, "empty `local` field".into()))?;
        let code = get(Some(cols.code)).ok_or_else(|| err(line_no, "empty `code` field".into()))?;
        let mapping = Mapping {
            code: code.to_owned(),
            display: get(cols.display).map(str::to_owned),
            system: get(cols.system).map(str::to_owned),
        };
        rows.push((line_no, local.to_owned(), mapping));
    }
    if columns.is_none() {
        return Err(err(
            0,
            "no header row (expected `local,code,display,system`)".into(),
        ));
    }
    Ok(rows)
}

/// Column positions from the header row.
struct Columns {
    width: usize,
    local: usize,
    code: usize,
    display: Option<usize>,
    system: Option<usize>,
}

impl Columns {
    fn from_header(fields: &[String]) -> Result<Self, String> {
        let find = |name: &str| {
            fields
                .iter()
                .position(|f| f.trim().eq_ignore_ascii_case(name))
        };
        for f in fields {
            if !["local", "code", "display", "system"]
                .contains(&f.trim().to_ascii_lowercase().as_str())
            {
                return Err(format!("unknown column `{}` in header", f.trim()));
            }
        }
        Ok(Self {
            width: fields.len(),
            local: find("local").ok_or("header has no `local` column")?,
            code: find("code").ok_or("header has no `code` column")?,
            display: find("display"),
            system: find("system"),
        })
    }
}

/// Splits one line into fields; `"…"` quotes a field, `""` inside quotes is
/// a literal quote.
fn split_line(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut in_quotes = false;
    let mut was_quoted = false;
    while let Some(ch) = chars.next() {
        match (in_quotes, ch) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => in_quotes = false,
            (true, _) => field.push(ch),
            (false, ',') => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            (false, '"') if field.trim().is_empty() && !was_quoted => {
                field.clear();
                in_quotes = true;
                was_quoted = true;
            }
            (false, '"') => return Err("unexpected `\"` inside an unquoted field".into()),
            (false, _) if was_quoted && !ch.is_whitespace() => {
                return Err("text after a closing quote".into());
            }
            (false, _) if was_quoted => {}
            (false, _) => field.push(ch),
        }
    }
    if in_quotes {
        return Err("unterminated quoted field".into());
    }
    fields.push(field);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::split_line;

    #[test]
    fn splits_quoted_fields() {
        assert_eq!(split_line("a,b,,c").unwrap(), ["a", "b", "", "c"]);
        assert_eq!(
            split_line(r#"W1,"Ward 1, East","say ""hi""",x"#).unwrap(),
            ["W1", "Ward 1, East", r#"say "hi""#, "x"]
        );
        assert_eq!(split_line(r#" "a" ,b"#).unwrap(), ["a", "b"]);
        assert!(split_line(r#""abc"#).is_err());
        assert!(split_line(r#"ab"c"#).is_err());
        assert!(split_line(r#""a"b"#).is_err());
    }
}
