//! The `--dns-cache` file: one JSON object holding every answer of earlier runs with the time
//! it was obtained and its expiry (TTL). Read at start (expired answers are dropped), written
//! atomically at the end (a temporary file in the same folder, then renamed). RDAP answers
//! (`--rdap`) are kept in the same file, by address, for a fixed day.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::answer::{Answer, Question};
use crate::rdap::RdapAnswer;

/// Why the cache file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The file exists but cannot be read.
    #[error("dns cache {path}: cannot read: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a cache this version wrote.
    #[error("dns cache {path}:{line}:{column}: not a bounce-triage DNS cache: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The file cannot be written.
    #[error("dns cache {path}: cannot write: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

const FORMAT: &str = "bounce-triage-dns-cache/1";

#[derive(Serialize, Deserialize)]
struct CacheFile {
    format: String,
    entries: Vec<Entry>,
    /// RDAP answers by address; absent in files written before `--rdap`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    rdap: Vec<RdapAnswer>,
}

/// The answers a cache file holds: DNS answers by question, RDAP answers by address.
#[derive(Debug, Default)]
pub(crate) struct Cached {
    pub(crate) dns: HashMap<Question, Answer>,
    pub(crate) rdap: HashMap<String, RdapAnswer>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    #[serde(flatten)]
    question: Question,
    #[serde(flatten)]
    answer: Answer,
}

/// The unexpired answers of the cache file; none when it does not exist yet.
pub(crate) fn load(path: &Path, now: i64) -> Result<Cached, CacheError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Cached::default()),
        Err(source) => return Err(CacheError::Read { path: path.to_owned(), source }),
    };
    let format_error = |line: usize, column: usize, message: String| CacheError::Format {
        path: path.to_owned(),
        line,
        column,
        message,
    };
    let file: CacheFile = serde_json::from_str(&text)
        .map_err(|e| format_error(e.line(), e.column(), e.to_string()))?;
    if file.format != FORMAT {
        return Err(format_error(1, 1, format!("format `{}`, expected `{FORMAT}`", file.format)));
    }
    let dns = file
        .entries
        .into_iter()
        .filter(|entry| entry.answer.expires_at > now && entry.answer.outcome.is_answer())
        .map(|mut entry| {
            entry.answer.cached = true;
            (entry.question, entry.answer)
        })
        .collect();
    let rdap = file
        .rdap
        .into_iter()
        .filter(|answer| answer.expires_at > now && answer.status.is_answer())
        .map(|mut answer| {
            answer.cached = true;
            (answer.ip.clone(), answer)
        })
        .collect();
    Ok(Cached { dns, rdap })
}

/// Writes every unexpired answer, sorted, atomically; failed lookups are not kept.
pub(crate) fn save(
    path: &Path,
    answers: &HashMap<Question, Answer>,
    rdap: &HashMap<String, RdapAnswer>,
    now: i64,
) -> Result<(), CacheError> {
    let write_error = |source: std::io::Error| CacheError::Write { path: path.to_owned(), source };
    let mut entries: Vec<Entry> = answers
        .iter()
        .filter(|(_, answer)| answer.expires_at > now && answer.outcome.is_answer())
        .map(|(question, answer)| Entry { question: question.clone(), answer: answer.clone() })
        .collect();
    entries.sort_by(|a, b| a.question.cmp(&b.question));
    let mut rdap: Vec<RdapAnswer> = rdap
        .values()
        .filter(|answer| answer.expires_at > now && answer.status.is_answer())
        .cloned()
        .collect();
    rdap.sort_by(|a, b| a.ip.cmp(&b.ip));
    let file = CacheFile { format: FORMAT.to_owned(), entries, rdap };
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temporary = tempfile::NamedTempFile::new_in(folder).map_err(write_error)?;
    serde_json::to_writer_pretty(&mut temporary, &file)
        .map_err(|e| write_error(std::io::Error::other(e)))?;
    temporary.write_all(b"\n").map_err(write_error)?;
    temporary.persist(path).map_err(|e| write_error(e.error))?;
    Ok(())
}
