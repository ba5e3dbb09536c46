//! `--resolve` end to end against a real DNS server on 127.0.0.1
//! (`bounce_dns::test_server`, UDP and TCP): dead-domain confirmation by NXDOMAIN and null MX,
//! SERVFAIL and timeouts that never confirm, a domain that routes now, the MX operator's
//! provider rules, the cache file, the report documents and bad `--asn-db` input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bounce_dns::test_server::TestServer;
use serde_json::Value;

const ZONE: &str = "
routes-again.example          MX    10 mx1.routes-again.example
mx1.routes-again.example      A     192.0.2.10
nullmx.example                MX    0 .
broken.example                SERVFAIL
slow.example                  SILENT
contoso-corp.example          MX    0 contoso-corp-example.mail.protection.outlook.com
contoso-corp-example.mail.protection.outlook.com A 198.51.100.25
retail.example                MX    10 mx-a.retail.example
mx-a.retail.example           A     192.0.2.40
relay.retail.example          A     192.0.2.200
192.0.2.99                    PTR   out.sender.example
out.sender.example            A     192.0.2.99
99.2.0.192.bl.test            A     127.0.0.2
99.2.0.192.bl.test            TXT   Listed by bl.test: see https://bl.test/lookup?ip=192.0.2.99
";

/// An RFC 3464 DSN from the sender's Postfix for `recipient`, with the returned headers (the
/// Received line names the sending IP 192.0.2.99 and its HELO).
fn dsn(n: usize, recipient: &str, status: &str, remote: Option<&str>, diagnostic: &str) -> String {
    let remote = remote.map(|r| format!("Remote-MTA: dns; {r}\n")).unwrap_or_default();
    format!(
        "From MAILER-DAEMON Thu Dec  3 09:{n:02}:00 2026
Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mail.sender.example>
To: news@sender.example
Subject: Undelivered Mail Returned to Sender
Date: Thu, 3 Dec 2026 09:{n:02}:00 +0000
Message-Id: <bounce{n}@mail.sender.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B{n}\"

--B{n}
Content-Type: text/plain

This is the mail system at host mail.sender.example.
I'm sorry to have to inform you that your message could not be delivered.

--B{n}
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.sender.example
Arrival-Date: Thu, 3 Dec 2026 09:{n:02}:00 +0000

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: failed
Status: {status}
{remote}Diagnostic-Code: smtp; {diagnostic}

--B{n}
Content-Type: text/rfc822-headers

Received: from out.sender.example (out.sender.example [192.0.2.99])
\tby mail.sender.example (Postfix) with ESMTP id 4Q{n}X; Thu, 3 Dec 2026 08:59:00 +0000
From: News <news@sender.example>
To: {recipient}
Subject: December news
Date: Thu, 3 Dec 2026 08:59:00 +0000
Message-ID: <news{n}@sender.example>

--B{n}--

"
    )
}

fn archive(dir: &Path, messages: &[String]) -> PathBuf {
    let path = dir.join("bounces.mbox");
    std::fs::write(&path, messages.concat()).unwrap();
    path
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bounce-triage")).args(args).output().expect("runs")
}

fn dns_flags(server: &TestServer) -> Vec<String> {
    vec![
        "--resolve".into(),
        "--dns-server".into(),
        server.address().to_string(),
        "--dns-timeout".into(),
        "500".into(),
        "--dns-retries".into(),
        "0".into(),
    ]
}

