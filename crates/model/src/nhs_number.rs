//! `NhsNumber`: a validated NHS number (10 digits, modulus 11 check digit).
//!
//! An NHS number identifies a patient, so it is treated as patient data:
//! `Debug` is redacted and [`NhsNumberError`] never contains the input.
//! `Display` (and serde) give the plain 10 digits, for use in FHIR and HL7.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A valid NHS number: 10 digits whose last is the modulus 11 check digit.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NhsNumber([u8; 10]);

/// Why a string is not a valid NHS number. The message never includes the
/// input, so it is safe to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NhsNumberError {
    /// Not 10 digits once spaces and hyphens are removed.
    #[error("NHS number must have 10 digits, found {digits}")]
    WrongLength {
        /// Number of digits found.
        digits: usize,
    },
    /// Contains something other than digits, spaces and hyphens.
    #[error("NHS number contains a character that is not a digit, space or hyphen")]
    NotDigits,
    /// The check digit does not match (or the checksum gives 10, which no
    /// valid number has).
    #[error("NHS number check digit is wrong")]
    BadCheckDigit,
}

impl NhsNumber {
    /// Parses `"9434765919"`, `"943 476 5919"` or `"943-476-5919"` (spaces
    /// and hyphens anywhere are ignored, as is surrounding whitespace) and
    /// checks the check digit.
    pub fn parse(text: &str) -> Result<Self, NhsNumberError> {
        let mut digits = [0u8; 10];
        let mut n_digits = 0;
        for ch in text.trim().chars() {
            match ch {
                ' ' | '-' => {}
                '0'..='9' => {
                    if n_digits < 10 {
                        digits[n_digits] = ch as u8 - b'0';
                    }
                    n_digits += 1;
                }
                _ => return Err(NhsNumberError::NotDigits),
            }
        }
        if n_digits != 10 {
            return Err(NhsNumberError::WrongLength { digits: n_digits });
        }
        let mut first_nine = [0u8; 9];
        first_nine.copy_from_slice(&digits[..9]);
        if check_digit(&first_nine) != Some(digits[9]) {
            return Err(NhsNumberError::BadCheckDigit);
        }
        Ok(Self(digits))
    }

    /// Builds the NHS number with these first nine digits (each 0..=9), or
    /// `None` if no check digit makes them valid.
    pub fn from_first_nine(first_nine: [u8; 9]) -> Option<Self> {
        if first_nine.iter().any(|d| *d > 9) {
            return None;
        }
        let check = check_digit(&first_nine)?;
        let mut digits = [0u8; 10];
        digits[..9].copy_from_slice(&first_nine);
        digits[9] = check;
        Some(Self(digits))
    }

    /// The number as 10 plain digits, e.g. `"9434765919"` (same as `Display`).
    pub fn as_digits(&self) -> String {
        self.to_string()
    }

    /// The number in the 3-3-4 format used on letters: `"943 476 5919"`.
    pub fn formatted(&self) -> String {
        let s = self.to_string();
        format!("{} {} {}", &s[..3], &s[3..6], &s[6..])
    }
}

/// The modulus 11 check digit for nine digits: weights 10 down to 2,
/// `11 - (sum mod 11)`, where 11 becomes 0 and 10 means no valid number.
pub fn check_digit(first_nine: &[u8; 9]) -> Option<u8> {
    let sum: u32 = first_nine
        .iter()
        .zip((2..=10u32).rev())
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    match 11 - (sum % 11) {
        11 => Some(0),
        10 => None,
        // `sum % 11` is 1..=9 here, so the check digit is 1..=9.
        check => u8::try_from(check).ok(),
    }
}

impl fmt::Display for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in self.0 {
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NhsNumber(***)")
    }
}

impl FromStr for NhsNumber {
    type Err = NhsNumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for NhsNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for NhsNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Valid test numbers. Weights 10..2 over the first nine digits:
    // 943476591 -> 90+36+24+28+42+30+20+27+2 = 299; 299 % 11 = 2; 11 - 2 = 9: 9434765919 valid.
    // 999000000 -> 90+81+72 = 243; 243 % 11 = 1; 11 - 1 = 10: no valid check digit.
    // 999000001 -> 243+2 = 245; 245 % 11 = 3; check 8: 9990000018 valid.
    // 999000002 -> 247; 247 % 11 = 5; check 6: 9990000026 valid.
    // 999000003 -> 249; 249 % 11 = 7; check 4: 9990000034 valid.
    // 999000004 -> 251; 251 % 11 = 9; check 2: 9990000042 valid.
    // 999000005 -> 253; 253 % 11 = 0; 11 -> check 0: 9990000050 valid.
    // 999000006 -> 255; 255 % 11 = 2; check 9: 9990000069 valid.
    const VALID: &[&str] = &[
        "9434765919",
        "9990000018",
        "9990000026",
        "9990000034",
        "9990000042",
        "9990000050",
        "9990000069",
    ];

