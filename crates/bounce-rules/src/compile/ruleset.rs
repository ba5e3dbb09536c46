//! The compiled rule set: rules in precedence order, one matcher over every text pattern, and
//! an index from each pattern to the rules that cannot match without it.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use bounce_model::{BounceFacts, Kind, Reason, Verdict};

use super::condition::{Cond, DomainPattern, Facts, StrMatch};
use super::matcher::{Pattern, TextMatcher};
use super::{bounds, defaults, CompiledRule, Origin, Provider, Token};
use crate::error::{ErrorKind, RulesError, RulesErrors};

/// A compiled, ordered set of rules; [`RuleSet::classify`] is pure and thread-safe: it reads a
/// bounce's [`BounceFacts`] and returns the [`Verdict`], never changing the facts.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub(crate) providers: Vec<Provider>,
    pub(crate) rules: Vec<CompiledRule>,
    pub(crate) sources: HashMap<String, String>,
    /// Every text pattern, matched by one literal prefilter and one small regex each.
    matcher: TextMatcher,
    /// For each text pattern, the rules (indexes into `rules`) that need some text match.
    by_pattern: Vec<Vec<u32>>,
    /// Rules that can match without any text pattern: always tried.
    always: Vec<u32>,
    /// Findings in the user's files that did not stop them from loading.
    pub(crate) warnings: Vec<RulesError>,
    /// The providers' `mx` patterns, tested against a host all at once.
    mx_sets: ProviderPatterns,
    /// The providers' `text` patterns, tested against a diagnostic all at once.
    text_sets: ProviderPatterns,
    /// The providers' domains, looked up at once.
    domain_index: DomainIndex,
}

/// Every provider's `domain` patterns, looked up at once: exact domains and `*.suffix`
/// patterns in hash maps (a domain is looked up whole, then at each of its dots), regexes tried
/// in detection order. The provider found is the first in detection order with a pattern that
/// matches, as trying each provider's patterns in turn finds it, without reading them all on
/// every record of a domain no provider names.
#[derive(Debug, Clone, Default)]
struct DomainIndex {
    /// Exact domains (lowercase) to the first provider naming them.
    exact: HashMap<String, usize>,
    /// Suffixes (`.example.com`, lowercase) to the first provider naming them.
    suffix: HashMap<String, usize>,
    /// The regex patterns with their provider, in detection order.
    regexes: Vec<(usize, regex::Regex)>,
}

impl DomainIndex {
    fn build(providers: &[Provider]) -> DomainIndex {
        let mut index = DomainIndex::default();
        for (position, provider) in providers.iter().enumerate() {
            for pattern in &provider.domains {
                match pattern {
                    DomainPattern::Exact(domain) => {
                        index.exact.entry(domain.to_ascii_lowercase()).or_insert(position);
                    }
                    DomainPattern::Suffix(suffix) => {
                        index.suffix.entry(suffix.to_ascii_lowercase()).or_insert(position);
                    }
                    DomainPattern::Regex(regex) => index.regexes.push((position, regex.clone())),
                }
            }
        }
        index
    }

    /// The position of the first provider a pattern of which matches `domain` (as
    /// [`DomainPattern::matches`] reads it: trimmed, without a trailing dot, ASCII case
    /// ignored).
    fn first(&self, domain: &str) -> Option<usize> {
        let domain = domain.trim().trim_end_matches('.');
        let lower: std::borrow::Cow<'_, str> = if domain.bytes().any(|b| b.is_ascii_uppercase()) {
            domain.to_ascii_lowercase().into()
        } else {
            domain.into()
        };
        let mut found = self.exact.get(lower.as_ref()).copied();
        for (at, _) in lower.match_indices('.') {
            if let Some(&position) = self.suffix.get(&lower[at..]) {
                found = Some(found.map_or(position, |f| f.min(position)));
            }
        }
        for (position, regex) in &self.regexes {
            if found.is_some_and(|f| *position >= f) {
                break;
            }
            if regex.is_match(domain) {
                return Some(*position);
            }
        }
        found
    }
}