fn records(output: &Output) -> Vec<Value> {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn classify(archive: &Path, extra: &[String]) -> Vec<Value> {
    let mut args = vec!["classify".to_owned(), "-q".to_owned(), archive.display().to_string()];
    args.extend_from_slice(extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    records(&run(&args))
}

/// One list of a `suppress` run: `address` and `why` of each entry.
type List = Vec<(String, String)>;

/// The suppress and keep lists of a `suppress` run.
fn suppress(archive: &Path, extra: &[String]) -> (List, List) {
    let dir = archive.parent().unwrap();
    let (list, keep) = (dir.join("suppress.csv"), dir.join("keep.csv"));
    let mut args = vec![
        "suppress".to_owned(),
        "-q".to_owned(),
        archive.display().to_string(),
        "-o".to_owned(),
        list.display().to_string(),
        "--keep".to_owned(),
        keep.display().to_string(),
    ];
    args.extend_from_slice(extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = run(&args);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let read = |path: &Path| -> List {
        let mut reader = csv::Reader::from_path(path).unwrap();
        let headers = reader.headers().unwrap().clone();
        let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
        let (address, why) = (column("address"), column("why"));
        reader
            .records()
            .map(|r| {
                let r = r.unwrap();
                (r[address].to_owned(), r[why].to_owned())
            })
            .collect()
    };
    (read(&list), read(&keep))
}

fn dead_domains(dir: &Path) -> PathBuf {
    archive(
        dir,
        &[
            dsn(1, "ann@gone-corp.example", "5.4.4", None, "Host or domain name not found. Name service error for name=gone-corp.example type=MX: Host not found"),
            dsn(2, "bob@nullmx.example", "5.1.10", None, "556 5.1.10 Recipient address rejected: Domain nullmx.example does not accept mail (nullMX)"),
            dsn(3, "cy@broken.example", "5.4.4", None, "Host or domain name not found. Name service error for name=broken.example type=MX: Host not found"),
            dsn(4, "di@slow.example", "5.4.4", None, "Host or domain name not found. Name service error for name=slow.example type=MX: Host not found"),
            dsn(5, "ed@routes-again.example", "5.4.4", None, "Host or domain name not found. Name service error for name=routes-again.example type=MX: Host not found"),
        ],
    )
}

fn why_of<'a>(list: &'a [(String, String)], address: &str) -> Option<&'a str> {
    list.iter().find(|(a, _)| a == address).map(|(_, why)| why.as_str())
}

#[test]
fn live_dns_confirms_dead_domains_and_keeps_the_rest() {
    let server = TestServer::start(ZONE);
    let dir = tempfile::tempdir().unwrap();
    let mbox = dead_domains(dir.path());

    // Without --resolve a dead domain waits for its second attempt, and nothing is asked.
    let (suppressed, _) = suppress(&mbox, &[]);
    assert!(suppressed.is_empty(), "{suppressed:?}");
    assert_eq!(server.queries(), 0);

    let (suppressed, kept) = suppress(&mbox, &dns_flags(&server));
    // NXDOMAIN confirms on the first bounce, with the evidence and its query time.
    let why = why_of(&suppressed, "ann@gone-corp.example").expect("NXDOMAIN suppresses");
    assert!(why.contains("NXDOMAIN") && why.contains("queried 20"), "{why}");
    // Null MX confirms.
    let why = why_of(&suppressed, "bob@nullmx.example").expect("null MX suppresses");
    assert!(why.contains("null MX"), "{why}");
    // SERVFAIL and a timeout never confirm: kept, waiting for a second attempt.
    for address in ["cy@broken.example", "di@slow.example"] {
        assert!(why_of(&suppressed, address).is_none(), "{address} suppressed");
        let why = why_of(&kept, address).expect("kept");
        assert!(why.contains("not yet"), "{why}");
    }
    // A domain that routes now is kept, with its MX as evidence.
    let why = why_of(&kept, "ed@routes-again.example").expect("kept");
    assert!(why.contains("routes now") && why.contains("mx1.routes-again.example"), "{why}");
    assert_eq!(suppressed.len(), 2, "{suppressed:?}");
}

#[test]
fn records_carry_the_dns_object_and_the_statuses() {
    let server = TestServer::start(ZONE);
    let dir = tempfile::tempdir().unwrap();
    let mbox = dead_domains(dir.path());
    let plain = classify(&mbox, &[]);
    assert!(plain.iter().all(|r| r.get("dns").is_none()), "no dns object without --resolve");
    let mut flags = dns_flags(&server);
    flags.extend(["--dnsbl".to_owned(), "bl.test".to_owned()]);
    let resolved = classify(&mbox, &flags);
    let statuses: Vec<&str> =
        resolved.iter().map(|r| r["dns"]["domain"]["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["nxdomain", "null-mx", "servfail", "timeout", "mx"]);
    let ip = &resolved[0]["dns"]["sending_ip"];
    assert_eq!(ip["ptr"][0], "out.sender.example");
    assert_eq!(ip["fcrdns"], "yes");
    assert_eq!(ip["helo_matches_ptr"], "yes");
    assert_eq!(ip["blocklists"][0]["listed"], "yes");
    assert_eq!(
        ip["blocklists"][0]["reason"][0],
        "Listed by bl.test: see https://bl.test/lookup?ip=192.0.2.99"
    );
    assert_eq!(resolved[0]["dns"]["domain"]["resolver"], server.address().to_string());
    // Everything else of each record is what an unresolved run writes.
    for (mut with, without) in resolved.into_iter().zip(plain) {
        with.as_object_mut().unwrap().remove("dns");
        assert_eq!(with, without);
    }
}

#[test]
fn a_corporate_domain_on_exchange_online_gets_the_microsoft_365_rules() {
    let server = TestServer::start(ZONE);
    let dir = tempfile::tempdir().unwrap();
    let mbox = archive(
        dir.path(),
        &[dsn(
            1,
            "finance@contoso-corp.example",
            "5.4.1",
            None,
            "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)",
        )],
    );
    let plain = classify(&mbox, &[]);
    assert_ne!(plain[0]["verdict"]["rule_id"], "microsoft.dbeb");
    let resolved = classify(&mbox, &dns_flags(&server));
    let verdict = &resolved[0]["verdict"];
    assert_eq!(verdict["rule_id"], "microsoft.dbeb", "{verdict}");
    assert_eq!(verdict["provider"], "microsoft-365");
    assert_eq!(resolved[0]["reason"], "userunknown");
    let basis: Vec<&str> =
        verdict["basis"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(
        basis
            .iter()
            .any(|b| b.contains("by MX host contoso-corp-example.mail.protection.outlook.com")),
        "{basis:?}"
    );
    assert_eq!(resolved[0]["dns"]["domain"]["operator"], "microsoft-365");
}

#[test]
fn the_cache_file_serves_a_second_run_without_the_server() {
    let server = TestServer::start(ZONE);
    let dir = tempfile::tempdir().unwrap();
    let mbox = dead_domains(dir.path());
    let cache = dir.path().join("dns-cache.json");
    let mut flags = dns_flags(&server);
    flags.extend(["--dns-cache".to_owned(), cache.display().to_string()]);
    let first = classify(&mbox, &flags);
    assert!(cache.exists());
    let asked = server.queries();
    assert!(asked > 0);
    drop(server);
    let second = classify(&mbox, &flags);
    // The answers (NXDOMAIN, null MX, MX) come from the cache, with their first query time;
    // SERVFAIL and the timeout are not cached and are asked again (and now time out).
    for (a, b) in first.iter().zip(&second) {
        let (a, b) = (&a["dns"]["domain"], &b["dns"]["domain"]);
        if matches!(a["status"].as_str(), Some("nxdomain" | "null-mx" | "mx")) {
            assert_eq!(a["status"], b["status"]);
            assert_eq!(a["queried_at"], b["queried_at"]);
            assert_eq!(b["cached"], true);
        }
    }
}

#[test]
fn the_remote_mta_outside_the_current_mx_is_flagged() {
    let server = TestServer::start(ZONE);
    let dir = tempfile::tempdir().unwrap();
    let mbox = archive(
        dir.path(),
        &[
            dsn(
                1,
                "a@retail.example",
                "5.7.1",
                Some("relay.retail.example"),
                "550 5.7.1 Relaying denied",
            ),
            dsn(
                2,
                "b@retail.example",
                "5.1.1",
                Some("mx-a.retail.example"),
                "550 5.1.1 <b@retail.example>: Recipient address rejected: User unknown",
            ),
        ],
    );
    let resolved = classify(&mbox, &dns_flags(&server));
    assert_eq!(resolved[0]["dns"]["remote_mta_in_mx"], "no");
    assert_eq!(resolved[1]["dns"]["remote_mta_in_mx"], "yes");
}

#[test]
fn bad_asn_db_and_cache_files_are_clear_errors() {
    let server = TestServer::start(ZONE);
    let dir = tempfile::tempdir().unwrap();
    let mbox = dead_domains(dir.path());
    let asn = dir.path().join("ip2asn.tsv");
    std::fs::write(&asn, "192.0.2.0\t192.0.2.255\t64500\tZZ\tEXAMPLE-NET\nnot a row\n").unwrap();
    let mut flags = dns_flags(&server);
    flags.extend(["--asn-db".to_owned(), asn.display().to_string()]);
    let mut args = vec!["classify".to_owned(), mbox.display().to_string()];
    args.extend(flags);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = run(&args);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("{}:2:", asn.display())), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let cache = dir.path().join("cache.json");
    std::fs::write(&cache, "{\"format\": \"bounce-triage-dns-cache/1\",\n\"entries\": 7}\n")
        .unwrap();
    let mut args = vec!["classify".to_owned(), mbox.display().to_string()];
    args.extend(dns_flags(&server));
    args.extend(["--dns-cache".to_owned(), cache.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = run(&args);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("{}:2:", cache.display())), "{stderr}");
}

#[test]
fn the_reports_fill_the_dns_fields_with_their_query_time() {
    let server = TestServer::start(ZONE);
    let dir = tempfile::tempdir().unwrap();
    let asn = dir.path().join("ip2asn.tsv");
    std::fs::write(
        &asn,
        "192.0.2.0\t192.0.2.255\t64500\tZZ\tEXAMPLE-SENDER-NET\n198.51.100.0\t198.51.100.255\t8075\tUS\tMICROSOFT-CORP-MSN-AS-BLOCK\n",
    )
    .unwrap();
    let mbox = archive(
        dir.path(),
        &[
            dsn(1, "a@retail.example", "5.7.1", Some("relay.retail.example"), "550 5.7.1 <a@retail.example>: Relay access denied"),
            dsn(2, "ann@gone-corp.example", "5.4.4", None, "Host or domain name not found. Name service error for name=gone-corp.example type=MX: Host not found"),
            dsn(3, "it@contoso-corp.example", "5.7.1", Some("contoso-corp-example.mail.protection.outlook.com"), "550 5.7.1 Unfortunately, messages from [192.0.2.99] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150)."),
        ],
    );
    let render = |template: &str, resolve: bool| -> String {
        let mut args = vec![
            "report".to_owned(),
            "-q".to_owned(),
            mbox.display().to_string(),
            "-t".to_owned(),
            template.to_owned(),
        ];
        if resolve {
            args.extend(dns_flags(&server));
            args.extend(["--asn-db".to_owned(), asn.display().to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = run(&args);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    for template in ["it-escalation", "esp-escalation", "triage-summary"] {
        let plain = render(template, false);
        let resolved = render(template, true);
        assert!(!resolved.contains("panicked"));
        assert!(resolved.contains("DNS now: queried 20"), "{template}: no query time\n{resolved}");
        assert!(resolved.contains("the bounce is dated 2026-12-03"), "{template}\n{resolved}");
        assert!(!plain.contains("DNS now"), "{template}: DNS text without --resolve");
        match template {
            "it-escalation" => {
                assert!(plain.contains("collect from DNS (current MX answers)"));
                assert!(resolved.contains("10 mx-a.retail.example (192.0.2.40)"), "{resolved}");
                assert!(
                    resolved.contains("relay.retail.example is not among the domain's current MX"),
                    "{resolved}"
                );
                assert!(resolved.contains("nxdomain: the domain does not exist"), "{resolved}");
                assert!(resolved.contains("out.sender.example: forward-confirmed"), "{resolved}");
                assert!(resolved.contains("AS64500 EXAMPLE-SENDER-NET"), "{resolved}");
            }
            "esp-escalation" => {
                assert!(resolved.contains("## DNS now"), "{resolved}");
                assert!(resolved.contains("AS8075 MICROSOFT-CORP-MSN-AS-BLOCK"), "{resolved}");
                assert!(
                    resolved.contains("192.0.2.99 out.sender.example: forward-confirmed"),
                    "{resolved}"
                );
            }
            _ => {
                assert!(plain.contains("collect from DNS (PTR of the sending IP)"));
                assert!(resolved.contains("Recipient domain DNS status"), "{resolved}");
                assert!(resolved.contains("operator microsoft-365"), "{resolved}");
            }
        }
    }
}

/// The RDAP answer for the retail MX network: the abuse entity under the registrant.
const RETAIL_NETWORK: &str = r#"{
  "objectClassName": "ip network",
  "handle": "NET-RETAIL-TEST",
  "name": "RETAIL-HOSTING",
  "cidr0_cidrs": [{ "v4prefix": "192.0.2.32", "length": 27 }],
  "entities": [
    { "objectClassName": "entity", "roles": ["registrant"],
      "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", "Retail Hosting"]]],
      "entities": [
        { "objectClassName": "entity", "roles": ["abuse"],
          "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", "Retail Hosting Abuse"], ["email", {}, "text", "abuse@retail-hosting.example"]]] }
      ] }
  ]
}"#;

