//! The `prescribing` adapter: medication orders from hospital ePrescribing (EPMA) systems as
//! HL7 v2 pharmacy messages, and EPS prescriptions as HL7 v3 XML, decoded into UK Core
//! MedicationRequest events. Both formats are read into one format-neutral model (`order`)
//! and built by one builder (`build`), so the FHIR cannot drift between them.
//!
//! # Which path
//! XML (after an optional BOM and whitespace the bytes start with `<`, or the content type
//! contains `xml`) goes to the v3 path; everything else is HL7 v2.
//!
//! # HL7 v2 (RDE^O11, RDE^O25, RDS^O13)
//! | ORC-1 | event kind | status (ORC-5, when sent, wins) |
//! |---|---|---|
//! | NW, RF | `prescription.issued` | active |
//! | CA, OC | `prescription.cancelled` | cancelled |
//! | DC, OD | `prescription.cancelled` | stopped |
//! | any (RDS^O13) | `medication.dispensed` | completed |
//!
//! Medication RXE-2 (RXD-2 for RDS): SNOMED CT (`http://snomed.info/sct`) when the coding
//! system is `DMD`/`SNOMED`/`SCT`, else code table `medication`, else a local code with a
//! warning. Dosage: timing from TQ1 (v2.5) or the TQ in RXE-1 (v2.4; ORC-7 as a fallback),
//! dose RXE-3/4/5, rate RXE-23/24, route RXR-1 (SNOMED CT; HL7 0162 codes mapped onto SNOMED
//! CT), RXE-7 as additional instruction; the text is TQ1-11/TQ.8, else composed as
//! "dose - pattern - route". Quantity RXE-10/11; supply duration TQ1-6/TQ.3; repeats RXE-12
//! (0 → course `acute`, more → `continuous`; RF → `continuous`). authoredOn ORC-9.
//! Requester: ORC-12 (see `professional` for GMC/GMP/NMC/GPhC/HCPC), organisation ORC-21.
//!
//! **Dispenser** (`dispenseRequest.performer`, and the MessageHeader destination): RXE-40
//! (Dispensing Pharmacy, v2.5) for orders, RXD-30 for dispenses, as an ODS code. Those are
//! the standard fields for it; ORC-21 is the *ordering* facility (it becomes the prescriber's
//! organisation instead), and no `ZRX` segment is read because there is no agreed definition
//! of one. The model has no MedicationDispense, so RDS^O13 becomes a MedicationRequest with
//! status `completed`, `dispenseRequest.quantity` the amount supplied (RXD-4/5) and the event's
//! `occurredAt` the dispense time (RXD-3).
//!
//! # HL7 v3 (EPS `PORX_IN020101SM31` parent prescription, `PORX_IN030101SM32` cancel)
//! Streamed with quick-xml (see `v3::reader` for the safety limits). NHS number, short-form
//! prescription id (`groupIdentifier`, with the long-form id as extension), line item id,
//! medication code and display, dosage text, quantity (SNOMED CT unit of presentation),
//! nominated pharmacy, prescriber (SDS ids, professional code, organisation), treatment
//! type → course of therapy, repeat dispensing details. A cancel request carries no
//! medication, so its MedicationRequest names none; its status reason is the EPS code.
//!
//! # One event per item, not one bundle per message
//! A message with several medication lines (several ORC groups, several `pertinentLineItem`s)
//! gives one event per line, each bundle holding that line's MedicationRequest plus the shared
//! Patient and prescriber resources, all with the same `groupIdentifier` (the prescription
//! id). Why:
//! - the event kind belongs to a line: one RDE may carry NW for one ORC and DC for another,
//!   and a single kind per bundle would misstate one of them;
//! - EPS and pharmacy systems act per line item: cancellation, dispensing, claims and status
//!   are all at `prescription-order-item-number` level, so routes that send cancels or
//!   dispenses onward need the line, not the order;
//! - routes filter per line (only controlled drugs, only lines with a nominated pharmacy to
//!   EPS, inpatient lines to the ward cabinet) without a sink having to split FHIR bundles;
//! - a sink that needs the whole prescription (an EPS `prescription-order` carries up to four
//!   lines under one signature) regroups by `groupIdentifier` + `correlationId`; the events
//!   share the patient key, so per-patient ordering keeps them together and in order.

mod build;
mod ctx;
mod order;
mod professional;
mod v2;
mod v3;

use junction_model::Event;

use crate::adapter::{Adapter, Inbound};
use crate::error::DecodeError;
use crate::registry::AdapterOptions;

pub use v3::reader::MAX_XML_BYTES;

/// The prescribing (EPMA HL7 v2 / EPS HL7 v3) adapter. See the [module docs](self).
#[derive(Debug, Clone, Default)]
pub struct PrescribingAdapter {
    options: AdapterOptions,
}

impl PrescribingAdapter {
    /// An adapter with these options (code tables `medication` and `route` are used when
    /// present; `local_mrn_authority`/`local_mrn_system` as for `pas`).
    pub fn new(options: AdapterOptions) -> Self {
        Self { options }
    }
}

impl Adapter for PrescribingAdapter {
    fn name(&self) -> &'static str {
        "prescribing"
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[
            "prescription.issued",
            "prescription.cancelled",
            "medication.dispensed",
        ]
    }

    fn decode(&self, inbound: &Inbound<'_>) -> Result<Vec<Event>, DecodeError> {
        if is_xml(inbound.bytes, inbound.content_type) {
            v3::decode(&self.options, inbound)
        } else {
            v2::decode(&self.options, inbound)
        }
    }
}

/// XML when the content type says so or the first non-blank byte (after a BOM) is `<`.
fn is_xml(bytes: &[u8], content_type: Option<&str>) -> bool {
    if content_type.is_some_and(|c| c.to_ascii_lowercase().contains("xml")) {
        return true;
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_xml() {
        assert!(is_xml(b"\xEF\xBB\xBF  \n<PORX/>", None));
        assert!(is_xml(b"MSH|", Some("application/hl7-v3+xml")));
        assert!(!is_xml(b"MSH|^~\\&|", None));
        assert!(!is_xml(b"", Some("x-application/hl7-v2+er7")));
    }
}
