//! Unsubscribe requests a mail client sent automatically to a `mailto:` List-Unsubscribe
//! address (Apple Mail marks them `X-Apple-Unsubscribe: true`): opt-out complaints.

use bounce_model::{BounceFacts, Kind};

use super::{Family, MessageKind};
use crate::extract::original;
use crate::extract::parts::MessageView;
use crate::extract::prose;

pub(crate) struct Unsubscribe;

impl Family for Unsubscribe {
    fn name(&self) -> &'static str {
        "unsubscribe"
    }

    fn claims(&self, view: &MessageView) -> Option<MessageKind> {
        is_request(view).then_some(MessageKind::Complaint)
    }

    fn records(&self, view: &MessageView) -> Vec<BounceFacts> {
        records(view)
    }
}

/// An automatic unsubscribe request: Apple Mail's header, or an auto-submitted message whose
/// subject is "unsubscribe".
pub(super) fn is_request(view: &MessageView) -> bool {
    let apple =
        view.header("X-Apple-Unsubscribe").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let auto = view.header("Auto-Submitted").is_some_and(|v| !v.trim().eq_ignore_ascii_case("no"));
    apple || (auto && view.subject.trim().eq_ignore_ascii_case("unsubscribe"))
}

/// One opt-out complaint from the request's sender.
pub(super) fn records(view: &MessageView) -> Vec<BounceFacts> {
    let from = original::extract_addr_spec(&view.from).unwrap_or_default();
    vec![BounceFacts {
        recipient: from,
        kind: Some(Kind::Complaint),
        feedback_type: Some("opt-out".to_string()),
        diagnostic: Some(prose::first_paragraph(&view.prose)),
        format: "unsubscribe".to_string(),
        ..BounceFacts::default()
    }]
}
