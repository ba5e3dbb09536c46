//! The records of a delivery report: one per recipient group of its `message/delivery-status`
//! part (RFC 3464), a rejecting disposition notification's (RFC 8098) or DSN fields written
//! into the text, each enriched by what the prose says about that recipient; without any, the
//! recipients the prose names (`X-Failed-Recipients` first), or the returned original's single
//! To address. Shared by the RFC 3464 and the prose bounce families.

use std::borrow::Cow;
use std::collections::BTreeMap;

use bounce_model::{BounceFacts, Kind, Stage};

use super::codes::{
    diagnostic_statuses, in_reply_to_stage, prefer_status, read_codes, stage_words,
};
use super::dsn::{self, Group};
use super::notice::{floor_char_boundary, MAX_NOTICE};
use super::original;
use super::parts::MessageView;
use super::prose::{self, Found};
use super::transcript;

/// The records of a message the RFC 3464 or the prose bounce family claimed.
pub(crate) fn records(view: &MessageView) -> Vec<BounceFacts> {
    let mut groups: Cow<'_, [Group]> = Cow::Borrowed(view.dsn_groups());
    let rejecting_mdn = groups.is_empty() && view.mdn_rejects();
    if rejecting_mdn {
        // A rejecting disposition notification names its recipient as a DSN does.
        groups = Cow::Owned(view.mdn_texts.iter().flat_map(|t| view.parse_groups(t)).collect());
    }
    if groups.iter().all(|g| !g.is_recipient()) {
        // Some MTAs put the DSN fields in the text part.
        if let Some(embedded) = prose::embedded_dsn(&view.prose, &view.lower) {
            groups = Cow::Owned(view.parse_groups(&embedded));
        }
    }
    let message_group = groups.iter().find(|g| !g.is_recipient()).cloned().unwrap_or_default();
    let mut records: Vec<BounceFacts> = groups
        .iter()
        .filter(|g| g.is_recipient())
        .filter_map(|g| dsn_record(&message_group, g, view))
        .collect();
    if rejecting_mdn {
        // The receiving side rejected the message for good (RFC 8098 "deleted"/"failed"
        // disposition): no retry follows, as with a DSN's `Action: failed`.
        for record in records.iter_mut().filter(|r| r.action.is_none()) {
            record.action = Some("failed".to_string());
        }
    }
    let format = prose::format(view);
    if records.is_empty() {
        let found = prose::finding(view);
        let failed = failed_recipients_header(view);
        records = if failed.is_empty() {
            found.recipients.iter().map(|f| prose_record(f, format, view.notice())).collect()
        } else {
            // Exim and Gmail name the failed recipients in a header; the prose adds the why.
            failed
                .iter()
                .map(|addr| {
                    let matching = found
                        .recipients
                        .iter()
                        .find(|f| f.recipient.eq_ignore_ascii_case(addr))
                        .or_else(|| found.recipients.first().filter(|_| failed.len() == 1))
                        .cloned()
                        .unwrap_or_default();
                    let mut f = Found { recipient: addr.clone(), ..matching };
                    if f.diagnostic.is_none() {
                        f.diagnostic.clone_from(&found.global);
                    }
                    prose_record(&f, format, view.notice())
                })
                .collect()
        };
    } else {
        for r in &mut records {
            r.format = if format.is_empty() { "rfc3464" } else { format }.to_string();
        }
    }
    if records.is_empty() {
        // The notice names nobody (old Sendmail, some gateways): the returned original's
        // single To address is the recipient the bounce is about.
        if let Some(to) = returned_single_to(view) {
            let global = prose::finding(view).global.clone();
            let f = Found { recipient: to, diagnostic: global, ..Found::default() };
            records.push(prose_record(&f, format, view.notice()));
        }
    }
    let greeting_refusal = prose::reply_without_command(view.notice());
    if let [only] = records.as_mut_slice() {
        let text = view.notice().trim();
        let end = floor_char_boundary(text, MAX_NOTICE.min(text.len()));
        only.notice = Some(text[..end].to_string()).filter(|t| !t.is_empty());
    }
    let verdicts: Vec<(String, String)> = VERDICT_HEADERS
        .iter()
        .filter_map(|name| {
            view.header(name).map(|v| (name.to_ascii_lowercase(), v.trim().to_string()))
        })
        .filter(|(_, v)| !v.is_empty() && v.len() <= MAX_VENDOR_VALUE)
        .collect();
    for r in &mut records {
        for (name, value) in &verdicts {
            r.vendor_fields.entry(name.clone()).or_insert_with(|| value.clone());
        }
        if greeting_refusal && r.smtp_stage == Stage::Unknown {
            // The server refused before the client sent any command: at the greeting.
            r.smtp_stage = Stage::Greeting;
            r.stage_source = Some("transcript: a reply before any command".to_string());
        }
    }
    records
}

