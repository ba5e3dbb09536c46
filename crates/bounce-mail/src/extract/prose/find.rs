//! Finding recipients and their diagnostics in the notice of a bounce.

use std::sync::LazyLock;

use regex::Regex;

use super::super::codes::read_codes;
use super::super::parts::MessageView;
use super::super::phrases::{DELAY_TEXT_SET, PROSE_FAMILIES, PROSE_FAMILY_SET};
use super::{addresses, is_daemon_address, Finding, Found, Mention};

static HOST_SAID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:\bhost:?|\bserver|\bmx)\s+([a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)+|\[[0-9a-f.:]+\])(?:\s*\[[0-9a-f.:]+\])?\s*(?:said|:|\(|refused|\bsays|smtp error)",
    )
    .expect("host pattern is valid")
});

static TALKING_TO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)while talking to\s+\[?([a-z0-9][a-z0-9.-]*[a-z0-9])\.?\]?:")
        .expect("talking-to pattern is valid")
});

static RCPT_TO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)rcpt\s+to:?\s*<?([^<>\s]+@[^<>\s]+)>?").expect("rcpt pattern is valid")
});

/// A Sendmail summary line: `554 <addr>... text` (one recipient) or `550 host (smtp)... text`
/// (one destination host). Each starts a new entry; none continues the line above.
static SENDMAIL_ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[245]\d\d (?:<[^<>\s]+>|[^<>\s]+ \([a-z0-9-]+\))\.\.\.(?:\s|$)")
        .expect("sendmail entry pattern is valid")
});

static MAIL_FROM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)mail\s+from:?\s*<([^>\s]+@[^>\s]+)>").expect("mail pattern is valid")
});

/// Phrases after which an address on the same line is the failed recipient.
const INTRO_PHRASES: &[&str] = &[
    "recipient",
    "delivered to",
    "deliver to",
    "delivery to",
    "message to",
    "addressed to",
    "mail to",
    "unknown user",
    "user unknown",
    "no such user",
    "invalid",
    "failed",
    "undeliverable",
    "address",
    "mailbox",
    "destinatario",
    "destinataire",
    "empfänger",
    "宛先",
    "rcpt",
];

/// Detects the MTA family from the whole bounce.
pub(crate) fn detect_family(view: &MessageView) -> String {
    if let Some(i) = PROSE_FAMILY_SET.best(view.notice_lower()) {
        return PROSE_FAMILIES[i].0.to_string();
    }
    let headers: String = view
        .header_names()
        .filter(|(_, n)| {
            let n = n.to_ascii_lowercase();
            n.starts_with("x-") || n == "received" || n == "from"
        })
        .map(|(i, n)| format!("{n}: {}\n", view.header_value(i)))
        .collect::<String>()
        .to_ascii_lowercase();
    PROSE_FAMILY_SET
        .iter(&headers)
        .map(|(i, _)| i)
        .filter(|i| PROSE_FAMILIES[*i].1.len() > 4)
        .min()
        .map(|i| PROSE_FAMILIES[i].0.to_string())
        .unwrap_or_default()
}

