//! The per-recipient record: the facts a bounce states and their parts, the rules' verdict, and
//! the record that pairs them (its JSON in `record/wire.rs`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::taxonomy::{Action, Category, Owner, Reason};

mod wire;

/// Where a message came from: the input file, its position and byte offset there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Source {
    /// The file the message was read from (`-` for standard input).
    pub path: String,
    /// 1-based position of the message within that file.
    pub message: u64,
    /// Byte offset of the message in the file (in the decompressed stream for gzip input).
    pub offset: u64,
}

named_enum! {
    /// What a record reports about its recipient.
    Kind {
        /// Delivery failed permanently (or the report gives up).
        Bounce = "bounce",
        /// Delivery is delayed; the sending side will retry.
        Delay = "delay",
        /// A success report: delivered, relayed or expanded.
        Delivered = "delivered",
        /// An automatic reply such as an out-of-office notice.
        AutoReply = "auto-reply",
        /// A complaint (feedback) report.
        Complaint = "complaint",
    }
}

impl Kind {
    /// Whether this kind is a failure (bounce or delay) rather than a report.
    #[must_use]
    pub fn is_failure(self) -> bool {
        matches!(self, Kind::Bounce | Kind::Delay)
    }
}

named_enum! {
    /// The SMTP stage the failure answered; `ALL` is in protocol order.
    #[derive(Default)]
    Stage {
        /// TCP connection (before any SMTP banner).
        Connect = "connect",
        /// The server greeting (banner).
        Greeting = "greeting",
        /// EHLO or HELO.
        Ehlo = "ehlo",
        /// STARTTLS negotiation.
        Starttls = "starttls",
        /// SMTP AUTH.
        Auth = "auth",
        /// MAIL FROM.
        Mail = "mail",
        /// RCPT TO.
        Rcpt = "rcpt",
        /// The DATA command itself.
        Data = "data",
        /// The final dot after the message content.
        EndOfData = "end-of-data",
        /// A later, asynchronous bounce after the receiver accepted the message.
        AfterAcceptance = "after-acceptance",
        /// The bounce does not say.
        #[default]
        Unknown = "unknown",
    }
}

/// A derived value together with where it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenanced {
    /// The value.
    pub value: String,
    /// Where it came from, e.g. `Received[2] of the returned message` or `DSN Remote-MTA`.
    pub source: String,
    /// True when the source may be the sender's own copy or otherwise unverified.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub uncertain: bool,
}

/// A `DKIM-Signature` of the returned message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimSignature {
    /// The signing domain (`d=`).
    pub domain: String,
    /// The selector (`s=`).
    pub selector: String,
}

/// One `Authentication-Results` header of the returned message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthResult {
    /// The authserv-id that wrote the header.
    pub authserv_id: String,
    /// The SPF verdict, if present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spf: Option<String>,
    /// The DKIM verdict, if present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dkim: Option<String>,
    /// The DMARC verdict, if present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dmarc: Option<String>,
}

/// What the bounce tells about the original (returned) message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Original {
    /// How the original was returned: `message/rfc822`, `text/rfc822-headers` or `inline`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub returned_as: Option<String>,
    /// The `Message-ID` of the original.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Whether the Message-ID is a syntactically valid `<id-left@id-right>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id_valid: Option<bool>,
    /// The visible `From` of the original.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Whether the From header holds a syntactically valid address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_valid: Option<bool>,
    /// The `To` of the original.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The `Subject` of the original.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The `Date` of the original.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The envelope sender (Return-Path of the original, or the DSN's sender field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub envelope_sender: Option<Provenanced>,
    /// The DSN's `Original-Envelope-Id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub envelope_id: Option<String>,
    /// Every `DKIM-Signature` (d= and s=).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dkim: Vec<DkimSignature>,
    /// Every `Authentication-Results` header.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub auth_results: Vec<AuthResult>,
    /// The `List-Unsubscribe` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_unsubscribe: Option<String>,
    /// Whether `List-Unsubscribe-Post: List-Unsubscribe=One-Click` is present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_click_unsubscribe: Option<bool>,
    /// Domains of links found in a returned body.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub link_domains: Vec<String>,
    /// The sending IP, from the Received chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sending_ip: Option<Provenanced>,
    /// The HELO/EHLO name the sender used, from the Received chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helo: Option<Provenanced>,
    /// TLS use as stated by the DSN or the Received lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<Provenanced>,
    /// Headers the user asked for with `--capture-header`, by lowercase name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub captured: BTreeMap<String, String>,
}

