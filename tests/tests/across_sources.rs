//! One attempt is one attempt whatever reported it: the DSN of a message and the MTA log line
//! of the same message (same Message-ID) count once towards the soft-bounce limit, while a
//! second message counts again; a delivery in the log resets the counter.

use std::path::Path;

use bounce_engine::state::SuppressionState;
use bounce_engine::suppress::{SuppressOptions, Suppressor};
use bounce_engine::{Output, Pipeline, ReadOptions};
use bounce_model::{ListEntry, ListKind, Record};

const ADDRESS: &str = "robin@mail.example.net";

/// A Postfix DSN for a full mailbox, returning the original's headers with `message_id`.
fn dsn(message_id: &str, date: &str) -> String {
    format!(
        "From MAILER-DAEMON Tue Jun  9 06:12:03 2026\n\
         Return-Path: <>\n\
         From: Mail Delivery System <MAILER-DAEMON@mta1.example.com>\n\
         To: bounce+c2606a@bounces.example.com\n\
         Subject: Undelivered Mail Returned to Sender\n\
         Date: {date}\n\
         Message-ID: <dsn-{message_id}@mta1.example.com>\n\
         MIME-Version: 1.0\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\n\
         \n\
         --b1\n\
         Content-Type: text/plain\n\
         \n\
         I'm sorry to have to inform you that your message could not be delivered.\n\
         \n\
         --b1\n\
         Content-Type: message/delivery-status\n\
         \n\
         Reporting-MTA: dns; mta1.example.com\n\
         \n\
         Final-Recipient: rfc822; {ADDRESS}\n\
         Action: failed\n\
         Status: 5.2.2\n\
         Remote-MTA: dns; mx.mail.example.net\n\
         Diagnostic-Code: smtp; 552 5.2.2 Mailbox full: quota exceeded\n\
         \n\
         --b1\n\
         Content-Type: text/rfc822-headers\n\
         \n\
         From: News <news@example.com>\n\
         To: {ADDRESS}\n\
         Subject: Summer sale\n\
         Message-ID: <{message_id}@news.example.com>\n\
         \n\
         --b1--\n\n"
    )
}

/// The Postfix log lines of one message to the same address: its Message-ID and its result.
fn log_lines(queue_id: &str, message_id: &str, time: &str, status: &str) -> String {
    let result = match status {
        "sent" => "dsn=2.0.0, status=sent (250 2.0.0 Ok: queued)".to_owned(),
        _ => "dsn=5.2.2, status=bounced (host mx.mail.example.net[198.51.100.30] said: 552 5.2.2 \
              Mailbox full: quota exceeded (in reply to RCPT TO command))"
            .to_owned(),
    };
    format!(
        "Jun  9 {time} mta1 postfix/cleanup[2104]: {queue_id}: message-id=<{message_id}@news.example.com>\n\
         Jun  9 {time} mta1 postfix/smtp[2211]: {queue_id}: to=<{ADDRESS}>, relay=mx.mail.example.net[198.51.100.30]:25, delay=1, delays=0.1/0/0.4/0.5, {result}\n\
         Jun  9 {time} mta1 postfix/qmgr[1201]: {queue_id}: removed\n"
    )
}

fn records(paths: &[&Path]) -> Vec<Record> {
    let options = ReadOptions {
        inputs: paths.iter().map(|p| p.to_path_buf()).collect(),
        log_year: Some(2026),
        ..ReadOptions::default()
    };
    let pipeline = Pipeline::new(options).expect("built-in rules compile");
    let mut records = Vec::new();
    let summary = pipeline.run(|output| {
        if let Output::Record(record) = output {
            records.push(*record);
        }
        true
    });
    assert!(summary.adds_up());
    records
}

/// The list entries of `ADDRESS` with a soft-bounce limit of two.
fn decisions(records: &[Record]) -> Vec<ListEntry> {
    let options = SuppressOptions { soft_limit: 2, ..SuppressOptions::default() };
    let mut suppressor = Suppressor::new(options, SuppressionState::default());
    for record in records {
        suppressor.add(record);
    }
    let (entries, _) = suppressor.finish(&[]);
    entries.into_iter().filter(|e| e.address == ADDRESS).collect()
}

fn suppressed(records: &[Record]) -> bool {
    decisions(records).iter().any(|e| e.list == Some(ListKind::Suppress))
}

