//! From text to the spanned AST: runs the pest parser and walks its pairs.

use pest::iterators::Pair;
use pest::Parser;

use super::ast::{
    Condition, Example, Expr, Field, Item, PatternDef, ProviderDef, RuleDef, SourceFile, Statement,
    Value,
};
use crate::error::{ErrorKind, RulesError};

mod generated {
    #![allow(missing_docs, unreachable_pub)]
    //! The parser pest derives from `grammar.pest`.

    /// The pest parser of rule files.
    #[derive(pest_derive::Parser)]
    #[grammar = "syntax/grammar.pest"]
    pub struct RulesParser;
}

pub use generated::Rule;
use generated::RulesParser;

/// The deepest nesting of parentheses and list brackets, counted together, a file may use:
/// deeper input is refused with an error at the first bracket too deep, before pest's
/// recursive descent (and the AST walks after it) could overflow the stack.
pub(crate) const MAX_NESTING: usize = 64;

/// Parses one rule file. Syntax errors stop at the first one, as pest does.
///
/// # Errors
/// A syntax error, rendered with readable symbol names.
pub(crate) fn parse_file(
    path: &str,
    text: &str,
    max_literal_bytes: usize,
) -> Result<SourceFile, RulesError> {
    if let Some(problem) = prescan(text, max_literal_bytes) {
        let (span, message) = match problem {
            Prescan::TooDeep(offset) => (
                (offset, offset + 1),
                format!("parentheses and brackets nest deeper than {MAX_NESTING} levels"),
            ),
            Prescan::LongLiteral(offset) => (
                (offset, offset + 1),
                format!(
                    "a string or regex longer than {max_literal_bytes} bytes (raise the limit \
                     with --max-rule-literal BYTES)"
                ),
            ),
        };
        return Err(RulesError::at(ErrorKind::Syntax, path, text, span, message));
    }
    let pairs = RulesParser::parse(Rule::file, text).map_err(|error| {
        let error = error.renamed_rules(rule_name).with_path(path);
        RulesError { kind: ErrorKind::Syntax, rule_id: None, inner: Box::new(error), help: None }
    })?;
    let mut file = SourceFile::default();
    for pair in pairs.flatten() {
        match pair.as_rule() {
            Rule::provider_def => file.items.push(Item::Provider(provider(pair))),
            Rule::pattern_def => file.items.extend(pattern(pair).map(Item::Pattern)),
            Rule::rule_def => file.items.push(Item::Rule(rule(pair))),
            Rule::disable_def => {
                if let Some(id) = pair.into_inner().find(|p| p.as_rule() == Rule::rule_id) {
                    file.items.push(Item::Disable { id: id.as_str().to_owned(), span: span(&id) });
                }
            }
            _ => {}
        }
    }
    Ok(file)
}

/// What the scan before parsing refuses, at a byte offset.
enum Prescan {
    /// The first `(` or `[` nested deeper than [`MAX_NESTING`].
    TooDeep(usize),
    /// The start of the first string or regex literal longer than the cap.
    LongLiteral(usize),
}

/// Finds the first bracket nested too deep or literal too long, skipping strings, regex
/// literals and comments (what they hold is not structure): such input is refused before
/// pest's recursive descent (and the AST walks after it) could overflow the stack, and
/// before a huge literal is copied, compiled and echoed.
fn prescan(text: &str, max_literal_bytes: usize) -> Option<Prescan> {
    let bytes = text.as_bytes();
    // Skips a literal opened at `index` and closed by `close` (or cut by a line end), honouring
    // backslash escapes; returns the offset of its last byte.
    let skip_literal = |mut index: usize, close: u8| {
        index += 1;
        while index < bytes.len() && bytes[index] != close && bytes[index] != b'\n' {
            index += if bytes[index] == b'\\' { 2 } else { 1 };
        }
        index
    };
    let (mut depth, mut index) = (0usize, 0usize);
    while index < bytes.len() {
        match bytes[index] {
            quote @ (b'"' | b'/') if quote == b'"' || bytes.get(index + 1) != Some(&b'/') => {
                let end = skip_literal(index, quote);
                if end - index > max_literal_bytes.saturating_add(1) {
                    return Some(Prescan::LongLiteral(index));
                }
                index = end;
            }
            b'/' => {
                while index < bytes.len() && bytes[index] != b'\n' {
                    index += 1;
                }
            }
            b'(' | b'[' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(Prescan::TooDeep(index));
                }
            }
            b')' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        index += 1;
    }
    None
}