/// The recipients the notice names, in order, each with where its text is: the cheap part
/// of reading the prose, enough to pair a DSN's recipient with its mention and its context.
pub(crate) fn mentions(view: &MessageView) -> Vec<Mention> {
    let text = view.notice();
    let excluded = excluded_addresses(view, text);
    let candidates = recipient_mentions(text, view.notice_lower(), &excluded);
    // Each recipient's block runs from its first mention to the next recipient's mention.
    let mut order: Vec<(usize, String)> = Vec::new();
    for (pos, addr) in candidates {
        if !order.iter().any(|(_, a)| a.eq_ignore_ascii_case(&addr)) {
            order.push((pos, addr));
        }
    }
    let mut out = Vec::with_capacity(order.len());
    for (i, (pos, addr)) in order.iter().enumerate() {
        let pos = *pos;
        let end = order.get(i + 1).map_or(text.len(), |(p, _)| *p).max(pos);
        // The `<` or quote opening the next recipient's address belongs to that recipient.
        let end = text[..end].trim_end_matches(['<', '"']).len().max(pos);
        let block = &text[pos..end];
        let line_start = text[..pos].rfind('\n').map_or(0, |p| p + 1);
        let line_end = text[pos..].find('\n').map_or(text.len(), |e| pos + e);
        let sendmail_entry = SENDMAIL_ENTRY.is_match(&text[line_start..line_end]);
        let context_start = text[..line_start.saturating_sub(1)].rfind('\n').map_or(0, |p| p + 1);
        // A "Message details" listing (MAIL FROM, RCPT TO, Size ...) under the address is no
        // transcript: it names no stage.
        let listing = !sendmail_entry
            && is_field_listing(
                block.get(addr.len()..).unwrap_or("").trim_start_matches(['>', '"']),
            );
        let context = (!listing).then(|| text[context_start..end].to_string());
        out.push(Mention {
            recipient: super::super::original::without_address_type_prefix(
                addr.trim_matches(['<', '>', '"', '\'']),
            )
            .to_string(),
            address: addr.clone(),
            pos,
            end,
            line_start,
            line_end,
            context_start,
            sendmail_entry,
            context,
        });
    }
    out
}

/// Finds the diagnostics, codes and remote hosts the prose gives for each recipient it
/// names (`mentions`, in the same order), and the diagnostic it states for all of them.
pub(crate) fn find(view: &MessageView, mentions: &[Mention]) -> Finding {
    let text = view.notice();
    let mut finding = Finding::default();
    let delayed_notice = is_delay_notice(view.notice_lower(), &view.subject);
    let global = std::cell::OnceCell::new();
    let global_of = || global.get_or_init(|| global_diagnostic(text)).clone();
    for mention in mentions {
        let (pos, end, addr) = (mention.pos, mention.end, mention.address.as_str());
        let (line_start, line_end) = (mention.line_start, mention.line_end);
        let block = &text[pos..end];
        let words_before = text[line_start..pos].split_whitespace().count();
        let block_diag = if mention.sendmail_entry {
            // The remote server's reply just above an entry is the reason behind it.
            // Otherwise the entry's own text is, whatever the transcript says below it.
            transcript_reply_before(text, line_start).or_else(|| {
                let line = &text[pos..line_end];
                let own = line.split_once("...").map_or("", |(_, rest)| rest).trim();
                (!own.is_empty()).then(|| own.to_string())
            })
        } else {
            block_diagnostic(block, addr)
        };
        let block_diag = block_diag.map(|after| {
            // "Unable to deliver message to <addr> (and ...)": the line reads as a whole.
            if words_before >= 3 && !has_code(&after) {
                let before = &text[line_start..pos];
                let close = if before.ends_with('<') { ">" } else { "" };
                format!("{}{addr}{close} {after}", before.trim_start())
            } else {
                after
            }
        });
        let block_diag = block_diag.or_else(|| preceding_diagnostic(text, pos));
        // A heading such as "Additional Information" after the list is not the reason;
        // the code-bearing line of the notice is.
        let block_diag = match block_diag {
            Some(d) if !has_code(&d) && d.split_whitespace().count() < 4 => global_of().or(Some(d)),
            other => other,
        };
        let diagnostic = block_diag.or_else(global_of).map(|d| tidy_diagnostic(&d).to_string());
        let codes = diagnostic.as_deref().map(read_codes).unwrap_or_default();
        finding.recipients.push(Found {
            recipient: mention.recipient.clone(),
            remote_mta: remote_host_of(view, mention),
            reply: codes.reply,
            status: codes.status,
            diagnostic,
            context: mention.context.clone(),
            delayed: delayed_notice,
        });
    }
    finding.global = global_of().or_else(|| notice_summary(text));
    finding
}

/// The remote host the notice names in a recipient's context, else the first it names
/// anywhere (read once per message).
pub(crate) fn remote_host_of(view: &MessageView, mention: &Mention) -> Option<String> {
    let text = view.notice();
    remote_host(&text[mention.context_start..mention.end])
        .or_else(|| view.readings().any_remote_host.get_or_init(|| remote_host(text)).clone())
}

