//! UK Core specifics: identifier systems, extension and profile URLs, NHS
//! number verification status, ethnic category, gender mappings, and
//! helpers that build the identifiers and references adapters need.

pub mod ethnic;
pub mod gender;
pub mod systems;
pub mod verification;

mod helpers;

pub use ethnic::EthnicCategory;
pub use gender::{gender_from_hl7v2, gender_from_nhs_dd, gender_to_hl7v2};
pub use helpers::{
    Professional, ethnic_category_extension, nhs_number_from_identifiers, nhs_number_identifier,
    ods_organization_identifier, ods_reference, ods_site_identifier, ods_site_reference,
    professional_identifier, profile_meta,
};
pub use verification::VerificationStatus;
