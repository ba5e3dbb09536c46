//! Rule order (like kumomta's `test_rule_order`): user before built-in, provider-scoped before
//! generic, higher priority first, then file order, then position; overrides and `disable`.

use bounce_model::{BounceFacts, Kind};
use bounce_rules::{Origin, RuleSet};

const PROVIDERS: &str = "/// p\nprovider acme { domains = [\"acme.example\"] }\n";

fn rule(id: &str, extra: &str) -> String {
    format!(
        "/// {id}\nrule {id} {{\n    {extra}\n    when text ~ \"boom\"\n    reason blocked\n}}\n"
    )
}

fn winner(sources: &[(String, String, Origin)], domain: &str) -> (String, Vec<String>) {
    let set = RuleSet::from_sources(sources).unwrap_or_else(|e| panic!("{e}"));
    let record = BounceFacts {
        recipient: format!("x@{domain}"),
        kind: Some(Kind::Bounce),
        diagnostic: Some("550 boom".into()),
        ..BounceFacts::default()
    };
    let explanation = set.explain(&record);
    let classified = set.decide(&record).map(|d| d.rule_id);
    let won = explanation.decision.map(|d| d.rule_id).unwrap_or_default();
    assert_eq!(classified.as_deref(), Some(won.as_str()), "decide and explain agree");
    (won, explanation.losers.into_iter().map(|l| l.rule_id).collect())
}

fn source(path: &str, text: String, origin: Origin) -> (String, String, Origin) {
    (path.to_owned(), text, origin)
}

#[test]
fn test_rule_order() {
    let builtin = format!(
        "{PROVIDERS}{}{}{}{}",
        rule("b.generic", ""),
        rule("b.generic-high", "priority 9"),
        rule("b.scoped", "provider acme"),
        rule("b.scoped-high", "provider acme\n    priority 3"),
    );
    let user_a = rule("u.first-file", "");
    let user_b = format!("{}{}", rule("u.second-file", ""), rule("u.second-file-later", ""));
    let sources = vec![
        source("user/a.rules", user_a, Origin::User),
        source("user/b.rules", user_b, Origin::User),
        source("builtin.rules", builtin, Origin::Builtin),
    ];
    let (won, losers) = winner(&sources, "acme.example");
    assert_eq!(won, "u.first-file");
    assert_eq!(
        losers,
        [
            "u.second-file",
            "u.second-file-later",
            "b.scoped-high",
            "b.scoped",
            "b.generic-high",
            "b.generic"
        ]
    );
    // Without a provider match the scoped rules do not apply at all.
    let (_, losers) = winner(&sources, "other.example");
    assert!(!losers.iter().any(|id| id.starts_with("b.scoped")));
}

#[test]
fn user_rule_replaces_builtin_and_takes_its_place() {
    let builtin = format!("{}{}", rule("b.one", "priority 50"), rule("b.two", ""));
    let user = format!("{}{}", rule("u.first", ""), rule("b.two", "priority -5"));
    let sources = vec![
        source("user.rules", user, Origin::User),
        source("builtin.rules", builtin, Origin::Builtin),
    ];
    let (won, losers) = winner(&sources, "x.example");
    assert_eq!(won, "u.first");
    assert_eq!(losers, ["b.two", "b.one"]);
    let set = RuleSet::from_sources(&sources).unwrap_or_else(|e| panic!("{e}"));
    let two = set.rules().find(|r| r.id == "b.two").map(|r| r.location);
    assert_eq!(two.as_deref(), Some("user.rules:8"));
}

#[test]
fn disable_removes_a_builtin_rule() {
    let builtin = format!("{}{}", rule("b.one", ""), rule("b.two", ""));
    let sources = vec![
        source("user.rules", "disable b.one\n".to_owned(), Origin::User),
        source("builtin.rules", builtin, Origin::Builtin),
    ];
    let (won, losers) = winner(&sources, "x.example");
    assert_eq!(won, "b.two");
    assert!(losers.is_empty());
}

#[test]
fn duplicate_ids_within_a_group_are_errors() {
    let text = format!("{}{}", rule("u.same", ""), rule("u.same", ""));
    let errors = RuleSet::from_sources(&[source("u.rules", text, Origin::User)]).err();
    assert!(errors.is_some_and(|e| e.to_string().contains("error[duplicate-id]")));
}
