//! Declared HL7 v2 → HL7 v2 transforms, per destination: set, clear, copy and map (through a
//! code table) values by terse path, and drop segments. Pure: a transform is checked when it is
//! built (paths parse, MSH-1/MSH-2 are left alone) and applied to a message's text.

use junction_hl7v2::builder::FieldBuf;
use junction_hl7v2::{Message, MessageBuf, Path, SegmentBuf};
use junction_model::CodeTables;

/// One step of a transform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Sets the value at a path (escaping it), creating what is missing.
    Set {
        /// Where.
        path: String,
        /// The new value, as text.
        value: String,
    },
    /// Empties the value at a path, when it is there.
    Clear {
        /// Where.
        path: String,
    },
    /// Copies the value at one path to another, when it is there.
    Copy {
        /// From where.
        from: String,
        /// To where.
        to: String,
    },
    /// Replaces the code at a path by its entry in a code table; an unmapped code is kept.
    Map {
        /// Where.
        path: String,
        /// The code table's name.
        table: String,
    },
    /// Removes every segment with one of these names.
    DropSegments(Vec<String>),
}

/// Why a transform cannot be built or applied (never quotes message content).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransformError {
    /// A path that does not parse, or one naming MSH-1/MSH-2.
    #[error("{0}")]
    BadPath(String),
    /// A segment name that is not three upper-case letters or digits, or is MSH.
    #[error("cannot drop segment {0:?}: not a segment name other than MSH")]
    BadSegment(String),
    /// The message the transform was given is not HL7 v2.
    #[error("the message is not HL7 v2: {0}")]
    NotHl7v2(String),
}

/// A checked list of steps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transform {
    steps: Vec<Step>,
}

fn check_path(path: &str) -> Result<(), TransformError> {
    let p = Path::parse(path).map_err(|e| TransformError::BadPath(e.to_string()))?;
    match p.field() {
        None => Err(TransformError::BadPath(format!(
            "bad terse path {path:?}: a value needs a field number"
        ))),
        Some(1 | 2) if p.segment() == "MSH" => Err(TransformError::BadPath(format!(
            "bad terse path {path:?}: MSH-1 and MSH-2 come from the delimiters"
        ))),
        Some(_) => Ok(()),
    }
}

impl Transform {
    /// Checks every step.
    pub fn new(steps: Vec<Step>) -> Result<Self, TransformError> {
        for step in &steps {
            match step {
                Step::Set { path, .. } | Step::Clear { path } | Step::Map { path, .. } => {
                    check_path(path)?;
                }
                Step::Copy { from, to } => {
                    check_path(from)?;
                    check_path(to)?;
                }
                Step::DropSegments(names) => {
                    for n in names {
                        let ok = n.len() == 3
                            && n != "MSH"
                            && n.bytes()
                                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
                        if !ok {
                            return Err(TransformError::BadSegment(n.clone()));
                        }
                    }
                }
            }
        }
        Ok(Self { steps })
    }

    /// The code tables the steps name.
    pub fn tables(&self) -> impl Iterator<Item = &str> {
        self.steps.iter().filter_map(|s| match s {
            Step::Map { table, .. } => Some(table.as_str()),
            _ => None,
        })
    }

    /// Applies the steps to `message` (HL7 v2 text) in order.
    pub fn apply(&self, message: &str, tables: &CodeTables) -> Result<String, TransformError> {
        let parsed =
            Message::parse(message.as_bytes()).map_err(|e| TransformError::NotHl7v2(e.reason()))?;
        let mut buf = parsed.to_buf();
        for step in &self.steps {
            apply_step(&mut buf, step, tables);
        }
        String::from_utf8(buf.to_bytes()).map_err(|_| TransformError::NotHl7v2("not UTF-8".into()))
    }
}

