//! What a rule means when it names only a reason: the default category, action, owner and the
//! inferred status for each reason (taxonomy.md, sections 2 and 3). A rule may override each.

use bounce_model::{Action, Category, Owner, Reason};

/// The default category, action and owner of a reason.
pub(crate) fn outcome(reason: Reason) -> (Category, Action, Owner) {
    use Action as A;
    use Category as C;
    use Owner as O;
    match reason {
        Reason::UserUnknown | Reason::HasMoved | Reason::Suspend => {
            (C::InvalidRecipient, A::Suppress, O::Sender)
        }
        Reason::MailboxFull => (C::MailboxFull, A::CountAsSoft, O::RecipientAdmin),
        Reason::HostUnknown | Reason::NotAccept => {
            (C::RecipientDomainUnroutable, A::SuppressAfterConfirmation, O::Sender)
        }
        Reason::Filtered => (C::LocalPolicy, A::Keep, O::RecipientAdmin),
        Reason::Rejected => (C::Reputation, A::PauseAndFixSender, O::Sender),
        Reason::Blocked | Reason::BadReputation => (C::Reputation, A::PauseAndFixSender, O::Esp),
        Reason::RequirePtr | Reason::AuthFailure | Reason::FailedStartTls => {
            (C::SenderAuthentication, A::RepairSendingPath, O::It)
        }
        Reason::SecurityError => (C::SmtpLogin, A::FixCredentials, O::It),
        Reason::PolicyViolation => (C::LocalPolicy, A::FixContent, O::Sender),
        Reason::SpamDetected | Reason::VirusDetected | Reason::MesgTooBig | Reason::ExceedLimit => {
            (C::Content, A::FixContent, O::Sender)
        }
        Reason::ContentError | Reason::NotCompliantRfc => {
            (C::MalformedMessage, A::FixContent, O::Sender)
        }
        Reason::Speeding | Reason::TooManyConn => (C::RateLimit, A::ThrottleAndRetry, O::Esp),
        Reason::NoRelaying => (C::RelayDenied, A::FixRouting, O::It),
        Reason::NetworkError | Reason::Expired | Reason::SyntaxError => {
            (C::Transport, A::ThrottleAndRetry, O::It)
        }
        Reason::SystemError | Reason::SystemFull | Reason::MailerError => {
            (C::Transport, A::ThrottleAndRetry, O::RecipientAdmin)
        }
        Reason::OnHold | Reason::Undefined => (C::Unknown, A::Review, O::Unknown),
        Reason::Suppressed => (C::LocalPolicy, A::Suppress, O::Esp),
        Reason::Delivered => (C::Delivered, A::Keep, O::Unknown),
        Reason::Vacation => (C::AutoReply, A::Keep, O::Unknown),
        Reason::Feedback => (C::Complaint, A::Suppress, O::Sender),
    }
}

/// The subject and detail of the standard code a reason implies, used for `status_inferred`
/// when neither the bounce nor the rule states one; the class digit comes from hard/soft.
pub(crate) fn inferred_status(reason: Reason, hard: bool) -> Option<String> {
    let tail = match reason {
        Reason::UserUnknown => "1.1",
        Reason::HasMoved => "1.6",
        Reason::Suspend => "2.1",
        Reason::MailboxFull => "2.2",
        Reason::HostUnknown => "1.2",
        Reason::NotAccept => "1.10",
        Reason::Filtered => "2.0",
        Reason::Rejected => "1.8",
        Reason::Blocked
        | Reason::BadReputation
        | Reason::SpamDetected
        | Reason::VirusDetected
        | Reason::NoRelaying => "7.1",
        Reason::RequirePtr => "7.25",
        Reason::AuthFailure => "7.26",
        Reason::SecurityError => "7.0",
        Reason::FailedStartTls => "7.10",
        Reason::PolicyViolation => "7.0",
        Reason::ContentError | Reason::NotCompliantRfc => "6.0",
        Reason::MesgTooBig => "3.4",
        Reason::ExceedLimit => "2.3",
        Reason::Speeding | Reason::TooManyConn => "7.0",
        Reason::NetworkError => "4.0",
        Reason::Expired => "4.7",
        Reason::SystemError | Reason::MailerError => "3.0",
        Reason::SystemFull => "3.1",
        Reason::SyntaxError => "5.0",
        Reason::Suppressed => "0.0",
        Reason::Delivered => return Some("2.0.0".to_owned()),
        Reason::OnHold | Reason::Undefined | Reason::Vacation | Reason::Feedback => return None,
    };
    Some(format!("{}.{tail}", if hard { '5' } else { '4' }))
}
