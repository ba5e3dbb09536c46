//! The JSON of a record is a contract (README, "JSON output"): every key in its place, the
//! same keys left out when empty. These lines are read back and written out byte for byte.

use bounce_model::Record;

/// Every key a record can write, the verdict's included, in output order.
const FULL: &str = concat!(
    r#"{"source":{"path":"in.mbox","message":7,"offset":1234},"recipient":"ann@example.net","#,
    r#""kind":"bounce","status":null,"status_inferred":"5.1.1","reply_code":"550","#,
    r#""diagnostic":"550 user unknown","diagnostic_type":"smtp","smtp_stage":"rcpt","#,
    r#""stage_source":"prose","reporting_mta":"mx.sender.example","#,
    r#""remote_mta":"mx.example.net","received_from_mta":"relay.example","action":"failed","#,
    r#""original_recipient":"rfc822;ann@example.net","arrival_date":"Mon, 1 Jun 2026 10:00:00 +0000","#,
    r#""last_attempt_date":"Mon, 1 Jun 2026 10:05:00 +0000","timestamp":"2026-06-01T10:05:00Z","#,
    r#""will_retry_until":"Tue, 2 Jun 2026 10:00:00 +0000","format":"rfc3464","#,
    r#""vendor_fields":{"x-powermta-bouncecategory":"bad-mailbox"},"feedback_type":"abuse","#,
    r#""bounce_message_id":"<b@sender.example>","#,
    r#""original":{"returned_as":"message/rfc822","message_id":"<m@sender.example>","#,
    r#""message_id_valid":true,"from":"news@sender.example","from_valid":true,"#,
    r#""to":"ann@example.net","subject":"Hello","date":"Mon, 1 Jun 2026 09:59:00 +0000","#,
    r#""envelope_sender":{"value":"bounces@sender.example","source":"DSN"},"envelope_id":"env-1","#,
    r#""dkim":[{"domain":"sender.example","selector":"s1"}],"#,
    r#""auth_results":[{"authserv_id":"mx","spf":"pass","dkim":"pass","dmarc":"pass"}],"#,
    r#""list_unsubscribe":"<mailto:u@sender.example>","one_click_unsubscribe":true,"#,
    r#""link_domains":["sender.example"],"#,
    r#""sending_ip":{"value":"192.0.2.1","source":"Received[1]","uncertain":true},"#,
    r#""helo":{"value":"out.sender.example","source":"Received[1]"},"#,
    r#""tls":{"value":"TLSv1.3","source":"Received[1]"},"captured":{"x-campaign":"spring"}},"#,
    r#""reason":"userunknown","verdict":{"rule_id":"user-unknown","#,
    r#""rule_location":"generic/recipient.rules:12","category":"invalid-recipient","#,
    r#""action":"suppress","owner":"sender","hard":true,"token":"S3150","#,
    r#""fix":"remove the address","provider":"gmail","#,
    r#""basis":["code 550","text \"user unknown\"","stage rcpt (prose)"],"#,
    r#""bounds":["none really"]}}"#,
);

/// A record no rule decided yet: `reason` is written as null and `verdict` left out.
const UNDECIDED: &str = concat!(
    r#"{"source":{"path":"","message":0,"offset":0},"recipient":"","kind":null,"status":null,"#,
    r#""reply_code":null,"diagnostic":null,"smtp_stage":"unknown","reporting_mta":null,"#,
    r#""remote_mta":null,"action":null,"format":"","original":{},"reason":null}"#,
);

/// A verdict whose optional keys are all empty: only the always-written keys remain.
const BARE_VERDICT: &str = concat!(
    r#"{"source":{"path":"a","message":1,"offset":0},"recipient":"bob@example.org","#,
    r#""kind":"delay","status":"4.2.2","reply_code":null,"diagnostic":null,"#,
    r#""smtp_stage":"unknown","reporting_mta":null,"remote_mta":null,"action":"delayed","#,
    r#""format":"postfix","original":{},"reason":"undefined","#,
    r#""verdict":{"rule_id":"","category":"unknown","action":"review","owner":"unknown","hard":false}}"#,
);

fn round_trip(json: &str) -> String {
    let record: Record = serde_json::from_str(json).expect("a record");
    serde_json::to_string(&record).expect("serializes")
}

#[test]
fn records_read_back_and_write_out_byte_for_byte() {
    for json in [FULL, UNDECIDED, BARE_VERDICT] {
        assert_eq!(round_trip(json), json);
    }
}

#[test]
fn the_default_record_is_the_undecided_one() {
    assert_eq!(serde_json::to_string(&Record::default()).expect("serializes"), UNDECIDED);
}

