//! Mailjet Event API (webhook) events, as Mailjet's "Event Tracking API" documents them: every
//! event has `event` and `time` (Unix), and `email`, `MessageID`, `Message_GUID`,
//! `mj_campaign_id`, `customcampaign`.
//!
//! - `bounce`: a failure; `hard_bounce`, `blocked`, `error_related_to` and `error` (Mailjet's
//!   classification) kept as labels; the text is `comment` (the receiver's words, when given),
//!   else `error`.
//! - `blocked` (Mailjet refused to send): a failure with `error_related_to` and `error`.
//! - `spam`: a complaint (`source` kept).
//! - `sent`: a delivery, with `smtp_reply` as the text.
//! - `open`, `click`, `unsub`: not-a-bounce.

use bounce_model::Kind;

use super::json::Value;
use super::{text, Outcome, Shared, Stated};

/// Reads one Mailjet event.
pub(super) fn read(value: &Value<'_>) -> Result<Outcome, String> {
    let event = text(value, "event").ok_or("a Mailjet event without `event`")?;
    let kind = match event {
        "bounce" | "blocked" => Kind::Bounce,
        "spam" => Kind::Complaint,
        "sent" => Kind::Delivered,
        _ => return Ok(Outcome::not_a_bounce()),
    };
    let mut shared = Shared::new("mailjet-event");
    for key in [
        "event",
        "hard_bounce",
        "blocked",
        "error_related_to",
        "error",
        "source",
        "MessageID",
        "Message_GUID",
        "mj_campaign_id",
        "customcampaign",
        "CustomID",
    ] {
        shared.label(key, value.get(key));
    }
    shared.time(value.get("time"));
    shared.message_id = text(value, "Message_GUID")
        .map(str::to_owned)
        .or_else(|| value.get("MessageID").and_then(super::scalar));
    let diagnostic = match kind {
        Kind::Delivered => text(value, "smtp_reply"),
        Kind::Complaint => None,
        _ => text(value, "comment").or_else(|| text(value, "error")),
    };
    shared.outcome(&Stated {
        recipient: text(value, "email").unwrap_or_default(),
        kind,
        text: diagnostic,
        status: None,
        reply: None,
    })
}
