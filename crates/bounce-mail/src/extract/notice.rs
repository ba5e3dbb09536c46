//! The notice of a bounce: its human-readable text up to where the returned original begins
//! (a marker line such as "----- Original message -----", or a quoted header block).

use super::phrases::{ORIGINAL_MARKERS, ORIGINAL_SET};

/// The most of a notice (or of an auto-reply's text) kept for the rules.
pub(crate) const MAX_NOTICE: usize = 2048;

/// The notice: the bounce text with the returned original cut off. `lower` is `text`
/// ASCII-lowercased.
pub(crate) fn notice<'t>(text: &'t str, lower: &str) -> &'t str {
    let mut cut = text.len();
    for (index, position) in ORIGINAL_SET.iter(lower) {
        // The transcript of a Sendmail session is part of the notice; it ends later.
        if ORIGINAL_MARKERS[index].contains("transcript") || position == 0 {
            continue;
        }
        // A banner's leading rule (`|------- Message text follows`) goes with it.
        let line_start = text[..position].rfind('\n').map_or(0, |p| p + 1);
        let lead = &text[line_start..position];
        cut = if lead.chars().all(|c| matches!(c, '-' | '|' | '=' | '*' | ' ' | '\t')) {
            line_start
        } else {
            position
        };
        break;
    }
    // A quoted header block (`Received:` / `Return-Path:` at the start of a line, after a
    // blank line) also starts the original.
    if let Some(p) = header_block_start(&text[..cut]) {
        cut = cut.min(p);
    }
    &text[..floor_char_boundary(text, cut)]
}

pub(crate) fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Where an inline header block of the returned message starts, if any.
pub(crate) fn header_block_start(text: &str) -> Option<usize> {
    let mut offset = 0;
    let mut prev_blank = true;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start_matches(['>', ' ', '\t']);
        let starts = |prefix: &str| {
            trimmed.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix))
        };
        if prev_blank
            && offset > 0
            && (starts("received: from")
                || starts("received: by")
                || starts("return-path:")
                || starts("x-original-to:")
                || starts("delivered-to:"))
        {
            return Some(offset);
        }
        let t = line.trim();
        prev_blank = t.is_empty() || (t.len() >= 5 && t.bytes().all(|b| b == b'-' || b == b'='));
        offset += line.len();
    }
    None
}
