//! Postal (the open-source mail server) webhook events: `{event, timestamp, uuid, payload}`,
//! as Postal's webhook documentation describes them.
//!
//! - `MessageDeliveryFailed`: a failure; `MessageDelayed`: a delay; `MessageSent`: a delivery.
//!   The text is `payload.output` (the receiver's reply), else `payload.details` (Postal's
//!   words, kept as a label); `payload.status` (`HardFail`, `SoftFail`, `Sent`) kept.
//! - Every other event (`MessageHeld`, `MessageBounced`, `MessageLinkClicked`,
//!   `MessageLoaded`, `DomainDNSError`, ...): not-a-bounce.
//!
//! Every event: `payload.message.to`, `payload.timestamp` or `timestamp` (Unix),
//! `payload.message.message_id` (the Message-ID), `payload.message.from`, `subject`, `tag`.

use bounce_model::Kind;

use super::json::Value;
use super::{text, Outcome, Shared, Stated};

/// Reads one Postal event.
pub(super) fn read(value: &Value<'_>) -> Result<Outcome, String> {
    let event = text(value, "event").ok_or("a Postal event without `event`")?;
    let kind = match event {
        "MessageDeliveryFailed" => Kind::Bounce,
        "MessageDelayed" => Kind::Delay,
        "MessageSent" => Kind::Delivered,
        _ => return Ok(Outcome::not_a_bounce()),
    };
    let payload = value.get("payload").unwrap_or(&Value::Null);
    let message = payload.get("message").unwrap_or(&Value::Null);
    let mut shared = Shared::new("postal-event");
    shared.label("event", value.get("event"));
    shared.label("status", payload.get("status"));
    shared.label("details", payload.get("details"));
    shared.label("tag", message.get("tag"));
    shared.label("token", message.get("token"));
    shared.time(payload.get("timestamp").or_else(|| value.get("timestamp")));
    shared.message_id = text(message, "message_id").map(str::to_owned);
    shared.from = text(message, "from").map(str::to_owned);
    shared.subject = text(message, "subject").map(str::to_owned);
    let diagnostic = text(payload, "output").or_else(|| text(payload, "details"));
    shared.outcome(&Stated {
        recipient: text(message, "to").unwrap_or_default(),
        kind,
        text: diagnostic,
        status: None,
        reply: None,
    })
}
