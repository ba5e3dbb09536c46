//! The DNS flags every reading command shares (`--resolve` and its settings), and the one place
//! they become the engine's DNS client.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Result};
use bounce_dns::{Dns, DnsOptions};
use clap::Args;

/// The help heading of the DNS flags.
pub(crate) const DNS: &str = "DNS";

/// Reads `--dns-timeout`: milliseconds, 1 to 60000.
fn milliseconds(text: &str) -> Result<u64, String> {
    let n: u64 = text.parse().map_err(|_| format!("`{text}` is not a whole number"))?;
    if (1..=60_000).contains(&n) {
        Ok(n)
    } else {
        Err(format!("{n} is not in 1..=60000"))
    }
}

/// Live DNS evidence: off by default, so runs stay offline and deterministic.
#[derive(Debug, Args)]
pub(crate) struct DnsArgs {
    /// Off by default (no network is touched). Look up the recipient domains (MX, null MX, address fallback, NXDOMAIN, SERVFAIL,
    /// timeout), the Remote-MTA names and the sending IPs (PTR, forward confirmation) now, once
    /// per distinct name or IP, and add a `dns` object to each record; a dead-domain verdict
    /// confirmed by NXDOMAIN or null MX is suppressed on its first bounce.
    #[arg(long, help_heading = DNS)]
    pub(crate) resolve: bool,
    /// The DNS server to ask, IP or IP:PORT (repeatable; default: the system's resolvers).
    #[arg(long = "dns-server", value_name = "IP[:PORT]", value_parser = bounce_dns::parse_server, help_heading = DNS)]
    pub(crate) dns_server: Vec<SocketAddr>,
    /// How long to wait for one DNS answer, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 3000, value_parser = milliseconds, help_heading = DNS)]
    pub(crate) dns_timeout: u64,
    /// Retries after an unanswered or failed DNS query.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=10), help_heading = DNS)]
    pub(crate) dns_retries: u8,
    /// DNS queries in flight at once.
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1024), help_heading = DNS)]
    pub(crate) dns_concurrency: u16,
    /// A JSON file of DNS answers kept between runs (read at start, written at the end):
    /// answers still within their TTL are reused, each with the time it was obtained.
    #[arg(long, value_name = "FILE", help_heading = DNS)]
    pub(crate) dns_cache: Option<PathBuf>,
    /// A DNS blocklist zone to check the sending IP against (repeatable); a listing's TXT
    /// reason is kept verbatim.
    #[arg(long, value_name = "ZONE", help_heading = DNS)]
    pub(crate) dnsbl: Vec<String>,
    /// An ip2asn TSV file (range_start range_end AS_number country_code AS_description, as
    /// published by iptoasn.com): the AS of the sending IP and of each MX address.
    #[arg(long, value_name = "FILE", help_heading = DNS)]
    pub(crate) asn_db: Option<PathBuf>,
    /// A DNS zone answering origin-AS TXT queries in Team Cymru's format
    /// (origin.asn.cymru.com): the AS of addresses --asn-db does not cover, its name asked
    /// under the parent zone (AS15169.asn.cymru.com).
    #[arg(long, value_name = "ZONE", help_heading = DNS)]
    pub(crate) asn_dns: Option<String>,
    /// Off by default. With --resolve, ask RDAP for the network of each sending IP and each
    /// rejecting MX address (GET SERVER/ip/ADDRESS, once per address) and add its abuse
    /// contact (the entity with the abuse role: email and name), the network and the query
    /// time to the `dns` object; answers are kept in --dns-cache for a day.
    #[arg(long, requires = "resolve", help_heading = DNS)]
    pub(crate) rdap: bool,
    /// The RDAP server to ask, a base URL (default: https://rdap.arin.net/registry, which
    /// redirects to the registry holding an address it does not; up to 5 redirects are
    /// followed).
    #[arg(long = "rdap-server", value_name = "URL", requires = "rdap", value_parser = bounce_dns::parse_rdap_server, help_heading = DNS)]
    pub(crate) rdap_server: Option<String>,
}

impl DnsArgs {
    /// The DNS client these flags ask for; none without `--resolve`.
    pub(crate) fn client(&self) -> Result<Option<Arc<Dns>>> {
        if !self.resolve {
            return Ok(None);
        }
        let options = DnsOptions {
            servers: self.dns_server.clone(),
            timeout: Duration::from_millis(self.dns_timeout),
            retries: usize::from(self.dns_retries),
            concurrency: usize::from(self.dns_concurrency),
            cache: self.dns_cache.clone(),
            dnsbl: self.dnsbl.clone(),
            asn_db: self.asn_db.clone(),
            asn_zone: self.asn_dns.clone(),
            rdap: self.rdap.then(|| {
                self.rdap_server
                    .clone()
                    .unwrap_or_else(|| bounce_dns::DEFAULT_RDAP_SERVER.to_owned())
            }),
        };
        Ok(Some(Arc::new(Dns::new(options).map_err(|e| anyhow!(e))?)))
    }
}
