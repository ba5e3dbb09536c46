//! Checked conditions and their evaluation against a record.
//!
//! Text conditions on the diagnostic are not evaluated here one by one: every text pattern of the
//! rule set sits in one matcher (`matcher.rs`), run once per record, and conditions read its
//! match bits.

use bounce_model::{BounceFacts, Kind, Stage};

/// A status pattern: three parts, `None` standing for `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatusPattern(pub(crate) [Option<u16>; 3]);

impl StatusPattern {
    fn matches(&self, status: &str) -> bool {
        let mut parts = status.trim().split('.');
        for expected in &self.0 {
            let Some(part) = parts.next() else { return false };
            if let Some(expected) = expected {
                if part.parse::<u16>().ok() != Some(*expected) {
                    return false;
                }
            }
        }
        parts.next().is_none()
    }

    /// Whether every part is fixed (no wildcard).
    pub(crate) fn is_exact(&self) -> bool {
        self.0.iter().all(Option::is_some)
    }
}

/// A reply-code pattern: three digits, `None` standing for `x`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReplyPattern(pub(crate) [Option<u8>; 3]);

impl ReplyPattern {
    fn matches(&self, reply: &str) -> bool {
        let reply = reply.trim().as_bytes();
        reply.len() == 3
            && self.0.iter().zip(reply).all(|(expected, actual)| {
                actual.is_ascii_digit() && (expected.is_none() || *expected == Some(actual - b'0'))
            })
    }
}

/// A test of a short string field (host names, formats, header values).
#[derive(Debug, Clone)]
pub(crate) enum StrMatch {
    /// Equal, ignoring ASCII case.
    Exact(String),
    /// Contains, ignoring ASCII case (stored lowercased).
    Contains(String),
    /// A regex (compiled case-insensitive).
    Regex(regex::Regex),
}

impl StrMatch {
    pub(crate) fn matches(&self, value: &str) -> bool {
        match self {
            StrMatch::Exact(expected) => value.trim().eq_ignore_ascii_case(expected),
            StrMatch::Contains(needle) => {
                needle.is_empty()
                    || value
                        .as_bytes()
                        .windows(needle.len())
                        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
            }
            StrMatch::Regex(regex) => regex.is_match(value),
        }
    }
}

/// A domain test: exact, a `*.example.com` glob (subdomains only), or a regex.
#[derive(Debug, Clone)]
pub(crate) enum DomainPattern {
    /// The domain itself, lowercased.
    Exact(String),
    /// Any subdomain of this suffix (stored as `.example.com`).
    Suffix(String),
    /// A regex.
    Regex(regex::Regex),
}

impl DomainPattern {
    /// Whether `domain` matches, ignoring ASCII case and a trailing dot (the patterns are
    /// lowercase, regexes case-insensitive). Called for every provider on every record, so it
    /// allocates nothing.
    pub(crate) fn matches(&self, domain: &str) -> bool {
        let domain = domain.trim().trim_end_matches('.');
        match self {
            DomainPattern::Exact(expected) => domain.eq_ignore_ascii_case(expected),
            DomainPattern::Suffix(suffix) => {
                domain.len() >= suffix.len()
                    && domain.is_char_boundary(domain.len() - suffix.len())
                    && domain[domain.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
            }
            // Rule regexes are compiled case-insensitive.
            DomainPattern::Regex(regex) => regex.is_match(domain),
        }
    }
}

/// One test of a condition.
#[derive(Debug, Clone)]
pub(crate) enum Cond {
    /// The stated enhanced status code.
    Status(StatusPattern),
    /// The stated SMTP reply code.
    Reply(ReplyPattern),
    /// Pattern number `index` of the text matchers matched the diagnostic; `literal` holds
    /// the plain phrase of a `"..."` condition (matched by the automaton alone, without a regex).
    Text { source: String, literal: Option<String>, index: usize },
    /// The SMTP stage.
    Stage(Stage),
    /// The DSN action (lowercase).
    DsnAction(String),
    /// The record kind.
    Kind(Kind),
    /// The provider the rules recognised.
    Provider(String),
    /// The recipient's domain.
    RcptDomain(DomainPattern),
    /// The envelope sender's (or else the From header's) domain.
    SenderDomain(DomainPattern),
    /// The MTA format family.
    Format(StrMatch),
    /// A captured header of the original (lowercase name).
    Header(String, StrMatch),
    /// A verdict field the bounce itself carries (lowercase name), e.g. a DSN `X-` field.
    VendorField(String, StrMatch),
    /// The human-readable notice of a single-recipient bounce.
    Notice(StrMatch),
    /// The Remote-MTA.
    RemoteMta(StrMatch),
    /// The Reporting-MTA.
    ReportingMta(StrMatch),
    /// The Diagnostic-Code type.
    DiagnosticType(StrMatch),
}

/// A boolean tree of conditions.
#[derive(Debug, Clone)]
pub(crate) enum Tree {
    /// Any part.
    Or(Vec<Tree>),
    /// Every part.
    And(Vec<Tree>),
    /// The negation.
    Not(Box<Tree>),
    /// A test.
    Leaf(Cond),
}

/// What conditions read: the facts of one bounce, its provider and the text-set matches.
pub(crate) struct Facts<'a> {
    pub(crate) record: &'a BounceFacts,
    pub(crate) provider: Option<&'a str>,
    pub(crate) text_matches: &'a [bool],
}

