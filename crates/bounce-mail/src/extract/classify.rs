//! Deciding what a message is and building its records.

use std::collections::BTreeMap;

use bounce_model::{BounceFacts, Bucket, Kind, Source, Stage};

use super::codes::{read_codes, stage_from_text};
use super::dsn::{self, Group};
use super::notice::floor_char_boundary;
use super::original;
use super::parts::MessageView;
use super::prose::{self, Found};
use super::transcript;
use super::{ExtractOptions, Extraction};

/// What kind of message this is, before recipients are looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// A delivery status notification or non-delivery report.
    Bounce,
    /// A complaint (ARF feedback report).
    Complaint,
    /// An automatic reply.
    AutoReply,
    /// Anything else.
    Other,
}

pub(super) fn classify(
    view: &MessageView,
    source: &Source,
    options: &ExtractOptions,
) -> Extraction {
    let (kind, mut records) = match super::ses::records(&view.prose) {
        Some(records) => {
            let kind = if records.iter().any(|r| r.kind == Some(Kind::Complaint)) {
                MessageKind::Complaint
            } else {
                MessageKind::Bounce
            };
            (kind, records)
        }
        None => {
            let kind = message_kind(view);
            (kind, records_of(kind, view))
        }
    };
    if records.is_empty() {
        let (bucket, problem) = match kind {
            MessageKind::Other => (Bucket::NotABounce, None),
            _ => (
                Bucket::BounceNoRecipient,
                Some("a delivery report in which no recipient could be found".to_string()),
            ),
        };
        return Extraction { bucket, records, problem };
    }
    let shared = shared_evidence(view, options);
    for record in &mut records {
        if let Some(reply) = record.diagnostic.as_deref().and_then(super::wrapper::without_wrapper)
        {
            record.diagnostic = Some(reply);
        }
        if let Some(diag) = record.diagnostic.as_deref() {
            let codes = read_codes(diag);
            if record.status.is_none() {
                record.status = prefer_status(None, &diagnostic_statuses(diag));
            }
            if record.reply_code.is_none() {
                record.reply_code = codes.reply;
            }
        }
        record.source = source.clone();
        let mut original = shared.clone();
        if let Some(ip) =
            record.diagnostic.as_deref().and_then(super::named_ip::sending_ip_named_in)
        {
            original.sending_ip = Some(bounce_model::Provenanced {
                value: ip,
                source: "the receiver's reply".to_string(),
                uncertain: false,
            });
        }
        record.original = original;
        if record.last_attempt_date.is_none() {
            record.last_attempt_date = view.header("Date").map(str::to_string);
        }
        record.timestamp = record
            .last_attempt_date
            .as_deref()
            .or(record.arrival_date.as_deref())
            .and_then(super::date::to_utc_rfc3339);
        record.bounce_message_id = view.header("Message-ID").map(|m| m.trim().to_string());
    }
    let failures = records.iter().any(|r| r.kind.is_some_and(Kind::is_failure));
    let bucket = if failures { Bucket::Bounce } else { Bucket::Report };
    Extraction { bucket, records, problem: None }
}

fn records_of(kind: MessageKind, view: &MessageView) -> Vec<BounceFacts> {
    match kind {
        MessageKind::Complaint => complaint_records(view),
        MessageKind::AutoReply => auto_reply_records(view),
        MessageKind::Bounce => bounce_records(view),
        MessageKind::Other => Vec::new(),
    }
}

/// Evidence about the returned original, shared by every record of one bounce.
fn shared_evidence(view: &MessageView, options: &ExtractOptions) -> bounce_model::Original {
    let (head, returned_as, body) = match &view.original_headers {
        Some((head, how)) => (head.clone(), Some(*how), view.original_body.as_deref()),
        None => match prose::inline_original(&view.prose) {
            Some((head, body)) => (head, Some("inline"), Some(body)),
            None => (String::new(), None, None),
        },
    };
    let headers = original::parse_header_block(&head);
    let mut evidence = original::original_evidence(&headers, body, &options.capture_headers);
    evidence.returned_as = returned_as.map(str::to_string);
    if let Some(group) = view.dsn_texts.iter().flat_map(|t| dsn::parse_groups(t)).next() {
        evidence.envelope_id = group.typed("Original-Envelope-Id");
        if evidence.envelope_sender.is_none() {
            if let Some(sender) = group.typed("X-Postfix-Sender") {
                evidence.envelope_sender = Some(bounce_model::Provenanced {
                    value: sender,
                    source: "DSN X-Postfix-Sender".to_string(),
                    uncertain: false,
                });
            }
        }
    }
    evidence
}

