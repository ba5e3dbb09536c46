//! `cargo xtask bench [--size MB] [--real MBOX]`: throughput and memory of `classify` on a
//! synthetic archive, or with `--real` on copies of a real archive (each copy's addresses and
//! message ids made unique by a `+N` tag before the `@`, so no two messages are alike).
//!
//! The archive is generated deterministically (a fixed-seed generator) and every message is
//! unique: addresses, ids, dates, IPs and diagnostic details vary. The mix: RFC 3464 DSNs with
//! one to three recipients (Postfix style), Exim and qmail prose bounces, delayed DSNs, ARF
//! complaints, auto-replies, plain replies and a few plain messages with large base64
//! attachments. For two sizes (the one asked for and a quarter of it) the task times a plain
//! sequential read of the file (the floor), then runs the release binary's `classify` with
//! output to /dev/null while polling `/proc/<pid>/status` for peak resident and anonymous
//! memory.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[usize::try_from(self.below(items.len() as u64)).unwrap_or(0)]
    }
}

const DOMAINS: [&str; 12] = [
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "icloud.com",
    "example.net",
    "corp.example",
    "mail.example.org",
    "hotmail.com",
    "aol.com",
    "comcast.net",
    "web.example",
    "shop.example",
];

const FAILURES: [(&str, &str, &str); 10] = [
    ("550", "5.1.1", "The email account that you tried to reach does not exist"),
    ("552", "5.2.2", "The email account that you tried to reach is over quota"),
    ("550", "5.7.1", "Messages from [{ip}] weren't sent. Part of their network is on our block list (S3150)"),
    ("421", "4.7.28", "Our system has detected an unusual rate of unsolicited mail originating from your IP address"),
    ("550", "5.7.26", "Unauthenticated email from news.example.com is not accepted due to domain's DMARC policy"),
    ("550", "5.7.1", "relaying denied for {rcpt}"),
    ("451", "4.7.1", "Greylisted, please try again in 300 seconds"),
    ("554", "5.7.1", "[HM08] Message rejected due to local policy"),
    ("550", "5.1.2", "Host or domain name not found. Name service error for name={domain} type=MX"),
    ("452", "4.5.3", "Too many recipients"),
];

/// Writes an archive of about `bytes` bytes to `path`; returns the message count.
fn generate(path: &Path, bytes: u64) -> Result<u64> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut rng = Rng(0x5eed_b0b5);
    let mut written = 0u64;
    let mut n = 0u64;
    let mut message = String::with_capacity(1 << 16);
    while written < bytes {
        n += 1;
        message.clear();
        one_message(&mut rng, n, &mut message)?;
        out.write_all(message.as_bytes())?;
        written += message.len() as u64;
    }
    out.flush()?;
    Ok(n)
}

