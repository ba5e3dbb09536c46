//! PowerMTA accounting files (CSV whose header row names the fields, written by `<acct-file>`):
//! one row per delivery (`d`), bounce (`b`), transient failure (`t`, `tq`), remote bounce
//! (`rb`), feedback-loop complaint (`f`) or receipt (`r`, not a delivery result).
//!
//! `rcpt` is the recipient, `orcpt` its original address; `dsnStatus` the enhanced status with
//! PowerMTA's words after it; `dsnDiag` the receiver's reply (`smtp;550 5.1.1 ...`); `dsnMta`
//! the receiving host and its IP. `dlvSourceIp` is the IP that sent the message (stated by the
//! sender's own MTA, so certain, unlike a Received header); `vmta`, `vmtaPool`, `jobId`,
//! `envId` and PowerMTA's own `bounceCat` are kept as vendor fields beside the SMTP text.
//! `timeLogged` carries its offset (`2026-06-09 06:12:03-0500`).

use bounce_model::{Kind, Provenanced};

use super::{Columns, Row, TableFormat, TableSource};
use crate::pipeline::ReadOptions;
use crate::source::log::{host_and_ip, log_timestamp, result_facts};

/// PowerMTA accounting files.
pub type PowerMtaSource = TableSource<PowerMta>;

/// The accounting file form.
#[derive(Debug, Clone, Copy, Default)]
pub struct PowerMta;

/// The fields kept as vendor fields, as PowerMTA names them.
const VENDOR_FIELDS: [&str; 7] =
    ["vmta", "vmtaPool", "jobId", "envId", "bounceCat", "queue", "dlvType"];

impl TableFormat for PowerMta {
    const NAME: &'static str = "powermta-acct";
    const DESCRIBE: &'static str =
        "PowerMTA accounting files (CSV with a header row: type, rcpt, dsnStatus, dsnDiag...)";

    fn header(&self, line: &str) -> bool {
        line.starts_with("type,") && line.contains("rcpt") && line.contains("dsnstatus")
    }

    fn row(&self, columns: &Columns<'_>, options: &ReadOptions) -> Result<Row, String> {
        let kind = match columns.get("type").unwrap_or_default() {
            "b" | "rb" => Kind::Bounce,
            "t" | "tq" => Kind::Delay,
            "d" => Kind::Delivered,
            "f" => Kind::Complaint,
            // Receipts, remote status, a header repeated where files were joined.
            _ => return Ok(Row::Other),
        };
        let Some(recipient) = columns.get("rcpt").filter(|r| r.contains('@')) else {
            return Ok(Row::NoRecipient("no rcpt address".to_owned()));
        };
        let status = columns.get("dsnStatus").and_then(|s| s.split_whitespace().next());
        let text = columns.get("dsnDiag").unwrap_or_default();
        let mut facts = result_facts(text, status, recipient, kind)?;
        if kind == Kind::Complaint {
            facts.action = None;
        }
        facts.original_recipient = columns
            .get("orcpt")
            .map(|o| o.split_once(';').map_or(o, |(_, address)| address).trim().to_owned())
            .filter(|o| o.contains('@'));
        if let Some(mta) = columns.get("dsnMta") {
            let mta = mta.split_once(';').map_or(mta, |(_, host)| host).trim();
            // `mx.example.net (192.0.2.26)`
            let (host, ip) = match mta.split_once(" (") {
                Some((host, ip)) => (Some(host.trim()), Some(ip.trim_end_matches(')'))),
                None => host_and_ip(mta),
            };
            facts.remote_mta = host.filter(|h| !h.is_empty()).map(str::to_owned);
            if let Some(ip) = ip.or(columns.get("dlvDestinationIp")) {
                facts.vendor_fields.insert("Remote-IP".to_owned(), ip.to_owned());
            }
        }
        if let Some(ip) = columns.get("dlvSourceIp") {
            facts.original.sending_ip = Some(Provenanced {
                value: ip.to_owned(),
                source: "PowerMTA accounting dlvSourceIp".to_owned(),
                uncertain: false,
            });
        }
        if let Some(sender) = columns.get("orig").filter(|o| o.contains('@')) {
            facts.original.envelope_sender = Some(Provenanced {
                value: sender.to_owned(),
                source: "PowerMTA accounting orig".to_owned(),
                uncertain: false,
            });
        }
        for name in VENDOR_FIELDS {
            if let Some(value) = columns.get(name) {
                facts.vendor_fields.insert(name.to_owned(), value.to_owned());
            }
        }
        if let Some(time) = columns.get("timeLogged") {
            facts.timestamp = Some(log_timestamp(time, options)?);
            facts.last_attempt_date = Some(time.to_owned());
        }
        Ok(Row::Record(Box::new(facts)))
    }
}
