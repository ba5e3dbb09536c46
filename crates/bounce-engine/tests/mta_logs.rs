//! MTA logs (Postfix, Exim, Sendmail) read as evidence: every delivery result is a record with the receiver's
//! own reply, the stage it answered, the relay and the joined envelope sender and Message-ID;
//! every other line lands in a bucket too, and a non-syslog line is named with its line.

use std::path::PathBuf;

use bounce_engine::{Output, Pipeline, ReadOptions};
use bounce_model::{Action, Kind, Record, Stage};

/// A file of `tests/fixtures/`.
fn fixture_named(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// The records of a fixture read alone, which must read without a problem, with its buckets
/// (messages, bounce, report, not-a-bounce) adding up to `buckets`.
fn read_clean(name: &str, buckets: (u64, u64, u64, u64)) -> Vec<Record> {
    let (records, problems, summary) =
        run(ReadOptions { inputs: vec![fixture_named(name)], ..ReadOptions::default() });
    assert!(summary.adds_up() && problems.is_empty(), "{problems:?}");
    assert_eq!((summary.messages, summary.bounce, summary.report, summary.not_a_bounce), buckets);
    records
}

fn fixture() -> PathBuf {
    fixture_named("postfix-maillog.log")
}

fn run(options: ReadOptions) -> (Vec<Record>, Vec<String>, bounce_model::Summary) {
    let pipeline = Pipeline::new(options).expect("built-in rules compile");
    let (mut records, mut problems) = (Vec::new(), Vec::new());
    let summary = pipeline.run(|output| {
        match output {
            Output::Record(record) => records.push(*record),
            Output::Problem(problem) => problems.push(problem.error),
            _ => {}
        }
        true
    });
    (records, problems, summary)
}

#[test]
fn postfix_log_rows_become_records_with_the_receivers_reply() {
    let options =
        ReadOptions { inputs: vec![fixture()], log_year: Some(2026), ..ReadOptions::default() };
    let (records, problems, summary) = run(options);
    assert!(summary.adds_up());
    assert_eq!(summary.messages, 14, "every non-blank line is one row");
    assert_eq!((summary.bounce, summary.report, summary.unparsed), (4, 1, 1));
    assert_eq!(summary.not_a_bounce, 8);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("line 12:"), "{problems:?}");

    let gmail = &records[0];
    assert_eq!(gmail.recipient, "sam.ortega@gmail.example.net");
    assert_eq!(gmail.format, "postfix-log");
    assert_eq!(gmail.kind, Some(Kind::Bounce));
    assert_eq!(gmail.status.as_deref(), Some("5.1.1"));
    assert_eq!(gmail.reply_code.as_deref(), Some("550"));
    assert_eq!(gmail.smtp_stage, Stage::Rcpt);
    assert!(gmail.diagnostic.as_deref().is_some_and(|d| d.starts_with("550-5.1.1 The email")));
    assert_eq!(gmail.remote_mta.as_deref(), Some("gmail-smtp-in.l.google.com"));
    assert_eq!(gmail.reporting_mta.as_deref(), Some("mta1"));
    assert_eq!(gmail.timestamp.as_deref(), Some("2026-06-09T06:12:03Z"));
    let text = std::fs::read_to_string(fixture()).expect("fixture");
    let line_start = text.find("Jun  9 06:12:03 mta1 postfix/smtp").expect("the line") as u64;
    assert_eq!(gmail.source.offset, line_start, "the byte offset of the delivery line");
    let sender = gmail.original.envelope_sender.as_ref().map(|s| s.value.as_str());
    assert_eq!(sender, Some("bounce+c2606a@bounces.example.com"));
    assert_eq!(
        gmail.original.message_id.as_deref(),
        Some("<c2606a-summer-sale.1@news.example.com>")
    );
    let verdict = gmail.verdict.as_ref().expect("classified");
    assert_eq!(verdict.action, Action::Suppress, "{verdict:?}");

    let outlook = &records[1];
    assert_eq!(outlook.kind, Some(Kind::Delay));
    assert_eq!(outlook.smtp_stage, Stage::Mail, "the reply answered MAIL FROM");
    assert_ne!(outlook.verdict.as_ref().map(|v| v.action), Some(Action::Suppress));

    let timeout = &records[2];
    assert_eq!(timeout.kind, Some(Kind::Delay));
    assert!(timeout.diagnostic.as_deref().is_some_and(|d| d.contains("Connection timed out")));
    assert_eq!(timeout.remote_mta, None, "relay=none names no receiver");

    assert_eq!(records[3].kind, Some(Kind::Delivered));
    assert_eq!(records[4].smtp_stage, Stage::EndOfData);
}

