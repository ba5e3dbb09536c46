//! Validation: turns the syntax tree of one file into checked providers and rules, collecting
//! every error of the file instead of stopping at the first (like pest's `validator.rs`).

use std::collections::BTreeSet;

use bounce_model::{Action, Category, Kind, Owner, Reason, Stage};

use super::condition::{Cond, DomainPattern, ReplyPattern, StatusPattern, StrMatch, Tree};
use super::patterns::{field_hint, parse_status, regex_message, syntax_message};
use super::{CompiledRule, Origin, Provider, Token};
use crate::error::{did_you_mean, ErrorKind, RulesError};
use crate::syntax::{Condition, Expr, Field, ProviderDef, RuleDef, Statement, Value};

/// Enhanced codes whose meaning depends on the provider (taxonomy.md ⚑): built-in rules may
/// test them exactly only when scoped to a provider.
pub(crate) const PROVIDER_DEPENDENT: [&str; 12] = [
    "4.7.23", "5.7.23", "4.7.27", "5.7.27", "4.7.30", "5.7.30", "4.7.40", "5.7.40", "4.1.10",
    "5.1.10", "4.2.1", "5.2.1",
];

/// The condition fields a `when` may test.
pub(crate) const CONDITION_FIELDS: [&str; 16] = [
    "status",
    "reply",
    "text",
    "stage",
    "action",
    "kind",
    "provider",
    "rcpt_domain",
    "sender_domain",
    "format",
    "header",
    "vendor_field",
    "notice",
    "remote_mta",
    "reporting_mta",
    "diagnostic_type",
];

const SETTINGS: [&str; 9] = [
    "reason",
    "category",
    "action",
    "owner",
    "provider",
    "priority",
    "token",
    "fix",
    "status_inferred",
];
pub(crate) const EXAMPLE_FIELDS: [&str; 13] = [
    "status",
    "reply",
    "provider",
    "stage",
    "kind",
    "action",
    "rcpt",
    "sender",
    "remote_mta",
    "format",
    "vendor",
    "notice",
    "diagnostic_type",
];
pub(crate) const EXAMPLE_CHECKS: [&str; 7] =
    ["token", "category", "action", "owner", "status_inferred", "rule", "hard"];
const PROVIDER_FIELDS: [&str; 3] = ["domains", "mx", "text"];
pub(crate) const DSN_ACTIONS: [&str; 5] = ["failed", "delayed", "delivered", "relayed", "expanded"];

/// The compiled size limit of one regex.
pub(crate) const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// The validation state of one file.
pub(crate) struct Validator<'a> {
    pub(crate) path: &'a str,
    pub(crate) text: &'a str,
    pub(crate) origin: Origin,
    pub(crate) providers: &'a BTreeSet<String>,
    pub(crate) errors: Vec<RulesError>,
    /// Findings that do not stop a user's file from loading.
    pub(crate) warnings: Vec<RulesError>,
    rule_id: Option<String>,
    /// An offset of `text` and its 1-based line, where the last line lookup ended: items are
    /// validated in file order, so each lookup counts only the lines since the one before
    /// (counting from the start each time made loading quadratic in the number of rules).
    line_cursor: (usize, usize),
}

impl<'a> Validator<'a> {
    pub(crate) fn new(
        path: &'a str,
        text: &'a str,
        origin: Origin,
        providers: &'a BTreeSet<String>,
    ) -> Self {
        Validator {
            path,
            text,
            origin,
            providers,
            errors: Vec::new(),
            warnings: Vec::new(),
            rule_id: None,
            line_cursor: (0, 1),
        }
    }

