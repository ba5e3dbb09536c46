//! The group-key vocabulary: every name a group, a series or a `--group` key can use, and the
//! value a record has for it. Engine aggregation, report grouping and report matching all read
//! records through [`Dimension::value_of`], so a key means the same everywhere.

use std::borrow::Cow;
use std::fmt;

use crate::record::Record;
use crate::taxonomy::{Action, Category};

/// One group key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    /// The triage category (`unknown` when unclassified).
    Category,
    /// The reason (`undefined` when unclassified).
    Reason,
    /// The provider the rules recognised (`other` when none).
    Provider,
    /// The grouping token the rules captured (S3150, an RBL name).
    Token,
    /// The rejecting host, lowercased.
    RemoteMta,
    /// The sending IP, from the returned original's Received chain.
    SendingIp,
    /// The recipient's domain, lowercased.
    RecipientDomain,
    /// The envelope sender's domain, else the visible From's, lowercased.
    SenderDomain,
    /// The SMTP stage.
    Stage,
    /// The action (`review` when unclassified).
    Action,
    /// Provider, category and token together: one key of three parts.
    ProviderCategoryToken,
    /// A header captured with `--capture-header`, by name as written (matched case-blind).
    Header(String),
    /// A field the source kept beside the SMTP text (`vendor:JobID`, `vendor:bounceType`), by
    /// name (matched case-blind).
    Vendor(String),
    /// The SMTP reply code and enhanced status together (`554 5.7.1`).
    SmtpCode,
    /// The diagnostic with addresses, IPs and ids masked ([`crate::wording::wording`]).
    Wording,
    /// The rejecting MX host from DNS (`--resolve`): the MX the Remote-MTA matched, else the
    /// first by preference.
    MxHost,
    /// The first address of that MX host (`--resolve`).
    MxIp,
    /// The AS of that MX host's address (`--resolve` with `--asn-db`), as `AS15169 NAME`.
    Asn,
    /// The operator receiving for the recipient domain: the provider whose MX patterns match
    /// its MX hosts (`--resolve`).
    Operator,
    /// The abuse contact (email) of the rejecting MX host's network, from RDAP (`--resolve`
    /// with `--rdap`): whom to ask about a block at the receiving infrastructure.
    Abuse,
}

/// Separates the parts of a [`Dimension::ProviderCategoryToken`] value.
const PART: char = '\u{1f}';

impl Dimension {
    /// The names [`Dimension::parse`] knows, besides `header:NAME` and `vendor:NAME`.
    pub const NAMES: [&'static str; 18] = [
        "category",
        "reason",
        "provider",
        "token",
        "remote_mta",
        "sending_ip",
        "recipient_domain",
        "sender_domain",
        "stage",
        "action",
        "provider+category+token",
        "smtp_code",
        "wording",
        "mx_host",
        "mx_ip",
        "asn",
        "operator",
        "abuse",
    ];

    /// The dimensions with one name each, in the order of [`Dimension::NAMES`].
    const NAMED: [Dimension; 18] = [
        Dimension::Category,
        Dimension::Reason,
        Dimension::Provider,
        Dimension::Token,
        Dimension::RemoteMta,
        Dimension::SendingIp,
        Dimension::RecipientDomain,
        Dimension::SenderDomain,
        Dimension::Stage,
        Dimension::Action,
        Dimension::ProviderCategoryToken,
        Dimension::SmtpCode,
        Dimension::Wording,
        Dimension::MxHost,
        Dimension::MxIp,
        Dimension::Asn,
        Dimension::Operator,
        Dimension::Abuse,
    ];

    /// Parses a key name: one of [`Dimension::NAMES`] or `header:NAME` (`mx-host` and `mx-ip`
    /// are read as `mx_host` and `mx_ip`).
    #[must_use]
    pub fn parse(name: &str) -> Option<Dimension> {
        match name {
            "mx-host" => return Some(Dimension::MxHost),
            "mx-ip" => return Some(Dimension::MxIp),
            _ => {}
        }
        if let Some(header) = name.strip_prefix("header:") {
            return (!header.is_empty()).then(|| Dimension::Header(header.to_owned()));
        }
        if let Some(field) = name.strip_prefix("vendor:") {
            return (!field.is_empty()).then(|| Dimension::Vendor(field.to_owned()));
        }
        let index = Dimension::NAMES.iter().position(|n| *n == name)?;
        Some(Dimension::NAMED[index].clone())
    }

