//! The data a template sees: totals, counts, groups with their evidence, charts, spikes and
//! lists, all built from records, the run summary and the aggregates.

mod attempts;
mod build;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use bounce_model::{Category, Group, Summary};

pub use build::{
    build_context, ContextBuilder, EvidenceStore, RecordsStore, SpillStore, RESPONSE_CAP, VALUE_CAP,
};

use crate::chart::Chart;
use crate::evidence::{ConfirmRow, EvidenceView, FROM_ESP};

/// What the caller knows about the run that the records do not say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportOptions {
    /// The report title.
    pub title: String,
    /// When the report was generated; `None` keeps the output deterministic.
    pub generated_at: Option<String>,
    /// The inputs, as given.
    pub inputs: Vec<String>,
    /// The filters applied, as human text (`provider = gmail`).
    pub filters: Vec<String>,
    /// Notes to show near the totals (e.g. that the input was JSON Lines).
    pub notes: Vec<String>,
}

/// A name with a count and the anchor of its first evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    /// The name.
    pub name: String,
    /// How many records.
    pub count: u64,
    /// Anchor of an evidence record or group (`rec-3`, `group-1`).
    pub anchor: String,
}

/// The totals, which add up: the summary's buckets to its messages, the kinds to the records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// The run summary.
    pub summary: Summary,
    /// Whether the summary's buckets add up to its messages.
    pub adds_up: bool,
    /// Records in the report (after filters).
    pub records: u64,
    /// Records per kind; sums to `records`.
    pub kinds: Vec<Count>,
    /// Failure records (bounces and delays), each attempt once.
    pub failures: u64,
    /// Failure records left out of `failures` and of the groups because an earlier record
    /// reported the same attempt (same Message-ID or envelope id, recipient and kind: the
    /// event, log line and DSN of one message); their evidence is merged into that record's.
    pub merged: u64,
}

/// One distinct response text of a group with how often it was seen: responses that differ
/// only in trace ids, hex ids, timestamps or bracketed host ids are one response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Response {
    /// The exact SMTP text of the first record with it (one verbatim sample).
    pub text: String,
    /// The text with its ids and timestamps masked (`…`), the key responses are merged by.
    pub pattern: String,
    /// How many records carry it.
    pub count: u64,
    /// Status and reply code of the first record with it.
    pub status: String,
}

/// A group with everything the escalation documents print about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupView {
    /// HTML anchor (`group-1`).
    pub anchor: String,
    /// The key as `name = value` pairs joined with ` · `.
    pub title: String,
    /// The key.
    pub key: BTreeMap<String, String>,
    /// The aggregate numbers.
    pub group: Group,
    /// Category name of the group's records.
    pub category: String,
    /// Action name of the group's records.
    pub action: String,
    /// Provider of the group's records.
    pub provider: String,
    /// Which layer the response points to.
    pub layer: String,
    /// The SMTP stages seen, in the guide's words.
    pub stages: Vec<String>,
    /// The fix the rules suggest.
    pub fix: String,
    /// The distinct responses, most frequent first (at most [`RESPONSE_CAP`]).
    pub responses: Vec<Response>,
    /// Records whose response was not among the first [`RESPONSE_CAP`] distinct ones.
    pub responses_more: u64,
    /// Normal vs incident rate, or where to collect it.
    pub rate: String,
    /// Evidence of the group's records (the samples first).
    pub evidence: Vec<EvidenceView>,
    /// The group's records whose evidence is not shown (`evidence` keeps the first
    /// [`GROUP_SAMPLES`]; the CSV has them all).
    pub evidence_more: u64,
    /// Fields missing from the group's records, counted over all of them.
    #[serde(skip)]
    missing: Vec<Unknown>,
    /// Whether a record of the group has an uncertain Received hop.
    #[serde(skip)]
    uncertain_hops: bool,
    /// The sending IPs of all the group's records, as the bounces show them.
    #[serde(skip)]
    sending_ips: BTreeSet<String>,
    /// Whether the group concerns Microsoft 365 / Outlook.com.
    pub microsoft: bool,
    /// A stable, human-readable anchor: the slug of the heading `provider label`, as Markdown
    /// renderers derive it (`outlook-com-s3150`).
    pub slug: String,
    /// The heading label: the token, else the reason, else the category.
    pub label: String,
    /// The reason name of the group's first record.
    pub reason: String,
    /// Sending IPs the receiver named in its reply (the most reliable source).
    pub receiver_ips: Vec<String>,
    /// Sending IPs only guessed from headers of the returned message (uncertain).
    pub guessed_ips: Vec<String>,
    /// Distinct receiving MTAs (Remote-MTA) of the group's records.
    pub remote_mtas: Vec<String>,
    /// Distinct authentication results recorded in the returned messages.
    pub auth: Vec<String>,
    /// Distinct visible From domains of the group's records.
    pub from_domains: Vec<String>,
    /// The flagged spike of this group's provider and category, as text, if any.
    pub spike: Option<String>,
    /// What we ask the ESP to do about this group, in one sentence (the first of `asks`).
    pub ask: String,
    /// What we ask about this group, one per distinct ask of its records' reasons, most
    /// messages first.
    pub asks: Vec<Ask>,
}