/// One kind of provider pattern (`mx` or `text`) of every provider, with the regexes among
/// them in one `RegexSet`: a host or a diagnostic is searched once for all of them, not once
/// per regex. A provider matches a value when any of its patterns does, exactly as each
/// `StrMatch` would say (a set's match bits are each regex's own `is_match`).
#[derive(Debug, Clone, Default)]
struct ProviderPatterns {
    /// The regexes; `None` when there are none or the set does not compile together (each
    /// regex is then run alone).
    set: Option<regex::RegexSet>,
    /// For each provider, for each of its patterns, the pattern's slot in `set` (regexes).
    slots: Vec<Vec<Option<usize>>>,
}

impl ProviderPatterns {
    fn build(providers: &[Provider], patterns: impl Fn(&Provider) -> &[StrMatch]) -> Self {
        let mut sources = Vec::new();
        let slots: Vec<Vec<Option<usize>>> = providers
            .iter()
            .map(|provider| {
                patterns(provider)
                    .iter()
                    .map(|pattern| match pattern {
                        StrMatch::Regex(regex) => {
                            sources.push(regex.as_str().to_owned());
                            Some(sources.len() - 1)
                        }
                        _ => None,
                    })
                    .collect()
            })
            .collect();
        if sources.is_empty() {
            return ProviderPatterns { set: None, slots };
        }
        // As `compile_regex` builds each one: case-insensitive, Unicode, within the size limit
        // (the set's own limit is that of all of them).
        let set = regex::RegexSetBuilder::new(&sources)
            .case_insensitive(true)
            .size_limit(super::validate::REGEX_SIZE_LIMIT.saturating_mul(sources.len()))
            .build()
            .ok();
        ProviderPatterns { set, slots }
    }

    /// The first provider (in detection order) with a pattern that matches `value`.
    fn first<'p>(
        &self,
        providers: &'p [Provider],
        patterns: impl Fn(&Provider) -> &[StrMatch],
        value: &str,
    ) -> Option<&'p Provider> {
        let Some(set) = &self.set else {
            return providers.iter().find(|p| patterns(p).iter().any(|m| m.matches(value)));
        };
        let bits = set.matches(value);
        providers.iter().zip(&self.slots).find_map(|(provider, slots)| {
            let hit = patterns(provider).iter().zip(slots).any(|(pattern, slot)| match slot {
                Some(slot) => bits.matched(*slot),
                None => pattern.matches(value),
            });
            hit.then_some(provider)
        })
    }
}

/// A rule that matched a bounce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMatch {
    /// The rule id.
    pub rule_id: String,
    /// Where the rule is written (`file:line`).
    pub location: String,
    /// The rule's reason.
    pub reason: Reason,
}

/// Why a bounce got its verdict: the evidence seen, the winner and the rules that lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The evidence the conditions read, as `(field, value)` pairs.
    pub evidence: Vec<(String, String)>,
    /// The winning rule's verdict (as [`RuleSet::decide`] gives it), if any rule matched.
    pub decision: Option<Verdict>,
    /// Every other rule that matched, in precedence order.
    pub losers: Vec<RuleMatch>,
}

/// A rule as listed by `rules list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    /// The rule id.
    pub id: String,
    /// `file:line`.
    pub location: String,
    /// The providers the rule is scoped to (empty for generic rules).
    pub providers: Vec<String>,
    /// The reason it gives.
    pub reason: Reason,
    /// Its `///` documentation.
    pub doc: String,
    /// Built-in or user.
    pub origin: Origin,
    /// Its precedence value `priority`.
    pub priority: i64,
    /// How many inline examples it has.
    pub examples: usize,
    /// Its `example` lines, verbatim (trimmed), in order.
    pub example_lines: Vec<String>,
}

