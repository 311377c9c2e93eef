//! The predicate language's recursive-descent parser: tokens from `lex` into the [`Expr`] tree
//! that `eval` walks. Names are resolved here, so an unknown root, function or method is a
//! compile error with its column, never a surprise at routing time.

use serde_json::Value;

use super::PredicateError;
use super::lex::{Spanned, Tok};

/// Where a path starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Root {
    /// The whole event JSON.
    Event,
    /// The event's FHIR bundle.
    Bundle,
}

/// A built-in function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    /// `has_warning(code)`: the event carries a warning with that code.
    HasWarning,
    /// `resource(type)`: the first bundle entry resource of that `resourceType`, or null.
    Resource,
}

/// A string method, called as `x.startsWith("…")`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// `startsWith`.
    StartsWith,
    /// `endsWith`.
    EndsWith,
    /// `contains` (substring of a string, or element of a list).
    Contains,
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Lit(Value),
    List(Vec<Expr>),
    Root(Root),
    Field(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    Call(Func, Box<Expr>),
    /// `hl7("PV1-3.1")`: the value at a terse path of the message the event carries.
    Hl7(junction_hl7v2::Path),
    Method(Box<Expr>, Method, Box<Expr>),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Eq(Box<Expr>, Box<Expr>),
    Ne(Box<Expr>, Box<Expr>),
    In(Box<Expr>, Box<Expr>),
}

/// Parses a whole expression.
pub(crate) fn parse(tokens: &[Spanned]) -> Result<Expr, PredicateError> {
    let mut p = Parser { tokens, pos: 0 };
    let expr = p.or()?;
    match p.peek() {
        Tok::Eof => Ok(expr),
        other => Err(p.error(format!(
            "expected `&&`, `||` or the end, found {}",
            other.describe()
        ))),
    }
}

