//! The fixture set in `tests/fixtures/hl7v2/` (see its README): each well-formed message parses
//! to the values the README states, and each malformed one gives the error it names.

use std::path::PathBuf;

use junction_hl7v2::{Batch, Charset, Message, ParseErrorKind};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/hl7v2")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn text(m: &Message<'_>, path: &str) -> String {
    m.text(path).map(|t| t.into_owned()).unwrap_or_default()
}

#[test]
fn uk_adt_a01_values() {
    let bytes = fixture("adt_a01_uk.hl7");
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(m.segment_count(), 11);
    let h = m.header();
    assert_eq!(h.message_type().as_deref(), Some("ADT^A01"));
    assert_eq!(h.structure().as_deref(), Some("ADT_A01"));
    assert_eq!(h.control_id().as_deref(), Some("PAS1000001"));
    assert_eq!(h.version().as_deref(), Some("2.4"));
    h.validate().unwrap();
    assert_eq!(text(&m, "MSH-21"), "ITKv1.0");
    assert_eq!(text(&m, "PID-3[1].1"), "9998172802");
    assert_eq!(text(&m, "PID-3[1].4"), "NHS");
    assert_eq!(text(&m, "PID-3[2].1"), "K5500101");
    assert_eq!(text(&m, "PID-3[2].5"), "MR");
    assert_eq!(text(&m, "PID-5[2].7"), "A");
    assert_eq!(text(&m, "PID-11[1].5"), "LS4 9ZQ");
    assert_eq!(text(&m, "PID-13[2].1"), "07700900555");
    assert_eq!(text(&m, "PID-32"), "NSTS01");
    assert_eq!(text(&m, "PV1-3.2"), "WD07");
    assert_eq!(text(&m, "PV1-3.4"), "RXX01");
    assert_eq!(m.get("PV1-9").unwrap().children().count(), 2);
    assert_eq!(text(&m, "PV1-9[2].1"), "C9990022");
    assert_eq!(text(&m, "PV1-44"), "20250303081500");
    assert!(m.get("PID-29").unwrap().is_empty());
    assert_eq!(m.segments_named("ZU1").count(), 1);
    // A well-formed input serialises back byte for byte.
    assert_eq!(m.to_bytes(), bytes);
}

#[test]
fn merge_has_prior_identifiers() {
    let bytes = fixture("adt_a40_merge.hl7");
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(text(&m, "MRG-1[1].1"), "9991609083");
    assert_eq!(text(&m, "MRG-1[2].1"), "K5599871");
    assert_eq!(m.to_bytes(), bytes);
}

#[test]
fn orders_and_results() {
    let orm = fixture("orm_o01_radiology.hl7");
    let m = Message::parse(&orm).unwrap();
    assert_eq!(text(&m, "ORC-1"), "NW");
    assert_eq!(text(&m, "OBR-4.1"), "XCHES");
    assert_eq!(text(&m, "OBR-18"), "RXX25R0012345");
    assert_eq!(m.header().accept_ack_type().as_deref(), Some("AL"));

    let oru = fixture("oru_r01_radiology_text.hl7");
    let m = Message::parse(&oru).unwrap();
    assert_eq!(m.segments_named("OBX").count(), 5);
    assert!(m.get("OBX[2]-5").unwrap().is_empty());
    assert_eq!(text(&m, "OBR-32.1.2"), "FARROW");
    assert_eq!(text(&m, "OBR-32.1.7"), "Dr");
    assert_eq!(
        text(&m, "OBX[5]-5"),
        "CONCLUSION:\n1. Right lower lobe consolidation, in keeping with pneumonia.\n2. Suggest follow-up radiograph in 6 weeks."
    );
    let omi = fixture("omi_o23.hl7");
    let m = Message::parse(&omi).unwrap();
    assert_eq!(
        text(&m, "IPC-3"),
        "2.25.240711937203847562198273645509182736"
    );
}

#[test]
fn five_megabyte_report_is_borrowed_not_copied() {
    let bytes = fixture("oru_r01_pdf_5mb.hl7");
    let m = Message::parse(&bytes).unwrap();
    let obx5 = m.get("OBX-5").unwrap();
    assert_eq!(text(&m, "OBX-5.4"), "Base64");
    let data = obx5.component(5).unwrap();
    assert_eq!(data.raw().len(), 5_066_668);
    // Zero copy: the value is a slice of the input buffer.
    assert!(std::ptr::eq(m.as_bytes().as_ptr(), bytes.as_ptr()));
    assert!(matches!(data.text(), std::borrow::Cow::Borrowed(_)));
}