/// The RDAP answer for the sending IP's network.
const SENDER_NETWORK: &str = r#"{
  "objectClassName": "ip network",
  "handle": "NET-SENDER-TEST",
  "startAddress": "192.0.2.96",
  "endAddress": "192.0.2.127",
  "entities": [
    { "roles": ["abuse"], "vcardArray": ["vcard", [["fn", {}, "text", "Sender NOC"], ["email", {}, "text", "abuse@sender.example"]]] }
  ]
}"#;

#[test]
fn rdap_abuse_contacts_reach_the_records_the_reports_and_the_groups() {
    use bounce_dns::test_server::HttpServer;
    let server = TestServer::start(ZONE);
    let rdap = HttpServer::start(&[
        ("/ip/192.0.2.40", 200, RETAIL_NETWORK),
        ("/ip/192.0.2.99", 200, SENDER_NETWORK),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let mbox = archive(
        dir.path(),
        &[
            dsn(1, "a@retail.example", "5.7.1", Some("mx-a.retail.example"), "550 5.7.1 Service unavailable; client [192.0.2.99] blocked using Internal Reputation Service"),
            dsn(2, "b@retail.example", "5.7.1", Some("mx-a.retail.example"), "550 5.7.1 Service unavailable; client [192.0.2.99] blocked using Internal Reputation Service"),
            // Its MX address has no network at the RDAP server: a 404, and no group value.
            dsn(3, "finance@contoso-corp.example", "5.7.1", Some("contoso-corp-example.mail.protection.outlook.com"), "550 5.7.1 Service unavailable; client [192.0.2.99] blocked using Internal Reputation Service"),
            // A relay denial: the IT note's case.
            dsn(4, "c@retail.example", "5.7.1", Some("mx-a.retail.example"), "550 5.7.1 <c@retail.example>: Relay access denied"),
        ],
    );
    let mut flags = dns_flags(&server);
    flags.extend(["--rdap".to_owned(), "--rdap-server".to_owned(), rdap.url()]);

    // Without --rdap, nothing is asked and the records carry no abuse contact.
    let plain = classify(&mbox, &dns_flags(&server));
    assert!(plain[0]["dns"]["rejecting_mx"].get("abuse").is_none(), "{}", plain[0]["dns"]);
    assert_eq!(rdap.requests(), 0);

    let resolved = classify(&mbox, &flags);
    let abuse = &resolved[0]["dns"]["rejecting_mx"]["abuse"];
    assert_eq!(abuse["status"], "found", "{abuse}");
    assert_eq!(abuse["email"], "abuse@retail-hosting.example");
    assert_eq!(abuse["name"], "Retail Hosting Abuse");
    assert_eq!(abuse["network"]["range"], "192.0.2.32/27");
    assert_eq!(abuse["url"], format!("{}/ip/192.0.2.40", rdap.url()));
    assert!(abuse["queried_at"].as_str().unwrap().starts_with("20"), "{abuse}");
    assert_eq!(resolved[0]["dns"]["sending_ip"]["abuse"]["email"], "abuse@sender.example");
    assert_eq!(resolved[2]["dns"]["rejecting_mx"]["abuse"]["status"], "not-found");
    // One lookup per distinct address: the two MX addresses and the sending IP.
    assert_eq!(rdap.requests(), 3, "{:?}", rdap.log());

    let report = |template: &str, extra: &[&str]| -> String {
        let mut args = vec!["report", "-q", mbox.to_str().unwrap(), "-t", template];
        args.extend(flags.iter().map(String::as_str));
        args.extend(extra);
        let output = run(&args);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        // The HTML escapes slashes.
        String::from_utf8(output.stdout).unwrap().replace("&#x2f;", "/")
    };
    let note = "RDAP now: queried 20";
    for template in ["it-escalation", "esp-escalation", "triage-summary"] {
        let text = report(template, &[]);
        assert!(
            text.contains("abuse@retail-hosting.example (Retail Hosting Abuse); network NET-RETAIL-TEST RETAIL-HOSTING 192.0.2.32/27"),
            "{template}\n{text}"
        );
        assert!(text.contains(note), "{template}\n{text}");
        assert!(text.contains(&format!("via {}/ip/192.0.2.40", rdap.url())), "{template}\n{text}");
    }
    let it = report("it-escalation", &[]);
    assert!(it.contains("Sending IP abuse contact: abuse@sender.example (Sender NOC)"), "{it}");
    let summary = report("triage-summary", &[]);
    assert!(
        summary.contains("no network: the RDAP server knows none for the address"),
        "{summary}"
    );

    let grouped = report("triage-summary", &["--group", "abuse"]);
    let titles: Vec<&str> = grouped
        .lines()
        .filter_map(|line| line.strip_prefix("<h3>")?.strip_suffix("</h3>"))
        .filter(|title| title.starts_with("abuse = "))
        .collect();
    // The retail records (the IRS blocks and the relay denial) in one group; the MX whose
    // network has no contact at the RDAP server in a group of its own, `-`.
    assert_eq!(titles, ["abuse = abuse@retail-hosting.example", "abuse = -"], "{grouped}");
    // Seven runs with --rdap and no --dns-cache: each asked each of the 3 addresses once.
    let log = rdap.log();
    for path in ["/ip/192.0.2.40", "/ip/192.0.2.99", "/ip/198.51.100.25"] {
        assert_eq!(log.iter().filter(|p| *p == path).count(), 7, "{path}: {log:?}");
    }
    assert_eq!(log.len(), 3 * 7, "{log:?}");
}

#[test]
fn rdap_needs_resolve_and_an_http_url() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = dead_domains(dir.path());
    let mbox = mbox.to_str().unwrap();
    let output = run(&["classify", mbox, "--rdap"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--resolve"));
    let output = run(&["classify", mbox, "--resolve", "--rdap", "--rdap-server", "rdap.example"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not an http:// or https:// URL"), "{stderr}");
}

#[test]
fn rdap_answers_are_kept_in_the_dns_cache_for_the_next_run() {
    use bounce_dns::test_server::HttpServer;
    let server = TestServer::start(ZONE);
    let rdap = HttpServer::start(&[("/ip/192.0.2.40", 200, RETAIL_NETWORK)]);
    let dir = tempfile::tempdir().unwrap();
    let mbox = archive(
        dir.path(),
        &[dsn(
            1,
            "a@retail.example",
            "5.7.1",
            Some("mx-a.retail.example"),
            "550 5.7.1 Relaying denied",
        )],
    );
    let cache = dir.path().join("dns-cache.json");
    let mut flags = dns_flags(&server);
    flags.extend([
        "--rdap".to_owned(),
        "--rdap-server".to_owned(),
        rdap.url(),
        "--dns-cache".to_owned(),
        cache.display().to_string(),
    ]);
    let first = classify(&mbox, &flags);
    // The MX address and the sending IP (not at this server: a 404, an answer kept too).
    assert_eq!(rdap.requests(), 2, "{:?}", rdap.log());
    let second = classify(&mbox, &flags);
    assert_eq!(rdap.requests(), 2, "the second run asks RDAP nothing: {:?}", rdap.log());
    let (a, b) =
        (&first[0]["dns"]["rejecting_mx"]["abuse"], &second[0]["dns"]["rejecting_mx"]["abuse"]);
    assert_eq!(b["email"], "abuse@retail-hosting.example");
    assert_eq!(b["cached"], true);
    assert_eq!(a.get("cached"), None);
    assert_eq!(a["queried_at"], b["queried_at"]);
    assert_eq!(second[0]["dns"]["sending_ip"]["abuse"]["status"], "not-found");
}