impl RuleSet {
    /// Orders the rules and compiles their text patterns into one set.
    pub(crate) fn build(
        providers: Vec<Provider>,
        mut rules: Vec<CompiledRule>,
        sources: HashMap<String, String>,
    ) -> Result<RuleSet, RulesErrors> {
        rules.sort_by_key(CompiledRule::precedence);
        let mut patterns: Vec<Pattern> = Vec::new();
        let mut index_of: HashMap<String, usize> = HashMap::new();
        // Patterns a built-in rule uses: known to compile (a test compiles each).
        let mut builtin = Vec::new();
        for rule in &mut rules {
            let is_builtin = rule.origin == Origin::Builtin;
            rule.tree.for_each_cond_mut(&mut |cond| {
                if let Cond::Text { source, literal, index } = cond {
                    *index = *index_of.entry(source.clone()).or_insert_with(|| {
                        patterns.push(match literal {
                            Some(phrase) => Pattern::Phrase(phrase.clone()),
                            None => Pattern::Regex(source.clone()),
                        });
                        builtin.push(false);
                        patterns.len() - 1
                    });
                    builtin[*index] |= is_builtin;
                }
            });
        }
        let known_good = |index: usize| builtin[index];
        let matcher =
            TextMatcher::build_with(&patterns, known_good).map_err(|(index, message)| {
                // Name the first rule that uses the pattern, by its `file:line`.
                let mut place = None;
                for rule in &rules {
                    rule.tree.for_each_cond(&mut |cond| {
                        if let Cond::Text { index: i, .. } = cond {
                            if place.is_none() && Some(*i) == index {
                                place = Some(format!("{} (rule {})", rule.location(), rule.id));
                            }
                        }
                    });
                }
                let place = place.unwrap_or_else(|| "<rules>".to_owned());
                RulesErrors { errors: vec![RulesError::io(&place, message)] }
            })?;
        let pattern_count = matcher.len();
        let mut by_pattern = vec![Vec::new(); pattern_count];
        let mut always = Vec::new();
        for (position, rule) in rules.iter().enumerate() {
            let position = u32::try_from(position).unwrap_or(u32::MAX);
            if rule.tree.without_text() == Some(false) {
                rule.tree.for_each_cond(&mut |cond| {
                    if let Cond::Text { index, .. } = cond {
                        if by_pattern[*index].last() != Some(&position) {
                            by_pattern[*index].push(position);
                        }
                    }
                });
            } else {
                always.push(position);
            }
        }
        let mx_sets = ProviderPatterns::build(&providers, |p| &p.mx);
        let text_sets = ProviderPatterns::build(&providers, |p| &p.text);
        let domain_index = DomainIndex::build(&providers);
        Ok(RuleSet {
            domain_index,
            providers,
            rules,
            sources,
            matcher,
            by_pattern,
            always,
            warnings: Vec::new(),
            mx_sets,
            text_sets,
        })
    }

    /// The matcher of the rules' text patterns.
    #[cfg(test)]
    pub(crate) fn text_matcher(&self) -> &TextMatcher {
        &self.matcher
    }

    /// The part of the diagnostic (as the text patterns read it, see [`pattern_text`]) that
    /// text pattern `index` matched, as `"…"` (at most 120 characters), for a verdict's basis.
    fn matched_span(&self, index: usize, diagnostic: Option<&str>) -> Option<String> {
        let found = self.matcher.find(index, diagnostic?.as_bytes())?;
        let text = String::from_utf8_lossy(found);
        let text: String = text.chars().take(120).collect();
        Some(format!("\"{}\"", text.trim()))
    }

    /// The name of the provider a bounce belongs to: by recipient domain, then by Remote-MTA,
    /// then by Reporting-MTA, then by the diagnostic text.
    #[must_use]
    pub fn provider_of(&self, facts: &BounceFacts) -> Option<&str> {
        self.provider_with_mx(facts, &[]).0
    }

    /// The operator behind an MX host: the first provider whose `mx` patterns match it.
    #[must_use]
    pub fn operator_of_host(&self, host: &str) -> Option<&str> {
        self.providers
            .iter()
            .find(|p| p.mx.iter().any(|m| m.matches(host)))
            .map(|p| p.name.as_str())
    }

