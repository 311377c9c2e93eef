//! Junction's routing core: [`Router`] decides which destinations get each decoded event,
//! [`route_message`] records that decision in one store transaction, and a [`Dispatcher`] per
//! destination drains the outbox through a [`Sink`], with retries, a circuit breaker and
//! per-patient ordering.
//!
//! This crate knows no TOML and no metrics library: the binary builds [`RouteSpec`]s and
//! [`DispatchConfig`]s from its config, and implements [`DispatchObserver`] for metrics.

pub mod dispatch;
pub mod matcher;
mod outcome;
pub mod predicate;
mod route;

pub use dispatch::{
    BreakerPolicy, BreakerState, Clock, DispatchConfig, DispatchObserver, DispatchReport,
    Dispatcher, NoopDispatchObserver, RetryPolicy, SendOutcome, Sink, SystemClock, TokioClock,
    Wakers,
};
pub use outcome::{
    EventJson, NO_EVENTS, Payload, Payloads, RouteWith, destinations, failed_with, route_message,
    route_outcome,
};
pub use predicate::{Predicate, PredicateError};
pub use route::{Decision, Known, MatchedRoute, RouteError, RouteSpec, Router, Routing};
