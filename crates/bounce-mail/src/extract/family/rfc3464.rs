//! Delivery status notifications (RFC 3464): a `message/delivery-status` part or a
//! `multipart/report` of that report type, and disposition notifications (RFC 8098) that
//! report the message rejected or deleted unread.

use bounce_model::BounceFacts;

use super::{Family, MessageKind};
use crate::extract::bounce;
use crate::extract::parts::MessageView;

pub(crate) struct Rfc3464;

impl Family for Rfc3464 {
    fn name(&self) -> &'static str {
        "rfc3464"
    }

    fn claims(&self, view: &MessageView) -> Option<MessageKind> {
        (!view.dsn_texts.is_empty()
            || view.report_type.as_deref() == Some("delivery-status")
            || view.mdn_rejects())
        .then_some(MessageKind::Bounce)
    }

    fn records(&self, view: &MessageView) -> Vec<BounceFacts> {
        bounce::records(view)
    }
}
