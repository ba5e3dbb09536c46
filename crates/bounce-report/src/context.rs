//! The data a template sees: totals, counts, groups with their evidence, charts, spikes and
//! lists, all built from records, the run summary and the aggregates.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use bounce_model::wording::mask_ids;
use bounce_model::{Aggregates, Category, Dimension, Group, ListKind, Record, Summary};

use crate::chart::{build_chart, Chart, NameCounts};
use crate::evidence::{
    confirm_row, domain_of, evidence_of, provider_of, ConfirmRow, EvidenceView, FROM_ESP,
};
use crate::layer::{is_esp_category, is_it_category, is_microsoft, layer_of, stage_words};

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
    /// Failure records (bounces and delays).
    pub failures: u64,
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
    /// The distinct responses, most frequent first.
    pub responses: Vec<Response>,
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
    /// Suppression candidates.
    pub suppress: Vec<EntryView>,
    /// Kept addresses.
    pub keep: Vec<EntryView>,
    /// Complaints.
    pub complaints: Vec<EntryView>,
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
}

/// Rows of the per-message appendix of the ESP ticket, per group.
pub const APPENDIX_CAP: usize = 10;

/// Records of one group whose evidence a report carries (the first ones); the context's
/// size follows the number of groups, not of records.
pub(crate) const GROUP_SAMPLES: usize = 20;

/// Entries of each list (suppress, keep, complaint) whose deciding record's evidence a
/// report carries and that the HTML summary lists; the CSV lists them all.
pub(crate) const LIST_CAP: usize = 1_000;

fn counts<'a>(items: impl Iterator<Item = (String, usize)> + 'a) -> Vec<Count> {
    let mut map: BTreeMap<String, (u64, usize)> = BTreeMap::new();
    for (name, index) in items {
        let entry = map.entry(name).or_insert((0, index));
        entry.0 += 1;
    }
    let mut out: Vec<Count> = map
        .into_iter()
        .map(|(name, (count, index))| Count { name, count, anchor: format!("rec-{index}") })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
    out
}

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

