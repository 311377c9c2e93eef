//! Bundle: the container every event carries (type `message` with a
//! MessageHeader first, or `collection`), plus helpers to build one.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::MessageHeader;
use super::datatypes::{Decimal, Extension, Identifier, Meta};
use super::resource::{FhirResource, Resource, ResourceTag};

/// A container of resources (`Bundle`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Bundle {
    /// Always `"Bundle"`; serialised first.
    #[serde(rename = "resourceType")]
    pub resource_type: ResourceTag<Bundle>,
    /// Logical id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Persistent identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    /// `document | message | transaction | transaction-response | batch | batch-response | history | searchset | collection`.
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub type_: String,
    /// When the bundle was assembled (FHIR instant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Total matches (searchset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u32>,
    /// Links (paging).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub link: Vec<BundleLink>,
    /// Entries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<BundleEntry>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A link (`Bundle.link`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BundleLink {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `self`, `next`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
    /// The URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An entry (`Bundle.entry`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BundleEntry {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// URI for the resource, e.g. `urn:uuid:…`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_url: Option<String>,
    /// The resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    /// Search information.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<BundleEntrySearch>,
    /// Transaction/batch request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<BundleEntryRequest>,
    /// Transaction/batch response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<BundleEntryResponse>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Search information (`Bundle.entry.search`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BundleEntrySearch {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `match | include | outcome`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Search ranking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<Decimal>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A transaction/batch request (`Bundle.entry.request`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BundleEntryRequest {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `GET | HEAD | POST | PUT | DELETE | PATCH`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// URL relative to the base.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// ETag for caching.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub if_none_match: Option<String>,
    /// Caching timestamp.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub if_modified_since: Option<String>,
    /// ETag for optimistic locking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub if_match: Option<String>,
    /// Conditional create query.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub if_none_exist: Option<String>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A transaction/batch response (`Bundle.entry.response`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BundleEntryResponse {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// HTTP status line, e.g. `201 Created`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Location header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// ETag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Last modified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// OperationOutcome with hints and warnings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Resource>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Bundle {
    /// A `message` Bundle: the MessageHeader first, then `resources`, each
    /// entry with `fullUrl` `urn:uuid:<resource id>` (no `fullUrl` when a
    /// resource has no id). Ids should come from
    /// [`deterministic_id`](crate::deterministic_id).
    pub fn message(
        header: MessageHeader,
        resources: Vec<Resource>,
        id: impl Into<String>,
        timestamp: impl Into<String>,
    ) -> Self {
        let entries = std::iter::once(Resource::from(header)).chain(resources);
        Self {
            id: Some(id.into()),
            type_: "message".to_owned(),
            timestamp: Some(timestamp.into()),
            entry: entries.map(BundleEntry::new).collect(),
            ..Default::default()
        }
    }

    /// A `collection` Bundle of `resources`, with `urn:uuid:` full URLs.
    pub fn collection(
        resources: Vec<Resource>,
        id: impl Into<String>,
        timestamp: impl Into<String>,
    ) -> Self {
        Self {
            id: Some(id.into()),
            type_: "collection".to_owned(),
            timestamp: Some(timestamp.into()),
            entry: resources.into_iter().map(BundleEntry::new).collect(),
            ..Default::default()
        }
    }

    /// The resources of all entries, in order.
    pub fn resources(&self) -> impl Iterator<Item = &Resource> {
        self.entry.iter().filter_map(|e| e.resource.as_ref())
    }

    /// The resources of type `T`, in order: `bundle.resources_of::<Patient>()`.
    pub fn resources_of<T: FhirResource>(&self) -> impl Iterator<Item = &T> {
        self.resources().filter_map(T::from_resource)
    }

    /// The first resource of type `T`.
    pub fn first<T: FhirResource>(&self) -> Option<&T> {
        self.resources_of::<T>().next()
    }

    /// The MessageHeader, if the first entry is one (as in a message Bundle).
    pub fn message_header(&self) -> Option<&MessageHeader> {
        self.resources()
            .next()
            .and_then(MessageHeader::from_resource)
    }
}

impl BundleEntry {
    /// An entry for `resource`, with `fullUrl` `urn:uuid:<id>` when it has an id.
    pub fn new(resource: Resource) -> Self {
        Self {
            full_url: resource.id().map(|id| format!("urn:uuid:{id}")),
            resource: Some(resource),
            ..Default::default()
        }
    }

