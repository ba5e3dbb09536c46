//! Per-message limits: a message over a limit is refused with a clear error naming the limit.

use bounce_mail::extract::{extract, ExtractOptions, Limits};
use bounce_model::{Bucket, Source};

fn nested(depth: usize) -> Vec<u8> {
    let mut s = String::from("From: a@example.com\nTo: b@example.com\nSubject: nest\n");
    s.push_str("Content-Type: multipart/mixed; boundary=\"b0\"\n\n");
    for i in 1..depth {
        s.push_str(&format!("--b{}\nContent-Type: multipart/mixed; boundary=\"b{i}\"\n\n", i - 1));
    }
    s.push_str(&format!("--b{}\nContent-Type: text/plain\n\nhello\n", depth - 1));
    for i in (0..depth).rev() {
        s.push_str(&format!("--b{i}--\n"));
    }
    s.into_bytes()
}

fn options(limits: Limits) -> ExtractOptions {
    ExtractOptions { limits, ..ExtractOptions::default() }
}

#[test]
fn deep_mime_nesting_is_refused_with_the_limit_named() {
    let ex = extract(&nested(10_000), &Source::default(), &ExtractOptions::default());
    assert_eq!(ex.bucket, Bucket::Unparsed);
    assert!(
        ex.problem.as_deref().is_some_and(|p| p.contains("--max-mime-depth")),
        "{:?}",
        ex.problem
    );
    let shallow = extract(&nested(5), &Source::default(), &ExtractOptions::default());
    assert_eq!(shallow.bucket, Bucket::NotABounce);
}

#[test]
fn header_flood_is_refused() {
    let mut msg = String::from("From: a@example.com\n");
    for i in 0..50 {
        msg.push_str(&format!("X-Junk-{i}: {i}\n"));
    }
    msg.push_str("\nbody\n");
    let ex = extract(
        msg.as_bytes(),
        &Source::default(),
        &options(Limits { max_header_count: 20, ..Limits::default() }),
    );
    assert_eq!(ex.bucket, Bucket::Unparsed);
    assert!(ex.problem.as_deref().is_some_and(|p| p.contains("--max-header-count")));
}

#[test]
fn recipients_beyond_the_limit_are_dropped_with_a_warning() {
    let mut dsn = String::from(
        "From: MAILER-DAEMON@mx.example.net\nTo: s@example.com\nSubject: Undelivered Mail Returned to Sender\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\n\
         Content-Type: text/plain\n\nfailed\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n",
    );
    for i in 0..30 {
        dsn.push_str(&format!(
            "\nFinal-Recipient: rfc822; user{i}@example.org\nAction: failed\nStatus: 5.1.1\n"
        ));
    }
    dsn.push_str("\n--B--\n");
    let ex = extract(
        dsn.as_bytes(),
        &Source::default(),
        &options(Limits { max_recipients: 10, ..Limits::default() }),
    );
    assert_eq!(ex.bucket, Bucket::Bounce);
    assert_eq!(ex.records.len(), 10);
    assert!(ex.problem.as_deref().is_some_and(|p| p.contains("30 recipients")));
}

#[test]
fn a_huge_text_part_is_cut_not_fatal() {
    let mut msg = String::from(
        "From: MAILER-DAEMON@mx.example.net\nTo: s@example.com\nSubject: Undelivered Mail Returned to Sender\n\n<x@example.org>: host mx.example.org[192.0.2.1] said: 550 5.1.1 no such user\n\n",
    );
    msg.push_str(&"filler line of text\n".repeat(200_000));
    let ex = extract(
        msg.as_bytes(),
        &Source::default(),
        &options(Limits { max_decoded_part: 1 << 16, ..Limits::default() }),
    );
    assert_eq!(ex.bucket, Bucket::Bounce);
    assert_eq!(ex.records[0].status.as_deref(), Some("5.1.1"));
}
