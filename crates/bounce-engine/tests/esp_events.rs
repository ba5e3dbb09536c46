//! ESP events read as evidence (Amazon SES, SendGrid, Mailgun, Postmark, SparkPost, Mailjet,
//! Mandrill, Brevo, Resend, Postal): each provider's event types become records with the
//! receiver's SMTP text and the platform's own labels beside it; every event lands in one
//! bucket, opens and clicks are counted as not-a-bounce, a cut line is named with its line and
//! byte offset and the run goes on; the files are sniffed without `--input-format`.

use std::path::PathBuf;

use bounce_engine::{Output, Pipeline, ReadOptions};
use bounce_model::{Action, Kind, Record, Summary};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/esp").join(name)
}

struct Run {
    records: Vec<Record>,
    problems: Vec<String>,
    formats: Vec<&'static str>,
    summary: Summary,
}

fn run(names: &[&str]) -> Run {
    let inputs = names.iter().map(|n| fixture(n)).collect();
    let pipeline =
        Pipeline::new(ReadOptions { inputs, ..ReadOptions::default() }).expect("rules compile");
    let (mut records, mut problems, mut formats) = (Vec::new(), Vec::new(), Vec::new());
    let summary = pipeline.run(|output| {
        match output {
            Output::Record(record) => records.push(*record),
            Output::Problem(problem) => {
                problems.push(format!("byte {}: {}", problem.source.offset, problem.error));
            }
            Output::Opened { format, .. } => formats.push(format),
            _ => {}
        }
        true
    });
    assert!(summary.adds_up(), "{summary:?}");
    Run { records, problems, formats, summary }
}

fn one(name: &str) -> Record {
    let run = run(&[name]);
    assert!(run.problems.is_empty(), "{:?}", run.problems);
    assert_eq!(run.records.len(), 1, "{:?}", run.records);
    run.records.into_iter().next().expect("a record")
}

fn label<'a>(record: &'a Record, key: &str) -> Option<&'a str> {
    record.vendor_fields.get(key).map(String::as_str)
}

fn action(record: &Record) -> Action {
    record.verdict.as_ref().expect("classified").action
}

const FIXTURES: [&str; 20] = [
    "ses-bounce-sns.json",
    "ses-complaint.json",
    "ses-delivery-delay.json",
    "ses-delivery.json",
    "sendgrid-webhook.json",
    "sendgrid-events.ndjson",
    "mailgun-failed-permanent.json",
    "mailgun-failed-temporary.json",
    "mailgun-delivered.json",
    "mailgun-events-api.json",
    "postmark-bounce.json",
    "postmark-spam-complaint.json",
    "postmark-delivery.json",
    "postmark-bounces-api.json",
    "sparkpost-webhook.json",
    "mailjet-events.json",
    "mandrill-webhook.form",
    "brevo-events.ndjson",
    "resend-events.json",
    "postal-events.json",
];

#[test]
fn every_fixture_is_sniffed_as_esp_events() {
    let run = run(&FIXTURES);
    assert_eq!(run.formats, vec!["esp-events"; FIXTURES.len()]);
}

