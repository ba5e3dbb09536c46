//! Postfix logs (`maillog`, `mail.log`, journal exports in syslog form).
//!
//! A delivery line (`postfix/smtp`, `lmtp`, `local`, `virtual`, `pipe`, `error`) says the
//! recipient (`to=`, `orig_to=`), the enhanced status (`dsn=`), the receiving host
//! (`relay=host[ip]:port`), the result (`status=bounced|deferred|expired|sent`) and, in
//! parentheses, what happened: the receiver's own reply after `host H[ip] said:` with the
//! command it answered (`(in reply to RCPT TO command)`), or Postfix's own words (a connection
//! that timed out, an unknown local user). The queue id's earlier lines join in: the envelope
//! sender (`qmgr` `from=`), the Message-ID (`cleanup`) and the submitting client (`smtpd`
//! `client=`), until `qmgr` logs it `removed`.

use bounce_model::{BounceFacts, Kind, Stage};

use super::{
    field, host_and_ip, join_sender_and_id, log_timestamp, result_facts, unbracket, LineKind,
    LogFormat, LogSource, SyslogLine,
};
use crate::pipeline::ReadOptions;

/// Postfix logs.
pub type PostfixLogSource = LogSource<Postfix>;

/// The Postfix log form.
#[derive(Debug, Clone, Copy, Default)]
pub struct Postfix;

impl LogFormat for Postfix {
    const NAME: &'static str = "postfix-log";
    const DESCRIBE: &'static str =
        "Postfix logs (syslog lines of postfix/smtp, qmgr, cleanup...; status= lines are results)";

    fn kind<'a>(&self, line: &'a str) -> LineKind<'a> {
        let Some(parsed) = SyslogLine::parse(line) else { return LineKind::Malformed };
        if !parsed.program.contains("postfix") {
            return LineKind::Other;
        }
        let Some((id, rest)) = parsed.queue_id() else { return LineKind::Other };
        if rest == "removed" {
            LineKind::Done(id)
        } else if field(rest, "status").is_some() && field(rest, "to").is_some() {
            LineKind::Result(id)
        } else if ["from", "message-id", "client"].iter().any(|k| field(rest, k).is_some()) {
            LineKind::Context(id)
        } else {
            LineKind::Other
        }
    }

    fn facts(
        &self,
        context: &str,
        line: &str,
        options: &ReadOptions,
    ) -> Result<BounceFacts, String> {
        let parsed = SyslogLine::parse(line).ok_or("not a syslog line")?;
        let (queue_id, rest) = parsed.queue_id().ok_or("no Postfix queue id")?;
        let recipient = field(rest, "to").map(unbracket).filter(|r| r.contains('@'));
        let recipient = recipient.ok_or("a delivery line without a recipient address")?;
        let status = field(rest, "status").ok_or("no status=")?;
        let kind = match status.split_whitespace().next().unwrap_or_default() {
            "bounced" | "expired" => Kind::Bounce,
            "deferred" => Kind::Delay,
            "sent" | "delivered" => Kind::Delivered,
            other => return Err(format!("unknown delivery status `{other}`")),
        };
        // What happened: the parenthesised text after the status word, to the line's end (it
        // may itself hold `, `).
        let status_at = rest.find("status=").unwrap_or(0);
        let said = rest[status_at..]
            .split_once(" (")
            .map_or("", |(_, tail)| tail.strip_suffix(')').unwrap_or(tail).trim());
        let (reply, receiver) = receiver_reply(said);
        let text = if reply.is_empty() { said } else { reply };
        let mut facts = result_facts(text, field(rest, "dsn"), recipient, kind)?;
        if let Some(stage) = in_reply_to(said) {
            facts.smtp_stage = stage;
            facts.stage_source = Some("log: in reply to".to_owned());
        } else if facts.smtp_stage != Stage::Unknown {
            facts.stage_source = Some("log text".to_owned());
        }
        facts.reporting_mta = Some(parsed.host.to_owned());
        let (relay_host, relay_ip) = host_and_ip(field(rest, "relay").unwrap_or("none"));
        let remote = receiver.map(|(host, _)| host).or(relay_host);
        facts.remote_mta =
            remote.filter(|h| !matches!(*h, "none" | "local" | "virtual")).map(str::to_owned);
        facts.original_recipient = field(rest, "orig_to").map(unbracket).map(str::to_owned);
        facts.timestamp = Some(log_timestamp(parsed.time, options)?);
        facts.last_attempt_date = Some(parsed.time.to_owned());
        facts.vendor_fields.insert("Postfix-Queue-ID".to_owned(), queue_id.to_owned());
        if let Some(ip) = receiver.and_then(|(_, ip)| ip).or(relay_ip) {
            facts.vendor_fields.insert("Remote-IP".to_owned(), ip.to_owned());
        }
        join_sender_and_id(&mut facts, context, "message-id", "log: qmgr from=");
        Ok(facts)
    }
}

/// The receiver's reply in `host H[ip] said: REPLY (in reply to X command)`, and the host.
fn receiver_reply(said: &str) -> (&str, Option<(&str, Option<&str>)>) {
    let Some(rest) = said.strip_prefix("host ") else { return ("", None) };
    let Some((host, reply)) = rest.split_once(" said: ") else { return ("", None) };
    let reply = reply.rfind(" (in reply to ").map_or(reply, |at| &reply[..at]);
    let (name, ip) = host_and_ip(host);
    (reply.trim(), name.map(|n| (n, ip)))
}

/// The command a reply answered, from Postfix's `(in reply to X command)`.
fn in_reply_to(said: &str) -> Option<Stage> {
    let at = said.rfind("(in reply to ")?;
    bounce_mail::extract::codes::stage_from_text(&said[at..])
}
