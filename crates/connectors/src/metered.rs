//! Metrics around sources and sinks that do not count for themselves (the national-service
//! pollers and sinks): [`MeteredIngest`] counts what a poller hands the journal as the
//! listeners count what they receive, [`MeteredSink`] counts sends as the local sinks do.

use std::time::Instant;

use crate::metrics::RejectReason;
use crate::{Inbound, Ingest, IngestOutcome, Metrics, OutboundDelivery, SendOutcome, Sink};

/// An [`Ingest`] that counts received, accepted, duplicate and refused messages per source.
#[derive(Debug, Clone)]
pub struct MeteredIngest<I> {
    inner: I,
    metrics: Metrics,
}

impl<I: Ingest> MeteredIngest<I> {
    /// Counts what passes through to `inner`.
    pub fn new(inner: I, metrics: Metrics) -> Self {
        Self { inner, metrics }
    }

    fn count(&self, source: &str, message_type: Option<&str>, outcome: &IngestOutcome) {
        match outcome {
            IngestOutcome::Accepted { .. } => self.metrics.accepted(source, message_type),
            IngestOutcome::Duplicate { .. } => self.metrics.duplicate(source),
            IngestOutcome::Unavailable { .. } => {
                self.metrics.rejected(source, RejectReason::Unavailable);
            }
        }
    }
}

impl<I: Ingest> Ingest for MeteredIngest<I> {
    async fn accept(&self, msg: Inbound) -> IngestOutcome {
        let (source, message_type) = (msg.source.clone(), msg.message_type.clone());
        self.metrics.received(&source, message_type.as_deref());
        let outcome = self.inner.accept(msg).await;
        self.count(&source, message_type.as_deref(), &outcome);
        outcome
    }

    async fn reject(&self, msg: Inbound, reason: String) -> IngestOutcome {
        let source = msg.source.clone();
        self.metrics.received(&source, msg.message_type.as_deref());
        self.metrics.rejected(&source, RejectReason::Parse);
        self.inner.reject(msg, reason).await
    }
}

/// A [`Sink`] whose sends are counted and timed in `junction_sink_*`.
#[derive(Debug)]
pub struct MeteredSink<S> {
    inner: S,
    metrics: Metrics,
}

impl<S: Sink> MeteredSink<S> {
    /// Counts `inner`'s sends.
    pub fn new(inner: S, metrics: Metrics) -> Self {
        Self { inner, metrics }
    }
}

impl<S: Sink> Sink for MeteredSink<S> {
    async fn send(&self, d: &OutboundDelivery) -> SendOutcome {
        let started = Instant::now();
        let outcome = self.inner.send(d).await;
        self.metrics
            .sink_send(&d.destination, &outcome, started.elapsed());
        outcome
    }
}