    /// The 1-based line of `offset` in the file.
    pub(crate) fn line_at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        let (from, line) = self.line_cursor;
        let (from, line) = if offset < from { (0, 1) } else { (from, line) };
        let newlines = self.text.as_bytes()[from..offset].iter().filter(|&&b| b == b'\n').count();
        self.line_cursor = (offset, line + newlines);
        line + newlines
    }

    pub(crate) fn error(
        &mut self,
        kind: ErrorKind,
        span: (usize, usize),
        message: String,
        help: Option<String>,
    ) {
        let error = RulesError::at(kind, self.path, self.text, span, message)
            .in_rule(self.rule_id.as_deref())
            .with_help(help);
        self.errors.push(error);
    }

    /// Checks a provider definition.
    pub(crate) fn provider(&mut self, def: &ProviderDef) -> Option<Provider> {
        let mut provider = Provider {
            name: def.name.clone(),
            domains: Vec::new(),
            mx: Vec::new(),
            text: Vec::new(),
        };
        for field in &def.fields {
            let values: Vec<&Value> = match &field.value {
                Value::List(values, _) => values.iter().collect(),
                other => vec![other],
            };
            for value in values {
                match field.key.as_str() {
                    "domains" => provider.domains.extend(self.domain_pattern(value)),
                    "mx" => provider.mx.extend(self.str_match(value, false)),
                    "text" => provider.text.extend(self.str_match(value, false)),
                    _ => {}
                }
            }
            if !PROVIDER_FIELDS.contains(&field.key.as_str()) {
                let help = did_you_mean(&field.key, PROVIDER_FIELDS);
                let message = format!("unknown provider field `{}`", field.key);
                self.error(ErrorKind::UnknownField, field.key_span, message, help);
            }
        }
        Some(provider)
    }

    /// Checks a rule block; `None` when it has errors.
    pub(crate) fn rule(
        &mut self,
        def: &RuleDef,
        file_index: usize,
        position: usize,
    ) -> Option<CompiledRule> {
        self.rule_id = Some(def.id.clone());
        let before = self.errors.len();
        let line = self.line_at(def.id_span.0);
        let mut rule = CompiledRule {
            id: def.id.clone(),
            doc: def.doc.clone(),
            path: self.path.to_owned(),
            location: format!("{}:{line}", self.path),
            id_span: def.id_span,
            origin: self.origin,
            file_index,
            position,
            providers: Vec::new(),
            priority: 0,
            tree: Tree::And(Vec::new()),
            reason: Reason::Undefined,
            category: Category::Unknown,
            action: Action::Review,
            owner: Owner::Unknown,
            hard: None,
            token: None,
            fix: String::new(),
            status_inferred: None,
            examples: Vec::new(),
        };
        let (mut when, mut reason) = (None, None);
        let (mut category, mut action, mut owner) = (None, None, None);
        let mut seen = BTreeSet::new();
        let mut examples = Vec::new();
        for statement in &def.statements {
            match statement {
                Statement::When(expr) => {
                    if when.is_some() {
                        let span = def.id_span;
                        self.error(
                            ErrorKind::BadValue,
                            span,
                            "a rule has one `when`".into(),
                            Some("join conditions with `and` or `or`".into()),
                        );
                    }
                    when = Some(self.expr(expr));
                }
                Statement::Hard(hard) => rule.hard = Some(*hard),
                Statement::Example(example) => examples.push(example),
                Statement::Setting(field) => {
                    if !seen.insert(field.key.clone()) && SETTINGS.contains(&field.key.as_str()) {
                        let message = format!("`{}` is set twice", field.key);
                        self.error(ErrorKind::BadValue, field.key_span, message, None);
                    }
                    match field.key.as_str() {
                        "reason" => {
                            reason = self.named(
                                field,
                                ErrorKind::UnknownReason,
                                "reason",
                                Reason::ALL,
                                Reason::from_name,
                                Reason::as_str,
                            )
                        }
                        "category" => {
                            category = self.named(
                                field,
                                ErrorKind::UnknownCategory,
                                "category",
                                Category::ALL,
                                Category::from_name,
                                Category::as_str,
                            )
                        }
                        "action" => {
                            action = self.named(
                                field,
                                ErrorKind::UnknownAction,
                                "action",
                                Action::ALL,
                                Action::from_name,
                                Action::as_str,
                            )
                        }
                        "owner" => {
                            owner = self.named(
                                field,
                                ErrorKind::UnknownOwner,
                                "owner",
                                Owner::ALL,
                                Owner::from_name,
                                Owner::as_str,
                            )
                        }
                        "provider" => rule.providers = self.provider_names(&field.value),
                        "priority" => rule.priority = self.integer(&field.value),
                        "token" => rule.token = self.token(&field.value),
                        "fix" => rule.fix = field.value.text().unwrap_or_default().to_owned(),
                        "status_inferred" => {
                            rule.status_inferred = self.exact_status(&field.value);
                        }
                        other => {
                            let help = did_you_mean(
                                other,
                                SETTINGS.iter().chain(&CONDITION_FIELDS).copied(),
                            );
                            let message = format!("unknown setting `{other}`");
                            self.error(ErrorKind::UnknownField, field.key_span, message, help);
                        }
                    }
                }
            }
        }
        match when {
            Some(tree) => rule.tree = tree,
            None => self.error(
                ErrorKind::MissingStatement,
                def.id_span,
                "rule has no `when` condition".into(),
                None,
            ),
        }
        match reason {
            Some(reason) => rule.reason = reason,
            None if seen.contains("reason") => {}
            None => self.error(
                ErrorKind::MissingStatement,
                def.id_span,
                "rule has no `reason`".into(),
                None,
            ),
        }
        let (default_category, default_action, default_owner) =
            super::defaults::outcome(rule.reason);
        rule.category = category.unwrap_or(default_category);
        rule.action = action.unwrap_or(default_action);
        rule.owner = owner.unwrap_or(default_owner);
        if self.origin == Origin::Builtin && rule.providers.is_empty() {
            self.check_provider_dependent(&rule.tree.clone());
        }
        // Provider rules read the provider's own codes (Gmail's 4.7.23, Microsoft's
        // 5.7.504), which need not follow the registry.
        if rule.providers.is_empty() {
            self.check_status_bound(&rule.tree.clone(), rule.reason);
        }
        for example in examples {
            if let Some(example) = self.example(example) {
                rule.examples.push(example);
            }
        }
        self.rule_id = None;
        (self.errors.len() == before).then_some(rule)
    }

    fn check_provider_dependent(&mut self, tree: &Tree) {
        let mut found = Vec::new();
        tree.for_each_cond(&mut |cond| {
            if let Cond::Status(pattern) = cond {
                let code =
                    pattern.0.map(|part| part.map_or("*".to_owned(), |n| n.to_string())).join(".");
                if pattern.is_exact() && PROVIDER_DEPENDENT.contains(&code.as_str()) {
                    found.push(code);
                }
            }
        });
        for code in found {
            let span = self.rule_id_span();
            let message = format!("`{code}` means different things at different providers");
            let help = Some("scope the rule with `provider NAME`, or test the text instead".into());
            self.error(ErrorKind::ProviderDependentCode, span, message, help);
        }
    }

    /// A reason outside what a status pattern of the rule allows (the registry of enhanced
    /// status codes): `status 5.7.1 ... reason userunknown` cannot be right. Patterns under
    /// `not` are skipped. Built-in rules: an error; user rules: a warning.
    fn check_status_bound(&mut self, tree: &Tree, reason: bounce_model::Reason) {
        let mut outside = Vec::new();
        positive_statuses(tree, &mut |pattern| {
            let [_, Some(subject), detail] = pattern.0 else { return };
            if !crate::registry::allows(subject, detail, reason) {
                let code =
                    pattern.0.map(|part| part.map_or("*".to_owned(), |n| n.to_string())).join(".");
                outside.push(code);
            }
        });
        for code in outside {
            let span = self.rule_id_span();
            let message = format!("reason `{reason}` is outside what status `{code}` allows");
            let help = Some(
                "the registry of enhanced status codes (crates/bounce-rules/data) lists the reasons of each code; drop the status condition or change the reason".into(),
            );
            if self.origin == Origin::Builtin {
                self.error(ErrorKind::OutsideStatusBound, span, message, help);
            } else {
                let warning = RulesError::at(
                    ErrorKind::OutsideStatusBound,
                    self.path,
                    self.text,
                    span,
                    message,
                )
                .in_rule(self.rule_id.as_deref())
                .with_help(help);
                self.warnings.push(warning);
            }
        }
    }

    fn rule_id_span(&self) -> (usize, usize) {
        let id = self.rule_id.as_deref().unwrap_or_default();
        self.text.find(id).map_or((0, 0), |start| (start, start + id.len()))
    }

    pub(crate) fn named<T: Copy>(
        &mut self,
        field: &Field,
        kind: ErrorKind,
        what: &str,
        all: &[T],
        parse: fn(&str) -> Option<T>,
        name: fn(T) -> &'static str,
    ) -> Option<T> {
        let Some(text) = field.value.text() else {
            let message = format!("expected a {what} name, found {}", field.value.shape());
            self.error(ErrorKind::BadValue, field.value.span(), message, None);
            return None;
        };
        let parsed = parse(text);
        if parsed.is_none() {
            let help = did_you_mean(text, all.iter().map(|value| name(*value)));
            self.error(kind, field.value.span(), format!("unknown {what} `{text}`"), help);
        }
        parsed
    }

    fn provider_names(&mut self, value: &Value) -> Vec<String> {
        let values: Vec<&Value> = match value {
            Value::List(values, _) => values.iter().collect(),
            other => vec![other],
        };
        values.into_iter().filter_map(|value| self.provider_name(value)).collect()
    }

    pub(crate) fn provider_name(&mut self, value: &Value) -> Option<String> {
        let Some(name) = value.text() else {
            let message = format!("expected a provider name, found {}", value.shape());
            self.error(ErrorKind::BadValue, value.span(), message, None);
            return None;
        };
        if self.providers.contains(name) {
            return Some(name.to_owned());
        }
        let help = did_you_mean(name, self.providers.iter().map(String::as_str));
        self.error(
            ErrorKind::UnknownProvider,
            value.span(),
            format!("unknown provider `{name}`"),
            help,
        );
        None
    }

    fn integer(&mut self, value: &Value) -> i64 {
        match value.text().and_then(|text| text.parse::<i64>().ok()) {
            Some(number) if number.abs() <= 1_000_000 => number,
            _ => {
                let message = "expected a whole number between -1000000 and 1000000".into();
                self.error(ErrorKind::BadValue, value.span(), message, None);
                0
            }
        }
    }

    /// Compiles a case-insensitive regex of a rule file, reporting a bad one at its span.
    fn compile_regex(
        &mut self,
        pattern: &str,
        flags: &str,
        span: (usize, usize),
    ) -> Option<regex::Regex> {
        let source = self.regex_source(pattern, flags, span)?;
        match regex::RegexBuilder::new(&source)
            .case_insensitive(true)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
        {
            Ok(regex) => Some(regex),
            Err(error) => {
                self.error(ErrorKind::BadRegex, span, regex_message(&error), None);
                None
            }
        }
    }

    fn token(&mut self, value: &Value) -> Option<Token> {
        match value {
            Value::Regex(pattern, flags, span) => {
                self.compile_regex(pattern, flags, *span).map(Token::Capture)
            }
            Value::Str(text, _) | Value::Word(text, _) => Some(Token::Literal(text.clone())),
            Value::PatternRef(..) => None,
            Value::List(_, span) => {
                self.error(ErrorKind::BadValue, *span, "expected a string or a regex".into(), None);
                None
            }
        }
    }

    /// The regex source for flags `imsx`; other flags are errors.
    fn regex_source(&mut self, pattern: &str, flags: &str, span: (usize, usize)) -> Option<String> {
        if let Some(flag) = flags.chars().find(|c| !"imsx".contains(*c)) {
            let message = format!("unknown regex flag `{flag}`");
            self.error(
                ErrorKind::BadRegex,
                span,
                message,
                Some("the flags are `i`, `m`, `s` and `x`".into()),
            );
            return None;
        }
        Some(if flags.is_empty() { pattern.to_owned() } else { format!("(?{flags}){pattern}") })
    }

    /// A text pattern for the rule set's matcher: literals are escaped, regexes checked.
    pub(crate) fn text_pattern(&mut self, value: &Value) -> Option<String> {
        let source = match value {
            Value::Str(text, _) => regex::escape(text),
            Value::Regex(pattern, flags, span) => self.regex_source(pattern, flags, *span)?,
            other => {
                let message = format!("expected a string or a /regex/, found {}", other.shape());
                self.error(ErrorKind::BadValue, other.span(), message, None);
                return None;
            }
        };
        // Parsed here to report a bad pattern at its span; compiled once, by the matcher.
        // Case folding changes no verdict on the syntax and costs start-up time: left out.
        let parsed =
            regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(&source);
        match parsed {
            Ok(_) => Some(source),
            Err(error) => {
                self.error(ErrorKind::BadRegex, value.span(), syntax_message(&error), None);
                None
            }
        }
    }

    fn str_match(&mut self, value: &Value, exact_words: bool) -> Option<StrMatch> {
        match value {
            Value::Word(text, _) if exact_words => Some(StrMatch::Exact(text.clone())),
            Value::Str(text, _) | Value::Word(text, _) => {
                Some(StrMatch::Contains(text.to_ascii_lowercase()))
            }
            Value::Regex(pattern, flags, span) => {
                self.compile_regex(pattern, flags, *span).map(StrMatch::Regex)
            }
            Value::List(_, span) | Value::PatternRef(_, span) => {
                self.error(
                    ErrorKind::BadValue,
                    *span,
                    "expected a string, a word or a regex".into(),
                    None,
                );
                None
            }
        }
    }

    fn domain_pattern(&mut self, value: &Value) -> Option<DomainPattern> {
        if let Some(text) = value.text() {
            let text = text.trim().to_ascii_lowercase();
            if let Some(suffix) = text.strip_prefix("*.") {
                if !suffix.is_empty() && !suffix.contains('*') {
                    return Some(DomainPattern::Suffix(format!(".{suffix}")));
                }
            } else if !text.is_empty() && !text.contains('*') {
                return Some(DomainPattern::Exact(text));
            }
            let help = Some("write `example.com` or `*.example.com`".into());
            self.error(
                ErrorKind::BadValue,
                value.span(),
                format!("bad domain pattern `{text}`"),
                help,
            );
            return None;
        }
        match self.str_match(value, false)? {
            StrMatch::Regex(regex) => Some(DomainPattern::Regex(regex)),
            _ => None,
        }
    }

    fn expr(&mut self, expr: &Expr) -> Tree {
        match expr {
            Expr::Or(parts) => Tree::Or(parts.iter().map(|part| self.expr(part)).collect()),
            Expr::And(parts) => Tree::And(parts.iter().map(|part| self.expr(part)).collect()),
            Expr::Not(inner) => Tree::Not(Box::new(self.expr(inner))),
            Expr::Condition(condition) => {
                self.condition(condition).map_or(Tree::And(Vec::new()), Tree::Leaf)
            }
        }
    }

    fn condition(&mut self, condition: &Condition) -> Option<Cond> {
        let unresolved = |value: &Value| matches!(value, Value::PatternRef(..));
        if unresolved(&condition.value) || condition.argument.as_ref().is_some_and(unresolved) {
            // An unknown `$NAME`, already reported where the patterns were resolved.
            return None;
        }
        let field = condition.field.as_str();
        if field == "header" || field == "vendor_field" {
            let Some(name) = condition.argument.as_ref().and_then(Value::text) else {
                let message = format!("expected `{field} \"NAME\" ~ VALUE`");
                self.error(ErrorKind::BadValue, condition.field_span, message, None);
                return None;
            };
            let name = name.to_ascii_lowercase();
            let test = self.str_match(&condition.value, false)?;
            return Some(if field == "header" {
                Cond::Header(name, test)
            } else {
                Cond::VendorField(name, test)
            });
        }
        if let Some(argument) = &condition.argument {
            if CONDITION_FIELDS.contains(&field) {
                let message = format!("`{field}` takes one value");
                self.error(ErrorKind::BadValue, argument.span(), message, None);
                return None;
            }
        }
        let value = &condition.value;
        let cond = match field {
            "status" => Cond::Status(self.status_pattern(value)?),
            "reply" => Cond::Reply(self.reply_pattern(value)?),
            "text" => {
                let literal = match value {
                    Value::Str(text, _) => Some(text.clone()),
                    _ => None,
                };
                Cond::Text { source: self.text_pattern(value)?, literal, index: 0 }
            }
            "stage" => Cond::Stage(self.named_choice(
                value,
                "stage",
                Stage::ALL,
                Stage::as_str,
                Stage::from_name,
            )?),
            "action" => Cond::DsnAction(
                self.choice(value, "dsn action", &DSN_ACTIONS, |s| Some(s.to_owned()))?,
            ),
            "kind" => Cond::Kind(self.named_choice(
                value,
                "kind",
                Kind::ALL,
                Kind::as_str,
                Kind::from_name,
            )?),
            "provider" => Cond::Provider(self.provider_name(value)?),
            "rcpt_domain" => Cond::RcptDomain(self.domain_pattern(value)?),
            "sender_domain" => Cond::SenderDomain(self.domain_pattern(value)?),
            "format" => Cond::Format(self.str_match(value, true)?),
            "remote_mta" => Cond::RemoteMta(self.str_match(value, false)?),
            "reporting_mta" => Cond::ReportingMta(self.str_match(value, false)?),
            "notice" => Cond::Notice(self.str_match(value, false)?),
            "diagnostic_type" => Cond::DiagnosticType(self.str_match(value, true)?),
            other => {
                let help = field_hint(other).or_else(|| did_you_mean(other, CONDITION_FIELDS));
                let message = format!("unknown field `{other}`");
                self.error(ErrorKind::UnknownField, condition.field_span, message, help);
                return None;
            }
        };
        Some(cond)
    }

    /// [`Self::choice`] over the name table of a model enum (`ALL`, `as_str`, `from_name`).
    pub(crate) fn named_choice<T: Copy, const N: usize>(
        &mut self,
        value: &Value,
        what: &str,
        all: &[T; N],
        as_str: fn(T) -> &'static str,
        from_name: fn(&str) -> Option<T>,
    ) -> Option<T> {
        self.choice(value, what, &all.map(as_str), from_name)
    }

    pub(crate) fn choice<T>(
        &mut self,
        value: &Value,
        what: &str,
        names: &[&str],
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let help = Some(format!("expected one of: {}", names.join(", ")));
        let Some(text) = value.text().map(str::to_ascii_lowercase) else {
            let message = format!("expected a {what} name, found {}", value.shape());
            self.error(ErrorKind::BadValue, value.span(), message, help);
            return None;
        };
        let parsed = names.contains(&text.as_str()).then(|| parse(&text)).flatten();
        if parsed.is_none() {
            self.error(ErrorKind::BadValue, value.span(), format!("unknown {what} `{text}`"), help);
        }
        parsed
    }

    fn status_pattern(&mut self, value: &Value) -> Option<StatusPattern> {
        let text = value.text().unwrap_or_default();
        match parse_status(text) {
            Ok(pattern) => Some(pattern),
            Err((message, help)) => {
                self.error(ErrorKind::ImpossibleStatus, value.span(), message, help);
                None
            }
        }
    }

    pub(crate) fn exact_status(&mut self, value: &Value) -> Option<String> {
        let pattern = self.status_pattern(value)?;
        if pattern.is_exact() {
            return Some(value.text().unwrap_or_default().to_owned());
        }
        let message = "`status_inferred` must be a full code such as `5.1.1`".into();
        self.error(ErrorKind::ImpossibleStatus, value.span(), message, None);
        None
    }

    pub(crate) fn reply_pattern(&mut self, value: &Value) -> Option<ReplyPattern> {
        let text = value.text().unwrap_or_default();
        let bytes = text.as_bytes();
        let mut parts = [None; 3];
        let valid = bytes.len() == 3
            && (b'2'..=b'5').contains(&bytes[0])
            && bytes.iter().zip(&mut parts).all(|(byte, part)| match byte {
                b'0'..=b'9' => {
                    *part = Some(byte - b'0');
                    true
                }
                b'x' | b'X' | b'*' => true,
                _ => false,
            });
        if valid {
            return Some(ReplyPattern(parts));
        }
        let help = if text.contains('.') {
            Some("enhanced codes such as `5.7.1` are tested with `status`".into())
        } else {
            Some("reply codes look like `550`, `55x` or `5xx` (first digit 2 to 5)".into())
        };
        self.error(
            ErrorKind::ImpossibleStatus,
            value.span(),
            format!("impossible reply code `{text}`"),
            help,
        );
        None
    }
}

/// Calls `visit` on every status pattern that must match for the tree to match (not under
/// `not`).
fn positive_statuses(tree: &Tree, visit: &mut impl FnMut(&super::condition::StatusPattern)) {
    match tree {
        Tree::Or(parts) | Tree::And(parts) => {
            parts.iter().for_each(|part| positive_statuses(part, visit));
        }
        Tree::Not(_) => {}
        Tree::Leaf(Cond::Status(pattern)) => visit(pattern),
        Tree::Leaf(_) => {}
    }
}