fn one_message(rng: &mut Rng, n: u64, m: &mut String) -> Result<()> {
    let time = 1_780_000_000 + n * 7 + rng.below(5);
    let (day, hour, minute, second) =
        (1 + (time / 86_400) % 28, (time / 3600) % 24, (time / 60) % 60, time % 60);
    let date = format!("{day} Jun 2026 {hour:02}:{minute:02}:{second:02} +0000");
    let rcpt = format!("u{}.{n}@{}", rng.below(1_000_000), rng.pick(&DOMAINS));
    let ip = format!("198.51.{}.{}", rng.below(256), rng.below(256));
    writeln!(m, "From MAILER-DAEMON Mon Jun {day:2} {hour:02}:{minute:02}:{second:02} 2026")?;
    writeln!(
        m,
        "Date: Mon, {date}\nMessage-ID: <b{n}.{}@mta{}.example.com>",
        rng.next(),
        rng.below(9)
    )?;
    let kind = rng.below(100);
    let original = format!(
        "Return-Path: <bounces+{n}@news.example.com>\nReceived: from app{} ([{ip}]) by mta.example.com with ESMTPS; Mon, {date}\nMessage-ID: <c{n}.{}@news.example.com>\nFrom: News <news@news.example.com>\nTo: {rcpt}\nSubject: Newsletter {n}\nX-Campaign-ID: camp-{}\n",
        rng.below(50), rng.next(), rng.below(40)
    );
    let (reply, status, text) = FAILURES[usize::try_from(rng.below(10)).unwrap_or(0)];
    let text = text
        .replace("{ip}", &ip)
        .replace("{rcpt}", &rcpt)
        .replace("{domain}", rcpt.rsplit('@').next().unwrap_or(""));
    match kind {
        0..=44 => {
            let recipients = 1 + rng.below(3);
            write!(m, "From: MAILER-DAEMON@mta.example.com (Mail Delivery System)\nSubject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B{n}\"\n\n--B{n}\nContent-Type: text/plain\n\nI'm sorry to have to inform you that your message could not be delivered.\n\n--B{n}\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mta.example.com\nArrival-Date: Mon, {date}\n")?;
            for r in 0..recipients {
                let who = if r == 0 { rcpt.clone() } else { format!("x{r}.{}@{}", rng.below(99_999), rng.pick(&DOMAINS)) };
                let action = if reply.starts_with('4') { "delayed" } else { "failed" };
                write!(m, "\nFinal-Recipient: rfc822; {who}\nAction: {action}\nStatus: {status}\nRemote-MTA: dns; mx{}.{}\nDiagnostic-Code: smtp; {reply} {status} {text} {}\n", rng.below(5), who.rsplit('@').next().unwrap_or(""), rng.next() % 100_000)?;
            }
            write!(m, "\n--B{n}\nContent-Type: text/rfc822-headers\n\n{original}\n--B{n}--\n\n")?;
        }
        45..=59 => write!(m, "From: Mail Delivery System <Mailer-Daemon@mx.example.org>\nSubject: Mail delivery failed: returning message to sender\n\nThis message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n  {rcpt}\n    host mx.example.org [{ip}]\n    SMTP error from remote mail server after RCPT TO:<{rcpt}>:\n    {reply} {status} {text} ({})\n\n------ This is a copy of the message, including all the headers. ------\n\n{original}\nHello {n}\n\n", rng.next())?,
        60..=67 => write!(m, "From: MAILER-DAEMON@qmail.example.org\nSubject: failure notice\n\nHi. This is the qmail-send program at qmail.example.org.\nI'm afraid I wasn't able to deliver your message to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n<{rcpt}>:\n{ip} does not like recipient.\nRemote host said: {reply} {status} {text}\nGiving up on {ip}.\n\n--- Below this line is a copy of the message.\n\n{original}\n")?,
        68..=74 => write!(m, "From: feedback@fbl.{}\nSubject: complaint about message {n}\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"F{n}\"\n\n--F{n}\nContent-Type: text/plain\n\nThis is an email abuse report.\n\n--F{n}\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: fbl/{}\nVersion: 1\nOriginal-Rcpt-To: {rcpt}\nSource-IP: {ip}\n\n--F{n}\nContent-Type: text/rfc822-headers\n\n{original}\n--F{n}--\n\n", rng.pick(&DOMAINS), rng.below(9))?,
        75..=84 => write!(m, "From: {rcpt}\nTo: news@news.example.com\nSubject: Automatic reply: Newsletter {n}\nAuto-Submitted: auto-replied\n\nI am out of the office until {}. For urgent matters contact desk{}@example.com.\n\n", rng.below(28) + 1, rng.below(1000))?,
        85..=96 => write!(m, "From: Reader {n} <{rcpt}>\nTo: news@news.example.com\nSubject: Re: Newsletter {n}\n\nThanks for number {n}; unsubscribe me from list {}.\n\n", rng.next())?,
        _ => {
            write!(m, "From: {rcpt}\nTo: news@news.example.com\nSubject: report {n}\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"A{n}\"\n\n--A{n}\nContent-Type: text/plain\n\nSee attached.\n\n--A{n}\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n")?;
            let lines = 1000 + rng.below(3000);
            for _ in 0..lines {
                let a = rng.next();
                let b = rng.next();
                writeln!(m, "{a:016x}{b:016x}{:016x}{:012x}", a ^ b, b >> 16)?;
            }
            write!(m, "\n--A{n}--\n\n")?;
        }
    }
    Ok(())
}

