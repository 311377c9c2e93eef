//! The predicate language's lexer: turns an expression into tokens, each with the 1-based
//! column (in characters) where it starts, so parse errors can point at it.

use super::PredicateError;

/// One token of a predicate expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A name: `event`, `bundle`, a field, a function or method.
    Ident(String),
    /// A quoted string, escapes resolved.
    Str(String),
    /// A number.
    Num(f64),
    /// `true`, `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// `in`.
    In,
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `[`.
    LBracket,
    /// `]`.
    RBracket,
    /// `,`.
    Comma,
    /// `.`.
    Dot,
    /// `&&`.
    And,
    /// `||`.
    Or,
    /// `!`.
    Not,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// End of input.
    Eof,
}

impl Tok {
    /// How the token reads in an error message.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Ident(name) => format!("`{name}`"),
            Tok::Str(_) => "a string".into(),
            Tok::Num(_) => "a number".into(),
            Tok::Bool(b) => format!("`{b}`"),
            Tok::Null => "`null`".into(),
            Tok::In => "`in`".into(),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::LBracket => "`[`".into(),
            Tok::RBracket => "`]`".into(),
            Tok::Comma => "`,`".into(),
            Tok::Dot => "`.`".into(),
            Tok::And => "`&&`".into(),
            Tok::Or => "`||`".into(),
            Tok::Not => "`!`".into(),
            Tok::Eq => "`==`".into(),
            Tok::Ne => "`!=`".into(),
            Tok::Eof => "the end of the expression".into(),
        }
    }
}

/// A token and the column it starts at.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spanned {
    pub(crate) tok: Tok,
    pub(crate) column: usize,
}

/// Splits `src` into tokens, ending with [`Tok::Eof`].
pub(crate) fn lex(src: &str) -> Result<Vec<Spanned>, PredicateError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        let err = |message: String| PredicateError { column, message };
        let next = chars.get(i + 1).copied();
        let (tok, len) = match c {
            _ if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            '[' => (Tok::LBracket, 1),
            ']' => (Tok::RBracket, 1),
            ',' => (Tok::Comma, 1),
            '.' => (Tok::Dot, 1),
            '&' if next == Some('&') => (Tok::And, 2),
            '|' if next == Some('|') => (Tok::Or, 2),
            '=' if next == Some('=') => (Tok::Eq, 2),
            '!' if next == Some('=') => (Tok::Ne, 2),
            '!' => (Tok::Not, 1),
            '&' | '|' => return Err(err(format!("`{c}` is not an operator; use `{c}{c}`"))),
            '=' => return Err(err("`=` is not an operator; use `==`".into())),
            '"' | '\'' => string(&chars, i)?,
            _ if c.is_ascii_digit() || (c == '-' && next.is_some_and(|n| n.is_ascii_digit())) => {
                number(&chars, i)?
            }
            _ if c.is_alphabetic() || c == '_' => {
                let len = chars[i..]
                    .iter()
                    .take_while(|c| c.is_alphanumeric() || **c == '_')
                    .count();
                let word: String = chars[i..i + len].iter().collect();
                let tok = match word.as_str() {
                    "true" => Tok::Bool(true),
                    "false" => Tok::Bool(false),
                    "null" => Tok::Null,
                    "in" => Tok::In,
                    _ => Tok::Ident(word),
                };
                (tok, len)
            }
            _ => return Err(err(format!("unexpected character `{c}`"))),
        };
        out.push(Spanned { tok, column });
        i += len;
    }
    out.push(Spanned {
        tok: Tok::Eof,
        column: chars.len() + 1,
    });
    Ok(out)
}

/// A string literal starting at `start` (its quote); returns the token and its length.
fn string(chars: &[char], start: usize) -> Result<(Tok, usize), PredicateError> {
    let quote = chars[start];
    let mut value = String::new();
    let mut i = start + 1;
    while let Some(&c) = chars.get(i) {
        match c {
            _ if c == quote => return Ok((Tok::Str(value), i + 1 - start)),
            '\\' => {
                let escaped = match chars.get(i + 1) {
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some(&e @ ('\\' | '"' | '\'')) => e,
                    _ => {
                        return Err(PredicateError {
                            column: i + 1,
                            message: "unknown escape; use \\\\, \\\", \\', \\n or \\t".into(),
                        });
                    }
                };
                value.push(escaped);
                i += 2;
            }
            _ => {
                value.push(c);
                i += 1;
            }
        }
    }
    Err(PredicateError {
        column: start + 1,
        message: "unterminated string".into(),
    })
}

/// A number literal starting at `start`; returns the token and its length.
fn number(chars: &[char], start: usize) -> Result<(Tok, usize), PredicateError> {
    let len = 1 + chars[start + 1..]
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == '.')
        .count();
    let text: String = chars[start..start + len].iter().collect();
    text.parse::<f64>()
        .map(|n| (Tok::Num(n), len))
        .map_err(|_| PredicateError {
            column: start + 1,
            message: format!("`{text}` is not a number"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        lex(src).unwrap().into_iter().map(|s| s.tok).collect()
    }

    #[test]
    fn tokens_and_columns() {
        let out = lex(r#"event.kind == "a\"b" && !x in [1, -2.5]"#).unwrap();
        assert_eq!(out[0].column, 1);
        assert_eq!(out[2].tok, Tok::Ident("kind".into()));
        assert_eq!(
            out[3],
            Spanned {
                tok: Tok::Eq,
                column: 12
            }
        );
        assert_eq!(out[4].tok, Tok::Str("a\"b".into()));
        assert_eq!(
            toks("'x' != null || true"),
            [
                Tok::Str("x".into()),
                Tok::Ne,
                Tok::Null,
                Tok::Or,
                Tok::Bool(true),
                Tok::Eof
            ]
        );
        assert!(toks("[1, -2.5]").contains(&Tok::Num(-2.5)));
    }

    #[test]
    fn errors_name_the_column() {
        assert_eq!(lex("a = b").unwrap_err().column, 3);
        assert!(lex("a = b").unwrap_err().message.contains("=="));
        assert_eq!(lex("x == \"open").unwrap_err().column, 6);
        assert_eq!(lex("x & y").unwrap_err().column, 3);
        assert_eq!(lex("x # y").unwrap_err().column, 3);
        assert_eq!(lex("1.2.3").unwrap_err().column, 1);
    }
}
