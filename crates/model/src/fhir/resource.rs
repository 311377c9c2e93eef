//! The `Resource` enum over every modelled resource type, plus the
//! `resourceType` tag each resource struct carries so that it serialises with
//! `"resourceType"` first on its own, too.
//!
//! Unknown resource types are kept as raw JSON objects in
//! [`Resource::Unknown`] and round-trip unchanged.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    AllergyIntolerance, Appointment, Bundle, DiagnosticReport, DocumentReference, Encounter,
    EpisodeOfCare, ImagingStudy, Location, Medication, MedicationRequest, MessageHeader,
    Observation, OperationOutcome, Organization, Patient, Practitioner, PractitionerRole,
    Provenance, ServiceRequest,
};

/// A FHIR resource type known to this crate.
pub trait FhirResource: Sized + 'static {
    /// The `resourceType` value, e.g. `"Patient"`.
    const TYPE: &'static str;

    /// The resource inside `res`, if it is of this type.
    fn from_resource(res: &Resource) -> Option<&Self>;
}

/// The `resourceType` member of a resource struct: serialises as `T::TYPE`
/// and, when read, accepts only that value (or its absence).
pub struct ResourceTag<T>(PhantomData<fn() -> T>);

impl<T> ResourceTag<T> {
    /// The tag (there is only one value).
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T> Default for ResourceTag<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Clone for ResourceTag<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for ResourceTag<T> {}

impl<T> PartialEq for ResourceTag<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> Eq for ResourceTag<T> {}

impl<T: FhirResource> fmt::Debug for ResourceTag<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::TYPE)
    }
}

impl<T: FhirResource> Serialize for ResourceTag<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(T::TYPE)
    }
}

impl<'de, T: FhirResource> Deserialize<'de> for ResourceTag<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        if name == T::TYPE {
            Ok(Self::new())
        } else {
            Err(de::Error::custom(format_args!(
                "expected resourceType `{}`, found `{name}`",
                T::TYPE
            )))
        }
    }
}

macro_rules! resources {
    ($($name:ident),* $(,)?) => {
        $(impl FhirResource for $name {
            const TYPE: &'static str = stringify!($name);

            fn from_resource(res: &Resource) -> Option<&Self> {
                match res {
                    Resource::$name(inner) => Some(inner),
                    _ => None,
                }
            }
        })*

        /// Any FHIR resource: one of the modelled types, or an unknown type
        /// kept as its raw JSON object.
        ///
        /// Serialises as the resource itself with `"resourceType"` first;
        /// known variants are boxed to keep `Vec<Resource>` compact.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Resource {
            $(
                #[doc = concat!("A `", stringify!($name), "`.")]
                $name(Box<$name>),
            )*
            /// A resource type this crate does not model, kept verbatim
            /// (including its `resourceType`).
            Unknown(Map<String, Value>),
        }

        $(impl From<$name> for Resource {
            fn from(res: $name) -> Self {
                Resource::$name(Box::new(res))
            }
        })*

        impl Resource {
            /// The `resourceType`, e.g. `"Patient"`.
            pub fn resource_type(&self) -> &str {
                match self {
                    $(Resource::$name(_) => $name::TYPE,)*
                    Resource::Unknown(map) => {
                        map.get("resourceType").and_then(Value::as_str).unwrap_or("")
                    }
                }
            }

            /// The logical id, if any.
            pub fn id(&self) -> Option<&str> {
                match self {
                    $(Resource::$name(res) => res.id.as_deref(),)*
                    Resource::Unknown(map) => map.get("id").and_then(Value::as_str),
                }
            }
        }

        impl Serialize for Resource {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $(Resource::$name(res) => res.serialize(serializer),)*
                    Resource::Unknown(map) => map.serialize(serializer),
                }
            }
        }

        impl<'de> Deserialize<'de> for Resource {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let map = Map::<String, Value>::deserialize(deserializer)?;
                let Some(kind) = map.get("resourceType").and_then(Value::as_str) else {
                    return Err(de::Error::missing_field("resourceType"));
                };
                match kind {
                    $(stringify!($name) => serde_json::from_value(Value::Object(map))
                        .map(|res| Resource::$name(Box::new(res)))
                        .map_err(|err| de::Error::custom(format_args!(
                            "invalid {}: {}", stringify!($name), redact_quoted(&err.to_string())
                        ))),)*
                    _ => Ok(Resource::Unknown(map)),
                }
            }
        }
    };
}