    /// [`RuleSet::provider_of`] with the recipient domain's current MX hosts (from DNS) as a
    /// further input, right after the domain: a corporate domain whose MX is Exchange Online
    /// belongs to `microsoft-365`. Returns the provider and the MX host that named it, if the
    /// MX decided.
    #[must_use]
    pub fn provider_with_mx<'a>(
        &'a self,
        facts: &BounceFacts,
        mx_hosts: &'a [String],
    ) -> (Option<&'a str>, Option<&'a str>) {
        let domain = facts.recipient_domain();
        let by_domain = (!domain.is_empty()).then(|| self.domain_index.first(domain)).flatten();
        if let Some(p) = by_domain.and_then(|position| self.providers.get(position)) {
            return (Some(p.name.as_str()), None);
        }
        for host in mx_hosts {
            if let Some(name) = self.operator_of_host(host) {
                return (Some(name), Some(host.as_str()));
            }
        }
        (self.provider_by_hosts(facts), None)
    }

    /// The provider by Remote-MTA, then Reporting-MTA, then diagnostic text.
    fn provider_by_hosts(&self, facts: &BounceFacts) -> Option<&str> {
        let mx = |value: Option<&str>| {
            value.and_then(|v| self.mx_sets.first(&self.providers, |p| &p.mx, v))
        };
        mx(facts.remote_mta.as_deref())
            .or_else(|| mx(facts.reporting_mta.as_deref()))
            .or_else(|| {
                let diagnostic = facts.diagnostic.as_deref()?;
                self.text_sets.first(&self.providers, |p| &p.text, diagnostic)
            })
            .map(|p| p.name.as_str())
    }

    /// The match bit of every text pattern on the diagnostic (as [`pattern_text`] gives it),
    /// and the indexes of those that matched.
    fn text_matches(&self, diagnostic: Option<&str>) -> (Vec<bool>, Vec<usize>) {
        match diagnostic {
            Some(diagnostic) => self.matcher.matched(diagnostic.as_bytes()),
            None => (vec![false; self.matcher.len()], Vec::new()),
        }
    }

    fn applies(rule: &CompiledRule, facts: &Facts<'_>) -> bool {
        let scoped = rule.providers.is_empty()
            || facts.provider.is_some_and(|p| rule.providers.iter().any(|name| name == p));
        scoped && rule.tree.eval(facts)
    }

    /// The verdict of a bounce: the first matching rule's, bounded (see `bounds`), with an
    /// inferred status only when the bounce states none; when no rule matches, reason
    /// `undefined` with the permanence the codes imply and the provider recognised.
    #[must_use]
    pub fn classify(&self, facts: &BounceFacts) -> Verdict {
        self.classify_with_mx(facts, &[])
    }

    /// [`RuleSet::classify`] with the recipient domain's current MX hosts (`--resolve`): the
    /// provider may be recognised by its MX (see [`RuleSet::provider_with_mx`]); the basis
    /// then says which MX host named it.
    #[must_use]
    pub fn classify_with_mx(&self, facts: &BounceFacts, mx_hosts: &[String]) -> Verdict {
        let (provider, by_mx) = self.provider_with_mx(facts, mx_hosts);
        let mut verdict = self.classify_as(facts, provider);
        if let (Some(provider), Some(host)) = (provider, by_mx) {
            verdict.basis.push(format!("provider {provider} by MX host {host} (DNS)"));
        }
        verdict
    }

    fn classify_as(&self, facts: &BounceFacts, provider: Option<&str>) -> Verdict {
        match self.decide_as(facts, provider) {
            Some(mut verdict) => {
                if facts.status.is_some() {
                    verdict.status_inferred = None;
                }
                verdict
            }
            None => Verdict {
                reason: Reason::Undefined,
                hard: default_hard(facts),
                provider: provider.map(str::to_owned),
                ..Verdict::default()
            },
        }
    }

    /// The verdict of the first matching rule, or `None`: what [`RuleSet::classify`] starts
    /// from, with the status the rule infers even when the bounce states one (as examples and
    /// `explain` show it).
    #[must_use]
    pub fn decide(&self, facts: &BounceFacts) -> Option<Verdict> {
        self.decide_as(facts, self.provider_of(facts))
    }

    pub(crate) fn decide_as(
        &self,
        record: &BounceFacts,
        provider: Option<&str>,
    ) -> Option<Verdict> {
        let diagnostic = pattern_text(record);
        let (bits, matched) = self.text_matches(diagnostic.as_deref());
        let facts = Facts { record, provider, text_matches: &bits };
        let mut candidates = self.always.clone();
        for index in matched {
            candidates.extend_from_slice(&self.by_pattern[index]);
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut matches = candidates
            .into_iter()
            .filter_map(|position| self.rules.get(position as usize))
            .filter(|rule| Self::applies(rule, &facts));
        let winner = matches.next()?;
        let text = witness(winner, matches, &facts)
            .and_then(|i| self.matched_span(i, diagnostic.as_deref()));
        Some(verdict_of(winner, &facts, text))
    }

    /// The winner, every losing match and the evidence seen; tries every rule.
    #[must_use]
    pub fn explain(&self, facts: &BounceFacts) -> Explanation {
        self.explain_as(facts, self.provider_of(facts))
    }

    /// [`RuleSet::explain`] with the recipient domain's current MX hosts (`--resolve`).
    #[must_use]
    pub fn explain_with_mx(&self, facts: &BounceFacts, mx_hosts: &[String]) -> Explanation {
        self.explain_as(facts, self.provider_with_mx(facts, mx_hosts).0)
    }

    /// [`RuleSet::explain`] with the provider given instead of recognised (`--provider`).
    #[must_use]
    pub fn explain_as(&self, record: &BounceFacts, provider: Option<&str>) -> Explanation {
        let diagnostic = pattern_text(record);
        let (bits, _) = self.text_matches(diagnostic.as_deref());
        let facts = Facts { record, provider, text_matches: &bits };
        let all: Vec<&CompiledRule> =
            self.rules.iter().filter(|rule| Self::applies(rule, &facts)).collect();
        let decision = all.first().map(|winner| {
            let text = witness(winner, all[1..].iter().copied(), &facts)
                .and_then(|i| self.matched_span(i, diagnostic.as_deref()));
            verdict_of(winner, &facts, text)
        });
        let losers = all
            .iter()
            .skip(1)
            .map(|rule| RuleMatch {
                rule_id: rule.id.clone(),
                location: rule.location(),
                reason: rule.reason,
            })
            .collect();
        Explanation { evidence: evidence(record, provider), decision, losers }
    }

    /// Every rule in precedence order.
    pub fn rules(&self) -> impl Iterator<Item = RuleInfo> + '_ {
        self.rules.iter().map(|rule| RuleInfo {
            id: rule.id.clone(),
            location: rule.location(),
            providers: rule.providers.clone(),
            reason: rule.reason,
            doc: rule.doc.clone(),
            origin: rule.origin,
            priority: rule.priority,
            examples: rule.examples.len(),
            example_lines: self.example_lines(rule),
        })
    }

    /// The source lines on which the rule's examples start, trimmed.
    fn example_lines(&self, rule: &CompiledRule) -> Vec<String> {
        let Some(text) = self.sources.get(&rule.path) else { return Vec::new() };
        rule.examples
            .iter()
            .filter_map(|example| {
                let start = text.get(..example.span.0)?.rfind('\n').map_or(0, |i| i + 1);
                let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
                Some(text[start..end].trim().to_owned())
            })
            .collect()
    }

    /// Findings in the user's rule files that did not stop them from loading (a reason
    /// outside what the rule's own status pattern allows).
    #[must_use]
    pub fn warnings(&self) -> &[RulesError] {
        &self.warnings
    }

    /// The number of rules.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the set has no rules.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The names of the defined providers, in detection order.
    pub fn provider_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.providers.iter().map(|p| p.name.as_str())
    }

    /// An error at a byte span of one of the set's source files.
    pub(crate) fn error_at(&self, path: &str, span: (usize, usize), message: String) -> RulesError {
        let text = self.sources.get(path).map_or("", String::as_str);
        RulesError::at(ErrorKind::FailingExample, path, text, span, message)
    }
}

