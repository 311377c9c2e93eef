//! Route checks: sources and destinations that exist, non-empty globs, known steps, and the
//! router's compiler checking `when` expressions.

use super::components::Route;
use super::error::join;
use super::validate::Checker;

/// The routing steps built in, and what each needs configured.
pub const STEPS: &[(&str, &str)] = &[("pds_verify", "[national.pds]")];

/// Checks a `when` expression with the router's own compiler (no I/O), so `check` reports the
/// column of a mistake.
pub fn validate_expression(expr: &str) -> Result<(), String> {
    junction_router::Predicate::compile(expr)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Names in file order, each once.
pub(super) fn names(written: &[(usize, String)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, n) in written {
        if !out.contains(n) {
            out.push(n.clone());
        }
    }
    out
}

/// `(none configured)` or `a, b`.
fn known(names: &[String]) -> String {
    if names.is_empty() {
        "none configured".into()
    } else {
        names.join(", ")
    }
}

pub(super) fn check(
    v: &mut Checker<'_>,
    path: &str,
    r: &Route,
    sources: &[String],
    destinations: &[String],
    steps: &[&str],
) {
    for (i, s) in r.sources.iter().enumerate() {
        if !sources.contains(s) {
            let known = known(sources);
            v.err(
                &format!("{path}.sources[{i}]"),
                format!("unknown source {s:?} (known: {known})"),
            );
        }
    }
    if r.destinations.is_empty() {
        v.err(
            &join(path, "destinations"),
            "a route needs at least one destination",
        );
    }
    for (i, d) in r.destinations.iter().enumerate() {
        if !destinations.contains(d) {
            let known = known(destinations);
            v.err(
                &format!("{path}.destinations[{i}]"),
                format!("unknown destination {d:?} (known: {known})"),
            );
        }
    }
    for (field, globs) in [("kinds", &r.kinds), ("message_types", &r.message_types)] {
        for (i, g) in globs.iter().enumerate() {
            if g.is_empty() || g.chars().any(|c| c.is_whitespace() || c.is_control()) {
                v.err(
                    &format!("{path}.{field}[{i}]"),
                    format!(
                        "invalid pattern {g:?} (non-empty, no spaces; `*` and `?` are wildcards)"
                    ),
                );
            }
        }
    }
    if let Some(when) = &r.when
        && let Err(e) = validate_expression(when)
    {
        v.err(&join(path, "when"), e);
    }
    for (i, step) in r.steps.iter().enumerate() {
        if steps.contains(&step.as_str()) {
            continue;
        }
        let message = match STEPS.iter().find(|(name, _)| name == step) {
            Some((_, needs)) => format!("step {step:?} needs {needs} configured"),
            None => {
                let all: Vec<&str> = STEPS.iter().map(|(n, _)| *n).collect();
                format!("unknown step {step:?} (built in: {})", all.join(", "))
            }
        };
        v.err(&format!("{path}.steps[{i}]"), message);
    }
}
