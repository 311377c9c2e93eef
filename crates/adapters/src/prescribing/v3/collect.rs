//! The [`Visitor`] that picks the fields Junction maps out of an EPS parent prescription
//! (`PORX_IN020101SM31`) or cancel request (`PORX_IN030101SM32`), by element path suffix.
//! It keeps only what it needs, so memory stays proportional to the fields, not the document.

use super::reader::{Attrs, Visitor};

/// OIDs (`id/@root`) that say what an identifier is.
pub(crate) mod oid {
    pub const NHS_NUMBER: &str = "2.16.840.1.113883.2.1.4.1";
    pub const SHORT_FORM_ID: &str = "2.16.840.1.113883.2.1.3.2.4.18.8";
    pub const PROFESSIONAL_CODE: &str = "1.2.826.0.1285.0.2.1.54";
    pub const SDS_USER_ID: &str = "1.2.826.0.1285.0.2.0.65";
    pub const SDS_ROLE_PROFILE: &str = "1.2.826.0.1285.0.2.0.67";
}

/// One `pertinentLineItem`.
#[derive(Default)]
pub(crate) struct LineItem {
    pub id: Option<String>,
    pub code: Option<String>,
    pub display: Option<String>,
    pub qty_value: Option<String>,
    pub qty_unit: Option<String>,
    pub qty_code: Option<String>,
    pub dose_text: Option<String>,
    pub notes: Vec<String>,
}

/// The prescriber (`author/AgentPerson`).
#[derive(Default)]
pub(crate) struct Author {
    pub role_profile: Option<String>,
    pub job_role: Option<String>,
    pub phone: Option<String>,
    pub prof_code: Option<String>,
    pub sds_user: Option<String>,
    pub prefix: Vec<String>,
    pub given: Vec<String>,
    pub family: Option<String>,
    pub org_ods: Option<String>,
    pub org_name: Option<String>,
    pub parent_ods: Option<String>,
    pub parent_name: Option<String>,
}

/// Everything collected from one document.
#[derive(Default)]
pub(crate) struct Collected {
    pub message_id: Option<String>,
    pub sender_asid: Option<String>,
    pub nhs_number: Option<String>,
    pub patient_prefix: Vec<String>,
    pub patient_given: Vec<String>,
    pub patient_family: Option<String>,
    pub gender: Option<String>,
    pub birth: Option<String>,
    pub gp: Option<String>,
    pub long_id: Option<String>,
    pub short_id: Option<String>,
    pub nominated: Option<String>,
    pub authored: Option<String>,
    pub effective: Option<String>,
    pub author: Author,
    pub repeat_high: Option<String>,
    pub validity: (Option<String>, Option<String>),
    pub supply: Option<(String, Option<String>)>,
    pub treatment_type: Option<String>,
    pub site_preference: Option<String>,
    pub prescription_type: Option<String>,
    pub items: Vec<LineItem>,
    pub cancel_item: Option<String>,
    pub cancel_reason: Option<String>,
    pub cancel_reason_text: Option<String>,
}

fn ends(path: &[String], tail: &[&str]) -> bool {
    path.len() >= tail.len()
        && path[path.len() - tail.len()..]
            .iter()
            .zip(tail)
            .all(|(a, b)| a == b)
}

/// The path below the prescriber's `AgentPerson` (`author` of the prescription or of the
/// cancel request), if `path` is inside it.
fn in_author(path: &[String]) -> Option<&[String]> {
    let pos = path.iter().position(|p| p == "AgentPerson")?;
    let ok = pos >= 2
        && path[pos - 1] == "author"
        && matches!(
            path[pos - 2].as_str(),
            "pertinentPrescription" | "CancellationRequest"
        );
    ok.then(|| &path[pos + 1..])
}

fn in_line_item(path: &[String]) -> bool {
    path.iter().any(|p| p == "pertinentLineItem")
}

fn own(s: Option<&str>) -> Option<String> {
    s.map(str::to_owned)
}

