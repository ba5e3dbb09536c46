//! `cargo xtask bench [--size MB] [--real MBOX|DIR] [--threads LIST] [--compare "CMD"]`:
//! throughput, CPU per message and memory of `bounce-triage classify`, measured so that the
//! figures can be trusted and put side by side with another tool's.
//!
//! # The archive
//! Two archives are written to `target/bench/`: one of `--size` MB (default 1024) and one of a
//! quarter of that (only to see whether memory grows with the input).
//!
//! - `--real PATH`: PATH is an mbox, an `.eml` file, or a directory. From a directory every
//!   `*.mbox` and every `*.eml` below it (recursively, in path order) is gathered into one
//!   mboxrd archive: an `.eml` gets a `From MAILER-DAEMON Thu Jan  1 00:00:00 1970` separator
//!   and its body lines that start with `From ` (after any `>`) get one more `>`; CRLF and
//!   lone CR are made LF (as the shared corpora's own `corpus.mbox` files were made). A
//!   message whose text (without its separator line, line ends made LF) was already gathered
//!   is dropped, so the Sisimai `maildir/bsd`, `dos` and `mac` copies of `corpus.mbox`'s
//!   messages (and the corpus's own byte-identical fixtures) count once. That archive is
//!   then written again and again, message by message, until the size is reached (the last
//!   copy stops at the first message past it). Copy `k` is changed so that no two messages
//!   of the result are alike: `+k` before every `@` that follows a letter or digit
//!   (addresses and most ids), `k.` after the `<` of every `*Message-ID:` line, and the
//!   time in every `Date:` / `*-Date:` line moved by `(k - 1) × 61` seconds within its hour
//!   (minutes and seconds wrap without a carry, so day and weekday stay valid and 3,600
//!   copies get different times; the year is left alone for the same reason).
//! - Without `--real`, a synthetic archive from a fixed-seed generator (SplitMix64, seed
//!   `0x5eed_b0b5`), so every run writes the same bytes; its messages are about 37 s apart
//!   from 1 January 2025, in seven time zones, with correct weekdays. The mix, per 1,000
//!   messages:
//!   - 330 RFC 3464 DSNs with Postfix, Gmail, Sendmail (with a session transcript) or
//!     Yahoo-style human parts, one recipient (two or three in 15%), 55% returning the whole
//!     original as `message/rfc822`, the rest its headers as `text/rfc822-headers`;
//!   - 70 delay DSNs (4xx codes, `Will-Retry-Until`);
//!   - 110 Exim bounces (a quarter copying only the original's headers) and 50 qmail ones;
//!   - 25 Exchange Online NDRs: a quoted-printable `multipart/alternative` notice whose HTML
//!     part is 30–70 KB (styled tables, then the original's headers with the long ARC,
//!     DKIM and antispam fields that make real ones that big), a `message/delivery-status`
//!     part and the returned original;
//!   - 55 ARF complaints with the whole original;
//!   - 130 auto-replies (English, German and French ones, some with encoded-word subjects
//!     and quoted-printable UTF-8 bodies, and a phone-signed one);
//!   - 160 human replies quoting the newsletter, a third with an HTML alternative;
//!   - 40 plain notices (ticket acknowledgements, challenge-response requests);
//!   - 30 messages with a 60–240 KB base64 attachment.
//!
//!   A returned original has a realistic header block (two `Received:` hops, a folded DKIM
//!   signature, `List-Unsubscribe`) and, when it is returned whole, a
//!   `multipart/alternative` quoted-printable newsletter body of a few KB. The median
//!   message is about 4 KB (the Sisimai corpus: 2.7 KB, php-bounce: 6.3 KB), the mean about
//!   11 KB. Failure texts are put together from tables: one of 13 reasons (user unknown,
//!   mailbox full, disabled, IP block, rate limit, authentication, content, relay, routing,
//!   greylisting, size, sender policy, time-out; 104 provider phrasings in all, 7 to 12
//!   each) with one of its reply/status codes, a wrapper prefix (14), one of 5 ways to
//!   write the codes and a suffix (18); the slots are filled with addresses, hosts, IPs,
//!   tokens, URLs and numbers. The run prints how many failure texts were written, how
//!   many distinct shapes (table choices) they have, what share the ten commonest shapes
//!   hold, and the median message size.
//!
//! # The measurements
//! - Floor: MB/s of a sequential 1 MiB-buffer read of the big archive, and of `cat FILE >
//!   /dev/null` (both from the page cache: the file was just written).
//! - Start-up: the median wall time of 5 runs of `classify` on an empty file (default
//!   threads): rule compilation and process start.
//! - For each N of `--threads` (default `1,2,4,8`): `classify --quiet --format jsonl
//!   --threads N` on the big archive with stdout to /dev/null; one row per N with messages,
//!   wall s, msgs/s, CPU µs per message, cores used (CPU ÷ wall), peak anonymous and peak
//!   resident memory. Then the quarter-size archive at 2 threads.
//! - `report` (the HTML summary) and `suppress` at 2 threads on the big archive and on the
//!   quarter-size one, each written to a file: wall time as a multiple of `classify`'s at 2
//!   threads, and peak memory at both sizes (it should not follow the archive).
//! - `--compare "CMD"`: a reference command run by `sh -c` on the big archive (its path,
//!   shell-quoted, replaces `{}` in CMD, or is appended as the last argument), stdout to
//!   /dev/null, timed the same way; the row adds the ratio bounce-triage msgs/s at 2 threads
//!   ÷ reference msgs/s (2 threads are run for it if `--threads` has no 2). A reference that
//!   exits non-zero is reported with a warning.
//!
//! How: wall time from just before the spawn to the reap. CPU time and peak RSS are exact:
//! the child is reaped with `wait4(2)`, whose `rusage` holds its user and system time and
//! `ru_maxrss` (with those of any children it waited for, so a shell's pipeline counts
//! whole; for RSS the largest single process). Peak anonymous memory is sampled: a thread
//! reads `RssAnon` of the process and its descendants from `/proc/PID/status` every 10 ms,
//! summed over the tree, and keeps the largest. CPU per message includes start-up.
//!
//! Then the sources that are not mail (issue 15; `--no-sources` skips them, `cargo xtask
//! bench-sources` runs only them): a generated Postfix log and an NDJSON file of SES events of
//! `--size` MB and of a quarter of it (see `bench_sources`), `classify` at 1 and 2 threads on
//! the big ones and at 2 threads on the small ones: lines or events per second, CPU µs per row
//! and peak anonymous memory.
//!
//! The last line sums it up for pasting into a note: `bench: real 128MB 29463 msgs; t1 X
//! msgs/s Y µs/msg Z MB; …; start-up N ms; floor M MB/s[; ref R msgs/s, t2/ref Q]`
//! (Z is peak anonymous memory). Another program on the machine changes every figure: take
//! several runs on a quiet machine before quoting one.

use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

const USAGE: &str = "usage: cargo xtask bench [--size MB] [--real MBOX|DIR] [--threads LIST] \
                     [--compare \"CMD\"] [--resolve] [--no-sources]   (defaults: --size 1024 \
                     --threads 1,2,4,8)";

const SEED: u64 = 0x5eed_b0b5;

// ---------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------

struct Options {
    size_mb: u64,
    real: Option<PathBuf>,
    threads: Vec<usize>,
    compare: Option<String>,
    /// Also run `classify --resolve` at 2 threads against a local DNS responder.
    resolve: bool,
    /// Measure the log and the NDJSON archive too (`--no-sources` turns it off).
    sources: bool,
}

/// The options, or `None` for `--help`.
fn parse(args: &[String]) -> Result<Option<Options>> {
    let mut options = Options {
        size_mb: 1024,
        real: None,
        threads: vec![1, 2, 4, 8],
        compare: None,
        resolve: false,
        sources: true,
    };
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = |what: &str| -> Result<&String> {
            iter.next().with_context(|| format!("{arg} needs {what}; {USAGE}"))
        };
        match arg.as_str() {
            "--size" => {
                let text = value("a size in MB")?;
                options.size_mb = text.parse().ok().filter(|&mb| mb > 0).with_context(|| {
                    format!("--size needs a whole number of MB above 0, not `{text}`; {USAGE}")
                })?;
            }
            "--real" => options.real = Some(PathBuf::from(value("an mbox, .eml or directory")?)),
            "--threads" => {
                let text = value("a list such as 1,2,4")?;
                options.threads = text
                    .split(',')
                    .map(|n| n.trim().parse::<usize>().ok().filter(|&n| n > 0))
                    .collect::<Option<Vec<_>>>()
                    .with_context(|| format!("--threads needs numbers above 0 separated by commas, not `{text}`; {USAGE}"))?;
            }
            "--compare" => {
                let text = value("a command")?;
                if text.trim().is_empty() {
                    bail!("--compare needs a command; {USAGE}");
                }
                options.compare = Some(text.clone());
            }
            "--resolve" => options.resolve = true,
            "--no-sources" => options.sources = false,
            "-h" | "--help" => return Ok(None),
            other => bail!("unknown argument `{other}`; {USAGE}"),
        }
    }
    Ok(Some(options))
}

// ---------------------------------------------------------------------------------------
// Measuring one command
// ---------------------------------------------------------------------------------------

/// What one run of a command cost.
pub(crate) struct Cost {
    pub(crate) wall: f64,
    /// User plus system CPU seconds of the child (and the children it waited for).
    pub(crate) cpu: f64,
    /// Peak `RssAnon` over the process tree, sampled, in kB.
    pub(crate) anon_kb: u64,
    /// `ru_maxrss`, in kB.
    pub(crate) rss_kb: u64,
    /// The exit code, `None` when a signal ended it.
    pub(crate) code: Option<i32>,
}

/// Runs `command` with stdout to /dev/null, sampling its memory until it is reaped.
fn measure(command: &mut Command) -> Result<Cost> {
    command.stdout(Stdio::null());
    let start = Instant::now();
    let child = command.spawn().with_context(|| format!("cannot run {command:?}"))?;
    let pid = child.id();
    let done = AtomicBool::new(false);
    let (anon_kb, reaped) = std::thread::scope(|scope| {
        let sampler = scope.spawn(|| {
            let mut peak = 0;
            while !done.load(Ordering::Relaxed) {
                peak = tree_anon_kb(pid).max(peak);
                std::thread::sleep(Duration::from_millis(10));
            }
            peak
        });
        let reaped = reap(pid);
        let wall = start.elapsed().as_secs_f64();
        done.store(true, Ordering::Relaxed);
        (sampler.join().unwrap_or(0), reaped.map(|r| (r, wall)))
    });
    // Reaped by `wait4` already: dropping the handle neither waits nor kills.
    drop(child);
    let ((status, usage), wall) = reaped?;
    let seconds = |t: libc::timeval| {
        #[allow(clippy::cast_precision_loss)]
        let s = t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        s
    };
    Ok(Cost {
        wall,
        cpu: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        anon_kb,
        rss_kb: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
    })
}

/// Waits for the child `pid` and returns its wait status and resource usage.
#[allow(unsafe_code)]
fn reap(pid: u32) -> Result<(libc::c_int, libc::rusage)> {
    let pid = libc::pid_t::try_from(pid)?;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is a plain C struct of integers, for which all zero bytes is a value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers are to live locals the call may write; `pid` is a child of
        // this process that nothing else waits for.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            return Ok((status, usage));
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error).context("wait4");
        }
    }
}

