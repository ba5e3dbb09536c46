//! The evidence of one record as labelled fields: every field is either filled from the bounce
//! or says where to collect it ("not in the bounces: collect from …"), never blank.

use serde::{Deserialize, Serialize};

use bounce_model::{
    AbuseContact, AsnInfo, DnsEvidence, DomainStatus, Provenanced, RdapStatus, Record, Stage,
    Tristate,
};

use crate::layer::{record_layer, stage_words};

/// Where to collect what the bounces do not hold.
pub(crate) const FROM_ESP: &str = "not in the bounces: collect from the ESP log";
pub(crate) const FROM_MTA: &str = "not in the bounces: collect from the MTA log";
const FROM_DNS_PTR: &str = "not in the bounces: collect from DNS (PTR of the sending IP)";
const FROM_DNS_MX: &str = "not in the bounces: collect from DNS (current MX answers)";
const FROM_RDAP: &str =
    "not in the bounces: collect from RDAP (the network's abuse contact; give --rdap with --resolve)";

/// One labelled evidence value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// What the value is (`Sending IP`).
    pub label: String,
    /// The value, or "not in the bounces: collect from …"; never empty.
    pub value: String,
    /// Whether the value comes from the bounces.
    pub filled: bool,
    /// Whether the value's source may be the sender's own copy or is otherwise unverified.
    pub uncertain: bool,
    /// Where the value was found, when known.
    pub source: String,
    /// The value alone, without the uncertainty note; empty when not in the bounces.
    pub text: String,
}

impl Field {
    fn new(label: &str, value: Option<String>, missing: &str) -> Field {
        match value.filter(|v| !v.trim().is_empty()) {
            Some(value) => Field {
                label: label.to_string(),
                text: value.clone(),
                value,
                filled: true,
                uncertain: false,
                source: String::new(),
            },
            None => Field::missing(label, missing),
        }
    }

    fn missing(label: &str, missing: &str) -> Field {
        Field {
            label: label.to_string(),
            value: missing.to_string(),
            filled: false,
            uncertain: false,
            source: String::new(),
            text: String::new(),
        }
    }

    fn provenanced(label: &str, value: Option<&Provenanced>, missing: &str) -> Field {
        match value.filter(|p| !p.value.trim().is_empty()) {
            Some(p) => {
                let mut text = p.value.clone();
                if p.uncertain {
                    text.push_str(" (uncertain: ");
                    text.push_str(&p.source);
                    text.push_str(", may be the sender's own hop)");
                }
                Field {
                    label: label.to_string(),
                    text: p.value.clone(),
                    value: text,
                    filled: true,
                    uncertain: p.uncertain,
                    source: p.source.clone(),
                }
            }
            None => Field::missing(label, missing),
        }
    }
}

/// The evidence of one record, addressable by its anchor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceView {
    /// The HTML anchor (`rec-12`).
    pub anchor: String,
    /// The failed recipient.
    pub recipient: String,
    /// The provider (or `other`).
    pub provider: String,
    /// The category name.
    pub category: String,
    /// The action name.
    pub action: String,
    /// The exact diagnostic text, or a "not in the bounces" note.
    pub diagnostic: String,
    /// The DSN fields of this recipient as extracted, one `Name: value` per line, verbatim.
    pub raw: String,
    /// Where the full bounce is: `path`, message number and byte offset.
    pub location: String,
    /// The labelled evidence fields, in the order of the triage guide.
    pub fields: Vec<Field>,
    /// The fields DNS and RDAP filled (`--resolve`, `--rdap`), also among `fields`; empty when
    /// the run did not resolve.
    pub dns: Vec<Field>,
}

/// One row of the "please confirm" list: sending IP, HELO and pool per message ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmRow {
    /// The original's Message-ID, or a "not in the bounces" note.
    pub message_id: String,
    /// The failed recipient.
    pub recipient: String,
    /// The attempt time with its timezone.
    pub timestamp: String,
    /// Sending IP.
    pub sending_ip: Field,
    /// HELO/EHLO name.
    pub helo: Field,
    /// IP pool.
    pub pool: Field,
    /// PTR of the sending IP.
    pub ptr: Field,
    /// The anchor of the record's evidence.
    pub anchor: String,
}

