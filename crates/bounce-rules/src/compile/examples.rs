//! Inline examples: each one becomes the facts of a bounce, is decided by the whole rule set,
//! and must produce the reason (and any extra outcomes) it names.

use bounce_model::{BounceFacts, Kind, Provenanced};

use super::ruleset::RuleSet;
use super::{CheckedExample, CompiledRule};
use crate::error::RulesError;

/// An inline example that did not produce its expected outcome.
#[derive(Debug, Clone)]
pub struct ExampleFailure {
    /// The rule the example belongs to.
    pub rule_id: String,
    /// The example's diagnostic text.
    pub text: String,
    /// What went wrong, e.g. ``expected `mailboxfull`, got `userunknown` from rule `x` ``.
    pub message: String,
    /// The same as a renderable error pointing at the example.
    pub error: RulesError,
}

impl RuleSet {
    /// Runs every inline example of every rule against the whole set.
    #[must_use]
    pub fn run_examples(&self) -> Vec<ExampleFailure> {
        let mut failures = Vec::new();
        for rule in &self.rules {
            for example in &rule.examples {
                if let Some(message) = self.check_example(example) {
                    let error = self
                        .error_at(&rule.path, example.span, message.clone())
                        .in_rule(Some(&rule.id));
                    failures.push(ExampleFailure {
                        rule_id: rule.id.clone(),
                        text: example.text.clone(),
                        message,
                        error,
                    });
                }
            }
        }
        failures
    }

    /// The number of inline examples in the set.
    #[must_use]
    pub fn example_count(&self) -> usize {
        self.rules.iter().map(|rule: &CompiledRule| rule.examples.len()).sum()
    }

    fn check_example(&self, example: &CheckedExample) -> Option<String> {
        let record = example_record(example);
        let provider = example.provider.as_deref().or_else(|| self.provider_of(&record));
        let Some(verdict) = self.decide_as(&record, provider) else {
            return Some(format!("expected `{}`, but no rule matched", example.expect));
        };
        let winner = &verdict.rule_id;
        if verdict.reason != example.expect {
            return Some(format!(
                "expected `{}`, got `{}` from rule `{winner}`",
                example.expect, verdict.reason
            ));
        }
        for (key, expected) in &example.checks {
            let actual = match key.as_str() {
                "token" => verdict.token.clone().unwrap_or_default(),
                "category" => verdict.category.to_string(),
                "action" => verdict.action.to_string(),
                "owner" => verdict.owner.to_string(),
                "status_inferred" => verdict.status_inferred.clone().unwrap_or_default(),
                "rule" => winner.clone(),
                "hard" => if verdict.hard { "true" } else { "false" }.to_owned(),
                _ => continue,
            };
            if !actual.eq_ignore_ascii_case(expected) {
                return Some(format!(
                    "expected {key} `{expected}`, got `{actual}` from rule `{winner}`"
                ));
            }
        }
        None
    }
}

/// The facts an example describes.
fn example_record(example: &CheckedExample) -> BounceFacts {
    let kind = example.kind.unwrap_or(Kind::Bounce);
    let action = example.dsn_action.clone().or_else(|| {
        match kind {
            Kind::Bounce => Some("failed"),
            Kind::Delay => Some("delayed"),
            Kind::Delivered => Some("delivered"),
            Kind::AutoReply | Kind::Complaint => None,
        }
        .map(str::to_owned)
    });
    let recipient = match example.recipient.as_deref() {
        Some(address) if address.contains('@') => address.to_owned(),
        Some(domain) => format!("recipient@{domain}"),
        None => "recipient@example.org".to_owned(),
    };
    let mut record = BounceFacts {
        recipient,
        kind: Some(kind),
        status: example.status.clone(),
        reply_code: example.reply.clone(),
        diagnostic: Some(example.text.clone()),
        smtp_stage: example.stage,
        remote_mta: example.remote_mta.clone(),
        action,
        format: example.format.clone().unwrap_or_default(),
        vendor_fields: example.vendor.iter().cloned().collect(),
        notice: example.notice.clone(),
        diagnostic_type: example.diagnostic_type.clone(),
        ..BounceFacts::default()
    };
    if let Some(sender) = &example.sender {
        record.original.envelope_sender = Some(Provenanced {
            value: sender.clone(),
            source: "example".to_owned(),
            uncertain: false,
        });
    }
    record
}
