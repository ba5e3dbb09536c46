//! SMTP client transcripts as evidence: a session log (`-> MAIL FROM:<...>` / `<- 550 ...`,
//! swaks' ` -> ` / `<-  ` / `<** `, Sendmail's `>>> ` / `<<< `, or `C: ` / `S: `) saved as a
//! file.
//!
//! The file is one unit, read in order: each server reply (continuation lines `550-...`
//! joined to the final `550 ...`) answers the oldest client command not answered yet, which
//! is its stage; so a pipelined session (MAIL, every RCPT and DATA sent at once, RFC 2920)
//! pairs as a plain one does. A
//! failure answering `RCPT TO:<r>` is a record for `r`; one answering the message (`DATA`, the
//! final `.`) is a record for every recipient the session had accepted; a success after the
//! final `.` is a delivery for each of them. A failure before any recipient (greeting, EHLO,
//! MAIL FROM) names nobody: the unit is `bounce-no-recipient`, its problem quoting the reply
//! and the command it answered. A new greeting starts a new session; `=== Connected to HOST`
//! (swaks) names the receiving host.

use std::collections::VecDeque;
use std::io::Read;

use bounce_mail::input::{InputFile, Stream};
use bounce_model::{BounceFacts, Bucket, Kind, Record, Source, Stage};

use super::{Events, Reading, RecordSource, SourceEvent, Unit};
use crate::pipeline::ReadOptions;
use crate::source::log::result_facts;

/// SMTP transcripts.
#[derive(Debug, Clone, Copy, Default)]
pub struct TranscriptSource;

/// Who wrote a line of a transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    Server,
}

/// The side and the text of a transcript line, `None` for other lines.
fn line_of(line: &str) -> Option<(Side, &str)> {
    const CLIENT: [&str; 4] = [" -> ", "-> ", ">>> ", "C: "];
    const SERVER: [&str; 6] = ["<-  ", "<** ", "<- ", "<<< ", "S: ", "<~  "];
    let line = line.trim_end_matches(['\r', '\n']);
    if let Some(text) = CLIENT.iter().find_map(|m| line.strip_prefix(m)) {
        return Some((Side::Client, text.trim()));
    }
    let text = SERVER.iter().find_map(|m| line.strip_prefix(m))?.trim();
    let code = text.get(..3).filter(|c| c.bytes().all(|b| b.is_ascii_digit()))?;
    matches!(code.as_bytes()[0], b'2'..=b'5').then_some((Side::Server, text))
}

/// The stage of a client command.
fn stage_of(command: &str) -> Stage {
    let upper = command.to_ascii_uppercase();
    if upper.starts_with("RCPT") {
        Stage::Rcpt
    } else if upper.starts_with("MAIL") {
        Stage::Mail
    } else if upper.starts_with("DATA") {
        Stage::Data
    } else if upper == "." || upper.starts_with("<BODY") {
        Stage::EndOfData
    } else if upper.starts_with("EHLO")
        || upper.starts_with("HELO")
        || upper.starts_with("STARTTLS")
    {
        Stage::Ehlo
    } else {
        Stage::Unknown
    }
}

/// The address in `RCPT TO:<a@b>`.
fn address_of(command: &str) -> Option<String> {
    let start = command.find('<')? + 1;
    let end = command[start..].find('>')? + start;
    let address = command[start..end].trim();
    address.contains('@').then(|| address.to_ascii_lowercase())
}

impl RecordSource for TranscriptSource {
    fn name(&self) -> &'static str {
        "smtp-transcript"
    }

    fn describe(&self) -> &'static str {
        "SMTP client transcripts (-> / <- lines, swaks output, >>> / <<< sections)"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let text = String::from_utf8_lossy(head);
        let (mut client, mut server, mut other) = (0, 0, 0);
        for line in text.lines().take(40).filter(|l| !l.trim().is_empty()) {
            match line_of(line) {
                Some((Side::Client, _)) => client += 1,
                Some((Side::Server, _)) => server += 1,
                None => other += 1,
            }
        }
        client >= 2 && server >= 2 && client + server >= other
    }

    fn units(&self, stream: Stream, _file: &InputFile, options: &ReadOptions) -> Events {
        let limit = options.max_message_bytes;
        let mut bytes = Vec::new();
        let read = stream.take(limit.saturating_add(1)).read_to_end(&mut bytes);
        let event = match read {
            Err(error) => SourceEvent::Error { offset: 0, error: error.to_string() },
            Ok(n) if n as u64 > limit => SourceEvent::Oversize { offset: 0, len: n as u64, limit },
            Ok(_) => SourceEvent::Unit(Unit { offset: 0, line: Some(1), bytes }),
        };
        Box::new(std::iter::once(event))
    }

    fn read(&self, unit: &Unit, source: &Source, _options: &ReadOptions) -> Reading {
        let text = String::from_utf8_lossy(&unit.bytes);
        let mut session = Session::default();
        let mut records = Vec::new();
        let mut refusals = Vec::new();
        let mut reply = String::new();
        for (number, line) in text.lines().enumerate() {
            if let Some(host) = line.trim().strip_prefix("=== Connected to ") {
                session.host =
                    host.split_whitespace().next().map(|h| h.trim_end_matches('.').to_owned());
                continue;
            }
            let Some((side, said)) = line_of(line) else { continue };
            match side {
                Side::Client => {
                    reply.clear();
                    session.command(said);
                }
                Side::Server => {
                    // `550-...` continues; `550 ...` ends the reply.
                    if !reply.is_empty() {
                        reply.push(' ');
                    }
                    reply.push_str(said);
                    if said.as_bytes().get(3) == Some(&b'-') {
                        continue;
                    }
                    let full = std::mem::take(&mut reply);
                    match session.answer(&full, source) {
                        Answer::Records(mut more) => records.append(&mut more),
                        Answer::Nobody(stage) => refusals.push(format!(
                            "line {}: refused before any recipient ({}): {full}",
                            number + 1,
                            stage.as_str()
                        )),
                        Answer::Nothing => {}
                    }
                }
            }
        }
        let failed = records.iter().any(|r: &BounceFacts| r.kind.is_some_and(Kind::is_failure));
        let bucket = if failed {
            Bucket::Bounce
        } else if !refusals.is_empty() {
            Bucket::BounceNoRecipient
        } else if records.is_empty() {
            Bucket::NotABounce
        } else {
            Bucket::Report
        };
        let problem = (!refusals.is_empty()).then(|| refusals.join("; "));
        Reading { bucket, records: records.into_iter().map(Record::from).collect(), problem }
    }
}

