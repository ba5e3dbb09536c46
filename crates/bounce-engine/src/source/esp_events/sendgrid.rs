//! SendGrid Event Webhook events (a JSON array per POST), as the Event Webhook Reference
//! documents them.
//!
//! - `bounce` (its `type` is `bounce` or `blocked`) and `dropped`: a failure with `reason` as
//!   the text (the receiver's reply for a bounce, SendGrid's own words for a drop), `status` as
//!   the enhanced code; `type` and `bounce_classification` kept as labels.
//! - `deferred`: a delay with `response` (or `reason`) as the text; `attempt` kept.
//! - `delivered`: a report with `response`. `spamreport`: a complaint.
//! - `processed`, `open`, `click`, `unsubscribe`, `group_unsubscribe`, `group_resubscribe`:
//!   not-a-bounce.
//!
//! Every event: `email`, `timestamp` (Unix), `smtp-id` (the Message-ID), `sg_message_id` and
//! `sg_event_id` kept, `ip` (the IP SendGrid sent from) as the sending IP, `tls` and
//! `pool.name` kept.

use bounce_model::Kind;

use super::json::Value;
use super::{text, Outcome, Shared, Stated};

/// Reads one SendGrid event.
pub(super) fn read(value: &Value<'_>) -> Result<Outcome, String> {
    let event = text(value, "event").ok_or("a SendGrid event without `event`")?;
    let (kind, text_key) = match event {
        "bounce" | "dropped" => (Kind::Bounce, "reason"),
        "deferred" => (Kind::Delay, "response"),
        "delivered" => (Kind::Delivered, "response"),
        "spamreport" => (Kind::Complaint, "reason"),
        _ => return Ok(Outcome::not_a_bounce()),
    };
    let mut shared = Shared::new("sendgrid-event");
    for key in ["event", "type", "bounce_classification", "sg_message_id", "sg_event_id", "tls"] {
        shared.label(key, value.get(key));
    }
    shared.label("attempt", value.get("attempt"));
    shared.label("pool.name", value.get("pool").and_then(|p| p.get("name")));
    shared.time(value.get("timestamp"));
    shared.message_id = text(value, "smtp-id").map(str::to_owned);
    shared.sending_ip = Shared::stated(text(value, "ip"), "SendGrid event ip");
    let diagnostic = text(value, text_key).or_else(|| text(value, "reason"));
    shared.outcome(&Stated {
        recipient: text(value, "email").unwrap_or_default(),
        kind,
        text: diagnostic,
        status: text(value, "status"),
        reply: None,
    })
}