/// The one address of the returned original's To header, when there is exactly one.
fn returned_single_to(view: &MessageView) -> Option<String> {
    let head = match &view.original_headers {
        Some((head, _)) => head.clone(),
        None => prose::inline_original(view)?.0,
    };
    let headers = view.original_header_block(&head);
    let to = headers.iter().find(|h| h.name.eq_ignore_ascii_case("To"))?;
    let addrs = prose::addresses(&to.value);
    if addrs.len() == 1 {
        addrs.into_iter().next().map(|(_, a)| a)
    } else {
        None
    }
}

/// The addresses of `X-Failed-Recipients` headers, in order.
fn failed_recipients_header(view: &MessageView) -> Vec<String> {
    let mut out: Vec<String> = view
        .header_names()
        .filter(|(_, n)| n.eq_ignore_ascii_case("X-Failed-Recipients"))
        .flat_map(|(i, _)| {
            view.header_value(i)
                .split(',')
                .filter_map(original::extract_addr_spec)
                .collect::<Vec<_>>()
        })
        .filter(|a| a.contains('@'))
        .collect();
    original::dedup_addresses(&mut out);
    out
}

/// Whether an address can be mailed from outside: its domain has a dot or is an address
/// literal (`[192.0.2.1]`); `user@ims_daemon` or `user@localhost` cannot.
fn routable(address: &str) -> bool {
    address.rsplit_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && (domain.contains('.') || domain.starts_with('['))
    })
}

