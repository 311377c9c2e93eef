//! The one metric set every source and sink reports, defined in one place. Label values are
//! names from config (sources, destinations), message types and small fixed reason sets only:
//! never anything read from a message body that could identify a patient.

use std::time::{Duration, Instant};

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};

/// Why a source turned a message or connection away (the `reason` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    /// The bytes did not parse (HL7 v2 ER7 or JSON).
    Parse,
    /// Parsed, but a required field is missing (MSH-9, MSH-10, resourceType).
    Validate,
    /// Larger than the frame or body limit.
    Oversize,
    /// The journal could not store it: NAKed `AR` / 503.
    Unavailable,
    /// A connection beyond the source's connection cap.
    ConnectionLimit,
}

impl RejectReason {
    /// Every reason, for series created at zero.
    pub const ALL: [RejectReason; 5] = [
        Self::Parse,
        Self::Validate,
        Self::Oversize,
        Self::Unavailable,
        Self::ConnectionLimit,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Parse => "parse",
            Self::Validate => "validate",
            Self::Oversize => "oversize",
            Self::Unavailable => "unavailable",
            Self::ConnectionLimit => "connection_limit",
        }
    }
}

/// Handles to every connector metric. Cheap to clone; create once per registry.
#[derive(Debug, Clone)]
pub struct Metrics {
    received: IntCounterVec,
    accepted: IntCounterVec,
    rejected: IntCounterVec,
    duplicates: IntCounterVec,
    ack_latency: HistogramVec,
    open_connections: IntGaugeVec,
    sink_sends: IntCounterVec,
    sink_latency: HistogramVec,
}

const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

impl Metrics {
    /// Creates the metrics and registers them in `registry` (once per registry: registering
    /// twice is an error from `prometheus`).
    pub fn new(registry: &Registry) -> Result<Self, prometheus::Error> {
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(c.clone()))?;
            Ok::<_, prometheus::Error>(c)
        };
        let histogram = |name: &str, help: &str, label: &str| {
            let opts = HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec());
            let h = HistogramVec::new(opts, &[label])?;
            registry.register(Box::new(h.clone()))?;
            Ok::<_, prometheus::Error>(h)
        };
        let open_connections = IntGaugeVec::new(
            Opts::new(
                "junction_open_connections",
                "Connections currently open on a source.",
            ),
            &["source"],
        )?;
        registry.register(Box::new(open_connections.clone()))?;
        Ok(Self {
            received: counter(
                "junction_messages_received_total",
                "Messages received by a source, before journaling.",
                &["source", "type"],
            )?,
            accepted: counter(
                "junction_messages_accepted_total",
                "Messages journaled and acknowledged.",
                &["source", "type"],
            )?,
            rejected: counter(
                "junction_messages_rejected_total",
                "Messages or connections a source turned away, by reason.",
                &["source", "reason"],
            )?,
            duplicates: counter(
                "junction_duplicates_total",
                "Messages the journal already held (acknowledged, not stored again).",
                &["source"],
            )?,
            ack_latency: histogram(
                "junction_ack_latency_seconds",
                "From a message's last byte to its acknowledgement being written.",
                "source",
            )?,
            open_connections,
            sink_sends: counter(
                "junction_sink_sends_total",
                "Sends by a sink, by outcome (delivered, retry, permanent).",
                &["destination", "outcome"],
            )?,
            sink_latency: histogram(
                "junction_sink_latency_seconds",
                "Time a sink took for one send, whatever the outcome.",
                "destination",
            )?,
        })
    }

    /// Creates a source's series at zero, so the first scrape after a start shows the source
    /// (and a quiet-feed alert can fire on a source that never received anything). The
    /// per-type counters start under `type="unknown"`; other types appear as they arrive.
    pub fn add_source(&self, source: &str) {
        self.received.with_label_values(&[source, "unknown"]);
        self.accepted.with_label_values(&[source, "unknown"]);
        for reason in RejectReason::ALL {
            self.rejected.with_label_values(&[source, reason.as_str()]);
        }
        self.duplicates.with_label_values(&[source]);
        self.ack_latency.with_label_values(&[source]);
        self.open_connections.with_label_values(&[source]);
    }

    /// Creates a destination's sink series at zero.
    pub fn add_destination(&self, destination: &str) {
        for outcome in crate::SendOutcome::LABELS {
            self.sink_sends.with_label_values(&[destination, outcome]);
        }
        self.sink_latency.with_label_values(&[destination]);
    }

    /// A message arrived (`message_type` is sanitised to a bounded label).
    pub fn received(&self, source: &str, message_type: Option<&str>) {
        self.received
            .with_label_values(&[source, type_label(message_type)])
            .inc();
    }

    /// A message was journaled for the first time.
    pub fn accepted(&self, source: &str, message_type: Option<&str>) {
        self.accepted
            .with_label_values(&[source, type_label(message_type)])
            .inc();
    }

    /// A message or connection was turned away.
    pub fn rejected(&self, source: &str, reason: RejectReason) {
        self.rejected
            .with_label_values(&[source, reason.as_str()])
            .inc();
    }

    /// The journal already held the message.
    pub fn duplicate(&self, source: &str) {
        self.duplicates.with_label_values(&[source]).inc();
    }

    /// An acknowledgement was written `since` the message arrived.
    pub fn ack_latency(&self, source: &str, since: Instant) {
        self.ack_latency
            .with_label_values(&[source])
            .observe(since.elapsed().as_secs_f64());
    }

    /// Counts a connection as open until the guard is dropped.
    pub fn connection(&self, source: &str) -> ConnectionGuard {
        let gauge = self.open_connections.with_label_values(&[source]);
        gauge.inc();
        ConnectionGuard { gauge }
    }

    /// Records one sink send.
    pub fn sink_send(&self, destination: &str, outcome: &crate::SendOutcome, took: Duration) {
        self.sink_sends
            .with_label_values(&[destination, outcome.label()])
            .inc();
        self.sink_latency
            .with_label_values(&[destination])
            .observe(took.as_secs_f64());
    }
}

