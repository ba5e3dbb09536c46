//! KumoMTA log records (JSON Lines, one record per line, as its local logger writes them).
//!
//! Each record has a `type`: `Delivery` (delivered), `Bounce`, `Expiration`, `AdminBounce`,
//! `OOB` (failures), `TransientFailure` (a deferral), `Feedback` (a complaint) or
//! `Reception` (a message arriving: not a delivery result). A result states the recipient
//! (`recipient`), the envelope sender (`sender`), the receiver's reply (`response.code`,
//! `response.enhanced_code` as class/subject/detail, `response.content`) with the command it
//! answered (`response.command`), the receiving host (`peer_address.name`, `.addr`) and the
//! egress source and pool; KumoMTA's own `bounce_classification` is kept beside the reply.
//! Records are self-contained, so nothing is joined.

use bounce_model::{BounceFacts, Kind, Provenanced};
use serde_json::Value;

use super::{result_facts, LineKind, LogFormat, LogSource};
use crate::pipeline::ReadOptions;

/// KumoMTA log files.
pub type KumoLogSource = LogSource<Kumo>;

/// The KumoMTA log record form.
#[derive(Debug, Clone, Copy, Default)]
pub struct Kumo;

/// A non-empty string value, trimmed.
fn text(value: &Value) -> Option<&str> {
    value.as_str().map(str::trim).filter(|t| !t.is_empty())
}

/// The record type, read without parsing the record (`"type":"Bounce"`).
fn record_type(line: &str) -> Option<&str> {
    let at = line.find("\"type\"")?;
    let rest = line[at + 6..].trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
    rest.split('"').next()
}

impl LogFormat for Kumo {
    const NAME: &'static str = "kumomta-log";
    const DESCRIBE: &'static str =
        "KumoMTA log records (JSON Lines: Delivery, Bounce, TransientFailure, Expiration...)";

    fn kind<'a>(&self, line: &'a str) -> LineKind<'a> {
        let trimmed = line.trim_start();
        if !trimmed.starts_with('{') || !trimmed.contains("\"recipient\"") {
            return LineKind::Malformed;
        }
        match record_type(trimmed) {
            Some(
                "Delivery" | "Bounce" | "TransientFailure" | "Expiration" | "AdminBounce" | "OOB"
                | "Feedback",
            ) => LineKind::Result(""),
            Some(_) => LineKind::Other,
            None => LineKind::Malformed,
        }
    }

    fn facts(
        &self,
        _context: &str,
        line: &str,
        _options: &ReadOptions,
    ) -> Result<BounceFacts, String> {
        let record: Value =
            serde_json::from_str(line).map_err(|e| format!("not a KumoMTA log record: {e}"))?;
        let kind = match record["type"].as_str().unwrap_or_default() {
            "Delivery" => Kind::Delivered,
            "TransientFailure" => Kind::Delay,
            "Feedback" => Kind::Complaint,
            _ => Kind::Bounce,
        };
        let recipient = text(&record["recipient"]).ok_or("a record without a recipient")?;
        let response = &record["response"];
        let enhanced = &response["enhanced_code"];
        let status = match (
            enhanced["class"].as_u64(),
            enhanced["subject"].as_u64(),
            enhanced["detail"].as_u64(),
        ) {
            (Some(class), Some(subject), Some(detail)) => {
                Some(format!("{class}.{subject}.{detail}"))
            }
            _ => None,
        };
        let code = response["code"].as_u64().filter(|c| (200..600).contains(c));
        let content = text(&response["content"]).unwrap_or_default();
        // The reply as a server writes it: code, enhanced status, text.
        let reply = match (code, &status) {
            (Some(code), Some(status)) if !content.is_empty() => {
                format!("{code} {status} {content}")
            }
            (Some(code), None) if !content.is_empty() => format!("{code} {content}"),
            _ => content.to_owned(),
        };
        let mut facts = result_facts(&reply, status.as_deref(), recipient, kind)?;
        if kind == Kind::Complaint {
            facts.action = None;
        }
        if let Some(command) = text(&response["command"]) {
            let verb = command.trim_end_matches(['\r', '\n']).trim();
            let phrase = if verb == "." { "end of DATA".to_owned() } else { verb.to_owned() };
            let said = format!("(in reply to {phrase} command)");
            if let Some(stage) = bounce_mail::extract::codes::stage_from_text(&said) {
                facts.smtp_stage = stage;
                facts.stage_source = Some("log: response command".to_owned());
            }
        }
        let peer = &record["peer_address"];
        facts.remote_mta = text(&peer["name"]).map(|n| n.trim_end_matches('.').to_owned());
        if let Some(addr) = text(&peer["addr"]) {
            facts.vendor_fields.insert("Remote-IP".to_owned(), addr.to_owned());
        }
        if let Some(sender) = text(&record["sender"]).filter(|s| s.contains('@')) {
            facts.original.envelope_sender = Some(Provenanced {
                value: sender.to_owned(),
                source: "log: KumoMTA sender".to_owned(),
                uncertain: false,
            });
        }
        for (field, label) in [
            ("id", "Kumo-ID"),
            ("queue", "queue"),
            ("site", "site"),
            ("egress_pool", "egress_pool"),
            ("egress_source", "egress_source"),
            ("bounce_classification", "bounce_classification"),
        ] {
            if let Some(value) = text(&record[field]) {
                facts.vendor_fields.insert(label.to_owned(), value.to_owned());
            }
        }
        let headers = &record["headers"];
        let message_id =
            ["Message-ID", "Message-Id", "message-id"].iter().find_map(|h| text(&headers[*h]));
        facts.original.message_id = message_id.map(str::to_owned);
        let time = match &record["timestamp"] {
            Value::Number(n) => n.as_i64().and_then(|s| jiff::Timestamp::from_second(s).ok()),
            Value::String(s) => s.parse::<jiff::Timestamp>().ok(),
            _ => None,
        };
        facts.timestamp = time.map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string());
        Ok(facts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_types_are_read_without_parsing() {
        assert_eq!(record_type(r#"{"type": "Bounce", "id": "x"}"#), Some("Bounce"));
        assert_eq!(record_type(r#"{"id":"x","type":"Reception"}"#), Some("Reception"));
        let line = r#"{"type":"Reception","recipient":"a@example.net"}"#;
        assert!(matches!(Kumo.kind(line), LineKind::Other));
        assert!(matches!(
            Kumo.kind("Jun  9 06:12:03 host postfix/smtp[1]: x"),
            LineKind::Malformed
        ));
    }
}
