//! The Received chain of a returned message: sending IP, HELO name and TLS use.
//!
//! Received headers are newest first. The sending IP and HELO come from the oldest hop whose
//! `from` clause names a public IP (where the mail entered from the sender); TLS use comes
//! from the newest such hop (the one that reached the receiver). Every value is marked
//! uncertain: a returned copy may be the sender's own.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bounce_model::Provenanced;

/// What the Received chain tells about the sender's connection.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct ChainEvidence {
    /// The IP of the oldest external hop.
    pub(super) sending_ip: Option<Provenanced>,
    /// The HELO name of the oldest external hop.
    pub(super) helo: Option<Provenanced>,
    /// TLS use stated by the newest external hop.
    pub(super) tls: Option<Provenanced>,
}

/// Reads the chain from the Received values, newest first.
pub(super) fn chain_evidence(received: &[&str]) -> ChainEvidence {
    let clauses: Vec<Option<FromClause>> =
        received.iter().map(|value| from_clause(value)).collect();
    let is_external = |clause: &Option<FromClause>| {
        clause.as_ref().is_some_and(|c| c.ip.as_ref().is_some_and(|(_, ip)| is_public(*ip)))
    };
    let mut evidence = ChainEvidence::default();

    if let Some(index) = clauses.iter().rposition(is_external) {
        let source =
            format!("Received[{}] of the returned message (oldest external hop)", index + 1);
        if let Some(clause) = &clauses[index] {
            evidence.sending_ip =
                clause.ip.as_ref().map(|(written, _)| uncertain(written, &source));
            evidence.helo = clause.helo.as_ref().map(|helo| uncertain(helo, &source));
        }
    }
    if let Some(index) = clauses.iter().position(is_external) {
        let source =
            format!("Received[{}] of the returned message (newest external hop)", index + 1);
        evidence.tls = tls_statement(received[index]).map(|value| uncertain(&value, &source));
    }
    evidence
}

/// Builds an uncertain provenanced value.
fn uncertain(value: &str, source: &str) -> Provenanced {
    Provenanced { value: value.to_owned(), source: source.to_owned(), uncertain: true }
}

/// The client side of one Received header.
#[derive(Debug, Default, PartialEq, Eq)]
struct FromClause {
    /// The HELO name (`(HELO x)`, `helo=x` or the word after `from`).
    helo: Option<String>,
    /// The client IP as written, and parsed.
    ip: Option<(String, IpAddr)>,
}

/// One top-level piece of a Received value: a word or a parenthesised group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item<'a> {
    /// A run of non-space characters outside parentheses.
    Word(&'a str),
    /// The inside of a parenthesised group (nested parentheses kept).
    Group(&'a str),
}

/// Splits a header value into top-level words and parenthesised groups.
fn items(value: &str) -> Vec<Item<'_>> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start: Option<usize> = None;
    for (at, c) in value.char_indices() {
        match c {
            '(' => {
                if depth == 0 {
                    if let Some(s) = start.take() {
                        out.push(Item::Word(&value[s..at]));
                    }
                    start = Some(at + 1);
                }
                depth += 1;
            }
            ')' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    if let Some(s) = start.take() {
                        out.push(Item::Group(&value[s..at]));
                    }
                }
            }
            c if depth == 0 && c.is_whitespace() => {
                if let Some(s) = start.take() {
                    out.push(Item::Word(&value[s..at]));
                }
            }
            _ if depth == 0 && start.is_none() => start = Some(at),
            _ => {}
        }
    }
    if let Some(s) = start {
        let rest = &value[s..];
        out.push(if depth > 0 { Item::Group(rest) } else { Item::Word(rest) });
    }
    out
}

