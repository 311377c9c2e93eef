//! FHIR `date`/`dateTime`/`instant` → HL7 v2 TS (`YYYY[MM[DD[HHMM[SS[.SSSS]]]]][+/-ZZZZ]`).

/// The HL7 TS for a FHIR date or dateTime, precision kept (fractions cut to 4 digits, `Z` as
/// `+0000`); `None` when the text is not a FHIR date/time.
///
/// ```
/// use junction_adapters::encode::fhir_to_hl7_ts;
///
/// assert_eq!(fhir_to_hl7_ts("2021-06-11").as_deref(), Some("20210611"));
/// assert_eq!(fhir_to_hl7_ts("2021-06-11T12:33:23.167Z").as_deref(), Some("20210611123323.167+0000"));
/// assert_eq!(fhir_to_hl7_ts("2024-05-08T09:54:00+01:00").as_deref(), Some("20240508095400+0100"));
/// assert_eq!(fhir_to_hl7_ts("11/06/2021"), None);
/// ```
pub fn fhir_to_hl7_ts(s: &str) -> Option<String> {
    let s = s.trim();
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let widths = [4, 2, 2];
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let mut out = String::with_capacity(24);
    for (p, w) in parts.iter().zip(widths) {
        if p.len() != w || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        out.push_str(p);
    }
    let Some(time) = time else {
        return Some(out);
    };
    if parts.len() != 3 {
        return None;
    }
    let (clock, zone) = match time.find(['Z', '+', '-']) {
        Some(i) => (&time[..i], Some(&time[i..])),
        None => (time, None),
    };
    let (hms, fraction) = match clock.split_once('.') {
        Some((h, f)) => (h, Some(f)),
        None => (clock, None),
    };
    let hms: Vec<&str> = hms.split(':').collect();
    if !(2..=3).contains(&hms.len()) {
        return None;
    }
    for p in &hms {
        if p.len() != 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        out.push_str(p);
    }
    if let Some(f) = fraction {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        out.push('.');
        out.push_str(&f[..f.len().min(4)]);
    }
    match zone {
        None => {}
        Some("Z") => out.push_str("+0000"),
        Some(z) => {
            let (sign, rest) = z.split_at(1);
            let (h, m) = rest.split_once(':')?;
            let ok = |p: &str| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit());
            if !ok(h) || !ok(m) {
                return None;
            }
            out.push_str(sign);
            out.push_str(h);
            out.push_str(m);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precisions() {
        assert_eq!(fhir_to_hl7_ts("2021").as_deref(), Some("2021"));
        assert_eq!(fhir_to_hl7_ts("2021-06").as_deref(), Some("202106"));
        assert_eq!(
            fhir_to_hl7_ts("2021-06-11T12:33:23.1234567Z").as_deref(),
            Some("20210611123323.1234+0000")
        );
        assert_eq!(
            fhir_to_hl7_ts("2021-06-11T12:33-05:00").as_deref(),
            Some("202106111233-0500")
        );
        assert_eq!(fhir_to_hl7_ts("2021-06T12:00:00"), None);
        assert_eq!(fhir_to_hl7_ts("2021-6-1"), None);
        assert_eq!(fhir_to_hl7_ts("2021-06-11T12:33:23+0100"), None);
        assert_eq!(fhir_to_hl7_ts(""), None);
    }
}