#[test]
fn ses_bounce_in_an_sns_envelope() {
    let r = one("ses-bounce-sns.json");
    assert_eq!(r.recipient, "lena.kraus@example.net");
    assert_eq!(r.format, "ses-event");
    assert_eq!(r.kind, Some(Kind::Bounce));
    assert_eq!(r.status.as_deref(), Some("5.1.1"));
    assert_eq!(r.reply_code.as_deref(), Some("550"));
    assert!(r.diagnostic.as_deref().is_some_and(|d| d.starts_with("550 5.1.1 <lena.kraus")));
    assert_eq!(r.diagnostic_type.as_deref(), Some("smtp"));
    assert_eq!(label(&r, "bounceType"), Some("Permanent"));
    assert_eq!(label(&r, "bounceSubType"), Some("General"));
    assert_eq!(label(&r, "sourceIp"), Some("198.51.100.40"));
    assert_eq!(r.original.sending_ip, None, "sourceIp is SES's caller, not the sending IP");
    assert_eq!(r.reporting_mta.as_deref(), Some("b224-13.smtp-out.eu-west-1.amazonses.com"));
    assert_eq!(r.remote_mta.as_deref(), Some("203.0.113.25"));
    assert_eq!(r.timestamp.as_deref(), Some("2026-06-09T06:12:03Z"));
    assert_eq!(r.original.message_id.as_deref(), Some("<june-digest.4711@mail.example.com>"));
    let sender = r.original.envelope_sender.as_ref().map(|s| s.value.as_str());
    assert_eq!(sender, Some("bounce-handler@mail.example.com"));
    assert_eq!(action(&r), Action::Suppress, "{:?}", r.verdict);
}

#[test]
fn ses_complaint_delay_and_delivery() {
    let complaint = one("ses-complaint.json");
    assert_eq!(complaint.kind, Some(Kind::Complaint));
    assert_eq!(complaint.feedback_type.as_deref(), Some("abuse"));
    assert_eq!(label(&complaint, "complaintFeedbackType"), Some("abuse"));

    let delay = one("ses-delivery-delay.json");
    assert_eq!(delay.kind, Some(Kind::Delay));
    assert_eq!(delay.status.as_deref(), Some("4.2.2"));
    assert_eq!(label(&delay, "delayType"), Some("MailboxFull"));
    assert_eq!(delay.will_retry_until.as_deref(), Some("2026-06-10T06:11:58.412Z"));
    assert_ne!(action(&delay), Action::Suppress);

    let delivery = one("ses-delivery.json");
    assert_eq!(delivery.kind, Some(Kind::Delivered));
    assert!(delivery.diagnostic.as_deref().is_some_and(|d| d.starts_with("250 2.0.0 OK")));

    let summary = run(&["ses-complaint.json", "ses-delivery-delay.json", "ses-delivery.json"]);
    assert_eq!((summary.summary.bounce, summary.summary.report), (1, 2));
}

#[test]
fn sendgrid_webhook_body_every_event_in_one_bucket() {
    let run = run(&["sendgrid-webhook.json"]);
    let s = &run.summary;
    assert_eq!(s.messages, 9, "one unit per event");
    assert_eq!((s.bounce, s.report, s.not_a_bounce, s.unparsed), (4, 2, 3, 0));
    let by = |email: &str| run.records.iter().find(|r| r.recipient == email).expect(email);

    let bounce = by("amir.rahman@gmail.example.com");
    assert_eq!(bounce.format, "sendgrid-event");
    assert_eq!(bounce.kind, Some(Kind::Bounce));
    assert_eq!(bounce.status.as_deref(), Some("5.1.1"));
    assert!(bounce.diagnostic.as_deref().is_some_and(|d| d.contains("does not exist")));
    assert_eq!(label(bounce, "bounce_classification"), Some("Invalid Address"));
    assert_eq!(label(bounce, "type"), Some("bounce"));
    assert_eq!(bounce.original.sending_ip.as_ref().map(|i| i.value.as_str()), Some("198.51.100.7"));
    assert_eq!(bounce.original.message_id.as_deref(), Some("<spring-promo.1001@mail.example.com>"));
    assert_eq!(bounce.timestamp.as_deref(), Some("2026-06-09T06:12:03Z"));
    assert_eq!(action(bounce), Action::Suppress, "{:?}", bounce.verdict);

    let blocked = by("billing@corp.example.org");
    assert_eq!(label(blocked, "type"), Some("blocked"));
    assert_eq!(label(blocked, "bounce_classification"), Some("Reputation"));
    assert_ne!(action(blocked), Action::Suppress, "a block is about the sender");

    let dropped = by("old.customer@example.com");
    assert_eq!(dropped.kind, Some(Kind::Bounce));
    assert_eq!(label(dropped, "event"), Some("dropped"));
    assert_eq!(dropped.diagnostic.as_deref(), Some("Bounced Address"));

    let deferred = by("kenji.sato@example.jp");
    assert_eq!(deferred.kind, Some(Kind::Delay));
    assert_eq!(deferred.status.as_deref(), Some("4.7.1"), "read from the response");
    assert_ne!(action(deferred), Action::Suppress);

    assert_eq!(by("ray.fox@example.net").kind, Some(Kind::Complaint));
    assert_eq!(by("paula.ng@example.com").kind, Some(Kind::Delivered));
}

