//! The HL7 v2 path: RDE^O11, RDE^O25 and RDS^O13 → [`Message`]. Each ORC starts an order
//! group; the RXE/RXD/TQ1/RXR/NTE segments after it belong to it.

mod codes;
mod group;
mod patient;
mod timing;

use junction_hl7v2::{Message as V2, Segment};

use crate::adapter::Inbound;
use crate::error::{DecodeError, DecodeErrorCode};
use crate::prescribing::ctx::{Ctx, comp, field_comp, rep1};
use crate::prescribing::order::{Message, Prescriber};
use crate::prescribing::professional;
use crate::registry::AdapterOptions;
use junction_model::Event;
use junction_model::fhir::HumanName;

/// Which pharmacy message this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// RDE^O11 / RDE^O25: an encoded order (new, refill or cancel per ORC-1).
    Order,
    /// RDS^O13: a dispense.
    Dispense,
}

/// Decodes an HL7 v2 pharmacy message into events.
pub(crate) fn decode(
    opts: &AdapterOptions,
    inbound: &Inbound<'_>,
) -> Result<Vec<Event>, DecodeError> {
    let msg = V2::parse(inbound.bytes)?;
    let msh = msg.header();
    let trigger = trigger(&msg)?;
    let control_id = msh.control_id().map(|c| c.into_owned());
    let msg_id = control_id
        .clone()
        .unwrap_or_else(|| inbound.correlation_id.to_owned());
    let mut ctx = Ctx::new(
        crate::prescribing::ctx::ID_NAMESPACE,
        opts,
        inbound.source,
        msg_id,
    );
    if control_id.is_none() {
        ctx.warn(
            "field-missing",
            "MSH-10",
            "message control id is empty; ids derived from the correlation id",
        );
    }
    let pid = msg.segment("PID", 1).ok_or_else(|| {
        DecodeError::missing_segment("PID", "PID segment is required for a prescription")
    })?;
    let patient = patient::read(&mut ctx, &pid)?;
    let groups = group::groups(&msg);
    if groups.is_empty() {
        return Err(DecodeError::missing_segment(
            "ORC",
            "at least one ORC order group is required",
        ));
    }
    let facility = msh.sending_facility().map(|f| f.into_owned());
    let mut items = Vec::with_capacity(groups.len());
    for (i, g) in groups.iter().enumerate() {
        items.push(group::item(
            &mut ctx,
            g,
            i + 1,
            trigger,
            facility.as_deref(),
        )?);
    }
    let prescriber = prescriber(&mut ctx, &groups);
    let app = msh.sending_application().map(|a| a.into_owned());
    let m = Message {
        message_type: format!(
            "{}^{}",
            msh.message_code().unwrap_or_default(),
            msh.trigger_event().unwrap_or_default()
        ),
        source_endpoint: endpoint(app.as_deref(), facility.as_deref()),
        source_name: app,
        sender_ods: facility,
        patient,
        prescriber,
        items,
    };
    Ok(crate::prescribing::build::events(
        &mut ctx,
        m,
        inbound.received_at,
        inbound.correlation_id,
    ))
}

fn trigger(msg: &V2<'_>) -> Result<Trigger, DecodeError> {
    let msh = msg.header();
    let code = msh.message_code().ok_or_else(|| {
        DecodeError::missing_field(
            "MSH-9",
            "message type (MSH-9) is empty; expected RDE^O11, RDE^O25 or RDS^O13",
        )
    })?;
    let event = msh.trigger_event().unwrap_or_default();
    match (code.as_ref(), event.as_ref()) {
        ("RDE", "O11" | "O25") => Ok(Trigger::Order),
        ("RDS", "O13") => Ok(Trigger::Dispense),
        ("RDE" | "RDS", _) => Err(DecodeError::new(
            DecodeErrorCode::UnsupportedEvent,
            Some("MSH-9.2"),
            format!(
                "{code} trigger `{event}` is not supported by the prescribing adapter (RDE^O11, RDE^O25, RDS^O13)"
            ),
        )),
        _ => Err(DecodeError::new(
            DecodeErrorCode::UnsupportedMessage,
            Some("MSH-9.1"),
            format!(
                "message type `{code}` is not handled by the prescribing adapter (RDE, RDS only)"
            ),
        )),
    }
}

/// ORC-12 of the first group that has one (XCN: code, family, given, …, prefix, …, authority
/// in XCN.9), with the ordering facility ORC-21 (XON.10, v2.4 XON.3) as the organisation.
fn prescriber(ctx: &mut Ctx<'_>, groups: &[group::Group<'_>]) -> Option<Prescriber> {
    let Some(orc) = groups
        .iter()
        .map(|g| &g.orc)
        .find(|o| rep1(o, 12).is_some_and(|v| !v.is_empty()))
    else {
        ctx.warn(
            "field-missing",
            "ORC-12",
            "ordering provider is empty; the prescription has no requester",
        );
        return None;
    };
    let xcn = rep1(orc, 12)?;
    let code = comp(xcn, 1);
    let family = comp(xcn, 2).map(|s| s.into_owned());
    let given: Vec<String> = comp(xcn, 3).map(|s| s.into_owned()).into_iter().collect();
    let prefix: Vec<String> = comp(xcn, 6).map(|s| s.into_owned()).into_iter().collect();
    let authority = xcn
        .component(9)
        .and_then(|c| crate::prescribing::ctx::text(c.subcomponent(1)));
    let mut p = Prescriber::default();
    if let Some(code) = code.as_deref() {
        let (id, why) = professional::identifier(code, authority.as_deref(), None);
        if let Some(why) = why {
            ctx.warn("prescriber-code-unclassified", "ORC-12.1", why);
        }
        p.identifiers.push(id);
    }
    p.key = code
        .map(|c| c.into_owned())
        .or(family.clone())
        .unwrap_or_default();
    p.name = (family.is_some() || !given.is_empty()).then(|| HumanName {
        family,
        given,
        prefix,
        ..Default::default()
    });
    p.org_ods = field_comp(orc, 21, 10)
        .or_else(|| field_comp(orc, 21, 3))
        .map(|s| s.into_owned());
    p.org_name = field_comp(orc, 21, 1).map(|s| s.into_owned());
    Some(p)
}

/// Local identifier systems, built as the `pas` adapter builds them.
pub(crate) use crate::pas::identifiers::authority_system;

/// `urn:hl7v2:<application>:<facility>`, URN-safe.
fn endpoint(app: Option<&str>, facility: Option<&str>) -> String {
    let safe = |s: Option<&str>| -> String {
        s.unwrap_or("unknown")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!("urn:hl7v2:{}:{}", safe(app), safe(facility))
}

/// The first segment named `name` in `segs`.
pub(crate) fn first<'m>(segs: &[Segment<'m>], name: &str) -> Option<Segment<'m>> {
    segs.iter().find(|s| s.name() == name).copied()
}
