//! The HL7 v2 message under construction for the encoders: a [`MessageBuf`] with a count per
//! segment name (so fields are set by terse path on the right occurrence), and writers for the
//! composite types the encoders share (CE, XPN).

use junction_hl7v2::{Delimiters, MessageBuf};
use junction_model::fhir::{CodeableConcept, HumanName};
use junction_model::uk_core::systems;

use super::EncodeError;

/// The message under construction, with a count per segment name for terse paths.
pub(crate) struct Out {
    pub buf: MessageBuf,
    counts: Vec<(&'static str, usize)>,
}

impl Out {
    pub fn new() -> Self {
        Self {
            buf: MessageBuf::new(Delimiters::default()),
            counts: Vec::new(),
        }
    }

    /// Appends a segment; returns its occurrence number among segments of that name.
    pub fn seg(&mut self, name: &'static str) -> usize {
        self.buf.push_segment(name);
        match self.counts.iter_mut().find(|(n, _)| *n == name) {
            Some((_, c)) => {
                *c += 1;
                *c
            }
            None => {
                self.counts.push((name, 1));
                1
            }
        }
    }

    /// Sets `field` (e.g. `"2.4"`, `"7[2].1"`) of occurrence `n` of `name`; empty text is skipped.
    pub fn put(
        &mut self,
        name: &str,
        n: usize,
        field: &str,
        text: &str,
    ) -> Result<(), EncodeError> {
        if text.is_empty() {
            return Ok(());
        }
        self.buf
            .set(&format!("{name}[{n}]-{field}"), text)
            .map_err(|e| EncodeError::Internal(e.to_string()))
    }

    /// A CE: components 1–3, and 4–6 when an alternate code is given.
    pub fn ce(
        &mut self,
        name: &str,
        n: usize,
        f: usize,
        main: [&str; 3],
        alt: Option<[&str; 3]>,
    ) -> Result<(), EncodeError> {
        for (i, v) in main.iter().chain(alt.iter().flatten()).enumerate() {
            self.put(name, n, &format!("{f}.{}", i + 1), v)?;
        }
        Ok(())
    }
}

/// A CE from a CodeableConcept's first coding (SNOMED CT as `SCT`), else its text.
pub(crate) fn ce_from(
    out: &mut Out,
    name: &str,
    n: usize,
    f: usize,
    cc: &CodeableConcept,
) -> Result<(), EncodeError> {
    match cc.coding.first() {
        Some(c) => {
            let system = match c.system.as_deref() {
                Some(systems::SNOMED_CT) => "SCT",
                _ => "",
            };
            let display = c.display.as_deref().or(cc.text.as_deref()).unwrap_or("");
            out.ce(
                name,
                n,
                f,
                [c.code.as_deref().unwrap_or(""), display, system],
                None,
            )
        }
        None => out.put(name, n, &format!("{f}.2"), cc.text.as_deref().unwrap_or("")),
    }
}

/// XPN: family, given, further given names, suffix, prefix.
pub(crate) fn xpn(
    out: &mut Out,
    seg: &str,
    n: usize,
    f: usize,
    name: &HumanName,
) -> Result<(), EncodeError> {
    let join = |v: &[String]| v.join(" ");
    out.put(
        seg,
        n,
        &format!("{f}.1"),
        name.family.as_deref().unwrap_or(""),
    )?;
    out.put(
        seg,
        n,
        &format!("{f}.2"),
        name.given.first().map_or("", String::as_str),
    )?;
    out.put(
        seg,
        n,
        &format!("{f}.3"),
        &join(name.given.get(1..).unwrap_or_default()),
    )?;
    out.put(seg, n, &format!("{f}.4"), &join(&name.suffix))?;
    out.put(seg, n, &format!("{f}.5"), &join(&name.prefix))
}
