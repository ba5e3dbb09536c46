//! Loading never panics: garbled, truncated and random input only ever yields errors.

use bounce_rules::{Origin, RuleSet, BUILTIN_FILES};

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n as u64)).unwrap_or(0)
    }
}

fn load(text: &str) -> bool {
    let result = RuleSet::from_sources(&[("fuzz.rules".into(), text.into(), Origin::User)]);
    if let Err(errors) = &result {
        // Rendering must not panic either.
        assert!(!errors.to_string().is_empty());
    }
    result.is_ok()
}

#[test]
fn random_bytes_and_tokens_never_panic() {
    let pieces = [
        "rule ",
        "provider ",
        "disable ",
        "when ",
        "example ",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        "\"",
        "/",
        "\\",
        "~",
        "=",
        "=>",
        "and ",
        "or ",
        "not ",
        "status ",
        "5.7.1 ",
        "text ",
        "reason ",
        "é",
        "\n",
        "///",
        "//",
        "x.y",
        "5xx",
        "*.1.1",
        ",",
        "hard",
        "blocked",
        "ü\u{1F600}",
        "\t",
        "\r\n",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let mut text = String::new();
        for _ in 0..rng.below(60) {
            text.push_str(pieces[rng.below(pieces.len())]);
        }
        load(&text);
    }
}

#[test]
fn truncated_and_mutated_builtin_files_never_panic() {
    let mut rng = Rng(42);
    for (_, text) in BUILTIN_FILES {
        let bytes = text.as_bytes();
        for _ in 0..40 {
            let cut = rng.below(bytes.len().max(1));
            load(&String::from_utf8_lossy(&bytes[..cut]));
            let mut mutated = bytes.to_vec();
            for _ in 0..5 {
                let at = rng.below(mutated.len().max(1));
                if let Some(byte) = mutated.get_mut(at) {
                    *byte = b"{}()[]\"/~=\n x5.*"[rng.below(16)];
                }
            }
            load(&String::from_utf8_lossy(&mutated));
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let text = format!(
        "/// d\nrule a.b {{\n when {}text ~ \"x\"{}\n reason blocked\n}}\n",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    assert!(!load(&text));
    let negations = format!(
        "/// d\nrule a.b {{\n when {}text ~ \"x\"\n reason blocked\n}}\n",
        "not ".repeat(100_000)
    );
    load(&negations);
}

#[test]
fn deeply_nested_lists_are_one_error_naming_the_line_not_a_stack_overflow() {
    // The attack: a 9 KB file of ~4,450 nested lists overflowed the parser's stack.
    let text =
        format!("/// d\npattern deep =\n  {}\"x\"{}\n", "[".repeat(4_450), "]".repeat(4_450));
    let errors = RuleSet::from_sources(&[("deep.rules".into(), text, Origin::User)])
        .expect_err("a list nested 4,450 deep is refused");
    assert_eq!(errors.errors.len(), 1);
    let error = &errors.errors[0];
    assert_eq!(error.path(), Some("deep.rules"));
    assert_eq!(error.line_col(), (3, 67), "the first bracket past the limit");
    assert!(error.message().contains("nest deeper than 64 levels"), "{}", error.message());
    // Brackets and parentheses inside strings and regexes are text, not nesting.
    let literal = format!(
        "/// d\nrule a.b {{\n when text ~ \"{0}\" or text ~ /{1}/\n reason blocked\n example \"{0}\" => blocked\n}}\n",
        "[(".repeat(200),
        "\\[\\(".repeat(200),
    );
    let loaded = RuleSet::from_sources(&[("lit.rules".into(), literal, Origin::User)]);
    assert!(loaded.is_ok(), "{}", loaded.err().map(|e| e.to_string()).unwrap_or_default());
}

#[test]
fn a_literal_ten_times_the_cap_is_one_short_error() {
    let limit = bounce_rules::RuleLimits::DEFAULT_MAX_LITERAL_BYTES;
    for literal in
        [format!("\"{}\"", "x".repeat(limit * 10)), format!("/{}/", "y".repeat(limit * 10))]
    {
        let text = format!("/// d\nrule a.b {{\n  when text ~ {literal}\n  reason blocked\n}}\n");
        let errors = RuleSet::from_sources(&[("big.rules".into(), text, Origin::User)])
            .expect_err("a 640 KiB literal is refused");
        assert_eq!(errors.errors.len(), 1);
        assert_eq!(errors.errors[0].line_col(), (3, 15));
        let shown = errors.to_string();
        assert!(shown.contains("longer than 65536 bytes") && shown.contains("--max-rule-literal"));
        assert!(
            shown.len() < 1_000,
            "the error quotes a window of the line: {} bytes",
            shown.len()
        );
    }
    // At the cap exactly a literal loads; one byte more does not.
    let limits = bounce_rules::RuleLimits { max_literal_bytes: 100, ..Default::default() };
    for (length, loads) in [(100, true), (101, false)] {
        let text = format!(
            "/// d\nrule a.b {{\n  when text ~ \"{}\"\n  reason blocked\n}}\n",
            "z".repeat(length)
        );
        let loaded =
            RuleSet::from_sources_limited(&[("cap.rules".into(), text, Origin::User)], limits);
        assert_eq!(loaded.is_ok(), loads, "{length}");
    }
    // A long regex that does not compile is quoted shortened.
    let text = format!(
        "/// d\nrule a.b {{\n  when text ~ /{}/\n  reason blocked\n}}\n",
        "(z".repeat(5_000)
    );
    let errors = RuleSet::from_sources(&[("re.rules".into(), text, Origin::User)]).unwrap_err();
    assert!(errors.to_string().len() < 1_000, "{}", errors.to_string().len());
}
