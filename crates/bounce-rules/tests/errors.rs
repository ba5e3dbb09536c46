//! Snapshot tests of rule-file diagnostics: every `tests/err/*.rules` file renders its errors
//! (one snapshot each), and every `tests/ok/*.rules` file loads with the built-ins and passes
//! its examples.

use bounce_rules::{Origin, RuleSet};

fn relative(path: &std::path::Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let dir = path.parent().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned());
    format!("tests/{}/{name}", dir.unwrap_or_default())
}

fn render(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    match RuleSet::from_sources(&[(relative(path), text, Origin::User)]) {
        Err(errors) => errors.to_string(),
        Ok(set) => {
            let failures: Vec<String> =
                set.run_examples().iter().map(|f| f.error.to_string()).collect();
            failures.join("\n\n")
        }
    }
}

#[test]
fn err_files_render_their_errors() {
    insta::glob!("err/*.rules", |path| {
        let rendered = render(path);
        assert!(rendered.contains("error["), "{} reports nothing", path.display());
        insta::assert_snapshot!(rendered);
    });
}

#[test]
fn ok_files_load_with_builtins_and_pass_their_examples() {
    insta::glob!("ok/*.rules", |path| {
        let loaded = RuleSet::load(&[path.to_path_buf()]);
        let set = match loaded {
            Ok(set) => set,
            Err(errors) => panic!("{errors}"),
        };
        let failures: Vec<String> =
            set.run_examples().iter().map(|f| f.error.to_string()).collect();
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    });
}

#[test]
fn every_error_of_a_file_is_reported_at_once() {
    let text = "rule a.b {\n when staus 5.1.1\n reason nope\n}\nrule a.c {\n when text ~ /(/\n reason blocked\n}\n";
    let errors = RuleSet::from_sources(&[("x.rules".into(), text.into(), Origin::User)]).err();
    let count = errors.map_or(0, |e| e.errors.len());
    assert_eq!(count, 3);
}
