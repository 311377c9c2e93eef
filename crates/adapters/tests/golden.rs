//! Golden tests for the `pas` adapter: every `tests/golden/pas/*.hl7` decoded and compared
//! with the reviewed JSON beside it (`UPDATE_GOLDEN=1` rewrites; review before committing).

use junction_adapters::golden::{self, GoldenOptions};
use junction_adapters::{AdapterOptions, PasAdapter};
use junction_model::{CodeTable, CodeTables, Mapping};

/// The local code tables the fixture README describes: HL7 sex codes onto NHS DD Person
/// Gender Code, and a local 2011-census-style ethnic code onto NHS DD Ethnic Category.
fn options() -> AdapterOptions {
    let tables: CodeTables = [
        CodeTable::new(
            "sex",
            [
                ("M", Mapping::code("1")),
                ("F", Mapping::code("2")),
                ("U", Mapping::code("0")),
            ],
            None,
        ),
        CodeTable::new(
            "ethnic",
            [
                ("WBRI", Mapping::code("A")),
                ("WIRI", Mapping::code("B")),
                ("AIND", Mapping::code("H")),
            ],
            None,
        ),
    ]
    .into_iter()
    .collect();
    AdapterOptions {
        code_tables: tables,
        local_mrn_authority: Some("RXX".into()),
        ..Default::default()
    }
}

fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/pas")
}

#[test]
fn pas_golden_files() {
    let pas = PasAdapter::new(options());
    golden::check_dir(&pas, dir(), &GoldenOptions::default());
}

#[test]
fn every_input_has_an_expected_file() {
    // check_dir fails on a missing expected file too; this says so on its own, even while
    // UPDATE_GOLDEN is set (when check_dir would write the missing file instead).
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "hl7") {
            let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
            let expected = if stem.starts_with("bad_") {
                format!("{stem}.error.json")
            } else {
                format!("{stem}.json")
            };
            if !dir().join(&expected).exists() {
                missing.push(expected);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "inputs without expected files: {missing:?}"
    );
}

#[test]
fn replay_gives_identical_events() {
    let pas = PasAdapter::new(options());
    let opts = GoldenOptions::default();
    let bytes = std::fs::read(dir().join("a01_admit.hl7")).unwrap();
    let a = golden::decode_to_json(&pas, &bytes, "a01_admit", &opts);
    let b = golden::decode_to_json(&pas, &bytes, "a01_admit", &opts);
    assert_eq!(a, b);
}