/// The state of one SMTP session.
#[derive(Debug, Default)]
struct Session {
    host: Option<String>,
    /// Commands sent and not answered yet, oldest first: replies answer them in order, which
    /// pairs a pipelined session (RFC 2920: MAIL, every RCPT and DATA sent at once) as well as
    /// a plain one.
    sent: VecDeque<String>,
    /// The command the last reply answered.
    answered: Option<String>,
    /// Recipients the server accepted.
    accepted: Vec<String>,
    /// Whether the client is sending the message body (after `354`): its lines are not
    /// commands, up to the final `.`.
    in_data: bool,
}

/// What a server reply means for the records.
enum Answer {
    Records(Vec<BounceFacts>),
    Nobody(Stage),
    Nothing,
}

impl Session {
    fn command(&mut self, line: &str) {
        if self.in_data {
            if line == "." {
                self.in_data = false;
                self.sent.push_back(line.to_owned());
            }
            return;
        }
        if stage_of(line) == Stage::Mail {
            self.accepted.clear();
        }
        self.sent.push_back(line.to_owned());
    }

    fn answer(&mut self, reply: &str, source: &Source) -> Answer {
        let code = &reply[..3];
        let command = self.sent.pop_front();
        let quit_answered =
            self.answered.as_deref().is_some_and(|c| c.eq_ignore_ascii_case("QUIT"));
        if code == "220" && command.is_none() && (self.answered.is_none() || quit_answered) {
            // A greeting, at the start or after QUIT: a new session.
            *self = Session { host: self.host.take(), ..Session::default() };
            self.answered = Some(String::new());
            return Answer::Nothing;
        }
        let stage = match &command {
            Some(command) => stage_of(command),
            None if self.answered.is_none() => Stage::Greeting,
            None => Stage::Unknown,
        };
        self.answered = command.clone();
        if code == "354" {
            self.in_data = true;
            return Answer::Nothing;
        }
        let recipient = command.as_deref().and_then(address_of).filter(|_| stage == Stage::Rcpt);
        let fact = |recipient: &str, kind: Kind| -> Option<BounceFacts> {
            let mut facts = result_facts(reply, None, recipient, kind).ok()?;
            facts.source = source.clone();
            facts.format = "smtp-transcript".to_owned();
            facts.smtp_stage = stage;
            facts.stage_source = Some("transcript: the command the reply answered".to_owned());
            facts.remote_mta = self.host.clone();
            Some(facts)
        };
        match (code.as_bytes()[0], stage) {
            (b'4' | b'5', Stage::Rcpt) => {
                let kind = if code.starts_with('4') { Kind::Delay } else { Kind::Bounce };
                Answer::Records(recipient.and_then(|r| fact(&r, kind)).into_iter().collect())
            }
            (b'2', Stage::Rcpt) => {
                self.accepted.extend(recipient);
                Answer::Nothing
            }
            (b'4' | b'5', Stage::Data | Stage::EndOfData) => {
                let kind = if code.starts_with('4') { Kind::Delay } else { Kind::Bounce };
                let records = self.accepted.iter().filter_map(|r| fact(r, kind)).collect();
                self.accepted.clear();
                Answer::Records(records)
            }
            (b'2', Stage::EndOfData) => {
                let records =
                    self.accepted.iter().filter_map(|r| fact(r, Kind::Delivered)).collect();
                self.accepted.clear();
                Answer::Records(records)
            }
            (b'4' | b'5', stage) if self.accepted.is_empty() && stage != Stage::Unknown => {
                Answer::Nobody(stage)
            }
            _ => Answer::Nothing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_and_stages() {
        assert_eq!(
            line_of(" -> RCPT TO:<a@example.net>"),
            Some((Side::Client, "RCPT TO:<a@example.net>"))
        );
        assert_eq!(line_of("<** 550 5.1.1 unknown"), Some((Side::Server, "550 5.1.1 unknown")));
        assert_eq!(line_of("<<< 250 ok"), Some((Side::Server, "250 ok")));
        assert_eq!(line_of("=== Trying mx.example.net:25..."), None);
        assert_eq!(stage_of("RCPT TO:<a@example.net>"), Stage::Rcpt);
        assert_eq!(stage_of("."), Stage::EndOfData);
        assert_eq!(
            address_of("RCPT TO:<A@Example.net> NOTIFY=NEVER").as_deref(),
            Some("a@example.net")
        );
    }
}
