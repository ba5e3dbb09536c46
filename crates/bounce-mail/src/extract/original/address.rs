//! Addresses and Message-IDs: pulling an addr-spec out of header forms and checking syntax.
//!
//! Bounces write addresses in every form: `rfc822; user@example.com`, `<user@example.com>`,
//! `"Doe, John" <John@Example.COM> (work)`, `user@example.com (John)`. These helpers find the
//! addr-spec in all of them and judge whether it, or a Message-ID, is well formed.

/// Whether a byte is RFC 5322 `atext` (ASCII letters, digits and the allowed specials).
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

/// Whether a text is a dot-atom: atext runs separated by single dots, no dot at either end.
fn is_dot_atom(text: &str, allow_non_ascii: bool) -> bool {
    !text.is_empty()
        && text.split('.').all(|atom| {
            !atom.is_empty()
                && atom.chars().all(|c| is_atext(c) || (allow_non_ascii && !c.is_ascii()))
        })
}

/// Whether a text is a domain literal such as `[192.0.2.1]` or `[IPv6:2001:db8::1]`.
fn is_domain_literal(text: &str) -> bool {
    text.len() > 2
        && text.starts_with('[')
        && text.ends_with(']')
        && text[1..text.len() - 1]
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '[' | ']' | '\\'))
}

/// Whether a Message-ID is a syntactically valid `<id-left@id-right>`.
///
/// Both sides must be dot-atoms (the right side may be a domain literal), with no spaces.
pub(crate) fn is_valid_message_id(id: &str) -> bool {
    let Some(inner) = id.trim().strip_prefix('<').and_then(|s| s.strip_suffix('>')) else {
        return false;
    };
    let Some((left, right)) = inner.split_once('@') else {
        return false;
    };
    is_dot_atom(left, false) && (is_dot_atom(right, false) || is_domain_literal(right))
}

/// Whether an addr-spec is a plausible internet mailbox: a valid local part and a domain
/// with a dot (or a domain literal).
pub(crate) fn is_valid_address(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    let local_ok = if local.len() >= 2 && local.starts_with('"') && local.ends_with('"') {
        local[1..local.len() - 1].chars().all(|c| c != '"' && !c.is_control())
    } else {
        is_dot_atom(local, true)
    };
    let domain_ok = is_domain_literal(domain)
        || (domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            }));
    local_ok && domain_ok
}

/// Removes parenthesised comments outside quoted strings.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut depth, mut quoted, mut escaped) = (0usize, false, false);
    for c in text.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' => {
                escaped = true;
                if depth == 0 {
                    out.push(c);
                }
            }
            '"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The byte index of the first `<` outside a quoted string.
fn angle_start(text: &str) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => return Some(at),
            _ => {}
        }
    }
    None
}

/// Finds the addr-spec in an address as bounces write it and returns it with the domain
/// lowercased (the local part is kept as written).
///
/// Handles angle brackets, display names, comments, source routes, `mailto:` and address-type
/// prefixes such as `rfc822;`. Returns `None` for the null path `<>` and for text without a
/// `local@domain` shape.
pub(crate) fn extract_addr_spec(text: &str) -> Option<String> {
    let mut text = text.trim();
    if let Some((kind, rest)) = text.split_once(';') {
        if !kind.is_empty()
            && kind.trim().chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            text = rest.trim();
        }
    }
    let cleaned = strip_comments(text);
    let candidate = if let Some(open) = angle_start(&cleaned) {
        let inner = &cleaned[open + 1..];
        let inner = &inner[..inner.find('>').unwrap_or(inner.len())];
        // A source route (`<@relay.example:user@example.com>`) precedes the real address.
        match inner.trim().strip_prefix('@') {
            Some(route) => route.split_once(':').map_or("", |(_, address)| address).to_owned(),
            None => inner.to_owned(),
        }
    } else {
        let first = cleaned.split(',').next().unwrap_or_default().trim();
        if first.starts_with('"') {
            // A quoted local part may hold spaces: `"odd local"@example.com`.
            first.to_owned()
        } else {
            let word = first.split_whitespace().find(|word| word.contains('@')).unwrap_or_default();
            // A source route without angle brackets (`@relay.example:user@example.com`).
            match word.strip_prefix('@') {
                Some(route) => route.split_once(':').map_or("", |(_, address)| address).to_owned(),
                None => word.to_owned(),
            }
        }
    };
    let candidate = candidate.trim();
    let candidate = match candidate.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") => &candidate[7..],
        _ => candidate,
    };
    let candidate = without_address_type_prefix(candidate);
    let (local, domain) = candidate.rsplit_once('@')?;
    let domain = domain.trim_end_matches('.');
    let quoted_local = local.len() >= 2 && local.starts_with('"') && local.ends_with('"');
    if local.is_empty()
        || domain.is_empty()
        || domain
            .contains(|c: char| c.is_whitespace() || c == '@' || c == '<' || c == '>' || c == '"')
        || (!quoted_local && local.contains(|c: char| c.is_whitespace() || c == '<' || c == '>'))
    {
        return None;
    }
    Some(format!("{local}@{}", domain.to_lowercase()))
}

