//! The Grafana side of the Docker deployment: the PromQL expressions a dashboard JSON holds
//! and the data sources its panels name.

use std::collections::BTreeSet;

use super::promql::{metric_names, variable_query_expr};

/// Every PromQL expression in the dashboard JSON: panel targets (rows included) and the
/// metric-backed template variable queries.
pub fn dashboard_exprs(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, x) in map {
                match (k.as_str(), x) {
                    ("expr", serde_json::Value::String(s)) => out.push(s.clone()),
                    ("query", serde_json::Value::String(s)) => {
                        out.extend(variable_query_expr(s).map(str::to_owned));
                    }
                    _ => dashboard_exprs(x, out),
                }
            }
        }
        serde_json::Value::Array(list) => list.iter().for_each(|x| dashboard_exprs(x, out)),
        _ => {}
    }
}

/// Every metric name the expressions select.
pub fn names_in(exprs: &[String]) -> BTreeSet<String> {
    exprs.iter().flat_map(|e| metric_names(e)).collect()
}

/// The `uid` of every `datasource` the dashboard names.
pub fn collect_uids(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(map) => {
            if let Some(ds) = map.get("datasource")
                && let Some(uid) = ds.get("uid").and_then(|u| u.as_str())
            {
                out.insert(uid.to_owned());
            }
            map.values().for_each(|x| collect_uids(x, out));
        }
        serde_json::Value::Array(list) => list.iter().for_each(|x| collect_uids(x, out)),
        _ => {}
    }
}