/// `RssAnon` of `root` and all its descendants, in kB (0 once it is gone).
fn tree_anon_kb(root: u32) -> u64 {
    let mut total = 0;
    let mut stack = vec![root];
    let mut visited = 0;
    while let Some(pid) = stack.pop() {
        visited += 1;
        if visited > 10_000 {
            break;
        }
        if let Ok(text) = fs::read_to_string(format!("/proc/{pid}/status")) {
            total += text
                .lines()
                .find_map(|line| line.strip_prefix("RssAnon:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .unwrap_or(0);
        }
        let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else { continue };
        for task in tasks.flatten() {
            if let Ok(list) = fs::read_to_string(task.path().join("children")) {
                stack.extend(list.split_whitespace().filter_map(|p| p.parse::<u32>().ok()));
            }
        }
    }
    total
}

/// Reads the whole file sequentially; the time any classifier must at least take.
fn read_floor(path: &Path) -> Result<Duration> {
    let start = Instant::now();
    let mut file = File::open(path)?;
    let mut buffer = vec![0u8; 1 << 20];
    let mut sum = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        sum = sum.wrapping_add(u64::from(buffer[n - 1]));
    }
    std::hint::black_box(sum);
    Ok(start.elapsed())
}

fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

// ---------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------

/// One printed row: a label, the archive, what it cost.
struct Row {
    label: String,
    bytes: u64,
    messages: u64,
    cost: Cost,
}

impl Row {
    #[allow(clippy::cast_precision_loss)]
    fn rate(&self) -> f64 {
        self.messages as f64 / self.cost.wall
    }

    #[allow(clippy::cast_precision_loss)]
    fn micros_per_message(&self) -> f64 {
        self.cost.cpu * 1e6 / self.messages.max(1) as f64
    }

    fn print(&self) {
        println!(
            "{:<8} {:>6} {:>9} {:>8.2} {:>9.0} {:>8.1} {:>6.2} {:>8} {:>8}",
            self.label,
            self.bytes >> 20,
            self.messages,
            self.cost.wall,
            self.rate(),
            self.micros_per_message(),
            self.cost.cpu / self.cost.wall,
            self.cost.anon_kb / 1024,
            self.cost.rss_kb / 1024,
        );
    }
}

fn print_header() {
    println!(
        "{:<8} {:>6} {:>9} {:>8} {:>9} {:>8} {:>6} {:>8} {:>8}",
        "run", "MB", "messages", "wall s", "msgs/s", "µs/msg", "cores", "anon MB", "RSS MB"
    );
}

pub(crate) fn classify(binary: &Path, path: &Path, threads: usize) -> Result<Cost> {
    let cost = measure(
        Command::new(binary)
            .args(["classify", "--quiet", "--format", "jsonl", "--threads"])
            .arg(threads.to_string())
            .arg(path),
    )?;
    if cost.code != Some(0) {
        bail!("classify --threads {threads} failed on {} ({:?})", path.display(), cost.code);
    }
    Ok(cost)
}

/// `report` (the HTML summary) or `suppress` (the lists) on `path` at 2 threads, their
/// outputs written in `dir`.
fn derived(binary: &Path, command: &str, path: &Path, dir: &Path) -> Result<Cost> {
    let out = dir.join(format!("{command}.out"));
    let cost = measure(
        Command::new(binary)
            .args([command, "--quiet", "--threads", "2"])
            .arg(path)
            .arg("-o")
            .arg(&out),
    )?;
    if cost.code != Some(0) {
        bail!("{command} failed on {} ({:?})", path.display(), cost.code);
    }
    Ok(cost)
}

/// A ratio with three significant digits or so.
fn significant(x: f64) -> String {
    match x.abs() {
        v if v >= 100.0 => format!("{x:.0}"),
        v if v >= 10.0 => format!("{x:.1}"),
        v if v >= 1.0 => format!("{x:.2}"),
        _ => format!("{x:.3}"),
    }
}

#[allow(clippy::cast_precision_loss)]
fn mb_per_s(bytes: u64, seconds: f64) -> f64 {
    bytes as f64 / 1_048_576.0 / seconds
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    let Some(options) = parse(args)? else {
        println!("{USAGE}");
        return Ok(());
    };
    let binary = crate::build_binary(true)?;
    let dir = crate::target_dir().join("bench");
    fs::create_dir_all(&dir)?;
    let quarter_mb = options.size_mb.div_ceil(4).max(1);

    // The archives.
    let (kind, big, small) = match &options.real {
        Some(source) => {
            let gathered = gather(source)?;
            let template = Template::new(&gathered.mbox);
            let big = dir.join(format!("real-{}MB.mbox", options.size_mb));
            let small = dir.join(format!("real-{quarter_mb}MB.mbox"));
            let (messages, copies) = template.replicate(&big, options.size_mb << 20)?;
            let (small_messages, _) = template.replicate(&small, quarter_mb << 20)?;
            println!(
                "archive: {}: {} mbox and {} .eml files, {} messages read, {} duplicates dropped, {} distinct ({} KB, median message {:.1} KB); {copies} copies begun",
                source.display(),
                gathered.mbox_files,
                gathered.eml_files,
                gathered.read,
                gathered.read - template.messages,
                template.messages,
                gathered.mbox.len() >> 10,
                template.median_kb(),
            );
            ("real", (big, messages), (small, small_messages))
        }
        None => {
            let big = dir.join(format!("archive-{}MB.mbox", options.size_mb));
            let small = dir.join(format!("archive-{quarter_mb}MB.mbox"));
            let stats = generate(&big, options.size_mb << 20)?;
            let small_stats = generate(&small, quarter_mb << 20)?;
            println!(
                "archive: synthetic, seed {SEED:#x}: median message {:.1} KB; {} failure texts, {} distinct shapes, the 10 commonest {:.2}% of them",
                stats.median_kb(),
                stats.failures,
                stats.shapes.len(),
                stats.top_ten_share()
            );
            ("synthetic", (big, stats.messages), (small, small_stats.messages))
        }
    };
    let (big, messages) = big;
    let bytes = fs::metadata(&big)?.len();
    println!("archive file: {} ({} MB, {messages} messages)", big.display(), bytes >> 20);

    // The floor.
    let read = mb_per_s(bytes, read_floor(&big)?.as_secs_f64());
    let cat = measure(Command::new("cat").arg(&big)).ok().filter(|c| c.code == Some(0));
    match &cat {
        Some(cat) => {
            println!("floor: read {read:.0} MB/s, cat {:.0} MB/s", mb_per_s(bytes, cat.wall))
        }
        None => println!("floor: read {read:.0} MB/s (cat did not run)"),
    }

    // Start-up.
    let empty = dir.join("empty.mbox");
    File::create(&empty)?;
    let mut startups = Vec::new();
    for _ in 0..5 {
        let cost = measure(
            Command::new(&binary).args(["classify", "--quiet", "--format", "jsonl"]).arg(&empty),
        )?;
        if cost.code != Some(0) {
            bail!("classify failed on an empty file ({:?})", cost.code);
        }
        startups.push(cost.wall);
    }
    startups.sort_by(f64::total_cmp);
    let startup_ms = startups[startups.len() / 2] * 1000.0;
    println!("start-up: {startup_ms:.0} ms (median of 5 on an empty file)");

    // Threads (2 among them when a reference is compared).
    let mut counts = options.threads.clone();
    if options.compare.is_some() && !counts.contains(&2) {
        counts.push(2);
    }
    print_header();
    let mut rows = Vec::new();
    for threads in counts {
        let cost = classify(&binary, &big, threads)?;
        let row = Row { label: format!("t{threads}"), bytes, messages, cost };
        row.print();
        rows.push(row);
    }
    let (small, small_messages) = small;
    let small_row = Row {
        label: "t2 ¼".to_owned(),
        bytes: fs::metadata(&small)?.len(),
        messages: small_messages,
        cost: classify(&binary, &small, 2)?,
    };
    small_row.print();

    // `report` and `suppress` on both archives at 2 threads: their time against classify's
    // (the 2-thread row, or its own run) and whether memory follows the archive.
    let classify_t2 = match rows.iter().find(|r| r.label == "t2") {
        Some(row) => row.cost.wall,
        None => classify(&binary, &big, 2)?.wall,
    };
    let mut command_part = String::new();
    for command in ["report", "suppress"] {
        for (label, path, count) in [("", &big, messages), (" ¼", &small, small_messages)] {
            let cost = derived(&binary, command, path, &dir)?;
            let row = Row {
                label: format!("{command}{label}"),
                bytes: fs::metadata(path)?.len(),
                messages: count,
                cost,
            };
            row.print();
            if label.is_empty() {
                write!(
                    command_part,
                    "; {command} {:.2}× classify {} MB",
                    row.cost.wall / classify_t2,
                    row.cost.anon_kb / 1024
                )?;
            } else {
                write!(command_part, " (¼: {} MB)", row.cost.anon_kb / 1024)?;
            }
        }
    }

    // The reference.
    let mut reference_part = String::new();
    if let Some(command) = &options.compare {
        let quoted = shell_quote(&big);
        let line = if command.contains("{}") {
            command.replace("{}", &quoted)
        } else {
            format!("{command} {quoted}")
        };
        let cost = measure(Command::new("sh").arg("-c").arg(&line))?;
        if cost.code != Some(0) {
            println!("warning: the reference `{line}` ended with {:?}", cost.code);
        }
        let row = Row { label: "ref".to_owned(), bytes, messages, cost };
        row.print();
        let ours = rows.iter().find(|r| r.label == "t2").map_or(0.0, Row::rate);
        let ratio = significant(ours / row.rate());
        println!("reference: sh -c {line:?}; bounce-triage t2 msgs/s ÷ reference msgs/s = {ratio}");
        reference_part = format!("; ref {:.0} msgs/s, t2/ref {ratio}", row.rate());
    }

    // A resolved run against a local responder: what --resolve adds.
    let mut resolve_part = String::new();
    if options.resolve {
        let responder = crate::bench_dns::Responder::start()?;
        let server = responder.address.to_string();
        let cost = measure(
            Command::new(&binary)
                .args(["classify", "--quiet", "--format", "jsonl", "--threads", "2"])
                .args(["--resolve", "--dns-server", &server])
                .arg(&big),
        )?;
        let queries = responder.queries.load(Ordering::Relaxed);
        responder.stop();
        if cost.code != Some(0) {
            bail!("classify --resolve failed on {} ({:?})", big.display(), cost.code);
        }
        let row = Row { label: "t2 dns".to_owned(), bytes, messages, cost };
        row.print();
        let plain = match rows.iter().find(|r| r.label == "t2") {
            Some(plain) => plain.cost.wall,
            None => classify(&binary, &big, 2)?.wall,
        };
        let added = row.cost.wall - plain;
        #[allow(clippy::cast_precision_loss)]
        let rate = queries as f64 / row.cost.wall;
        println!(
            "resolve: {queries} DNS queries for {messages} messages; {rate:.0} lookups/s over the run; added wall time {added:.2} s ({:+.1}%) against t2",
            added / plain * 100.0
        );
        resolve_part = format!("; resolve {queries} queries, {rate:.0} lookups/s, {added:+.2} s");
    }

    // The log and the NDJSON archive (issue 15), at the same size and a quarter of it.
    let mut sources_part = String::new();
    if options.sources {
        println!();
        let sources = crate::bench_sources::bench(
            &binary,
            &dir,
            options.size_mb,
            &[1, 2],
            crate::bench_sources::RUNS,
        )?;
        sources_part = format!("; {sources}");
    }

    // The line to paste.
    let mut summary = format!("bench: {kind} {}MB {messages} msgs", bytes >> 20);
    for row in &rows {
        write!(
            summary,
            "; {} {:.0} msgs/s {:.0} µs/msg {} MB",
            row.label,
            row.rate(),
            row.micros_per_message(),
            row.cost.anon_kb / 1024
        )?;
    }
    write!(
        summary,
        "{command_part}; start-up {startup_ms:.0} ms; floor {read:.0} MB/s{reference_part}{resolve_part}{sources_part}"
    )?;
    println!("{summary}");
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Real archives
// ---------------------------------------------------------------------------------------

/// Every distinct message found under a path, as one mboxrd archive.
struct Gathered {
    mbox: Vec<u8>,
    mbox_files: usize,
    eml_files: usize,
    read: u64,
}

const SEPARATOR: &[u8] = b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n";

fn gather(source: &Path) -> Result<Gathered> {
    let mut files = Vec::new();
    if source.is_dir() {
        walk(source, &mut files)?;
        files.sort();
    } else {
        files.push(source.to_path_buf());
    }
    let mut gathered = Gathered { mbox: Vec::new(), mbox_files: 0, eml_files: 0, read: 0 };
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    for file in &files {
        let raw = fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        let text = lf_only(&raw);
        let is_eml = file.extension().is_some_and(|e| e.eq_ignore_ascii_case("eml"))
            || !text.starts_with(b"From ");
        let messages = if is_eml {
            gathered.eml_files += 1;
            vec![escaped_eml(&text)]
        } else {
            gathered.mbox_files += 1;
            split_mbox(&text)
        };
        for message in messages {
            gathered.read += 1;
            let body = message.splitn(2, |&b| b == b'\n').nth(1).unwrap_or_default();
            let end = body.iter().rposition(|&b| b != b'\n').map_or(0, |i| i + 1);
            if seen.insert(body[..end].to_vec()) {
                gathered.mbox.extend_from_slice(&message);
                let missing = 2 - message.iter().rev().take(2).take_while(|&&b| b == b'\n').count();
                gathered.mbox.extend(std::iter::repeat_n(b'\n', missing));
            }
        }
    }
    if gathered.mbox.is_empty() {
        bail!("{} holds no message (no mbox with `From ` lines, no .eml file)", source.display());
    }
    Ok(gathered)
}

/// Every `*.mbox` and `*.eml` file under `dir`.
fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, files)?;
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("mbox") || e.eq_ignore_ascii_case("eml"))
        {
            files.push(path);
        }
    }
    Ok(())
}