/// The address without an X.400 / Exchange address-type prefix (`SMTP=user@example.net`,
/// `SMTP:user@example.net`, `RFC822:user@example.net`): gateways write the type of a proxy
/// address in front of it, and the sender mailed the address after it.
pub(crate) fn without_address_type_prefix(candidate: &str) -> &str {
    for prefix in ["smtp=", "smtp:", "rfc822=", "rfc822:"] {
        if let Some(head) = candidate.get(..prefix.len()) {
            let rest = &candidate[prefix.len()..];
            if head.eq_ignore_ascii_case(prefix) && rest.contains('@') {
                return rest.trim_start();
            }
        }
    }
    candidate
}

/// Drops repeated addresses (compared ignoring ASCII case), keeping the first of each.
pub(crate) fn dedup_addresses(list: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    list.retain(|a| seen.insert(a.to_ascii_lowercase()));
}

#[cfg(test)]
mod tests {
    use super::{extract_addr_spec, is_valid_address, is_valid_message_id};

    fn addr(text: &str) -> Option<String> {
        extract_addr_spec(text)
    }

    #[test]
    fn addr_spec_is_found_in_every_common_form() {
        assert_eq!(addr("rfc822; user@Example.COM").as_deref(), Some("user@example.com"));
        assert_eq!(addr("RFC822;<User@EXAMPLE.com>").as_deref(), Some("User@example.com"));
        assert_eq!(
            addr("\"Doe, John\" <John.Doe@Example.COM> (work)").as_deref(),
            Some("John.Doe@example.com")
        );
        assert_eq!(addr("john@example.com (John <Doe>)").as_deref(), Some("john@example.com"));
        assert_eq!(
            addr("Taro <taro@example.jp>, Hanako <hanako@example.jp>").as_deref(),
            Some("taro@example.jp")
        );
        assert_eq!(
            addr("<@relay.example.net:user@example.org>").as_deref(),
            Some("user@example.org")
        );
        assert_eq!(
            addr("mailto:list-unsub@Example.org").as_deref(),
            Some("list-unsub@example.org")
        );
        assert_eq!(addr("\"a <b>\" <c@d.example>").as_deref(), Some("c@d.example"));
        assert_eq!(addr("\"odd local\"@example.com").as_deref(), Some("\"odd local\"@example.com"));
        assert_eq!(addr("user@example.com.").as_deref(), Some("user@example.com"));
        assert_eq!(addr("rfc822; SMTP=kim@Example.NET").as_deref(), Some("kim@example.net"));
        assert_eq!(addr("smtp:Kim@example.net").as_deref(), Some("Kim@example.net"));
        assert_eq!(addr("<SMTP:kim@example.net>").as_deref(), Some("kim@example.net"));
    }

    #[test]
    fn null_path_and_non_addresses_give_none() {
        for text in [
            "<>",
            "",
            "MAILER-DAEMON",
            "rfc822;",
            "user@",
            "@example.com",
            "<user@>",
            "a@ b",
            "(((",
        ] {
            assert_eq!(addr(text), None, "{text:?}");
        }
    }

    #[test]
    fn address_validity_needs_a_dotted_domain_or_a_literal() {
        assert!(is_valid_address("user.name+tag@example.co.jp"));
        assert!(is_valid_address("user@[192.0.2.1]"));
        assert!(is_valid_address("用户@例子.广告"));
        assert!(!is_valid_address("user@localhost"));
        assert!(!is_valid_address("user..name@example.com"));
        assert!(!is_valid_address("user@-example.com"));
        assert!(!is_valid_address("user@example..com"));
        assert!(!is_valid_address("no-at-sign"));
    }

    #[test]
    fn message_id_validity() {
        assert!(is_valid_message_id("<CAF=x1+yz@mail.gmail.com>"));
        assert!(is_valid_message_id("  <20240101.123456.abc@mx.example.org>  "));
        assert!(is_valid_message_id("<abc@[192.0.2.1]>"));
        for bad in [
            "abc@example.com",
            "<abc>",
            "<a b@example.com>",
            "<abc@example.com",
            "<@example.com>",
            "<abc@>",
            "<a@b@c>",
            "<.a@b>",
            "<>",
            "<ü@example.com>",
        ] {
            assert!(!is_valid_message_id(bad), "{bad:?}");
        }
    }
}
