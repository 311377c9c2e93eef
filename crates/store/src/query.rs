//! SQL both backends share: the message-list query built from a [`MessageFilter`], with `?`
//! placeholders and its arguments in order (PostgreSQL numbers the placeholders itself).

use crate::MessageFilter;

/// Which SQL dialect a query is built for, where the two differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// SQLite: globs by `GLOB` (case-sensitive, `*` and `?` as in routes).
    Sqlite,
    /// PostgreSQL: globs by `LIKE` with `\` as the escape.
    Postgres,
}

/// The condition and argument matching `m.message_type` against a route-style glob: plain equality
/// (index-friendly) when it has no wildcard.
fn glob_condition(dialect: Dialect, pattern: &str) -> (&'static str, String) {
    if !pattern.contains(['*', '?']) {
        return ("m.message_type = ?", pattern.to_owned());
    }
    let mut out = String::with_capacity(pattern.len() + 4);
    match dialect {
        Dialect::Sqlite => {
            for c in pattern.chars() {
                // `[` opens a character class in GLOB; `[[]` is a literal `[`.
                if c == '[' {
                    out.push_str("[[]");
                } else {
                    out.push(c);
                }
            }
            ("m.message_type GLOB ?", out)
        }
        Dialect::Postgres => {
            for c in pattern.chars() {
                match c {
                    '*' => out.push('%'),
                    '?' => out.push('_'),
                    '%' | '_' | '\\' => {
                        out.push('\\');
                        out.push(c);
                    }
                    c => out.push(c),
                }
            }
            ("m.message_type LIKE ? ESCAPE '\\'", out)
        }
    }
}

/// One argument of a built query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Arg {
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
}

/// `SELECT {columns} FROM messages m WHERE … ORDER BY m.id DESC LIMIT n` for `filter`, and its
/// arguments. `columns` is the backend's summary column list.
pub(crate) fn list_messages(
    dialect: Dialect,
    columns: &str,
    filter: &MessageFilter,
) -> (String, Vec<Arg>) {
    let mut conds: Vec<&str> = Vec::new();
    let mut args: Vec<Arg> = Vec::new();
    let mut push = |cond: &'static str, value: Arg| {
        conds.push(cond);
        args.push(value);
    };
    if let Some(from) = filter.from {
        push("m.received_at >= ?", Arg::Int(from));
    }
    if let Some(to) = filter.to {
        push("m.received_at < ?", Arg::Int(to));
    }
    if let Some(source) = &filter.source {
        push("m.source = ?", Arg::Text(source.clone()));
    }
    if let Some(state) = filter.state {
        push("m.state = ?", Arg::Text(state.as_str().to_owned()));
    }
    if let Some(mt) = &filter.message_type {
        let (cond, pattern) = glob_condition(dialect, mt);
        push(cond, Arg::Text(pattern));
    }
    if let Some(cid) = &filter.control_id {
        push("m.control_id = ?", Arg::Text(cid.clone()));
    }
    if let Some(key) = &filter.patient_key {
        // From the patient's events to their messages: as `EXISTS (… e.message_id = m.id …)`
        // SQLite walked every message and probed the patient's events for each.
        push(
            "m.id IN (SELECT e.message_id FROM events e WHERE e.patient_key = ?)",
            Arg::Text(key.clone()),
        );
    }
    if let Some(before) = filter.before_id {
        push("m.id < ?", Arg::Int(before.0));
    }
    let limit = match filter.limit {
        0 => 100,
        n => n.min(1000),
    };
    let where_clause = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    let sql =
        format!("SELECT {columns} FROM messages m {where_clause} ORDER BY m.id DESC LIMIT {limit}");
    (sql, args)
}

/// `?` placeholders numbered `$1`, `$2`, … for PostgreSQL.
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_conditions_in_order() {
        let filter = MessageFilter {
            source: Some("pas".into()),
            before_id: Some(crate::MessageId(9)),
            limit: 5000,
            ..MessageFilter::default()
        };
        let (sql, args) = list_messages(Dialect::Sqlite, "m.id", &filter);
        assert_eq!(
            sql,
            "SELECT m.id FROM messages m WHERE m.source = ? AND m.id < ? ORDER BY m.id DESC LIMIT 1000"
        );
        assert_eq!(args, [Arg::Text("pas".into()), Arg::Int(9)]);
        assert_eq!(numbered(&sql).matches('$').count(), 2);
        assert!(numbered(&sql).contains("m.source = $1 AND m.id < $2"));
    }

    #[test]
    fn message_type_globs_per_dialect() {
        assert_eq!(
            glob_condition(Dialect::Sqlite, "ADT^A01"),
            ("m.message_type = ?", "ADT^A01".into())
        );
        assert_eq!(
            glob_condition(Dialect::Sqlite, "ADT^A0*[x"),
            ("m.message_type GLOB ?", "ADT^A0*[[]x".into())
        );
        assert_eq!(
            glob_condition(Dialect::Postgres, "A_%\\^A0?*"),
            (
                "m.message_type LIKE ? ESCAPE '\\'",
                "A\\_\\%\\\\^A0_%".into()
            )
        );
    }
}