/// CRLF and lone CR made LF.
fn lf_only(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter().peekable();
    while let Some(&b) = bytes.next() {
        if b == b'\r' {
            if bytes.peek() != Some(&&b'\n') {
                out.push(b'\n');
            }
        } else {
            out.push(b);
        }
    }
    out
}

/// One `.eml` as an mboxrd message: a separator line, `>From ` escaping.
fn escaped_eml(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 64);
    out.extend_from_slice(SEPARATOR);
    for line in text.split_inclusive(|&b| b == b'\n') {
        let unquoted = line.iter().position(|&b| b != b'>').map_or(&[][..], |i| &line[i..]);
        if unquoted.starts_with(b"From ") {
            out.push(b'>');
        }
        out.extend_from_slice(line);
    }
    out
}

/// The messages of an mbox, each from its `From ` line to the next.
fn split_mbox(text: &[u8]) -> Vec<Vec<u8>> {
    let mut messages: Vec<Vec<u8>> = Vec::new();
    for line in text.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"From ") {
            messages.push(Vec::new());
        }
        if let Some(message) = messages.last_mut() {
            message.extend_from_slice(line);
        }
    }
    messages
}

/// A piece of the archive to copy: bytes kept as they are, or where copy `k` puts its mark.
enum Piece {
    Bytes(usize, usize),
    /// `+k` (before an `@`).
    Address,
    /// `k.` (after the `<` of a Message-ID).
    Id,
    /// `MM:SS` of a date, as seconds into the hour.
    Time(u32),
}

/// The gathered archive cut where each copy differs.
struct Template<'a> {
    source: &'a [u8],
    pieces: Vec<Piece>,
    /// The index in `pieces` where each message starts.
    starts: Vec<usize>,
    messages: u64,
    sizes: Vec<usize>,
}

impl<'a> Template<'a> {
    fn new(source: &'a [u8]) -> Self {
        let mut pieces = Vec::new();
        let mut starts = Vec::new();
        let mut kept = 0;
        let mut sizes = Vec::new();
        let mut start = 0;
        for line in source.split_inclusive(|&b| b == b'\n') {
            let at = start;
            start += line.len();
            if line.starts_with(b"From ") {
                if at > kept {
                    pieces.push(Piece::Bytes(kept, at));
                    kept = at;
                }
                starts.push(pieces.len());
                sizes.push(0);
            }
            if let Some(size) = sizes.last_mut() {
                *size += line.len();
            }
            // (position, bytes replaced, piece), in line order.
            let mut marks: Vec<(usize, usize, Piece)> = Vec::new();
            let name = header_name(line);
            if name.is_some_and(|n| ends_with_ignore_case(n, b"message-id")) {
                if let Some(i) = line.iter().position(|&b| b == b'<') {
                    marks.push((i + 1, 0, Piece::Id));
                }
            }
            if name.is_some_and(|n| {
                n.eq_ignore_ascii_case(b"date") || ends_with_ignore_case(n, b"-date")
            }) {
                if let Some((i, seconds)) = clock(line) {
                    marks.push((i + 3, 5, Piece::Time(seconds)));
                }
            }
            for i in 1..line.len() {
                if line[i] == b'@' && line[i - 1].is_ascii_alphanumeric() {
                    marks.push((i, 0, Piece::Address));
                }
            }
            marks.sort_by_key(|m| m.0);
            for (position, replaced, piece) in marks {
                pieces.push(Piece::Bytes(kept, at + position));
                pieces.push(piece);
                kept = at + position + replaced;
            }
        }
        pieces.push(Piece::Bytes(kept, source.len()));
        sizes.sort_unstable();
        Template { source, pieces, messages: starts.len() as u64, starts, sizes }
    }

    fn median_kb(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let kb = self.sizes.get(self.sizes.len() / 2).copied().unwrap_or(0) as f64 / 1024.0;
        kb
    }

    /// Writes copies to `path`, message by message, until it holds `target` bytes; returns
    /// the messages written and the copies begun (the last one may stop short).
    fn replicate(&self, path: &Path, target: u64) -> Result<(u64, u64)> {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
        let mut message = Vec::with_capacity(1 << 16);
        let (mut written, mut messages, mut copies) = (0u64, 0u64, 0u64);
        'copies: loop {
            copies += 1;
            let shift = u32::try_from((copies - 1) * 61 % 3600).unwrap_or(0);
            for (i, &first) in self.starts.iter().enumerate() {
                let end = self.starts.get(i + 1).copied().unwrap_or(self.pieces.len());
                message.clear();
                for piece in &self.pieces[first..end] {
                    match *piece {
                        Piece::Bytes(from, to) => message.extend_from_slice(&self.source[from..to]),
                        Piece::Address => write!(message, "+{copies}")?,
                        Piece::Id => write!(message, "{copies}.")?,
                        Piece::Time(seconds) => {
                            let t = (seconds + shift) % 3600;
                            write!(message, "{:02}:{:02}", t / 60, t % 60)?;
                        }
                    }
                }
                out.write_all(&message)?;
                written += message.len() as u64;
                messages += 1;
                if written >= target {
                    break 'copies;
                }
            }
        }
        out.flush()?;
        Ok((messages, copies))
    }
}

