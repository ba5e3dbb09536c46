//! Reading bounces that are not (only) RFC 3464: the prose of Postfix, Sendmail, Exim, qmail,
//! Exchange, Gmail, Yahoo and the other MTA families.
//!
//! The notice is the bounce text up to where the returned original begins. Recipients are the
//! addresses the notice introduces in the ways MTAs do: `<addr>:` at the start of a line, an
//! address alone on an indented line, `RCPT TO:<addr>` in a session transcript, or a phrase such
//! as "could not be delivered to addr". The diagnostic is the text the notice gives with it.

use super::parts::MessageView;
use super::phrases::{BOUNCE_SUBJECT_SET, BOUNCE_TEXT_SET, ORIGINAL_SET};

/// One recipient found in the prose, with what the prose says about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) recipient: String,
    pub(crate) diagnostic: Option<String>,
    /// Text around the recipient that may name the SMTP stage.
    pub(crate) context: Option<String>,
    pub(crate) reply: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) remote_mta: Option<String>,
    pub(crate) delayed: bool,
}

/// Everything the prose gives.
#[derive(Debug, Clone, Default)]
pub(crate) struct Finding {
    pub(crate) recipients: Vec<Found>,
    pub(crate) format: String,
    pub(crate) reporting_mta: Option<String>,
    /// A diagnostic the notice states once for all recipients.
    pub(crate) global: Option<String>,
}

/// Lines that mark where the returned original begins in a one-part bounce.
pub(crate) const ORIGINAL_MARKERS: &[&str] = &[
    "------ this is a copy of the message",
    "--- below this line is a copy of the message",
    "------ original message ------",
    "----- original message -----",
    "-----original message-----",
    "--- original message follows",
    "original message follows",
    "----- original message follows",
    "------ returned message",
    "----- returned message",
    "---- returned message",
    "--- the header of the original message is following",
    "----- unsent message below -----",
    "----- unsent message follows -----",
    "original message:",
    "----- transcript of session follows -----",
    "-- the header and top 20 lines of the message follows --",
    "------- failed message",
    "---------- forwarded message",
    "content-type: message/rfc822",
    "message headers follow",
    "--- the message header",
    "a copy of the original message below this line",
    "------ this is a copy of your message",
    "--- original message header",
    "original message header:",
    "----- the header of the original message",
    "----- message text follows -----",
    "---- below is the original message",
    "   ----- original message -----",
    "----- original message headers -----",
    "-----  original message",
    "---original message---",
    "the message that caused this notification was",
    "your message reads (in part)",
    "--- message header of your mail follows",
    "included is a copy of the message header",
    "below is a copy of the message header",
    // Smail banners: `|------- Message text follows: -------|`.
    "message text follows: --",
    "message header follows: --",
];

/// Subject words of delivery reports.
pub(crate) const BOUNCE_SUBJECT: &[&str] = &[
    "undeliver",
    "undelivered",
    "returned mail",
    "delivery status notification",
    "delivery failure",
    "delivery failed",
    "failure notice",
    "mail delivery failed",
    "non-delivery",
    "nondelivery",
    "could not send message",
    "delivery notification",
    "returned to sender",
    "not delivered",
    "delivery problem",
    "mail system error",
    "rejected",
    "message delivery",
    "warning: could not",
    "delivery report",
    "delayed mail",
    "delivery has failed",
    "unzustellbar",
    "non remis",
    "failed delivery",
    "permanent error",
    "error sending",
    "mail failure",
    "delivery error",
    "returned message",
    "bounce",
    "mail failed",
    "returning to sender",
    "failure",
    "nicht zustellbar",
    "notificación",
    "no se puede entregar",
    "配信",
    "不達",
    "エラー",
    // Postfix's notices to the postmaster ("Postfix SMTP server: errors from HOST").
    "smtp server: errors from",
];

