//! Exim main logs (`mainlog`).
//!
//! Each line starts with the local time (`2026-06-09 06:12:03`, followed by the offset when
//! `log_timezone` is set and by `[pid]` when the pid is logged) and, for lines about a
//! message, its id (`1qXyZa-0001Ab-Cd`, or `1qXyZa-00012ABcdEf-GhIj` since Exim 4.97), then a
//! flag: `<=` arrival (envelope sender, `H=` client, `id=` Message-ID), `=>`/`->` delivery,
//! `**` failure, `==` deferral, `*>` suppressed delivery, and `Completed` at the end. A
//! failure or deferral holds `R=` router, `T=` transport, `H=host [ip]` and, after the first
//! `: ` outside quotes, the text: `SMTP error from remote mail server after RCPT
//! TO:<addr>: 550 5.1.1 ...` (the receiver's reply, answering that command) or Exim's own
//! words (`Unrouteable address`, `retry timeout exceeded`).

use bounce_model::{BounceFacts, Kind, Provenanced, Stage};

use super::{host_and_ip, log_timestamp, result_facts, LineKind, LogFormat, LogSource};
use crate::pipeline::ReadOptions;

/// Exim main logs.
pub type EximLogSource = LogSource<Exim>;

/// The Exim main log form.
#[derive(Debug, Clone, Copy, Default)]
pub struct Exim;

/// A main log line: time (with its offset), message id and the rest.
struct EximLine<'a> {
    time: &'a str,
    id: Option<&'a str>,
    rest: &'a str,
}

impl<'a> EximLine<'a> {
    fn parse(line: &'a str) -> Option<EximLine<'a>> {
        let bytes = line.as_bytes();
        let date_ok = bytes.len() >= 19
            && bytes[..4].iter().all(u8::is_ascii_digit)
            && bytes[4] == b'-'
            && bytes[10] == b' '
            && bytes[13] == b':'
            && bytes[16] == b':';
        if !date_ok {
            return None;
        }
        let mut end = 19;
        let mut rest = line.get(19..)?.trim_start();
        // An offset (`+0200`) when `log_timezone` is set.
        if let Some(zone) = rest
            .get(..5)
            .filter(|z| z.starts_with(['+', '-']) && z[1..].bytes().all(|b| b.is_ascii_digit()))
        {
            end = line.len() - rest.len() + zone.len();
            rest = rest[5..].trim_start();
        }
        // Fractional seconds (`log_selector = +millisec`) are part of the time.
        let time = line[..end].trim_end();
        // A `[pid]` when the pid is logged.
        if rest.starts_with('[') {
            rest = rest.split_once("] ").map_or(rest, |(_, after)| after);
        }
        let (first, after) = rest.split_once(' ').unwrap_or((rest, ""));
        let id = is_message_id(first).then_some(first);
        Some(EximLine { time, id, rest: if id.is_some() { after } else { rest } })
    }
}

/// `1qXyZa-0001Ab-Cd` or `1qXyZa-000123ABcdEF-Gh`.
fn is_message_id(token: &str) -> bool {
    let parts: Vec<&str> = token.split('-').collect();
    parts.len() == 3
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_alphanumeric()))
        && parts[0].len() == 6
        && matches!(parts[1].len(), 6 | 11)
        && matches!(parts[2].len(), 2 | 4)
}

/// The position of the first `: ` outside double quotes.
fn text_start(rest: &str) -> Option<usize> {
    let mut quoted = false;
    let bytes = rest.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b':' if !quoted && bytes.get(i + 1) == Some(&b' ') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The value of ` KEY=` among the fields, up to the next space (`H=` takes its `[ip]` too).
fn exim_field<'a>(fields: &'a str, key: &str) -> Option<&'a str> {
    let marker = format!(" {key}=");
    let at = format!(" {fields}").find(&marker)?;
    let value = &fields[at + marker.len() - 1..];
    if let Some(quoted) = value.strip_prefix('"') {
        return quoted.split_once('"').map(|(v, _)| v);
    }
    let end = value.find(' ').unwrap_or(value.len());
    let token = &value[..end];
    // `H=mx.example.net [192.0.2.26]`: the bracketed address belongs to the host.
    if key == "H" && value[end..].trim_start().starts_with('[') {
        let tail = &value[end..];
        let close = tail.find(']').map_or(tail.len(), |c| c + 1);
        return Some(&value[..end + close]);
    }
    Some(token.trim_end_matches(':'))
}

impl LogFormat for Exim {
    const NAME: &'static str = "exim-log";
    const DESCRIBE: &'static str =
        "Exim main logs (** failures, == deferrals, => deliveries; <= arrivals join in)";

