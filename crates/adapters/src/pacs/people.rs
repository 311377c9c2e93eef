//! Who and which: XCN (ORC-12, OBR-16, AIP-3) and NDL/CNN (OBR-32, with subcomponents) →
//! logical Practitioner references by identifier, and EI order/accession/appointment numbers →
//! identifiers typed with v2-0203 (`PLAC`, `FILL`, `ACSN`) under the trust's namespace.
//!
//! The practitioner identifier is read as the PAS adapter reads it (C/G-code → GMC/GMP number,
//! anything else kept as a local code).

use junction_hl7v2::Value;
use junction_model::fhir::{CodeableConcept, Coding, Identifier, Reference};
use junction_model::uk_core::systems;

use super::ctx::{Ctx, comp, sub};
use crate::pas::practitioners::practitioner_identifier;

/// XCN (id, family, given, …, prefix in XCN.6) → a Practitioner reference by identifier.
pub(crate) fn xcn_reference(v: Value<'_>) -> Option<Reference> {
    let name = |c| comp(v, c);
    person(name(1), name(2), name(3), name(6))
}

/// NDL (OBR-32..35) whose first component is a CNN in subcomponents: id, family, given,
/// middle, suffix, prefix, degree. CRIS sends the title in CNN.7 (degree), so it is used
/// when CNN.6 is empty.
pub(crate) fn ndl_reference(v: Value<'_>) -> Option<Reference> {
    let s = |n| sub(v, 1, n);
    person(s(1), s(2), s(3), s(6).or_else(|| s(7)))
}

fn person(
    code: Option<std::borrow::Cow<'_, str>>,
    family: Option<std::borrow::Cow<'_, str>>,
    given: Option<std::borrow::Cow<'_, str>>,
    prefix: Option<std::borrow::Cow<'_, str>>,
) -> Option<Reference> {
    let parts: Vec<&str> = [prefix.as_deref(), given.as_deref(), family.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let display = (!parts.is_empty()).then(|| parts.join(" "));
    if code.is_none() && display.is_none() {
        return None;
    }
    let reference = match code {
        Some(code) => Reference::by_identifier("Practitioner", practitioner_identifier(&code)),
        None => Reference {
            type_: Some("Practitioner".into()),
            ..Default::default()
        },
    };
    Some(Reference {
        display,
        ..reference
    })
}

/// The kind of business number an EI is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Number {
    Placer,
    Filler,
    Accession,
    PlacerAppointment,
    FillerAppointment,
}

impl Number {
    fn type_code(self) -> &'static str {
        match self {
            Self::Placer | Self::PlacerAppointment => "PLAC",
            Self::Filler | Self::FillerAppointment => "FILL",
            Self::Accession => "ACSN",
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Self::Placer => "placer-order-number",
            Self::Filler => "filler-order-number",
            Self::Accession => "accession-number",
            Self::PlacerAppointment => "placer-appointment-id",
            Self::FillerAppointment => "filler-appointment-id",
        }
    }
}

/// EI.1 → an identifier typed `PLAC`/`FILL`/`ACSN` (v2-0203), with system
/// `https://fhir.<MSH-4 lowercase>.nhs.uk/Id/<kind>` (the trust owns its order and accession
/// numbers, whichever of its systems issued them) when MSH-4 is sent.
pub(crate) fn number(ctx: &Ctx<'_>, v: Value<'_>, what: Number) -> Option<Identifier> {
    let value = comp(v, 1)?.into_owned();
    let system = ctx.facility.as_deref().map(|f| {
        let trust: String = f
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        format!("https://fhir.{trust}.nhs.uk/Id/{}", what.kind())
    });
    Some(Identifier {
        type_: Some(CodeableConcept::from_coding(Coding::new(
            systems::V2_IDENTIFIER_TYPE,
            what.type_code(),
            None,
        ))),
        system,
        value: Some(value),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::AdapterOptions;
    use junction_hl7v2::Message;

    #[test]
    fn people_and_numbers() {
        let msg = Message::parse(
            b"MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.4\rOBR|C1^OKONKWO^Ada^^^Dr|C2&FARROW&Helen&&&&Dr|N1^ICE\r",
        )
        .unwrap();
        let obr = msg.segment("OBR", 1).unwrap();
        let r = xcn_reference(obr.field(1).unwrap()).unwrap();
        assert_eq!(r.display.as_deref(), Some("Dr Ada OKONKWO"));
        assert_eq!(r.identifier.unwrap().value.as_deref(), Some("C1"));
        let r = ndl_reference(obr.field(2).unwrap()).unwrap();
        assert_eq!(r.display.as_deref(), Some("Dr Helen FARROW"));
        let opts = AdapterOptions::default();
        let mut ctx = Ctx::new(crate::pacs::ctx::ID_NAMESPACE, &opts, "s", "m");
        ctx.facility = Some("RXX".into());
        let id = number(&ctx, obr.field(3).unwrap(), Number::Placer).unwrap();
        assert_eq!(
            id.system.as_deref(),
            Some("https://fhir.rxx.nhs.uk/Id/placer-order-number")
        );
    }
}
