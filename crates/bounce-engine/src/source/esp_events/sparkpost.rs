//! SparkPost (Bird) webhook events: an array of `{"msys": {"<class>_event": {...}}}`, as
//! SparkPost's "Webhook event types" documentation describes them.
//!
//! - `message_event` of `type` `bounce`, `out_of_band`, `policy_rejection`,
//!   `generation_failure` or `generation_rejection`: a failure; `delay`: a delay; `delivery`:
//!   a report. The text is `raw_reason` (the receiver's reply), else `reason`; `error_code` is
//!   the reply code; the status is read from the text (SparkPost states none apart);
//!   `bounce_class` and `reason` kept as labels.
//! - `feedback_event` of `type` `spam_complaint`: a complaint with `fbtype`.
//! - Every other event (`injection`, `open`, `click`, `list_unsubscribe`, ...): not-a-bounce.
//!
//! Every event: `rcpt_to`, `timestamp` (Unix), `message_id` (SparkPost's id, kept as a label
//! and as the message id), `msg_from` (the envelope sender), `sending_ip`, `ip_pool`,
//! `campaign_id`, `transmission_id`.

use bounce_model::Kind;

use super::json::Value;
use super::{scalar, text, Outcome, Shared, Stated};

/// Reads one SparkPost event (`{"msys": {...}}`).
pub(super) fn read(value: &Value<'_>) -> Result<Outcome, String> {
    let msys = value.get("msys").and_then(Value::as_object).ok_or("`msys` is not an object")?;
    // A webhook's test ping is an empty `msys`.
    let Some((class, event)) = msys.first() else { return Ok(Outcome::not_a_bounce()) };
    let event_type = text(event, "type").unwrap_or_default();
    let kind = match (class, event_type) {
        (
            "message_event",
            "bounce"
            | "out_of_band"
            | "policy_rejection"
            | "generation_failure"
            | "generation_rejection",
        ) => Kind::Bounce,
        ("message_event", "delay") => Kind::Delay,
        ("message_event", "delivery") => Kind::Delivered,
        ("feedback_event", "spam_complaint") => Kind::Complaint,
        _ => return Ok(Outcome::not_a_bounce()),
    };
    let mut shared = Shared::new("sparkpost-event");
    for key in [
        "type",
        "bounce_class",
        "reason",
        "error_code",
        "message_id",
        "transmission_id",
        "campaign_id",
        "ip_pool",
        "num_retries",
    ] {
        shared.label(key, event.get(key));
    }
    shared.time(event.get("timestamp"));
    shared.message_id = text(event, "message_id").map(str::to_owned);
    shared.envelope_sender = Shared::stated(text(event, "msg_from"), "SparkPost msg_from");
    shared.sending_ip = Shared::stated(text(event, "sending_ip"), "SparkPost sending_ip");
    shared.subject = text(event, "subject").map(str::to_owned);
    shared.feedback_type = text(event, "fbtype").map(str::to_owned);
    let diagnostic = text(event, "raw_reason").or_else(|| text(event, "reason"));
    shared.outcome(&Stated {
        recipient: text(event, "rcpt_to").unwrap_or_default(),
        kind,
        text: diagnostic,
        status: None,
        reply: event.get("error_code").and_then(scalar),
    })
}