/// One explicit ask of the ESP ticket: what to do, for which messages, ranked by volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ask {
    /// The ask, in one sentence.
    pub text: String,
    /// How many messages it concerns.
    pub count: u64,
    /// The slugs of the groups it comes from.
    pub slugs: Vec<String>,
}

/// A piece of evidence the bounces of the ESP groups do not hold, listed once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unknown {
    /// The field (`IP pool (shared or dedicated)`).
    pub label: String,
    /// Where to collect it.
    pub collect: String,
    /// How many ESP records lack it.
    pub count: u64,
}

/// A flagged spike with a link to its group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpikeView {
    /// The aggregate.
    pub spike: bounce_model::Spike,
    /// Normal vs incident rate as text.
    pub rate: String,
    /// Anchor of the matching group, else of the first record in the window.
    pub anchor: String,
}

/// One list entry with a link to its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryView {
    /// The entry.
    pub entry: bounce_model::ListEntry,
    /// `suppress`, `keep` or `complaint`.
    pub list: String,
    /// Anchor of the deciding record's evidence.
    pub anchor: String,
}

/// One row of the actions table: the addresses of one list whose deciding record asks for one
/// action, with their failure records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionRow {
    /// The list the addresses are on (`suppress`, `keep`, `complaint`), or `not listed`.
    pub list: String,
    /// The action: `suppress` for the whole suppression list, `complaint` for the complaint
    /// list, else the action the deciding record's rule gives.
    pub action: String,
    /// What to do, in a few words.
    pub hint: String,
    /// Distinct addresses.
    pub addresses: u64,
    /// Failure records of those addresses.
    pub failures: u64,
    /// The providers of those addresses with their address counts, most first.
    pub providers: Vec<Count>,
    /// The anchor of the largest group with this action, else of the first deciding record.
    pub anchor: String,
}

/// The addresses of one list, split by action. `addresses` equals the list's length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListActions {
    /// `suppress`, `keep`, `complaint`, or `not listed` (failures of no list's address).
    pub list: String,
    /// Addresses on the list.
    pub addresses: u64,
    /// Failure records of those addresses.
    pub failures: u64,
    /// The rows, most addresses first.
    pub rows: Vec<ActionRow>,
}

