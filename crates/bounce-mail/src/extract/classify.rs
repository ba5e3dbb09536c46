//! Building the records of a message: the family that claims it reads each recipient's facts
//! ([`family::read`]); what every record shares is added here (the returned original's
//! evidence, codes read from the diagnostic, dates, the bounce's Message-ID).

use std::borrow::Cow;

use bounce_model::{BounceFacts, Bucket, Kind, Source, Stage};

use super::codes::{diagnostic_statuses, prefer_status, read_codes};
use super::family::{self, MessageKind};
use super::original;
use super::parts::MessageView;
use super::prose;
use super::{ExtractOptions, Extraction};

pub(super) fn classify(
    view: &MessageView,
    source: &Source,
    options: &ExtractOptions,
) -> Extraction {
    let (kind, mut records) = family::read(view);
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
        if record.smtp_stage == Stage::Unknown && replies_to_sender(record) {
            // "550 5.7.1 <news@example.com>... Access denied": the reply echoes our envelope
            // sender, not the recipient; it answered MAIL FROM (or a sender check).
            record.smtp_stage = Stage::Mail;
            record.stage_source = Some("the reply names the envelope sender".to_string());
        }
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

/// Evidence about the returned original, shared by every record of one bounce.
fn shared_evidence(view: &MessageView, options: &ExtractOptions) -> bounce_model::Original {
    let (head, returned_as, body) = match &view.original_headers {
        Some((head, how)) => (Cow::Borrowed(head.as_str()), Some(*how), view.original_body()),
        None => match prose::inline_original(view) {
            Some((head, body)) => (Cow::Owned(head), Some("inline"), Some(body)),
            None => (Cow::Borrowed(""), None, None),
        },
    };
    let headers = view.original_header_block(&head);
    let mut evidence = original::original_evidence(&headers, body, &options.capture_headers);
    evidence.returned_as = returned_as.map(str::to_string);
    if let Some(group) = view.dsn_groups().first() {
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

/// Whether the record's reply names the envelope sender in angle brackets (`<addr>`) and not
/// the recipient: the shape of a reply to MAIL FROM.
fn replies_to_sender(record: &BounceFacts) -> bool {
    let (Some(diagnostic), Some(sender)) =
        (record.diagnostic.as_deref(), record.original.envelope_sender.as_ref())
    else {
        return false;
    };
    let sender = sender.value.trim();
    if sender.is_empty() || !sender.contains('@') || sender.eq_ignore_ascii_case(&record.recipient)
    {
        return false;
    }
    super::transcript::echoes(diagnostic, sender)
        && (record.recipient.is_empty() || !super::transcript::names(diagnostic, &record.recipient))
}