/// Temporary or permanent from the reply code's first digit, else the status's, else the kind.
fn default_hard(record: &BounceFacts) -> bool {
    let first = |code: Option<&str>| code.and_then(|c| c.trim().bytes().next());
    match first(record.reply_code.as_deref()).or_else(|| first(record.status.as_deref())) {
        Some(b'5') => true,
        Some(b'4' | b'2') => false,
        _ => matches!(record.kind, None | Some(Kind::Bounce)),
    }
}

/// The class of an inferred status: the reply code's class, else the notice's finality (a
/// failed notice was returned for good, a delay will be retried), else the verdict's `hard`.
/// A rule's `soft` says how to count the failure (a full mailbox is counted, not suppressed);
/// it never turns a returned message into a 4.x.x.
pub(crate) fn permanent_class(record: &BounceFacts, hard: bool) -> bool {
    match record.reply_code.as_deref().and_then(|c| c.trim().bytes().next()) {
        Some(b'5') => return true,
        Some(b'4') => return false,
        _ => {}
    }
    match record.kind {
        Some(Kind::Delay) => false,
        _ if record.action.as_deref().is_some_and(|a| a.eq_ignore_ascii_case("failed")) => true,
        _ => hard,
    }
}

/// The first text condition of `rule` that matched the diagnostic (its pattern index).
fn matched_text(rule: &CompiledRule, facts: &Facts<'_>) -> Option<usize> {
    let mut text = None;
    rule.tree.for_each_cond(&mut |cond| {
        if let Cond::Text { index, .. } = cond {
            if text.is_none() && facts.text_matches.get(*index).copied().unwrap_or(false) {
                text = Some(*index);
            }
        }
    });
    text
}

