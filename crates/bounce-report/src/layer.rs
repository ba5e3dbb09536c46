//! Which layer a response points to, in the words of the triage guide's "please confirm" list,
//! and which documents a group's owner should look at.

use bounce_model::{Category, Reason, Record};

/// The layer of the sending path the response points to: recipient permission, routing, relay
/// rights, content, authentication, IP reputation, sender-domain DNS, recipient-domain DNS,
/// provider acceptance, local policy, temporary deferral, delayed DSN or transport.
#[must_use]
pub fn layer_of(category: Category, reason: Option<Reason>) -> &'static str {
    match (category, reason) {
        (_, Some(Reason::RequirePtr)) => "sender-domain DNS (PTR / reverse DNS of the sending IP)",
        (_, Some(Reason::FailedStartTls)) => "authentication (TLS required by the receiver)",
        (Category::Reputation, Some(Reason::Rejected)) => "local policy (sender address refused)",
        (Category::Reputation, Some(Reason::BadReputation)) => {
            "IP reputation (or domain reputation)"
        }
        (Category::InvalidRecipient, _) => "recipient permission (the address is invalid)",
        (Category::RecipientDomainUnroutable, _) => "recipient-domain DNS (no route)",
        (Category::RecipientDnsTemporary, _) => "recipient-domain DNS (temporary)",
        (Category::MailboxFull, _) => "temporary deferral (recipient quota)",
        (Category::RateLimit, _) => "temporary deferral (rate limit)",
        (Category::TooManyRecipients, _) => "temporary deferral (transaction limit)",
        (Category::ProviderIncident, _) => "provider acceptance",
        (Category::RelayDenied, _) => "relay rights / routing",
        (Category::Reputation, _) => "IP reputation (block list)",
        (Category::SenderAuthentication, _) => "authentication (SPF / DKIM / DMARC)",
        (Category::SmtpLogin, _) => "authentication (SMTP login before hand-off)",
        (Category::Content | Category::MalformedMessage, _) => "content",
        (Category::Loop, _) => "routing (mail loop)",
        (Category::Transport, _) => "transport",
        (Category::LocalPolicy, _) => "local policy",
        (Category::DelayedDsn, _) => "delayed DSN",
        (Category::Complaint | Category::AutoReply | Category::Delivered, _) => {
            "not a delivery failure"
        }
        (Category::Unknown, _) => "unknown: the bounce says too little",
    }
}

/// The layer of one record (unclassified records are `unknown`).
pub(crate) fn record_layer(record: &Record) -> &'static str {
    let category = record.verdict.as_ref().map_or(Category::Unknown, |v| v.category);
    layer_of(category, record.reason())
}

/// Whether a category belongs in the note to IT (relay, routing, transport, DNS, login).
pub(crate) fn is_it_category(category: Category) -> bool {
    matches!(
        category,
        Category::RelayDenied
            | Category::Loop
            | Category::Transport
            | Category::RecipientDnsTemporary
            | Category::RecipientDomainUnroutable
            | Category::SmtpLogin
    )
}

/// Whether a category is the ESP's to look at (reputation, authentication, acceptance).
pub(crate) fn is_esp_category(category: Category) -> bool {
    matches!(
        category,
        Category::Reputation
            | Category::SenderAuthentication
            | Category::ProviderIncident
            | Category::RateLimit
            | Category::LocalPolicy
            | Category::Content
            | Category::MalformedMessage
            | Category::Unknown
    )
}

/// Whether the provider or the receiving host is Microsoft 365 / Outlook.com.
pub(crate) fn is_microsoft(provider: &str, remote_mta: Option<&str>) -> bool {
    provider.contains("microsoft")
        || provider.contains("outlook")
        || remote_mta.is_some_and(|h| h.to_ascii_lowercase().contains("outlook.com"))
}

/// The stage in the guide's words, for the "please confirm" answer.
pub(crate) fn stage_words(stage: bounce_model::Stage) -> &'static str {
    use bounce_model::Stage;
    match stage {
        Stage::Connect => "during TCP connection (before the SMTP banner)",
        Stage::Greeting => "at the SMTP banner",
        Stage::Ehlo => "at EHLO/HELO",
        Stage::Starttls => "at STARTTLS",
        Stage::Auth => "at SMTP AUTH (before hand-off)",
        Stage::Mail => "at MAIL FROM",
        Stage::Rcpt => "at RCPT TO",
        Stage::Data => "at DATA",
        Stage::EndOfData => "after DATA (end of data)",
        Stage::AfterAcceptance => "after initial acceptance",
        Stage::Unknown => "not in the bounces: collect from the MTA log (SMTP transcript)",
    }
}
