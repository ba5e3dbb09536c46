//! The DNS evidence of one record, read from the answers [`Dns::prefetch`] obtained: the
//! recipient domain's status and MX set, whether the Remote-MTA is among them, the sending
//! IP's PTR, FCrDNS, HELO agreement, AS and listings.

use std::net::IpAddr;

use bounce_model::{
    BounceFacts, DnsEvidence, DomainDns, DomainStatus, IpDns, Listing, MxHost, Tristate,
};

use crate::answer::{rfc3339, Answer, Outcome, Qtype};
use crate::resolve::{
    as_name_question, blocklist_name, origin_name, parse_as_name, parse_origin, Dns, MAX_MX_HOSTS,
};

impl Dns {
    /// The evidence of one record from the answers obtained so far (call [`Dns::prefetch`]
    /// with its window first); `operator` names the provider whose MX patterns match a host.
    /// `None` when the record names neither a domain nor a sending IP to ask about.
    pub fn evidence(
        &self,
        facts: &BounceFacts,
        operator: &dyn Fn(&str) -> Option<String>,
    ) -> Option<DnsEvidence> {
        let domain = self.domain(facts.recipient_domain(), operator);
        let sending_ip =
            facts.original.sending_ip.as_ref().and_then(|p| ip_of(&p.value)).map(|ip| {
                self.sending_ip(ip, facts.original.helo.as_ref().map(|h| h.value.as_str()))
            });
        if domain.is_none() && sending_ip.is_none() {
            return None;
        }
        let (remote_mta_in_mx, matched) = match (&domain, facts.remote_mta.as_deref()) {
            (Some(domain), Some(remote)) if domain.status.is_some_and(DomainStatus::routes) => {
                self.remote_in_mx(domain, remote)
            }
            _ => (Tristate::Unknown, None),
        };
        let rejecting_mx = domain.as_ref().and_then(|d| matched.or_else(|| d.mx.first().cloned()));
        Some(DnsEvidence { domain, remote_mta_in_mx, rejecting_mx, sending_ip })
    }

    fn domain(&self, name: &str, operator: &dyn Fn(&str) -> Option<String>) -> Option<DomainDns> {
        let name = name.trim().to_ascii_lowercase();
        if !is_domain_name(&name) {
            return None;
        }
        let answer = self.answer(Qtype::Mx, &name)?;
        let mut domain = DomainDns {
            name: name.clone(),
            queried_at: rfc3339(answer.queried_at),
            resolver: self.label().to_owned(),
            cached: answer.cached,
            ..DomainDns::default()
        };
        domain.status = Some(match &answer.outcome {
            Outcome::Records(records) => {
                let hosts: Vec<(u16, &str)> = records
                    .iter()
                    .filter_map(|r| {
                        let (preference, host) = r.split_once(' ')?;
                        Some((preference.parse().ok()?, host))
                    })
                    .collect();
                if hosts.iter().any(|(_, host)| *host == ".") {
                    // RFC 7505: a single `0 .` record; a null MX among others is a
                    // misconfiguration, read as the other hosts.
                    if hosts.len() == 1 {
                        DomainStatus::NullMx
                    } else {
                        self.fill_mx(&mut domain, &hosts);
                        DomainStatus::Mx
                    }
                } else {
                    self.fill_mx(&mut domain, &hosts);
                    DomainStatus::Mx
                }
            }
            Outcome::NoData => {
                let (addresses, failure) = self.addresses(&name);
                domain.addresses = addresses;
                if !domain.addresses.is_empty() {
                    DomainStatus::NoMxAFallback
                } else if let Some(failure) = failure {
                    failure
                } else {
                    DomainStatus::NoRoute
                }
            }
            Outcome::NxDomain => DomainStatus::Nxdomain,
            Outcome::Timeout => DomainStatus::Timeout,
            Outcome::ServFail | Outcome::Error(_) => DomainStatus::Servfail,
        });
        domain.operator = domain.mx.iter().find_map(|mx| operator(&mx.host));
        Some(domain)
    }

