//! Dropping the bodies of large binary attachments before MIME parsing.
//!
//! mail-parser decodes every base64 part it meets, and a returned original (or a user's reply
//! that landed in the bounce mailbox) often carries a PDF or an image of hundreds of KB. The
//! extraction never reads binary parts: it reads the report parts, the text parts and the
//! returned original's headers and text. So before parsing, the body of every part that is
//! base64-encoded, of a non-text, non-message type and larger than [`MIN_DROPPED`] is left
//! out; the part itself (its headers) stays, so the MIME structure is unchanged.
//!
//! The scan is line-based and conservative: a base64 body ends at the first line starting
//! with `-` (never a base64 character), which is where the next boundary must be; anything
//! the scan cannot read as a binary part is copied unchanged.

use std::borrow::Cow;

/// Smaller binary bodies are kept: some gateways attach their report as a small
/// `application/octet-stream` part, and keeping small parts costs nothing.
const MIN_DROPPED: usize = 16 << 10;

/// What the scan knows about the header block it is reading.
#[derive(Default)]
struct Block {
    content_type: String,
    base64: bool,
    /// The header field the last line belonged to (for continuation lines).
    last_field: Field,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Field {
    #[default]
    Other,
    ContentType,
    Encoding,
}

impl Block {
    fn add_line(&mut self, line: &[u8]) {
        // Only two fields matter; the others are skipped without decoding them.
        let (field, value) = if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            (self.last_field, line)
        } else {
            let Some(colon) = memchr::memchr(b':', line) else {
                self.last_field = Field::Other;
                return;
            };
            let name = line[..colon].trim_ascii();
            self.last_field = if name.eq_ignore_ascii_case(b"content-type") {
                Field::ContentType
            } else if name.eq_ignore_ascii_case(b"content-transfer-encoding") {
                Field::Encoding
            } else {
                Field::Other
            };
            (self.last_field, &line[colon + 1..])
        };
        if field != Field::Other {
            self.add_value(field, String::from_utf8_lossy(value).trim());
        }
    }

    fn add_value(&mut self, field: Field, value: &str) {
        match field {
            Field::ContentType if self.content_type.is_empty() => {
                let end = value.find([';', ' ', '\t']).unwrap_or(value.len());
                self.content_type = value[..end].to_ascii_lowercase();
            }
            Field::Encoding if !value.is_empty() => {
                self.base64 = value.trim_matches('"').eq_ignore_ascii_case("base64");
            }
            _ => {}
        }
    }

    /// A binary part: base64 of a type the extraction never reads.
    fn is_binary(&self) -> bool {
        let kind = self.content_type.split('/').next().unwrap_or("");
        self.base64
            && matches!(kind, "application" | "image" | "audio" | "video" | "font" | "model")
    }

    /// A part whose body is itself a message with its own header block.
    fn is_message(&self) -> bool {
        matches!(self.content_type.as_str(), "message/rfc822" | "message/global")
    }
}

/// The message with the bodies of large binary attachments left out; borrowed when there is
/// none. `bytes` has LF line ends.
pub(crate) fn without_binary_attachments(bytes: &[u8]) -> Cow<'_, [u8]> {
    // Cheap exit: no base64 part at all.
    if memchr::memmem::find(bytes, b"ase64").is_none() {
        return Cow::Borrowed(bytes);
    }
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0usize;
    let mut block = Some(Block::default());
    let mut offset = 0usize;
    while offset < bytes.len() {
        let end = line_end(bytes, offset);
        let line = &bytes[offset..end];
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        match block.as_mut() {
            Some(current) if content.is_empty() => {
                let finished = std::mem::take(current);
                block = None;
                if finished.is_message() {
                    block = Some(Block::default());
                } else if finished.is_binary() {
                    let body_end = binary_body_end(bytes, end);
                    if body_end - end >= MIN_DROPPED {
                        let kept = out.get_or_insert_with(|| Vec::with_capacity(bytes.len()));
                        kept.extend_from_slice(&bytes[copied..end]);
                        copied = body_end;
                    }
                    offset = body_end;
                    continue;
                }
            }
            Some(current) => current.add_line(content),
            None if content.starts_with(b"--") && content.len() > 2 => {
                block = Some(Block::default());
            }
            None => {}
        }
        offset = end;
    }
    match out {
        Some(mut kept) => {
            kept.extend_from_slice(&bytes[copied..]);
            Cow::Owned(kept)
        }
        None => Cow::Borrowed(bytes),
    }
}

fn line_end(bytes: &[u8], offset: usize) -> usize {
    memchr::memchr(b'\n', &bytes[offset..]).map_or(bytes.len(), |p| offset + p + 1)
}

/// Where a base64 body starting at `start` ends: the first line starting with `-`.
fn binary_body_end(bytes: &[u8], start: usize) -> usize {
    let mut at = start;
    while at < bytes.len() {
        if bytes[at] == b'-' {
            return at;
        }
        match memchr::memmem::find(&bytes[at..], b"\n-") {
            Some(p) => at += p + 1,
            None => return bytes.len(),
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base64_lines(count: usize) -> String {
        "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\n"
            .repeat(count)
    }

    fn message(attachment_type: &str, lines: usize) -> String {
        format!(
            "From: MAILER-DAEMON@mx.example.org\nSubject: Undelivered Mail\nMIME-Version: 1.0\n\
             Content-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\n\n\
             --R\nContent-Type: text/plain\n\nNotice.\n\n--R\nContent-Type: message/rfc822\n\n\
             From: news@example.com\nContent-Type: multipart/mixed;\n boundary=\"M\"\n\n\
             --M\nContent-Type: text/plain\n\nSee https://shop.example.com/\n\n--M\n\
             Content-Type: {attachment_type};\n name=\"a.bin\"\nContent-Transfer-Encoding: base64\n\n\
             {}\n--M--\n\n--R--\n",
            base64_lines(lines)
        )
    }

    #[test]
    fn a_large_pdf_in_the_returned_original_loses_its_body_and_keeps_its_part() {
        let raw = message("application/pdf", 400);
        let kept = without_binary_attachments(raw.as_bytes());
        let kept = std::str::from_utf8(&kept).unwrap();
        assert!(!kept.contains("QUJDREVG"), "the base64 body is left out");
        assert!(kept.contains("name=\"a.bin\"\nContent-Transfer-Encoding: base64\n\n--M--\n"));
        assert!(kept.contains("See https://shop.example.com/"), "text parts stay");
        assert!(kept.ends_with("--R--\n"));
    }

    #[test]
    fn small_binary_parts_and_base64_text_parts_stay() {
        let small = message("application/octet-stream", 10);
        assert!(matches!(without_binary_attachments(small.as_bytes()), Cow::Borrowed(_)));
        let text = message("text/plain", 400);
        assert!(matches!(without_binary_attachments(text.as_bytes()), Cow::Borrowed(_)));
    }

    #[test]
    fn a_folded_content_type_is_read() {
        let raw = message("\n image/png", 400);
        let kept = without_binary_attachments(raw.as_bytes());
        assert!(!String::from_utf8_lossy(&kept).contains("QUJDREVG"));
    }

    #[test]
    fn a_body_without_a_closing_boundary_is_dropped_to_the_end() {
        let raw = format!(
            "From: a@example.com\nContent-Type: application/zip\nContent-Transfer-Encoding: base64\n\n{}",
            base64_lines(400)
        );
        let kept = without_binary_attachments(raw.as_bytes());
        assert!(kept.ends_with(b"base64\n\n"));
    }
}