resources!(
    AllergyIntolerance,
    Appointment,
    Bundle,
    DiagnosticReport,
    DocumentReference,
    Encounter,
    EpisodeOfCare,
    ImagingStudy,
    Location,
    Medication,
    MedicationRequest,
    MessageHeader,
    Observation,
    OperationOutcome,
    Organization,
    Patient,
    Practitioner,
    PractitionerRole,
    Provenance,
    ServiceRequest,
);

/// Redacts values that serde quotes in its error messages (which may be a
/// patient's data): every `"…"` span, and `` `…` `` spans after `integer`,
/// `point` (floating point), `boolean`, `character`, `char` or `variant`.
/// Field names (`` missing field `url` ``) are kept.
pub(crate) fn redact_quoted(msg: &str) -> String {
    const VALUE_WORDS: [&str; 6] = [
        "integer",
        "point",
        "boolean",
        "character",
        "char",
        "variant",
    ];
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(pos) = rest.find(['"', '`']) {
        let (before, after) = rest.split_at(pos);
        out.push_str(before);
        let quote = &after[..1];
        let body = &after[1..];
        let end = body.find(quote).unwrap_or(body.len());
        let last_word = out.split_whitespace().last().unwrap_or("");
        let redact = quote == "\"" || VALUE_WORDS.contains(&last_word);
        out.push_str(quote);
        out.push_str(if redact { "***" } else { &body[..end] });
        if end < body.len() {
            out.push_str(quote);
            rest = &body[end + 1..];
        } else {
            rest = "";
        }
    }
    out.push_str(rest);
    out
}

impl Resource {
    /// The resource as type `T`, if it is one: `res.downcast::<Patient>()`.
    pub fn downcast<T: FhirResource>(&self) -> Option<&T> {
        T::from_resource(self)
    }

    /// Serialise to a `serde_json::Value`.
    pub fn to_value(&self) -> Value {
        // Serialising these types cannot fail: all map keys are strings.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_resource_type_round_trips_verbatim() {
        let json = r#"{"resourceType":"Flag","id":"f1","status":"active","period":{"start":"2024"},"n":1.5}"#;
        let res: Resource = serde_json::from_str(json).unwrap();
        assert!(matches!(res, Resource::Unknown(_)));
        assert_eq!(res.resource_type(), "Flag");
        assert_eq!(res.id(), Some("f1"));
        assert_eq!(serde_json::to_string(&res).unwrap(), json);
    }

    #[test]
    fn missing_resource_type_is_an_error() {
        let err = serde_json::from_str::<Resource>(r#"{"id":"x"}"#).unwrap_err();
        assert!(err.to_string().contains("resourceType"), "{err}");
    }

    #[test]
    fn errors_redact_quoted_values() {
        // A string where a boolean belongs: serde would quote the value.
        let json = r#"{"resourceType":"Patient","active":"TESTPATIENT-SECRET"}"#;
        let err = serde_json::from_str::<Resource>(json)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("invalid Patient"), "{err}");
        assert!(!err.contains("SECRET"), "{err}");
        assert_eq!(redact_quoted(r#"a "b" c "d"#), r#"a "***" c "***"#);
        assert_eq!(
            redact_quoted("invalid type: integer `9990000018`, expected a string"),
            "invalid type: integer `***`, expected a string"
        );
        assert_eq!(redact_quoted("missing field `url`"), "missing field `url`");
        assert_eq!(
            redact_quoted("unknown variant `femal`, expected one of `male`"),
            "unknown variant `***`, expected one of `male`"
        );
    }

    #[test]
    fn downcast_and_from() {
        let res = Resource::from(Patient {
            id: Some("p".into()),
            ..Default::default()
        });
        assert_eq!(res.resource_type(), "Patient");
        assert_eq!(
            res.downcast::<Patient>().and_then(|p| p.id.as_deref()),
            Some("p")
        );
        assert!(res.downcast::<Encounter>().is_none());
        assert_eq!(res.to_value()["resourceType"], "Patient");
    }
}
