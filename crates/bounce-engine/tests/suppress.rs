//! The suppression decisions, one test per row of the seed's table (and the taxonomy's
//! extension of it).

use bounce_engine::aggregate::{AggregateOptions, Aggregator};
use bounce_engine::state::SuppressionState;
use bounce_engine::suppress::{SuppressOptions, Suppressor};
use bounce_model::{
    Action, BounceFacts, Kind, ListEntry, ListKind, Original, Reason, Record, Source, Verdict,
};

/// A classified failure record, as the rules would leave it.
fn record(
    address: &str,
    reason: Reason,
    reply: &str,
    status: &str,
    original: &str,
    time: &str,
) -> Record {
    let facts = BounceFacts {
        source: Source { path: "bounces.mbox".to_owned(), message: 1, offset: 0 },
        recipient: address.to_owned(),
        kind: Some(if reply.starts_with('5') { Kind::Bounce } else { Kind::Delay }),
        status: Some(status.to_owned()),
        reply_code: Some(reply.to_owned()),
        diagnostic: Some(format!("{reply} {status} test diagnostic")),
        timestamp: Some(time.to_owned()),
        original: Original {
            message_id: Some(format!("<{original}@news.example.com>")),
            ..Original::default()
        },
        ..BounceFacts::default()
    };
    Record {
        facts,
        dns: None,
        verdict: Some(Verdict {
            reason,
            rule_id: format!("generic.{reason}"),
            hard: reply.starts_with('5'),
            action: action_for(reason, reply),
            ..Verdict::default()
        }),
    }
}

/// The action the rules give a reason within the bounds: a bad address is suppressed on a
/// permanent failure only, an unroutable domain after confirmation.
fn action_for(reason: Reason, reply: &str) -> Action {
    match reason {
        Reason::UserUnknown | Reason::HasMoved | Reason::Suspend if reply.starts_with('5') => {
            Action::Suppress
        }
        Reason::HostUnknown | Reason::NotAccept => Action::SuppressAfterConfirmation,
        Reason::MailboxFull => Action::CountAsSoft,
        _ => Action::ThrottleAndRetry,
    }
}

fn decide(records: &[Record]) -> Vec<ListEntry> {
    decide_with(records, SuppressionState::default()).0
}

fn decide_with(records: &[Record], state: SuppressionState) -> (Vec<ListEntry>, SuppressionState) {
    let mut suppressor = Suppressor::new(SuppressOptions::default(), state);
    for r in records {
        suppressor.add(r);
    }
    suppressor.finish(&[])
}

fn list_of(entries: &[ListEntry], address: &str) -> Option<ListKind> {
    entries.iter().find(|e| e.address == address).and_then(|e| e.list)
}

#[test]
fn user_unknown_on_a_permanent_failure_is_suppressed_with_evidence() {
    let entries = decide(&[
        record(
            "ann@example.net",
            Reason::UserUnknown,
            "550",
            "5.1.1",
            "m1",
            "2026-06-11T08:00:00Z",
        ),
        record(
            "bob@example.net",
            Reason::UserUnknown,
            "450",
            "4.1.1",
            "m2",
            "2026-06-11T08:00:00Z",
        ),
    ]);
    let ann = entries.iter().find(|e| e.address == "ann@example.net").expect("ann listed");
    assert_eq!(ann.list, Some(ListKind::Suppress));
    assert_eq!(ann.rule_id, "generic.userunknown");
    assert_eq!(ann.evidence.message_id.as_deref(), Some("<m1@news.example.com>"));
    assert_eq!(ann.evidence.timestamp.as_deref(), Some("2026-06-11T08:00:00Z"));
    assert!(ann.why.contains("550 5.1.1"));
    assert_eq!(
        list_of(&entries, "bob@example.net"),
        Some(ListKind::Keep),
        "a 4xx never suppresses"
    );
}

#[test]
fn no_route_domains_are_suppressed_only_after_confirmation_and_servfail_never() {
    let first = record(
        "ann@gone.example",
        Reason::HostUnknown,
        "550",
        "5.1.2",
        "m1",
        "2026-06-11T08:00:00Z",
    );
    let entries = decide(std::slice::from_ref(&first));
    assert_eq!(
        list_of(&entries, "ann@gone.example"),
        Some(ListKind::Keep),
        "one attempt is not confirmation"
    );

    // The delayed DSN of the same original is the same attempt.
    let mut same = record(
        "bob@gone.example",
        Reason::HostUnknown,
        "550",
        "5.1.2",
        "m1",
        "2026-06-11T09:00:00Z",
    );
    same.kind = Some(Kind::Delay);
    assert_eq!(list_of(&decide(&[first.clone(), same]), "ann@gone.example"), Some(ListKind::Keep));

    let second = record(
        "bob@gone.example",
        Reason::NotAccept,
        "556",
        "5.1.10",
        "m2",
        "2026-06-12T08:00:00Z",
    );
    let entries = decide(&[first, second]);
    assert_eq!(list_of(&entries, "ann@gone.example"), Some(ListKind::Suppress));
    assert_eq!(list_of(&entries, "bob@gone.example"), Some(ListKind::Suppress));
    assert!(entries.iter().all(|e| e.attempts == 2));

    let servfail: Vec<Record> = (0..5)
        .map(|i| {
            record(
                "carol@flaky.example",
                Reason::NetworkError,
                "451",
                "4.4.3",
                &format!("s{i}"),
                "2026-06-11T08:00:00Z",
            )
        })
        .collect();
    let entries = decide(&servfail);
    assert_eq!(list_of(&entries, "carol@flaky.example"), Some(ListKind::Keep));
    assert!(entries[0].why.contains("SERVFAIL"));
}

