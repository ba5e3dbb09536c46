//! The DNS client: hickory-resolver on a runtime of its own, the per-run memo of answers (one
//! question asked once per run), bounded concurrency and the cache file; the RDAP lookups of
//! the same run.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bounce_model::BounceFacts;
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError as WireError, NetError};
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::answer::{now, Answer, Outcome, Qtype, Question};
use crate::asn::AsnDb;
use crate::evidence::{ip_of, is_domain_name, remote_mta_parts, reverse_labels};
use crate::rdap::{Rdap, RdapAnswer};
use crate::{cache, DnsError, DnsOptions};

/// How long a negative answer without an SOA TTL, or a failure, is reused within a run and
/// kept in the cache (seconds).
const NEGATIVE_TTL: i64 = 300;

/// MX hosts of one domain whose addresses are looked up (a domain may list dozens).
pub(crate) const MAX_MX_HOSTS: usize = 10;

/// PTR names of one IP whose addresses are looked up for forward confirmation.
const MAX_PTR_NAMES: usize = 4;

/// A DNS client for one run: every distinct question is asked once, answers are kept.
pub struct Dns {
    runtime: tokio::runtime::Runtime,
    resolver: TokioResolver,
    pub(crate) options: DnsOptions,
    label: String,
    answers: Mutex<HashMap<Question, Answer>>,
    pub(crate) asn: Option<AsnDb>,
    asked: AtomicU64,
    rdap: Option<Rdap>,
    rdap_answers: Mutex<HashMap<String, RdapAnswer>>,
    rdap_asked: AtomicU64,
}

impl std::fmt::Debug for Dns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dns").field("resolver", &self.label).finish_non_exhaustive()
    }
}