/// The field name of a header line (`Name:` with letters, digits and `-` only).
fn header_name(line: &[u8]) -> Option<&[u8]> {
    let colon = line.iter().position(|&b| b == b':')?;
    let name = &line[..colon];
    (!name.is_empty() && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-'))
        .then_some(name)
}

fn ends_with_ignore_case(text: &[u8], suffix: &[u8]) -> bool {
    text.len() >= suffix.len() && text[text.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

/// The first `HH:MM:SS` in the line: where it starts and its minutes and seconds as seconds.
fn clock(line: &[u8]) -> Option<(usize, u32)> {
    let digit = |i: usize| line.get(i).filter(|b| b.is_ascii_digit()).map(|b| u32::from(b - b'0'));
    (0..line.len().saturating_sub(7)).find_map(|i| {
        let (_h1, _h2) = (digit(i)?, digit(i + 1)?);
        if line[i + 2] != b':' || line[i + 5] != b':' {
            return None;
        }
        let minutes = digit(i + 3)? * 10 + digit(i + 4)?;
        let seconds = digit(i + 6)? * 10 + digit(i + 7)?;
        (minutes < 60 && seconds < 60).then_some((i, minutes * 60 + seconds))
    })
}

// ---------------------------------------------------------------------------------------
// The synthetic archive
// ---------------------------------------------------------------------------------------

/// A small deterministic generator (SplitMix64).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.below(len as u64)).unwrap_or(0)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// `len` characters from `alphabet`.
    fn chars(&mut self, len: usize, alphabet: &[u8]) -> String {
        (0..len).map(|_| char::from(alphabet[self.index(alphabet.len())])).collect()
    }

    fn token(&mut self, len: usize) -> String {
        self.chars(len, b"abcdefghijklmnopqrstuvwxyz0123456789")
    }

    fn base64(&mut self, len: usize) -> String {
        self.chars(len, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    }

    fn hex(&mut self, len: usize) -> String {
        self.chars(len, b"0123456789abcdef")
    }
}

const DOMAINS: [&str; 32] = [
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "hotmail.co.uk",
    "live.com",
    "yahoo.com",
    "yahoo.com",
    "yahoo.co.jp",
    "aol.com",
    "icloud.com",
    "me.com",
    "gmx.de",
    "web.de",
    "t-online.de",
    "orange.fr",
    "free.fr",
    "libero.it",
    "mail.ru",
    "yandex.ru",
    "qq.com",
    "163.com",
    "naver.com",
    "comcast.net",
    "att.net",
    "btinternet.com",
    "corp.example",
    "mail.example.org",
    "uni.example.edu",
    "shop.example.net",
];

const SENDERS: [(&str, &str); 8] = [
    ("Example News", "news.example.com"),
    ("Example Shop", "shop.example"),
    ("Example Alerts", "alerts.example.net"),
    ("Example Community", "community.example.org"),
    ("Example Billing", "billing.example.com"),
    ("Example Travel", "travel.example"),
    ("Example Jobs", "jobs.example.net"),
    ("Example Weekly", "weekly.example.com"),
];

const FIRST: [&str; 24] = [
    "anna", "ben", "chloe", "david", "emma", "felix", "grace", "hugo", "ines", "jack", "kate",
    "liam", "maria", "noah", "olga", "pierre", "quinn", "rosa", "sam", "tara", "uma", "victor",
    "wei", "yuki",
];

const LAST: [&str; 20] = [
    "smith", "garcia", "mueller", "rossi", "tanaka", "kim", "nguyen", "silva", "dubois", "novak",
    "jensen", "kowalski", "ivanov", "chen", "patel", "brown", "lopez", "schmidt", "moreau", "sato",
];

const WORDS: [&str; 64] = [
    "the",
    "new",
    "season",
    "offer",
    "members",
    "update",
    "account",
    "weekend",
    "collection",
    "free",
    "delivery",
    "today",
    "your",
    "order",
    "event",
    "tickets",
    "report",
    "community",
    "latest",
    "stories",
    "from",
    "our",
    "team",
    "product",
    "launch",
    "price",
    "limited",
    "time",
    "discover",
    "more",
    "about",
    "how",
    "we",
    "help",
    "you",
    "save",
    "plan",
    "travel",
    "city",
    "guide",
    "best",
    "ideas",
    "for",
    "this",
    "month",
    "and",
    "with",
    "every",
    "week",
    "news",
    "exclusive",
    "early",
    "access",
    "join",
    "thousands",
    "readers",
    "who",
    "already",
    "follow",
    "local",
    "market",
    "trends",
    "insights",
    "tips",
];

const SUBJECTS: [&str; 12] = [
    "Your {month} newsletter",
    "{num}% off everything this weekend",
    "Order #{num} has shipped",
    "Reset your password",
    "Weekly digest: {word} and {word}",
    "Invitation: {word} meetup on {month} {day}",
    "Your receipt from {brand}",
    "Last chance: {word} {word} ends tonight",
    "Welcome to {brand}",
    "{brand} account update",
    "New {word} alerts for you",
    "Reminder: your {word} plan renews soon",
];

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

const URLS: [&str; 8] = [
    "https://support.google.com/mail/?p=NoSuchUser",
    "https://support.google.com/mail/answer/{num}",
    "https://postmaster.example.net/errors/{token}",
    "https://sender.office.com/",
    "https://aka.ms/EXOSmtpErrors",
    "https://help.yahoo.com/kb/postmaster/SLN{num}.html",
    "https://www.spamhaus.org/query/ip/{ip}",
    "https://mx.{domain}/policy/{token}",
];

const RBLS: [&str; 6] = [
    "zen.spamhaus.org",
    "bl.spamcop.net",
    "b.barracudacentral.org",
    "dnsbl.sorbs.net",
    "psbl.surriel.com",
    "bl.mailspike.net",
];

/// One reason a message fails: the codes it comes with and how providers say it.
struct Reason {
    codes: &'static [(&'static str, &'static str)],
    texts: &'static [&'static str],
}

const REASONS: [Reason; 13] = [
    Reason {
        codes: &[("550", "5.1.1"), ("550", "5.1.1"), ("550", "5.1.10"), ("553", "5.1.1"), ("554", "5.1.1"), ("550", "5.0.0"), ("450", "4.1.1")],
        texts: &[
            "The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces.",
            "<{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table",
            "<{rcpt}>: Recipient address rejected: User unknown in local recipient table",
            "RESOLVER.ADR.RecipNotFound; not found",
            "Recipient not found by SMTP address lookup",
            "Requested action not taken: mailbox unavailable",
            "No such user here",
            "{local}... User unknown",
            "sorry, no mailbox here by that name. (#5.1.1)",
            "user does not exist",
            "This user doesn't have a {domain} account ({rcpt}) [{num}]",
            "Invalid recipient <{rcpt}>",
        ],
    },
    Reason {
        codes: &[("552", "5.2.2"), ("452", "4.2.2"), ("550", "5.2.2"), ("522", "5.7.1")],
        texts: &[
            "The email account that you tried to reach is over quota. Please direct the recipient to {url}",
            "Mailbox full",
            "mailbox is full: retry timeout exceeded",
            "Quota exceeded (mailbox for user is full)",
            "user is over quota",
            "Requested mail action aborted: exceeded storage allocation",
            "The user's mailbox is full ({num} bytes of {num} used)",
            "Insufficient system storage",
            "<{rcpt}>: mailbox size limit exceeded",
        ],
    },
    Reason {
        codes: &[("550", "5.2.1"), ("550", "5.2.1"), ("554", "5.2.1"), ("550", "5.1.6")],
        texts: &[
            "The email account that you tried to reach is disabled.",
            "This mailbox is disabled ({num})",
            "Account has been suspended",
            "mailbox inactive",
            "user account is expired",
            "Recipient address rejected: Inactive user",
            "This account has been closed. {url}",
            "The account {rcpt} has been locked for inactivity",
        ],
    },
    Reason {
        codes: &[("550", "5.7.1"), ("554", "5.7.1"), ("550", "5.7.606"), ("421", "4.7.0"), ("554", "5.7.0")],
        texts: &[
            "Messages from [{ip}] weren't sent. Part of their network is on our block list (S3150).",
            "Service unavailable; Client host [{ip}] blocked using {rbl}",
            "Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to {domain}, this message has been blocked.",
            "Mail from IP {ip} was rejected due to listing in Spamhaus SBL",
            "JunkMail rejected - {host} [{ip}]:{port} is in an RBL",
            "{ip} is listed in {rbl}",
            "Access denied, banned sender [{ip}]",
            "Client host rejected: cannot find your reverse hostname, [{ip}]",
            "IP address {ip} has been blocked due to poor reputation",
            "Connection rejected by policy [{token}] {num}",
        ],
    },
    Reason {
        codes: &[("421", "4.7.28"), ("450", "4.7.0"), ("451", "4.7.1"), ("421", "4.7.0"), ("554", "5.7.1")],
        texts: &[
            "Our system has detected an unusual rate of unsolicited mail originating from your IP address.",
            "Too many connections from your IP ({ip})",
            "Rate limited, try again later",
            "[TS01] Messages from {ip} temporarily deferred due to user complaints",
            "Temporarily deferred due to unexpected volume or user complaints - {ip}",
            "Message deferred: too many messages from your domain",
            "Sending rate for {sdom} exceeded, slow down",
        ],
    },
    Reason {
        codes: &[("550", "5.7.26"), ("550", "5.7.25"), ("550", "5.7.27"), ("550", "5.7.23"), ("550", "5.7.509")],
        texts: &[
            "Unauthenticated email from {sdom} is not accepted due to domain's DMARC policy.",
            "This message does not have authentication information or fails to pass authentication checks (SPF or DKIM).",
            "SPF check failed for {sdom}: {ip} is not allowed to send",
            "DKIM signature verification failed",
            "Access denied, sending domain {sdom} does not pass DMARC verification",
            "The IP address sending this message does not have a PTR record setup",
            "Sender {sdom} failed SPF ({ip}), see {url}",
        ],
    },
    Reason {
        codes: &[("554", "5.7.1"), ("550", "5.7.350"), ("550", "5.7.1"), ("552", "5.7.0")],
        texts: &[
            "[HM08] Message rejected due to local policy",
            "Message rejected as spam by Content Filtering",
            "Message content rejected, UBE, id={token}",
            "This message was blocked because its content presents a potential security issue.",
            "Spam message rejected",
            "Your message looks like spam ({score} points)",
            "URL in message is blacklisted ({url})",
            "Message rejected: Attachment type not allowed",
        ],
    },
    Reason {
        codes: &[("550", "5.7.1"), ("554", "5.7.1"), ("550", "5.4.1"), ("553", "5.7.1")],
        texts: &[
            "relaying denied for {rcpt}",
            "Relay access denied",
            "Recipient address rejected: Access denied",
            "we do not relay",
            "Unable to relay for {rcpt}",
            "<{rcpt}>: Relay access denied",
            "not permitted to relay through this server",
        ],
    },
    Reason {
        codes: &[("550", "5.1.2"), ("550", "5.4.4"), ("451", "4.4.1"), ("554", "5.4.7"), ("556", "5.1.10")],
        texts: &[
            "Host or domain name not found. Name service error for name={domain} type=MX: Host not found",
            "Domain {domain} does not accept mail (nullMX)",
            "connect to {host}[{ip}]:25: Connection timed out",
            "No route to host",
            "unrouteable mail domain \"{domain}\"",
            "all relevant MX records point to non-existent hosts",
            "connect to {host}[{ip}]:25: Connection refused",
            "lost connection with {host}[{ip}] while receiving the initial server greeting",
        ],
    },
    Reason {
        codes: &[("451", "4.7.1"), ("450", "4.2.0"), ("451", "4.3.0"), ("450", "4.7.1")],
        texts: &[
            "Greylisted, please try again in {num} seconds",
            "Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/{domain}.html",
            "Try again later",
            "Service temporarily unavailable",
            "Temporary local problem - please try later",
            "Greylisting in action, please come back later",
            "Mailbox temporarily unavailable",
        ],
    },
    Reason {
        codes: &[("452", "4.5.3"), ("552", "5.3.4"), ("552", "5.2.3"), ("554", "5.3.4")],
        texts: &[
            "Too many recipients",
            "Message size exceeds fixed maximum message size ({num} bytes)",
            "Message too big",
            "Message size exceeds limit",
            "Error: message file too big",
            "Too many recipients for this message, max {num}",
            "Message exceeds maximum fixed size of {num} bytes",
        ],
    },
    Reason {
        codes: &[("550", "5.7.0"), ("553", "5.1.8"), ("550", "5.7.606"), ("550", "5.1.7")],
        texts: &[
            "Access denied, banned sending IP [{ip}]. To request removal from this list please visit https://sender.office.com/",
            "Sender address rejected: Domain not found",
            "Sender address rejected: not owned by user {local}",
            "Your access to this mail system has been rejected due to the sending MTA's poor reputation.",
            "Mail rejected by policy",
            "<bounces@{sdom}>: Sender address rejected: Access denied",
            "Sender verify failed",
        ],
    },
    Reason {
        codes: &[("451", "4.4.7"), ("421", "4.4.2"), ("550", "4.4.7"), ("451", "4.4.0")],
        texts: &[
            "delivery temporarily suspended: connect to {host}[{ip}]:25: Connection timed out",
            "Message delayed",
            "retry timeout exceeded",
            "The recipient server did not accept our requests to connect.",
            "Message expired, unable to deliver in {num} minutes",
            "conversation with {host}[{ip}] timed out while sending end of data",
            "Connection dropped",
        ],
    },
];

const PREFIXES: [&str; 14] = [
    "",
    "",
    "",
    "",
    "host {host}[{ip}] said: ",
    "Remote host said: ",
    "{host} rejected: ",
    "SMTP error from remote mail server after RCPT TO:<{rcpt}>: ",
    "Server {host} replied: ",
    "The error that the other server returned was: ",
    "<{rcpt}>: ",
    "RCPT TO:<{rcpt}> ",
    "[{ip}] ",
    "mx: {host}: ",
];

const SUFFIXES: [&str; 18] = [
    "",
    "",
    "",
    " (in reply to RCPT TO command)",
    " (in reply to end of DATA command)",
    " (in reply to MAIL FROM command)",
    " {token} - gsmtp",
    " [{host}]",
    " (S{num})",
    " Please visit {url} for more information.",
    " id={token}",
    " AUP#{aup}",
    " [{token}.{domain}]",
    " - see {url}",
    " (mode: normal)",
    " Learn more at {url}",
    " ({qid})",
    " [{host} {num}]",
];

/// The facts of one message that its text is filled from.
struct Ctx {
    date: String,
    time: i64,
    rcpt: String,
    local: String,
    domain: &'static str,
    host: String,
    ip: String,
    brand: &'static str,
    sdom: &'static str,
    subject: String,
    original_id: String,
}

/// A failure: its codes, its text and the table choices behind the text.
struct Failure {
    reply: &'static str,
    status: &'static str,
    text: String,
}

/// What `generate` wrote.
struct Synthetic {
    messages: u64,
    sizes: Vec<u32>,
    failures: u64,
    shapes: HashMap<u64, u64>,
}

impl Synthetic {
    fn median_kb(&self) -> f64 {
        let mut sizes = self.sizes.clone();
        sizes.sort_unstable();
        f64::from(sizes.get(sizes.len() / 2).copied().unwrap_or(0)) / 1024.0
    }

    fn top_ten_share(&self) -> f64 {
        let mut counts: Vec<u64> = self.shapes.values().copied().collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        #[allow(clippy::cast_precision_loss)]
        let share =
            counts.iter().take(10).sum::<u64>() as f64 * 100.0 / self.failures.max(1) as f64;
        share
    }
}

/// Writes an archive of about `bytes` bytes to `path`.
fn generate(path: &Path, bytes: u64) -> Result<Synthetic> {
    generate_seeded(path, bytes, SEED)
}

/// Writes an archive of about `bytes` bytes to `path` from the random stream `seed`; returns
/// how many messages it holds.
pub(crate) fn generate_messages(path: &Path, bytes: u64, seed: u64) -> Result<u64> {
    Ok(generate_seeded(path, bytes, seed)?.messages)
}

fn generate_seeded(path: &Path, bytes: u64, seed: u64) -> Result<Synthetic> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut rng = Rng(seed);
    let mut stats =
        Synthetic { messages: 0, sizes: Vec::new(), failures: 0, shapes: HashMap::new() };
    let mut written = 0u64;
    let mut message = String::with_capacity(1 << 18);
    while written < bytes {
        stats.messages += 1;
        message.clear();
        one_message(&mut rng, stats.messages, &mut message, &mut stats)?;
        escape_from_lines(&mut message);
        out.write_all(message.as_bytes())?;
        written += message.len() as u64;
        stats.sizes.push(u32::try_from(message.len()).unwrap_or(u32::MAX));
    }
    out.flush()?;
    Ok(stats)
}

/// mboxrd: one more `>` before every line after the separator that starts with `>*From `.
fn escape_from_lines(message: &mut String) {
    let Some(first) = message.find('\n') else { return };
    let needs =
        message[first + 1..].lines().any(|l| l.trim_start_matches('>').starts_with("From "));
    if !needs {
        return;
    }
    let mut escaped = String::with_capacity(message.len() + 16);
    escaped.push_str(&message[..=first]);
    for line in message[first + 1..].split_inclusive('\n') {
        if line.trim_start_matches('>').starts_with("From ") {
            escaped.push('>');
        }
        escaped.push_str(line);
    }
    *message = escaped;
}

/// Days since 1970-01-01 as (year, month 1–12, day).
fn civil(days: i64) -> (i64, usize, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, usize::try_from(month).unwrap_or(1), day)
}

