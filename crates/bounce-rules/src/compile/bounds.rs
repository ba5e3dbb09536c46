//! The bounds every verdict respects, whatever rule decided it: constraints, not votes.
//!
//! - **Permanence from the code.** A 4xx reply (else a 4.x.x status) or a delay never leads
//!   to an immediate suppression: the address is retried.
//! - **Sender-side refusals.** A refusal at MAIL FROM, or a status X.1.7/X.1.8, concerns the
//!   sender's address or domain: a recipient reason becomes `rejected` (unless the status
//!   itself names the recipient's mailbox, X.1.1–X.1.6 or X.2.x: then the stage was misread).
//!   A refusal at connect, greeting, EHLO, STARTTLS or AUTH concerns the sending host: the
//!   reason stays what the text says, but nothing about the recipient is suppressed.
//! - **The status subject.** A suppression needs a status whose subject is about the address
//!   or the mailbox (X.1, X.2; X.4 routing for a dead domain) or an "other or undefined" code
//!   of its class (X.0.0, X.3.0, X.5.0) when the bounce states one: a 5.7.1 reply that says
//!   "mailbox unavailable" is a policy refusal, not proof of a bad address.
//! - **Two witnesses.** A suppression rests on a stated permanent code *and* text that names
//!   the bad address (a text condition of the winner, or of a later rule giving the same
//!   reason, matched); a code alone, or text without any code, asks for review.
//!
//! Every bound that changed a verdict is named in `verdict.bounds`; the evidence that decided
//! is listed in `verdict.basis`. Bounds read the bounce's facts and write only the verdict.

use bounce_model::{Action, BounceFacts, Kind, Reason, Stage, Verdict};

use super::defaults;

/// What the codes and the stage of a record allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CodeBounds {
    /// A 4xx reply, a 4.x.x status without a reply, or a delay.
    pub(crate) temporary: bool,
    /// The failure concerns the sender: the stage or the status says so.
    pub(crate) sender_side: Option<SenderSide>,
    /// The subject digit of the stated status (`7` for 5.7.1).
    pub(crate) subject: Option<u32>,
    /// The detail number of the stated status (`1` for 5.7.1).
    pub(crate) detail: Option<u32>,
    /// The stated status names the recipient's address or mailbox (X.1.1 to X.1.6, X.2.x).
    pub(crate) names_recipient: bool,
}

/// Where a sender-side refusal happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SenderSide {
    /// Before MAIL FROM: connect, greeting, EHLO, STARTTLS, AUTH; the sending host.
    Host(Stage),
    /// At MAIL FROM, or a status X.1.7/X.1.8: the sender address or domain.
    Address,
}

/// The first digit of a code, if it has one.
fn class_of(code: Option<&str>) -> Option<char> {
    code.and_then(|c| c.trim().chars().next()).filter(char::is_ascii_digit)
}

impl CodeBounds {
    /// The bounds the bounce's codes, kind and stage set.
    pub(crate) fn of(record: &BounceFacts) -> CodeBounds {
        let status = record.status.as_deref().map(str::trim);
        let class = class_of(record.reply_code.as_deref()).or_else(|| class_of(status));
        let temporary = record.kind == Some(Kind::Delay) || class == Some('4');
        let mut parts = status.map(|s| s.split('.')).into_iter().flatten();
        let (_, subject, detail) = (parts.next(), parts.next(), parts.next());
        let subject = subject.and_then(|s| s.parse::<u32>().ok());
        let detail = detail.and_then(|d| d.parse::<u32>().ok());
        let sender_status = subject == Some(1) && matches!(detail, Some(7 | 8));
        // A refusal is a reply: a failure to connect at all (no MX, a timeout) says nothing
        // about the sender.
        let replied = record.reply_code.is_some();
        let sender_side = match record.smtp_stage {
            _ if !replied && !sender_status => None,
            Stage::Mail => Some(SenderSide::Address),
            stage @ (Stage::Connect
            | Stage::Greeting
            | Stage::Ehlo
            | Stage::Starttls
            | Stage::Auth) => Some(SenderSide::Host(stage)),
            _ if sender_status => Some(SenderSide::Address),
            _ => None,
        };
        let names_recipient =
            subject == Some(2) || (subject == Some(1) && matches!(detail, Some(1..=6)));
        CodeBounds { temporary, sender_side, subject, detail, names_recipient }
    }
}

