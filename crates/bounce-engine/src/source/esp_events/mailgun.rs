//! Mailgun events: the `event-data` of a webhook body (`{signature, event-data}`) or an item
//! of the Events API, as Mailgun's "Events" and "Webhooks" documentation describes them.
//!
//! - `failed`: `severity` `temporary` is a delay, `permanent` a bounce; the text is
//!   `delivery-status.message` (the receiver's reply), else `delivery-status.description`;
//!   `delivery-status.code` is the reply code when it is an SMTP one (Mailgun's own codes such
//!   as 605 are kept as a label), `delivery-status.enhanced-code` the status,
//!   `delivery-status.mx-host` the remote MTA; `severity`, `reason` and the description kept.
//! - `rejected` (Mailgun refused to send): a failure with `reject.reason` and
//!   `reject.description`.
//! - `delivered`: a report. `complained`: a complaint.
//! - `accepted`, `opened`, `clicked`, `unsubscribed`, `stored` and the rest: not-a-bounce.
//!
//! Every event: `recipient`, `timestamp` (Unix, with fractions),
//! `message.headers.message-id` (the Message-ID), `envelope.sender` and `envelope.sending-ip`.

use bounce_model::Kind;

use super::json::Value;
use super::{scalar, text, Outcome, Shared, Stated};

/// Reads one Mailgun event (the `event-data` object).
pub(super) fn read(value: &Value<'_>) -> Result<Outcome, String> {
    let event = text(value, "event").ok_or("a Mailgun event without `event`")?;
    let kind = match event {
        "failed" if text(value, "severity") == Some("temporary") => Kind::Delay,
        "failed" | "rejected" => Kind::Bounce,
        "delivered" => Kind::Delivered,
        "complained" => Kind::Complaint,
        _ => return Ok(Outcome::not_a_bounce()),
    };
    let status = value.get("delivery-status").unwrap_or(&Value::Null);
    let reject = value.get("reject").unwrap_or(&Value::Null);
    let mut shared = Shared::new("mailgun-event");
    for key in ["event", "severity", "reason", "id"] {
        shared.label(key, value.get(key));
    }
    shared.label("delivery-status.code", status.get("code"));
    shared.label("delivery-status.attempt-no", status.get("attempt-no"));
    shared.label("reject.reason", reject.get("reason"));
    shared.time(value.get("timestamp"));
    let headers = value.get("message").and_then(|m| m.get("headers")).unwrap_or(&Value::Null);
    shared.message_id = text(headers, "message-id").map(str::to_owned);
    shared.subject = text(headers, "subject").map(str::to_owned);
    let envelope = value.get("envelope").unwrap_or(&Value::Null);
    shared.envelope_sender = Shared::stated(text(envelope, "sender"), "Mailgun envelope.sender");
    shared.sending_ip = Shared::stated(text(envelope, "sending-ip"), "Mailgun envelope.sending-ip");
    shared.remote_mta = text(status, "mx-host").map(str::to_owned);
    let message = text(status, "message");
    let description = text(status, "description");
    let diagnostic = message.or(description).or_else(|| text(reject, "description"));
    if message.is_some() {
        shared.label("delivery-status.description", status.get("description"));
    }
    shared.outcome(&Stated {
        recipient: text(value, "recipient").unwrap_or_default(),
        kind,
        text: diagnostic,
        status: text(status, "enhanced-code"),
        reply: status.get("code").and_then(scalar),
    })
}