/// The first few substantial paragraphs of a notice, for bounces that state their reason
/// only in prose (Google Groups, Exchange, Lotus Notes).
pub(crate) fn notice_summary(text: &str) -> Option<String> {
    let mut out = String::new();
    for paragraph in paragraphs(text)
        .into_iter()
        .filter(|p| p.chars().filter(|c| c.is_alphabetic()).count() >= 12)
        .take(3)
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&paragraph);
        if out.len() > 600 {
            break;
        }
    }
    if out.is_empty() {
        None
    } else {
        Some(out)
    }
}

/// Whether the notice (`lower`, ASCII-lowercased) or the subject warn of a delay.
fn is_delay_notice(lower: &str, subject: &str) -> bool {
    let s = subject.to_ascii_lowercase();
    s.contains("delayed")
        || s.contains("delivery status notification (delay)")
        || s.starts_with("warning")
        || DELAY_TEXT_SET.any(lower)
}

/// Addresses that cannot be the failed recipient: the bounce's own From and To, daemons, and
/// the envelope sender named by `MAIL FROM`.
fn excluded_addresses(view: &MessageView, text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if !view.from.is_empty() {
        out.push(view.from.to_ascii_lowercase());
    }
    if let Some(to) = view.header("To") {
        out.extend(addresses(to).into_iter().map(|(_, a)| a.to_ascii_lowercase()));
    }
    for cap in MAIL_FROM.captures_iter(text) {
        out.push(cap[1].to_ascii_lowercase());
    }
    out
}

/// Addresses the notice introduces as recipients, in order of mention.
/// `lower` is `text` ASCII-lowercased (the view's copy: same offsets).
fn recipient_mentions(text: &str, lower_text: &str, excluded: &[String]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut prev_line_intro = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let lower = &lower_text[offset..offset + line.len()];
        if memchr::memchr(b'@', line.as_bytes()).is_none() {
            let trimmed = lower.trim_end();
            prev_line_intro = (trimmed.ends_with(':')
                && INTRO_PHRASES.iter().any(|p| trimmed.contains(p)))
                || (prev_line_intro && trimmed.is_empty());
            offset += line.len();
            continue;
        }
        let rcpt_caps: Vec<(usize, String)> = if lower.contains("rcpt") {
            RCPT_TO
                .captures_iter(line)
                .filter_map(|c| c.get(1).map(|m| (m.start(), m.as_str().to_string())))
                .collect()
        } else {
            Vec::new()
        };
        for (start, addr) in addresses(line) {
            let lower_addr = addr.to_ascii_lowercase();
            let before = &line[..start];
            let before_trim =
                before.trim_start_matches([' ', '\t', '<', '"', '\'', '>', '*', '-', ':']);
            let in_rcpt =
                rcpt_caps.iter().any(|(s, a)| a.eq_ignore_ascii_case(&addr) && *s == start);
            // `554 <addr>... reason` (Sendmail) counts as the start of the line too.
            let code_prefix = before_trim.trim_end_matches([' ', '<']);
            let at_line_start = before_trim.is_empty()
                || (code_prefix.len() == 3 && code_prefix.bytes().all(|b| b.is_ascii_digit()));
            let lower_before = &lower[..start];
            let intro = INTRO_PHRASES.iter().any(|p| lower_before.contains(p));
            let mail_from = lower_before.contains("mail from")
                || lower_before.ends_with("from <")
                || lower_before.ends_with("from:<")
                || lower_before.contains("contact")
                || lower_before.contains("send mail to")
                || lower_before.contains("envelope-from");
            if mail_from {
                continue;
            }
            let after = line[start + addr.len()..].trim_start_matches(['>', '"', '\'']);
            let strong =
                in_rcpt || (at_line_start && (after.starts_with(':') || after.trim().is_empty()));
            if !strong && (is_daemon_address(&addr) || excluded.contains(&lower_addr)) {
                continue;
            }
            if at_line_start || in_rcpt || intro || prev_line_intro {
                out.push((offset + start, addr));
            }
        }
        let trimmed = lower.trim_end();
        prev_line_intro = (trimmed.ends_with(':')
            && INTRO_PHRASES.iter().any(|p| trimmed.contains(p)))
            || (prev_line_intro && trimmed.is_empty());
        offset += line.len();
    }
    out
}