/// What a bounce states about one recipient named in a delivery report, with provenance:
/// everything the source said and nothing the rules decided (that is the [`Verdict`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BounceFacts {
    /// Where the message came from.
    pub source: Source,
    /// The recipient address (Final-Recipient, or the address the prose names).
    pub recipient: String,
    /// What the record reports.
    pub kind: Option<Kind>,
    /// The enhanced status code the bounce states (RFC 3463), never invented.
    pub status: Option<String>,
    /// The SMTP reply code the bounce states.
    pub reply_code: Option<String>,
    /// The diagnostic text, unfolded, as the receiving side wrote it.
    pub diagnostic: Option<String>,
    /// The Diagnostic-Code type (`smtp`, `x-unix`, …).
    pub diagnostic_type: Option<String>,
    /// The SMTP stage the failure answered.
    pub smtp_stage: Stage,
    /// How the stage was learnt (`dsn`, `prose`, `inferred`).
    pub stage_source: Option<String>,
    /// The DSN's Reporting-MTA (or the host that wrote the bounce).
    pub reporting_mta: Option<String>,
    /// The DSN's Remote-MTA (or the host named in the prose).
    pub remote_mta: Option<String>,
    /// The DSN's Received-From-MTA.
    pub received_from_mta: Option<String>,
    /// The DSN Action (failed, delayed, delivered, relayed, expanded).
    pub action: Option<String>,
    /// The DSN's Original-Recipient.
    pub original_recipient: Option<String>,
    /// The DSN's Arrival-Date.
    pub arrival_date: Option<String>,
    /// The DSN's Last-Attempt-Date, or the bounce's own Date.
    pub last_attempt_date: Option<String>,
    /// The same date normalised to UTC (RFC 3339), when it could be parsed.
    pub timestamp: Option<String>,
    /// The DSN's Will-Retry-Until.
    pub will_retry_until: Option<String>,
    /// The MTA format family that produced the bounce (`rfc3464`, `postfix`, `exim`, …).
    pub format: String,
    /// Verdicts the sending or reporting MTA wrote into the bounce itself, by lowercase name:
    /// the `X-` fields of the recipient's DSN group (PowerMTA's `X-PowerMTA-BounceCategory`)
    /// and the filter-verdict headers of the bounce (`X-SPASIGN` of au/KDDI).
    pub vendor_fields: BTreeMap<String, String>,
    /// The human-readable notice of a bounce about one recipient (its first 2 KB), where the
    /// reporting MTA may name a cause the diagnostic does not ("automatically rejected: Not
    /// enough disk space"). Rules read it with `notice`; it is not written to the output.
    pub notice: Option<String>,
    /// The complaint feedback type (ARF), for complaint records.
    pub feedback_type: Option<String>,
    /// The bounce message's own Message-ID.
    pub bounce_message_id: Option<String>,
    /// What the bounce tells about the returned original.
    pub original: Original,
}

