//! The evidence sources that are not mail, at size: part of `cargo xtask bench` (at its
//! `--size`, 1 GB by default, and a quarter of it), and alone as `cargo xtask bench-sources
//! [--size MB] [--threads LIST]`.
//!
//! Generates (fixed seed; a file is reused when it and its `.rows` count are present) a
//! Postfix log and an NDJSON file of Amazon SES event-publishing records of about MB megabytes
//! each in `target/bench/`, with varied recipients, receivers and replies (one delivery result
//! in six log lines, as a real maillog has; a quarter of the events opens and clicks), then
//! runs `bounce-triage classify --format jsonl` on each at every thread count (1 and 2 by
//! default), and at 2 threads on files of a quarter of the size, and prints lines (or events)
//! per second, CPU µs per line and peak anonymous memory (the quarter-size rows show whether
//! memory follows the file). Each run is made [`RUNS`] times (`--runs`): the row is the run of
//! median wall time, the memory the highest peak of them (a shared machine's speed varies by a
//! tenth or more from one run to the next). Targets (issue 15): 500,000 log lines/s and 200,000
//! events/s on two cores, memory flat in the file size.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::bench::{classify, Cost, Rng};

const USAGE: &str = "usage: cargo xtask bench-sources [--size MB] [--threads LIST] [--runs N]   (defaults: --size 256 --threads 1,2 --runs 3)";

/// Runs of each measurement; the median is reported.
pub(crate) const RUNS: usize = 3;

/// Receivers' replies: (dsn, Postfix status, text), `{r}` is the recipient.
const REPLIES: [(&str, &str, &str); 8] = [
    ("5.1.1", "bounced", "host mx.{d}[192.0.2.26] said: 550 5.1.1 <{r}>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)"),
    ("4.7.650", "deferred", "host {d}.mail.protection.outlook.com[203.0.113.40] said: 451 4.7.650 The mail server [192.0.2.34] has been temporarily rate limited due to IP reputation. (in reply to MAIL FROM command)"),
    ("2.0.0", "sent", "250 2.0.0 Ok: queued as {q}"),
    ("4.4.1", "deferred", "connect to mail.{d}[198.51.100.80]:25: Connection timed out"),
    ("5.7.1", "bounced", "host mx.{d}[198.51.100.90] said: 554 5.7.1 Service unavailable; Client host [192.0.2.34] blocked using zen.spamhaus.org (in reply to RCPT TO command)"),
    ("2.0.0", "sent", "250 ok dirdel"),
    ("4.2.2", "deferred", "host mx.{d}[192.0.2.27] said: 452 4.2.2 The email account that you tried to reach is over quota. {q} - gsmtp (in reply to RCPT TO command)"),
    ("5.7.26", "bounced", "host mx.{d}[192.0.2.28] said: 550 5.7.26 This mail has been blocked because the sender is unauthenticated. {q} - gsmtp (in reply to end of DATA command)"),
];

fn postfix_log(path: &Path, bytes: u64) -> Result<u64> {
    let mut rng = Rng(0x5eed_1065);
    let mut out = std::io::BufWriter::new(fs::File::create(path)?);
    let (mut written, mut lines) = (0u64, 0u64);
    let mut block = String::new();
    while written < bytes {
        block.clear();
        let q = format!("{:010X}", rng.next() >> 24);
        let r = format!("user{}@example{}.net", rng.below(1_000_000), rng.below(500));
        let d = format!("example{}.net", rng.below(500));
        let t = format!(
            "Jun {:2} {:02}:{:02}:{:02}",
            1 + rng.below(28),
            rng.below(24),
            rng.below(60),
            rng.below(60)
        );
        let (dsn, status, text) = REPLIES[rng.below(REPLIES.len() as u64) as usize];
        let text = text.replace("{r}", &r).replace("{d}", &d).replace("{q}", &q);
        writeln!(
            block,
            "{t} mta1 postfix/smtpd[2101]: connect from app1.example.com[198.51.100.7]"
        )?;
        writeln!(
            block,
            "{t} mta1 postfix/smtpd[2101]: {q}: client=app1.example.com[198.51.100.7]"
        )?;
        writeln!(block, "{t} mta1 postfix/cleanup[2104]: {q}: message-id=<{q}@news.example.com>")?;
        writeln!(block, "{t} mta1 postfix/qmgr[1201]: {q}: from=<bounce@bounces.example.com>, size=18234, nrcpt=1 (queue active)")?;
        writeln!(block, "{t} mta1 postfix/smtp[2211]: {q}: to=<{r}>, relay=mx.{d}[192.0.2.26]:25, delay=5.1, delays=0.1/0/0.9/4.1, dsn={dsn}, status={status} ({text})")?;
        writeln!(block, "{t} mta1 postfix/qmgr[1201]: {q}: removed")?;
        out.write_all(block.as_bytes())?;
        written += block.len() as u64;
        lines += 6;
    }
    out.flush()?;
    Ok(lines)
}