/// The text that confirms the winner's reason: the winner's own matched text condition, else,
/// when the winner would suppress, that of a later matching rule giving the same reason (a
/// provider rule on codes may win over the generic rule that read the words).
fn witness<'r>(
    winner: &CompiledRule,
    mut later: impl Iterator<Item = &'r CompiledRule>,
    facts: &Facts<'_>,
) -> Option<usize> {
    // Only a suppression needs a second witness; other verdicts do not search further.
    matched_text(winner, facts).or_else(|| {
        if !bounds::suppresses(winner.action) {
            return None;
        }
        later.find_map(|rule| (rule.reason == winner.reason).then(|| matched_text(rule, facts))?)
    })
}

/// The verdict of the winning rule, bounded.
fn verdict_of(rule: &CompiledRule, facts: &Facts<'_>, text: Option<String>) -> Verdict {
    let record = facts.record;
    let failure = !matches!(record.kind, Some(kind) if !kind.is_failure());
    let hard = failure && rule.hard.unwrap_or_else(|| default_hard(record));
    let token = match &rule.token {
        Some(Token::Literal(text)) => Some(text.clone()),
        Some(Token::Capture(regex)) => record.diagnostic.as_deref().and_then(|text| {
            let captures = regex.captures(text)?;
            captures
                .iter()
                .skip(1)
                .flatten()
                .next()
                .or_else(|| captures.get(0))
                .map(|m| m.as_str().to_owned())
        }),
        None => None,
    };
    let status_inferred = rule
        .status_inferred
        .clone()
        .or_else(|| defaults::inferred_status(rule.reason, permanent_class(record, hard)));
    let mut verdict = Verdict {
        reason: rule.reason,
        status_inferred,
        rule_id: rule.id.clone(),
        rule_location: rule.location(),
        category: rule.category,
        action: rule.action,
        owner: rule.owner,
        hard,
        token,
        fix: rule.fix.clone(),
        provider: facts.provider.map(str::to_owned),
        ..Verdict::default()
    };
    bounds::apply(&mut verdict, record, text.as_deref());
    verdict
}