/// Notice wording of delivery reports.
pub(crate) const BOUNCE_TEXT: &[&str] = &[
    "could not be delivered",
    "couldn't be delivered",
    "wasn't able to deliver",
    "was not able to deliver",
    "unable to deliver",
    "delivery has failed",
    "permanent error",
    "the following address(es) failed",
    "the following addresses had permanent fatal errors",
    "delivery to the following recipient",
    "this is the mail system at host",
    "message could not be delivered",
    "undeliverable",
    "failed to deliver",
    "delivery failed",
    "not be delivered",
    "returned mail",
    "user unknown",
    "mailbox unavailable",
    "did not reach the following recipient",
    "could not be delivered to",
    "following addresses had",
    "failed addresses follow",
    "delivery to the following",
    "error occurred while attempting to deliver",
    "recipient address rejected",
];

/// Notice wording of delay warnings.
pub(crate) const DELAY_TEXT: &[&str] = &[
    "will continue trying",
    "will be retried",
    "still trying",
    "has not yet been delivered",
    "this is a warning message only",
    "delivery is delayed",
    "message delayed",
];

/// The notice: the bounce text with the returned original cut off.
pub(crate) fn notice(text: &str) -> &str {
    let mut cut = text.len();
    for (index, position) in ORIGINAL_SET.iter(text) {
        // The transcript of a Sendmail session is part of the notice; it ends later.
        if ORIGINAL_MARKERS[index].contains("transcript") || position == 0 {
            continue;
        }
        // A banner's leading rule (`|------- Message text follows`) goes with it.
        let line_start = text[..position].rfind('\n').map_or(0, |p| p + 1);
        let lead = &text[line_start..position];
        cut = if lead.chars().all(|c| matches!(c, '-' | '|' | '=' | '*' | ' ' | '\t')) {
            line_start
        } else {
            position
        };
        break;
    }
    // A quoted header block (`Received:` / `Return-Path:` at the start of a line, after a
    // blank line) also starts the original.
    if let Some(p) = header_block_start(&text[..cut]) {
        cut = cut.min(p);
    }
    &text[..floor_char_boundary(text, cut)]
}

pub(crate) fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Where an inline header block of the returned message starts, if any.
fn header_block_start(text: &str) -> Option<usize> {
    let mut offset = 0;
    let mut prev_blank = true;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start_matches(['>', ' ', '\t']);
        let starts = |prefix: &str| {
            trimmed.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix))
        };
        if prev_blank
            && offset > 0
            && (starts("received: from")
                || starts("received: by")
                || starts("return-path:")
                || starts("x-original-to:")
                || starts("delivered-to:"))
        {
            return Some(offset);
        }
        let t = line.trim();
        prev_blank = t.is_empty() || (t.len() >= 5 && t.bytes().all(|b| b == b'-' || b == b'='));
        offset += line.len();
    }
    None
}

/// The returned original quoted inline: its header block and the text after it.
pub(crate) fn inline_original(text: &str) -> Option<(String, &str)> {
    let start = notice(text).len();
    let rest = &text[start..];
    // Skip the marker line itself and blank lines to reach the first header.
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        let t = line.trim_start_matches(['>', ' ', '\t']);
        if let Some((name, _)) = t.split_once(':') {
            if !name.is_empty() && !name.contains(' ') && name.len() < 40 {
                break;
            }
        }
        offset += line.len();
        if offset > 2000 {
            return None;
        }
    }
    let block = &rest[offset.min(rest.len())..];
    let end = block.find("\n\n").map_or(block.len(), |p| p + 1);
    let head = block[..end].to_string();
    if head.trim().is_empty() {
        return None;
    }
    Some((head, &block[end..]))
}

