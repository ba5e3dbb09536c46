//! Validation of inline examples: the evidence fields, the expected reason and the extra
//! outcome checks of each `example` line.

use bounce_model::{Action, Category, Kind, Owner, Reason, Stage};

use super::validate::{Validator, DSN_ACTIONS, EXAMPLE_CHECKS, EXAMPLE_FIELDS};
use super::CheckedExample;
use crate::error::{did_you_mean, ErrorKind};
use crate::syntax::Example;

impl Validator<'_> {
    /// Checks an example; `None` when it has errors.
    pub(crate) fn example(&mut self, example: &Example) -> Option<CheckedExample> {
        let before = self.errors.len();
        let mut checked = CheckedExample {
            text: example.text.clone(),
            span: example.span,
            status: None,
            reply: None,
            provider: None,
            stage: Stage::Unknown,
            kind: None,
            dsn_action: None,
            recipient: None,
            sender: None,
            remote_mta: None,
            format: None,
            vendor: None,
            notice: None,
            diagnostic_type: None,
            expect: Reason::Undefined,
            checks: Vec::new(),
        };
        for field in &example.fields {
            let value = &field.value;
            let text = value.text().map(str::to_owned);
            match field.key.as_str() {
                "status" => checked.status = self.exact_status(value),
                "reply" => checked.reply = self.reply_pattern(value).and(text),
                "provider" => checked.provider = self.provider_name(value),
                "stage" => {
                    checked.stage = self
                        .named_choice(value, "stage", Stage::ALL, Stage::as_str, Stage::from_name)
                        .unwrap_or_default()
                }
                "kind" => {
                    checked.kind =
                        self.named_choice(value, "kind", Kind::ALL, Kind::as_str, Kind::from_name)
                }
                "action" => {
                    checked.dsn_action =
                        self.choice(value, "dsn action", &DSN_ACTIONS, |s| Some(s.to_owned()))
                }
                "rcpt" => checked.recipient = text,
                "sender" => checked.sender = text,
                "remote_mta" => checked.remote_mta = text,
                "format" => checked.format = text,
                "notice" => checked.notice = text,
                "diagnostic_type" => checked.diagnostic_type = text,
                "vendor" => match text.as_deref().and_then(|t| t.split_once(':')) {
                    Some((name, v)) => {
                        checked.vendor =
                            Some((name.trim().to_ascii_lowercase(), v.trim().to_owned()));
                    }
                    None => self.error(
                        ErrorKind::BadValue,
                        value.span(),
                        "expected `vendor \"NAME: VALUE\"`".to_owned(),
                        None,
                    ),
                },
                other => {
                    let help = did_you_mean(other, EXAMPLE_FIELDS);
                    self.error(
                        ErrorKind::UnknownField,
                        field.key_span,
                        format!("unknown example field `{other}`"),
                        help,
                    );
                }
            }
        }
        match Reason::from_name(&example.expect) {
            Some(reason) => checked.expect = reason,
            None => {
                let help = did_you_mean(&example.expect, Reason::ALL.iter().map(|r| r.as_str()));
                let message = format!("unknown reason `{}`", example.expect);
                self.error(ErrorKind::UnknownReason, example.expect_span, message, help);
            }
        }
        for check in &example.checks {
            let text = check.value.text().unwrap_or_default().to_owned();
            let known = match check.key.as_str() {
                "category" => self
                    .named(
                        check,
                        ErrorKind::UnknownCategory,
                        "category",
                        Category::ALL,
                        Category::from_name,
                        Category::as_str,
                    )
                    .is_some(),
                "action" => self
                    .named(
                        check,
                        ErrorKind::UnknownAction,
                        "action",
                        Action::ALL,
                        Action::from_name,
                        Action::as_str,
                    )
                    .is_some(),
                "owner" => self
                    .named(
                        check,
                        ErrorKind::UnknownOwner,
                        "owner",
                        Owner::ALL,
                        Owner::from_name,
                        Owner::as_str,
                    )
                    .is_some(),
                key if EXAMPLE_CHECKS.contains(&key) => true,
                other => {
                    let help = did_you_mean(other, EXAMPLE_CHECKS);
                    self.error(
                        ErrorKind::UnknownField,
                        check.key_span,
                        format!("unknown example check `{other}`"),
                        help,
                    );
                    false
                }
            };
            if known {
                checked.checks.push((check.key.clone(), text));
            }
        }
        (self.errors.len() == before).then_some(checked)
    }
}
