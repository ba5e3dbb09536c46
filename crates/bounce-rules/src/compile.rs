//! The meaning of rule files: validation of the syntax tree into checked rules, the per-reason
//! defaults, the compiled [`RuleSet`](crate::RuleSet) and its inline examples.

pub(crate) mod bounds;
pub(crate) mod condition;
pub(crate) mod defaults;
pub(crate) mod example_check;
pub(crate) mod examples;
pub(crate) mod matcher;
pub(crate) mod named;
pub(crate) mod patterns;
pub(crate) mod ruleset;
pub(crate) mod validate;

use bounce_model::{Action, Category, Kind, Owner, Reason, Stage};

use condition::{DomainPattern, StrMatch, Tree};

/// Where a rule file comes from; user files take precedence over built-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    /// A file given by the user (`--rules PATH`).
    User,
    /// A file embedded in the binary.
    Builtin,
}

impl Origin {
    /// `user` or `builtin`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::User => "user",
            Origin::Builtin => "builtin",
        }
    }
}

/// A checked provider definition.
#[derive(Debug, Clone)]
pub(crate) struct Provider {
    pub(crate) name: String,
    pub(crate) domains: Vec<DomainPattern>,
    pub(crate) mx: Vec<StrMatch>,
    pub(crate) text: Vec<StrMatch>,
}

/// How a rule finds its grouping token.
#[derive(Debug, Clone)]
pub(crate) enum Token {
    /// A fixed token.
    Literal(String),
    /// Capture group 1 (or the whole match) of a regex on the diagnostic.
    Capture(regex::Regex),
}

/// An inline example, checked.
#[derive(Debug, Clone)]
pub(crate) struct CheckedExample {
    pub(crate) text: String,
    pub(crate) span: (usize, usize),
    pub(crate) status: Option<String>,
    pub(crate) reply: Option<String>,
    pub(crate) provider: Option<String>,
    pub(crate) stage: Stage,
    pub(crate) kind: Option<Kind>,
    pub(crate) dsn_action: Option<String>,
    pub(crate) recipient: Option<String>,
    pub(crate) sender: Option<String>,
    pub(crate) remote_mta: Option<String>,
    pub(crate) format: Option<String>,
    /// `vendor "name: value"`: a verdict field the example bounce carries.
    pub(crate) vendor: Option<(String, String)>,
    /// `notice "TEXT"`: the human-readable notice of the example bounce.
    pub(crate) notice: Option<String>,
    /// `diagnostic_type "smtp"`: the Diagnostic-Code type of the example bounce.
    pub(crate) diagnostic_type: Option<String>,
    pub(crate) expect: Reason,
    pub(crate) checks: Vec<(String, String)>,
}

/// A checked rule, ready to be ordered and compiled.
#[derive(Debug, Clone)]
pub(crate) struct CompiledRule {
    pub(crate) id: String,
    pub(crate) doc: String,
    pub(crate) path: String,
    /// `file:line`, formatted once.
    pub(crate) location: String,
    pub(crate) id_span: (usize, usize),
    pub(crate) origin: Origin,
    pub(crate) file_index: usize,
    pub(crate) position: usize,
    pub(crate) providers: Vec<String>,
    pub(crate) priority: i64,
    pub(crate) tree: Tree,
    pub(crate) reason: Reason,
    pub(crate) category: Category,
    pub(crate) action: Action,
    pub(crate) owner: Owner,
    pub(crate) hard: Option<bool>,
    pub(crate) token: Option<Token>,
    pub(crate) fix: String,
    pub(crate) status_inferred: Option<String>,
    pub(crate) examples: Vec<CheckedExample>,
}

impl CompiledRule {
    /// `file:line` of the rule's id.
    pub(crate) fn location(&self) -> String {
        self.location.clone()
    }

    /// The precedence key: user before built-in, provider-scoped before generic, higher
    /// priority first, then file order, then position in the file.
    pub(crate) fn precedence(&self) -> (Origin, bool, i64, usize, usize) {
        (self.origin, self.providers.is_empty(), -self.priority, self.file_index, self.position)
    }
}