/// Everything a template sees.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportContext {
    /// The title.
    pub title: String,
    /// When generated, if the caller passed it.
    pub generated_at: Option<String>,
    /// The inputs.
    pub inputs: Vec<String>,
    /// Filters applied.
    pub filters: Vec<String>,
    /// Notes.
    pub notes: Vec<String>,
    /// First and last attempt time of the records (UTC).
    pub window: String,
    /// Totals.
    pub totals: Totals,
    /// Failure records per category (sums to `totals.failures`).
    pub by_category: Vec<Count>,
    /// Failure records per action of their rule.
    pub by_action: Vec<Count>,
    /// Every listed address once, per list and action; the lists' lengths, and failures that
    /// add up to `totals.failures`.
    pub actions: Vec<ListActions>,
    /// The three actions that concern the most addresses: where to start.
    pub start_here: Vec<ActionRow>,
    /// Failure records without a (readable) timestamp: in every count, in no chart bar.
    pub undated: u64,
    /// Failure records per provider.
    pub by_provider: Vec<Count>,
    /// Failure records per SMTP stage.
    pub by_stage: Vec<Count>,
    /// Records per source format (`postfix`, `exim`, `postfix-log`, `ses-event`,
    /// `sfmc-bounce`…): what the evidence came from; sums to `totals.records`.
    pub by_source: Vec<Count>,
    /// Top rejection tokens: the provider codes the rules captured ([`is_provider_token`]).
    pub tokens: Vec<Count>,
    /// Every group.
    pub groups: Vec<GroupView>,
    /// Groups for the ESP (reputation, authentication, acceptance, policy, content).
    pub esp_groups: Vec<GroupView>,
    /// Groups for IT (relay, routing, transport, DNS, SMTP login).
    pub it_groups: Vec<GroupView>,
    /// The "please confirm" rows, one per failure record of the ESP groups.
    pub confirm: Vec<ConfirmRow>,
    /// Distinct sending IPs of the ESP groups' records, as the bounces show them.
    pub sending_ips: Vec<String>,
    /// Charts over time: per category, then per provider.
    pub charts: Vec<Chart>,
    /// Flagged spikes.
    pub spikes: Vec<SpikeView>,
    /// Suppression candidates: the first [`LIST_CAP`] (`list_counts` counts them all).
    pub suppress: Vec<EntryView>,
    /// Kept addresses: the first [`LIST_CAP`].
    pub keep: Vec<EntryView>,
    /// Complaints: the first [`LIST_CAP`].
    pub complaints: Vec<EntryView>,
    /// The length of each whole list.
    pub list_counts: ListCounts,
    /// The file beside the document that holds the whole lists as CSV, when the caller wrote
    /// one (a list is longer than [`LIST_CAP`]).
    pub lists_csv: Option<String>,
    /// Evidence of every record in the report.
    pub evidence: Vec<EvidenceView>,
    /// The explicit asks of the ESP ticket, one per finding, most messages first.
    pub asks: Vec<Ask>,
    /// What the ESP groups' bounces do not say, once per field.
    pub unknowns: Vec<Unknown>,
    /// Whether some values of the ESP groups come from a Received header of the returned
    /// message, which may be the sender's own hop.
    pub uncertain_hops: bool,
    /// Failure records in the ESP groups.
    pub esp_failures: u64,
    /// Providers of the ESP groups with their counts, most first.
    pub esp_providers: Vec<Count>,
    /// Earliest first-seen and latest last-seen of the ESP groups (UTC), if known.
    pub esp_window: String,
    /// Rows of the ESP ticket's appendix per group.
    pub appendix_cap: usize,
    /// Entries of each list the HTML summary shows ([`LIST_CAP`]); the CSV has them all.
    pub list_cap: usize,
    /// How many groups there are in all, and how many the context leaves out.
    pub group_counts: GroupCounts,
}

/// The length of each whole list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ListCounts {
    /// Suppression candidates.
    pub suppress: u64,
    /// Kept addresses.
    pub keep: u64,
    /// Complaints.
    pub complaints: u64,
}

impl ListCounts {
    /// Whether a list is longer than the context holds.
    #[must_use]
    pub fn capped(&self) -> bool {
        [self.suppress, self.keep, self.complaints].into_iter().any(|n| n > LIST_CAP as u64)
    }
}

