//! [`ErsClient`]: the e-RS STU3 operations Junction uses as a service provider: A008 fetch a
//! worklist, A005 retrieve a referral (with its version and attachment list), A028 record a
//! review outcome. Each call carries the role headers [`super::AccessMode`] asks for; the
//! platform client adds the bearer token, `X-Request-ID` and `X-Correlation-ID`.

use bytes::Bytes;
use http::StatusCode;
use serde_json::{Value, json};

use super::{
    AccessMode, ErsConfig, ErsError, FHIR_JSON, LIST_SELECTOR_SYSTEM, SERVICE_SYSTEM,
    review::ReviewOutcome,
};
use crate::platform::{ApiError, ApiRequest, ApiResponse, ServiceClient};

/// The A008 request profile.
const FETCH_WORKLIST_PROFILE: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/eRS-FetchWorklist-Parameters-1";
/// The attachment availability extension on `DocumentReference.content.attachment`.
const AVAILABILITY_URL: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-eRS-AvailabilityStatus-1";

/// One referral on a worklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorklistItem {
    /// The UBRN (e.g. `000000070001`).
    pub ubrn: String,
    /// The referral's version as the worklist gives it (`referralRequestVersion`).
    pub version: Option<u64>,
}

/// A referral as A005 returned it.
#[derive(Clone, PartialEq)]
pub struct Referral {
    /// The UBRN.
    pub ubrn: String,
    /// The version (from the `ETag`, else `meta.versionId`); `meta.versionId` is set to it.
    pub version: u64,
    /// The STU3 `ReferralRequest` exactly as fetched (plus `meta.versionId` if it lacked one).
    pub resource: Value,
}

/// `Debug` leaves out the resource (it holds patient data).
impl std::fmt::Debug for Referral {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Referral")
            .field("ubrn", &self.ubrn)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// One clinical attachment a referral lists (a contained `DocumentReference`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRef {
    /// The contained DocumentReference's id.
    pub document_id: String,
    /// `Binary/{id}`: where A006/A042 fetch the bytes.
    pub url: String,
    /// The MIME type.
    pub content_type: Option<String>,
    /// The file name.
    pub title: Option<String>,
    /// Size in bytes.
    pub size: Option<u64>,
    /// `AVAILABLE`, `PENDING`, `THREATS FOUND`, `VALIDATION_FAILED`.
    pub availability: Option<String>,
}

impl Referral {
    /// The document the poller journals: a `collection` Bundle whose only entry is the
    /// ReferralRequest (see [`super::poller`]).
    pub fn journal_document(&self) -> Value {
        json!({
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{
                "fullUrl": format!("ReferralRequest/{}/_history/{}", self.ubrn, self.version),
                "resource": self.resource,
            }]
        })
    }

    /// The attachments: every contained DocumentReference's `content[].attachment` with a URL.
    pub fn attachments(&self) -> Vec<AttachmentRef> {
        let contained = self.resource["contained"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        let mut out = Vec::new();
        for doc in contained
            .iter()
            .filter(|r| r["resourceType"] == "DocumentReference")
        {
            let document_id = doc["id"].as_str().unwrap_or_default().to_string();
            for content in doc["content"].as_array().map_or(&[][..], Vec::as_slice) {
                let att = &content["attachment"];
                let Some(url) = att["url"].as_str() else {
                    continue;
                };
                let availability = att["extension"]
                    .as_array()
                    .and_then(|exts| exts.iter().find(|e| e["url"] == AVAILABILITY_URL))
                    .and_then(|e| e["valueCoding"]["code"].as_str())
                    .map(str::to_string);
                out.push(AttachmentRef {
                    document_id: document_id.clone(),
                    url: url.to_string(),
                    content_type: att["contentType"].as_str().map(str::to_string),
                    title: att["title"].as_str().map(str::to_string),
                    size: att["size"].as_u64(),
                    availability,
                });
            }
        }
        out
    }
}

/// The e-RS client.
pub struct ErsClient {
    api: ServiceClient,
    config: ErsConfig,
}

impl ErsClient {
    /// A client over `api` (whose base URL ends in `/referrals/FHIR`; paths add `/STU3/…`).
    pub fn new(api: ServiceClient, config: ErsConfig) -> Self {
        Self { api, config }
    }

