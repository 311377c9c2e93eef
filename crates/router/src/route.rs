//! Routes: the plain [`RouteSpec`] the binary builds from config, compiled (all errors at
//! once, no I/O) into a [`Router`] that decides, per event, which destinations get it.

use std::collections::{BTreeSet, HashSet};

use junction_model::Event;
use serde_json::Value;

use crate::matcher::GlobSet;
use crate::predicate::Predicate;

/// One route as configured. Empty `sources` or `message_types` match anything; empty `kinds`
/// match every kind but the pass-through ones (`hl7v2.*`, `junction.*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteSpec {
    /// Unique route name, reported with every match and in filter reasons.
    pub name: String,
    /// Source names (exact); empty = any source.
    pub sources: Vec<String>,
    /// Event kind globs, e.g. `patient.*`; empty = any kind.
    pub kinds: Vec<String>,
    /// Message type globs over `ADT^A01` style types, e.g. `ADT^A0*`; empty = any (an event
    /// without a message type matches only an empty list).
    pub message_types: Vec<String>,
    /// A predicate over the event (see [`crate::predicate`]); `None` = always.
    pub when: Option<String>,
    /// Destination (sink) names; at least one.
    pub destinations: Vec<String>,
    /// Named transform steps to run before delivery, in order.
    pub steps: Vec<String>,
}

/// What is wrong with one field of one route.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("route `{route}`: {field}: {message}")]
pub struct RouteError {
    /// The route's name (or `#<index>` when it has none).
    pub route: String,
    /// The field, e.g. `when` or `kinds[1]`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Names the routes may refer to; `None` means "don't check". The binary fills these from
/// its config so that a typo in a destination is a config error, not a dead letter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    /// Configured source names.
    pub sources: Option<BTreeSet<String>>,
    /// Configured destination names.
    pub destinations: Option<BTreeSet<String>>,
    /// Available step names.
    pub steps: Option<BTreeSet<String>>,
}

#[derive(Debug, Clone)]
struct Route {
    name: String,
    sources: Vec<String>,
    kinds: GlobSet,
    message_types: GlobSet,
    when: Option<Predicate>,
    destinations: Vec<String>,
    steps: Vec<String>,
}

/// Compiled routes, tried in order; every matching route contributes its destinations.
#[derive(Debug, Clone)]
pub struct Router {
    routes: Vec<Route>,
}

/// A route that matched an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedRoute {
    /// The route's name.
    pub name: String,
    /// Its destinations.
    pub destinations: Vec<String>,
    /// Its steps.
    pub steps: Vec<String>,
}

/// The decision for one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Deliver to these destinations.
    Deliver {
        /// The matching routes, in route order.
        routes: Vec<MatchedRoute>,
        /// Their destinations, each once, in first-matched order.
        destinations: Vec<String>,
    },
    /// No route wanted it.
    Filtered {
        /// Why, naming the kind and source (never patient data).
        reason: String,
    },
}

/// The router's decisions for one message's events, in event order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routing {
    /// One decision per event given to [`Router::route`].
    pub decisions: Vec<Decision>,
}

impl Router {
    /// Compiles routes, checking every route and reporting every problem at once.
    pub fn compile(specs: &[RouteSpec], known: &Known) -> Result<Router, Vec<RouteError>> {
        let mut errors = Vec::new();
        let mut routes = Vec::new();
        let mut names = HashSet::new();
        for (i, spec) in specs.iter().enumerate() {
            let route = if spec.name.is_empty() {
                format!("#{i}")
            } else {
                spec.name.clone()
            };
            let mut err = |field: String, message: String| {
                errors.push(RouteError {
                    route: route.clone(),
                    field,
                    message,
                });
            };
            if spec.name.trim().is_empty() {
                err("name".into(), "a route needs a name".into());
            } else if !names.insert(spec.name.as_str()) {
                err("name".into(), "another route has this name".into());
            }
            check_names(&spec.sources, "sources", known.sources.as_ref(), &mut err);
            check_names(
                &spec.destinations,
                "destinations",
                known.destinations.as_ref(),
                &mut err,
            );
            check_names(&spec.steps, "steps", known.steps.as_ref(), &mut err);
            if spec.destinations.is_empty() {
                err(
                    "destinations".into(),
                    "a route needs at least one destination".into(),
                );
            }
            let kinds = globs(&spec.kinds, "kinds", &mut err);
            let message_types = globs(&spec.message_types, "message_types", &mut err);
            let when = match spec.when.as_deref().map(Predicate::compile) {
                None => None,
                Some(Ok(p)) => Some(p),
                Some(Err(e)) => {
                    err("when".into(), e.to_string());
                    None
                }
            };
            routes.push(Route {
                name: spec.name.clone(),
                sources: spec.sources.clone(),
                kinds,
                message_types,
                when,
                destinations: spec.destinations.clone(),
                steps: spec.steps.clone(),
            });
        }
        if errors.is_empty() {
            Ok(Router { routes })
        } else {
            Err(errors)
        }
    }

