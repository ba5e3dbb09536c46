//! Phrase sets matched in one pass with Aho-Corasick, so reading a bounce costs one scan per
//! question instead of one `find` per phrase.
//!
//! Matching ignores ASCII case: the phrases are kept ASCII-lowercased and are matched against
//! ASCII-lowercased text (the message view lowercases its prose once for every set), which
//! finds the same matches at the same offsets as an ASCII-case-insensitive automaton and lets
//! the automaton's literal prefilter skip most of the text.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

/// A compiled set of phrases.
pub(crate) struct Phrases {
    automaton: AhoCorasick,
}

impl Phrases {
    pub(crate) fn new(phrases: &[&str]) -> Phrases {
        Phrases::build(phrases, true)
    }

    /// A set whose phrases share their rare bytes with ordinary text (the `-----` rules of the
    /// original's markers, the words of the delay warnings): a literal prefilter would stop
    /// every few bytes, the automaton alone is faster (measured with callgrind on real mail).
    fn without_prefilter(phrases: &[&str]) -> Phrases {
        Phrases::build(phrases, false)
    }

    fn build(phrases: &[&str], prefilter: bool) -> Phrases {
        let lowered: Vec<String> = phrases.iter().map(|p| p.to_ascii_lowercase()).collect();
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .prefilter(prefilter)
            .kind(Some(AhoCorasickKind::DFA))
            .build(lowered)
            .expect("phrase sets are small literal sets");
        Phrases { automaton }
    }

    /// Whether any phrase occurs in `lower` (ASCII-lowercased text).
    pub(crate) fn any(&self, lower: &str) -> bool {
        debug_assert!(is_lower(lower));
        self.automaton.is_match(lower)
    }

    /// Every occurrence in `lower` (ASCII-lowercased text), leftmost first: (phrase index,
    /// byte offset).
    pub(crate) fn iter<'a>(&'a self, lower: &'a str) -> impl Iterator<Item = (usize, usize)> + 'a {
        debug_assert!(is_lower(lower));
        self.automaton.find_iter(lower).map(|m| (m.pattern().as_usize(), m.start()))
    }

    /// The lowest phrase index found in `lower` (ASCII-lowercased text; list order is
    /// priority order). Matches are leftmost-first, so a phrase hidden inside an earlier,
    /// overlapping match is not seen; the sets using this hold phrases that do not overlap.
    pub(crate) fn best(&self, lower: &str) -> Option<usize> {
        debug_assert!(is_lower(lower));
        self.automaton.find_iter(lower).map(|m| m.pattern().as_usize()).min()
    }
}

/// Whether a text has no ASCII uppercase letter (what the phrase sets expect).
fn is_lower(text: &str) -> bool {
    !text.bytes().any(|b| b.is_ascii_uppercase())
}

/// Builds a lazily compiled phrase set.
macro_rules! phrase_set {
    ($name:ident, $list:expr) => {
        pub(crate) static $name: LazyLock<Phrases> = LazyLock::new(|| Phrases::new($list));
    };
}

pub(crate) static ORIGINAL_SET: LazyLock<Phrases> =
    LazyLock::new(|| Phrases::without_prefilter(ORIGINAL_MARKERS));
phrase_set!(BOUNCE_TEXT_SET, BOUNCE_TEXT);
phrase_set!(BOUNCE_SUBJECT_SET, BOUNCE_SUBJECT);
pub(crate) static DELAY_TEXT_SET: LazyLock<Phrases> =
    LazyLock::new(|| Phrases::without_prefilter(DELAY_TEXT));
/// The markers of the MTA families, in priority order.
pub(crate) static PROSE_FAMILY_SET: LazyLock<Phrases> = LazyLock::new(|| {
    let markers: Vec<&str> = PROSE_FAMILIES.iter().map(|(_, m)| *m).collect();
    Phrases::new(&markers)
});

/// Lines that mark where the returned original begins in a one-part bounce.
pub(crate) const ORIGINAL_MARKERS: &[&str] = &[
    "------ this is a copy of the message",
    "--- below this line is a copy of the message",
    "------ original message ------",
    "----- original message -----",
    "-----original message-----",
    "--- original message follows",
    "original message follows",
    "----- original message follows",
    "------ returned message",
    "----- returned message",
    "---- returned message",
    "--- the header of the original message is following",
    "----- unsent message below -----",
    "----- unsent message follows -----",
    "original message:",
    "----- transcript of session follows -----",
    "-- the header and top 20 lines of the message follows --",
    "------- failed message",
    "---------- forwarded message",
    "content-type: message/rfc822",
    "message headers follow",
    "--- the message header",
    "a copy of the original message below this line",
    "------ this is a copy of your message",
    "--- original message header",
    "original message header:",
    "----- the header of the original message",
    "----- message text follows -----",
    "---- below is the original message",
    "   ----- original message -----",
    "----- original message headers -----",
    "-----  original message",
    "---original message---",
    "the message that caused this notification was",
    "your message reads (in part)",
    "--- message header of your mail follows",
    "included is a copy of the message header",
    "below is a copy of the message header",
    // Smail banners: `|------- Message text follows: -------|`.
    "message text follows: --",
    "message header follows: --",
];

