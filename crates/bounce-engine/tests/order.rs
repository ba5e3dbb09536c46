//! The output of a run does not depend on the thread count, and the counts add up.

use std::io::Write;

use std::path::Path;

use bounce_engine::{Output, Pipeline, ReadOptions};

/// Writes an mbox of `n` messages cycling through a DSN, a prose bounce, a delay, an ARF
/// complaint, an auto-reply and a plain message, each with its own addresses and ids.
fn archive(n: usize) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    for i in 0..n {
        let day = 1 + i % 28;
        let hour = i % 24;
        let user = format!("user{i}@example{}.net", i % 7);
        let head = format!(
            "From MAILER-DAEMON Mon Jun {day:2} {hour:02}:00:00 2026\nDate: Mon, {day} Jun 2026 {hour:02}:00:00 +0000\nMessage-ID: <b{i}@mta.example.com>\n"
        );
        let body = match i % 6 {
            0 => format!(
                "From: MAILER-DAEMON@mta.example.com\nSubject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B{i}\"\n\n--B{i}\nContent-Type: text/plain\n\nfailed\n\n--B{i}\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mta.example.com\n\nFinal-Recipient: rfc822; {user}\nAction: failed\nStatus: 5.1.1\nRemote-MTA: dns; mx.example.net\nDiagnostic-Code: smtp; 550 5.1.1 <{user}>: user unknown\n\nFinal-Recipient: rfc822; second{i}@example.org\nAction: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2 mailbox full\n\n--B{i}\nContent-Type: text/rfc822-headers\n\nMessage-ID: <orig{i}@news.example.com>\nFrom: news@example.com\nTo: {user}\n\n--B{i}--\n"
            ),
            1 => format!(
                "From: MAILER-DAEMON@qmail.example.org\nSubject: failure notice\n\nHi. This is the qmail-send program at qmail.example.org.\nI'm afraid I wasn't able to deliver your message to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n<{user}>:\nRemote host said: 550 5.7.1 Service unavailable; client [203.0.113.{}] blocked using zen.spamhaus.org\n", i % 250
            ),
            2 => format!(
                "From: MAILER-DAEMON@mta.example.com\nSubject: Delayed Mail (still being retried)\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"D{i}\"\n\n--D{i}\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mta.example.com\n\nFinal-Recipient: rfc822; {user}\nAction: delayed\nStatus: 4.7.0\nDiagnostic-Code: smtp; 421 4.7.0 Try again later, too many connections\n\n--D{i}--\n"
            ),
            3 => format!(
                "From: feedback@fbl.example.net\nSubject: complaint\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"F{i}\"\n\n--F{i}\nContent-Type: text/plain\n\nThis is an abuse report.\n\n--F{i}\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: fbl/1.0\nVersion: 1\nOriginal-Rcpt-To: {user}\n\n--F{i}\nContent-Type: text/rfc822-headers\n\nMessage-ID: <orig{i}@news.example.com>\nFrom: news@example.com\nTo: {user}\n\n--F{i}--\n"
            ),
            4 => format!(
                "From: {user}\nTo: news@example.com\nSubject: Out of office: June news\nAuto-Submitted: auto-replied\n\nI am away until the {day}th.\n"
            ),
            _ => format!("From: {user}\nTo: news@example.com\nSubject: Re: June news {i}\n\nThanks!\n"),
        };
        writeln!(file, "{head}{body}").expect("write");
    }
    file.flush().expect("flush");
    file
}

fn collect(file: &Path, threads: usize) -> (Vec<String>, bounce_model::Summary) {
    let options = ReadOptions {
        inputs: vec![file.to_path_buf()],
        threads: Some(threads),
        window: 7,
        ..ReadOptions::default()
    };
    let pipeline = Pipeline::new(options).expect("built-in rules compile");
    let mut out = Vec::new();
    let summary = pipeline.run(|item| {
        match item {
            Output::Record(r) => out.push(serde_json::to_string(&r).expect("json")),
            Output::Problem(p) => out.push(format!("problem {p:?}")),
            _ => {}
        }
        true
    });
    (out, summary)
}

#[test]
fn one_and_four_threads_give_the_same_records_in_the_same_order() {
    let file = archive(200);
    let (one, summary_one) = collect(file.path(), 1);
    let (four, summary_four) = collect(file.path(), 4);
    assert_eq!(summary_one.messages, 200);
    assert!(summary_one.adds_up());
    assert_eq!(summary_one, summary_four);
    assert!(one.len() > 150, "expected many records, got {}", one.len());
    assert_eq!(one, four);
    let first_ids: Vec<u64> = one
        .iter()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|v| v["source"]["message"].as_u64())
        .collect();
    assert!(first_ids.windows(2).all(|w| w[0] <= w[1]), "records follow message order");
}

#[test]
fn a_stopping_sink_ends_the_run_early() {
    let file = archive(50);
    let mut seen = 0;
    let options = ReadOptions {
        inputs: vec![file.path().to_path_buf()],
        threads: Some(2),
        window: 5,
        ..ReadOptions::default()
    };
    let pipeline = Pipeline::new(options).expect("built-in rules compile");
    let _ = pipeline.run(|item| {
        if matches!(item, Output::Opened { .. }) {
            return true;
        }
        seen += 1;
        seen < 3
    });
    assert_eq!(seen, 3);
}

/// A record's JSON line, as a sink that writes JSON lines encodes it.
fn json_line(record: &bounce_model::Record, out: &mut Vec<u8>) -> bool {
    serde_json::to_writer(out, record).is_ok()
}

/// The records a run hands out under a category filter, as JSON lines: encoded by the
/// workers, either beside each record or (without `keep_records`) as lines alone.
fn filtered_lines(file: &Path, threads: usize, keep_records: bool) -> (String, u64, u64) {
    let filter = bounce_engine::RecordFilter::new(&[], &["invalid-recipient".into()], None, None)
        .expect("a known category");
    let options = ReadOptions {
        inputs: vec![file.to_path_buf()],
        threads: Some(threads),
        window: 7,
        filter,
        encode: Some(json_line),
        keep_records,
        ..ReadOptions::default()
    };
    let pipeline = Pipeline::new(options).expect("built-in rules compile");
    let (mut text, mut handed_out) = (String::new(), 0);
    let summary = pipeline.run(|item| {
        match item {
            Output::Encoded { encoded, .. } => {
                text.push_str(std::str::from_utf8(&encoded).expect("UTF-8"));
                text.push('\n');
                handed_out += 1;
            }
            Output::Lines { records, lines } => {
                text.push_str(std::str::from_utf8(&lines).expect("UTF-8"));
                handed_out += records as u64;
            }
            Output::Record(_) => panic!("a record without its encoding"),
            _ => {}
        }
        true
    });
    (text, handed_out, summary.records)
}

#[test]
fn records_handed_out_as_lines_are_the_records_the_filter_keeps_in_order() {
    let file = archive(120);
    let (with_records, kept, read) = filtered_lines(file.path(), 1, true);
    assert!(kept >= 20 && kept < read, "the filter keeps some: {kept} of {read}");
    for threads in [1, 4] {
        let (lines, lines_kept, lines_read) = filtered_lines(file.path(), threads, false);
        assert_eq!(lines, with_records, "{threads} threads");
        assert_eq!((lines_kept, lines_read), (kept, read), "{threads} threads");
    }
    assert_eq!(with_records.lines().count() as u64, kept);
    assert!(with_records.lines().all(|l| l.contains("\"category\":\"invalid-recipient\"")));
}
