//! Terse paths: `PID-3[2].4.1` is segment PID, field 3, repetition 2, component 4,
//! subcomponent 1; `OBX[3]-5` is field 5 of the third OBX. All numbers are 1-based.

use std::fmt;

/// A parsed terse path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    segment: String,
    occurrence: usize,
    field: Option<usize>,
    repetition: Option<usize>,
    component: Option<usize>,
    subcomponent: Option<usize>,
}

/// A terse path that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad terse path {path:?}: {why}")]
pub struct PathError {
    /// The path as given.
    pub path: String,
    /// What was wrong with it.
    pub why: &'static str,
}

impl Path {
    /// Path to field `n` of MSH.
    pub fn msh(n: usize) -> Self {
        Self {
            segment: "MSH".into(),
            occurrence: 1,
            field: Some(n),
            repetition: None,
            component: None,
            subcomponent: None,
        }
    }

    /// Parses `SEG[occ]-field[rep].comp.sub`, every part after the name optional.
    pub fn parse(path: &str) -> Result<Self, PathError> {
        let err = |why| PathError {
            path: path.to_string(),
            why,
        };
        let bytes = path.as_bytes();
        if bytes.len() < 3
            || !bytes[..3]
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(err("must start with a three-character segment name"));
        }
        let mut p = Self {
            segment: path[..3].to_string(),
            occurrence: 1,
            field: None,
            repetition: None,
            component: None,
            subcomponent: None,
        };
        let mut rest = &path[3..];
        if let Some(r) = rest.strip_prefix('[') {
            let (n, r) =
                bracketed(r).ok_or_else(|| err("segment occurrence must be [n] with n >= 1"))?;
            p.occurrence = n;
            rest = r;
        }
        if rest.is_empty() {
            return Ok(p);
        }
        rest = rest
            .strip_prefix('-')
            .ok_or_else(|| err("expected '-' before the field number"))?;
        let (field, r) = number(rest).ok_or_else(|| err("field number must be >= 1"))?;
        p.field = Some(field);
        rest = r;
        if let Some(r) = rest.strip_prefix('[') {
            let (n, r) = bracketed(r).ok_or_else(|| err("repetition must be [n] with n >= 1"))?;
            p.repetition = Some(n);
            rest = r;
        }
        for slot in [&mut p.component, &mut p.subcomponent] {
            if rest.is_empty() {
                break;
            }
            let r = rest
                .strip_prefix('.')
                .ok_or_else(|| err("expected '.' before a component"))?;
            let (n, r) = number(r).ok_or_else(|| err("component numbers must be >= 1"))?;
            *slot = Some(n);
            rest = r;
        }
        if !rest.is_empty() {
            return Err(err("unexpected text after the subcomponent"));
        }
        Ok(p)
    }

    /// The segment name.
    pub fn segment(&self) -> &str {
        &self.segment
    }
    /// Which occurrence of the segment (1 = first).
    pub fn occurrence(&self) -> usize {
        self.occurrence
    }
    /// The field number, if the path goes that deep.
    pub fn field(&self) -> Option<usize> {
        self.field
    }
    /// The repetition, if given.
    pub fn repetition(&self) -> Option<usize> {
        self.repetition
    }
    /// The component, if given.
    pub fn component(&self) -> Option<usize> {
        self.component
    }
    /// The subcomponent, if given.
    pub fn subcomponent(&self) -> Option<usize> {
        self.subcomponent
    }
}

impl std::str::FromStr for Path {
    type Err = PathError;
    fn from_str(s: &str) -> Result<Self, PathError> {
        Self::parse(s)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.segment)?;
        if self.occurrence != 1 {
            write!(f, "[{}]", self.occurrence)?;
        }
        if let Some(n) = self.field {
            write!(f, "-{n}")?;
        }
        if let Some(n) = self.repetition {
            write!(f, "[{n}]")?;
        }
        if let Some(n) = self.component {
            write!(f, ".{n}")?;
        }
        if let Some(n) = self.subcomponent {
            write!(f, ".{n}")?;
        }
        Ok(())
    }
}

fn number(s: &str) -> Option<(usize, &str)> {
    let len = s.bytes().take_while(u8::is_ascii_digit).count();
    let n: usize = s[..len].parse().ok()?;
    (n >= 1).then_some((n, &s[len..]))
}

fn bracketed(s: &str) -> Option<(usize, &str)> {
    let (n, rest) = number(s)?;
    Some((n, rest.strip_prefix(']')?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_part() {
        let p = Path::parse("PID-3[2].4.1").unwrap();
        assert_eq!(
            (
                p.segment(),
                p.field(),
                p.repetition(),
                p.component(),
                p.subcomponent()
            ),
            ("PID", Some(3), Some(2), Some(4), Some(1))
        );
        let p = Path::parse("OBX[3]-5").unwrap();
        assert_eq!((p.occurrence(), p.field()), (3, Some(5)));
        assert_eq!(Path::parse("ZU1").unwrap().field(), None);
    }

    #[test]
    fn displays_as_parsed() {
        for s in ["PID-3[2].4.1", "OBX[3]-5", "MSH-9.2", "PV1-3.1.2"] {
            assert_eq!(Path::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn rejects_malformed_paths() {
        for s in [
            "",
            "PI",
            "pid-3",
            "PID-0",
            "PID-3[0]",
            "PID-3.",
            "PID-3.1.2.3",
            "PID3",
            "PID-3[2",
        ] {
            assert!(Path::parse(s).is_err(), "{s}");
        }
    }
}
