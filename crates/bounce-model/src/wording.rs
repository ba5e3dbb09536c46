//! Reply texts with what differs between otherwise identical replies masked, so that replies
//! can be merged and grouped: [`mask_ids`] for the responses of an incident (the IPs stay: a
//! different IP is different evidence), [`wording`] for grouping by the SMTP wording as the
//! seed asks for Marketing Cloud exports (addresses and IPs masked too).

/// Masks bracketed host ids, timestamps, trace and hex ids (any word of 10 or more characters
/// with a digit that is not an IP address); keeps IP addresses.
#[must_use]
pub fn mask_ids(text: &str) -> String {
    mask(text, false)
}

/// [`mask_ids`], and every address (`<address>`) and IP address (`<ip>`) masked too: the
/// wording a receiver uses for many recipients and hosts.
#[must_use]
pub fn wording(text: &str) -> String {
    mask(text, true)
}

fn mask(text: &str, everything: bool) -> String {
    let mut out: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let core = word.trim_matches(|c: char| "[]()<>,;:.\"'".contains(c));
        let is_ip = core.parse::<std::net::IpAddr>().is_ok();
        if everything && is_ip {
            out.push("<ip>".to_owned());
            continue;
        }
        if everything && core.contains('@') && core.len() > 2 {
            out.push("<address>".to_owned());
            continue;
        }
        let bracketed = word.starts_with('[') && !is_ip;
        let id_like = core.len() >= 10 && core.chars().any(|c| c.is_ascii_digit()) && !is_ip;
        if bracketed || id_like {
            if out.last().map(String::as_str) != Some("…") {
                out.push("…".to_owned());
            }
        } else {
            out.push(word.to_owned());
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::{mask_ids, wording};

    #[test]
    fn ids_are_masked_ips_kept_or_masked() {
        let a = "550 5.7.1 [203.0.113.11] blocked (S3150) 9d4fe6b74db83-a3cb.2516 - gsmtp";
        assert_eq!(mask_ids(a), "550 5.7.1 [203.0.113.11] blocked (S3150) … - gsmtp");
        let b = "550 5.1.1 <ann@example.org>: Recipient address rejected from [198.51.100.7]";
        assert_eq!(wording(b), "550 5.1.1 <address> Recipient address rejected from <ip>");
        let c = "550 5.1.1 <bob@example.net>: Recipient address rejected from [192.0.2.9]";
        assert_eq!(wording(b), wording(c));
    }
}
