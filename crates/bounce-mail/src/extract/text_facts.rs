//! A record made from one diagnostic text, as `rules explain` asks for it: the codes and the
//! stage the text states unless the caller gives them, a bounce or (for a 4xx) a delay.

use bounce_model::{BounceFacts, Kind, Stage};

use super::codes;

/// What the caller knows besides the text; `None` reads it from the text.
#[derive(Debug, Clone, Default)]
pub struct TextFacts<'a> {
    /// The diagnostic text, as the receiving server wrote it.
    pub text: &'a str,
    /// The enhanced status code.
    pub status: Option<&'a str>,
    /// The SMTP reply code.
    pub reply_code: Option<&'a str>,
    /// The SMTP stage by name.
    pub stage: Option<&'a str>,
    /// The recipient address, or only its domain.
    pub recipient: &'a str,
}

/// The record, and notes on what was read from the text.
///
/// # Errors
/// An empty text, a malformed status or reply code, an unknown stage or a bad recipient.
pub fn record_from_text(facts: &TextFacts<'_>) -> Result<(BounceFacts, Vec<String>), String> {
    let mut notes = Vec::new();
    read(facts, Some(&mut notes)).map(|record| (record, notes))
}

/// [`record_from_text`] without the notes: what a source that states its own codes and text
/// uses for every record it reads (the notes are words for a person, made only when asked).
///
/// # Errors
/// As [`record_from_text`].
pub fn facts_from_text(facts: &TextFacts<'_>) -> Result<BounceFacts, String> {
    read(facts, None)
}

fn read(facts: &TextFacts<'_>, mut notes: Option<&mut Vec<String>>) -> Result<BounceFacts, String> {
    let text = facts.text.trim();
    if text.is_empty() {
        return Err("the diagnostic text is empty".to_owned());
    }
    let unwrapped = super::wrapper::without_wrapper(text);
    if unwrapped.is_some() {
        note(&mut notes, || {
            "the reporting MTA's wrapper words were set apart from the reply".into()
        });
    }
    let text = unwrapped.as_deref().unwrap_or(text);
    let stated = codes::read_codes(text);
    let status = match facts.status {
        Some(code) => Some(valid_status(code)?),
        None => {
            if let Some(code) = &stated.status {
                note(&mut notes, || format!("status {code} read from the text"));
            }
            stated.status
        }
    };
    let reply = match facts.reply_code {
        Some(code) => Some(valid_reply(code)?),
        None => {
            if let Some(code) = &stated.reply {
                note(&mut notes, || format!("reply code {code} read from the text"));
            }
            stated.reply
        }
    };
    let stage = match facts.stage {
        Some(name) => Stage::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = Stage::ALL.iter().map(|s| s.as_str()).collect();
            format!("unknown stage `{name}`; the stages are: {}", names.join(", "))
        })?,
        None => match codes::stage_from_text(text) {
            Some(stage) => {
                note(&mut notes, || format!("stage {} read from the text", stage.as_str()));
                stage
            }
            None => Stage::Unknown,
        },
    };
    let temporary = reply.as_deref().or(status.as_deref()).is_some_and(|c| c.starts_with('4'));
    let (kind, action) =
        if temporary { (Kind::Delay, "delayed") } else { (Kind::Bounce, "failed") };
    let given = facts.recipient.trim();
    let recipient =
        if given.contains('@') { given.to_owned() } else { format!("recipient@{given}") };
    if recipient.ends_with('@') || recipient.contains(char::is_whitespace) {
        return Err(format!("bad recipient `{}`: write an address or a domain", facts.recipient));
    }
    let record = BounceFacts {
        recipient: recipient.to_ascii_lowercase(),
        kind: Some(kind),
        status,
        reply_code: reply,
        diagnostic: Some(text.to_owned()),
        smtp_stage: stage,
        action: Some(action.to_owned()),
        ..BounceFacts::default()
    };
    Ok(record)
}

/// Adds a note when notes are asked for (its text is made only then).
fn note(notes: &mut Option<&mut Vec<String>>, text: impl FnOnce() -> String) {
    if let Some(notes) = notes.as_deref_mut() {
        notes.push(text());
    }
}

/// An enhanced status code `class.subject.detail` with class 2, 4 or 5.
fn valid_status(code: &str) -> Result<String, String> {
    let code = code.trim();
    let parts: Vec<&str> = code.split('.').collect();
    let digits = |p: &&str, max: usize| {
        !p.is_empty() && p.len() <= max && p.bytes().all(|b| b.is_ascii_digit())
    };
    let ok = parts.len() == 3
        && matches!(parts[0], "2" | "4" | "5")
        && digits(&parts[1], 3)
        && digits(&parts[2], 3);
    if !ok {
        return Err(format!("bad status `{code}`: write an enhanced status code such as 5.7.1"));
    }
    Ok(code.to_owned())
}

/// A three-digit SMTP reply code starting with 2, 4 or 5.
fn valid_reply(code: &str) -> Result<String, String> {
    let code = code.trim();
    let ok = code.len() == 3
        && code.bytes().all(|b| b.is_ascii_digit())
        && matches!(code.as_bytes()[0], b'2' | b'4' | b'5');
    if !ok {
        return Err(format!("bad reply code `{code}`: write a three-digit code such as 550"));
    }
    Ok(code.to_owned())
}

#[cfg(test)]
mod tests {
    use super::{record_from_text, TextFacts};
    use bounce_model::{Kind, Stage};

    #[test]
    fn codes_and_stage_come_from_the_text_unless_given() {
        let facts = TextFacts {
            text: "452 4.2.2 mailbox full (in reply to RCPT TO command)",
            recipient: "example.net",
            ..TextFacts::default()
        };
        let (record, notes) = record_from_text(&facts).unwrap();
        assert_eq!(record.recipient, "recipient@example.net");
        assert_eq!(record.kind, Some(Kind::Delay));
        assert_eq!(record.status.as_deref(), Some("4.2.2"));
        assert_eq!(record.smtp_stage, Stage::Rcpt);
        assert_eq!(notes.len(), 3);
        let bad = TextFacts { status: Some("5.1"), ..facts };
        assert!(record_from_text(&bad).unwrap_err().contains("bad status"));
    }
}
