//! Errors of rule files: a kind, the rule they belong to and a pest error that carries the
//! file, the byte span and the source line, rendered like a compiler diagnostic.

use std::fmt;

use pest::error::{Error as PestError, ErrorVariant, LineColLocation};
use pest::Span;

use crate::syntax::Rule;

/// What went wrong, as shown in `error[...]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The text does not follow the grammar.
    Syntax,
    /// A condition, setting, example or provider field name is not known.
    UnknownField,
    /// A value has the wrong shape for its field (a stage, a number, a domain pattern).
    BadValue,
    /// A regex does not compile or is too large.
    BadRegex,
    /// Two rules or providers share an id within one source group.
    DuplicateId,
    /// A reason name is not in the vocabulary.
    UnknownReason,
    /// A category name is not known.
    UnknownCategory,
    /// An action name is not known.
    UnknownAction,
    /// An owner name is not known.
    UnknownOwner,
    /// A provider name is not defined.
    UnknownProvider,
    /// `disable` names a rule that does not exist.
    UnknownRule,
    /// `$NAME` names a pattern that no file defines, or a pattern uses another one.
    UnknownPattern,
    /// A status or reply pattern can never match a real code.
    ImpossibleStatus,
    /// A rule lacks a required statement (`when`, `reason`).
    MissingStatement,
    /// A built-in rule reads a provider-dependent code without being provider-scoped.
    ProviderDependentCode,
    /// A rule's reason is outside what its own status pattern allows (the registry of
    /// enhanced status codes): an error for built-in rules, a warning for the user's.
    OutsideStatusBound,
    /// An inline example does not produce its expected outcome.
    FailingExample,
    /// A rule file or directory could not be read.
    Io,
}

impl ErrorKind {
    /// The kebab-case name shown in `error[...]`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax",
            ErrorKind::UnknownField => "unknown-field",
            ErrorKind::BadValue => "bad-value",
            ErrorKind::BadRegex => "bad-regex",
            ErrorKind::DuplicateId => "duplicate-id",
            ErrorKind::UnknownReason => "unknown-reason",
            ErrorKind::UnknownCategory => "unknown-category",
            ErrorKind::UnknownAction => "unknown-action",
            ErrorKind::UnknownOwner => "unknown-owner",
            ErrorKind::UnknownProvider => "unknown-provider",
            ErrorKind::UnknownRule => "unknown-rule",
            ErrorKind::UnknownPattern => "unknown-pattern",
            ErrorKind::ImpossibleStatus => "impossible-status",
            ErrorKind::MissingStatement => "missing-statement",
            ErrorKind::ProviderDependentCode => "provider-dependent-code",
            ErrorKind::OutsideStatusBound => "outside-status-bound",
            ErrorKind::FailingExample => "failing-example",
            ErrorKind::Io => "io",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One error in a rule file.
#[derive(Debug, Clone, thiserror::Error)]
pub struct RulesError {
    /// What went wrong.
    pub kind: ErrorKind,
    /// The rule the error belongs to, when there is one.
    pub rule_id: Option<String>,
    /// The message, file, span and source line (pest's error type).
    pub inner: Box<PestError<Rule>>,
    /// A hint such as ``did you mean `text`?``.
    pub help: Option<String>,
}

impl RulesError {
    /// Builds an error at a byte span of `source`; the span is clamped to the text.
    pub(crate) fn at(
        kind: ErrorKind,
        path: &str,
        source: &str,
        (start, end): (usize, usize),
        message: impl Into<String>,
    ) -> RulesError {
        let span = clamp_span(source, start, end);
        let variant = ErrorVariant::CustomError { message: message.into() };
        let inner = PestError::new_from_span(variant, span).with_path(path);
        RulesError { kind, rule_id: None, inner: Box::new(inner), help: None }
    }

    /// An error about a whole file, such as one that cannot be read.
    pub(crate) fn io(path: &str, message: impl Into<String>) -> RulesError {
        RulesError::at(ErrorKind::Io, path, "", (0, 0), message)
    }

    /// Sets the rule the error belongs to.
    #[must_use]
    pub(crate) fn in_rule(mut self, rule_id: Option<&str>) -> RulesError {
        self.rule_id = rule_id.map(str::to_owned);
        self
    }

    /// Adds a hint.
    #[must_use]
    pub(crate) fn with_help(mut self, help: Option<String>) -> RulesError {
        self.help = help;
        self
    }

