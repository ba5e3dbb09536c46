//! A structural JSON scanner: where a value ends, the elements of an array, the value of one
//! member of an object, and whether a stream of lines has closed its open value. It checks
//! brackets and strings only (serde_json reads each event afterwards), so an event file can be
//! cut into events, each with its own byte offset, without building any value.

use std::ops::Range;

/// Skips white space from `at`.
pub(super) fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The end (exclusive) of the string whose opening quote is at `at`.
fn string_end(bytes: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 1;
    while i < bytes.len() {
        let found = memchr::memchr2(b'\\', b'"', &bytes[i..])?;
        i += found;
        if bytes[i] == b'\\' {
            i += 2;
        } else {
            return Some(i + 1);
        }
    }
    None
}

/// The end (exclusive) of the value that starts at `at`, or `None` when the bytes end first
/// or a closing bracket comes where a value should or does not match its opening one.
pub(super) fn value_end(bytes: &[u8], at: usize) -> Option<usize> {
    match *bytes.get(at)? {
        b'"' => string_end(bytes, at),
        b'{' | b'[' => {
            // The closing brackets expected, innermost last: a `]` that closes a `{` is damage.
            let mut open = Vec::new();
            let mut i = at;
            while i < bytes.len() {
                match bytes[i] {
                    b'"' => i = string_end(bytes, i)?,
                    b'{' => {
                        open.push(b'}');
                        i += 1;
                    }
                    b'[' => {
                        open.push(b']');
                        i += 1;
                    }
                    close @ (b'}' | b']') => {
                        if open.pop() != Some(close) {
                            return None;
                        }
                        i += 1;
                        if open.is_empty() {
                            return Some(i);
                        }
                    }
                    _ => i += 1,
                }
            }
            None
        }
        b'}' | b']' | b',' | b':' => None,
        _ => {
            let rest = &bytes[at..];
            let len = rest
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
                .unwrap_or(rest.len());
            Some(at + len)
        }
    }
}

/// The elements of the array whose `[` is at `at`, and where the array stops making sense
/// when it does (the elements before that point are kept).
pub(super) fn array_elements(bytes: &[u8], at: usize) -> (Vec<Range<usize>>, Option<usize>) {
    let mut elements = Vec::new();
    let mut i = skip_space(bytes, at + 1);
    if bytes.get(i) == Some(&b']') {
        return (elements, None);
    }
    loop {
        let Some(end) = value_end(bytes, i) else { return (elements, Some(i)) };
        elements.push(i..end);
        i = skip_space(bytes, end);
        match bytes.get(i) {
            Some(b',') => i = skip_space(bytes, i + 1),
            Some(b']') => return (elements, None),
            _ => return (elements, Some(i.min(bytes.len()))),
        }
    }
}

/// The value of the member `key` of the object whose `{` is at `at`, if it has one (keys are
/// compared as written, escapes unread).
pub(super) fn member(bytes: &[u8], at: usize, key: &str) -> Option<Range<usize>> {
    let mut i = skip_space(bytes, at + 1);
    loop {
        if bytes.get(i)? != &b'"' {
            return None;
        }
        let key_end = string_end(bytes, i)?;
        let name = &bytes[i + 1..key_end - 1];
        i = skip_space(bytes, key_end);
        if bytes.get(i)? != &b':' {
            return None;
        }
        i = skip_space(bytes, i + 1);
        let end = value_end(bytes, i)?;
        if name == key.as_bytes() {
            return Some(i..end);
        }
        i = skip_space(bytes, end);
        match bytes.get(i)? {
            b',' => i = skip_space(bytes, i + 1),
            _ => return None,
        }
    }
}

/// Follows the nesting of JSON text fed line by line, to tell when a document spread over
/// several lines is complete.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Nesting {
    depth: i64,
    in_string: bool,
    escaped: bool,
    started: bool,
}

impl Nesting {
    /// Reads one more piece of the document.
    pub(super) fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => self.depth -= 1,
                _ => {}
            }
            self.started |= !b.is_ascii_whitespace();
        }
    }

    /// Whether everything opened so far is closed (a stray closing bracket counts as closed:
    /// the document is malformed and its reader says so).
    pub(super) fn is_closed(&self) -> bool {
        self.started && !self.in_string && self.depth <= 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_arrays_and_members() {
        let text = br#" [ {"a": "x]\"y", "b": [1, 2]}, 3 , "s" ] "#;
        let (elements, damage) = array_elements(text, 1);
        assert_eq!(damage, None);
        let parts: Vec<&[u8]> = elements.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(parts, [&br#"{"a": "x]\"y", "b": [1, 2]}"#[..], b"3", b"\"s\""]);
        let object = br#"{"TotalCount": 2, "Bounces": [{"x": 1}]}"#;
        assert_eq!(member(object, 0, "Bounces").map(|r| &object[r]), Some(&br#"[{"x": 1}]"#[..]));
        assert_eq!(member(object, 0, "items"), None);
        let broken = br#"[{"a": 1}, {"b": 2"#;
        let (elements, damage) = array_elements(broken, 0);
        assert_eq!((elements.len(), damage), (1, Some(11)));
    }

    #[test]
    fn nesting_closes_at_the_end_of_a_document() {
        let mut nesting = Nesting::default();
        nesting.feed(b"{\n  \"a\": \"{[\",\n");
        assert!(!nesting.is_closed());
        nesting.feed(b"  \"b\": [1]\n}\n");
        assert!(nesting.is_closed());
        let mut blank = Nesting::default();
        blank.feed(b"  \n");
        assert!(!blank.is_closed());
    }
}