#[test]
fn bsd_timestamps_take_the_log_timezone() {
    let options = ReadOptions {
        inputs: vec![fixture()],
        log_year: Some(2026),
        log_timezone: Some("+02:00".to_owned()),
        ..ReadOptions::default()
    };
    let (records, _, _) = run(options);
    assert_eq!(records[0].timestamp.as_deref(), Some("2026-06-09T04:12:03Z"));
}

#[test]
fn exim_mainlog_failures_deferrals_and_deliveries() {
    let path = fixture_named("exim-mainlog.log");
    let (records, problems, summary) =
        run(ReadOptions { inputs: vec![path], ..ReadOptions::default() });
    assert!(summary.adds_up());
    assert_eq!((summary.messages, summary.bounce, summary.report), (8, 3, 1), "{summary:?}");
    assert_eq!(summary.not_a_bounce, 4, "arrivals, Completed, the queue run");
    assert!(problems.is_empty(), "{problems:?}");
    let relay = &records[0];
    assert_eq!(relay.format, "exim-log");
    assert_eq!(relay.recipient, "pat.lee@wingtip.example.org");
    assert_eq!(
        relay.diagnostic.as_deref(),
        Some("550 5.7.1 relaying denied for pat.lee@wingtip.example.org")
    );
    assert_eq!(relay.smtp_stage, Stage::Rcpt);
    assert_eq!(relay.remote_mta.as_deref(), Some("mail-old.wingtip.example.org"));
    assert_eq!(relay.timestamp.as_deref(), Some("2026-06-09T07:05:12Z"));
    let sender = relay.original.envelope_sender.as_ref().map(|s| s.value.as_str());
    assert_eq!(sender, Some("bounce+c2606a@bounces.example.com"));
    let deferred = &records[1];
    assert_eq!(deferred.kind, Some(Kind::Delay));
    assert_eq!(deferred.smtp_stage, Stage::Mail);
    assert!(deferred.diagnostic.as_deref().is_some_and(|d| d.starts_with("421 4.7.0 [TSS04]")));
    assert_eq!(deferred.verdict.as_ref().and_then(|v| v.provider.as_deref()), Some("outlook-com"));
    assert_eq!(records[2].kind, Some(Kind::Delivered));
    assert_eq!(records[3].diagnostic.as_deref(), Some("Unrouteable address"));
}

#[test]
fn sendmail_log_results() {
    let path = fixture_named("sendmail-maillog.log");
    let options =
        ReadOptions { inputs: vec![path], log_year: Some(2026), ..ReadOptions::default() };
    let (records, problems, summary) = run(options);
    assert!(summary.adds_up());
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!((summary.messages, summary.bounce, summary.report), (4, 2, 1));
    assert_eq!(records[0].format, "sendmail-log");
    assert_eq!(records[0].status.as_deref(), Some("5.1.1"));
    assert_eq!(records[0].remote_mta.as_deref(), Some("mx.example.edu"));
    assert_eq!(
        records[0].original.message_id.as_deref(),
        Some("<c2606a-summer-sale.4@news.example.com>")
    );
    assert_eq!(records[1].kind, Some(Kind::Delay));
    assert!(records[1].diagnostic.as_deref().is_some_and(|d| d.contains("Connection timed out")));
    assert_eq!(records[2].kind, Some(Kind::Delivered));
}

