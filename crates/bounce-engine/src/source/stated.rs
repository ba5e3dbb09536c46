//! What a source states about one recipient (its address, what happened, the receiver's
//! text and the codes it states), turned into facts the same way for every source: codes and
//! stage the source does not state are read from the text, a `smtp;` type is set apart.

use bounce_mail::extract::{facts_from_text, TextFacts};
use bounce_model::{BounceFacts, Kind, Stage};

/// What an event states about one recipient, before it becomes facts.
pub(crate) struct Stated<'a> {
    /// The recipient address.
    pub(crate) recipient: &'a str,
    /// What the event reports.
    pub(crate) kind: Kind,
    /// The receiver's SMTP text (or the platform's words when it has no other).
    pub(crate) text: Option<&'a str>,
    /// The enhanced status code the event states.
    pub(crate) status: Option<&'a str>,
    /// The SMTP reply code the event states.
    pub(crate) reply: Option<String>,
}

impl Stated<'_> {
    /// The facts: codes and stage the event does not state are read from the text.
    pub(crate) fn facts(&self) -> Result<BounceFacts, String> {
        self.facts_from("event text")
    }

    /// [`Stated::facts`], naming where a stage read from the text came from (`log text`).
    pub(crate) fn facts_from(&self, origin: &str) -> Result<BounceFacts, String> {
        let recipient = self.recipient.trim();
        if recipient.is_empty() {
            return Err("no recipient address".to_owned());
        }
        let (text, typed) = match self.text.map(str::trim) {
            Some(text) => match strip_smtp_type(text) {
                Some(bare) => (Some(bare), true),
                None => (Some(text), false),
            },
            None => (None, false),
        };
        let text = text.filter(|t| !t.is_empty());
        let status = self.status.map(str::trim).filter(|s| is_status(s));
        let reply = self.reply.as_deref().map(str::trim).filter(|r| is_reply(r));
        let mut facts = match text {
            Some(text) => {
                // The recipient is set below as the event writes it; the text's reader only
                // needs a valid one.
                let given = TextFacts {
                    text,
                    status,
                    reply_code: reply,
                    recipient: "recipient@esp-event.invalid",
                    ..TextFacts::default()
                };
                let mut facts = facts_from_text(&given)?;
                if facts.smtp_stage != Stage::Unknown {
                    facts.stage_source = Some(origin.to_owned());
                }
                facts.diagnostic_type = typed.then(|| "smtp".to_owned());
                facts
            }
            None => BounceFacts {
                status: status.map(str::to_owned),
                reply_code: reply.map(str::to_owned),
                ..BounceFacts::default()
            },
        };
        facts.recipient = recipient.to_ascii_lowercase();
        facts.kind = Some(self.kind);
        facts.action = match self.kind {
            Kind::Bounce => Some("failed".to_owned()),
            Kind::Delay => Some("delayed".to_owned()),
            Kind::Delivered => Some("delivered".to_owned()),
            Kind::AutoReply | Kind::Complaint => None,
        };
        Ok(facts)
    }
}

/// `smtp; 550 ...` → `550 ...` (the DSN diagnostic type some platforms keep).
fn strip_smtp_type(text: &str) -> Option<&str> {
    let head = text.get(..5)?;
    head.eq_ignore_ascii_case("smtp;").then(|| text[5..].trim_start())
}

/// An enhanced status code `class.subject.detail` with class 2, 4 or 5.
fn is_status(code: &str) -> bool {
    let parts: Vec<&str> = code.split('.').collect();
    let digits = |p: &str, max: usize| {
        !p.is_empty() && p.len() <= max && p.bytes().all(|b| b.is_ascii_digit())
    };
    parts.len() == 3
        && matches!(parts[0], "2" | "4" | "5")
        && digits(parts[1], 3)
        && digits(parts[2], 3)
}

/// A three-digit SMTP reply code starting with 2, 4 or 5.
fn is_reply(code: &str) -> bool {
    code.len() == 3
        && code.bytes().all(|b| b.is_ascii_digit())
        && matches!(code.as_bytes()[0], b'2' | b'4' | b'5')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_types() {
        assert!(is_status("5.1.1") && !is_status("5.1") && !is_status("6.0.0"));
        assert!(is_reply("550") && !is_reply("605"));
        assert_eq!(strip_smtp_type("smtp; 550 5.1.1 no"), Some("550 5.1.1 no"));
        assert_eq!(strip_smtp_type("SMTP;550 x"), Some("550 x"));
        assert_eq!(strip_smtp_type("550 x"), None);
    }
}
