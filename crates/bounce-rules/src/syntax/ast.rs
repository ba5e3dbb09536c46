//! The spanned syntax tree of a rule file. Spans are byte ranges into the file's text; line and
//! column are computed only when an error is printed.

/// A byte range `(start, end)` of the source text.
pub(crate) type Span = (usize, usize);

/// A parsed rule file.
#[derive(Debug, Clone, Default)]
pub(crate) struct SourceFile {
    /// The items in file order.
    pub(crate) items: Vec<Item>,
}

/// A top-level item.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    /// `provider NAME { ... }`.
    Provider(ProviderDef),
    /// `pattern NAME = VALUE`.
    Pattern(PatternDef),
    /// `rule ID { ... }`.
    Rule(RuleDef),
    /// `disable ID`.
    Disable {
        /// The id of the rule to remove.
        id: String,
        /// Where the id is written.
        span: Span,
    },
}

/// A provider definition.
#[derive(Debug, Clone)]
pub(crate) struct ProviderDef {
    /// The `///` documentation, one line per line.
    pub(crate) doc: String,
    /// The provider name.
    pub(crate) name: String,
    /// Where the name is written.
    pub(crate) name_span: Span,
    /// The fields, such as `domains = [...]`.
    pub(crate) fields: Vec<Field>,
}

/// A named pattern definition.
#[derive(Debug, Clone)]
pub(crate) struct PatternDef {
    /// The pattern name (used as `$NAME`).
    pub(crate) name: String,
    /// Where the name is written.
    pub(crate) name_span: Span,
    /// The value it stands for.
    pub(crate) value: Value,
}

/// A `key value` pair: a provider field, a rule setting or an example field.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    /// The key.
    pub(crate) key: String,
    /// Where the key is written.
    pub(crate) key_span: Span,
    /// The value.
    pub(crate) value: Value,
}

/// A rule block.
#[derive(Debug, Clone)]
pub(crate) struct RuleDef {
    /// The `///` documentation.
    pub(crate) doc: String,
    /// The rule id.
    pub(crate) id: String,
    /// Where the id is written.
    pub(crate) id_span: Span,
    /// The statements in order.
    pub(crate) statements: Vec<Statement>,
}

/// A statement of a rule block.
#[derive(Debug, Clone)]
pub(crate) enum Statement {
    /// `when EXPR`.
    When(Expr),
    /// `hard` (true) or `soft` (false).
    Hard(bool),
    /// `KEY VALUE`.
    Setting(Field),
    /// `example ...`.
    Example(Example),
}

/// A boolean expression.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    /// Any of the parts.
    Or(Vec<Expr>),
    /// All of the parts.
    And(Vec<Expr>),
    /// The negation.
    Not(Box<Expr>),
    /// A single test.
    Condition(Condition),
}

/// `FIELD [ARGUMENT] VALUE`.
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    /// The field name, e.g. `status`.
    pub(crate) field: String,
    /// Where the field name is written.
    pub(crate) field_span: Span,
    /// The argument of `header "NAME" ~ VALUE`.
    pub(crate) argument: Option<Value>,
    /// The value to test against.
    pub(crate) value: Value,
}

/// A value as written.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    /// A double-quoted string, unescaped.
    Str(String, Span),
    /// A regex literal: pattern (with `\/` turned into `/`) and flags.
    Regex(String, String, Span),
    /// A bare word.
    Word(String, Span),
    /// A bracketed list.
    List(Vec<Value>, Span),
    /// `$NAME`: a named pattern, replaced by its value before validation.
    PatternRef(String, Span),
}

impl Value {
    /// Where the value is written.
    #[must_use]
    pub(crate) fn span(&self) -> Span {
        match self {
            Value::Str(_, span)
            | Value::Regex(_, _, span)
            | Value::Word(_, span)
            | Value::List(_, span)
            | Value::PatternRef(_, span) => *span,
        }
    }

    /// The text of a string or word.
    #[must_use]
    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Value::Str(text, _) | Value::Word(text, _) => Some(text),
            Value::Regex(..) | Value::List(..) | Value::PatternRef(..) => None,
        }
    }

    /// A short description of the value's shape, for messages.
    #[must_use]
    pub(crate) fn shape(&self) -> &'static str {
        match self {
            Value::Str(..) => "a string",
            Value::Regex(..) => "a regex",
            Value::Word(..) => "a word",
            Value::List(..) => "a list",
            Value::PatternRef(..) => "a named pattern",
        }
    }
}

/// An inline example.
#[derive(Debug, Clone)]
pub(crate) struct Example {
    /// The diagnostic text.
    pub(crate) text: String,
    /// Where the example starts.
    pub(crate) span: Span,
    /// The evidence given with the text (`status 4.2.2`, `provider gmail`).
    pub(crate) fields: Vec<Field>,
    /// The expected reason.
    pub(crate) expect: String,
    /// Where the expected reason is written.
    pub(crate) expect_span: Span,
    /// Further expected outcomes (`token "S3150"`, `category reputation`).
    pub(crate) checks: Vec<Field>,
}