/// A Marketing Cloud `_Bounce` export (UTF-8 BOM, CRLF, quoted commas, US dates in Central
/// Standard Time): the SMTP text is the diagnostic, Marketing Cloud's labels are kept beside.
#[test]
fn sfmc_bounce_export_rows() {
    let path = fixture_named("sfmc-bounce.csv");
    let (records, problems, summary) =
        run(ReadOptions { inputs: vec![path], ..ReadOptions::default() });
    assert!(summary.adds_up());
    assert_eq!((summary.messages, summary.bounce, summary.bounce_no_recipient), (4, 3, 1));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("line 4:") && problems[0].contains("SubscriberKey"),
        "{problems:?}"
    );
    let blocked = &records[0];
    assert_eq!(blocked.format, "sfmc-bounce");
    assert_eq!(blocked.recipient, "ann.lee@outlook.example.org");
    assert_eq!(blocked.reply_code.as_deref(), Some("554"));
    assert_eq!(blocked.status.as_deref(), Some("5.7.1"));
    assert!(blocked
        .diagnostic
        .as_deref()
        .is_some_and(|d| d.contains("Client host [192.0.2.34] blocked")));
    assert_eq!(
        blocked.vendor_fields.get("BounceCategory").map(String::as_str),
        Some("Block bounce")
    );
    assert_eq!(blocked.vendor_fields.get("JobID").map(String::as_str), Some("4810"));
    assert_eq!(blocked.timestamp.as_deref(), Some("2026-06-09T12:12:03Z"), "CST is UTC-6");
    let verdict = blocked.verdict.as_ref().expect("classified");
    assert_ne!(verdict.action, Action::Suppress, "a block is about the sender: {verdict:?}");
    assert_eq!(records[1].verdict.as_ref().map(|v| v.action), Some(Action::Suppress));
    let text = std::fs::read_to_string(fixture_named("sfmc-bounce.csv")).expect("fixture");
    let row = text.find("4810,122,1,sam.ortega").expect("the row") as u64;
    assert_eq!(records[1].source.offset, row, "the byte offset of the row in a CRLF file");
    let full = &records[2];
    assert_eq!(full.kind, Some(Kind::Delay));
    assert_eq!(full.timestamp.as_deref(), Some("2026-06-09T19:40:00Z"));
    assert_ne!(full.verdict.as_ref().map(|v| v.action), Some(Action::Suppress));
    assert_eq!(
        full.vendor_fields.get("TriggeredSendCustomerKey").map(String::as_str),
        Some("welcome-series")
    );
}

/// The same export as TSV with LF line ends and another column order reads the same.
#[test]
fn sfmc_bounce_export_as_tsv_in_another_order() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("bounces.tsv");
    std::fs::write(
        &path,
        "SMTPCode\tSMTPBounceReason\tEventDate\tSubscriberKey\tBounceCategory\tJobID\n\
         550\tsmtp;550 5.1.1 <ana@example.com>: Recipient address rejected: User unknown\t2026-06-09 06:12:03.250\tana@example.com\tHard bounce\t77\n",
    )
    .expect("written");
    let (records, problems, summary) =
        run(ReadOptions { inputs: vec![path.clone()], ..ReadOptions::default() });
    assert!(problems.is_empty() && summary.adds_up(), "{problems:?}");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].recipient, "ana@example.com");
    assert_eq!(records[0].status.as_deref(), Some("5.1.1"));
    assert_eq!(records[0].timestamp.as_deref(), Some("2026-06-09T12:12:03Z"));
    let text = std::fs::read_to_string(&path).expect("read");
    assert_eq!(records[0].source.offset, text.find("550\t").expect("row") as u64);
}

/// A PowerMTA accounting file: bounces, transient failures and deliveries become records with
/// the sending IP PowerMTA states (certain, unlike a Received header); receipts are counted.
#[test]
fn powermta_accounting_rows() {
    let records = read_clean("powermta-acct.csv", (4, 2, 1, 1));
    let bounce = &records[0];
    assert_eq!(bounce.format, "powermta-acct");
    assert_eq!(
        (bounce.recipient.as_str(), bounce.status.as_deref()),
        ("lee@example.edu", Some("5.1.1"))
    );
    assert!(bounce
        .diagnostic
        .as_deref()
        .is_some_and(|d| d.starts_with("550 5.1.1 <lee@example.edu>")));
    assert_eq!(bounce.remote_mta.as_deref(), Some("mx.example.edu"));
    assert_eq!(bounce.timestamp.as_deref(), Some("2026-06-09T11:12:03Z"));
    let ip = bounce.original.sending_ip.as_ref().expect("the sending IP");
    assert_eq!((ip.value.as_str(), ip.uncertain), ("192.0.2.61", false));
    assert_eq!(bounce.vendor_fields.get("vmtaPool").map(String::as_str), Some("shared-pool"));
    assert_eq!(bounce.verdict.as_ref().map(|v| v.action), Some(Action::Suppress));
    let deferred = &records[1];
    assert_eq!(deferred.kind, Some(Kind::Delay));
    assert_ne!(deferred.verdict.as_ref().map(|v| v.action), Some(Action::Suppress));
    assert_eq!(records[2].kind, Some(Kind::Delivered));
}

