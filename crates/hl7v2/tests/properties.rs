//! Property tests: build → serialise → parse is the identity, and no input makes the parser
//! or the MLLP decoder panic.

use bytes::BytesMut;
use junction_hl7v2::builder::FieldBuf;
use junction_hl7v2::codec::MllpCodec;
use junction_hl7v2::escape;
use junction_hl7v2::{Batch, Delimiters, Message, MessageBuf, SegmentBuf};
use proptest::prelude::*;
use tokio_util::codec::{Decoder, Encoder};

/// Leaf text: ordinary words, delimiters that must be escaped, line breaks and non-ASCII.
fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z0-9 .'-]{0,12}",
        1 => proptest::string::string_regex("[|^~&\\\\\\n\\r#éü€ A-Z]{0,10}").unwrap(),
        1 => any::<String>().prop_map(|s| s.chars().filter(|c| *c != '\0').take(8).collect()),
    ]
}

/// A field as unescaped text: repetitions of components of subcomponents.
fn field_text() -> impl Strategy<Value = Vec<Vec<Vec<String>>>> {
    prop::collection::vec(
        prop::collection::vec(prop::collection::vec(leaf(), 1..3), 1..4),
        1..3,
    )
}

fn segment_text() -> impl Strategy<Value = SegmentText> {
    (
        prop::sample::select(vec!["PID", "PV1", "OBX", "ZU1", "NK1", "EVN"]),
        prop::collection::vec(field_text(), 0..8),
    )
        .prop_map(|(n, f)| (n.to_string(), f))
}

fn delimiters() -> impl Strategy<Value = Delimiters> {
    prop_oneof![
        3 => Just(Delimiters::default()),
        1 => Just(Delimiters { field: b'!', component: b'@', repetition: b'*', escape: b'$', subcomponent: b'%', truncation: None }),
        1 => Just(Delimiters { truncation: Some(b'#'), ..Delimiters::default() }),
    ]
}

fn escape_field(f: &[Vec<Vec<String>>], d: &Delimiters) -> FieldBuf {
    f.iter()
        .map(|r| {
            r.iter()
                .map(|c| {
                    c.iter()
                        .map(|s| escape::encode(s, d).into_owned())
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// A segment as unescaped text: its name and its fields.
type SegmentText = (String, Vec<Vec<Vec<Vec<String>>>>);

fn build(d: Delimiters, segs: &[SegmentText]) -> MessageBuf {
    let mut m = MessageBuf::new(d);
    m.set("MSH-9.1", "ADT").unwrap();
    m.set("MSH-9.2", "A01").unwrap();
    m.set("MSH-10", "CTRL1").unwrap();
    m.set("MSH-12", "2.4").unwrap();
    for (name, fields) in segs {
        m.segments.push(SegmentBuf {
            name: name.clone(),
            fields: fields.iter().map(|f| escape_field(f, &d)).collect(),
        });
    }
    m
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parse_of_serialise_is_identity(d in delimiters(), segs in prop::collection::vec(segment_text(), 0..6)) {
        let built = build(d, &segs);
        let bytes = built.to_bytes();
        let parsed = Message::parse(&bytes).unwrap();
        // Structure survives.
        prop_assert_eq!(parsed.to_buf(), built.normalized());
        // The serialiser reproduces the well-formed input byte for byte.
        prop_assert_eq!(parsed.to_bytes(), bytes.clone());
        // Every leaf decodes back to the text that was set.
        for (si, (_, fields)) in segs.iter().enumerate() {
            let seg = parsed.segment_at(si + 1).unwrap();
            for (fi, reps) in fields.iter().enumerate() {
                for (ri, comps) in reps.iter().enumerate() {
                    for (ci, subs) in comps.iter().enumerate() {
                        for (xi, text) in subs.iter().enumerate() {
                            let got = seg.field(fi + 1)
                                .and_then(|f| f.repetition(ri + 1))
                                .and_then(|r| r.component(ci + 1))
                                .and_then(|c| c.subcomponent(xi + 1))
                                .map(|v| v.text().into_owned())
                                .unwrap_or_default();
                            prop_assert_eq!(&got, text);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn parser_never_panics_on_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..65_536)) {
        exercise(&bytes);
    }

    #[test]
    fn parser_never_panics_on_random_bodies(
        head in prop::sample::select(vec![&b"MSH|^~\\&|"[..], b"MSH|^~\\&#|", b"MSH!@*$%!", b"\xEF\xBB\xBFMSH|^~|", b"FHS|^~\\&|"]),
        body in prop::collection::vec(prop::sample::select(b"|^~\\&#\r\nMSHPIDOBXZ0129 \xE9\x00".to_vec()), 0..4096),
    ) {
        let mut bytes = head.to_vec();
        bytes.extend_from_slice(&body);
        exercise(&bytes);
    }

    #[test]
    fn mllp_frames_survive_any_chunking(
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>().prop_filter("no framing bytes", |b| *b != 0x0B && *b != 0x1C), 0..200), 1..5),
        cuts in prop::collection::vec(1usize..64, 1..40),
    ) {
        let mut codec = MllpCodec::default();
        let mut wire = BytesMut::new();
        for p in &payloads {
            codec.encode(p, &mut wire).unwrap();
        }
        let wire = wire.to_vec();
        let mut got = Vec::new();
        let mut buf = BytesMut::new();
        let mut pos = 0;
        for cut in cuts.iter().cycle() {
            if pos >= wire.len() { break; }
            let end = (pos + cut).min(wire.len());
            buf.extend_from_slice(&wire[pos..end]);
            pos = end;
            while let Some(f) = codec.decode(&mut buf).unwrap() {
                got.push(f.to_vec());
            }
        }
        prop_assert_eq!(got, payloads);
    }

    #[test]
    fn mllp_decoder_never_panics(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..512), 0..20), max in 1usize..1024) {
        let mut codec = MllpCodec::new(max);
        let mut buf = BytesMut::new();
        for c in chunks {
            buf.extend_from_slice(&c);
            while let Ok(Some(f)) = codec.decode(&mut buf) {
                prop_assert!(f.len() <= max);
            }
        }
    }
}

/// Parses and walks everything, as a consumer would.
fn exercise(bytes: &[u8]) {
    if let Ok(m) = Message::parse(bytes) {
        let _ = m.header().message_type();
        for seg in m.segments() {
            for f in seg.fields() {
                for r in f.children() {
                    for c in r.children() {
                        for s in c.children() {
                            let _ = s.text();
                        }
                    }
                }
            }
        }
        let _ = m.get("PID-3[2].4.1");
        let _ = m.to_buf().to_bytes();
    }
    let _ = Batch::split(bytes);
}
