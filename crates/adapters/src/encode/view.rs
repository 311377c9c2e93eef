//! Reading an event's bundle for encoding: the focal ServiceRequest, and the resources its
//! references point at (by `urn:uuid:` full URL or `Type/id`), so encoders work on any
//! `referral.received` event, not only those the `ers` adapter made.

use junction_model::Bundle;
use junction_model::fhir::{
    FhirResource, Identifier, Patient, Reference, Resource, ServiceRequest,
};
use junction_model::uk_core::systems;

/// A bundle with reference resolution.
pub(crate) struct View<'a> {
    bundle: &'a Bundle,
}

impl<'a> View<'a> {
    pub fn new(bundle: &'a Bundle) -> Self {
        Self { bundle }
    }

    /// The resource a literal reference points at, if it is in the bundle.
    pub fn resolve(&self, r: &Reference) -> Option<&'a Resource> {
        let target = r.reference.as_deref()?;
        self.bundle.entry.iter().find_map(|e| {
            let res = e.resource.as_ref()?;
            let by_url = e.full_url.as_deref() == Some(target);
            let by_id = target
                .split_once('/')
                .is_some_and(|(kind, id)| kind == res.resource_type() && res.id() == Some(id));
            (by_url || by_id).then_some(res)
        })
    }

    /// [`View::resolve`] narrowed to one resource type.
    pub fn get<T: FhirResource>(&self, r: &Reference) -> Option<&'a T> {
        self.resolve(r).and_then(T::from_resource)
    }

    /// The MessageHeader's focus when it is a ServiceRequest, else the first ServiceRequest.
    pub fn service_request(&self) -> Option<&'a ServiceRequest> {
        self.bundle
            .message_header()
            .and_then(|h| h.focus.iter().find_map(|f| self.get::<ServiceRequest>(f)))
            .or_else(|| self.bundle.first::<ServiceRequest>())
    }

    /// The ServiceRequest's subject, else the first Patient.
    pub fn patient(&self, sr: &ServiceRequest) -> Option<&'a Patient> {
        sr.subject
            .as_ref()
            .and_then(|s| self.get::<Patient>(s))
            .or_else(|| self.bundle.first::<Patient>())
    }
}

/// The value of the first identifier with `system`.
pub(crate) fn ident<'i>(ids: &'i [Identifier], system: &str) -> Option<&'i str> {
    ids.iter()
        .find(|i| i.system.as_deref() == Some(system))
        .and_then(|i| i.value.as_deref())
}

/// The ODS code of a reference by identifier, if it is one.
pub(crate) fn ods_of(r: &Reference) -> Option<&str> {
    let id = r.identifier.as_deref()?;
    (id.system.as_deref() == Some(systems::ODS_ORGANIZATION_CODE))
        .then_some(id.value.as_deref())
        .flatten()
}
