//! Metric names out of PromQL (dashboard and alert expressions) and out of Prometheus text
//! exposition, for checking that the Docker deployment's dashboards and alerts name only
//! series the binary exports. A scanner, not a parser: it knows just enough PromQL to tell
//! metric names from functions, keywords, label names, strings, durations and Grafana variables.

use std::collections::{BTreeMap, BTreeSet};

/// Words that may stand where a metric name could, but are not one.
const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "inf",
    "nan",
];

/// Keywords followed by a parenthesised list of label names (not an expression).
const LABEL_LISTS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// Skips from `open` (at `i`) to just past its matching `close`, stepping over quoted strings.
fn skip_group(chars: &[char], mut i: usize, open: char, close: char) -> usize {
    let mut depth = 0;
    while i < chars.len() {
        match chars[i] {
            c if c == open => depth += 1,
            c if c == close => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            '"' | '\'' | '`' => {
                i = skip_string(chars, i);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    i
}

/// Skips a quoted string starting at `i` (backslash escapes honoured).
fn skip_string(chars: &[char], i: usize) -> usize {
    let quote = chars[i];
    let mut j = i + 1;
    while j < chars.len() {
        match chars[j] {
            '\\' => j += 2,
            c if c == quote => return j + 1,
            _ => j += 1,
        }
    }
    j
}

/// Every metric name an expression selects. Label matchers (`{…}`), ranges (`[…]`), strings,
/// numbers, Grafana variables (`$node`, `${x}`), function names, keywords and the label lists of
/// `by (…)`, `on (…)` and the like are skipped.
pub fn metric_names(expr: &str) -> BTreeSet<String> {
    let chars: Vec<char> = expr.chars().collect();
    let mut names = BTreeSet::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '{' {
            i = skip_group(&chars, i, '{', '}');
        } else if c == '[' {
            i = skip_group(&chars, i, '[', ']');
        } else if c == '"' || c == '\'' || c == '`' {
            i = skip_string(&chars, i);
        } else if c == '#' {
            // A comment runs to the end of the line.
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '$' {
            i += 1;
            if chars.get(i) == Some(&'{') {
                i = skip_group(&chars, i, '{', '}');
            } else {
                while i < chars.len() && is_name_char(chars[i]) {
                    i += 1;
                }
            }
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            // A number or a duration (0.95, 5m, 1e3).
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
        } else if is_name_start(c) {
            let start = i;
            while i < chars.len() && is_name_char(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let mut next = i;
            while next < chars.len() && chars[next].is_whitespace() {
                next += 1;
            }
            let rest: String = chars[next..].iter().take(8).collect();
            // `sum by (…) (…)`: an aggregation whose grouping comes before its argument.
            let grouped = ["by", "without"].iter().any(|k| {
                rest.strip_prefix(k)
                    .is_some_and(|r| r.starts_with(|c: char| c == '(' || c.is_whitespace()))
            });
            let called = chars.get(next) == Some(&'(') || grouped;
            let lower = word.to_ascii_lowercase();
            if LABEL_LISTS.contains(&lower.as_str()) {
                if called {
                    i = skip_group(&chars, next, '(', ')');
                }
            } else if !called && !KEYWORDS.contains(&lower.as_str()) {
                names.insert(word);
            }
        } else {
            i += 1;
        }
    }
    names
}

/// The expression inside a Grafana `label_values(expr, label)` variable query, or the query
/// itself when it is plain PromQL; `None` for `label_values(label)`, which names no metric.
pub fn variable_query_expr(query: &str) -> Option<&str> {
    let q = query.trim();
    let Some(inner) = q
        .strip_prefix("label_values(")
        .and_then(|s| s.strip_suffix(')'))
    else {
        return Some(q);
    };
    inner.rsplit_once(',').map(|(expr, _label)| expr.trim())
}

/// What a `/metrics` scrape exposes: each family's declared type and every sample's name.
#[derive(Debug, Default)]
pub struct Exposition {
    /// `# TYPE name type`, by family name.
    pub types: BTreeMap<String, String>,
    /// The name of every sample line (`x_bucket`, `x_sum`, `x_count` for histograms).
    pub samples: BTreeSet<String>,
}

impl Exposition {
    /// Parses Prometheus text format.
    pub fn parse(text: &str) -> Self {
        let mut out = Self::default();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let mut parts = rest.split_whitespace();
                if let (Some(name), Some(kind)) = (parts.next(), parts.next()) {
                    out.types.insert(name.to_owned(), kind.to_owned());
                }
            } else if !line.starts_with('#') && !line.trim().is_empty() {
                let end = line.find(['{', ' ']).unwrap_or(line.len());
                out.samples.insert(line[..end].to_owned());
            }
        }
        out
    }

    /// The family a series name belongs to: itself, or for `_bucket` the histogram it is a part
    /// of, for `_sum` / `_count` the histogram or summary. A counter has no `_count`.
    pub fn family(&self, series: &str) -> Option<&str> {
        if let Some((name, _)) = self.types.get_key_value(series) {
            return Some(name);
        }
        let parts: [(&str, &[&str]); 3] = [
            ("_bucket", &["histogram"]),
            ("_sum", &["histogram", "summary"]),
            ("_count", &["histogram", "summary"]),
        ];
        parts.into_iter().find_map(|(suffix, kinds)| {
            let base = series.strip_suffix(suffix)?;
            let (name, kind) = self.types.get_key_value(base)?;
            kinds.contains(&kind.as_str()).then_some(name.as_str())
        })
    }

    /// Why `series` would select nothing from this scrape, or `None` when it is exported with
    /// at least one sample. A bare histogram name is refused: Prometheus stores only its parts.
    pub fn missing(&self, series: &str) -> Option<String> {
        let Some(family) = self.family(series) else {
            return Some("no such metric family".to_owned());
        };
        if self.types.get(series).is_some_and(|k| k == "histogram") {
            return Some(format!(
                "{family} is a histogram: select {family}_bucket, _sum or _count"
            ));
        }
        (!self.samples.contains(series)).then(|| "declared but no samples".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(expr: &str) -> Vec<String> {
        metric_names(expr).into_iter().collect()
    }

    #[test]
    fn finds_metric_names_and_skips_the_rest() {
        assert_eq!(
            names(
                "histogram_quantile(0.95, sum by (le, source) \
                 (rate(junction_ack_latency_seconds_bucket{node=~\"$node\"}[$__rate_interval])))"
            ),
            ["junction_ack_latency_seconds_bucket"]
        );
        assert_eq!(
            names(
                "max by (destination) (deriv(sum without (state) (q{state=~\"a|b\"})[15m:1m])) > 0 and on (destination) up == bool 1"
            ),
            ["q", "up"]
        );
        assert_eq!(names("absent(up{job=\"junction\"})"), ["up"]);
        assert_eq!(
            names("sum(x) / ignoring(le) group_left(node) y offset 5m"),
            ["x", "y"]
        );
        assert_eq!(
            names("${x} + 1e3 + .5 + 'not_a_metric'"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn reads_grafana_variable_queries() {
        assert_eq!(
            variable_query_expr("label_values(junction_build_info{a=\"b,c\"}, node)"),
            Some("junction_build_info{a=\"b,c\"}")
        );
        assert_eq!(variable_query_expr("label_values(node)"), None);
        assert_eq!(variable_query_expr("up"), Some("up"));
    }

    #[test]
    fn histogram_parts_belong_to_their_family() {
        let text = "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n\
                    # TYPE c counter\nc_total 1\n# TYPE e counter\n";
        let e = Exposition::parse(text);
        assert_eq!(e.missing("h_bucket"), None);
        assert_eq!(e.missing("h_count"), None);
        assert!(
            e.missing("h").is_some(),
            "a bare histogram name selects nothing"
        );
        assert!(
            e.missing("c_total").is_some(),
            "not declared under that name"
        );
        assert!(e.missing("c_count").is_some(), "a counter has no _count");
        assert!(e.missing("e").is_some(), "declared without samples");
        assert!(e.missing("nope").is_some());
    }
}
