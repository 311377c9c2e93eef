//! HL7 v2 person data types → FHIR: XPN names (ITK/PDS name types), XAD addresses, XTN
//! telecoms, sex (NHS DD `1/2/9/0`, HL7 `M/F/U/O`, or a `sex` code table) and ethnic category
//! (NHS DD letters or an `ethnic` code table).

use junction_hl7v2::Value;
use junction_model::fhir::{Address, AdministrativeGender, ContactPoint, HumanName};
use junction_model::uk_core::{self, EthnicCategory};

use super::ctx::{Ctx, comp};

/// XPN → HumanName. XPN.7 name type (HL7 0200 as overridden by ITK with PDS values):
/// `L` (legal/usual), `D` or no type (v2.3 senders) → `usual`; `A` alias and `N`/`PREFERRED` → `nickname`;
/// `M`/`PREVIOUS-MAIDEN` → `maiden`; `B`/`PREVIOUS-BIRTH`/`PREVIOUS`/`U` → `old`;
/// `S` → `anonymous`; others → no use.
pub(crate) fn name(v: Value<'_>) -> Option<HumanName> {
    let family = comp(v, 1).map(|s| s.into_owned());
    let given: Vec<String> = [comp(v, 2), comp(v, 3)]
        .into_iter()
        .flatten()
        .map(|s| s.into_owned())
        .collect();
    if family.is_none() && given.is_empty() {
        return None;
    }
    let name_type = comp(v, 7);
    Some(HumanName {
        use_: name_use(name_type.as_deref()).map(str::to_owned),
        family,
        given,
        prefix: comp(v, 5).map(|s| s.into_owned()).into_iter().collect(),
        suffix: [comp(v, 4), comp(v, 6)]
            .into_iter()
            .flatten()
            .map(|s| s.into_owned())
            .collect(),
        ..Default::default()
    })
}

fn name_use(code: Option<&str>) -> Option<&'static str> {
    let Some(code) = code else {
        return Some("usual");
    };
    Some(match code.to_ascii_uppercase().as_str() {
        "L" | "D" => "usual",
        "A" | "N" | "PREFERRED" => "nickname",
        "M" | "PREVIOUS-MAIDEN" => "maiden",
        "B" | "PREVIOUS-BIRTH" | "PREVIOUS" | "U" => "old",
        "S" => "anonymous",
        "C" | "T" => "official",
        _ => return None,
    })
}

/// XAD → Address: XAD.1 (street, first subcomponent) and XAD.2 (locality) as lines, XAD.3
/// post town → city, XAD.4 county → district, XAD.5 postcode, XAD.6 country, XAD.7 type
/// (`H` home, `PST`/`M` postal, `TMP`/`C` temporary, `B`/`O`/`WPN` work, `BA` bad → old).
pub(crate) fn address(v: Value<'_>) -> Option<Address> {
    let line: Vec<String> = [comp(v, 1), comp(v, 2)]
        .into_iter()
        .flatten()
        .map(|s| s.into_owned())
        .collect();
    let city = comp(v, 3).map(|s| s.into_owned());
    let postal_code = comp(v, 5).map(|s| s.into_owned());
    if line.is_empty() && city.is_none() && postal_code.is_none() {
        return None;
    }
    let (use_, type_) = match comp(v, 7)
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("H" | "P" | "L") => (Some("home"), None),
        Some("PST" | "M") => (None, Some("postal")),
        Some("TMP" | "C") => (Some("temp"), None),
        Some("B" | "O" | "WPN") => (Some("work"), None),
        Some("BA") => (Some("old"), None),
        _ => (None, None),
    };
    Some(Address {
        use_: use_.map(str::to_owned),
        type_: type_.map(str::to_owned),
        line,
        city,
        district: comp(v, 4).map(|s| s.into_owned()),
        postal_code,
        country: comp(v, 6).map(|s| s.into_owned()),
        ..Default::default()
    })
}