/// (weekday, day, month, year, hh, mm, ss) of a Unix time.
fn parts(time: i64) -> (&'static str, i64, &'static str, i64, i64, i64, i64) {
    let days = time.div_euclid(86_400);
    let second = time.rem_euclid(86_400);
    let (year, month, day) = civil(days);
    let weekday = DAYS[usize::try_from((days + 4).rem_euclid(7)).unwrap_or(0)];
    (weekday, day, MONTHS[month - 1], year, second / 3600, second / 60 % 60, second % 60)
}

/// An RFC 5322 date in the zone `offset` minutes east of UTC.
fn rfc5322(time: i64, offset: i64) -> String {
    let (weekday, day, month, year, h, m, s) = parts(time + offset * 60);
    let sign = if offset < 0 { '-' } else { '+' };
    let offset = offset.abs();
    format!(
        "{weekday}, {day} {month} {year} {h:02}:{m:02}:{s:02} {sign}{:02}{:02}",
        offset / 60,
        offset % 60
    )
}

/// The mbox separator line of a message from `sender` at `time` (UTC, asctime).
fn separator(sender: &str, time: i64, m: &mut String) -> fmt::Result {
    let (weekday, day, month, year, h, mi, s) = parts(time);
    writeln!(m, "From {sender} {weekday} {month} {day:>2} {h:02}:{mi:02}:{s:02} {year}")
}

/// Fills the `{slots}` of a table text.
fn fill(template: &str, rng: &mut Rng, c: &Ctx) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else { break };
        let name = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        match name {
            "rcpt" => out.push_str(&c.rcpt),
            "local" => out.push_str(&c.local),
            "domain" => out.push_str(c.domain),
            "host" => out.push_str(&c.host),
            "ip" => out.push_str(&c.ip),
            "sdom" => out.push_str(c.sdom),
            "brand" => out.push_str(c.brand),
            "port" => out.push_str("25"),
            "num" => out.push_str(&rng.below(100_000).to_string()),
            "day" => out.push_str(&(1 + rng.below(28)).to_string()),
            "aup" => out.push_str(&(10_000 + rng.below(90_000)).to_string()),
            "score" => out.push_str(&format!("{}.{}", 5 + rng.below(20), rng.below(10))),
            "token" => {
                let len = 8 + rng.index(10);
                out.push_str(&rng.token(len));
            }
            "qid" => out.push_str(&rng.chars(11, b"0123456789ABCDEF")),
            "word" => out.push_str(rng.pick::<&str>(&WORDS)),
            "month" => out.push_str(rng.pick::<&str>(&MONTHS)),
            "rbl" => out.push_str(rng.pick::<&str>(&RBLS)),
            "url" => {
                let url = *rng.pick(&URLS);
                let filled = fill(url, rng, c);
                out.push_str(&filled);
            }
            other => {
                out.push('{');
                out.push_str(other);
                out.push('}');
            }
        }
    }
    out.push_str(rest);
    out
}

/// A failure text from the tables; `temporary` keeps to 4xx codes.
fn failure(rng: &mut Rng, c: &Ctx, temporary: bool, stats: &mut Synthetic) -> Failure {
    let (class, code) = loop {
        let class = rng.index(REASONS.len());
        let codes = REASONS[class].codes;
        let code = rng.index(codes.len());
        if !temporary || codes[code].0.starts_with('4') {
            break (class, code);
        }
    };
    let reason = &REASONS[class];
    let (reply, status) = reason.codes[code];
    let text = rng.index(reason.texts.len());
    let prefix = rng.index(PREFIXES.len());
    let form = rng.index(5);
    let suffix = rng.index(SUFFIXES.len());
    let shape =
        [class, code, text, prefix, form, suffix].iter().fold(0u64, |k, &i| k * 64 + i as u64);
    *stats.shapes.entry(shape).or_default() += 1;
    stats.failures += 1;
    let codes = match form {
        0 => format!("{reply} {status} "),
        1 => format!("{reply}-{status} "),
        2 => format!("{reply} "),
        3 => format!("{status} "),
        _ => format!("{reply} #{status} "),
    };
    let body = fill(reason.texts[text], rng, c);
    let prefix = fill(PREFIXES[prefix], rng, c);
    let suffix = fill(SUFFIXES[suffix], rng, c);
    Failure { reply, status, text: format!("{prefix}{codes}{body}{suffix}") }
}

/// `text` folded for a header field at about 76 columns.
fn fold(text: &str, start: usize) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut column = start;
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            if column + 1 + word.len() > 76 && column > 30 {
                out.push_str("\n    ");
                column = 4;
            } else {
                out.push(' ');
                column += 1;
            }
        }
        out.push_str(word);
        column += word.len();
    }
    out
}

/// Quoted-printable (RFC 2045): lines at most 76 characters, soft breaks `=`.
fn quoted_printable(text: &str, out: &mut String) -> fmt::Result {
    for line in text.split_terminator('\n') {
        let bytes = line.as_bytes();
        let mut column = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let last = i + 1 == bytes.len();
            let encode = b == b'='
                || b >= 127
                || (b < 32 && b != b'\t')
                || (last && (b == b' ' || b == b'\t'));
            let width = if encode { 3 } else { 1 };
            if column + width > 75 {
                out.push_str("=\n");
                column = 0;
            }
            if encode {
                write!(out, "={b:02X}")?;
            } else {
                out.push(char::from(b));
            }
            column += width;
        }
        out.push('\n');
    }
    Ok(())
}

fn sentence(rng: &mut Rng) -> String {
    let words = 6 + rng.index(14);
    let mut s = String::new();
    for i in 0..words {
        let word = *rng.pick(&WORDS);
        if i == 0 {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                s.extend(first.to_uppercase());
                s.push_str(chars.as_str());
            }
        } else {
            s.push(' ');
            s.push_str(word);
        }
    }
    s.push('.');
    s
}

/// Paragraphs of `sentences` sentences each, as plain text lines wrapped at 72.
fn paragraphs(rng: &mut Rng, count: usize) -> Vec<String> {
    (0..count)
        .map(|_| {
            let sentences = 2 + rng.index(5);
            (0..sentences).map(|_| sentence(rng)).collect::<Vec<_>>().join(" ")
        })
        .collect()
}

fn wrap(text: &str, width: usize, prefix: &str, out: &mut String) {
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            out.push_str(prefix);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(prefix);
        out.push_str(&line);
        out.push('\n');
    }
}

/// The newsletter that bounced: its header block, and with `body` its MIME body.
fn original(rng: &mut Rng, c: &Ctx, n: u64, body: bool, m: &mut String) -> fmt::Result {
    let app = rng.below(40);
    let sender_ip = format!("203.0.113.{}", 1 + rng.below(250));
    let offset = *rng.pick(&[0, 0, -300, 60, 540]);
    let date = rfc5322(c.time - 5 - i64::try_from(rng.below(600)).unwrap_or(0), offset);
    writeln!(
        m,
        "Return-Path: <bounces+{n}-{}@{}>\nReceived: from app{app}.{sdom} (app{app}.{sdom} [{sender_ip}])\n\tby mta{}.{sdom} (Postfix) with ESMTPS id {}\n\tfor <{}>; {date}\nReceived: by app{app}.{sdom} with HTTP; {date}",
        rng.hex(8),
        c.sdom,
        rng.below(8),
        rng.chars(10, b"0123456789ABCDEF"),
        c.rcpt,
        sdom = c.sdom,
    )?;
    write!(
        m,
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={};\n\ts=s{}; t={}; bh={}=;\n\th=From:To:Subject:Date:Message-ID:List-Unsubscribe:MIME-Version;\n\tb=",
        c.sdom,
        1 + rng.below(3),
        c.time,
        rng.base64(43)
    )?;
    let signature = rng.base64(342);
    for (i, chunk) in signature.as_bytes().chunks(70).enumerate() {
        if i > 0 {
            m.push_str("\n\t ");
        }
        m.push_str(std::str::from_utf8(chunk).unwrap_or(""));
    }
    let token = rng.token(24);
    write!(
        m,
        "==\nFrom: {brand} <news@{sdom}>\nTo: {rcpt}\nSubject: {subject}\nDate: {date}\nMessage-ID: {id}\nList-Unsubscribe: <https://{sdom}/u/{token}>, <mailto:unsub-{token}@{sdom}>\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\nX-Campaign-ID: camp-{}\nX-Mailer: Example Mailer {}.{}\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"=_alt{n}\"\n\n",
        rng.below(400),
        1 + rng.below(4),
        rng.below(20),
        brand = c.brand,
        sdom = c.sdom,
        rcpt = c.rcpt,
        subject = c.subject,
        id = c.original_id,
    )?;
    if !body {
        return Ok(());
    }
    let count = 3 + rng.index(6);
    let paras = paragraphs(rng, count);
    let mut plain = format!("Hello {},\n\n", c.local);
    for p in &paras {
        wrap(p, 72, "", &mut plain);
        plain.push('\n');
    }
    writeln!(plain, "Unsubscribe: https://{}/u/{token}", c.sdom)?;
    write!(m, "--=_alt{n}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n")?;
    quoted_printable(&plain, m)?;
    let mut html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body style=\"margin:0;padding:0;background:#f4f4f4\">\n<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" style=\"max-width:600px;margin:0 auto;background:#ffffff\">\n",
        c.subject
    );
    for p in &paras {
        writeln!(html, "<tr><td style=\"padding:12px 24px;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:22px;color:#333333\">{p}</td></tr>")?;
        if rng.chance(40) {
            writeln!(html, "<tr><td align=\"center\" style=\"padding:8px 24px\"><a href=\"https://{}/c/{}\" style=\"display:inline-block;padding:10px 18px;background:#0b5fff;color:#ffffff;text-decoration:none;border-radius:4px\">Read more</a></td></tr>", c.sdom, rng.token(20))?;
        }
    }
    writeln!(html, "<tr><td style=\"padding:16px 24px;font-size:11px;color:#999999\">You receive this because you subscribed at {sdom}. <a href=\"https://{sdom}/u/{token}\">Unsubscribe</a></td></tr>\n</table>\n<img src=\"https://{sdom}/o/{}.gif\" width=\"1\" height=\"1\" alt=\"\">\n</body></html>", rng.token(32), sdom = c.sdom)?;
    write!(m, "\n--=_alt{n}\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n")?;
    quoted_printable(&html, m)?;
    writeln!(m, "\n--=_alt{n}--")
}