    /// The platform client (for [`ServiceClient::delivery_request_id`]).
    pub fn api(&self) -> &ServiceClient {
        &self.api
    }

    /// The configuration.
    pub fn config(&self) -> &ErsConfig {
        &self.config
    }

    /// A008: the configured worklist (`list_type`) for one service, or for all the user's
    /// services when `service_id` is `None` (user-restricted access only).
    pub async fn fetch_worklist(
        &self,
        service_id: Option<&str>,
    ) -> Result<Vec<WorklistItem>, ErsError> {
        let mut params = vec![json!({
            "name": "listType",
            "valueCodeableConcept": { "coding": [{
                "system": LIST_SELECTOR_SYSTEM, "code": self.config.list_type,
            }]}
        })];
        if let Some(id) = service_id {
            params.push(json!({
                "name": "service",
                "valueIdentifier": { "system": SERVICE_SYSTEM, "value": id }
            }));
        }
        let body = json!({
            "resourceType": "Parameters",
            "meta": { "profile": [FETCH_WORKLIST_PROFILE] },
            "parameter": params,
        });
        let req = ApiRequest::post(
            "/STU3/ReferralRequest/$ers.fetchworklist",
            FHIR_JSON,
            Bytes::from(body.to_string()),
        );
        let res = self.send(self.read_headers(req), "A008").await?;
        let list = res.json().ok_or_else(|| malformed("A008", "not JSON"))?;
        if list["resourceType"] != "List" {
            return Err(malformed("A008", "not a List"));
        }
        let entries = list["entry"].as_array().map_or(&[][..], Vec::as_slice);
        let mut items = Vec::with_capacity(entries.len());
        for entry in entries {
            match worklist_item(entry) {
                Some(item) => items.push(item),
                None => tracing::warn!(
                    service = self.api.name(),
                    "worklist entry without a readable ReferralRequest reference skipped"
                ),
            }
        }
        Ok(items)
    }

    /// A005: one referral, its version and its attachment list.
    pub async fn retrieve_referral(&self, ubrn: &str) -> Result<Referral, ErsError> {
        if !valid_ubrn(ubrn) {
            return Err(malformed("A005", "the UBRN is not a plain alphanumeric id"));
        }
        let req = ApiRequest::get(format!("/STU3/ReferralRequest/{ubrn}"));
        let res = self.send(self.read_headers(req), "A005").await?;
        let mut resource = res.json().ok_or_else(|| malformed("A005", "not JSON"))?;
        if resource["resourceType"] != "ReferralRequest" {
            return Err(malformed("A005", "not a ReferralRequest"));
        }
        let from_etag = res
            .headers
            .get(http::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_etag);
        let from_meta = resource["meta"]["versionId"]
            .as_str()
            .and_then(|v| v.parse::<u64>().ok());
        let version = from_etag
            .or(from_meta)
            .ok_or_else(|| malformed("A005", "no ETag and no meta.versionId"))?;
        if from_meta.is_none() {
            resource["meta"]["versionId"] = json!(version.to_string());
        }
        Ok(Referral {
            ubrn: ubrn.to_string(),
            version,
            resource,
        })
    }

    /// A028: records `review` against the referral version it names (`If-Match: W/"n"`). Returns
    /// the answer whole, so a sink can judge it; `request_id` is the delivery's stable id.
    pub async fn record_review_outcome(
        &self,
        review: &ReviewOutcome,
        request_id: String,
        correlation_id: Option<String>,
    ) -> Result<ApiResponse, ApiError> {
        let path = format!(
            "/STU3/ReferralRequest/{}/$ers.recordReviewOutcome",
            review.ubrn
        );
        let mut req = ApiRequest::post(
            path,
            FHIR_JSON,
            Bytes::from(review.parameters().to_string()),
        )
        .header("if-match", &format!("W/\"{}\"", review.version));
        req.request_id = request_id;
        req.correlation_id = correlation_id;
        self.api.send(&self.role_headers(req)).await
    }

    /// A005/A008 headers: `Accept`, and the role headers only under user-restricted access.
    fn read_headers(&self, req: ApiRequest) -> ApiRequest {
        match self.config.access {
            AccessMode::UserRestricted => self.role_headers(req),
            AccessMode::ApplicationRestricted => req.header("accept", FHIR_JSON),
        }
    }

