//! What DNS says *now* about a record's recipient domain and sending IP (`--resolve`): neither a
//! fact the bounce states nor a verdict of the rules, so it is the record's third part
//! ([`crate::Record::dns`]). Every answer carries the time it was obtained and the resolver
//! that gave it.

use serde::{Deserialize, Serialize};

named_enum! {
    /// The state of the recipient domain's mail routing, each outcome distinct.
    DomainStatus {
        /// The domain publishes MX records (and is not a null MX).
        Mx = "mx",
        /// RFC 7505 null MX: one MX record `0 .`; the domain accepts no mail.
        NullMx = "null-mx",
        /// No MX, but A/AAAA records: mail goes to the domain itself (RFC 5321 §5.1).
        NoMxAFallback = "no-mx-a-fallback",
        /// The domain does not exist (NXDOMAIN).
        Nxdomain = "nxdomain",
        /// The resolver answered SERVFAIL (or another server failure): unknown, retry.
        Servfail = "servfail",
        /// No answer within the timeout and retries: unknown, retry.
        Timeout = "timeout",
        /// The domain exists but has neither MX nor A/AAAA records.
        NoRoute = "no-route",
    }
}

impl DomainStatus {
    /// Whether the answer proves that mail cannot be delivered to the domain (NXDOMAIN or
    /// null MX): what confirms a dead-domain verdict.
    #[must_use]
    pub fn is_dead(self) -> bool {
        matches!(self, DomainStatus::Nxdomain | DomainStatus::NullMx)
    }

    /// Whether the domain currently accepts mail somewhere (MX or address fallback).
    #[must_use]
    pub fn routes(self) -> bool {
        matches!(self, DomainStatus::Mx | DomainStatus::NoMxAFallback)
    }

    /// Whether the lookup failed without an answer (SERVFAIL or timeout): never evidence.
    #[must_use]
    pub fn is_failure(self) -> bool {
        matches!(self, DomainStatus::Servfail | DomainStatus::Timeout)
    }
}

named_enum! {
    /// A yes/no answer that DNS may be unable to give.
    #[derive(Default)]
    Tristate {
        /// Yes.
        Yes = "yes",
        /// No.
        No = "no",
        /// DNS gave no usable answer, or the bounce names nothing to compare.
        #[default]
        Unknown = "unknown",
    }
}

/// One autonomous system announcing an address, from the `--asn-db` dataset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AsnInfo {
    /// The AS number (`15169`).
    pub number: u32,
    /// The AS description as the dataset writes it.
    pub name: String,
    /// The registry country code.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub country: String,
    /// The address range the dataset maps to the AS (`first-last`).
    pub prefix: String,
}

named_enum! {
    /// What an RDAP lookup (`--rdap`) of an address's network gave, each outcome distinct.
    #[derive(Default)]
    RdapStatus {
        /// The network has an entity with the `abuse` role and an email in its vCard.
        Found = "found",
        /// The network was found, but no entity with the `abuse` role and an email.
        NoAbuseContact = "no-abuse-contact",
        /// The RDAP server knows no network for the address (HTTP 404).
        NotFound = "not-found",
        /// No complete answer in time.
        Timeout = "timeout",
        /// The answer is not an RDAP JSON object.
        Malformed = "malformed",
        /// The answer is larger than the size limit (1 MiB) and was not read.
        TooLarge = "too-large",
        /// Any other failure: connection, TLS, an HTTP error status, too many redirects.
        #[default]
        Error = "error",
    }
}

impl RdapStatus {
    /// Whether the server answered about the address (and the answer may be cached).
    #[must_use]
    pub fn is_answer(self) -> bool {
        matches!(self, RdapStatus::Found | RdapStatus::NoAbuseContact | RdapStatus::NotFound)
    }
}

/// The IP network an RDAP server registered for an address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RdapNetwork {
    /// The registry's handle of the network (`NET-192-0-2-0-1`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub handle: String,
    /// The network's name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The network's range: its CIDR blocks (RFC 9083 cidr0 extension) when given, else
    /// `startAddress - endAddress`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub range: String,
}