/// The receiving side's MX host for a domain.
fn mx_host(rng: &mut Rng, domain: &str) -> String {
    match domain {
        "gmail.com" | "googlemail.com" => {
            if rng.chance(50) {
                "gmail-smtp-in.l.google.com".to_owned()
            } else {
                format!("alt{}.gmail-smtp-in.l.google.com", 1 + rng.below(4))
            }
        }
        "outlook.com" | "hotmail.com" | "hotmail.co.uk" | "live.com" => {
            format!("{}.olc.protection.outlook.com", domain.replace('.', "-"))
        }
        "yahoo.com" | "yahoo.co.jp" | "aol.com" => {
            format!("mta{}.am0.yahoodns.net", 5 + rng.below(3))
        }
        _ => {
            if rng.chance(50) {
                format!("mx{}.{domain}", rng.below(4))
            } else {
                format!("mail.{domain}")
            }
        }
    }
}

fn one_message(rng: &mut Rng, n: u64, m: &mut String, stats: &mut Synthetic) -> Result<()> {
    let time = 1_735_689_600 + i64::try_from(n * 37 + rng.below(30)).unwrap_or(0);
    let offset = *rng.pick(&[0, 0, 0, 60, 120, -300, -420, 540, 330]);
    let domain = *rng.pick(&DOMAINS);
    let (first, last) = (*rng.pick(&FIRST), *rng.pick(&LAST));
    let local = match rng.below(5) {
        0 => format!("{first}.{last}"),
        1 => format!("{first}{}", rng.below(10_000)),
        2 => format!("{}{last}", &first[..1]),
        3 => format!("{first}_{last}{}", rng.below(100)),
        _ => format!("{last}.{first}{}", rng.below(1000)),
    };
    let (brand, sdom) = *rng.pick(&SENDERS);
    let mut c = Ctx {
        date: rfc5322(time, offset),
        time,
        rcpt: format!("{local}@{domain}"),
        local,
        domain,
        host: mx_host(rng, domain),
        ip: format!("198.51.{}.{}", rng.below(256), 1 + rng.below(254)),
        brand,
        sdom,
        subject: String::new(),
        original_id: String::new(),
    };
    let subject = *rng.pick(&SUBJECTS);
    c.subject = fill(subject, rng, &c);
    c.original_id = format!("<{}.{n}.{}@{sdom}>", c.time - 60, rng.token(12));
    let kind = rng.below(1000);
    let daemon = if kind < 640 { "MAILER-DAEMON" } else { c.rcpt.as_str() };
    separator(daemon, time, m)?;
    match kind {
        0..=329 => dsn(rng, &c, n, false, m, stats)?,
        330..=399 => dsn(rng, &c, n, true, m, stats)?,
        400..=509 => exim(rng, &c, n, m, stats)?,
        510..=559 => qmail(rng, &c, n, m, stats)?,
        560..=584 => exchange(rng, &c, n, m, stats)?,
        585..=639 => complaint(rng, &c, n, m)?,
        640..=769 => auto_reply(rng, &c, n, m)?,
        770..=929 => human_reply(rng, &c, n, m)?,
        930..=969 => notice(rng, &c, n, m)?,
        _ => attachment(rng, &c, n, m)?,
    }
    m.push('\n');
    Ok(())
}

/// An RFC 3464 report; `delay` makes it a warning with 4xx codes.
fn dsn(
    rng: &mut Rng,
    c: &Ctx,
    n: u64,
    delay: bool,
    m: &mut String,
    stats: &mut Synthetic,
) -> fmt::Result {
    let recipients = match rng.below(20) {
        0 => 3,
        1..=2 => 2,
        _ => 1,
    };
    let failures: Vec<(String, Failure)> = (0..recipients)
        .map(|r| {
            let who = if r == 0 {
                c.rcpt.clone()
            } else {
                format!("{}.{}{}@{}", rng.pick(&FIRST), rng.pick(&LAST), rng.below(999), c.domain)
            };
            (who, failure(rng, c, delay, stats))
        })
        .collect();
    let style = rng.below(4);
    let mta = match style {
        1 => "mail-sor-f41.google.com".to_owned(),
        _ => format!("mta{}.{}", rng.below(8), c.sdom),
    };
    let (from, subject) = match (style, delay) {
        (_, true) => {
            ("MAILER-DAEMON@{mta} (Mail Delivery System)", "Delayed Mail (still being retried)")
        }
        (1, false) => (
            "Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
            "Delivery Status Notification (Failure)",
        ),
        (2, false) => (
            "Mail Delivery Subsystem <MAILER-DAEMON@{mta}>",
            "Returned mail: see transcript for details",
        ),
        (3, false) => ("MAILER-DAEMON@{mta}", "Failure Notice"),
        _ => ("MAILER-DAEMON@{mta} (Mail Delivery System)", "Undelivered Mail Returned to Sender"),
    };
    let from = from.replace("{mta}", &mta);
    let boundary = format!("{}/{mta}", rng.hex(12));
    writeln!(
        m,
        "Return-Path: <>\nDelivered-To: bounces@{sdom}\nReceived: by mta{}.{sdom} (Postfix)\n\tid {}; {date}\nDate: {date}\nFrom: {from}\nSubject: {subject}\nTo: <bounces+{n}@{sdom}>\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"{boundary}\"\nContent-Transfer-Encoding: 8bit\nMessage-Id: <{}.{n}@{mta}>\n\nThis is a MIME-encapsulated message.\n\n--{boundary}\nContent-Description: Notification\nContent-Type: text/plain; charset=us-ascii",
        rng.below(8),
        rng.chars(10, b"0123456789ABCDEF"),
        rng.hex(16),
        sdom = c.sdom,
        date = c.date,
    )?;
    match (style, delay) {
        (_, true) => {
            write!(m, "\nThis is the mail system at host {mta}.\n\n####################################################################\n# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n####################################################################\n\nYour message could not be delivered for more than {} hour(s).\nIt will be retried until it is 5 day(s) old.\n\nFor further assistance, please send mail to postmaster.\n\n                   The mail system\n\n", 1 + rng.below(24))?;
            for (who, f) in &failures {
                writeln!(m, "<{who}>: {}", f.text)?;
            }
        }
        (1, false) => {
            let (who, f) = &failures[0];
            writeln!(m, "\n** Address not found **\n\nYour message wasn't delivered to {who} because the address couldn't be found, or is unable to receive mail.\n\nLearn more here: https://support.google.com/mail/?p=NoSuchUser\n\nThe response from the remote server was:\n{}", f.text)?;
        }
        (2, false) => {
            writeln!(m, "\nThe original message was received at {}\nfrom app{}.{} [203.0.113.{}]\n\n   ----- The following addresses had permanent fatal errors -----", c.date, rng.below(40), c.sdom, 1 + rng.below(250))?;
            for (who, f) in &failures {
                writeln!(m, "<{who}>\n    (reason: {} {})", f.reply, f.status)?;
            }
            writeln!(m, "\n   ----- Transcript of session follows -----\n... while talking to {}.:\n>>> MAIL From:<bounces+{n}@{}> SIZE={}\n<<< 250 2.1.0 Ok", c.host, c.sdom, 2000 + rng.below(90_000))?;
            for (who, f) in &failures {
                writeln!(
                    m,
                    ">>> RCPT To:<{who}>\n<<< {} {}\n{} {who}... {}",
                    f.reply,
                    f.text,
                    f.reply,
                    if f.reply.starts_with('4') { "Deferred" } else { "User unknown" }
                )?;
            }
            m.push_str("<<< 503 5.5.1 No recipients specified\n");
        }
        (3, false) => {
            m.push_str(
                "\nSorry, we were unable to deliver your message to the following address.\n\n",
            );
            for (who, f) in &failures {
                write!(m, "<{who}>:\n{}\n\n", f.text)?;
            }
        }
        _ => {
            write!(m, "\nThis is the mail system at host {mta}.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients. It's attached below.\n\nFor further assistance, please send mail to postmaster.\n\nIf you do so, please include this problem report. You can\ndelete your own text from the attached returned message.\n\n                   The mail system\n\n")?;
            for (who, f) in &failures {
                writeln!(m, "<{who}>: host {}[{}] said: {}", c.host, c.ip, f.text)?;
            }
        }
    }
    writeln!(m, "\n--{boundary}\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; {mta}\nX-Postfix-Queue-ID: {}\nX-Postfix-Sender: rfc822; bounces+{n}@{}\nArrival-Date: {}", rng.chars(10, b"0123456789ABCDEF"), c.sdom, c.date)?;
    for (who, f) in &failures {
        let action = if delay { "delayed" } else { "failed" };
        let diagnostic = fold(&format!("smtp; {}", f.text), 17);
        writeln!(m, "\nFinal-Recipient: rfc822; {who}\nOriginal-Recipient: rfc822;{who}\nAction: {action}\nStatus: {}\nRemote-MTA: dns; {}\nDiagnostic-Code: {diagnostic}", f.status, c.host)?;
        if delay {
            writeln!(m, "Will-Retry-Until: {}", rfc5322(c.time + 432_000, 0))?;
        }
    }
    let whole = !delay && rng.chance(55);
    if whole {
        write!(m, "\n--{boundary}\nContent-Description: Undelivered Message\nContent-Type: message/rfc822\nContent-Transfer-Encoding: 8bit\n\n")?;
    } else {
        write!(m, "\n--{boundary}\nContent-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\n\n")?;
    }
    original(rng, c, n, whole, m)?;
    writeln!(m, "\n--{boundary}--")
}

