//! Automatic replies (RFC 3834 `Auto-Submitted: auto-replied`, the `X-Autoreply` family of
//! headers, out-of-office subjects), unless the message reads like a bounce.

use bounce_model::{BounceFacts, Kind};

use super::{Family, MessageKind};
use crate::extract::notice::{floor_char_boundary, MAX_NOTICE};
use crate::extract::original;
use crate::extract::parts::MessageView;
use crate::extract::prose;

pub(crate) struct AutoReply;

impl Family for AutoReply {
    fn name(&self) -> &'static str {
        "auto-reply"
    }

    fn claims(&self, view: &MessageView) -> Option<MessageKind> {
        is_auto_reply(view).then_some(MessageKind::AutoReply)
    }

    fn records(&self, view: &MessageView) -> Vec<BounceFacts> {
        records(view)
    }
}

fn is_auto_reply(view: &MessageView) -> bool {
    let auto = view.header("Auto-Submitted").map(str::to_ascii_lowercase);
    if auto.as_deref().is_some_and(|a| a.starts_with("auto-replied")) {
        return !prose::looks_like_bounce(view);
    }
    if view.header("X-Autoreply").is_some()
        || view.header("X-Autorespond").is_some()
        || view
            .header("X-Auto-Response-Suppress")
            .is_some_and(|_| subject_is_auto_reply(&view.subject))
    {
        return !prose::looks_like_bounce(view);
    }
    let precedence = view.header("Precedence").map(str::to_ascii_lowercase);
    if precedence.as_deref() == Some("auto_reply") {
        return true;
    }
    subject_is_auto_reply(&view.subject) && !prose::looks_like_bounce(view)
}

fn subject_is_auto_reply(subject: &str) -> bool {
    let s = subject.to_lowercase();
    [
        "out of office",
        "out of the office",
        "automatic reply",
        "auto reply",
        "autoreply",
        "auto-reply",
        "auto response",
        "autoresponse",
        "vacation",
        "away from my mail",
        "abwesenheit",
        "absence",
        "réponse automatique",
        "respuesta automática",
        "不在",
        "自動応答",
        "自動返信",
    ]
    .iter()
    .any(|p| s.contains(p))
        || s.starts_with("auto:")
}

/// One record for the replying address, with the reply's text as its notice.
fn records(view: &MessageView) -> Vec<BounceFacts> {
    let Some(from) = original::extract_addr_spec(&view.from)
        .or_else(|| view.header("From").and_then(original::extract_addr_spec))
    else {
        return Vec::new();
    };
    let first_line = view.prose.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    // The whole reply (cut) is evidence for rules (`notice`): "I have left the company" or
    // "this address is no longer in use" is rarely the first line.
    let body = view.prose.trim();
    let body = &body[..floor_char_boundary(body, MAX_NOTICE.min(body.len()))];
    vec![BounceFacts {
        recipient: from,
        kind: Some(Kind::AutoReply),
        notice: Some(body.to_string()).filter(|b| !b.is_empty()),
        diagnostic: Some(if first_line.is_empty() {
            view.subject.clone()
        } else {
            first_line.to_string()
        }),
        format: "rfc3834".to_string(),
        ..BounceFacts::default()
    }]
}
