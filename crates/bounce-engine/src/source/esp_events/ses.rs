//! Amazon SES: SNS notifications (`notificationType`) and event publishing (`eventType`),
//! as the SES Developer Guide documents them ("Amazon SNS notification contents", "Event
//! publishing: contents of event data").
//!
//! - `Bounce`: one record per `bounce.bouncedRecipients[]` (`emailAddress`, `status`, `action`,
//!   `diagnosticCode` without its `smtp; ` type); `bounceType` and `bounceSubType` kept as
//!   labels; `reportingMTA` (without `dsn; `) and `remoteMtaIp`. A recipient whose `action` is
//!   `delayed` is a delay, every other one a bounce.
//! - `DeliveryDelay`: `deliveryDelay.delayedRecipients[]`, kind delay; `delayType` kept;
//!   `expirationTime` is the Will-Retry-Until.
//! - `Complaint`: `complaint.complainedRecipients[]`, `complaintFeedbackType`.
//! - `Delivery`: `delivery.recipients[]` with `smtpResponse`, `remoteMtaIp`, `reportingMTA`.
//! - `Reject` (SES refused to send: a virus): a failure of each `mail.destination`, with
//!   `reject.reason` kept.
//! - Everything else (`Send`, `Open`, `Click`, `Rendering Failure`, `Subscription`) is
//!   not-a-bounce.
//!
//! The mail object: `mail.commonHeaders.messageId` (the Message-ID) or else `mail.messageId`
//! (SES's own id, always kept as the `messageId` label); `mail.source` is the envelope
//! sender. `mail.sourceIp` is the address of the client that called SES, not the one SES sent
//! from, so it is kept as the `sourceIp` label, never as the sending IP.

use bounce_model::Kind;

use super::json::Value;
use super::{scalar, text, Outcome, Shared, Stated};

/// Reads one SES event.
pub(super) fn read(value: &Value<'_>) -> Result<Outcome, String> {
    let kind = text(value, "notificationType")
        .or_else(|| text(value, "eventType"))
        .ok_or("an SES event without notificationType or eventType")?;
    // Sends, opens and clicks first: nothing of theirs is kept.
    let (part, recipients_key) = match kind {
        "Bounce" => ("bounce", "bouncedRecipients"),
        "DeliveryDelay" => ("deliveryDelay", "delayedRecipients"),
        "Complaint" => ("complaint", "complainedRecipients"),
        "Delivery" => ("delivery", "recipients"),
        "Reject" => ("reject", ""),
        _ => return Ok(Outcome::not_a_bounce()),
    };
    let mail = value.get("mail").unwrap_or(&Value::Null);
    let mut shared = Shared::new("ses-event");
    shared.label("notificationType", value.get("notificationType"));
    shared.label("eventType", value.get("eventType"));
    shared.label("messageId", mail.get("messageId"));
    shared.label("sourceIp", mail.get("sourceIp"));
    shared.message_id = mail
        .get("commonHeaders")
        .and_then(|h| text(h, "messageId"))
        .or_else(|| text(mail, "messageId"))
        .map(str::to_owned);
    shared.envelope_sender = Shared::stated(text(mail, "source"), "SES mail.source");
    let headers = mail.get("commonHeaders").unwrap_or(&Value::Null);
    shared.subject = text(headers, "subject").map(str::to_owned);
    shared.from = headers.get("from").and_then(|f| f.at(0)).and_then(scalar);
    shared.time(mail.get("timestamp"));
    let part = value.get(part).ok_or_else(|| format!("an SES {kind} event without `{part}`"))?;
    if part.get("timestamp").is_some() {
        shared.time(part.get("timestamp"));
    }
    shared.reporting_mta = text(part, "reportingMTA").map(|m| without_type(m).to_owned());
    shared.remote_mta = text(part, "remoteMtaIp").map(str::to_owned);
    for key in
        ["bounceType", "bounceSubType", "delayType", "complaintFeedbackType", "complaintSubType"]
    {
        shared.label(key, part.get(key));
    }
    shared.label("remoteMtaIp", part.get("remoteMtaIp"));
    shared.feedback_type = text(part, "complaintFeedbackType").map(str::to_owned);
    if kind == "Reject" {
        shared.label("reject.reason", part.get("reason"));
        let destination = mail.get("destination").and_then(Value::as_array);
        let mut records = Vec::new();
        for address in destination.into_iter().flatten().filter_map(Value::as_str) {
            let stated = Stated {
                recipient: address,
                kind: Kind::Bounce,
                text: None,
                status: None,
                reply: None,
            };
            records.push(stated.facts()?);
        }
        shared.fill(&mut records);
        return Ok(Outcome::of(true, records));
    }
    let listed = part.get(recipients_key).and_then(Value::as_array);
    let mut records = Vec::new();
    for recipient in listed.into_iter().flatten() {
        // Delivery lists addresses; the others list objects with `emailAddress`.
        let address = recipient.as_str().or_else(|| text(recipient, "emailAddress"));
        let address = address.ok_or("an SES recipient without emailAddress")?;
        let kind = match kind {
            "Bounce" if text(recipient, "action") == Some("delayed") => Kind::Delay,
            "Bounce" => Kind::Bounce,
            "DeliveryDelay" => Kind::Delay,
            "Complaint" => Kind::Complaint,
            _ => Kind::Delivered,
        };
        let diagnostic = text(recipient, "diagnosticCode").or_else(|| text(part, "smtpResponse"));
        let stated = Stated {
            recipient: address,
            kind,
            text: diagnostic,
            status: text(recipient, "status"),
            reply: None,
        };
        let mut facts = stated.facts()?;
        if let Some(until) = text(part, "expirationTime") {
            facts.will_retry_until = Some(until.to_owned());
        }
        records.push(facts);
    }
    shared.fill(&mut records);
    Ok(Outcome::of(matches!(kind, "Bounce" | "DeliveryDelay"), records))
}

/// `dsn; a1-23.smtp-out.amazonses.com` → `a1-23.smtp-out.amazonses.com`.
fn without_type(mta: &str) -> &str {
    match mta.split_once(';') {
        Some((kind, rest)) if kind.len() <= 8 && !kind.contains(' ') => rest.trim(),
        _ => mta,
    }
}