/// The diagnostic a recipient's block gives: the text after the address, joined into one line,
/// or the reply lines of a transcript.
fn block_diagnostic(block: &str, addr: &str) -> Option<String> {
    // A following Sendmail entry line belongs to another recipient or host.
    let mut own_end = block.len();
    let mut offset = 0;
    for (i, line) in block.split_inclusive('\n').enumerate() {
        if i > 0 && SENDMAIL_ENTRY.is_match(line) {
            own_end = offset;
            break;
        }
        offset += line.len();
    }
    let block = &block[..own_end];
    // Transcript replies (`<<< 550 ...`, Postfix `Out: 550 ...`) are the receiver's words.
    let replies: Vec<&str> = block
        .lines()
        .filter_map(|l| {
            let l = l.trim_start();
            // MDaemon's timestamped transcript: `Tue 2025-01-14 09:15:20.540: <-- 550 ...`.
            l.strip_prefix("<<<")
                .or_else(|| l.strip_prefix("Out:"))
                .or_else(|| l.split_once("<-- ").map(|(_, reply)| reply))
        })
        .map(str::trim)
        .filter(|l| l.starts_with(['4', '5']))
        .collect();
    if !replies.is_empty() {
        // The reply that echoes the address is this recipient's; a 503 to DATA after refused
        // recipients (pipelining) only follows from them.
        if let Some(own) = super::super::transcript::reply_for(block, addr) {
            return Some(own);
        }
        let cause = replies.iter().rev().find(|r| !super::super::transcript::is_consequential(r));
        return cause.or(replies.last()).map(|r| (*r).to_string());
    }
    let after = block.get(addr.len()..).unwrap_or("");
    let after = after.trim_start_matches(['>', '"', '\'']);
    let after = after.trim_start_matches(':').trim_start_matches("...");
    if is_field_listing(after) {
        // "Message details:" (From/To/Size ...) under the address describes the message, not
        // why it failed; the reason is elsewhere in the notice.
        return None;
    }
    // Paragraphs up to the first one that states a code (Gmail and DragonFly put the
    // receiver's reply one or two paragraphs below the address).
    let mut chosen: Vec<String> = Vec::new();
    for paragraph in paragraphs(after).into_iter().take(4) {
        let has_code = {
            let c = read_codes(&paragraph);
            c.reply.is_some() || c.status.is_some()
        };
        let trivial = paragraph.chars().filter(|c| c.is_alphanumeric()).count() < 3;
        if !trivial {
            chosen.push(paragraph);
        }
        if has_code {
            break;
        }
    }
    let codes_anywhere = chosen.iter().any(|p| {
        let c = read_codes(p);
        c.reply.is_some() || c.status.is_some()
    });
    if !codes_anywhere {
        // An introduction such as "because:" announces the next paragraph.
        let keep = if chosen.first().is_some_and(|p| p.trim_end().ends_with(':')) { 2 } else { 1 };
        chosen.truncate(keep);
    }
    let joined = chosen.join(" ");
    let joined = joined.trim();
    // "<addr> (unrecoverable error)": the parenthesised remark without its parentheses.
    let joined = match joined.strip_prefix('(').and_then(|j| j.strip_suffix(')')) {
        Some(inner) if !inner.contains(['(', ')']) => inner,
        _ => joined,
    };
    let joined = joined.trim_start_matches(['(', ':', '.']).trim().to_string();
    if joined.is_empty() {
        None
    } else {
        Some(joined)
    }
}

/// The reason a notice states for one recipient, without the wrapping some servers put
/// around the receiver's reply: Exchange's administrators' block, reason labels, lead-ins.
fn tidy_diagnostic(diagnostic: &str) -> &str {
    without_lead_in(after_reason_label(exchange_reply(diagnostic)))
}