/// Reads the whole file sequentially; the time any classifier must at least take.
fn floor(path: &Path) -> Result<Duration> {
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

/// `VmHWM` and the largest `RssAnon` seen, in kB, read from `/proc/<pid>/status`.
fn memory(pid: u32, peak_anon: &mut u64, hwm: &mut u64) {
    let Ok(text) = fs::read_to_string(format!("/proc/{pid}/status")) else { return };
    for line in text.lines() {
        let value = |prefix: &str| -> Option<u64> {
            line.strip_prefix(prefix)?.trim().trim_end_matches("kB").trim().parse().ok()
        };
        if let Some(v) = value("RssAnon:") {
            *peak_anon = (*peak_anon).max(v);
        }
        if let Some(v) = value("VmHWM:") {
            *hwm = (*hwm).max(v);
        }
    }
}

/// Writes copies of the mbox `source` to `path` until it holds `target` bytes; copy `n` has
/// `+n` before every `@` that follows a letter or digit. Returns the messages written.
fn replicate(source: &Path, path: &Path, target: u64) -> Result<u64> {
    let original = fs::read(source).with_context(|| format!("cannot read {}", source.display()))?;
    let per_copy =
        original.split(|b| *b == b'\n').filter(|line| line.starts_with(b"From ")).count() as u64;
    if per_copy == 0 {
        bail!("{} holds no `From ` line: not an mbox", source.display());
    }
    let mut out = BufWriter::new(File::create(path)?);
    let (mut written, mut messages, mut copy) = (0u64, 0u64, 0u64);
    while written < target {
        copy += 1;
        let tag = format!("+{copy}");
        let mut previous = b'\n';
        for &byte in &original {
            if byte == b'@' && previous.is_ascii_alphanumeric() {
                out.write_all(tag.as_bytes())?;
                written += tag.len() as u64;
            }
            out.write_all(&[byte])?;
            previous = byte;
        }
        if original.last() != Some(&b'\n') {
            out.write_all(b"\n")?;
        }
        written += original.len() as u64 + 1;
        messages += per_copy;
    }
    out.flush()?;
    Ok(messages)
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut size_mb = 1024u64;
    let mut real: Option<PathBuf> = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--real" => real = Some(PathBuf::from(iter.next().context("--real needs an mbox")?)),
            "--size" => {
                size_mb = iter
                    .next()
                    .context("--size needs MB")?
                    .parse()
                    .context("--size needs a number")?
            }
            other => {
                bail!("unknown argument `{other}`; usage: cargo xtask bench [--size MB] [--real MBOX]")
            }
        }
    }
    let root = crate::project_root();
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["build", "--release", "-p", "bounce-cli"])
        .current_dir(&root)
        .status()?;
    if !status.success() {
        bail!("the release build failed");
    }
    let binary = target.join("release").join("bounce-triage");
    let dir = target.join("bench");
    fs::create_dir_all(&dir)?;
    println!(
        "{:>8} {:>9} {:>9} {:>9} {:>10} {:>9} {:>11} {:>11}",
        "size", "messages", "floor s", "wall s", "MB/s", "msgs/s", "peak anon", "peak rss"
    );
    for mb in [size_mb.div_ceil(4).max(1), size_mb] {
        let (path, messages) = match &real {
            Some(source) => {
                let path = dir.join(format!("real-{mb}MB.mbox"));
                let messages = replicate(source, &path, mb << 20)?;
                (path, messages)
            }
            None => {
                let path = dir.join(format!("archive-{mb}MB.mbox"));
                (path.clone(), generate(&path, mb << 20)?)
            }
        };
        let bytes = fs::metadata(&path)?.len();
        let floor = floor(&path)?;
        let start = Instant::now();
        let mut child = Command::new(&binary)
            .args(["classify", "--quiet", "--format", "jsonl"])
            .arg(&path)
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot run {}", binary.display()))?;
        let (mut anon, mut hwm) = (0, 0);
        let status = loop {
            memory(child.id(), &mut anon, &mut hwm);
            if let Some(status) = child.try_wait()? {
                break status;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let wall = start.elapsed().as_secs_f64();
        if !status.success() {
            bail!("classify failed on {}", path.display());
        }
        #[allow(clippy::cast_precision_loss)]
        let (mbs, rate) = (bytes as f64 / 1_048_576.0 / wall, messages as f64 / wall);
        println!(
            "{:>6}MB {messages:>9} {:>9.2} {wall:>9.2} {mbs:>10.1} {rate:>9.0} {:>8} MB {:>8} MB",
            bytes >> 20,
            floor.as_secs_f64(),
            anon / 1024,
            hwm / 1024
        );
    }
    Ok(())
}