#[test]
fn missing_keys_take_their_defaults_and_the_notice_is_never_read() {
    let sparse =
        r#"{"source":{"path":"x"},"recipient":"c@example.com","notice":"ignored","extra":1}"#;
    let expected = UNDECIDED
        .replace(r#""path":"""#, r#""path":"x""#)
        .replace(r#""recipient":"""#, r#""recipient":"c@example.com""#);
    assert_eq!(round_trip(sparse), expected);
    let record: Record = serde_json::from_str(sparse).expect("a record");
    assert_eq!(record.notice, None);
}

/// Lines no run writes, read as sensibly as the split allows: a `reason` without a `verdict`
/// object is a verdict (the record is not classified again) with the default outcome; a
/// `verdict` object without a reason reads as `undefined`; a `status_inferred` with neither is
/// dropped, since only the rules infer a status.
#[test]
fn a_reason_or_a_verdict_object_alone_makes_a_verdict() {
    let reason_only = UNDECIDED.replace(r#""reason":null"#, r#""reason":"mailboxfull""#);
    let record: Record = serde_json::from_str(&reason_only).expect("a record");
    assert_eq!(record.reason(), Some(bounce_model::Reason::MailboxFull));
    assert_eq!(record.verdict.as_ref().map(|v| v.rule_id.as_str()), Some(""));

    let verdict_only = BARE_VERDICT.replace(r#""reason":"undefined""#, r#""reason":null"#);
    let record: Record = serde_json::from_str(&verdict_only).expect("a record");
    assert_eq!(record.reason(), Some(bounce_model::Reason::Undefined));
    assert_eq!(serde_json::to_string(&record).expect("serializes"), BARE_VERDICT);

    let stray = UNDECIDED.replace(r#""status":null"#, r#""status":null,"status_inferred":"5.1.1""#);
    let record: Record = serde_json::from_str(&stray).expect("a record");
    assert_eq!(record.verdict, None);
    assert_eq!(serde_json::to_string(&record).expect("serializes"), UNDECIDED);
}

#[test]
fn the_verdict_carries_reason_and_inferred_status_into_their_top_level_keys() {
    let record: Record = serde_json::from_str(FULL).expect("a record");
    let verdict = record.verdict.as_ref().expect("a verdict");
    assert_eq!(verdict.reason, bounce_model::Reason::UserUnknown);
    assert_eq!(verdict.status_inferred.as_deref(), Some("5.1.1"));
    assert_eq!(record.status_inferred(), Some("5.1.1"));
    assert_eq!(record.facts.status, None);
    assert_eq!(record.recipient_domain(), "example.net");
}

/// A resolved record's `dns` object, after the verdict, with RDAP abuse contacts (`--rdap`):
/// one found (from the cache), one failed.
const RESOLVED: &str = concat!(
    r#"{"source":{"path":"a","message":1,"offset":0},"recipient":"bob@example.org","#,
    r#""kind":"delay","status":"4.2.2","reply_code":null,"diagnostic":null,"#,
    r#""smtp_stage":"unknown","reporting_mta":null,"remote_mta":null,"action":"delayed","#,
    r#""format":"postfix","original":{},"reason":"undefined","#,
    r#""verdict":{"rule_id":"","category":"unknown","action":"review","owner":"unknown","hard":false},"#,
    r#""dns":{"remote_mta_in_mx":"yes","rejecting_mx":{"preference":10,"host":"mx.example.org","#,
    r#""addresses":["192.0.2.40"],"abuse":{"status":"found","email":"abuse@example.org","#,
    r#""name":"Example Abuse","network":{"handle":"NET-1","name":"EXAMPLE","range":"192.0.2.0/24"},"#,
    r#""url":"https://rdap.example/ip/192.0.2.40","queried_at":"2026-12-05T06:00:00Z","cached":true}},"#,
    r#""sending_ip":{"ip":"192.0.2.99","fcrdns":"unknown","abuse":{"status":"timeout","#,
    r#""url":"https://rdap.example/ip/192.0.2.99","queried_at":"2026-12-05T06:00:00Z","#,
    r#""detail":"timeout: per call"},"queried_at":"2026-12-05T06:00:00Z"}}}"#,
);

#[test]
fn the_dns_object_with_rdap_abuse_contacts_reads_back_byte_for_byte() {
    assert_eq!(round_trip(RESOLVED), RESOLVED);
    let record: Record = serde_json::from_str(RESOLVED).expect("a record");
    let abuse = record.dns.as_ref().and_then(|d| d.rejecting_mx.as_ref()?.abuse.as_ref());
    assert_eq!(abuse.map(|a| a.email.as_str()), Some("abuse@example.org"));
    assert_eq!(bounce_model::Dimension::Abuse.value_of(&record), "abuse@example.org");
}