/// KumoMTA log records: the reply with its enhanced code and the command it answered, the
/// receiving host, the egress pool; receptions are counted, not records.
#[test]
fn kumomta_log_records() {
    let records = read_clean("kumomta.log", (4, 2, 1, 1));
    let bounce = &records[0];
    assert_eq!(bounce.format, "kumomta-log");
    assert_eq!(
        (bounce.status.as_deref(), bounce.reply_code.as_deref()),
        (Some("5.1.1"), Some("550"))
    );
    assert!(bounce
        .diagnostic
        .as_deref()
        .is_some_and(|d| d.starts_with("550 5.1.1 The email account")));
    assert_eq!(bounce.smtp_stage, Stage::Rcpt);
    assert_eq!(bounce.remote_mta.as_deref(), Some("gmail-smtp-in.l.google.com"));
    assert_eq!(
        bounce.original.message_id.as_deref(),
        Some("<c2606a-summer-sale.7@news.example.com>")
    );
    assert_eq!(bounce.vendor_fields.get("egress_pool").map(String::as_str), Some("pool-a"));
    assert_eq!(bounce.timestamp.as_deref(), Some("2026-06-09T06:12:03Z"));
    assert_eq!(bounce.verdict.as_ref().map(|v| v.action), Some(Action::Suppress));
    let deferred = &records[1];
    assert_eq!((deferred.kind, deferred.smtp_stage), (Some(Kind::Delay), Stage::Mail));
    assert_ne!(deferred.verdict.as_ref().map(|v| v.action), Some(Action::Suppress));
    assert_eq!(records[2].smtp_stage, Stage::EndOfData);
}

/// An Exchange message tracking log: `#` comments, the `#Fields:` header, FAIL / DEFER / SEND
/// results with Exchange Online's bracketed status; RECEIVE and DSN events are counted.
#[test]
fn exchange_message_tracking_log() {
    let path = fixture_named("exchange-msgtrk.log");
    let (records, problems, summary) =
        run(ReadOptions { inputs: vec![path.clone()], ..ReadOptions::default() });
    assert!(summary.adds_up() && problems.is_empty(), "{problems:?}");
    assert_eq!(
        (summary.messages, summary.bounce, summary.report, summary.not_a_bounce),
        (5, 2, 1, 2)
    );
    let fail = &records[0];
    assert_eq!(fail.format, "exchange-tracking");
    assert_eq!(fail.recipient, "lee@example.edu");
    assert_eq!(
        fail.diagnostic.as_deref(),
        Some("550 5.1.1 <lee@example.edu>: Recipient address rejected: User unknown")
    );
    assert_eq!(fail.remote_mta.as_deref(), Some("mx.example.edu"));
    assert_eq!(fail.timestamp.as_deref(), Some("2026-06-09T06:12:03Z"));
    assert_eq!(
        fail.original.message_id.as_deref(),
        Some("<c2606a-summer-sale.9@news.example.com>")
    );
    assert_eq!(fail.verdict.as_ref().map(|v| v.action), Some(Action::Suppress));
    assert_eq!(records[1].kind, Some(Kind::Delay));
    assert_ne!(records[1].verdict.as_ref().map(|v| v.action), Some(Action::Suppress));
    assert_eq!(records[2].kind, Some(Kind::Delivered));
    let text = std::fs::read_to_string(&path).expect("fixture");
    let row = text.find("2026-06-09T06:12:03.450Z").expect("the row") as u64;
    assert_eq!(fail.source.offset, row, "the byte offset of the row");
}

