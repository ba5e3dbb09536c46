//! A parser for the fields of RFC 3464 `message/delivery-status` and RFC 5965
//! `message/feedback-report` bodies, which mail-parser leaves as opaque bytes.
//!
//! The body is a sequence of field groups separated by blank lines: the per-message group, then
//! one group per recipient. Real MTAs bend the format: groups run together without blank lines,
//! fields are folded, values carry `rfc822;`/`dns;`/`smtp;` type prefixes. This parser unfolds
//! continuation lines, splits groups at each recipient field, and keeps the type prefixes apart.

/// One `Name: value` field with continuation lines unfolded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    /// The field name as written.
    pub(crate) name: String,
    /// The value, unfolded (continuation lines joined with one space).
    pub(crate) value: String,
}

/// A group of fields (per-message or per-recipient).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Group {
    pub(crate) fields: Vec<Field>,
}

impl Group {
    /// The first value of a field, by case-insensitive name.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|f| f.name.eq_ignore_ascii_case(name)).map(|f| f.value.as_str())
    }

    /// The value of a field with its `type;` prefix removed, trimmed; None when empty.
    pub(crate) fn typed(&self, name: &str) -> Option<String> {
        self.get(name).map(|v| split_type(v).1).filter(|v| !v.is_empty())
    }

    /// Whether the group names a recipient.
    pub(crate) fn is_recipient(&self) -> bool {
        self.get("Final-Recipient").is_some() || self.get("Original-Recipient").is_some()
    }
}

/// Splits `rfc822; user@example.com` into (`rfc822`, `user@example.com`).
pub(crate) fn split_type(value: &str) -> (Option<String>, String) {
    if let Some((ty, rest)) = value.split_once(';') {
        let ty = ty.trim();
        if !ty.is_empty()
            && ty.len() <= 20
            && ty.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return (Some(ty.to_ascii_lowercase()), rest.trim().to_string());
        }
    }
    (None, value.trim().to_string())
}

/// Whether a line starts a `Name:` field.
fn field_start(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.split_once(':')?;
    if name.is_empty()
        || name.len() > 40
        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    Some((name, value))
}

/// Fields that start a new recipient group even without a blank line before them.
///
/// RFC 3464 puts Original-Recipient before Final-Recipient; Postfix writes it after. A new
/// group starts at a second Final-Recipient, or at an Original-Recipient once the current
/// group already has one or has fields after its Final-Recipient.
fn starts_recipient(name: &str, current: &Group) -> bool {
    let has = |n: &str| current.get(n).is_some();
    let has_message_field = current.fields.iter().any(|f| is_message_field(&f.name));
    if name.eq_ignore_ascii_case("Final-Recipient") {
        has("Final-Recipient") || has_message_field
    } else if name.eq_ignore_ascii_case("Original-Recipient") {
        let after_final = current
            .fields
            .iter()
            .position(|f| f.name.eq_ignore_ascii_case("Final-Recipient"))
            .is_some_and(|p| p + 1 < current.fields.len());
        has("Original-Recipient") || has_message_field || after_final
    } else {
        false
    }
}

/// Per-message fields of RFC 3464.
fn is_message_field(name: &str) -> bool {
    ["Reporting-MTA", "Received-From-MTA", "Arrival-Date", "Original-Envelope-Id", "DSN-Gateway"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
        || name.get(..9).is_some_and(|prefix| prefix.eq_ignore_ascii_case("x-postfix"))
}

/// Caps applied while a report body is parsed, so a hostile body costs no more memory than
/// the caps allow whatever its size.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caps {
    /// Recipient groups kept; later recipients are only counted.
    pub(crate) recipients: usize,
    /// Bytes kept of one field value (unfolded); the rest is cut.
    pub(crate) field: usize,
}

impl Default for Caps {
    fn default() -> Self {
        Caps { recipients: usize::MAX, field: usize::MAX }
    }
}

/// What the caps left out of one body.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Overflow {
    /// Recipient fields (`Final-Recipient`) seen after the recipient cap.
    pub(crate) recipients: usize,
    /// Field values cut at the field cap.
    pub(crate) cut_fields: usize,
}

/// Parses a delivery-status (or feedback-report) body into field groups.
#[cfg(test)]
pub(crate) fn parse_groups(text: &str) -> Vec<Group> {
    parse_groups_capped(text, Caps::default(), &mut Overflow::default())
}

/// Appends `piece` to a field value, cut at `cap` bytes (on a character boundary); counts the
/// field in `overflow` the first time it is cut.
fn append_capped(value: &mut String, piece: &str, cap: usize, overflow: &mut Overflow) {
    let was_full = value.len() >= cap;
    let room = cap.saturating_sub(value.len());
    if piece.len() <= room {
        value.push_str(piece);
        return;
    }
    let mut end = room;
    while !piece.is_char_boundary(end) {
        end -= 1;
    }
    value.push_str(&piece[..end]);
    if !was_full {
        overflow.cut_fields += 1;
    }
}

