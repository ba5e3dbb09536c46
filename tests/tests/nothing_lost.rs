//! Nothing is lost: for any concatenation of messages (valid DSNs, prose bounces, truncated
//! and malformed messages, non-bounces, garbage, oversize messages) written into an mbox, every
//! message lands in exactly one bucket of the summary, the buckets add up to the messages
//! written, and the output is the same with 1 and 4 worker threads.

#[path = "../fixtures/hostile/builders.rs"]
mod builders;

use std::collections::BTreeSet;

use bounce_engine::ReadOptions;
use proptest::prelude::*;

use builders::{dsn, mbox, newsletter, prose_bounce, run_engine};

/// The size limit of the runs; `Piece::Oversize` goes past it.
const MAX_MESSAGE_BYTES: u64 = 32 << 10;

/// One message of a generated archive.
#[derive(Debug, Clone)]
enum Piece {
    /// A standard DSN: always a bounce with this recipient.
    Dsn(usize),
    /// A qmail-style prose bounce: always a bounce with this recipient.
    Prose(usize),
    /// A DSN cut after this many bytes.
    Truncated(usize, usize),
    /// A newsletter: never a bounce.
    NotBounce(usize),
    /// Header lines without colons, then a body.
    Malformed(String),
    /// Random bytes.
    Garbage(Vec<u8>),
    /// A message larger than the limit: unparsed, with its offset.
    Oversize(usize),
    /// Nothing at all after the `From_` line.
    Empty,
}

impl Piece {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Piece::Dsn(n) => dsn(&recipient(*n), "5.1.1", "550 5.1.1 user unknown"),
            Piece::Prose(n) => {
                prose_bounce(&recipient(*n), "", b"Sorry, no mailbox here by that name. (#5.1.1)")
            }
            Piece::Truncated(n, cut) => {
                let full = dsn(&recipient(*n), "4.2.2", "452 4.2.2 mailbox full");
                full[..(*cut).min(full.len())].to_vec()
            }
            Piece::NotBounce(n) => newsletter(*n),
            Piece::Malformed(text) => format!("this is not a header\n{text}\n").into_bytes(),
            Piece::Garbage(bytes) => bytes.clone(),
            Piece::Oversize(n) => {
                let mut message = newsletter(*n);
                message.extend(std::iter::repeat_n(b'x', MAX_MESSAGE_BYTES as usize + 10));
                message
            }
            Piece::Empty => Vec::new(),
        }
    }

    /// Whether the message must produce records.
    fn must_bounce(&self) -> bool {
        matches!(self, Piece::Dsn(_) | Piece::Prose(_))
    }

    /// Whether the message must not produce records.
    fn must_not_bounce(&self) -> bool {
        matches!(
            self,
            Piece::NotBounce(_) | Piece::Malformed(_) | Piece::Oversize(_) | Piece::Empty
        )
    }
}

fn recipient(n: usize) -> String {
    format!("user{n}@example.org")
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        3 => (0usize..1000).prop_map(Piece::Dsn),
        2 => (0usize..1000).prop_map(Piece::Prose),
        2 => ((0usize..1000), (0usize..1200)).prop_map(|(n, cut)| Piece::Truncated(n, cut)),
        2 => (0usize..1000).prop_map(Piece::NotBounce),
        1 => "[a-zA-Z <>:;=\n]{0,200}".prop_map(Piece::Malformed),
        2 => proptest::collection::vec(any::<u8>(), 0..400).prop_map(Piece::Garbage),
        1 => (0usize..1000).prop_map(Piece::Oversize),
        1 => Just(Piece::Empty),
    ]
}

fn options(threads: usize) -> ReadOptions {
    ReadOptions {
        max_message_bytes: MAX_MESSAGE_BYTES,
        window: 3,
        threads: Some(threads),
        ..ReadOptions::default()
    }
}

