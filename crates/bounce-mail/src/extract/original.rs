//! Evidence from the returned original message: its headers, Received chain and links.
//!
//! [`parse_header_block`] reads a raw header block, including copies quoted inline with a
//! uniform `> ` or indentation prefix, and [`original_evidence`] turns the headers (and the
//! body, when returned) into a [`bounce_model::Original`].

mod address;
mod received;

use std::collections::BTreeMap;

use bounce_model::{AuthResult, DkimSignature, Original, Provenanced};
use mail_parser::parsers::MessageStream;
use mail_parser::HeaderValue;

pub(crate) use address::{
    dedup_addresses, extract_addr_spec, is_valid_address, is_valid_message_id,
    without_address_type_prefix,
};

/// The most link domains kept from one body.
const MAX_LINK_DOMAINS: usize = 20;

/// How many non-header lines may precede the first header of a block.
const MAX_LEADING_JUNK: usize = 3;

/// One header of the returned original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header<'a> {
    /// The field name as written.
    pub(crate) name: &'a str,
    /// The value, unfolded, with RFC 2047 encoded words decoded in text headers.
    pub(crate) value: String,
}

/// Headers whose values are structured and never hold encoded words worth decoding.
const UNDECODED: [&str; 7] = [
    "received",
    "dkim-signature",
    "authentication-results",
    "arc-seal",
    "arc-message-signature",
    "arc-authentication-results",
    "return-path",
];

/// Reads a raw header block, stopping at the first blank line.
///
/// A uniform quoting prefix (`> `, `>> ` or indentation, as in originals quoted inline) is
/// taken from the first header line and removed from every line. Up to a few junk lines
/// before the first header are skipped, later lines that are neither headers nor
/// continuations are ignored.
#[cfg(test)]
pub(crate) fn parse_header_block(text: &str) -> Vec<Header<'_>> {
    parse_header_block_capped(text, usize::MAX, usize::MAX)
}

/// [`parse_header_block`] keeping at most `max_count` fields, each cut at `max_line` bytes
/// (`--max-header-count`, `--max-header-line`): the block stops where the cap is reached,
/// so a hostile original costs no more than the caps.
pub(crate) fn parse_header_block_capped(
    text: &str,
    max_count: usize,
    max_line: usize,
) -> Vec<Header<'_>> {
    let mut lines = text.lines().skip_while(|line| line.trim().is_empty()).peekable();
    let mut prefix = "";
    let mut skipped = 0;
    while let Some(line) = lines.peek() {
        let indent = line.len() - line.trim_start_matches([' ', '\t', '>']).len();
        if split_field(&line[indent..]).is_some() {
            prefix = &line[..indent];
            break;
        }
        if !line.trim().is_empty() {
            skipped += 1;
            if skipped > MAX_LEADING_JUNK {
                return Vec::new();
            }
        }
        lines.next();
    }

    let mut raw: Vec<(&str, Vec<&str>, usize)> = Vec::new();
    let mut open = false;
    for line in lines {
        let stripped = line
            .strip_prefix(prefix)
            .or_else(|| line.strip_prefix(prefix.trim_end()))
            .unwrap_or(line);
        if stripped.trim().is_empty() {
            break;
        }
        if stripped.starts_with([' ', '\t']) {
            if let (true, Some((_, parts, len))) = (open, raw.last_mut()) {
                let piece = stripped.trim();
                if *len + piece.len() < max_line {
                    *len += piece.len() + 1;
                    parts.push(piece);
                }
            }
        } else if let Some((name, value)) = split_field(stripped) {
            if raw.len() >= max_count {
                break;
            }
            let mut value = value.trim();
            if value.len() > max_line {
                let mut end = max_line;
                while !value.is_char_boundary(end) {
                    end -= 1;
                }
                value = &value[..end];
            }
            raw.push((name, vec![value], value.len()));
            open = true;
        } else {
            open = false;
        }
    }
    raw.into_iter()
        .map(|(name, parts, _)| {
            let unfolded =
                parts.into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ");
            let decode =
                unfolded.contains("=?") && !UNDECODED.iter().any(|n| name.eq_ignore_ascii_case(n));
            let value = if decode { decode_encoded_words(&unfolded) } else { unfolded };
            Header { name, value }
        })
        .collect()
}

