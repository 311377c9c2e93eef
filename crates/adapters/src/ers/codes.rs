//! e-RS STU3 identifier systems, extension URLs and code systems, and the STU3 → R4 code maps
//! (status, intent, priority) the `ers` adapter applies.

/// Identifier system of the e-RS request id (`r.<uuid>`), kept as a ServiceRequest identifier.
pub(crate) const ERS_REQUEST_ID: &str = "https://fhir.nhs.uk/Id/ers-request-id";
/// e-RS service id (shortlisted / booked services).
pub(crate) const ERS_SERVICE: &str = "http://fhir.nhs.net/Id/ers-service";
/// The NHS number system e-RS STU3 still sends.
pub(crate) const NHS_NUMBER_STU3: &str = "http://fhir.nhs.net/Id/nhs-number";
/// The SDS user id system e-RS STU3 still sends.
pub(crate) const SDS_USER_ID_STU3: &str = "http://fhir.nhs.net/Id/sds-user-id";
/// The UBRN system as written in lower case in some e-RS documents (read, never written).
pub(crate) const UBRN_LOWER: &str = "https://fhir.nhs.uk/Id/ubrn";

/// e-RS priority code system (`ROUTINE`, `URGENT`, `TWO_WEEK_WAIT`).
pub(crate) const CS_PRIORITY: &str = "https://fhir.nhs.uk/STU3/CodeSystem/eRS-Priority-1";
/// The R4 ServiceRequest category e-RS itself uses for referrals.
pub(crate) const CS_SERVICEREQUEST_CATEGORY: &str =
    "https://fhir.nhs.uk/CodeSystem/message-category-servicerequest";
/// The BaRS message events (`servicerequest-request`), for the MessageHeader.
pub(crate) const CS_MESSAGE_EVENTS_BARS: &str =
    "https://fhir.nhs.uk/CodeSystem/message-events-bars";

const EXT: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-eRS-";
/// `Extension-eRS-ReferralPriority-1` (valueCodeableConcept).
pub(crate) const EXT_PRIORITY: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-eRS-ReferralPriority-1";
/// `Extension-eRS-ReferralState-1` (complex: state, reason, comments).
pub(crate) const EXT_STATE: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-eRS-ReferralState-1";
/// `Extension-eRS-ReferralShortlist-1` (reference to the contained List).
pub(crate) const EXT_SHORTLIST: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-eRS-ReferralShortlist-1";
/// `Extension-eRS-Appointment-1` (reference to the contained Appointment).
pub(crate) const EXT_APPOINTMENT: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-eRS-Appointment-1";
/// `Extension-eRS-ClinicalInfoFirstSubmitted-1` (valueDateTime).
pub(crate) const EXT_CLINICAL_INFO_FIRST_SUBMITTED: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-eRS-ClinicalInfoFirstSubmitted-1";
/// `Extension-eRS-ClinicalInfoLastUpdated-1` (valueDateTime).
pub(crate) const EXT_CLINICAL_INFO_LAST_UPDATED: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-eRS-ClinicalInfoLastUpdated-1";
/// `Extension-eRS-AttachedBy-1` on an attachment (reference by SDS user id).
pub(crate) const EXT_ATTACHED_BY: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-eRS-AttachedBy-1";
/// `Extension-eRS-AttachedByOrganisation-1` on an attachment (reference by ODS code).
pub(crate) const EXT_ATTACHED_BY_ORG: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-eRS-AttachedByOrganisation-1";

/// Whether an STU3 extension is carried onto the R4 ServiceRequest unchanged. The two that
/// point at contained STU3 resources (`#appointment`, `#shortlist`) are not: their content
/// becomes `occurrencePeriod` and `performer` instead.
pub(crate) fn keep_extension(url: &str) -> bool {
    url.starts_with(EXT) && url != EXT_SHORTLIST && url != EXT_APPOINTMENT
}

/// STU3 `ReferralRequest.status` → R4 `ServiceRequest.status` (`suspended` → `on-hold`,
/// `cancelled` → `revoked`); `None` for a code STU3 does not define.
pub(crate) fn status_r4(stu3: &str) -> Option<&'static str> {
    Some(match stu3 {
        "draft" => "draft",
        "active" => "active",
        "suspended" => "on-hold",
        "cancelled" => "revoked",
        "completed" => "completed",
        "entered-in-error" => "entered-in-error",
        "unknown" => "unknown",
        _ => return None,
    })
}

/// STU3 `ReferralRequest.intent` → R4 `ServiceRequest.intent`. e-RS sends `plan` for every
/// referral and represents the same referral in its R4 API with `order`, so `plan` becomes
/// `order`; the other STU3 codes exist in R4 unchanged.
pub(crate) fn intent_r4(stu3: &str) -> Option<&'static str> {
    Some(match stu3 {
        "plan" | "order" => "order",
        "proposal" => "proposal",
        "original-order" => "original-order",
        "reflex-order" => "reflex-order",
        "filler-order" => "filler-order",
        "instance-order" => "instance-order",
        "option" => "option",
        _ => return None,
    })
}

/// e-RS priority → R4 `ServiceRequest.priority`: `ROUTINE` → `routine`, `URGENT` → `urgent`,
/// `TWO_WEEK_WAIT` (suspected cancer, seen within two weeks) → `asap`, so it stays distinct
/// from plain urgent; the e-RS code itself is kept in the ReferralPriority extension.
pub(crate) fn priority_r4(ers: &str) -> Option<&'static str> {
    Some(match ers {
        "ROUTINE" => "routine",
        "URGENT" => "urgent",
        "TWO_WEEK_WAIT" => "asap",
        _ => return None,
    })
}

/// An STU3-era identifier system in its current form (`fhir.nhs.net` → `fhir.nhs.uk`).
pub(crate) fn modern_system(system: &str) -> &str {
    match system {
        NHS_NUMBER_STU3 => junction_model::uk_core::systems::NHS_NUMBER,
        SDS_USER_ID_STU3 => junction_model::uk_core::systems::SDS_USER_ID,
        "http://fhir.nhs.net/Id/ods-organization-code" => {
            junction_model::uk_core::systems::ODS_ORGANIZATION_CODE
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_maps() {
        assert_eq!(status_r4("cancelled"), Some("revoked"));
        assert_eq!(status_r4("suspended"), Some("on-hold"));
        assert_eq!(status_r4("held"), None);
        assert_eq!(intent_r4("plan"), Some("order"));
        assert_eq!(intent_r4("directive"), None);
        assert_eq!(priority_r4("TWO_WEEK_WAIT"), Some("asap"));
        assert_eq!(priority_r4("routine"), None);
        assert!(keep_extension(EXT_PRIORITY));
        assert!(!keep_extension(EXT_SHORTLIST));
        assert!(!keep_extension("http://example.org/x"));
        assert_eq!(
            modern_system(NHS_NUMBER_STU3),
            "https://fhir.nhs.uk/Id/nhs-number"
        );
    }
}