/// The groups in all: `groups`, `esp_groups` and `it_groups` hold the largest [`GROUP_CAP`]
/// groups; the totals, asks and missing evidence count every group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct GroupCounts {
    /// Groups in all.
    pub all: u64,
    /// ESP groups in all.
    pub esp: u64,
    /// IT groups in all.
    pub it: u64,
    /// Groups past [`GROUP_CAP`], not shown.
    pub hidden: u64,
    /// Failures in the groups not shown.
    pub hidden_failures: u64,
}

/// Groups (the largest) a report shows in full; the rest are counted in
/// [`ReportContext::group_counts`] and listed by `classify --groups`.
pub const GROUP_CAP: usize = 200;

/// Rows of the per-message appendix of the ESP ticket, per group.
pub const APPENDIX_CAP: usize = 10;

/// Records of one group whose evidence a report carries (the first ones); the context's
/// size follows the number of groups, not of records.
pub(crate) const GROUP_SAMPLES: usize = 20;

/// Entries of each list (suppress, keep, complaint) a report context holds, whose deciding
/// record's evidence it carries and that the HTML summary lists; the CSV lists them all.
pub const LIST_CAP: usize = 1_000;

fn rate_text(count: u64, baseline: f64, rate: Option<f64>, baseline_rate: Option<f64>) -> String {
    match (rate, baseline_rate) {
        (Some(r), Some(b)) => format!(
            "incident rate {:.1}% vs normal {:.1}% for the same receiver and UTC window",
            r * 100.0,
            b * 100.0
        ),
        _ => format!(
            "{count} bounces in the window vs a baseline of {baseline:.1}; rates need sent volume: {FROM_ESP}"
        ),
    }
}

/// The IPv4 addresses a reply names in brackets (`[203.0.113.98] The IP address sending …`),
/// leaving out the receiving host's own address that an MTA writes after its name
/// (`host mx.example [198.51.100.27]`).
pub(crate) fn named_ips(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = Vec::new();
    for (i, word) in words.iter().enumerate() {
        if !word.starts_with('[') || i >= 2 && words[i - 2].eq_ignore_ascii_case("host") {
            continue;
        }
        let core = word.trim_matches(|c: char| "[]():;,".contains(c));
        if core.parse::<std::net::Ipv4Addr>().is_ok() && !out.iter().any(|x| x == core) {
            out.push(core.to_string());
        }
    }
    out
}

/// The anchor a Markdown renderer gives a heading: lowercase letters, digits and hyphens,
/// spaces to hyphens, everything else dropped.
pub(crate) fn slug_of(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_ascii_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

struct AskInput<'a> {
    category: Category,
    reason: &'a str,
    provider: &'a str,
    token: Option<&'a str>,
    receiver_ips: &'a [String],
    guessed_ips: &'a [String],
    from_domains: &'a [String],
    /// A reply blames the sending domain's reputation or a domain blocklist, not an IP.
    domain_reputation: bool,
}

/// Whether a reply blames the sending domain (its reputation, a domain blocklist such as the
/// Spamhaus DBL) rather than the sending IP.
fn blames_sending_domain(diagnostic: &str) -> bool {
    let lower = diagnostic.to_ascii_lowercase();
    lower.contains("domain")
        && ["reputation", "dbl", "blocklist", "blacklist", "block list"]
            .iter()
            .any(|w| lower.contains(w))
}

