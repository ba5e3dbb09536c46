//! Finding SMTP reply codes, RFC 3463 enhanced status codes and the SMTP stage in free text.
//!
//! Bounce prose is full of numbers that look like codes: IP addresses (`192.0.2.1`), version
//! numbers (`Postfix 2.5.1`), sizes and dates. A code is accepted only where it stands alone:
//! not glued to other digits or dots, and not inside an IP address.

use bounce_model::Stage;

use super::phrases::Phrases;

/// Returns the byte at `i`, or 0 past the end.
fn at(bytes: &[u8], i: usize) -> u8 {
    bytes.get(i).copied().unwrap_or(0)
}

/// Whether a dotted code starting at `start` and ending at `end` stands alone.
fn stands_alone(bytes: &[u8], start: usize, end: usize) -> bool {
    let before = if start == 0 { b' ' } else { bytes[start - 1] };
    let before2 = if start < 2 { b' ' } else { bytes[start - 2] };
    if before.is_ascii_alphanumeric() || before == b'_' {
        return false;
    }
    // `10.5.1.1` or `v2.5.1`: preceded by a digit and a dot.
    if before == b'.' && (before2.is_ascii_alphanumeric()) {
        return false;
    }
    let after = at(bytes, end);
    let after2 = at(bytes, end + 1);
    if after.is_ascii_alphanumeric() || after == b'_' {
        return false;
    }
    if after == b'.' && after2.is_ascii_digit() {
        return false;
    }
    true
}

/// Parses an enhanced status code (`5.1.1`) at `i`; returns its end.
fn status_at(bytes: &[u8], i: usize) -> Option<usize> {
    if !matches!(at(bytes, i), b'2' | b'4' | b'5') || at(bytes, i + 1) != b'.' {
        return None;
    }
    let mut j = i + 2;
    let mut digits = 0;
    while at(bytes, j).is_ascii_digit() {
        j += 1;
        digits += 1;
    }
    if !(1..=3).contains(&digits) || at(bytes, j) != b'.' {
        return None;
    }
    j += 1;
    digits = 0;
    while at(bytes, j).is_ascii_digit() {
        j += 1;
        digits += 1;
    }
    if !(1..=3).contains(&digits) {
        return None;
    }
    Some(j)
}

/// Whether the word before `start` marks a version number (`version 2.3.4`, `Postfix 2.5.1`).
fn after_version_word(text: &str, start: usize) -> bool {
    let head = text[..start].trim_end();
    let word = head.rsplit(|c: char| c.is_whitespace() || c == '(').next().unwrap_or("");
    let word = word.to_ascii_lowercase();
    matches!(word.as_str(), "version" | "ver" | "v" | "release" | "postfix" | "sendmail" | "exim")
        || word.ends_with("/")
}

/// Finds every standalone enhanced status code in `text`, in order, with its byte position.
#[must_use]
pub fn find_statuses(text: &str) -> Vec<(usize, String)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    // A code starts with its class digit: jump from one 2, 4 or 5 to the next.
    while let Some(found) = memchr::memchr3(b'2', b'4', b'5', &bytes[i..]) {
        i += found;
        if let Some(end) = status_at(bytes, i) {
            if stands_alone(bytes, i, end) && !after_version_word(text, i) {
                out.push((i, text[i..end].to_string()));
            }
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// Finds every standalone three-digit reply code in `text` (2xx, 4xx, 5xx), with positions.
#[must_use]
pub fn find_reply_codes(text: &str) -> Vec<(usize, String)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    // A code starts with its class digit: only a 2, 4 or 5 is looked at.
    let last = bytes.len().saturating_sub(2);
    for i in memchr::memchr3_iter(b'2', b'4', b'5', &bytes[..last]) {
        let (a, b, c) = (bytes[i], bytes[i + 1], bytes[i + 2]);
        if !matches!(a, b'2' | b'4' | b'5') || !b.is_ascii_digit() || !c.is_ascii_digit() {
            continue;
        }
        if b > b'5' {
            continue;
        }
        let before = if i == 0 { b' ' } else { bytes[i - 1] };
        let after = at(bytes, i + 3);
        let ok_before = matches!(
            before,
            b' ' | b'\t' | b'\n' | b'(' | b'[' | b'"' | b':' | b'#' | b'<' | b'>' | b'=' | b';'
        );
        let ok_after =
            matches!(after, 0 | b' ' | b'-' | b'\t' | b'\n' | b')' | b']' | b'"' | b',' | b':');
        if !ok_before || !ok_after {
            continue;
        }
        // `550-5.1.1` style continuations and `550 5.1.1` are both fine; `250 bytes`-like
        // sizes are filtered by the caller's context (prefer codes at the text start).
        out.push((i, text[i..i + 3].to_string()));
    }
    out
}

/// The code pair a diagnostic states: the reply code and the enhanced status, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Codes {
    /// The SMTP reply code, e.g. `550`.
    pub reply: Option<String>,
    /// The enhanced status, e.g. `5.1.1`.
    pub status: Option<String>,
}

