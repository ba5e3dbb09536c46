//! Real NDRs come in every charset: ISO-2022-JP, Shift_JIS, GB2312, KOI8-R, windows-1251 and
//! windows-1252 bodies, RFC 2047 encoded words and RFC 2231 parameters must decode to readable
//! text in the record, and invalid UTF-8 or undeclared 8-bit text must never be an error.
//!
//! The bytes below are the encodings of short phrases meaning "address unknown", "user does
//! not exist", "mailbox full" and so on; each test asserts that a word of the phrase appears,
//! decoded, in the record's diagnostic.

#[path = "../fixtures/hostile/builders.rs"]
mod builders;

use bounce_mail::extract::{extract, ExtractOptions, Extraction};
use bounce_model::{BounceFacts, Bucket, Source};

use builders::{base64, prose_bounce};

const RECIPIENT: &str = "taro@example.jp";

fn read(message: &[u8]) -> Extraction {
    let source = Source { path: "encodings.eml".to_string(), message: 1, offset: 0 };
    let extraction = extract(message, &source, &ExtractOptions::default());
    for facts in &extraction.records {
        // Decoded text of any charset classifies like any other.
        let _ = builders::rules().classify(facts);
    }
    extraction
}

/// The facts of the one record of a bounce, which must name the recipient.
fn only_record(extraction: &Extraction) -> &BounceFacts {
    assert_eq!(extraction.bucket, Bucket::Bounce, "not a bounce: {:?}", extraction.problem);
    assert_eq!(extraction.records.len(), 1, "{:?}", extraction.records);
    let record = &extraction.records[0];
    assert_eq!(record.recipient, RECIPIENT);
    record
}

/// A prose bounce whose body is `text` (a diagnostic, then the qmail status code) declared
/// with `content_type` and `encoding`.
fn bounce_in(content_type: &str, encoding: &str, text: &[u8]) -> Vec<u8> {
    let headers = format!(
        "MIME-Version: 1.0\nContent-Type: {content_type}\nContent-Transfer-Encoding: {encoding}\n"
    );
    let mut diagnostic = text.to_vec();
    diagnostic.extend_from_slice(b" (#5.1.1)");
    prose_bounce(RECIPIENT, &headers, &diagnostic)
}

fn assert_diagnostic_has(message: &[u8], word: &str) {
    let extraction = read(message);
    let record = only_record(&extraction);
    let diagnostic = record.diagnostic.as_deref().unwrap_or_default();
    assert!(diagnostic.contains(word), "`{word}` not in diagnostic {diagnostic:?}");
    assert!(!diagnostic.contains('\u{1b}'), "escape sequences left in {diagnostic:?}");
}

#[test]
fn iso_2022_jp_body_decodes() {
    let text = b"\x1b$B08@hITL@\x1b(B";
    assert_diagnostic_has(&bounce_in("text/plain; charset=ISO-2022-JP", "7bit", text), "宛先");
}

#[test]
fn shift_jis_body_decodes() {
    let text = b"\x83\x86\x81[\x83U\x81[\x95s\x96\xbe\x82\xc5\x82\xb7";
    assert_diagnostic_has(&bounce_in("text/plain; charset=Shift_JIS", "8bit", text), "ユーザー");
}

#[test]
fn gb2312_body_decodes() {
    let text = b"\xd3\xc3\xbb\xa7\xb2\xbb\xb4\xe6\xd4\xda";
    assert_diagnostic_has(&bounce_in("text/plain; charset=GB2312", "8bit", text), "用户");
}

#[test]
fn koi8_r_body_decodes() {
    let text =
        b"\xf0\xcf\xcc\xd8\xda\xcf\xd7\xc1\xd4\xc5\xcc\xd8 \xce\xc5 \xce\xc1\xca\xc4\xc5\xce";
    assert_diagnostic_has(&bounce_in("text/plain; charset=KOI8-R", "8bit", text), "Пользователь");
}

#[test]
fn windows_1251_body_decodes() {
    let text = b"\xcf\xee\xf7\xf2\xee\xe2\xfb\xe9 \xff\xf9\xe8\xea \xef\xe5\xf0\xe5\xef\xee\xeb\xed\xe5\xed";
    assert_diagnostic_has(&bounce_in("text/plain; charset=windows-1251", "8bit", text), "ящик");
}