struct Parser<'t> {
    tokens: &'t [Spanned],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        // `lex` always ends with Eof and the parser never steps past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)].tok
    }

    fn column(&self) -> usize {
        self.tokens[self.pos.min(self.tokens.len() - 1)].column
    }

    fn bump(&mut self) -> Tok {
        let tok = self.peek().clone();
        if tok != Tok::Eof {
            self.pos += 1;
        }
        tok
    }

    fn error(&self, message: String) -> PredicateError {
        PredicateError {
            column: self.column(),
            message,
        }
    }

    fn expect(&mut self, want: &Tok, what: &str) -> Result<(), PredicateError> {
        if self.peek() == want {
            self.bump();
            Ok(())
        } else {
            Err(self.error(format!("expected {what}, found {}", self.peek().describe())))
        }
    }

    fn or(&mut self) -> Result<Expr, PredicateError> {
        let mut left = self.and()?;
        while *self.peek() == Tok::Or {
            self.bump();
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, PredicateError> {
        let mut left = self.unary()?;
        while *self.peek() == Tok::And {
            self.bump();
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, PredicateError> {
        if *self.peek() == Tok::Not {
            self.bump();
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, PredicateError> {
        let left = self.postfix()?;
        let make: fn(Box<Expr>, Box<Expr>) -> Expr = match self.peek() {
            Tok::Eq => Expr::Eq,
            Tok::Ne => Expr::Ne,
            Tok::In => Expr::In,
            _ => return Ok(left),
        };
        self.bump();
        let right = self.postfix()?;
        if matches!(self.peek(), Tok::Eq | Tok::Ne | Tok::In) {
            return Err(self.error("comparisons do not chain; use `&&` or parentheses".into()));
        }
        Ok(make(Box::new(left), Box::new(right)))
    }

    fn postfix(&mut self) -> Result<Expr, PredicateError> {
        let mut expr = self.primary()?;
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.bump();
                    let column = self.column();
                    let Tok::Ident(name) = self.bump() else {
                        return Err(PredicateError {
                            column,
                            message: "expected a field or method name after `.`".into(),
                        });
                    };
                    if *self.peek() == Tok::LParen {
                        let method = match name.as_str() {
                            "startsWith" => Method::StartsWith,
                            "endsWith" => Method::EndsWith,
                            "contains" => Method::Contains,
                            _ => {
                                return Err(PredicateError {
                                    column,
                                    message: format!(
                                        "unknown method `{name}` (known: startsWith, endsWith, contains)"
                                    ),
                                });
                            }
                        };
                        let arg = self.one_arg(&name)?;
                        expr = Expr::Method(Box::new(expr), method, Box::new(arg));
                    } else {
                        expr = Expr::Field(Box::new(expr), name);
                    }
                }
                Tok::LBracket => {
                    self.bump();
                    let index = self.or()?;
                    self.expect(&Tok::RBracket, "`]`")?;
                    expr = Expr::Index(Box::new(expr), Box::new(index));
                }
                _ => return Ok(expr),
            }
        }
    }

    /// `( expr )` after a function or method name.
    fn one_arg(&mut self, name: &str) -> Result<Expr, PredicateError> {
        self.expect(&Tok::LParen, "`(`")?;
        if *self.peek() == Tok::RParen {
            return Err(self.error(format!("`{name}` takes one argument")));
        }
        let arg = self.or()?;
        if *self.peek() == Tok::Comma {
            return Err(self.error(format!("`{name}` takes one argument")));
        }
        self.expect(&Tok::RParen, "`)`")?;
        Ok(arg)
    }

    /// `("PATH")` after `hl7`: one string literal, a terse path checked now.
    fn hl7_path(&mut self) -> Result<Expr, PredicateError> {
        self.expect(&Tok::LParen, "`(`")?;
        let column = self.column();
        let Tok::Str(path) = self.bump() else {
            return Err(PredicateError {
                column,
                message: "`hl7` takes a terse path as a string, e.g. hl7(\"PV1-3.1\")".into(),
            });
        };
        let path = junction_hl7v2::Path::parse(&path).map_err(|e| PredicateError {
            column,
            message: e.to_string(),
        })?;
        self.expect(&Tok::RParen, "`)`")?;
        Ok(Expr::Hl7(path))
    }

    fn primary(&mut self) -> Result<Expr, PredicateError> {
        let column = self.column();
        match self.bump() {
            Tok::Str(s) => Ok(Expr::Lit(Value::String(s))),
            // Whole numbers stay integers so they can index lists.
            Tok::Num(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => {
                Ok(Expr::Lit(Value::from(n as i64)))
            }
            Tok::Num(n) => Ok(Expr::Lit(Value::from(n))),
            Tok::Bool(b) => Ok(Expr::Lit(Value::Bool(b))),
            Tok::Null => Ok(Expr::Lit(Value::Null)),
            Tok::LParen => {
                let inner = self.or()?;
                self.expect(&Tok::RParen, "`)`")?;
                Ok(inner)
            }
            Tok::LBracket => {
                let mut items = Vec::new();
                if *self.peek() != Tok::RBracket {
                    items.push(self.or()?);
                    while *self.peek() == Tok::Comma {
                        self.bump();
                        items.push(self.or()?);
                    }
                }
                self.expect(&Tok::RBracket, "`,` or `]`")?;
                Ok(Expr::List(items))
            }
            Tok::Ident(name) => {
                let func = match name.as_str() {
                    "event" => return Ok(Expr::Root(Root::Event)),
                    "bundle" => return Ok(Expr::Root(Root::Bundle)),
                    "has_warning" => Func::HasWarning,
                    "resource" => Func::Resource,
                    "hl7" => return self.hl7_path(),
                    _ => {
                        return Err(PredicateError {
                            column,
                            message: format!(
                                "unknown name `{name}` (expected `event`, `bundle`, \
                                 `has_warning(..)`, `resource(..)` or `hl7(..)`)"
                            ),
                        });
                    }
                };
                let arg = self.one_arg(&name)?;
                Ok(Expr::Call(func, Box::new(arg)))
            }
            other => Err(PredicateError {
                column,
                message: format!("expected a value, found {}", other.describe()),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::lex::lex;
    use super::*;

    fn p(src: &str) -> Result<Expr, PredicateError> {
        parse(&lex(src)?)
    }

    #[test]
    fn precedence() {
        let e = p("!a_b || event.x == 1 && bundle[0] in [1]");
        assert!(e.is_err(), "unknown root a_b");
        let e = p("!has_warning('w') || event.x == 1 && bundle.y in [1, 2]").unwrap();
        let Expr::Or(left, right) = e else {
            panic!("{e:?}")
        };
        assert!(matches!(*left, Expr::Not(_)));
        assert!(matches!(*right, Expr::And(_, _)));
    }

    #[test]
    fn errors() {
        let cases = [
            ("event.kind ==", 14, "expected a value"),
            ("evnt.kind == 'x'", 1, "unknown name `evnt`"),
            ("event.kind.starts('x')", 12, "unknown method `starts`"),
            ("resource('a', 'b')", 13, "takes one argument"),
            ("has_warning()", 13, "takes one argument"),
            ("(event.kind == 'x'", 19, "expected `)`"),
            ("event.a == 1 == 2", 14, "do not chain"),
            ("event.kind 'x'", 12, "expected `&&`, `||` or the end"),
            ("event.", 7, "after `.`"),
            ("[1, 2", 6, "`,` or `]`"),
        ];
        for (src, column, text) in cases {
            let err = p(src).unwrap_err();
            assert_eq!(err.column, column, "{src}: {err}");
            assert!(err.message.contains(text), "{src}: {err}");
        }
    }
}