/// Reads the reply code and enhanced status stated by a diagnostic text.
///
/// A reply code is taken when it starts the text (after a `smtp;` type), follows a marker
/// such as `said:`, or stands right before an enhanced status; an enhanced status is the first
/// standalone one whose class agrees with the reply code.
#[must_use]
pub fn read_codes(text: &str) -> Codes {
    let statuses = find_statuses(text);
    let replies = find_reply_codes(text);
    let mut codes = Codes::default();
    // A reply code immediately followed by a status: `550 5.1.1`, `550-5.1.1`, `550 #5.1.1`.
    for (pos, reply) in &replies {
        let rest = &text[pos + 3..];
        let rest = rest.trim_start_matches([' ', '-', '#', '(', '[', '\'', '"']);
        let offset = text.len() - rest.len();
        if let Some((_, st)) = statuses.iter().find(|(p, _)| *p == offset) {
            if st.as_bytes()[0] == reply.as_bytes()[0] {
                codes.reply = Some(reply.clone());
                codes.status = Some(st.clone());
                return codes;
            }
        }
    }
    // A reply code at a strong position.
    for (pos, reply) in &replies {
        if strong_reply_position(text, *pos) {
            codes.reply = Some(reply.clone());
            break;
        }
    }
    let class = codes.reply.as_ref().map(|r| r.as_bytes()[0]);
    codes.status = match class {
        Some(c) => statuses.iter().find(|(_, s)| s.as_bytes()[0] == c),
        None => statuses.first(),
    }
    .map(|(_, s)| s.clone());
    codes
}

/// Whether a reply code at `pos` is in a place where bounces state codes.
fn strong_reply_position(text: &str, pos: usize) -> bool {
    let head = text[..pos].trim_end_matches([' ', '\t', '"', '(', '[', '#', '<']);
    if head.is_empty() {
        return true;
    }
    let lower = head.to_ascii_lowercase();
    lower.ends_with(':')
        || lower.ends_with(';')
        || lower.ends_with("said")
        || lower.ends_with("<<<")
        || lower.ends_with("returned")
        || lower.ends_with("error")
        || lower.ends_with("response")
        || lower.ends_with("reply")
        || lower.ends_with('\n')
        || lower.ends_with("=")
        || lower.ends_with("code")
}

/// Reads the SMTP stage that prose such as "in reply to RCPT TO command" names.
#[must_use]
pub fn stage_from_text(text: &str) -> Option<Stage> {
    // Postfix's "(in reply to RCPT TO command)" names the command the reply answered; it
    // outranks any stage word in the reply's own prose ("mail from 192.0.2.7 refused").
    in_reply_to_stage(text).or_else(|| stage_words(text))
}

/// The stage that the words of a text name, "in reply to X command" aside: a command label
/// (`SMTP command: DATA`) or the earliest stage phrase.
pub(crate) fn stage_words(text: &str) -> Option<Stage> {
    let lower = text.to_ascii_lowercase();
    // `SMTP command: DATA`, `-------SMTP command\nDATA` (mFILTER), `Command: RCPT TO`.
    for (i, position) in COMMAND_SET.iter(&lower) {
        let marker = COMMAND_MARKERS[i];
        let rest = lower[position + marker.len()..]
            .trim_start_matches(|c: char| c.is_whitespace() || c == ':' || c == '-');
        let word: String = rest.chars().take(4).collect();
        let stage = match word.as_str() {
            "data" => Some(Stage::Data),
            "rcpt" => Some(Stage::Rcpt),
            "mail" => Some(Stage::Mail),
            "ehlo" | "helo" => Some(Stage::Ehlo),
            _ => None,
        };
        if stage.is_some() {
            return stage;
        }
    }
    // The earliest stage marker in the text wins: bounces name the command first.
    let stage =
        STAGE_SET.iter(&lower).map(|(i, _)| STAGE_PROBES[i].1).find(|s| *s != Stage::Unknown);
    stage
}