    /// The number of routes.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// Whether there are no routes (everything is filtered).
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Decides, per event of one message from `source`, where it goes.
    pub fn route(&self, source: &str, events: &[Event]) -> Routing {
        let decisions = events.iter().map(|e| self.decide(source, e)).collect();
        Routing { decisions }
    }

    /// The steps to run on `event` (from `source`) before it is routed: those of every route
    /// whose source, kind and message type match, whatever its `when` says (a step's result is
    /// what `when` may test), each once, in route order.
    pub fn steps_for(&self, source: &str, event: &Event) -> Vec<&str> {
        let mut steps: Vec<&str> = Vec::new();
        for route in self.routes.iter().filter(|r| r.selects(source, event)) {
            for step in &route.steps {
                if !steps.contains(&step.as_str()) {
                    steps.push(step);
                }
            }
        }
        steps
    }

    /// Whether some route that takes events from `source` has steps: whether that source's
    /// events may need one, which only decoding them tells.
    pub fn may_need_steps(&self, source: &str) -> bool {
        self.routes
            .iter()
            .any(|r| !r.steps.is_empty() && r.takes_from(source))
    }

    fn decide(&self, source: &str, event: &Event) -> Decision {
        let kind = event.kind.as_str();
        // The JSON is built only if a predicate needs it, and at most once per event.
        let mut json: Option<Value> = None;
        let mut routes = Vec::new();
        let mut destinations: Vec<String> = Vec::new();
        for route in &self.routes {
            let hit = route.selects(source, event)
                && route.when.as_ref().is_none_or(|p| {
                    let json = json
                        .get_or_insert_with(|| serde_json::to_value(event).unwrap_or(Value::Null));
                    p.matches(json)
                });
            if !hit {
                continue;
            }
            for d in &route.destinations {
                if !destinations.contains(d) {
                    destinations.push(d.clone());
                }
            }
            routes.push(MatchedRoute {
                name: route.name.clone(),
                destinations: route.destinations.clone(),
                steps: route.steps.clone(),
            });
        }
        if routes.is_empty() {
            Decision::Filtered {
                reason: format!("no route matched event kind {kind} from source {source}"),
            }
        } else {
            Decision::Deliver {
                routes,
                destinations,
            }
        }
    }
}

impl Route {
    /// Source, kind and message type match (everything but `when`).
    fn takes_from(&self, source: &str) -> bool {
        self.sources.is_empty() || self.sources.iter().any(|s| s == source)
    }

    /// A route with no `kinds` takes every clinical kind but no pass-through one
    /// (`hl7v2.*`, `junction.*`): those it takes only when its `kinds` name them.
    fn selects(&self, source: &str, event: &Event) -> bool {
        let kind_taken = if self.kinds.is_any() {
            !event.kind.is_pass_through()
        } else {
            self.kinds.matches(event.kind.as_str())
        };
        self.takes_from(source)
            && kind_taken
            && self
                .message_types
                .matches_opt(event.message_type.as_deref())
    }
}

fn check_names(
    names: &[String],
    field: &str,
    known: Option<&BTreeSet<String>>,
    err: &mut impl FnMut(String, String),
) {
    for (i, name) in names.iter().enumerate() {
        if name.trim().is_empty() {
            err(format!("{field}[{i}]"), "empty name".into());
        } else if let Some(known) = known
            && !known.contains(name)
        {
            let choices: Vec<&str> = known.iter().map(String::as_str).collect();
            err(
                format!("{field}[{i}]"),
                format!("unknown `{name}` (known: {})", choices.join(", ")),
            );
        }
    }
}

fn globs(patterns: &[String], field: &str, err: &mut impl FnMut(String, String)) -> GlobSet {
    GlobSet::new(patterns).unwrap_or_else(|bad| {
        for (i, message) in bad {
            err(format!("{field}[{i}]"), message);
        }
        GlobSet::default()
    })
}
