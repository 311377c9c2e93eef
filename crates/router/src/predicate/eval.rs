//! The predicate evaluator: walks an [`Expr`] over an event's JSON without copying the bundle.
//! Evaluation never fails: a missing field, a bad index or a type mismatch yields `null`, and
//! only the value `true` counts as true.

use std::borrow::Cow;

use serde_json::Value;

use super::parse::{Expr, Func, Method, Root};

static NULL: Value = Value::Null;

/// Evaluates `expr` against `event` (the event's JSON object).
pub(crate) fn eval<'a>(expr: &Expr, event: &'a Value) -> Cow<'a, Value> {
    match expr {
        Expr::Lit(v) => Cow::Owned(v.clone()),
        Expr::List(items) => Cow::Owned(Value::Array(
            items.iter().map(|e| eval(e, event).into_owned()).collect(),
        )),
        Expr::Root(Root::Event) => Cow::Borrowed(event),
        Expr::Root(Root::Bundle) => Cow::Borrowed(event.get("bundle").unwrap_or(&NULL)),
        Expr::Field(base, name) => project(eval(base, event), |v| v.get(name.as_str())),
        Expr::Index(base, index) => {
            let index = eval(index, event);
            project(eval(base, event), |v| match (v, index.as_ref()) {
                (Value::Array(items), Value::Number(n)) => {
                    n.as_u64().and_then(|i| items.get(usize::try_from(i).ok()?))
                }
                (Value::Object(map), Value::String(key)) => map.get(key),
                _ => None,
            })
        }
        Expr::Call(func, arg) => {
            let arg = eval(arg, event);
            let Some(arg) = arg.as_str() else {
                return Cow::Borrowed(&NULL);
            };
            match func {
                Func::HasWarning => Cow::Owned(Value::Bool(has_warning(event, arg))),
                Func::Resource => Cow::Borrowed(resource(event, arg).unwrap_or(&NULL)),
            }
        }
        Expr::Hl7(path) => Cow::Owned(hl7(event, path)),
        Expr::Method(base, method, arg) => {
            let base = eval(base, event);
            let arg = eval(arg, event);
            let res = match (method, base.as_ref(), arg.as_ref()) {
                (Method::StartsWith, Value::String(s), Value::String(p)) => s.starts_with(p),
                (Method::EndsWith, Value::String(s), Value::String(p)) => s.ends_with(p),
                (Method::Contains, Value::String(s), Value::String(p)) => s.contains(p.as_str()),
                (Method::Contains, Value::Array(items), item) => {
                    items.iter().any(|i| equal(i, item))
                }
                _ => false,
            };
            Cow::Owned(Value::Bool(res))
        }
        Expr::Not(inner) => bool_value(!truthy(&eval(inner, event))),
        Expr::And(l, r) => bool_value(truthy(&eval(l, event)) && truthy(&eval(r, event))),
        Expr::Or(l, r) => bool_value(truthy(&eval(l, event)) || truthy(&eval(r, event))),
        Expr::Eq(l, r) => bool_value(equal(&eval(l, event), &eval(r, event))),
        Expr::Ne(l, r) => bool_value(!equal(&eval(l, event), &eval(r, event))),
        Expr::In(item, list) => {
            let item = eval(item, event);
            let res = match eval(list, event).as_ref() {
                Value::Array(items) => items.iter().any(|i| equal(i, &item)),
                Value::String(s) => item.as_str().is_some_and(|i| s.contains(i)),
                Value::Object(map) => item.as_str().is_some_and(|k| map.contains_key(k)),
                _ => false,
            };
            bool_value(res)
        }
    }
}

/// The text at `path` of the HL7 v2 message the event carries (`event.raw`: pass-through and
/// decode-failed events), or null when there is none or nothing is there.
fn hl7(event: &Value, path: &junction_hl7v2::Path) -> Value {
    let Some(raw) = event.get("raw").and_then(Value::as_str) else {
        return Value::Null;
    };
    let Ok(msg) = junction_hl7v2::Message::parse(raw.as_bytes()) else {
        return Value::Null;
    };
    match msg.get_path(path).filter(|v| !v.is_empty()) {
        Some(v) => Value::String(v.text().into_owned()),
        None => Value::Null,
    }
}

/// Whether a value counts as true: only `true` does.
pub(crate) fn truthy(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}

fn bool_value<'a>(b: bool) -> Cow<'a, Value> {
    Cow::Owned(Value::Bool(b))
}

/// Takes a part of a value, borrowing when the value is borrowed; `null` when absent.
fn project<'a>(base: Cow<'a, Value>, f: impl Fn(&Value) -> Option<&Value>) -> Cow<'a, Value> {
    match base {
        Cow::Borrowed(v) => Cow::Borrowed(f(v).unwrap_or(&NULL)),
        Cow::Owned(v) => Cow::Owned(f(&v).cloned().unwrap_or(Value::Null)),
    }
}

/// JSON equality, with numbers compared by value (`1 == 1.0`).
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn has_warning(event: &Value, code: &str) -> bool {
    event
        .get("warnings")
        .and_then(Value::as_array)
        .is_some_and(|ws| {
            ws.iter()
                .any(|w| w.get("code").and_then(Value::as_str) == Some(code))
        })
}

fn resource<'a>(event: &'a Value, resource_type: &str) -> Option<&'a Value> {
    event
        .get("bundle")?
        .get("entry")?
        .as_array()?
        .iter()
        .filter_map(|e| e.get("resource"))
        .find(|r| r.get("resourceType").and_then(Value::as_str) == Some(resource_type))
}
