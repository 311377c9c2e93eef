//! HL7 v2 timestamps (TS/DTM): parsing `YYYY[MM[DD[HH[MM[SS[.S…]]]]]][+/-ZZZZ]` into parts,
//! rendering them as FHIR `date`/`dateTime`, and formatting a clock reading for MSH-7.
//! Times without an offset are read as UK local time (GMT/BST), as English senders mean them.

use std::fmt::Write as _;

/// A parsed HL7 timestamp, precision as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    /// Year.
    pub year: u16,
    /// Month 1–12, if sent.
    pub month: Option<u8>,
    /// Day 1–31, if sent.
    pub day: Option<u8>,
    /// Hour, minute, second (minute and second 0 when not sent), if a time was sent.
    pub time: Option<(u8, u8, u8)>,
    /// Fraction of a second as sent (digits, up to 4) with its digit count.
    pub fraction: Option<(u16, u8)>,
    /// Offset from UTC in minutes, if sent.
    pub offset_minutes: Option<i16>,
}

/// A timestamp that is not a valid HL7 TS (the error names no value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a valid HL7 date/time")]
pub struct TimestampError;

impl Timestamp {
    /// Parses an HL7 TS/DTM (the first component of a TS if components are present).
    pub fn parse(s: &str) -> Result<Self, TimestampError> {
        let s = s.trim();
        let (body, offset) = match s.find(['+', '-']) {
            Some(i) => (&s[..i], Some(parse_offset(&s[i..])?)),
            None => (s, None),
        };
        let (digits, fraction) = match body.split_once('.') {
            Some((d, f)) => {
                if f.is_empty() || f.len() > 4 || !f.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(TimestampError);
                }
                (
                    d,
                    Some((f.parse().map_err(|_| TimestampError)?, f.len() as u8)),
                )
            }
            None => (body, None),
        };
        if !digits.bytes().all(|b| b.is_ascii_digit())
            || ![4, 6, 8, 10, 12, 14].contains(&digits.len())
        {
            return Err(TimestampError);
        }
        let num = |r: std::ops::Range<usize>| digits.get(r).map(|p| p.parse::<u16>().unwrap_or(0));
        let year = num(0..4).ok_or(TimestampError)?;
        let month = num(4..6).map(|m| m as u8);
        let day = num(6..8).map(|d| d as u8);
        let time = num(8..10).map(|h| {
            (
                h as u8,
                num(10..12).unwrap_or(0) as u8,
                num(12..14).unwrap_or(0) as u8,
            )
        });
        if fraction.is_some() && digits.len() != 14 {
            return Err(TimestampError);
        }
        let ts = Self {
            year,
            month,
            day,
            time,
            fraction,
            offset_minutes: offset,
        };
        ts.validate()?;
        Ok(ts)
    }

    fn validate(&self) -> Result<(), TimestampError> {
        if let Some(m) = self.month {
            if !(1..=12).contains(&m) {
                return Err(TimestampError);
            }
            if let Some(d) = self.day
                && (d == 0 || d > days_in_month(self.year, m))
            {
                return Err(TimestampError);
            }
        }
        if let Some((h, m, s)) = self.time
            && (h > 23 || m > 59 || s > 59)
        {
            return Err(TimestampError);
        }
        Ok(())
    }

    /// The FHIR `date` (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`), dropping any time.
    pub fn to_fhir_date(&self) -> String {
        let mut out = format!("{:04}", self.year);
        if let Some(m) = self.month {
            let _ = write!(out, "-{m:02}");
            if let Some(d) = self.day {
                let _ = write!(out, "-{d:02}");
            }
        }
        out
    }

    /// The FHIR `dateTime`: a date alone as sent, or a full time with an offset (FHIR requires
    /// one); a time sent without an offset is taken as UK local time.
    pub fn to_fhir_datetime(&self) -> String {
        let mut out = self.to_fhir_date();
        let (Some(month), Some(day), Some((h, mi, s))) = (self.month, self.day, self.time) else {
            return out;
        };
        let _ = write!(out, "T{h:02}:{mi:02}:{s:02}");
        if let Some((f, n)) = self.fraction {
            let _ = write!(out, ".{f:0width$}", width = usize::from(n));
        }
        let offset = self
            .offset_minutes
            .unwrap_or_else(|| uk_offset_minutes(self.year, month, day, h));
        if offset == 0 && self.offset_minutes.is_none() {
            out.push_str("+00:00");
        } else {
            let sign = if offset < 0 { '-' } else { '+' };
            let a = offset.unsigned_abs();
            let _ = write!(out, "{sign}{:02}:{:02}", a / 60, a % 60);
        }
        out
    }
}

