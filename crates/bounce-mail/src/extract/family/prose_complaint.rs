//! Complaints without an ARF part: a complaint or abuse-report subject over a returned
//! original. Read as an ARF report without fields is.

use bounce_model::BounceFacts;

use super::{Family, MessageKind};
use crate::extract::parts::MessageView;
use crate::extract::prose;

pub(crate) struct ProseComplaint;

impl Family for ProseComplaint {
    fn name(&self) -> &'static str {
        "prose-complaint"
    }

    fn claims(&self, view: &MessageView) -> Option<MessageKind> {
        prose::looks_like_complaint(view).then_some(MessageKind::Complaint)
    }

    fn records(&self, view: &MessageView) -> Vec<BounceFacts> {
        super::arf::records(view)
    }
}