/// Parses the `from` clause of a Received value, if it has one.
fn from_clause(value: &str) -> Option<FromClause> {
    let all = items(value);
    let start = all
        .iter()
        .position(|item| matches!(item, Item::Word(w) if w.eq_ignore_ascii_case("from")))?;
    let mut clause_items = Vec::new();
    for item in &all[start + 1..] {
        if let Item::Word(word) = item {
            let bare = word.trim_end_matches(';');
            if ["by", "via", "with", "id", "for"].iter().any(|k| bare.eq_ignore_ascii_case(k)) {
                break;
            }
            clause_items.push(Item::Word(bare));
            if word.ends_with(';') {
                break;
            }
        } else {
            clause_items.push(*item);
        }
    }
    let from_word = match clause_items.first() {
        Some(Item::Word(word)) if !word.is_empty() => Some(*word),
        _ => None,
    };
    let groups: Vec<&str> = clause_items
        .iter()
        .filter_map(|item| match item {
            Item::Group(g) => Some(*g),
            Item::Word(_) => None,
        })
        .collect();

    let bracketed = groups.iter().flat_map(|g| bracketed_literals(g)).find_map(parse_ip);
    let bare_group = groups.iter().find_map(|g| parse_ip(g.trim().rsplit('@').next().unwrap_or(g)));
    let ip = bracketed.or(bare_group).or_else(|| from_word.and_then(parse_ip));

    let helo =
        groups.iter().find_map(|g| helo_in_group(g)).or_else(|| from_word.map(str::to_owned));
    Some(FromClause { helo, ip })
}

/// The `[...]` literals inside a text.
fn bracketed_literals(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else { break };
        out.push(&after[..close]);
        rest = &after[close + 1..];
    }
    out
}

/// Parses an IP written bare, in brackets, or with an `IPv6:` tag.
fn parse_ip(written: &str) -> Option<(String, IpAddr)> {
    let inner = written.trim().trim_start_matches('[').trim_end_matches(']');
    let inner = match inner.get(..5) {
        Some(tag) if tag.eq_ignore_ascii_case("ipv6:") => &inner[5..],
        _ => inner,
    };
    inner.parse::<IpAddr>().ok().map(|ip| (inner.to_owned(), ip))
}

/// The HELO name a group states: `(HELO name)`, `(EHLO name)` or `helo=name`.
fn helo_in_group(group: &str) -> Option<String> {
    let mut words = group.split_whitespace();
    let first = words.next()?;
    if ["helo", "ehlo", "lhlo"].iter().any(|k| first.eq_ignore_ascii_case(k)) {
        return words.next().map(str::to_owned);
    }
    group.split_whitespace().find_map(|word| {
        let (key, value) = word.split_once('=')?;
        (key.eq_ignore_ascii_case("helo") && !value.is_empty())
            .then(|| value.trim_end_matches([')', ',', ';']).to_owned())
    })
}

/// Whether an IP address is routable on the public internet.
///
/// The documentation ranges (`192.0.2.0/24`, `2001:db8::/32` and others) count as public:
/// anonymised bounces and examples use them for real senders.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

/// IPv4 part of [`is_public`].
fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || a >= 240)
}

/// IPv6 part of [`is_public`].
fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80)
}

/// What a Received line states about TLS: a version, a TLS protocol word, or `no`.
fn tls_statement(value: &str) -> Option<String> {
    let all = items(value);
    let words: Vec<&str> =
        value.split(|c: char| c.is_whitespace() || c == '(' || c == ')').collect();
    if let Some(version) = words.iter().find_map(|w| {
        let (key, v) = w.split_once('=')?;
        key.eq_ignore_ascii_case("version").then(|| v.trim_end_matches([',', ';']))
    }) {
        if version.to_ascii_uppercase().starts_with("TLS")
            || version.to_ascii_uppercase().starts_with("SSL")
        {
            return Some(normalise_tls_version(version));
        }
    }
    if let Some(pos) = words.iter().position(|w| w.eq_ignore_ascii_case("using")) {
        if let Some(next) = words.get(pos + 1).filter(|w| w.len() > 3 && is_tls_name(w)) {
            return Some(normalise_tls_version(next));
        }
    }
    let with = all
        .iter()
        .position(|item| matches!(item, Item::Word(w) if w.eq_ignore_ascii_case("with")))?;
    let Some(Item::Word(protocol)) = all.get(with + 1) else { return None };
    let protocol = protocol.trim_end_matches(';');
    // Exim writes the version in a group after the protocol: `with esmtps (TLS1.3) tls ...`.
    if let Some(Item::Group(group)) = all.get(with + 2) {
        let version = group.split([':', ' ']).next().unwrap_or_default();
        if is_tls_name(version) {
            return Some(normalise_tls_version(version));
        }
    }
    let upper = protocol.to_ascii_uppercase();
    if upper.contains("SMTPS") || upper.contains("LMTPS") {
        Some(upper)
    } else if matches!(upper.as_str(), "SMTP" | "ESMTP" | "ESMTPA" | "UTF8SMTP" | "UTF8SMTPA") {
        Some("no".to_owned())
    } else {
        None
    }
}

