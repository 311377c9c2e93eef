//! Borrowed views into a parsed message: a `Segment`, and a `Value` at any depth below it
//! (field, repetition, component, subcomponent).

use std::borrow::Cow;

use crate::delims::{ABSENT, Delimiters};
use crate::escape;
use crate::parse::{Index, SegIdx, is_header_name};

/// How deep a value sits: which separator splits it into children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// A whole segment (split by the field separator).
    Segment,
    /// A field (split by the repetition separator).
    Field,
    /// One repetition of a field (split by the component separator).
    Repetition,
    /// A component (split by the subcomponent separator).
    Component,
    /// A subcomponent (a leaf).
    Subcomponent,
}

/// One segment of a message.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'m> {
    buf: &'m [u8],
    idx: &'m Index,
    seg: SegIdx,
    position: usize,
    delims: Delimiters,
}

impl<'m> Segment<'m> {
    pub(crate) fn new(
        buf: &'m [u8],
        idx: &'m Index,
        seg: SegIdx,
        position: usize,
        delims: Delimiters,
    ) -> Self {
        Self {
            buf,
            idx,
            seg,
            position,
            delims,
        }
    }

    /// The three-character segment name.
    pub fn name(&self) -> &'m str {
        let raw = &self.buf[self.seg.start as usize..self.seg.start as usize + 3];
        std::str::from_utf8(raw).unwrap_or("???")
    }

    /// 0-based position of this segment in its message.
    pub fn position(&self) -> usize {
        self.position
    }

    /// The segment's bytes, without its terminator.
    pub fn raw(&self) -> &'m [u8] {
        &self.buf[self.seg.start as usize..self.seg.end as usize]
    }

    fn is_header(&self) -> bool {
        is_header_name(self.name().as_bytes())
    }

    /// The highest field number present (MSH counts MSH-1).
    pub fn field_count(&self) -> usize {
        let n = self.seg.field_count as usize;
        if self.is_header() && n > 0 { n + 1 } else { n }
    }

    /// Field `n` (1-based, as HL7 numbers them: for MSH, MSH-1 is the field separator and
    /// MSH-2 the encoding characters). `None` when the segment has fewer fields.
    pub fn field(&self, n: usize) -> Option<Value<'m>> {
        if n == 0 {
            return None;
        }
        let generic = if self.is_header() {
            if n == 1 {
                let at = self.seg.start + 3;
                return Some(self.leaf(at, at + 1));
            }
            n - 1
        } else {
            n
        };
        if generic > self.seg.field_count as usize {
            return None;
        }
        let fields = &self.idx.fields[self.seg.first_field as usize..];
        let lead = fields[generic - 1] as usize;
        let (next, end) = if generic < self.seg.field_count as usize {
            let next = fields[generic] as usize;
            (next, self.idx.seps[next])
        } else {
            (self.seg.sep_end as usize, self.seg.end)
        };
        let start = self.idx.seps[lead] + 1;
        if self.is_header() && n == 2 {
            return Some(self.leaf(start, end));
        }
        Some(Value {
            buf: self.buf,
            inner: &self.idx.seps[lead + 1..next],
            delims: self.delims,
            start,
            end,
            level: Level::Field,
        })
    }

    /// Every field, numbered from 1 (for MSH, from MSH-1).
    pub fn fields(&self) -> impl Iterator<Item = Value<'m>> + 'm {
        let seg = *self;
        (1..=seg.field_count()).filter_map(move |n| seg.field(n))
    }

    /// The whole segment as a leaf value: its raw bytes (use [`Segment::field`] to descend).
    pub fn as_value(&self) -> Value<'m> {
        Value {
            buf: self.buf,
            inner: &[],
            delims: self.delims,
            start: self.seg.start,
            end: self.seg.end,
            level: Level::Segment,
        }
    }

    fn leaf(&self, start: u32, end: u32) -> Value<'m> {
        Value {
            buf: self.buf,
            inner: &[],
            delims: self.delims,
            start,
            end,
            level: Level::Subcomponent,
        }
    }
}

/// A value at some depth in a message: its bytes are a slice of the message, escapes still in.
#[derive(Debug, Clone, Copy)]
pub struct Value<'m> {
    buf: &'m [u8],
    /// Offsets of the separators strictly inside this value.
    inner: &'m [u32],
    delims: Delimiters,
    start: u32,
    end: u32,
    level: Level,
}

