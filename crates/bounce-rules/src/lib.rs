//! bounce-rules: the rules DSL of bounce-triage.
//!
//! Rule files (`*.rules`) hold `provider` definitions, `rule` blocks and `disable` lines; the
//! grammar is `src/syntax/grammar.pest`, documented rule by rule. Loading runs three passes, as
//! pest's own meta grammar does: **parse** (the first syntax error of each file), **validate**
//! (every semantic error of every file: unknown fields and names, bad regexes, impossible codes,
//! duplicate ids) and **compile** (order the rules and build one matcher over every text
//! pattern). Errors render like a compiler's, with `file:line:col`, the source line, a caret and
//! the rule id ([`RulesError`]).
//!
//! # Precedence
//! The first matching rule wins. Rules are tried in this order:
//! 1. user rules before built-in rules;
//! 2. within each, rules scoped to a provider (`provider NAME`) before generic rules;
//! 3. then higher `priority` first (default 0);
//! 4. then file order (user files in the order given, directories walked sorted; built-ins in
//!    [`BUILTIN_FILES`] order: `rules/load-order`, then the other files in sorted path order);
//! 5. then position in the file.
//!
//! A user rule with the id of a built-in rule replaces it and takes the user file's place in
//! this order; `disable ID` in a user file removes a built-in rule.
//!
//! # Speed
//! Every `text` condition of every rule goes into one matcher, run once per record: an ASCII
//! case-insensitive Aho-Corasick automaton over the literal phrases and over the literals each
//! regex's matches must begin (or end) with, then only the regexes (case-insensitive, Unicode
//! off) whose literals were seen. The matcher is shared read-only by all threads; each regex keeps
//! a small per-thread cache. Rules that cannot match without some text pattern are only tried
//! when one of their patterns matched; the others are always tried. Regexes come from the
//! `regex` crate, so matching is linear in the input and a rule cannot hang a run.
#![deny(missing_docs)]

mod compile;
mod error;
mod load;
pub mod registry;
mod syntax;

pub use compile::examples::ExampleFailure;
pub use compile::ruleset::{Explanation, RuleInfo, RuleMatch, RuleSet};
pub use compile::Origin;
pub use error::{ErrorKind, RulesError, RulesErrors};
pub use load::{RuleLimits, BUILTIN_FILES};
pub use syntax::Rule;
