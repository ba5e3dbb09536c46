//! Named patterns: `pattern NAME = VALUE` definitions and their `$NAME` uses.
//!
//! Patterns are global, like providers: a user file may use a built-in pattern
//! (`text ~ $user-unknown`) and may redefine one, which replaces the built-in definition
//! everywhere. Uses are replaced by the value before validation, so a pattern is accepted
//! wherever its value would be, and a value of the wrong shape is reported at the use.

use std::collections::HashMap;

use super::validate::Validator;
use super::Origin;
use crate::error::{did_you_mean, ErrorKind, RulesError};
use crate::load::for_each_definition;
use crate::syntax::{Expr, Item, SourceFile, Span, Statement, Value};

/// The patterns every file can use, by name.
pub(crate) type Patterns = HashMap<String, Value>;

/// Collects the pattern definitions, user files first (a user definition replaces a built-in
/// one of the same name); a name defined twice within one origin is an error. Regexes are
/// checked at their definition.
pub(crate) fn collect(
    sources: &[(String, String, Origin)],
    parsed: &[(usize, SourceFile)],
    errors: &mut Vec<RulesError>,
) -> Patterns {
    let mut patterns = Patterns::new();
    for_each_definition(
        sources,
        parsed,
        errors,
        |item| match item {
            Item::Pattern(def) => Some((def, def.name.as_str(), def.name_span)),
            _ => None,
        },
        |name| format!("pattern `${name}`"),
        |validator, def| {
            check_definition(validator, &def.value);
            patterns.entry(def.name.clone()).or_insert_with(|| def.value.clone());
        },
    );
    patterns
}

fn check_definition(validator: &mut Validator<'_>, value: &Value) {
    match value {
        Value::Regex(..) => {
            validator.text_pattern(value);
        }
        Value::List(values, _) => values.iter().for_each(|v| check_definition(validator, v)),
        Value::PatternRef(_, span) => validator.error(
            ErrorKind::UnknownPattern,
            *span,
            "a pattern cannot use another pattern".into(),
            Some(
                "write the value itself, or use both patterns in the condition: \
                  `text ~ $a or text ~ $b`"
                    .into(),
            ),
        ),
        Value::Str(..) | Value::Word(..) => {}
    }
}

/// Replaces every `$NAME` in a file's providers and rules by the pattern's value, reporting
/// unknown names.
pub(crate) fn resolve(
    file: &mut SourceFile,
    patterns: &Patterns,
    (path, text): (&str, &str),
    errors: &mut Vec<RulesError>,
) {
    let mut resolver = Resolver { patterns, path, text, errors, rule: None };
    for item in &mut file.items {
        match item {
            Item::Provider(def) => def.fields.iter_mut().for_each(|f| resolver.value(&mut f.value)),
            Item::Rule(def) => {
                resolver.rule = Some(def.id.clone());
                for statement in &mut def.statements {
                    match statement {
                        Statement::When(expr) => resolver.expr(expr),
                        Statement::Setting(field) => resolver.value(&mut field.value),
                        Statement::Example(example) => {
                            let fields = example.fields.iter_mut().chain(&mut example.checks);
                            fields.for_each(|f| resolver.value(&mut f.value));
                        }
                        Statement::Hard(_) => {}
                    }
                }
                resolver.rule = None;
            }
            Item::Pattern(_) | Item::Disable { .. } => {}
        }
    }
}

struct Resolver<'a> {
    patterns: &'a Patterns,
    path: &'a str,
    text: &'a str,
    errors: &'a mut Vec<RulesError>,
    rule: Option<String>,
}

impl Resolver<'_> {
    fn expr(&mut self, expr: &mut Expr) {
        match expr {
            Expr::Or(parts) | Expr::And(parts) => parts.iter_mut().for_each(|p| self.expr(p)),
            Expr::Not(inner) => self.expr(inner),
            Expr::Condition(condition) => {
                if let Some(argument) = &mut condition.argument {
                    self.value(argument);
                }
                self.value(&mut condition.value);
            }
        }
    }

    fn value(&mut self, value: &mut Value) {
        match value {
            Value::List(values, _) => values.iter_mut().for_each(|v| self.value(v)),
            Value::PatternRef(name, span) => {
                let span = *span;
                if let Some(found) = self.patterns.get(name.as_str()) {
                    *value = respan(found, span);
                } else {
                    let hint = did_you_mean(name, self.patterns.keys().map(String::as_str))
                        .map(|hint| hint.replacen('`', "`$", 1))
                        .unwrap_or_else(|| {
                            "define it with `pattern NAME = /regex/` in any rule file".into()
                        });
                    let message = format!("no pattern `${name}` is defined");
                    let error = RulesError::at(
                        ErrorKind::UnknownPattern,
                        self.path,
                        self.text,
                        span,
                        message,
                    )
                    .in_rule(self.rule.as_deref())
                    .with_help(Some(hint));
                    self.errors.push(error);
                }
            }
            Value::Str(..) | Value::Regex(..) | Value::Word(..) => {}
        }
    }
}

/// The pattern's value placed at the use: errors about it point at `$NAME`.
fn respan(value: &Value, span: Span) -> Value {
    match value {
        Value::Str(text, _) => Value::Str(text.clone(), span),
        Value::Regex(pattern, flags, _) => Value::Regex(pattern.clone(), flags.clone(), span),
        Value::Word(text, _) => Value::Word(text.clone(), span),
        Value::List(values, _) => {
            Value::List(values.iter().map(|v| respan(v, span)).collect(), span)
        }
        Value::PatternRef(name, _) => Value::PatternRef(name.clone(), span),
    }
}