#[test]
fn pharmacy_orders() {
    let bytes = fixture("rde_o11_pharmacy.hl7");
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(text(&m, "RXE-2.1"), "42109611000001109");
    assert_eq!(text(&m, "RXE-1.2"), "QDS");
    let bytes = fixture("rde_o25.hl7");
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(text(&m, "TQ1-2.1.2"), "mg");
    assert_eq!(text(&m, "TQ1-3.1"), "TDS");
}

#[test]
fn batch_yields_three_messages() {
    let bytes = fixture("batch_fhs.hl7");
    assert!(Batch::is_batch(&bytes));
    let b = Batch::split(&bytes).unwrap();
    assert_eq!(b.messages.len(), 3);
    let ids: Vec<String> = b
        .messages
        .iter()
        .map(|raw| {
            Message::parse(raw)
                .unwrap()
                .header()
                .control_id()
                .unwrap()
                .into_owned()
        })
        .collect();
    assert_eq!(ids, ["PASB000001", "PASB000002", "PASB000003"]);
    let nhs: Vec<String> = b
        .messages
        .iter()
        .map(|raw| text(&Message::parse(raw).unwrap(), "PID-3[1].1"))
        .collect();
    assert_eq!(nhs, ["9991974792", "9992587873", "9996196909"]);
    assert_eq!(b.batch_trailer.map(|t| &t[..5]), Some(&b"BTS|3"[..]));
}

#[test]
fn latin1_is_transcoded() {
    let bytes = fixture("latin1_8859_1.hl7");
    assert!(std::str::from_utf8(&bytes).is_err());
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(m.charset(), Charset::Latin1);
    assert_eq!(text(&m, "PID-5.1"), "Müller-Núñez");
    assert_eq!(text(&m, "PID-5.2"), "Inès");
    assert_eq!(text(&m, "PID-5.3"), "Françoise");
    assert_eq!(text(&m, "PID-11.1"), "4 Rue Café Terrace");
    assert_eq!(text(&m, "NK1-2.1"), "GARÇON");
    assert_eq!(text(&m, "NK1-2.2"), "José");
}

#[test]
fn utf8_declared() {
    let bytes = fixture("utf8_declared.hl7");
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(text(&m, "PID-5.1"), "ŁUKASZEWSKA-BRONTË");
    assert_eq!(text(&m, "NK1-2.2"), "Paweł");
}

#[test]
fn every_escape() {
    let bytes = fixture("escapes_all.hl7");
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(text(&m, "PID-5[1].1"), "O&BRIEN-SMITH");
    assert_eq!(text(&m, "PID-5[1].2"), "Mary^Jane");
    assert_eq!(text(&m, "PID-11[1].1"), "Flat 1|2~3 Mill Lane");
    assert_eq!(text(&m, "PID-11[1].2"), "Back\\Yard");
    assert_eq!(
        text(&m, "NTE[1]-3"),
        "Report saved to C:\\Reports\\2025 then\ttabbed"
    );
    assert_eq!(text(&m, "NTE[2]-3"), "Line one\r\nLine two");
    assert_eq!(
        text(&m, "NTE[3]-3"),
        "Unknown escape \\Q\\ kept; lone backslash C:\\Temp"
    );
    assert_eq!(text(&m, "OBX[2]-5"), "A|B^C&D~E\\F");
    assert_eq!(text(&m, "OBX[3]-5"), "50% off AB");
    // Formatting escapes are kept as sent; \.br\ is a line break.
    assert_eq!(
        text(&m, "OBX[1]-5"),
        "\\H\\IMPORTANT\\N\\ result\nNext line\\.sp\\\\.in+4\\Indented\\.ti-2\\Temp\\.ce\\Centred\\.fi\\Filled\\.nf\\Raw\\.sk2\\end"
    );
    assert_eq!(m.to_bytes(), bytes);
}

#[test]
fn custom_delimiters() {
    let bytes = fixture("custom_delims.hl7");
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(text(&m, "MSH-1"), "!");
    assert_eq!(text(&m, "MSH-2"), "@*$%");
    assert_eq!(m.header().message_type().as_deref(), Some("ADT^A28"));
    assert_eq!(text(&m, "PID-3[2].1"), "K5500909");
    assert_eq!(text(&m, "PID-5.1"), "O'NEIL");
    assert_eq!(text(&m, "PID-11.1"), "12 High St ^ Rear|Annex");
    assert_eq!(text(&m, "PID-11.2"), "Flat 2!3");
    assert_eq!(m.get("PID-13").unwrap().children().count(), 2);
    assert_eq!(text(&m, "NK1-2.2.2"), "Patrick");
    assert_eq!(m.to_bytes(), bytes);
}