/// What we ask the ESP about one group, from its category, reason, token, provider and the
/// sending IP the receiver named.
fn ask_of(a: &AskInput<'_>) -> String {
    let at = match a.token {
        Some(token) => format!("at {} (token {token})", a.provider),
        None => format!("at {}", a.provider),
    };
    // A group keeps at most VALUE_CAP IPs of each kind: say when the list stopped there.
    let joined = |ips: &[String]| {
        let more =
            if ips.len() >= VALUE_CAP { " and more (the CSV lists every record)" } else { "" };
        format!("{}{more}", ips.join(", "))
    };
    let ips = |fallback: &str| {
        if !a.receiver_ips.is_empty() {
            joined(a.receiver_ips)
        } else if !a.guessed_ips.is_empty() {
            format!("{} (from Received headers, unconfirmed)", joined(a.guessed_ips))
        } else {
            fallback.to_string()
        }
    };
    let domains = if a.from_domains.is_empty() {
        "our sending domain".into()
    } else {
        a.from_domains.join(", ")
    };
    match a.reason {
        "requireptr" => {
            return format!("Fix the PTR/reverse DNS of {} {at}", ips("the sending IP"));
        }
        "failedstarttls" => return format!("Use TLS when sending {at}"),
        // The receiver refused the sender (address or domain at MAIL FROM), not an IP.
        "rejected" => {
            return format!("Find why the sender address or domain ({domains}) is refused {at}")
        }
        "speeding" | "toomanyconn" | "exceedlimit" => {
            return format!("Slow the sending rate from {} {at}", ips("our IPs"));
        }
        _ => {}
    }
    match a.category {
        Category::Reputation if a.domain_reputation => format!(
            "Find why the sending domain ({domains}) has a poor reputation {at}: complaints, \
             authentication and list hygiene, then ask for delisting where it is listed"
        ),
        Category::Reputation => format!("Delist {} {at}", ips("the sending IP")),
        Category::SenderAuthentication => {
            format!("Confirm SPF/DKIM/DMARC alignment for {domains} {at}")
        }
        Category::RateLimit => format!("Slow the sending rate from {} {at}", ips("our IPs")),
        Category::Content => format!("Review the content the receiver flagged {at}"),
        Category::MalformedMessage => format!("Fix the message format the receiver refused {at}"),
        Category::LocalPolicy => format!("Ask for the local policy block to be lifted {at}"),
        Category::ProviderIncident => format!("Confirm the provider incident {at}"),
        _ => format!("Investigate the {} failures {at}", a.category.as_str()),
    }
}

/// Whether a rule's captured token is a provider's code worth ranking (`S3150`, `AS(…)`,
/// `TSS04`, `RESOLVER.RST.AuthRequired`, `VIR_420`, `DMARC`, `OverQuota`) rather than words the
/// pattern happened to capture (`IP address`, `From: header`, `domain`) or a bare number (`3`):
/// one word of at least two characters, not only digits, holding a digit, a `.`, `_` or `#`,
/// or capitals that are not just the first letter (an acronym or a `CamelCase` code).
#[must_use]
pub fn is_provider_token(token: &str) -> bool {
    let token = token.trim();
    let chars = token.chars().count();
    if chars < 2 || token.chars().any(|c| c.is_whitespace() || c == ':') {
        return false;
    }
    if token.chars().all(|c| c.is_ascii_digit() || ".,-".contains(c)) {
        return false;
    }
    let marked = token.chars().any(|c| c.is_ascii_digit() || "._#".contains(c));
    let inner_capital = token.chars().skip(1).any(char::is_uppercase);
    marked || inner_capital
}

