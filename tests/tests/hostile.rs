//! A test archive mixing every hostile case the issue names, generated at test time: a 100 MB
//! line, 10,000 nested multiparts, a zip-bomb-like base64 part and a gzip bomb, 8-bit garbage
//! headers, spam pretending to be a bounce, a truncated DSN, and an mbox glued from LF and
//! CRLF parts. The run must not panic, must stay within the limits, and every message must be
//! counted in a bucket that adds up; the valid bounces between the hostile ones still make
//! their records.

#[path = "../fixtures/hostile/builders.rs"]
mod builders;

use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use bounce_engine::{ExtractOptions, Limits, ReadOptions};
use flate2::write::GzEncoder;
use flate2::Compression;

use builders::{
    append_message, base64, dsn, mbox, newsletter, prose_bounce, run_engine, RunResult,
};

/// The message size limit of the hostile runs.
const MAX_MESSAGE_BYTES: u64 = 16 << 20;

fn options() -> ReadOptions {
    ReadOptions {
        max_message_bytes: MAX_MESSAGE_BYTES,
        extract: ExtractOptions {
            limits: Limits { max_decoded_part: 1 << 20, ..Limits::default() },
            ..ExtractOptions::default()
        },
        window: 8,
        threads: Some(2),
        ..ReadOptions::default()
    }
}

/// A message whose body is one line of `len` bytes.
fn long_line(len: usize) -> Vec<u8> {
    let mut message = newsletter(100);
    message.extend(std::iter::repeat_n(b'a', len));
    message.push(b'\n');
    message
}

/// A DSN whose first header field is a folded line longer than the header-line limit.
fn long_header_line() -> Vec<u8> {
    let mut message = b"X-Long: start".to_vec();
    for _ in 0..40_000 {
        message.extend_from_slice(b"\n continued folded header text");
    }
    message.push(b'\n');
    message.extend(dsn("folded@example.org", "5.1.1", "550 unknown"));
    message
}

/// `depth` multiparts, each the only part of the one around it.
fn nested_multiparts(depth: usize) -> Vec<u8> {
    let mut message = String::from("From: MAILER-DAEMON@mx.example.net\nTo: a@example.com\n");
    message.push_str("Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n");
    for level in 0..depth {
        message.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"n{level}\"\n\n--n{level}\n"
        ));
    }
    message.push_str("Content-Type: text/plain\n\n550 5.1.1 <deep@example.org>: user unknown\n");
    for level in (0..depth).rev() {
        message.push_str(&format!("--n{level}--\n"));
    }
    message.into_bytes()
}

/// A DSN with a base64 text part that decodes to far more than the decoded-part limit.
fn base64_bomb() -> Vec<u8> {
    let decoded = vec![b'A'; 6 << 20];
    let mut message = String::from_utf8(dsn("bomb@example.org", "5.2.2", "552 5.2.2 mailbox full"))
        .expect("ascii");
    let part = format!(
        "--b-dsn\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: base64\n\n{}\n",
        base64(&decoded)
    );
    let first = message.find("--b-dsn\n").expect("a part");
    message.insert_str(first, &part);
    message.into_bytes()
}

/// A DSN with 8-bit garbage in its headers.
fn garbage_headers() -> Vec<u8> {
    let mut message = b"X-Garbage: \xff\xfe\x00\x80 \xc3\x28\nSubject: \xe9\xe8\xe7\n".to_vec();
    message.extend(dsn("garbage-headers@example.org", "5.1.1", "550 5.1.1 unknown"));
    message
}

/// Spam dressed as a bounce: a bounce subject, phishing prose, no delivery report, a real
/// sender instead of the null sender.
fn spam_pretending_to_bounce() -> Vec<u8> {
    b"Return-Path: <support@phish.example>\n\
      From: \"Mail Delivery Subsystem\" <support@phish.example>\n\
      To: victim@example.com\n\
      Subject: Undelivered Mail Returned to Sender\n\
      \n\
      Your mailbox is full and 3 messages could not be delivered.\n\
      Click here to release them: http://phish.example/login\n"
        .to_vec()
}