#[test]
fn mailbox_full_needs_three_consecutive_attempts_and_a_delivery_resets() {
    let full = |original: &str, time: &str| {
        record("dan@example.com", Reason::MailboxFull, "552", "5.2.2", original, time)
    };
    let two = [full("q1", "2026-06-01T08:00:00Z"), full("q2", "2026-06-02T08:00:00Z")];
    assert_eq!(list_of(&decide(&two), "dan@example.com"), Some(ListKind::Keep));

    // A delayed DSN and the failed DSN of the same message are one attempt.
    let mut delayed = full("q2", "2026-06-02T07:00:00Z");
    delayed.kind = Some(Kind::Delay);
    delayed.reply_code = Some("452".to_owned());
    let with_delay = [two[0].clone(), delayed, two[1].clone()];
    assert_eq!(list_of(&decide(&with_delay), "dan@example.com"), Some(ListKind::Keep));

    // Greylisting and "too many recipients" are 451/452 but not quota failures.
    let mut others = two.to_vec();
    others.push(record(
        "dan@example.com",
        Reason::Speeding,
        "451",
        "4.7.1",
        "g1",
        "2026-06-02T09:00:00Z",
    ));
    others.push(record(
        "dan@example.com",
        Reason::ExceedLimit,
        "452",
        "4.5.3",
        "g2",
        "2026-06-02T10:00:00Z",
    ));
    assert_eq!(list_of(&decide(&others), "dan@example.com"), Some(ListKind::Keep));

    let three = [two[0].clone(), two[1].clone(), full("q3", "2026-06-03T08:00:00Z")];
    let entries = decide(&three);
    let dan = entries.iter().find(|e| e.address == "dan@example.com").expect("listed");
    assert_eq!(dan.list, Some(ListKind::Suppress));
    assert_eq!(dan.attempts, 3);

    // A delivery between the second and third failure resets the count.
    let mut delivered =
        record("dan@example.com", Reason::Delivered, "250", "2.0.0", "d1", "2026-06-02T12:00:00Z");
    delivered.kind = Some(Kind::Delivered);
    let mut reset = three.to_vec();
    reset.push(delivered);
    assert_eq!(list_of(&decide(&reset), "dan@example.com"), Some(ListKind::Keep));

    // The same through --deliveries, and the counters carry across runs through the state.
    let (_, state) = decide_with(&two, SuppressionState::default());
    let state = SuppressionState::from_json(&state.to_json().expect("json")).expect("reads back");
    let (entries, _) = decide_with(&[full("q3", "2026-06-03T08:00:00Z")], state.clone());
    assert_eq!(
        list_of(&entries, "dan@example.com"),
        Some(ListKind::Suppress),
        "third failure on the next day"
    );
    let mut suppressor = Suppressor::new(SuppressOptions::default(), state);
    suppressor.add_delivery("Dan@example.com", 1_780_401_600); // 2026-06-02T12:00:00Z
    suppressor.add(&full("q3", "2026-06-03T08:00:00Z"));
    let (entries, _) = suppressor.finish(&[]);
    assert_eq!(list_of(&entries, "dan@example.com"), Some(ListKind::Keep));
}

#[test]
fn rate_limits_greylisting_and_421_keep_the_address() {
    let entries = decide(&[
        record("e1@example.com", Reason::Speeding, "421", "4.7.28", "r1", "2026-06-11T08:00:00Z"),
        record("e2@example.com", Reason::Speeding, "451", "4.7.1", "r2", "2026-06-11T08:00:00Z"),
        record("e3@example.com", Reason::TooManyConn, "421", "4.7.0", "r3", "2026-06-11T08:00:00Z"),
    ]);
    for address in ["e1@example.com", "e2@example.com", "e3@example.com"] {
        let entry = entries.iter().find(|e| e.address == address).expect("listed");
        assert_eq!(entry.list, Some(ListKind::Keep));
        assert!(entry.why.contains("throttle"));
    }
}

