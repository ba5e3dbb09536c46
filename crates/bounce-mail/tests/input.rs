//! Finding inputs on disk and sniffing what they hold.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use bounce_mail::input::{discover, open, open_reader, InputError, InputFile, ReadOptions};
use bounce_mail::split::{Event, MboxFormat, RawMessage};
use flate2::write::GzEncoder;
use flate2::Compression;

const BOUNCE: &str = "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\n\
To: sender@example.com\n\
Subject: Undelivered Mail Returned to Sender\n\
\n\
This is the mail system at host mx.example.org.\n\
From here on the report follows.\n";

const MBOX: &str = "From MAILER-DAEMON Mon Jan  1 10:00:00 2024\n\
Subject: first\n\
\n\
body one\n\
>From escaped\n\
\n\
From MAILER-DAEMON Tue Jan  2 10:00:00 2024\n\
Subject: second\n\
\n\
body two\n";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn read_all(display: &str, data: Vec<u8>) -> Vec<Event> {
    open_reader(display, std::io::Cursor::new(data), &ReadOptions::default()).unwrap().collect()
}

fn only_messages(found: Vec<Event>) -> Vec<RawMessage> {
    found
        .into_iter()
        .map(|event| match event {
            Event::Message(message) => message,
            other => panic!("expected only messages, got {other:?}"),
        })
        .collect()
}

fn write(path: &Path, content: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

fn paths(found: &[Result<InputFile, InputError>], root: &Path) -> Vec<String> {
    found
        .iter()
        .map(|entry| {
            let file = entry.as_ref().expect("no discovery errors");
            file.path.strip_prefix(root).unwrap().display().to_string()
        })
        .collect()
}

#[test]
fn single_message_is_one_message_at_offset_zero() {
    let found = only_messages(read_all("bounce.eml", BOUNCE.into()));
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].offset, found[0].bytes.as_slice()), (0, BOUNCE.as_bytes()));
    assert_eq!(found[0].from_line, "");
}

#[test]
fn mbox_is_split_and_unescaped() {
    let found = only_messages(read_all("archive.mbox", MBOX.into()));
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].bytes, b"Subject: first\n\nbody one\nFrom escaped\n");
    assert_eq!(found[1].offset, MBOX.find("From MAILER-DAEMON Tue").unwrap() as u64);
}

#[test]
fn mbox_after_leading_blank_lines_is_still_an_mbox() {
    let found = only_messages(read_all("archive.mbox", format!("\n\n{MBOX}").into_bytes()));
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].offset, 2);
}

#[test]
fn single_message_followed_by_a_real_separator_becomes_preamble_and_mbox() {
    let input = format!("{BOUNCE}\n{MBOX}");
    let found = read_all("odd.txt", input.into_bytes());
    assert_eq!(found[0], Event::Preamble { offset: 0, len: BOUNCE.len() as u64 + 1 });
    assert_eq!(only_messages(found[1..].to_vec()).len(), 2);
}

#[test]
fn gzip_is_recognised_by_magic_bytes() {
    let mbox = only_messages(read_all("archive.mbox", gzip(MBOX.as_bytes())));
    assert_eq!(mbox.len(), 2);
    assert_eq!(mbox[1].bytes, b"Subject: second\n\nbody two\n");
    let single = only_messages(read_all("no-suffix", gzip(BOUNCE.as_bytes())));
    assert_eq!(single.len(), 1);
    assert_eq!(single[0].bytes, BOUNCE.as_bytes());
}

#[test]
fn concatenated_gzip_members_are_all_read() {
    let (first, second) = MBOX.split_at(MBOX.find("\nFrom MAILER-DAEMON Tue").unwrap() + 1);
    let mut data = gzip(first.as_bytes());
    data.extend(gzip(second.as_bytes()));
    assert_eq!(only_messages(read_all("rotated.gz", data)).len(), 2);
}

#[test]
fn corrupt_gzip_reports_an_error_event() {
    let mut data = gzip(MBOX.as_bytes());
    data.truncate(data.len() / 2);
    let found = read_all("broken.gz", data);
    assert!(matches!(found.last(), Some(Event::Error { .. })), "{found:?}");
}

#[test]
fn empty_input_yields_nothing() {
    assert!(read_all("empty", Vec::new()).is_empty());
}

#[test]
fn oversize_single_message_is_reported() {
    let options = ReadOptions { max_message_bytes: 32, ..ReadOptions::default() };
    let found: Vec<Event> = open_reader("big.eml", BOUNCE.as_bytes(), &options).unwrap().collect();
    assert_eq!(found, vec![Event::Oversize { offset: 0, len: BOUNCE.len() as u64, limit: 32 }]);
}

#[test]
fn mbox_format_option_is_honoured() {
    let input = "From a@b.example Mon Jan  1 10:00:00 2024\n\n>>From quoted\n";
    let options = ReadOptions { mbox_format: MboxFormat::Mboxo, ..ReadOptions::default() };
    let found: Vec<Event> = open_reader("-", input.as_bytes(), &options).unwrap().collect();
    assert_eq!(only_messages(found)[0].bytes, b"\n>>From quoted\n");
}