impl Visitor for Collected {
    fn start(&mut self, path: &[String], a: &Attrs) {
        let root = a.get("root");
        let ext = a.get("extension");
        if path.len() == 2 && path[1] == "id" {
            self.message_id = own(root);
        } else if ends(path, &["communicationFunctionSnd", "device", "id"]) {
            self.sender_asid = own(ext);
        } else if ends(path, &["recordTarget", "Patient", "id"]) && root == Some(oid::NHS_NUMBER) {
            self.nhs_number = own(ext);
        } else if ends(path, &["patientPerson", "administrativeGenderCode"]) {
            self.gender = own(a.get("code"));
        } else if ends(path, &["patientPerson", "birthTime"]) {
            self.birth = own(a.get("value"));
        } else if ends(path, &["responsibleParty", "healthCareProvider", "id"]) {
            self.gp = own(ext);
        } else if ends(path, &["pertinentLineItem"]) {
            self.items.push(LineItem::default());
        } else if in_line_item(path) {
            self.line_item_start(path, a);
        } else if let Some(rel) = in_author(path) {
            self.author_start(rel, a);
        } else if ends(path, &["pertinentPrescription", "id"])
            || ends(path, &["pertinentPrescriptionID", "value"])
        {
            if root == Some(oid::SHORT_FORM_ID) {
                self.short_id = own(ext);
            } else if ext.is_none() {
                self.long_id = own(root);
            }
        } else if ends(path, &["pertinentOriginalPrescriptionRef", "id"]) {
            self.long_id = own(root);
        } else if ends(path, &["pertinentLineItemRef", "id"]) {
            self.cancel_item = own(root);
        } else if ends(path, &["pertinentCancellationReason", "value"]) {
            self.cancel_reason = own(a.get("code"));
        } else if ends(
            path,
            &["performer", "AgentOrgSDS", "agentOrganizationSDS", "id"],
        ) {
            self.nominated = own(ext);
        } else if ends(path, &["pertinentPrescription", "author", "time"]) {
            self.authored = own(a.get("value"));
        } else if ends(path, &["CancellationRequest", "effectiveTime"]) {
            self.effective = own(a.get("value"));
        } else if ends(path, &["pertinentPrescription", "repeatNumber", "high"]) {
            self.repeat_high = own(a.get("value"));
        } else if ends(path, &["daysSupply", "effectiveTime", "low"]) {
            self.validity.0 = own(a.get("value"));
        } else if ends(path, &["daysSupply", "effectiveTime", "high"]) {
            self.validity.1 = own(a.get("value"));
        } else if ends(path, &["daysSupply", "expectedUseTime", "width"]) {
            self.supply = a.get("value").map(|v| (v.to_owned(), own(a.get("unit"))));
        } else if ends(path, &["pertinentPrescriptionTreatmentType", "value"]) {
            self.treatment_type = own(a.get("code"));
        } else if ends(path, &["pertinentDispensingSitePreference", "value"]) {
            self.site_preference = own(a.get("code"));
        } else if ends(path, &["pertinentPrescriptionType", "value"]) {
            self.prescription_type = own(a.get("code"));
        }
    }

    fn text(&mut self, path: &[String], text: &str) {
        if ends(path, &["patientPerson", "name", "prefix"]) {
            self.patient_prefix.push(text.to_owned());
        } else if ends(path, &["patientPerson", "name", "given"]) {
            self.patient_given.push(text.to_owned());
        } else if ends(path, &["patientPerson", "name", "family"]) {
            self.patient_family = Some(text.to_owned());
        } else if ends(path, &["pertinentCancellationReason", "text"]) {
            self.cancel_reason_text = Some(text.to_owned());
        } else if in_line_item(path) {
            let Some(item) = self.items.last_mut() else {
                return;
            };
            if ends(path, &["pertinentDosageInstructions", "value"]) {
                item.dose_text = Some(text.to_owned());
            } else if ends(path, &["pertinentAdditionalInstructions", "value"]) {
                item.notes.push(text.to_owned());
            }
        } else if let Some(rel) = in_author(path) {
            let au = &mut self.author;
            let rel: Vec<&str> = rel.iter().map(String::as_str).collect();
            match rel.as_slice() {
                ["agentPerson", "name", "prefix"] => au.prefix.push(text.to_owned()),
                ["agentPerson", "name", "given"] => au.given.push(text.to_owned()),
                ["agentPerson", "name", "family"] => au.family = Some(text.to_owned()),
                ["representedOrganization", "name"] => au.org_name = Some(text.to_owned()),
                [
                    "representedOrganization",
                    "healthCareProviderLicense",
                    "Organization",
                    "name",
                ] => {
                    au.parent_name = Some(text.to_owned());
                }
                _ => {}
            }
        }
    }
}

impl Collected {
    fn line_item_start(&mut self, path: &[String], a: &Attrs) {
        let Some(item) = self.items.last_mut() else {
            return;
        };
        if ends(path, &["pertinentLineItem", "id"]) {
            item.id = own(a.get("root"));
        } else if ends(path, &["manufacturedRequestedMaterial", "code"]) {
            item.code = own(a.get("code"));
            item.display = own(a.get("displayName"));
        } else if ends(path, &["lineItemQuantity", "quantity"]) {
            item.qty_value = own(a.get("value"));
        } else if ends(path, &["lineItemQuantity", "quantity", "translation"]) {
            item.qty_code = own(a.get("code"));
            item.qty_unit = own(a.get("displayName"));
            if let Some(v) = a.get("value") {
                item.qty_value = Some(v.to_owned());
            }
        }
    }

    fn author_start(&mut self, rel: &[String], a: &Attrs) {
        let rel: Vec<&str> = rel.iter().map(String::as_str).collect();
        let au = &mut self.author;
        let root = a.get("root");
        match rel.as_slice() {
            ["id"] if root == Some(oid::SDS_ROLE_PROFILE) => {
                au.role_profile = own(a.get("extension"))
            }
            ["code"] => au.job_role = own(a.get("code")),
            ["telecom"] => {
                au.phone = a
                    .get("value")
                    .map(|v| v.strip_prefix("tel:").unwrap_or(v).to_owned())
            }
            ["agentPerson", "id"] if root == Some(oid::PROFESSIONAL_CODE) => {
                au.prof_code = own(a.get("extension"))
            }
            ["agentPerson", "id"] if root == Some(oid::SDS_USER_ID) => {
                au.sds_user = own(a.get("extension"))
            }
            ["representedOrganization", "id"] => au.org_ods = own(a.get("extension")),
            [
                "representedOrganization",
                "healthCareProviderLicense",
                "Organization",
                "id",
            ] => {
                au.parent_ods = own(a.get("extension"));
            }
            _ => {}
        }
    }
}