    /// An entry with a transaction/batch request, e.g. `("PUT", "Patient/123")`.
    pub fn with_request(resource: Resource, method: &str, url: &str) -> Self {
        Self {
            request: Some(BundleEntryRequest {
                method: Some(method.to_owned()),
                url: Some(url.to_owned()),
                ..Default::default()
            }),
            ..Self::new(resource)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::test_util::round_trip;
    use crate::fhir::{Coding, MessageEvent, Patient, Reference};

    const MESSAGE: &str = r#"{
      "resourceType": "Bundle",
      "id": "3e614d84-a98c-8fc2-aca7-901846d4f748",
      "meta": {"lastUpdated": "2024-03-01T09:31:00+00:00"},
      "identifier": {"system": "https://tools.ietf.org/html/rfc4122", "value": "3e614d84-a98c-8fc2-aca7-901846d4f748"},
      "type": "message",
      "timestamp": "2024-03-01T09:31:00+00:00",
      "entry": [
        {"fullUrl": "urn:uuid:0a1fd9ef-a3d5-4e95-84cd-552070a03086",
         "resource": {"resourceType": "MessageHeader", "id": "0a1fd9ef-a3d5-4e95-84cd-552070a03086",
           "eventCoding": {"system": "https://fhir.nhs.uk/CodeSystem/message-event", "code": "admit-patient"},
           "destination": [{"endpoint": "https://fhir.example/R4", "receiver": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RXX"}}}],
           "sender": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RXX"}},
           "source": {"name": "PAS", "software": "Junction", "endpoint": "urn:junction:source:pas"},
           "focus": [{"reference": "urn:uuid:2b1f8c2e-6d2a-8c1e-9f00-000000000001"}]}},
        {"fullUrl": "urn:uuid:f1d6a1f6-2b1f-4f0b-9a65-3c0ab0f8c001",
         "resource": {"resourceType": "Patient", "id": "f1d6a1f6-2b1f-4f0b-9a65-3c0ab0f8c001",
           "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000026"}]},
         "request": {"method": "PUT", "url": "Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000026"}},
        {"fullUrl": "urn:uuid:2b1f8c2e-6d2a-8c1e-9f00-000000000001",
         "resource": {"resourceType": "Encounter", "id": "2b1f8c2e-6d2a-8c1e-9f00-000000000001", "status": "in-progress",
           "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
           "subject": {"reference": "urn:uuid:f1d6a1f6-2b1f-4f0b-9a65-3c0ab0f8c001"}},
         "response": {"status": "201 Created", "outcome": {"resourceType": "OperationOutcome",
           "issue": [{"severity": "information", "code": "informational"}]}}},
        {"fullUrl": "urn:uuid:5c0ffee0-0000-8000-8000-000000000000",
         "resource": {"resourceType": "Flag", "id": "5c0ffee0-0000-8000-8000-000000000000", "status": "active",
           "code": {"text": "Unknown to Junction"}}}
      ],
      "signature": {"type": [{"system": "urn:iso-astm:E1762-95:2013", "code": "1.2.840.10065.1.12.1.1"}], "when": "2024-03-01T09:31:00+00:00", "who": {"display": "x"}}
    }"#;

    #[test]
    fn message_bundle_round_trips() {
        let bundle: Bundle = round_trip(MESSAGE);
        assert_eq!(bundle.type_, "message");
        let header = bundle.message_header().expect("MessageHeader first");
        assert!(matches!(header.event, Some(MessageEvent::Coding(_))));
        assert_eq!(bundle.resources_of::<Patient>().count(), 1);
        assert_eq!(
            bundle.entry[3].resource.as_ref().unwrap().resource_type(),
            "Flag"
        );
        assert!(bundle.extra.contains_key("signature"));
        // Entry resources keep resourceType first when nested.
        let text = serde_json::to_string(&bundle).unwrap();
        assert!(text.contains(r#""resource":{"resourceType":"MessageHeader","#));
        assert!(text.contains(r#""resource":{"resourceType":"Flag","#));
    }

    #[test]
    fn message_helper_builds_entries() {
        let header = MessageHeader {
            id: Some("h1".into()),
            event: Some(MessageEvent::Coding(Coding::new(
                "https://fhir.nhs.uk/CodeSystem/message-event",
                "admit-patient",
                None,
            ))),
            focus: vec![Reference::to("urn:uuid:p1")],
            ..Default::default()
        };
        let patient = Patient {
            id: Some("p1".into()),
            ..Default::default()
        };
        let anonymous = Patient::default();
        let bundle = Bundle::message(
            header,
            vec![patient.into(), anonymous.into()],
            "b1",
            "2024-03-01T09:31:00+00:00",
        );
        let json = serde_json::to_value(&bundle).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "resourceType": "Bundle",
                "id": "b1",
                "type": "message",
                "timestamp": "2024-03-01T09:31:00+00:00",
                "entry": [
                    {"fullUrl": "urn:uuid:h1", "resource": {"resourceType": "MessageHeader", "id": "h1",
                        "eventCoding": {"system": "https://fhir.nhs.uk/CodeSystem/message-event", "code": "admit-patient"},
                        "focus": [{"reference": "urn:uuid:p1"}]}},
                    {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1"}},
                    {"resource": {"resourceType": "Patient"}}
                ]
            })
        );
        assert_eq!(
            bundle.first::<Patient>().and_then(|p| p.id.as_deref()),
            Some("p1")
        );
        let collection = Bundle::collection(vec![], "c1", "2024-03-01T09:31:00Z");
        assert_eq!(collection.type_, "collection");
        let put = BundleEntry::with_request(Patient::default().into(), "PUT", "Patient/p1");
        assert_eq!(put.request.unwrap().method.as_deref(), Some("PUT"));
    }
}
