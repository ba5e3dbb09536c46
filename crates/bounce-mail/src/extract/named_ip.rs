//! The sending IP as the receiver names it in its reply ("messages from [203.0.113.11]",
//! "client [192.0.2.7] blocked using …", "[203.0.113.12 19] Gmail has detected …"): the
//! receiving side saw the connection, so its word outranks the Received chain of the returned
//! copy, whose hops the sender wrote (an application server's hop is not the sending IP).

use std::sync::LazyLock;

use regex::Regex;

/// Phrases after which a reply names the connecting IP, and the IP itself.
static NAMED: LazyLock<Regex> = LazyLock::new(|| {
    let pattern = r"(?ix)
        (?: \b(?:messages?|mail|e-?mail|connections?|client(?:\s+host)?|sending\s+ip|ip(?:\s+address)?|your\s+ip)
            \s+(?:from\s+)?(?:ip\s+)?[\[(]?
          | \bip=
          | ^\s*(?:smtp;\s*)?[45]\d\d[\s-]+(?:[45]\.\d{1,3}\.\d{1,3}\s+)?\[
        )
        (?P<ip>(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3})\b
        (?:[\])\s:;,.]|$)";
    Regex::new(pattern).expect("the pattern is valid")
});

/// The public IPv4 address a reply names as the connecting client, if it names one.
pub(crate) fn sending_ip_named_in(reply: &str) -> Option<String> {
    if !has_dotted_quad(reply) {
        // Most replies name no IPv4 address at all: no regex search for them.
        return None;
    }
    NAMED.captures_iter(reply).filter_map(|c| c.name("ip")).map(|m| m.as_str()).find_map(|ip| {
        let parts: Vec<u8> = ip.split('.').filter_map(|p| p.parse().ok()).collect();
        let private = matches!(
            parts.as_slice(),
            [10, ..] | [127, ..] | [192, 168, ..] | [169, 254, ..] | [0, ..]
        ) || matches!(parts.as_slice(), [172, b, ..] if (16..=31).contains(b))
            || matches!(parts.as_slice(), [100, b, ..] if (64..=127).contains(b));
        (parts.len() == 4 && !private).then(|| ip.to_owned())
    })
}

/// Whether `text` holds four runs of ASCII digits joined by single dots (`192.0.2.7`), which
/// every address the pattern captures is.
fn has_dotted_quad(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut runs = 0;
    let mut in_digits = false;
    for &b in bytes {
        if b.is_ascii_digit() {
            if !in_digits {
                in_digits = true;
                runs += 1;
                if runs == 4 {
                    return true;
                }
            }
        } else {
            // A dot after digits continues the quad; anything else starts over.
            runs = if b == b'.' && in_digits { runs } else { 0 };
            in_digits = false;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::{has_dotted_quad, sending_ip_named_in};

    #[test]
    fn a_dotted_quad_is_four_digit_runs_joined_by_single_dots() {
        assert!(has_dotted_quad("from [203.0.113.11]"));
        assert!(has_dotted_quad("5.1.1 then 1.2.3.4"));
        assert!(!has_dotted_quad("550 5.1.1 user unknown"));
        assert!(!has_dotted_quad("1.2..3.4 and 1.2.3"));
        assert!(!has_dotted_quad(""));
    }

    #[test]
    fn the_ip_a_receiver_names_is_found_in_its_usual_shapes() {
        let cases = [
            ("550 5.7.1 Unfortunately, messages from [203.0.113.11] weren't sent.", Some("203.0.113.11")),
            ("554 5.7.1 Service unavailable; Client host [198.51.100.40] blocked using zen.spamhaus.org", Some("198.51.100.40")),
            ("421-4.7.28 [203.0.113.12 19] Gmail has detected an unusual rate", Some("203.0.113.12")),
            ("421 4.7.0 [TSS04] Messages from 192.0.2.192 temporarily deferred", Some("192.0.2.192")),
            ("550 5.7.606 Access denied, banned sending IP [203.0.113.13].", Some("203.0.113.13")),
            ("554 found on one or more DNSBLs: your IP address 198.51.100.9;", Some("198.51.100.9")),
            ("554 IP=203.0.113.21 - A problem occurred. (BL)", Some("203.0.113.21")),
            // Not the connecting client: a version, a remote host's own address, private space.
            ("550 5.1.1 user unknown (Postfix 3.5.1.2)", None),
            ("550 5.7.1 messages from [10.1.2.3] refused", None),
            ("host 198.51.100.7[198.51.100.7] said: 550 5.1.1 unknown user", None),
            ("550 5.1.1 <ann@example.net>: Recipient address rejected: User unknown", None),
        ];
        for (reply, expected) in cases {
            assert_eq!(sending_ip_named_in(reply).as_deref(), expected, "{reply}");
        }
    }
}
