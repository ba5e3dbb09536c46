//! Behaviour of the mbox splitter on the shapes real archives come in.

use std::io::{self, BufReader, Read};

use bounce_mail::split::{Event, MboxFormat, MboxReader, RawMessage, SplitOptions};

const FROM_A: &str = "From alice@example.org Mon Jan  1 10:00:00 2024";
const FROM_B: &str = "From MAILER-DAEMON Tue Jan  2 11:30:00 2024";
const FROM_C: &str = "From bob@example.net Wed Jan  3 12:45:00 2024";

fn events(input: &[u8], format: MboxFormat) -> Vec<Event> {
    MboxReader::new(input, format, SplitOptions::default()).collect()
}

fn messages(input: &[u8], format: MboxFormat) -> Vec<RawMessage> {
    events(input, format)
        .into_iter()
        .map(|event| match event {
            Event::Message(message) => message,
            other => panic!("expected only messages, got {other:?}"),
        })
        .collect()
}

fn text(message: &RawMessage) -> &str {
    std::str::from_utf8(&message.bytes).expect("fixture is UTF-8")
}

/// An mbox with three messages and every separator shape, joined with `eol`.
fn three_messages(eol: &str) -> String {
    [
        FROM_A,
        "Subject: one",
        "",
        "first body",
        "",
        FROM_B,
        "Subject: two",
        "",
        "second body",
        "",
        FROM_C,
        "Subject: three",
        "",
        "third body",
        "",
    ]
    .join(eol)
}

/// Gives out at most `piece` bytes per read, to cross every buffer boundary.
struct Trickle<'a> {
    data: &'a [u8],
    piece: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let count = self.piece.min(out.len()).min(self.data.len());
        out[..count].copy_from_slice(&self.data[..count]);
        self.data = &self.data[count..];
        Ok(count)
    }
}

#[test]
fn lf_mbox_splits_into_messages_with_exact_offsets() {
    let input = three_messages("\n");
    let found = messages(input.as_bytes(), MboxFormat::Mboxrd);
    assert_eq!(found.len(), 3);
    for (message, from) in found.iter().zip([FROM_A, FROM_B, FROM_C]) {
        assert_eq!(message.from_line, from);
        assert_eq!(message.offset, input.find(from).unwrap() as u64);
    }
    assert_eq!(text(&found[0]), "Subject: one\n\nfirst body\n");
    assert_eq!(text(&found[2]), "Subject: three\n\nthird body\n");
}

#[test]
fn crlf_mbox_keeps_crlf_inside_messages() {
    let input = three_messages("\r\n");
    let found = messages(input.as_bytes(), MboxFormat::Mboxrd);
    assert_eq!(found.len(), 3);
    assert_eq!(found[1].from_line, FROM_B);
    assert_eq!(text(&found[1]), "Subject: two\r\n\r\nsecond body\r\n");
    assert_eq!(found[1].offset, input.find(FROM_B).unwrap() as u64);
}

#[test]
fn cr_only_mbox_splits() {
    let input = three_messages("\r");
    let found = messages(input.as_bytes(), MboxFormat::Mboxrd);
    assert_eq!(found.len(), 3);
    assert_eq!(text(&found[2]), "Subject: three\r\rthird body\r");
    assert_eq!(found[2].offset, input.find(FROM_C).unwrap() as u64);
}

#[test]
fn last_message_without_trailing_newline_is_returned() {
    let input = format!("{FROM_A}\nSubject: one\n\nbody\n\n{FROM_B}\nSubject: two\n\nno newline");
    let found = messages(input.as_bytes(), MboxFormat::Mboxrd);
    assert_eq!(found.len(), 2);
    assert_eq!(text(&found[1]), "Subject: two\n\nno newline");
}

#[test]
fn empty_and_blank_inputs_yield_nothing() {
    assert!(events(b"", MboxFormat::Mboxrd).is_empty());
    assert!(events(b"\n\n\r\n", MboxFormat::Mboxrd).is_empty());
}