impl Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z, for comparing two times; `None` unless a date and
    /// time were sent (a time without an offset is UK local time, as in
    /// [`Timestamp::to_fhir_datetime`]).
    pub fn unix_seconds(&self) -> Option<i64> {
        let (month, day, (h, mi, s)) = (self.month?, self.day?, self.time?);
        let offset = self
            .offset_minutes
            .unwrap_or_else(|| uk_offset_minutes(self.year, month, day, h));
        let days = days_from_civil(i64::from(self.year), i64::from(month), i64::from(day));
        Some(
            days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s)
                - i64::from(offset) * 60,
        )
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm); also
/// used for HTTP dates.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn parse_offset(s: &str) -> Result<i16, TimestampError> {
    let sign: i16 = if s.starts_with('-') { -1 } else { 1 };
    let d = &s[1..];
    if d.len() != 4 || !d.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TimestampError);
    }
    let h: i16 = d[..2].parse().map_err(|_| TimestampError)?;
    let m: i16 = d[2..].parse().map_err(|_| TimestampError)?;
    if h > 14 || m > 59 {
        return Err(TimestampError);
    }
    Ok(sign * (h * 60 + m))
}

fn is_leap(y: u16) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

fn days_in_month(y: u16, m: u8) -> u8 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Day of week, 0 = Sunday (Sakamoto's method).
fn weekday(y: u16, m: u8, d: u8) -> u8 {
    const T: [i32; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
    let y = i32::from(y) - i32::from(m < 3);
    ((y + y / 4 - y / 100 + y / 400 + T[usize::from(m - 1)] + i32::from(d)) % 7) as u8
}

fn last_sunday(y: u16, m: u8) -> u8 {
    let last = days_in_month(y, m);
    last - weekday(y, m, last)
}

/// UK offset (0 or 60 minutes) for a local wall-clock time: BST runs from 01:00 GMT on the last
/// Sunday of March to 01:00 GMT on the last Sunday of October.
pub fn uk_offset_minutes(y: u16, m: u8, d: u8, local_hour: u8) -> i16 {
    let bst = match m {
        4..=9 => true,
        3 => {
            let ls = last_sunday(y, 3);
            d > ls || (d == ls && local_hour >= 2)
        }
        10 => {
            let ls = last_sunday(y, 10);
            d < ls || (d == ls && local_hour < 1)
        }
        _ => false,
    };
    if bst { 60 } else { 0 }
}

/// Formats unix milliseconds as an HL7 TS in UTC with millisecond precision,
/// e.g. `20260101120000.123+0000` (for MSH-7 of messages Junction writes).
pub fn format_unix_millis(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}.{:03}+0000",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60,
        millis
    )
}

/// Formats unix milliseconds as an RFC 3339 / FHIR `instant` in UTC,
/// e.g. `2026-01-01T12:00:00.123Z`.
pub fn format_instant_millis(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60,
        ms.rem_euclid(1000)
    )
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_compare_instants() {
        let at = |s: &str| Timestamp::parse(s).unwrap().unix_seconds();
        assert_eq!(at("19700101000000+0000"), Some(0));
        assert_eq!(at("20260115103000+0000"), Some(1_768_473_000));
        // Winter local time is GMT; summer local time is BST (an hour ahead of UTC).
        assert_eq!(at("20260115103000"), at("20260115103000+0000"));
        assert_eq!(at("20260715113000"), at("20260715103000+0000"));
        assert!(at("202601151030") < at("20260115103045"));
        assert_eq!(at("20260115"), None);
    }

    #[test]
    fn precision_is_kept() {
        assert_eq!(Timestamp::parse("1975").unwrap().to_fhir_datetime(), "1975");
        assert_eq!(
            Timestamp::parse("197504").unwrap().to_fhir_datetime(),
            "1975-04"
        );
        assert_eq!(
            Timestamp::parse("19750412").unwrap().to_fhir_datetime(),
            "1975-04-12"
        );
    }

    #[test]
    fn local_times_get_the_uk_offset() {
        assert_eq!(
            Timestamp::parse("202601151030").unwrap().to_fhir_datetime(),
            "2026-01-15T10:30:00+00:00"
        );
        assert_eq!(
            Timestamp::parse("20260715103005")
                .unwrap()
                .to_fhir_datetime(),
            "2026-07-15T10:30:05+01:00"
        );
        // 2026: BST starts 29 March, ends 25 October.
        assert_eq!(uk_offset_minutes(2026, 3, 29, 1), 0);
        assert_eq!(uk_offset_minutes(2026, 3, 29, 2), 60);
        assert_eq!(uk_offset_minutes(2026, 10, 25, 0), 60);
        assert_eq!(uk_offset_minutes(2026, 10, 25, 1), 0);
    }

    #[test]
    fn explicit_offsets_and_fractions() {
        let ts = Timestamp::parse("20260115103005.12-0500").unwrap();
        assert_eq!(ts.to_fhir_datetime(), "2026-01-15T10:30:05.12-05:00");
    }

    #[test]
    fn rejects_nonsense() {
        for s in [
            "",
            "20261",
            "2026130",
            "20260230",
            "2026010125",
            "abcd",
            "20260101.5",
            "20260101+01",
        ] {
            assert!(Timestamp::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn formats_unix_millis() {
        assert_eq!(format_unix_millis(0), "19700101000000.000+0000");
        assert_eq!(
            format_unix_millis(1_767_268_800_123),
            "20260101120000.123+0000"
        );
    }
}
