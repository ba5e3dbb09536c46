//! Matching every text pattern of a rule set against one diagnostic.
//!
//! One shared `RegexSet` over hundreds of patterns builds a lazy DFA whose states are sets of
//! NFA states of every pattern at once: tens of megabytes per thread, rebuilt by every thread of
//! every run. Instead each pattern is its own small regex, and one ASCII case-insensitive
//! Aho-Corasick automaton over the literals a match must begin (or end) with says which regexes
//! can match at all:
//!
//! - a literal phrase (`text ~ "mailbox full"`) is decided by the automaton alone;
//! - a regex whose every match starts with one of a finite set of literals (read from its syntax
//!   tree by `regex-syntax`'s extractor), or else ends with one, runs only when the automaton saw
//!   one of them, and only where they were seen: anchored at each place one of its prefix
//!   literals begins, or over the text up to the end of the last of its suffix literals (a
//!   diagnostic is read by some 15-30 such regexes, and each used to scan all of it);
//! - the few regexes with no such literal (`\S+@\S+ has been replaced`) run on every diagnostic.
//!
//! The compiled matcher is read-only and shared by all threads. Each regex's search scratch
//! (its lazy-DFA cache, which grows with the texts it has seen) lives in one pool per pattern:
//! a search takes a cache, uses it and gives it back. The number of caches of a pattern is the
//! number of searches of it that were ever in flight at once — about the number of cores, not
//! the number of threads (the regex crate's own pool shards its caches by thread, so 16 threads
//! kept up to 8 grown caches of every pattern: ~5 MB per thread). Match bits are identical to a `RegexSet` over the same patterns
//! (the literals are necessary conditions only), which a test checks.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use aho_corasick::AhoCorasick;
use regex_automata::meta::{self, Regex};
use regex_automata::nfa::thompson;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind};
use regex_syntax::hir::literal::{ExtractKind, Extractor, Seq};

/// The lazy-DFA cache limit of each pattern's regex: one pattern's states are few.
const DFA_LIMIT: usize = 1 << 20;

/// What the automaton's hit on one literal means.
#[derive(Debug, Clone, Copy)]
enum Hit {
    /// A literal phrase pattern matched (its global index).
    Phrase(usize),
    /// A regex (its slot in `regexes`) may match.
    Candidate(usize),
}

/// A text pattern given to [`TextMatcher::build`].
#[derive(Debug, Clone)]
pub(crate) enum Pattern {
    /// A plain phrase, matched case-insensitively.
    Phrase(String),
    /// A regex source (case-insensitive, no Unicode classes).
    Regex(String),
}

/// Every text pattern of a rule set, compiled once and shared.
#[derive(Debug, Clone)]
pub(crate) struct TextMatcher {
    count: usize,
    automaton: Option<AhoCorasick>,
    /// For each automaton literal, the hits it stands for.
    hits: Vec<Vec<Hit>>,
    /// The regex patterns.
    regexes: Vec<Compiled>,
    /// Regex slots without a literal prefilter, run on every text.
    always: Vec<usize>,
    /// Each global pattern's span finder: its regex slot, or the phrase itself.
    spans: Vec<Span>,
    /// The patterns as given, for the equivalence tests.
    #[cfg(test)]
    patterns: Vec<Pattern>,
    /// The matches of texts seen lately (see [`TextMatcher::matched`]).
    memo: Memo,
}

/// Texts already matched, with the patterns each matched, in the order `matches` lists them:
/// the same diagnostic recurs across an archive (a provider's fixed wording, a time-out), and
/// a match list is a pure function of the text. At most [`MEMO_TEXTS`] texts of at most
/// [`MEMO_TEXT_LEN`] bytes are kept; the table is emptied when full. A thread that finds it
/// locked matches without it.
#[derive(Debug, Default)]
struct Memo(Mutex<MemoTable>);

/// A text, and the global indexes of the patterns it matched.
type MemoTable = HashMap<Box<[u8]>, Box<[usize]>>;

const MEMO_TEXTS: usize = 4096;
const MEMO_TEXT_LEN: usize = 512;

impl Clone for Memo {
    fn clone(&self) -> Self {
        Memo::default()
    }
}

