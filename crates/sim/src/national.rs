//! The national services on one listener, as the gateway's `[simulators] national` serves them:
//! the API platform's token endpoint, PDS, e-RS and EPS under their published base paths. With
//! auth on, every service answers 401 to a request without a bearer token the token endpoint
//! issued (the platform's own check, as one middleware in front of all three).

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;

use crate::eps::{EpsSim, EpsSimOptions};
use crate::ers::ErsSim;
use crate::pds::PdsServer;
use crate::platform::{BadPublicKey, Platform, PlatformConfig};

/// PDS's base path.
pub const PDS_BASE: &str = "/personal-demographics/FHIR/R4";
/// e-RS's base path (the client adds `/STU3/…`).
pub const ERS_BASE: &str = "/referrals/FHIR";
/// The token endpoint's path.
pub const TOKEN_PATH: &str = "/oauth2/token";

/// Who the simulated platform issues tokens to.
#[derive(Debug, Clone)]
pub struct SimAuth {
    /// The application's API key.
    pub api_key: String,
    /// The `kid` of its public key.
    pub key_id: String,
    /// Its RSA public key, PEM.
    pub public_key_pem: String,
}

/// The four simulators, sharing one platform.
#[derive(Clone)]
pub struct NationalSim {
    /// The token endpoint, when auth is on.
    pub platform: Option<Platform>,
    /// PDS, seeded with the spec's example patients.
    pub pds: PdsServer,
    /// e-RS, seeded with the spec's example referrals.
    pub ers: ErsSim,
    /// EPS.
    pub eps: EpsSim,
}

impl NationalSim {
    /// Simulators for a listener at `origin` (`http://127.0.0.1:8091`, which makes the token
    /// URL the JWTs must name), with auth when `auth` is given.
    pub fn new(origin: &str, auth: Option<SimAuth>) -> Result<Self, BadPublicKey> {
        let platform = match auth {
            Some(a) => Some(Platform::new(PlatformConfig::new(
                &format!("{}{TOKEN_PATH}", origin.trim_end_matches('/')),
                &a.api_key,
                &a.key_id,
                &a.public_key_pem,
            ))?),
            None => None,
        };
        let mut pds = PdsServer::new();
        if let Some(p) = &platform {
            pds = pds.with_platform(p.clone());
        }
        Ok(Self {
            platform,
            pds,
            ers: ErsSim::new(),
            eps: EpsSim::new(EpsSimOptions::default()),
        })
    }

    /// All routes.
    pub fn router(&self) -> Router {
        let services = self.ers.router(ERS_BASE).merge(self.eps.router());
        let services = match &self.platform {
            Some(p) => services.layer(middleware::from_fn_with_state(p.clone(), require_token)),
            None => services,
        };
        let mut app = services.merge(self.pds.router(PDS_BASE));
        if let Some(p) = &self.platform {
            app = app.merge(p.router());
        }
        app
    }
}

async fn require_token(
    axum::extract::State(platform): axum::extract::State<Platform>,
    req: Request,
    next: Next,
) -> Response {
    match platform.check(req.headers()) {
        Ok(()) => next.run(req).await,
        Err(refused) => refused,
    }
}