#[test]
fn user_unknown_inside_a_provider_spike_is_quarantined_not_suppressed() {
    let mut records = Vec::new();
    for hour in 0..6 {
        records.push(record(
            &format!("base{hour}@gmail.com"),
            Reason::Blocked,
            "550",
            "5.7.1",
            &format!("b{hour}"),
            &format!("2026-06-11T{hour:02}:10:00Z"),
        ));
    }
    for i in 0..12 {
        records.push(record(
            &format!("burst{i}@gmail.com"),
            Reason::UserUnknown,
            "550",
            "5.1.1",
            &format!("u{i}"),
            &format!("2026-06-11T06:{i:02}:00Z"),
        ));
    }
    records.push(record(
        "late@gmail.com",
        Reason::UserUnknown,
        "550",
        "5.1.1",
        "late",
        "2026-06-11T09:00:00Z",
    ));
    let mut aggregator = Aggregator::new(AggregateOptions::default(), None);
    let mut suppressor = Suppressor::new(SuppressOptions::default(), SuppressionState::default());
    for r in &mut records {
        r.verdict.as_mut().expect("verdict").provider = Some("gmail".to_owned());
        aggregator.add(r);
        suppressor.add(r);
    }
    let spikes = aggregator.finish().spikes;
    assert_eq!(spikes.len(), 1, "{spikes:?}");
    let (entries, _) = suppressor.finish(&spikes);
    let burst = entries.iter().find(|e| e.address == "burst3@gmail.com").expect("listed");
    assert_eq!(burst.list, Some(ListKind::Keep));
    assert!(burst.why.contains("spike at gmail"));
    assert_eq!(list_of(&entries, "late@gmail.com"), Some(ListKind::Suppress), "outside the window");
}

#[test]
fn relay_denied_keeps_the_address() {
    let entries = decide(&[record(
        "f@corp.example",
        Reason::NoRelaying,
        "550",
        "5.7.1",
        "x",
        "2026-06-11T08:00:00Z",
    )]);
    assert_eq!(entries[0].list, Some(ListKind::Keep));
    assert!(entries[0].why.contains("relay"));
}

#[test]
fn blocklist_and_reputation_keep_the_address() {
    let entries = decide(&[
        record("g1@example.com", Reason::Blocked, "550", "5.7.1", "x1", "2026-06-11T08:00:00Z"),
        record(
            "g2@example.com",
            Reason::BadReputation,
            "550",
            "5.7.1",
            "x2",
            "2026-06-11T08:00:00Z",
        ),
        record("g3@example.com", Reason::Rejected, "550", "5.1.8", "x3", "2026-06-11T08:00:00Z"),
    ]);
    assert!(entries.iter().all(|e| e.list == Some(ListKind::Keep) && e.why.contains("pause")));
    assert_eq!(entries.len(), 3);
}

#[test]
fn spf_dkim_dmarc_tls_and_dns_failures_of_the_sender_keep_the_address() {
    let reasons =
        [Reason::AuthFailure, Reason::RequirePtr, Reason::FailedStartTls, Reason::SecurityError];
    let records: Vec<Record> = reasons
        .iter()
        .enumerate()
        .map(|(i, reason)| {
            record(
                &format!("h{i}@example.com"),
                *reason,
                "550",
                "5.7.26",
                &format!("a{i}"),
                "2026-06-11T08:00:00Z",
            )
        })
        .collect();
    let entries = decide(&records);
    assert_eq!(entries.len(), 4);
    assert!(entries
        .iter()
        .all(|e| e.list == Some(ListKind::Keep) && e.why.contains("repair the sending path")));
}

#[test]
fn complaints_go_to_their_own_list_and_auto_replies_are_ignored() {
    let mut complaint =
        record("i@example.com", Reason::Feedback, "", "", "c1", "2026-06-11T08:00:00Z");
    complaint.kind = Some(Kind::Complaint);
    let mut vacation =
        record("j@example.com", Reason::Vacation, "", "", "v1", "2026-06-11T08:00:00Z");
    vacation.kind = Some(Kind::AutoReply);
    let entries = decide(&[complaint, vacation]);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].list, Some(ListKind::Complaint));
}

#[test]
fn feedback_the_rules_keep_is_not_a_complaint() {
    // An auth-failure report (RFC 6591) names the recipient of a message someone sent in the
    // domain's name; the rules keep the address, so it never reaches the complaint list.
    let mut report =
        record("k@example.com", Reason::Feedback, "", "", "c2", "2026-06-11T08:00:00Z");
    report.kind = Some(Kind::Complaint);
    report.feedback_type = Some("auth-failure".to_owned());
    if let Some(verdict) = report.verdict.as_mut() {
        verdict.action = bounce_model::Action::Keep;
    }
    assert!(decide(&[report]).is_empty());
}