    /// `Accept`, `NHSD-End-User-Organisation-ODS`, `NHSD-eRS-Business-Function` and, if set,
    /// `NHSD-eRS-On-Behalf-Of-User-ID`.
    fn role_headers(&self, req: ApiRequest) -> ApiRequest {
        let mut req = req
            .header("accept", FHIR_JSON)
            .header("nhsd-end-user-organisation-ods", &self.config.ods_code)
            .header("nhsd-ers-business-function", &self.config.business_function);
        if let Some(obo) = &self.config.on_behalf_of {
            req = req.header("nhsd-ers-on-behalf-of-user-id", obo);
        }
        req
    }

    async fn send(
        &self,
        req: ApiRequest,
        operation: &'static str,
    ) -> Result<ApiResponse, ErsError> {
        let res = self.api.send(&req).await?;
        if res.status != StatusCode::OK {
            return Err(ErsError::Status {
                operation,
                status: res.status.as_u16(),
                detail: junction_connectors::http_client::operation_outcome_text(&res.body),
            });
        }
        Ok(res)
    }
}

fn malformed(operation: &'static str, reason: &str) -> ErsError {
    ErsError::Malformed {
        operation,
        reason: reason.to_string(),
    }
}

/// A UBRN goes into a URL path: only ASCII letters and digits.
pub(crate) fn valid_ubrn(ubrn: &str) -> bool {
    !ubrn.is_empty() && ubrn.len() <= 64 && ubrn.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// `W/"5"` (or `"5"`) → 5.
pub(crate) fn parse_etag(etag: &str) -> Option<u64> {
    let tag = etag.trim();
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    tag.strip_prefix('"')?.strip_suffix('"')?.parse().ok()
}

/// `List.entry`: `item.reference` `ReferralRequest/{ubrn}` and the `referralRequestVersion`
/// inside the worklist-item extension (whatever the list's extension URL).
fn worklist_item(entry: &Value) -> Option<WorklistItem> {
    let ubrn = entry["item"]["reference"]
        .as_str()?
        .strip_prefix("ReferralRequest/")?
        .split('/')
        .next()?;
    if !valid_ubrn(ubrn) {
        return None;
    }
    let version = entry["extension"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| e["extension"].as_array().into_iter().flatten())
        .find(|e| e["url"] == "referralRequestVersion")
        .and_then(|e| e["valueInteger"].as_u64());
    Some(WorklistItem {
        ubrn: ubrn.to_string(),
        version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_etags_and_worklist_entries() {
        assert_eq!(parse_etag("W/\"12\""), Some(12));
        assert_eq!(parse_etag("\"3\""), Some(3));
        assert_eq!(parse_etag("W/12"), None);
        let entry = json!({
            "extension": [{"url": "x", "extension": [{"url": "referralRequestVersion", "valueInteger": 7}]}],
            "item": {"reference": "ReferralRequest/000000070002"}
        });
        assert_eq!(
            worklist_item(&entry),
            Some(WorklistItem {
                ubrn: "000000070002".into(),
                version: Some(7)
            })
        );
        assert_eq!(
            worklist_item(&json!({"item": {"reference": "ReferralRequest/../x"}})),
            None
        );
    }

    #[test]
    fn lists_attachments() {
        let referral = Referral {
            ubrn: "1".into(),
            version: 1,
            resource: json!({"resourceType": "ReferralRequest", "contained": [
                {"resourceType": "DocumentReference", "id": "d1", "content": [{"attachment": {
                    "url": "Binary/abc", "contentType": "application/pdf", "size": 6, "title": "letter.pdf",
                    "extension": [{"url": AVAILABILITY_URL, "valueCoding": {"code": "PENDING"}}]}}]},
                {"resourceType": "List", "id": "shortlist"}
            ]}),
        };
        let atts = referral.attachments();
        assert_eq!(atts.len(), 1);
        assert_eq!(atts[0].url, "Binary/abc");
        assert_eq!(atts[0].availability.as_deref(), Some("PENDING"));
        assert_eq!(
            referral.journal_document()["entry"][0]["resource"]["resourceType"],
            "ReferralRequest"
        );
    }
}