impl Dns {
    /// A client for `options`: reads the cache file and the ASN dataset, builds the resolver.
    /// Nothing is sent until [`Dns::prefetch`].
    ///
    /// # Errors
    /// When the cache or the dataset cannot be read, or no resolver can be configured.
    pub fn new(options: DnsOptions) -> Result<Dns, DnsError> {
        let cached = match &options.cache {
            Some(path) => cache::load(path, now())?,
            None => cache::Cached::default(),
        };
        let rdap = options.rdap.as_deref().map(|server| Rdap::new(server, options.timeout));
        let asn = options.asn_db.as_deref().map(AsnDb::open).transpose()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| DnsError::Resolver(e.to_string()))?;
        let (resolver, label) = runtime.block_on(async { build_resolver(&options) })?;
        Ok(Dns {
            runtime,
            resolver,
            options,
            label,
            answers: Mutex::new(cached.dns),
            asn,
            asked: AtomicU64::new(0),
            rdap,
            rdap_answers: Mutex::new(cached.rdap),
            rdap_asked: AtomicU64::new(0),
        })
    }

    /// The resolver as shown in evidence: `system` or the server addresses.
    #[must_use]
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Questions sent to the network so far (answers from the memo or the cache not counted).
    #[must_use]
    pub fn lookups(&self) -> u64 {
        self.asked.load(Ordering::Relaxed)
    }

    /// RDAP lookups sent so far (answers from the memo or the cache not counted).
    #[must_use]
    pub fn rdap_lookups(&self) -> u64 {
        self.rdap_asked.load(Ordering::Relaxed)
    }

    /// Asks every question the records need that has no answer yet: the recipient domains' MX
    /// (then their hosts' addresses, or the domain's own for the fallback), the sending IPs'
    /// PTR (then the PTR names' addresses), blocklist entries and the Remote-MTA names; with
    /// `--rdap`, then the networks of the sending IPs and of the rejecting MX addresses.
    pub fn prefetch<'a>(&self, records: impl IntoIterator<Item = &'a BounceFacts>) {
        let records: Vec<&BounceFacts> = records.into_iter().collect();
        let mut first = BTreeSet::new();
        let mut ips = BTreeSet::new();
        for facts in records.iter().copied() {
            let domain = facts.recipient_domain().trim().to_ascii_lowercase();
            if is_domain_name(&domain) {
                first.insert(Question::new(Qtype::Mx, &domain));
            }
            if let Some(ip) = facts.original.sending_ip.as_ref().and_then(|p| ip_of(&p.value)) {
                ips.insert(ip);
            }
            if let Some(remote) = facts.remote_mta.as_deref() {
                let (names, _) = remote_mta_parts(remote);
                for name in names {
                    first.insert(Question::new(Qtype::A, &name));
                    first.insert(Question::new(Qtype::Aaaa, &name));
                }
            }
        }
        for ip in &ips {
            first.insert(Question::new(Qtype::Ptr, &ip.to_string()));
            for zone in &self.options.dnsbl {
                first.insert(Question::new(Qtype::A, &blocklist_name(*ip, zone)));
            }
        }
        self.ask_all(first.iter());
        let mut second = BTreeSet::new();
        {
            let answers = self.memo();
            for question in &first {
                let Some(answer) = answers.get(question) else { continue };
                match question.qtype {
                    Qtype::Mx => match &answer.outcome {
                        Outcome::Records(mx) => {
                            for host in mx.iter().filter_map(|m| mx_host(m)).take(MAX_MX_HOSTS) {
                                second.insert(Question::new(Qtype::A, host));
                                second.insert(Question::new(Qtype::Aaaa, host));
                            }
                        }
                        Outcome::NoData => {
                            second.insert(Question::new(Qtype::A, &question.name));
                            second.insert(Question::new(Qtype::Aaaa, &question.name));
                        }
                        _ => {}
                    },
                    Qtype::Ptr => {
                        let family = match question.name.parse::<IpAddr>() {
                            Ok(IpAddr::V6(_)) => Qtype::Aaaa,
                            _ => Qtype::A,
                        };
                        for name in answer.outcome.records().iter().take(MAX_PTR_NAMES) {
                            second.insert(Question::new(family, name));
                        }
                    }
                    Qtype::A
                        if !answer.outcome.records().is_empty()
                            && self.options.dnsbl.iter().any(|z| is_under(&question.name, z)) =>
                    {
                        second.insert(Question::new(Qtype::Txt, &question.name));
                    }
                    _ => {}
                }
            }
        }
        self.ask_all(second.iter());
        if let Some(zone) = self.options.asn_zone.as_deref() {
            self.prefetch_origins(zone, &ips, &second);
        }
        if self.rdap.is_some() {
            self.prefetch_rdap(&records, ips);
        }
    }

    /// With `--rdap`: the network of every sending IP and of the first address of every
    /// record's rejecting MX (the MX its Remote-MTA matched, else the first by preference).
    fn prefetch_rdap(&self, records: &[&BounceFacts], mut ips: BTreeSet<IpAddr>) {
        let Some(rdap) = &self.rdap else { return };
        for facts in records {
            let rejecting = self.evidence(facts, &|_| None).and_then(|e| e.rejecting_mx);
            if let Some(ip) = rejecting.and_then(|mx| mx.addresses.first()?.parse().ok()) {
                ips.insert(ip);
            }
        }
        let missing: Vec<IpAddr> = {
            let answers = self.rdap_memo();
            ips.into_iter().filter(|ip| !answers.contains_key(&ip.to_string())).collect()
        };
        if missing.is_empty() {
            return;
        }
        self.rdap_asked.fetch_add(missing.len() as u64, Ordering::Relaxed);
        let results = rdap.lookup_all(missing, self.options.concurrency);
        let mut answers = self.rdap_memo();
        for answer in results {
            answers.insert(answer.ip.clone(), answer);
        }
    }

    /// The RDAP answer for an address, if it was looked up.
    pub(crate) fn rdap_answer(&self, ip: IpAddr) -> Option<RdapAnswer> {
        self.rdap.as_ref()?;
        self.rdap_memo().get(&ip.to_string()).cloned()
    }

    /// With `--asn-dns`: the origin TXT of every sending IP and every address found, then the
    /// AS name of every origin AS.
    fn prefetch_origins(&self, zone: &str, ips: &BTreeSet<IpAddr>, found: &BTreeSet<Question>) {
        let mut origins: BTreeSet<Question> =
            ips.iter().map(|ip| Question::new(Qtype::Txt, &origin_name(*ip, zone))).collect();
        {
            let answers = self.memo();
            for question in found.iter().filter(|q| matches!(q.qtype, Qtype::A | Qtype::Aaaa)) {
                let Some(answer) = answers.get(question) else { continue };
                for ip in answer.outcome.records().iter().filter_map(|r| r.parse().ok()) {
                    origins.insert(Question::new(Qtype::Txt, &origin_name(ip, zone)));
                }
            }
        }
        self.ask_all(origins.iter());
        let mut names = BTreeSet::new();
        {
            let answers = self.memo();
            for question in &origins {
                let Some(answer) = answers.get(question) else { continue };
                for origin in answer.outcome.records().iter().filter_map(|r| parse_origin(r)) {
                    names.insert(Question::new(Qtype::Txt, &as_name_question(origin.number, zone)));
                }
            }
        }
        self.ask_all(names.iter());
    }

    /// The answer to a question, if it was asked.
    pub(crate) fn answer(&self, qtype: Qtype, name: &str) -> Option<Answer> {
        self.memo().get(&Question::new(qtype, name)).cloned()
    }

    /// Writes the cache file, when there is one.
    ///
    /// # Errors
    /// When it cannot be written.
    pub fn save(&self) -> Result<(), DnsError> {
        if let Some(path) = &self.options.cache {
            cache::save(path, &self.memo(), &self.rdap_memo(), now())?;
        }
        Ok(())
    }

    fn memo(&self) -> MutexGuard<'_, HashMap<Question, Answer>> {
        self.answers.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn rdap_memo(&self) -> MutexGuard<'_, HashMap<String, RdapAnswer>> {
        self.rdap_answers.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Asks the questions that have no answer yet, at most `concurrency` at once. An answer
    /// is kept for the whole run whatever its TTL (the run describes DNS at one time, and asks
    /// each question once); the TTL decides only what the cache file keeps for later runs.
    fn ask_all<'q>(&self, questions: impl Iterator<Item = &'q Question>) {
        let missing: Vec<Question> = {
            let answers = self.memo();
            questions.filter(|q| !answers.contains_key(q)).cloned().collect()
        };
        if missing.is_empty() {
            return;
        }
        self.asked.fetch_add(missing.len() as u64, Ordering::Relaxed);
        let concurrency = self.options.concurrency.max(1);
        let results = self.runtime.block_on(async {
            let permits = Arc::new(Semaphore::new(concurrency));
            let mut tasks = JoinSet::new();
            let mut results = Vec::with_capacity(missing.len());
            for question in missing {
                let Ok(permit) = permits.clone().acquire_owned().await else { break };
                let resolver = self.resolver.clone();
                tasks.spawn(async move {
                    let answer = ask(&resolver, &question).await;
                    drop(permit);
                    (question, answer)
                });
            }
            while let Some(done) = tasks.join_next().await {
                if let Ok(result) = done {
                    results.push(result);
                }
            }
            results
        });
        let mut answers = self.memo();
        for (question, answer) in results {
            answers.insert(question, answer);
        }
    }
}