fn rule_name(rule: &Rule) -> String {
    let name = match rule {
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::lbrack => "`[`",
        Rule::rbrack => "`]`",
        Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::comma => "`,`",
        Rule::assign => "`=`",
        Rule::arrow => "`=>`",
        Rule::match_op => "`~`",
        Rule::EOI => "end of file",
        Rule::provider_def | Rule::kw_provider => "`provider`",
        Rule::rule_def | Rule::kw_rule => "`rule`",
        Rule::pattern_def | Rule::kw_pattern => "`pattern`",
        Rule::pattern_ref => "a `$pattern`",
        Rule::disable_def | Rule::kw_disable => "`disable`",
        Rule::when_stmt | Rule::kw_when => "`when`",
        Rule::example_stmt | Rule::kw_example => "`example`",
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::kw_not | Rule::negation => "`not`",
        Rule::flag_stmt => "`hard` or `soft`",
        Rule::setting => "a setting",
        Rule::condition | Rule::unary | Rule::and_expr | Rule::expr => "a condition",
        Rule::value => "a value",
        Rule::string => "a string",
        Rule::regex => "a regex",
        Rule::word => "a word",
        Rule::list => "a list",
        Rule::key => "a field name",
        Rule::rule_id => "a rule id",
        Rule::name => "a name",
        Rule::doc_line | Rule::docs => "`///` documentation",
        Rule::example_field => "example evidence",
        Rule::example_checks => "`(` with expected outcomes",
        other => return format!("{other:?}"),
    };
    name.to_owned()
}

fn span(pair: &Pair<'_, Rule>) -> (usize, usize) {
    let span = pair.as_span();
    (span.start(), span.end())
}

fn docs(pair: Pair<'_, Rule>) -> String {
    let lines: Vec<&str> = pair
        .into_inner()
        .map(|line| {
            let text = line.as_str().trim_start_matches('/');
            text.strip_prefix(' ').unwrap_or(text).trim_end()
        })
        .collect();
    lines.join("\n")
}

fn provider(pair: Pair<'_, Rule>) -> ProviderDef {
    let mut def = ProviderDef {
        doc: String::new(),
        name: String::new(),
        name_span: (0, 0),
        fields: Vec::new(),
    };
    for inner in pair.into_inner() {
        match inner.as_rule() {
            Rule::docs => def.doc = docs(inner),
            Rule::name => {
                def.name_span = span(&inner);
                def.name = inner.as_str().to_owned();
            }
            Rule::provider_field => def.fields.extend(field(inner)),
            _ => {}
        }
    }
    def
}

fn pattern(pair: Pair<'_, Rule>) -> Option<PatternDef> {
    let mut name = None;
    let mut value = None;
    for inner in pair.into_inner() {
        match inner.as_rule() {
            Rule::name => name = Some((inner.as_str().to_owned(), span(&inner))),
            Rule::value => value = Some(value_of(inner)),
            _ => {}
        }
    }
    let (name, name_span) = name?;
    Some(PatternDef { name, name_span, value: value? })
}

fn rule(pair: Pair<'_, Rule>) -> RuleDef {
    let mut def =
        RuleDef { doc: String::new(), id: String::new(), id_span: (0, 0), statements: Vec::new() };
    for inner in pair.into_inner() {
        match inner.as_rule() {
            Rule::docs => def.doc = docs(inner),
            Rule::rule_id => {
                def.id_span = span(&inner);
                def.id = inner.as_str().to_owned();
            }
            Rule::when_stmt => {
                if let Some(expr) = inner.into_inner().find(|p| p.as_rule() == Rule::expr) {
                    def.statements.push(Statement::When(expression(expr)));
                }
            }
            Rule::flag_stmt => def.statements.push(Statement::Hard(inner.as_str() == "hard")),
            Rule::setting => def.statements.extend(field(inner).map(Statement::Setting)),
            Rule::example_stmt => def.statements.push(Statement::Example(example(inner))),
            _ => {}
        }
    }
    def
}