    #[test]
    fn valid_numbers_parse() {
        for text in VALID {
            let n = NhsNumber::parse(text).expect("valid");
            assert_eq!(n.to_string(), *text);
        }
    }

    #[test]
    fn accepts_spaces_and_hyphens() {
        let plain = NhsNumber::parse("9434765919").unwrap();
        assert_eq!(NhsNumber::parse("943 476 5919").unwrap(), plain);
        assert_eq!(NhsNumber::parse("943-476-5919").unwrap(), plain);
        assert_eq!(NhsNumber::parse(" 9434765919\n").unwrap(), plain);
        assert_eq!(plain.formatted(), "943 476 5919");
    }

    #[test]
    fn rejects_bad_input_with_typed_errors() {
        assert_eq!(
            NhsNumber::parse("943476591"),
            Err(NhsNumberError::WrongLength { digits: 9 })
        );
        assert_eq!(
            NhsNumber::parse("94347659190"),
            Err(NhsNumberError::WrongLength { digits: 11 })
        );
        assert_eq!(
            NhsNumber::parse(""),
            Err(NhsNumberError::WrongLength { digits: 0 })
        );
        assert_eq!(
            NhsNumber::parse("943476591X"),
            Err(NhsNumberError::NotDigits)
        );
        assert_eq!(
            NhsNumber::parse("9434765918"),
            Err(NhsNumberError::BadCheckDigit)
        );
        // Checksum gives 10: no check digit can make 999000000x valid.
        for d in 0..=9 {
            let text = format!("999000000{d}");
            assert_eq!(NhsNumber::parse(&text), Err(NhsNumberError::BadCheckDigit));
        }
        assert_eq!(
            NhsNumber::from_first_nine([9, 9, 9, 0, 0, 0, 0, 0, 0]),
            None
        );
    }

    #[test]
    fn errors_and_debug_never_reveal_the_number() {
        for text in ["9434765918", "943476591", "94347659x9"] {
            let err = NhsNumber::parse(text).unwrap_err();
            let msg = format!("{err} {err:?}");
            assert!(!msg.contains("943"), "{msg}");
        }
        let n = NhsNumber::parse("9434765919").unwrap();
        assert_eq!(format!("{n:?}"), "NhsNumber(***)");
        assert_eq!(format!("{:?}", Some(n)), "Some(NhsNumber(***))");
    }

    #[test]
    fn serde_as_string() {
        let n = NhsNumber::parse("9990000018").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"9990000018\"");
        let back: NhsNumber = serde_json::from_str("\"999 000 0018\"").unwrap();
        assert_eq!(back, n);
        let err = serde_json::from_str::<NhsNumber>("\"9990000017\"").unwrap_err();
        assert!(!err.to_string().contains("999"));
    }

    proptest! {
        #[test]
        fn parse_of_display_and_formatted_round_trips(first in proptest::array::uniform9(0u8..=9)) {
            if let Some(n) = NhsNumber::from_first_nine(first) {
                prop_assert_eq!(NhsNumber::parse(&n.to_string()), Ok(n));
                prop_assert_eq!(NhsNumber::parse(&n.formatted()), Ok(n));
                prop_assert_eq!(NhsNumber::parse(&n.formatted().replace(' ', "-")), Ok(n));
            }
        }

        #[test]
        fn nine_digits_have_at_most_one_valid_check_digit(first in proptest::array::uniform9(0u8..=9)) {
            let prefix: String = first.iter().map(|d| char::from(b'0' + d)).collect();
            let n_valid = (0..=9)
                .filter(|d| NhsNumber::parse(&format!("{prefix}{d}")).is_ok())
                .count();
            prop_assert!(n_valid <= 1);
            prop_assert_eq!(n_valid == 1, NhsNumber::from_first_nine(first).is_some());
        }
    }
}