fn evidence(record: &BounceFacts, provider: Option<&str>) -> Vec<(String, String)> {
    let mut fields: BTreeMap<&str, String> = BTreeMap::new();
    let mut put = |name: &'static str, value: Option<&str>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            fields.insert(name, value.to_owned());
        }
    };
    put("status", record.status.as_deref());
    put("reply", record.reply_code.as_deref());
    put("stage", Some(record.smtp_stage.as_str()));
    put("action", record.action.as_deref());
    put("provider", provider);
    put("rcpt_domain", Some(record.recipient_domain()));
    put("format", Some(record.format.as_str()));
    put("remote_mta", record.remote_mta.as_deref());
    put("reporting_mta", record.reporting_mta.as_deref());
    put("text", record.diagnostic.as_deref());
    put("kind", record.kind.map(Kind::as_str));
    let order = [
        "kind",
        "status",
        "reply",
        "stage",
        "action",
        "provider",
        "rcpt_domain",
        "format",
        "remote_mta",
        "reporting_mta",
        "text",
    ];
    let mut out: Vec<(String, String)> = order
        .iter()
        .filter_map(|name| fields.remove(name).map(|v| ((*name).to_owned(), v)))
        .collect();
    out.extend(record.vendor_fields.iter().map(|(k, v)| (format!("vendor_field {k}"), v.clone())));
    if let Some(notice) = record.notice.as_deref() {
        // The notice on one line, shortened: enough to see what a `notice` rule read.
        let flat: String = notice.split_whitespace().collect::<Vec<_>>().join(" ");
        let short: String = flat.chars().take(160).collect();
        let more = if short.len() < flat.len() { " …" } else { "" };
        out.push(("notice".to_owned(), format!("{short}{more}")));
    }
    out
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "evidence:")?;
        for (name, value) in &self.evidence {
            writeln!(f, "  {name}: {value}")?;
        }
        match &self.decision {
            Some(verdict) => {
                writeln!(f, "winner: {} ({})", verdict.rule_id, verdict.rule_location)?;
                writeln!(
                    f,
                    "  reason {} · category {} · action {} · owner {} · {}",
                    verdict.reason,
                    verdict.category,
                    verdict.action,
                    verdict.owner,
                    if verdict.hard { "hard" } else { "soft" }
                )?;
                if let Some(token) = &verdict.token {
                    writeln!(f, "  token {token}")?;
                }
            }
            None => writeln!(f, "winner: none (reason undefined)")?,
        }
        for loser in &self.losers {
            writeln!(f, "lost: {} ({}) reason {}", loser.rule_id, loser.location, loser.reason)?;
        }
        Ok(())
    }
}

/// The diagnostic as the text patterns read it (see [`without_continuations`]), made once per
/// record for its matches and for the span the winner's basis quotes.
fn pattern_text(record: &BounceFacts) -> Option<std::borrow::Cow<'_, str>> {
    record.diagnostic.as_deref().map(without_continuations)
}

/// The diagnostic with the codes of a multi-line SMTP reply's continuation lines removed, so
/// phrases that run across lines match: `550-5.7.1 The user ... 550-5.7.1 does not exist`
/// reads `550-5.7.1 The user ... does not exist`. The first code stays.
pub(crate) fn without_continuations(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let is_code = bytes.len() > 4
        && bytes[..3].iter().all(u8::is_ascii_digit)
        && matches!(bytes[0], b'2' | b'4' | b'5')
        && (bytes[3] == b'-' || bytes[3] == b' ');
    if !is_code {
        return std::borrow::Cow::Borrowed(text);
    }
    let code = &text[..3];
    // The enhanced status after the code, if any (`5.7.1`).
    let rest = &text[4..];
    let status_len = rest
        .find(' ')
        .filter(|&n| {
            n > 0
                && rest[..n].bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && rest[..n].contains('.')
        })
        .unwrap_or(0);
    let status = &rest[..status_len];
    // Most replies are one line: they are told apart without building the markers.
    if !has_continuation(rest, code, status) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut markers = vec![format!(" {code}-{status} "), format!(" {code} {status} ")];
    if status.is_empty() {
        markers = vec![format!(" {code}-"), format!(" {code} ")];
    }
    let mut out = text.to_string();
    for marker in &markers {
        let head_len = 4 + status_len;
        let (head, tail) = out.split_at(head_len.min(out.len()));
        let tail = tail.replace(marker.as_str(), " ");
        out = format!("{head}{tail}");
    }
    std::borrow::Cow::Owned(out)
}