/// What an action asks, in a few words, for the "start here" list.
fn action_hint(action: &str) -> &'static str {
    match action {
        "suppress" => "stop sending to these addresses (the suppression candidates)",
        "complaint" => "stop sending to these addresses: their owners complained",
        "suppress-after-confirmation" => "suppress once a later attempt confirms the failure",
        "count-as-soft" => "count as soft bounces; suppressed after repeated failures",
        "throttle-and-retry" => "throttle and retry with backoff; keep the addresses",
        "fix-routing" => "fix MX, transport map, smart host, connector or relay permission",
        "pause-and-fix-sender" => "pause the affected traffic and fix the sender (IP or domain)",
        "repair-sending-path" => "repair SPF, DKIM, DMARC, PTR or TLS before retrying",
        "fix-credentials" => "fix the SMTP credentials or the authentication method",
        "fix-content" => "test a plain version and fix the message",
        "keep" => "keep the addresses: the recipient's own setting, nothing to fix",
        "hold-in-spike" => "retest before suppressing: the failure fell in a flagged incident",
        "not-listed" => "failures of addresses no list decided on",
        _ => "collect the full bounce and review",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bounce_model::wording::mask_ids;

    #[test]
    fn masking_merges_responses_that_differ_only_in_ids() {
        let a = "550 5.7.1 Messages from [203.0.113.11] weren't sent (S3150). \
                 [DB5PEPF00014B9E.eurprd04.prod.outlook.com 2026-06-10T14:06:40.823Z 08DCEEFA62027450]";
        let b = "550 5.7.1 Messages from [203.0.113.11] weren't sent (S3150). \
                 [DU6PEPF0000A7E1.eurprd04.prod.outlook.com 2026-06-10T14:51:30.027Z 08DC4030490D7A29]";
        assert_eq!(mask_ids(a), mask_ids(b));
        assert!(mask_ids(a).contains("[203.0.113.11]"), "the IP is kept: {}", mask_ids(a));
        let c = a.replace("203.0.113.11", "203.0.113.12");
        assert_ne!(mask_ids(a), mask_ids(&c), "a different IP is a different response");
    }

    #[test]
    fn slugs_are_what_a_renderer_makes_of_the_heading() {
        assert_eq!(slug_of("outlook-com S3150"), "outlook-com-s3150");
        assert_eq!(slug_of("gmail From: header"), "gmail-from-header");
        assert_eq!(slug_of("other zen.spamhaus.org"), "other-zenspamhausorg");
        assert_eq!(slug_of("evil\"><svg onload=alert(2)>"), "evilsvg-onloadalert2");
    }

    #[test]
    fn named_ips_skip_the_receiving_host() {
        let text = "host gmail-smtp-in.l.google.com [198.51.100.27] SMTP error from remote mail \
                    server after end of data: 550-5.7.25 [203.0.113.98] The IP address sending";
        assert_eq!(named_ips(text), vec!["203.0.113.98".to_string()]);
        assert_eq!(named_ips("421-4.7.28 [203.0.113.12 19] Gmail has detected"), ["203.0.113.12"]);
    }

    #[test]
    fn asks_name_the_receivers_ip_and_the_token() {
        let ips = vec!["203.0.113.11".to_string()];
        let input = AskInput {
            category: Category::Reputation,
            reason: "blocked",
            provider: "outlook-com",
            token: Some("S3150"),
            receiver_ips: &ips,
            guessed_ips: &[],
            from_domains: &[],
            domain_reputation: false,
        };
        assert_eq!(ask_of(&input), "Delist 203.0.113.11 at outlook-com (token S3150)");
        let refused = AskInput { reason: "rejected", token: Some("VIR_420"), ..input };
        assert!(ask_of(&refused).starts_with("Find why the sender address or domain"));
        let ptr = AskInput { reason: "requireptr", token: None, provider: "gmail", ..input };
        assert_eq!(ask_of(&ptr), "Fix the PTR/reverse DNS of 203.0.113.11 at gmail");
        let domains = vec!["news.example.com".to_string()];
        let auth = AskInput {
            category: Category::SenderAuthentication,
            reason: "authfailure",
            token: Some("DMARC"),
            from_domains: &domains,
            ..ptr
        };
        assert_eq!(
            ask_of(&auth),
            "Confirm SPF/DKIM/DMARC alignment for news.example.com at gmail (token DMARC)"
        );
        // A reply about the sending domain's reputation asks about the domain, not an IP.
        let text = "550 5.7.1 Our system has detected that this message is likely suspicious due \
                    to the very low reputation of the sending domain. - gsmtp";
        assert!(blames_sending_domain(text));
        assert!(!blames_sending_domain("554 5.7.1 Service unavailable; Client host [203.0.113.40] blocked using zen.spamhaus.org"));
        let domain = AskInput {
            category: Category::Reputation,
            reason: "badreputation",
            domain_reputation: true,
            ..auth
        };
        let ask = ask_of(&domain);
        assert!(ask.starts_with("Find why the sending domain (news.example.com)"), "{ask}");
        assert!(!ask.contains("203.0.113.11"), "{ask}");
    }
}