#[test]
fn a_dsn_and_the_log_line_of_the_same_message_are_one_attempt() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mbox = dir.path().join("bounces.mbox");
    std::fs::write(&mbox, dsn("m1", "Tue, 9 Jun 2026 06:12:03 +0000")).expect("written");
    let same = dir.path().join("same.log");
    std::fs::write(&same, log_lines("3F2A81234", "m1", "06:12:03", "bounced")).expect("written");
    let both = records(&[&mbox, &same]);
    assert_eq!(both.len(), 2, "one record from each source");
    assert!(both.iter().any(|r| r.format == "postfix-log"));
    assert!(!suppressed(&both), "the same message twice is one quota failure, under the limit");

    let other = dir.path().join("other.log");
    let text = log_lines("3F2A81234", "m1", "06:12:03", "bounced")
        + &log_lines("5C3D91236", "m2", "07:40:00", "bounced");
    std::fs::write(&other, text).expect("written");
    let two = records(&[&mbox, &other]);
    assert!(suppressed(&two), "two messages failing on quota reach the limit of two");

    let delivered = dir.path().join("delivered.log");
    let text = log_lines("3F2A81234", "m1", "06:12:03", "bounced")
        + &log_lines("4B2C11235", "m3", "06:30:00", "sent")
        + &log_lines("5C3D91236", "m2", "07:40:00", "bounced");
    std::fs::write(&delivered, text).expect("written");
    let reset = records(&[&mbox, &delivered]);
    assert!(!suppressed(&reset), "a delivery in the log between them resets the counter");
}

/// A SendGrid Event Webhook `bounce` event for `message_id` (its `smtp-id`), sent from
/// `ip`: the shape of the Event Webhook reference.
fn sendgrid_bounce(message_id: &str, ip: &str) -> String {
    format!(
        "{{\"email\": \"{ADDRESS}\", \"timestamp\": 1780985523, \"smtp-id\": \"<{message_id}@news.example.com>\", \
         \"event\": \"bounce\", \"sg_event_id\": \"ZXZlbnQtMQ\", \"sg_message_id\": \"sgid-{message_id}.filter-1\", \
         \"reason\": \"552 5.2.2 Mailbox full: quota exceeded\", \"status\": \"5.2.2\", \"type\": \"bounce\", \
         \"bounce_classification\": \"Mailbox Unavailable\", \"ip\": \"{ip}\"}}\n"
    )
}

#[test]
fn the_same_bounce_as_dsn_event_and_log_line_counts_once_with_its_evidence_merged() {
    use bounce_engine::aggregate::{aggregate_records, AggregateOptions};
    use bounce_model::{Dimension, Summary};
    use bounce_report::{build_context, ReportOptions};

    let dir = tempfile::tempdir().expect("temporary directory");
    let mbox = dir.path().join("bounces.mbox");
    std::fs::write(&mbox, dsn("m1", "Tue, 9 Jun 2026 06:12:03 +0000")).expect("written");
    let log = dir.path().join("maillog");
    let text = log_lines("3F2A81234", "m1", "06:12:03", "bounced")
        + &log_lines("5C3D91236", "m2", "07:40:00", "bounced");
    std::fs::write(&log, text).expect("written");
    let events = dir.path().join("events.ndjson");
    std::fs::write(&events, sendgrid_bounce("m1", "198.51.100.7")).expect("written");
    let records = records(&[&mbox, &log, &events]);
    assert_eq!(records.len(), 4, "the DSN, two log lines and the event: {records:#?}");
    let formats: Vec<&str> = records.iter().map(|r| r.format.as_str()).collect();
    assert!(formats.contains(&"sendgrid-event"), "{formats:?}");

    // Suppression: m1 three times is one quota failure, under the limit of two; with m2, two.
    let m1: Vec<Record> = records
        .iter()
        .filter(|r| r.original.message_id.as_deref().is_some_and(|m| m.contains("<m1@")))
        .cloned()
        .collect();
    assert_eq!(m1.len(), 3, "m1 from the DSN, the log and the event");
    assert!(!suppressed(&m1), "one attempt in three sources is one quota failure");
    assert!(suppressed(&records), "m1 and m2 are two");
    let mine = decisions(&records);
    assert_eq!(mine.len(), 1, "one decision for the address: {mine:#?}");
    assert_eq!(mine[0].attempts, 2, "{mine:#?}");

    // Incidents: m1 three times is one attempt, m2 another.
    let keys = vec![Dimension::Category];
    let aggregates = aggregate_records(&records, AggregateOptions::report(keys.clone()));
    let counted: u64 = aggregates.groups.iter().map(|g| g.count).sum();
    assert_eq!(counted, 2, "{:#?}", aggregates.groups);
    assert_eq!(aggregates.merged, 2);
    let mut incidents =
        bounce_engine::aggregate::Aggregator::new(AggregateOptions::default(), None);
    records.iter().for_each(|r| incidents.add(r));
    let incidents = incidents.finish();
    let by_reason: Vec<u64> =
        incidents.groups.iter().filter(|g| g.key.contains_key("reason")).map(|g| g.count).collect();
    assert_eq!(by_reason, vec![2], "{:#?}", incidents.groups);
    // The DSN, read first, names no sending IP; the event of the same message does, so the
    // attempt counts once in the sending-IP grouping, from the event.
    let by_ip: Vec<(&str, u64)> = incidents
        .groups
        .iter()
        .filter_map(|g| Some((g.key.get("sending_ip")?.as_str(), g.count)))
        .collect();
    assert_eq!(by_ip, vec![("198.51.100.7", 1)], "{:#?}", incidents.groups);

    // The report: two failures, two merged, and the DSN's evidence filled from the others.
    let summary = Summary { records: 4, ..Summary::default() };
    let context = build_context(&records, &keys, &summary, &aggregates, &ReportOptions::default());
    assert_eq!((context.totals.failures, context.totals.merged), (2, 2));
    assert_eq!(context.totals.records, 4);
    let sources: u64 = context.by_source.iter().map(|c| c.count).sum();
    assert_eq!(sources, 4, "counts per source are of records: {:?}", context.by_source);
    let first = context
        .evidence
        .iter()
        .find(|e| e.location.contains("bounces.mbox"))
        .expect("the DSN's evidence");
    let field = |label: &str| first.fields.iter().find(|f| f.label == label);
    let ip = field("Sending IP").expect("a sending IP field");
    assert!(ip.filled && ip.value.contains("198.51.100.7"), "{ip:?}");
    assert!(ip.source.contains("events.ndjson"), "the field names its source: {ip:?}");
    let also = field("Also reported by").expect("the other reports are named");
    assert!(also.value.contains("maillog") && also.value.contains("events.ndjson"), "{also:?}");
    let platform = field("Sending platform's message ID").expect("filled from the log or event");
    assert!(platform.source.contains("from "), "{platform:?}");

    // m1 alone: the list entry, decided by its latest report (not the DSN), links to the
    // attempt's merged evidence, the DSN's.
    let aggregates = aggregate_records(&m1, AggregateOptions::report(keys.clone()));
    let summary = Summary { records: 3, ..Summary::default() };
    let context = build_context(&m1, &keys, &summary, &aggregates, &ReportOptions::default());
    let entries: Vec<_> = context.suppress.iter().chain(&context.keep).collect();
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_ne!(entries[0].entry.evidence.source.path, m1[0].source.path, "decided by a repeat");
    assert_eq!(entries[0].anchor, "rec-0", "{:#?}", entries[0]);
}

