//! Criterion benches of the per-message hot path: extraction alone, and extraction plus
//! classification with the built-in rules, on representative messages of the fixture corpus.

use std::hint::black_box;

use bounce_mail::extract::{extract, ExtractOptions};
use bounce_model::Source;
use bounce_rules::RuleSet;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Representative messages from the fixture corpus: a Postfix DSN, a qmail prose bounce and a
/// newsletter that is not a bounce.
const MESSAGES: [&str; 3] = [
    include_str!("../../../tests/fixtures/postfix/user-unknown.eml"),
    include_str!("../../../tests/fixtures/qmail/no-mailbox.eml"),
    include_str!("../../../tests/fixtures/not-bounce/newsletter.eml"),
];

fn bench(c: &mut Criterion) {
    let messages = MESSAGES;
    let bytes: usize = messages.iter().map(|m| m.len()).sum();
    let options = ExtractOptions::default();
    let source = Source::default();
    let Ok(rules) = RuleSet::builtin() else { return };
    let mut group = c.benchmark_group("hot_path");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("extract", |b| {
        b.iter(|| {
            for m in &messages {
                black_box(extract(black_box(m.as_bytes()), &source, &options));
            }
        });
    });
    group.bench_function("extract_and_classify", |b| {
        b.iter(|| {
            for m in &messages {
                let ex = extract(black_box(m.as_bytes()), &source, &options);
                for facts in &ex.records {
                    black_box(rules.classify(facts));
                }
                black_box(ex);
            }
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