    fn fill_mx(&self, domain: &mut DomainDns, hosts: &[(u16, &str)]) {
        let mut hosts: Vec<(u16, &str)> =
            hosts.iter().filter(|(_, h)| *h != ".").copied().collect();
        hosts.sort_unstable();
        domain.mx = hosts
            .iter()
            .enumerate()
            .map(|(index, (preference, host))| {
                let addresses =
                    if index < MAX_MX_HOSTS { self.addresses(host).0 } else { Vec::new() };
                let asn = self.asn_of(addresses.first());
                let abuse = self.abuse_of(addresses.first());
                MxHost { preference: *preference, host: (*host).to_owned(), addresses, asn, abuse }
            })
            .collect();
    }

    /// The A and AAAA answers of a name, and the failure when neither answered.
    fn addresses(&self, name: &str) -> (Vec<String>, Option<DomainStatus>) {
        let answers: Vec<Answer> = [Qtype::A, Qtype::Aaaa]
            .into_iter()
            .filter_map(|qtype| self.answer(qtype, name))
            .collect();
        let addresses: Vec<String> =
            answers.iter().flat_map(|a| a.outcome.records().iter().cloned()).collect();
        let failure = answers.iter().find_map(|a| match a.outcome {
            Outcome::Timeout => Some(DomainStatus::Timeout),
            Outcome::ServFail | Outcome::Error(_) => Some(DomainStatus::Servfail),
            _ => None,
        });
        (addresses, failure)
    }

    /// The AS of an address: from `--asn-db`, else from the `--asn-dns` origin answers.
    fn asn_of(&self, address: Option<&String>) -> Option<bounce_model::AsnInfo> {
        let ip: IpAddr = address?.parse().ok()?;
        if let Some(found) = self.asn.as_ref().and_then(|db| db.lookup(ip)) {
            return Some(found);
        }
        let zone = self.options.asn_zone.as_deref()?;
        let origin = self.answer(Qtype::Txt, &origin_name(ip, zone))?;
        let mut info = origin.outcome.records().iter().find_map(|r| parse_origin(r))?;
        if let Some(names) = self.answer(Qtype::Txt, &as_name_question(info.number, zone)) {
            info.name =
                names.outcome.records().iter().find_map(|r| parse_as_name(r)).unwrap_or_default();
        }
        Some(info)
    }

    /// The RDAP abuse contact of an address's network, when `--rdap` looked it up.
    fn abuse_of(&self, address: Option<&String>) -> Option<bounce_model::AbuseContact> {
        let ip: IpAddr = address?.parse().ok()?;
        self.rdap_answer(ip).map(|answer| answer.contact())
    }

    /// Whether the Remote-MTA (names and IPs in its text, and the addresses its name resolves
    /// to) is among the MX hosts or their addresses (or the domain's own, for the fallback).
    fn remote_in_mx(&self, domain: &DomainDns, remote: &str) -> (Tristate, Option<MxHost>) {
        let (names, ips) = remote_mta_parts(remote);
        if names.is_empty() && ips.is_empty() {
            return (Tristate::Unknown, None);
        }
        let mut remote_addresses: Vec<String> = ips.iter().map(ToString::to_string).collect();
        for name in &names {
            remote_addresses.extend(self.addresses(name).0);
        }
        if let Some(mx) = domain.mx.iter().find(|mx| {
            names.contains(&mx.host) || mx.addresses.iter().any(|a| remote_addresses.contains(a))
        }) {
            return (Tristate::Yes, Some(mx.clone()));
        }
        if domain.mx.is_empty()
            && (names.contains(&domain.name)
                || domain.addresses.iter().any(|a| remote_addresses.contains(a)))
        {
            return (Tristate::Yes, None);
        }
        (Tristate::No, None)
    }

