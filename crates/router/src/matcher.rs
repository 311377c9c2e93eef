//! Glob patterns for route fields (`kinds = ["patient.*"]`, `message_types = ["ADT^A0*"]`):
//! `*` matches any run of characters, `?` exactly one, everything else itself.

use std::fmt;

/// A compiled glob.
#[derive(Clone, PartialEq, Eq)]
pub struct Glob {
    pattern: String,
    chars: Vec<char>,
}

impl Glob {
    /// Compiles a pattern; fails on an empty one or one with control or space characters.
    pub fn new(pattern: &str) -> Result<Glob, String> {
        if pattern.is_empty() {
            return Err("empty pattern".into());
        }
        if let Some(c) = pattern
            .chars()
            .find(|c| c.is_control() || c.is_whitespace())
        {
            return Err(format!("pattern may not contain {c:?}"));
        }
        Ok(Glob {
            pattern: pattern.to_owned(),
            chars: pattern.chars().collect(),
        })
    }

    /// Whether `text` matches the whole pattern.
    pub fn matches(&self, text: &str) -> bool {
        let text: Vec<char> = text.chars().collect();
        // Iterative wildcard match with one backtrack point: linear-ish, never exponential.
        let (mut p, mut t) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            match self.chars.get(p) {
                Some('*') => {
                    star = Some((p, t));
                    p += 1;
                }
                Some(&c) if c == '?' || c == text[t] => {
                    p += 1;
                    t += 1;
                }
                _ => match star {
                    Some((sp, st)) => {
                        p = sp + 1;
                        t = st + 1;
                        star = Some((sp, st + 1));
                    }
                    None => return false,
                },
            }
        }
        self.chars[p..].iter().all(|c| *c == '*')
    }

    /// Whether some text matches both this pattern and `other` (`patient.*` and `*.admitted`
    /// do; `referal.*` and `referral.received` do not). `junction check` uses it to find route
    /// globs that no adapter's declared kinds can ever match. Dynamic programming over the two
    /// patterns: O(len × len), no backtracking.
    pub fn intersects(&self, other: &Glob) -> bool {
        let (a, b) = (&self.chars, &other.chars);
        // reach[i][j]: the first i chars of `a` and the first j of `b` can match one text.
        let mut reach = vec![vec![false; b.len() + 1]; a.len() + 1];
        reach[0][0] = true;
        for i in 0..=a.len() {
            for j in 0..=b.len() {
                if reach[i][j] {
                    continue;
                }
                let star_a = i > 0 && a[i - 1] == '*';
                let star_b = j > 0 && b[j - 1] == '*';
                reach[i][j] = (star_a && (reach[i - 1][j] || (j > 0 && reach[i][j - 1])))
                    || (star_b && (reach[i][j - 1] || (i > 0 && reach[i - 1][j])))
                    || (i > 0
                        && j > 0
                        && !star_a
                        && !star_b
                        && (a[i - 1] == '?' || b[j - 1] == '?' || a[i - 1] == b[j - 1])
                        && reach[i - 1][j - 1]);
            }
        }
        reach[a.len()][b.len()]
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Glob").field(&self.pattern).finish()
    }
}

/// A set of globs; an empty set matches anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GlobSet {
    globs: Vec<Glob>,
}

impl GlobSet {
    /// Compiles every pattern, collecting `(index, error)` for each bad one.
    pub fn new(patterns: &[String]) -> Result<GlobSet, Vec<(usize, String)>> {
        let mut globs = Vec::new();
        let mut errors = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            match Glob::new(p) {
                Ok(g) => globs.push(g),
                Err(e) => errors.push((i, e)),
            }
        }
        if errors.is_empty() {
            Ok(GlobSet { globs })
        } else {
            Err(errors)
        }
    }

    /// Whether the set is empty (matches anything).
    pub fn is_any(&self) -> bool {
        self.globs.is_empty()
    }

    /// Whether any glob matches `text` (or the set is empty).
    pub fn matches(&self, text: &str) -> bool {
        self.is_any() || self.globs.iter().any(|g| g.matches(text))
    }

    /// Whether the set is empty or `text` is present and matches.
    pub fn matches_opt(&self, text: Option<&str>) -> bool {
        self.is_any() || text.is_some_and(|t| self.matches(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Glob::new(p).unwrap().matches(t)
    }

    #[test]
    fn globs() {
        assert!(m("patient.*", "patient.admitted"));
        assert!(m("patient.*", "patient."));
        assert!(!m("patient.*", "order.placed"));
        assert!(m("ADT^A0*", "ADT^A01"));
        assert!(!m("ADT^A0*", "ADT^A11"));
        assert!(m("ADT^A0?", "ADT^A08"));
        assert!(!m("ADT^A0?", "ADT^A081"));
        assert!(m("*", ""));
        assert!(m("*.*ed", "patient.admitted"));
        assert!(m("a*b*c", "aXbYbZc"));
        assert!(!m("a*b*c", "aXbYbZ"));
        assert!(m("exact", "exact"));
        assert!(!m("exact", "exactly"));
        assert!(m("**a", "bba"));
    }

    #[test]
    fn intersections() {
        let x = |a: &str, b: &str| Glob::new(a).unwrap().intersects(&Glob::new(b).unwrap());
        assert!(x("patient.*", "*.admitted"));
        assert!(x("patient.*", "patient.admitted"));
        assert!(!x("referal.received", "referral.received"));
        assert!(!x("referal.*", "referral.*"));
        assert!(x("fhir.*", "fhir.task"));
        assert!(x("*", "anything"));
        assert!(!x("order.?", "order.placed"));
        assert!(x("a*c", "ab?"));
    }

    /// Against brute force: every pair of patterns up to 3 characters over `a`, `b`, `*`, `?`
    /// intersects exactly when some text over `a`, `b` of up to 6 characters matches both.
    #[test]
    fn intersections_agree_with_brute_force() {
        fn all(alphabet: &[char], max: usize) -> Vec<String> {
            let mut out = vec![String::new()];
            let mut last = vec![String::new()];
            for _ in 0..max {
                last = last
                    .iter()
                    .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                    .collect();
                out.extend(last.iter().cloned());
            }
            out
        }
        let patterns: Vec<Glob> = all(&['a', 'b', '*', '?'], 3)
            .into_iter()
            .filter(|p| !p.is_empty())
            .map(|p| Glob::new(&p).unwrap())
            .collect();
        let texts = all(&['a', 'b'], 6);
        for p in &patterns {
            for q in &patterns {
                let witness = texts.iter().any(|t| p.matches(t) && q.matches(t));
                assert_eq!(p.intersects(q), witness, "{p:?} and {q:?}");
            }
        }
    }

    #[test]
    fn bad_patterns() {
        assert!(Glob::new("").is_err());
        assert!(Glob::new("a b").is_err());
        let err = GlobSet::new(&["ok".into(), String::new(), "x\ty".into()]).unwrap_err();
        assert_eq!(err.iter().map(|e| e.0).collect::<Vec<_>>(), [1, 2]);
        let any = GlobSet::default();
        assert!(any.matches("x") && any.matches_opt(None));
        let set = GlobSet::new(&["ADT^*".into()]).unwrap();
        assert!(!set.matches_opt(None) && set.matches_opt(Some("ADT^A01")));
    }
}