#[test]
fn a_cut_line_is_named_and_the_run_goes_on() {
    let run = run(&["sendgrid-events.ndjson"]);
    let s = &run.summary;
    assert_eq!((s.messages, s.bounce, s.not_a_bounce, s.unparsed, s.report), (4, 1, 1, 1, 1));
    let text = std::fs::read_to_string(fixture("sendgrid-events.ndjson")).expect("fixture");
    let third = text.split_inclusive('\n').take(2).map(str::len).sum::<usize>();
    assert_eq!(run.problems.len(), 1, "{:?}", run.problems);
    assert!(
        run.problems[0].starts_with(&format!("byte {third}: line 3: not JSON: EOF while parsing")),
        "{:?}",
        run.problems
    );
    assert_eq!(
        run.records.last().map(|r| r.kind),
        Some(Some(Kind::Delivered)),
        "after the cut line"
    );
}

#[test]
fn mailgun_failed_delivered_complained() {
    let hard = one("mailgun-failed-permanent.json");
    assert_eq!(hard.format, "mailgun-event");
    assert_eq!(hard.recipient, "jan.novak@example.cz");
    assert_eq!(hard.kind, Some(Kind::Bounce));
    assert_eq!(hard.status.as_deref(), Some("5.1.1"));
    assert_eq!(hard.reply_code.as_deref(), Some("550"));
    assert!(hard.diagnostic.as_deref().is_some_and(|d| d.contains("User unknown")));
    assert_eq!(label(&hard, "severity"), Some("permanent"));
    assert_eq!(label(&hard, "reason"), Some("bounce"));
    assert_eq!(hard.remote_mta.as_deref(), Some("mx1.example.cz"));
    assert_eq!(hard.original.sending_ip.as_ref().map(|i| i.value.as_str()), Some("198.51.100.23"));
    assert_eq!(
        hard.original.message_id.as_deref(),
        Some("20260609061158.1.ABCDEF0123456789@mg.example.com")
    );
    assert_eq!(hard.timestamp.as_deref(), Some("2026-06-09T06:12:03Z"));
    assert_eq!(action(&hard), Action::Suppress, "{:?}", hard.verdict);

    let soft = one("mailgun-failed-temporary.json");
    assert_eq!(soft.kind, Some(Kind::Delay));
    assert_eq!(soft.status.as_deref(), Some("4.7.0"));
    assert_eq!(label(&soft, "severity"), Some("temporary"));
    assert_ne!(action(&soft), Action::Suppress);

    assert_eq!(one("mailgun-delivered.json").kind, Some(Kind::Delivered));

    let listing = run(&["mailgun-events-api.json"]);
    assert_eq!((listing.summary.report, listing.summary.not_a_bounce), (1, 1));
    assert_eq!(listing.records[0].kind, Some(Kind::Complaint));
    assert_eq!(listing.records[0].recipient, "eva.lind@example.se");
}

