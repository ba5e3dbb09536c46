//! Where the product contradicted the triage guide (issue 11, item 8), one test each, through
//! the whole pipeline: a bounce as an MTA writes it, extracted, classified and bounded.

use std::io::Write as _;

use bounce_engine::{Output, Pipeline, ReadOptions};
use bounce_model::{Action, Reason, Record};

/// A Postfix DSN for one recipient with the given status and diagnostic.
fn postfix_dsn(recipient: &str, status: &str, diagnostic: &str) -> String {
    format!(
        "From: MAILER-DAEMON@mta1.example.com (Mail Delivery System)
To: news@example.com
Subject: Undelivered Mail Returned to Sender
Date: Thu, 11 Jun 2026 10:00:00 +0000
Message-Id: <20260611100000.AB12@mta1.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B1\"

--B1
Content-Type: text/plain

This is the mail system at host mta1.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{recipient}>: host mx.example.net[198.51.100.7] said: {diagnostic}

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mta1.example.com

Final-Recipient: rfc822; {recipient}
Action: failed
Status: {status}
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; {diagnostic}

--B1
Content-Type: text/rfc822-headers

Return-Path: <bounces@news.example.com>
Received: from app7.internal.example.com (app7.internal.example.com [192.0.2.34])
\tby mta1.example.com (Postfix) with ESMTP id AB12
\tfor <{recipient}>; Thu, 11 Jun 2026 09:59:58 +0000 (UTC)
From: news@example.com
To: {recipient}
Subject: June news
Message-ID: <orig1@news.example.com>

--B1--
"
    )
}

/// Runs the pipeline with the built-in rules over one message; returns its records.
fn classify(message: &str) -> Vec<Record> {
    let mut file = tempfile::Builder::new().suffix(".eml").tempfile().expect("a temp file");
    file.write_all(message.as_bytes()).expect("write");
    let options = ReadOptions { inputs: vec![file.path().to_path_buf()], ..ReadOptions::default() };
    let pipeline = Pipeline::new(options).expect("the built-in rules compile");
    let mut records = Vec::new();
    pipeline.run(|output| {
        if let Output::Record(record) = output {
            records.push(*record);
        }
        true
    });
    assert_eq!(records.len(), 1, "one recipient: {records:#?}");
    records
}

fn action(record: &Record) -> Action {
    record.verdict.as_ref().expect("a verdict").action
}

#[test]
fn stock_mailbox_unavailable_with_a_policy_status_is_never_suppressed() {
    let text =
        "550 5.7.1 Requested action not taken: mailbox unavailable (in reply to RCPT TO command)";
    let records = classify(&postfix_dsn("d.fischer@example.net", "5.7.1", text));
    assert_ne!(records[0].reason(), Some(Reason::UserUnknown));
    assert_eq!(action(&records[0]), Action::Review);
}

#[test]
fn invalid_domain_at_mail_from_is_a_sender_refusal_not_a_dead_recipient_domain() {
    let text = "550 Invalid Domain [smtp-12.example.it; VIR_420] (in reply to MAIL FROM command)";
    let records = classify(&postfix_dsn("g.rossi@example.it", "5.0.0", text));
    assert_eq!(records[0].reason(), Some(Reason::Rejected));
    assert!(!matches!(action(&records[0]), Action::Suppress | Action::SuppressAfterConfirmation));
}

#[test]
fn delivery_not_authorized_outside_microsoft_is_a_policy_refusal_not_a_login_problem() {
    let text = "550 5.7.1 <reception@example.com>... Delivery not authorized, message refused";
    let records = classify(&postfix_dsn("reception@example.com", "5.7.1", text));
    assert_ne!(records[0].reason(), Some(Reason::SecurityError));
    assert_ne!(action(&records[0]), Action::FixCredentials);
}

#[test]
fn transaction_failed_alone_is_reviewed_not_retried_as_transport() {
    let records = classify(&postfix_dsn("a.haddad@example.com", "5.0.0", "554 Transaction failed"));
    assert_eq!(action(&records[0]), Action::Review);
    assert_ne!(records[0].reason(), Some(Reason::SystemError));
}

#[test]
fn a_sender_domain_dns_failure_asks_to_repair_the_sending_path() {
    let text = "553 5.1.8 <bounces@news.example.com>: Sender address rejected: Domain not found (in reply to MAIL FROM command)";
    let records = classify(&postfix_dsn("maria.lopez@example.net", "5.1.8", text));
    assert_eq!(records[0].reason(), Some(Reason::Rejected));
    assert_eq!(action(&records[0]), Action::RepairSendingPath);
}

#[test]
fn the_sending_ip_is_the_one_the_receiver_names_not_the_senders_app_hop() {
    let text = "550 5.7.1 Unfortunately, messages from [203.0.113.11] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).";
    let records = classify(&postfix_dsn("a.kowalski@hotmail.example.net", "5.7.1", text));
    let ip = records[0].original.sending_ip.as_ref().expect("a sending IP");
    assert_eq!(ip.value, "203.0.113.11");
    assert_eq!(ip.source, "the receiver's reply");
    assert!(!ip.uncertain);
}

#[test]
fn exim_names_the_remote_mta_on_the_host_line() {
    let message = "From: Mail Delivery System <Mailer-Daemon@mx1.example.com>
To: news@example.com
Subject: Mail delivery failed: returning message to sender
Date: Thu, 11 Jun 2026 10:00:00 +0000
Message-Id: <E1abc-0001@mx1.example.com>
X-Failed-Recipients: h.baker@example.net

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  h.baker@example.net
    host mx2.example.net [198.51.100.61]
    SMTP error from remote mail server after RCPT TO:<h.baker@example.net>:
    550 5.1.1 <h.baker@example.net>: Recipient address rejected: User unknown in local recipient table

------ This is a copy of the message, including all the headers. ------

From: news@example.com
To: h.baker@example.net
Subject: June news
Message-ID: <orig2@news.example.com>

Hello
";
    let records = classify(message);
    assert_eq!(records[0].remote_mta.as_deref(), Some("mx2.example.net"));
    assert_eq!(records[0].reason(), Some(Reason::UserUnknown));
    assert_eq!(action(&records[0]), Action::Suppress);
}