#[derive(Debug, Clone)]
enum Span {
    Regex(usize),
    /// The phrase, lowercased: found by an ASCII case-insensitive search.
    Phrase(Vec<u8>),
}

/// Compiles one pattern as the rule set reads text: ASCII case-insensitive, bytes, leftmost
/// first (what `regex::bytes::RegexBuilder` builds with `unicode(false)`).
fn compile(source: &str) -> Result<Regex, String> {
    meta::Builder::new()
        .configure(
            meta::Config::new()
                .match_kind(MatchKind::LeftmostFirst)
                .utf8_empty(false)
                .nfa_size_limit(Some(super::validate::REGEX_SIZE_LIMIT))
                .hybrid_cache_capacity(DFA_LIMIT),
        )
        .syntax(syntax::Config::new().case_insensitive(true).unicode(false).utf8(false))
        .build(source)
        .map_err(|error| match (error.size_limit(), error.syntax_error()) {
            (Some(limit), _) => format!("Compiled regex exceeds size limit of {limit} bytes."),
            (None, Some(syntax)) => syntax.to_string(),
            (None, None) => error.to_string(),
        })
}

/// Checks that `source` compiles as [`compile`] compiles it (its syntax, and its automaton
/// within the size limit) by building only its forward NFA, which is dropped: a fraction of the
/// time and none of the memory of the whole regex, which is built on the pattern's first use.
fn check(source: &str) -> Result<(), String> {
    thompson::Compiler::new()
        .syntax(syntax::Config::new().case_insensitive(true).unicode(false).utf8(false))
        .configure(
            thompson::Config::new()
                .utf8(false)
                .shrink(false)
                .nfa_size_limit(Some(super::validate::REGEX_SIZE_LIMIT)),
        )
        .build(source)
        .map(drop)
        .map_err(|error| {
            if let Some(limit) = error.size_limit() {
                return format!("Compiled regex exceeds size limit of {limit} bytes.");
            }
            let syntax = std::error::Error::source(&error)
                .and_then(|e| e.downcast_ref::<regex_syntax::Error>());
            match syntax {
                Some(syntax) => syntax.to_string(),
                None => error.to_string(),
            }
        })
}

/// One regex pattern: its global index, its source, the regex (compiled at build, or on first
/// use for a pattern already known to compile) and the pool of its search caches.
#[derive(Debug)]
struct Compiled {
    index: usize,
    source: String,
    /// Where the automaton's literal hits put this regex's matches (`None`: it runs on every
    /// text, over all of it).
    side: Option<Side>,
    regex: OnceLock<Option<Regex>>,
    /// Boxed: a `meta::Cache` is a few KB inline, and moving it in and out of the pool on
    /// every search cost more than the search of a short diagnostic.
    #[allow(clippy::vec_box)]
    caches: Mutex<Vec<Box<meta::Cache>>>,
}

impl Clone for Compiled {
    fn clone(&self) -> Self {
        Compiled {
            index: self.index,
            source: self.source.clone(),
            side: self.side,
            regex: self.regex.clone(),
            caches: Mutex::new(Vec::new()),
        }
    }
}

impl Compiled {
    /// The regex; `None` only if a pattern given as known-good did not compile after all
    /// (a test compiles every built-in pattern, so it does not happen).
    fn regex(&self) -> Option<&Regex> {
        self.regex.get_or_init(|| compile(&self.source).ok()).as_ref()
    }

    /// Runs `search` with a cache from the pool (a new one when every cache is in use).
    fn with_cache<T: Default>(&self, search: impl FnOnce(&Regex, &mut meta::Cache) -> T) -> T {
        let Some(regex) = self.regex() else { return T::default() };
        let taken = self.caches.lock().map(|mut pool| pool.pop()).unwrap_or(None);
        let mut cache = taken.unwrap_or_else(|| Box::new(regex.create_cache()));
        let found = search(regex, &mut cache);
        if let Ok(mut pool) = self.caches.lock() {
            pool.push(cache);
        }
        found
    }

    fn is_match(&self, text: &[u8]) -> bool {
        self.with_cache(|regex, cache| regex.is_match_with(cache, &Input::new(text)))
    }

