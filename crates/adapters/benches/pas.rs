//! Throughput of the `pas` adapter over the golden inputs: parse + map + `serde_json::to_vec`
//! of the events, reported as messages per second.
//! Run: `cargo bench -p junction-adapters --bench pas -- --measurement-time 3`.
#![allow(missing_docs)] // criterion_group! generates undocumented items

// The allocator the `junction` binary runs with, so the figure is the gateway's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use junction_adapters::{Adapter, AdapterOptions, Inbound, PasAdapter};
use junction_model::{CodeTable, Mapping};

fn inputs() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/pas");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("golden dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "hl7")
                && !p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("bad_"))
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read(p).expect("input"))
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut opts = AdapterOptions::default();
    opts.code_tables.insert(CodeTable::new(
        "sex",
        [("F", Mapping::code("2")), ("M", Mapping::code("1"))],
        None,
    ));
    let pas = PasAdapter::new(opts);
    let inputs = inputs();
    let mut group = c.benchmark_group("pas");
    group.throughput(Throughput::Elements(inputs.len() as u64));
    group.bench_function("decode+to_vec", |b| {
        // One output buffer reused across messages, as the gateway's pipeline does.
        let mut out = Vec::with_capacity(64 * 1024);
        b.iter(|| {
            let mut bytes = 0;
            for input in &inputs {
                let inbound = Inbound {
                    bytes: input,
                    source: "pas",
                    received_at: "2026-01-01T00:00:00Z",
                    correlation_id: "bench",
                    content_type: None,
                };
                let events = pas.decode(&inbound).expect("golden inputs decode");
                out.clear();
                serde_json::to_writer(&mut out, &events).expect("serialise");
                bytes += out.len();
            }
            bytes
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
