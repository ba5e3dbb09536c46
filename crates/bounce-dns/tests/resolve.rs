//! The DNS client against a real DNS server on 127.0.0.1 (`bounce_dns::test_server`): every
//! domain status, PTR with and without forward confirmation, a blocklist, the cache file.

use std::time::Duration;

use bounce_dns::test_server::TestServer;
use bounce_dns::{Dns, DnsOptions};
use bounce_model::{BounceFacts, DomainStatus, Provenanced, Tristate};

const ZONE: &str = "
routes.example      MX    10 mx1.routes.example
routes.example      MX    20 mx2.routes.example
mx1.routes.example  A     192.0.2.10
mx2.routes.example  A     192.0.2.11
mx2.routes.example  AAAA  2001:db8::11
nullmx.example      MX    0 .
fallback.example    A     192.0.2.30
noroute.example     TXT   v=spf1 -all
broken.example      SERVFAIL
slow.example        SILENT
192.0.2.99          PTR   out.sender.example
out.sender.example  A     192.0.2.99
192.0.2.98          PTR   liar.sender.example
liar.sender.example A     192.0.2.1
99.2.0.192.bl.test  A     127.0.0.2
99.2.0.192.bl.test  TXT   Listed for spam, see https://bl.test/q?192.0.2.99
99.2.0.192.origin.asn.test TXT 64500 | 192.0.2.0/24 | ZZ | test | 2020-01-01
10.2.0.192.origin.asn.test TXT 64501 64502 | 192.0.2.0/25 | ZZ | test | 2021-01-01
as64500.asn.test    TXT   64500 | ZZ | test | 2020-01-01 | EXAMPLE-SENDER-NET, ZZ
";

fn options(server: &TestServer) -> DnsOptions {
    DnsOptions {
        servers: vec![server.address()],
        timeout: Duration::from_millis(500),
        retries: 0,
        dnsbl: vec!["bl.test".to_owned()],
        ..DnsOptions::default()
    }
}

fn facts(
    recipient: &str,
    ip: Option<&str>,
    helo: Option<&str>,
    remote: Option<&str>,
) -> BounceFacts {
    let mut facts = BounceFacts { recipient: recipient.to_owned(), ..BounceFacts::default() };
    let provenanced =
        |v: &str| Provenanced { value: v.to_owned(), source: "test".into(), uncertain: false };
    facts.original.sending_ip = ip.map(provenanced);
    facts.original.helo = helo.map(provenanced);
    facts.remote_mta = remote.map(str::to_owned);
    facts
}

fn status(dns: &Dns, recipient: &str) -> Option<DomainStatus> {
    let facts = facts(recipient, None, None, None);
    dns.prefetch([&facts]);
    dns.evidence(&facts, &|_| None)?.domain?.status
}

#[test]
fn every_domain_status_is_distinct() {
    let server = TestServer::start(ZONE);
    let dns = Dns::new(options(&server)).unwrap();
    assert_eq!(status(&dns, "a@routes.example"), Some(DomainStatus::Mx));
    assert_eq!(status(&dns, "a@nullmx.example"), Some(DomainStatus::NullMx));
    assert_eq!(status(&dns, "a@fallback.example"), Some(DomainStatus::NoMxAFallback));
    assert_eq!(status(&dns, "a@noroute.example"), Some(DomainStatus::NoRoute));
    assert_eq!(status(&dns, "a@gone.example"), Some(DomainStatus::Nxdomain));
    assert_eq!(status(&dns, "a@broken.example"), Some(DomainStatus::Servfail));
    assert_eq!(status(&dns, "a@slow.example"), Some(DomainStatus::Timeout));
}