pub(crate) fn domain_of(address: &str) -> Option<String> {
    let address = address.trim();
    let inner = match (address.rfind('<'), address.rfind('>')) {
        (Some(l), Some(r)) if l < r => &address[l + 1..r],
        _ => address,
    };
    inner.rsplit_once('@').map(|(_, d)| d.trim().trim_end_matches('>').to_ascii_lowercase())
}

/// The attempt time: the UTC timestamp, plus the date as the bounce wrote it with its zone.
pub(crate) fn timestamp_text(record: &Record) -> Option<String> {
    match (&record.timestamp, &record.last_attempt_date) {
        (Some(utc), Some(local)) => Some(format!("{utc} (UTC; bounce says {local})")),
        (Some(utc), None) => Some(format!("{utc} (UTC)")),
        (None, Some(local)) => Some(local.clone()),
        (None, None) => None,
    }
}

fn raw_dsn(record: &Record) -> String {
    let mut lines = vec![format!("Final-Recipient: rfc822; {}", record.recipient)];
    let mut push = |name: &str, value: Option<&String>| {
        if let Some(v) = value {
            lines.push(format!("{name}: {v}"));
        }
    };
    push("Original-Recipient", record.original_recipient.as_ref());
    push("Action", record.action.as_ref());
    push("Status", record.status.as_ref());
    push("Reporting-MTA", record.reporting_mta.as_ref());
    push("Remote-MTA", record.remote_mta.as_ref());
    push("Received-From-MTA", record.received_from_mta.as_ref());
    push("Arrival-Date", record.arrival_date.as_ref());
    push("Last-Attempt-Date", record.last_attempt_date.as_ref());
    push("Will-Retry-Until", record.will_retry_until.as_ref());
    if let Some(diagnostic) = &record.diagnostic {
        let kind = record.diagnostic_type.as_deref().unwrap_or("smtp");
        lines.push(format!("Diagnostic-Code: {kind}; {diagnostic}"));
    }
    lines.join("\n")
}

fn auth_text(record: &Record) -> Option<String> {
    let parts: Vec<String> = record
        .original
        .auth_results
        .iter()
        .map(|a| {
            format!(
                "{}: spf={} dkim={} dmarc={}",
                a.authserv_id,
                a.spf.as_deref().unwrap_or("none"),
                a.dkim.as_deref().unwrap_or("none"),
                a.dmarc.as_deref().unwrap_or("none")
            )
        })
        .collect();
    (!parts.is_empty()).then(|| {
        let mut text = parts.join("; ");
        text.push_str(" (as recorded by the sender's own hop: uncertain)");
        text
    })
}

/// Vendor fields that name the IP pool, by source: PowerMTA, SendGrid, SparkPost, KumoMTA.
const POOL_FIELDS: [&str; 4] = ["vmtaPool", "pool.name", "ip_pool", "egress_pool"];

/// Vendor fields that name the campaign or job: Marketing Cloud, PowerMTA, SparkPost,
/// Mailjet.
const CAMPAIGN_FIELDS: [&str; 5] =
    ["JobID", "jobId", "campaign_id", "mj_campaign_id", "customcampaign"];

/// Vendor fields that are the sending platform's or MTA's own id of the message.
const MESSAGE_ID_FIELDS: [&str; 9] = [
    "sg_message_id",
    "messageId",
    "MessageID",
    "message_id",
    "Message_GUID",
    "email_id",
    "Postfix-Queue-ID",
    "Exim-Message-ID",
    "Sendmail-Queue-ID",
];

/// The first of `names` among the record's vendor fields, with where it came from.
fn vendor(record: &Record, names: &[&str]) -> Option<Provenanced> {
    names.iter().find_map(|name| {
        let value = record.vendor_fields.get(*name).filter(|v| !v.trim().is_empty())?;
        Some(Provenanced {
            value: value.clone(),
            source: format!("{} {name}", record.format),
            uncertain: false,
        })
    })
}