/// One step; paths were checked when the transform was built.
fn apply_step(buf: &mut MessageBuf, step: &Step, tables: &CodeTables) {
    match step {
        Step::Set { path, value } => {
            let _ = buf.set(path, value);
        }
        Step::Clear { path } => {
            if let Some(slot) = Path::parse(path).ok().and_then(|p| slot_mut(buf, &p)) {
                slot.clear();
            }
        }
        Step::Copy { from, to } => {
            let value = Path::parse(from).ok().and_then(|p| slot_value(buf, &p));
            if let (Some(value), Ok(to)) = (value, Path::parse(to)) {
                put(buf, &to, value);
            }
        }
        Step::Map { path, table } => {
            let mapped = buf
                .get_raw(path)
                .and_then(|code| tables.lookup(table, code).ok())
                .map(|m| m.code.clone());
            if let Some(code) = mapped {
                let _ = buf.set(path, &code);
            }
        }
        Step::DropSegments(names) => buf.segments.retain(|s| !names.contains(&s.name)),
    }
}

/// What a path names, as the nested leaves it holds: a whole field (every repetition), one
/// repetition, one component or one subcomponent.
#[derive(Debug, Clone)]
enum Slot {
    Field(FieldBuf),
    Repetition(Vec<Vec<String>>),
    Component(Vec<String>),
    Subcomponent(String),
}

/// The part of the message `p` names, for emptying it; `None` when it is not there.
enum SlotMut<'b> {
    Field(&'b mut FieldBuf),
    Repetition(&'b mut Vec<Vec<String>>),
    Component(&'b mut Vec<String>),
    Subcomponent(&'b mut String),
}

impl SlotMut<'_> {
    fn clear(self) {
        match self {
            SlotMut::Field(f) => f.clear(),
            SlotMut::Repetition(r) => r.clear(),
            SlotMut::Component(c) => c.clear(),
            SlotMut::Subcomponent(s) => s.clear(),
        }
    }
}

fn segment_mut<'b>(buf: &'b mut MessageBuf, p: &Path) -> Option<&'b mut SegmentBuf> {
    buf.segments
        .iter_mut()
        .filter(|s| s.name == p.segment())
        .nth(p.occurrence() - 1)
}

fn slot_mut<'b>(buf: &'b mut MessageBuf, p: &Path) -> Option<SlotMut<'b>> {
    let field = segment_mut(buf, p)?.fields.get_mut(p.field()? - 1)?;
    let Some(c) = p.component() else {
        return Some(match p.repetition() {
            None => SlotMut::Field(field),
            Some(r) => SlotMut::Repetition(field.get_mut(r - 1)?),
        });
    };
    let comp = field
        .get_mut(p.repetition().unwrap_or(1) - 1)?
        .get_mut(c - 1)?;
    Some(match p.subcomponent() {
        None => SlotMut::Component(comp),
        Some(sc) => SlotMut::Subcomponent(comp.get_mut(sc - 1)?),
    })
}

fn slot_value(buf: &mut MessageBuf, p: &Path) -> Option<Slot> {
    Some(match slot_mut(buf, p)? {
        SlotMut::Field(f) => Slot::Field(f.clone()),
        SlotMut::Repetition(r) => Slot::Repetition(r.clone()),
        SlotMut::Component(c) => Slot::Component(c.clone()),
        SlotMut::Subcomponent(s) => Slot::Subcomponent(s.clone()),
    })
}

