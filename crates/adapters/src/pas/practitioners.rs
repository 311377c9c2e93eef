//! XCN (PV1-7/8/9/17) → Practitioner resources, one per distinct national code, with the
//! identifier the code's prefix implies: `C` + 7 digits (consultant code = GMC number
//! prefixed with C) → GMC number; `G` + 7 digits (GP national code) → GMP number; anything
//! else → an identifier with no system and type text "NHS DD consultant code".

use junction_hl7v2::Value;
use junction_model::Resource;
use junction_model::fhir::{CodeableConcept, HumanName, Identifier, Practitioner, Reference};
use junction_model::uk_core::{self, Professional, systems};

use super::ctx::{Ctx, comp, display_name};

/// The Practitioners of one message, deduplicated by code.
#[derive(Default)]
pub(crate) struct Practitioners {
    list: Vec<(String, Practitioner)>,
}

impl Practitioners {
    /// Adds (or finds) the practitioner an XCN names; the reference to use for it.
    pub fn add(&mut self, ctx: &Ctx<'_>, xcn: Value<'_>) -> Option<Reference> {
        let code = comp(xcn, 1);
        let family = comp(xcn, 2);
        let given = comp(xcn, 3);
        let prefix = comp(xcn, 6);
        let key = code.as_deref().or(family.as_deref())?.to_owned();
        let display = display_name(prefix.as_deref(), given.as_deref(), family.as_deref());
        if let Some((_, p)) = self.list.iter().find(|(k, _)| *k == key) {
            let id = p.id.as_deref().unwrap_or_default();
            return Some(Reference {
                display,
                ..Reference::to(Ctx::urn(id))
            });
        }
        let id = ctx.id("Practitioner", &key);
        let name = (family.is_some() || given.is_some()).then(|| HumanName {
            family: family.map(|s| s.into_owned()),
            given: given.map(|s| s.into_owned()).into_iter().collect(),
            prefix: prefix.map(|s| s.into_owned()).into_iter().collect(),
            ..Default::default()
        });
        let p = Practitioner {
            id: Some(id.clone()),
            meta: Some(uk_core::profile_meta(systems::profile::PRACTITIONER)),
            identifier: code
                .as_deref()
                .map(practitioner_identifier)
                .into_iter()
                .collect(),
            name: name.into_iter().collect(),
            ..Default::default()
        };
        self.list.push((key, p));
        Some(Reference {
            display,
            ..Reference::to(Ctx::urn(&id))
        })
    }

    /// The Practitioner resources, in first-seen order.
    pub fn into_resources(self) -> impl Iterator<Item = Resource> {
        self.list.into_iter().map(|(_, p)| p.into())
    }
}

/// The identifier a national practitioner code implies.
pub(crate) fn practitioner_identifier(code: &str) -> Identifier {
    let code = code.trim();
    let digits7 = |s: &str| s.len() == 7 && s.bytes().all(|b| b.is_ascii_digit());
    match code.split_at_checked(1) {
        Some(("C" | "c", rest)) if digits7(rest) => {
            uk_core::professional_identifier(Professional::Gmc, rest)
        }
        Some(("G" | "g", rest)) if digits7(rest) => {
            uk_core::professional_identifier(Professional::Gmp, &code.to_ascii_uppercase())
        }
        _ => Identifier {
            type_: Some(CodeableConcept::text("NHS DD consultant code")),
            value: Some(code.to_owned()),
            ..Default::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_by_prefix() {
        let c = practitioner_identifier("C9990011");
        assert_eq!(c.system.as_deref(), Some(systems::GMC_NUMBER));
        assert_eq!(c.value.as_deref(), Some("9990011"));
        let g = practitioner_identifier("G9990015");
        assert_eq!(g.system.as_deref(), Some(systems::GMP_NUMBER));
        assert_eq!(g.value.as_deref(), Some("G9990015"));
        let n = practitioner_identifier("N1234567X");
        assert_eq!(n.system, None);
        assert_eq!(n.value.as_deref(), Some("N1234567X"));
    }
}