/// Splits `Name: value`, when the name is a plausible field name.
fn split_field(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.split_once(':')?;
    let plausible = !name.is_empty()
        && name.len() <= 76
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    plausible.then_some((name, value))
}

/// Decodes RFC 2047 encoded words (any charset mail-parser knows) in an unstructured value.
fn decode_encoded_words(value: &str) -> String {
    let mut bytes = Vec::with_capacity(value.len() + 1);
    bytes.extend_from_slice(value.as_bytes());
    bytes.push(b'\n');
    match MessageStream::new(&bytes).parse_unstructured() {
        HeaderValue::Text(text) => text.trim().to_owned(),
        _ => value.to_owned(),
    }
}

/// Collects the evidence about the returned original from its headers and body.
///
/// `capture` names extra headers to keep (case-insensitive); they are stored by lowercase
/// name, repeated headers joined with `", "`. `returned_as` and `envelope_id` are left for
/// the caller, who knows the MIME structure and the DSN.
pub(crate) fn original_evidence(
    headers: &[Header<'_>],
    body: Option<&str>,
    capture: &[String],
) -> Original {
    let first = |name: &str| {
        headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.trim())
            .filter(|v| !v.is_empty())
    };
    let all = |name: &'static str| {
        headers.iter().filter(move |h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.as_str())
    };

    let mut original = Original::default();
    if let Some(id) = first("Message-ID") {
        original.message_id = Some(id.to_owned());
        original.message_id_valid = Some(is_valid_message_id(id));
    }
    if let Some(from) = first("From") {
        original.from = Some(from.to_owned());
        original.from_valid = Some(extract_addr_spec(from).is_some_and(|a| is_valid_address(&a)));
    }
    original.to = first("To").map(str::to_owned);
    original.subject = first("Subject").map(str::to_owned);
    original.date = first("Date").map(str::to_owned);
    original.envelope_sender = first("Return-Path").map(|path| Provenanced {
        value: extract_addr_spec(path).unwrap_or_else(|| path.to_owned()),
        source: "returned header Return-Path".to_owned(),
        uncertain: false,
    });
    original.dkim = all("DKIM-Signature").filter_map(dkim_signature).collect();
    original.auth_results = all("Authentication-Results").map(auth_result).collect();
    original.list_unsubscribe = first("List-Unsubscribe").map(str::to_owned);
    let one_click = all("List-Unsubscribe-Post")
        .any(|v| v.to_ascii_lowercase().contains("list-unsubscribe=one-click"));
    if one_click || original.list_unsubscribe.is_some() {
        original.one_click_unsubscribe = Some(one_click);
    }
    original.link_domains = body.map(link_domains).unwrap_or_default();

    let received: Vec<&str> = all("Received").collect();
    let chain = received::chain_evidence(&received);
    original.sending_ip = chain.sending_ip;
    original.helo = chain.helo;
    original.tls = chain.tls;

    original.captured = captured(headers, capture);
    original
}

/// The `d=` and `s=` tags of a DKIM-Signature, if it has either.
fn dkim_signature(value: &str) -> Option<DkimSignature> {
    let mut signature = DkimSignature { domain: String::new(), selector: String::new() };
    for tag in value.split(';') {
        let Some((name, tag_value)) = tag.split_once('=') else { continue };
        let tag_value: String = tag_value.chars().filter(|c| !c.is_whitespace()).collect();
        match name.trim() {
            "d" if signature.domain.is_empty() => signature.domain = tag_value.to_lowercase(),
            "s" if signature.selector.is_empty() => signature.selector = tag_value,
            _ => {}
        }
    }
    (!signature.domain.is_empty() || !signature.selector.is_empty()).then_some(signature)
}

/// The authserv-id and the spf, dkim and dmarc verdicts of an Authentication-Results value.
fn auth_result(value: &str) -> AuthResult {
    let mut result = AuthResult::default();
    let mut depth = 0usize;
    let without_comments: String = value
        .chars()
        .filter(|c| match c {
            '(' => {
                depth += 1;
                false
            }
            ')' => {
                depth = depth.saturating_sub(1);
                false
            }
            _ => depth == 0,
        })
        .collect();
    let head = without_comments.split(';').next().unwrap_or_default();
    if let Some(id) = head.split_whitespace().next().filter(|id| !id.contains('=')) {
        id.clone_into(&mut result.authserv_id);
    }
    for token in without_comments.split(|c: char| c.is_whitespace() || c == ';') {
        let Some((method, verdict)) = token.split_once('=') else { continue };
        let method = method.split('/').next().unwrap_or_default().to_ascii_lowercase();
        let verdict = verdict.to_ascii_lowercase();
        let slot = match method.as_str() {
            "spf" => &mut result.spf,
            "dkim" => &mut result.dkim,
            "dmarc" => &mut result.dmarc,
            _ => continue,
        };
        if slot.is_none() && !verdict.is_empty() {
            *slot = Some(verdict);
        }
    }
    result
}