fn ses_events(path: &Path, bytes: u64) -> Result<u64> {
    let mut rng = Rng(0x5e5_e7e7);
    let mut out = std::io::BufWriter::new(fs::File::create(path)?);
    let (mut written, mut events) = (0u64, 0u64);
    let mut line = String::new();
    while written < bytes {
        line.clear();
        let r = format!("user{}@example{}.net", rng.below(1_000_000), rng.below(500));
        let id = format!("{:016x}-{:08x}", rng.next(), rng.next() >> 32);
        let time = format!(
            "2026-06-{:02}T{:02}:{:02}:{:02}.000Z",
            1 + rng.below(28),
            rng.below(24),
            rng.below(60),
            rng.below(60)
        );
        let mail = format!(
            r#""mail":{{"timestamp":"{time}","source":"news@example.com","sourceArn":"arn:aws:ses:us-east-1:123456789012:identity/example.com","sendingAccountId":"123456789012","messageId":"{id}","destination":["{r}"],"commonHeaders":{{"from":["news@example.com"],"to":["{r}"],"messageId":"<{id}@news.example.com>","subject":"Summer sale"}}}}"#
        );
        match rng.below(8) {
            0..=2 => {
                let (status, code, text) = [
                    ("5.1.1", 550, "5.1.1 user unknown"),
                    ("5.7.1", 554, "5.7.1 Message rejected as spam"),
                    ("5.2.2", 552, "5.2.2 Mailbox full"),
                ][rng.below(3) as usize];
                write!(
                    line,
                    r#"{{"eventType":"Bounce","bounce":{{"bounceType":"Permanent","bounceSubType":"General","bouncedRecipients":[{{"emailAddress":"{r}","action":"failed","status":"{status}","diagnosticCode":"smtp; {code} {text}"}}],"timestamp":"{time}","feedbackId":"{id}","reportingMTA":"dns; a8-70.smtp-out.amazonses.com"}},{mail}}}"#
                )?;
            }
            3 => write!(
                line,
                r#"{{"eventType":"DeliveryDelay","deliveryDelay":{{"timestamp":"{time}","delayType":"TransientCommunicationFailure","expirationTime":"{time}","delayedRecipients":[{{"emailAddress":"{r}","status":"4.4.1","diagnosticCode":"smtp; 421 4.4.1 Connection timed out"}}]}},{mail}}}"#
            )?,
            4 | 5 => write!(
                line,
                r#"{{"eventType":"Delivery","delivery":{{"timestamp":"{time}","processingTimeMillis":546,"recipients":["{r}"],"smtpResponse":"250 2.6.0 Message received","remoteMtaIp":"203.0.113.55","reportingMTA":"a8-70.smtp-out.amazonses.com"}},{mail}}}"#
            )?,
            _ => write!(
                line,
                r#"{{"eventType":"Open","open":{{"ipAddress":"198.51.100.31","timestamp":"{time}","userAgent":"Mozilla/5.0"}},{mail}}}"#
            )?,
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
        events += 1;
    }
    out.flush()?;
    Ok(events)
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut size = 256u64;
    let mut threads = vec![1usize, 2];
    let mut runs = RUNS;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let value = args.next().with_context(|| format!("{arg} needs a value; {USAGE}"));
        match arg.as_str() {
            "--size" => size = value?.parse().with_context(|| USAGE.to_owned())?,
            "--threads" => {
                threads = value?
                    .split(',')
                    .map(|t| t.trim().parse::<usize>())
                    .collect::<Result<_, _>>()
                    .with_context(|| USAGE.to_owned())?;
            }
            "--runs" => {
                runs = value?.parse().with_context(|| USAGE.to_owned())?;
                if runs == 0 {
                    bail!("--runs must be at least 1; {USAGE}");
                }
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => bail!("unknown argument `{other}`; {USAGE}"),
        }
    }
    let binary = crate::build_binary(true)?;
    let dir = crate::target_dir().join("bench");
    fs::create_dir_all(&dir)?;
    let summary = bench(&binary, &dir, size, &threads, runs)?;
    println!("bench-sources: {summary}");
    Ok(())
}

/// A generated file of about `bytes` bytes and its row count: reused when the file and its
/// `.rows` note are there, else written by `generate` (which returns the rows).
fn generated(path: &Path, bytes: u64, generate: fn(&Path, u64) -> Result<u64>) -> Result<u64> {
    let note = path.with_extension(format!(
        "{}.rows",
        path.extension().and_then(|e| e.to_str()).unwrap_or_default()
    ));
    if path.exists() {
        if let Some(rows) = fs::read_to_string(&note).ok().and_then(|t| t.trim().parse().ok()) {
            return Ok(rows);
        }
    }
    let rows = generate(path, bytes)?;
    fs::write(&note, format!("{rows}\n"))?;
    Ok(rows)
}

/// `classify` on `path` at `threads`, `runs` times: the run of median wall time, with the
/// highest memory peak of all.
fn median_classify(binary: &Path, path: &Path, threads: usize, runs: usize) -> Result<Cost> {
    let mut costs =
        (0..runs).map(|_| classify(binary, path, threads)).collect::<Result<Vec<_>>>()?;
    let peak = costs.iter().map(|c| c.anon_kb).max().unwrap_or(0);
    costs.sort_by(|a, b| a.wall.total_cmp(&b.wall));
    let mut median = costs.swap_remove(costs.len() / 2);
    median.anon_kb = peak;
    Ok(median)
}

/// Generates the log and the NDJSON file at `size` MB and at a quarter of it in `dir`, runs
/// `classify` on the big ones at each of `threads` and on the small ones at 2 threads (each
/// `runs` times, the median kept), prints a table and returns the summary for the pasted line.
pub(crate) fn bench(
    binary: &Path,
    dir: &Path,
    size: u64,
    threads: &[usize],
    runs: usize,
) -> Result<String> {
    let quarter = size.div_ceil(4).max(1);
    let files = |mb: u64| -> Result<[(&'static str, std::path::PathBuf, u64); 2]> {
        let log = dir.join(format!("postfix-{mb}MB.log"));
        let ndjson = dir.join(format!("ses-events-{mb}MB.ndjson"));
        let lines = generated(&log, mb << 20, postfix_log)?;
        let events = generated(&ndjson, mb << 20, ses_events)?;
        Ok([("postfix-log", log, lines), ("ses-events", ndjson, events)])
    };
    let big = files(size)?;
    let small = files(quarter)?;
    println!("(each row: the median of {runs} runs; anon MB: the highest peak of them)");
    println!(
        "{:<16} {:>6} {:>10} {:>8} {:>10} {:>8} {:>6} {:>8}",
        "run", "MB", "rows", "wall s", "rows/s", "µs/row", "cores", "anon MB"
    );
    let mut summary = Vec::new();
    for ((name, path, rows), (_, small_path, small_rows)) in big.iter().zip(&small) {
        let mut measured: Vec<(String, u64, &Path, u64, usize)> = threads
            .iter()
            .map(|&t| (format!("{name} t{t}"), size, path.as_path(), *rows, t))
            .collect();
        measured.push((format!("{name} t2 ¼"), quarter, small_path.as_path(), *small_rows, 2));
        let mut parts = Vec::new();
        for (label, mb, path, rows, t) in measured {
            let Cost { wall, cpu, anon_kb, .. } = median_classify(binary, path, t, runs)?;
            #[allow(clippy::cast_precision_loss)]
            let (rate, us) = (rows as f64 / wall, cpu * 1e6 / rows as f64);
            println!(
                "{:<16} {:>6} {:>10} {:>8.2} {:>10.0} {:>8.2} {:>6.2} {:>8}",
                label,
                mb,
                rows,
                wall,
                rate,
                us,
                cpu / wall,
                anon_kb / 1024
            );
            let what = if *name == "postfix-log" { "lines" } else { "events" };
            let run = label.trim_start_matches(*name).trim();
            parts.push(format!("{run} {rate:.0} {what}/s {us:.2} µs {} MB", anon_kb / 1024));
        }
        summary.push(format!("{name} {size}MB {rows} rows: {}", parts.join(", ")));
    }
    Ok(summary.join("; "))
}