    fn kind<'a>(&self, line: &'a str) -> LineKind<'a> {
        let Some(parsed) = EximLine::parse(line) else { return LineKind::Malformed };
        let Some(id) = parsed.id else { return LineKind::Other };
        let flag = parsed.rest.split(' ').next().unwrap_or_default();
        match flag {
            "**" | "==" | "=>" | "->" => LineKind::Result(id),
            "<=" => LineKind::Context(id),
            "Completed" => LineKind::Done(id),
            _ => LineKind::Other,
        }
    }

    fn facts(
        &self,
        context: &str,
        line: &str,
        options: &ReadOptions,
    ) -> Result<BounceFacts, String> {
        let parsed = EximLine::parse(line).ok_or("not an Exim log line")?;
        let id = parsed.id.ok_or("no Exim message id")?;
        let (flag, rest) = parsed.rest.split_once(' ').ok_or("a result line without an address")?;
        let kind = match flag {
            "**" => Kind::Bounce,
            "==" => Kind::Delay,
            _ => Kind::Delivered,
        };
        let (fields, text) = match text_start(rest) {
            Some(at) if kind != Kind::Delivered => (&rest[..at], rest[at + 2..].trim()),
            _ => (rest, ""),
        };
        let recipient = fields.split_whitespace().next().unwrap_or_default();
        let recipient = recipient.trim_start_matches('<').trim_end_matches(['>', ':']);
        if !recipient.contains('@') {
            return Err(format!("a result line without a recipient address: `{recipient}`"));
        }
        let (reply, command) = remote_reply(text);
        let delivered_reply = exim_field(fields, "C").unwrap_or("");
        let said = match kind {
            Kind::Delivered => delivered_reply,
            _ if reply.is_empty() => text,
            _ => reply,
        };
        let mut facts = result_facts(said, None, recipient, kind)?;
        if let Some(stage) = command.and_then(bounce_mail::extract::codes::stage_from_text) {
            facts.smtp_stage = stage;
            facts.stage_source = Some("log: SMTP error after".to_owned());
        } else if facts.smtp_stage != Stage::Unknown {
            facts.stage_source = Some("log text".to_owned());
        }
        // `<addr> <original>`: the parent address the recipient was routed from.
        facts.original_recipient = fields
            .split_whitespace()
            .nth(1)
            .filter(|t| t.starts_with('<') && t.contains('@'))
            .map(|t| t.trim_matches(['<', '>']).to_owned());
        if let Some(host) = exim_field(fields, "H") {
            let (name, ip) = host_and_ip(host);
            facts.remote_mta = name.map(str::to_owned);
            if let Some(ip) = ip {
                facts.vendor_fields.insert("Remote-IP".to_owned(), ip.to_owned());
            }
        }
        for (key, label) in [("R", "Exim-Router"), ("T", "Exim-Transport")] {
            if let Some(value) = exim_field(fields, key) {
                facts.vendor_fields.insert(label.to_owned(), value.to_owned());
            }
        }
        facts.vendor_fields.insert("Exim-Message-ID".to_owned(), id.to_owned());
        facts.timestamp = Some(log_timestamp(parsed.time, options)?);
        facts.last_attempt_date = Some(parsed.time.to_owned());
        for joined in context.lines() {
            let Some(arrival) = EximLine::parse(joined) else { continue };
            let Some(fields) = arrival.rest.strip_prefix("<= ") else { continue };
            let sender = fields.split_whitespace().next().unwrap_or_default();
            if sender.contains('@') {
                facts.original.envelope_sender = Some(Provenanced {
                    value: sender.to_owned(),
                    source: "log: Exim arrival <=".to_owned(),
                    uncertain: false,
                });
            }
            if let Some(message_id) = exim_field(fields, "id") {
                facts.original.message_id =
                    Some(format!("<{}>", message_id.trim_matches(['<', '>'])));
            }
        }
        Ok(facts)
    }
}

/// The receiver's reply in `SMTP error from remote mail server after CMD: REPLY`, and the
/// `after CMD` part (which names the command it answered).
fn remote_reply(text: &str) -> (&str, Option<&str>) {
    let Some(at) = text.find("SMTP error from remote mail") else { return ("", None) };
    let tail = &text[at..];
    let Some(after) = tail.find(" after ") else { return ("", None) };
    let command_start = after + 1;
    // The command ends at `>: ` (MAIL FROM:<...>, RCPT TO:<...>) or at the first `: `.
    let end = tail[command_start..]
        .find(">: ")
        .map(|p| command_start + p + 1)
        .or_else(|| tail[command_start..].find(": ").map(|p| command_start + p));
    match end {
        Some(end) => (tail[end + 1..].trim(), Some(&tail[..end])),
        None => ("", Some(tail)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_ids_fields_and_replies() {
        let line = "2026-06-09 06:12:05 +0200 [4321] 1qXyZa-0001Ab-Cd ** sam@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.26] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes: SMTP error from remote mail server after RCPT TO:<sam@example.net>: 550 5.1.1 <sam@example.net>: user unknown";
        let parsed = EximLine::parse(line).expect("a line");
        assert_eq!(parsed.time, "2026-06-09 06:12:05 +0200");
        assert_eq!(parsed.id, Some("1qXyZa-0001Ab-Cd"));
        assert!(matches!(Exim.kind(line), LineKind::Result("1qXyZa-0001Ab-Cd")));
        let rest = parsed.rest.split_once(' ').unwrap().1;
        let at = text_start(rest).expect("text");
        assert_eq!(exim_field(&rest[..at], "H"), Some("mx.example.net [192.0.2.26]"));
        assert_eq!(exim_field(&rest[..at], "T"), Some("remote_smtp"));
        let (reply, command) = remote_reply(&rest[at + 2..]);
        assert_eq!(reply, "550 5.1.1 <sam@example.net>: user unknown");
        assert!(command.is_some_and(|c| c.ends_with("RCPT TO:<sam@example.net>")));
        assert!(is_message_id("1qXyZa-00012ABcdEf-GhIj"));
        assert!(!is_message_id("1qXyZa-0001Ab"));
        assert!(matches!(Exim.kind("garbage"), LineKind::Malformed));
    }
}
