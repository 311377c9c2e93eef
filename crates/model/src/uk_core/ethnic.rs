//! Ethnic category (England, NHS Data Dictionary 2001 census codes A–Z),
//! carried on Patient as the UK Core ethnic category extension.

use crate::fhir::{CodeableConcept, Coding, Extension, ExtensionValue};

use super::systems::{CS_ETHNIC_CATEGORY, EXT_ETHNIC_CATEGORY};

/// Ethnic category codes and displays, in code order.
const CATEGORIES: [(&str, &str); 18] = [
    ("A", "White - British"),
    ("B", "White - Irish"),
    ("C", "White - Any other White background"),
    ("D", "Mixed - White and Black Caribbean"),
    ("E", "Mixed - White and Black African"),
    ("F", "Mixed - White and Asian"),
    ("G", "Mixed - Any other mixed background"),
    ("H", "Asian or Asian British - Indian"),
    ("J", "Asian or Asian British - Pakistani"),
    ("K", "Asian or Asian British - Bangladeshi"),
    ("L", "Asian or Asian British - Any other Asian background"),
    ("M", "Black or Black British - Caribbean"),
    ("N", "Black or Black British - African"),
    ("P", "Black or Black British - Any other Black background"),
    ("R", "Other Ethnic Groups - Chinese"),
    ("S", "Other Ethnic Groups - Any other ethnic group"),
    ("Z", "Not stated"),
    ("99", "Not known"),
];

/// An ethnic category code from the England code system (`A`–`S`, `Z`
/// not stated, `99` not known).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EthnicCategory(usize);

impl EthnicCategory {
    /// The category for a code (case-insensitive, trimmed), if it is one of
    /// the national codes. Local codes go through a code table first.
    pub fn from_code(code: &str) -> Option<Self> {
        let code = code.trim();
        CATEGORIES
            .iter()
            .position(|(c, _)| c.eq_ignore_ascii_case(code))
            .map(Self)
    }

    /// Every category, in code order.
    pub fn all() -> impl Iterator<Item = Self> {
        (0..CATEGORIES.len()).map(Self)
    }

    /// The code, e.g. `"A"`.
    pub fn code(self) -> &'static str {
        CATEGORIES[self.0].0
    }

    /// The display, e.g. `"White - British"`.
    pub fn display(self) -> &'static str {
        CATEGORIES[self.0].1
    }

    /// The category as a Coding in the England code system.
    pub fn coding(self) -> Coding {
        Coding::new(CS_ETHNIC_CATEGORY, self.code(), Some(self.display()))
    }

    /// The UK Core ethnic category extension for a Patient.
    pub fn extension(self) -> Extension {
        Extension::with_value(
            EXT_ETHNIC_CATEGORY,
            ExtensionValue::CodeableConcept(CodeableConcept::from_coding(self.coding())),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_by_code() {
        let a = EthnicCategory::from_code("a").unwrap();
        assert_eq!(a.code(), "A");
        assert_eq!(a.display(), "White - British");
        assert_eq!(
            EthnicCategory::from_code("Z").unwrap().display(),
            "Not stated"
        );
        assert_eq!(EthnicCategory::from_code("I"), None, "I, O, Q are not used");
        assert_eq!(EthnicCategory::all().count(), 18);
        for cat in EthnicCategory::all() {
            assert_eq!(EthnicCategory::from_code(cat.code()), Some(cat));
        }
    }

    #[test]
    fn extension_shape() {
        let ext = EthnicCategory::from_code("H").unwrap().extension();
        assert_eq!(
            serde_json::to_value(&ext).unwrap(),
            serde_json::json!({
                "url": EXT_ETHNIC_CATEGORY,
                "valueCodeableConcept": {"coding": [{
                    "system": CS_ETHNIC_CATEGORY,
                    "code": "H",
                    "display": "Asian or Asian British - Indian"
                }]}
            })
        );
    }
}