/// [`parse_groups`] under `caps`: past the recipient cap, recipient fields are counted in
/// `overflow` and nothing more is kept; values longer than the field cap are cut.
pub(crate) fn parse_groups_capped(text: &str, caps: Caps, overflow: &mut Overflow) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut current = Group::default();
    let mut kept_recipients = 0usize;
    let mut lines = text.lines();
    for raw in lines.by_ref() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !current.fields.is_empty() {
                kept_recipients += usize::from(current.is_recipient());
                groups.push(std::mem::take(&mut current));
            }
            if kept_recipients >= caps.recipients {
                break;
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = current.fields.last_mut() {
                let piece = line.trim();
                if !last.value.is_empty() {
                    append_capped(&mut last.value, " ", caps.field, overflow);
                }
                append_capped(&mut last.value, piece, caps.field, overflow);
            }
            continue;
        }
        let Some((name, value)) = field_start(line) else {
            // A stray line inside a group continues the previous value (some MTAs do not fold).
            if let Some(last) = current.fields.last_mut() {
                append_capped(&mut last.value, " ", caps.field, overflow);
                append_capped(&mut last.value, line.trim(), caps.field, overflow);
            }
            continue;
        };
        if starts_recipient(name, &current) && !current.fields.is_empty() {
            kept_recipients += usize::from(current.is_recipient());
            groups.push(std::mem::take(&mut current));
            if kept_recipients >= caps.recipients {
                // This line starts one recipient more than the cap keeps.
                overflow.recipients += 1;
                break;
            }
        }
        let mut kept = String::new();
        append_capped(&mut kept, value.trim(), caps.field, overflow);
        current.fields.push(Field { name: name.to_string(), value: kept });
    }
    if !current.fields.is_empty() {
        groups.push(current);
    }
    // Past the cap: count the recipients left, keep nothing.
    overflow.recipients += lines
        .filter(|line| {
            line.get(..16).is_some_and(|name| name.eq_ignore_ascii_case("Final-Recipient:"))
        })
        .count();
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    const DSN: &str = "Reporting-MTA: dns; mx.example.net\nArrival-Date: Thu, 29 Apr 2013 23:45:41 +0900\n\nFinal-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user\n    unknown\n\nFinal-Recipient: rfc822; b@example.org\nAction: delayed\nStatus: 4.2.2\n";

    #[test]
    fn caps_keep_the_first_recipients_count_the_rest_and_cut_long_values() {
        let mut text = String::from("Reporting-MTA: dns; mx.example.org\n\n");
        for i in 0..50 {
            text.push_str(&format!(
                "Final-Recipient: rfc822; user{i}@example.net\nAction: failed\nStatus: 5.1.1\n"
            ));
            if i % 2 == 0 {
                text.push('\n');
            }
        }
        let long = "x".repeat(5_000);
        text = text.replacen(
            "Status: 5.1.1",
            &format!("Status: 5.1.1\nDiagnostic-Code: smtp; {long}"),
            1,
        );
        let mut overflow = Overflow::default();
        let groups =
            parse_groups_capped(&text, Caps { recipients: 10, field: 1_000 }, &mut overflow);
        let recipients: Vec<&Group> = groups.iter().filter(|g| g.is_recipient()).collect();
        assert_eq!(recipients.len(), 10);
        assert_eq!(recipients[0].typed("Final-Recipient").as_deref(), Some("user0@example.net"));
        assert_eq!(overflow.recipients, 40, "every recipient past the cap is counted");
        assert_eq!(recipients[0].get("Diagnostic-Code").map(str::len), Some(1_000));
        assert_eq!(overflow.cut_fields, 1);
        assert_eq!(parse_groups(&text).iter().filter(|g| g.is_recipient()).count(), 50);
    }

    #[test]
    fn groups_and_unfolding() {
        let g = parse_groups(DSN);
        assert_eq!(g.len(), 3);
        assert_eq!(g[0].typed("Reporting-MTA").as_deref(), Some("mx.example.net"));
        assert_eq!(g[1].typed("Final-Recipient").as_deref(), Some("a@example.org"));
        assert_eq!(g[1].get("Diagnostic-Code"), Some("smtp; 550 5.1.1 user unknown"));
        assert_eq!(g[2].get("Action"), Some("delayed"));
    }

    #[test]
    fn run_together_groups_are_split() {
        let text = "Reporting-MTA: dns; mx\nFinal-Recipient: rfc822; a@x.example\nStatus: 5.0.0\nFinal-Recipient: rfc822; b@x.example\nStatus: 5.0.0\n";
        let g = parse_groups(text);
        assert_eq!(g.len(), 3);
        assert_eq!(g[2].typed("Final-Recipient").as_deref(), Some("b@x.example"));
    }

    #[test]
    fn original_then_final_stay_together() {
        let text = "Original-Recipient: rfc822;a@x.example\nFinal-Recipient: rfc822;a@y.example\nAction: failed\n";
        let g = parse_groups(text);
        assert_eq!(g.len(), 1);
    }
}
