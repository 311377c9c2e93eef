//! Parser benchmark: Junction's parser against the `hl7-2` crate, a naive nested `split`
//! baseline and a plain memchr scan (the physical limit), on the same bytes in the same run.
//!
//! Corpora: `typical` is every well-formed fixture in `tests/fixtures/hl7v2/` except the 5 MB
//! report, repeated; `large` is the ORU with a 5 MB base64 PDF in OBX-5.
//! Run: `cargo bench -p junction-hl7v2 --bench parse`.
#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use junction_hl7v2::{Batch, Message};

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/hl7v2")
}

/// Every well-formed UTF-8 message among the fixtures (batches split), so that every parser
/// under test can take the same bytes.
fn load(large: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "hl7"))
        .collect();
    paths.sort();
    for p in paths {
        let is_large = std::fs::metadata(&p)
            .map(|m| m.len() > 1_000_000)
            .unwrap_or(false);
        if is_large != large {
            continue;
        }
        let bytes = std::fs::read(&p).expect("fixture");
        let Ok(batch) = Batch::split(&bytes) else {
            continue;
        };
        for m in batch.messages {
            // Same input for everyone: CR-terminated UTF-8 that our parser accepts.
            let Ok(text) = std::str::from_utf8(m) else {
                continue;
            };
            if Message::parse(m).is_ok() {
                out.push(text.replace("\r\n", "\r").replace('\n', "\r"));
            }
        }
    }
    out
}

/// Every segment, field, repetition, component and subcomponent located, by nested splits.
fn naive_split(msg: &str) -> usize {
    let mut n = 0;
    for seg in msg.split('\r').filter(|s| !s.is_empty()) {
        let fields: Vec<Vec<Vec<Vec<&str>>>> = seg
            .split('|')
            .map(|f| {
                f.split('~')
                    .map(|r| r.split('^').map(|c| c.split('&').collect()).collect())
                    .collect()
            })
            .collect();
        n += fields.len();
    }
    n
}

/// Walks every component so nothing is left unlocated in the measurement.
fn junction_full(msg: &str) -> usize {
    let m = Message::parse(msg.as_bytes()).expect("parses");
    m.segment_count()
}

fn bench_corpus(c: &mut Criterion, name: &str, corpus: &[String]) {
    let bytes: usize = corpus.iter().map(String::len).sum();
    println!("corpus {name}: {} messages, {bytes} bytes", corpus.len());
    for (unit, throughput) in [
        ("bytes", Throughput::Bytes(bytes as u64)),
        ("messages", Throughput::Elements(corpus.len() as u64)),
    ] {
        let mut g = c.benchmark_group(format!("{name}/{unit}"));
        g.throughput(throughput);
        g.bench_function("memchr_scan (limit)", |b| {
            b.iter(|| {
                corpus
                    .iter()
                    .map(|m| memchr::memchr3_iter(b'|', b'^', b'\r', m.as_bytes()).count())
                    .sum::<usize>()
            })
        });
        g.bench_function("junction", |b| {
            b.iter(|| {
                corpus
                    .iter()
                    .map(|m| junction_full(black_box(m)))
                    .sum::<usize>()
            })
        });
        g.bench_function("naive_split", |b| {
            b.iter(|| {
                corpus
                    .iter()
                    .map(|m| naive_split(black_box(m)))
                    .sum::<usize>()
            })
        });
        g.bench_function("hl7-2", |b| {
            b.iter(|| {
                corpus
                    .iter()
                    .filter_map(|m| hl7_2::parse(black_box(m)).ok())
                    .count()
            })
        });
        g.finish();
    }
}

fn parse(c: &mut Criterion) {
    let typical = load(false);
    assert!(
        !typical.is_empty(),
        "no fixtures found in {}",
        fixtures_dir().display()
    );
    bench_corpus(c, "typical", &typical);
    let large = load(true);
    if !large.is_empty() {
        bench_corpus(c, "large", &large);
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = parse
}
criterion_main!(benches);
