//! The regex side of the one-pass text matcher: every regex condition gets the literal prefixes
//! its matches must start with (regex-syntax's literal extraction); one Aho-Corasick automaton
//! over all those prefixes picks the few regexes worth running on a diagnostic, and only those
//! run, each with its own small lazy DFA. Regexes without a usable prefix always run.
//!
//! One overlapping `RegexSet` over hundreds of case-insensitive patterns spends most of its
//! time building DFA states for every new diagnostic; the prefilter keeps the cost close to one
//! scan of the text whatever the number of rules.

use aho_corasick::{AhoCorasick, MatchKind};
use regex::bytes::{Regex, RegexBuilder};
use regex_syntax::hir::literal::{ExtractKind, Extractor};

/// Size limit of one compiled regex (the validator enforces the same limit per rule).
const REGEX_LIMIT: usize = 1 << 20;

/// The regex conditions of a rule set, with their literal prefilter.
#[derive(Debug, Clone)]
pub(crate) struct RegexMatcher {
    regexes: Vec<Regex>,
    prefilter: Option<AhoCorasick>,
    /// For each prefilter literal, the regex it belongs to.
    owner: Vec<usize>,
    /// Regexes without a usable literal prefix: always run.
    unfiltered: Vec<usize>,
}

impl RegexMatcher {
    /// Compiles the patterns (case-insensitive, ASCII); an error names the failing pattern.
    pub(crate) fn new(patterns: &[String]) -> Result<RegexMatcher, String> {
        let mut regexes = Vec::with_capacity(patterns.len());
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut owner = Vec::new();
        let mut unfiltered = Vec::new();
        for (position, pattern) in patterns.iter().enumerate() {
            let regex = RegexBuilder::new(pattern)
                .case_insensitive(true)
                .unicode(false)
                .size_limit(REGEX_LIMIT)
                .build()
                .map_err(|e| format!("`{pattern}`: {e}"))?;
            regexes.push(regex);
            match prefixes(pattern) {
                Some(found) => {
                    for literal in found {
                        literals.push(literal);
                        owner.push(position);
                    }
                }
                None => unfiltered.push(position),
            }
        }
        let prefilter = if literals.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .build(&literals)
                    .map_err(|e| format!("the regex prefixes do not compile together: {e}"))?,
            )
        };
        Ok(RegexMatcher { regexes, prefilter, owner, unfiltered })
    }

    /// The positions (in pattern order) of the regexes that match `text`.
    pub(crate) fn matches(&self, text: &[u8]) -> Vec<usize> {
        let mut candidate = vec![false; self.regexes.len()];
        for &position in &self.unfiltered {
            candidate[position] = true;
        }
        if let Some(prefilter) = &self.prefilter {
            for found in prefilter.find_overlapping_iter(text) {
                if let Some(&position) = self.owner.get(found.pattern().as_usize()) {
                    candidate[position] = true;
                }
            }
        }
        candidate
            .iter()
            .enumerate()
            .filter(|(position, is)| **is && self.regexes[*position].is_match(text))
            .map(|(position, _)| position)
            .collect()
    }
}

/// The literal prefixes every match of `pattern` starts with, when there is a short, finite
/// set of them of at least two bytes each; `None` when the regex must always run.
fn prefixes(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .case_insensitive(false)
        .build()
        .parse(pattern)
        .ok()?;
    let mut extractor = Extractor::new();
    extractor.kind(ExtractKind::Prefix).limit_total(64);
    let seq = extractor.extract(&hir);
    let literals = seq.literals()?;
    if literals.is_empty() || literals.iter().any(|l| l.as_bytes().len() < 2) {
        return None;
    }
    Some(literals.iter().map(|l| l.as_bytes().to_vec()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_of_alternations_and_optional_groups() {
        let p = prefixes("virus|malware|infected").unwrap();
        assert_eq!(p.len(), 3);
        // An anchor matches the empty string: the prefixes are `gmail` and `.gmail`.
        assert_eq!(prefixes(r"(^|\.)gmail\.com$").map(|p| p.len()), Some(2));
        assert!(prefixes(r".{0,20}over quota").is_none());
    }

    #[test]
    fn matches_agree_with_plain_regexes() {
        let patterns: Vec<String> = [
            r"unable to deliver (the )?message to .{0,80}check",
            r"\bspam\b|junk ?mail",
            r"(user|mailbox) (is )?unknown",
            r".{0,5}quota",
        ]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
        let matcher = RegexMatcher::new(&patterns).unwrap();
        let text = b"550 5.1.1 Mailbox unknown; also JUNK MAIL and over QUOTA";
        assert_eq!(matcher.matches(text), vec![1, 2, 3]);
        assert!(matcher.matches(b"250 ok").is_empty());
    }
}