impl Facts<'_> {
    fn sender_domain(&self) -> Option<String> {
        let original = &self.record.original;
        let address = original
            .envelope_sender
            .as_ref()
            .map(|p| p.value.as_str())
            .or(original.from.as_deref())?;
        let address = address.trim().trim_end_matches('>');
        address.rsplit_once('@').map(|(_, domain)| domain.to_ascii_lowercase())
    }
}

impl Cond {
    pub(crate) fn eval(&self, facts: &Facts<'_>) -> bool {
        let record = facts.record;
        match self {
            Cond::Status(pattern) => record.status.as_deref().is_some_and(|s| pattern.matches(s)),
            Cond::Reply(pattern) => {
                record.reply_code.as_deref().is_some_and(|r| pattern.matches(r))
            }
            Cond::Text { index, .. } => facts.text_matches.get(*index).copied().unwrap_or(false),
            Cond::Stage(stage) => record.smtp_stage == *stage,
            Cond::DsnAction(action) => {
                record.action.as_deref().is_some_and(|a| a.trim().eq_ignore_ascii_case(action))
            }
            Cond::Kind(kind) => record.kind == Some(*kind),
            Cond::Provider(name) => facts.provider == Some(name.as_str()),
            Cond::RcptDomain(pattern) => pattern.matches(record.recipient_domain()),
            Cond::SenderDomain(pattern) => {
                facts.sender_domain().is_some_and(|d| pattern.matches(&d))
            }
            Cond::Format(test) => test.matches(&record.format),
            Cond::Header(name, test) => {
                record.original.captured.get(name).is_some_and(|value| test.matches(value))
            }
            Cond::Notice(test) => record.notice.as_deref().is_some_and(|v| test.matches(v)),
            Cond::VendorField(name, test) => {
                record.vendor_fields.get(name).is_some_and(|value| test.matches(value))
            }
            Cond::RemoteMta(test) => record.remote_mta.as_deref().is_some_and(|v| test.matches(v)),
            Cond::ReportingMta(test) => {
                record.reporting_mta.as_deref().is_some_and(|v| test.matches(v))
            }
            Cond::DiagnosticType(test) => {
                record.diagnostic_type.as_deref().is_some_and(|v| test.matches(v))
            }
        }
    }
}

impl Tree {
    pub(crate) fn eval(&self, facts: &Facts<'_>) -> bool {
        match self {
            Tree::Or(parts) => parts.iter().any(|part| part.eval(facts)),
            Tree::And(parts) => parts.iter().all(|part| part.eval(facts)),
            Tree::Not(inner) => !inner.eval(facts),
            Tree::Leaf(cond) => cond.eval(facts),
        }
    }

    /// Three-valued evaluation with every text test false and every other test unknown:
    /// `Some(false)` means the tree can only hold when some text pattern matched.
    pub(crate) fn without_text(&self) -> Option<bool> {
        match self {
            Tree::Or(parts) => {
                let mut result = Some(false);
                for part in parts {
                    match part.without_text() {
                        Some(true) => return Some(true),
                        None => result = None,
                        Some(false) => {}
                    }
                }
                result
            }
            Tree::And(parts) => {
                let mut result = Some(true);
                for part in parts {
                    match part.without_text() {
                        Some(false) => return Some(false),
                        None => result = None,
                        Some(true) => {}
                    }
                }
                result
            }
            Tree::Not(inner) => inner.without_text().map(|value| !value),
            Tree::Leaf(Cond::Text { .. }) => Some(false),
            Tree::Leaf(_) => None,
        }
    }

    /// Calls `visit` on every test of the tree.
    pub(crate) fn for_each_cond_mut(&mut self, visit: &mut impl FnMut(&mut Cond)) {
        match self {
            Tree::Or(parts) | Tree::And(parts) => {
                parts.iter_mut().for_each(|part| part.for_each_cond_mut(visit));
            }
            Tree::Not(inner) => inner.for_each_cond_mut(visit),
            Tree::Leaf(cond) => visit(cond),
        }
    }

    /// Calls `visit` on every test of the tree.
    pub(crate) fn for_each_cond(&self, visit: &mut impl FnMut(&Cond)) {
        match self {
            Tree::Or(parts) | Tree::And(parts) => {
                parts.iter().for_each(|part| part.for_each_cond(visit));
            }
            Tree::Not(inner) => inner.for_each_cond(visit),
            Tree::Leaf(cond) => visit(cond),
        }
    }
}