#[test]
fn mx_set_remote_mta_ptr_and_blocklist() {
    let server = TestServer::start(ZONE);
    let dns = Dns::new(options(&server)).unwrap();
    let good = facts(
        "a@routes.example",
        Some("192.0.2.99"),
        Some("out.sender.example"),
        Some("dns; mx2.routes.example"),
    );
    let stale = facts(
        "b@routes.example",
        Some("192.0.2.98"),
        Some("mail.sender.example"),
        Some("old-mx.elsewhere.example [198.51.100.7]"),
    );
    dns.prefetch([&good, &stale]);
    let evidence = dns
        .evidence(&good, &|host| host.ends_with(".routes.example").then(|| "op".to_owned()))
        .unwrap();
    let domain = evidence.domain.as_ref().unwrap();
    let hosts: Vec<(u16, &str)> =
        domain.mx.iter().map(|m| (m.preference, m.host.as_str())).collect();
    assert_eq!(hosts, vec![(10, "mx1.routes.example"), (20, "mx2.routes.example")]);
    assert_eq!(domain.mx[1].addresses, vec!["192.0.2.11".to_owned(), "2001:db8::11".to_owned()]);
    assert_eq!(domain.operator.as_deref(), Some("op"));
    assert!(!domain.queried_at.is_empty());
    assert_eq!(domain.resolver, server.address().to_string());
    assert_eq!(evidence.remote_mta_in_mx, Tristate::Yes);
    assert_eq!(evidence.rejecting_mx.as_ref().unwrap().host, "mx2.routes.example");
    let ip = evidence.sending_ip.as_ref().unwrap();
    assert_eq!(ip.ptr, vec!["out.sender.example".to_owned()]);
    assert_eq!(ip.fcrdns, Tristate::Yes);
    assert_eq!(ip.helo_matches_ptr, Some(Tristate::Yes));
    assert_eq!(ip.blocklists[0].listed, Tristate::Yes);
    assert_eq!(
        ip.blocklists[0].reason,
        vec!["Listed for spam, see https://bl.test/q?192.0.2.99".to_owned()]
    );

    let evidence = dns.evidence(&stale, &|_| None).unwrap();
    assert_eq!(evidence.remote_mta_in_mx, Tristate::No);
    let ip = evidence.sending_ip.unwrap();
    assert_eq!(ip.fcrdns, Tristate::No);
    assert_eq!(ip.helo_matches_ptr, Some(Tristate::No));
    assert_eq!(ip.blocklists[0].listed, Tristate::No);
}

#[test]
fn one_question_per_name_per_run_and_the_cache_serves_a_second_run() {
    let server = TestServer::start(ZONE);
    let folder = tempfile::tempdir().unwrap();
    let cache = folder.path().join("dns.json");
    let mut opts = options(&server);
    opts.dnsbl.clear();
    opts.cache = Some(cache.clone());
    let many: Vec<BounceFacts> =
        (0..50).map(|i| facts(&format!("u{i}@routes.example"), None, None, None)).collect();
    let dns = Dns::new(opts.clone()).unwrap();
    dns.prefetch(&many);
    dns.prefetch(&many);
    // MX, then A and AAAA of two hosts.
    assert_eq!(server.queries(), 5, "{:?}", server.log());
    dns.save().unwrap();
    let asked = server.queries();
    let again = Dns::new(opts).unwrap();
    again.prefetch(&many);
    assert_eq!(server.queries(), asked, "the second run asks nothing");
    let evidence = again.evidence(&many[0], &|_| None).unwrap();
    let domain = evidence.domain.unwrap();
    assert!(domain.cached);
    assert_eq!(domain.mx.len(), 2);
}

#[test]
fn an_unreadable_cache_is_a_clear_error() {
    let folder = tempfile::tempdir().unwrap();
    let cache = folder.path().join("dns.json");
    std::fs::write(
        &cache,
        "{\n  \"format\": \"bounce-triage-dns-cache/1\",\n  \"entries\": [ nope ]\n}\n",
    )
    .unwrap();
    let error = Dns::new(DnsOptions {
        cache: Some(cache.clone()),
        servers: vec!["127.0.0.1:9".parse().unwrap()],
        ..DnsOptions::default()
    })
    .unwrap_err()
    .to_string();
    assert!(error.contains(&cache.display().to_string()), "{error}");
    assert!(error.contains(":3:"), "{error}");
}

#[test]
fn origin_as_from_dns_txt_answers() {
    let server = TestServer::start(ZONE);
    let mut opts = options(&server);
    opts.asn_zone = Some("origin.asn.test".to_owned());
    let dns = Dns::new(opts).unwrap();
    let record = facts("a@routes.example", Some("192.0.2.99"), None, None);
    dns.prefetch([&record]);
    let evidence = dns.evidence(&record, &|_| None).unwrap();
    let sending = evidence.sending_ip.unwrap().asn.unwrap();
    assert_eq!((sending.number, sending.name.as_str()), (64500, "EXAMPLE-SENDER-NET, ZZ"));
    assert_eq!(sending.prefix, "192.0.2.0/24");
    let mx = evidence.domain.unwrap().mx[0].asn.clone().unwrap();
    assert_eq!((mx.number, mx.name.as_str(), mx.country.as_str()), (64501, "", "ZZ"));
}