/// XTN → ContactPoint. Value from XTN.1, else XTN.12 (unformatted), else XTN.4 (email), else
/// area code + local number. XTN.3 equipment: `Internet`/`X.400` → email, `FX` fax, `BP`
/// pager, else phone; XTN.2 use: `PRN`/`ORN`/`VHN` home, `WPN` work, `EMR` none; `CP`
/// equipment → use `mobile`.
pub(crate) fn telecom(v: Value<'_>) -> Option<ContactPoint> {
    let use_code = comp(v, 2);
    let equipment = comp(v, 3);
    let email = comp(v, 4);
    let is_email = matches!(equipment.as_deref(), Some("Internet" | "X.400"))
        || use_code.as_deref() == Some("NET");
    let value = if is_email {
        email.or_else(|| comp(v, 1))?.into_owned()
    } else {
        match comp(v, 1).or_else(|| comp(v, 12)) {
            Some(n) => n.into_owned(),
            None => match (comp(v, 6), comp(v, 7)) {
                (Some(area), Some(local)) => format!("{area} {local}"),
                (None, Some(local)) => local.into_owned(),
                _ => email?.into_owned(),
            },
        }
    };
    let system = if is_email {
        "email"
    } else {
        match equipment.as_deref() {
            Some("FX") => "fax",
            Some("BP") => "pager",
            _ => "phone",
        }
    };
    let use_ = match (equipment.as_deref(), use_code.as_deref()) {
        (Some("CP"), _) => Some("mobile"),
        (_, Some("PRN" | "ORN" | "VHN")) if !is_email => Some("home"),
        (_, Some("WPN")) => Some("work"),
        _ => None,
    };
    Some(ContactPoint {
        system: Some(system.into()),
        value: Some(value),
        use_: use_.map(str::to_owned),
        ..Default::default()
    })
}

/// PID-8 → gender: an exact entry in the `sex` table first, then NHS DD (`1/2/9/0/X`), then
/// HL7 table 0001 (`M/F/U/O/A/N`), then the table's default; otherwise a `code-unmapped`
/// warning. Table targets may be FHIR codes (`female`), NHS DD or HL7 codes.
pub(crate) fn gender(ctx: &mut Ctx<'_>, code: &str, path: &str) -> Option<AdministrativeGender> {
    let national = |c: &str| {
        fhir_gender(c)
            .or_else(|| uk_core::gender_from_nhs_dd(c))
            .or_else(|| uk_core::gender_from_hl7v2(c))
    };
    if let Some(m) = ctx.table_entry("sex", code)
        && let Some(g) = national(&m.code)
    {
        return Some(g);
    }
    if let Some(g) = national(code) {
        return Some(g);
    }
    if let Some(g) = ctx.table_default("sex").and_then(|m| national(&m.code)) {
        return Some(g);
    }
    ctx.warn(
        "code-unmapped",
        path,
        "sex code is neither NHS DD nor HL7 and not in code table `sex`; left out",
    );
    None
}

fn fhir_gender(code: &str) -> Option<AdministrativeGender> {
    use AdministrativeGender::*;
    [Male, Female, Other, Unknown]
        .into_iter()
        .find(|g| g.as_str().eq_ignore_ascii_case(code))
}

