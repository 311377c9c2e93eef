//! Dosage timing: TQ1 (v2.5) or the TQ data type (RXE-1 / ORC-7, v2.4) → FHIR Timing, PRN,
//! priority, and the course length. Repeat patterns are the UK abbreviations hospital EPMA
//! systems send (`OD`, `BD`, `TDS`, `QDS`, `ON`, `OM`, `Q4H`, `PRN`, `STAT`) and their HL7
//! table 0335 equivalents (`QD`, `BID`, `TID`, `QID`, `QHS`, `QAM`).

use junction_hl7v2::{Segment, Value};
use junction_model::fhir::{AsNeeded, Duration, Period, Timing, TimingBounds, TimingRepeat};

use crate::prescribing::ctx::{Ctx, comp, decimal, field_comp, rep1, text};

/// What the timing fields say.
#[derive(Default)]
pub(crate) struct Sched {
    pub timing: Option<Timing>,
    pub as_needed: bool,
    /// Human description of the pattern, e.g. "four times a day".
    pub pattern_text: Option<String>,
    pub text: Option<String>,
    pub priority: Option<&'static str>,
    pub duration: Option<Duration>,
}

/// From TQ1 when present, else the TQ in `tq` (`path` e.g. `RXE-1`).
pub(crate) fn read(
    ctx: &mut Ctx<'_>,
    tq1: Option<&Segment<'_>>,
    tq: Option<(Value<'_>, &str)>,
) -> Sched {
    let mut s = Sched::default();
    let (pattern, pattern_path, start, end, priority, text_v, dur);
    if let Some(tq1) = tq1 {
        pattern = field_comp(tq1, 3, 1);
        pattern_path = "TQ1-3".to_owned();
        start = ctx.datetime(tq1.field(7), "TQ1-7", "start date/time");
        end = ctx.datetime(tq1.field(8), "TQ1-8", "end date/time");
        priority = field_comp(tq1, 9, 1);
        text_v = text(tq1.field(11));
        dur = rep1(tq1, 6).and_then(|v| Some((comp(v, 1)?, comp(v, 2))));
    } else if let Some((v, path)) = tq {
        pattern = text(v.component(2).and_then(|c| c.subcomponent(1)));
        pattern_path = format!("{path}.2");
        start = ctx.datetime(v.component(4), &format!("{path}.4"), "start date/time");
        end = ctx.datetime(v.component(5), &format!("{path}.5"), "end date/time");
        priority = comp(v, 6);
        text_v = comp(v, 8);
        dur = comp(v, 3).and_then(|d| tq_duration(&d));
    } else {
        return s;
    }
    let mut repeat = TimingRepeat::default();
    let mut code = None;
    if let Some(p) = pattern.as_deref() {
        match pattern_of(p) {
            Some(Pattern::Prn) => {
                s.as_needed = true;
                s.pattern_text = Some("when required".into());
            }
            Some(Pattern::Repeat {
                frequency,
                period,
                unit,
                when,
                text,
            }) => {
                repeat.frequency = Some(frequency);
                repeat.period = Some(period.into());
                repeat.period_unit = Some(unit.to_owned());
                repeat.when = when.iter().map(|w| (*w).to_owned()).collect();
                s.pattern_text = Some(text);
            }
            Some(Pattern::Once) => {
                repeat.count = Some(1);
                s.pattern_text = Some("immediately, once".into());
            }
            None => {
                ctx.warn(
                    "code-unmapped",
                    pattern_path,
                    "repeat pattern is not a known code; kept as timing text",
                );
                code = Some(junction_model::fhir::CodeableConcept::text(p));
            }
        }
    }
    if start.is_some() || end.is_some() {
        repeat.bounds = Some(TimingBounds::Period(Period {
            start,
            end,
            ..Default::default()
        }));
    } else if let Some((value, unit)) = dur
        && let Some(d) = duration(&value, unit.as_deref())
    {
        repeat.bounds = Some(TimingBounds::Duration(d.clone()));
        s.duration = Some(d);
    }
    if repeat != TimingRepeat::default() || code.is_some() {
        s.timing = Some(Timing {
            repeat: (repeat != TimingRepeat::default()).then_some(repeat),
            code,
            ..Default::default()
        });
    }
    s.priority = priority.as_deref().and_then(|p| match p {
        "S" => Some("stat"),
        "A" => Some("asap"),
        "R" => Some("routine"),
        _ => None,
    });
    s.text = text_v.map(|t| t.into_owned());
    s
}

/// `asNeededBoolean` for a PRN schedule.
pub(crate) fn as_needed(s: &Sched) -> Option<AsNeeded> {
    s.as_needed.then_some(AsNeeded::Boolean(true))
}

enum Pattern {
    Prn,
    Once,
    Repeat {
        frequency: u32,
        period: u32,
        unit: &'static str,
        when: &'static [&'static str],
        text: String,
    },
}

