//! `MessageBuf`: an owned, editable message for building new messages (ACKs, outbound HL7 from
//! events) and for editing parsed ones. Values are stored escaped; `set` escapes for you.

use crate::delims::{ABSENT, Delimiters};
use crate::escape;
use crate::message::Message;
use crate::path::{Path, PathError};

/// One field: repetitions of components of subcomponents, each leaf escaped text.
pub type FieldBuf = Vec<Vec<Vec<String>>>;

/// One segment being built. `fields[0]` is field 1; for MSH, fields 1 and 2 are written from
/// the delimiters and whatever is stored there is ignored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SegmentBuf {
    /// Three-character segment name.
    pub name: String,
    /// Fields from field 1.
    pub fields: Vec<FieldBuf>,
}

/// An owned message under construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBuf {
    delims: Delimiters,
    /// Segments in order.
    pub segments: Vec<SegmentBuf>,
}

impl MessageBuf {
    /// An empty message with these delimiters.
    pub fn new(delims: Delimiters) -> Self {
        Self {
            delims,
            segments: Vec::new(),
        }
    }

    /// The delimiters the message will be written with.
    pub fn delimiters(&self) -> &Delimiters {
        &self.delims
    }

    /// Appends an empty segment and returns its index.
    pub fn push_segment(&mut self, name: &str) -> usize {
        self.segments.push(SegmentBuf {
            name: name.to_string(),
            fields: Vec::new(),
        });
        self.segments.len() - 1
    }

    /// Sets the value at `path` to `text`, escaping delimiters and line breaks. Missing
    /// segments, fields, repetitions and components are created.
    pub fn set(&mut self, path: &str, text: &str) -> Result<(), PathError> {
        let raw = escape::encode(text, &self.delims).into_owned();
        self.set_raw(path, raw)
    }

    /// Sets an already-escaped value. Separators in `raw` would change the structure, so this
    /// is for values copied from another message with the same delimiters.
    pub fn set_raw(&mut self, path: &str, raw: impl Into<String>) -> Result<(), PathError> {
        let p = Path::parse(path)?;
        let Some(field) = p.field() else {
            return Err(PathError {
                path: path.to_string(),
                why: "a value needs a field number",
            });
        };
        if p.segment() == "MSH" && field <= 2 {
            return Err(PathError {
                path: path.to_string(),
                why: "MSH-1 and MSH-2 come from the delimiters",
            });
        }
        let seg = self.segment_mut(p.segment(), p.occurrence());
        let f = grow(&mut seg.fields, field);
        let r = grow(f, p.repetition().unwrap_or(1));
        let c = grow(r, p.component().unwrap_or(1));
        let s = grow(c, p.subcomponent().unwrap_or(1));
        *s = raw.into();
        Ok(())
    }

    /// The escaped value at `path`, if set.
    pub fn get_raw(&self, path: &str) -> Option<&str> {
        let p = Path::parse(path).ok()?;
        let seg = self
            .segments
            .iter()
            .filter(|s| s.name == p.segment())
            .nth(p.occurrence() - 1)?;
        let f = seg.fields.get(p.field()? - 1)?;
        let r = f.get(p.repetition().unwrap_or(1) - 1)?;
        let c = r.get(p.component().unwrap_or(1) - 1)?;
        c.get(p.subcomponent().unwrap_or(1) - 1).map(String::as_str)
    }

    fn segment_mut(&mut self, name: &str, occurrence: usize) -> &mut SegmentBuf {
        let have = self.segments.iter().filter(|s| s.name == name).count();
        for _ in have..occurrence {
            self.push_segment(name);
        }
        let i = self
            .segments
            .iter()
            .enumerate()
            .filter(|(_, s)| s.name == name)
            .nth(occurrence - 1)
            .map_or(0, |(i, _)| i);
        &mut self.segments[i]
    }

    /// Writes the message, each segment ended by CR. Trailing empty fields, repetitions,
    /// components and subcomponents are left out, so equal content writes equal bytes.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let d = &self.delims;
        for seg in &self.segments {
            out.extend_from_slice(seg.name.as_bytes());
            let header = seg.name == "MSH";
            let skip = if header {
                out.push(d.field);
                out.extend_from_slice(&d.encoding_characters());
                2
            } else {
                0
            };
            let fields = &seg.fields[skip.min(seg.fields.len())..];
            let n_fields = trimmed_len(fields, field_is_empty);
            for f in &fields[..n_fields] {
                out.push(d.field);
                write_levels(f, d, out);
            }
            out.push(b'\r');
        }
    }

    /// The canonical form of this message: trailing empty values dropped at every level and
    /// empty values stored as empty lists, so two messages that write the same bytes are equal.
    pub fn normalized(&self) -> MessageBuf {
        let mut out = self.clone();
        for seg in &mut out.segments {
            if seg.name == "MSH" {
                for f in seg.fields.iter_mut().take(2) {
                    f.clear();
                }
            }
            for f in &mut seg.fields {
                normalize_field(f);
            }
            let n = trimmed_len(&seg.fields, |f| f.is_empty());
            seg.fields.truncate(n);
        }
        out
    }

    /// [`MessageBuf::write_to`] into a new buffer.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.write_to(&mut out);
        out
    }
}