/// Decrements `junction_open_connections` when dropped.
#[derive(Debug)]
pub struct ConnectionGuard {
    gauge: prometheus::IntGauge,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

/// FHIR resource types that may appear as a `type` label; any other becomes `other`.
const FHIR_TYPES: &[&str] = &[
    "AllergyIntolerance",
    "Appointment",
    "Bundle",
    "Communication",
    "Condition",
    "DiagnosticReport",
    "DocumentReference",
    "Encounter",
    "ImagingStudy",
    "MedicationDispense",
    "MedicationRequest",
    "MessageHeader",
    "Observation",
    "Parameters",
    "Patient",
    "Procedure",
    "ServiceRequest",
    "Task",
];

/// A message type as a label. HL7 v2 types pass when shaped like `ADT^A01` or
/// `ADT^A01^ADT_A01` (three-character code and trigger, structure up to seven); FHIR types pass
/// when in a fixed list. Anything else (a sender's free text could be anything) is `other`;
/// absent is `unknown`.
pub fn type_label(message_type: Option<&str>) -> &str {
    let Some(t) = message_type else {
        return "unknown";
    };
    let code = |p: &str, max: usize| {
        (3..=max).contains(&p.len())
            && p.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    };
    let parts: Vec<&str> = t.split('^').collect();
    let hl7 = match parts.as_slice() {
        [c] => code(c, 3),
        [c, e] => code(c, 3) && code(e, 3),
        [c, e, s] => code(c, 3) && code(e, 3) && code(s, 7),
        _ => false,
    };
    if hl7 || FHIR_TYPES.contains(&t) {
        t
    } else {
        "other"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_labels_are_bounded() {
        assert_eq!(type_label(Some("ADT^A01")), "ADT^A01");
        assert_eq!(type_label(Some("ORU^R01^ORU_R01")), "ORU^R01^ORU_R01");
        assert_eq!(type_label(Some("Bundle")), "Bundle");
        assert_eq!(type_label(Some("SMITH^JOHN 9990000018")), "other");
        assert_eq!(type_label(Some("SMITH^JOHN")), "other");
        assert_eq!(type_label(Some("Smith")), "other");
        assert_eq!(type_label(Some("adt^a01")), "other");
        assert_eq!(type_label(None), "unknown");
    }

    #[test]
    fn added_sources_and_destinations_exist_at_zero() {
        let r = Registry::new();
        let m = Metrics::new(&r).unwrap();
        m.add_source("pas");
        m.add_destination("ris");
        let mut text = String::new();
        for family in r.gather() {
            for metric in family.get_metric() {
                let labels: Vec<String> = metric
                    .get_label()
                    .iter()
                    .map(|l| format!("{}={}", l.name(), l.value()))
                    .collect();
                text.push_str(&format!("{} {}\n", family.name(), labels.join(",")));
            }
        }
        for want in [
            "junction_messages_received_total source=pas,type=unknown",
            "junction_messages_accepted_total source=pas,type=unknown",
            "junction_messages_rejected_total reason=connection_limit,source=pas",
            "junction_duplicates_total source=pas",
            "junction_ack_latency_seconds source=pas",
            "junction_open_connections source=pas",
            "junction_sink_sends_total destination=ris,outcome=permanent",
            "junction_sink_latency_seconds destination=ris",
        ] {
            assert!(text.contains(want), "{want} missing from\n{text}");
        }
    }

    #[test]
    fn registering_twice_in_one_registry_fails() {
        let r = Registry::new();
        assert!(Metrics::new(&r).is_ok());
        assert!(Metrics::new(&r).is_err());
    }
}