#[test]
fn garbage_before_the_first_separator_is_a_preamble() {
    let garbage = "this is not mail\nnor is this\n\n";
    let input = format!("{garbage}{FROM_A}\nSubject: one\n\nbody\n");
    let found = events(input.as_bytes(), MboxFormat::Mboxrd);
    assert_eq!(found[0], Event::Preamble { offset: 0, len: garbage.len() as u64 });
    let Event::Message(message) = &found[1] else { panic!("{found:?}") };
    assert_eq!(message.offset, garbage.len() as u64);
    assert_eq!(text(message), "Subject: one\n\nbody\n");
    assert_eq!(found.len(), 2);
}

#[test]
fn mboxrd_removes_one_quote_from_every_escaped_from() {
    let input = format!("{FROM_A}\n\n>From the start\n>>From quoted\n>>>From deeper\n> From no\n");
    let found = messages(input.as_bytes(), MboxFormat::Mboxrd);
    assert_eq!(text(&found[0]), "\nFrom the start\n>From quoted\n>>From deeper\n> From no\n");
}

#[test]
fn mboxo_only_unescapes_a_single_quote() {
    let input = format!("{FROM_A}\n\n>From the start\n>>From quoted\n");
    let found = messages(input.as_bytes(), MboxFormat::Mboxo);
    assert_eq!(text(&found[0]), "\nFrom the start\n>>From quoted\n");
}

#[test]
fn prose_starting_with_from_does_not_split() {
    let input = format!(
        "{FROM_A}\nSubject: one\n\nFrom here on the text continues.\n\nFrom here on, again.\n\
         From 1999 onwards nothing changed.\n"
    );
    let found = messages(input.as_bytes(), MboxFormat::Mboxrd);
    assert_eq!(found.len(), 1);
    assert!(text(&found[0]).ends_with("again.\nFrom 1999 onwards nothing changed.\n"));
}

#[test]
fn real_from_line_splits_even_without_a_blank_line() {
    let input = format!("{FROM_A}\nSubject: one\n\nbody\n{FROM_B}\nSubject: two\n");
    let found = messages(input.as_bytes(), MboxFormat::Mboxrd);
    assert_eq!(found.len(), 2);
    assert_eq!(text(&found[0]), "Subject: one\n\nbody");
    assert_eq!(found[1].offset, input.find(FROM_B).unwrap() as u64);
}

#[test]
fn mboxcl2_trusts_content_length_over_from_lines_in_the_body() {
    let body = format!("line one\n\n{FROM_C}\n>From kept as is\n");
    let input = format!(
        "{FROM_A}\nSubject: one\nContent-Length: {}\n\n{body}\n{FROM_B}\nSubject: two\n\nend\n",
        body.len()
    );
    let found = messages(input.as_bytes(), MboxFormat::Mboxcl2);
    assert_eq!(found.len(), 2);
    assert_eq!(text(&found[0]), format!("Subject: one\nContent-Length: {}\n\n{body}", body.len()));
    assert_eq!(found[1].offset, input.find(FROM_B).unwrap() as u64);
    assert_eq!(text(&found[1]), "Subject: two\n\nend\n");
}

#[test]
fn mboxcl2_falls_back_to_separators_when_content_length_is_wrong() {
    let input = format!(
        "{FROM_A}\nContent-Length: 3\n\nlonger body\n\n{FROM_B}\nContent-Length: 999\n\nend\n"
    );
    let found = messages(input.as_bytes(), MboxFormat::Mboxcl2);
    assert_eq!(found.len(), 2);
    assert_eq!(text(&found[0]), "Content-Length: 3\n\nlonger body\n");
    assert_eq!(text(&found[1]), "Content-Length: 999\n\nend\n");
}

#[test]
fn oversize_message_is_skipped_and_the_next_one_is_read() {
    let big = "x".repeat(5000);
    let input = format!("{FROM_A}\n\n{big}\n{big}\n\n{FROM_B}\nSubject: small\n\nok\n");
    let options = SplitOptions { max_message_bytes: 4096 };
    let found: Vec<Event> =
        MboxReader::new(input.as_bytes(), MboxFormat::Mboxrd, options).collect();
    let second = input.find(FROM_B).unwrap() as u64;
    assert_eq!(found[0], Event::Oversize { offset: 0, len: second, limit: 4096 });
    let Event::Message(message) = &found[1] else { panic!("{found:?}") };
    assert_eq!((message.offset, text(message)), (second, "Subject: small\n\nok\n"));
    assert_eq!(found.len(), 2);
}