fn write_levels(f: &FieldBuf, d: &Delimiters, out: &mut Vec<u8>) {
    let n_reps = trimmed_len(f, |r| r.iter().all(|c| c.iter().all(String::is_empty)));
    for (ri, rep) in f[..n_reps].iter().enumerate() {
        if ri > 0 {
            out.push(d.repetition);
        }
        let n_comps = trimmed_len(rep, |c| c.iter().all(String::is_empty));
        for (ci, comp) in rep[..n_comps].iter().enumerate() {
            if ci > 0 {
                out.push(d.component);
            }
            let n_subs = trimmed_len(comp, String::is_empty);
            for (si, sub) in comp[..n_subs].iter().enumerate() {
                if si > 0 {
                    out.push(d.subcomponent);
                }
                out.extend_from_slice(sub.as_bytes());
            }
        }
    }
}

fn normalize_field(f: &mut FieldBuf) {
    for rep in f.iter_mut() {
        for comp in rep.iter_mut() {
            let n = trimmed_len(comp, String::is_empty);
            comp.truncate(n);
        }
        let n = trimmed_len(rep, |c| c.is_empty());
        rep.truncate(n);
    }
    let n = trimmed_len(f, |r| r.is_empty());
    f.truncate(n);
}

fn field_is_empty(f: &FieldBuf) -> bool {
    f.iter()
        .all(|r| r.iter().all(|c| c.iter().all(String::is_empty)))
}

fn trimmed_len<T>(items: &[T], empty: impl Fn(&T) -> bool) -> usize {
    items.iter().rposition(|x| !empty(x)).map_or(0, |i| i + 1)
}

fn grow<T: Default>(v: &mut Vec<T>, n: usize) -> &mut T {
    if v.len() < n {
        v.resize_with(n, T::default);
    }
    &mut v[n - 1]
}

impl Message<'_> {
    /// Copies the message into an editable [`MessageBuf`], values kept escaped as sent.
    pub fn to_buf(&self) -> MessageBuf {
        let mut buf = MessageBuf::new(*self.delimiters());
        for seg in self.segments() {
            let mut fields: Vec<FieldBuf> = Vec::with_capacity(seg.field_count());
            for (n, field) in seg.fields().enumerate() {
                let header_delims = seg.name() == "MSH" && n < 2;
                let f: FieldBuf = if header_delims {
                    vec![vec![vec![String::new()]]]
                } else {
                    field
                        .children()
                        .map(|r| {
                            r.children()
                                .map(|c| c.children().map(|s| s.raw_str().to_string()).collect())
                                .collect()
                        })
                        .collect()
                };
                fields.push(f);
            }
            buf.segments.push(SegmentBuf {
                name: seg.name().to_string(),
                fields,
            });
        }
        buf.normalized()
    }
}

impl Delimiters {
    /// True when every separator and the escape character are declared (needed to build).
    pub fn is_complete(&self) -> bool {
        [
            self.component,
            self.repetition,
            self.escape,
            self.subcomponent,
        ]
        .iter()
        .all(|&b| b != ABSENT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_escapes() {
        let mut m = MessageBuf::new(Delimiters::default());
        m.set("MSH-9.1", "ADT").unwrap();
        m.set("MSH-9.2", "A01").unwrap();
        m.set("PID-5.1", "O'Neil|Smith^Jr").unwrap();
        m.set("PID-3[2].4", "NHS").unwrap();
        let bytes = m.to_bytes();
        assert_eq!(
            bytes,
            b"MSH|^~\\&|||||||ADT^A01\rPID|||~^^^NHS||O'Neil\\F\\Smith\\S\\Jr\r"
        );
        let parsed = Message::parse(&bytes).unwrap();
        assert_eq!(parsed.text("PID-5.1").unwrap(), "O'Neil|Smith^Jr");
        assert_eq!(parsed.text("PID-3[2].4").unwrap(), "NHS");
        assert_eq!(parsed.to_buf(), m.normalized());
    }

    #[test]
    fn refuses_msh1_and_msh2() {
        let mut m = MessageBuf::new(Delimiters::default());
        assert!(m.set("MSH-2", "x").is_err());
        assert!(m.set("PID", "x").is_err());
    }
}
