//! `--shard K/N`: the union of the N shards of a file is exactly the unsharded run — every
//! record once, in the same order, with the whole file's paths, offsets and message numbers,
//! and summaries whose buckets add up — for random mbox archives with boundaries in awkward
//! places (a `From ` inside a header, `>From ` escapes, CRLF, a preamble; mboxrd, mboxo and
//! mboxcl2) and for line formats
//! (a Postfix log whose results join earlier lines, a CSV export with a header row).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bounce_engine::merge::merge_summaries;
use bounce_engine::source::Registry;
use bounce_engine::{MboxFormat, Output, Pipeline, ReadOptions, Shard};
use bounce_model::Summary;
use bounce_rules::RuleSet;
use proptest::prelude::*;

/// The built-in rules, compiled once for every case.
fn rules() -> RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES
        .get_or_init(|| {
            Pipeline::new(ReadOptions::default()).expect("built-in rules").rules().clone()
        })
        .clone()
}

/// The records (as JSON) and the summary of one run over `inputs`.
fn run(inputs: &[PathBuf], shard: Shard, mbox_format: MboxFormat) -> (Vec<String>, Summary) {
    let options = ReadOptions {
        inputs: inputs.to_vec(),
        shard,
        mbox_format,
        threads: Some(2),
        log_year: Some(2026),
        ..ReadOptions::default()
    };
    let pipeline = Pipeline::with_rules(options, rules(), Registry::builtin()).expect("pipeline");
    let mut records = Vec::new();
    let summary = pipeline.run(|output| {
        if let Output::Record(record) = output {
            records.push(serde_json::to_string(&record).expect("json"));
        }
        true
    });
    (records, summary)
}

/// Records sorted (stably) by path and offset, as a cluster job sorts the shards' records.
fn sorted(mut records: Vec<String>) -> Vec<String> {
    let place = |json: &String| {
        let value: serde_json::Value = serde_json::from_str(json).expect("json");
        let source = &value["source"];
        (source["path"].as_str().unwrap_or_default().to_owned(), source["offset"].as_u64())
    };
    records.sort_by_cached_key(place);
    records
}

/// Checks that shards 1..=N of `inputs` add up to the unsharded run: the same records (in
/// the same order for one file; after sorting by path and offset for several) and the same
/// summary once merged.
fn assert_union_exact(inputs: &[PathBuf], count: u64) -> Result<(), TestCaseError> {
    assert_union_exact_as(inputs, count, MboxFormat::default())
}

/// [`assert_union_exact`] with the mbox flavour `mbox_format`.
fn assert_union_exact_as(
    inputs: &[PathBuf],
    count: u64,
    mbox_format: MboxFormat,
) -> Result<(), TestCaseError> {
    let (all_records, all_summary) = run(inputs, Shard::WHOLE, mbox_format);
    prop_assert!(all_summary.adds_up());
    let mut records = Vec::new();
    let mut summaries = Vec::new();
    for index in 1..=count {
        let (part, part_summary) =
            run(inputs, Shard::new(index, count).expect("shard"), mbox_format);
        prop_assert!(part_summary.adds_up(), "shard {index}/{count}: {part_summary:?}");
        records.extend(part);
        summaries.push(part_summary);
    }
    let (records, all_records) = if inputs.len() == 1 && inputs[0].is_file() {
        (records, all_records)
    } else {
        (sorted(records), sorted(all_records))
    };
    prop_assert_eq!(records.len(), all_records.len());
    if let Some(at) = records.iter().zip(&all_records).position(|(a, b)| a != b) {
        prop_assert_eq!(&records[at], &all_records[at], "first difference at record {}", at);
    }
    prop_assert_eq!(merge_summaries(summaries), merge_summaries(vec![all_summary]));
    Ok(())
}

/// The messages of the example archive, each with its `From_` line.
fn messages() -> &'static [String] {
    static MESSAGES: OnceLock<Vec<String>> = OnceLock::new();
    MESSAGES.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/bounces.mbox");
        let text = std::fs::read_to_string(path).expect("examples/bounces.mbox");
        text.split("\nFrom ")
            .enumerate()
            .map(|(i, m)| {
                let m = if i == 0 { m.to_owned() } else { format!("From {m}") };
                format!("{}\n", m.trim_end_matches('\n'))
            })
            .collect()
    })
}

/// One awkward change to a message.
#[derive(Debug, Clone)]
enum Twist {
    /// A header field whose value holds `From ` (not a separator: no blank line before).
    FromInHeader,
    /// An escaped `>From ` line after a blank line in the body.
    EscapedFrom,
    /// A `From ` line inside a paragraph of the body (no blank line before it).
    FromInParagraph,
    /// Nothing.
    None,
}

fn twist(message: &str, twist: &Twist) -> String {
    match twist {
        Twist::FromInHeader => message.replacen('\n', "\nX-Note: From the desk of ops\n", 1),
        Twist::EscapedFrom => format!("{message}\n>From here on, the report\n>>From twice\n"),
        Twist::FromInParagraph => format!("{message}a line\nFrom inside a paragraph\n"),
        Twist::None => message.to_owned(),
    }
}

