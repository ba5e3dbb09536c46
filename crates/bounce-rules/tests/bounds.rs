//! The bounds hold for every built-in rule: whatever text a rule reads, no verdict suppresses
//! an address on a temporary failure, a delay or a sender-side refusal, and a refusal at MAIL
//! FROM never gives a recipient reason. Every rule's own example texts are tried under every
//! code class and stage, then random mixtures of them.

use bounce_model::{Action, BounceFacts, Kind, Reason, Record, Stage};
use bounce_rules::RuleSet;
use proptest::prelude::*;
use std::sync::OnceLock;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::builtin().expect("the built-in rules compile"))
}

/// The quoted text of every `example "..."` line of every built-in rule.
fn example_texts() -> &'static [String] {
    static TEXTS: OnceLock<Vec<String>> = OnceLock::new();
    TEXTS.get_or_init(|| {
        let mut texts: Vec<String> = rules()
            .rules()
            .flat_map(|info| info.example_lines)
            .filter_map(|line| {
                let rest = line.strip_prefix("example")?.trim_start().strip_prefix('"')?;
                let mut text = String::new();
                let mut chars = rest.chars();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => text.extend(chars.next()),
                        '"' => return Some(text),
                        c => text.push(c),
                    }
                }
                None
            })
            .filter(|t| !t.is_empty())
            .collect();
        texts.sort();
        texts.dedup();
        texts
    })
}

fn record(
    text: &str,
    reply: Option<&str>,
    status: Option<&str>,
    stage: Stage,
    kind: Kind,
) -> BounceFacts {
    BounceFacts {
        recipient: "someone@example.net".into(),
        kind: Some(kind),
        reply_code: reply.map(str::to_owned),
        status: status.map(str::to_owned),
        diagnostic: Some(text.to_owned()),
        smtp_stage: stage,
        action: Some(if kind == Kind::Delay { "delayed" } else { "failed" }.to_owned()),
        ..BounceFacts::default()
    }
}

fn suppresses(record: &Record) -> bool {
    let action = record.verdict.as_ref().map(|v| v.action);
    matches!(action, Some(Action::Suppress | Action::SuppressAfterConfirmation))
}

const RECIPIENT_REASONS: [Reason; 6] = [
    Reason::UserUnknown,
    Reason::HasMoved,
    Reason::Suspend,
    Reason::MailboxFull,
    Reason::HostUnknown,
    Reason::NotAccept,
];

/// Checks the bounds on one record, returning what broke.
fn broken(facts: BounceFacts) -> Option<String> {
    let r = Record { verdict: Some(rules().classify(&facts)), facts, dns: None };
    let temporary = r.kind == Some(Kind::Delay)
        || r.reply_code.as_deref().or(r.status.as_deref()).is_some_and(|c| c.starts_with('4'));
    let sender_side = r.reply_code.is_some()
        && matches!(
            r.smtp_stage,
            Stage::Connect
                | Stage::Greeting
                | Stage::Ehlo
                | Stage::Starttls
                | Stage::Auth
                | Stage::Mail
        );
    let what = format!(
        "{:?} {:?} {:?} {:?} {:?} -> {:?} {:?}",
        r.diagnostic,
        r.reply_code,
        r.status,
        r.smtp_stage,
        r.kind,
        r.reason(),
        r.verdict.as_ref().map(|v| v.action)
    );
    if suppresses(&r) && temporary {
        return Some(format!("suppressed on a temporary failure: {what}"));
    }
    if suppresses(&r) && sender_side {
        return Some(format!("suppressed on a sender-side refusal: {what}"));
    }
    let names_recipient = r.status.as_deref().is_some_and(|s| {
        s.get(1..4) == Some(".2.")
            || [".1.1", ".1.2", ".1.3", ".1.4", ".1.5", ".1.6"]
                .iter()
                .any(|p| s.get(1..) == Some(*p))
    });
    if r.smtp_stage == Stage::Mail
        && r.reply_code.is_some()
        && !names_recipient
        && r.reason().is_some_and(|reason| RECIPIENT_REASONS.contains(&reason))
    {
        return Some(format!("a recipient reason at MAIL FROM: {what}"));
    }
    None
}

#[test]
fn every_rule_example_respects_the_bounds_under_every_code_and_stage() {
    let codes: [(Option<&str>, Option<&str>, Kind); 8] = [
        (Some("450"), Some("4.1.1"), Kind::Delay),
        (Some("452"), Some("4.2.2"), Kind::Bounce),
        (Some("421"), None, Kind::Bounce),
        (None, Some("4.4.7"), Kind::Bounce),
        (Some("550"), Some("5.1.1"), Kind::Delay),
        (Some("550"), Some("5.1.1"), Kind::Bounce),
        (Some("550"), Some("5.7.1"), Kind::Bounce),
        (Some("553"), None, Kind::Bounce),
    ];
    let stages =
        [Stage::Connect, Stage::Greeting, Stage::Ehlo, Stage::Mail, Stage::Rcpt, Stage::Unknown];
    let texts = example_texts();
    assert!(texts.len() > 300, "the examples were not read: {}", texts.len());
    let mut failures = Vec::new();
    for text in texts {
        for (reply, status, kind) in codes {
            for stage in stages {
                failures.extend(broken(record(text, reply, status, stage, kind)));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} bound violations, e.g.:\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn mixtures_of_rule_texts_respect_the_bounds(
        first in any::<prop::sample::Index>(),
        second in any::<prop::sample::Index>(),
        reply in prop::sample::select(vec!["421", "450", "451", "452", "550", "551", "553", "554"]),
        subject in 0u32..8,
        detail in 0u32..12,
        stage in prop::sample::select(Stage::ALL.to_vec()),
        delayed in any::<bool>(),
    ) {
        let texts = example_texts();
        let text = format!("{} {}", first.get(texts), second.get(texts));
        let status = format!("{}.{subject}.{detail}", &reply[..1]);
        let kind = if delayed { Kind::Delay } else { Kind::Bounce };
        let r = record(&text, Some(reply), Some(&status), stage, kind);
        prop_assert_eq!(broken(r), None);
    }
}

#[test]
fn a_generic_rule_outside_its_status_bound_is_an_error_built_in_and_a_warning_for_users() {
    let text = "rule odd.policy-user {\n    when status 5.7.1 and text ~ /no such person/\n    reason userunknown\n    example \"550 5.7.1 no such person\" status 5.7.1 => userunknown\n}\n";
    let builtin =
        [("rules/generic/odd.rules".to_owned(), text.to_owned(), bounce_rules::Origin::Builtin)];
    let errors = RuleSet::from_sources(&builtin).expect_err("a built-in rule outside its bound");
    let shown = errors.to_string();
    assert!(shown.contains("error[outside-status-bound]: reason `userunknown` is outside what status `5.7.1` allows"), "{shown}");
    let user = [("odd.rules".to_owned(), text.to_owned(), bounce_rules::Origin::User)];
    let set = RuleSet::from_sources(&user).expect("a user rule outside its bound still loads");
    assert_eq!(set.warnings().len(), 1);
    assert_eq!(set.warnings()[0].kind, bounce_rules::ErrorKind::OutsideStatusBound);
}