#[test]
fn postmark_bounce_complaint_delivery_and_bounces_api() {
    let hard = one("postmark-bounce.json");
    assert_eq!(hard.format, "postmark-event");
    assert_eq!(hard.recipient, "noah.berg@gmail.example.com");
    assert_eq!(hard.kind, Some(Kind::Bounce));
    assert_eq!(hard.status.as_deref(), Some("5.1.1"), "read from Details");
    assert!(hard.diagnostic.as_deref().is_some_and(|d| d.starts_with("550 5.1.1 The email")));
    assert_eq!(label(&hard, "Type"), Some("HardBounce"));
    assert_eq!(label(&hard, "TypeCode"), Some("1"));
    assert_eq!(hard.timestamp.as_deref(), Some("2026-06-09T06:12:03Z"));
    assert_eq!(action(&hard), Action::Suppress, "{:?}", hard.verdict);

    let complaint = one("postmark-spam-complaint.json");
    assert_eq!(complaint.kind, Some(Kind::Complaint));
    assert_eq!(complaint.diagnostic, None, "Postmark's words are no SMTP reply");

    assert_eq!(one("postmark-delivery.json").kind, Some(Kind::Delivered));

    let listing = run(&["postmark-bounces-api.json"]);
    assert_eq!(listing.summary.bounce, 2);
    let soft = &listing.records[0];
    assert_eq!((soft.kind, label(soft, "Type")), (Some(Kind::Bounce), Some("SoftBounce")));
    assert_eq!(soft.status.as_deref(), Some("4.2.2"));
    assert_ne!(action(soft), Action::Suppress);
    let transient = &listing.records[1];
    assert_eq!(transient.kind, Some(Kind::Delay));
    assert_ne!(action(transient), Action::Suppress);
}

#[test]
fn sparkpost_message_and_feedback_events() {
    let run = run(&["sparkpost-webhook.json"]);
    let s = &run.summary;
    assert_eq!((s.messages, s.bounce, s.report, s.not_a_bounce), (6, 3, 2, 1));
    let bounce = &run.records[0];
    assert_eq!(bounce.format, "sparkpost-event");
    assert_eq!(bounce.recipient, "tomas.silva@example.pt");
    assert_eq!(bounce.kind, Some(Kind::Bounce));
    assert_eq!(bounce.status.as_deref(), Some("5.1.1"));
    assert_eq!(bounce.reply_code.as_deref(), Some("550"));
    assert!(bounce.diagnostic.as_deref().is_some_and(|d| d.contains("<tomas.silva@example.pt>")));
    assert_eq!(label(bounce, "bounce_class"), Some("10"));
    assert_eq!(label(bounce, "ip_pool"), Some("marketing"));
    assert_eq!(
        bounce.original.sending_ip.as_ref().map(|i| i.value.as_str()),
        Some("198.51.100.61")
    );
    assert_eq!(action(bounce), Action::Suppress, "{:?}", bounce.verdict);
    assert_eq!(run.records[1].kind, Some(Kind::Bounce), "out of band");
    let delay = &run.records[2];
    assert_eq!((delay.kind, delay.status.as_deref()), (Some(Kind::Delay), Some("4.7.0")));
    assert_ne!(action(delay), Action::Suppress);
    assert_eq!(run.records[3].kind, Some(Kind::Delivered));
    let complaint = &run.records[4];
    assert_eq!(
        (complaint.kind, complaint.feedback_type.as_deref()),
        (Some(Kind::Complaint), Some("abuse"))
    );
}

/// The records of one file, with its summary checked: `(messages, bounce, report,
/// not_a_bounce)`.
fn file(name: &str, buckets: (u64, u64, u64, u64)) -> Vec<Record> {
    let run = run(&[name]);
    let s = &run.summary;
    assert_eq!((s.messages, s.bounce, s.report, s.not_a_bounce), buckets, "{name}");
    assert!(run.problems.is_empty(), "{:?}", run.problems);
    run.records
}