    fn sending_ip(&self, ip: IpAddr, helo: Option<&str>) -> IpDns {
        let text = ip.to_string();
        let ptr_answer = self.answer(Qtype::Ptr, &text);
        let mut evidence = IpDns {
            ip: text,
            queried_at: ptr_answer.as_ref().map(|a| rfc3339(a.queried_at)).unwrap_or_default(),
            asn: self.asn_of(Some(&ip.to_string())),
            abuse: self.rdap_answer(ip).map(|answer| answer.contact()),
            ..IpDns::default()
        };
        let answered = ptr_answer.as_ref().is_some_and(|a| a.outcome.is_answer());
        evidence.ptr = ptr_answer.map(|a| a.outcome.records().to_vec()).unwrap_or_default();
        let family = if ip.is_ipv6() { Qtype::Aaaa } else { Qtype::A };
        evidence.fcrdns = if !answered {
            Tristate::Unknown
        } else if evidence.ptr.iter().any(|name| {
            self.answer(family, name).is_some_and(|a| {
                a.outcome.records().iter().any(|r| r.parse::<IpAddr>().is_ok_and(|r| r == ip))
            })
        }) {
            Tristate::Yes
        } else {
            Tristate::No
        };
        evidence.helo_matches_ptr = helo.map(|helo| {
            let helo = helo.trim().trim_end_matches('.').to_ascii_lowercase();
            if evidence.ptr.contains(&helo) {
                Tristate::Yes
            } else if answered {
                Tristate::No
            } else {
                Tristate::Unknown
            }
        });
        evidence.blocklists = self
            .options
            .dnsbl
            .iter()
            .map(|zone| {
                let name = blocklist_name(ip, zone);
                let answer = self.answer(Qtype::A, &name);
                let listed = match answer.as_ref().map(|a| &a.outcome) {
                    Some(Outcome::Records(_)) => Tristate::Yes,
                    Some(Outcome::NxDomain | Outcome::NoData) => Tristate::No,
                    _ => Tristate::Unknown,
                };
                let codes = answer.map(|a| a.outcome.records().to_vec()).unwrap_or_default();
                let reason = self
                    .answer(Qtype::Txt, &name)
                    .map(|a| a.outcome.records().to_vec())
                    .unwrap_or_default();
                Listing { zone: zone.trim().trim_matches('.').to_owned(), listed, codes, reason }
            })
            .collect();
        evidence
    }
}

/// The IP address in a text such as `192.0.2.1`, `[192.0.2.1]` or `IPv6:2001:db8::1`.
pub(crate) fn ip_of(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_start_matches('[').trim_end_matches(']');
    let text = text.strip_prefix("IPv6:").or_else(|| text.strip_prefix("ipv6:")).unwrap_or(text);
    text.parse().ok()
}

/// Whether `name` looks like a domain name worth asking about.
pub(crate) fn is_domain_name(name: &str) -> bool {
    name.len() <= 253
        && name.contains('.')
        && !name.starts_with('.')
        && name.parse::<IpAddr>().is_err()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && name.split('.').all(|label| !label.is_empty() && label.len() <= 63)
}

/// The host names and IP addresses a Remote-MTA text names (`dns; mx.example.com
/// [192.0.2.1]`, `mx.example.com (192.0.2.1)`), names lowercased without the final dot.
pub(crate) fn remote_mta_parts(text: &str) -> (Vec<String>, Vec<IpAddr>) {
    let mut names = Vec::new();
    let mut ips = Vec::new();
    for token in
        text.split(|c: char| c.is_whitespace() || matches!(c, ';' | '(' | ')' | ',' | '<' | '>'))
    {
        let token = token.trim_matches(|c| matches!(c, '[' | ']' | '"' | '\''));
        if token.is_empty() || token.eq_ignore_ascii_case("dns") {
            continue;
        }
        if let Some(ip) = ip_of(token) {
            ips.push(ip);
            continue;
        }
        let name = token.trim_end_matches('.').to_ascii_lowercase();
        if is_domain_name(&name) && !names.contains(&name) {
            names.push(name);
        }
    }
    (names, ips)
}

/// The labels of `ip` reversed, as in-addr.arpa and DNSBL names write them.
pub(crate) fn reverse_labels(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}")
        }
        IpAddr::V6(v6) => {
            let hex: String = v6.octets().iter().map(|byte| format!("{byte:02x}")).collect();
            let nibbles: Vec<String> = hex.chars().rev().map(String::from).collect();
            nibbles.join(".")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ip_of, remote_mta_parts, reverse_labels};

    #[test]
    fn remote_mta_texts_give_names_and_ips() {
        let (names, ips) = remote_mta_parts("dns; mx1.Example.COM. [192.0.2.10]");
        assert_eq!(names, vec!["mx1.example.com".to_owned()]);
        assert_eq!(ips, vec![ip_of("192.0.2.10").unwrap()]);
        assert_eq!(remote_mta_parts("mail.example.net (2001:db8::25)").1.len(), 1);
    }

    #[test]
    fn reversed_labels_for_blocklists() {
        assert_eq!(reverse_labels(ip_of("192.0.2.99").unwrap()), "99.2.0.192");
        assert!(reverse_labels(ip_of("2001:db8::1").unwrap()).starts_with("1.0.0.0."));
    }
}
