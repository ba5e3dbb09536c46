//! Line ends are decided per message: an archive glued from LF, CRLF and CR parts splits as it
//! was written, and a cut at any byte loses no message before it and never panics.

use bounce_mail::split::{Event, MboxFormat, MboxReader, SplitOptions};
use proptest::prelude::*;

const EOLS: [&str; 3] = ["\n", "\r\n", "\r"];

/// One message: its `From_` line and its content, both with line ends `eol`.
fn message(index: usize, eol: &str, body_lines: usize) -> (String, String) {
    let from = format!("From sender{index}@example.org Mon Jan  1 10:{:02}:00 2024", index % 60);
    let mut content = format!("Subject: message {index}{eol}X-N: {index}{eol}{eol}");
    for line in 0..body_lines {
        content.push_str(&format!("body {index} line {line}{eol}"));
    }
    (from, content)
}

/// Where one message sits in an archive: where its `From_` line starts, where it ends (line
/// end excluded), where its content starts, and the content.
type Span = (usize, usize, usize, String);

/// The archive and the span of each message.
fn archive(styles: &[(usize, usize)]) -> (Vec<u8>, Vec<Span>) {
    let mut bytes = Vec::new();
    let mut spans = Vec::new();
    for (index, &(style, body_lines)) in styles.iter().enumerate() {
        let eol = EOLS[style];
        let (from, content) = message(index, eol, body_lines);
        let start = bytes.len();
        bytes.extend_from_slice(from.as_bytes());
        let from_end = bytes.len();
        bytes.extend_from_slice(eol.as_bytes());
        let content_start = bytes.len();
        bytes.extend_from_slice(content.as_bytes());
        // The blank line before the next separator.
        bytes.extend_from_slice(eol.as_bytes());
        spans.push((start, from_end, content_start, content));
    }
    (bytes, spans)
}

fn split(bytes: &[u8]) -> Vec<Event> {
    MboxReader::new(bytes, MboxFormat::Mboxrd, SplitOptions::default()).collect()
}

#[test]
fn a_cr_message_after_a_crlf_one_is_its_own_message() {
    // CRLF, CR, CR, LF, CRLF: five messages, each with its own line ends.
    let styles = [(1, 2), (2, 1), (2, 3), (0, 1), (1, 1)];
    let (bytes, spans) = archive(&styles);
    let events = split(&bytes);
    assert_eq!(events.len(), spans.len(), "{events:?}");
    for (event, (start, _, _, content)) in events.iter().zip(&spans) {
        let Event::Message(found) = event else { panic!("{event:?}") };
        assert_eq!(found.offset, *start as u64);
        assert_eq!(String::from_utf8_lossy(&found.bytes), *content);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any archive of messages with mixed line-end styles, cut at any byte: every message
    /// whose `From_` line is whole before the cut is read, those before the last exactly as
    /// written, the last as a prefix of what was written; nothing else is reported.
    #[test]
    fn mixed_line_ends_cut_anywhere_lose_nothing(
        styles in prop::collection::vec((0usize..3, 0usize..4), 1..7),
        cut in any::<prop::sample::Index>(),
    ) {
        let (bytes, spans) = archive(&styles);
        let whole = split(&bytes);
        prop_assert_eq!(whole.len(), spans.len());
        // Cut after the first `From_` line (a shorter stream is a preamble, not a message).
        let first_line = spans[0].1;
        let at = first_line + cut.index(bytes.len() - first_line + 1);
        let events = split(&bytes[..at]);
        let expected = spans.iter().filter(|(_, from_end, _, _)| *from_end <= at).count();
        prop_assert_eq!(events.len(), expected, "cut at {} of {}: {:?}", at, bytes.len(), events);
        for (index, event) in events.iter().enumerate() {
            let Event::Message(found) = event else {
                return Err(TestCaseError::fail(format!("not a message: {event:?}")));
            };
            let (start, _, content_start, content) = &spans[index];
            prop_assert_eq!(found.offset, *start as u64);
            if index + 1 < events.len() {
                prop_assert_eq!(String::from_utf8_lossy(&found.bytes), content.as_str());
            } else {
                let written = &bytes[(*content_start).min(at)..at];
                prop_assert!(written.starts_with(&found.bytes), "last message {:?} of {:?}", found, written);
            }
        }
    }
}
