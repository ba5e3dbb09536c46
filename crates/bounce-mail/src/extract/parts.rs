//! A flat view of the parts of a parsed bounce that the extraction needs.

use std::cell::OnceCell;

use mail_parser::{Message, MessagePart, MimeHeaders, PartType};

use super::dsn::{Caps, Group, Overflow};
use super::found::Readings;
use super::limits::Limits;
use std::cell::Cell;

/// What a bounce is made of, sorted by role.
#[derive(Debug, Default)]
pub(crate) struct MessageView<'m> {
    /// Top-level header fields as (name, raw value), in order.
    headers: Vec<(&'m str, &'m str)>,
    /// Their values unfolded, each on first read ([`MessageView::header`]).
    unfolded: Vec<OnceCell<String>>,
    /// The decoded subject.
    pub(crate) subject: String,
    /// The From address of the bounce.
    pub(crate) from: String,
    /// The top-level Content-Type as `type/subtype`, lowercase.
    pub(crate) content_type: String,
    /// The `report-type` parameter of a `multipart/report`.
    pub(crate) report_type: Option<String>,
    /// Bodies of `message/delivery-status` parts.
    pub(crate) dsn_texts: Vec<String>,
    /// Their field groups, parsed on first use ([`MessageView::dsn_groups`]).
    dsn_groups: OnceCell<Vec<Group>>,
    /// Bodies of `message/feedback-report` parts.
    pub(crate) feedback_texts: Vec<String>,
    /// Bodies of `message/disposition-notification` parts (RFC 8098).
    pub(crate) mdn_texts: Vec<String>,
    /// The human-readable text of the bounce (text parts outside the returned original).
    pub(crate) prose: String,
    /// The prose ASCII-lowercased, once, for every phrase scan (same byte offsets).
    pub(crate) lower: String,
    /// Length of the notice: the prose up to where the returned original begins.
    pub(crate) notice_len: usize,
    /// The returned original's header block and how it was returned.
    pub(crate) original_headers: Option<(String, &'static str)>,
    /// The returned original, when it was returned whole as a `message/rfc822` part.
    original: Option<&'m Message<'m>>,
    /// Its body text, made on first read ([`MessageView::original_body`]).
    original_body: OnceCell<Option<String>>,
    /// Recipients named in the returned original's To header (fallback for some reports).
    pub(crate) original_to: Option<String>,
    /// What the prose gives, each part read once on first use and shared by every step.
    readings: Readings,
    /// The caps report bodies are parsed under.
    caps: Caps,
    /// The caps of the returned original's header block: fields, bytes per field.
    header_caps: (usize, usize),
    /// What the caps left out of the report bodies parsed so far.
    overflow: Cell<Overflow>,
}