/// Builds a record from a DSN per-recipient group, enriched by the prose of the bounce.
///
/// The prose is read only as far as the group needs it: the recipient's mention and its
/// context (for the stage) are cheap; what the prose says about the recipient (diagnostic,
/// codes, remote host) and about all recipients is read only when the group lacks it.
fn dsn_record(message: &Group, group: &Group, view: &MessageView) -> Option<BounceFacts> {
    let notice = view.notice();
    let final_rcpt = group.typed("Final-Recipient");
    let original_rcpt = group.typed("Original-Recipient");
    let original_addr = original_rcpt.as_deref().and_then(original::extract_addr_spec);
    let final_addr = final_rcpt.as_deref().and_then(original::extract_addr_spec);
    // An internal delivery address (Sun/Oracle Messaging Server's `user@ims_daemon` after a
    // source route): the sender mailed the Original-Recipient, which becomes the recipient.
    let internal = final_addr.as_deref().is_some_and(|a| !routable(a))
        && original_addr.as_deref().is_some_and(routable);
    let recipient = if internal { original_addr } else { final_addr.or(original_addr) }?;
    let action =
        group.get("Action").map(|a| a.trim().to_ascii_lowercase()).filter(|a| !a.is_empty());
    let (diag_type, diagnostic) = match group.get("Diagnostic-Code") {
        Some(v) => {
            let (t, text) = dsn::split_type(v);
            (t, Some(text).filter(|t| !t.is_empty()))
        }
        None => (None, None),
    };
    // The prose's mention of this recipient, or its only mention.
    let mentions = prose::mentions(view);
    let matching = mentions
        .iter()
        .position(|m| m.recipient.eq_ignore_ascii_case(&recipient))
        .or_else(|| (mentions.len() == 1).then_some(0));
    let found = || matching.map(|i| &prose::finding(view).recipients[i]);
    let diagnostic = diagnostic.or_else(|| group.get("Status").and_then(status_comment));
    let diagnostic = diagnostic.or_else(|| found().and_then(|f| f.diagnostic.clone()));
    let diagnostic = diagnostic.or_else(|| prose::finding(view).global.clone());
    let diagnostic = diagnostic.map(|d| own_reply(d, notice, &recipient));
    let codes = diagnostic.as_deref().map(read_codes).unwrap_or_default();
    let dsn_status = group
        .get("Status")
        .and_then(|s| super::codes::find_statuses(s).into_iter().next().map(|(_, code)| code));
    let diag_statuses = diagnostic.as_deref().map(diagnostic_statuses).unwrap_or_default();
    let status = prefer_status(dsn_status, &diag_statuses);
    // "Delivery time expired" (X.4.7) or an undefined X.0.0 wraps the real error, which the
    // prose may give for this recipient (Exchange lists each attempt's reply).
    let status = match status {
        Some(s) if s.ends_with(".4.7") || s.ends_with(".0.0") => {
            match found().and_then(|f| f.diagnostic.as_deref()) {
                Some(prose) => diagnostic_statuses(prose)
                    .into_iter()
                    .find(|p| {
                        p.as_bytes()[0] == s.as_bytes()[0]
                            && !p.ends_with(".4.7")
                            && !p.ends_with(".0.0")
                    })
                    .or(Some(s)),
                None => Some(s),
            }
        }
        status => status,
    };
    let kind = match action.as_deref() {
        Some(a) if a.starts_with("fail") => Kind::Bounce,
        Some(a) if a.starts_with("delay") => Kind::Delay,
        Some("delivered" | "relayed" | "expanded") => Kind::Delivered,
        _ => match status.as_deref().map(|s| s.as_bytes()[0]) {
            Some(b'2') => Kind::Delivered,
            Some(b'4') => Kind::Delay,
            _ => Kind::Bounce,
        },
    };
    let context = matching.and_then(|i| mentions[i].context.as_deref());
    let (stage, stage_source) =
        stage_of(diagnostic.as_deref(), context, diag_type.as_deref(), notice, &recipient);
    let remote = group
        .typed("Remote-MTA")
        .or_else(|| matching.and_then(|i| prose::remote_host(view, &mentions[i])));
    Some(BounceFacts {
        recipient,
        kind: Some(kind),
        status,
        reply_code: codes.reply.or_else(|| found().and_then(|f| f.reply.clone())),
        diagnostic,
        diagnostic_type: diag_type,
        smtp_stage: stage,
        stage_source,
        reporting_mta: message.typed("Reporting-MTA"),
        remote_mta: remote,
        received_from_mta: message.typed("Received-From-MTA"),
        action,
        original_recipient: original_rcpt
            .filter(|o| !internal && final_rcpt.as_deref() != Some(o.as_str())),
        arrival_date: message.typed("Arrival-Date"),
        last_attempt_date: group.typed("Last-Attempt-Date"),
        will_retry_until: group.typed("Will-Retry-Until"),
        vendor_fields: vendor_fields(group),
        ..BounceFacts::default()
    })
}

/// Most vendor fields kept per recipient, and the longest value kept.
const MAX_VENDOR_FIELDS: usize = 16;
const MAX_VENDOR_VALUE: usize = 256;

/// Headers of the bounce itself in which a receiving system states its filter verdict.
const VERDICT_HEADERS: &[&str] = &["X-SPASIGN"];

/// The `X-` extension fields of a DSN recipient group (RFC 3464 section 2.4), by lowercase
/// name: PowerMTA's `X-PowerMTA-BounceCategory`, Exchange's `X-Supplementary-Info`, ...
fn vendor_fields(group: &Group) -> BTreeMap<String, String> {
    group
        .fields
        .iter()
        .filter(|f| f.name.len() > 2 && f.name[..2].eq_ignore_ascii_case("x-"))
        .filter(|f| !f.value.trim().is_empty())
        .take(MAX_VENDOR_FIELDS)
        .map(|f| {
            let value = f.value.trim();
            let end = floor_char_boundary(value, MAX_VENDOR_VALUE.min(value.len()));
            (f.name.to_ascii_lowercase(), value[..end].to_string())
        })
        .collect()
}

