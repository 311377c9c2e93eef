//! What both backends check and decide the same way when a message is journaled and routed:
//! the state it is journaled with; to be routed it must still be `received`, its outcome must
//! name each event once and deliver only events it holds, and the outcome gives the message's
//! new state and reason.

use std::collections::HashSet;

use crate::{
    MessageId, MessageState, MessageStatus, NewMessage, RouteOutcome, StoreError, StoredEvent,
};

/// Refuses to route a message that is no longer `received` (routed elsewhere, replayed, …).
pub(crate) fn expect_received(id: MessageId, state: String) -> Result<(), StoreError> {
    if state == "received" {
        Ok(())
    } else {
        Err(StoreError::InvalidState {
            id: id.0,
            state,
            expected: "received",
        })
    }
}

/// A filtered or failed message is routed again only while none of its deliveries is being
/// sent (a failed message's pass-through events may have some).
pub(crate) fn expect_none_leased(
    id: MessageId,
    state: &str,
    leased: i64,
) -> Result<(), StoreError> {
    if leased == 0 {
        Ok(())
    } else {
        Err(StoreError::InvalidState {
            id: id.0,
            state: format!("{state}, with a delivery being sent"),
            expected: "no delivery being sent",
        })
    }
}

/// Checks an outcome's events and deliveries before anything is written.
pub(crate) fn check_outcome(outcome: &RouteOutcome) -> Result<(), StoreError> {
    match outcome {
        RouteOutcome::Routed { events, deliveries }
        | RouteOutcome::Failed {
            events, deliveries, ..
        } => {
            let ids = event_ids(events)?;
            if deliveries
                .iter()
                .any(|d| !ids.contains(d.event_id.as_str()))
            {
                return Err(StoreError::Invalid(
                    "delivery names an event not in the outcome",
                ));
            }
            Ok(())
        }
        RouteOutcome::Filtered { events, .. } => event_ids(events).map(|_| ()),
    }
}

/// The message's state and reason after `outcome`.
pub(crate) fn new_state(outcome: &RouteOutcome) -> (&'static str, Option<&str>) {
    let reason = match outcome {
        RouteOutcome::Routed { .. } => None,
        RouteOutcome::Filtered { reason, .. } | RouteOutcome::Failed { reason, .. } => {
            Some(reason.as_str())
        }
    };
    (outcome.status().as_str(), reason)
}

/// The state and reason a message is journaled with before anything routes it.
pub(crate) fn journal_state(msg: &NewMessage) -> (&'static str, Option<&str>) {
    match &msg.state {
        MessageState::Received => (MessageStatus::Received.as_str(), None),
        MessageState::Rejected { reason } => {
            (MessageStatus::Rejected.as_str(), Some(reason.as_str()))
        }
    }
}

fn event_ids(events: &[StoredEvent]) -> Result<HashSet<&str>, StoreError> {
    let mut ids = HashSet::with_capacity(events.len());
    for e in events {
        if !ids.insert(e.id.as_str()) {
            return Err(StoreError::Invalid("duplicate event id in outcome"));
        }
    }
    Ok(ids)
}
