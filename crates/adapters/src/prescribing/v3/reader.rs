//! A streaming walk over an HL7 v3 XML document with quick-xml: no DOM, one pass, bounded.
//! It enforces what makes untrusted XML safe to read: a size cap ([`MAX_XML_BYTES`]), a depth
//! cap, UTF-8, no DOCTYPE (so no entity definitions, hence no expansion), only the five
//! predefined entities and character references, a single root element in `urn:hl7-org:v3`.
//! Elements from other namespaces (the XML-DSig signature) are skipped with their content.

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};

use crate::error::{DecodeError, DecodeErrorCode};

/// The largest XML message accepted (EPS messages are tens of kilobytes).
pub const MAX_XML_BYTES: usize = 4 * 1024 * 1024;
/// The deepest element nesting accepted (EPS messages nest about 15 deep).
const MAX_DEPTH: usize = 64;
/// The HL7 v3 namespace.
pub(crate) const HL7V3_NS: &str = "urn:hl7-org:v3";

/// The attributes of one element, unescaped, by local name.
pub(crate) struct Attrs(Vec<(String, String)>);

impl Attrs {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// What the walk reports. `path` holds the local names from the root to the element.
pub(crate) trait Visitor {
    fn start(&mut self, path: &[String], attrs: &Attrs);
    fn text(&mut self, path: &[String], text: &str);
}

fn unparseable(path: &[String], message: impl Into<String>) -> DecodeError {
    let p = xpath(path);
    DecodeError::new(
        DecodeErrorCode::Unparseable,
        (!p.is_empty()).then_some(p.as_str()),
        message,
    )
}

/// `/a/b/c` for a path.
pub(crate) fn xpath(path: &[String]) -> String {
    path.iter().fold(String::new(), |mut s, p| {
        s.push('/');
        s.push_str(p);
        s
    })
}

/// Walks `bytes`, calling `v` for every HL7 v3 element and text; returns the root's local name.
pub(crate) fn walk(bytes: &[u8], v: &mut impl Visitor) -> Result<String, DecodeError> {
    if bytes.len() > MAX_XML_BYTES {
        return Err(DecodeError::new(
            DecodeErrorCode::Unparseable,
            None,
            format!(
                "XML message is larger than the {} MiB limit",
                MAX_XML_BYTES / (1024 * 1024)
            ),
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        DecodeError::new(
            DecodeErrorCode::Unparseable,
            None,
            format!("XML is not UTF-8 (byte {})", e.valid_up_to()),
        )
    })?;
    let mut reader = NsReader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    let mut skip = 0usize; // depth inside a foreign-namespace element
    let mut buf = String::new();
    let mut root: Option<String> = None;
    loop {
        let (ns, event) = match reader.read_resolved_event() {
            Ok((ns, ev)) => (bound_to_v3(&ns), ev),
            Err(e) => {
                let pos = reader.error_position();
                return Err(unparseable(
                    &path,
                    format!("XML is not well-formed at byte {pos}: {}", describe(&e)),
                ));
            }
        };
        match event {
            Event::Start(_) if skip > 0 => skip += 1,
            Event::Empty(_) if skip > 0 => {}
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = local(e);
                if path.is_empty() {
                    if root.is_some() {
                        return Err(unparseable(&[], "XML has more than one root element"));
                    }
                    if !ns {
                        return Err(unparseable(
                            &[name],
                            format!("root element is not in the HL7 v3 namespace {HL7V3_NS}"),
                        ));
                    }
                    root = Some(name.clone());
                }
                if !ns {
                    if !empty {
                        skip = 1;
                    }
                    continue;
                }
                if path.len() >= MAX_DEPTH {
                    return Err(unparseable(
                        &path,
                        format!("XML nests deeper than {MAX_DEPTH} elements"),
                    ));
                }
                flush(&path, &mut buf, v);
                path.push(name);
                let attrs = attrs(e, &path)?;
                v.start(&path, &attrs);
                if empty {
                    path.pop();
                }
            }
            Event::End(_) if skip > 0 => skip -= 1,
            Event::End(_) => {
                flush(&path, &mut buf, v);
                path.pop();
            }
            Event::Text(t) if skip == 0 && !path.is_empty() => buf.push_str(&t.xml10_content()),
            Event::CData(t) if skip == 0 && !path.is_empty() => buf.push_str(&t.into_inner()),
            Event::GeneralRef(r) => {
                let ch = match r.resolve_char_ref() {
                    Ok(Some(ch)) => ch,
                    Ok(None) => match r.into_inner().as_ref() {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        _ => {
                            return Err(unparseable(
                                &path,
                                "reference to an undeclared entity; only the five XML predefined entities are allowed",
                            ));
                        }
                    },
                    Err(_) => return Err(unparseable(&path, "invalid character reference")),
                };
                if skip == 0 {
                    buf.push(ch);
                }
            }
            Event::DocType(_) => {
                return Err(unparseable(
                    &path,
                    "DOCTYPE declarations are refused (no DTDs, no entity definitions)",
                ));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !path.is_empty() || skip > 0 {
        return Err(unparseable(&path, "XML ends inside an element"));
    }
    root.ok_or_else(|| unparseable(&[], "XML has no root element"))
}

fn bound_to_v3(ns: &ResolveResult<'_>) -> bool {
    matches!(ns, ResolveResult::Bound(Namespace(n)) if *n == HL7V3_NS)
}

fn local(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_owned()
}

fn attrs(e: &BytesStart<'_>, path: &[String]) -> Result<Attrs, DecodeError> {
    let mut out = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|_| unparseable(path, "malformed attribute"))?;
        let key = a.key.local_name().as_ref().to_owned();
        if a.key.as_ref().starts_with("xmlns") {
            continue;
        }
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|_| {
                unparseable(
                    path,
                    "attribute value refers to an undeclared entity or is malformed",
                )
            })?;
        out.push((key, value.into_owned()));
    }
    Ok(Attrs(out))
}

/// Delivers the text collected for the current element, if any.
fn flush(path: &[String], buf: &mut String, v: &mut impl Visitor) {
    if !path.is_empty() {
        let t = buf.trim();
        if !t.is_empty() {
            v.text(path, t);
        }
    }
    buf.clear();
}

/// A reason without document content (tag names are structure, not data).
fn describe(e: &quick_xml::Error) -> String {
    match e {
        quick_xml::Error::Syntax(s) => s.to_string(),
        quick_xml::Error::IllFormed(i) => i.to_string(),
        quick_xml::Error::Namespace(_) => "undeclared namespace prefix".to_owned(),
        quick_xml::Error::InvalidAttr(_) => "malformed attribute".to_owned(),
        quick_xml::Error::Escape(_) => "bad entity or character reference".to_owned(),
        _ => "unreadable input".to_owned(),
    }
}