/// What the rules decided about one bounce: the reason, the triage outcome and what it rests
/// on. It is made from [`BounceFacts`] by the rules and never states a fact of its own.
///
/// In a record's JSON, `reason` and `status_inferred` are top-level keys and the rest is the
/// `verdict` object (see [`Record`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// The reason (taxonomy layer 1).
    pub reason: Reason,
    /// A standard code the rules infer when the bounce states none (a record's verdict never
    /// carries one beside a stated status).
    pub status_inferred: Option<String>,
    /// Id of the rule that decided.
    pub rule_id: String,
    /// Where the rule is written (`file:line`).
    pub rule_location: String,
    /// Triage category.
    pub category: Category,
    /// What to do with the address.
    pub action: Action,
    /// Who must act.
    pub owner: Owner,
    /// Whether the failure is permanent (hard) for this delivery attempt.
    pub hard: bool,
    /// A grouping token captured from the text (S3150, CS01, an RBL name).
    pub token: Option<String>,
    /// Steps to fix, for reports.
    pub fix: String,
    /// The provider the rules recognised, if any.
    pub provider: Option<String>,
    /// The evidence the decision rests on: `code 550 5.1.1`, `text ~ /pattern/`, `stage rcpt
    /// (dsn)`, `kind delay`.
    pub basis: Vec<String>,
    /// The bounds that changed what the rule decided (a 4xx never suppresses, a refusal at
    /// MAIL FROM is about the sender, …), each with why.
    pub bounds: Vec<String>,
}

impl BounceFacts {
    /// The domain part of the recipient, lowercased.
    #[must_use]
    pub fn recipient_domain(&self) -> &str {
        self.recipient.rsplit_once('@').map_or("", |(_, d)| d)
    }

    /// The attempt this record reports, as a hash of the original's Message-ID (else its
    /// envelope id; angle brackets, spaces and case ignored), the recipient (case ignored) and
    /// what happened to it (the kind). Records with the same key report one attempt: the
    /// webhook event, the MTA log line and the DSN of the same message and recipient, or a
    /// deferral logged at each retry. `None` when the record names neither id: such a record
    /// is an attempt of its own.
    #[must_use]
    pub fn attempt_key(&self) -> Option<u64> {
        use std::hash::{Hash, Hasher};
        fn normal(id: Option<&str>) -> Option<&str> {
            id.map(|id| id.trim().trim_start_matches('<').trim_end_matches('>').trim())
                .filter(|id| !id.is_empty())
        }
        let (tag, id) = match normal(self.original.message_id.as_deref()) {
            Some(id) => (0u8, id),
            None => (1u8, normal(self.original.envelope_id.as_deref())?),
        };
        // SipHash with fixed keys: the same key in every run and on every machine.
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        tag.hash(&mut hasher);
        for b in id.bytes().chain([0]).chain(self.recipient.trim().bytes()) {
            b.to_ascii_lowercase().hash(&mut hasher);
        }
        self.kind.map(Kind::as_str).hash(&mut hasher);
        Some(hasher.finish())
    }
}

/// One output record: what the bounce states about a recipient and, once the rules have run,
/// what they decided.
///
/// Its JSON (`classify` output, read back by the `jsonl` source) is one flat object: the facts'
/// keys, with `status_inferred` after `status`, then `reason` and the `verdict` object; the
/// keys and their order are a contract (see `record/wire.rs`). A record reads as its facts
/// (`record.recipient`, `record.status`) through `Deref`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// What the bounce states.
    pub facts: BounceFacts,
    /// What the rules decided; `None` until they have run.
    pub verdict: Option<Verdict>,
    /// What DNS answered about the recipient domain and sending IP (`--resolve`); `None` when
    /// the run did not resolve (and then absent from the JSON).
    pub dns: Option<Box<crate::dns::DnsEvidence>>,
}

impl Record {
    /// The reason the rules gave, if they have run.
    #[must_use]
    pub fn reason(&self) -> Option<Reason> {
        self.verdict.as_ref().map(|v| v.reason)
    }

    /// The standard code the rules inferred because the bounce states none.
    #[must_use]
    pub fn status_inferred(&self) -> Option<&str> {
        self.verdict.as_ref().and_then(|v| v.status_inferred.as_deref())
    }
}

impl From<BounceFacts> for Record {
    /// A record of these facts that the rules have not judged yet.
    fn from(facts: BounceFacts) -> Record {
        Record { facts, verdict: None, dns: None }
    }
}

impl std::ops::Deref for Record {
    type Target = BounceFacts;

    fn deref(&self) -> &BounceFacts {
        &self.facts
    }
}

impl std::ops::DerefMut for Record {
    fn deref_mut(&mut self) -> &mut BounceFacts {
        &mut self.facts
    }
}