fn pattern_of(code: &str) -> Option<Pattern> {
    let upper = code.trim().to_ascii_uppercase();
    let daily = |frequency, text: &str| Pattern::Repeat {
        frequency,
        period: 1,
        unit: "d",
        when: &[],
        text: text.to_owned(),
    };
    Some(match upper.as_str() {
        "PRN" => Pattern::Prn,
        "STAT" | "NOW" | "ONCE" => Pattern::Once,
        "OD" | "QD" | "DAILY" => daily(1, "once a day"),
        "BD" | "BID" => daily(2, "twice a day"),
        "TDS" | "TID" => daily(3, "three times a day"),
        "QDS" | "QID" => daily(4, "four times a day"),
        "ON" | "QHS" | "NOCTE" => Pattern::Repeat {
            frequency: 1,
            period: 1,
            unit: "d",
            when: &["NIGHT"],
            text: "at night".into(),
        },
        "OM" | "QAM" | "MANE" => Pattern::Repeat {
            frequency: 1,
            period: 1,
            unit: "d",
            when: &["MORN"],
            text: "in the morning".into(),
        },
        "QW" | "WEEKLY" => Pattern::Repeat {
            frequency: 1,
            period: 1,
            unit: "wk",
            when: &[],
            text: "once a week".into(),
        },
        other => {
            let hours: u32 = other.strip_prefix('Q')?.strip_suffix('H')?.parse().ok()?;
            if hours == 0 || hours > 72 {
                return None;
            }
            Pattern::Repeat {
                frequency: 1,
                period: hours,
                unit: "h",
                when: &[],
                text: format!("every {hours} hours"),
            }
        }
    })
}

/// TQ.3 duration in v2.4 form: `D7` (days), `W2`, `M1`, `H12`, `X3` is a count (ignored).
fn tq_duration(
    d: &str,
) -> Option<(
    std::borrow::Cow<'static, str>,
    Option<std::borrow::Cow<'static, str>>,
)> {
    let (unit, n) = d.split_at_checked(1)?;
    let unit = match unit {
        "D" | "d" => "d",
        "W" | "w" => "wk",
        "M" | "m" => "mo",
        "H" | "h" => "h",
        _ => return None,
    };
    Some((n.to_owned().into(), Some(unit.into())))
}

/// A UCUM duration from a value and a unit (`d`, `wk`, `mo`, `h`, or words such as `days`).
fn duration(value: &str, unit: Option<&str>) -> Option<Duration> {
    let code = match unit.map(|u| u.trim().to_ascii_lowercase()).as_deref() {
        Some("d" | "day" | "days") | None => "d",
        Some("wk" | "w" | "week" | "weeks") => "wk",
        Some("mo" | "month" | "months") => "mo",
        Some("h" | "hour" | "hours") => "h",
        Some(_) => return None,
    };
    Some(Duration::ucum(decimal(value)?, code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(matches!(
            pattern_of("qds"),
            Some(Pattern::Repeat { frequency: 4, .. })
        ));
        assert!(matches!(
            pattern_of("Q4H"),
            Some(Pattern::Repeat {
                period: 4,
                unit: "h",
                ..
            })
        ));
        assert!(matches!(pattern_of("PRN"), Some(Pattern::Prn)));
        assert!(pattern_of("Q0H").is_none());
        assert!(pattern_of("SOMETIMES").is_none());
        assert_eq!(tq_duration("D7").unwrap().0, "7");
        assert_eq!(
            duration("7", Some("days")).unwrap().code.as_deref(),
            Some("d")
        );
    }
}
