//! Builders shared by the end-to-end tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root, where the bundled example and rules live.
#[allow(dead_code)]
pub(crate) fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the binary from the workspace root with `args`.
#[allow(dead_code)]
pub(crate) fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bounce-triage"))
        .current_dir(workspace())
        .args(args)
        .output()
        .expect("bounce-triage runs")
}

/// A DSN for `recipient` at `hour`:`minute` on 11 June 2026.
#[allow(dead_code)]
pub(crate) fn dsn(
    n: usize,
    recipient: &str,
    status: &str,
    diagnostic: &str,
    hour: usize,
    minute: usize,
) -> String {
    dsn_with_header(n, recipient, status, diagnostic, (hour, minute), "X-Mailer: news 1.0")
}

/// [`dsn`] whose returned headers carry one more header line (`Name: value`).
#[allow(dead_code)]
pub(crate) fn dsn_with_header(
    n: usize,
    recipient: &str,
    status: &str,
    diagnostic: &str,
    (hour, minute): (usize, usize),
    header: &str,
) -> String {
    format!(
        "From MAILER-DAEMON Thu Jun 11 {hour:02}:{minute:02}:00 2026
From: MAILER-DAEMON@mta1.example.com
Subject: Undelivered Mail Returned to Sender
Date: Thu, 11 Jun 2026 {hour:02}:{minute:02}:00 +0000
Message-Id: <bounce{n}@mta1.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B{n}\"

--B{n}
Content-Type: message/delivery-status

Reporting-MTA: dns; mta1.example.com

Final-Recipient: rfc822; {recipient}
Action: failed
Status: {status}
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; {diagnostic}

--B{n}
Content-Type: text/rfc822-headers

Message-ID: <orig{n}@news.example.com>
From: news@example.com
Subject: =HYPERLINK(\"http://evil.example\")
{header}

--B{n}--

"
    )
}