/// A DSN cut in the middle of its delivery-status part.
fn truncated_dsn() -> Vec<u8> {
    let full = dsn("truncated@example.org", "5.1.1", "550 5.1.1 unknown");
    let cut = full.windows(7).position(|w| w == b"Action:").expect("status fields");
    full[..cut].to_vec()
}

fn valid(n: usize) -> Vec<u8> {
    dsn(&format!("valid{n}@example.org"), "5.1.1", "550 5.1.1 user unknown")
}

/// Whether the run made a record for `recipient`.
fn has_record(result: &RunResult, recipient: &str) -> bool {
    result.records.iter().any(|r| r.recipient == recipient)
}

#[test]
fn hostile_archive_is_classified_and_adds_up() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temporary directory");

    // Part one, LF line ends, then part two glued on with CRLF line ends.
    let lf_part = [
        valid(1),
        long_line(100 << 20),
        valid(2),
        long_header_line(),
        nested_multiparts(10_000),
        valid(3),
        base64_bomb(),
        garbage_headers(),
        spam_pretending_to_bounce(),
        truncated_dsn(),
    ];
    let crlf_part = [
        valid(4),
        prose_bounce("prose@example.org", "", b"Sorry, no mailbox here by that name. (#5.1.1)"),
        newsletter(7),
        valid(5),
    ];
    let mut archive = mbox(&lf_part, false);
    for message in &crlf_part {
        append_message(&mut archive, message, true);
    }
    let archive_path = dir.path().join("hostile.mbox");
    std::fs::write(&archive_path, &archive).expect("archive written");
    drop(archive);

    // A gzip bomb: 200 MB of zeros in one message compress to a few hundred KB.
    let bomb_path = dir.path().join("bomb.mbox.gz");
    write_gzip_bomb(&bomb_path, 200 << 20);

    let result = run_engine(&[&archive_path, &bomb_path], &options());
    let written = (lf_part.len() + crlf_part.len() + 3) as u64;
    builders::assert_adds_up(&result.summary, written);
    assert!(result.summary.failed_inputs.is_empty(), "{:?}", result.summary.failed_inputs);

    for recipient in [
        "valid1@example.org",
        "valid2@example.org",
        "valid3@example.org",
        "valid4@example.org",
        "valid5@example.org",
        "prose@example.org",
        "after-bomb@example.org",
        "garbage-headers@example.org",
        "bomb@example.org",
    ] {
        assert!(has_record(&result, recipient), "no record for {recipient}: {:?}", result.summary);
    }
    assert!(!has_record(&result, "victim@example.com"), "spam made a record");
    assert!(!has_record(&result, "deep@example.org"), "the nesting limit was not applied");
    assert!(!has_record(&result, "folded@example.org"), "the header-line limit was not applied");

    // The oversize messages and refused structures are problems with a clear error.
    let errors: Vec<&str> = result.problems.iter().map(|(_, e)| e.as_str()).collect();
    assert!(errors.iter().filter(|e| e.contains("exceeds the limit")).count() >= 2, "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("nested deeper")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("header field of more than")), "{errors:?}");

    let elapsed = started.elapsed();
    assert!(elapsed.as_secs() < 60, "the hostile archive took {elapsed:?}");
}

/// Writes a gzip mbox: a message with a body of `zeros` zero bytes, then a valid DSN and a
/// newsletter after it (which must still be read).
fn write_gzip_bomb(path: &Path, zeros: usize) {
    let file = std::fs::File::create(path).expect("bomb created");
    let mut encoder = GzEncoder::new(file, Compression::fast());
    let mut head = Vec::new();
    append_message(&mut head, &newsletter(8), false);
    head.truncate(head.len() - 1);
    encoder.write_all(&head).expect("written");
    let zeros_block = vec![b'0'; 1 << 20];
    for _ in 0..zeros / zeros_block.len() {
        encoder.write_all(&zeros_block).expect("written");
    }
    let mut tail = b"\n\n".to_vec();
    append_message(&mut tail, &dsn("after-bomb@example.org", "5.1.1", "550 5.1.1 unknown"), false);
    append_message(&mut tail, &newsletter(9), false);
    encoder.write_all(&tail).expect("written");
    encoder.finish().expect("gzip finished");
}

