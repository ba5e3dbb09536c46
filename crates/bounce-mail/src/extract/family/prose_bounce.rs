//! Bounces without a report part, read from their prose: the wording of Postfix, Sendmail,
//! Exim, qmail, Exchange and the other MTA families (`phrases::PROSE_FAMILIES`), a daemon
//! sender, a null return path, `X-Failed-Recipients`.

use bounce_model::BounceFacts;

use super::{Family, MessageKind};
use crate::extract::bounce;
use crate::extract::parts::MessageView;
use crate::extract::prose;

pub(crate) struct ProseBounce;

impl Family for ProseBounce {
    fn name(&self) -> &'static str {
        "prose-bounce"
    }

    fn claims(&self, view: &MessageView) -> Option<MessageKind> {
        prose::looks_like_bounce(view).then_some(MessageKind::Bounce)
    }

    fn records(&self, view: &MessageView) -> Vec<BounceFacts> {
        bounce::records(view)
    }
}
