//! The IANA registry of SMTP enhanced status codes (RFC 3463 and later registrations) as
//! data: every enumerated code's subject, detail, title and the reasons of our vocabulary it
//! is compatible with (`data/enhanced-status-codes.tsv`, embedded).
//!
//! The rules engine uses it twice: `rules check` refuses a built-in rule whose outcome is
//! outside the reasons its own status pattern allows (a user rule gets a warning), and
//! `explain` names the registered meaning of the status a bounce states.

use std::sync::LazyLock;

use bounce_model::Reason;

/// The registry file, embedded.
const REGISTRY_TSV: &str = include_str!("../data/enhanced-status-codes.tsv");

/// One enumerated code (`X.subject.detail`, any class).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredCode {
    /// The subject sub-code.
    pub subject: u16,
    /// The detail sub-code.
    pub detail: u16,
    /// The registered title.
    pub title: &'static str,
    /// The reasons a bounce with this code may have; the first is the code's own reading.
    pub reasons: Vec<Reason>,
    /// Where it is defined.
    pub reference: &'static str,
}

/// Reasons possible under any code: nothing decided, or not a failure.
const ANY_CODE: [Reason; 6] = [
    Reason::OnHold,
    Reason::Undefined,
    Reason::Delivered,
    Reason::Vacation,
    Reason::Feedback,
    Reason::Suppressed,
];

/// What X.7.0 and X.7.1 ("delivery not authorized") carry in practice: every refusal by
/// policy, reputation, authentication or content filter.
const POLICY: [Reason; 18] = [
    Reason::Blocked,
    Reason::Rejected,
    Reason::PolicyViolation,
    Reason::SpamDetected,
    Reason::VirusDetected,
    Reason::BadReputation,
    Reason::Filtered,
    Reason::NoRelaying,
    Reason::RequirePtr,
    Reason::AuthFailure,
    Reason::SecurityError,
    Reason::FailedStartTls,
    Reason::Speeding,
    Reason::TooManyConn,
    Reason::ContentError,
    Reason::NotCompliantRfc,
    Reason::MesgTooBig,
    Reason::Suspend,
];

static CODES: LazyLock<Vec<RegisteredCode>> = LazyLock::new(|| {
    REGISTRY_TSV
        .lines()
        .filter(|line| !line.starts_with('#') && !line.starts_with("code\t"))
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let code = fields.next()?.strip_prefix("X.")?;
            let (subject, detail) = code.split_once('.')?;
            let title = fields.next()?;
            let mut reasons: Vec<Reason> =
                fields.next()?.split(',').filter_map(Reason::from_name).collect();
            let reference = fields.next().unwrap_or("");
            let (subject, detail) = (subject.parse().ok()?, detail.parse().ok()?);
            if subject == 7 && detail <= 1 {
                for reason in POLICY {
                    if !reasons.contains(&reason) {
                        reasons.push(reason);
                    }
                }
            }
            Some(RegisteredCode { subject, detail, title, reasons, reference })
        })
        .collect()
});

/// Every enumerated code, in registry order.
#[must_use]
pub fn codes() -> &'static [RegisteredCode] {
    &CODES
}

/// The registered code of a status such as `5.7.26`, if it is enumerated.
#[must_use]
pub fn lookup(status: &str) -> Option<&'static RegisteredCode> {
    let mut parts = status.trim().split('.');
    let _class = parts.next()?;
    let subject: u16 = parts.next()?.parse().ok()?;
    let detail: u16 = parts.next()?.parse().ok()?;
    codes().iter().find(|c| c.subject == subject && c.detail == detail)
}

/// Whether `reason` is possible under a status with this subject and (when fixed) detail: the
/// code's own reasons, or for a wildcard detail those of any code of the subject. An
/// unregistered detail is read as its subject. Subject 0 and unknown subjects allow all.
#[must_use]
pub fn allows(subject: u16, detail: Option<u16>, reason: Reason) -> bool {
    if ANY_CODE.contains(&reason) || subject == 0 {
        return true;
    }
    let of_subject = || codes().iter().filter(|c| c.subject == subject);
    if of_subject().next().is_none() {
        return true;
    }
    let exact = detail.and_then(|d| of_subject().find(|c| c.detail == d));
    match exact {
        Some(code) => code.reasons.contains(&reason),
        None => of_subject().any(|c| c.reasons.contains(&reason)),
    }
}

#[cfg(test)]
mod tests {
    use bounce_model::Reason;

    use super::{allows, codes, lookup};

    #[test]
    fn the_registry_is_read_whole() {
        assert!(codes().len() >= 80, "{}", codes().len());
        assert!(codes().iter().all(|c| !c.reasons.is_empty()), "every code has a reading");
        assert_eq!(
            lookup("5.7.26").map(|c| c.title),
            Some("Multiple authentication checks failed")
        );
        assert_eq!(lookup("4.4.7").map(|c| c.reasons[0]), Some(Reason::Expired));
        assert!(lookup("5.9.9").is_none());
    }

    #[test]
    fn subjects_bound_the_reasons() {
        assert!(allows(1, Some(1), Reason::UserUnknown));
        assert!(!allows(7, Some(1), Reason::UserUnknown));
        assert!(!allows(7, None, Reason::MailboxFull));
        assert!(allows(7, Some(13), Reason::Suspend));
        assert!(allows(2, None, Reason::MailboxFull));
        assert!(!allows(4, Some(7), Reason::UserUnknown));
        assert!(allows(5, Some(0), Reason::OnHold));
    }
}