/// Decides whether the message is a bounce, a complaint, an auto-reply or something else.
pub(super) fn message_kind(view: &MessageView) -> MessageKind {
    if is_machine_report(view) {
        return MessageKind::Other;
    }
    if !view.feedback_texts.is_empty() || view.report_type.as_deref() == Some("feedback-report") {
        return MessageKind::Complaint;
    }
    if !view.dsn_texts.is_empty()
        || view.report_type.as_deref() == Some("delivery-status")
        || view.mdn_rejects()
    {
        return MessageKind::Bounce;
    }
    if is_unsubscribe_request(view) {
        return MessageKind::Complaint;
    }
    if is_auto_reply(view) {
        return MessageKind::AutoReply;
    }
    if prose::looks_like_bounce(view) {
        return MessageKind::Bounce;
    }
    if prose::looks_like_complaint(view) {
        return MessageKind::Complaint;
    }
    MessageKind::Other
}

/// An unsubscribe request a mail client sent automatically to a `mailto:` List-Unsubscribe
/// address (Apple Mail marks it `X-Apple-Unsubscribe: true`): an opt-out complaint.
/// Machine reports that reach a bounce mailbox without being about a failed delivery: read
/// receipts (RFC 8098 disposition notifications), TLS reports (RFC 8460) and DMARC aggregate
/// reports (RFC 7489 section 7.2: subject `Report Domain: ... Submitter: ...`).
fn is_machine_report(view: &MessageView) -> bool {
    if view.report_type.as_deref() == Some("disposition-notification") && !view.mdn_rejects() {
        return true;
    }
    if view.report_type.as_deref() == Some("tlsrpt") {
        return true;
    }
    let subject = view.subject.to_ascii_lowercase();
    subject.contains("report domain:") && subject.contains("submitter:")
}

fn is_unsubscribe_request(view: &MessageView) -> bool {
    let apple =
        view.header("X-Apple-Unsubscribe").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let auto = view.header("Auto-Submitted").is_some_and(|v| !v.trim().eq_ignore_ascii_case("no"));
    apple || (auto && view.subject.trim().eq_ignore_ascii_case("unsubscribe"))
}

fn is_auto_reply(view: &MessageView) -> bool {
    let auto = view.header("Auto-Submitted").map(str::to_ascii_lowercase);
    if auto.as_deref().is_some_and(|a| a.starts_with("auto-replied")) {
        return !prose::looks_like_bounce(view);
    }
    if view.header("X-Autoreply").is_some()
        || view.header("X-Autorespond").is_some()
        || view
            .header("X-Auto-Response-Suppress")
            .is_some_and(|_| subject_is_auto_reply(&view.subject))
    {
        return !prose::looks_like_bounce(view);
    }
    let precedence = view.header("Precedence").map(str::to_ascii_lowercase);
    if precedence.as_deref() == Some("auto_reply") {
        return true;
    }
    subject_is_auto_reply(&view.subject) && !prose::looks_like_bounce(view)
}

fn subject_is_auto_reply(subject: &str) -> bool {
    let s = subject.to_lowercase();
    [
        "out of office",
        "out of the office",
        "automatic reply",
        "auto reply",
        "autoreply",
        "auto-reply",
        "auto response",
        "autoresponse",
        "vacation",
        "away from my mail",
        "abwesenheit",
        "absence",
        "réponse automatique",
        "respuesta automática",
        "不在",
        "自動応答",
        "自動返信",
    ]
    .iter()
    .any(|p| s.contains(p))
        || s.starts_with("auto:")
}

fn auto_reply_records(view: &MessageView) -> Vec<BounceFacts> {
    let Some(from) = original::extract_addr_spec(&view.from)
        .or_else(|| view.header("From").and_then(original::extract_addr_spec))
    else {
        return Vec::new();
    };
    let first_line = view.prose.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    // The whole reply (cut) is evidence for rules (`notice`): "I have left the company" or
    // "this address is no longer in use" is rarely the first line.
    let body = view.prose.trim();
    let body = &body[..floor_char_boundary(body, MAX_NOTICE.min(body.len()))];
    vec![BounceFacts {
        recipient: from,
        kind: Some(Kind::AutoReply),
        notice: Some(body.to_string()).filter(|b| !b.is_empty()),
        diagnostic: Some(if first_line.is_empty() {
            view.subject.clone()
        } else {
            first_line.to_string()
        }),
        format: "rfc3834".to_string(),
        ..BounceFacts::default()
    }]
}

