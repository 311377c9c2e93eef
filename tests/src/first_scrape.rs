//! What an operator's dashboards and alerts need from a node's very first scrape: every series
//! of every configured source, destination and national service, present before any message
//! (a series that appears only with its first increment shows "No data" and never alerts).

/// A sample line of `name` whose labels include every one of `labels`.
pub fn has_series(text: &str, name: &str, labels: &[(&str, &str)]) -> bool {
    text.lines().filter(|l| !l.starts_with('#')).any(|l| {
        let Some((series, _value)) = l.rsplit_once(' ') else {
            return false;
        };
        let (metric, label_text) = series.split_once('{').unwrap_or((series, ""));
        metric == name
            && labels
                .iter()
                .all(|(k, v)| label_text.contains(&format!("{k}=\"{v}\"")))
    })
}

/// The series missing from `text` (Prometheus exposition) for these sources, destinations and
/// national services (`pds`, `ers`, `eps`, `mesh`), plus the process metrics.
pub fn missing_series(
    text: &str,
    sources: &[&str],
    destinations: &[&str],
    services: &[&str],
) -> Vec<String> {
    let mut want: Vec<(String, Vec<(&str, String)>)> = Vec::new();
    let mut add = |name: &str, labels: Vec<(&'static str, String)>| {
        want.push((name.to_owned(), labels));
    };
    for s in sources {
        let source = || ("source", (*s).to_owned());
        for name in [
            "junction_messages_received_total",
            "junction_messages_accepted_total",
            "junction_duplicates_total",
            "junction_ack_latency_seconds_count",
            "junction_open_connections",
        ] {
            add(name, vec![source()]);
        }
        for reason in [
            "parse",
            "validate",
            "oversize",
            "unavailable",
            "connection_limit",
        ] {
            let labels = vec![source(), ("reason", reason.to_owned())];
            add("junction_messages_rejected_total", labels);
        }
        for outcome in ["routed", "filtered", "failed"] {
            let labels = vec![source(), ("outcome", outcome.to_owned())];
            add("junction_messages_routed_total", labels);
        }
    }
    for d in destinations {
        let dest = || ("destination", (*d).to_owned());
        for outcome in ["delivered", "retried", "dead"] {
            let labels = vec![dest(), ("outcome", outcome.to_owned())];
            add("junction_deliveries_total", labels);
        }
        for outcome in ["delivered", "retry", "permanent"] {
            let labels = vec![dest(), ("outcome", outcome.to_owned())];
            add("junction_sink_sends_total", labels);
        }
        for state in ["pending", "leased", "dead"] {
            let labels = vec![dest(), ("state", state.to_owned())];
            add("junction_queue_depth", labels);
        }
        for name in [
            "junction_delivery_latency_seconds_count",
            "junction_sink_latency_seconds_count",
            "junction_queue_oldest_age_seconds",
            "junction_breaker_open",
        ] {
            add(name, vec![dest()]);
        }
    }
    for service in services {
        let svc = || ("service", (*service).to_owned());
        for outcome in ["ok", "failed"] {
            let labels = vec![svc(), ("outcome", outcome.to_owned())];
            add("junction_national_token_refreshes_total", labels);
        }
        add("junction_national_rate_limited_total", vec![svc()]);
        if *service == "pds" {
            for outcome in junction_national::metrics::PDS_OUTCOMES {
                let labels = vec![("outcome", (*outcome).to_owned())];
                add("junction_pds_lookups_total", labels);
            }
        }
    }
    for name in [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
        "junction_store_commit_failures_total",
        "junction_store_commit_seconds_count",
    ] {
        add(name, Vec::new());
    }
    want.into_iter()
        .filter(|(name, labels)| {
            let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
            !has_series(text, name, &labels)
        })
        .map(|(name, labels)| format!("{name}{labels:?}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_label_value_is_reported() {
        let text = "# HELP x\nprocess_open_fds 9\njunction_breaker_open{destination=\"ris\",node=\"a\"} 0\n";
        assert!(has_series(
            text,
            "junction_breaker_open",
            &[("destination", "ris")]
        ));
        assert!(!has_series(
            text,
            "junction_breaker_open",
            &[("destination", "pas")]
        ));
        let missing = missing_series(text, &[], &["ris"], &[]);
        assert!(
            missing
                .iter()
                .any(|m| m.starts_with("junction_queue_depth"))
        );
        assert!(
            !missing
                .iter()
                .any(|m| m.starts_with("junction_breaker_open"))
        );
        assert!(!missing.iter().any(|m| m.starts_with("process_open_fds")));
    }
}