fn exim(rng: &mut Rng, c: &Ctx, n: u64, m: &mut String, stats: &mut Synthetic) -> fmt::Result {
    let f = failure(rng, c, false, stats);
    let host = format!("mx{}.{}", rng.below(4), c.sdom);
    let headers_only = rng.chance(25);
    write!(
        m,
        "Return-path: <>\nEnvelope-to: bounces+{n}@{sdom}\nDelivery-date: {date}\nReceived: from mail by {host} with local (Exim 4.{})\n\tid 1{}-000{}-{}\n\tfor bounces+{n}@{sdom}; {date}\nX-Failed-Recipients: {rcpt}\nAuto-Submitted: auto-replied\nFrom: Mail Delivery System <Mailer-Daemon@{host}>\nTo: bounces+{n}@{sdom}\nContent-Type: text/plain; charset=us-ascii\nSubject: Mail delivery failed: returning message to sender\nMessage-Id: <E1{}-{}@{host}>\nDate: {date}\n\nThis message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n  {rcpt}\n    host {} [{}]\n    {}\n\n",
        90 + rng.below(8),
        rng.token(5),
        rng.below(10),
        rng.token(2),
        rng.token(12),
        rng.token(6),
        c.host,
        c.ip,
        fold(&f.text, 4),
        sdom = c.sdom,
        date = c.date,
        rcpt = c.rcpt,
    )?;
    if headers_only {
        m.push_str("------ This is a copy of the message's headers. ------\n\n");
    } else {
        m.push_str("------ This is a copy of the message, including all the headers. ------\n\n");
    }
    original(rng, c, n, !headers_only, m)
}

fn qmail(rng: &mut Rng, c: &Ctx, n: u64, m: &mut String, stats: &mut Synthetic) -> fmt::Result {
    let f = failure(rng, c, false, stats);
    write!(
        m,
        "Return-Path: <>\nDate: {date}\nFrom: MAILER-DAEMON@qmail.{sdom}\nTo: bounces+{n}@{sdom}\nSubject: failure notice\n\nHi. This is the qmail-send program at qmail.{sdom}.\nI'm afraid I wasn't able to deliver your message to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n<{rcpt}>:\n{ip} does not like recipient.\nRemote host said: {}\nGiving up on {ip}.\n\n--- Below this line is a copy of the message.\n\n",
        f.text,
        date = c.date,
        sdom = c.sdom,
        rcpt = c.rcpt,
        ip = c.ip,
    )?;
    original(rng, c, n, true, m)
}

/// An Exchange Online non-delivery report.
fn exchange(rng: &mut Rng, c: &Ctx, n: u64, m: &mut String, stats: &mut Synthetic) -> fmt::Result {
    let f = failure(rng, c, false, stats);
    let server = format!(
        "{}{}PR{:02}MB{:04}.namprd{:02}.prod.outlook.com",
        rng.pick(&["BN", "CH", "DM", "SN", "PH", "CY", "SA", "MW"]),
        1 + rng.below(9),
        rng.below(20),
        rng.below(10_000),
        1 + rng.below(20)
    );
    let outer = format!("_{}_", rng.hex(24));
    let inner = format!("_{}_", rng.hex(24));
    let id = format!("{}-{}-{}-{}-{}", rng.hex(8), rng.hex(4), rng.hex(4), rng.hex(4), rng.hex(12));
    write!(
        m,
        "Return-Path: <>\nFrom: Microsoft Outlook\n\t<MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@{sdom}>\nTo: <bounces+{n}@{sdom}>\nDate: {date}\nContent-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"{outer}\"\nContent-Language: en-US\nMessage-ID: <{id}@{server}>\nIn-Reply-To: {orig}\nReferences: {orig}\nThread-Topic: {subject}\nThread-Index: {}\nSubject: Undeliverable: {subject}\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\nX-MS-Exchange-Message-Is-Ndr:\nX-MS-PublicTrafficType: Email\nX-MS-TrafficTypeDiagnostic: {server}:EE_\nX-MS-Exchange-Organization-SCL: -1\nX-MS-Exchange-CrossTenant-Network-Message-Id: {}-{}-{}-{}-{}\n\n--{outer}\nContent-Type: multipart/alternative; differences=Content-Type;\n\tboundary=\"{inner}\"\n\n--{inner}\nContent-Type: text/plain; charset=\"us-ascii\"\nContent-Transfer-Encoding: quoted-printable\n\n",
        rng.base64(32),
        rng.hex(8),
        rng.hex(4),
        rng.hex(4),
        rng.hex(4),
        rng.hex(12),
        sdom = c.sdom,
        date = c.date,
        orig = c.original_id,
        subject = c.subject,
    )?;
    let plain = format!(
        "Your message to {rcpt} couldn't be delivered.\n\n{local} wasn't found at {domain}.\n\nbounces    Office 365    {local}\nAction Required                Recipient\n\nUnknown To address\n\nHow to Fix It\nThe address may be misspelled or may not exist. Try one or more of the following:\n\n  *   Send the message again following these steps: In Outlook, open this non-delivery report (NDR) and choose Send Again from the Report ribbon. In Outlook on the web, select this NDR, then select the link \"To send this message again, click here.\" Then delete and retype the entire recipient address.\n  *   Retype the recipient's address, then send the message again.\n\nWas this helpful? Send feedback to Microsoft<https://go.microsoft.com/fwlink/?LinkId={num}>.\n\nMore Info for Email Admins\nStatus code: {status}\n\nThis error occurs because the sender sent a message to an email address outside of Office 365, but the address is incorrect or doesn't exist at the destination domain.\n\nOriginal Message Details\nCreated Date:    {date}\nSender Address:    bounces+{n}@{sdom}\nRecipient Address:    {rcpt}\nSubject:    {subject}\n\nError Details\nReported error:    {reply} {status} {text}\nDSN generated by:    {server}\nRemote server:    {host}\n",
        rcpt = c.rcpt,
        local = c.local,
        domain = c.domain,
        num = 400_000 + rng.below(99_999),
        status = f.status,
        date = c.date,
        sdom = c.sdom,
        subject = c.subject,
        reply = f.reply,
        text = f.text,
        host = c.host,
    );
    quoted_printable(&plain, m)?;
    write!(m, "\n--{inner}\nContent-Type: text/html; charset=\"us-ascii\"\nContent-Transfer-Encoding: quoted-printable\n\n")?;
    let target = 30_000 + rng.index(40_000);
    let html = exchange_html(rng, c, &f, &server, n, target)?;
    quoted_printable(&html, m)?;
    write!(
        m,
        "\n--{inner}--\n\n--{outer}\nContent-Type: message/delivery-status\n\nReporting-MTA: dns;{server}\nReceived-From-MTA: dns;app{}.{sdom}\nArrival-Date: {date}\n\nFinal-Recipient: rfc822;{rcpt}\nAction: failed\nStatus: {status}\nRemote-MTA: dns;{host}\nDiagnostic-Code: {diagnostic}\n\n--{outer}\nContent-Type: message/rfc822\n\n",
        rng.below(40),
        sdom = c.sdom,
        date = c.date,
        rcpt = c.rcpt,
        status = f.status,
        host = c.host,
        diagnostic = fold(&format!("smtp;{} {} {}", f.reply, f.status, f.text), 17),
    )?;
    original(rng, c, n, true, m)?;
    writeln!(m, "\n--{outer}--")
}

/// The HTML part of an Exchange NDR, about `target` bytes before encoding.
fn exchange_html(
    rng: &mut Rng,
    c: &Ctx,
    f: &Failure,
    server: &str,
    n: u64,
    target: usize,
) -> Result<String, fmt::Error> {
    const CELL: &str = "font-family:'Segoe UI',Frutiger,'Frutiger Linotype','Dejavu Sans','Helvetica Neue',Arial,sans-serif;font-size:14px;color:#333333;padding:0 0 0 8px";
    let mut h = String::with_capacity(target + 4096);
    h.push_str("<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=us-ascii\">\n<style>\n.mso-style { font-family:'Segoe UI'; }\nbody { margin:0; }\ntable { border-collapse:collapse; }\n.header { font-size:28px; color:#c00000; }\n.action { font-size:16px; color:#000000; font-weight:600; }\n.footer { font-size:11px; color:#666666; }\n</style>\n</head>\n<body dir=\"ltr\" lang=\"en\">\n<div style=\"font-family:'Segoe UI',Frutiger,'Frutiger Linotype','Dejavu Sans','Helvetica Neue',Arial,sans-serif;font-size:14px;width:100%;max-width:640px\">\n");
    writeln!(h, "<table style=\"width:100%;border-collapse:collapse\" cellpadding=\"0\" cellspacing=\"0\"><tr><td style=\"{CELL}\"><span style=\"font-size:15px;color:#000000\">Your message to <a href=\"mailto:{rcpt}\" style=\"color:#0072c6\">{rcpt}</a> couldn't be delivered.</span></td></tr></table>", rcpt = c.rcpt)?;
    let rows = [
        format!("<b>{}</b> wasn't found at <b>{}</b>.", c.local, c.domain),
        "Action Required".to_owned(),
        "Unknown To address".to_owned(),
        "How to Fix It".to_owned(),
        "The address may be misspelled or may not exist. Try one or more of the following:".to_owned(),
        "Send the message again following these steps: In Outlook, open this non-delivery report (NDR) and choose <b>Send Again</b> from the Report ribbon.".to_owned(),
        "Retype the recipient's address, then send the message again.".to_owned(),
        "If the problem continues, forward this message to your email admin.".to_owned(),
    ];
    for row in &rows {
        writeln!(h, "<table style=\"width:100%;border-collapse:collapse;margin-top:12px\" cellpadding=\"0\" cellspacing=\"0\"><tr><td style=\"{CELL};border-left:4px solid #c00000\"><p style=\"margin:0;padding:4px 0;line-height:20px\">{row}</p></td><td style=\"{CELL};width:20%;text-align:right\"><span style=\"font-size:12px;color:#666666\">Office 365</span></td></tr></table>")?;
    }
    write!(h, "<br>\n<b>Diagnostic information for administrators:</b><br>\n<br>\nGenerating server: {server}<br>\n<br>\n{rcpt}<br>\nRemote Server returned '{} {} {}'<br>\n<br>\n<b>Original message headers:</b><br>\n<br>\n<pre style=\"font-family:Consolas,'Courier New',monospace;font-size:12px\">", f.reply, f.status, f.text.replace('<', "&lt;").replace('>', "&gt;"), rcpt = c.rcpt)?;
    let hops = 4 + rng.below(6);
    for hop in 0..hops {
        writeln!(h, "Received: from {}{}PR{:02}CA{:04}.namprd{:02}.prod.outlook.com (2603:10b6:{}::{})\n by {server} (2603:10b6:{}::{}) with Microsoft SMTP Server (version=TLS1_2,\n cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.{}.{}; {}", rng.pick(&["BN", "CH", "DM", "SN"]), hop, rng.below(20), rng.below(10_000), 1 + rng.below(20), rng.hex(3), rng.hex(2), rng.hex(3), rng.hex(2), 7000 + rng.below(999), rng.below(99), c.date)?;
    }
    writeln!(h, "ARC-Seal: i=1; a=rsa-sha256; s=arcselector{}; d=microsoft.com; cv=none;\n b={}\nARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=microsoft.com;\n s=arcselector{}; h=From:Date:Subject:Message-ID:Content-Type:MIME-Version;\n bh={}=;\n b={}\nDKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={sdom}; s=s1;\n bh={}=; b={}\nFrom: {} &lt;news@{sdom}&gt;\nTo: {}\nSubject: {}\nDate: {}\nMessage-ID: {}\nReturn-Path: bounces+{n}@{sdom}\nX-MS-Exchange-Organization-Network-Message-Id: {}-{}-{}\nX-MS-Exchange-Organization-AuthSource: {server}\nX-MS-Exchange-Organization-AuthAs: Anonymous\nX-MS-Office365-Filtering-Correlation-Id: {}-{}-{}\nX-Forefront-Antispam-Report: CIP:{};CTRY:US;LANG:en;SCL:1;SRV:;IPV:NLI;SFV:NSPM;H:{sdom};PTR:{sdom};CAT:NONE;SFS:({});DIR:INB;\nX-Microsoft-Antispam: BCL:{};\nX-MS-Exchange-AntiSpam-MessageData-ChunkCount: 1",
        9999 + rng.below(90_000),
        rng.base64(344),
        9999 + rng.below(90_000),
        rng.base64(43),
        rng.base64(344),
        rng.base64(43),
        rng.base64(344),
        c.brand,
        c.rcpt,
        c.subject,
        c.date,
        c.original_id.replace('<', "&lt;").replace('>', "&gt;"),
        rng.hex(8),
        rng.hex(4),
        rng.hex(12),
        rng.hex(8),
        rng.hex(4),
        rng.hex(12),
        c.ip,
        rng.below(999_999),
        rng.below(9),
        sdom = c.sdom,
    )?;
    // Two long base64 fields fill the part up to `target` (78 bytes a line for 76 of blob).
    for (left, name) in
        [(2, "X-Microsoft-Antispam-Message-Info"), (1, "X-MS-Exchange-AntiSpam-MessageData-0")]
    {
        let room = target.saturating_sub(h.len() + 80) / left * 76 / 78;
        let blob = rng.base64(room.max(400));
        writeln!(h, "{name}:")?;
        for chunk in blob.as_bytes().chunks(76) {
            h.push(' ');
            h.push_str(std::str::from_utf8(chunk).unwrap_or(""));
            h.push('\n');
        }
    }
    h.push_str("</pre>\n</div>\n</body>\n</html>\n");
    Ok(h)
}

