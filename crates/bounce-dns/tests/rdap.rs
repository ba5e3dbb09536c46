//! RDAP abuse contacts (`--rdap`) against a real HTTP server on 127.0.0.1
//! (`bounce_dns::test_server::HttpServer`) serving hand-written RFC 9083 answers, with the
//! addresses from the test DNS server: the abuse entity nested under the registrant, no abuse
//! entity, 404, malformed JSON, an oversized answer, a redirect, a timeout, and the cache file.

use std::time::Duration;

use bounce_dns::test_server::{HttpServer, TestServer};
use bounce_dns::{Dns, DnsOptions};
use bounce_model::{AbuseContact, BounceFacts, Provenanced, RdapStatus};

const ZONE: &str = "
routes.example        MX  10 mx1.routes.example
routes.example        MX  20 mx2.routes.example
mx1.routes.example    A   192.0.2.10
mx2.routes.example    A   192.0.2.11
192.0.2.99            PTR out.sender.example
out.sender.example    A   192.0.2.99
noabuse.example       MX  10 mx.noabuse.example
mx.noabuse.example    A   198.51.100.20
unknown.example       MX  10 mx.unknown.example
mx.unknown.example    A   198.51.100.30
garbled.example       MX  10 mx.garbled.example
mx.garbled.example    A   198.51.100.40
huge.example          MX  10 mx.huge.example
mx.huge.example       A   198.51.100.50
moved.example         MX  10 mx.moved.example
mx.moved.example      A   198.51.100.60
hang.example          MX  10 mx.hang.example
mx.hang.example       A   198.51.100.70
";

/// The receiving network: the abuse entity is not the network's own but its registrant's.
const MX_NETWORK: &str = r#"{
  "rdapConformance": ["rdap_level_0", "cidr0"],
  "objectClassName": "ip network",
  "handle": "NET-192-0-2-0-TEST",
  "startAddress": "192.0.2.0",
  "endAddress": "192.0.2.63",
  "cidr0_cidrs": [{ "v4prefix": "192.0.2.0", "length": 26 }],
  "ipVersion": "v4",
  "name": "ROUTES-MAIL",
  "type": "ASSIGNMENT",
  "entities": [
    {
      "objectClassName": "entity",
      "handle": "NOC-TEST",
      "roles": ["technical"],
      "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["email", {}, "text", "noc@routes.example"]]]
    },
    {
      "objectClassName": "entity",
      "handle": "ROUTES-ORG",
      "roles": ["registrant"],
      "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", "Routes Example Ltd"]]],
      "entities": [
        {
          "objectClassName": "entity",
          "handle": "ABUSE-ROUTES",
          "roles": ["abuse"],
          "vcardArray": ["vcard", [
            ["version", {}, "text", "4.0"],
            ["fn", {}, "text", "Routes Abuse Desk"],
            ["kind", {}, "text", "group"],
            ["email", {}, "text", "Abuse@Routes.example"],
            ["tel", {"type": ["work", "voice"]}, "uri", "tel:+1-555-0100"]
          ]]
        }
      ]
    }
  ]
}"#;

/// The sender's network: the abuse entity is the network's own; no cidr0, a start and end.
const SENDER_NETWORK: &str = r#"{
  "objectClassName": "ip network",
  "handle": "NET-192-0-2-64-TEST",
  "startAddress": "192.0.2.64",
  "endAddress": "192.0.2.127",
  "name": "SENDER-OUT",
  "entities": [
    { "objectClassName": "entity", "roles": ["abuse", "technical"],
      "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", "Sender Abuse"], ["email", {}, "text", "abuse@sender.example"]]] }
  ]
}"#;

/// A network whose only entity is the registrant, without an abuse role.
const NO_ABUSE: &str = r#"{
  "objectClassName": "ip network",
  "handle": "NET-198-51-100-0-TEST",
  "startAddress": "198.51.100.0",
  "endAddress": "198.51.100.255",
  "name": "NO-ABUSE-NET",
  "entities": [
    { "objectClassName": "entity", "roles": ["registrant"],
      "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", "Quiet Org"], ["email", {}, "text", "hostmaster@quiet.example"]]] }
  ]
}"#;

