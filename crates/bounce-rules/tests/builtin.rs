//! The built-in rule set: it loads, every rule is documented and has an example, every example
//! passes, every file under `rules/` is embedded, and the seed guide's cases are covered.

use std::path::{Path, PathBuf};

use bounce_model::{BounceFacts, Kind, Reason};
use bounce_rules::{RuleSet, BUILTIN_FILES};

fn builtin() -> RuleSet {
    match RuleSet::builtin() {
        Ok(set) => set,
        Err(errors) => panic!("built-in rules do not load:\n{errors}"),
    }
}

#[test]
fn every_builtin_example_passes() {
    let set = builtin();
    let failures: Vec<String> = set.run_examples().iter().map(|f| f.error.to_string()).collect();
    assert!(failures.is_empty(), "{} failing examples:\n{}", failures.len(), failures.join("\n\n"));
    assert!(set.example_count() > 100);
}

#[test]
fn every_builtin_rule_has_a_doc_and_an_example() {
    for rule in builtin().rules() {
        assert!(!rule.doc.trim().is_empty(), "rule {} ({}) has no /// doc", rule.id, rule.location);
        assert!(rule.examples > 0, "rule {} ({}) has no example", rule.id, rule.location);
    }
}

fn rule_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rule_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rules") {
            found.push(path);
        }
    }
}

#[test]
fn every_rules_file_is_embedded() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut found = Vec::new();
    rule_files(&root.join("rules"), &mut found);
    assert!(!found.is_empty());
    for path in found {
        let relative =
            path.strip_prefix(&root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
        assert!(
            BUILTIN_FILES.iter().any(|(name, _)| *name == relative),
            "{relative} is not embedded in BUILTIN_FILES (crates/bounce-rules/build.rs)"
        );
    }
}

#[test]
fn builtin_generic_rules_do_not_read_provider_dependent_codes() {
    // Loading as built-in runs the check; the same text as a user file is allowed.
    let text = "/// d\nrule x.y {\n    when status 5.7.27\n    reason authfailure\n}\n";
    let as_builtin =
        RuleSet::from_sources(&[("b.rules".into(), text.into(), bounce_rules::Origin::Builtin)]);
    let errors = as_builtin.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(errors.contains("error[provider-dependent-code]"), "{errors}");
    let as_user =
        RuleSet::from_sources(&[("u.rules".into(), text.into(), bounce_rules::Origin::User)]);
    assert!(as_user.is_ok());
}

fn record(text: &str, status: Option<&str>, reply: Option<&str>) -> BounceFacts {
    BounceFacts {
        recipient: "someone@example.net".into(),
        kind: Some(Kind::Bounce),
        status: status.map(str::to_owned),
        reply_code: reply.map(str::to_owned),
        diagnostic: Some(text.to_owned()),
        action: Some("failed".into()),
        ..BounceFacts::default()
    }
}

#[test]
fn seed_cases_get_the_expected_reason() {
    let set = builtin();
    let cases = [
        ("550 5.7.1 Messages from [23.251.255.157] weren't sent. Part of their network is on our block list (S3150).", Some("5.7.1"), Reason::Blocked),
        ("550 5.7.1 [C15] RBL restriction: Blacklisted by Internal Reputation Service - 203.0.113.25", Some("5.7.1"), Reason::Blocked),
        ("550 5.7.1 relaying denied for user@example.net", Some("5.7.1"), Reason::NoRelaying),
        // The seed lists it among policy refusals: an Italian ISP refusing the sender's domain
        // with its own token, not a recipient domain that does not exist.
        ("550 Invalid Domain [smtp-41.iol.local; VIR_420]", None, Reason::Rejected),
        ("554 Email rejected due to security policies.", None, Reason::PolicyViolation),
        ("5.0.0 (undefined status) permanent failure for one or more recipients (recipient@example.com:blocked)", Some("5.0.0"), Reason::Blocked),
        ("421 Service not available, closing transmission channel", None, Reason::TooManyConn),
        ("error dialing remote address: dial tcp 192.0.2.1:25: i/o timeout", None, Reason::NetworkError),
        ("550 5.1.1 user unknown", Some("5.1.1"), Reason::UserUnknown),
    ];
    for (text, status, expected) in cases {
        let decision = set.decide(&record(text, status, None));
        assert_eq!(decision.map(|d| d.reason), Some(expected), "{text}");
    }
}

#[test]
fn reply_code_decides_hard_or_soft() {
    let set = builtin();
    let mut soft = record("This is odd", Some("5.7.32"), Some("421"));
    soft.recipient = "x@gmail.com".into();
    let decision = set.decide(&soft).map(|d| d.hard);
    assert_eq!(decision, Some(false));
    let hard = set.decide(&record("550 5.1.1 user unknown", Some("5.1.1"), Some("550")));
    assert_eq!(hard.map(|d| d.hard), Some(true));
}

#[test]
fn classify_gives_undefined_when_nothing_matches() {
    let set = builtin();
    let mut nothing = record("", None, None);
    nothing.kind = Some(Kind::Bounce);
    nothing.action = None;
    nothing.diagnostic = None;
    let verdict = set.classify(&nothing);
    assert_eq!(verdict.reason, Reason::Undefined);
    assert!(verdict.hard, "a bounce without codes is permanent");
    let full = set.classify(&record("552 mailbox full", None, None));
    assert_eq!(full.reason, Reason::MailboxFull);
    // A returned (failed) notice keeps its finality: 5.2.2, counted as soft all the same.
    assert_eq!(full.status_inferred.as_deref(), Some("5.2.2"));
    assert_eq!(full.action, bounce_model::Action::CountAsSoft);
    let mut delayed = record("mailbox full", None, None);
    delayed.kind = Some(Kind::Delay);
    delayed.action = Some("delayed".into());
    assert_eq!(set.classify(&delayed).status_inferred.as_deref(), Some("4.2.2"));
    let stated = set.classify(&record("552 mailbox full", Some("5.2.2"), None));
    assert_eq!(stated.status_inferred, None, "no status is inferred when the bounce states one");
}

#[test]
fn providers_are_recognised_by_domain_mx_and_text() {
    let set = builtin();
    let mut by_domain = record("x", None, None);
    by_domain.recipient = "a@GMAIL.com".into();
    by_domain.recipient = by_domain.recipient.to_ascii_lowercase();
    assert_eq!(set.provider_of(&by_domain), Some("gmail"));
    let mut by_mx = record("x", None, None);
    by_mx.remote_mta = Some("example-com.mail.protection.outlook.com".into());
    assert_eq!(set.provider_of(&by_mx), Some("microsoft-365"));
    let by_text = record(
        "550 5.1.1 The email account that you tried to reach does not exist. - gsmtp",
        None,
        None,
    );
    assert_eq!(set.provider_of(&by_text), Some("gmail"));
}
