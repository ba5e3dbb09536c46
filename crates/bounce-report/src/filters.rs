//! Filters the templates use: CSV quoting, Markdown code fences and table cells.

use minijinja::Environment;

/// Registers the report filters on `env`.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("csv", csv_field);
    env.add_filter("csv_address", csv_address);
    env.add_filter("fence", fence);
    env.add_filter("cell", cell);
    env.add_filter("percent", percent);
}

/// Quotes a CSV field (RFC 4180) when it holds a comma, quote or line break, and defuses
/// spreadsheet formulas (a leading `=`, `+`, `-`, `@`).
fn csv_field(value: String) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// A CSV cell holding an address: a syntactically valid address is written unchanged (`+`, `=`
/// and `-` may begin a real local part, and a suppression list must import as it is); anything
/// else is protected like free text.
fn csv_address(value: String) -> String {
    let valid = value.rsplit_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && local
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b))
            && domain.contains('.')
            && domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    });
    if valid {
        value
    } else {
        csv_field(value)
    }
}

/// Wraps text in a Markdown code fence longer than any backtick run inside it, so the text is
/// shown verbatim whatever it contains.
fn fence(value: String) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in value.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let ticks = "`".repeat(longest.max(2) + 1);
    format!("{ticks}text\n{}\n{ticks}", value.trim_end_matches('\n'))
}

/// Makes text safe in a Markdown table cell: pipes escaped, line breaks folded.
fn cell(value: String) -> String {
    value.replace('|', "\\|").replace(['\r', '\n'], " ")
}

/// Formats a 0.0–1.0 ratio as a percentage with one decimal.
fn percent(value: f64) -> String {
    format!("{:.1}%", value * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses() {
        assert_eq!(csv_field("a,b".into()), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\"".into()), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd()".into()), "'=cmd()");
        assert_eq!(csv_field("plain".into()), "plain");
        assert_eq!(csv_field("\tcmd".into()), "'\tcmd");
    }

    #[test]
    fn csv_addresses_import_unchanged() {
        assert_eq!(csv_address("-list+tag@example.com".into()), "-list+tag@example.com");
        assert_eq!(csv_address("=a@example.com".into()), "=a@example.com");
        assert_eq!(csv_address("=HYPERLINK(\"x\")".into()), "\"'=HYPERLINK(\"\"x\"\")\"");
    }

    #[test]
    fn fence_outgrows_backticks_inside() {
        let fenced = fence("550 ```` odd".into());
        assert!(fenced.starts_with("`````text\n"));
        assert!(fenced.ends_with("\n`````"));
    }

    #[test]
    fn cell_escapes_pipes() {
        assert_eq!(cell("a|b\nc".into()), "a\\|b c");
    }
}