/// The network a redirect leads to.
const MOVED_NETWORK: &str = r#"{
  "objectClassName": "ip network",
  "handle": "MOVED-NET",
  "name": "MOVED",
  "entities": [ { "roles": ["abuse"], "vcardArray": ["vcard", [["email", {}, "text", "abuse@moved.example"]]] } ]
}"#;

fn facts(recipient: &str, ip: Option<&str>) -> BounceFacts {
    let mut facts = BounceFacts { recipient: recipient.to_owned(), ..BounceFacts::default() };
    facts.original.sending_ip =
        ip.map(|v| Provenanced { value: v.to_owned(), source: "test".into(), uncertain: false });
    facts
}

fn options(dns: &TestServer, rdap: &HttpServer) -> DnsOptions {
    DnsOptions {
        servers: vec![dns.address()],
        timeout: Duration::from_millis(700),
        retries: 0,
        rdap: Some(rdap.url()),
        ..DnsOptions::default()
    }
}

/// The abuse contact of the rejecting MX of `facts`.
fn mx_abuse(dns: &Dns, facts: &BounceFacts) -> AbuseContact {
    let evidence = dns.evidence(facts, &|_| None).expect("evidence");
    evidence.rejecting_mx.expect("a rejecting MX").abuse.expect("an abuse contact")
}

