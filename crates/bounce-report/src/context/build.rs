//! Builds a [`ReportContext`] from records seen once, in order, without keeping them: each
//! record is folded into counts, per-group accumulators and a few per-record numbers, and its
//! evidence goes to an [`EvidenceStore`], from which only the evidence the report shows is
//! read back at the end.
//!
//! Memory, for N records, A distinct addresses and G groups: about 40 bytes per record (the
//! list-entry index and the actions-table row), one small entry per address (failures and
//! first record), and per group a bounded accumulator (at most [`RESPONSE_CAP`] distinct
//! responses and [`VALUE_CAP`] values of each evidence set) with at most [`GROUP_SAMPLES`]
//! sample indices; the evidence itself is in the store ([`SpillStore`]: a temporary file).

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{self, BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};

use bounce_model::wording::mask_ids;
use bounce_model::{
    Aggregates, Category, Dimension, Kind, ListEntry, ListKind, Reason, Record, Summary,
};

use super::attempts::{Attempts, FirstOf, Merging};
use super::{
    action_hint, ask_of, blames_sending_domain, is_provider_token, named_ips, rate_text, slug_of,
    ActionRow, Ask, AskInput, Count, EntryView, GroupCounts, GroupView, ListActions, ListCounts,
    ReportContext, ReportOptions, Response, SpikeView, Totals, Unknown, APPENDIX_CAP, GROUP_CAP,
    GROUP_SAMPLES, LIST_CAP,
};
use crate::chart::{build_chart, NameCounts};
use crate::evidence::{confirm_row, domain_of, evidence_of, provider_of, ConfirmRow, EvidenceView};
use crate::evidence::{FROM_ESP, FROM_MTA};
use crate::layer::{is_esp_category, is_it_category, is_microsoft, layer_of, stage_words};

/// Distinct responses a group keeps; further distinct ones are counted in
/// [`GroupView::responses_more`].
pub const RESPONSE_CAP: usize = 200;

/// Distinct values a group keeps of each evidence set (IPs, remote MTAs, authentication
/// results, From domains); values past it are left out.
pub const VALUE_CAP: usize = 200;

/// Where a [`ContextBuilder`] keeps each record's evidence until the report needs it.
pub trait EvidenceStore {
    /// Keeps the evidence of record `index` (and its confirm row, for a failure); records come
    /// in index order.
    ///
    /// # Errors
    /// When the store cannot write.
    fn put(
        &mut self,
        index: usize,
        evidence: &EvidenceView,
        confirm: Option<&ConfirmRow>,
    ) -> io::Result<()>;

    /// The evidence of record `index` and its confirm row, if kept.
    ///
    /// # Errors
    /// When the store cannot read back what it wrote.
    fn get(&mut self, index: usize) -> io::Result<Option<(EvidenceView, Option<ConfirmRow>)>>;
}

/// The evidence of records already in memory, made again when asked for.
#[derive(Debug, Clone, Copy)]
pub struct RecordsStore<'r>(pub &'r [Record]);

impl EvidenceStore for RecordsStore<'_> {
    fn put(&mut self, _: usize, _: &EvidenceView, _: Option<&ConfirmRow>) -> io::Result<()> {
        Ok(())
    }

    fn get(&mut self, index: usize) -> io::Result<Option<(EvidenceView, Option<ConfirmRow>)>> {
        Ok(self.0.get(index).map(|r| {
            let member = r.kind.is_none_or(Kind::is_failure);
            (evidence_of(r, index), member.then(|| confirm_row(r, index)))
        }))
    }
}

/// The evidence written to a file (one JSON line per record; in practice an unnamed temporary
/// file, which the system removes when the process ends however it ends), with the offset of
/// each line in memory.
#[derive(Debug)]
pub struct SpillStore {
    writer: Option<BufWriter<File>>,
    reader: Option<BufReader<File>>,
    offsets: Vec<u64>,
    written: u64,
    line: Vec<u8>,
}

impl SpillStore {
    /// A store writing to `file`, which must be empty, readable and writable.
    #[must_use]
    pub fn new(file: File) -> Self {
        SpillStore {
            writer: Some(BufWriter::with_capacity(1 << 16, file)),
            reader: None,
            offsets: Vec::new(),
            written: 0,
            line: Vec::new(),
        }
    }
}

impl EvidenceStore for SpillStore {
    fn put(
        &mut self,
        index: usize,
        evidence: &EvidenceView,
        confirm: Option<&ConfirmRow>,
    ) -> io::Result<()> {
        let Some(writer) = self.writer.as_mut() else {
            return Err(io::Error::other("evidence written after it was read"));
        };
        debug_assert_eq!(index, self.offsets.len());
        self.line.clear();
        serde_json::to_writer(&mut self.line, &(evidence, confirm)).map_err(io::Error::other)?;
        self.line.push(b'\n');
        writer.write_all(&self.line)?;
        self.offsets.push(self.written);
        self.written += self.line.len() as u64;
        Ok(())
    }