/// The command named by the last "in reply to X command" of a text (Postfix writes it at the
/// end of the remote reply).
pub(crate) fn in_reply_to_stage(text: &str) -> Option<Stage> {
    // Only a text with the word "reply" can hold the phrase: most have none, and pay nothing.
    // The last "in reply to …" counts, as it did when the whole text was searched.
    let bytes = text.as_bytes();
    // The starts of "reply" in any case, last first (the word cannot overlap itself).
    let mut end = bytes.len().saturating_sub(4);
    let replies = std::iter::from_fn(|| {
        while let Some(i) = memchr::memrchr2(b'r', b'R', &bytes[..end]) {
            end = i;
            if bytes[i..i + 5].eq_ignore_ascii_case(b"reply") {
                return Some(i);
            }
        }
        None
    });
    for last in replies {
        let mut from = last.saturating_sub(16);
        while !text.is_char_boundary(from) {
            from -= 1;
        }
        if let Some(stage) = in_reply_to_in(&text[from..]) {
            return Some(stage);
        }
    }
    None
}

/// The stage of the last "in reply to X command" in `text`.
fn in_reply_to_in(text: &str) -> Option<Stage> {
    // Bounces fold the phrase across lines ("(in reply\n    to RCPT TO command)").
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase();
    let start = text.rfind("in reply to ")?;
    let rest = &text[start + "in reply to ".len()..];
    let end = rest.find(')').unwrap_or(rest.len());
    let command = rest[..end].trim();
    let command = command.strip_suffix("command").unwrap_or(command).trim();
    let stage = match command {
        "end of data" | "end of message" => Stage::EndOfData,
        "data" => Stage::Data,
        c if c.starts_with("rcpt") => Stage::Rcpt,
        c if c.starts_with("mail") => Stage::Mail,
        "ehlo" | "helo" | "lhlo" => Stage::Ehlo,
        "starttls" => Stage::Starttls,
        c if c.starts_with("auth") => Stage::Auth,
        _ => return None,
    };
    Some(stage)
}

/// Labels after which a bounce names the SMTP command that failed.
const COMMAND_MARKERS: &[&str] = &["smtp command", "command:"];

static COMMAND_SET: std::sync::LazyLock<Phrases> =
    std::sync::LazyLock::new(|| Phrases::new(COMMAND_MARKERS));

/// Phrases that name the SMTP stage, and the stage each names.
const STAGE_PROBES: &[(&str, Stage)] = &[
    ("end of data", Stage::EndOfData),
    ("end-of-data", Stage::EndOfData),
    ("end of message", Stage::EndOfData),
    ("after data", Stage::EndOfData),
    ("rcpt to", Stage::Rcpt),
    ("rcpt_to", Stage::Rcpt),
    ("rcpt command", Stage::Rcpt),
    ("recipient address", Stage::Unknown),
    // "not accepting mail from your IP" names no command.
    ("accepting mail from", Stage::Unknown),
    ("mail from your", Stage::Unknown),
    ("mail from", Stage::Mail),
    ("mail_from", Stage::Mail),
    ("data command", Stage::Data),
    ("reply to data", Stage::Data),
    (">>> data", Stage::Data),
    ("starttls", Stage::Starttls),
    ("tls handshake", Stage::Starttls),
    ("ehlo", Stage::Ehlo),
    ("helo", Stage::Ehlo),
    ("auth command", Stage::Auth),
    ("smtp auth", Stage::Auth),
    ("initial connection", Stage::Greeting),
    // Postfix: the server's banner was a refusal ("host X[ip] refused to talk to me: 554 …").
    ("refused to talk to me", Stage::Greeting),
    ("greeting", Stage::Greeting),
    ("banner", Stage::Greeting),
    ("connect to", Stage::Connect),
    ("connection refused", Stage::Connect),
    ("connection timed out", Stage::Connect),
    ("i/o timeout", Stage::Connect),
    ("dial tcp", Stage::Connect),
    ("no route to host", Stage::Connect),
];