/// The diagnostic without a lead-in that introduces the reason without being part of it:
/// Domino's "because:", a transcript arrow (`Received >>>`, `受信済み <<<`), or the
/// recipient's own `<address>` before the reply code. ("For the following reason:" is a
/// reason label, see [`after_reason_label`].)
fn without_lead_in(diagnostic: &str) -> &str {
    let text = diagnostic.trim_start();
    if let Some(rest) = strip_prefix_ignore_ascii_case(text, "because:") {
        return rest.trim_start();
    }
    for arrow in [" >>> ", " <<< "] {
        if let Some((head, rest)) = text.split_once(arrow) {
            if !head.contains(char::is_whitespace)
                && head.chars().count() <= 12
                && starts_with_reply(rest.trim_start())
            {
                return rest.trim_start();
            }
        }
    }
    if text.starts_with('<') {
        if let Some(close) = text.find('>') {
            let rest = text[close + 1..].trim_start_matches("...").trim_start();
            if text[..close].contains('@') && starts_with_reply(rest) {
                return rest;
            }
        }
    }
    text
}

/// Whether `text` starts with a 4xx or 5xx reply code.
fn starts_with_reply(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 3 && matches!(b[0], b'4' | b'5') && b[1..3].iter().all(u8::is_ascii_digit)
}

/// `text` without an ASCII-case-insensitive `prefix`.
fn strip_prefix_ignore_ascii_case<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

/// The first (or, with `last`, the last) position of an ASCII needle in `text`, ignoring ASCII
/// case, without lowercasing a copy of the text.
fn find_ignore_ascii_case(text: &str, needle: &str, last: bool) -> Option<usize> {
    let (hay, needle) = (text.as_bytes(), needle.as_bytes());
    let hits = |i: &usize| hay[*i..*i + needle.len()].eq_ignore_ascii_case(needle);
    let starts = 0..(hay.len() + 1).checked_sub(needle.len())?;
    if last {
        starts.rev().find(hits)
    } else {
        starts.clone().find(hits)
    }
}

/// The receiver's reply inside an Exchange notice, whatever its language: the text between
/// `#` and `##` (`#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##`) or inside
/// `Remote Server returned '...'`. The headings around it ("Diagnostic information for
/// administrators", "Generating server", the user-facing paragraph) are not the reason.
fn exchange_reply(diagnostic: &str) -> &str {
    if let Some(start) = diagnostic.find('#') {
        let rest = &diagnostic[start + 1..];
        if starts_with_reply(rest) {
            if let Some(end) = rest.find("##") {
                return rest[..end].trim();
            }
        }
    }
    const RETURNED: &str = "remote server returned '";
    if let Some(at) = find_ignore_ascii_case(diagnostic, RETURNED, false) {
        let rest = &diagnostic[at + RETURNED.len()..];
        if starts_with_reply(rest) {
            return rest.find('\'').map_or(rest, |end| &rest[..end]).trim();
        }
    }
    diagnostic
}

/// Labels after which a server's notice states the reason (MailEnable, SmarterMail, Kerio,
/// Haraka, Postmark, Proofpoint notices). "Remote host said:" is not one: the text before it
/// ("does not like recipient", "hMailServer sent: RCPT TO") is evidence too.
const REASON_LABELS: &[&str] = &["the reason for the problem:", "reason:", "details:"];

/// The part of a labelled notice that states the reason: the text after the last reason
/// label, when it starts with the reply or when nothing before the label carries a code (so
/// "550 5.7.1 rejected, reason: listed" keeps its codes).
fn after_reason_label(diagnostic: &str) -> &str {
    let mut text = diagnostic;
    for _ in 0..3 {
        let Some(end) = REASON_LABELS
            .iter()
            .filter_map(|label| {
                find_ignore_ascii_case(text, label, true).map(|at| at + label.len())
            })
            .max()
        else {
            break;
        };
        let after = text[end..].trim_start();
        let after = after
            .strip_prefix("smtp;")
            .or_else(|| after.strip_prefix("SMTP;"))
            .unwrap_or(after)
            .trim_start();
        // "554 5.7.1 ..." or "5.1.0 - Unknown address error 550-...".
        let starts_with_code = after.starts_with(|c: char| c.is_ascii_digit()) && has_code(after);
        let codes_before = has_code(&text[..end]);
        if after.is_empty() || (codes_before && !starts_with_code) {
            break;
        }
        text = after;
    }
    text
}

