//! Cost of the `pacs` adapter on a 5 MB ORU^R01 carrying a base64 PDF (one ED OBX): parse + map
//! per message, and parse + map + `serde_json::to_vec`; the peak resident set (`VmHWM`) before
//! and after one decode is printed first, so the one-copy claim can be checked.
//! Run: `cargo bench -p junction-adapters --bench pacs -- --measurement-time 5`.
#![allow(missing_docs)] // criterion_group! generates undocumented items

// The allocator the `junction` binary runs with, so the figure is the gateway's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../tests/golden/pacs/big_pdf.rs"]
mod big_pdf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use junction_adapters::{Adapter, AdapterOptions, Inbound, PacsAdapter};

fn inbound(bytes: &[u8]) -> Inbound<'_> {
    Inbound {
        bytes,
        source: "pacs",
        received_at: "2026-01-01T00:00:00Z",
        correlation_id: "bench",
        content_type: None,
    }
}

fn bench(c: &mut Criterion) {
    let pacs = PacsAdapter::new(AdapterOptions::default());
    let (msg, _) = big_pdf::message();
    let kib = |v: Option<u64>| v.map_or("n/a".to_owned(), |k| format!("{k} KiB"));
    let before = big_pdf::peak_rss_kib();
    let events = pacs.decode(&inbound(&msg)).expect("decodes");
    let after_decode = big_pdf::peak_rss_kib();
    let json = serde_json::to_vec(&events).expect("serialise");
    let after_json = big_pdf::peak_rss_kib();
    eprintln!(
        "pacs 5 MB ORU: input {} bytes, JSON {} bytes; VmHWM before decode {}, after decode {}, after to_vec {}",
        msg.len(),
        json.len(),
        kib(before),
        kib(after_decode),
        kib(after_json),
    );
    drop((events, json));

    let mut group = c.benchmark_group("pacs");
    group.throughput(Throughput::Bytes(msg.len() as u64));
    group.sample_size(20);
    group.bench_function("oru_pdf_5mb/decode", |b| {
        b.iter(|| pacs.decode(&inbound(&msg)).expect("decodes").len())
    });
    group.bench_function("oru_pdf_5mb/decode+to_vec", |b| {
        let mut out = Vec::with_capacity(6 << 20);
        b.iter(|| {
            let events = pacs.decode(&inbound(&msg)).expect("decodes");
            out.clear();
            serde_json::to_writer(&mut out, &events).expect("serialise");
            out.len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