/// Host names of `http`/`https` links, lowercased, deduplicated, in order of first appearance.
fn link_domains(body: &str) -> Vec<String> {
    let bytes = body.as_bytes();
    let mut domains: Vec<String> = Vec::new();
    let mut from = 0;
    // Every `http` in any case ("http" cannot overlap itself), without a lowercased copy.
    while let Some(found) = memchr::memchr2(b'h', b'H', &bytes[from..]) {
        let at = from + found;
        if !bytes[at..].get(..4).is_some_and(|word| word.eq_ignore_ascii_case(b"http")) {
            from = at + 1;
            continue;
        }
        from = at + 4;
        let rest = &body[at + 4..];
        let after = match rest.as_bytes() {
            [b':', b'/', b'/', ..] => &rest[3..],
            [b's' | b'S', b':', b'/', b'/', ..] => &rest[4..],
            _ => continue,
        };
        let end = after
            .find(|c: char| {
                c.is_whitespace() || c.is_control() || "/?#\"'<>()\\,;&=|*`{}^".contains(c)
            })
            .unwrap_or(after.len());
        let authority = &after[..end];
        let host_port = authority.rsplit('@').next().unwrap_or_default();
        let host = if host_port.starts_with('[') {
            host_port.find(']').map_or("", |close| &host_port[..=close])
        } else {
            host_port.split(':').next().unwrap_or_default()
        };
        let host = host.trim_end_matches('.').to_lowercase();
        let plausible = host.starts_with('[')
            || (host.contains('.')
                && !host.starts_with('.')
                && host.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.' || c == '_'));
        if plausible && !host.is_empty() && !domains.contains(&host) {
            domains.push(host);
            if domains.len() == MAX_LINK_DOMAINS {
                break;
            }
        }
    }
    domains
}

/// The headers named in `capture`, by lowercase name, repeated ones joined with `", "`.
fn captured(headers: &[Header<'_>], capture: &[String]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for wanted in capture {
        let wanted = wanted.trim().to_ascii_lowercase();
        let values: Vec<&str> = headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(&wanted))
            .map(|h| h.value.as_str())
            .collect();
        if !wanted.is_empty() && !values.is_empty() {
            out.insert(wanted, values.join(", "));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{original_evidence, parse_header_block, Header};

    const POSTFIX_COPY: &str = "Return-Path: <News@Sender.Example>\r
Received: from mail.sender.example (mail.sender.example [192.0.2.25])\r
\tby mx.receiver.example (Postfix) with ESMTPS id 4XyZ1\r
\tfor <user@receiver.example>; Mon,  1 Jan 2024 09:00:02 +0900 (JST)\r
Received: from app01.sender.internal (app01.sender.internal [10.20.0.5])\r
\tby mail.sender.example (Postfix) with ESMTP id 0ABC; Mon, 1 Jan 2024 00:00:01 +0000\r
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=Sender.Example;\r
\ts=s2024; t=1704067200; h=from:to:subject:date;\r
\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=dGVzdA==\r
DKIM-Signature: v=1; a=rsa-sha256; d=\r
\tesp.example; s=esp1; b=abc\r
Authentication-Results: mx.google.com;\r
       dkim=pass header.i=@sender.example header.s=s2024 header.b=dGVzdA;\r
       spf=softfail (google.com: domain of transitioning news@sender.example does not designate 192.0.2.25 as permitted sender) smtp.mailfrom=news@sender.example;\r
       dmarc=FAIL (p=QUARANTINE sp=NONE dis=QUARANTINE) header.from=sender.example\r
Authentication-Results: spf=pass (sender IP is 192.0.2.25) smtp.mailfrom=sender.example; dkim=none (message not signed) header.d=none;dmarc=none action=none header.from=sender.example;\r
From: =?UTF-8?B?5bGx55SwIOWkqumDjg==?= <news@Sender.Example>\r
To: user@receiver.example\r
Subject: =?ISO-2022-JP?B?GyRCJUYlOSVIR1s/LhsoQg==?= and\r
 =?utf-8?q?caf=C3=A9?=\r
Date: Mon, 1 Jan 2024 09:00:00 +0900\r
Message-ID: <20240101000000.4XyZ1@mail.sender.example>\r
List-Unsubscribe: <https://unsub.sender.example/u?id=1>, <mailto:unsub@sender.example>\r
List-Unsubscribe-Post: List-Unsubscribe=One-Click\r
X-Campaign: spring\r
X-Campaign: sale\r
\r
This body line is not a header: ignored.\r
";

    fn evidence(text: &str) -> bounce_model::Original {
        let headers = parse_header_block(text);
        original_evidence(&headers, None, &["X-Campaign".to_owned(), "x-missing".to_owned()])
    }

    #[test]
    fn header_block_is_unfolded_and_stops_at_the_blank_line() {
        let headers = parse_header_block(POSTFIX_COPY);
        assert_eq!(headers.len(), 16);
        assert_eq!(headers[1].name, "Received");
        assert_eq!(
            headers[1].value,
            "from mail.sender.example (mail.sender.example [192.0.2.25]) by mx.receiver.example (Postfix) with ESMTPS id 4XyZ1 for <user@receiver.example>; Mon,  1 Jan 2024 09:00:02 +0900 (JST)"
        );
        assert!(headers.iter().all(|h| h.name != "This body line is not a header"));
    }

    #[test]
    fn encoded_words_are_decoded_in_subject_and_from() {
        let original = evidence(POSTFIX_COPY);
        assert_eq!(original.subject.as_deref(), Some("テスト配信 and café"));
        assert_eq!(original.from.as_deref(), Some("山田 太郎 <news@Sender.Example>"));
        assert_eq!(original.from_valid, Some(true));
    }

    #[test]
    fn identity_fields_and_envelope_sender() {
        let original = evidence(POSTFIX_COPY);
        assert_eq!(
            original.message_id.as_deref(),
            Some("<20240101000000.4XyZ1@mail.sender.example>")
        );
        assert_eq!(original.message_id_valid, Some(true));
        assert_eq!(original.to.as_deref(), Some("user@receiver.example"));
        assert_eq!(original.date.as_deref(), Some("Mon, 1 Jan 2024 09:00:00 +0900"));
        let sender = original.envelope_sender.expect("return-path");
        assert_eq!(sender.value, "News@sender.example");
        assert_eq!(sender.source, "returned header Return-Path");
    }

    #[test]
    fn dkim_signatures_and_authentication_results() {
        let original = evidence(POSTFIX_COPY);
        let dkim: Vec<(&str, &str)> =
            original.dkim.iter().map(|d| (d.domain.as_str(), d.selector.as_str())).collect();
        assert_eq!(dkim, [("sender.example", "s2024"), ("esp.example", "esp1")]);
        assert_eq!(original.auth_results.len(), 2);
        let gmail = &original.auth_results[0];
        assert_eq!(gmail.authserv_id, "mx.google.com");
        assert_eq!(
            (gmail.spf.as_deref(), gmail.dkim.as_deref(), gmail.dmarc.as_deref()),
            (Some("softfail"), Some("pass"), Some("fail"))
        );
        let microsoft = &original.auth_results[1];
        assert_eq!(microsoft.authserv_id, "");
        assert_eq!(
            (microsoft.spf.as_deref(), microsoft.dkim.as_deref(), microsoft.dmarc.as_deref()),
            (Some("pass"), Some("none"), Some("none"))
        );
    }

    #[test]
    fn unsubscribe_captured_headers_and_received_chain() {
        let original = evidence(POSTFIX_COPY);
        assert_eq!(
            original.list_unsubscribe.as_deref(),
            Some("<https://unsub.sender.example/u?id=1>, <mailto:unsub@sender.example>")
        );
        assert_eq!(original.one_click_unsubscribe, Some(true));
        assert_eq!(original.captured.get("x-campaign").map(String::as_str), Some("spring, sale"));
        assert!(!original.captured.contains_key("x-missing"));
        let ip = original.sending_ip.expect("sending ip");
        assert_eq!(
            (ip.value.as_str(), ip.source.as_str(), ip.uncertain),
            ("192.0.2.25", "Received[1] of the returned message (oldest external hop)", true)
        );
        assert_eq!(original.helo.map(|h| h.value).as_deref(), Some("mail.sender.example"));
        assert_eq!(original.tls.map(|t| t.value).as_deref(), Some("ESMTPS"));
    }

    #[test]
    fn inline_quoted_copies_with_a_prefix_are_read() {
        let quoted = "------ Original message ------\n\
> Received: from [198.51.100.20] (helo=webmail)\n\
>         by smtp.sender.example with esmtpa (Exim 4.96)\n\
>         id 1abc; Tue, 02 Jan 2024 10:00:00 +0100\n\
> From: Alice <alice@sender.example>\n\
> Subject: Hello\n\
>\n\
> Body\n";
        let headers = parse_header_block(quoted);
        let names: Vec<&str> = headers.iter().map(|h| h.name).collect();
        assert_eq!(names, ["Received", "From", "Subject"]);
        let original = original_evidence(&headers, None, &[]);
        assert_eq!(original.helo.map(|h| h.value).as_deref(), Some("webmail"));
        assert_eq!(original.tls.map(|t| t.value).as_deref(), Some("no"));

        let indented = "\n    Received: from outbound.example.jp (HELO outbound.example.jp) (203.0.113.9)\n      by mx.example.com with SMTP; 2 Jan 2024 00:00:00 -0000\n    Message-ID: no-angle@example.jp\n    From: MAILER-DAEMON\n\n    ignored: yes\n";
        let headers = parse_header_block(indented);
        assert_eq!(headers.len(), 3);
        let original = original_evidence(&headers, None, &[]);
        assert_eq!(original.sending_ip.map(|i| i.value).as_deref(), Some("203.0.113.9"));
        assert_eq!(original.message_id_valid, Some(false));
        assert_eq!(original.from_valid, Some(false));
    }

    #[test]
    fn link_domains_are_lowercased_deduplicated_and_capped() {
        let body = "Visit HTTPS://Shop.Example.com/a?b=1 or http://user:pw@Tracking.Example.NET:8080/x.\n\
<a href=\"https://shop.example.com/again\">x</a> http://[2001:db8::1]/v6 https:// http://localhost/ ftp://ignored.example/\n";
        let headers: Vec<Header<'_>> = Vec::new();
        let original = original_evidence(&headers, Some(body), &[]);
        assert_eq!(
            original.link_domains,
            ["shop.example.com", "tracking.example.net", "[2001:db8::1]"]
        );
        let many =
            (0..30).map(|i| format!("http://host{i}.example.org/")).collect::<Vec<_>>().join(" ");
        assert_eq!(original_evidence(&headers, Some(&many), &[]).link_domains.len(), 20);
    }

    #[test]
    fn the_header_block_caps_count_and_length() {
        let mut block = String::new();
        for i in 0..50 {
            block.push_str(&format!("X-Field-{i}: {}\n", "v".repeat(100)));
            block.push_str(&format!("  {}\n", "w".repeat(100)));
        }
        let headers = super::parse_header_block_capped(&block, 10, 64);
        assert_eq!(headers.len(), 10);
        assert!(headers.iter().all(|h| h.value.len() <= 64), "{:?}", headers[0].value.len());
        assert_eq!(parse_header_block(&block).len(), 50);
    }

    #[test]
    fn empty_and_junk_input_never_panics() {
        assert!(parse_header_block("").is_empty());
        assert!(parse_header_block("\n\n\n").is_empty());
        assert!(parse_header_block(
            "no headers here\nnor here\nstill none\nnope\nSubject: too late"
        )
        .is_empty());
        for junk in [
            "Subject: =?utf-8?B?####?=\nFrom: =?x-unknown?q?=FF?= <a@b.example>\nReceived: from (((\n",
            ">>>\n> :\n>> Key: v\n",
            "Frőm: ü\nSübject: ✉\n  ✉✉\nDKIM-Signature: d=; s\nAuthentication-Results: ;;;==\nReturn-Path: <>\n",
            "\u{feff}X: \u{0}\r\n\t\r\n",
        ] {
            let headers = parse_header_block(junk);
            let _ = original_evidence(&headers, Some(junk), &[String::new(), "x".to_owned()]);
        }
    }
}