/// The evidence view of `record`, at position `index` of the report's records.
pub(crate) fn evidence_of(record: &Record, index: usize) -> EvidenceView {
    let verdict = record.verdict.as_ref();
    let original = &record.original;
    let envelope_domain = original.envelope_sender.as_ref().and_then(|p| domain_of(&p.value));
    let return_path_domain = original
        .envelope_sender
        .as_ref()
        .filter(|p| p.source.to_ascii_lowercase().contains("return-path"))
        .and_then(|p| domain_of(&p.value));
    let dkim = original
        .dkim
        .iter()
        .map(|d| format!("d={} s={}", d.domain, d.selector))
        .collect::<Vec<_>>()
        .join(", ");
    let stated = (record.reply_code.as_deref(), record.status.as_deref());
    let status = match (stated, record.status_inferred()) {
        ((Some(r), Some(s)), _) => Some(format!("{r} {s}")),
        ((None, Some(s)), _) => Some(s.to_owned()),
        ((Some(r), None), Some(i)) => Some(format!("{r} (inferred {i})")),
        ((None, None), Some(i)) => Some(format!("{i} (inferred)")),
        ((Some(r), None), None) => Some(r.to_owned()),
        ((None, None), None) => None,
    };
    let stage = (record.smtp_stage != Stage::Unknown).then(|| {
        let mut text =
            format!("{} ({})", record.smtp_stage.as_str(), stage_words(record.smtp_stage));
        if let Some(how) = &record.stage_source {
            text.push_str(&format!(", learnt from {how}"));
        }
        text
    });
    let mut fields = vec![
        Field::new("Message-ID", original.message_id.clone(), FROM_ESP),
        Field::new("Timestamp", timestamp_text(record), FROM_MTA),
        Field::new("Recipient", Some(record.recipient.clone()), FROM_ESP),
        Field::new("Status", status, FROM_MTA),
        Field::new("SMTP stage", stage, FROM_MTA),
        Field::new("Layer", Some(record_layer(record).to_string()), FROM_ESP),
        Field::new("Remote-MTA", record.remote_mta.clone(), FROM_MTA),
        Field::new("Reporting-MTA", record.reporting_mta.clone(), FROM_MTA),
        current_mx(record),
        Field::provenanced("Sending IP", original.sending_ip.as_ref(), FROM_ESP),
        Field::provenanced("HELO/EHLO", original.helo.as_ref(), FROM_MTA),
        Field::provenanced(
            "IP pool (shared or dedicated)",
            vendor(record, &POOL_FIELDS).as_ref(),
            FROM_ESP,
        ),
        ptr_field(record),
        Field::provenanced("TLS", original.tls.as_ref(), FROM_MTA),
        Field::new("From domain", original.from.as_deref().and_then(domain_of), FROM_ESP),
        Field::new("Envelope sender domain", envelope_domain, FROM_ESP),
        Field::new("Return-Path domain", return_path_domain, FROM_ESP),
        Field::new("DKIM domain", Some(dkim), FROM_ESP),
        Field::new("SPF/DKIM/DMARC at hand-off", auth_text(record), FROM_ESP),
        Field::new("Link tracking domain", Some(original.link_domains.join(", ")), FROM_ESP),
        match original.captured.get("x-campaign-id").or(original.envelope_id.as_ref()) {
            Some(id) => Field::new("Campaign ID", Some(id.clone()), FROM_ESP),
            None => Field::provenanced(
                "Campaign ID",
                vendor(record, &CAMPAIGN_FIELDS).as_ref(),
                FROM_ESP,
            ),
        },
        Field::new("Bounce Message-ID", record.bounce_message_id.clone(), FROM_MTA),
        Field::new("Rule", verdict.map(|v| v.rule_id.clone()), "not classified: run the rules"),
    ];
    // The sending platform's (or MTA's) own message id, when an event or log states it: it
    // is what the platform's support looks a message up by. Mail states none, so mail's
    // evidence does not list it as missing.
    if let Some(id) = vendor(record, &MESSAGE_ID_FIELDS) {
        let at = fields.len() - 1;
        fields.insert(at, Field::provenanced("Sending platform's message ID", Some(&id), FROM_ESP));
    }
    if let Some(dns) = record.dns.as_deref() {
        let after = |fields: &[Field], label: &str| {
            fields.iter().position(|f| f.label == label).map_or(fields.len(), |i| i + 1)
        };
        let at = after(&fields, "Current MX of the recipient domain");
        for (offset, field) in domain_fields(record, dns).into_iter().enumerate() {
            fields.insert(at + offset, field);
        }
        let at = after(&fields, "PTR / reverse DNS");
        for (offset, field) in ip_fields(record, dns).into_iter().enumerate() {
            fields.insert(at + offset, field);
        }
    }
    let dns = fields
        .iter()
        .filter(|f| f.source.starts_with("DNS") || f.source.starts_with("RDAP"))
        .cloned()
        .collect();
    EvidenceView {
        dns,
        anchor: format!("rec-{index}"),
        recipient: record.recipient.clone(),
        provider: provider_of(record),
        category: verdict.map_or("unknown", |v| v.category.as_str()).to_string(),
        action: verdict.map_or("review", |v| v.action.as_str()).to_string(),
        diagnostic: record.diagnostic.clone().unwrap_or_else(|| FROM_MTA.to_string()),
        raw: raw_dsn(record),
        location: format!(
            "{} message {} at byte {}",
            record.source.path, record.source.message, record.source.offset
        ),
        fields,
    }
}