/// Whether `text` holds a continuation marker of `code`: ` CODE-STATUS ` or ` CODE STATUS `,
/// or ` CODE-` or ` CODE ` when the reply states no status.
fn has_continuation(text: &str, code: &str, status: &str) -> bool {
    let bytes = text.as_bytes();
    text.match_indices(code).any(|(at, _)| {
        let after = &bytes[at + code.len()..];
        at > 0
            && bytes[at - 1] == b' '
            && matches!(after.first(), Some(b'-' | b' '))
            && (status.is_empty()
                || (after[1..].starts_with(status.as_bytes())
                    && after.get(1 + status.len()) == Some(&b' ')))
    })
}

#[cfg(test)]
mod continuation_tests {
    use super::without_continuations;

    #[test]
    fn continuation_codes_are_removed_after_the_first() {
        let text = "550-5.7.1 [192.0.2.1] Our system has detected that this 550-5.7.1 message is likely unsolicited mail. 550 5.7.1 See the guidelines - gsmtp";
        assert_eq!(
            without_continuations(text),
            "550-5.7.1 [192.0.2.1] Our system has detected that this message is likely unsolicited mail. See the guidelines - gsmtp"
        );
        assert_eq!(without_continuations("550 5.1.1 user unknown"), "550 5.1.1 user unknown");
        assert_eq!(without_continuations("no code here 550-"), "no code here 550-");
        // A code inside a word, or followed by another status, is no continuation.
        let text = "550 5.1.1 no x550 5.1.1 here, 550 5.1.2 or 5505.1.1 ";
        assert_eq!(without_continuations(text), text);
        assert_eq!(without_continuations("421 busy 421-try later"), "421 busy try later");
        assert_eq!(without_continuations("550 5.1.1 a 550 5.1.1"), "550 5.1.1 a 550 5.1.1");
        assert_eq!(without_continuations("550 5.1.1 a 550 5.1.1 b"), "550 5.1.1 a b");
    }
}

#[cfg(test)]
mod domain_index_tests {
    use crate::RuleSet;

    /// The index finds, for every domain, the provider trying each provider's domain patterns
    /// in detection order finds: every built-in domain (as written, upper case, with a
    /// subdomain, with a trailing dot) and domains no provider names.
    #[test]
    fn the_index_finds_the_provider_a_scan_in_detection_order_finds() {
        let rules = RuleSet::builtin().expect("built-ins load");
        let scan = |domain: &str| {
            rules.providers.iter().position(|p| p.domains.iter().any(|d| d.matches(domain)))
        };
        let mut domains = vec![
            "example.net".to_owned(),
            "mail.example.org".to_owned(),
            "com".to_owned(),
            ".".to_owned(),
            "a..b".to_owned(),
        ];
        for provider in &rules.providers {
            for pattern in &provider.domains {
                let written = match pattern {
                    super::DomainPattern::Exact(d) => d.clone(),
                    super::DomainPattern::Suffix(s) => format!("mx{s}"),
                    super::DomainPattern::Regex(_) => continue,
                };
                domains.push(format!("sub.{written}"));
                domains.push(written.to_ascii_uppercase());
                domains.push(format!("{written}."));
                domains.push(written);
            }
        }
        assert!(domains.len() > 100, "{} domains", domains.len());
        let mut named = 0;
        for domain in &domains {
            let found = rules.domain_index.first(domain);
            assert_eq!(found, scan(domain), "{domain}");
            named += usize::from(found.is_some());
        }
        assert!(named > 80, "most test domains are a provider's: {named}");
    }
}