#[test]
fn a_field_another_source_states_is_no_longer_asked_for() {
    use bounce_engine::aggregate::{aggregate_records, AggregateOptions};
    use bounce_model::{
        BounceFacts, Category, Dimension, Kind, Original, Provenanced, Reason, Summary, Verdict,
    };
    use bounce_report::{build_context, ReportOptions};

    // A reputation block as the DSN gives it (no Received chain: no sending IP), and the
    // event of the same message, which names the IP the ESP sent from.
    let dsn = Record {
        facts: BounceFacts {
            recipient: "lee@outlook.example.com".into(),
            kind: Some(Kind::Bounce),
            diagnostic: Some("550 5.7.1 Service unavailable, Client host blocked (S3150)".into()),
            format: "rfc3464".into(),
            original: Original {
                message_id: Some("<spring.77@news.example.com>".into()),
                ..Original::default()
            },
            ..BounceFacts::default()
        },
        verdict: Some(Verdict {
            reason: Reason::Blocked,
            category: Category::Reputation,
            rule_id: "microsoft.block-list".into(),
            ..Verdict::default()
        }),
        dns: None,
    };
    let mut event = dsn.clone();
    event.format = "sendgrid-event".into();
    event.source.path = "events.ndjson".into();
    event.original.message_id = Some("spring.77@news.example.com".into());
    event.original.sending_ip = Some(Provenanced {
        value: "198.51.100.7".into(),
        source: "SendGrid event ip".into(),
        uncertain: false,
    });
    let keys = [Dimension::Category];
    let unknown_ip = |records: &[Record]| {
        let aggregates = aggregate_records(records, AggregateOptions::report(keys.to_vec()));
        let summary = Summary { records: records.len() as u64, ..Summary::default() };
        let context =
            build_context(records, &keys, &summary, &aggregates, &ReportOptions::default());
        assert_eq!(context.totals.failures, 1);
        let asked = context.asks.iter().any(|a| a.text.contains("198.51.100.7"));
        (context.unknowns.iter().find(|u| u.label == "Sending IP").map(|u| u.count), asked)
    };
    assert_eq!(
        unknown_ip(std::slice::from_ref(&dsn)),
        (Some(1), false),
        "the DSN alone lacks the IP, and no ask names it"
    );
    assert_eq!(
        unknown_ip(&[dsn, event]),
        (None, true),
        "the event states it for the same attempt, and the ask names it"
    );
}
