//! Route predicates (`when = "…"`): a small, side-effect-free expression language over an
//! event's JSON, compiled once when routes are built and evaluated per event.
//!
//! Grammar, loosest binding first:
//! ```text
//! expr    := and ("||" and)*
//! and     := unary ("&&" unary)*
//! unary   := "!" unary | cmp
//! cmp     := postfix (("==" | "!=" | "in") postfix)?
//! postfix := primary ("." name | "." method "(" expr ")" | "[" expr "]")*
//! primary := string | number | true | false | null | "[" list "]" | "(" expr ")"
//!          | event | bundle | has_warning "(" expr ")" | resource "(" expr ")"
//!          | hl7 "(" string ")"
//! ```
//! - `event` is the event as JSON (`event.kind`, `event.source`, `event.message_type`,
//!   `event.warnings`, …); `bundle` is `event.bundle`.
//! - `has_warning("code")` is true when the event carries a warning with that code;
//!   `resource("Encounter")` is the first bundle entry resource of that type, or `null`.
//! - `hl7("PV1-3.1")` is the text at a terse path (`PID-3[2].1`, `OBX[2]-5`, as `junction
//!   parse` prints them) of the HL7 v2 message the event carries (pass-through events,
//!   `hl7v2.*`, and decode-failed ones), or `null`; the path is checked when compiled.
//! - Methods: `startsWith`, `endsWith`, `contains` (substring, or element of a list).
//! - `x in [..]` tests list membership (also substring of a string, key of an object).
//!
//! Evaluation cannot fail: a missing field or a type mismatch is `null`, and only `true` is
//! true, so `resource("Encounter").class.code == "IMP"` is simply false without an Encounter.
//! We wrote this instead of using the `cel` crate, whose ANTLR runtime, `nom` and `chrono`
//! dependencies weigh more than the whole language we need.

mod eval;
mod lex;
mod parse;

use std::fmt;

use serde_json::Value;

/// Why a predicate did not compile: the 1-based column (in characters) and what is wrong.
/// The message quotes the expression's names, never event data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct PredicateError {
    /// Where in the expression, 1-based, in characters.
    pub column: usize,
    /// What is wrong there.
    pub message: String,
}

/// A compiled predicate.
#[derive(Clone, PartialEq)]
pub struct Predicate {
    source: String,
    expr: parse::Expr,
}

impl Predicate {
    /// Compiles an expression, or says where it is wrong.
    pub fn compile(source: &str) -> Result<Predicate, PredicateError> {
        let tokens = lex::lex(source)?;
        if tokens.len() == 1 {
            return Err(PredicateError {
                column: 1,
                message: "empty expression".into(),
            });
        }
        let expr = parse::parse(&tokens)?;
        Ok(Predicate {
            source: source.to_owned(),
            expr,
        })
    }

    /// Whether the predicate holds for `event`, an event as JSON (see `Event::to_json`).
    pub fn matches(&self, event: &Value) -> bool {
        eval::truthy(&eval::eval(&self.expr, event))
    }

    /// The expression as written.
    pub fn source(&self) -> &str {
        &self.source
    }
}

impl fmt::Debug for Predicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Predicate").field(&self.source).finish()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event() -> Value {
        json!({
            "kind": "patient.admitted",
            "source": "pas",
            "message_type": "ADT^A01",
            "warnings": [{"code": "pv1-ward-unmapped", "path": "PV1-3", "message": "m"}],
            "bundle": {
                "resourceType": "Bundle",
                "entry": [
                    {"resource": {"resourceType": "MessageHeader"}},
                    {"resource": {"resourceType": "Patient", "gender": "female"}},
                    {"resource": {"resourceType": "Encounter", "class": {"code": "IMP"}}}
                ]
            }
        })
    }

    fn holds(src: &str) -> bool {
        Predicate::compile(src)
            .unwrap_or_else(|e| panic!("{src}: {e}"))
            .matches(&event())
    }

    #[test]
    fn true_expressions() {
        for src in [
            r#"event.kind == "patient.admitted""#,
            "event.source != 'ris'",
            r#"bundle.entry[1].resource.resourceType == "Patient""#,
            r#"has_warning("pv1-ward-unmapped")"#,
            r#"resource("Encounter").class.code == "IMP""#,
            r#"resource('Patient')["gender"] in ["female", "male"]"#,
            r#"event.message_type.startsWith("ADT^A0") && event.kind.endsWith(".admitted")"#,
            "!has_warning('nhs-number-invalid') || false",
            "(event.kind == 'x' || event.source == 'pas') && !(event.kind == 'y')",
            "event.kind.contains('admit') && ['a', 'pas'].contains(event.source)",
            "event.missing == null && bundle.entry[9] == null && event.warnings[0].code != null",
            "1 == 1.0 && 'pas' in event.source && 'kind' in event",
        ] {
            assert!(holds(src), "{src}");
        }
    }

    #[test]
    fn false_expressions() {
        for src in [
            r#"resource("Observation").status == "final""#,
            "has_warning('nhs-number-invalid')",
            "event.kind",
            "!event.kind",
            "event.kind in []",
            "event.missing.startsWith('x')",
            "bundle.entry['0'] != null",
            "null",
            "'true'",
        ] {
            let res = holds(src);
            // `!event.kind` is true: a string is not `true`, so its negation is.
            assert_eq!(res, src == "!event.kind", "{src}");
        }
    }

    #[test]
    fn hl7_reads_the_carried_message_by_terse_path() {
        let mut pass = event();
        pass["kind"] = json!("hl7v2.ADT.A09");
        pass["raw"] = json!(
            "MSH|^~\\&|PAS|RXX|J|RXX|20260101||ADT^A09^ADT_A09|C1|P|2.4\rPID|1||111^^^RXX^MR~9990000018^^^NHS^NH\rPV1|1|I|W12^B3^1\r"
        );
        let holds = |src: &str| {
            Predicate::compile(src)
                .unwrap_or_else(|e| panic!("{src}: {e}"))
                .matches(&pass)
        };
        assert!(holds(r#"hl7("MSH-9.2") == "A09""#));
        assert!(holds(r#"hl7("PV1-3.1").startsWith("W")"#));
        assert!(holds(r#"hl7("PID-3[2].1") == "9990000018""#));
        assert!(holds(r#"hl7("PV1-50") == null && hl7("ZZZ-1") == null"#));
        assert!(!holds(r#"hl7("MSH-9.2") == "A01""#));
        // An event without the message (a clinical one) has no fields to read.
        let clinical = Predicate::compile(r#"hl7("MSH-9.2") == "A09""#).unwrap();
        assert!(!clinical.matches(&event()));
    }

    #[test]
    fn hl7_paths_are_checked_when_compiled() {
        let err = Predicate::compile(r#"hl7("PV1-x") == "I""#).unwrap_err();
        assert_eq!(err.column, 5);
        assert!(err.message.contains("PV1-x"), "{}", err.message);
        let err = Predicate::compile("hl7(event.kind)").unwrap_err();
        assert!(
            err.message.contains("terse path as a string"),
            "{}",
            err.message
        );
    }

    #[test]
    fn compile_errors_name_the_column() {
        let err = Predicate::compile("event.kind = 'x'").unwrap_err();
        assert_eq!(
            err.to_string(),
            "column 12: `=` is not an operator; use `==`"
        );
        assert_eq!(
            Predicate::compile("  ").unwrap_err().message,
            "empty expression"
        );
        let err = Predicate::compile("resource('Patient').gender == ").unwrap_err();
        assert_eq!(err.column, 31);
    }
}
