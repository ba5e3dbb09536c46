//! Resend webhook events: `{type, created_at, data}`, as Resend's webhook documentation
//! describes them.
//!
//! - `email.bounced`: a failure of each address of `data.to`; the text is
//!   `data.bounce.message`; `data.bounce.type` and `data.bounce.subType` kept as labels.
//! - `email.delivery_delayed`: a delay. `email.delivered`: a delivery. `email.complained`: a
//!   complaint. `email.failed`: a failure (Resend did not send; `data.failed.reason` kept).
//! - `email.sent`, `email.opened`, `email.clicked`, `email.scheduled` and the contact and
//!   domain events: not-a-bounce.
//!
//! Every event: `data.to`, `created_at` (the event's time), `data.email_id` (Resend's id),
//! `data.from`, `data.subject`.

use bounce_model::Kind;

use super::json::Value;
use super::{text, Outcome, Shared, Stated};

/// Reads one Resend event.
pub(super) fn read(value: &Value<'_>) -> Result<Outcome, String> {
    let event = text(value, "type").ok_or("a Resend event without `type`")?;
    let kind = match event {
        "email.bounced" | "email.failed" => Kind::Bounce,
        "email.delivery_delayed" => Kind::Delay,
        "email.delivered" => Kind::Delivered,
        "email.complained" => Kind::Complaint,
        _ => return Ok(Outcome::not_a_bounce()),
    };
    let data = value.get("data").unwrap_or(&Value::Null);
    let bounce = data.get("bounce").unwrap_or(&Value::Null);
    let mut shared = Shared::new("resend-event");
    shared.label("type", value.get("type"));
    shared.label("email_id", data.get("email_id"));
    shared.label("bounce.type", bounce.get("type"));
    shared.label("bounce.subType", bounce.get("subType"));
    shared.label("failed.reason", data.get("failed").and_then(|f| f.get("reason")));
    shared.time(value.get("created_at"));
    shared.message_id = text(data, "email_id").map(str::to_owned);
    shared.from = text(data, "from").map(str::to_owned);
    shared.subject = text(data, "subject").map(str::to_owned);
    let recipients: Vec<&str> = match data.get("to") {
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(one)) => vec![one.as_ref()],
        _ => Vec::new(),
    };
    let mut records = Vec::new();
    for recipient in recipients {
        let stated =
            Stated { recipient, kind, text: text(bounce, "message"), status: None, reply: None };
        records.push(stated.facts()?);
    }
    shared.fill(&mut records);
    Ok(Outcome::of(kind.is_failure(), records))
}
