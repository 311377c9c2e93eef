//! NHS Number Verification Status (England), codes 01 to 08, carried as an
//! extension on the NHS number identifier.

use crate::fhir::{CodeableConcept, Coding, Extension, ExtensionValue, Identifier};

use super::systems::{
    CS_NHS_NUMBER_VERIFICATION_STATUS, CS_NHS_NUMBER_VERIFICATION_STATUS_LEGACY,
    EXT_NHS_NUMBER_VERIFICATION_STATUS,
};

/// How far an NHS number has been verified (PDS trace status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerificationStatus {
    /// `01` Number present and verified.
    Verified,
    /// `02` Number present but not traced.
    PresentNotTraced,
    /// `03` Trace required.
    TraceRequired,
    /// `04` Trace attempted - No match or multiple match found.
    TraceAttemptedNoMatch,
    /// `05` Trace needs to be resolved - (NHS Number or patient detail conflict).
    TraceNeedsResolving,
    /// `06` Trace in progress.
    TraceInProgress,
    /// `07` Number not present and trace not required.
    NotPresentTraceNotRequired,
    /// `08` Trace postponed (baby under six weeks old).
    TracePostponed,
}

impl VerificationStatus {
    /// Every status, in code order.
    pub const ALL: [Self; 8] = [
        Self::Verified,
        Self::PresentNotTraced,
        Self::TraceRequired,
        Self::TraceAttemptedNoMatch,
        Self::TraceNeedsResolving,
        Self::TraceInProgress,
        Self::NotPresentTraceNotRequired,
        Self::TracePostponed,
    ];

    /// The code, `"01"` to `"08"`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Verified => "01",
            Self::PresentNotTraced => "02",
            Self::TraceRequired => "03",
            Self::TraceAttemptedNoMatch => "04",
            Self::TraceNeedsResolving => "05",
            Self::TraceInProgress => "06",
            Self::NotPresentTraceNotRequired => "07",
            Self::TracePostponed => "08",
        }
    }

    /// The display text from the code system.
    pub fn display(self) -> &'static str {
        match self {
            Self::Verified => "Number present and verified",
            Self::PresentNotTraced => "Number present but not traced",
            Self::TraceRequired => "Trace required",
            Self::TraceAttemptedNoMatch => "Trace attempted - No match or multiple match found",
            Self::TraceNeedsResolving => {
                "Trace needs to be resolved - (NHS Number or patient detail conflict)"
            }
            Self::TraceInProgress => "Trace in progress",
            Self::NotPresentTraceNotRequired => "Number not present and trace not required",
            Self::TracePostponed => "Trace postponed (baby under six weeks old)",
        }
    }

    /// The status for a code; accepts `"1"` as well as `"01"` (HL7 v2 feeds
    /// often drop the leading zero).
    pub fn from_code(code: &str) -> Option<Self> {
        let code = code.trim();
        let code = if code.len() == 1 {
            format!("0{code}")
        } else {
            code.to_owned()
        };
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The status as a Coding in the England code system.
    pub fn coding(self) -> Coding {
        Coding::new(
            CS_NHS_NUMBER_VERIFICATION_STATUS,
            self.code(),
            Some(self.display()),
        )
    }

    /// The UK Core extension carrying this status (for an NHS number Identifier).
    pub fn extension(self) -> Extension {
        Extension::with_value(
            EXT_NHS_NUMBER_VERIFICATION_STATUS,
            ExtensionValue::CodeableConcept(CodeableConcept::from_coding(self.coding())),
        )
    }

    /// The status recorded on an identifier's verification status
    /// extension, if present and recognised (either code system name).
    pub fn from_identifier(identifier: &Identifier) -> Option<Self> {
        let ext = identifier
            .extension
            .iter()
            .find(|e| e.url == EXT_NHS_NUMBER_VERIFICATION_STATUS)?;
        let Some(ExtensionValue::CodeableConcept(cc)) = &ext.value else {
            return None;
        };
        cc.coding
            .iter()
            .filter(|c| {
                matches!(
                    c.system.as_deref(),
                    Some(
                        CS_NHS_NUMBER_VERIFICATION_STATUS
                            | CS_NHS_NUMBER_VERIFICATION_STATUS_LEGACY
                    )
                )
            })
            .find_map(|c| c.code.as_deref().and_then(Self::from_code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for status in VerificationStatus::ALL {
            assert_eq!(VerificationStatus::from_code(status.code()), Some(status));
        }
        assert_eq!(
            VerificationStatus::from_code("1"),
            Some(VerificationStatus::Verified)
        );
        assert_eq!(VerificationStatus::from_code("09"), None);
        assert_eq!(
            VerificationStatus::Verified.display(),
            "Number present and verified"
        );
        assert_eq!(
            VerificationStatus::PresentNotTraced.display(),
            "Number present but not traced"
        );
    }

    #[test]
    fn reads_status_back_from_identifier() {
        let mut id = Identifier::new(super::super::systems::NHS_NUMBER, "9990000018");
        id.extension
            .push(VerificationStatus::TraceRequired.extension());
        assert_eq!(
            VerificationStatus::from_identifier(&id),
            Some(VerificationStatus::TraceRequired)
        );
    }
}