/// The comment of a DSN Status field when it says more than the class of the code:
/// `Status: 4.0.0 (mx.example.net: host name lookup failure)`. Sendmail and PowerMTA put the
/// reason there when they have no Diagnostic-Code.
fn status_comment(status: &str) -> Option<String> {
    let open = status.find('(')?;
    let close = status.rfind(')').filter(|c| *c > open)?;
    let comment = status[open + 1..close].trim();
    let generic = [
        "permanent failure",
        "persistent transient failure",
        "transient failure",
        "temporary failure",
        "undefined status",
        "unrecoverable error",
        "other or undefined status",
        "success",
        "delivered",
    ];
    let lower = comment.to_ascii_lowercase();
    (comment.chars().filter(|c| c.is_alphabetic()).count() >= 3
        && !generic.iter().any(|g| lower.trim_end_matches('.') == *g))
    .then(|| comment.to_string())
}

/// The SMTP stage of a recipient's failure and where it was read: the transcript's reply to
/// its RCPT (unless the diagnostic names a stage), "in reply to X command" in the diagnostic
/// or the recipient's context, stage words in either, the DSN's diagnostic type. Each text is
/// read once.
fn stage_of(
    diagnostic: Option<&str>,
    context: Option<&str>,
    diag_type: Option<&str>,
    notice: &str,
    recipient: &str,
) -> (Stage, Option<String>) {
    let prose = || Some("prose".to_string());
    let diag_in_reply = diagnostic.and_then(in_reply_to_stage);
    let diag_words = std::cell::OnceCell::new();
    let diag_words = || *diag_words.get_or_init(|| diagnostic.and_then(stage_words));
    // A session transcript's reply to the recipient's RCPT, unless the diagnostic itself names
    // the command it answered (Postfix's "in reply to X command") or a stage.
    if diag_in_reply.is_none() && diag_words().is_none() {
        if let Some(stage) = transcript::stage_for(notice, recipient) {
            return (stage, Some("transcript: the reply to the recipient's RCPT".to_string()));
        }
    }
    // "(in reply to X command)" anywhere (Postfix puts it in the prose, not in the DSN's
    // Diagnostic-Code) outranks stage words in the reply's own text.
    if let Some(stage) = diag_in_reply.or_else(|| context.and_then(in_reply_to_stage)) {
        return (stage, prose());
    }
    if let Some(stage) = diag_words().or_else(|| context.and_then(stage_words)) {
        return (stage, prose());
    }
    if let Some(t) = diag_type {
        if t.starts_with("x-unix") || t.starts_with("x-local") || t.starts_with("x-postfix") {
            return (Stage::AfterAcceptance, Some("dsn diagnostic type".to_string()));
        }
    }
    (Stage::Unknown, None)
}

/// The recipient's own reply when the transcript gives more than the diagnostic: the whole of
/// a multi-line reply whose first line alone was kept (Sendmail's Diagnostic-Code), or the
/// reply echoing the recipient in place of a consequential 503 to DATA.
fn own_reply(diagnostic: String, notice: &str, recipient: &str) -> String {
    if let Some(whole) = transcript::complete_multiline(&diagnostic, notice) {
        return whole;
    }
    if transcript::is_consequential(diagnostic.trim()) {
        if let Some(own) = transcript::reply_for(notice, recipient) {
            return own;
        }
    }
    diagnostic
}

fn prose_record(found: &Found, format: &str, notice: &str) -> BounceFacts {
    let codes = found.diagnostic.as_deref().map(read_codes).unwrap_or_default();
    let statuses = found.diagnostic.as_deref().map(diagnostic_statuses).unwrap_or_default();
    let status = prefer_status(None, &statuses).or(found.status.clone()).or(codes.status);
    let reply = found.reply.clone().or(codes.reply);
    let kind = if found.delayed { Kind::Delay } else { Kind::Bounce };
    let (stage, stage_source) = stage_of(
        found.diagnostic.as_deref(),
        found.context.as_deref(),
        None,
        notice,
        &found.recipient,
    );
    BounceFacts {
        recipient: found.recipient.clone(),
        kind: Some(kind),
        status,
        reply_code: reply,
        diagnostic: found.diagnostic.clone(),
        smtp_stage: stage,
        stage_source,
        remote_mta: found.remote_mta.clone(),
        action: Some(if kind == Kind::Delay { "delayed" } else { "failed" }.to_string()),
        format: format.to_string(),
        ..BounceFacts::default()
    }
}