fn twists() -> impl Strategy<Value = Twist> {
    prop_oneof![
        Just(Twist::FromInHeader),
        Just(Twist::EscapedFrom),
        Just(Twist::FromInParagraph),
        Just(Twist::None)
    ]
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path).and_then(|mut f| f.write_all(bytes)).expect("write");
    path
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn mbox_shards_add_up_to_the_whole_run(
        picks in proptest::collection::vec((0usize..1000, twists()), 0..10),
        crlf in any::<bool>(),
        preamble in any::<bool>(),
        count in 1u64..=64,
        flavour in prop_oneof![
            Just(MboxFormat::Mboxrd),
            Just(MboxFormat::Mboxo),
            Just(MboxFormat::Mboxcl2)
        ],
    ) {
        let all = messages();
        let mut text = String::new();
        if preamble {
            text.push_str("This archive was exported by a tool.\nFrom memory, not a separator\n\n");
        }
        for (pick, how) in &picks {
            text.push_str(&twist(&all[pick % all.len()], how));
            text.push('\n');
        }
        if crlf {
            text = text.replace('\n', "\r\n");
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), "archive.mbox", text.as_bytes());
        assert_union_exact_as(&[path], count, flavour)?;
    }

    #[test]
    fn log_and_table_shards_add_up_to_the_whole_run(
        log_lines in proptest::collection::vec(0usize..1000, 0..40),
        rows in proptest::collection::vec(0usize..1000, 0..30),
        crlf in any::<bool>(),
        count in 1u64..=64,
    ) {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let log = std::fs::read_to_string(fixtures.join("postfix-maillog.log")).expect("log");
        let log: Vec<&str> = log.lines().collect();
        let table = std::fs::read_to_string(fixtures.join("powermta-acct.csv")).expect("csv");
        let (header, table_rows) = table.split_once('\n').expect("a header");
        let table_rows: Vec<&str> = table_rows.lines().collect();
        let end = if crlf { "\r\n" } else { "\n" };
        // The log keeps its first lines (the sniff needs a few), then random lines of it:
        // results whose context lines come before or after them, repeated queue ids.
        let mut log_text: String = log.iter().take(4).map(|l| format!("{l}{end}")).collect();
        for pick in &log_lines {
            log_text.push_str(log[pick % log.len()]);
            log_text.push_str(end);
        }
        let mut table_text = format!("{header}{end}");
        for pick in &rows {
            table_text.push_str(table_rows[pick % table_rows.len()]);
            table_text.push_str(end);
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let log_path = write(dir.path(), "maillog.log", log_text.as_bytes());
        let table_path = write(dir.path(), "acct.csv", table_text.as_bytes());
        assert_union_exact(&[log_path, table_path], count)?;
    }
}

#[test]
fn a_single_gzip_file_cannot_be_split() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "one.mbox.gz", &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0]);
    let options = ReadOptions {
        inputs: vec![path.clone()],
        shard: Shard::new(1, 2).expect("shard"),
        ..ReadOptions::default()
    };
    let error = Pipeline::with_rules(options, rules(), Registry::builtin()).expect_err("refused");
    let text = error.to_string();
    assert!(text.contains("cannot be entered mid-way"), "{text}");
    // 1/1 reads it, and so do the shards of several files (each file whole to one shard).
    let second = write(dir.path(), "two.mbox.gz", &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0]);
    for shard in [Shard::WHOLE, Shard::new(2, 2).expect("shard")] {
        let inputs =
            if shard.count == 1 { vec![path.clone()] } else { vec![path.clone(), second.clone()] };
        let options = ReadOptions { inputs, shard, ..ReadOptions::default() };
        assert!(Pipeline::with_rules(options, rules(), Registry::builtin()).is_ok());
    }
}

#[test]
fn gzip_and_maildir_files_go_whole_to_one_shard() {
    let dir = tempfile::tempdir().expect("tempdir");
    let all = messages();
    let mut inputs = Vec::new();
    for (i, message) in all.iter().enumerate().take(6) {
        let gzip = stored_gzip(message.as_bytes());
        inputs.push(write(dir.path(), &format!("part-{i}.mbox.gz"), &gzip));
    }
    let maildir = dir.path().join("box");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).expect("maildir");
    }
    for (i, message) in all.iter().enumerate().take(12).skip(6) {
        let body = message.split_once('\n').map_or(message.as_str(), |(_, rest)| rest);
        write(&maildir.join("cur"), &format!("{i}.eml"), body.as_bytes());
    }
    inputs.push(maildir);
    for count in [1, 2, 3, 7] {
        assert_union_exact(&inputs, count).expect("union");
    }
}

/// `bytes` as a gzip stream with stored (uncompressed) deflate blocks: no compressor needed.
fn stored_gzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    let chunks: Vec<&[u8]> = bytes.chunks(65_535).collect();
    if chunks.is_empty() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    for (i, chunk) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        let len = u16::try_from(chunk.len()).expect("chunk");
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&crc32(bytes).to_le_bytes());
    out.extend_from_slice(&u32::try_from(bytes.len()).expect("size").to_le_bytes());
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn mboxcl2_bodies_hide_their_from_lines_from_every_shard() {
    // The body holds a complete `From_` line after a blank line: only the Content-Length of
    // the header before it says it is not a separator, which a shard seeking into the body
    // would never see.
    let body = "hello\n\nFrom trap@example.com Tue Jun  9 06:12:03 2026\nend\n";
    let messages: Vec<String> = (0..3)
        .map(|i| {
            format!(
                "From MAILER-DAEMON Tue Jun  9 06:12:03 2026\nFrom: a@example.com\nSubject: t{i}\nContent-Length: {}\n\n{body}",
                body.len()
            )
        })
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "cl2.mbox", messages.join("\n").as_bytes());
    let (_, whole) = run(std::slice::from_ref(&path), Shard::WHOLE, MboxFormat::Mboxcl2);
    assert_eq!(whole.messages, 3, "Content-Length decides");
    for count in 1..=12 {
        assert_union_exact_as(std::slice::from_ref(&path), count, MboxFormat::Mboxcl2)
            .expect("union");
    }
}