#[test]
fn twenty_megabyte_line_is_kept_whole() {
    let line = "y".repeat(20 << 20);
    let input = format!("{FROM_A}\n\n{line}\n\n{FROM_B}\n\nafter\n");
    let found = messages(input.as_bytes(), MboxFormat::Mboxrd);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].bytes.len(), line.len() + 2);
    assert_eq!(text(&found[1]), "\nafter\n");
}

#[test]
fn endless_line_is_skipped_in_bounded_memory() {
    // 64 MiB without a line end, streamed: the reader must not try to hold it.
    let endless = io::repeat(b'z').take(64 << 20);
    let stream = BufReader::new(io::Cursor::new(format!("{FROM_A}\n")).chain(endless));
    let options = SplitOptions { max_message_bytes: 1 << 20 };
    let found: Vec<Event> = MboxReader::new(stream, MboxFormat::Mboxrd, options).collect();
    let len = (FROM_A.len() + 1 + (64 << 20)) as u64;
    assert_eq!(found, vec![Event::Oversize { offset: 0, len, limit: 1 << 20 }]);
}

#[test]
fn reading_in_tiny_pieces_gives_the_same_events() {
    let big = "z".repeat(3000);
    let mut input = format!("preamble\n\n{}", three_messages("\r\n"));
    input.push_str(&format!("{FROM_A}\r\n\r\n>From x\r\n{big}\r\n\r\n{FROM_B}\r\n\r\nlast"));
    let whole = events(input.as_bytes(), MboxFormat::Mboxrd);
    assert_eq!(whole.len(), 6);
    for piece in [1, 2, 3, 7, 1000] {
        let trickle = BufReader::with_capacity(4, Trickle { data: input.as_bytes(), piece });
        let pieces: Vec<Event> =
            MboxReader::new(trickle, MboxFormat::Mboxrd, SplitOptions::default()).collect();
        assert_eq!(pieces, whole, "reading {piece} bytes at a time");
    }
}

#[test]
fn read_error_is_reported_and_ends_the_stream() {
    struct Broken;
    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("disk on fire"))
        }
    }
    let head = format!("{FROM_A}\n\nbody\n");
    let stream = BufReader::new(io::Cursor::new(head.clone()).chain(Broken));
    let found: Vec<Event> =
        MboxReader::new(stream, MboxFormat::Mboxrd, SplitOptions::default()).collect();
    assert_eq!(found.len(), 1);
    let Event::Error { error, .. } = &found[0] else { panic!("{found:?}") };
    assert!(error.contains("disk on fire"));
}

#[test]
fn a_read_error_keeps_every_whole_message_and_names_the_cut_one() {
    struct Broken;
    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("disk on fire"))
        }
    }
    // The first two messages are whole (a separator follows each); the third is cut.
    let head = format!("{FROM_A}\n\none\n\n{FROM_B}\n\ntwo\n\n{FROM_C}\n\nthr");
    let third = head.find(FROM_C).unwrap() as u64;
    let stream = BufReader::new(io::Cursor::new(head.clone()).chain(Broken));
    let found: Vec<Event> =
        MboxReader::new(stream, MboxFormat::Mboxrd, SplitOptions::default()).collect();
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(matches!(&found[0], Event::Message(m) if m.bytes == b"\none\n"), "{found:?}");
    assert!(matches!(&found[1], Event::Message(m) if m.bytes == b"\ntwo\n"), "{found:?}");
    let Event::Error { offset, error } = &found[2] else { panic!("{found:?}") };
    assert_eq!(*offset, third);
    assert!(error.contains("disk on fire") && error.contains("cut short"), "{error}");
}

#[test]
fn format_names_parse() {
    assert_eq!("mboxo".parse::<MboxFormat>().unwrap(), MboxFormat::Mboxo);
    assert_eq!("MBOXCL2".parse::<MboxFormat>().unwrap(), MboxFormat::Mboxcl2);
    assert_eq!(MboxFormat::default(), MboxFormat::Mboxrd);
    let error = "maildir".parse::<MboxFormat>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown mbox format `maildir` (expected mboxo, mboxrd or mboxcl2)"
    );
}