#[test]
fn no_suppression_when_the_verdict_was_bounded_away_from_it() {
    // The rules kept these from suppressing (a 4xx on an ESP's suppression note, a code with
    // no confirming text): the list follows the verdict, whatever the reason says.
    let mut temporary =
        record("ann@example.net", Reason::Suppressed, "421", "4.0.0", "m1", "2026-06-11T08:00:00Z");
    if let Some(v) = temporary.verdict.as_mut() {
        v.action = Action::ThrottleAndRetry;
    }
    let mut code_alone = record(
        "bob@example.net",
        Reason::UserUnknown,
        "550",
        "5.1.1",
        "m2",
        "2026-06-11T08:00:00Z",
    );
    if let Some(v) = code_alone.verdict.as_mut() {
        v.action = Action::Review;
        v.bounds.push("the code alone names a bad address".to_owned());
    }
    let entries = decide(&[temporary, code_alone]);
    assert_eq!(list_of(&entries, "ann@example.net"), Some(ListKind::Keep));
    assert_eq!(list_of(&entries, "bob@example.net"), Some(ListKind::Keep));
    let bob = entries.iter().find(|e| e.address == "bob@example.net").unwrap();
    assert!(bob.why.contains("the code alone"), "{}", bob.why);
}

/// A record whose recipient domain DNS answered `status` in this run.
fn resolved(mut record: Record, status: bounce_model::DomainStatus) -> Record {
    let domain = record.recipient_domain().to_owned();
    let mx = if status == bounce_model::DomainStatus::Mx {
        vec![bounce_model::MxHost {
            preference: 10,
            host: format!("mx.{domain}"),
            ..bounce_model::MxHost::default()
        }]
    } else {
        Vec::new()
    };
    record.dns = Some(Box::new(bounce_model::DnsEvidence {
        domain: Some(bounce_model::DomainDns {
            name: domain,
            status: Some(status),
            mx,
            queried_at: "2026-12-05T04:00:00Z".to_owned(),
            resolver: "127.0.0.1:5353".to_owned(),
            ..bounce_model::DomainDns::default()
        }),
        ..bounce_model::DnsEvidence::default()
    }));
    record
}

#[test]
fn live_dns_confirms_on_the_first_bounce_and_a_routing_domain_resets_the_count() {
    use bounce_model::DomainStatus;
    let dead = |address: &str, status| {
        let r =
            record(address, Reason::HostUnknown, "550", "5.1.2", address, "2026-06-11T08:00:00Z");
        resolved(r, status)
    };
    let entries = decide(&[
        dead("a@nx.example", DomainStatus::Nxdomain),
        dead("b@null.example", DomainStatus::NullMx),
        dead("c@fail.example", DomainStatus::Servfail),
        dead("d@slow.example", DomainStatus::Timeout),
    ]);
    assert_eq!(list_of(&entries, "a@nx.example"), Some(ListKind::Suppress));
    assert_eq!(list_of(&entries, "b@null.example"), Some(ListKind::Suppress));
    assert_eq!(list_of(&entries, "c@fail.example"), Some(ListKind::Keep));
    assert_eq!(list_of(&entries, "d@slow.example"), Some(ListKind::Keep));
    let why = &entries.iter().find(|e| e.address == "a@nx.example").unwrap().why;
    assert!(why.contains("NXDOMAIN") && why.contains("2026-12-05T04:00:00Z"), "{why}");

    // A 4xx is never a hard suppression, whatever DNS says.
    let soft = resolved(
        record("e@nx.example", Reason::HostUnknown, "450", "4.1.2", "m9", "2026-06-11T08:00:00Z"),
        DomainStatus::Nxdomain,
    );
    assert_ne!(list_of(&decide(&[soft]), "e@nx.example"), Some(ListKind::Suppress));

    // Two earlier no-route attempts, then the domain routes now: kept, with the MX.
    let first =
        record("f@back.example", Reason::HostUnknown, "550", "5.1.2", "m1", "2026-06-11T08:00:00Z");
    let second =
        record("f@back.example", Reason::HostUnknown, "550", "5.1.2", "m2", "2026-06-12T08:00:00Z");
    let (_, state) = decide_with(&[first, second], SuppressionState::default());
    let now = resolved(
        record("f@back.example", Reason::HostUnknown, "550", "5.1.2", "m3", "2026-06-13T08:00:00Z"),
        DomainStatus::Mx,
    );
    let (entries, _) = decide_with(&[now], state);
    assert_eq!(list_of(&entries, "f@back.example"), Some(ListKind::Keep));
    let why = &entries.iter().find(|e| e.address == "f@back.example").unwrap().why;
    assert!(why.contains("routes now") && why.contains("mx.back.example"), "{why}");
}