    fn get(&mut self, index: usize) -> io::Result<Option<(EvidenceView, Option<ConfirmRow>)>> {
        let Some(&offset) = self.offsets.get(index) else { return Ok(None) };
        if let Some(writer) = self.writer.take() {
            let file = writer.into_inner().map_err(io::IntoInnerError::into_error)?;
            self.reader = Some(BufReader::with_capacity(1 << 14, file));
        }
        let Some(reader) = self.reader.as_mut() else { return Ok(None) };
        reader.seek(SeekFrom::Start(offset))?;
        self.line.clear();
        reader.read_until(b'\n', &mut self.line)?;
        serde_json::from_slice(&self.line).map(Some).map_err(io::Error::other)
    }
}

/// Counts per name with the index of the first record of each.
#[derive(Debug, Default)]
struct Counter(HashMap<String, (u64, usize)>);

impl Counter {
    fn add(&mut self, name: &str, index: usize) {
        match self.0.get_mut(name) {
            Some(entry) => entry.0 += 1,
            None => {
                self.0.insert(name.to_owned(), (1, index));
            }
        }
    }

    /// Most first, then by name.
    fn into_counts(self) -> Vec<Count> {
        let mut out: Vec<Count> = self
            .0
            .into_iter()
            .map(|(name, (count, index))| Count { name, count, anchor: format!("rec-{index}") })
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
        out
    }
}

/// Small numbers for repeated names.
#[derive(Debug, Default)]
pub(super) struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    pub(super) fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.to_owned());
        self.ids.insert(name.to_owned(), id);
        id
    }

    /// The id of `name`, if it has one.
    pub(super) fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("other", String::as_str)
    }
}

/// A set that stops growing at [`VALUE_CAP`] values.
fn insert_capped(set: &mut BTreeSet<String>, value: String) {
    if set.len() < VALUE_CAP || set.contains(&value) {
        set.insert(value);
    }
}

/// What a group's first record says for the whole group.
#[derive(Debug)]
struct Lead {
    category: Category,
    provider: String,
    remote: Option<String>,
    reason: Option<Reason>,
    token: Option<String>,
    action: String,
    fix: String,
}

/// Per reason of a group: records, IPs the receiver named, IPs guessed from headers, whether a
/// reply blames the sending domain.
type ReasonTally = (u64, BTreeSet<String>, BTreeSet<String>, bool);

/// The running state of one group.
#[derive(Debug)]
struct GroupAcc {
    lead: Lead,
    count: u64,
    samples: Vec<usize>,
    responses: Vec<Response>,
    response_index: HashMap<String, usize>,
    responses_more: u64,
    stages: BTreeSet<String>,
    receiver_ips: BTreeSet<String>,
    guessed_ips: BTreeSet<String>,
    remote_mtas: BTreeSet<String>,
    auth: BTreeSet<String>,
    from_domains: BTreeSet<String>,
    by_reason: BTreeMap<String, ReasonTally>,
    missing: Vec<Unknown>,
    uncertain_hops: bool,
    sending_ips: BTreeSet<String>,
}

impl GroupAcc {
    fn new(record: &Record) -> Self {
        let verdict = record.verdict.as_ref();
        GroupAcc {
            lead: Lead {
                category: verdict.map_or(Category::Unknown, |v| v.category),
                provider: provider_of(record),
                remote: record.remote_mta.clone(),
                reason: record.reason(),
                token: verdict.and_then(|v| v.token.clone()).filter(|t| !t.is_empty() && t != "-"),
                action: verdict.map_or("review", |v| v.action.as_str()).to_string(),
                fix: verdict.map(|v| v.fix.clone()).filter(|f| !f.is_empty()).unwrap_or_default(),
            },
            count: 0,
            samples: Vec::new(),
            responses: Vec::new(),
            response_index: HashMap::new(),
            responses_more: 0,
            stages: BTreeSet::new(),
            receiver_ips: BTreeSet::new(),
            guessed_ips: BTreeSet::new(),
            remote_mtas: BTreeSet::new(),
            auth: BTreeSet::new(),
            from_domains: BTreeSet::new(),
            by_reason: BTreeMap::new(),
            missing: Vec::new(),
            uncertain_hops: false,
            sending_ips: BTreeSet::new(),
        }
    }

