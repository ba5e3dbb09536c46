//! Sendmail logs (syslog lines of `sendmail`, `sm-mta`, `sm-msp-queue`).
//!
//! A delivery line is `QID: to=<rcpt>, ..., mailer=esmtp, relay=host. [ip], dsn=5.1.1,
//! stat=TEXT`: `Sent (...)` is a delivery, `Deferred: ...` a deferral (the text after it is the
//! reply or the connection error), anything else with a 5.x.x status a failure, whose `stat`
//! is Sendmail's rendering of the reply (`User unknown`, `Service unavailable`). The queue
//! id's `from=` line joins in with the envelope sender and `msgid=`.

use bounce_model::{BounceFacts, Kind, Stage};

use super::{
    field, host_and_ip, join_sender_and_id, log_timestamp, result_facts, unbracket, LineKind,
    LogFormat, LogSource, SyslogLine,
};
use crate::pipeline::ReadOptions;

/// Sendmail logs.
pub type SendmailLogSource = LogSource<Sendmail>;

/// The Sendmail log form.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sendmail;

fn is_sendmail(program: &str) -> bool {
    matches!(program, "sendmail" | "sm-mta" | "sm-msp-queue") || program.ends_with("/sendmail")
}

impl LogFormat for Sendmail {
    const NAME: &'static str = "sendmail-log";
    const DESCRIBE: &'static str =
        "Sendmail logs (syslog lines of sendmail/sm-mta; to=... stat= lines are results)";

    fn kind<'a>(&self, line: &'a str) -> LineKind<'a> {
        let Some(parsed) = SyslogLine::parse(line) else { return LineKind::Malformed };
        if !is_sendmail(parsed.program) {
            return LineKind::Other;
        }
        let Some((id, rest)) = parsed.queue_id() else { return LineKind::Other };
        let stat = field(rest, "stat").unwrap_or("");
        if field(rest, "to").is_some() && !stat.is_empty() && !stat.starts_with("queued") {
            LineKind::Result(id)
        } else if field(rest, "from").is_some() {
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
        let (queue_id, rest) = parsed.queue_id().ok_or("no Sendmail queue id")?;
        // `to=` may list several recipients, comma-separated inside the field: the first one
        // is the row's; Sendmail logs one line per delivery attempt.
        let to = field(rest, "to").map(unbracket).unwrap_or_default();
        let recipient = to.split(',').next().map(unbracket).filter(|r| r.contains('@'));
        let recipient = recipient.ok_or("a delivery line without a recipient address")?;
        // `stat=` runs to the end of the line.
        let stat = rest.find("stat=").map_or("", |at| rest[at + 5..].trim());
        let dsn = field(rest, "dsn");
        let (kind, text) = if let Some(sent) = stat.strip_prefix("Sent") {
            (Kind::Delivered, sent.trim().trim_start_matches('(').trim_end_matches(')'))
        } else if let Some(deferred) = stat.strip_prefix("Deferred") {
            (Kind::Delay, deferred.trim_start_matches(':').trim())
        } else if dsn.is_some_and(|d| d.starts_with('4')) {
            (Kind::Delay, stat)
        } else {
            (Kind::Bounce, stat)
        };
        let mut facts = result_facts(text, dsn, recipient, kind)?;
        if facts.smtp_stage != Stage::Unknown {
            facts.stage_source = Some("log text".to_owned());
        }
        facts.reporting_mta = Some(parsed.host.to_owned());
        if let Some(relay) = field(rest, "relay") {
            let (host, ip) = host_and_ip(relay);
            facts.remote_mta = host.map(|h| h.trim_end_matches('.').to_owned());
            if let Some(ip) = ip {
                facts.vendor_fields.insert("Remote-IP".to_owned(), ip.to_owned());
            }
        }
        if let Some(mailer) = field(rest, "mailer") {
            facts.vendor_fields.insert("Sendmail-Mailer".to_owned(), mailer.to_owned());
        }
        facts.vendor_fields.insert("Sendmail-Queue-ID".to_owned(), queue_id.to_owned());
        facts.timestamp = Some(log_timestamp(parsed.time, options)?);
        facts.last_attempt_date = Some(parsed.time.to_owned());
        join_sender_and_id(&mut facts, context, "msgid", "log: Sendmail from=");
        Ok(facts)
    }
}
