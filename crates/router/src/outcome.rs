//! From the router's [`Routing`] to the store's [`RouteOutcome`], and the one call that records
//! it: the same store transaction marks the message routed (or filtered) and writes its
//! deliveries, then the destinations' dispatchers are woken.

use junction_model::Event;
use junction_store::{
    MessageId, MessageStatus, NewDelivery, RouteOutcome, Store, StoreError, StoredEvent,
};

use crate::dispatch::Wakers;
use crate::route::{Decision, Router, Routing};

/// The filter reason for a message its adapter turned into no events.
pub const NO_EVENTS: &str = "adapter produced no events";

/// What one destination is sent for one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// The event's JSON (stored once with the event, referred to).
    EventJson,
    /// Something made from the event for this destination: HL7 v2 for a local system, a copy
    /// without a restricted record's address, several line events made into one message.
    Text(String),
    /// Nothing: another event of the same message carries this one to the destination (the
    /// lines of one prescription go to EPS as one message), so no delivery is made.
    Covered,
}

/// What each destination is sent for an event.
pub trait Payloads: Send + Sync {
    /// The payload of `event` (one of `events`, the message's events) for `destination`;
    /// `Err(reason)`: it cannot be made, so the message fails with the reason (kept, visible,
    /// replayable once the config is fixed).
    fn payload(
        &self,
        event: &Event,
        events: &[Event],
        destination: &str,
    ) -> Result<Payload, String>;
}

/// Every destination gets the event's JSON.
pub struct EventJson;

impl Payloads for EventJson {
    fn payload(&self, _: &Event, _: &[Event], _: &str) -> Result<Payload, String> {
        Ok(Payload::EventJson)
    }
}

/// The store outcome for `events` (the ones given to [`Router::route`]) and their `routing`.
///
/// Every event is stored; each (event, destination) becomes one delivery of the event's JSON
/// (referred to, not copied) and whose ordering key is the event's patient key. When no event goes anywhere
/// the message is filtered with the distinct reasons joined by `; `.
pub fn route_outcome(routing: &Routing, events: &[Event], payloads: &dyn Payloads) -> RouteOutcome {
    let mut stored = Vec::with_capacity(events.len());
    let mut deliveries = Vec::new();
    for (event, decision) in events.iter().zip(&routing.decisions) {
        let json = event.to_json();
        if let Decision::Deliver { destinations, .. } = decision {
            for destination in destinations {
                let payload = match payloads.payload(event, events, destination) {
                    Ok(Payload::EventJson) => None,
                    Ok(Payload::Text(text)) => Some(text),
                    Ok(Payload::Covered) => continue,
                    Err(reason) => {
                        return RouteOutcome::failed(format!(
                            "destination `{destination}`: {reason}"
                        ));
                    }
                };
                deliveries.push(NewDelivery {
                    event_id: event.id.clone(),
                    destination: destination.clone(),
                    ordering_key: event.patient_key.clone(),
                    payload,
                });
            }
        }
        stored.push(StoredEvent {
            id: event.id.clone(),
            kind: event.kind.as_str().to_owned(),
            patient_key: event.patient_key.clone(),
            json,
        });
    }
    if !deliveries.is_empty() {
        return RouteOutcome::Routed {
            events: stored,
            deliveries,
        };
    }
    let mut reasons: Vec<&str> = Vec::new();
    for decision in &routing.decisions {
        if let Decision::Filtered { reason } = decision
            && !reasons.contains(&reason.as_str())
        {
            reasons.push(reason);
        }
    }
    let reason = if reasons.is_empty() {
        NO_EVENTS.to_owned()
    } else {
        reasons.join("; ")
    };
    RouteOutcome::Filtered {
        reason,
        events: stored,
    }
}

/// `outcome` recorded as failed with the adapter's `reason`, keeping the events and deliveries
/// it routed (a message's pass-through and decode-failed events still go where routes say).
pub fn failed_with(outcome: RouteOutcome, reason: String) -> RouteOutcome {
    match outcome {
        RouteOutcome::Routed { events, deliveries } => RouteOutcome::Failed {
            reason,
            events,
            deliveries,
        },
        RouteOutcome::Filtered { events, .. } => RouteOutcome::Failed {
            reason,
            events,
            deliveries: Vec::new(),
        },
        RouteOutcome::Failed {
            reason: payload,
            events,
            deliveries,
        } => RouteOutcome::Failed {
            reason: format!("{reason}; {payload}"),
            events,
            deliveries,
        },
    }
}

/// What [`route_message`] works with.
pub struct RouteWith<'a, S> {
    /// Where the outcome is recorded.
    pub store: &'a S,
    /// The dispatchers to wake.
    pub wakers: &'a Wakers,
    /// The routes.
    pub router: &'a Router,
    /// What each destination is sent.
    pub payloads: &'a dyn Payloads,
}

/// The destinations `outcome` queues deliveries for, each once, in first-delivery order: the
/// dispatchers to wake once it is recorded.
pub fn destinations(outcome: &RouteOutcome) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    if let RouteOutcome::Routed { deliveries, .. } | RouteOutcome::Failed { deliveries, .. } =
        outcome
    {
        for d in deliveries {
            if !found.contains(&d.destination) {
                found.push(d.destination.clone());
            }
        }
    }
    found
}

/// Routes one decoded message and records the outcome in one store transaction, then wakes
/// the dispatchers of every destination that got a delivery. Returns the status recorded:
/// `Failed` when the adapter failed (`failure`, the reason) or a destination's payload could not
/// be made; its events and deliveries are recorded all the same.
pub async fn route_message<S: Store>(
    with: &RouteWith<'_, S>,
    message: MessageId,
    source: &str,
    events: &[Event],
    failure: Option<String>,
    now: i64,
) -> Result<MessageStatus, StoreError> {
    let RouteWith {
        store,
        wakers,
        router,
        payloads,
    } = with;
    let routing = router.route(source, events);
    let outcome = route_outcome(&routing, events, *payloads);
    let outcome = match failure {
        Some(reason) => failed_with(outcome, reason),
        None => outcome,
    };
    let woken = destinations(&outcome);
    let status = outcome.status();
    store.route(message, outcome, now).await?;
    for destination in &woken {
        wakers.wake(destination);
    }
    Ok(status)
}