/// The abuse contact of an address's network, from RDAP (`--rdap`), with where and when it was
/// asked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AbuseContact {
    /// What the lookup gave.
    pub status: RdapStatus,
    /// The abuse entity's email (its vCard `email`), lowercased; empty unless `found`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub email: String,
    /// The abuse entity's name (its vCard `fn`), as a label.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The network the server answered with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<RdapNetwork>,
    /// The RDAP URL that answered (after redirects), else the one asked.
    pub url: String,
    /// When the answer was obtained (RFC 3339, UTC).
    pub queried_at: String,
    /// Whether the answer came from the `--dns-cache` file rather than the network.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cached: bool,
    /// Why the lookup failed (HTTP status, error text), for the failure statuses.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// One MX host of the recipient domain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MxHost {
    /// The MX preference (lower is tried first).
    pub preference: u16,
    /// The exchange host, lowercased, without the trailing dot.
    pub host: String,
    /// Its A and AAAA addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    /// The AS of its first address, when `--asn-db` is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asn: Option<AsnInfo>,
    /// The abuse contact of its first address's network, when `--rdap` asked for it (the
    /// rejecting MX of each record is asked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abuse: Option<AbuseContact>,
}

/// The recipient domain's routing as DNS answered it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DomainDns {
    /// The domain asked about.
    pub name: String,
    /// What the answers mean for mail.
    pub status: Option<DomainStatus>,
    /// The MX set, by preference then host (empty unless `status` is `mx`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mx: Vec<MxHost>,
    /// The domain's own A/AAAA addresses (for `no-mx-a-fallback`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    /// When the MX answer was obtained (RFC 3339, UTC).
    pub queried_at: String,
    /// The resolver that answered (`system`, or the `--dns-server` addresses).
    pub resolver: String,
    /// Whether the answer came from the `--dns-cache` file rather than the network.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cached: bool,
    /// The provider whose MX patterns match the MX hosts (the operator receiving the mail).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
}

/// A DNS blocklist's answer for the sending IP.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Listing {
    /// The blocklist zone (`zen.spamhaus.org`).
    pub zone: String,
    /// Whether the IP is listed (an A answer); unknown when the lookup failed.
    pub listed: Tristate,
    /// The A answers (return codes), when listed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<String>,
    /// The TXT reason, verbatim, when listed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reason: Vec<String>,
}

/// What DNS says about the sending IP.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IpDns {
    /// The address asked about.
    pub ip: String,
    /// Its PTR names, lowercased, without the trailing dot (empty: no PTR).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ptr: Vec<String>,
    /// Forward-confirmed reverse DNS: a PTR name resolves back to the IP.
    pub fcrdns: Tristate,
    /// Whether the HELO name the Received chain states is one of the PTR names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helo_matches_ptr: Option<Tristate>,
    /// The AS announcing the IP, when `--asn-db` is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asn: Option<AsnInfo>,
    /// The abuse contact of the IP's network, with `--rdap`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abuse: Option<AbuseContact>,
    /// The `--dnsbl` answers, one per zone.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocklists: Vec<Listing>,
    /// When the PTR answer was obtained (RFC 3339, UTC).
    pub queried_at: String,
}

/// The DNS evidence of one record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DnsEvidence {
    /// The recipient domain's routing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<DomainDns>,
    /// Whether the bounce's Remote-MTA (name or IP) is among the domain's current MX hosts or
    /// their addresses; `no` is the lead for a stale route (transport map, pinned MX, smart
    /// host, connector).
    pub remote_mta_in_mx: Tristate,
    /// The MX host the Remote-MTA matched, else the first by preference: the rejecting MX.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejecting_mx: Option<MxHost>,
    /// The sending IP's reverse DNS, FCrDNS, HELO agreement, AS and listings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sending_ip: Option<IpDns>,
}

impl DnsEvidence {
    /// The MX hosts of the recipient domain, by preference.
    pub fn mx_hosts(&self) -> impl Iterator<Item = &str> {
        self.domain.iter().flat_map(|d| d.mx.iter().map(|m| m.host.as_str()))
    }
}
