//! PL (PV1-3 assigned, PV1-6 prior location) → Location resources: site (ODS site code in
//! PL.4), ward and bed, linked by `partOf`. ITK puts the ward in PL.2 ("Room – NHS Ward
//! Code"); many trusts put it in PL.1, so PL.1 is used when PL.2 is empty.

use junction_hl7v2::Segment;
use junction_model::fhir::{CodeableConcept, Identifier, Location, Reference};
use junction_model::uk_core::{self, systems};

use super::ctx::{Ctx, comp, text};
use super::identifiers::authority_system;

const CS_PHYSICAL_TYPE: &str = "http://terminology.hl7.org/CodeSystem/location-physical-type";

/// Which level of a PL a Location stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LocationKind {
    /// The hospital site (ODS site code).
    Site,
    /// The ward (inpatients) or area/clinic (other patient classes).
    Ward,
    /// The bed.
    Bed,
}

impl LocationKind {
    fn physical_type(self, inpatient: bool) -> CodeableConcept {
        let (code, display) = match self {
            Self::Site => ("si", "Site"),
            Self::Ward if inpatient => ("wa", "Ward"),
            Self::Ward => ("area", "Area"),
            Self::Bed => ("bd", "Bed"),
        };
        CodeableConcept::coded(CS_PHYSICAL_TYPE, code, Some(display))
    }

    fn key(self) -> &'static str {
        match self {
            Self::Site => "site",
            Self::Ward => "ward",
            Self::Bed => "bed",
        }
    }
}

/// The Locations named by PL field `field` of PV1, most general first. `role` (`current`,
/// `prior`) keeps ids of the two PLs apart; `trust` (MSH-4) scopes ward codes; PL.2 is a
/// ward for inpatients (PV1-2 `I`/`B`) and an area (clinic, day unit) otherwise.
pub(crate) fn locations(
    ctx: &Ctx<'_>,
    pv1: &Segment<'_>,
    field: usize,
    role: &str,
    trust: Option<&str>,
    inpatient: bool,
) -> Vec<(LocationKind, Location)> {
    let Some(pl) = pv1.field(field).and_then(|f| f.repetition(1)) else {
        return Vec::new();
    };
    let ward = comp(pl, 2).or_else(|| comp(pl, 1));
    let bed = comp(pl, 3);
    let site = text(pl.component(4).and_then(|c| c.subcomponent(1)));
    let mut out: Vec<(LocationKind, Location)> = Vec::with_capacity(3);
    let mut parent: Option<String> = None;
    let mut push = |kind: LocationKind, name: String, identifier: Option<Identifier>| {
        let id = ctx.id("Location", &format!("{role}-{}", kind.key()));
        let loc = Location {
            id: Some(id.clone()),
            meta: Some(uk_core::profile_meta(systems::profile::LOCATION)),
            identifier: identifier.into_iter().collect(),
            status: Some("active".into()),
            name: Some(name),
            mode: Some("instance".into()),
            physical_type: Some(kind.physical_type(inpatient)),
            part_of: parent.take().map(|p| Reference::to(Ctx::urn(&p))),
            ..Default::default()
        };
        parent = Some(id);
        out.push((kind, loc));
    };
    if let Some(site) = site {
        let ident = uk_core::ods_site_identifier(&site);
        push(LocationKind::Site, site.into_owned(), Some(ident));
    }
    if let Some(ward) = ward {
        let ident = trust.map(|t| Identifier::new(authority_system(t, "ward-code"), ward.as_ref()));
        push(LocationKind::Ward, ward.into_owned(), ident);
    }
    if let Some(bed) = bed {
        push(LocationKind::Bed, bed.into_owned(), None);
    }
    out
}