/// A `key value` pair (provider field, setting or example field).
fn field(pair: Pair<'_, Rule>) -> Option<Field> {
    let mut key = None;
    let mut value = None;
    for inner in pair.into_inner() {
        match inner.as_rule() {
            Rule::key => key = Some((inner.as_str().to_owned(), span(&inner))),
            Rule::value | Rule::string | Rule::word | Rule::regex | Rule::list => {
                value = Some(value_of(inner))
            }
            _ => {}
        }
    }
    let (key, key_span) = key?;
    Some(Field { key, key_span, value: value? })
}

fn value_of(pair: Pair<'_, Rule>) -> Value {
    let whole = span(&pair);
    match pair.as_rule() {
        Rule::value => match pair.into_inner().next() {
            Some(inner) => value_of(inner),
            None => Value::Word(String::new(), whole),
        },
        Rule::string => Value::Str(unescape(pair.into_inner().as_str()), whole),
        Rule::regex => {
            let mut pattern = String::new();
            let mut flags = String::new();
            for inner in pair.into_inner() {
                match inner.as_rule() {
                    Rule::regex_inner => pattern = inner.as_str().replace("\\/", "/"),
                    Rule::regex_flags => inner.as_str().clone_into(&mut flags),
                    _ => {}
                }
            }
            Value::Regex(pattern, flags, whole)
        }
        Rule::pattern_ref => Value::PatternRef(pair.as_str()[1..].to_owned(), whole),
        Rule::list => Value::List(
            pair.into_inner().filter(|p| p.as_rule() == Rule::value).map(value_of).collect(),
            whole,
        ),
        _ => Value::Word(pair.as_str().to_owned(), whole),
    }
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn expression(pair: Pair<'_, Rule>) -> Expr {
    match pair.as_rule() {
        Rule::expr | Rule::and_expr => {
            let is_or = pair.as_rule() == Rule::expr;
            let mut parts: Vec<Expr> = pair
                .into_inner()
                .filter(|p| matches!(p.as_rule(), Rule::and_expr | Rule::unary))
                .map(expression)
                .collect();
            if parts.len() == 1 {
                parts.pop().unwrap_or(Expr::And(Vec::new()))
            } else if is_or {
                Expr::Or(parts)
            } else {
                Expr::And(parts)
            }
        }
        Rule::unary => {
            let mut negations = 0;
            let mut inner_expr = Expr::And(Vec::new());
            for inner in pair.into_inner() {
                match inner.as_rule() {
                    Rule::negation => negations += 1,
                    Rule::expr => inner_expr = expression(inner),
                    Rule::condition => inner_expr = Expr::Condition(condition(inner)),
                    _ => {}
                }
            }
            // `not not x` is `x`: fold the chain so long chains cannot nest deeply.
            if negations % 2 == 1 {
                inner_expr = Expr::Not(Box::new(inner_expr));
            }
            inner_expr
        }
        Rule::condition => Expr::Condition(condition(pair)),
        _ => Expr::And(Vec::new()),
    }
}

fn condition(pair: Pair<'_, Rule>) -> Condition {
    let mut field = (String::new(), (0, 0));
    let mut values = Vec::new();
    for inner in pair.into_inner() {
        match inner.as_rule() {
            Rule::key => field = (inner.as_str().to_owned(), span(&inner)),
            Rule::value => values.push(value_of(inner)),
            _ => {}
        }
    }
    let value = values.pop().unwrap_or(Value::Word(String::new(), field.1));
    Condition { field: field.0, field_span: field.1, argument: values.pop(), value }
}

fn example(pair: Pair<'_, Rule>) -> Example {
    let mut example = Example {
        text: String::new(),
        span: span(&pair),
        fields: Vec::new(),
        expect: String::new(),
        expect_span: (0, 0),
        checks: Vec::new(),
    };
    for inner in pair.into_inner() {
        match inner.as_rule() {
            Rule::string => {
                example.span = span(&inner);
                example.text = unescape(inner.into_inner().as_str());
            }
            Rule::example_field => example.fields.extend(field(inner)),
            Rule::word => {
                example.expect_span = span(&inner);
                inner.as_str().clone_into(&mut example.expect);
            }
            Rule::example_checks => {
                example.checks.extend(inner.into_inner().filter_map(|p| {
                    (p.as_rule() == Rule::example_field).then(|| field(p)).flatten()
                }));
            }
            _ => {}
        }
    }
    example
}