static STAGE_SET: std::sync::LazyLock<Phrases> = std::sync::LazyLock::new(|| {
    let phrases: Vec<&str> = STAGE_PROBES.iter().map(|(p, _)| *p).collect();
    Phrases::new(&phrases)
});

/// Chooses between the DSN's Status and the codes its diagnostic states.
///
/// The diagnostic is the receiver's own words and usually more specific: it wins unless its
/// code is generic (`X.0.0`, or `X.4.7` "delivery time expired" wrapped around the real
/// error) or of another class than the DSN's.
pub(crate) fn prefer_status(dsn: Option<String>, diagnostic: &[String]) -> Option<String> {
    let generic = |s: &str| s.ends_with(".0.0") || s.ends_with(".4.7");
    let best_diag = diagnostic.iter().find(|s| !generic(s)).or(diagnostic.first()).cloned();
    match (dsn, best_diag) {
        (None, d) => d,
        (Some(d), None) => Some(d),
        (Some(d), Some(t)) => {
            if t == d || t.as_bytes()[0] != d.as_bytes()[0] || generic(&t) {
                Some(d)
            } else {
                Some(t)
            }
        }
    }
}

/// The statuses a diagnostic states: the one paired with the reply code first.
pub(crate) fn diagnostic_statuses(text: &str) -> Vec<String> {
    let mut out: Vec<String> = read_codes(text).status.into_iter().collect();
    for (_, s) in find_statuses(text) {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_and_status_pair() {
        let c = read_codes("550 5.1.1 <a@b.example>: Recipient address rejected");
        assert_eq!(c.reply.as_deref(), Some("550"));
        assert_eq!(c.status.as_deref(), Some("5.1.1"));
    }

    #[test]
    fn ip_addresses_are_not_codes() {
        let c = read_codes("host 192.0.2.5 said: 550 Unknown user");
        assert_eq!(c.reply.as_deref(), Some("550"));
        assert_eq!(c.status, None);
        assert!(find_statuses("connect to 10.5.1.1 failed").is_empty());
        assert!(find_statuses("Postfix 2.5.1 here").is_empty());
    }

    #[test]
    fn status_alone_in_prose() {
        let c = read_codes("Sorry, no mailbox here by that name. (#5.1.1)");
        assert_eq!(c.status.as_deref(), Some("5.1.1"));
        assert_eq!(c.reply, None);
    }

    #[test]
    fn continuation_dash() {
        let c = read_codes("552-5.2.2 The email account that you tried to reach is over quota.");
        assert_eq!(c.reply.as_deref(), Some("552"));
        assert_eq!(c.status.as_deref(), Some("5.2.2"));
    }

    #[test]
    fn stage_words() {
        assert_eq!(
            stage_from_text("said: 550 user unknown (in reply to RCPT TO command)"),
            Some(Stage::Rcpt)
        );
        assert_eq!(stage_from_text("(in reply to end of DATA command)"), Some(Stage::EndOfData));
        assert_eq!(
            stage_from_text("host mx[198.51.100.80] refused to talk to me: 554 go away"),
            Some(Stage::Greeting)
        );
        assert_eq!(
            stage_from_text("SMTP error from remote mail server after MAIL FROM:<a@b>"),
            Some(Stage::Mail)
        );
        assert_eq!(stage_from_text("nothing here"), None);
        assert_eq!(
            stage_from_text(
                "host mx.example.net said: 550 5.7.1 mail from 192.0.2.7 refused (in reply to \
                 RCPT TO command)"
            ),
            Some(Stage::Rcpt)
        );
        assert_eq!(
            in_reply_to_stage("refused by local policy (in reply\n    to RCPT TO command)"),
            Some(Stage::Rcpt)
        );
        assert_eq!(
            stage_from_text("554 5.7.1 rejected after DATA (in reply to end of DATA command)"),
            Some(Stage::EndOfData)
        );
        assert_eq!(stage_from_text("550 5.7.1 Not currently accepting mail from your IP"), None);
    }
}