    /// The key name, as [`Dimension::parse`] reads it.
    #[must_use]
    pub fn name(&self) -> Cow<'static, str> {
        match self {
            Dimension::Header(header) => Cow::Owned(format!("header:{header}")),
            Dimension::Vendor(field) => Cow::Owned(format!("vendor:{field}")),
            named => {
                let index = Dimension::NAMED.iter().position(|d| d == named).unwrap_or_default();
                Cow::Borrowed(Dimension::NAMES[index])
            }
        }
    }

    /// The value `record` states for this key, or `None` when it states none.
    #[must_use]
    pub fn stated<'r>(&self, record: &'r Record) -> Option<Cow<'r, str>> {
        let verdict = record.verdict.as_ref();
        let borrowed = |text: Option<&'r str>| text.filter(|t| !t.is_empty()).map(Cow::Borrowed);
        match self {
            Dimension::Category => {
                Some(Cow::Borrowed(verdict.map_or(Category::default(), |v| v.category).as_str()))
            }
            Dimension::Action => {
                Some(Cow::Borrowed(verdict.map_or(Action::default(), |v| v.action).as_str()))
            }
            Dimension::Stage => Some(Cow::Borrowed(record.smtp_stage.as_str())),
            Dimension::Reason => record.reason().map(|r| Cow::Borrowed(r.as_str())),
            Dimension::Provider => borrowed(verdict.and_then(|v| v.provider.as_deref())),
            Dimension::Token => borrowed(verdict.and_then(|v| v.token.as_deref())),
            Dimension::RemoteMta => {
                record.remote_mta.as_deref().filter(|h| !h.is_empty()).map(lowercase)
            }
            Dimension::SendingIp => {
                borrowed(record.original.sending_ip.as_ref().map(|p| p.value.as_str()))
            }
            Dimension::RecipientDomain => {
                Some(record.recipient_domain()).filter(|d| !d.is_empty()).map(lowercase)
            }
            Dimension::SenderDomain => sender_domain(record).map(Cow::Owned),
            Dimension::ProviderCategoryToken => {
                let part = |d: Dimension| d.stated(record).unwrap_or_default();
                Some(Cow::Owned(format!(
                    "{}{PART}{}{PART}{}",
                    part(Dimension::Provider),
                    part(Dimension::Category),
                    part(Dimension::Token)
                )))
            }
            Dimension::Header(name) => borrowed(
                record.original.captured.get(&name.to_ascii_lowercase()).map(String::as_str),
            ),
            Dimension::Vendor(name) => borrowed(
                record
                    .vendor_fields
                    .iter()
                    .find(|(key, _)| key.eq_ignore_ascii_case(name))
                    .map(|(_, value)| value.as_str()),
            ),
            Dimension::SmtpCode => {
                let codes: Vec<&str> = [record.reply_code.as_deref(), record.status.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect();
                (!codes.is_empty()).then(|| Cow::Owned(codes.join(" ")))
            }
            Dimension::Wording => record
                .diagnostic
                .as_deref()
                .filter(|d| !d.trim().is_empty())
                .map(|d| Cow::Owned(crate::wording::wording(d))),
            Dimension::MxHost => borrowed(rejecting_mx(record).map(|mx| mx.host.as_str())),
            Dimension::MxIp => borrowed(
                rejecting_mx(record).and_then(|mx| mx.addresses.first()).map(String::as_str),
            ),
            Dimension::Asn => rejecting_mx(record)
                .and_then(|mx| mx.asn.as_ref())
                .map(|asn| Cow::Owned(format!("AS{} {}", asn.number, asn.name))),
            Dimension::Operator => borrowed(
                record
                    .dns
                    .as_ref()
                    .and_then(|d| d.domain.as_ref())
                    .and_then(|d| d.operator.as_deref()),
            ),
            Dimension::Abuse => borrowed(
                rejecting_mx(record)
                    .and_then(|mx| mx.abuse.as_ref())
                    .filter(|abuse| abuse.status == crate::dns::RdapStatus::Found)
                    .map(|abuse| abuse.email.as_str()),
            ),
        }
    }

    /// The value of `record` for this key: the stated one, else a placeholder (`other` for the
    /// provider, `undefined` for the reason, `-` for the rest), so every record has a value.
    #[must_use]
    pub fn value_of<'r>(&self, record: &'r Record) -> Cow<'r, str> {
        self.stated(record).unwrap_or(Cow::Borrowed(self.placeholder()))
    }

    /// What [`Dimension::value_of`] gives when the record states nothing.
    fn placeholder(&self) -> &'static str {
        match self {
            Dimension::Reason => "undefined",
            Dimension::Provider => "other",
            Dimension::RecipientDomain => "",
            _ => "-",
        }
    }

    /// The entries of a group key for `value`: one `(name, value)`, or for
    /// [`Dimension::ProviderCategoryToken`] its three parts with the empty ones left out.
    #[must_use]
    pub fn key_entries(&self, value: &str) -> Vec<(String, String)> {
        if *self == Dimension::ProviderCategoryToken {
            ["provider", "category", "token"]
                .into_iter()
                .zip(value.split(PART))
                .filter(|(_, part)| !part.is_empty())
                .map(|(name, part)| (name.to_owned(), part.to_owned()))
                .collect()
        } else {
            vec![(self.name().into_owned(), value.to_owned())]
        }
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// The rejecting MX host of a resolved record.
fn rejecting_mx(record: &Record) -> Option<&crate::dns::MxHost> {
    record.dns.as_ref().and_then(|d| d.rejecting_mx.as_ref())
}

fn lowercase(text: &str) -> Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(text.to_ascii_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

/// The envelope sender's domain, else the visible From's, lowercased.
fn sender_domain(record: &Record) -> Option<String> {
    let envelope = record.original.envelope_sender.as_ref().map(|p| p.value.as_str());
    [envelope, record.original.from.as_deref()]
        .into_iter()
        .flatten()
        .filter_map(|text| {
            let address = match (text.rfind('<'), text.rfind('>')) {
                (Some(open), Some(close)) if open < close => &text[open + 1..close],
                _ => text.trim(),
            };
            let domain = address.rsplit_once('@').map_or("", |(_, d)| d);
            let domain = domain.trim().trim_end_matches('>');
            (!domain.is_empty()).then(|| domain.to_ascii_lowercase())
        })
        .next()
}

#[cfg(test)]
mod tests {
    use super::Dimension;
    use crate::{BounceFacts, Record, Verdict};

    #[test]
    fn names_round_trip() {
        for name in Dimension::NAMES {
            assert_eq!(Dimension::parse(name).expect(name).name(), name);
        }
        assert_eq!(Dimension::parse("header:X-Campaign").unwrap().name(), "header:X-Campaign");
        assert_eq!(Dimension::parse("header:"), None);
        assert_eq!(Dimension::parse("nonsense"), None);
    }

    #[test]
    fn dns_keys_read_the_rejecting_mx_and_the_operator() {
        use crate::{AbuseContact, AsnInfo, DnsEvidence, DomainDns, MxHost, RdapStatus};
        let mut record = Record::from(BounceFacts::default());
        assert_eq!(Dimension::MxHost.value_of(&record), "-");
        assert_eq!(Dimension::Abuse.value_of(&record), "-");
        let mx = MxHost {
            preference: 0,
            host: "contoso-com.mail.protection.outlook.com".into(),
            addresses: vec!["198.51.100.25".into()],
            asn: Some(AsnInfo { number: 8075, name: "MICROSOFT".into(), ..AsnInfo::default() }),
            abuse: Some(AbuseContact {
                status: RdapStatus::Found,
                email: "abuse@microsoft.example".into(),
                ..AbuseContact::default()
            }),
        };
        record.dns = Some(Box::new(DnsEvidence {
            domain: Some(DomainDns {
                operator: Some("microsoft-365".into()),
                mx: vec![mx.clone()],
                ..DomainDns::default()
            }),
            rejecting_mx: Some(mx),
            ..DnsEvidence::default()
        }));
        assert_eq!(Dimension::parse("mx-host"), Some(Dimension::MxHost));
        assert_eq!(Dimension::MxHost.value_of(&record), "contoso-com.mail.protection.outlook.com");
        assert_eq!(Dimension::MxIp.value_of(&record), "198.51.100.25");
        assert_eq!(Dimension::Asn.value_of(&record), "AS8075 MICROSOFT");
        assert_eq!(Dimension::Operator.value_of(&record), "microsoft-365");
        assert_eq!(Dimension::parse("abuse"), Some(Dimension::Abuse));
        assert_eq!(Dimension::Abuse.value_of(&record), "abuse@microsoft.example");
        // A failed lookup states no contact.
        let dns = record.dns.as_mut().unwrap();
        dns.rejecting_mx.as_mut().unwrap().abuse.as_mut().unwrap().status = RdapStatus::Timeout;
        assert_eq!(Dimension::Abuse.value_of(&record), "-");
    }

    #[test]
    fn values_have_placeholders_and_combined_keys_drop_empty_parts() {
        let facts = BounceFacts { recipient: "Ann@Example.NET".into(), ..BounceFacts::default() };
        let mut record = Record::from(facts);
        assert_eq!(Dimension::Provider.value_of(&record), "other");
        assert_eq!(Dimension::Provider.stated(&record), None);
        assert_eq!(Dimension::RecipientDomain.value_of(&record), "example.net");
        record.verdict = Some(Verdict { provider: Some("gmail".into()), ..Verdict::default() });
        record.original.captured.insert("x-campaign".into(), "spring".into());
        assert_eq!(Dimension::parse("header:X-Campaign").unwrap().value_of(&record), "spring");
        let combined = Dimension::ProviderCategoryToken;
        let entries = combined.key_entries(&combined.value_of(&record));
        assert_eq!(
            entries,
            vec![("provider".into(), "gmail".into()), ("category".into(), "unknown".into())]
        );
    }
}