/// The resolver of `options` and its label.
fn build_resolver(options: &DnsOptions) -> Result<(TokioResolver, String), DnsError> {
    let provider = TokioRuntimeProvider::default();
    let (mut builder, label) = if options.servers.is_empty() {
        let builder = Resolver::builder(provider)
            .map_err(|e| DnsError::Resolver(format!("system configuration: {e}")))?;
        (builder, "system".to_owned())
    } else {
        let servers = options
            .servers
            .iter()
            .map(|address| {
                let mut udp = ConnectionConfig::udp();
                udp.port = address.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = address.port();
                NameServerConfig::new(address.ip(), true, vec![udp, tcp])
            })
            .collect();
        let config = ResolverConfig::from_name_servers(servers);
        let label: Vec<String> = options.servers.iter().map(ToString::to_string).collect();
        (Resolver::builder_with_config(config, provider), label.join(","))
    };
    let opts: &mut ResolverOpts = builder.options_mut();
    opts.timeout = options.timeout;
    opts.attempts = options.retries;
    opts.use_hosts_file = ResolveHosts::Never;
    opts.ndots = 0;
    opts.num_concurrent_reqs = 1;
    let resolver = builder.build().map_err(|e| DnsError::Resolver(e.to_string()))?;
    Ok((resolver, label))
}

/// Asks one question.
async fn ask(resolver: &TokioResolver, question: &Question) -> Answer {
    let queried_at = now();
    let (name, record_type) = match question.qtype {
        Qtype::Ptr => match question.name.parse::<IpAddr>() {
            Ok(ip) => (Ok(Name::from(ip)), RecordType::PTR),
            Err(_) => (Err(format!("`{}` is not an IP address", question.name)), RecordType::PTR),
        },
        qtype => {
            let name = Name::from_ascii(format!("{}.", question.name)).map_err(|e| e.to_string());
            let record_type = match qtype {
                Qtype::Mx => RecordType::MX,
                Qtype::A => RecordType::A,
                Qtype::Aaaa => RecordType::AAAA,
                Qtype::Txt => RecordType::TXT,
                Qtype::Ptr => RecordType::PTR,
            };
            (name, record_type)
        }
    };
    let answer = |outcome: Outcome, ttl: i64| Answer {
        outcome,
        queried_at,
        expires_at: queried_at + ttl,
        cached: false,
    };
    let name = match name {
        Ok(name) => name,
        Err(e) => return answer(Outcome::Error(e), NEGATIVE_TTL),
    };
    match resolver.lookup(name, record_type).await {
        Ok(lookup) => {
            let mut ttl = i64::MAX;
            let mut records = Vec::new();
            for record in lookup.answers() {
                if let Some(text) = render(&record.data) {
                    ttl = ttl.min(i64::from(record.ttl));
                    records.push(text);
                }
            }
            if records.is_empty() {
                answer(Outcome::NoData, NEGATIVE_TTL)
            } else {
                records.sort();
                records.dedup();
                answer(Outcome::Records(records), ttl)
            }
        }
        Err(error) => {
            let negative_ttl = match &error {
                NetError::Dns(WireError::NoRecordsFound(no)) => {
                    no.negative_ttl.map_or(NEGATIVE_TTL, i64::from)
                }
                _ => NEGATIVE_TTL,
            };
            answer(outcome_of_error(&error), negative_ttl)
        }
    }
}

