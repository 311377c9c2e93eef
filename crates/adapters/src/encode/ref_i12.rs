//! `referral.received` → HL7 v2.4 REF^I12 (patient referral): see [`ref_i12`] for the map.

use junction_hl7v2::Timestamp;
use junction_model::fhir::{DocumentReference, ExtensionValue, ServiceRequest};
use junction_model::uk_core::systems;
use junction_model::{Event, EventKind};

use super::out::{Out, ce_from};
use super::parties::{pid, prd};
use super::ts::fhir_to_hl7_ts;
use super::view::{View, ident};
use super::{EncodeError, EncodeOptions};
use crate::ers::codes::{ERS_REQUEST_ID, EXT_PRIORITY, EXT_STATE};

/// Encodes a `referral.received` event as an HL7 v2.4 REF^I12 (segments ended by CR).
///
/// The UK ITK HL7 v2 specification
/// defines no referral messages, so the structure is HL7 v2.4 chapter 11 (`REF_I12`), with the
/// ITK conventions for MSH (country `GBR`, language `EN`) and PID (NHS number in PID-3 with
/// assigning authority `NHS`):
///
/// | segment | content |
/// |---|---|
/// | MSH | options; `REF^I12^REF_I12`, version 2.4, charset `UNICODE UTF-8` |
/// | RF1 | 1 status (table 0283; e-RS state as the alternate code), 2 priority (0280; e-RS priority alternate), 3 type `Med` (specialty alternate), 5 category `O` outpatient, 6 UBRN `^ERS`, 7 effective date (authoredOn, else the event's time), 10 reason (first reasonCode), 11 e-RS request id `^ERS-REQUEST` |
/// | PRD | referring provider `RP` (requester: name, ODS code in PRD-4.4 and PRD-7 `^ODS`, professional ids in PRD-7) |
/// | PRD | referred-to provider `RT` (first performer: ODS code or e-RS service id `^ERS-SERVICE`, name in PRD-4.9) |
/// | PID | PID-3 NHS number `^^^NHS`, 5 name, 7 birth date, 8 sex, 11 address |
/// | OBR, OBX, NTE | one OBX (`RP` reference pointer to the e-RS `Binary/…` url) per attachment, each with an NTE (title, type, size) |
/// | NTE | the ServiceRequest's notes (source `P`) |
///
/// RF1-4 (disposition) is left empty: e-RS carries no disposition. PV1 is left out (there is no
/// visit yet).
pub fn ref_i12(event: &Event, opts: &EncodeOptions) -> Result<String, EncodeError> {
    if event.kind != EventKind::ReferralReceived {
        return Err(EncodeError::WrongKind(event.kind.as_str().to_owned()));
    }
    if opts.control_id.trim().is_empty() {
        return Err(EncodeError::BadOption("control_id"));
    }
    if Timestamp::parse(&opts.timestamp).is_err() {
        return Err(EncodeError::BadOption("timestamp"));
    }
    let view = View::new(&event.bundle);
    let sr = view
        .service_request()
        .ok_or(EncodeError::Missing("ServiceRequest"))?;
    let ubrn =
        ident(&sr.identifier, systems::UBRN).ok_or(EncodeError::Missing("UBRN identifier"))?;
    let mut out = Out::new();
    msh(&mut out, opts)?;
    rf1(&mut out, event, sr, ubrn)?;
    prd(&mut out, &view, sr)?;
    pid(&mut out, &view, sr, event)?;
    attachments(&mut out, &view, sr, ubrn)?;
    for (i, note) in sr.note.iter().filter_map(|n| n.text.as_deref()).enumerate() {
        let n = out.seg("NTE");
        out.put("NTE", n, "1", &(i + 1).to_string())?;
        out.put("NTE", n, "2", "P")?;
        out.put("NTE", n, "3", note)?;
    }
    String::from_utf8(out.buf.to_bytes())
        .map_err(|_| EncodeError::Internal("output is not UTF-8".into()))
}

fn msh(out: &mut Out, o: &EncodeOptions) -> Result<(), EncodeError> {
    let n = out.seg("MSH");
    let fields = [
        ("3", o.sending_application.as_str()),
        ("4", &o.sending_facility),
        ("5", &o.receiving_application),
        ("6", &o.receiving_facility),
        ("7", o.timestamp.trim()),
        ("9.1", "REF"),
        ("9.2", "I12"),
        ("9.3", "REF_I12"),
        ("10", o.control_id.trim()),
        (
            "11",
            if o.processing_id.is_empty() {
                "P"
            } else {
                &o.processing_id
            },
        ),
        ("12", "2.4"),
        ("17", "GBR"),
        ("18", "UNICODE UTF-8"),
        ("19", "EN"),
    ];
    for (f, v) in fields {
        out.put("MSH", n, f, v)?;
    }
    Ok(())
}

/// The e-RS code of a coded extension (or of a complex extension's `state` part).
fn ers_code<'a>(sr: &'a ServiceRequest, url: &str) -> Option<(&'a str, &'a str)> {
    let e = sr.extension.iter().find(|e| e.url == url)?;
    let coding = match e.nested("state").map_or(&e.value, |s| &s.value) {
        Some(ExtensionValue::CodeableConcept(cc)) => cc.coding.first()?,
        Some(ExtensionValue::Coding(c)) => c,
        _ => return None,
    };
    Some((
        coding.code.as_deref()?,
        coding.display.as_deref().unwrap_or(""),
    ))
}