fn complaint_records(view: &MessageView) -> Vec<BounceFacts> {
    let groups: Vec<Group> =
        view.feedback_texts.iter().flat_map(|t| dsn::parse_groups(t)).collect();
    let field = |name: &str| groups.iter().find_map(|g| g.get(name)).map(str::to_string);
    if groups.is_empty() && is_unsubscribe_request(view) {
        let from = original::extract_addr_spec(&view.from).unwrap_or_default();
        return vec![BounceFacts {
            recipient: from,
            kind: Some(Kind::Complaint),
            feedback_type: Some("opt-out".to_string()),
            diagnostic: Some(first_paragraph(&view.prose)),
            format: "unsubscribe".to_string(),
            ..BounceFacts::default()
        }];
    }
    let feedback_type = field("Feedback-Type").map(|t| t.to_ascii_lowercase());
    let mut recipients: Vec<String> = groups
        .iter()
        .flat_map(|g| g.fields.iter())
        .filter(|f| {
            f.name.eq_ignore_ascii_case("Original-Rcpt-To")
                || f.name.eq_ignore_ascii_case("Removal-Recipient")
        })
        .filter_map(|f| original::extract_addr_spec(&f.value))
        .collect();
    if recipients.is_empty() {
        if let Some(to) = view.original_to.clone() {
            recipients.push(to);
        } else if let Some((head, _)) = &view.original_headers {
            let headers = original::parse_header_block(head);
            if let Some(to) = headers.iter().find(|h| h.name.eq_ignore_ascii_case("To")) {
                recipients.extend(original::extract_addr_spec(&to.value));
            }
        }
    }
    if recipients.is_empty() {
        recipients.extend(prose::complaint_recipients(view));
    }
    dedup(&mut recipients);
    if recipients.is_empty() {
        // A complaint whose recipient was redacted is still a complaint against the sender:
        // one record with an empty recipient keeps it counted.
        recipients.push(String::new());
    }
    let arrival = field("Arrival-Date").or_else(|| field("Received-Date"));
    let reporting = field("Reporting-MTA").map(|v| dsn::split_type(&v).1);
    // The report's own verdict, for rules (`vendor_field "feedback-type"`): an auth-failure or
    // not-spam report is not a recipient's complaint.
    let vendor: BTreeMap<String, String> =
        feedback_type.iter().map(|t| ("feedback-type".to_string(), t.clone())).collect();
    recipients
        .into_iter()
        .map(|recipient| BounceFacts {
            recipient,
            kind: Some(Kind::Complaint),
            feedback_type: feedback_type.clone(),
            vendor_fields: vendor.clone(),
            diagnostic: Some(first_paragraph(&view.prose)),
            arrival_date: arrival.clone(),
            reporting_mta: reporting.clone(),
            format: "arf".to_string(),
            ..BounceFacts::default()
        })
        .collect()
}

fn dedup(list: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    list.retain(|a| seen.insert(a.to_ascii_lowercase()));
}

fn first_paragraph(text: &str) -> String {
    let para: Vec<&str> = text
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .collect();
    para.join(" ")
}