/// A permanent user-unknown failure with the receiver's text: kind, status, the platform's
/// label, and suppression by the rules.
fn hard(record: &Record, format: &str, label_key: &str, label_value: &str) {
    assert_eq!(record.format, format);
    assert_eq!(record.kind, Some(Kind::Bounce), "{record:?}");
    assert_eq!(record.status.as_deref(), Some("5.1.1"), "{record:?}");
    assert!(record.diagnostic.as_deref().is_some_and(|d| d.contains("5.1.1")), "{record:?}");
    assert_eq!(label(record, label_key), Some(label_value), "{record:?}");
    assert_eq!(action(record), Action::Suppress, "{:?}", record.verdict);
}

#[test]
fn mailjet_bounce_blocked_spam_sent() {
    let records = file("mailjet-events.json", (5, 2, 2, 1));
    hard(&records[0], "mailjet-event", "error", "user unknown");
    assert_eq!(label(&records[0], "hard_bounce"), Some("true"));
    assert_eq!(records[1].diagnostic.as_deref(), Some("preblocked"));
    assert_ne!(action(&records[1]), Action::Suppress, "Mailjet's own word is no evidence");
    assert_eq!(records[2].kind, Some(Kind::Complaint));
    assert_eq!(records[3].kind, Some(Kind::Delivered));
}

#[test]
fn mandrill_form_encoded_body() {
    let records = file("mandrill-webhook.form", (7, 4, 2, 1));
    hard(&records[0], "mandrill-event", "bounce_description", "bad_mailbox");
    assert_eq!(records[0].recipient, "ravi.iyer@gmail.example.com");
    let soft = &records[1];
    assert_eq!(
        (soft.status.as_deref(), label(soft, "event")),
        (Some("5.2.2"), Some("soft_bounce"))
    );
    let deferral = &records[2];
    assert_eq!((deferral.kind, deferral.status.as_deref()), (Some(Kind::Delay), Some("4.3.0")));
    assert_eq!(
        deferral.original.sending_ip.as_ref().map(|i| i.value.as_str()),
        Some("198.51.100.88")
    );
    assert_ne!(action(deferral), Action::Suppress);
    assert_eq!(label(&records[3], "reject.reason"), Some("hard-bounce"));
    assert_eq!(records[4].kind, Some(Kind::Delivered));
    assert_eq!(records[5].kind, Some(Kind::Complaint));
}

#[test]
fn brevo_ndjson_events() {
    let records = file("brevo-events.ndjson", (6, 3, 2, 1));
    hard(&records[0], "brevo-event", "event", "hard_bounce");
    assert_eq!(
        records[0].original.message_id.as_deref(),
        Some("<202606090812.61234567890@smtp-relay.mailin.example>")
    );
    assert_eq!(records[0].timestamp.as_deref(), Some("2026-06-09T06:12:03Z"));
    assert_ne!(action(&records[1]), Action::Suppress, "a soft bounce with a 4xx");
    assert_eq!(records[2].kind, Some(Kind::Delay));
    assert_ne!(action(&records[2]), Action::Suppress);
}

#[test]
fn resend_bodies_one_after_the_other() {
    let records = file("resend-events.json", (5, 2, 2, 1));
    hard(&records[0], "resend-event", "bounce.type", "Permanent");
    assert_eq!(label(&records[0], "bounce.subType"), Some("General"));
    assert_eq!(records[1].kind, Some(Kind::Delay));
    assert_ne!(action(&records[1]), Action::Suppress);
    assert_eq!(records[2].kind, Some(Kind::Complaint));
    assert_eq!(records[3].kind, Some(Kind::Delivered));
}

#[test]
fn postal_failed_delayed_sent() {
    let records = file("postal-events.json", (4, 2, 1, 1));
    hard(&records[0], "postal-event", "status", "HardFail");
    assert_eq!(
        records[0].original.message_id.as_deref(),
        Some("ac1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f@rp.postal.example.com")
    );
    let delayed = &records[1];
    assert_eq!((delayed.kind, delayed.status.as_deref()), (Some(Kind::Delay), Some("4.7.1")));
    assert_ne!(action(delayed), Action::Suppress);
    assert_eq!(records[2].kind, Some(Kind::Delivered));
}