fn rf1(out: &mut Out, event: &Event, sr: &ServiceRequest, ubrn: &str) -> Result<(), EncodeError> {
    let n = out.seg("RF1");
    let state = ers_code(sr, EXT_STATE);
    let status = match (sr.status.as_deref(), state.map(|s| s.0)) {
        (_, Some("REJECTED")) | (Some("revoked" | "entered-in-error"), _) => {
            ["R", "Rejected", "HL70283"]
        }
        (Some("completed"), _) => ["A", "Accepted", "HL70283"],
        _ => ["P", "Pending", "HL70283"],
    };
    out.ce(
        "RF1",
        n,
        1,
        status,
        state.map(|(c, d)| [c, d, "eRS-ReferralState"]),
    )?;
    let priority = match sr.priority.as_deref() {
        Some("routine") => Some(["R", "Routine", "HL70280"]),
        Some("urgent" | "asap") => Some(["A", "ASAP", "HL70280"]),
        Some("stat") => Some(["S", "STAT", "HL70280"]),
        _ => None,
    };
    let ers_priority = ers_code(sr, EXT_PRIORITY).map(|(c, d)| [c, d, "eRS-Priority"]);
    if let Some(p) = priority {
        out.ce("RF1", n, 2, p, ers_priority)?;
    } else if let Some(alt) = ers_priority {
        out.ce("RF1", n, 2, ["", "", ""], Some(alt))?;
    }
    // Specialty: the category coded in an e-RS SPECIALTY code system.
    let specialty = sr.category.iter().flat_map(|c| &c.coding).find(|c| {
        c.system
            .as_deref()
            .is_some_and(|s| s.ends_with("/CodeSystem/SPECIALTY"))
    });
    let spec = specialty.map(|c| {
        [
            c.code.as_deref().unwrap_or(""),
            c.display.as_deref().unwrap_or(""),
            "eRS-Specialty",
        ]
    });
    out.ce("RF1", n, 3, ["Med", "Medical", "HL70281"], spec)?;
    out.ce("RF1", n, 5, ["O", "Outpatient", "HL70284"], None)?;
    out.put("RF1", n, "6.1", ubrn)?;
    out.put("RF1", n, "6.2", "ERS")?;
    let effective = sr
        .authored_on
        .as_deref()
        .or(event.occurred_at.as_deref())
        .and_then(fhir_to_hl7_ts);
    out.put("RF1", n, "7", effective.as_deref().unwrap_or(""))?;
    if let Some(reason) = sr.reason_code.first() {
        ce_from(out, "RF1", n, 10, reason)?;
    }
    if let Some(req_id) = ident(&sr.identifier, ERS_REQUEST_ID) {
        out.put("RF1", n, "11.1", req_id)?;
        out.put("RF1", n, "11.2", "ERS-REQUEST")?;
    }
    Ok(())
}

/// OBR with one OBX (RP pointer) and NTE per attachment, when there are attachments.
fn attachments(
    out: &mut Out,
    view: &View<'_>,
    sr: &ServiceRequest,
    ubrn: &str,
) -> Result<(), EncodeError> {
    let docs: Vec<&DocumentReference> = sr
        .supporting_info
        .iter()
        .filter_map(|r| view.get::<DocumentReference>(r))
        .collect();
    let atts: Vec<_> = docs
        .iter()
        .flat_map(|d| {
            d.content
                .iter()
                .filter_map(move |c| c.attachment.as_ref().map(|a| (*d, a)))
        })
        .collect();
    if atts.is_empty() {
        return Ok(());
    }
    let n = out.seg("OBR");
    out.put("OBR", n, "1", "1")?;
    out.put("OBR", n, "2.1", ubrn)?;
    out.put("OBR", n, "2.2", "ERS")?;
    out.ce("OBR", n, 4, ["ATTACH", "Referral attachments", "L"], None)?;
    for (i, (doc, a)) in atts.into_iter().enumerate() {
        let k = out.seg("OBX");
        out.put("OBX", k, "1", &(i + 1).to_string())?;
        out.put("OBX", k, "2", "RP")?;
        let kind = doc.type_.as_ref().and_then(|t| t.coding.first());
        let code = kind.and_then(|c| c.code.as_deref()).unwrap_or("ATTACHMENT");
        let display = kind
            .and_then(|c| c.display.as_deref())
            .unwrap_or("Attachment");
        out.ce("OBX", k, 3, [code, display, "eRS-AttachmentType"], None)?;
        out.put("OBX", k, "4", a.id.as_deref().unwrap_or(""))?;
        let (main, sub) = a
            .content_type
            .as_deref()
            .and_then(|c| c.split_once('/'))
            .unwrap_or(("", ""));
        let data_type = match main {
            "image" => "IM",
            "text" => "TEXT",
            "audio" => "AU",
            _ => "AP",
        };
        let sub = sub
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_uppercase();
        out.put("OBX", k, "5.1", a.url.as_deref().unwrap_or(""))?;
        out.put("OBX", k, "5.2", "ERS")?;
        out.put("OBX", k, "5.3", data_type)?;
        out.put("OBX", k, "5.4", &sub)?;
        out.put("OBX", k, "11", "F")?;
        let when = a
            .creation
            .as_deref()
            .or(doc.date.as_deref())
            .and_then(fhir_to_hl7_ts);
        out.put("OBX", k, "14", when.as_deref().unwrap_or(""))?;
        let mut text = a.title.clone().unwrap_or_else(|| "attachment".into());
        let details: Vec<String> = a
            .content_type
            .iter()
            .cloned()
            .chain(a.size.map(|s| format!("{s} bytes")))
            .collect();
        if !details.is_empty() {
            text = format!("{text} ({})", details.join(", "));
        }
        let m = out.seg("NTE");
        out.put("NTE", m, "1", "1")?;
        out.put("NTE", m, "2", "L")?;
        out.put("NTE", m, "3", &text)?;
    }
    Ok(())
}
