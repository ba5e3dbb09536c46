//! Recognising `From_` separator lines and mbox escapes.
//!
//! These functions look at the start of one line (at most [`super::LOOKAHEAD`] bytes, without
//! its line end) and never allocate.

use memchr::memchr2;

use super::MboxFormat;

/// How strict the separator test is for a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SeparatorRule {
    /// Inside an mbox: after a blank line a `From ` line needs an address and a year, without a
    /// blank line it also needs a time of day.
    Mbox,
    /// Inside what looks like a single message: only a blank line followed by a complete
    /// `From addr date-with-time-and-year` line starts an mbox.
    Headless,
}

/// Cuts `window` at its first line end.
pub(super) fn line_content(window: &[u8]) -> &[u8] {
    match memchr2(b'\n', b'\r', window) {
        Some(end) => &window[..end],
        None => window,
    }
}

/// Whether the line at the start of `window` separates two messages.
pub(super) fn is_separator(window: &[u8], previous_blank: bool, rule: SeparatorRule) -> bool {
    if !window.starts_with(b"From ") {
        return false;
    }
    let line = line_content(window);
    match rule {
        SeparatorRule::Mbox if previous_blank => looks_like_from_line(line, false),
        SeparatorRule::Mbox => looks_like_from_line(line, true),
        SeparatorRule::Headless => previous_blank && looks_like_from_line(line, true),
    }
}

/// Whether `line` reads `From <address> <date>` where the date holds a year and, when
/// `need_time` is set, a time of day such as `12:08`.
pub(super) fn looks_like_from_line(line: &[u8], need_time: bool) -> bool {
    let Some(rest) = line.strip_prefix(b"From ") else {
        return false;
    };
    let rest = trim_blanks(rest);
    let address_len = rest.iter().position(|byte| *byte == b' ' || *byte == b'\t');
    let Some(address_len) = address_len.filter(|len| *len > 0) else {
        return false;
    };
    let date = &rest[address_len..];
    if date.iter().any(|byte| byte.is_ascii_control() && *byte != b'\t') {
        return false;
    }
    has_year(date) && (!need_time || has_time(date))
}

fn trim_blanks(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|byte| *byte != b' ' && *byte != b'\t');
    start.map_or(&[][..], |start| &bytes[start..])
}

/// A run of exactly four digits between 1900 and 2999.
fn has_year(date: &[u8]) -> bool {
    date.split(|byte| !byte.is_ascii_digit())
        .any(|run| run.len() == 4 && (run.starts_with(b"19") || run.starts_with(b"2")))
}

/// One or two digits, a colon and two digits.
fn has_time(date: &[u8]) -> bool {
    date.iter().enumerate().any(|(colon, byte)| {
        *byte == b':'
            && colon > 0
            && date[colon - 1].is_ascii_digit()
            && date.get(colon + 1).is_some_and(u8::is_ascii_digit)
            && date.get(colon + 2).is_some_and(u8::is_ascii_digit)
    })
}

/// Whether the line at the start of `window` is an escaped `From ` line whose first `>` the
/// format removes.
pub(super) fn is_escaped_from(window: &[u8], format: MboxFormat) -> bool {
    match format {
        MboxFormat::Mboxo => window.starts_with(b">From "),
        MboxFormat::Mboxrd => {
            let quotes = window.iter().take_while(|byte| **byte == b'>').count();
            quotes > 0 && window[quotes..].starts_with(b"From ")
        }
        MboxFormat::Mboxcl2 => false,
    }
}

/// Parses the value of a `Content-Length:` header line, if `line` is one.
pub(super) fn content_length(line: &[u8]) -> Option<u64> {
    const NAME: &[u8] = b"content-length:";
    let head = line.get(..NAME.len())?;
    if !head.eq_ignore_ascii_case(NAME) {
        return None;
    }
    let value = std::str::from_utf8(&line[NAME.len()..]).ok()?;
    value.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_from_lines_are_recognised() {
        assert!(looks_like_from_line(b"From MAILER-DAEMON Fri Jul  8 12:08:34 2011", true));
        assert!(looks_like_from_line(b"From - Mon Jan  1 00:00:00 2001", true));
        assert!(looks_like_from_line(b"From a@b.example  Sat, 3 Jan 1996 01:05:34 +0000", true));
        assert!(looks_like_from_line(b"From a@b.example 2024", false));
    }

    #[test]
    fn prose_is_not_a_separator() {
        assert!(!looks_like_from_line(b"From here on the text continues", false));
        assert!(!looks_like_from_line(b"From 1999 onwards", false));
        assert!(!looks_like_from_line(b"From a@b.example 2024", true));
        assert!(!is_separator(b"From: someone", true, SeparatorRule::Mbox));
    }

    #[test]
    fn escapes_differ_between_formats() {
        assert!(is_escaped_from(b">>From x", MboxFormat::Mboxrd));
        assert!(!is_escaped_from(b">>From x", MboxFormat::Mboxo));
        assert!(is_escaped_from(b">From x", MboxFormat::Mboxo));
        assert!(!is_escaped_from(b">From x", MboxFormat::Mboxcl2));
    }

    #[test]
    fn content_length_header_is_parsed() {
        assert_eq!(content_length(b"Content-Length: 42"), Some(42));
        assert_eq!(content_length(b"content-length:7\r"), Some(7));
        assert_eq!(content_length(b"Content-Type: text/plain"), None);
    }
}
