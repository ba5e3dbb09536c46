//! One DNS question and its answer, as memoised, cached and read back.

use serde::{Deserialize, Serialize};

/// The record types the evidence asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Qtype {
    Mx,
    A,
    Aaaa,
    Ptr,
    Txt,
}

/// A question: a type and a name (for `ptr`, the IP address as text).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct Question {
    #[serde(rename = "type")]
    pub(crate) qtype: Qtype,
    pub(crate) name: String,
}

impl Question {
    pub(crate) fn new(qtype: Qtype, name: &str) -> Question {
        Question { qtype, name: name.trim().trim_end_matches('.').to_ascii_lowercase() }
    }
}

/// What the resolver answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "rcode", content = "records")]
pub(crate) enum Outcome {
    /// Records of the asked type: MX as `PREF HOST`, A/AAAA as addresses, PTR as names, TXT
    /// as the strings of one record joined.
    Records(Vec<String>),
    /// The name exists but has no record of this type.
    NoData,
    /// The name does not exist.
    NxDomain,
    /// The server failed (SERVFAIL, REFUSED or another error code).
    ServFail,
    /// No answer in time.
    Timeout,
    /// Any other failure (network, malformed), with its text.
    Error(String),
}

impl Outcome {
    /// Whether the answer says something about the name (and may be cached).
    pub(crate) fn is_answer(&self) -> bool {
        matches!(self, Outcome::Records(_) | Outcome::NoData | Outcome::NxDomain)
    }

    /// The records, or none.
    pub(crate) fn records(&self) -> &[String] {
        match self {
            Outcome::Records(records) => records,
            _ => &[],
        }
    }
}

/// An answer with when it was obtained and until when it may be reused (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Answer {
    #[serde(flatten)]
    pub(crate) outcome: Outcome,
    pub(crate) queried_at: i64,
    pub(crate) expires_at: i64,
    /// Read from the cache file rather than asked this run.
    #[serde(skip)]
    pub(crate) cached: bool,
}

/// `seconds` since the epoch as RFC 3339 UTC.
pub(crate) fn rfc3339(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds).map(|t| t.to_string()).unwrap_or_default()
}

/// Now, in seconds since the epoch.
pub(crate) fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}