#[test]
fn limits_refuse_with_a_clear_error_and_the_run_goes_on() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("limits.mbox");
    let many_headers: Vec<u8> = (0..3_000)
        .flat_map(|i| format!("X-H{i}: v\n").into_bytes())
        .chain(dsn("many@example.org", "5.1.1", "550 unknown"))
        .collect();
    std::fs::write(&path, mbox(&[many_headers, valid(6)], false)).expect("written");
    let result = run_engine(&[&path], &options());
    builders::assert_adds_up(&result.summary, 2);
    assert!(has_record(&result, "valid6@example.org"));
    assert!(!has_record(&result, "many@example.org"));
    assert_eq!(result.problems.len(), 1, "{:?}", result.problems);
    assert!(result.problems[0].1.contains("header fields"), "{:?}", result.problems);
}

/// A report with ten times the default `--max-recipients` recipients, and a Diagnostic-Code
/// ten times the default `--max-header-line`: the caps apply while the report is parsed, so
/// the records stop at the recipient cap, the long value is cut at the field cap, the problem
/// says both with the full count, and the valid bounce after it is still read.
#[test]
fn report_field_caps_apply_while_parsing_at_ten_times_the_defaults() {
    let limits = Limits::default();
    let recipients = limits.max_recipients * 10;
    let long = "x".repeat(limits.max_header_line * 10);
    let mut body = String::from("Reporting-MTA: dns; mx.example.net\n\n");
    body.push_str(&format!(
        "Final-Recipient: rfc822; long@example.org\nAction: failed\nStatus: 5.1.1\n\
         Diagnostic-Code: smtp; 550 5.1.1 {long}\n\n"
    ));
    for i in 1..recipients {
        body.push_str(&format!(
            "Final-Recipient: rfc822; r{i}@example.org\nAction: failed\nStatus: 5.1.1\n\n"
        ));
    }
    let report = format!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n\
         To: news@example.com\n\
         Subject: Undelivered Mail Returned to Sender\n\
         Message-ID: <many@mx.example.net>\n\
         MIME-Version: 1.0\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\
         \n\
         --b\n\
         Content-Type: message/delivery-status\n\
         \n\
         {body}\
         --b--\n"
    );
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("caps.mbox");
    std::fs::write(&path, mbox(&[report.into_bytes(), valid(7)], false)).expect("written");
    let options = ReadOptions {
        max_message_bytes: 256 << 20,
        extract: ExtractOptions { limits, ..ExtractOptions::default() },
        ..options()
    };
    let result = run_engine(&[&path], &options);
    builders::assert_adds_up(&result.summary, 2);
    assert!(has_record(&result, "valid7@example.org"));
    let kept = result.records.iter().filter(|r| r.recipient.ends_with("@example.org")).count();
    assert_eq!(kept, limits.max_recipients + 1, "the cap's recipients and the valid bounce");
    let long_record = result.records.iter().find(|r| r.recipient == "long@example.org");
    let diagnostic = long_record.and_then(|r| r.diagnostic.as_deref()).expect("a diagnostic");
    assert!(diagnostic.len() <= limits.max_header_line, "{} bytes", diagnostic.len());
    let problem = &result.problems.iter().find(|(n, _)| *n == 1).expect("a problem").1;
    assert!(problem.contains(&format!("{recipients} recipients")), "{problem}");
    assert!(problem.contains("--max-recipients") && problem.contains("--max-header-line"));
}