/// DSN fields written into the text of a bounce rather than in their own part.
pub(crate) fn embedded_dsn(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find("final-recipient:").or_else(|| lower.find("original-recipient:"))?;
    // Include the per-message fields just before, when present.
    let head_start = ["reporting-mta:", "arrival-date:"]
        .iter()
        .filter_map(|m| lower[..start].rfind(m))
        .min()
        .unwrap_or(start);
    let line_start = text[..head_start].rfind('\n').map_or(0, |p| p + 1);
    let body = &text[line_start..];
    let lines: Vec<&str> = body
        .lines()
        .take_while(|l| {
            let t = l.trim_start();
            l.trim().is_empty()
                || l.starts_with([' ', '\t'])
                || t.split_once(':').is_some_and(|(n, _)| {
                    !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
        })
        .collect();
    Some(lines.join("\n"))
}

/// Whether the message reads like a bounce even without a DSN part.
pub(crate) fn looks_like_bounce(view: &MessageView) -> bool {
    let from = view.from.to_ascii_lowercase();
    let from_header = view.header("From").unwrap_or("").to_ascii_lowercase();
    let subject = view.subject.to_ascii_lowercase();
    let daemon = [
        "mailer-daemon",
        "mailer daemon",
        "postmaster",
        "mail delivery",
        "maildelivery",
        "mail-daemon",
        "mailerdaemon",
        "mdaemon",
        "mail administrator",
        "system administrator",
    ]
    .iter()
    .any(|d| from.contains(d) || from_header.contains(d));
    let subject_hit = BOUNCE_SUBJECT_SET.any(&subject);
    let text_hit = BOUNCE_TEXT_SET.any(view.notice());
    let has_original = view.original_headers.is_some() || header_block_start(&view.prose).is_some();
    // Delivery reports are sent with a null envelope sender (RFC 5321 section 4.5.5).
    let null_sender =
        view.header("Return-Path").is_some_and(|r| r.trim() == "<>") || from_header.trim() == "<>";
    // A person's reply that quotes a bounce is a conversation, not a bounce.
    let reply =
        ["re:", "aw:", "sv:", "antw:", "réf:"].iter().any(|p| subject.trim_start().starts_with(p));
    if reply && !daemon && !null_sender {
        return false;
    }
    if null_sender && (subject_hit || text_hit) {
        return true;
    }
    // A daemon or postmaster sender alone is not enough: postmasters also send DMARC reports
    // and write to people. Some sign of a delivery report must come with it.
    (daemon && (subject_hit || text_hit || has_original || null_sender))
        || (subject_hit && text_hit)
        || (text_hit && has_original)
        || view.header("X-Failed-Recipients").is_some()
}

/// Whether a session transcript shows the server's error replies (`<<< 5xx`) but no command
/// of the client (`>>>`): the connection was refused at the greeting.
pub(crate) fn reply_without_command(text: &str) -> bool {
    let mut replied = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with(">>>") {
            return false;
        }
        if let Some(reply) = t.strip_prefix("<<<") {
            replied |= reply.trim_start().starts_with(['4', '5']);
        }
    }
    replied
}

/// Whether the message reads like a complaint report without an ARF part.
pub(crate) fn looks_like_complaint(view: &MessageView) -> bool {
    let subject = view.subject.to_ascii_lowercase();
    (subject.contains("complaint")
        || subject.contains("abuse report")
        || subject.contains("spam report"))
        && view.original_headers.is_some()
}

/// Recipients of a complaint without an ARF part: addresses the text names.
pub(crate) fn complaint_recipients(view: &MessageView) -> Vec<String> {
    addresses(&view.prose).into_iter().map(|(_, a)| a).take(1).collect()
}

/// Every address in `text`, with its byte position.
pub(crate) fn addresses(text: &str) -> Vec<(usize, String)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(rel) = memchr::memchr(b'@', &bytes[i..]) {
        let at = i + rel;
        i = at + 1;
        let is_local =
            |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b) || b >= 0x80;
        let is_domain = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_';
        let mut start = at;
        while start > 0 && is_local(bytes[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < bytes.len() && is_domain(bytes[end]) {
            end += 1;
        }
        while end > at + 1 && bytes[end - 1] == b'.' {
            end -= 1;
        }
        while start < at && bytes[start] == b'.' {
            start += 1;
        }
        if start == at || end <= at + 1 {
            continue;
        }
        let domain = &text[at + 1..end];
        if !domain.contains('.') && !domain.eq_ignore_ascii_case("localhost") {
            continue;
        }
        if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        out.push((start, text[start..end].to_string()));
        i = end;
    }
    out
}

/// Addresses that are never the failed recipient.
fn is_daemon_address(addr: &str) -> bool {
    let local = addr.split('@').next().unwrap_or("").to_ascii_lowercase();
    matches!(
        local.as_str(),
        "mailer-daemon"
            | "postmaster"
            | "mail-daemon"
            | "mailerdaemon"
            | "double-bounce"
            | "noreply-dmarc-support"
    )
}

pub(crate) mod find;

pub(crate) use find::FAMILIES;

pub(crate) use find::find;