    /// The message without location.
    #[must_use]
    pub fn message(&self) -> String {
        self.inner.variant.message().into_owned()
    }

    /// The file the error is in.
    #[must_use]
    pub fn path(&self) -> Option<&str> {
        self.inner.path()
    }

    /// The 1-based line and column where the error starts.
    #[must_use]
    pub fn line_col(&self) -> (usize, usize) {
        match self.inner.line_col {
            LineColLocation::Pos(position) | LineColLocation::Span(position, _) => position,
        }
    }
}

fn clamp_span(source: &str, start: usize, end: usize) -> Span<'_> {
    let mut start = start.min(source.len());
    while !source.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = end.clamp(start, source.len());
    while !source.is_char_boundary(end) {
        end += 1;
    }
    Span::new(source, start, end).unwrap_or_else(|| Span::new(source, 0, 0).unwrap_or(empty_span()))
}

fn empty_span() -> Span<'static> {
    // An empty span of an empty string always exists; fall back to it rather than panic.
    match Span::new("", 0, 0) {
        Some(span) => span,
        None => unreachable!("the empty span of the empty string is valid"),
    }
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error[{}]: {}", self.kind, self.message())?;
        let (line, col) = self.line_col();
        let mut pad = " ".to_owned();
        let path = self.path().unwrap_or("<input>");
        if self.kind == ErrorKind::Io {
            write!(f, " --> {path}")?;
        } else {
            let whole_line = self.inner.line().trim_end_matches(['\r', '\n']);
            let number = line.to_string();
            pad = " ".repeat(number.len() + 1);
            let width = match self.inner.line_col {
                LineColLocation::Span((l1, c1), (l2, c2)) if l1 == l2 && c2 > c1 => c2 - c1,
                LineColLocation::Span((_, c1), _) => {
                    whole_line.chars().count().saturating_sub(c1 - 1).max(1)
                }
                LineColLocation::Pos(_) => 1,
            };
            // A long line (a huge literal) is shown as a window around the error.
            let (source_line, col, width) = shown_window(whole_line, col, width);
            writeln!(f, "{pad}--> {path}:{line}:{}", self.line_col().1)?;
            writeln!(f, "{pad}|")?;
            writeln!(f, "{number} | {source_line}")?;
            let lead: String = source_line
                .chars()
                .take(col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "{pad}| {lead}{}", "^".repeat(width))?;
        }
        if let Some(rule_id) = &self.rule_id {
            write!(f, "\n{pad}= in rule `{rule_id}`")?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n{pad}= help: {help}")?;
        }
        Ok(())
    }
}

/// The most characters of a source line an error shows.
const SHOWN_CHARS: usize = 120;

/// The part of `line` an error shows: the whole line when it is short, else [`SHOWN_CHARS`]
/// characters from a little before column `col`, with `…` where it is cut; with the column and
/// caret width within it.
fn shown_window(line: &str, col: usize, width: usize) -> (String, usize, usize) {
    let count = line.chars().count();
    if count <= SHOWN_CHARS {
        return (line.to_owned(), col, width);
    }
    let start = col.saturating_sub(1).saturating_sub(20).min(count);
    let mut shown: String = line.chars().skip(start).take(SHOWN_CHARS).collect();
    let mut col = col - start;
    if start > 0 {
        shown.insert(0, '…');
        col += 1;
    }
    if start + SHOWN_CHARS < count {
        shown.push('…');
    }
    let width = width.min(shown.chars().count().saturating_sub(col - 1)).max(1);
    (shown, col, width)
}

/// Every error found while loading rules, in file order.
#[derive(Debug, Clone, Default, thiserror::Error)]
pub struct RulesErrors {
    /// The errors.
    pub errors: Vec<RulesError>,
}

impl RulesErrors {
    /// Whether there are no errors.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}

impl fmt::Display for RulesErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.errors.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        let count = self.errors.len();
        if count > 1 {
            write!(f, "\n\n{count} errors")?;
        }
        Ok(())
    }
}

/// The closest candidate to `word`, if it is close enough to be a useful hint.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let best = candidates
        .into_iter()
        .map(|candidate| (edit_distance(word, candidate), candidate))
        .min_by_key(|(distance, _)| *distance)?;
    let limit = (word.chars().count() / 3).max(2);
    (best.0 <= limit).then(|| format!("did you mean `{}`?", best.1))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_ascii_lowercase().chars().collect();
    let b: Vec<char> = b.to_ascii_lowercase().chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}