/// A swaks transcript: each reply answers the last command (multi-line replies joined): a
/// 5xx to RCPT is a failure of that recipient, a 4xx a delay, a rejection after the final dot
/// a failure of every accepted recipient.
#[test]
fn smtp_transcript_replies_answer_their_commands() {
    let path = fixture_named("swaks-session.txt");
    let (records, problems, summary) =
        run(ReadOptions { inputs: vec![path], ..ReadOptions::default() });
    assert!(summary.adds_up() && problems.is_empty(), "{problems:?}");
    assert_eq!((summary.messages, summary.bounce), (1, 1));
    let found: Vec<(&str, Stage, Option<Kind>)> =
        records.iter().map(|r| (r.recipient.as_str(), r.smtp_stage, r.kind)).collect();
    assert_eq!(
        found,
        [
            ("lee@example.edu", Stage::Rcpt, Some(Kind::Bounce)),
            ("chris@example.edu", Stage::Rcpt, Some(Kind::Delay)),
            ("dana@example.edu", Stage::EndOfData, Some(Kind::Bounce)),
        ]
    );
    assert_eq!(
        records[0].diagnostic.as_deref(),
        Some("550-5.1.1 <lee@example.edu>: Recipient address rejected: 550 5.1.1 User unknown in local recipient table")
    );
    assert_eq!(records[0].remote_mta.as_deref(), Some("mx.example.edu"));
    assert_eq!(records[0].verdict.as_ref().map(|v| v.action), Some(Action::Suppress));
    assert_ne!(
        records[2].verdict.as_ref().map(|v| v.action),
        Some(Action::Suppress),
        "content is not the address"
    );
}

/// `--join`: a `_Subscribers` export gives the address of a row whose SubscriberKey is not one.
#[test]
fn sfmc_rows_take_their_address_from_a_subscribers_export() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let subscribers = dir.path().join("subscribers.csv");
    std::fs::write(
        &subscribers,
        "SubscriberKey,EmailAddress,Status\r\n0038000000AbCdE,Robin@Example.com,active\r\n",
    )
    .expect("written");
    let join = bounce_engine::source::SubscriberJoin::load(&subscribers).expect("loads");
    assert_eq!(join.len(), 1);
    let path = fixture_named("sfmc-bounce.csv");
    let options = ReadOptions {
        inputs: vec![path],
        join: Some(std::sync::Arc::new(join)),
        ..ReadOptions::default()
    };
    let (records, problems, summary) = run(options);
    assert!(summary.adds_up() && problems.is_empty(), "{problems:?}");
    assert_eq!((summary.bounce, summary.bounce_no_recipient), (4, 0));
    let joined =
        records.iter().find(|r| r.recipient == "robin@example.com").expect("the joined row");
    assert_eq!(joined.kind, Some(Kind::Delay), "its 452 is a delay");
    // A `_Sent` export as a TSV with a BOM, the columns in another order.
    let sent = dir.path().join("sent.tsv");
    std::fs::write(
        &sent,
        "\u{feff}JobID\tEmailAddress\tSubscriberKey\r\n41\tkai@example.org\t0038000000XyZ\r\n",
    )
    .expect("written");
    let join = bounce_engine::source::SubscriberJoin::load(&sent).expect("loads");
    assert_eq!(join.address(" 0038000000XyZ "), Some("kai@example.org"));
    assert_eq!(join.address("0038000000AbCdE"), None);
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "Key,Mail\nx,y@example.com\n").expect("written");
    let error = bounce_engine::source::SubscriberJoin::load(&bad).unwrap_err();
    assert!(error.contains("SubscriberKey and EmailAddress"), "{error}");
}

/// A pipelined session (RFC 2920): the client sends MAIL, both RCPTs and DATA at once and the
/// replies come back in order, each answering its own command.
#[test]
fn a_pipelined_transcript_pairs_replies_in_order() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("pipelined.txt");
    std::fs::write(
        &path,
        "<-  220 mx.example.org ESMTP\n -> EHLO app1.example.com\n<-  250-mx.example.org\n<-  250 PIPELINING\n\
          -> MAIL FROM:<bounce@example.com>\n -> RCPT TO:<gone@example.org>\n -> RCPT TO:<here@example.org>\n -> DATA\n\
         <-  250 2.1.0 Ok\n<** 550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown\n<-  250 2.1.5 Ok\n\
         <-  354 End data with <CR><LF>.<CR><LF>\n -> Subject: hello\n -> \n -> .\n<-  250 2.0.0 Ok: queued as 4Yx9\n -> QUIT\n<-  221 Bye\n",
    )
    .expect("written");
    let (records, problems, summary) =
        run(ReadOptions { inputs: vec![path], ..ReadOptions::default() });
    assert!(summary.adds_up() && problems.is_empty(), "{problems:?}");
    let found: Vec<(&str, Stage, Option<Kind>)> =
        records.iter().map(|r| (r.recipient.as_str(), r.smtp_stage, r.kind)).collect();
    assert_eq!(
        found,
        [
            ("gone@example.org", Stage::Rcpt, Some(Kind::Bounce)),
            ("here@example.org", Stage::EndOfData, Some(Kind::Delivered)),
        ]
    );
}