/// Writes the pieces as an mbox, runs the engine with 1 and 4 threads and checks the buckets.
fn check(pieces: &[Piece], crlf: bool) {
    let messages: Vec<Vec<u8>> = pieces.iter().map(Piece::bytes).collect();
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("archive.mbox");
    std::fs::write(&path, mbox(&messages, crlf)).expect("archive written");

    let single = run_engine(&[&path], &options(1));
    let summary = &single.summary;
    builders::assert_adds_up(summary, pieces.len() as u64);
    assert!(summary.failed_inputs.is_empty(), "input failed: {:?}", summary.failed_inputs);
    assert!(summary.preambles.is_empty(), "preamble found: {:?}", summary.preambles);

    // Each message is in exactly one bucket: messages with records are the bounces and
    // reports, problems handed out are the unparsed and no-recipient ones, and no message is
    // in both.
    let with_records: BTreeSet<u64> = single.records.iter().map(|r| r.source.message).collect();
    let with_problems: BTreeSet<u64> = single.problems.iter().map(|(m, _)| *m).collect();
    assert_eq!(
        with_problems.len(),
        single.problems.len(),
        "a message reported twice: {:?}",
        single.problems
    );
    assert!(
        with_records.is_disjoint(&with_problems),
        "messages both classified and reported as problems: {with_records:?} {with_problems:?}"
    );
    assert_eq!(with_records.len() as u64, summary.bounce + summary.report, "{summary:?}");
    assert_eq!(
        with_problems.len() as u64,
        summary.unparsed + summary.bounce_no_recipient,
        "{summary:?} {:?}",
        single.problems
    );
    assert!(with_records
        .iter()
        .chain(&with_problems)
        .all(|m| (1..=pieces.len() as u64).contains(m)));
    assert_eq!(summary.problems.len(), single.problems.len(), "problems handed out and summed");

    for (index, piece) in pieces.iter().enumerate() {
        let number = index as u64 + 1;
        if piece.must_bounce() {
            assert!(with_records.contains(&number), "message {number} ({piece:?}) was lost");
        }
        if piece.must_not_bounce() {
            assert!(!with_records.contains(&number), "message {number} ({piece:?}) made records");
        }
        if let Piece::Oversize(_) = piece {
            assert!(with_problems.contains(&number), "oversize message {number} not reported");
        }
    }

    let parallel = run_engine(&[&path], &options(4));
    assert_eq!(single, parallel, "1 and 4 threads disagree");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_message_lands_in_exactly_one_bucket(
        pieces in proptest::collection::vec(piece(), 0..14),
        crlf in any::<bool>(),
    ) {
        check(&pieces, crlf);
    }
}

#[test]
fn one_of_each_kind_adds_up() {
    let pieces = vec![
        Piece::Dsn(1),
        Piece::Prose(2),
        Piece::Truncated(3, 300),
        Piece::NotBounce(4),
        Piece::Malformed("no: really".to_string()),
        Piece::Garbage(vec![0xff, 0x00, b'\n', b'F', b'r', b'o', b'm', b' ', 0x80]),
        Piece::Oversize(5),
        Piece::Empty,
    ];
    check(&pieces, false);
    check(&pieces, true);
}

#[test]
fn two_inputs_count_separately_and_add_up() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let first = dir.path().join("a.mbox");
    let second = dir.path().join("b.mbox");
    std::fs::write(
        &first,
        mbox(&[dsn(&recipient(1), "5.1.1", "550 unknown"), newsletter(1)], false),
    )
    .expect("written");
    std::fs::write(
        &second,
        mbox(&[b"\xff\xfe garbage".to_vec(), dsn(&recipient(2), "5.2.2", "552 full")], true),
    )
    .expect("written");
    let result = run_engine(&[&first, &second], &options(2));
    builders::assert_adds_up(&result.summary, 4);
    let recipients: Vec<&str> = result.records.iter().map(|r| r.recipient.as_str()).collect();
    assert_eq!(recipients, ["user1@example.org", "user2@example.org"]);
}