/// PID-22 → ethnic category: an exact entry in the `ethnic` table first, then the NHS DD
/// letter itself, then the table's default; otherwise a `code-unmapped` warning.
pub(crate) fn ethnic(ctx: &mut Ctx<'_>, code: &str, path: &str) -> Option<EthnicCategory> {
    if let Some(cat) = ctx
        .table_entry("ethnic", code)
        .and_then(|m| EthnicCategory::from_code(&m.code))
    {
        return Some(cat);
    }
    if let Some(cat) = EthnicCategory::from_code(code) {
        return Some(cat);
    }
    if let Some(cat) = ctx
        .table_default("ethnic")
        .and_then(|m| EthnicCategory::from_code(&m.code))
    {
        return Some(cat);
    }
    ctx.warn(
        "code-unmapped",
        path,
        "ethnic category is not an NHS DD code and not in code table `ethnic`; left out",
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::AdapterOptions;
    use junction_hl7v2::Message;
    use junction_model::{CodeTable, Mapping};

    fn field(f: &str) -> Message<'static> {
        let bytes = format!("MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.4\rPID|{f}\r");
        Message::parse(bytes.as_bytes()).unwrap().into_owned()
    }

    #[test]
    fn name_types() {
        let msg =
            field("SMITH^Jo^Ann^Jr^Mrs^^L~SMITH^Jojo^^^^^PREFERRED~JONES^Jo^^^^^M~X^Y^^^^^A~Q^R");
        let pid = msg.segment("PID", 1).unwrap();
        let names: Vec<HumanName> = pid.field(1).unwrap().children().filter_map(name).collect();
        let uses: Vec<_> = names.iter().map(|n| n.use_.as_deref()).collect();
        assert_eq!(
            uses,
            [
                Some("usual"),
                Some("nickname"),
                Some("maiden"),
                Some("nickname"),
                Some("usual")
            ]
        );
        assert_eq!(names[0].given, ["Jo", "Ann"]);
        assert_eq!(names[0].prefix, ["Mrs"]);
        assert_eq!(names[0].suffix, ["Jr"]);
    }

    #[test]
    fn address_and_telecom() {
        let msg = field(
            "1 High St&High St&1^Hamlet^Leeds^West Yorkshire^LS1 1AA^GBR^PST|\
             ^NET^Internet^a@example.com~01132^PRN^PH~^PRN^CP^^^0770^0900123~^WPN^PH^^^^^^^^^0113999",
        );
        let pid = msg.segment("PID", 1).unwrap();
        let a = address(pid.field(1).unwrap().repetition(1).unwrap()).unwrap();
        assert_eq!(a.line, ["1 High St", "Hamlet"]);
        assert_eq!(a.district.as_deref(), Some("West Yorkshire"));
        assert_eq!(a.type_.as_deref(), Some("postal"));
        assert_eq!(a.use_, None);
        let t: Vec<ContactPoint> = pid
            .field(2)
            .unwrap()
            .children()
            .filter_map(telecom)
            .collect();
        let got: Vec<_> = t
            .iter()
            .map(|c| {
                (
                    c.system.as_deref().unwrap(),
                    c.value.as_deref().unwrap(),
                    c.use_.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("email", "a@example.com", None),
                ("phone", "01132", Some("home")),
                ("phone", "0770 0900123", Some("mobile")),
                ("phone", "0113999", Some("work")),
            ]
        );
    }

    #[test]
    fn gender_mapping() {
        use AdministrativeGender::*;
        let opts = AdapterOptions::default();
        let mut ctx = Ctx::new(crate::pas::ctx::ID_NAMESPACE, &opts, "s", "m");
        assert_eq!(gender(&mut ctx, "2", "PID-8"), Some(Female));
        assert_eq!(gender(&mut ctx, "F", "PID-8"), Some(Female));
        assert_eq!(gender(&mut ctx, "9", "PID-8"), Some(Other));
        assert_eq!(gender(&mut ctx, "0", "PID-8"), Some(Unknown));
        assert_eq!(gender(&mut ctx, "Q", "PID-8"), None);
        assert_eq!(ctx.warnings.len(), 1);

        let mut opts = AdapterOptions::default();
        opts.code_tables.insert(CodeTable::new(
            "sex",
            [("F", Mapping::code("2")), ("W", Mapping::code("female"))],
            Some(Mapping::code("0")),
        ));
        let mut ctx = Ctx::new(crate::pas::ctx::ID_NAMESPACE, &opts, "s", "m");
        assert_eq!(gender(&mut ctx, "W", "PID-8"), Some(Female));
        assert_eq!(
            gender(&mut ctx, "1", "PID-8"),
            Some(Male),
            "national before default"
        );
        assert_eq!(
            gender(&mut ctx, "Q", "PID-8"),
            Some(Unknown),
            "default last"
        );
        assert!(ctx.warnings.is_empty());
    }

    #[test]
    fn ethnic_mapping() {
        let mut opts = AdapterOptions::default();
        opts.code_tables.insert(CodeTable::new(
            "ethnic",
            [("WBRI", Mapping::code("A"))],
            None,
        ));
        let mut ctx = Ctx::new(crate::pas::ctx::ID_NAMESPACE, &opts, "s", "m");
        assert_eq!(ethnic(&mut ctx, "WBRI", "PID-22").unwrap().code(), "A");
        assert_eq!(ethnic(&mut ctx, "H", "PID-22").unwrap().code(), "H");
        assert!(ethnic(&mut ctx, "XXXX", "PID-22").is_none());
        assert_eq!(ctx.warnings[0].code, "code-unmapped");
    }
}