    /// Whether the regex matches `text` where its literals were seen (`hits`: the start and end
    /// of each, in text order): a match that must begin with a prefix literal is tried
    /// anchored at each place one begins; one that must end with a suffix literal is sought in
    /// the text up to the last such end. The whole text stays visible to look-around (`\b`, `$`).
    fn is_match_at(&self, text: &[u8], hits: &[(usize, usize)]) -> bool {
        match self.side {
            None => self.is_match(text),
            Some(Side::Suffix) => {
                let end = hits.iter().map(|&(_, end)| end).max().unwrap_or(text.len());
                self.with_cache(|regex, cache| {
                    regex.is_match_with(cache, &Input::new(text).range(..end))
                })
            }
            Some(Side::Prefix) => self.with_cache(|regex, cache| {
                let mut last = None;
                hits.iter().any(|&(start, _)| {
                    // The same start found through two literals is tried once.
                    if last == Some(start) {
                        return false;
                    }
                    last = Some(start);
                    let input = Input::new(text).range(start..).anchored(Anchored::Yes);
                    regex.is_match_with(cache, &input)
                })
            }),
        }
    }

    fn find<'t>(&self, text: &'t [u8]) -> Option<&'t [u8]> {
        self.with_cache(|regex, cache| regex.search_with(cache, &Input::new(text)))
            .map(|m| &text[m.range()])
    }
}

/// Which end of every match of a regex its required literals are at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Prefix,
    Suffix,
}

/// The literals every match of `source` begins with, else those it ends with; `None` when
/// neither set is finite and free of the empty literal.
fn required_literals(source: &str) -> Option<(Side, Vec<Vec<u8>>)> {
    // Parsed without case folding: the automaton folds ASCII case itself, so the literals stay
    // few; the regex proper is compiled case-insensitively.
    let hir =
        regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(source).ok()?;
    let usable = |seq: Seq| -> Option<Vec<Vec<u8>>> {
        let literals = seq.literals()?;
        if literals.is_empty() || literals.iter().any(|l| l.as_bytes().is_empty()) {
            return None;
        }
        Some(literals.iter().map(|l| l.as_bytes().to_ascii_lowercase()).collect())
    };
    let extract = |kind: ExtractKind| {
        let mut extractor = Extractor::new();
        extractor.kind(kind).limit_literal_len(10).limit_total(64);
        extractor.extract(&hir)
    };
    usable(extract(ExtractKind::Prefix))
        .map(|literals| (Side::Prefix, literals))
        .or_else(|| usable(extract(ExtractKind::Suffix)).map(|literals| (Side::Suffix, literals)))
}

impl TextMatcher {
    /// Compiles `patterns` (global index = position). An error names the pattern that failed
    /// and gives its index.
    #[cfg(test)]
    pub(crate) fn build(patterns: &[Pattern]) -> Result<TextMatcher, (Option<usize>, String)> {
        Self::build_with(patterns, |_| false)
    }

