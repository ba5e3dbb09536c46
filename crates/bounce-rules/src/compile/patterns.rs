//! Parsing of the small value languages of conditions: status patterns and the
//! wording of regex errors and field hints.

use super::condition::StatusPattern;

/// Parses a status pattern such as `5.7.1`, `5.7.*` or `*.1.1`.
pub(crate) fn parse_status(text: &str) -> Result<StatusPattern, (String, Option<String>)> {
    let impossible = |why: &str| format!("impossible status `{text}`: {why}");
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 3 {
        let help = text
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'x' || b == b'X')
            .then(|| "reply codes such as `550` or `4xx` are tested with `reply`".to_owned());
        return Err((impossible("expected class.subject.detail"), help));
    }
    let mut pattern = StatusPattern([None; 3]);
    for (index, part) in parts.iter().enumerate() {
        if *part == "*" {
            continue;
        }
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            let help = part.contains(['x', 'X']).then(|| "write `*` for any value".to_owned());
            return Err((impossible("each part is `*` or one to three digits"), help));
        }
        let number: u16 = part.parse().map_err(|_| (impossible("not a number"), None))?;
        if index == 0 && !matches!(number, 2 | 4 | 5) {
            return Err((impossible("the class is 2, 4 or 5"), None));
        }
        pattern.0[index] = Some(number);
    }
    Ok(pattern)
}

pub(crate) fn field_hint(field: &str) -> Option<String> {
    let lower = field.to_ascii_lowercase();
    let target = if lower.contains("diag") || lower.contains("message") || lower.contains("msg") {
        "text"
    } else if lower.contains("enhanced") || lower == "code" {
        "status"
    } else if lower.contains("mx") || lower.contains("host") {
        "remote_mta"
    } else {
        return None;
    };
    Some(format!("did you mean `{target}`?"))
}

pub(crate) fn regex_message(error: &regex::Error) -> String {
    match error {
        regex::Error::CompiledTooBig(limit) => {
            format!("regex is too large (over {limit} bytes compiled)")
        }
        other => last_line(&other.to_string()),
    }
}

/// The message of a pattern that does not parse, as [`regex_message`] words it.
pub(crate) fn syntax_message(error: &regex_syntax::Error) -> String {
    last_line(&error.to_string())
}

fn last_line(text: &str) -> String {
    let last = text.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or("invalid regex");
    format!("invalid regex: {}", last.trim().trim_start_matches("error: "))
}