/// What a resolver error means.
fn outcome_of_error(error: &NetError) -> Outcome {
    if error.is_nx_domain() {
        return Outcome::NxDomain;
    }
    if error.is_no_records_found() {
        return Outcome::NoData;
    }
    match error {
        NetError::Timeout => Outcome::Timeout,
        NetError::Dns(WireError::ResponseCode(_)) => Outcome::ServFail,
        other => {
            let text = other.to_string();
            if text.contains("timed out") || text.contains("timeout") {
                Outcome::Timeout
            } else if text.contains("ServFail") || text.contains("Refused") {
                Outcome::ServFail
            } else {
                Outcome::Error(text)
            }
        }
    }
}

/// One record's data as text: MX as `PREF HOST` (`.` for the root), A/AAAA as the address, PTR
/// as the name, TXT as its strings joined; other types (a CNAME on the way) give none.
fn render(data: &RData) -> Option<String> {
    let name = |name: &Name| {
        if name.is_root() {
            ".".to_owned()
        } else {
            name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
        }
    };
    match data {
        RData::MX(mx) => Some(format!("{} {}", mx.preference, name(&mx.exchange))),
        RData::A(a) => Some(a.0.to_string()),
        RData::AAAA(aaaa) => Some(aaaa.0.to_string()),
        RData::PTR(ptr) => Some(name(&ptr.0)),
        RData::TXT(txt) => {
            Some(txt.txt_data.iter().map(|part| String::from_utf8_lossy(part)).collect::<String>())
        }
        _ => None,
    }
}

/// The host of an MX record as [`render`] writes it (`10 mx.example.com`); none for the root.
pub(crate) fn mx_host(record: &str) -> Option<&str> {
    let (_, host) = record.split_once(' ')?;
    (host != "." && !host.is_empty()).then_some(host)
}

/// The blocklist name of `ip` in `zone`: reversed octets (IPv4) or nibbles (IPv6).
pub(crate) fn blocklist_name(ip: IpAddr, zone: &str) -> String {
    format!("{}.{}", reverse_labels(ip), zone.trim().trim_matches('.').to_ascii_lowercase())
}

/// The origin question of `ip` under `zone` (`10.2.0.192.origin.asn.cymru.com`).
pub(crate) fn origin_name(ip: IpAddr, zone: &str) -> String {
    blocklist_name(ip, zone)
}

/// The AS-name question of `number` for an origin `zone`: under its parent
/// (`AS15169.asn.cymru.com` for `origin.asn.cymru.com`).
pub(crate) fn as_name_question(number: u32, zone: &str) -> String {
    let zone = zone.trim().trim_matches('.').to_ascii_lowercase();
    let parent = zone
        .strip_prefix("origin.")
        .or_else(|| zone.strip_prefix("origin6."))
        .unwrap_or(&zone)
        .to_owned();
    format!("as{number}.{parent}")
}

/// An origin TXT answer, `64500 | 192.0.2.0/24 | ZZ | arin | 2000-01-01`: the (first) AS,
/// the announced prefix and the country; the name comes from the AS-name answer.
pub(crate) fn parse_origin(text: &str) -> Option<bounce_model::AsnInfo> {
    let fields: Vec<&str> = text.split('|').map(str::trim).collect();
    let number = fields.first()?.split_whitespace().next()?.parse().ok()?;
    Some(bounce_model::AsnInfo {
        number,
        name: String::new(),
        country: fields.get(2).copied().unwrap_or_default().to_owned(),
        prefix: fields.get(1).copied().unwrap_or_default().to_owned(),
    })
}

/// The AS name of an AS-name TXT answer, `64500 | ZZ | arin | 2000-01-01 | EXAMPLE-NET, ZZ`.
pub(crate) fn parse_as_name(text: &str) -> Option<String> {
    let name = text.split('|').nth(4)?.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

fn is_under(name: &str, zone: &str) -> bool {
    let zone = zone.trim().trim_matches('.').to_ascii_lowercase();
    name.len() > zone.len()
        && name.ends_with(&zone)
        && name[..name.len() - zone.len()].ends_with('.')
}
