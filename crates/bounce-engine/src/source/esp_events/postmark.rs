//! Postmark: the bounce, spam complaint and delivery webhooks (`RecordType`) and the bounces
//! of the Bounces API (`{TotalCount, Bounces: [...]}`, whose items may lack `RecordType`), as
//! Postmark's webhook and API documentation describes them.
//!
//! - `Bounce`: the text is `Details` (without a leading `smtp;`), `Type`, `TypeCode`, `Name`,
//!   `Description`, `ServerID`, `MessageStream` and `Tag` kept as labels. By `Type`:
//!   `Transient` is a delay; `SpamComplaint` a complaint; `AutoResponder`, `AddressChange` and
//!   `ChallengeVerification` auto-replies (reports); `Subscribe`, `Unsubscribe`,
//!   `ManuallyDeactivated` and `Unconfirmed` no delivery result (not-a-bounce); every other
//!   type (`HardBounce`, `SoftBounce`, `DnsError`, `Blocked`, `SpamNotification`, ...) a
//!   bounce.
//! - `SpamComplaint`: a complaint. `Delivery`: a report (`Recipient`, `DeliveredAt`, `Details`).
//! - `Open`, `Click`, `SubscriptionChange`: not-a-bounce.
//!
//! Every event: `Email` (or `Recipient`), `BouncedAt` / `DeliveredAt`, `MessageID` (Postmark's
//! id: kept as a label and as the message id, Postmark states no other), `From`, `Subject`.

use bounce_model::Kind;

use super::json::Value;
use super::{text, Outcome, Shared, Stated};

/// Reads one Postmark event.
pub(super) fn read(value: &Value<'_>) -> Result<Outcome, String> {
    let record_type = text(value, "RecordType").unwrap_or("Bounce");
    let bounce_type = text(value, "Type").unwrap_or_default();
    let kind = match record_type {
        "Bounce" => match bounce_type {
            "Transient" => Kind::Delay,
            "SpamComplaint" => Kind::Complaint,
            "AutoResponder" | "AddressChange" | "ChallengeVerification" => Kind::AutoReply,
            "Subscribe" | "Unsubscribe" | "ManuallyDeactivated" | "Unconfirmed" => {
                return Ok(Outcome::not_a_bounce())
            }
            _ => Kind::Bounce,
        },
        "SpamComplaint" => Kind::Complaint,
        "Delivery" => Kind::Delivered,
        _ => return Ok(Outcome::not_a_bounce()),
    };
    let mut shared = Shared::new("postmark-event");
    for key in [
        "RecordType",
        "Type",
        "TypeCode",
        "Name",
        "Description",
        "MessageID",
        "ServerID",
        "MessageStream",
        "Tag",
    ] {
        shared.label(key, value.get(key));
    }
    shared.time(value.get("BouncedAt").or_else(|| value.get("DeliveredAt")));
    shared.message_id = text(value, "MessageID").map(str::to_owned);
    shared.subject = text(value, "Subject").map(str::to_owned);
    shared.from = text(value, "From").map(str::to_owned);
    let recipient = text(value, "Email").or_else(|| text(value, "Recipient"));
    let diagnostic = match kind {
        // A complaint's Details are Postmark's words about the report, not a reply.
        Kind::Complaint => None,
        _ => text(value, "Details"),
    };
    if kind == Kind::Complaint {
        shared.label("Details", value.get("Details"));
    }
    shared.outcome(&Stated {
        recipient: recipient.unwrap_or_default(),
        kind,
        text: diagnostic,
        status: None,
        reply: None,
    })
}
