//! Mandrill (Mailchimp Transactional) message events, as Mandrill's webhook documentation
//! describes them: `{event, ts, _id, msg}`, posted as a JSON array in the `mandrill_events`
//! form field (the source decodes the form body).
//!
//! - `hard_bounce`, `soft_bounce`, `reject`: a failure; the text is `msg.diag` (the receiver's
//!   reply), else `msg.bounce_description` (Mandrill's category, also kept as a label).
//! - `deferral`: a delay; the text is the `diag` of the last `msg.smtp_events`.
//! - `send` (sent successfully): a delivery, with the last SMTP event's `diag`.
//! - `spam`: a complaint.
//! - `open`, `click`, `unsub` and the sync events (`type` with `action`): not-a-bounce.
//!
//! Every event: `msg.email`, `ts` (Unix), `msg._id` (Mandrill's id), `msg.sender`,
//! `msg.subject`, `msg.state`; the last SMTP event's `source_ip` is the sending IP and its
//! `destination_ip` the remote MTA.

use bounce_model::Kind;

use super::json::Value;
use super::{text, Outcome, Shared, Stated};

/// Reads one Mandrill event.
pub(super) fn read(value: &Value<'_>) -> Result<Outcome, String> {
    let Some(event) = text(value, "event") else { return Ok(Outcome::not_a_bounce()) };
    let kind = match event {
        "hard_bounce" | "soft_bounce" | "reject" => Kind::Bounce,
        "deferral" => Kind::Delay,
        "send" => Kind::Delivered,
        "spam" => Kind::Complaint,
        _ => return Ok(Outcome::not_a_bounce()),
    };
    let msg = value.get("msg").unwrap_or(&Value::Null);
    let last_smtp = msg.get("smtp_events").and_then(Value::as_array).and_then(|e| e.last());
    let last_smtp = last_smtp.unwrap_or(&Value::Null);
    let mut shared = Shared::new("mandrill-event");
    shared.label("event", value.get("event"));
    for key in ["state", "bounce_description", "_id"] {
        shared.label(key, msg.get(key));
    }
    shared.label("reject.reason", msg.get("reject").and_then(|r| r.get("reason")));
    shared.time(value.get("ts"));
    shared.message_id = text(msg, "_id").map(str::to_owned);
    shared.envelope_sender = Shared::stated(text(msg, "sender"), "Mandrill msg.sender");
    shared.subject = text(msg, "subject").map(str::to_owned);
    shared.sending_ip =
        Shared::stated(text(last_smtp, "source_ip"), "Mandrill smtp_events source_ip");
    shared.remote_mta = text(last_smtp, "destination_ip").map(str::to_owned);
    let diagnostic = match kind {
        Kind::Bounce => text(msg, "diag").or_else(|| text(msg, "bounce_description")),
        Kind::Delay | Kind::Delivered => text(last_smtp, "diag"),
        _ => None,
    };
    shared.outcome(&Stated {
        recipient: text(msg, "email").unwrap_or_default(),
        kind,
        text: diagnostic,
        status: None,
        reply: None,
    })
}
