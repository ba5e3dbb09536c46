//! Per-message limits: what a hostile or broken message may not exceed before it is refused
//! with a clear error (the run goes on with the next message).
//!
//! The message size itself is limited while splitting (`ReadOptions::max_message_bytes`);
//! these limits apply to the structure of one message.

/// Limits on the structure of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Header fields in the top-level header block.
    pub max_header_count: usize,
    /// Bytes in one header field, continuation lines included.
    pub max_header_line: usize,
    /// Nesting depth of multipart and message/rfc822 parts.
    pub max_mime_depth: usize,
    /// Recipients kept from one report; the rest are dropped with a warning.
    pub max_recipients: usize,
    /// Bytes of one decoded text part read as the bounce's prose; larger parts are cut.
    pub max_decoded_part: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_count: 2_000,
            max_header_line: 1 << 20,
            max_mime_depth: 50,
            max_recipients: 10_000,
            max_decoded_part: 16 << 20,
        }
    }
}

/// Checks the top-level header block against the limits; returns the error to report.
pub(crate) fn check_header_block(bytes: &[u8], limits: &Limits) -> Option<String> {
    let mut count = 0usize;
    let mut field_len = 0usize;
    let mut offset = 0usize;
    while offset < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[offset..]).map_or(bytes.len(), |p| offset + p + 1);
        let line = &bytes[offset..end];
        if line == b"\n" {
            break;
        }
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            field_len += line.len();
        } else {
            count += 1;
            field_len = line.len();
        }
        if count > limits.max_header_count {
            return Some(format!(
                "more than {} header fields (limit --max-header-count)",
                limits.max_header_count
            ));
        }
        if field_len > limits.max_header_line {
            return Some(format!(
                "a header field of more than {} bytes (limit --max-header-line) at byte {offset}",
                limits.max_header_line
            ));
        }
        offset = end;
    }
    None
}

/// The nesting depth of a parsed message's parts (message/rfc822 parts count one level and
/// their own parts further levels).
pub(crate) fn mime_depth(message: &mail_parser::Message<'_>, limit: usize) -> usize {
    fn depth_of(
        message: &mail_parser::Message<'_>,
        part: usize,
        level: usize,
        limit: usize,
    ) -> usize {
        if level > limit {
            return level;
        }
        let Some(p) = message.parts.get(part) else {
            return level;
        };
        match &p.body {
            mail_parser::PartType::Multipart(children) => children
                .iter()
                .map(|c| depth_of(message, *c as usize, level + 1, limit))
                .max()
                .unwrap_or(level),
            mail_parser::PartType::Message(nested) => depth_of(nested, 0, level + 1, limit),
            _ => level,
        }
    }
    depth_of(message, 0, 0, limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_many_headers() {
        let limits = Limits { max_header_count: 3, ..Limits::default() };
        let msg = b"A: 1\nB: 2\nC: 3\nD: 4\n\nbody";
        assert!(check_header_block(msg, &limits).is_some_and(|e| e.contains("header fields")));
        assert!(check_header_block(b"A: 1\nB: 2\n\nD: 4\nE: 5\n", &limits).is_none());
    }

    #[test]
    fn long_folded_header() {
        let limits = Limits { max_header_line: 20, ..Limits::default() };
        let msg = b"Subject: short\nX-Long: 0123456789\n 0123456789\n\nbody";
        assert!(
            check_header_block(msg, &limits).is_some_and(|e| e.contains("header field of more"))
        );
    }
}