impl<'m> MessageView<'m> {
    /// Builds the view of a parsed message.
    pub(crate) fn new(message: &'m Message<'m>, limits: &Limits) -> MessageView<'m> {
        let max_part = limits.max_decoded_part;
        let mut view = MessageView {
            caps: Caps { recipients: limits.max_recipients, field: limits.max_header_line },
            header_caps: (limits.max_header_count, limits.max_header_line),
            headers: message.headers_raw().collect(),
            subject: message.subject().unwrap_or_default().to_string(),
            from: message
                .from()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_string(),
            ..MessageView::default()
        };
        view.unfolded = view.headers.iter().map(|_| OnceCell::new()).collect();
        if let Some(ct) = message.root_part().content_type() {
            view.content_type = format!(
                "{}/{}",
                ct.ctype().to_ascii_lowercase(),
                ct.subtype().unwrap_or("").to_ascii_lowercase()
            );
            view.report_type = ct.attribute("report-type").map(str::to_ascii_lowercase);
        }
        for part in &message.parts {
            view.add_part(part, max_part);
        }
        view.lower = view.prose.to_ascii_lowercase();
        view.notice_len = super::notice::notice(&view.prose, &view.lower).len();
        view
    }

    /// The body text of the returned original (its first text part, or its HTML as text),
    /// decoded on first read: only the evidence of a bounce that has records reads it.
    pub(crate) fn original_body(&self) -> Option<&str> {
        self.original_body
            .get_or_init(|| {
                let nested = self.original?;
                nested
                    .body_text(0)
                    .map(|t| t.into_owned())
                    .or_else(|| nested.body_html(0).map(|h| html_to_text(&h)))
            })
            .as_deref()
    }

    /// The field groups of every `message/delivery-status` part, in order, parsed once.
    pub(crate) fn dsn_groups(&self) -> &[Group] {
        self.dsn_groups
            .get_or_init(|| self.dsn_texts.iter().flat_map(|t| self.parse_groups(t)).collect())
    }

    /// The field groups of a report body, parsed under the limits (`--max-recipients`,
    /// `--max-header-line`); what they leave out is added to [`MessageView::overflow`].
    pub(crate) fn parse_groups(&self, text: &str) -> Vec<Group> {
        let mut overflow = self.overflow.get();
        let groups = super::dsn::parse_groups_capped(text, self.caps, &mut overflow);
        self.overflow.set(overflow);
        groups
    }

    /// The fields of a returned original's header block, under `--max-header-count` and
    /// `--max-header-line`.
    pub(crate) fn original_header_block<'t>(
        &self,
        text: &'t str,
    ) -> Vec<super::original::Header<'t>> {
        let (count, line) = self.header_caps;
        super::original::parse_header_block_capped(text, count, line)
    }

    /// What the limits left out of the report bodies parsed so far.
    pub(crate) fn overflow(&self) -> Overflow {
        self.overflow.get()
    }

    /// The notice: the prose of the bounce up to where the returned original begins.
    pub(crate) fn notice(&self) -> &str {
        &self.prose[..self.notice_len]
    }

    /// The notice ASCII-lowercased.
    pub(crate) fn notice_lower(&self) -> &str {
        &self.lower[..self.notice_len]
    }

    /// Where the prose's readings of this message are kept once made (`prose::mentions`,
    /// `prose::finding`, `prose::format`, ...).
    pub(crate) fn readings(&self) -> &Readings {
        &self.readings
    }

    /// Whether a disposition notification reports that the message was rejected or deleted
    /// unread by an automatic action (RFC 8098 `automatic-action/…; deleted` or `failed`;
    /// Sieve `reject`, RFC 5429, as Dovecot's delivery agent sends it): a delivery failure,
    /// not a read receipt.
    pub(crate) fn mdn_rejects(&self) -> bool {
        self.mdn_texts.iter().any(|text| {
            text.lines().any(|line| {
                let Some((name, value)) = line.split_once(':') else { return false };
                if !name.trim().eq_ignore_ascii_case("disposition") {
                    return false;
                }
                let value = value.to_ascii_lowercase();
                let (mode, kind) = value.split_once(';').unwrap_or(("", value.as_str()));
                let kind = kind.split(['/', '(']).next().unwrap_or("").trim();
                mode.trim().starts_with("automatic-action")
                    && matches!(kind, "deleted" | "failed" | "rejected")
            })
        })
    }

    /// The raw value of the first top-level header with this name.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        let index = self.headers.iter().position(|(n, _)| n.eq_ignore_ascii_case(name))?;
        Some(self.header_value(index))
    }

    /// The names of the top-level header fields, with their positions, in order.
    pub(crate) fn header_names(&self) -> impl Iterator<Item = (usize, &'m str)> + '_ {
        self.headers.iter().map(|(name, _)| *name).enumerate()
    }

    /// The unfolded value of the top-level header field at `index` (see `header_names`).
    pub(crate) fn header_value(&self, index: usize) -> &str {
        self.unfolded[index].get_or_init(|| unfold(self.headers[index].1))
    }

    fn add_part(&mut self, part: &'m MessagePart<'m>, max_part: usize) {
        let (ctype, subtype) = part.content_type().map_or_else(
            || ("text".to_string(), "plain".to_string()),
            |ct| (ct.ctype().to_ascii_lowercase(), ct.subtype().unwrap_or("").to_ascii_lowercase()),
        );
        match (&part.body, ctype.as_str(), subtype.as_str()) {
            (PartType::Multipart(_), _, _) => {}
            (PartType::Message(nested), _, _) => self.add_original(nested),
            (body, "message", "delivery-status" | "global-delivery-status") => {
                self.dsn_texts.push(body_text(body));
            }
            (body, "message", "feedback-report") => self.feedback_texts.push(body_text(body)),
            (body, "message", "disposition-notification" | "global-disposition-notification") => {
                self.mdn_texts.push(body_text(body));
            }
            (body, "text" | "message", "rfc822-headers" | "global-headers")
                if self.original_headers.is_none() =>
            {
                self.original_headers = Some((body_text(body), "text/rfc822-headers"));
            }
            // mail-parser could not read the nested message: keep its text for the header
            // block.
            (body, "message", "rfc822" | "global") if self.original_headers.is_none() => {
                self.original_headers = Some((body_text(body), "message/rfc822"));
            }
            (PartType::Text(text), _, _) if !is_attachment(part) || self.prose.is_empty() => {
                push_prose(&mut self.prose, cut(text, max_part));
            }
            (PartType::Html(html), _, _) if self.prose.trim().is_empty() => {
                push_prose(&mut self.prose, &html_to_text(cut(html, max_part)));
            }
            _ => {}
        }
    }

    fn add_original(&mut self, nested: &'m Message<'m>) {
        if self.original_headers.is_some() {
            return;
        }
        let raw = nested.raw_message();
        let end = header_block_end(raw);
        let head = String::from_utf8_lossy(&raw[..end]).into_owned();
        self.original_headers = Some((head, "message/rfc822"));
        self.original_to =
            nested.to().and_then(|a| a.first()).and_then(|a| a.address()).map(str::to_string);
        self.original = Some(nested);
    }
}

