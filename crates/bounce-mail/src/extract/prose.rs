//! Reading bounces that are not (only) RFC 3464: the prose of Postfix, Sendmail, Exim, qmail,
//! Exchange, Gmail, Yahoo and the other MTA families.
//!
//! The notice is the bounce text up to where the returned original begins. Recipients are the
//! addresses the notice introduces in the ways MTAs do: `<addr>:` at the start of a line, an
//! address alone on an indented line, `RCPT TO:<addr>` in a session transcript, or a phrase such
//! as "could not be delivered to addr". The diagnostic is the text the notice gives with it.

pub(crate) use super::found::{Finding, Found, Mention};
use super::notice::header_block_start;
use super::parts::MessageView;
use super::phrases::{BOUNCE_SUBJECT_SET, BOUNCE_TEXT_SET};

/// The recipients the prose of `view` names, with where; read once per message and shared
/// by every step that asks.
pub(crate) fn mentions<'v>(view: &'v MessageView<'_>) -> &'v [Mention] {
    view.readings().mentions.get_or_init(|| find::mentions(view))
}

/// What the prose of `view` says about each recipient it names (in the order of
/// [`mentions`]) and about all of them; read once per message, only when a step needs it.
pub(crate) fn finding<'v>(view: &'v MessageView<'_>) -> &'v Finding {
    view.readings().finding.get_or_init(|| find::find(view, mentions(view)))
}

/// The remote host the notice names for one recipient (in its context, else anywhere).
pub(crate) fn remote_host(view: &MessageView, mention: &Mention) -> Option<String> {
    find::remote_host_of(view, mention)
}

/// The MTA family whose wording the bounce uses (`postfix`, `exim`, ...), or empty.
pub(crate) fn format<'v>(view: &'v MessageView<'_>) -> &'v str {
    view.readings().format.get_or_init(|| find::detect_family(view))
}

/// The returned original quoted inline after the notice: its header block and the text
/// after it.
pub(crate) fn inline_original<'v>(view: &'v MessageView<'_>) -> Option<(String, &'v str)> {
    let rest = &view.prose[view.notice_len..];
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

/// DSN fields written into the text of a bounce rather than in their own part. `lower` is
/// `text` ASCII-lowercased.
pub(crate) fn embedded_dsn(text: &str, lower: &str) -> Option<String> {
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

/// Whether the message reads like a bounce even without a DSN part (read once per message:
/// the auto-reply and the prose bounce families both ask).
pub(crate) fn looks_like_bounce(view: &MessageView) -> bool {
    *view.readings().looks_like_bounce.get_or_init(|| reads_like_bounce(view))
}

fn reads_like_bounce(view: &MessageView) -> bool {
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
    let text_hit = BOUNCE_TEXT_SET.any(view.notice_lower());
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

/// The first paragraph of a text, its lines joined with spaces.
pub(crate) fn first_paragraph(text: &str) -> String {
    let para: Vec<&str> = text
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .collect();
    para.join(" ")
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
