//! Prescriber codes → professional register identifiers. A code's register is taken from
//! what the sender says (v2 XCN.9 authority), else from its shape, using the profession the
//! message implies (the EPS prescription type) only to settle a bare 7-digit number:
//!
//! | code | register |
//! |---|---|
//! | `C` + 7 digits (NHS DD consultant code) | GMC, the 7 digits |
//! | `G` + 7 digits | GMP (GP national code) |
//! | 2 digits, letter, 4 digits, letter (`12A3456E`) | NMC |
//! | 2 letters + 5–6 digits (`PH123456`) | HCPC |
//! | 7 digits, medical prescriber | GMC |
//! | 7 digits, pharmacist prescriber | GPhC |
//! | anything else | EPS `professional-code`, warning `prescriber-code-unclassified` |

use junction_model::fhir::Identifier;
use junction_model::uk_core::{self, Professional};

/// General Pharmaceutical Council register (UK Core; not in `junction_model`'s helpers).
pub(crate) const GPHC_NUMBER: &str = "https://fhir.hl7.org.uk/Id/gphc-number";
/// The EPS system for a professional code whose register is unknown.
pub(crate) const PROFESSIONAL_CODE: &str = "https://fhir.hl7.org.uk/Id/professional-code";

/// The kind of prescriber, when the message says (EPS prescription type code, last 2 digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Profession {
    Medical,
    Nurse,
    Pharmacist,
    Other,
}

impl Profession {
    /// From an EPS prescription type code such as `1001` (outpatient, medical prescriber).
    pub fn from_prescription_type(code: &str) -> Self {
        match code.get(2..) {
            Some("01") => Self::Medical,
            Some("04" | "05") => Self::Nurse,
            Some("08") => Self::Pharmacist,
            _ => Self::Other,
        }
    }
}

/// The identifier for a prescriber code; `None` as the second value means "classified",
/// `Some(reason)` that it was not (the caller warns, naming the field).
pub(crate) fn identifier(
    code: &str,
    authority: Option<&str>,
    profession: Option<Profession>,
) -> (Identifier, Option<&'static str>) {
    let code = code.trim();
    if let Some(register) = authority.and_then(register_by_name) {
        let value = match register {
            Register::Gmc => code.strip_prefix(['C', 'c']).unwrap_or(code),
            _ => code,
        };
        return (register.identifier(value), None);
    }
    let b = code.as_bytes();
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    let reg = match b {
        [b'C' | b'c', rest @ ..] if rest.len() == 7 && digits(rest) => {
            return (Register::Gmc.identifier(&code[1..]), None);
        }
        [b'G' | b'g', rest @ ..] if rest.len() == 7 && digits(rest) => Some(Register::Gmp),
        [a, b2, l1, d @ .., l2]
            if d.len() == 4
                && digits(&[*a, *b2])
                && digits(d)
                && l1.is_ascii_alphabetic()
                && l2.is_ascii_alphabetic() =>
        {
            Some(Register::Nmc)
        }
        [l1, l2, d @ ..]
            if l1.is_ascii_alphabetic()
                && l2.is_ascii_alphabetic()
                && matches!(d.len(), 5 | 6)
                && digits(d) =>
        {
            Some(Register::Hcpc)
        }
        d if d.len() == 7 && digits(d) => match profession {
            Some(Profession::Medical) => Some(Register::Gmc),
            Some(Profession::Pharmacist) => Some(Register::Gphc),
            _ => None,
        },
        _ => None,
    };
    match reg {
        Some(r) => (r.identifier(&code.to_ascii_uppercase()), None),
        None => (
            Identifier::new(PROFESSIONAL_CODE, code),
            Some(
                "prescriber code's register cannot be told from its shape and the prescriber type; kept as a professional code",
            ),
        ),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Register {
    Gmc,
    Gmp,
    Nmc,
    Gphc,
    Hcpc,
}

impl Register {
    fn identifier(self, value: &str) -> Identifier {
        match self {
            Self::Gmc => uk_core::professional_identifier(Professional::Gmc, value),
            Self::Gmp => uk_core::professional_identifier(Professional::Gmp, value),
            Self::Nmc => uk_core::professional_identifier(Professional::Nmc, value),
            Self::Hcpc => uk_core::professional_identifier(Professional::Hcpc, value),
            Self::Gphc => Identifier::new(GPHC_NUMBER, value.trim()),
        }
    }
}

fn register_by_name(name: &str) -> Option<Register> {
    Some(match name.trim().to_ascii_uppercase().as_str() {
        "GMC" => Register::Gmc,
        "GMP" | "GNC" => Register::Gmp,
        "NMC" => Register::Nmc,
        "GPHC" => Register::Gphc,
        "HCPC" => Register::Hcpc,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use junction_model::uk_core::systems;

    fn sys(code: &str, auth: Option<&str>, p: Option<Profession>) -> (String, String) {
        let (id, _) = identifier(code, auth, p);
        (id.system.unwrap_or_default(), id.value.unwrap_or_default())
    }

    #[test]
    fn registers_by_shape_and_profession() {
        assert_eq!(
            sys("C6150129", None, None),
            (systems::GMC_NUMBER.into(), "6150129".into())
        );
        assert_eq!(sys("G9999999", None, None).0, systems::GMP_NUMBER);
        assert_eq!(sys("12A3456E", None, None).0, systems::NMC_NUMBER);
        assert_eq!(sys("PH123456", None, None).0, systems::HCPC_NUMBER);
        assert_eq!(
            sys("6150129", None, Some(Profession::Medical)).0,
            systems::GMC_NUMBER
        );
        assert_eq!(
            sys("2083469", None, Some(Profession::Pharmacist)).0,
            GPHC_NUMBER
        );
        let (id, why) = identifier("2083469", None, Some(Profession::Nurse));
        assert_eq!(id.system.as_deref(), Some(PROFESSIONAL_CODE));
        assert!(why.is_some());
        assert_eq!(sys("2083469", Some("gphc"), None).0, GPHC_NUMBER);
        assert_eq!(sys("C1234567", Some("GMC"), None).1, "1234567");
        assert_eq!(
            Profession::from_prescription_type("1001"),
            Profession::Medical
        );
        assert_eq!(
            Profession::from_prescription_type("0108"),
            Profession::Pharmacist
        );
        assert_eq!(
            Profession::from_prescription_type("1005"),
            Profession::Nurse
        );
    }
}