/// Whether the text after an address, up to the first blank line, is a listing of two or
/// more `Name: value` fields without an SMTP code (the rest of the address's own line aside),
/// such as a gateway's "Message details" block.
fn is_field_listing(after: &str) -> bool {
    let mut lines = after.lines();
    let own_line = lines.next().unwrap_or("");
    if own_line.chars().filter(|c| c.is_alphanumeric()).count() > 2 {
        return false;
    }
    let fields: Vec<&str> = lines.map(str::trim).take_while(|l| !l.is_empty()).collect();
    fields.len() >= 2
        && fields.iter().all(|line| {
            !has_code(line)
                && line.split_once(':').is_some_and(|(name, _)| {
                    name.len() <= 30
                        && name.starts_with(|c: char| c.is_ascii_alphabetic())
                        && name.chars().all(|c| c.is_ascii_alphanumeric() || " ()-_".contains(c))
                })
        })
}

/// The `<<< 5xx` reply a Sendmail transcript gives just above the entry starting at
/// `line_start`, looking back over host entries (`550 host (smtp)... text`) but not past another
/// recipient's entry or the command that was answered.
fn transcript_reply_before(text: &str, line_start: usize) -> Option<String> {
    for line in text[..line_start].lines().rev() {
        let t = line.trim();
        if let Some(reply) = t.strip_prefix("<<<") {
            let reply = reply.trim();
            return reply.starts_with(['4', '5']).then(|| reply.to_string());
        }
        let host_entry = SENDMAIL_ENTRY.is_match(t) && !t[4..].starts_with('<');
        if !host_entry {
            return None;
        }
    }
    None
}

/// Whether a text states a reply code or an enhanced status.
fn has_code(text: &str) -> bool {
    let c = read_codes(text);
    c.reply.is_some() || c.status.is_some()
}

/// The diagnostic some MTAs write before the address: the rest of the line before it
/// ("Unknown user: addr") or the lines just above it in the same paragraph ("The user(s)
/// account is disabled." then the address).
fn preceding_diagnostic(text: &str, pos: usize) -> Option<String> {
    let line_start = text[..pos].rfind('\n').map_or(0, |p| p + 1);
    let same_line = text[line_start..pos].trim().trim_end_matches(['<', '"']).trim();
    if same_line.chars().filter(|c| c.is_alphabetic()).count() >= 3 {
        return Some(same_line.trim_end_matches(':').trim().to_string());
    }
    let mut lines: Vec<&str> = Vec::new();
    for line in text[..line_start].lines().rev() {
        let t = line.trim();
        if t.is_empty() && lines.is_empty() {
            // The address stands in its own paragraph: read the one above.
            continue;
        }
        if t.is_empty() || t.starts_with("-----") && !lines.is_empty() {
            break;
        }
        if t.starts_with("-----") || t.starts_with("=====") {
            continue;
        }
        lines.push(t);
        if lines.len() >= 3 {
            break;
        }
    }
    lines.reverse();
    let joined = lines.join(" ");
    let intro = joined.to_ascii_lowercase();
    // A line that only introduces the list ("... to the following recipients:") says nothing.
    if joined.chars().filter(|c| c.is_alphabetic()).count() < 3
        || intro.ends_with("following recipients:")
        || intro.ends_with("following address(es) failed:")
        || intro.ends_with("following addresses:")
        || intro.ends_with(':')
    {
        return None;
    }
    Some(joined)
}