fn bounce_records(view: &MessageView) -> Vec<BounceFacts> {
    let found = prose::finding(view);
    let mut groups: Vec<Group> = view.dsn_texts.iter().flat_map(|t| dsn::parse_groups(t)).collect();
    let rejecting_mdn = groups.is_empty() && view.mdn_rejects();
    if rejecting_mdn {
        // A rejecting disposition notification names its recipient as a DSN does.
        groups = view.mdn_texts.iter().flat_map(|t| dsn::parse_groups(t)).collect();
    }
    if groups.iter().all(|g| !g.is_recipient()) {
        // Some MTAs put the DSN fields in the text part.
        if let Some(embedded) = prose::embedded_dsn(&view.prose) {
            groups = dsn::parse_groups(&embedded);
        }
    }
    let message_group = groups.iter().find(|g| !g.is_recipient()).cloned().unwrap_or_default();
    let mut records: Vec<BounceFacts> = groups
        .iter()
        .filter(|g| g.is_recipient())
        .filter_map(|g| {
            dsn_record(&message_group, g, &found.recipients, found.global.as_ref(), view.notice())
        })
        .collect();
    if rejecting_mdn {
        // The receiving side rejected the message for good (RFC 8098 "deleted"/"failed"
        // disposition): no retry follows, as with a DSN's `Action: failed`.
        for record in records.iter_mut().filter(|r| r.action.is_none()) {
            record.action = Some("failed".to_string());
        }
    }
    if records.is_empty() {
        let failed = failed_recipients_header(view);
        records = if failed.is_empty() {
            found.recipients.iter().map(|f| prose_record(f, &found.format, view.notice())).collect()
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
                    prose_record(&f, &found.format, view.notice())
                })
                .collect()
        };
    } else {
        for r in &mut records {
            r.format =
                if found.format.is_empty() { "rfc3464".to_string() } else { found.format.clone() };
        }
    }
    if records.is_empty() {
        // The notice names nobody (old Sendmail, some gateways): the returned original's
        // single To address is the recipient the bounce is about.
        if let Some(to) = returned_single_to(view) {
            let f = Found { recipient: to, diagnostic: found.global.clone(), ..Found::default() };
            records.push(prose_record(&f, &found.format, view.notice()));
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
        if r.reporting_mta.is_none() {
            r.reporting_mta.clone_from(&found.reporting_mta);
        }
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
        None => prose::inline_original(&view.prose)?.0,
    };
    let headers = original::parse_header_block(&head);
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
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("X-Failed-Recipients"))
        .flat_map(|(_, v)| v.split(',').filter_map(original::extract_addr_spec).collect::<Vec<_>>())
        .filter(|a| a.contains('@'))
        .collect();
    dedup(&mut out);
    out
}

