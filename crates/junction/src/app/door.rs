//! Routing at the door: a message decoded and routed before it is journaled, so the store
//! records it, its events and its deliveries in one transaction (one commit, no read back)
//! instead of journaling it for the pipeline to route later. Used when the store can reserve
//! the message id first (SQLite; the id is the events' correlation id) and no event needs a
//! routing step (steps may do I/O, and run in the pipeline). The store itself routes it only
//! while no other message waits for the pipeline, so journal order per patient holds.

use std::sync::Arc;

use junction_router::{Router, Wakers, destinations, failed_with, route_outcome};
use junction_store::{MessageId, MessageStatus, NewMessage, RouteOutcome};

use crate::app::payloads::DestinationPayloads;
use crate::app::pipeline::{Decoders, MessageEvents, OnRouted, decode};

/// What routing at the door needs: the pipeline's adapters, routes and payload rules.
pub struct DoorRouting {
    /// Decoder per source name.
    pub adapters: Decoders,
    pub router: Arc<Router>,
    /// What each destination is sent.
    pub payloads: Arc<DestinationPayloads>,
    pub wakers: Wakers,
    /// Counts routing outcomes for `/metrics`.
    pub on_routed: OnRouted,
}

/// A message's routing, planned before it is journaled.
pub struct Planned {
    pub outcome: RouteOutcome,
    /// What to do once the store recorded it.
    pub then: Recorded,
}

/// What follows a planned routing the store recorded.
pub struct Recorded {
    /// The status recorded, for the routing metric.
    status: MessageStatus,
    /// Destinations to wake.
    wake: Vec<String>,
}

impl Planned {
    /// `outcome`, with what follows it read off before it moves into the store.
    fn of(outcome: RouteOutcome) -> Planned {
        let then = Recorded {
            status: outcome.status(),
            wake: destinations(&outcome),
        };
        Planned { outcome, then }
    }
}

impl DoorRouting {
    /// The routing of `msg`, to be journaled as `id`; `None` when an event needs a routing
    /// step, so the pipeline must route it.
    pub fn plan(&self, id: MessageId, msg: &NewMessage) -> Option<Planned> {
        // A source with a stepped route (the default config's PAS: `pds_verify`) is left to
        // the pipeline without decoding here: for such a source a step is the rule, and
        // finding that out meant decoding each message twice, here and in the pipeline.
        if self.router.may_need_steps(&msg.source) {
            return None;
        }
        let decoded = decode(
            &self.adapters,
            id,
            &msg.source,
            msg.received_at,
            &msg.raw,
            &msg.content_type,
        );
        let MessageEvents { events, failure } = decoded;
        if events.is_empty()
            && let Some(reason) = failure
        {
            return Some(Planned::of(RouteOutcome::failed(reason)));
        }
        if events
            .iter()
            .any(|e| !self.router.steps_for(&msg.source, e).is_empty())
        {
            return None;
        }
        let routing = self.router.route(&msg.source, &events);
        let payloads = self.payloads.for_message(&msg.raw);
        let outcome = route_outcome(&routing, &events, &payloads);
        Some(Planned::of(match failure {
            Some(reason) => failed_with(outcome, reason),
            None => outcome,
        }))
    }

    /// After the store recorded a planned routing: wakes its destinations, counts it.
    pub fn recorded(&self, source: &str, then: &Recorded) {
        for destination in &then.wake {
            self.wakers.wake(destination);
        }
        (self.on_routed)(source, then.status);
    }
}