/// The row of the "please confirm" list for `record`.
pub(crate) fn confirm_row(record: &Record, index: usize) -> ConfirmRow {
    let original = &record.original;
    ConfirmRow {
        message_id: original.message_id.clone().unwrap_or_else(|| FROM_ESP.to_string()),
        recipient: record.recipient.clone(),
        timestamp: timestamp_text(record).unwrap_or_else(|| FROM_MTA.to_string()),
        sending_ip: Field::provenanced("Sending IP", original.sending_ip.as_ref(), FROM_ESP),
        helo: Field::provenanced("HELO/EHLO", original.helo.as_ref(), FROM_MTA),
        pool: Field::provenanced("IP pool", vendor(record, &POOL_FIELDS).as_ref(), FROM_ESP),
        ptr: Field { label: "PTR".to_owned(), ..ptr_field(record) },
        anchor: format!("rec-{index}"),
    }
}

/// The provider the rules named, or `other`.
pub(crate) fn provider_of(record: &Record) -> String {
    record
        .verdict
        .as_ref()
        .and_then(|v| v.provider.clone())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "other".to_string())
}

/// "DNS now, queried T via R; the bounce is dated B": where a DNS field comes from, next to
/// the bounce's own date (DNS describes the domain now, not when it bounced).
fn dns_note(record: &Record, queried_at: &str, resolver: &str, cached: bool) -> String {
    let cached = if cached { ", from the DNS cache" } else { "" };
    let bounce =
        record.timestamp.as_deref().or(record.last_attempt_date.as_deref()).unwrap_or("undated");
    format!("DNS now: queried {queried_at} via {resolver}{cached}; the bounce is dated {bounce}")
}

/// A field DNS filled: the value with its query note; `source` says DNS.
fn dns_field(label: &str, value: String, note: &str) -> Field {
    Field {
        label: label.to_owned(),
        value: format!("{value} ({note})"),
        filled: true,
        uncertain: false,
        source: note.to_owned(),
        text: value,
    }
}

fn asn_text(asn: &AsnInfo) -> String {
    let country = if asn.country.is_empty() { String::new() } else { format!(", {}", asn.country) };
    format!("AS{} {}{country}, range {}", asn.number, asn.name, asn.prefix)
}

fn status_text(status: DomainStatus) -> &'static str {
    match status {
        DomainStatus::Mx => "mx: the domain publishes MX records",
        DomainStatus::NullMx => "null-mx: the domain accepts no mail (RFC 7505 null MX)",
        DomainStatus::NoMxAFallback => {
            "no-mx-a-fallback: no MX, mail goes to the domain's own A/AAAA (RFC 5321 5.1)"
        }
        DomainStatus::Nxdomain => "nxdomain: the domain does not exist",
        DomainStatus::Servfail => "servfail: the resolver failed; unknown, retry (never confirms)",
        DomainStatus::Timeout => "timeout: no answer in time; unknown, retry (never confirms)",
        DomainStatus::NoRoute => "no-route: the domain exists but has neither MX nor A/AAAA",
    }
}