fn rdap_server(oversized: &str) -> HttpServer {
    HttpServer::start(&[
        ("/ip/192.0.2.10", 200, MX_NETWORK),
        ("/ip/192.0.2.99", 200, SENDER_NETWORK),
        ("/ip/198.51.100.20", 200, NO_ABUSE),
        ("/ip/198.51.100.40", 200, r#"{"objectClassName": "ip network", "handle": "#),
        ("/ip/198.51.100.50", 200, oversized),
        ("/ip/198.51.100.60", 301, "/ripe/ip/198.51.100.60"),
        ("/ripe/ip/198.51.100.60", 200, MOVED_NETWORK),
        ("/ip/198.51.100.70", 0, ""),
    ])
}

#[test]
fn the_abuse_contacts_of_the_rejecting_mx_and_the_sending_ip() {
    let dns_server = TestServer::start(ZONE);
    let http = rdap_server("{}");
    let dns = Dns::new(options(&dns_server, &http)).unwrap();
    let records: Vec<BounceFacts> =
        (0..20).map(|i| facts(&format!("u{i}@routes.example"), Some("192.0.2.99"))).collect();
    dns.prefetch(&records);
    dns.prefetch(&records);
    // One lookup per distinct address per run: the first MX's address and the sending IP
    // (the second MX is not the rejecting one, so it is not asked).
    let mut asked = http.log();
    asked.sort();
    assert_eq!(asked, ["/ip/192.0.2.10", "/ip/192.0.2.99"]);
    assert_eq!(dns.rdap_lookups(), 2);

    let abuse = mx_abuse(&dns, &records[0]);
    assert_eq!(abuse.status, RdapStatus::Found);
    assert_eq!(abuse.email, "abuse@routes.example");
    assert_eq!(abuse.name, "Routes Abuse Desk");
    let network = abuse.network.as_ref().unwrap();
    assert_eq!(network.handle, "NET-192-0-2-0-TEST");
    assert_eq!(network.name, "ROUTES-MAIL");
    assert_eq!(network.range, "192.0.2.0/26");
    assert_eq!(abuse.url, format!("{}/ip/192.0.2.10", http.url()));
    assert!(abuse.queried_at.starts_with("20"), "{}", abuse.queried_at);
    assert!(!abuse.cached);

    let evidence = dns.evidence(&records[0], &|_| None).unwrap();
    let domain = evidence.domain.unwrap();
    assert_eq!(domain.mx[0].abuse.as_ref().unwrap().email, "abuse@routes.example");
    assert!(domain.mx[1].abuse.is_none(), "the second MX was not asked");
    let sending = evidence.sending_ip.unwrap().abuse.unwrap();
    assert_eq!(sending.email, "abuse@sender.example");
    assert_eq!(sending.network.unwrap().range, "192.0.2.64 - 192.0.2.127");
}

#[test]
fn failures_are_statuses_of_the_evidence() {
    let dns_server = TestServer::start(ZONE);
    // An answer of 2 MiB: valid JSON, but over the 1 MiB limit.
    let oversized =
        format!(r#"{{"objectClassName": "ip network", "remarks": "{}"}}"#, "x".repeat(2 << 20));
    let http = rdap_server(&oversized);
    let dns = Dns::new(options(&dns_server, &http)).unwrap();
    let cases = [
        ("a@noabuse.example", RdapStatus::NoAbuseContact),
        ("a@unknown.example", RdapStatus::NotFound),
        ("a@garbled.example", RdapStatus::Malformed),
        ("a@huge.example", RdapStatus::TooLarge),
        ("a@hang.example", RdapStatus::Timeout),
        ("a@moved.example", RdapStatus::Found),
    ];
    let records: Vec<BounceFacts> = cases.iter().map(|(r, _)| facts(r, None)).collect();
    dns.prefetch(&records);
    for ((recipient, status), record) in cases.iter().zip(&records) {
        let abuse = mx_abuse(&dns, record);
        assert_eq!(abuse.status, *status, "{recipient}: {abuse:?}");
        if *status != RdapStatus::Found {
            assert!(abuse.email.is_empty(), "{recipient}: {abuse:?}");
        }
    }
    let no_abuse = mx_abuse(&dns, &records[0]);
    assert_eq!(no_abuse.network.unwrap().name, "NO-ABUSE-NET");
    assert!(mx_abuse(&dns, &records[3]).detail.contains("larger than 1048576 bytes"));
    // The redirect is followed, and the answer names the URL that gave it.
    let moved = mx_abuse(&dns, &records[5]);
    assert_eq!(moved.email, "abuse@moved.example");
    assert_eq!(moved.url, format!("{}/ripe/ip/198.51.100.60", http.url()));
}

#[test]
fn the_cache_file_serves_a_second_run_without_asking() {
    let dns_server = TestServer::start(ZONE);
    let http = rdap_server("{}");
    let folder = tempfile::tempdir().unwrap();
    let cache = folder.path().join("dns.json");
    let mut opts = options(&dns_server, &http);
    opts.cache = Some(cache.clone());
    let records = [facts("a@routes.example", Some("192.0.2.99")), facts("b@unknown.example", None)];
    let first = Dns::new(opts.clone()).unwrap();
    first.prefetch(&records);
    first.save().unwrap();
    let asked = http.requests();
    assert_eq!(asked, 3, "{:?}", http.log());
    let text = std::fs::read_to_string(&cache).unwrap();
    assert!(text.contains("\"rdap\"") && text.contains("abuse@routes.example"), "{text}");

    let second = Dns::new(opts).unwrap();
    second.prefetch(&records);
    assert_eq!(http.requests(), asked, "the second run asks nothing: {:?}", http.log());
    assert_eq!(second.rdap_lookups(), 0);
    let again = mx_abuse(&second, &records[0]);
    let before = mx_abuse(&first, &records[0]);
    assert!(again.cached);
    assert_eq!(again.email, "abuse@routes.example");
    assert_eq!(again.queried_at, before.queried_at);
    // A 404 is an answer, kept too.
    assert_eq!(mx_abuse(&second, &records[1]).status, RdapStatus::NotFound);
}

#[test]
fn without_rdap_nothing_is_asked_and_no_contact_is_given() {
    let dns_server = TestServer::start(ZONE);
    let http = rdap_server("{}");
    let mut opts = options(&dns_server, &http);
    opts.rdap = None;
    let dns = Dns::new(opts).unwrap();
    let record = facts("a@routes.example", Some("192.0.2.99"));
    dns.prefetch([&record]);
    let evidence = dns.evidence(&record, &|_| None).unwrap();
    assert!(evidence.rejecting_mx.unwrap().abuse.is_none());
    assert!(evidence.sending_ip.unwrap().abuse.is_none());
    assert_eq!(http.requests(), 0);
}