/// Splits text into paragraphs (separated by blank lines or `-----` rules), each joined into
/// one line; transcript command lines (`>>>`) are dropped.
fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with("-----") || t.starts_with("=====") {
            if !current.is_empty() {
                out.push(current.join(" "));
                current.clear();
            }
            continue;
        }
        if t.starts_with(">>>") {
            continue;
        }
        current.push(t);
        if current.len() >= 12 {
            out.push(current.join(" "));
            current.clear();
        }
    }
    if !current.is_empty() {
        out.push(current.join(" "));
    }
    out
}

/// A diagnostic stated once for all recipients: the first line with a reply code or an
/// enhanced status, with its continuation.
fn global_diagnostic(text: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let codes = read_codes(line);
        if codes.reply.is_some() || codes.status.is_some() {
            let mut out = vec![line.trim()];
            for next in lines.iter().skip(i + 1).take(4) {
                if next.trim().is_empty() {
                    break;
                }
                out.push(next.trim());
            }
            return Some(out.join(" "));
        }
    }
    None
}

/// The remote host a piece of prose names (`host mx.example.net said:`).
fn remote_host(text: &str) -> Option<String> {
    if let Some(c) = TALKING_TO.captures(text) {
        return Some(c[1].to_ascii_lowercase());
    }
    HOST_SAID.captures(text).map(|c| c[1].trim_matches(['[', ']']).to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remote_host_is_read_after_host_with_or_without_a_colon() {
        let exim =
            "SMTP error from remote server for RCPT TO command, host: mx.example.fr (192.0.2.9)";
        assert_eq!(remote_host(exim).as_deref(), Some("mx.example.fr"));
        let postfix = "host mx1.example.net[203.0.113.25] said: 552 5.2.2 Mailbox full";
        assert_eq!(remote_host(postfix).as_deref(), Some("mx1.example.net"));
        let exim = "host mx.example.org [198.51.100.52]\n    SMTP error from remote mail server after RCPT TO:<a@example.org>: 550 5.7.1 refused";
        assert_eq!(remote_host(exim).as_deref(), Some("mx.example.org"));
    }

    #[test]
    fn lead_ins_are_not_part_of_the_reason() {
        assert_eq!(tidy_diagnostic("because: User X not listed"), "User X not listed");
        assert_eq!(
            tidy_diagnostic("For the following reason: Mail size limit exceeded."),
            "Mail size limit exceeded."
        );
        assert_eq!(tidy_diagnostic("Received >>> 550 5.1.1 unknown"), "550 5.1.1 unknown");
        assert_eq!(tidy_diagnostic("受信済み <<< 550 5.1.1 unknown"), "550 5.1.1 unknown");
        assert_eq!(tidy_diagnostic("<a@example.org> 550 no mailbox"), "550 no mailbox");
        // Kept: text that only looks like a lead-in.
        assert_eq!(
            tidy_diagnostic("Remote host said >>> not a code"),
            "Remote host said >>> not a code"
        );
        assert_eq!(tidy_diagnostic("<a@example.org> is unknown"), "<a@example.org> is unknown");
    }

    #[test]
    fn the_reply_inside_an_exchange_notice_is_the_diagnostic() {
        let german =
            "Diagnoseinformationen für Administratoren: Generierender Server: ex01.example.com \
                      a@example.com #550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##";
        assert_eq!(exchange_reply(german), "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found");
        let online = "Diagnostic information for administrators: Generating server: x.example.com \
                      a@example.com Remote Server returned '550 5.4.1 Recipient address rejected: \
                      Access denied. AS(201806281)' Original message headers:";
        assert_eq!(
            exchange_reply(online),
            "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)"
        );
        assert_eq!(exchange_reply("550 #5.1.1 user unknown"), "550 #5.1.1 user unknown");
    }

    #[test]
    fn a_message_details_listing_is_not_a_reason_but_a_remote_reply_is() {
        let details = "\n  From: a@example.com\n  To: b@example.net\n  Size (bytes): 1024\n";
        assert!(is_field_listing(details));
        let reply =
            "\nFrom: <a@example.com> RCPT: <b@example.net>\nRemote host said: 550 5.7.1 denied\n";
        assert!(!is_field_listing(reply));
        assert!(!is_field_listing(" user unknown\n  From: a@example.com\n  To: b@example.net\n"));
    }
}