/// Unfolds a raw header value and trims it.
pub(crate) fn unfold(raw: &str) -> String {
    if memchr::memchr(b'\n', raw.as_bytes()).is_none() {
        return raw.trim().to_string();
    }
    let mut out = String::with_capacity(raw.len());
    for (i, line) in raw.split('\n').enumerate() {
        let line = line.trim_end_matches('\r');
        if i > 0 {
            out.push(' ');
            out.push_str(line.trim_start());
        } else {
            out.push_str(line);
        }
    }
    let trimmed = out.trim();
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_string()
    }
}

fn is_attachment(part: &MessagePart<'_>) -> bool {
    part.content_disposition().is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"))
}

/// The first `max` bytes of `text`, cut at a character boundary.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn push_prose(prose: &mut String, text: &str) {
    if !prose.is_empty() {
        prose.push('\n');
    }
    prose.push_str(text);
}

fn body_text(body: &PartType<'_>) -> String {
    match body {
        PartType::Text(t) | PartType::Html(t) => t.to_string(),
        PartType::Binary(b) | PartType::InlineBinary(b) => String::from_utf8_lossy(b).into_owned(),
        PartType::Message(m) => String::from_utf8_lossy(m.raw_message()).into_owned(),
        PartType::Multipart(_) => String::new(),
    }
}

/// The end of the header block of a raw message (the offset of the blank line).
pub(crate) fn header_block_end(raw: &[u8]) -> usize {
    memchr::memmem::find(raw, b"\n\n").map_or(raw.len(), |p| p + 1)
}

/// A crude HTML to text conversion for NDRs sent as HTML only: tags become line breaks or
/// spaces, common entities are decoded.
pub(crate) fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let Some(gt) = rest[lt..].find('>') else {
            rest = "";
            break;
        };
        let tag = rest[lt + 1..lt + gt].trim_start_matches('/').to_ascii_lowercase();
        let name = tag.split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap_or("");
        if matches!(name, "br" | "p" | "div" | "tr" | "li" | "h1" | "h2" | "h3" | "table") {
            out.push('\n');
        } else if matches!(name, "td" | "th") {
            out.push(' ');
        }
        if name == "style" || name == "script" {
            let close = format!("</{name}");
            let after = &rest[lt + gt + 1..];
            rest = after.to_ascii_lowercase().find(&close).map_or("", |p| &after[p..]);
            continue;
        }
        rest = &rest[lt + gt + 1..];
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}
