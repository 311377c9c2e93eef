//! The admin API: a JSON HTTP API under `/api` over the store, for operators to find
//! messages, see where each one went, look at bodies, and replay or purge deliveries.
//!
//! | route | role |
//! |---|---|
//! | `GET /api/openapi.json` (this API as OpenAPI 3.1) | viewer |
//! | `GET /api/messages?from&to&source&state&message_type&control_id&patient_key&limit&before` | viewer |
//! | `GET /api/messages/{id}` | viewer |
//! | `GET /api/messages/{id}?include=body` | operator (audited) |
//! | `GET /api/messages/{id}/raw` | operator (audited) |
//! | `POST /api/messages/{id}/replay` | operator (audited) |
//! | `POST /api/destinations/{name}/replay-dead` | operator (audited) |
//! | `DELETE /api/destinations/{name}/dead` | admin (audited) |
//! | `GET /api/queues` | viewer |
//!
//! Serve the router with `into_make_service_with_connect_info::<SocketAddr>()` (or [`serve`]):
//! audit records carry the client address, and with no tokens configured only clients seen
//! to be on loopback are let in. Every 401 and 403 is audited too (`access.denied`, with the
//! token's name or `none`, the route and the status), so probing is visible.

mod actions;
mod audit;
mod auth;
mod error;
mod messages;
mod openapi;
mod views;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};
use junction_store::Store;

#[allow(unused_imports)] // the module's surface; tests and later commands use all of it
pub use audit::{AuditAction, AuditLog};
#[allow(unused_imports)] // the module's surface; tests and later commands use all of it
pub use auth::{Caller, Exposure, LOOPBACK_CALLER, Role, Token, check_exposure, validate_tokens};
#[allow(unused_imports)] // the module's surface; tests and later commands use all of it
pub use error::ApiError;
#[allow(unused_imports)] // the module's surface; tests and later commands use all of it
pub use messages::{DEFAULT_LIMIT, MAX_LIMIT};

/// Called after every replay so dispatchers look at the outbox at once.
pub type ReplayHook = Arc<dyn Fn() + Send + Sync>;

/// What the admin handlers share.
pub struct AdminState<S> {
    /// The journal and outbox.
    pub store: S,
    /// Accepted bearer tokens; empty means open to loopback clients only.
    pub tokens: Vec<Token>,
    /// Where views of patient data and outbox changes are recorded.
    pub audit: AuditLog,
    /// Wakes the dispatchers after a replay.
    pub replay_hook: ReplayHook,
    /// The configured destinations: `GET /api/queues` lists each, with zeros when it has
    /// nothing waiting, as `/metrics` does.
    pub destinations: Vec<String>,
    /// Those of them that send over MESH: a message's detail names the MESH message id of
    /// their deliveries (looked up for these only).
    pub mesh_destinations: Vec<String>,
}

impl<S> fmt::Debug for AdminState<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminState")
            .field("tokens", &self.tokens)
            .field("audit", &self.audit.path())
            .finish_non_exhaustive()
    }
}

/// One route of the admin API: its method and path (axum syntax, as in the OpenAPI
/// document) and the handler serving it.
pub struct Route<S> {
    /// The HTTP method.
    #[allow(dead_code)] // read by the test that holds the OpenAPI document to this table
    pub method: Method,
    /// The path, with `{param}` placeholders.
    pub path: &'static str,
    handler: MethodRouter<Arc<AdminState<S>>>,
}

fn at<S, H, T>(method: Method, path: &'static str, handler: H) -> Route<S>
where
    S: Store,
    H: Handler<T, Arc<AdminState<S>>>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
    Route {
        method,
        path,
        handler: on(filter, handler),
    }
}

/// Every route the admin API serves: [`router`] is built from this table and nothing else,
/// and a test holds the OpenAPI document to it.
pub fn routes<S: Store>() -> Vec<Route<S>> {
    vec![
        at(Method::GET, "/api/openapi.json", openapi::document::<S>),
        at(Method::GET, "/api/messages", messages::list::<S>),
        at(Method::GET, "/api/messages/{id}", messages::detail::<S>),
        at(Method::GET, "/api/messages/{id}/raw", messages::raw::<S>),
        at(
            Method::POST,
            "/api/messages/{id}/replay",
            actions::replay_message::<S>,
        ),
        at(
            Method::POST,
            "/api/destinations/{name}/replay-dead",
            actions::replay_dead::<S>,
        ),
        at(
            Method::DELETE,
            "/api/destinations/{name}/dead",
            actions::purge_dead::<S>,
        ),
        at(Method::GET, "/api/queues", actions::queues::<S>),
    ]
}

/// The admin API's routes, all under `/api`; merge it with the other HTTP routes.
pub fn router<S: Store>(state: AdminState<S>) -> Router {
    let state = Arc::new(state);
    let mut router = Router::new();
    for route in routes::<S>() {
        router = router.route(route.path, route.handler);
    }
    router
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            audit::record_denials::<S>,
        ))
        .with_state(state)
}

/// Serves `app` on `listener` with client addresses available to handlers, until the
/// future is dropped or `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