/// Whether a reason is about the recipient's address, mailbox or domain.
pub(crate) fn is_recipient_reason(reason: Reason) -> bool {
    matches!(
        reason,
        Reason::UserUnknown
            | Reason::HasMoved
            | Reason::Suspend
            | Reason::MailboxFull
            | Reason::HostUnknown
            | Reason::NotAccept
    )
}

/// Whether an action removes the address (now or after confirmation).
pub(crate) fn suppresses(action: Action) -> bool {
    matches!(action, Action::Suppress | Action::SuppressAfterConfirmation)
}

/// Whether a stated status may back the suppression of a recipient for `reason`: its subject
/// is about the address or mailbox (X.1, X.2; X.4 for an unroutable domain), or it is an
/// "other or undefined" code of its class (X.0.0, X.3.0, X.5.0). A policy (X.7), content
/// (X.6) or other specific status never does.
fn subject_allows(reason: Reason, subject: u32, detail: Option<u32>) -> bool {
    let domain = matches!(reason, Reason::HostUnknown | Reason::NotAccept);
    match subject {
        0 | 1 => true,
        2 => !domain,
        4 => domain,
        3 | 5 => detail == Some(0),
        _ => false,
    }
}

/// Applies the bounds of a bounce's facts to the winning rule's verdict; `text` is the matched
/// text condition that confirms the verdict's reason, if any.
pub(crate) fn apply(verdict: &mut Verdict, record: &BounceFacts, text: Option<&str>) {
    let bounds = CodeBounds::of(record);
    verdict.basis = basis(record, text);
    let recipient_reason = is_recipient_reason(verdict.reason);
    match bounds.sender_side {
        Some(SenderSide::Address) if recipient_reason && !bounds.names_recipient => {
            let reason = Reason::Rejected;
            let (category, action, owner) = defaults::outcome(reason);
            verdict.bounds.push(format!(
                "refused at MAIL FROM or with a sender status (X.1.7/X.1.8): about the sender, not the recipient; was {} by {}",
                verdict.reason, verdict.rule_id
            ));
            verdict.reason = reason;
            verdict.status_inferred = defaults::inferred_status(
                reason,
                super::ruleset::permanent_class(record, verdict.hard),
            );
            verdict.category = category;
            verdict.action = action;
            verdict.owner = owner;
        }
        Some(SenderSide::Address) if suppresses(verdict.action) => {
            verdict.action = Action::Review;
            verdict.bounds.push(
                "refused at MAIL FROM: about the sender, never a suppression of the recipient"
                    .to_owned(),
            );
        }
        Some(SenderSide::Host(stage)) if suppresses(verdict.action) => {
            verdict.action = Action::Review;
            verdict.bounds.push(format!(
                "refused at {}, before MAIL FROM: about the sending host, never a suppression",
                stage.as_str()
            ));
        }
        _ => {}
    }
    if !suppresses(verdict.action) || verdict.reason == Reason::Feedback {
        return;
    }
    if bounds.temporary {
        verdict.action = Action::ThrottleAndRetry;
        verdict.bounds.push(
            "temporary failure (4xx or delay): never an immediate suppression; retry".to_owned(),
        );
        return;
    }
    if !recipient_reason {
        return;
    }
    // A dead domain has no server to reply: DNS says so without any SMTP code. A mailbox
    // is only known bad when a server said so with a code.
    let domain_reason = matches!(verdict.reason, Reason::HostUnknown | Reason::NotAccept);
    if !domain_reason && record.reply_code.is_none() && record.status.is_none() {
        verdict.action = Action::Review;
        verdict.bounds.push(
            "no reply code or status states a permanent failure: review, do not suppress"
                .to_owned(),
        );
        return;
    }
    if let Some(subject) =
        bounds.subject.filter(|s| !subject_allows(verdict.reason, *s, bounds.detail))
    {
        verdict.action = Action::Review;
        verdict.bounds.push(format!(
            "status subject X.{subject}.x does not name a bad address or domain: review, do not suppress"
        ));
        return;
    }
    if text.is_none() && !domain_reason {
        verdict.action = Action::Review;
        verdict.bounds.push(
            "the code alone names a bad address; no text confirms it: review, do not suppress"
                .to_owned(),
        );
    }
}

