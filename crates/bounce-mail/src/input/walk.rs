//! Turning command-line paths into an ordered list of input files.
//!
//! Directories are walked depth-first with entries sorted by the bytes of their names, so the
//! order never depends on the file system. Hidden entries (names starting with `.`) are
//! skipped inside directories but honoured when named on the command line. Symbolic links to
//! files are followed; symbolic links to directories are not descended, which rules out loops.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use super::{InputError, InputFile};

/// Maildir subdirectories whose files are delivered messages.
const MAILDIR_MESSAGES: [&str; 2] = ["cur", "new"];

/// The Maildir subdirectory of deliveries still in progress.
const MAILDIR_TMP: &str = "tmp";

/// Expands `args` into input files: `-` is stdin, a file is itself, and a directory is walked
/// recursively in sorted order. A Maildir (a directory with `cur/` or `new/`) contributes the
/// files of `cur/` then `new/` and skips `tmp/` and its own bookkeeping files. Paths that
/// cannot be examined or listed come back as errors naming them, in their place in the order.
pub fn discover(args: &[PathBuf]) -> Vec<Result<InputFile, InputError>> {
    let mut found = Vec::new();
    for arg in args {
        if arg.as_os_str() == "-" {
            found.push(Ok(InputFile::stdin()));
            continue;
        }
        match fs::metadata(arg) {
            Err(source) => found.push(Err(InputError::Access { path: arg.clone(), source })),
            Ok(metadata) if metadata.is_dir() => {
                if is_maildir_messages_dir(arg) {
                    maildir_files(arg, &mut found);
                } else {
                    walk(arg, &mut found);
                }
            }
            Ok(_) => found.push(Ok(InputFile::file(arg.clone(), false))),
        }
    }
    found
}

/// A directory entry with what the walk needs to know about it.
struct Entry {
    name: OsString,
    path: PathBuf,
    is_dir: bool,
    is_file: bool,
}

impl Entry {
    fn hidden(&self) -> bool {
        self.name.as_encoded_bytes().starts_with(b".")
    }

    fn named(&self, name: &str) -> bool {
        self.name == name
    }
}

/// The entries of `dir` sorted by name; unreadable entries become errors in `found`.
fn sorted_entries(
    dir: &Path,
    found: &mut Vec<Result<InputFile, InputError>>,
) -> Option<Vec<Entry>> {
    let listing = match fs::read_dir(dir) {
        Ok(listing) => listing,
        Err(source) => {
            found.push(Err(InputError::ReadDir { path: dir.to_owned(), source }));
            return None;
        }
    };
    let mut entries = Vec::new();
    for entry in listing {
        let entry = match entry {
            Ok(entry) => entry,
            Err(source) => {
                found.push(Err(InputError::ReadDir { path: dir.to_owned(), source }));
                continue;
            }
        };
        let path = entry.path();
        let kind = match entry.file_type() {
            Ok(kind) => kind,
            Err(source) => {
                found.push(Err(InputError::Access { path, source }));
                continue;
            }
        };
        let (is_dir, is_file) = if kind.is_symlink() {
            // Follow links to files only; a dangling link is reported.
            match fs::metadata(&path) {
                Ok(target) => (false, target.is_file()),
                Err(source) => {
                    found.push(Err(InputError::Access { path, source }));
                    continue;
                }
            }
        } else {
            (kind.is_dir(), kind.is_file())
        };
        entries.push(Entry { name: entry.file_name(), path, is_dir, is_file });
    }
    entries.sort_by(|left, right| left.name.cmp(&right.name));
    Some(entries)
}

fn walk(dir: &Path, found: &mut Vec<Result<InputFile, InputError>>) {
    let Some(entries) = sorted_entries(dir, found) else {
        return;
    };
    let maildir =
        entries.iter().any(|entry| entry.is_dir && MAILDIR_MESSAGES.iter().any(|n| entry.named(n)));
    for entry in entries.iter().filter(|entry| !entry.hidden()) {
        if maildir && entry.is_dir && MAILDIR_MESSAGES.iter().any(|name| entry.named(name)) {
            maildir_files(&entry.path, found);
        } else if maildir && entry.named(MAILDIR_TMP) {
            // Deliveries in progress are not messages yet.
        } else if entry.is_dir {
            walk(&entry.path, found);
        } else if entry.is_file && !maildir {
            found.push(Ok(InputFile::file(entry.path.clone(), false)));
        }
    }
}

/// The files of a Maildir's `cur/` or `new/`.
fn maildir_files(dir: &Path, found: &mut Vec<Result<InputFile, InputError>>) {
    let Some(entries) = sorted_entries(dir, found) else {
        return;
    };
    for entry in entries.into_iter().filter(|entry| entry.is_file && !entry.hidden()) {
        found.push(Ok(InputFile::file(entry.path, true)));
    }
}

/// Whether `dir` is the `cur/` or `new/` of a Maildir, named directly on the command line.
fn is_maildir_messages_dir(dir: &Path) -> bool {
    let Some(name) = dir.file_name() else {
        return false;
    };
    let Some(parent) = dir.parent().filter(|parent| !parent.as_os_str().is_empty()) else {
        return false;
    };
    MAILDIR_MESSAGES.iter().any(|own| name == *own)
        && MAILDIR_MESSAGES
            .iter()
            .chain(std::iter::once(&MAILDIR_TMP))
            .any(|sibling| name != *sibling && parent.join(sibling).is_dir())
}
