//! Brevo (formerly Sendinblue) transactional webhook events: `{event, email, id, date,
//! ts_event, message-id, subject, tag, sending_ip, reason}`, as Brevo's webhook documentation
//! describes them.
//!
//! - `hard_bounce`, `soft_bounce`, `blocked`, `invalid_email`, `error`: a failure with `reason`
//!   as the text (Brevo states no code apart); the event name is kept as a label.
//! - `deferred`: a delay. `delivered`: a delivery. `spam`: a complaint.
//! - `request`, `opened`, `unique_opened`, `click`, `unsubscribed`, `proxy_open`: not-a-bounce.
//!
//! Every event: `email`, `ts_event` (Unix) or `date`, `message-id` (the Message-ID),
//! `sending_ip`.

use bounce_model::Kind;

use super::json::Value;
use super::{text, Outcome, Shared, Stated};

/// Reads one Brevo event.
pub(super) fn read(value: &Value<'_>) -> Result<Outcome, String> {
    let event = text(value, "event").ok_or("a Brevo event without `event`")?;
    let kind = match event {
        "hard_bounce" | "soft_bounce" | "blocked" | "invalid_email" | "error" => Kind::Bounce,
        "deferred" => Kind::Delay,
        "delivered" => Kind::Delivered,
        "spam" | "complaint" => Kind::Complaint,
        _ => return Ok(Outcome::not_a_bounce()),
    };
    let mut shared = Shared::new("brevo-event");
    for key in ["event", "id", "tag"] {
        shared.label(key, value.get(key));
    }
    shared
        .time(value.get("ts_event").or_else(|| value.get("ts_epoch")).or_else(|| value.get("ts")));
    shared.message_id = text(value, "message-id").map(str::to_owned);
    shared.sending_ip = Shared::stated(text(value, "sending_ip"), "Brevo sending_ip");
    shared.subject = text(value, "subject").map(str::to_owned);
    let diagnostic = if kind == Kind::Complaint { None } else { text(value, "reason") };
    shared.outcome(&Stated {
        recipient: text(value, "email").unwrap_or_default(),
        kind,
        text: diagnostic,
        status: None,
        reply: None,
    })
}