impl<'m> Value<'m> {
    /// The raw bytes, escape sequences not decoded.
    pub fn raw(&self) -> &'m [u8] {
        &self.buf[self.start as usize..self.end as usize]
    }

    /// The raw bytes as text (escape sequences not decoded).
    pub fn raw_str(&self) -> &'m str {
        std::str::from_utf8(self.raw()).unwrap_or_default()
    }

    /// Byte offset of the value in the (UTF-8) message.
    pub fn offset(&self) -> usize {
        self.start as usize
    }

    /// How deep this value sits.
    pub fn level(&self) -> Level {
        self.level
    }

    /// True when the value is empty (absent in HL7 terms).
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// True for the explicit HL7 null `""`, which means "delete this value".
    pub fn is_null(&self) -> bool {
        self.raw() == b"\"\""
    }

    /// The text with escape sequences decoded. Borrowed when nothing needed decoding.
    pub fn text(&self) -> Cow<'m, str> {
        escape::decode(self.raw_str(), &self.delims)
    }

    /// Does this value contain any separator below its own level (is it structured)?
    pub fn has_children(&self) -> bool {
        let d = self.child_delim();
        d != ABSENT && self.inner.iter().any(|&p| self.buf[p as usize] == d)
    }

    fn child_delim(&self) -> u8 {
        match self.level {
            Level::Segment | Level::Subcomponent => ABSENT,
            Level::Field => self.delims.repetition,
            Level::Repetition => self.delims.component,
            Level::Component => self.delims.subcomponent,
        }
    }

    fn child_level(&self) -> Level {
        match self.level {
            Level::Segment => Level::Field,
            Level::Field => Level::Repetition,
            Level::Repetition => Level::Component,
            Level::Component | Level::Subcomponent => Level::Subcomponent,
        }
    }

    /// The `n`-th (1-based) child of this value, one level down. A value without separators
    /// at that level is its own first child.
    pub fn child(&self, n: usize) -> Option<Value<'m>> {
        self.children().nth(n.checked_sub(1)?)
    }

    /// The children one level down (repetitions of a field, components of a repetition, …).
    pub fn children(&self) -> Children<'m> {
        Children {
            parent: *self,
            next_start: self.start,
            next_inner: 0,
            done: false,
        }
    }

    /// Repetition `n` (1-based) of a field.
    pub fn repetition(&self, n: usize) -> Option<Value<'m>> {
        match self.level {
            Level::Field => self.child(n),
            _ => (n == 1).then_some(*self),
        }
    }

    /// Component `n` (1-based) of a repetition (of a field: of its first repetition).
    pub fn component(&self, n: usize) -> Option<Value<'m>> {
        match self.level {
            Level::Field => self.repetition(1)?.component(n),
            Level::Repetition => self.child(n),
            _ => (n == 1).then_some(*self),
        }
    }

    /// Subcomponent `n` (1-based) of a component.
    pub fn subcomponent(&self, n: usize) -> Option<Value<'m>> {
        match self.level {
            Level::Field | Level::Repetition => self.component(1)?.subcomponent(n),
            Level::Component => self.child(n),
            _ => (n == 1).then_some(*self),
        }
    }

    /// The decoded text of component `n`, or `None` when absent or empty.
    pub fn component_text(&self, n: usize) -> Option<Cow<'m, str>> {
        self.component(n)
            .filter(|v| !v.is_empty())
            .map(|v| v.text())
    }
}

/// Iterator over a value's children.
#[derive(Debug, Clone)]
pub struct Children<'m> {
    parent: Value<'m>,
    next_start: u32,
    next_inner: usize,
    done: bool,
}

impl<'m> Iterator for Children<'m> {
    type Item = Value<'m>;

    fn next(&mut self) -> Option<Value<'m>> {
        if self.done {
            return None;
        }
        let p = &self.parent;
        let d = p.child_delim();
        let rest = &p.inner[self.next_inner..];
        let found = if d == ABSENT {
            None
        } else {
            rest.iter().position(|&s| p.buf[s as usize] == d)
        };
        let (end, inner_len) = match found {
            Some(i) => (rest[i], i),
            None => {
                self.done = true;
                (p.end, rest.len())
            }
        };
        let child = Value {
            buf: p.buf,
            inner: &rest[..inner_len],
            delims: p.delims,
            start: self.next_start,
            end,
            level: p.child_level(),
        };
        self.next_start = end + 1;
        self.next_inner += inner_len + 1;
        Some(child)
    }
}
