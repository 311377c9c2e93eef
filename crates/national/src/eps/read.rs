//! Reading an event's FHIR bundle as JSON for the EPS builder: resources by type, references
//! resolved by `fullUrl` or `Type/id`, identifiers by system. Values are only looked at here;
//! nothing is logged.

use serde_json::Value;
use uuid::Uuid;

/// Namespace of the ids the EPS builder derives (bundle identifiers, ids that are not UUIDs).
const EPS_NAMESPACE: Uuid = Uuid::from_u128(0x1f0c_52e4_9a3d_4b7e_8c61_0d2a_5e9f_7b34);

/// One resource of the event's bundle.
#[derive(Clone, Copy)]
pub(crate) struct Entry<'a> {
    pub full_url: Option<&'a str>,
    pub resource: &'a Value,
}

impl<'a> Entry<'a> {
    pub fn rtype(&self) -> &'a str {
        self.resource
            .get("resourceType")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    pub fn id(&self) -> Option<&'a str> {
        self.resource.get("id").and_then(Value::as_str)
    }

    /// The id the EPS message gives this resource: its own when it is a UUID (adapters derive
    /// UUID-shaped ids), else one derived from it; `urn:uuid:` + this is its `fullUrl`.
    pub fn out_id(&self) -> String {
        match self.id() {
            Some(id) if Uuid::parse_str(id).is_ok() => id.to_ascii_lowercase(),
            Some(id) => derived_id(&[self.rtype(), id]),
            None => derived_id(&[self.rtype(), self.full_url.unwrap_or_default()]),
        }
    }

    /// `urn:uuid:` + [`Self::out_id`].
    pub fn out_ref(&self) -> String {
        format!("urn:uuid:{}", self.out_id())
    }
}

/// A UUID v5 from `parts`, stable for the same input.
pub(crate) fn derived_id(parts: &[&str]) -> String {
    Uuid::new_v5(&EPS_NAMESPACE, parts.join("\u{1f}").as_bytes()).to_string()
}

/// The entries of a bundle.
pub(crate) fn entries(bundle: &Value) -> Vec<Entry<'_>> {
    bundle
        .get("entry")
        .and_then(Value::as_array)
        .map(|es| {
            es.iter()
                .filter_map(|e| {
                    let resource = e.get("resource").filter(|r| r.is_object())?;
                    Some(Entry {
                        full_url: e.get("fullUrl").and_then(Value::as_str),
                        resource,
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The entries of one resource type.
pub(crate) fn of_type<'a>(entries: &[Entry<'a>], rtype: &str) -> Vec<Entry<'a>> {
    entries
        .iter()
        .filter(|e| e.rtype() == rtype)
        .copied()
        .collect()
}

/// The entry a `Reference` (`{"reference": ...}`) points at: by `fullUrl`, or by `Type/id`.
pub(crate) fn resolve<'a>(entries: &[Entry<'a>], reference: Option<&Value>) -> Option<Entry<'a>> {
    let target = reference?.get("reference")?.as_str()?;
    entries.iter().copied().find(|e| {
        e.full_url == Some(target)
            || e.id().is_some_and(|id| {
                target == format!("{}/{id}", e.rtype()) || target == format!("urn:uuid:{id}")
            })
    })
}

/// The value of the first identifier with `system`.
pub(crate) fn identifier<'a>(resource: &'a Value, system: &str) -> Option<&'a str> {
    identifiers(resource)
        .iter()
        .find(|i| i.get("system").and_then(Value::as_str) == Some(system))
        .and_then(|i| i.get("value"))
        .and_then(Value::as_str)
        .filter(|v| !v.trim().is_empty())
}

/// The `identifier` array (or the single `identifier` object) of a resource.
pub(crate) fn identifiers(resource: &Value) -> Vec<&Value> {
    match resource.get("identifier") {
        Some(Value::Array(ids)) => ids.iter().collect(),
        Some(id @ Value::Object(_)) => vec![id],
        _ => Vec::new(),
    }
}

/// The extensions of an element with `url`.
pub(crate) fn extensions<'a>(element: &'a Value, url: &str) -> Vec<&'a Value> {
    element
        .get("extension")
        .and_then(Value::as_array)
        .map(|xs| {
            xs.iter()
                .filter(|x| x.get("url").and_then(Value::as_str) == Some(url))
                .collect()
        })
        .unwrap_or_default()
}

/// The field when it is present and not empty (`null`, `""`, `[]`, `{}` count as absent).
pub(crate) fn present<'a>(resource: &'a Value, field: &str) -> Option<&'a Value> {
    resource.get(field).filter(|v| match v {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    })
}

/// An ODS-coded organisation reference's code (`{"identifier": {"system": ods, "value"}}`).
pub(crate) fn ods_of(reference: Option<&Value>) -> Option<&str> {
    let id = reference?.get("identifier")?;
    (id.get("system").and_then(Value::as_str) == Some(super::build::ODS))
        .then(|| id.get("value").and_then(Value::as_str))
        .flatten()
        .filter(|v| !v.trim().is_empty())
}
