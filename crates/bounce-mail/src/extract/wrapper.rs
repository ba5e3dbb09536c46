//! The reporting MTA's own words around the receiver's reply.
//!
//! Reporting MTAs wrap what the remote side said (or what the resolver answered) in phrases of
//! their own: Postfix's "delivery temporarily suspended: …" (the destination is being skipped
//! for a while after a failure) and "Name service error for name=… type=…: …" (the lookup
//! that failed). Those words say how final the failure is and where it happened, never its
//! cause: "suspended" is about Postfix's queue, not about the mailbox. The diagnostic the rules
//! read is the text without them; finality stays in the DSN's Action and Status.

use std::sync::LazyLock;

use regex::Regex;

/// Postfix's wrapper phrases, each removed wherever it stands in the diagnostic.
static WRAPPERS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\bdelivery temporarily suspended:\s*|\bname service error for name=\S+ type=[a-z0-9]+:\s*",
    )
    .expect("wrapper pattern is valid")
});

/// The diagnostic without the reporting MTA's wrapper phrases; the text itself when it holds
/// none, or when nothing but the wrapper is left (then the wrapper is all the evidence there
/// is).
pub(crate) fn without_wrapper(diagnostic: &str) -> Option<String> {
    if !WRAPPERS.is_match(diagnostic) {
        return None;
    }
    let stripped = WRAPPERS.replace_all(diagnostic, "");
    let stripped = stripped.trim();
    (stripped.chars().filter(|c| c.is_alphanumeric()).count() >= 3).then(|| stripped.to_string())
}

#[cfg(test)]
mod tests {
    use super::without_wrapper;

    #[test]
    fn postfix_wrappers_are_removed_and_the_reply_kept() {
        assert_eq!(
            without_wrapper(
                "delivery temporarily suspended: connect to mx.example.net[198.51.100.70]:25: \
                 Connection timed out"
            )
            .as_deref(),
            Some("connect to mx.example.net[198.51.100.70]:25: Connection timed out")
        );
        assert_eq!(
            without_wrapper(
                "delivery temporarily suspended: host mx.example.org[192.0.2.4] refused to talk \
                 to me: 421 4.7.0 Too many concurrent connections"
            )
            .as_deref(),
            Some(
                "host mx.example.org[192.0.2.4] refused to talk to me: 421 4.7.0 Too many \
                 concurrent connections"
            )
        );
        assert_eq!(
            without_wrapper(
                "Host or domain name not found. Name service error for name=example.at \
                 type=MX: Host not found, try again"
            )
            .as_deref(),
            Some("Host or domain name not found. Host not found, try again")
        );
        assert_eq!(without_wrapper("550 5.1.1 User unknown"), None);
        assert_eq!(without_wrapper("delivery temporarily suspended:"), None);
    }
}