/// The current MX answers of the recipient domain, or where to collect them.
fn current_mx(record: &Record) -> Field {
    let label = "Current MX of the recipient domain";
    let Some(domain) = record.dns.as_deref().and_then(|d| d.domain.as_ref()) else {
        return Field::missing(label, FROM_DNS_MX);
    };
    let note = dns_note(record, &domain.queried_at, &domain.resolver, domain.cached);
    let value = if domain.mx.is_empty() {
        match domain.status {
            Some(DomainStatus::NoMxAFallback) => {
                format!("no MX; address fallback {}", domain.addresses.join(", "))
            }
            Some(status) => format!("none ({})", status.as_str()),
            None => "none".to_owned(),
        }
    } else {
        let hosts: Vec<String> = domain
            .mx
            .iter()
            .map(|mx| {
                let addresses = if mx.addresses.is_empty() {
                    "no address".to_owned()
                } else {
                    mx.addresses.join(", ")
                };
                format!("{} {} ({addresses})", mx.preference, mx.host)
            })
            .collect();
        let operator =
            domain.operator.as_ref().map(|o| format!("; operator {o}")).unwrap_or_default();
        format!("{}{operator}", hosts.join("; "))
    };
    dns_field(label, value, &note)
}

/// The recipient domain's DNS status, whether the Remote-MTA is among the current MX, and the
/// rejecting MX's AS.
fn domain_fields(record: &Record, dns: &DnsEvidence) -> Vec<Field> {
    let Some(domain) = dns.domain.as_ref() else { return Vec::new() };
    let note = dns_note(record, &domain.queried_at, &domain.resolver, domain.cached);
    let mut fields = Vec::new();
    if let Some(status) = domain.status {
        fields.push(dns_field(
            "Recipient domain DNS status",
            status_text(status).to_owned(),
            &note,
        ));
    }
    let in_mx = match (dns.remote_mta_in_mx, record.remote_mta.as_deref()) {
        (Tristate::Yes, Some(remote)) => format!("yes: {remote} is among the current MX hosts"),
        (Tristate::No, Some(remote)) => format!(
            "no: {remote} is not among the domain's current MX hosts or their addresses; check the transport map (pinned MX), smart host, connector or relay"
        ),
        (_, None) => "unknown: the bounce names no Remote-MTA".to_owned(),
        (_, Some(_)) => "unknown: the domain has no usable MX answer".to_owned(),
    };
    fields.push(dns_field("Remote-MTA among current MX", in_mx, &note));
    if let Some(mx) = &dns.rejecting_mx {
        let label = "MX host, IP and AS";
        let address = mx.addresses.first().map_or("no address", String::as_str);
        let asn = mx
            .asn
            .as_ref()
            .map_or_else(|| "AS unknown (give --asn-db or --asn-dns)".to_owned(), asn_text);
        fields.push(dns_field(label, format!("{} {address}, {asn}", mx.host), &note));
        fields.push(abuse_field(record, "MX abuse contact", mx.abuse.as_ref()));
    }
    fields
}

/// "RDAP now: queried T via URL; the bounce is dated B".
fn rdap_note(record: &Record, abuse: &AbuseContact) -> String {
    let cached = if abuse.cached { ", from the DNS cache" } else { "" };
    let bounce =
        record.timestamp.as_deref().or(record.last_attempt_date.as_deref()).unwrap_or("undated");
    format!(
        "RDAP now: queried {} via {}{cached}; the bounce is dated {bounce}",
        abuse.queried_at, abuse.url
    )
}

/// The abuse contact of an address's network from RDAP, or where to collect it.
fn abuse_field(record: &Record, label: &str, abuse: Option<&AbuseContact>) -> Field {
    let Some(abuse) = abuse else { return Field::missing(label, FROM_RDAP) };
    let network = abuse.network.as_ref().map(|n| {
        let parts: Vec<&str> = [n.handle.as_str(), n.name.as_str(), n.range.as_str()]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect();
        parts.join(" ")
    });
    let network = network.filter(|n| !n.is_empty()).map(|n| format!("; network {n}"));
    let network = network.unwrap_or_default();
    let value = match abuse.status {
        RdapStatus::Found if abuse.name.is_empty() => format!("{}{network}", abuse.email),
        RdapStatus::Found => format!("{} ({}){network}", abuse.email, abuse.name),
        RdapStatus::NoAbuseContact => format!("no abuse contact in the RDAP answer{network}"),
        RdapStatus::NotFound => {
            "no network: the RDAP server knows none for the address (HTTP 404)".to_owned()
        }
        status => format!("unknown: RDAP lookup failed ({status}: {})", abuse.detail),
    };
    let note = rdap_note(record, abuse);
    Field {
        label: label.to_owned(),
        value: format!("{value} ({note})"),
        filled: true,
        uncertain: false,
        source: note,
        text: value,
    }
}

