//! The registry of built-in adapters: [`built_in`] turns a config name and plain-struct
//! [`AdapterOptions`] into a live adapter. Only the binary knows TOML.

use junction_model::CodeTables;

use crate::adapter::Adapter;
use crate::dicom::DicomAdapter;
use crate::ers::ErsAdapter;
use crate::fhir::FhirAdapter;
use crate::pacs::PacsAdapter;
use crate::pas::PasAdapter;
use crate::prescribing::PrescribingAdapter;

/// Options shared by the built-in adapters. Plain data: the binary fills it from config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdapterOptions {
    /// Local → national code tables, looked up by name (`sex`, `ethnic`, …).
    pub code_tables: CodeTables,
    /// The assigning authority (CX.4) of the trust's own MRN, e.g. `"RXX"`. When set, only that
    /// authority's identifier is used for the `mrn:` patient key and for
    /// [`AdapterOptions::local_mrn_system`]; when `None`, the first identifier with type `MR`
    /// (or no type) is the MRN.
    pub local_mrn_authority: Option<String>,
    /// Identifier system for the trust MRN, e.g. `"https://fhir.nhs.example/Id/mrn"`. When
    /// `None`, it is built from the authority: `https://fhir.<authority lowercase>.nhs.uk/Id/mrn`.
    pub local_mrn_system: Option<String>,
}

/// The names [`built_in`] accepts.
pub const BUILT_IN: &[&str] = &["pas", "pacs", "prescribing", "fhir", "ers", "dicom"];

/// A name that is not a built-in adapter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown adapter `{name}` (built-in adapters: {})", BUILT_IN.join(", "))]
pub struct UnknownAdapter {
    /// The name asked for.
    pub name: String,
}

/// Builds the built-in adapter called `name`.
///
/// ```
/// use junction_adapters::{AdapterOptions, built_in};
///
/// let pas = built_in("pas", AdapterOptions::default()).unwrap();
/// assert_eq!(pas.name(), "pas");
/// assert!(built_in("telepathy", AdapterOptions::default()).is_err());
/// ```
pub fn built_in(name: &str, options: AdapterOptions) -> Result<Box<dyn Adapter>, UnknownAdapter> {
    match name {
        "pas" => Ok(Box::new(PasAdapter::new(options))),
        "pacs" => Ok(Box::new(PacsAdapter::new(options))),
        "prescribing" => Ok(Box::new(PrescribingAdapter::new(options))),
        "fhir" => Ok(Box::new(FhirAdapter)),
        "ers" => Ok(Box::new(ErsAdapter::new(options))),
        "dicom" => Ok(Box::new(DicomAdapter::new(options))),
        other => Err(UnknownAdapter {
            name: other.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_list_the_known_ones() {
        let err = built_in("dicom-sr", AdapterOptions::default())
            .err()
            .expect("dicom-sr is not built in");
        assert_eq!(
            err.to_string(),
            "unknown adapter `dicom-sr` (built-in adapters: pas, pacs, prescribing, fhir, ers, dicom)"
        );
        for name in BUILT_IN {
            assert_eq!(
                built_in(name, AdapterOptions::default()).unwrap().name(),
                *name
            );
        }
    }
}