    /// Folds one member in; whether it is one of the group's samples.
    fn add(&mut self, r: &Record, index: usize, evidence: &EvidenceView) -> bool {
        self.count += 1;
        let sample = self.samples.len() < GROUP_SAMPLES;
        if sample {
            self.samples.push(index);
        }
        for f in &evidence.fields {
            self.uncertain_hops |= f.uncertain && f.source.starts_with("Received");
            if f.filled {
                continue;
            }
            if let Some(u) = self.missing.iter_mut().find(|u| u.label == f.label) {
                u.count += 1;
            } else {
                let collect = f.value.trim_start_matches("not in the bounces: ").to_string();
                self.missing.push(Unknown { label: f.label.clone(), collect, count: 1 });
            }
        }
        self.stages.insert(stage_words(r.smtp_stage).to_string());
        self.note_ips(r, 1);
        if let Some(m) = r.remote_mta.as_ref().filter(|m| !m.trim().is_empty()) {
            insert_capped(&mut self.remote_mtas, m.clone());
        }
        for a in &r.original.auth_results {
            let text = format!(
                "spf={} dkim={} dmarc={}",
                a.spf.as_deref().unwrap_or("none"),
                a.dkim.as_deref().unwrap_or("none"),
                a.dmarc.as_deref().unwrap_or("none")
            );
            insert_capped(&mut self.auth, text);
        }
        if let Some(domain) = r.original.from.as_deref().and_then(domain_of) {
            insert_capped(&mut self.from_domains, domain);
        }
        let text = r.diagnostic.clone().unwrap_or_else(|| "(no diagnostic text)".into());
        let pattern = mask_ids(&text);
        if let Some(&k) = self.response_index.get(&pattern) {
            self.responses[k].count += 1;
        } else if self.responses.len() < RESPONSE_CAP {
            let status = [r.reply_code.as_deref(), r.status.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            self.response_index.insert(pattern.clone(), self.responses.len());
            self.responses.push(Response { text, pattern, count: 1, status });
        } else {
            self.responses_more += 1;
        }
        sample
    }

    /// Notes the sending IP of `r` (named by the receiver or our own MTA or platform, or
    /// guessed from the Received chain) in the group and in the tally of its reason, which
    /// counts `count` more records.
    fn note_ips(&mut self, r: &Record, count: u64) {
        if let Some(ip) = &r.original.sending_ip {
            insert_capped(&mut self.sending_ips, ip.value.clone());
        }
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
        let reason_name = r.reason().map_or("undefined", |x| x.as_str());
        // A later report of an attempt (`count` 0) adds to the tally of its reason only when
        // the group's own records have that reason: a tally without records asks nothing.
        let entry = match self.by_reason.get_mut(reason_name) {
            Some(entry) => Some(entry),
            None if count > 0 => Some(self.by_reason.entry(reason_name.to_string()).or_default()),
            None => None,
        };
        if let Some(entry) = entry {
            entry.3 |= r.diagnostic.as_deref().is_some_and(blames_sending_domain);
            entry.0 += count;
            for ip in &named {
                insert_capped(&mut entry.1, ip.clone());
            }
            for ip in &guessed {
                insert_capped(&mut entry.2, ip.clone());
            }
        }
        for ip in named {
            insert_capped(&mut self.receiver_ips, ip);
        }
        for ip in guessed {
            insert_capped(&mut self.guessed_ips, ip);
        }
    }

    /// Folds in a later report of an attempt the group already counted (same Message-ID or
    /// envelope id, recipient and kind): the count stays; the fields the first report left
    /// empty and this one fills are no longer missing, and its sending IP (named or guessed,
    /// as its own report would give it), remote MTA and From domain join the group's.
    fn merge_repeat(
        &mut self,
        r: &Record,
        evidence: &EvidenceView,
        first: &mut FirstOf,
        labels: &Interner,
    ) {
        for f in evidence.fields.iter().filter(|f| f.filled) {
            let Some(id) = labels.get(&f.label) else { continue };
            if id >= 64 || first.missing & (1 << id) == 0 {
                continue;
            }
            first.missing &= !(1 << id);
            if let Some(k) = self.missing.iter().position(|u| u.label == f.label) {
                self.missing[k].count -= 1;
                if self.missing[k].count == 0 {
                    self.missing.remove(k);
                }
            }
        }
        self.note_ips(r, 0);
        if let Some(m) = r.remote_mta.as_ref().filter(|m| !m.trim().is_empty()) {
            insert_capped(&mut self.remote_mtas, m.clone());
        }
        if let Some(domain) = r.original.from.as_deref().and_then(domain_of) {
            insert_capped(&mut self.from_domains, domain);
        }
    }

    fn view<S: EvidenceStore>(
        self,
        index: usize,
        group: &bounce_model::Group,
        aggregates: &Aggregates,
        store: &mut S,
    ) -> io::Result<GroupView> {
        let GroupAcc { lead, mut responses, .. } = self;
        let guessed_ips: Vec<String> =
            self.guessed_ips.into_iter().filter(|ip| !self.receiver_ips.contains(ip)).collect();
        let receiver_ips: Vec<String> = self.receiver_ips.into_iter().collect();
        responses.sort_by_key(|r| std::cmp::Reverse(r.count));
        let category = lead.category;
        let provider = lead.provider;
        let spike = aggregates
            .spikes
            .iter()
            .find(|s| s.provider == provider && s.category == category.as_str());
        let rate = spike.map_or_else(
            || format!("normal and incident rates need sent volume per receiver and UTC window: {FROM_ESP}"),
            |s| rate_text(s.count, s.baseline, s.rate, s.baseline_rate),
        );
        let title =
            group.key.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(" · ");
        let reason = lead.reason.map_or("undefined", |r| r.as_str()).to_string();
        let token = lead.token;
        let label = token.clone().unwrap_or_else(|| category.as_str().to_string());
        let from_domains: Vec<String> = self.from_domains.into_iter().collect();
        let mut asks: Vec<Ask> = Vec::new();
        for (reason, (count, named, guessed, domain)) in &self.by_reason {
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
        let mut evidence = Vec::with_capacity(self.samples.len());
        for &i in &self.samples {
            if let Some((e, _)) = store.get(i)? {
                evidence.push(e);
            }
        }
        Ok(GroupView {
            slug: slug_of(&format!("{provider} {label}")),
            label,
            reason,
            receiver_ips,
            guessed_ips,
            remote_mtas: self.remote_mtas.into_iter().collect(),
            auth: self.auth.into_iter().collect(),
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
            action: lead.action,
            microsoft: is_microsoft(&provider, lead.remote.as_deref()),
            provider,
            layer: layer_of(category, lead.reason).to_string(),
            stages: self.stages.into_iter().collect(),
            fix: lead.fix,
            responses,
            responses_more: self.responses_more,
            rate,
            evidence,
            evidence_more: self.count.saturating_sub(GROUP_SAMPLES as u64),
            missing: self.missing,
            uncertain_hops: self.uncertain_hops,
            sending_ips: self.sending_ips,
        })
    }

    /// The view of a group no record fell in (the aggregates came from elsewhere).
    fn empty() -> Self {
        GroupAcc::new(&Record::default())
    }
}

/// A store that keeps nothing: the view of a group past [`GROUP_CAP`] has no evidence.
struct NoEvidence;

impl EvidenceStore for NoEvidence {
    fn put(&mut self, _: usize, _: &EvidenceView, _: Option<&ConfirmRow>) -> io::Result<()> {
        Ok(())
    }

    fn get(&mut self, _: usize) -> io::Result<Option<(EvidenceView, Option<ConfirmRow>)>> {
        Ok(None)
    }
}

/// Separates the values of a group key.
const SEPARATOR: char = '\u{1e}';

/// The hour of an RFC 3339 UTC time (`2026-06-10T14`), the unit the spike fallback looks up.
fn hour_of(time: &str) -> Option<[u8; 13]> {
    time.as_bytes().get(..13)?.try_into().ok()
}

/// Entries of the spike fallback index past which no more are added.
const HOURS_CAP: usize = 1_000_000;

/// Folds records into a [`ReportContext`]; see the module documentation.
#[derive(Debug)]
pub struct ContextBuilder<S> {
    keys: Vec<Dimension>,
    store: Merging<S>,
    records: usize,
    failures: u64,
    by_category: Counter,
    by_action: Counter,
    by_provider: Counter,
    by_stage: Counter,
    tokens: Counter,
    kinds: Counter,
    by_source: Counter,
    /// Group key value → index into `accs`.
    groups: HashMap<String, usize>,
    accs: Vec<GroupAcc>,
    /// The attempts counted, to count each once ([`super::attempts`]).
    attempts: Attempts,
    /// Failure records of an attempt already counted.
    merged: u64,
    charts: [NameCounts; 2],
    undated: u64,
    first_time: Option<String>,
    last_time: Option<String>,
    /// Per record: its action and its provider (interned), for the actions table.
    rows: Vec<(u32, u32)>,
    actions: Interner,
    providers: Interner,
    /// Per lowercased failed address: its failures and its first failure.
    failures_of: HashMap<String, (u64, usize)>,
    /// The first record of each (source path, message, offset, lowercased recipient), by hash:
    /// where a list entry's deciding record is.
    index: HashMap<u64, usize>,
    /// Per provider and hour, the first record: the anchor of a spike without a group.
    hours: HashMap<(u32, [u8; 13]), usize>,
}

impl<S: EvidenceStore> ContextBuilder<S> {
    /// A builder grouping by `keys` (the `--group` keys the aggregates were made with).
    pub fn new(keys: Vec<Dimension>, store: S) -> Self {
        ContextBuilder {
            keys,
            store: Merging::new(store),
            records: 0,
            failures: 0,
            by_category: Counter::default(),
            by_action: Counter::default(),
            by_provider: Counter::default(),
            by_stage: Counter::default(),
            tokens: Counter::default(),
            kinds: Counter::default(),
            by_source: Counter::default(),
            groups: HashMap::new(),
            accs: Vec::new(),
            attempts: Attempts::default(),
            merged: 0,
            charts: [NameCounts::new(), NameCounts::new()],
            undated: 0,
            first_time: None,
            last_time: None,
            rows: Vec::new(),
            actions: Interner::default(),
            providers: Interner::default(),
            failures_of: HashMap::new(),
            index: HashMap::new(),
            hours: HashMap::new(),
        }
    }

    /// Records folded in so far.
    #[must_use]
    pub fn records(&self) -> usize {
        self.records
    }

    /// Folds one record in (records come in the order the aggregates saw them).
    ///
    /// # Errors
    /// When the evidence store cannot write.
    pub fn push(&mut self, r: &Record) -> io::Result<()> {
        let i = self.records;
        self.records += 1;
        // Records without a kind are grouped, as the aggregator groups them.
        let member = r.kind.is_none_or(Kind::is_failure);
        let evidence = evidence_of(r, i);
        let attempt = if member { r.attempt_key() } else { None };
        if let Some((first, labels)) = attempt.and_then(|k| self.attempts.with_labels(k)) {
            // A later report of an attempt already counted: it is a record of its source,
            // and its evidence goes to the attempt's first record and group.
            self.merged += 1;
            self.kinds.add(r.kind.map_or("unknown", Kind::as_str), i);
            self.by_source.add(&r.format, i);
            let (first_index, group) = (first.index, first.group);
            if let Some(acc) = self.accs.get_mut(group) {
                acc.merge_repeat(r, &evidence, first, labels);
            }
            self.store.repeat(first_index, i);
            // A list entry this report decided links to the attempt's merged evidence.
            let address = r.recipient.to_ascii_lowercase();
            self.index.entry(location_key(r, &address)).or_insert(first_index);
            let action = r.verdict.as_ref().map_or("review", |v| v.action.as_str());
            let provider_id = self.providers.id(&provider_of(r));
            self.rows.push((self.actions.id(action), provider_id));
            return self.store.put(i, &evidence, Some(&confirm_row(r, i)));
        }
        let failure = r.kind.is_some_and(Kind::is_failure);
        self.kinds.add(r.kind.map_or("unknown", Kind::as_str), i);
        self.by_source.add(&r.format, i);
        let dated = r.timestamp.as_deref().and_then(bounce_model::time::parse_rfc3339).is_some();
        if let Some(t) = r.timestamp.as_deref() {
            if self.first_time.as_deref().is_none_or(|f| t < f) {
                self.first_time = Some(t.to_string());
            }
            if self.last_time.as_deref().is_none_or(|l| t > l) {
                self.last_time = Some(t.to_string());
            }
        }
        let provider = provider_of(r);
        let action = r.verdict.as_ref().map_or("review", |v| v.action.as_str());
        let provider_id = self.providers.id(&provider);
        self.rows.push((self.actions.id(action), provider_id));
        let address = r.recipient.to_ascii_lowercase();
        self.index.entry(location_key(r, &address)).or_insert(i);
        if failure {
            self.failures += 1;
            let category = r.verdict.as_ref().map_or("unknown", |v| v.category.as_str());
            self.by_category.add(category, i);
            self.by_action.add(action, i);
            self.by_provider.add(&provider, i);
            self.by_stage.add(r.smtp_stage.as_str(), i);
            if let Some(token) = r.verdict.as_ref().and_then(|v| v.token.as_deref()) {
                if is_provider_token(token) {
                    self.tokens.add(token, i);
                }
            }
            for (chart, dimension) in
                self.charts.iter_mut().zip([Dimension::Category, Dimension::Provider])
            {
                let entry = chart.entry(dimension.value_of(r).into_owned()).or_insert((0, 0));
                if dated {
                    entry.0 += 1;
                } else {
                    entry.1 += 1;
                }
            }
            if !dated {
                self.undated += 1;
            }
            match self.failures_of.get_mut(&address) {
                Some(entry) => entry.0 += 1,
                None => {
                    self.failures_of.insert(address, (1, i));
                }
            }
        }
        if let Some(hour) = r.timestamp.as_deref().and_then(hour_of) {
            if self.hours.len() < HOURS_CAP {
                self.hours.entry((provider_id, hour)).or_insert(i);
            }
        }
        let mut sample = false;
        if member {
            let mut value = String::new();
            for (k, dimension) in self.keys.iter().enumerate() {
                if k > 0 {
                    value.push(SEPARATOR);
                }
                value.push_str(&dimension.value_of(r));
            }
            let group = match self.groups.get(&value) {
                Some(&group) => group,
                None => {
                    self.accs.push(GroupAcc::new(r));
                    self.groups.insert(value, self.accs.len() - 1);
                    self.accs.len() - 1
                }
            };
            sample = self.accs[group].add(r, i, &evidence);
            if let Some(attempt) = attempt {
                let missing = self.attempts.missing_mask(&evidence);
                self.attempts.insert(attempt, FirstOf { index: i, group, missing });
            }
        }
        // Only a group's samples have their confirm row read back.
        let confirm = sample.then(|| confirm_row(r, i));
        self.store.put(i, &evidence, confirm.as_ref())
    }

    /// The context of the records folded in, with the run summary and the aggregates over the
    /// same records (their lists included).
    ///
    /// # Errors
    /// When the evidence store cannot read back what it wrote.
    pub fn finish(
        self,
        summary: &Summary,
        aggregates: &Aggregates,
        options: &ReportOptions,
    ) -> io::Result<ReportContext> {
        self.finish_with_lists(summary, aggregates, aggregates.lists.iter().cloned(), options)
    }

    /// [`ContextBuilder::finish`] with the suppression, keep and complaint lists given apart
    /// (in order: suppress, keep, complaint), read once: only the first [`LIST_CAP`] entries
    /// of each are kept.
    ///
    /// # Errors
    /// When the evidence store cannot read back what it wrote.
    pub fn finish_with_lists(
        mut self,
        summary: &Summary,
        aggregates: &Aggregates,
        lists: impl IntoIterator<Item = ListEntry>,
        options: &ReportOptions,
    ) -> io::Result<ReportContext> {
        // The accumulators by the key the aggregator gives its groups.
        let mut by_key: HashMap<BTreeMap<String, String>, GroupAcc> =
            HashMap::with_capacity(self.groups.len());
        let mut accs: Vec<Option<GroupAcc>> =
            std::mem::take(&mut self.accs).into_iter().map(Some).collect();
        self.attempts = Attempts::default();
        for (value, id) in std::mem::take(&mut self.groups) {
            let Some(acc) = accs.get_mut(id).and_then(Option::take) else { continue };
            let key: BTreeMap<String, String> = self
                .keys
                .iter()
                .zip(value.split(SEPARATOR))
                .flat_map(|(dimension, part)| dimension.key_entries(part))
                .collect();
            by_key.insert(key, acc);
        }
        // Every group counts in the totals and asks; the largest GROUP_CAP are shown (the
        // aggregates come largest first), and only those fetch their evidence.
        let mut groups = Vec::with_capacity(aggregates.groups.len().min(GROUP_CAP));
        let mut rest = Vec::new();
        for (i, g) in aggregates.groups.iter().enumerate() {
            let acc = by_key.remove(&g.key).unwrap_or_else(GroupAcc::empty);
            if i < GROUP_CAP {
                groups.push(acc.view(i, g, aggregates, &mut self.store)?);
            } else {
                rest.push(acc.view(i, g, aggregates, &mut NoEvidence)?);
            }
        }
        drop(by_key);
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
        let is_esp = |g: &GroupView| is_esp_category(category_of(g));
        // Relay, routing, transport, DNS and login; and the Microsoft 365 connector cases
        // (RESOLVER.RST.AuthRequired), which the rules file as local policy.
        let is_it = |g: &GroupView| {
            is_it_category(category_of(g)) || g.microsoft && category_of(g) == Category::LocalPolicy
        };
        let esp_groups: Vec<GroupView> = groups.iter().filter(|g| is_esp(g)).cloned().collect();
        let it_groups: Vec<GroupView> = groups.iter().filter(|g| is_it(g)).cloned().collect();
        let group_counts = GroupCounts {
            all: aggregates.groups.len() as u64,
            esp: (esp_groups.len() + rest.iter().filter(|g| is_esp(g)).count()) as u64,
            it: (it_groups.len() + rest.iter().filter(|g| is_it(g)).count()) as u64,
            hidden: rest.len() as u64,
            hidden_failures: rest.iter().map(|g| g.group.count).sum(),
        };
        let rest_esp: Vec<&GroupView> = rest.iter().filter(|g| is_esp(g)).collect();
        let all_esp: Vec<&GroupView> = esp_groups.iter().chain(rest_esp).collect();
        // The rows to confirm are those of the shown evidence; the IPs are of every record.
        let mut confirm = Vec::new();
        let mut sending_ips = BTreeSet::new();
        for g in &all_esp {
            sending_ips.extend(g.sending_ips.iter().cloned());
            for e in &g.evidence {
                if let Some(i) = anchor_index(&e.anchor) {
                    if let Some((_, Some(row))) = self.store.get(i)? {
                        confirm.push(row);
                    }
                }
            }
        }
        let mut asks: Vec<Ask> = Vec::new();
        for g in &all_esp {
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
        for g in &all_esp {
            uncertain_hops |= g.uncertain_hops;
            for m in &g.missing {
                match unknowns.iter_mut().find(|u| u.label == m.label) {
                    Some(u) => u.count += m.count,
                    None => unknowns.push(m.clone()),
                }
            }
        }
        let esp_failures = all_esp.iter().map(|g| g.group.count).sum();
        let mut esp_providers: Vec<Count> = Vec::new();
        for g in &all_esp {
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
        let esp_first = all_esp.iter().filter_map(|g| g.group.first_seen.clone()).min();
        let esp_last = all_esp.iter().filter_map(|g| g.group.last_seen.clone()).max();
        let esp_window = match (esp_first, esp_last) {
            (Some(a), Some(b)) => format!("{a} to {b} (UTC)"),
            _ => FROM_MTA.to_string(),
        };
        let [category_names, provider_names] = std::mem::take(&mut self.charts);
        let charts = [
            ("category", "Failures over time per category", category_names),
            ("provider", "Failures over time per provider", provider_names),
        ]
        .into_iter()
        .filter_map(|(dim, title, names)| build_chart(&aggregates.series, &names, dim, title))
        .collect();
        let spikes = aggregates
            .spikes
            .iter()
            .map(|s| {
                let anchor = groups
                    .iter()
                    .find(|g| g.provider == s.provider && g.category == s.category)
                    .map(|g| g.anchor.clone())
                    .or_else(|| self.first_in_window(&s.provider, &s.window_start, &s.window_end))
                    .unwrap_or_default();
                SpikeView {
                    spike: s.clone(),
                    rate: rate_text(s.count, s.baseline, s.rate, s.baseline_rate),
                    anchor,
                }
            })
            .collect();
        // Each list keeps its first LIST_CAP entries (the rest are counted; the whole lists
        // are in the CSV); the actions table counts every entry.
        let mut tally = ActionsTally::default();
        let mut list_counts = ListCounts::default();
        let (mut suppress, mut keep, mut complaints) = (Vec::new(), Vec::new(), Vec::new());
        for entry in lists {
            let source = &entry.evidence.source;
            let key = (
                source.path.as_str(),
                source.message,
                source.offset,
                entry.evidence.recipient.to_ascii_lowercase(),
            );
            let found = self.index.get(&hash_of(&key)).copied();
            let view = EntryView {
                list: entry.list.unwrap_or(ListKind::Keep).as_str().to_string(),
                anchor: found.map_or_else(String::new, |i| format!("rec-{i}")),
                entry,
            };
            self.tally(&mut tally, &view);
            let (count, list) = match view.list.as_str() {
                "suppress" => (&mut list_counts.suppress, &mut suppress),
                "complaint" => (&mut list_counts.complaints, &mut complaints),
                _ => (&mut list_counts.keep, &mut keep),
            };
            *count += 1;
            if list.len() < LIST_CAP {
                list.push(view);
            }
        }
        self.index = HashMap::new();
        let actions = self.list_actions(tally, &groups);
        let mut start_here: Vec<ActionRow> = actions
            .iter()
            .filter(|l| l.list != "not listed")
            .flat_map(|l| l.rows.iter().cloned())
            .collect();
        start_here.sort_by(heaviest_first);
        start_here.truncate(3);
        let window = match (&self.first_time, &self.last_time) {
            (Some(a), Some(b)) => format!("{a} to {b} (UTC)"),
            _ => FROM_MTA.to_string(),
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
                records: self.records as u64,
                kinds: std::mem::take(&mut self.kinds).into_counts(),
                failures: self.failures,
                merged: self.merged,
            },
            by_category: std::mem::take(&mut self.by_category).into_counts(),
            by_action: std::mem::take(&mut self.by_action).into_counts(),
            actions,
            start_here,
            undated: self.undated,
            by_provider: std::mem::take(&mut self.by_provider).into_counts(),
            by_stage: std::mem::take(&mut self.by_stage).into_counts(),
            by_source: std::mem::take(&mut self.by_source).into_counts(),
            tokens: std::mem::take(&mut self.tokens).into_counts(),
            groups,
            esp_groups,
            it_groups,
            confirm,
            sending_ips: sending_ips.into_iter().collect(),
            charts,
            spikes,
            suppress,
            keep,
            complaints,
            list_counts,
            lists_csv: None,
            evidence: Vec::new(),
            asks,
            unknowns,
            uncertain_hops,
            esp_failures,
            esp_providers,
            esp_window,
            appendix_cap: APPENDIX_CAP,
            list_cap: LIST_CAP,
            group_counts,
        };
        context.evidence = self.shown_evidence(&context)?;
        Ok(context)
    }

    /// The first record of `provider` whose hour lies in the window (hour-aligned bounds).
    fn first_in_window(&self, provider: &str, start: &str, end: &str) -> Option<String> {
        let id = *self.providers.ids.get(provider)?;
        let (start, end) = (hour_of(start)?, hour_of(end)?);
        self.hours
            .iter()
            .filter(|((p, hour), _)| *p == id && *hour >= start && *hour < end)
            .map(|(_, &i)| i)
            .min()
            .map(|i| format!("rec-{i}"))
    }

    /// Counts one list entry in its row of the actions table.
    fn tally(&self, tally: &mut ActionsTally, e: &EntryView) {
        let address = e.entry.address.to_ascii_lowercase();
        let record = anchor_index(&e.anchor).and_then(|i| Some((i, *self.rows.get(i)?)));
        let verdict_action = record.map_or("review", |(_, (a, _))| self.actions.name(a));
        let action = match e.list.as_str() {
            "suppress" => "suppress",
            "complaint" => "complaint",
            // The rule said suppress, the suppression held it back (a flagged incident).
            _ if verdict_action == "suppress" => "hold-in-spike",
            _ => verdict_action,
        };
        if !tally.order.contains(&e.list) {
            tally.order.push(e.list.clone());
        }
        let failures = if tally.claimed.insert(address.clone()) {
            self.failures_of.get(&address).map_or(0, |f| f.0)
        } else {
            0
        };
        let provider = record.map_or_else(|| "other".to_string(), |(_, (_, p))| self.provider(p));
        let row = tally.rows.entry((e.list.clone(), action.to_string())).or_default();
        row.addresses += 1;
        row.failures += failures;
        *row.providers.entry(provider).or_default() += 1;
        row.first = row.first.or(record.map(|(i, _)| i));
    }

    /// The listed addresses per list and action, and the failures of unlisted addresses.
    fn list_actions(&self, tally: ActionsTally, groups: &[GroupView]) -> Vec<ListActions> {
        let ActionsTally { claimed, mut rows, mut order } = tally;
        let unlisted: Vec<(&String, &(u64, usize))> =
            self.failures_of.iter().filter(|(address, _)| !claimed.contains(*address)).collect();
        if !unlisted.is_empty() {
            let list = "not listed".to_string();
            order.push(list.clone());
            let row = rows.entry((list, "not-listed".to_string())).or_default();
            for (_, &(count, i)) in unlisted {
                row.addresses += 1;
                row.failures += count;
                let provider =
                    self.rows.get(i).map_or_else(|| "other".into(), |r| self.provider(r.1));
                *row.providers.entry(provider).or_default() += 1;
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
                            .max_by(|a, b| {
                                a.group.count.cmp(&b.group.count).then(b.slug.cmp(&a.slug))
                            })
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
                list_rows.sort_by(heaviest_first);
                ListActions {
                    addresses: list_rows.iter().map(|r| r.addresses).sum(),
                    failures: list_rows.iter().map(|r| r.failures).sum(),
                    list,
                    rows: list_rows,
                }
            })
            .collect()
    }

    fn provider(&self, id: u32) -> String {
        self.providers.name(id).to_string()
    }

    /// The evidence of every record when there are at most [`LIST_CAP`] of them; else of
    /// every record the context links to (`rec-N` anchors: group samples, the first list
    /// entries, the first record of each count), in record order: bounded by the number of
    /// groups, counts and [`LIST_CAP`], not by the records.
    fn shown_evidence(&mut self, context: &ReportContext) -> io::Result<Vec<EvidenceView>> {
        let shown: BTreeSet<usize> = if self.records <= LIST_CAP {
            (0..self.records).collect()
        } else {
            let mut shown = BTreeSet::new();
            let mut add = |anchor: &str| shown.extend(anchor_index(anchor));
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
            shown
        };
        let mut out = Vec::with_capacity(shown.len());
        for i in shown {
            if let Some((e, _)) = self.store.get(i)? {
                out.push(e);
            }
        }
        Ok(out)
    }
}

/// The actions table while the lists are read.
#[derive(Debug, Default)]
struct ActionsTally {
    /// Addresses already counted (an address is on one list).
    claimed: HashSet<String>,
    /// Rows keyed by (list, action).
    rows: BTreeMap<(String, String), RowTally>,
    /// Lists in the order first seen.
    order: Vec<String>,
}

/// What one row of the actions table counts while the lists are read.
#[derive(Debug, Default)]
struct RowTally {
    addresses: u64,
    failures: u64,
    providers: BTreeMap<String, u64>,
    first: Option<usize>,
}

/// Rows of the actions table, most addresses first, then most failures, then by action.
fn heaviest_first(a: &ActionRow, b: &ActionRow) -> std::cmp::Ordering {
    b.addresses.cmp(&a.addresses).then(b.failures.cmp(&a.failures)).then(a.action.cmp(&b.action))
}

/// The record index of a `rec-N` anchor.
fn anchor_index(anchor: &str) -> Option<usize> {
    anchor.strip_prefix("rec-")?.parse().ok()
}

/// The key of `index`: where a record is and its lowercased recipient, as a list entry's
/// evidence names them.
fn location_key(r: &Record, address: &str) -> u64 {
    hash_of(&(r.source.path.as_str(), r.source.message, r.source.offset, address))
}

fn hash_of<T: Hash>(value: &T) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// Builds the context of a report from records already in memory (already filtered), grouped
/// by `keys`, with the run summary and the aggregates over those records.
#[must_use]
pub fn build_context(
    records: &[Record],
    keys: &[Dimension],
    summary: &Summary,
    aggregates: &Aggregates,
    options: &ReportOptions,
) -> ReportContext {
    let mut builder = ContextBuilder::new(keys.to_vec(), RecordsStore(records));
    for record in records {
        // The records store neither writes nor fails.
        let _ = builder.push(record);
    }
    builder
        .finish(summary, aggregates, options)
        .unwrap_or_else(|_| unreachable!("the records store does not fail"))
}
