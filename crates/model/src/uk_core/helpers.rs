//! Constructors for the UK Core identifiers, references and extensions that
//! adapters emit again and again.

use crate::fhir::{Extension, Identifier, Meta, Reference};
use crate::nhs_number::NhsNumber;

use super::EthnicCategory;
use super::VerificationStatus;
use super::systems::{
    GMC_NUMBER, GMP_NUMBER, HCPC_NUMBER, NHS_NUMBER, NMC_NUMBER, ODS_ORGANIZATION_CODE,
    ODS_SITE_CODE, SDS_USER_ID,
};

/// The NHS number Identifier, with the verification status extension when
/// the status is known.
pub fn nhs_number_identifier(
    nhs_number: &NhsNumber,
    verification: Option<VerificationStatus>,
) -> Identifier {
    let mut id = Identifier::new(NHS_NUMBER, nhs_number.to_string());
    if let Some(status) = verification {
        id.extension.push(status.extension());
    }
    id
}

/// The first valid NHS number among identifiers with the NHS number system.
/// Invalid values are skipped (the caller can warn about them).
pub fn nhs_number_from_identifiers(identifiers: &[Identifier]) -> Option<NhsNumber> {
    identifiers
        .iter()
        .filter(|id| id.system.as_deref() == Some(NHS_NUMBER))
        .find_map(|id| id.value.as_deref().and_then(|v| NhsNumber::parse(v).ok()))
}

/// An ODS organisation code Identifier (code trimmed and upper-cased).
pub fn ods_organization_identifier(code: &str) -> Identifier {
    Identifier::new(ODS_ORGANIZATION_CODE, code.trim().to_ascii_uppercase())
}

/// An ODS site code Identifier (code trimmed and upper-cased).
pub fn ods_site_identifier(code: &str) -> Identifier {
    Identifier::new(ODS_SITE_CODE, code.trim().to_ascii_uppercase())
}

/// A logical reference to an Organization by ODS code, e.g. for
/// `Patient.generalPractitioner` or `Encounter.serviceProvider`.
pub fn ods_reference(code: &str, display: Option<&str>) -> Reference {
    Reference {
        display: display.map(str::to_owned),
        ..Reference::by_identifier("Organization", ods_organization_identifier(code))
    }
}

/// A logical reference to a Location by ODS site code.
pub fn ods_site_reference(code: &str, display: Option<&str>) -> Reference {
    Reference {
        display: display.map(str::to_owned),
        ..Reference::by_identifier("Location", ods_site_identifier(code))
    }
}

/// Professional registers and directories that identify practitioners.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Professional {
    /// General Medical Council number (doctors).
    Gmc,
    /// GP (GMP) number.
    Gmp,
    /// Nursing and Midwifery Council number.
    Nmc,
    /// Health and Care Professions Council number.
    Hcpc,
    /// Spine Directory Service user id.
    SdsUserId,
}

impl Professional {
    /// The identifier system URI.
    pub fn system(self) -> &'static str {
        match self {
            Self::Gmc => GMC_NUMBER,
            Self::Gmp => GMP_NUMBER,
            Self::Nmc => NMC_NUMBER,
            Self::Hcpc => HCPC_NUMBER,
            Self::SdsUserId => SDS_USER_ID,
        }
    }
}

/// A practitioner Identifier in a professional register (code trimmed).
pub fn professional_identifier(register: Professional, code: &str) -> Identifier {
    Identifier::new(register.system(), code.trim())
}

/// `Meta` claiming one profile, e.g. `profile_meta(profile::PATIENT)`.
pub fn profile_meta(profile: &str) -> Meta {
    Meta::with_profile(profile)
}

/// The UK Core ethnic category extension.
pub fn ethnic_category_extension(category: EthnicCategory) -> Extension {
    category.extension()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nhs_number_identifier_json() {
        let n = NhsNumber::parse("9990000018").unwrap();
        let id = nhs_number_identifier(&n, Some(VerificationStatus::Verified));
        assert_eq!(
            serde_json::to_value(&id).unwrap(),
            json!({
                "extension": [{
                    "url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
                    "valueCodeableConcept": {"coding": [{
                        "system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland",
                        "code": "01",
                        "display": "Number present and verified"
                    }]}
                }],
                "system": "https://fhir.nhs.uk/Id/nhs-number",
                "value": "9990000018"
            })
        );
        let plain = nhs_number_identifier(&n, None);
        assert!(plain.extension.is_empty());
        let mrn = Identifier::new("https://trust.example/mrn", "12345");
        let bad = Identifier::new(NHS_NUMBER, "9990000017");
        assert_eq!(nhs_number_from_identifiers(&[mrn, bad, id]), Some(n));
    }

    #[test]
    fn ods_and_professional_identifiers() {
        let r = ods_reference(" y12345 ", Some("A Practice"));
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({
                "type": "Organization",
                "identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "Y12345"},
                "display": "A Practice"
            })
        );
        let site = ods_site_reference("RXX01", None);
        assert_eq!(
            site.identifier.unwrap().system.as_deref(),
            Some(ODS_SITE_CODE)
        );
        let gmc = professional_identifier(Professional::Gmc, "6150129");
        assert_eq!(
            gmc.system.as_deref(),
            Some("https://fhir.hl7.org.uk/Id/gmc-number")
        );
        assert_eq!(
            Professional::Gmp.system(),
            "https://fhir.hl7.org.uk/Id/gmp-number"
        );
        assert_eq!(
            Professional::Nmc.system(),
            "https://fhir.hl7.org.uk/Id/nmc-number"
        );
        assert_eq!(
            Professional::SdsUserId.system(),
            "https://fhir.nhs.uk/Id/sds-user-id"
        );
        let meta = profile_meta(super::super::systems::profile::PATIENT);
        assert_eq!(
            meta.profile,
            ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]
        );
    }
}