    /// [`TextMatcher::build`], leaving the regexes for which `known_good(index)` holds (the
    /// built-in patterns, which a test compiles) to be compiled on first use: a run compiles
    /// only the patterns its texts make candidates, and start-up does not wait for the rest.
    pub(crate) fn build_with(
        patterns: &[Pattern],
        known_good: impl Fn(usize) -> bool,
    ) -> Result<TextMatcher, (Option<usize>, String)> {
        let mut literal_slot: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut hits: Vec<Vec<Hit>> = Vec::new();
        let mut add = |literal: Vec<u8>, hit: Hit| {
            let slot = *literal_slot.entry(literal.clone()).or_insert_with(|| {
                literals.push(literal);
                hits.push(Vec::new());
                hits.len() - 1
            });
            hits[slot].push(hit);
        };
        let (mut regexes, mut always, mut spans) = (Vec::new(), Vec::new(), Vec::new());
        for (index, pattern) in patterns.iter().enumerate() {
            match pattern {
                Pattern::Phrase(phrase) => {
                    let lower = phrase.as_bytes().to_ascii_lowercase();
                    add(lower.clone(), Hit::Phrase(index));
                    spans.push(Span::Phrase(lower));
                }
                Pattern::Regex(source) => {
                    // Every regex is built on first use; a user's is checked here, so that its
                    // errors come at load (a test compiles every built-in one).
                    let regex = OnceLock::new();
                    if !known_good(index) {
                        check(source).map_err(|e| {
                            let source = shortened(source);
                            (Some(index), format!("text /{source}/ does not compile: {e}"))
                        })?;
                    }
                    let slot = regexes.len();
                    let required = required_literals(source);
                    regexes.push(Compiled {
                        index,
                        source: source.clone(),
                        side: required.as_ref().map(|(side, _)| *side),
                        regex,
                        caches: Mutex::new(Vec::new()),
                    });
                    spans.push(Span::Regex(slot));
                    match required {
                        Some((_, literals)) => {
                            for literal in literals {
                                add(literal, Hit::Candidate(slot));
                            }
                        }
                        None => always.push(slot),
                    }
                }
            }
        }
        let automaton = if literals.is_empty() {
            None
        } else {
            let built = AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(aho_corasick::MatchKind::Standard)
                .build(&literals)
                .map_err(|e| {
                    (None, format!("the rules' text literals do not compile together: {e}"))
                })?;
            Some(built)
        };
        Ok(TextMatcher {
            count: patterns.len(),
            automaton,
            hits,
            regexes,
            always,
            spans,
            #[cfg(test)]
            patterns: patterns.to_vec(),
            memo: Memo::default(),
        })
    }

    /// The number of patterns.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// The match bit of every pattern on `text`, and the global indexes of those that matched
    /// (what [`TextMatcher::matches`] gives from no bits set), remembered for texts seen again.
    pub(crate) fn matched(&self, text: &[u8]) -> (Vec<bool>, Vec<usize>) {
        let mut bits = vec![false; self.count];
        let memo = (text.len() <= MEMO_TEXT_LEN).then(|| self.memo.0.try_lock().ok()).flatten();
        if let Some(found) = memo.as_ref().and_then(|memo| memo.get(text)) {
            for &index in found.iter() {
                bits[index] = true;
            }
            return (bits, found.to_vec());
        }
        drop(memo);
        let mut matched = Vec::new();
        self.matches(text, &mut bits, &mut matched);
        if text.len() <= MEMO_TEXT_LEN {
            if let Ok(mut memo) = self.memo.0.try_lock() {
                if memo.len() >= MEMO_TEXTS {
                    memo.clear();
                }
                memo.insert(text.into(), matched.clone().into_boxed_slice());
            }
        }
        (bits, matched)
    }

    /// Sets the bit of every pattern that matches `text` and lists their global indexes.
    pub(crate) fn matches(&self, text: &[u8], bits: &mut [bool], matched: &mut Vec<usize>) {
        // The regex slots the automaton made candidates, each with where its literal was seen.
        let mut candidates: Vec<(usize, usize, usize)> = Vec::new();
        if let Some(automaton) = &self.automaton {
            for found in automaton.find_overlapping_iter(text) {
                for hit in &self.hits[found.pattern().as_usize()] {
                    match *hit {
                        Hit::Phrase(index) => {
                            if !bits[index] {
                                bits[index] = true;
                                matched.push(index);
                            }
                        }
                        Hit::Candidate(slot) => {
                            candidates.push((slot, found.start(), found.end()));
                        }
                    }
                }
            }
        }
        candidates.extend(self.always.iter().map(|&slot| (slot, 0, text.len())));
        // By slot (the order matches are listed in), then by place in the text.
        candidates.sort_unstable();
        let mut hits: Vec<(usize, usize)> = Vec::new();
        for group in candidates.chunk_by(|a, b| a.0 == b.0) {
            let compiled = &self.regexes[group[0].0];
            if bits[compiled.index] {
                continue;
            }
            hits.clear();
            hits.extend(group.iter().map(|&(_, start, end)| (start, end)));
            if compiled.is_match_at(text, &hits) {
                bits[compiled.index] = true;
                matched.push(compiled.index);
            }
        }
    }