#[test]
fn windows_1252_body_decodes() {
    let text = b"Empf\xe4nger unbekannt, Postfach voll";
    assert_diagnostic_has(
        &bounce_in("text/plain; charset=windows-1252", "8bit", text),
        "Empfänger",
    );
}

#[test]
fn base64_and_quoted_printable_bodies_decode() {
    // The whole qmail body, KOI8-R, base64 encoded: "Пользователь не найден (#5.1.1)".
    let plain = bounce_in(
        "text/plain; charset=KOI8-R",
        "8bit",
        b"\xf0\xcf\xcc\xd8\xda\xcf\xd7\xc1\xd4\xc5\xcc\xd8",
    );
    let split_at = plain.windows(2).position(|w| w == b"\n\n").expect("header block") + 2;
    let (head, body) = plain.split_at(split_at);
    let head = String::from_utf8_lossy(head).replace("8bit", "base64");
    let mut message = head.into_bytes();
    message.extend_from_slice(base64(body).as_bytes());
    assert_diagnostic_has(&message, "Пользователь");

    let quoted =
        bounce_in("text/plain; charset=windows-1252", "quoted-printable", b"Empf=E4nger unbekannt");
    assert_diagnostic_has(&quoted, "Empfänger");
}

#[test]
fn rfc2231_charset_parameter_decodes() {
    // The charset given with RFC 2231 continuations: `koi` + `8-r`.
    let text =
        b"\xf0\xcf\xcc\xd8\xda\xcf\xd7\xc1\xd4\xc5\xcc\xd8 \xce\xc5 \xce\xc1\xca\xc4\xc5\xce";
    let content_type = "text/plain; charset*0=\"koi\"; charset*1=\"8-r\"";
    assert_diagnostic_has(&bounce_in(content_type, "8bit", text), "Пользователь");
}

#[test]
fn rfc2047_subject_of_returned_message_decodes() {
    // The returned message's Subject as ISO-2022-JP and KOI8-R encoded words.
    for (encoded, word) in [
        ("=?ISO-2022-JP?B?GyRCR1s/LklURz0bKEI6IBskQjA4QGhJVExAGyhC?=", "宛先"),
        ("=?koi8-r?B?7sXEz9PUwdfMxc7Oz8Ug0MnT2M3P?=", "письмо"),
    ] {
        let message = String::from_utf8(builders::dsn(RECIPIENT, "5.1.1", "550 5.1.1 unknown"))
            .expect("ascii")
            .replace("Subject: June news", &format!("Subject: {encoded}"));
        let extraction = read(message.as_bytes());
        let record = only_record(&extraction);
        let subject = record.original.subject.as_deref().unwrap_or_default();
        assert!(subject.contains(word), "`{word}` not in subject {subject:?}");
    }
}

#[test]
fn invalid_utf8_is_kept_lossy_never_an_error() {
    // Declared UTF-8 with invalid sequences in the body and 8-bit bytes in headers.
    let text = b"Mailbox \xff\xfe unavailable \xc3\x28 user unknown";
    let mut message = bounce_in("text/plain; charset=utf-8", "8bit", text);
    let garbage_header = b"X-Junk: \xff\x80\x81 \xe9t\xe9\n";
    message.splice(0..0, garbage_header.iter().copied());
    let extraction = read(&message);
    let record = only_record(&extraction);
    let diagnostic = record.diagnostic.as_deref().unwrap_or_default();
    assert!(diagnostic.contains("user unknown"), "{diagnostic:?}");
    assert!(diagnostic.contains("unavailable"), "{diagnostic:?}");
}

#[test]
fn undeclared_8bit_text_is_readable() {
    // No MIME headers at all, Latin-1 bytes in the prose.
    let message = prose_bounce(RECIPIENT, "", b"Empf\xe4nger unbekannt (#5.1.1)");
    let extraction = read(&message);
    let record = only_record(&extraction);
    let diagnostic = record.diagnostic.as_deref().unwrap_or_default();
    assert!(diagnostic.contains("nger unbekannt"), "{diagnostic:?}");
}

#[test]
fn unknown_charset_is_not_an_error() {
    let message =
        bounce_in("text/plain; charset=x-no-such-charset", "8bit", b"mailbox unavailable \xa4\xa5");
    let extraction = read(&message);
    let record = only_record(&extraction);
    assert!(record.diagnostic.as_deref().unwrap_or_default().contains("mailbox unavailable"));
}
