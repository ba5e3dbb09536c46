//! DNS and infrastructure evidence for bounce-triage (`--resolve`): the recipient domain's MX
//! set, null MX, address fallback, NXDOMAIN, SERVFAIL and timeout as distinct statuses; the
//! sending IP's PTR, forward confirmation and blocklist listings; the AS of an address from an
//! offline ip2asn dataset; the abuse contact of an address's network from RDAP (`--rdap`).
//!
//! [`Dns`] is a real DNS client (hickory-resolver on a runtime of its own). The engine hands it
//! the records of a window ([`Dns::prefetch`]): every distinct name and IP is looked up once per
//! run (answers are memoised, and one batch asks each question once however many records share
//! it), with bounded concurrency; [`Dns::evidence`] then reads the answers for one record
//! without touching the network. Answers can be kept in a JSON cache file between runs
//! ([`DnsOptions::cache`]), each with the time it was obtained and its TTL; RDAP answers are
//! kept there too, for a day.
#![deny(missing_docs)]

mod answer;
mod asn;
mod cache;
mod evidence;
mod rdap;
mod resolve;
#[cfg(feature = "test-server")]
pub mod test_server;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use asn::{AsnDb, AsnError};
pub use cache::CacheError;
pub use rdap::{parse_server as parse_rdap_server, DEFAULT_RDAP_SERVER};
pub use resolve::Dns;

/// How to resolve, resolved once from the command line.
#[derive(Debug, Clone)]
pub struct DnsOptions {
    /// The servers to ask (`--dns-server`); empty uses the system's resolver configuration.
    pub servers: Vec<SocketAddr>,
    /// How long to wait for one answer.
    pub timeout: Duration,
    /// Retries after a failed or unanswered query.
    pub retries: usize,
    /// Queries in flight at once.
    pub concurrency: usize,
    /// The JSON cache file (`--dns-cache`), read at start and written at the end.
    pub cache: Option<PathBuf>,
    /// DNS blocklist zones to check the sending IP against (`--dnsbl`).
    pub dnsbl: Vec<String>,
    /// The ip2asn dataset (`--asn-db`).
    pub asn_db: Option<PathBuf>,
    /// A zone answering origin-AS TXT queries in Team Cymru's format (`--asn-dns`, e.g.
    /// `origin.asn.cymru.com`), for addresses the dataset does not cover.
    pub asn_zone: Option<String>,
    /// The RDAP server to ask for the abuse contacts of the sending IPs and the rejecting MX
    /// addresses (`--rdap`, `--rdap-server`), a base URL; `None` asks no RDAP.
    pub rdap: Option<String>,
}

impl Default for DnsOptions {
    fn default() -> Self {
        DnsOptions {
            servers: Vec::new(),
            timeout: Duration::from_secs(3),
            retries: 1,
            concurrency: 32,
            cache: None,
            dnsbl: Vec::new(),
            asn_db: None,
            asn_zone: None,
            rdap: None,
        }
    }
}

/// Why DNS evidence could not be set up or saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DnsError {
    /// The resolver could not be built (no system configuration, bad server).
    #[error("cannot set up the DNS resolver: {0}")]
    Resolver(String),
    /// The cache file cannot be read or written.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// The ASN dataset cannot be read.
    #[error(transparent)]
    Asn(#[from] AsnError),
}

/// Parses `--dns-server`: `IP` (port 53), `IP:PORT` or `[IPv6]:PORT`.
///
/// # Errors
/// When the text is not an address.
pub fn parse_server(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(ip) = text.parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    text.parse::<SocketAddr>()
        .map_err(|_| format!("`{text}` is not an IP address or IP:PORT (e.g. 127.0.0.1:5353)"))
}