#[test]
fn maildir_contributes_cur_then_new_and_skips_tmp() {
    let root = tempfile::tempdir().unwrap();
    let maildir = root.path().join("Maildir");
    write(&maildir.join("new/1700000002.M2.host"), BOUNCE.as_bytes());
    write(&maildir.join("cur/1700000001.M1.host:2,S"), BOUNCE.as_bytes());
    write(&maildir.join("cur/.hidden"), b"x");
    write(&maildir.join("tmp/1700000003.M3.host"), b"half written");
    write(&maildir.join("dovecot-uidlist"), b"3 V1 N4\n");
    let found = discover(std::slice::from_ref(&maildir));
    assert_eq!(paths(&found, &maildir), ["cur/1700000001.M1.host:2,S", "new/1700000002.M2.host"]);
    assert!(found.iter().all(|file| file.as_ref().unwrap().in_maildir));
}

#[test]
fn maildir_file_is_one_message_even_with_from_lines() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("cur/1.M1.host");
    write(&path, format!("From x@y.example Mon Jan  1 10:00:00 2024\n{BOUNCE}\n{MBOX}").as_bytes());
    let found = discover(&[root.path().to_owned()]);
    let file = found[0].as_ref().unwrap();
    let messages = only_messages(open(file, &ReadOptions::default()).unwrap().collect());
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].from_line, "From x@y.example Mon Jan  1 10:00:00 2024");
    assert!(messages[0].bytes.starts_with(b"From: Mail Delivery System"));
}

#[test]
fn directories_are_walked_in_byte_order_without_hidden_entries() {
    let root = tempfile::tempdir().unwrap();
    for name in ["b.eml", "a/z.mbox", "a/B.eml", "C/1.eml", ".git/config", "a/.swap", "10.eml"] {
        write(&root.path().join(name), BOUNCE.as_bytes());
    }
    let found = discover(&[root.path().to_owned()]);
    assert_eq!(paths(&found, root.path()), ["10.eml", "C/1.eml", "a/B.eml", "a/z.mbox", "b.eml"]);
    assert!(found.iter().all(|file| !file.as_ref().unwrap().in_maildir));
}

#[test]
fn files_and_stdin_are_taken_as_given() {
    let root = tempfile::tempdir().unwrap();
    let file = root.path().join(".hidden.mbox.gz");
    write(&file, &gzip(MBOX.as_bytes()));
    let found = discover(&[PathBuf::from("-"), file.clone()]);
    assert_eq!(found[0].as_ref().unwrap(), &InputFile::stdin());
    assert_eq!(found[0].as_ref().unwrap().display, "-");
    let opened = found[1].as_ref().unwrap();
    assert_eq!(opened.display, file.display().to_string());
    assert_eq!(only_messages(open(opened, &ReadOptions::default()).unwrap().collect()).len(), 2);
}

#[test]
fn missing_paths_are_errors_that_name_them() {
    let root = tempfile::tempdir().unwrap();
    let missing = root.path().join("nope.mbox");
    let found = discover(std::slice::from_ref(&missing));
    let error = found[0].as_ref().unwrap_err();
    assert!(error.to_string().starts_with(&format!("cannot access {}", missing.display())));
    let error =
        open(&InputFile::file(missing.clone(), false), &ReadOptions::default()).unwrap_err();
    assert!(error.to_string().starts_with(&format!("cannot open {}", missing.display())));
}

#[test]
fn from_line_without_blank_line_does_not_split_a_single_message() {
    let input = format!("{BOUNCE}From MAILER-DAEMON Mon Jan  1 10:00:00 2024\nmore text\n");
    let found = only_messages(read_all("report.eml", input.clone().into_bytes()));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].bytes, input.as_bytes());
}

#[test]
fn maildir_new_named_directly_is_still_maildir() {
    let root = tempfile::tempdir().unwrap();
    write(&root.path().join("cur/1.M1.host"), BOUNCE.as_bytes());
    write(&root.path().join("new/2.M2.host"), BOUNCE.as_bytes());
    let found = discover(&[root.path().join("new")]);
    assert_eq!(paths(&found, root.path()), ["new/2.M2.host"]);
    assert!(found[0].as_ref().unwrap().in_maildir);
}

#[test]
fn gzip_garbage_after_a_whole_message_keeps_it_and_is_reported() {
    let mut damaged = gzip(BOUNCE.as_bytes());
    let at = damaged.len();
    damaged.extend_from_slice(b"trailing junk");
    let expect_error = |event: &Event| {
        let Event::Error { error, .. } = event else { panic!("{event:?}") };
        assert!(error.contains(&format!("compressed byte {at}")), "{error}");
    };
    // A single message and an mbox.
    let found = read_all("bounce.eml.gz", damaged.clone());
    assert!(matches!(&found[0], Event::Message(m) if m.bytes == BOUNCE.as_bytes()), "{found:?}");
    expect_error(&found[1]);
    let mut mbox = gzip(MBOX.as_bytes());
    mbox.extend_from_slice(b"\0\0junk");
    let found = read_all("archive.mbox.gz", mbox);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(matches!(&found[1], Event::Message(m) if m.bytes.ends_with(b"body two\n")));
    // A Maildir file.
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("cur/1.M1.host");
    write(&path, &damaged);
    let found = discover(&[root.path().to_owned()]);
    let events: Vec<Event> =
        open(found[0].as_ref().unwrap(), &ReadOptions::default()).unwrap().collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(matches!(&events[0], Event::Message(m) if m.bytes == BOUNCE.as_bytes()));
    expect_error(&events[1]);
}
