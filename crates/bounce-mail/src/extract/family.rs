//! The format families a message may belong to, each behind one trait and tried in one order.
//!
//! A family answers two questions: whether it claims a message, and as what kind (a cheap
//! test on the message view), and the facts of each recipient of a message it claimed.
//! [`read`] walks [`FAMILIES`] once; the first family that claims the message reads it, and a
//! message that no family claims is [`MessageKind::Other`] (not a bounce). The order is part
//! of the behaviour: a read receipt is a machine report before a disposition notification can
//! be a bounce; an ARF report is a complaint before its DSN-like fields are read; an
//! auto-reply that reads like a bounce is left to the prose bounce family.
//!
//! Adding a family is one file in `extract/family/` with a type implementing [`Family`], and
//! one line in the `families!` list below, where it must be tried. The MTA wordings of prose
//! bounces are not families but rows of a table (`phrases::PROSE_FAMILIES`).

use bounce_model::BounceFacts;

use super::parts::MessageView;

/// What kind of message this is, before recipients are looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// A delivery status notification or non-delivery report.
    Bounce,
    /// A complaint (ARF feedback report).
    Complaint,
    /// An automatic reply.
    AutoReply,
    /// Anything else.
    Other,
}

/// One format family.
pub(crate) trait Family: Sync {
    /// The family's name (the tests pin the order by it).
    #[cfg_attr(not(test), allow(dead_code))]
    fn name(&self) -> &'static str;

    /// The kind of message this family takes `view` for, if it claims it. Cheap: it decides
    /// the order of reading, not the facts.
    fn claims(&self, view: &MessageView) -> Option<MessageKind>;

    /// The facts of each recipient of a message this family claimed (possibly none: a
    /// report in which no recipient could be found).
    fn records(&self, view: &MessageView) -> Vec<BounceFacts>;
}

/// Declares each family's module and lists the families in the order they are tried.
macro_rules! families {
    ($($module:ident :: $family:ident),* $(,)?) => {
        $(mod $module;)*

        /// Every family, in the order [`read`] tries them.
        pub(crate) static FAMILIES: &[&dyn Family] = &[$(&$module::$family),*];
    };
}

families![
    ses::Ses,                        // Amazon SES JSON notifications, bare or in SNS
    machine_report::MachineReport,   // read receipts, TLS and DMARC reports: not a bounce
    arf::Arf,                        // RFC 5965 feedback reports
    rfc3464::Rfc3464,                // RFC 3464 DSNs, rejecting RFC 8098 MDNs
    unsubscribe::Unsubscribe,        // automatic unsubscribe requests
    auto_reply::AutoReply,           // RFC 3834 auto-replies
    prose_bounce::ProseBounce,       // bounces read from their prose
    prose_complaint::ProseComplaint, // complaints without an ARF part
];

/// The kind of the message and its records, as the first family that claims it reads them.
pub(crate) fn read(view: &MessageView) -> (MessageKind, Vec<BounceFacts>) {
    for family in FAMILIES {
        if let Some(kind) = family.claims(view) {
            return (kind, family.records(view));
        }
    }
    (MessageKind::Other, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::FAMILIES;

    #[test]
    fn families_are_tried_in_this_order() {
        let names: Vec<&str> = FAMILIES.iter().map(|f| f.name()).collect();
        assert_eq!(
            names,
            [
                "amazonses",
                "machine-report",
                "arf",
                "rfc3464",
                "unsubscribe",
                "auto-reply",
                "prose-bounce",
                "prose-complaint"
            ]
        );
    }
}
