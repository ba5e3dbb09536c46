//! Turning one message into per-recipient evidence records.
//!
//! The message is parsed once with mail-parser. Its `message/delivery-status` parts (RFC 3464)
//! give the recipients when present; otherwise the prose of the bounce is read by the format
//! finders in [`prose`]. The returned original (a `message/rfc822` part, `text/rfc822-headers`
//! or headers quoted inline) gives the evidence about the message that failed.

mod attachments;
mod bounce;
mod classify;
pub mod codes;
mod date;
mod dsn;
mod family;
mod found;
mod limits;
mod named_ip;
mod notice;
mod original;
mod parts;
mod phrases;
mod prose;
mod text_facts;
mod transcript;
mod wrapper;

use std::borrow::Cow;

use mail_parser::MimeHeaders;

use bounce_model::{BounceFacts, Bucket, Source};

pub use family::MessageKind;
pub use limits::Limits;
pub use text_facts::{facts_from_text, record_from_text, TextFacts};

/// The MIME parser, configured to decode only what the extraction reads (MIME structure,
/// Subject, From, To). Every other header is skipped, not even copied as raw text: the
/// extraction reads the top-level ones through `headers_raw` (their offsets, which skipping
/// keeps) and the returned original's from its raw header block, so mail-parser's parsing of
/// Received chains, dates and ids of every nested message would be thrown away.
static PARSER: std::sync::LazyLock<mail_parser::MessageParser> = std::sync::LazyLock::new(|| {
    mail_parser::MessageParser::new()
        .with_mime_headers()
        .header_text(mail_parser::HeaderName::Subject)
        .header_address(mail_parser::HeaderName::From)
        .header_address(mail_parser::HeaderName::To)
        .default_header_ignore()
});

/// Options of the extraction.
#[derive(Debug, Clone, Default)]
pub struct ExtractOptions {
    /// Extra headers of the returned original to capture (`--capture-header`).
    pub capture_headers: Vec<String>,
    /// Limits on the structure of one message.
    pub limits: Limits,
}

/// The result of reading one message.
#[derive(Debug, Clone)]
pub struct Extraction {
    /// The bucket the message lands in.
    pub bucket: Bucket,
    /// The facts of each recipient (empty unless the bucket is bounce or report).
    pub records: Vec<BounceFacts>,
    /// Why the message is unparsed or has no recipient.
    pub problem: Option<String>,
}

impl Extraction {
    fn bucket_only(bucket: Bucket, problem: Option<String>) -> Self {
        Extraction { bucket, records: Vec::new(), problem }
    }
}

/// Converts CRLF and CR-only line ends to LF, borrowing when there is nothing to change.
#[must_use]
pub fn normalize_newlines(raw: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr(b'\r', raw).is_none() {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'\r' {
            out.push(b'\n');
            if raw.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
        } else {
            out.push(b);
        }
        i += 1;
    }
    Cow::Owned(out)
}

/// Reads one raw message (as split from an mbox or read from a file) into records.
///
/// Never panics: a message mail-parser cannot read, or one without any header, is `unparsed`.
#[must_use]
pub fn extract(raw: &[u8], source: &Source, options: &ExtractOptions) -> Extraction {
    let bytes = normalize_newlines(raw);
    let body_start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    let mut bytes = &bytes[body_start..];
    if bytes.starts_with(b"From ") {
        // An mbox `From_` line left at the top of a single message.
        let end = memchr::memchr(b'\n', bytes).map_or(bytes.len(), |p| p + 1);
        bytes = &bytes[end..];
    }
    if bytes.is_empty() {
        return Extraction::bucket_only(Bucket::Unparsed, Some("empty message".to_string()));
    }
    if !starts_with_header(bytes) {
        return Extraction::bucket_only(
            Bucket::Unparsed,
            Some("not a mail message: the first line is not a header field".to_string()),
        );
    }
    if let Some(error) = limits::check_header_block(bytes, &options.limits) {
        return Extraction::bucket_only(Bucket::Unparsed, Some(error));
    }
    let bytes = attachments::without_binary_attachments(bytes);
    let Some(message) = PARSER.parse(&*bytes) else {
        return Extraction::bucket_only(
            Bucket::Unparsed,
            Some("mail-parser could not read the message".to_string()),
        );
    };
    if message.headers().is_empty() {
        return Extraction::bucket_only(Bucket::Unparsed, Some("no header fields".to_string()));
    }
    let depth = limits::mime_depth(&message, options.limits.max_mime_depth);
    if depth > options.limits.max_mime_depth {
        return Extraction::bucket_only(
            Bucket::Unparsed,
            Some(format!(
                "MIME parts nested deeper than {} levels (limit --max-mime-depth)",
                options.limits.max_mime_depth
            )),
        );
    }
    let mut view = parts::MessageView::new(&message, &options.limits);
    if let Some(report) = forwarded_report(&message, &view) {
        view = parts::MessageView::new(report, &options.limits);
    }
    let mut extraction = classify::classify(&view, source, options);
    let overflow = view.overflow();
    let total = extraction.records.len() + overflow.recipients;
    let mut problems = Vec::new();
    if total > options.limits.max_recipients {
        extraction.records.truncate(options.limits.max_recipients);
        problems.push(format!(
            "{total} recipients in one report; the first {} are kept (limit --max-recipients)",
            options.limits.max_recipients
        ));
    }
    if overflow.cut_fields > 0 {
        problems.push(format!(
            "{} report field(s) longer than {} bytes cut (limit --max-header-line)",
            overflow.cut_fields, options.limits.max_header_line
        ));
    }
    if !problems.is_empty() {
        problems.splice(0..0, extraction.problem.take());
        extraction.problem = Some(problems.join("; "));
    }
    extraction
}

/// The delivery report carried as the first attached message of a message that is not one
/// itself: a bounce forwarded to a helpdesk, or a gateway that wraps the MTA's report in a
/// notice of its own. Taken only when the outer message has no report part and its prose
/// names no failed recipient, so the original returned by a real bounce (which may itself be
/// a report, in a double bounce) is never read in its place.
fn forwarded_report<'m>(
    message: &'m mail_parser::Message<'m>,
    view: &parts::MessageView,
) -> Option<&'m mail_parser::Message<'m>> {
    if !view.dsn_texts.is_empty() || !view.feedback_texts.is_empty() {
        return None;
    }
    let nested = message.parts.iter().find_map(|part| match &part.body {
        mail_parser::PartType::Message(nested) => Some(nested),
        _ => None,
    })?;
    let is_report = nested.parts.iter().any(|part| {
        part.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("message")
                && ct.subtype().is_some_and(|s| {
                    s.eq_ignore_ascii_case("delivery-status")
                        || s.eq_ignore_ascii_case("global-delivery-status")
                })
        })
    });
    let outer_names_nobody =
        || prose::mentions(view).is_empty() && view.header("X-Failed-Recipients").is_none();
    (is_report && outer_names_nobody()).then_some(nested)
}

/// Whether the first line of the message is a header field (`Name: value` or an mbox
/// `From ` line left in place).
fn starts_with_header(bytes: &[u8]) -> bool {
    let line_end = memchr::memchr(b'\n', bytes).unwrap_or(bytes.len());
    let line = &bytes[..line_end];
    let Some(colon) = memchr::memchr(b':', line) else {
        return false;
    };
    colon > 0 && line[..colon].iter().all(|b| b.is_ascii_graphic() && *b != b':')
}
