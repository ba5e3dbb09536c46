//! End-to-end tests of `bounce-triage classify` on small archives written here.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

const POSTFIX_DSN: &str = "From MAILER-DAEMON Thu Jun 11 10:00:00 2026
Return-Path: <>
From: MAILER-DAEMON@mta1.example.com (Mail Delivery System)
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
Arrival-Date: Thu, 11 Jun 2026 09:59:58 +0200

Final-Recipient: rfc822; ann@example.net
Original-Recipient: rfc822;ann@example.net
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 550 5.1.1 <ann@example.net>: Recipient address rejected:
    User unknown

--B1
Content-Type: text/rfc822-headers

Return-Path: <bounces@news.example.com>
Received: from app1.example.com (app1.example.com [198.51.100.7])
\tby mta1.example.com (Postfix) with ESMTPS id AB12; Thu, 11 Jun 2026 09:59:58 +0200
Message-ID: <campaign-42@news.example.com>
From: News <news@example.com>
To: ann@example.net
Subject: June news
X-Campaign-ID: june-2026

--B1--

From MAILER-DAEMON Thu Jun 11 11:00:00 2026
From: MAILER-DAEMON@qmail.example.org
Subject: failure notice
To: news@example.com
Date: Thu, 11 Jun 2026 11:00:00 +0000

Hi. This is the qmail-send program at qmail.example.org.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<bob@example.org>:
203.0.113.5 does not like recipient.
Remote host said: 552 5.2.2 Mailbox full
Giving up on 203.0.113.5.

--- Below this line is a copy of the message.

Return-Path: <news@example.com>
Message-ID: <m2@example.com>
From: news@example.com
To: bob@example.org
Subject: hello

>From here on, nothing matters.

From alice@example.com Thu Jun 11 12:00:00 2026
From: Alice <alice@example.com>
To: Bob <bob@example.com>
Subject: lunch?
Date: Thu, 11 Jun 2026 12:00:00 +0000

See you at noon.
";

fn classify(input: &str, extra: &[&str]) -> (Vec<Value>, String, i32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bounce-triage"))
        .arg("classify")
        .arg("-")
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    let out = child.wait_with_output().expect("binary finishes");
    let records = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    (records, String::from_utf8_lossy(&out.stderr).into_owned(), out.status.code().unwrap_or(-1))
}

#[test]
fn dsn_prose_and_non_bounce_from_stdin() {
    let (records, stderr, code) = classify(POSTFIX_DSN, &["--capture-header", "X-Campaign-ID"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(records.len(), 2, "{records:?}");
    let ann = &records[0];
    assert_eq!(ann["recipient"], "ann@example.net");
    assert_eq!(ann["status"], "5.1.1");
    assert_eq!(ann["reply_code"], "550");
    assert_eq!(ann["smtp_stage"], "rcpt");
    assert_eq!(ann["remote_mta"], "mx.example.net");
    assert_eq!(ann["source"]["message"], 1);
    assert_eq!(ann["source"]["offset"], 0);
    assert_eq!(
        ann["diagnostic"],
        "550 5.1.1 <ann@example.net>: Recipient address rejected: User unknown"
    );
    assert_eq!(ann["original"]["message_id"], "<campaign-42@news.example.com>");
    assert_eq!(ann["original"]["captured"]["x-campaign-id"], "june-2026");
    let bob = &records[1];
    assert_eq!(bob["recipient"], "bob@example.org");
    assert_eq!(bob["status"], "5.2.2");
    assert_eq!(bob["format"], "qmail");
    assert_eq!(bob["source"]["message"], 2);
    assert!(
        stderr.contains(
            "messages 3: bounce 2, report 0, bounce-no-recipient 0, not-a-bounce 1, unparsed 0"
        ),
        "{stderr}"
    );
}

#[test]
fn crlf_and_cr_only_archives_give_the_same_records() {
    let (lf, _, _) = classify(POSTFIX_DSN, &[]);
    let (crlf, _, _) = classify(&POSTFIX_DSN.replace('\n', "\r\n"), &[]);
    let (cr, _, _) = classify(&POSTFIX_DSN.replace('\n', "\r"), &[]);
    let key = |v: &Vec<Value>| -> Vec<(String, String)> {
        v.iter().map(|r| (r["recipient"].to_string(), r["status"].to_string())).collect()
    };
    assert_eq!(key(&lf), key(&crlf));
    assert_eq!(key(&lf), key(&cr));
}

/// A single input that cannot be read is an error (exit 1, nothing done) naming the path;
/// the output file is left alone and no summary is printed.
#[test]
fn a_single_unreadable_input_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("records.jsonl");
    let output = Command::new(env!("CARGO_BIN_EXE_bounce-triage"))
        .args(["classify", "/nonexistent/archive.mbox", "-o", out.to_str().expect("utf-8")])
        .output()
        .expect("binary runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr,
        "error: cannot access /nonexistent/archive.mbox: No such file or directory (os error 2)\n"
    );
    assert!(!out.exists(), "nothing was done, so nothing was written");
}

/// Several inputs of which some were read: a partial run (exit 3), the unreadable ones named
/// before the summary.
#[test]
fn several_inputs_with_one_unreadable_are_a_partial_run() {
    let dir = tempfile::tempdir().expect("dir");
    let mbox = dir.path().join("bounces.mbox");
    std::fs::write(&mbox, POSTFIX_DSN).expect("write the archive");
    let output = Command::new(env!("CARGO_BIN_EXE_bounce-triage"))
        .args(["classify", "/nonexistent/archive.mbox", mbox.to_str().expect("utf-8")])
        .output()
        .expect("binary runs");
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let error = stderr.find("error: cannot access /nonexistent/archive.mbox").expect("named");
    let summary = stderr.find("messages 3:").expect("the summary");
    assert!(error < summary, "the error comes before the summary: {stderr}");
}

/// `-o` and `--summary` naming a pipe (or `/dev/null`) write into it: the path is never
/// replaced by a regular file, which would turn `-o /dev/null` into a file that later
/// programs read back.
#[cfg(unix)]
#[test]
fn output_to_a_pipe_writes_into_it_and_keeps_it_a_pipe() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().expect("dir");
    let fifo = dir.path().join("records.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    let reader_path = fifo.clone();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let text = std::fs::read_to_string(&reader_path).unwrap_or_default();
        let _ = sender.send(text);
    });
    let fifo_arg = fifo.to_str().expect("utf-8 path");
    let (records, stderr, code) = classify(POSTFIX_DSN, &["-o", fifo_arg, "--format", "jsonl"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(records.is_empty(), "records go to the pipe, not stdout");
    let written = receiver
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the pipe received the records");
    assert!(written.lines().any(|l| l.contains("\"ann@example.net\"")), "{written}");
    let kind = std::fs::metadata(&fifo).expect("still there").file_type();
    assert!(kind.is_fifo(), "the pipe was replaced by a regular file");
}
