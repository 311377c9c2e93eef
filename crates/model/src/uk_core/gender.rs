//! Administrative gender mappings: HL7 v2 table 0001 (PID-8) and NHS Data
//! Dictionary person stated gender codes, to FHIR `administrative-gender`.

use crate::fhir::AdministrativeGender;

/// Maps HL7 v2 table 0001 (administrative sex) to FHIR, following the HL7
/// v2-to-FHIR concept map: `M` male, `F` female, `U` unknown, `O` other,
/// `A` (ambiguous) other, `N` (not applicable) other. Case-insensitive;
/// `None` for anything else (map local codes through a code table first).
pub fn gender_from_hl7v2(code: &str) -> Option<AdministrativeGender> {
    match code.trim().to_ascii_uppercase().as_str() {
        "M" => Some(AdministrativeGender::Male),
        "F" => Some(AdministrativeGender::Female),
        "U" => Some(AdministrativeGender::Unknown),
        "O" | "A" | "N" => Some(AdministrativeGender::Other),
        _ => None,
    }
}

/// Maps NHS Data Dictionary person stated gender codes to FHIR, as the UK
/// Core concept map does: `1` male, `2` female, `9` (indeterminate) other,
/// `X` and `0` (not known) unknown. `None` for anything else.
pub fn gender_from_nhs_dd(code: &str) -> Option<AdministrativeGender> {
    match code.trim().to_ascii_uppercase().as_str() {
        "1" => Some(AdministrativeGender::Male),
        "2" => Some(AdministrativeGender::Female),
        "9" => Some(AdministrativeGender::Other),
        "X" | "0" => Some(AdministrativeGender::Unknown),
        _ => None,
    }
}

/// The HL7 v2 table 0001 code for a FHIR gender (`M`, `F`, `O`, `U`), for
/// sinks that write HL7 v2.
pub fn gender_to_hl7v2(gender: AdministrativeGender) -> &'static str {
    match gender {
        AdministrativeGender::Male => "M",
        AdministrativeGender::Female => "F",
        AdministrativeGender::Other => "O",
        AdministrativeGender::Unknown => "U",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AdministrativeGender::*;

    #[test]
    fn hl7v2_table_0001() {
        let cases = [
            ("M", Male),
            ("f", Female),
            ("U", Unknown),
            ("O", Other),
            ("A", Other),
            ("N", Other),
        ];
        for (code, want) in cases {
            assert_eq!(gender_from_hl7v2(code), Some(want), "{code}");
        }
        assert_eq!(gender_from_hl7v2("Z"), None);
        assert_eq!(gender_from_hl7v2(""), None);
        for g in [Male, Female, Other, Unknown] {
            assert_eq!(gender_from_hl7v2(gender_to_hl7v2(g)), Some(g));
        }
    }

    #[test]
    fn nhs_data_dictionary() {
        let cases = [
            ("1", Male),
            ("2", Female),
            ("9", Other),
            ("X", Unknown),
            ("x", Unknown),
            ("0", Unknown),
        ];
        for (code, want) in cases {
            assert_eq!(gender_from_nhs_dd(code), Some(want), "{code}");
        }
        assert_eq!(gender_from_nhs_dd("3"), None);
    }
}