/// Builds a record from a DSN per-recipient group, enriched by the prose of the bounce.
fn dsn_record(
    message: &Group,
    group: &Group,
    prose_found: &[Found],
    global: Option<&String>,
    notice: &str,
) -> Option<BounceFacts> {
    let global = global.cloned();
    let final_rcpt = group.typed("Final-Recipient");
    let original_rcpt = group.typed("Original-Recipient");
    let recipient = final_rcpt
        .as_deref()
        .and_then(original::extract_addr_spec)
        .or_else(|| original_rcpt.as_deref().and_then(original::extract_addr_spec))?;
    let action =
        group.get("Action").map(|a| a.trim().to_ascii_lowercase()).filter(|a| !a.is_empty());
    let (diag_type, diagnostic) = match group.get("Diagnostic-Code") {
        Some(v) => {
            let (t, text) = dsn::split_type(v);
            (t, Some(text).filter(|t| !t.is_empty()))
        }
        None => (None, None),
    };
    let matching = prose_found
        .iter()
        .find(|f| f.recipient.eq_ignore_ascii_case(&recipient))
        .or_else(|| if prose_found.len() == 1 { prose_found.first() } else { None });
    let diagnostic = diagnostic.or_else(|| group.get("Status").and_then(status_comment));
    let diagnostic = diagnostic.or_else(|| matching.and_then(|f| f.diagnostic.clone()));
    let diagnostic = diagnostic.or_else(|| global.clone());
    let diagnostic = diagnostic.map(|d| own_reply(d, notice, &recipient));
    let codes = diagnostic.as_deref().map(read_codes).unwrap_or_default();
    let dsn_status = group
        .get("Status")
        .and_then(|s| super::codes::find_statuses(s).into_iter().next().map(|(_, code)| code));
    let diag_statuses = diagnostic.as_deref().map(diagnostic_statuses).unwrap_or_default();
    let status = prefer_status(dsn_status, &diag_statuses);
    // "Delivery time expired" (X.4.7) or an undefined X.0.0 wraps the real error, which the
    // prose may give for this recipient (Exchange lists each attempt's reply).
    let status = match (status, matching.and_then(|f| f.diagnostic.as_deref())) {
        (Some(s), Some(prose)) if s.ends_with(".4.7") || s.ends_with(".0.0") => {
            let prose_statuses = diagnostic_statuses(prose);
            prose_statuses
                .into_iter()
                .find(|p| {
                    p.as_bytes()[0] == s.as_bytes()[0]
                        && !p.ends_with(".4.7")
                        && !p.ends_with(".0.0")
                })
                .or(Some(s))
        }
        (status, _) => status,
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
    let stage_text = [diagnostic.as_deref(), matching.and_then(|f| f.context.as_deref())];
    let (stage, stage_source) = match transcript_stage(diagnostic.as_deref(), notice, &recipient) {
        Some(found) => found,
        None => stage_of(&stage_text, diag_type.as_deref(), group),
    };
    let remote = group.typed("Remote-MTA").or_else(|| matching.and_then(|f| f.remote_mta.clone()));
    Some(BounceFacts {
        recipient,
        kind: Some(kind),
        status,
        reply_code: codes.reply.or_else(|| matching.and_then(|f| f.reply.clone())),
        diagnostic,
        diagnostic_type: diag_type,
        smtp_stage: stage,
        stage_source,
        reporting_mta: message.typed("Reporting-MTA"),
        remote_mta: remote,
        received_from_mta: message.typed("Received-From-MTA"),
        action,
        original_recipient: original_rcpt.filter(|o| final_rcpt.as_deref() != Some(o.as_str())),
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

/// The most of a notice kept for the rules.
const MAX_NOTICE: usize = 2048;

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

/// Chooses between the DSN's Status and the codes its diagnostic states.
///
/// The diagnostic is the receiver's own words and usually more specific: it wins unless its
/// code is generic (`X.0.0`, or `X.4.7` "delivery time expired" wrapped around the real
/// error) or of another class than the DSN's.
fn prefer_status(dsn: Option<String>, diagnostic: &[String]) -> Option<String> {
    let generic = |s: &str| s.ends_with(".0.0") || s.ends_with(".4.7");
    let best_diag = diagnostic.iter().find(|s| !generic(s)).or(diagnostic.first()).cloned();
    match (dsn, best_diag) {
        (None, d) => d,
        (Some(d), None) => Some(d),
        (Some(d), Some(t)) => {
            if t == d || t.as_bytes()[0] != d.as_bytes()[0] || generic(&t) {
                Some(d)
            } else {
                Some(t)
            }
        }
    }
}

fn stage_of(
    texts: &[Option<&str>],
    diag_type: Option<&str>,
    group: &Group,
) -> (Stage, Option<String>) {
    // "(in reply to X command)" anywhere (Postfix puts it in the prose, not in the DSN's
    // Diagnostic-Code) outranks stage words in the reply's own text.
    for text in texts.iter().flatten() {
        if let Some(stage) = super::codes::in_reply_to_stage(text) {
            return (stage, Some("prose".to_string()));
        }
    }
    for text in texts.iter().flatten() {
        if let Some(stage) = stage_from_text(text) {
            return (stage, Some("prose".to_string()));
        }
    }
    if let Some(t) = diag_type {
        if t.starts_with("x-unix") || t.starts_with("x-local") || t.starts_with("x-postfix") {
            return (Stage::AfterAcceptance, Some("dsn diagnostic type".to_string()));
        }
    }
    let _ = group;
    (Stage::Unknown, None)
}

/// The statuses a diagnostic states: the one paired with the reply code first.
fn diagnostic_statuses(text: &str) -> Vec<String> {
    let mut out: Vec<String> = read_codes(text).status.into_iter().collect();
    for (_, s) in super::codes::find_statuses(text) {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
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

/// The stage a session transcript shows for the recipient, unless the diagnostic itself names
/// the command it answered (Postfix's "in reply to X command").
fn transcript_stage(
    diagnostic: Option<&str>,
    notice: &str,
    recipient: &str,
) -> Option<(Stage, Option<String>)> {
    if diagnostic.and_then(stage_from_text).is_some() {
        return None;
    }
    let stage = transcript::stage_for(notice, recipient)?;
    Some((stage, Some("transcript: the reply to the recipient's RCPT".to_string())))
}

fn prose_record(found: &Found, format: &str, notice: &str) -> BounceFacts {
    let codes = found.diagnostic.as_deref().map(read_codes).unwrap_or_default();
    let statuses = found.diagnostic.as_deref().map(diagnostic_statuses).unwrap_or_default();
    let status = prefer_status(None, &statuses).or(found.status.clone()).or(codes.status);
    let reply = found.reply.clone().or(codes.reply);
    let kind = if found.delayed { Kind::Delay } else { Kind::Bounce };
    let texts = [found.diagnostic.as_deref(), found.context.as_deref()];
    let (stage, stage_source) =
        match transcript_stage(found.diagnostic.as_deref(), notice, &found.recipient) {
            Some(found) => found,
            None => stage_of(&texts, None, &Group::default()),
        };
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
