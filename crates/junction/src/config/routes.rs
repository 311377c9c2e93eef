//! Route checks: sources and destinations that exist, non-empty globs, known steps, and the
//! router's compiler checking `when` expressions.

use junction_adapters::AdapterOptions;
use junction_router::matcher::Glob;

use super::components::{Route, Source};
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

/// What each source read from the file can produce: its name and its adapter's declared
/// kinds (`None` for an adapter that is not built in, reported elsewhere).
pub(super) type SourceKinds = Vec<(String, Option<&'static [&'static str]>)>;

/// Each source's adapter's declared kinds.
pub(super) fn source_kinds(sources: &[(usize, Source)]) -> SourceKinds {
    sources
        .iter()
        .map(|(_, s)| {
            let kinds = junction_adapters::built_in(&s.adapter, AdapterOptions::default())
                .ok()
                .map(|a| a.kinds());
            (s.name.clone(), kinds)
        })
        .collect()
}

/// Whether the kind glob `g` can match some kind one of the route's sources produces (its
/// adapter's, or a pass-through kind any source has, `junction_adapters::passthrough::KINDS`);
/// `None`
/// when that cannot be told (a source that failed to read or has an unknown adapter).
fn kind_reachable(g: &Glob, r: &Route, all: &[String], kinds: &SourceKinds) -> Option<bool> {
    let names = if r.sources.is_empty() {
        all
    } else {
        &r.sources
    };
    let mut reachable = false;
    for name in names {
        let (_, declared) = kinds.iter().find(|(n, _)| n == name)?;
        reachable |= (*declared)?
            .iter()
            .chain(junction_adapters::passthrough::KINDS)
            .any(|k| Glob::new(k).is_ok_and(|k| k.intersects(g)));
    }
    Some(reachable)
}

/// The kinds the route's sources produce, for an error message.
fn produced(r: &Route, kinds: &SourceKinds) -> String {
    let mut out: Vec<&str> = Vec::new();
    for (name, declared) in kinds {
        if r.sources.is_empty() || r.sources.contains(name) {
            let own = declared.unwrap_or_default();
            for k in own.iter().chain(junction_adapters::passthrough::KINDS) {
                if !out.contains(k) {
                    out.push(k);
                }
            }
        }
    }
    out.join(", ")
}

pub(super) fn check(
    v: &mut Checker<'_>,
    path: &str,
    r: &Route,
    sources: &[String],
    source_kinds: &SourceKinds,
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
            let Ok(glob) = Glob::new(g) else {
                v.err(
                    &format!("{path}.{field}[{i}]"),
                    format!(
                        "invalid pattern {g:?} (non-empty, no spaces; `*` and `?` are wildcards)"
                    ),
                );
                continue;
            };
            if field == "kinds"
                && !sources.is_empty()
                && kind_reachable(&glob, r, sources, source_kinds) == Some(false)
            {
                v.err(
                    &format!("{path}.kinds[{i}]"),
                    format!(
                        "{g:?} matches no event kind this route's sources produce ({})",
                        produced(r, source_kinds)
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