fn complaint(rng: &mut Rng, c: &Ctx, n: u64, m: &mut String) -> fmt::Result {
    let reporter =
        *rng.pick(&["fbl.yahoo.com", "feedback.mail.ru", "fbl.comcast.net", "abuse.example.org"]);
    write!(
        m,
        "Return-Path: <>\nFrom: <feedback@{reporter}>\nTo: <fbl@{sdom}>\nDate: {date}\nSubject: FW: {subject}\nMessage-ID: <{}.{n}@{reporter}>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report;\n\tboundary=\"F{n}_{}\"\n\n--F{n}_{}\nContent-Type: text/plain; charset=us-ascii\n\nThis is an email abuse report for an email message received from IP {ip} on {date}.\nFor more information about this format please see http://www.mipassoc.org/arf/.\n\n",
        rng.hex(16),
        c.time,
        c.time,
        sdom = c.sdom,
        date = c.date,
        subject = c.subject,
        ip = c.ip,
    )?;
    write!(
        m,
        "--F{n}_{t}\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: {reporter}/{}.0\nVersion: 1\nOriginal-Mail-From: <bounces+{n}@{sdom}>\nOriginal-Rcpt-To: <{rcpt}>\nArrival-Date: {date}\nReported-Domain: {sdom}\nSource-IP: {ip}\nAuthentication-Results: {reporter}; spf=pass smtp.mailfrom={sdom}; dkim=pass header.d={sdom}\n\n--F{n}_{t}\nContent-Type: message/rfc822\nContent-Disposition: inline\n\n",
        1 + rng.below(5),
        t = c.time,
        sdom = c.sdom,
        rcpt = c.rcpt,
        date = c.date,
        ip = c.ip,
    )?;
    original(rng, c, n, true, m)?;
    writeln!(m, "\n--F{n}_{}--", c.time)
}

fn auto_reply(rng: &mut Rng, c: &Ctx, n: u64, m: &mut String) -> fmt::Result {
    let back = format!("{} {}", 1 + rng.below(28), rng.pick(&MONTHS));
    let (subject, body, qp) = match rng.below(4) {
        0 => (
            format!("Automatic reply: {}", c.subject),
            format!("Hello,\n\nThank you for your message. I am out of the office until {back} with limited access to email.\nFor urgent matters please contact desk{}@{}.\n\nBest regards,\n{}\n", rng.below(100), c.domain, c.local),
            false,
        ),
        1 => (
            format!("Abwesenheitsnotiz: {}", c.subject),
            format!("Guten Tag,\n\nvielen Dank f\u{fc}r Ihre Nachricht. Ich bin bis zum {back} nicht im B\u{fc}ro und habe keinen Zugriff auf meine E-Mails.\nIn dringenden F\u{e4}llen wenden Sie sich bitte an zentrale{}@{}.\n\nMit freundlichen Gr\u{fc}\u{df}en\n{}\n", rng.below(100), c.domain, c.local),
            true,
        ),
        2 => (
            format!("=?UTF-8?Q?R=C3=A9ponse_automatique=3A?= {}", c.subject),
            format!("Bonjour,\n\nJe suis absent(e) jusqu'au {back}. Votre message ne sera pas transf\u{e9}r\u{e9}.\nPour toute urgence, contactez accueil{}@{}.\n\nCordialement,\n{}\n", rng.below(100), c.domain, c.local),
            true,
        ),
        _ => (
            format!("Out of Office: {}", c.subject),
            format!("I'm currently travelling and will respond to your email when I return on {back}.\n\n{}\n\n-- \n{}\nSent from my phone\n", sentence(rng), c.local),
            false,
        ),
    };
    writeln!(
        m,
        "Return-Path: <{rcpt}>\nReceived: from {host} ({host} [{ip}])\n\tby mx{}.{sdom} (Postfix) with ESMTPS id {}\n\tfor <bounces+{n}@{sdom}>; {date}\nFrom: {local} <{rcpt}>\nTo: <bounces+{n}@{sdom}>\nSubject: {subject}\nDate: {date}\nMessage-ID: <{}@{domain}>\nIn-Reply-To: {orig}\nReferences: {orig}\nAuto-Submitted: auto-replied\nX-Autoreply: yes\nPrecedence: bulk\nMIME-Version: 1.0",
        rng.below(4),
        rng.chars(10, b"0123456789ABCDEF"),
        rng.token(20),
        rcpt = c.rcpt,
        host = c.host,
        ip = c.ip,
        sdom = c.sdom,
        date = c.date,
        local = c.local,
        domain = c.domain,
        orig = c.original_id,
    )?;
    if qp {
        m.push_str("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n");
        quoted_printable(&body, m)
    } else {
        m.push_str("Content-Type: text/plain; charset=us-ascii\n\n");
        m.push_str(&body);
        Ok(())
    }
}

fn human_reply(rng: &mut Rng, c: &Ctx, n: u64, m: &mut String) -> fmt::Result {
    let mut text = String::new();
    for _ in 0..1 + rng.below(3) {
        wrap(&sentence(rng), 72, "", &mut text);
    }
    if rng.chance(30) {
        text.push_str("Please unsubscribe me from this list.\n");
    }
    writeln!(
        text,
        "\n{}\n\nOn {}, {} <news@{}> wrote:",
        c.local,
        rfc5322(c.time - 86_400, 0),
        c.brand,
        c.sdom
    )?;
    let count = 2 + rng.index(5);
    for p in paragraphs(rng, count) {
        wrap(&p, 72, "> ", &mut text);
        text.push_str(">\n");
    }
    writeln!(
        m,
        "Return-Path: <{rcpt}>\nReceived: from {host} ({host} [{ip}])\n\tby mx{}.{sdom} (Postfix) with ESMTPS id {}\n\tfor <news@{sdom}>; {date}\nFrom: {local} <{rcpt}>\nTo: {brand} <news@{sdom}>\nSubject: Re: {subject}\nDate: {date}\nMessage-ID: <{}@{domain}>\nIn-Reply-To: {orig}\nReferences: {orig}\nMIME-Version: 1.0",
        rng.below(4),
        rng.chars(10, b"0123456789ABCDEF"),
        rng.token(24),
        rcpt = c.rcpt,
        host = c.host,
        ip = c.ip,
        sdom = c.sdom,
        date = c.date,
        local = c.local,
        brand = c.brand,
        subject = c.subject,
        domain = c.domain,
        orig = c.original_id,
    )?;
    if rng.chance(35) {
        write!(m, "Content-Type: multipart/alternative; boundary=\"r{n}\"\n\n--r{n}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n")?;
        quoted_printable(&text, m)?;
        let html = format!(
            "<html><body><div dir=\"ltr\">{}</div></body></html>\n",
            text.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('\n', "<br>\n")
        );
        write!(m, "\n--r{n}\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n")?;
        quoted_printable(&html, m)?;
        writeln!(m, "\n--r{n}--")
    } else {
        m.push_str("Content-Type: text/plain; charset=utf-8\n\n");
        m.push_str(&text);
        Ok(())
    }
}

/// A plain message that is no bounce: a ticket acknowledgement or a challenge.
fn notice(rng: &mut Rng, c: &Ctx, n: u64, m: &mut String) -> fmt::Result {
    let ticket = 100_000 + rng.below(900_000);
    let (subject, body) = if rng.chance(50) {
        (
            format!("[Ticket #{ticket}] {}", c.subject),
            format!("Dear customer,\n\nWe have received your request and a ticket (#{ticket}) has been opened.\nOur team will get back to you within 2 business days.\n\n{}\n\nKind regards,\nSupport at {}\n", sentence(rng), c.domain),
        )
    } else {
        (
            "Please confirm your message".to_owned(),
            format!("Hello,\n\nI protect my inbox with a challenge-response filter. To have your message to {} delivered,\nplease visit https://verify.{}/c/{} and confirm you are a person.\n\nThank you.\n", c.rcpt, c.domain, rng.token(32)),
        )
    };
    write!(
        m,
        "Return-Path: <noreply@{domain}>\nFrom: <noreply@{domain}>\nTo: <bounces+{n}@{sdom}>\nSubject: {subject}\nDate: {date}\nMessage-ID: <{}.{n}@{domain}>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n{body}",
        rng.token(16),
        domain = c.domain,
        sdom = c.sdom,
        date = c.date,
    )
}

/// A message with a large base64 attachment.
fn attachment(rng: &mut Rng, c: &Ctx, n: u64, m: &mut String) -> fmt::Result {
    write!(
        m,
        "From: {local} <{rcpt}>\nTo: news@{sdom}\nSubject: report {n}\nDate: {date}\nMessage-ID: <{}@{domain}>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"A{n}\"\n\n--A{n}\nContent-Type: text/plain\n\nSee attached.\n\n--A{n}\nContent-Type: application/pdf; name=\"report-{n}.pdf\"\nContent-Disposition: attachment; filename=\"report-{n}.pdf\"\nContent-Transfer-Encoding: base64\n\n",
        rng.token(20),
        local = c.local,
        rcpt = c.rcpt,
        sdom = c.sdom,
        date = c.date,
        domain = c.domain,
    )?;
    let lines = 1000 + rng.below(3000);
    for _ in 0..lines {
        let a = rng.next();
        let b = rng.next();
        writeln!(m, "{a:016x}{b:016x}{:016x}{:012x}", a ^ b, b >> 16)?;
    }
    writeln!(m, "\n--A{n}--")
}