#[test]
fn v27_truncation_character() {
    let bytes = fixture("trunc_v27.hl7");
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(m.delimiters().truncation, Some(b'#'));
    assert_eq!(text(&m, "MSH-2"), "^~\\&#");
    assert_eq!(text(&m, "PID-11.1"), "Unit #7 Dock Street");
}

#[test]
fn terminators_bom_and_trailing_whitespace() {
    for name in [
        "lf_terminators.hl7",
        "crlf_terminators.hl7",
        "bom_trailing_ws.hl7",
    ] {
        let bytes = fixture(name);
        let m = Message::parse(&bytes).unwrap();
        assert_eq!(m.segment_count(), 4, "{name}");
        assert_eq!(text(&m, "PV1-44"), "20250306115500", "{name}");
        assert_eq!(text(&m, "PID-3[1].1"), "9994908960", "{name}");
        assert_eq!(text(&m, "MSH-3"), "PAS", "{name}");
    }
}

#[test]
fn versions_23_and_251() {
    let bytes = fixture("v23_adt_a01.hl7");
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(m.header().message_type().as_deref(), Some("ADT^A01"));
    assert_eq!(m.header().structure(), None);
    assert_eq!(text(&m, "PV1-44"), "202503061245");
    let bytes = fixture("v251_adt_a01.hl7");
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(text(&m, "PID-3[1].4.1"), "NHS");
    assert_eq!(text(&m, "PID-3[1].4.3"), "ISO");
    assert_eq!(text(&m, "PID-13.12"), "07700900313");
}

fn malformed(name: &str) -> Vec<u8> {
    fixture(&format!("malformed/{name}"))
}

#[test]
fn malformed_inputs_name_what_and_where() {
    // (file, error, byte offset (0 = not checked), segment, field)
    type Case<'a> = (
        &'a str,
        ParseErrorKind,
        usize,
        Option<&'a str>,
        Option<usize>,
    );
    let cases: &[Case<'_>] = &[
        ("garbage.hl7", ParseErrorKind::NoMsh, 0, None, None),
        ("empty.hl7", ParseErrorKind::Empty, 0, None, None),
        ("no_msh.hl7", ParseErrorKind::NoMsh, 0, None, None),
        (
            "bad_delims_alnum.hl7",
            ParseErrorKind::BadDelimiters("a delimiter is a letter or digit"),
            4,
            Some("MSH"),
            None,
        ),
        (
            "non_utf8_undeclared.hl7",
            ParseErrorKind::NotUtf8,
            187,
            Some("PID"),
            Some(5),
        ),
        (
            "bad_segment_name.hl7",
            ParseErrorKind::BadSegmentName,
            137,
            None, // the bytes may be patient data: position only
            None,
        ),
        (
            "binary_nul.hl7",
            ParseErrorKind::NulByte,
            168,
            Some("PID"),
            Some(5),
        ),
        (
            "unknown_charset.hl7",
            ParseErrorKind::UnsupportedCharset("ISO IR87".into()),
            0,
            Some("MSH"),
            Some(18),
        ),
    ];
    for (name, kind, offset, segment, field) in cases {
        let err = Message::parse(&malformed(name)).expect_err(name);
        assert_eq!(&err.kind, kind, "{name}: {err}");
        if *offset > 0 {
            assert_eq!(err.offset, *offset, "{name}: {err}");
        }
        assert_eq!(err.segment.as_deref(), *segment, "{name}: {err}");
        assert_eq!(err.field, *field, "{name}: {err}");
        if *kind == ParseErrorKind::BadSegmentName {
            assert_eq!(err.segment_index, Some(3), "{name}: {err}");
        }
        // The reason is for a human: it says what and where, and carries no message content.
        let reason = err.reason();
        assert!(reason.contains("offset"), "{reason}");
        assert!(!reason.contains("9991963227"), "{reason}");
    }
}

#[test]
fn malformed_headers_fail_validation() {
    for name in [
        "missing_msh9.hl7",
        "msh_too_short.hl7",
        "truncated_msh.hl7",
        "bad_delims_duplicate.hl7",
    ] {
        let bytes = malformed(name);
        let m = Message::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let err = m.header().validate().expect_err(name);
        assert_eq!(err.kind, ParseErrorKind::MissingHeaderField(9), "{name}");
    }
    // The control id is still there to echo in the NAK.
    let bytes = malformed("missing_msh9.hl7");
    assert_eq!(
        Message::parse(&bytes)
            .unwrap()
            .header()
            .control_id()
            .as_deref(),
        Some("PAS9000003")
    );
}
