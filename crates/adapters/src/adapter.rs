//! The supplier-facing API: [`Inbound`] (what the gateway hands an adapter) and the [`Adapter`]
//! trait every built-in and third-party adapter implements.

use junction_model::Event;

use crate::error::DecodeError;

/// A raw message as the gateway received it, with the metadata an adapter may use.
///
/// Everything an adapter needs that is not in the bytes is here, so adapters stay pure: the
/// receive time is an input, not a clock reading.
#[derive(Debug, Clone, Copy)]
pub struct Inbound<'a> {
    /// The raw message, as received (framing removed).
    pub bytes: &'a [u8],
    /// The source name from config (e.g. `"pas"`); part of every derived id.
    pub source: &'a str,
    /// FHIR instant when Junction received the message (e.g. `"2026-01-01T00:00:00Z"`).
    pub received_at: &'a str,
    /// The journal's id for the raw message; copied to [`Event::correlation_id`].
    pub correlation_id: &'a str,
    /// The content type, when the transport said (HTTP ingest); `None` for MLLP.
    pub content_type: Option<&'a str>,
}

/// Decodes raw messages from one kind of system into [`Event`]s.
///
/// Implementations must be **pure**: no I/O, no clock, no randomness. Ids are derived from the
/// message with [`junction_model::deterministic_id`], so replaying a journalled message yields
/// the same events. A message that cannot be interpreted safely is a [`DecodeError`] (the gateway
/// keeps it with the reason and NAKs it); a data-quality problem that does not make the message
/// unsafe is an [`Event::warnings`] entry instead, so patient flow never stops for it.
pub trait Adapter: Send + Sync {
    /// The adapter's registry name, e.g. `"pas"`.
    fn name(&self) -> &'static str;

    /// Every event kind [`Adapter::decode`] can produce: each a kind name
    /// (`"patient.admitted"`) or a prefix ending in `*` (`"fhir.*"`). `junction check` refuses
    /// a route whose `kinds` can match none of its sources' kinds (a typo such as
    /// `referal.received` would otherwise never match), and the golden tests fail on an event
    /// of a kind not declared here ([`declares_kind`]).
    fn kinds(&self) -> &'static [&'static str];

    /// Decodes one message into zero or more events.
    fn decode(&self, msg: &Inbound<'_>) -> Result<Vec<Event>, DecodeError>;
}

impl<A: Adapter + ?Sized> Adapter for Box<A> {
    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn kinds(&self) -> &'static [&'static str] {
        (**self).kinds()
    }

    fn decode(&self, msg: &Inbound<'_>) -> Result<Vec<Event>, DecodeError> {
        (**self).decode(msg)
    }
}

/// Whether `adapter` declares `kind` among its [`Adapter::kinds`].
pub fn declares_kind(adapter: &dyn Adapter, kind: &str) -> bool {
    adapter.kinds().iter().any(|k| match k.strip_suffix('*') {
        Some(prefix) => kind.starts_with(prefix),
        None => *k == kind,
    })
}