    /// The leftmost-first match of pattern `index` in `text`.
    pub(crate) fn find<'t>(&self, index: usize, text: &'t [u8]) -> Option<&'t [u8]> {
        match self.spans.get(index)? {
            Span::Regex(slot) => self.regexes[*slot].find(text),
            Span::Phrase(phrase) if !phrase.is_empty() => {
                text.windows(phrase.len()).find(|window| window.eq_ignore_ascii_case(phrase))
            }
            Span::Phrase(_) => Some(&text[..0]),
        }
    }

    /// How many regex patterns run on every text (no literal prefilter).
    #[cfg(test)]
    fn unfiltered(&self) -> usize {
        self.always.len()
    }
}

/// `source` as an error quotes it: at most 80 characters, then `…`.
fn shortened(source: &str) -> String {
    match source.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &source[..cut]),
        None => source.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns() -> Vec<Pattern> {
        [
            "R:user (unknown|not found)|no such (user|mailbox)",
            "P:mailbox full",
            r"R:\b\d{1,3}(\.\d{1,3}){3}\b",
            r"R:^\s*(5\d\d )?transaction failed\s*$",
            r"R:(blocked|listed) (at|by|in) \S+",
            r"R:\S+@\S+ has been replaced",
            "R:over ?quota",
            r"R:\bquota (exceeded|reached)\b",
            r"R:\S+ (rejected|refused)$",
        ]
        .iter()
        .map(|p| match p.split_at(2) {
            ("P:", rest) => Pattern::Phrase(rest.to_owned()),
            (_, rest) => Pattern::Regex(rest.to_owned()),
        })
        .collect()
    }

    /// A `RegexSet` over the same patterns, as the rule set used to match them.
    fn regex_set(patterns: &[Pattern]) -> regex::bytes::RegexSet {
        let sources: Vec<String> = patterns
            .iter()
            .map(|p| match p {
                Pattern::Phrase(s) => regex::escape(s),
                Pattern::Regex(s) => s.clone(),
            })
            .collect();
        regex::bytes::RegexSetBuilder::new(&sources)
            .case_insensitive(true)
            .unicode(false)
            .size_limit(256 << 20)
            .dfa_size_limit(256 << 20)
            .build()
            .expect("set")
    }

    fn set_bits(set: &regex::bytes::RegexSet, text: &[u8]) -> Vec<bool> {
        let matches = set.matches(text);
        (0..set.len()).map(|i| matches.matched(i)).collect()
    }

    #[test]
    fn bits_equal_a_regex_set_over_the_same_patterns() {
        let patterns = patterns();
        let matcher = TextMatcher::build(&patterns).expect("builds");
        let set = regex_set(&patterns);
        assert!(matcher.unfiltered() <= 2, "only the literal-free patterns run always");
        for text in [
            "550 5.1.1 <a@example.net>: Recipient address rejected: User unknown in local recipient table",
            "552 5.2.2 MAILBOX FULL",
            "554 Transaction failed",
            "   transaction FAILED  ",
            "Client host [192.0.2.4] blocked using zen.example.org; listed by zen.example.org",
            "old@example.com has been replaced by new@example.com",
            "The user is OverQuota, no such Mailbox",
            // A literal seen first where the regex does not match, then where it does.
            "quota checked; QUOTA EXCEEDED",
            // The literal inside a word: `\b` before it sees the text before the hit.
            "subquota exceeded",
            "subquota exceeded, quota reached",
            // A suffix literal before the end, then at the end.
            "refused by policy: sender refused",
            "rejected here, not at the end",
            "",
            "nothing to see here",
        ] {
            let mut bits = vec![false; matcher.len()];
            let mut matched = Vec::new();
            matcher.matches(text.as_bytes(), &mut bits, &mut matched);
            assert_eq!(bits, set_bits(&set, text.as_bytes()), "{text}");
            assert_eq!(matched.len(), bits.iter().filter(|b| **b).count());
        }
    }

    /// Every example text of every built-in rule (hundreds of real-shaped diagnostics, matched
    /// by most patterns) gives the same bits as a `RegexSet` over the built-in patterns.
    #[test]
    fn builtin_patterns_give_regex_set_bits_on_every_rule_example() {
        let rules = crate::RuleSet::builtin().expect("built-ins load");
        let matcher = rules.text_matcher();
        let texts: Vec<String> = rules
            .rules()
            .flat_map(|info| info.example_lines)
            .filter_map(|line| {
                let start = line.find('"')? + 1;
                let end = start + line[start..].find("\" ")?;
                Some(line[start..end].replace("\\\"", "\""))
            })
            .collect();
        assert!(texts.len() > 300, "{} example texts", texts.len());
        let set = regex_set(&matcher.patterns);
        let mut seen = 0;
        for text in &texts {
            let mut bits = vec![false; matcher.len()];
            let mut matched = Vec::new();
            matcher.matches(text.as_bytes(), &mut bits, &mut matched);
            assert_eq!(bits, set_bits(&set, text.as_bytes()), "{text}");
            seen += matched.len();
        }
        assert!(seen > texts.len(), "the examples exercise the patterns");
    }

    /// The built-in patterns are compiled on first use at run time; here each must compile.
    #[test]
    fn every_builtin_pattern_compiles() {
        let rules = crate::RuleSet::builtin().expect("built-ins load");
        let patterns = &rules.text_matcher().patterns;
        let checked = TextMatcher::build(patterns).expect("every built-in pattern checks");
        for pattern in &checked.regexes {
            assert!(pattern.regex().is_some(), "/{}/ does not compile", pattern.source);
        }
    }

    /// A user's regex is checked at load, so a bad one is an error there, but built only when
    /// a text first makes it a candidate: 100,000 user rules load without 100,000 regexes.
    #[test]
    fn user_regexes_are_checked_at_load_and_built_on_first_use() {
        let matcher = TextMatcher::build(&patterns()).expect("builds");
        assert!(matcher.regexes.iter().all(|c| c.regex.get().is_none()), "none built yet");
        assert_eq!(matcher.find(6, b"the user is over quota"), Some(&b"over quota"[..]));
        assert!(matcher.regexes.iter().any(|c| c.regex.get().is_some()), "built when used");
        let huge = [Pattern::Regex("(a{1000}){1000}".into())];
        let error = TextMatcher::build(&huge).expect_err("past the size limit");
        assert!(error.1.contains("exceeds size limit"), "{}", error.1);
        let broken = [Pattern::Regex("a(b".into())];
        let error = TextMatcher::build(&broken).expect_err("a syntax error");
        assert!(error.1.contains("unclosed group"), "{}", error.1);
    }

    #[test]
    fn spans_are_the_leftmost_first_match() {
        let matcher = TextMatcher::build(&patterns()).expect("builds");
        let text = b"Quota: the user is over quota; Mailbox Full";
        assert_eq!(matcher.find(6, text), Some(&b"over quota"[..]));
        assert_eq!(matcher.find(1, text), Some(&b"Mailbox Full"[..]));
        assert_eq!(matcher.find(0, text), None);
    }

    /// Sixteen threads that search one after another leave one cache per pattern: caches
    /// follow the searches in flight at once, not the threads that ever searched.
    #[test]
    fn caches_follow_concurrent_searches_not_threads() {
        let matcher = TextMatcher::build(&patterns()).expect("builds");
        for _ in 0..16 {
            std::thread::scope(|scope| {
                scope.spawn(|| {
                    let mut bits = vec![false; matcher.len()];
                    let text = b"user unknown; over quota; old@example.com has been replaced";
                    matcher.matches(text, &mut bits, &mut Vec::new());
                    assert!(bits.iter().filter(|b| **b).count() >= 3);
                });
            });
        }
        for compiled in &matcher.regexes {
            let pooled = compiled.caches.lock().expect("pool").len();
            assert!(pooled <= 1, "/{}/ keeps {pooled} caches", compiled.source);
        }
    }

    #[test]
    fn required_literals_are_read_from_the_syntax() {
        let (side, lits) = required_literals("user (unknown|not found)").expect("finite");
        assert_eq!(side, Side::Prefix);
        assert!(lits.iter().all(|l| l.starts_with(b"user ")), "{lits:?}");
        let (side, lits) = required_literals(r"\S+@\S+ has been replaced").expect("finite");
        assert_eq!(side, Side::Suffix);
        assert!(!lits.is_empty());
        assert_eq!(required_literals(r"\S+"), None);
    }
}