/// Puts `value` at `p`, creating what is missing. A value copied whole into a narrower place
/// (a field into a component) keeps its first part.
fn put(buf: &mut MessageBuf, p: &Path, value: Slot) {
    let first_leaf = |v: &Slot| -> String {
        match v {
            Slot::Field(f) => f.first().and_then(|r| r.first()).and_then(|c| c.first()),
            Slot::Repetition(r) => r.first().and_then(|c| c.first()),
            Slot::Component(c) => c.first(),
            Slot::Subcomponent(s) => Some(s),
        }
        .cloned()
        .unwrap_or_default()
    };
    // Creates the segment, field, repetition and component as `set_raw` does.
    let _ = buf.set_raw(&p.to_string(), first_leaf(&value));
    let Some(slot) = slot_mut(buf, p) else { return };
    match (slot, value) {
        (SlotMut::Field(f), Slot::Field(v)) => *f = v,
        (SlotMut::Field(f), Slot::Repetition(v)) => *f = vec![v],
        (SlotMut::Field(f), Slot::Component(v)) => *f = vec![vec![v]],
        (SlotMut::Repetition(r), Slot::Field(v)) => *r = v.into_iter().next().unwrap_or_default(),
        (SlotMut::Repetition(r), Slot::Repetition(v)) => *r = v,
        (SlotMut::Repetition(r), Slot::Component(v)) => *r = vec![v],
        (SlotMut::Component(c), Slot::Component(v)) => *c = v,
        // Narrower targets already hold the first leaf.
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use junction_model::{CodeTable, Mapping};

    use super::*;

    const A09: &str = "MSH|^~\\&|PAS|RXX|RIS|RXX|20260101120000||ADT^A09^ADT_A09|C1|P|2.4\rPID|1||12345^^^RXX^MR~9990000018^^^NHS^NH||TESTPATIENT^Alex\rPV1|1|I|W1^B1^RXX01\rZU1|x\r";

    fn tables() -> CodeTables {
        [CodeTable::new(
            "ward",
            [("W1", Mapping::code("WARD-ONE"))],
            None,
        )]
        .into_iter()
        .collect()
    }

    #[test]
    fn set_clear_copy_map_and_drop() {
        let t = Transform::new(vec![
            Step::Set {
                path: "MSH-5".into(),
                value: "RIS^LOCAL".into(),
            },
            Step::Copy {
                from: "PID-3[2].1".into(),
                to: "PID-2".into(),
            },
            Step::Clear {
                path: "PV1-3.3".into(),
            },
            Step::Map {
                path: "PV1-3.1".into(),
                table: "ward".into(),
            },
            Step::DropSegments(vec!["ZU1".into()]),
        ])
        .unwrap();
        let out = t.apply(A09, &tables()).unwrap();
        assert_eq!(
            out,
            "MSH|^~\\&|PAS|RXX|RIS\\S\\LOCAL|RXX|20260101120000||ADT^A09^ADT_A09|C1|P|2.4\rPID|1|9990000018|12345^^^RXX^MR~9990000018^^^NHS^NH||TESTPATIENT^Alex\rPV1|1|I|WARD-ONE^B1\r"
        );
    }

    #[test]
    fn an_unmapped_code_and_an_absent_value_are_left_alone() {
        let t = Transform::new(vec![
            Step::Map {
                path: "PV1-3.2".into(),
                table: "ward".into(),
            },
            Step::Clear {
                path: "OBR-4".into(),
            },
            Step::Copy {
                from: "PV1-50".into(),
                to: "PV1-1".into(),
            },
        ])
        .unwrap();
        let out = t.apply(A09, &tables()).unwrap();
        assert!(
            out.contains("PV1|1|I|W1^B1^RXX01\r") && !out.contains("OBR"),
            "{out}"
        );
    }

    #[test]
    fn whole_fields_are_cleared_and_copied_whole() {
        let t = Transform::new(vec![
            Step::Copy {
                from: "PID-3".into(),
                to: "PID-18".into(),
            },
            Step::Clear {
                path: "PID-3".into(),
            },
            Step::Clear {
                path: "PV1-3.2".into(),
            },
        ])
        .unwrap();
        let out = t.apply(A09, &tables()).unwrap();
        let msg = Message::parse(out.as_bytes()).unwrap();
        assert_eq!(msg.text("PID-3"), None);
        assert_eq!(
            msg.get("PID-18").map(|v| v.raw_str()),
            Some("12345^^^RXX^MR~9990000018^^^NHS^NH")
        );
        assert_eq!(msg.get("PV1-3").map(|v| v.raw_str()), Some("W1^^RXX01"));
    }

    #[test]
    fn bad_steps_are_refused_when_built() {
        let set = |path: &str| Step::Set {
            path: path.into(),
            value: "x".into(),
        };
        assert!(Transform::new(vec![set("PV1-x")]).is_err());
        assert!(Transform::new(vec![set("MSH-2")]).is_err());
        assert!(Transform::new(vec![set("PID")]).is_err());
        assert!(Transform::new(vec![Step::DropSegments(vec!["MSH".into()])]).is_err());
        assert!(Transform::new(vec![Step::DropSegments(vec!["zu1".into()])]).is_err());
        assert!(matches!(
            Transform::new(vec![]).unwrap().apply("not hl7", &tables()),
            Err(TransformError::NotHl7v2(_))
        ));
    }
}
