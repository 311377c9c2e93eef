//! The demographics check of `pds_verify`: the local patient against PDS's record on four
//! fields, with rules that hold for real data.
//!
//! - `family`: the local current name (use `usual`/`official`/none, else the first) against
//!   every current name in PDS (same uses; all names if PDS has none such), ignoring case,
//!   whitespace and the punctuation names are written with (`-`, `'`, `’`, `.`, `,`):
//!   `O'Brien` = `OBRIEN`, `Smith-Jones` = `smith jones`.
//! - `birthDate`: equal, or equal to the shorter one's precision when one is partial
//!   (`1980-02` vs `1980-02-29`).
//! - `gender`: the FHIR code; `unknown` on either side is not compared.
//! - `postalCode`: a local home postcode (use `home`/none) among PDS's home and temporary ones,
//!   without spaces, any case (`ls16ae` = `LS1 6AE`).
//!
//! A field missing on either side is not compared (a restricted record has no address, a
//! minimal one no name); `checked` says which were.

use junction_model::fhir::{AdministrativeGender, Patient};

/// A compared field; its name is the FHIR element's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// `name.family`.
    Family,
    /// `birthDate`.
    BirthDate,
    /// `gender`.
    Gender,
    /// `address.postalCode`.
    PostalCode,
}

impl Field {
    /// `family`, `birthDate`, `gender`, `postalCode`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Family => "family",
            Self::BirthDate => "birthDate",
            Self::Gender => "gender",
            Self::PostalCode => "postalCode",
        }
    }
}

/// What the comparison found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Fields present on both sides, in the order above.
    pub checked: Vec<Field>,
    /// Checked fields that differ.
    pub mismatched: Vec<Field>,
}

/// Compares `local` with PDS's `pds`.
pub fn compare(local: &Patient, pds: &Patient) -> Comparison {
    let mut out = Comparison::default();
    let mut record = |field: Field, result: Option<bool>| {
        if let Some(same) = result {
            out.checked.push(field);
            if !same {
                out.mismatched.push(field);
            }
        }
    };
    record(Field::Family, family(local, pds));
    record(Field::BirthDate, birth_date(local, pds));
    record(Field::Gender, gender(local, pds));
    record(Field::PostalCode, postcode(local, pds));
    out
}

fn current_use(use_: Option<&str>) -> bool {
    matches!(use_, None | Some("usual" | "official"))
}

fn family(local: &Patient, pds: &Patient) -> Option<bool> {
    let families = |p: &Patient, current: bool| -> Vec<String> {
        p.name
            .iter()
            .filter(|n| !current || current_use(n.use_.as_deref()))
            .filter_map(|n| n.family.as_deref())
            .map(name_key)
            .filter(|f| !f.is_empty())
            .collect()
    };
    let mine = families(local, true)
        .into_iter()
        .next()
        .or_else(|| families(local, false).into_iter().next())?;
    let mut theirs = families(pds, true);
    if theirs.is_empty() {
        theirs = families(pds, false);
    }
    if theirs.is_empty() {
        return None;
    }
    Some(theirs.contains(&mine))
}

/// A name without case, whitespace or name punctuation.
fn name_key(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '\'' | '’' | '.' | ','))
        .flat_map(char::to_lowercase)
        .collect()
}

fn birth_date(local: &Patient, pds: &Patient) -> Option<bool> {
    let mine = local.birth_date.as_deref().map(str::trim)?;
    let theirs = pds.birth_date.as_deref().map(str::trim)?;
    if mine.is_empty() || theirs.is_empty() {
        return None;
    }
    // A dateTime-looking value is cut to its date; a partial date compares at its precision.
    let (mine, theirs) = (&mine[..mine.len().min(10)], &theirs[..theirs.len().min(10)]);
    let n = mine.len().min(theirs.len());
    Some(mine.get(..n) == theirs.get(..n))
}

fn gender(local: &Patient, pds: &Patient) -> Option<bool> {
    match (local.gender?, pds.gender?) {
        (AdministrativeGender::Unknown, _) | (_, AdministrativeGender::Unknown) => None,
        (a, b) => Some(a == b),
    }
}

fn postcode(local: &Patient, pds: &Patient) -> Option<bool> {
    let codes = |p: &Patient, uses: &[&str]| -> Vec<String> {
        p.address
            .iter()
            .filter(|a| a.use_.as_deref().is_none_or(|u| uses.contains(&u)))
            .filter_map(|a| a.postal_code.as_deref())
            .map(|pc| {
                pc.chars()
                    .filter(|c| !c.is_whitespace())
                    .flat_map(char::to_uppercase)
                    .collect::<String>()
            })
            .filter(|pc| !pc.is_empty())
            .collect()
    };
    let mine = codes(local, &["home"]);
    let theirs = codes(pds, &["home", "temp"]);
    if mine.is_empty() || theirs.is_empty() {
        return None;
    }
    Some(mine.iter().any(|pc| theirs.contains(pc)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patient(v: serde_json::Value) -> Patient {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn tolerant_of_real_world_spelling() {
        let local = patient(json!({
            "name": [{"family": "o'brien-SMITH "}], "birthDate": "1980-02-29",
            "gender": "female", "address": [{"postalCode": "ls16ae"}]
        }));
        let pds = patient(json!({
            "name": [{"use": "nickname", "family": "Bee"}, {"use": "usual", "family": "OBrien Smith"}],
            "birthDate": "1980-02-29", "gender": "female",
            "address": [{"use": "home", "postalCode": "LS1 6AE"}]
        }));
        let c = compare(&local, &pds);
        assert_eq!(c.checked.len(), 4);
        assert!(c.mismatched.is_empty(), "{c:?}");
    }

    #[test]
    fn differences_and_gaps() {
        let local = patient(json!({
            "name": [{"family": "Testpatient"}], "birthDate": "1980-02",
            "gender": "unknown", "address": [{"use": "home", "postalCode": "LS1 6AE"}]
        }));
        let pds = patient(json!({
            "name": [{"use": "old", "family": "Testpatient"}, {"family": "Other"}],
            "birthDate": "1980-02-29", "gender": "male",
            "address": [{"use": "old", "postalCode": "LS1 6AE"}]
        }));
        let c = compare(&local, &pds);
        assert_eq!(c.checked, vec![Field::Family, Field::BirthDate]);
        assert_eq!(c.mismatched, vec![Field::Family]);
    }
}