/// The PTR of the sending IP, with forward confirmation and HELO agreement, or where to
/// collect it.
fn ptr_field(record: &Record) -> Field {
    let label = "PTR / reverse DNS";
    let Some(ip) = record.dns.as_deref().and_then(|d| d.sending_ip.as_ref()) else {
        return Field::missing(label, FROM_DNS_PTR);
    };
    let resolver = record
        .dns
        .as_deref()
        .and_then(|d| d.domain.as_ref())
        .map_or("the resolver", |d| d.resolver.as_str());
    let note = dns_note(record, &ip.queried_at, resolver, false);
    let names = if ip.ptr.is_empty() { "no PTR".to_owned() } else { ip.ptr.join(", ") };
    let fcrdns = match ip.fcrdns {
        Tristate::Yes => "forward-confirmed",
        Tristate::No => "not forward-confirmed",
        Tristate::Unknown => "forward confirmation unknown",
    };
    let helo = match ip.helo_matches_ptr {
        Some(Tristate::Yes) => "; HELO matches the PTR",
        Some(Tristate::No) => "; HELO does not match the PTR",
        Some(Tristate::Unknown) | None => "",
    };
    dns_field(label, format!("{} {names}: {fcrdns}{helo}", ip.ip), &note)
}

/// The sending IP's AS and blocklist listings.
fn ip_fields(record: &Record, dns: &DnsEvidence) -> Vec<Field> {
    let Some(ip) = dns.sending_ip.as_ref() else { return Vec::new() };
    let resolver = dns.domain.as_ref().map_or("the resolver", |d| d.resolver.as_str());
    let note = dns_note(record, &ip.queried_at, resolver, false);
    let mut fields = Vec::new();
    match &ip.asn {
        Some(asn) => fields.push(dns_field("Sending IP AS", asn_text(asn), &note)),
        None => fields.push(Field::missing(
            "Sending IP AS",
            "not in the bounces: give --asn-db (an ip2asn TSV) or --asn-dns ZONE with --resolve",
        )),
    }
    fields.push(abuse_field(record, "Sending IP abuse contact", ip.abuse.as_ref()));
    if !ip.blocklists.is_empty() {
        let listings: Vec<String> = ip
            .blocklists
            .iter()
            .map(|l| match l.listed {
                Tristate::Yes => {
                    let reason = if l.reason.is_empty() {
                        String::new()
                    } else {
                        format!(": \"{}\"", l.reason.join(" "))
                    };
                    format!("{} listed ({}){reason}", l.zone, l.codes.join(", "))
                }
                Tristate::No => format!("{} not listed", l.zone),
                Tristate::Unknown => format!("{} unknown (lookup failed)", l.zone),
            })
            .collect();
        fields.push(dns_field("DNS blocklists", listings.join("; "), &note));
    }
    fields
}

#[cfg(test)]
mod tests {
    use bounce_model::{AbuseContact, BounceFacts, RdapNetwork, RdapStatus, Record};

    use super::{abuse_field, FROM_RDAP};

    #[test]
    fn abuse_contacts_say_what_rdap_gave_and_when() {
        let record = Record::from(BounceFacts::default());
        let missing = abuse_field(&record, "MX abuse contact", None);
        assert_eq!((missing.value.as_str(), missing.filled), (FROM_RDAP, false));

        let mut abuse = AbuseContact {
            status: RdapStatus::NoAbuseContact,
            network: Some(RdapNetwork { name: "QUIET".into(), ..RdapNetwork::default() }),
            url: "https://rdap.example/ip/192.0.2.1".into(),
            queried_at: "2026-12-05T06:00:00Z".into(),
            cached: true,
            ..AbuseContact::default()
        };
        let field = abuse_field(&record, "MX abuse contact", Some(&abuse));
        assert_eq!(field.text, "no abuse contact in the RDAP answer; network QUIET");
        assert_eq!(
            field.source,
            "RDAP now: queried 2026-12-05T06:00:00Z via https://rdap.example/ip/192.0.2.1, from the DNS cache; the bounce is dated undated"
        );
        abuse.status = RdapStatus::Timeout;
        abuse.detail = "timeout: per call".into();
        let field = abuse_field(&record, "MX abuse contact", Some(&abuse));
        assert_eq!(field.text, "unknown: RDAP lookup failed (timeout: timeout: per call)");
    }
}
