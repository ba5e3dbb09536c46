//! Nothing is lost from a damaged gzip archive: the bundled example archive gzipped, as one
//! member or several, with zero padding, with trailing garbage, and cut at many offsets.
//! Every message that is whole in the decoded stream lands in exactly one bucket, the counts
//! add up, and the damage is reported with its byte offset; zero padding is accepted silently,
//! as `gzip -t` accepts it.

#[path = "../fixtures/hostile/builders.rs"]
mod builders;

use std::io::{Read, Write};
use std::path::Path;

use bounce_engine::ReadOptions;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

use builders::{run_engine, RunResult};

/// The messages of the example archive.
const EXAMPLE_MESSAGES: u64 = 67;

fn example() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/bounces.mbox"))
        .expect("the example archive")
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).expect("compressed");
    encoder.finish().expect("compressed")
}

fn run(bytes: &[u8]) -> RunResult {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("archive.mbox.gz");
    std::fs::write(&path, bytes).expect("written");
    let options = ReadOptions { threads: Some(2), ..ReadOptions::default() };
    let result = run_engine(&[&path], &options);
    assert!(result.summary.adds_up(), "buckets do not add up: {:?}", result.summary);
    result
}

/// The records as the run gave them, without the temporary path.
fn records(result: &RunResult) -> Vec<String> {
    let strip = |r: &bounce_model::Record| {
        format!("{} {} {} {:?}", r.source.message, r.source.offset, r.recipient, r.verdict)
    };
    result.records.iter().map(strip).collect()
}

/// The `From_` lines that are whole (line end included) in `decoded`.
fn whole_from_lines(decoded: &[u8]) -> u64 {
    let mut count = 0;
    let mut at = 0;
    while at < decoded.len() {
        let end = decoded[at..].iter().position(|b| *b == b'\n').map(|i| at + i);
        if decoded[at..].starts_with(b"From ") && end.is_some() {
            count += 1;
        }
        match end {
            Some(end) => at = end + 1,
            None => break,
        }
    }
    count
}

#[test]
fn the_example_archive_reads_whole_from_one_or_several_members() {
    let archive = example();
    assert_eq!(whole_from_lines(&archive), EXAMPLE_MESSAGES);
    let result = run(&gzip(&archive));
    assert_eq!(result.summary.messages, EXAMPLE_MESSAGES, "{:?}", result.summary);
    assert!(result.summary.failed_inputs.is_empty(), "{:?}", result.summary.failed_inputs);

    // Three members cut at arbitrary bytes (inside messages, inside lines).
    let (a, b) = (archive.len() / 3, archive.len() * 2 / 3 + 7);
    let mut members = gzip(&archive[..a]);
    members.extend(gzip(&archive[a..b]));
    members.extend(gzip(&archive[b..]));
    let multi = run(&members);
    assert_eq!(multi.summary, result.summary);
    assert_eq!(records(&multi), records(&result));
}

#[test]
fn zero_padding_is_accepted_silently() {
    let plain = run(&gzip(&example()));
    for zeros in [1, 512, 70_000] {
        let mut padded = gzip(&example());
        padded.extend(std::iter::repeat_n(0u8, zeros));
        let result = run(&padded);
        assert_eq!(result.summary, plain.summary, "{zeros} zero bytes");
        assert_eq!(records(&result), records(&plain));
    }
}

#[test]
fn trailing_garbage_is_reported_and_loses_nothing() {
    let plain = run(&gzip(&example()));
    for garbage in [&b"garbage\n"[..], b"\0\0\0\0junk", b"\x1f\x8b\x08 not a member", b"\x1f"] {
        let mut damaged = gzip(&example());
        let offset = damaged.len();
        damaged.extend_from_slice(garbage);
        let result = run(&damaged);
        assert_eq!(result.summary.messages, EXAMPLE_MESSAGES, "{garbage:?}: {:?}", result.summary);
        assert_eq!(records(&result), records(&plain), "{garbage:?}");
        let [problem] = result.summary.failed_inputs.as_slice() else {
            panic!("{garbage:?}: {:?}", result.summary.failed_inputs)
        };
        assert!(problem.error.contains(&format!("compressed byte {offset}")), "{problem:?}");
        assert!(problem.error.contains("trailing garbage"), "{problem:?}");
    }
}

#[test]
fn a_truncated_archive_keeps_every_message_that_was_whole() {
    let compressed = gzip(&example());
    let len = compressed.len();
    let mut cuts: Vec<usize> = (1..16).map(|i| len * i / 16).collect();
    cuts.extend([5, 10, 11, len - 9, len - 8, len - 4, len - 1]);
    for cut in cuts {
        let truncated = &compressed[..cut];
        // What a decoder gets out of the cut stream before it fails.
        let mut decoded = Vec::new();
        let mut decoder = GzDecoder::new(truncated);
        let mut chunk = [0u8; 4096];
        while let Ok(read @ 1..) = decoder.read(&mut chunk) {
            decoded.extend_from_slice(&chunk[..read]);
        }
        let started = whole_from_lines(&decoded);
        let result = run(truncated);
        let summary = &result.summary;
        // The message the cut ended inside is reported, not read; every one before it is read.
        assert_eq!(summary.failed_inputs.len(), 1, "cut at {cut}: {:?}", summary.failed_inputs);
        assert_eq!(
            summary.messages,
            started.saturating_sub(1),
            "cut at {cut} of {len}: {} whole From_ lines decoded; {summary:?}",
            started
        );
        let error = &summary.failed_inputs[0].error;
        assert!(error.contains("compressed byte"), "cut at {cut}: {error}");
    }
}