/// Subject words of delivery reports.
pub(crate) const BOUNCE_SUBJECT: &[&str] = &[
    "undeliver",
    "undelivered",
    "returned mail",
    "delivery status notification",
    "delivery failure",
    "delivery failed",
    "failure notice",
    "mail delivery failed",
    "non-delivery",
    "nondelivery",
    "could not send message",
    "delivery notification",
    "returned to sender",
    "not delivered",
    "delivery problem",
    "mail system error",
    "rejected",
    "message delivery",
    "warning: could not",
    "delivery report",
    "delayed mail",
    "delivery has failed",
    "unzustellbar",
    "non remis",
    "failed delivery",
    "permanent error",
    "error sending",
    "mail failure",
    "delivery error",
    "returned message",
    "bounce",
    "mail failed",
    "returning to sender",
    "failure",
    "nicht zustellbar",
    "notificación",
    "no se puede entregar",
    "配信",
    "不達",
    "エラー",
    // Postfix's notices to the postmaster ("Postfix SMTP server: errors from HOST").
    "smtp server: errors from",
];

/// Notice wording of delivery reports.
pub(crate) const BOUNCE_TEXT: &[&str] = &[
    "could not be delivered",
    "couldn't be delivered",
    "wasn't able to deliver",
    "was not able to deliver",
    "unable to deliver",
    "delivery has failed",
    "permanent error",
    "the following address(es) failed",
    "the following addresses had permanent fatal errors",
    "delivery to the following recipient",
    "this is the mail system at host",
    "message could not be delivered",
    "undeliverable",
    "failed to deliver",
    "delivery failed",
    "not be delivered",
    "returned mail",
    "user unknown",
    "mailbox unavailable",
    "did not reach the following recipient",
    "could not be delivered to",
    "following addresses had",
    "failed addresses follow",
    "delivery to the following",
    "error occurred while attempting to deliver",
    "recipient address rejected",
];

/// Notice wording of delay warnings.
pub(crate) const DELAY_TEXT: &[&str] = &[
    "will continue trying",
    "will be retried",
    "still trying",
    "has not yet been delivered",
    "this is a warning message only",
    "delivery is delayed",
    "message delayed",
];

/// MTA families recognised by their wording, most specific first: (family, lowercase marker).
pub(crate) const PROSE_FAMILIES: &[(&str, &str)] = &[
    ("qmail", "this is the qmail-send program"),
    ("qmail", "qmail-send"),
    ("postfix", "this is the mail system at host"),
    ("postfix", "x-postfix"),
    ("exim", "this message was created automatically by mail delivery software"),
    ("exim", "the following address(es) failed"),
    ("exim", "incorrectly constructed"),
    ("sendmail", "the following addresses had permanent fatal errors"),
    ("sendmail", "transcript of session follows"),
    ("sendmail", "the original message was received at"),
    ("gmail", "delivery to the following recipient failed permanently"),
    ("gmail", "google tried to deliver your message"),
    ("gmail", "the response from the remote server was"),
    ("google-groups", "google groups"),
    ("office365", "office 365"),
    ("office365", "microsoft exchange online"),
    ("outlook", "outlook.com"),
    ("exchange", "microsoft exchange"),
    ("exchange", "delivery has failed to these recipients or groups"),
    ("exchange", "did not reach the following recipient"),
    ("yahoo", "sorry, we were unable to deliver your message"),
    ("amazonses", "amazonses"),
    ("amazonses", "amazon ses"),
    ("amazonworkmail", "amazon workmail"),
    ("opensmtpd", "opensmtpd"),
    ("opensmtpd", "your message could not be delivered to one or more recipients"),
    ("courier", "courier mail server"),
    ("domino", "lotus domino"),
    ("domino", "domino"),
    ("notes", "lotus notes"),
    ("messagingserver", "this report relates to a message you sent"),
    ("gmx", "gmx"),
    ("mailru", "mail.ru"),
    ("yandex", "yandex"),
    ("zoho", "zoho"),
    ("dragonfly", "dragonfly"),
    ("mcafee", "mcafee"),
    ("imailserver", "imail"),
    ("imailserver", "<smtp32 v"),
    ("exim", "(exim "),
    ("mimecast", "mimecast"),
    ("barracuda", "barracuda"),
    ("sendgrid", "sendgrid"),
];