fn group_view(
    index: usize,
    group: &Group,
    records: &[Record],
    members: &[usize],
    aggregates: &Aggregates,
) -> GroupView {
    let first = members.first().map(|&i| &records[i]);
    let verdict = first.and_then(|r| r.verdict.as_ref());
    let category = verdict.map_or(Category::Unknown, |v| v.category);
    let provider = first.map_or_else(|| "other".to_string(), provider_of);
    let mut responses: Vec<Response> = Vec::new();
    let mut stages = BTreeSet::new();
    let mut receiver_ips = BTreeSet::new();
    let mut guessed_ips = BTreeSet::new();
    let mut remote_mtas = BTreeSet::new();
    let mut auth = BTreeSet::new();
    let mut from_domains = BTreeSet::new();
    // Per reason: records, IPs the receiver named, IPs only guessed from headers.
    // Per reason: records, IPs named, IPs guessed, whether a reply blames the sending domain.
    let mut by_reason: BTreeMap<String, (u64, BTreeSet<String>, BTreeSet<String>, bool)> =
        BTreeMap::new();
    let mut missing: Vec<Unknown> = Vec::new();
    let mut uncertain_hops = false;
    let mut sending_ips = BTreeSet::new();
    for &i in members {
        let r = &records[i];
        for f in &evidence_of(r, i).fields {
            uncertain_hops |= f.uncertain && f.source.starts_with("Received");
            if f.filled {
                continue;
            }
            if let Some(u) = missing.iter_mut().find(|u| u.label == f.label) {
                u.count += 1;
            } else {
                let collect = f.value.trim_start_matches("not in the bounces: ").to_string();
                missing.push(Unknown { label: f.label.clone(), collect, count: 1 });
            }
        }
        sending_ips.extend(r.original.sending_ip.as_ref().map(|ip| ip.value.clone()));
        stages.insert(stage_words(r.smtp_stage).to_string());
        let sending = r.original.sending_ip.as_ref().filter(|p| !p.value.trim().is_empty());
        let (named, guessed): (Vec<String>, Vec<String>) = match sending {
            // Named by the receiver, or stated by our own MTA or platform (an accounting
            // file's source IP, an event's sending IP): confirmed, unlike a Received guess.
            Some(ip)
                if !ip.uncertain
                    && (ip.source.contains("receiver") || !ip.source.starts_with("Received")) =>
            {
                (vec![ip.value.clone()], Vec::new())
            }
            _ => {
                let named = r.diagnostic.as_deref().map(named_ips).unwrap_or_default();
                if named.is_empty() {
                    (Vec::new(), sending.map(|ip| ip.value.clone()).into_iter().collect())
                } else {
                    (named, Vec::new())
                }
            }
        };
        let reason_name = r.reason().map_or("undefined", |x| x.as_str()).to_string();
        let entry = by_reason.entry(reason_name).or_default();
        entry.3 |= r.diagnostic.as_deref().is_some_and(blames_sending_domain);
        entry.0 += 1;
        entry.1.extend(named.iter().cloned());
        entry.2.extend(guessed.iter().cloned());
        receiver_ips.extend(named);
        guessed_ips.extend(guessed);
        remote_mtas.extend(r.remote_mta.clone().filter(|m| !m.trim().is_empty()));
        auth.extend(r.original.auth_results.iter().map(|a| {
            format!(
                "spf={} dkim={} dmarc={}",
                a.spf.as_deref().unwrap_or("none"),
                a.dkim.as_deref().unwrap_or("none"),
                a.dmarc.as_deref().unwrap_or("none")
            )
        }));
        from_domains.extend(r.original.from.as_deref().and_then(domain_of));
        let text = r.diagnostic.clone().unwrap_or_else(|| "(no diagnostic text)".into());
        let pattern = mask_ids(&text);
        if let Some(existing) = responses.iter_mut().find(|x| x.pattern == pattern) {
            existing.count += 1;
        } else {
            let status = [r.reply_code.as_deref(), r.status.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            responses.push(Response { text, pattern, count: 1, status });
        }
    }
    let guessed_ips: Vec<String> =
        guessed_ips.into_iter().filter(|ip| !receiver_ips.contains(ip)).collect();
    let receiver_ips: Vec<String> = receiver_ips.into_iter().collect();
    responses.sort_by_key(|r| std::cmp::Reverse(r.count));
    let spike = aggregates
        .spikes
        .iter()
        .find(|s| s.provider == provider && s.category == category.as_str());
    let rate = spike.map_or_else(
        || format!("normal and incident rates need sent volume per receiver and UTC window: {FROM_ESP}"),
        |s| rate_text(s.count, s.baseline, s.rate, s.baseline_rate),
    );
    let title = group.key.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(" · ");
    let remote = first.and_then(|r| r.remote_mta.as_deref());
    let reason = first.and_then(Record::reason).map_or("undefined", |r| r.as_str()).to_string();
    let token = verdict.and_then(|v| v.token.clone()).filter(|t| !t.is_empty() && t != "-");
    let label = token.clone().unwrap_or_else(|| category.as_str().to_string());
    let from_domains: Vec<String> = from_domains.into_iter().collect();
    let mut asks: Vec<Ask> = Vec::new();
    for (reason, (count, named, guessed, domain)) in &by_reason {
        let named: Vec<String> = named.iter().cloned().collect();
        let guessed: Vec<String> =
            guessed.iter().filter(|ip| !named.contains(ip)).cloned().collect();
        let text = ask_of(&AskInput {
            category,
            reason,
            provider: &provider,
            token: token.as_deref(),
            receiver_ips: &named,
            guessed_ips: &guessed,
            from_domains: &from_domains,
            domain_reputation: *domain,
        });
        match asks.iter_mut().find(|a| a.text == text) {
            Some(a) => a.count += count,
            None => asks.push(Ask { text, count: *count, slugs: Vec::new() }),
        }
    }
    asks.sort_by(|a, b| b.count.cmp(&a.count).then(a.text.cmp(&b.text)));
    let ask = asks.first().map(|a| a.text.clone()).unwrap_or_default();
    GroupView {
        slug: slug_of(&format!("{provider} {label}")),
        label,
        reason,
        receiver_ips,
        guessed_ips,
        remote_mtas: remote_mtas.into_iter().collect(),
        auth: auth.into_iter().collect(),
        from_domains,
        spike: spike.map(|s| {
            format!(
                "{} bounces between {} and {} (UTC) vs a baseline of {:.1}",
                s.count, s.window_start, s.window_end, s.baseline
            )
        }),
        ask,
        asks,
        anchor: format!("group-{}", index + 1),
        title,
        key: group.key.clone(),
        group: group.clone(),
        category: category.as_str().to_string(),
        action: verdict.map_or("review", |v| v.action.as_str()).to_string(),
        microsoft: is_microsoft(&provider, remote),
        provider,
        layer: layer_of(category, first.and_then(|r| r.reason())).to_string(),
        stages: stages.into_iter().collect(),
        fix: verdict.map(|v| v.fix.clone()).filter(|f| !f.is_empty()).unwrap_or_default(),
        responses,
        rate,
        evidence: members
            .iter()
            .take(GROUP_SAMPLES)
            .map(|&i| evidence_of(&records[i], i))
            .collect(),
        evidence_more: members.len().saturating_sub(GROUP_SAMPLES) as u64,
        missing,
        uncertain_hops,
        sending_ips,
    }
}

/// The records of each group, in record order, found in one pass over the records: each
/// record's values of the groups' keys are looked up, not every group scanned per record.
/// Only failures are members, as the aggregator counts them (`Group::count`).
fn members_of_groups(records: &[Record], groups: &[Group]) -> Vec<Vec<usize>> {
    let mut members = vec![Vec::new(); groups.len()];
    // Groups by the names of their keys (one set in practice: the `--group` keys).
    let mut by_names: BTreeMap<Vec<&str>, HashMap<Vec<&str>, Vec<usize>>> = BTreeMap::new();
    for (g, group) in groups.iter().enumerate() {
        let (names, values): (Vec<&str>, Vec<&str>) = group
            .key
            .iter()
            .filter(|(name, _)| Dimension::parse(name).is_some())
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .unzip();
        by_names.entry(names).or_default().entry(values).or_default().push(g);
    }
    for (names, lookup) in &by_names {
        let dimensions: Vec<Dimension> = names.iter().filter_map(|n| Dimension::parse(n)).collect();
        for (i, record) in records.iter().enumerate() {
            if record.kind.is_some_and(|k| !k.is_failure()) {
                continue;
            }
            let values: Vec<std::borrow::Cow<'_, str>> =
                dimensions.iter().map(|d| d.value_of(record)).collect();
            let key: Vec<&str> = values.iter().map(AsRef::as_ref).collect();
            for &g in lookup.get(&key).into_iter().flatten() {
                members[g].push(i);
            }
        }
    }
    members
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
    let ips = |fallback: &str| {
        if !a.receiver_ips.is_empty() {
            a.receiver_ips.join(", ")
        } else if !a.guessed_ips.is_empty() {
            format!("{} (from Received headers, unconfirmed)", a.guessed_ips.join(", "))
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

/// What one row of the actions table counts while the lists are read.
#[derive(Debug, Default)]
struct RowTally {
    addresses: u64,
    failures: u64,
    providers: BTreeMap<String, u64>,
    first: Option<usize>,
}

/// The listed addresses per list and action, and the failures of unlisted addresses.
fn list_actions(
    records: &[Record],
    failures: &[usize],
    lists: &[EntryView],
    groups: &[GroupView],
) -> Vec<ListActions> {
    let mut failures_of: HashMap<String, (u64, usize)> = HashMap::new();
    for &i in failures {
        let entry = failures_of.entry(records[i].recipient.to_ascii_lowercase()).or_insert((0, i));
        entry.0 += 1;
    }
    let mut claimed: BTreeSet<String> = BTreeSet::new();
    // Rows keyed by (list, action).
    let mut rows: BTreeMap<(String, String), RowTally> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for e in lists {
        let address = e.entry.address.to_ascii_lowercase();
        let record = e
            .anchor
            .strip_prefix("rec-")
            .and_then(|n| n.parse::<usize>().ok())
            .map(|i| (i, &records[i]));
        let verdict_action =
            record.and_then(|(_, r)| r.verdict.as_ref()).map_or("review", |v| v.action.as_str());
        let action = match e.list.as_str() {
            "suppress" => "suppress",
            "complaint" => "complaint",
            // The rule said suppress, the suppression held it back (a flagged incident).
            _ if verdict_action == "suppress" => "hold-in-spike",
            _ => verdict_action,
        };
        if !order.contains(&e.list) {
            order.push(e.list.clone());
        }
        let failures = if claimed.insert(address.clone()) {
            failures_of.get(&address).map_or(0, |f| f.0)
        } else {
            0
        };
        let provider = record.map_or_else(|| "other".to_string(), |(_, r)| provider_of(r));
        let row = rows.entry((e.list.clone(), action.to_string())).or_default();
        row.addresses += 1;
        row.failures += failures;
        *row.providers.entry(provider).or_default() += 1;
        row.first = row.first.or(record.map(|(i, _)| i));
    }
    let unlisted: Vec<(&String, &(u64, usize))> =
        failures_of.iter().filter(|(address, _)| !claimed.contains(*address)).collect();
    if !unlisted.is_empty() {
        let list = "not listed".to_string();
        order.push(list.clone());
        let row = rows.entry((list, "not-listed".to_string())).or_default();
        for (_, &(count, i)) in unlisted {
            row.addresses += 1;
            row.failures += count;
            *row.providers.entry(provider_of(&records[i])).or_default() += 1;
            row.first = Some(row.first.map_or(i, |j| j.min(i)));
        }
    }
    let list_rank = |list: &str| match list {
        "suppress" => 0,
        "complaint" => 1,
        "keep" => 2,
        _ => 3,
    };
    order.sort_by_key(|l| list_rank(l));
    order
        .into_iter()
        .map(|list| {
            let mut list_rows: Vec<ActionRow> = rows
                .iter()
                .filter(|((l, _), _)| *l == list)
                .map(|((l, action), tally)| {
                    let mut providers: Vec<Count> = tally
                        .providers
                        .iter()
                        .map(|(name, count)| Count {
                            name: name.clone(),
                            count: *count,
                            anchor: String::new(),
                        })
                        .collect();
                    providers.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
                    let anchor = groups
                        .iter()
                        .filter(|g| g.action == *action)
                        .max_by(|a, b| a.group.count.cmp(&b.group.count).then(b.slug.cmp(&a.slug)))
                        .map(|g| g.anchor.clone())
                        .or_else(|| tally.first.map(|i| format!("rec-{i}")))
                        .unwrap_or_default();
                    ActionRow {
                        list: l.clone(),
                        action: action.clone(),
                        hint: action_hint(action).to_string(),
                        addresses: tally.addresses,
                        failures: tally.failures,
                        providers,
                        anchor,
                    }
                })
                .collect();
            list_rows.sort_by(|a, b| {
                b.addresses
                    .cmp(&a.addresses)
                    .then(b.failures.cmp(&a.failures))
                    .then(a.action.cmp(&b.action))
            });
            ListActions {
                addresses: list_rows.iter().map(|r| r.addresses).sum(),
                failures: list_rows.iter().map(|r| r.failures).sum(),
                list,
                rows: list_rows,
            }
        })
        .collect()
}

/// Failures per value of `dimension`, with and without a readable timestamp.
fn name_counts(records: &[Record], failures: &[usize], dimension: &Dimension) -> NameCounts {
    let mut out = NameCounts::new();
    for &i in failures {
        let r = &records[i];
        let entry = out.entry(dimension.value_of(r).into_owned()).or_insert((0, 0));
        if is_dated(r) {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
    }
    out
}

/// Whether a record has a timestamp the aggregator can place in time.
fn is_dated(record: &Record) -> bool {
    record.timestamp.as_deref().and_then(bounce_model::time::parse_rfc3339).is_some()
}

/// Where each record sits, by its message and lowercased recipient: built once, so that finding
/// the record of every list entry is linear in the records, not quadratic.
type RecordIndex<'r> = HashMap<(&'r str, u64, u64, String), usize>;

fn record_index(records: &[Record]) -> RecordIndex<'_> {
    let mut index = HashMap::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        let key = (
            r.source.path.as_str(),
            r.source.message,
            r.source.offset,
            r.recipient.to_ascii_lowercase(),
        );
        // The first record of a key wins, as a scan from the start found it.
        index.entry(key).or_insert(i);
    }
    index
}

fn entry_view(entry: &bounce_model::ListEntry, index: &RecordIndex<'_>) -> EntryView {
    let source = &entry.evidence.source;
    let key = (
        source.path.as_str(),
        source.message,
        source.offset,
        entry.evidence.recipient.to_ascii_lowercase(),
    );
    let found = index.get(&key).copied();
    let list = entry.list.unwrap_or(ListKind::Keep).as_str();
    EntryView {
        entry: entry.clone(),
        list: list.to_string(),
        anchor: found.map_or_else(String::new, |i| format!("rec-{i}")),
    }
}

/// Builds the context of a report from the records (already filtered), the run summary and the
/// aggregates over those records.
#[must_use]
pub fn build_context(
    records: &[Record],
    summary: &Summary,
    aggregates: &Aggregates,
    options: &ReportOptions,
) -> ReportContext {
    let failures: Vec<usize> = (0..records.len())
        .filter(|&i| records[i].kind.is_some_and(bounce_model::Kind::is_failure))
        .collect();
    let failure_names = |f: &dyn Fn(&Record) -> String| -> Vec<Count> {
        counts(failures.iter().map(|&i| (f(&records[i]), i)))
    };
    let by_category =
        failure_names(&|r| r.verdict.as_ref().map_or("unknown", |v| v.category.as_str()).into());
    let by_action =
        failure_names(&|r| r.verdict.as_ref().map_or("review", |v| v.action.as_str()).into());
    let by_provider = failure_names(&provider_of);
    let by_stage = failure_names(&|r| r.smtp_stage.as_str().to_string());
    let tokens = counts(failures.iter().filter_map(|&i| {
        let token = records[i].verdict.as_ref()?.token.clone()?;
        is_provider_token(&token).then_some((token, i))
    }));
    let kinds =
        counts((0..records.len()).map(|i| {
            (records[i].kind.map_or("unknown", bounce_model::Kind::as_str).to_owned(), i)
        }));
    let by_source = counts((0..records.len()).map(|i| (records[i].format.clone(), i)));
    let members = members_of_groups(records, &aggregates.groups);
    let mut groups: Vec<GroupView> = aggregates
        .groups
        .iter()
        .zip(&members)
        .enumerate()
        .map(|(i, (g, members))| group_view(i, g, records, members, aggregates))
        .collect();
    drop(members);
    // Slugs are unique, as a renderer makes repeated headings unique: `-1`, `-2` after the first.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for g in &mut groups {
        let n = seen.entry(g.slug.clone()).or_insert(0);
        if *n > 0 {
            g.slug = format!("{}-{n}", g.slug);
        }
        *n += 1;
        g.anchor = g.slug.clone();
    }
    let category_of = |g: &GroupView| Category::from_name(&g.category).unwrap_or_default();
    let esp_groups: Vec<GroupView> =
        groups.iter().filter(|g| is_esp_category(category_of(g))).cloned().collect();
    let it_groups: Vec<GroupView> = groups
        .iter()
        .filter(|g| {
            // Relay, routing, transport, DNS and login; and the Microsoft 365 connector cases
            // (RESOLVER.RST.AuthRequired), which the rules file as local policy.
            is_it_category(category_of(g)) || g.microsoft && category_of(g) == Category::LocalPolicy
        })
        .cloned()
        .collect();
    // The rows to confirm are those of the shown evidence; the IPs are of every record.
    let mut confirm = Vec::new();
    let mut sending_ips = BTreeSet::new();
    for g in &esp_groups {
        sending_ips.extend(g.sending_ips.iter().cloned());
        for e in &g.evidence {
            if let Some(i) = e.anchor.strip_prefix("rec-").and_then(|n| n.parse::<usize>().ok()) {
                confirm.push(confirm_row(&records[i], i));
            }
        }
    }
    let mut asks: Vec<Ask> = Vec::new();
    for g in &esp_groups {
        for ask in &g.asks {
            if let Some(a) = asks.iter_mut().find(|a| a.text == ask.text) {
                a.count += ask.count;
                a.slugs.push(g.slug.clone());
            } else {
                asks.push(Ask { slugs: vec![g.slug.clone()], ..ask.clone() });
            }
        }
    }
    asks.sort_by(|a, b| b.count.cmp(&a.count).then(a.text.cmp(&b.text)));
    let mut unknowns: Vec<Unknown> = Vec::new();
    let mut uncertain_hops = false;
    for g in &esp_groups {
        uncertain_hops |= g.uncertain_hops;
        for m in &g.missing {
            match unknowns.iter_mut().find(|u| u.label == m.label) {
                Some(u) => u.count += m.count,
                None => unknowns.push(m.clone()),
            }
        }
    }
    let esp_failures = esp_groups.iter().map(|g| g.group.count).sum();
    let mut esp_providers: Vec<Count> = Vec::new();
    for g in &esp_groups {
        if let Some(c) = esp_providers.iter_mut().find(|c| c.name == g.provider) {
            c.count += g.group.count;
        } else {
            esp_providers.push(Count {
                name: g.provider.clone(),
                count: g.group.count,
                anchor: g.slug.clone(),
            });
        }
    }
    esp_providers.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
    let esp_first = esp_groups.iter().filter_map(|g| g.group.first_seen.clone()).min();
    let esp_last = esp_groups.iter().filter_map(|g| g.group.last_seen.clone()).max();
    let esp_window = match (esp_first, esp_last) {
        (Some(a), Some(b)) => format!("{a} to {b} (UTC)"),
        _ => "not in the bounces: collect from the MTA log".to_string(),
    };
    let charts = [
        ("category", "Failures over time per category"),
        ("provider", "Failures over time per provider"),
    ]
    .into_iter()
    .filter_map(|(dim, title)| {
        let dimension = Dimension::parse(dim)?;
        let names = name_counts(records, &failures, &dimension);
        build_chart(&aggregates.series, &names, dim, title)
    })
    .collect();
    let undated = failures.iter().filter(|&&i| !is_dated(&records[i])).count() as u64;
    let spikes = aggregates
        .spikes
        .iter()
        .map(|s| {
            let anchor = groups
                .iter()
                .find(|g| g.provider == s.provider && g.category == s.category)
                .map(|g| g.anchor.clone())
                .or_else(|| {
                    records
                        .iter()
                        .position(|r| {
                            provider_of(r) == s.provider
                                && r.timestamp.as_deref().is_some_and(|t| {
                                    t >= s.window_start.as_str() && t < s.window_end.as_str()
                                })
                        })
                        .map(|i| format!("rec-{i}"))
                })
                .unwrap_or_default();
            SpikeView {
                spike: s.clone(),
                rate: rate_text(s.count, s.baseline, s.rate, s.baseline_rate),
                anchor,
            }
        })
        .collect();
    let index = record_index(records);
    let mut lists: Vec<EntryView> =
        aggregates.lists.iter().map(|e| entry_view(e, &index)).collect();
    drop(index);
    let actions = list_actions(records, &failures, &lists, &groups);
    // Past the first LIST_CAP entries of a list, its evidence is in the CSV, not the report.
    let mut shown_per_list: HashMap<String, usize> = HashMap::new();
    for e in &mut lists {
        let shown = shown_per_list.entry(e.list.clone()).or_default();
        *shown += 1;
        if *shown > LIST_CAP {
            e.anchor.clear();
        }
    }
    let pick = |name: &str| lists.iter().filter(|e| e.list == name).cloned().collect::<Vec<_>>();
    let mut start_here: Vec<ActionRow> = actions
        .iter()
        .filter(|l| l.list != "not listed")
        .flat_map(|l| l.rows.iter().cloned())
        .collect();
    start_here.sort_by(|a, b| {
        b.addresses
            .cmp(&a.addresses)
            .then(b.failures.cmp(&a.failures))
            .then(a.action.cmp(&b.action))
    });
    start_here.truncate(3);
    let times: BTreeSet<&str> = records.iter().filter_map(|r| r.timestamp.as_deref()).collect();
    let window = match (times.first(), times.last()) {
        (Some(a), Some(b)) => format!("{a} to {b} (UTC)"),
        _ => "not in the bounces: collect from the MTA log".to_string(),
    };
    let mut context = ReportContext {
        title: options.title.clone(),
        generated_at: options.generated_at.clone(),
        inputs: options.inputs.clone(),
        filters: options.filters.clone(),
        notes: options.notes.clone(),
        window,
        totals: Totals {
            adds_up: summary.adds_up(),
            summary: summary.clone(),
            records: records.len() as u64,
            kinds,
            failures: failures.len() as u64,
        },
        by_category,
        by_action,
        actions,
        start_here,
        undated,
        by_provider,
        by_stage,
        by_source,
        tokens,
        groups,
        esp_groups,
        it_groups,
        confirm,
        sending_ips: sending_ips.into_iter().collect(),
        charts,
        spikes,
        suppress: pick(ListKind::Suppress.as_str()),
        keep: pick(ListKind::Keep.as_str()),
        complaints: pick(ListKind::Complaint.as_str()),
        evidence: Vec::new(),
        asks,
        unknowns,
        uncertain_hops,
        esp_failures,
        esp_providers,
        esp_window,
        appendix_cap: APPENDIX_CAP,
        list_cap: LIST_CAP,
    };
    context.evidence = shown_evidence(&context, records);
    context
}

/// The evidence of every record when there are at most [`LIST_CAP`] of them; else of every
/// record the context links to (`rec-N` anchors: group samples, the first list entries, the
/// first record of each count), in record order: bounded by the number of groups, counts and
/// [`LIST_CAP`], not by the records.
fn shown_evidence(context: &ReportContext, records: &[Record]) -> Vec<EvidenceView> {
    if records.len() <= LIST_CAP {
        return records.iter().enumerate().map(|(i, r)| evidence_of(r, i)).collect();
    }
    let mut shown = BTreeSet::new();
    let mut add = |anchor: &str| {
        if let Some(i) = anchor.strip_prefix("rec-").and_then(|n| n.parse::<usize>().ok()) {
            shown.insert(i);
        }
    };
    for g in &context.groups {
        g.evidence.iter().for_each(|e| add(&e.anchor));
    }
    for e in context.suppress.iter().chain(&context.keep).chain(&context.complaints) {
        add(&e.anchor);
    }
    let count_lists = [
        &context.by_category,
        &context.by_action,
        &context.by_provider,
        &context.by_stage,
        &context.tokens,
        &context.totals.kinds,
        &context.by_source,
    ];
    for c in count_lists.into_iter().flatten() {
        add(&c.anchor);
    }
    for s in &context.spikes {
        add(&s.anchor);
    }
    for row in context.actions.iter().flat_map(|l| &l.rows).chain(&context.start_here) {
        add(&row.anchor);
    }
    shown.into_iter().filter_map(|i| Some(evidence_of(records.get(i)?, i))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