/// The evidence a verdict rests on: the codes, the matched text, the stage.
fn basis(record: &BounceFacts, text: Option<&str>) -> Vec<String> {
    let mut basis = Vec::new();
    let codes: Vec<&str> =
        [record.reply_code.as_deref(), record.status.as_deref()].into_iter().flatten().collect();
    if !codes.is_empty() {
        basis.push(format!("code {}", codes.join(" ")));
    }
    if let Some(text) = text {
        basis.push(format!("text {text}"));
    }
    if record.smtp_stage != Stage::Unknown {
        let how = record.stage_source.as_deref().unwrap_or("stated");
        basis.push(format!("stage {} ({how})", record.smtp_stage.as_str()));
    }
    if let Some(kind) = record.kind {
        if kind == Kind::Delay {
            basis.push("kind delay".to_owned());
        }
    }
    basis
}

#[cfg(test)]
mod tests {
    use bounce_model::{Action, BounceFacts, Kind, Reason, Stage, Verdict};

    use super::apply;

    fn verdict(reason: Reason, action: Action) -> Verdict {
        Verdict { reason, rule_id: "r".into(), action, hard: true, ..Verdict::default() }
    }

    fn record(reply: &str, status: &str, stage: Stage) -> BounceFacts {
        BounceFacts {
            recipient: "a@example.net".into(),
            kind: Some(Kind::Bounce),
            reply_code: Some(reply.into()),
            status: Some(status.into()),
            smtp_stage: stage,
            ..BounceFacts::default()
        }
    }

    #[test]
    fn a_4xx_never_suppresses() {
        let mut d = verdict(Reason::UserUnknown, Action::Suppress);
        apply(&mut d, &record("450", "4.1.1", Stage::Rcpt), Some("/unknown/"));
        assert_eq!(d.action, Action::ThrottleAndRetry);
        assert_eq!(d.bounds.len(), 1);
    }

    #[test]
    fn a_refusal_at_mail_from_is_about_the_sender() {
        let mut d = verdict(Reason::HostUnknown, Action::SuppressAfterConfirmation);
        apply(&mut d, &record("550", "5.1.8", Stage::Mail), Some("/invalid domain/"));
        assert_eq!(d.reason, Reason::Rejected);
        assert_eq!(d.action, Action::PauseAndFixSender);
    }

    #[test]
    fn a_policy_status_or_a_code_alone_asks_for_review() {
        let mut d = verdict(Reason::UserUnknown, Action::Suppress);
        apply(&mut d, &record("550", "5.7.1", Stage::Rcpt), Some("/mailbox unavailable/"));
        assert_eq!(d.action, Action::Review);
        let mut d = verdict(Reason::UserUnknown, Action::Suppress);
        apply(&mut d, &record("550", "5.1.1", Stage::Rcpt), None);
        assert_eq!(d.action, Action::Review);
        let mut d = verdict(Reason::UserUnknown, Action::Suppress);
        apply(&mut d, &record("550", "5.1.1", Stage::Rcpt), Some("\"user unknown\""));
        assert_eq!(d.action, Action::Suppress);
        assert_eq!(d.basis, ["code 550 5.1.1", "text \"user unknown\"", "stage rcpt (stated)"]);
    }
}
