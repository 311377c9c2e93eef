//! MessageHeader: the first entry of a message Bundle, naming the event,
//! sender and destinations.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::datatypes::{
    CodeableConcept, Coding, ContactPoint, Extension, Meta, Narrative, Reference,
};
use super::resource::{Resource, ResourceTag};

/// `MessageHeader.event[x]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MessageEvent {
    /// `eventCoding`.
    #[serde(rename = "eventCoding")]
    Coding(Coding),
    /// `eventUri`.
    #[serde(rename = "eventUri")]
    Uri(String),
}

/// The header of a FHIR message (`MessageHeader`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MessageHeader {
    /// Always `"MessageHeader"`; serialised first.
    #[serde(rename = "resourceType")]
    pub resource_type: ResourceTag<MessageHeader>,
    /// Logical id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata: version, profiles, security labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Human-readable narrative.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<Narrative>,
    /// Contained, inline resources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contained: Vec<Resource>,
    /// Extensions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that modify meaning.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// `event[x]`: the message event code.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub event: Option<MessageEvent>,
    /// Destinations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub destination: Vec<MessageDestination>,
    /// Sending organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender: Option<Reference>,
    /// Who entered the data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enterer: Option<Reference>,
    /// Who is responsible for the content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<Reference>,
    /// Sending system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<MessageSource>,
    /// Final responsibility for the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responsible: Option<Reference>,
    /// Cause of the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<CodeableConcept>,
    /// If this is a reply to a prior message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<MessageResponse>,
    /// The resources the message is about.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub focus: Vec<Reference>,
    /// Link to the MessageDefinition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A destination (`MessageHeader.destination`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MessageDestination {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// System name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Particular delivery target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Reference>,
    /// Actual destination address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Intended receiver (ODS reference).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver: Option<Reference>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The sending system (`MessageHeader.source`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MessageSource {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// System name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Software name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub software: Option<String>,
    /// Software version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Human contact for problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactPoint>,
    /// Actual message source address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Response details (`MessageHeader.response`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MessageResponse {
    /// Element id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Id of the original message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// `ok | transient-error | fatal-error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// OperationOutcome with details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Reference>,
    /// Unknown fields, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::test_util::round_trip;

    #[test]
    fn response_header_with_event_uri_round_trips() {
        let header: MessageHeader = round_trip(
            r#"{
              "resourceType": "MessageHeader",
              "id": "mh2",
              "eventUri": "https://fhir.example/events/ack",
              "destination": [{"name": "PAS", "endpoint": "urn:junction:source:pas"}],
              "source": {"name": "FHIR server", "endpoint": "https://fhir.example/R4"},
              "response": {"identifier": "0a1fd9ef-a3d5-4e95-84cd-552070a03086", "code": "ok"},
              "focus": [{"reference": "Patient/p1"}]
            }"#,
        );
        assert_eq!(
            header.event,
            Some(MessageEvent::Uri("https://fhir.example/events/ack".into()))
        );
        assert_eq!(header.response.unwrap().code.as_deref(), Some("ok"));
    }
}
