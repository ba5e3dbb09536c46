//! Classification speed: realistic diagnostic lines against 300 and 3,000 generated rules (half
//! of them regexes). The per-line cost of 3,000 rules must stay within 3× that of 300.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use bounce_model::{BounceFacts, Kind};
use bounce_rules::{Origin, RuleSet};

const LINES: [&str; 12] = [
    "550 5.1.1 <someone@example.com>: Recipient address rejected: User unknown in virtual mailbox table",
    "452 4.2.2 The email account that you tried to reach is over quota. - gsmtp",
    "550 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org",
    "421 4.7.0 [TSS04] Messages from 192.0.2.7 temporarily deferred due to unexpected volume",
    "554 5.7.1 [HM08] Message rejected due to local policy. Please visit https://support.apple.com",
    "550 5.7.26 This mail has been blocked because the sender is unauthenticated. - gsmtp",
    "connect to mx.example.net[192.0.2.25]:25: Connection timed out",
    "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [DB5EUR03FT]",
    "552 5.3.4 Message size exceeds fixed maximum message size",
    "550 5.7.1 relaying denied for user@example.net",
    "451 4.3.0 Temporary System Problem. Try again later. (ID 12345) - gsmtp",
    "554 5.6.0 Email message is malformed. Not accepted.",
];

const WORDS: [&str; 16] = [
    "mailbox",
    "quota",
    "relay",
    "policy",
    "sender",
    "domain",
    "reputation",
    "limit",
    "content",
    "header",
    "account",
    "service",
    "network",
    "message",
    "address",
    "gateway",
];

/// `count` rules: even ones a literal phrase, odd ones a regex with classes and alternation.
/// As in real rule files, patterns start with varied words (256 distinct two-word openings).
fn generated_rules(count: usize) -> String {
    let mut text = String::new();
    for i in 0..count {
        let (a, b) = (WORDS[i % 16], WORDS[(i / 16) % 16]);
        let condition = if i % 2 == 0 {
            format!("text ~ \"{a} {b} code{i}\"")
        } else {
            format!(
                "text ~ /{a}[- ]{b}\\s+(rejected|refused|denied):? [A-Z]{{2}}{i}\\b/ and reply 5xx"
            )
        };
        text.push_str(&format!(
            "/// generated\nrule gen.r{i} {{\n    when {condition}\n    reason blocked\n}}\n"
        ));
    }
    text
}

fn records() -> Vec<BounceFacts> {
    (0..1000)
        .map(|i| {
            let line = LINES[i % LINES.len()];
            BounceFacts {
                recipient: format!("user{i}@example.org"),
                kind: Some(Kind::Bounce),
                reply_code: Some(line[..3].to_owned()),
                diagnostic: Some(format!("{line} id{i}")),
                ..BounceFacts::default()
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let records = records();
    let mut group = c.benchmark_group("classify");
    group.throughput(Throughput::Elements(records.len() as u64));
    for count in [300, 3000] {
        let sources = [("gen.rules".to_owned(), generated_rules(count), Origin::User)];
        let Ok(set) = RuleSet::from_sources(&sources) else { panic!("generated rules load") };
        group.bench_with_input(BenchmarkId::from_parameter(count), &set, |b, set| {
            b.iter(|| records.iter().filter(|r| set.decide(r).is_some()).count());
        });
    }
    let builtin = RuleSet::builtin().ok();
    if let Some(set) = builtin {
        group.bench_function("builtin", |b| {
            b.iter(|| records.iter().filter(|r| set.decide(r).is_some()).count());
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
