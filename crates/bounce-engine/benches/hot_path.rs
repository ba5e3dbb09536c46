//! Criterion benches of the per-message hot path: extraction alone, and extraction plus
//! classification with the built-in rules, on a few representative bounces written here.

use std::hint::black_box;

use bounce_mail::extract::{extract, ExtractOptions};
use bounce_model::Source;
use bounce_rules::RuleSet;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const DSN: &str = "From: MAILER-DAEMON@mta1.example.com (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: news@example.com
Date: Thu, 11 Jun 2026 10:00:00 +0200
Message-Id: <20260611080000.AB12@mta1.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B1\"

--B1
Content-Type: text/plain

<ann@example.net>: host mx.example.net[192.0.2.10] said: 550 5.1.1 <ann@example.net>:
    Recipient address rejected: User unknown (in reply to RCPT TO command)

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mta1.example.com

Final-Recipient: rfc822; ann@example.net
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 550 5.1.1 <ann@example.net>: Recipient address rejected: User unknown

--B1
Content-Type: text/rfc822-headers

Return-Path: <bounces@news.example.com>
Received: from app1.example.com (app1.example.com [198.51.100.7])
\tby mta1.example.com (Postfix) with ESMTPS id AB12; Thu, 11 Jun 2026 09:59:58 +0200
Message-ID: <campaign-42@news.example.com>
From: News <news@example.com>
To: ann@example.net
Subject: June news

--B1--
";

const QMAIL: &str = "From: MAILER-DAEMON@qmail.example.org
Subject: failure notice
To: news@example.com
Date: Thu, 11 Jun 2026 11:00:00 +0000

Hi. This is the qmail-send program at qmail.example.org.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<bob@example.org>:
192.0.2.20 does not like recipient.
Remote host said: 550 5.7.1 Messages from [203.0.113.25] weren't sent. Part of their network is on our block list (S3150).
Giving up on 192.0.2.20.
";

const NOT_A_BOUNCE: &str = "From: Carol <carol@example.com>
To: news@example.com
Subject: Re: June news
Date: Thu, 11 Jun 2026 12:00:00 +0000
Message-ID: <reply-1@example.com>

Thanks for the newsletter, see you next month.
";

fn bench(c: &mut Criterion) {
    let messages = [DSN, QMAIL, NOT_A_BOUNCE];
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
                let mut ex = extract(black_box(m.as_bytes()), &source, &options);
                for record in &mut ex.records {
                    rules.apply(record);
                }
                black_box(ex);
            }
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
