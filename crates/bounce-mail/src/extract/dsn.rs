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

/// Parses a delivery-status (or feedback-report) body into field groups.
pub(crate) fn parse_groups(text: &str) -> Vec<Group> {
    let mut groups = Vec::new();
    let mut current = Group::default();
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !current.fields.is_empty() {
                groups.push(std::mem::take(&mut current));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = current.fields.last_mut() {
                let piece = line.trim();
                if !last.value.is_empty() {
                    last.value.push(' ');
                }
                last.value.push_str(piece);
            }
            continue;
        }
        let Some((name, value)) = field_start(line) else {
            // A stray line inside a group continues the previous value (some MTAs do not fold).
            if let Some(last) = current.fields.last_mut() {
                last.value.push(' ');
                last.value.push_str(line.trim());
            }
            continue;
        };
        if starts_recipient(name, &current) && !current.fields.is_empty() {
            groups.push(std::mem::take(&mut current));
        }
        current.fields.push(Field { name: name.to_string(), value: value.trim().to_string() });
    }
    if !current.fields.is_empty() {
        groups.push(current);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    const DSN: &str = "Reporting-MTA: dns; mx.example.net\nArrival-Date: Thu, 29 Apr 2013 23:45:41 +0900\n\nFinal-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user\n    unknown\n\nFinal-Recipient: rfc822; b@example.org\nAction: delayed\nStatus: 4.2.2\n";

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
