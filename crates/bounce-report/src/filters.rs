//! Filters and functions the templates use: CSV cells and lists (through [`crate::csv`]),
//! Markdown code fences and table cells.

use bounce_model::ListEntry;
use minijinja::value::ViaDeserialize;
use minijinja::Environment;
use serde::Deserialize;

use crate::csv::{cell_text, list_text, Cell};

/// Registers the report filters on `env`.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("csv", csv_field);
    env.add_filter("csv_address", csv_address);
    env.add_filter("fence", fence);
    env.add_filter("cell", cell);
    env.add_filter("md", md);
    env.add_filter("code", code);
    env.add_filter("percent", percent);
    env.add_function("list_csv", list_csv);
}

/// A CSV cell of free text, through the one CSV writer ([`crate::csv`]).
fn csv_field(value: String) -> String {
    cell_text(Cell::Text(&value))
}

/// A CSV cell holding an address, through the one CSV writer ([`crate::csv`]).
fn csv_address(value: String) -> String {
    cell_text(Cell::Address(&value))
}

/// The suppression, keep and complaint lists given (report list entries) as CSV with its
/// header row: the columns and policy of `bounce-triage suppress`.
fn list_csv(entries: ViaDeserialize<Vec<ListRow>>) -> String {
    list_text(entries.0.iter().map(|row| &row.entry))
}

/// What `list_csv` reads of a report list entry.
#[derive(Debug, Deserialize)]
struct ListRow {
    entry: ListEntry,
}

/// The length of the longest run of backticks in `value`: a code span or fence must be longer.
fn longest_backtick_run(value: &str) -> usize {
    let (mut longest, mut run) = (0, 0);
    for c in value.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

/// Wraps text in a Markdown code fence longer than any backtick run inside it, so the text is
/// shown verbatim whatever it contains.
fn fence(value: String) -> String {
    let longest = longest_backtick_run(&value);
    let ticks = "`".repeat(longest.max(2) + 1);
    format!("{ticks}text\n{}\n{ticks}", value.trim_end_matches('\n'))
}

/// Makes text safe in a Markdown table cell: pipes escaped, line breaks folded.
fn cell(value: String) -> String {
    value.replace('|', "\\|").replace(['\r', '\n'], " ")
}

/// Makes bounce-derived text inert in Markdown prose and table cells: HTML characters become
/// entities, Markdown punctuation (backticks, pipes, emphasis, brackets, a leading `#`, `-`,
/// `+`, `>` or number) is backslash-escaped, line breaks are folded; nothing from a bounce can
/// open a tag, a link, a code span or a block.
fn md(value: String) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' | '\n' => out.push(' '),
            '`' | '|' | '*' | '_' | '[' | ']' | '\\' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    let digits = out.len() - out.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let marker = &out[digits..];
    let ordered = digits > 0
        && marker.starts_with(['.', ')'])
        && marker[1..].chars().next().is_none_or(char::is_whitespace);
    if out.starts_with(['-', '+']) || ordered {
        out.insert(0, '\\');
    }
    out
}

/// An inline Markdown code span around text, with a backtick run longer than any inside it and
/// line breaks folded: shown verbatim, never rendered as HTML or Markdown.
fn code(value: String) -> String {
    let value = value.replace(['\r', '\n'], " ");
    let longest = longest_backtick_run(&value);
    let ticks = "`".repeat(longest + 1);
    let pad = if value.starts_with('`') || value.ends_with('`') || longest > 0 { " " } else { "" };
    format!("{ticks}{pad}{value}{pad}{ticks}")
}

/// Formats a 0.0–1.0 ratio as a percentage with one decimal.
fn percent(value: f64) -> String {
    format!("{:.1}%", value * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_filters_use_the_one_writer() {
        assert_eq!(csv_field("a,b".into()), "\"a,b\"");
        assert_eq!(csv_field("=cmd()".into()), "'=cmd()");
        assert_eq!(csv_field(String::new()), "");
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
    fn md_leaves_no_tag_link_or_code_span() {
        let out = md("<script>alert(1)</script> <img src=x> `x` [a](b) a|b &amp;".into());
        assert!(!out.contains('<') && !out.contains('>'), "{out}");
        assert_eq!(
            out,
            "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x&gt; \\`x\\` \\[a\\](b) a\\|b &amp;amp;"
        );
        assert_eq!(md("# head".into()), "\\# head");
        assert_eq!(md("- item".into()), "\\- item");
        assert_eq!(md("> quote".into()), "&gt; quote");
        assert_eq!(md("1. item".into()), "\\1. item");
        assert_eq!(md("2026-06-10T14:02:11Z".into()), "2026-06-10T14:02:11Z");
        assert_eq!(md("203.0.113.11".into()), "203.0.113.11");
    }

    #[test]
    fn code_outgrows_backticks_inside() {
        assert_eq!(code("550 <b>".into()), "`550 <b>`");
        assert_eq!(code("a `b` c".into()), "`` a `b` c ``");
        assert_eq!(code("a\nb".into()), "`a b`");
    }

    #[test]
    fn cell_escapes_pipes() {
        assert_eq!(cell("a|b\nc".into()), "a\\|b c");
    }
}
