//! The e-RS simulator's gatekeeping: bearer auth ([`authorised`], one function so a platform
//! token check can replace it), `Accept`/`Content-Type`, the role headers per access mode, and
//! the eRS-OperationOutcome-1 / plain-text error answers the spec describes.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Access;

/// The eRS error code system.
const ERROR_SYSTEM: &str = "https://fhir.nhs.uk/STU3/CodeSystem/eRS-APIErrorCode-1";
const FHIR_JSON: &str = "application/fhir+json";
/// The e-RS business functions (`NHSD-eRS-Business-Function`).
const BUSINESS_FUNCTIONS: &[&str] = &[
    "REFERRING_CLINICIAN",
    "REFERRING_CLINICIAN_ADMIN",
    "REFERRING_ADMIN",
    "COMMISSIONER",
    "SERVICE_PROVIDER_CLINICIAN_ADMIN",
    "SERVICE_PROVIDER_CLINICIAN",
    "SERVICE_PROVIDER_ADMIN",
    "INFORMATION_ANALYST",
    "BOOKING_MANAGER",
    "ADDITIONAL_REQUIREMENTS_MANAGER",
];

/// An error answer, ready to send (boxed: a `Response` is large for an `Err`).
pub(crate) struct Refusal(pub(crate) Box<Response>);

/// True when the request may proceed: always when auth is not required, else only with
/// `Authorization: Bearer <non-empty token>`.
pub fn authorised(headers: &HeaderMap, auth_required: bool) -> bool {
    if !auth_required {
        return true;
    }
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| !t.trim().is_empty())
}

/// The role headers one operation requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Roles {
    /// A005/A008: required under user-restricted access, refused under application-restricted.
    OnlyUserRestricted,
    /// A028: always required, as a service provider clinician (or clinician admin).
    ProviderClinician,
}

/// The caller's role headers, once checked.
pub(crate) struct Caller {
    pub(crate) ods: String,
    pub(crate) business_function: String,
}

/// Auth, `Accept`, optional `Content-Type` and role headers, in the order e-RS checks them.
pub(crate) fn admit(
    headers: &HeaderMap,
    auth_required: bool,
    access: Access,
    roles: Roles,
    has_body: bool,
) -> Result<Caller, Refusal> {
    if !authorised(headers, auth_required) {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "login",
            "NO_ACCESS",
            "No access",
            "Missing or invalid bearer token",
            headers,
        ));
    }
    if let Some(accept) = text(headers, header::ACCEPT.as_str()) {
        let ok = accept.split(',').any(|m| {
            let m = m.split(';').next().unwrap_or("").trim();
            matches!(m, "*/*" | "application/*" | FHIR_JSON | "application/json")
        });
        if !ok {
            return Err(plain(StatusCode::NOT_ACCEPTABLE, "Not Acceptable"));
        }
    }
    if has_body {
        let ct = text(headers, header::CONTENT_TYPE.as_str()).unwrap_or_default();
        if ct.split(';').next().unwrap_or("").trim() != FHIR_JSON {
            return Err(plain(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported Media Type",
            ));
        }
    }
    let ods = text(headers, "nhsd-end-user-organisation-ods");
    let function = text(headers, "nhsd-ers-business-function");
    let obo = text(headers, "nhsd-ers-on-behalf-of-user-id");
    let required = match (roles, access) {
        (Roles::OnlyUserRestricted, Access::ApplicationRestricted) => {
            if let Some(name) = [
                ("NHSD-End-User-Organisation-ODS", &ods),
                ("NHSD-eRS-Business-Function", &function),
                ("NHSD-eRS-On-Behalf-Of-User-ID", &obo),
            ]
            .iter()
            .find_map(|(n, v)| v.is_some().then_some(*n))
            {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "value",
                    "UNEXPECTED_FIELD",
                    "Unexpected field",
                    &format!("Header '{name}' is not allowed for application-restricted access"),
                    headers,
                ));
            }
            return Ok(Caller {
                ods: String::new(),
                business_function: String::new(),
            });
        }
        _ => (ods, function),
    };
    let (Some(ods), Some(function)) = required else {
        let missing = if required.0.is_none() {
            "NHSD-End-User-Organisation-ODS"
        } else {
            "NHSD-eRS-Business-Function"
        };
        return Err(error(
            StatusCode::BAD_REQUEST,
            "required",
            "MISSING_VALUE",
            "Missing value",
            &format!("Required header '{missing}' is missing"),
            headers,
        ));
    };
    if !BUSINESS_FUNCTIONS.contains(&function.as_str()) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "value",
            "INVALID_VALUE",
            "Invalid value",
            "Invalid value in header 'NHSD-eRS-Business-Function'",
            headers,
        ));
    }
    let allowed: &[&str] = match roles {
        Roles::OnlyUserRestricted => &[
            "SERVICE_PROVIDER_CLINICIAN",
            "SERVICE_PROVIDER_CLINICIAN_ADMIN",
            "SERVICE_PROVIDER_ADMIN",
            "REFERRING_CLINICIAN",
            "REFERRING_CLINICIAN_ADMIN",
            "REFERRING_ADMIN",
        ],
        Roles::ProviderClinician => &[
            "SERVICE_PROVIDER_CLINICIAN",
            "SERVICE_PROVIDER_CLINICIAN_ADMIN",
        ],
    };
    if !allowed.contains(&function.as_str()) {
        return Err(error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "FORBIDDEN",
            "Forbidden",
            "The business function may not use this endpoint",
            headers,
        ));
    }
    if obo.is_some() != (function == "SERVICE_PROVIDER_CLINICIAN_ADMIN")
        && access == Access::UserRestricted
    {
        return Err(error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "NO_ACCESS",
            "No access",
            "'NHSD-eRS-On-Behalf-Of-User-ID' goes with, and only with, SERVICE_PROVIDER_CLINICIAN_ADMIN",
            headers,
        ));
    }
    Ok(Caller {
        ods,
        business_function: function,
    })
}

/// A header as text, if present and non-empty.
pub(crate) fn text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// A FHIR JSON answer echoing `X-Request-ID` and `X-Correlation-ID`.
pub(crate) fn fhir(status: StatusCode, body: &Value, req: &HeaderMap) -> Response {
    let mut res = (status, body.to_string()).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    for name in ["x-request-id", "x-correlation-id"] {
        if let Some(v) = req.get(name) {
            h.insert(name, v.clone());
        }
    }
    res
}

/// An eRS-OperationOutcome-1 error answer.
pub(crate) fn error(
    status: StatusCode,
    issue_code: &str,
    code: &str,
    display: &str,
    diagnostics: &str,
    req: &HeaderMap,
) -> Refusal {
    Refusal(Box::new(fhir(
        status,
        &outcome(issue_code, code, display, diagnostics),
        req,
    )))
}

/// An eRS-OperationOutcome-1 with one error issue.
pub(crate) fn outcome(issue_code: &str, code: &str, display: &str, diagnostics: &str) -> Value {
    let coded = crate::outcome::Coded {
        system: ERROR_SYSTEM,
        version: None,
        code,
        display,
    };
    let mut outcome = crate::outcome::error(issue_code, coded, Some(diagnostics));
    outcome["meta"] =
        json!({"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/eRS-OperationOutcome-1"]});
    outcome
}

/// The spec's plain-text answers (406, 415).
fn plain(status: StatusCode, text: &'static str) -> Refusal {
    let mut res = (status, text).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain;charset=utf-8"),
    );
    Refusal(Box::new(res))
}
