//! URIs used by UK Core and NHS England: identifier systems, code systems,
//! extension URLs and profile URLs (for `meta.profile`).

/// NHS number identifier system.
pub const NHS_NUMBER: &str = "https://fhir.nhs.uk/Id/nhs-number";
/// ODS organisation code identifier system (trusts, GP practices).
pub const ODS_ORGANIZATION_CODE: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
/// ODS site code identifier system (hospital sites).
pub const ODS_SITE_CODE: &str = "https://fhir.nhs.uk/Id/ods-site-code";
/// General Medical Council number.
pub const GMC_NUMBER: &str = "https://fhir.hl7.org.uk/Id/gmc-number";
/// GP (GMP) number.
pub const GMP_NUMBER: &str = "https://fhir.hl7.org.uk/Id/gmp-number";
/// Nursing and Midwifery Council number.
pub const NMC_NUMBER: &str = "https://fhir.hl7.org.uk/Id/nmc-number";
/// Health and Care Professions Council number.
pub const HCPC_NUMBER: &str = "https://fhir.hl7.org.uk/Id/hcpc-number";
/// Spine Directory Service user id.
pub const SDS_USER_ID: &str = "https://fhir.nhs.uk/Id/sds-user-id";
/// Spine Directory Service role profile id.
pub const SDS_ROLE_PROFILE_ID: &str = "https://fhir.nhs.uk/Id/sds-role-profile-id";
/// e-RS Unique Booking Reference Number.
pub const UBRN: &str = "https://fhir.nhs.uk/Id/UBRN";

/// NHS Number Verification Status extension.
pub const EXT_NHS_NUMBER_VERIFICATION_STATUS: &str =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus";
/// NHS Number Verification Status code system (England).
pub const CS_NHS_NUMBER_VERIFICATION_STATUS: &str =
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland";
/// Older name of the verification status code system, still sent by PDS.
pub const CS_NHS_NUMBER_VERIFICATION_STATUS_LEGACY: &str =
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatus";
/// Ethnic category extension.
pub const EXT_ETHNIC_CATEGORY: &str =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory";
/// Ethnic category code system (England).
pub const CS_ETHNIC_CATEGORY: &str =
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland";
/// Birth time extension on `Patient.birthDate` (`_birthDate`).
pub const EXT_BIRTH_TIME: &str = "http://hl7.org/fhir/StructureDefinition/patient-birthTime";

/// SNOMED CT.
pub const SNOMED_CT: &str = "http://snomed.info/sct";
/// LOINC.
pub const LOINC: &str = "http://loinc.org";
/// UCUM units.
pub const UCUM: &str = "http://unitsofmeasure.org";
/// HL7 v2 table 0203 (identifier type), e.g. `MR`.
pub const V2_IDENTIFIER_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";
/// HL7 v3 ActCode, used for `Encounter.class` (`IMP`, `AMB`, `EMER`).
pub const V3_ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
/// NHS England message events (`MessageHeader.eventCoding`).
pub const MESSAGE_EVENT: &str = "https://fhir.nhs.uk/CodeSystem/message-event";

/// UK Core profile URLs, for `meta.profile`.
pub mod profile {
    /// `UKCore-Patient`.
    pub const PATIENT: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient";
    /// `UKCore-Encounter`.
    pub const ENCOUNTER: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Encounter";
    /// `UKCore-Location`.
    pub const LOCATION: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Location";
    /// `UKCore-Organization`.
    pub const ORGANIZATION: &str =
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Organization";
    /// `UKCore-Practitioner`.
    pub const PRACTITIONER: &str =
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Practitioner";
    /// `UKCore-PractitionerRole`.
    pub const PRACTITIONER_ROLE: &str =
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-PractitionerRole";
    /// `UKCore-ServiceRequest`.
    pub const SERVICE_REQUEST: &str =
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-ServiceRequest";
    /// `UKCore-DiagnosticReport`.
    pub const DIAGNOSTIC_REPORT: &str =
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-DiagnosticReport";
    /// `UKCore-Observation`.
    pub const OBSERVATION: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation";
    /// `UKCore-ImagingStudy`.
    pub const IMAGING_STUDY: &str =
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-ImagingStudy";
    /// `UKCore-MedicationRequest`.
    pub const MEDICATION_REQUEST: &str =
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-MedicationRequest";
    /// `UKCore-Medication`.
    pub const MEDICATION: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Medication";
    /// `UKCore-Appointment`.
    pub const APPOINTMENT: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Appointment";
    /// `UKCore-AllergyIntolerance`.
    pub const ALLERGY_INTOLERANCE: &str =
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-AllergyIntolerance";
    /// `UKCore-DocumentReference`.
    pub const DOCUMENT_REFERENCE: &str =
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-DocumentReference";
    /// `UKCore-EpisodeOfCare`.
    pub const EPISODE_OF_CARE: &str =
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-EpisodeOfCare";
    /// `UKCore-MessageHeader`.
    pub const MESSAGE_HEADER: &str =
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-MessageHeader";
    /// `UKCore-Bundle`.
    pub const BUNDLE: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Bundle";
    /// `UKCore-OperationOutcome`.
    pub const OPERATION_OUTCOME: &str =
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-OperationOutcome";
    /// `UKCore-Provenance`.
    pub const PROVENANCE: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Provenance";
}
