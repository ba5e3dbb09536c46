//! Amazon SES event notifications (bounce, complaint, delivery) delivered as JSON by e-mail,
//! either bare or wrapped in an SNS envelope whose `Message` field holds the JSON as a string.

use bounce_model::{BounceFacts, Kind};
use serde_json::Value;

use super::{Family, MessageKind};
use crate::extract::parts::MessageView;

pub(crate) struct Ses;

impl Family for Ses {
    fn name(&self) -> &'static str {
        "amazonses"
    }

    /// A notification is a complaint when it reports one, a bounce otherwise (a delivery
    /// notification's records say `delivered`).
    fn claims(&self, view: &MessageView) -> Option<MessageKind> {
        let records = records(&view.prose)?;
        Some(if records.iter().any(|r| r.kind == Some(Kind::Complaint)) {
            MessageKind::Complaint
        } else {
            MessageKind::Bounce
        })
    }

    fn records(&self, view: &MessageView) -> Vec<BounceFacts> {
        records(&view.prose).unwrap_or_default()
    }
}

/// Parses an SES notification from the text of a message, if it is one.
pub(crate) fn records(text: &str) -> Option<Vec<BounceFacts>> {
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    if end <= start {
        return None;
    }
    // A JSON object opens with a key or closes at once: anything else after the brace fails
    // both readings below (the second only drops line breaks and leading spaces), so the
    // HTML and CSS of ordinary mail cost no parse and no copy.
    let after = text[start + 1..].trim_start_matches([' ', '\t', '\n', '\r']);
    if !after.starts_with(['"', '}']) {
        return None;
    }
    let json = &text[start..=end];
    let value: Value = serde_json::from_str(json)
        .or_else(|_| {
            let joined: String = json.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect();
            serde_json::from_str(&joined)
        })
        .ok()?;
    let value = match value.get("Message").and_then(Value::as_str) {
        Some(inner) => serde_json::from_str(inner).ok()?,
        None => value,
    };
    let kind = value.get("notificationType").or_else(|| value.get("eventType"))?.as_str()?;
    let str_of = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    let mut out = Vec::new();
    match kind {
        "Bounce" => {
            let bounce = value.get("bounce")?;
            let reporting = str_of(bounce, "reportingMTA").map(|m| strip_type(&m));
            let soft = str_of(bounce, "bounceType").is_some_and(|t| t == "Transient");
            let subtype = str_of(bounce, "bounceSubType");
            for r in bounce.get("bouncedRecipients")?.as_array()? {
                let diagnostic = str_of(r, "diagnosticCode").map(|d| strip_type(&d));
                let action = str_of(r, "action");
                out.push(BounceFacts {
                    recipient: str_of(r, "emailAddress")?,
                    kind: Some(if soft && action.as_deref() != Some("failed") {
                        Kind::Delay
                    } else {
                        Kind::Bounce
                    }),
                    status: str_of(r, "status"),
                    diagnostic: diagnostic.or_else(|| subtype.clone()),
                    diagnostic_type: Some("smtp".to_string()),
                    reporting_mta: reporting.clone(),
                    action: action.or(Some("failed".to_string())),
                    last_attempt_date: str_of(bounce, "timestamp"),
                    format: "amazonses".to_string(),
                    ..BounceFacts::default()
                });
            }
        }
        "Complaint" => {
            let complaint = value.get("complaint")?;
            for r in complaint.get("complainedRecipients")?.as_array()? {
                out.push(BounceFacts {
                    recipient: str_of(r, "emailAddress")?,
                    kind: Some(Kind::Complaint),
                    feedback_type: str_of(complaint, "complaintFeedbackType"),
                    last_attempt_date: str_of(complaint, "timestamp"),
                    format: "amazonses".to_string(),
                    ..BounceFacts::default()
                });
            }
        }
        "Delivery" => {
            let delivery = value.get("delivery")?;
            for r in delivery.get("recipients")?.as_array()? {
                out.push(BounceFacts {
                    recipient: r.as_str()?.to_string(),
                    kind: Some(Kind::Delivered),
                    diagnostic: str_of(delivery, "smtpResponse"),
                    reporting_mta: str_of(delivery, "reportingMTA"),
                    remote_mta: str_of(delivery, "remoteMtaIp"),
                    action: Some("delivered".to_string()),
                    last_attempt_date: str_of(delivery, "timestamp"),
                    format: "amazonses".to_string(),
                    ..BounceFacts::default()
                });
            }
        }
        _ => return None,
    }
    Some(out)
}

fn strip_type(value: &str) -> String {
    crate::extract::dsn::split_type(value).1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_bounce() {
        let text = r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"a@example.net","action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"}],"reportingMTA":"dsn; a1.smtp-out.example.com"}}"#;
        let r = records(text).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].recipient, "a@example.net");
        assert_eq!(r[0].diagnostic.as_deref(), Some("550 5.1.1 user unknown"));
        assert_eq!(r[0].reporting_mta.as_deref(), Some("a1.smtp-out.example.com"));
    }

    #[test]
    fn sns_envelope() {
        let text = "{\n \"Type\" : \"Notification\",\n \"Message\" : \"{\\\"notificationType\\\":\\\"Complaint\\\",\\\"complaint\\\":{\\\"complainedRecipients\\\":[{\\\"emailAddress\\\":\\\"b@example.org\\\"}],\\\"complaintFeedbackType\\\":\\\"abuse\\\"}}\"\n}";
        let r = records(text).unwrap();
        assert_eq!(r[0].kind, Some(Kind::Complaint));
        assert_eq!(r[0].feedback_type.as_deref(), Some("abuse"));
    }

    #[test]
    fn not_json() {
        assert!(records("hello {world}").is_none());
    }
}
