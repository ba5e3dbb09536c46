//! Exchange message tracking logs (`MSGTRK*.LOG`, and the same fields from Exchange Online's
//! message trace exports): `#` comment lines, then `#Fields:` naming the comma-separated
//! columns.
//!
//! `event-id` says what happened: `FAIL` (a failure), `DEFER` (a deferral), `SEND` (handed to
//! the next hop over SMTP) and `DELIVER` (delivered to a mailbox) are results; every other
//! event (`RECEIVE`, `DSN`, `EXPAND`, `RESOLVE`, `TRANSFER`, `SUBMIT`...) is not. The reply is
//! `recipient-status` (`550 5.1.1 RESOLVER.ADR.RecipNotFound; not found`), or its `{LED=...}`
//! part when it is Exchange Online's bracketed form (`[{LED=...};{FQDN=...};{IP=...}]`, which
//! also names the receiving host and IP). `date-time` is UTC.

use bounce_model::{Kind, Provenanced};

use super::{Columns, Row, TableFormat, TableSource};
use crate::pipeline::ReadOptions;
use crate::source::log::{log_timestamp, result_facts};

/// Exchange message tracking logs.
pub type ExchangeTrackingSource = TableSource<ExchangeTracking>;

/// The message tracking log form.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExchangeTracking;

/// The value of `{KEY=value}` in Exchange Online's bracketed status.
fn braced<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    let start = status.find(&format!("{{{key}="))? + key.len() + 2;
    let end = status[start..].find('}')? + start;
    Some(status[start..end].trim()).filter(|v| !v.is_empty())
}

impl TableFormat for ExchangeTracking {
    const NAME: &'static str = "exchange-tracking";
    const DESCRIBE: &'static str =
        "Exchange message tracking logs (#Fields: date-time,...,event-id,...,recipient-status)";

    fn header(&self, line: &str) -> bool {
        line.starts_with("date-time,")
            && line.contains("event-id")
            && line.contains("recipient-address")
    }

    fn row(&self, columns: &Columns<'_>, options: &ReadOptions) -> Result<Row, String> {
        let event = columns.get("event-id").unwrap_or_default();
        let kind = match event {
            "FAIL" => Kind::Bounce,
            "DEFER" => Kind::Delay,
            "SEND" | "DELIVER" => Kind::Delivered,
            _ => return Ok(Row::Other),
        };
        // Several recipients are `;`-separated; their statuses too, but a status may itself
        // hold `; ` (`RecipNotFound; not found`): with one recipient the status is whole.
        let recipients: Vec<&str> = columns
            .get("recipient-address")
            .unwrap_or_default()
            .split(';')
            .map(str::trim)
            .collect();
        let Some(recipient) = recipients.first().copied().filter(|r| r.contains('@')) else {
            return Ok(Row::NoRecipient("no recipient-address".to_owned()));
        };
        let status = columns.get("recipient-status").unwrap_or_default();
        let status =
            if recipients.len() > 1 { status.split(';').next().unwrap_or(status) } else { status };
        let reply = braced(status, "LED").unwrap_or(status);
        let mut facts = result_facts(reply, None, recipient, kind)?;
        facts.remote_mta = braced(status, "FQDN")
            .or_else(|| columns.get("server-hostname").filter(|_| event == "SEND"))
            .map(str::to_owned);
        if let Some(ip) =
            braced(status, "IP").or_else(|| columns.get("server-ip").filter(|_| event == "SEND"))
        {
            facts.vendor_fields.insert("Remote-IP".to_owned(), ip.to_owned());
        }
        facts.reporting_mta =
            columns.get("client-hostname").filter(|_| event != "SEND").map(str::to_owned);
        facts.original.message_id = columns.get("message-id").map(str::to_owned);
        facts.original.subject = columns.get("message-subject").map(str::to_owned);
        if let Some(sender) = columns.get("return-path").or_else(|| columns.get("sender-address")) {
            facts.original.envelope_sender = Some(Provenanced {
                value: sender.to_owned(),
                source: "Exchange message tracking return-path".to_owned(),
                uncertain: false,
            });
        }
        for name in ["event-id", "source", "connector-id", "network-message-id", "directionality"] {
            if let Some(value) = columns.get(name) {
                facts.vendor_fields.insert(name.to_owned(), value.to_owned());
            }
        }
        if let Some(time) = columns.get("date-time") {
            facts.timestamp = Some(log_timestamp(time, options)?);
            facts.last_attempt_date = Some(time.to_owned());
        }
        Ok(Row::Record(Box::new(facts)))
    }
}