/// Whether a word names a TLS or SSL version (`TLSv1.2`, `TLS1_3`, `TLS1.3`).
fn is_tls_name(word: &str) -> bool {
    let upper = word.to_ascii_uppercase();
    (upper.starts_with("TLS") || upper.starts_with("SSL"))
        && upper.bytes().any(|b| b.is_ascii_digit())
}

/// Writes `TLS1_2` and `TLS1.2` as `TLSv1.2`; other spellings are kept.
fn normalise_tls_version(version: &str) -> String {
    let upper = version.to_ascii_uppercase();
    match upper.strip_prefix("TLS") {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => {
            format!("TLSv{}", rest.replace('_', "."))
        }
        _ => version.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{chain_evidence, from_clause, tls_statement};

    fn clause(value: &str) -> (Option<String>, Option<String>) {
        let parsed = from_clause(value).unwrap_or_default();
        (parsed.helo, parsed.ip.map(|(written, _)| written))
    }

    fn pair(helo: &str, ip: &str) -> (Option<String>, Option<String>) {
        (Some(helo.to_owned()), Some(ip.to_owned()))
    }

    #[test]
    fn postfix_and_sendmail_clauses() {
        let postfix = "from mail.sender.example (mail.sender.example [192.0.2.10]) by mx.example.net (Postfix) with ESMTPS id 4F2; Mon, 1 Jan 2024 00:00:00 +0000";
        assert_eq!(clause(postfix), pair("mail.sender.example", "192.0.2.10"));
        let unknown = "from helo.example (unknown [198.51.100.7]) by mx (Postfix) with ESMTP id 1";
        assert_eq!(clause(unknown), pair("helo.example", "198.51.100.7"));
        let sendmail = "from helo ([203.0.113.5]) (authenticated bits=0) by relay (8.15.2/8.15.2) with ESMTPSA id x";
        assert_eq!(clause(sendmail), pair("helo", "203.0.113.5"));
    }

    #[test]
    fn exim_qmail_and_exchange_clauses() {
        let exim = "from [192.0.2.33] (helo=laptop.local) by smtp.example.org with esmtpsa (TLS1.3) tls TLS_AES_256_GCM_SHA384";
        assert_eq!(clause(exim), pair("laptop.local", "192.0.2.33"));
        let exim_rdns = "from host.example.org ([192.0.2.34]:41234 helo=mx.example.org) by mx2 with esmtp (Exim 4.96)";
        assert_eq!(clause(exim_rdns), pair("mx.example.org", "192.0.2.34"));
        let qmail = "from unknown (HELO outbound.example.com) (192.0.2.4) by mail.example.jp with SMTP; 29 Apr 2009 00:00:00 -0000";
        assert_eq!(clause(qmail), pair("outbound.example.com", "192.0.2.4"));
        let exchange = "from EXCH01.corp.example.com (10.1.1.1) by EXCH02.corp.example.com (10.1.1.2) with Microsoft SMTP Server";
        assert_eq!(clause(exchange), pair("EXCH01.corp.example.com", "10.1.1.1"));
        let v6 = "from mx.example.net (mx.example.net [IPv6:2001:db8::1]) by mx with ESMTPS";
        assert_eq!(clause(v6), pair("mx.example.net", "2001:db8::1"));
    }

    #[test]
    fn lines_without_from_or_ip() {
        assert_eq!(from_clause("by mail.example.com (Postfix, from userid 1000) id 1234"), None);
        assert_eq!(
            clause("from kijitora@example.co.jp by x00.mail.example.net; Thu, 29 Apr 2009"),
            (Some("kijitora@example.co.jp".to_owned()), None)
        );
    }

    #[test]
    fn oldest_external_hop_gives_ip_and_helo_newest_gives_tls() {
        let chain = [
            "from localhost (localhost [127.0.0.1]) by mx.receiver.example (Postfix) with ESMTP id 2",
            "from out.sender.example (out.sender.example [192.0.2.50]) by mx.receiver.example (Postfix) with ESMTPS id 1 (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))",
            "from app01 (app01.internal [10.0.0.5]) by out.sender.example (Postfix) with ESMTP id 0",
            "from [198.51.100.9] (helo=client) by out.sender.example with esmtpsa (TLS1.2:ECDHE-RSA-AES256-GCM-SHA384:256)",
        ];
        let evidence = chain_evidence(&chain);
        let ip = evidence.sending_ip.expect("sending ip");
        assert_eq!(ip.value, "198.51.100.9");
        assert_eq!(ip.source, "Received[4] of the returned message (oldest external hop)");
        assert!(ip.uncertain);
        assert_eq!(evidence.helo.map(|h| h.value).as_deref(), Some("client"));
        let tls = evidence.tls.expect("tls");
        assert_eq!(tls.value, "TLSv1.3");
        assert_eq!(tls.source, "Received[2] of the returned message (newest external hop)");
    }

    #[test]
    fn internal_only_chain_gives_nothing() {
        let chain = [
            "from localhost (localhost [127.0.0.1]) by a with ESMTP",
            "from b (b [192.168.1.2]) by a with SMTP",
            "from c (c [IPv6:::1]) by a",
        ];
        assert_eq!(chain_evidence(&chain), super::ChainEvidence::default());
    }

    #[test]
    fn tls_statements_are_read_as_written() {
        let gmail = "from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) by mx.google.com with SMTPS id a1sor for <x@example.com> (Google Transport Security); Mon, 1 Jan 2024";
        assert_eq!(tls_statement(gmail).as_deref(), Some("SMTPS"));
        let versioned = "from a (a [192.0.2.1]) by mx.google.com with ESMTPS id x (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256)";
        assert_eq!(tls_statement(versioned).as_deref(), Some("TLSv1.3"));
        let exchange = "from a (192.0.2.1) by b (192.0.2.2) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.1.2";
        assert_eq!(tls_statement(exchange).as_deref(), Some("TLSv1.2"));
        assert_eq!(
            tls_statement("from a (a [192.0.2.1]) by b with esmtps (TLS1.3) tls TLS_AES_128")
                .as_deref(),
            Some("TLSv1.3")
        );
        assert_eq!(
            tls_statement("from a (a [192.0.2.1]) by b with ESMTP id 1; Mon").as_deref(),
            Some("no")
        );
        assert_eq!(tls_statement("from a (a [192.0.2.1]) by b with LMTP id 1"), None);
        assert_eq!(tls_statement("from a (a [192.0.2.1]) by b id 1"), None);
    }

    #[test]
    fn junk_never_panics() {
        for junk in [
            "",
            "from",
            "from (",
            "from [",
            "from ((((",
            "from [IPv6:",
            "with",
            "from a (HELO",
            "from é (ü [ø]) by ß with ☃",
            "from [999.1.1.1] by x",
        ] {
            let _ = chain_evidence(&[junk]);
            let _ = tls_statement(junk);
        }
    }
}
