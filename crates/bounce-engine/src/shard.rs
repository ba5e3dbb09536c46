//! Shards that are a pure function of the file (`--shard K/N`): which units of an input one
//! shard of a run reads, so that N processes (or N tasks of a cluster job) each read a part
//! and the union of their results is exactly the unsharded run.
//!
//! **The rule.** A plain file of `size` bytes is cut into N byte ranges, shard K owning
//! `[(K-1)·size/N, K·size/N)`. A unit (an mbox message, a log line, an NDJSON event, a CSV
//! row) belongs to the shard whose range holds the offset where it starts (its `From ` line,
//! its line start). Whole-file inputs (gzip streams, which cannot be entered mid-way, and
//! Maildir files, which are one message each) belong whole to one shard: shard 1 when N is 1,
//! else the shard a stable hash of the path as displayed names ([`Shard::owns_whole`]).
//!
//! **How a shard reads.** The shard reads its file from the start through the format's own
//! reader, but extracts and classifies only the units it owns, and stops at the first unit
//! past its range. Reading the bytes before the range (cut into units, never parsed into
//! facts) is what makes the union exact for every format rather than for mail only: the
//! mbox splitter's rules (flavour, `>From ` escapes, line ends decided per message,
//! `Content-Length` of mboxcl2, a preamble), the 1-based message and line numbers that
//! records and problems carry, the header row of a CSV/TSV export and the `#Fields:` line of
//! an Exchange log, and the earlier lines of a queue id that a Postfix or Sendmail result
//! joins (`from=`, `message-id=`) are all the unsharded run's. The cost is a scan of the
//! prefix at splitting speed (gigabytes a second), small beside extraction; `docs/shards.md`
//! has the figures.

use std::fmt;
use std::io::Read;
use std::str::FromStr;

use bounce_mail::input::InputFile;

/// Shard K of N (1-based), as `--shard K/N` gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shard {
    /// Which shard, 1 to `count`.
    pub index: u64,
    /// How many shards.
    pub count: u64,
}

impl Default for Shard {
    fn default() -> Self {
        Shard::WHOLE
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let expected = || format!("`{text}` is not K/N with 1 <= K <= N (e.g. 3/8)");
        let (index, count) = text.trim().split_once('/').ok_or_else(expected)?;
        let index: u64 = index.trim().parse().map_err(|_| expected())?;
        let count: u64 = count.trim().parse().map_err(|_| expected())?;
        Shard::new(index, count).ok_or_else(expected)
    }
}

/// What one shard reads of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Every unit (an unsharded run, or a whole-file input this shard owns).
    All,
    /// The units starting in `start..end` (`end` is the file's size for the last shard).
    Range {
        /// First byte owned.
        start: u64,
        /// First byte not owned.
        end: u64,
    },
    /// Nothing: a whole-file input another shard owns.
    Skip,
}

impl Plan {
    /// Whether a unit starting at `offset` is this shard's.
    #[must_use]
    pub fn owns(&self, offset: u64) -> bool {
        match *self {
            Plan::All => true,
            Plan::Range { start, end } => (start..end).contains(&offset),
            Plan::Skip => false,
        }
    }

    /// Whether a unit starting at `offset` lies past the range, so reading can stop.
    #[must_use]
    pub fn is_past(&self, offset: u64) -> bool {
        match *self {
            Plan::All => false,
            Plan::Range { end, .. } => offset >= end,
            Plan::Skip => true,
        }
    }

    /// Whether this shard reports what concerns the file as a whole (it cannot be opened or
    /// sniffed): the shard that owns its first byte.
    #[must_use]
    pub fn owns_file_start(&self) -> bool {
        match *self {
            Plan::All => true,
            Plan::Range { start, .. } => start == 0,
            Plan::Skip => false,
        }
    }

    /// Whether this shard reports a read error at stream offset `offset`: the one whose
    /// range holds it, or the last one for an error at or past the end of the file. An error
    /// before the range ends the unsharded run before any unit of this shard: nothing of it
    /// is reported here.
    #[must_use]
    pub fn reports_error_at(&self, offset: u64, size: u64) -> bool {
        match *self {
            Plan::All => true,
            Plan::Range { start, end } => offset >= start && (offset < end || end >= size),
            Plan::Skip => false,
        }
    }
}

impl Shard {
    /// The whole input: shard 1 of 1.
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };

    /// Shard `index` of `count`, when `1 <= index <= count`.
    #[must_use]
    pub fn new(index: u64, count: u64) -> Option<Shard> {
        (index >= 1 && index <= count).then_some(Shard { index, count })
    }

    /// The byte range `[(K-1)·size/N, K·size/N)` of a file of `size` bytes.
    #[must_use]
    pub fn range(&self, size: u64) -> (u64, u64) {
        let at = |k: u64| {
            u64::try_from(u128::from(size) * u128::from(k) / u128::from(self.count)).unwrap_or(size)
        };
        (at(self.index - 1), at(self.index))
    }

    /// Whether this shard reads the whole-file input shown as `display` (a gzip stream, a
    /// Maildir file): always for N = 1, else when the path's stable hash (FNV-1a, 64 bits)
    /// modulo N is K - 1.
    #[must_use]
    pub fn owns_whole(&self, display: &str) -> bool {
        self.count == 1 || path_hash(display) % self.count == self.index - 1
    }

    /// What this shard reads of `file`.
    #[must_use]
    pub fn plan(&self, file: &InputFile) -> Plan {
        if self.count == 1 {
            return Plan::All;
        }
        if file.is_stdin() {
            // Refused when the pipeline is built; never read by a shard of several.
            return Plan::Skip;
        }
        if file.in_maildir || is_gzip(file) {
            return if self.owns_whole(&file.display) { Plan::All } else { Plan::Skip };
        }
        match std::fs::metadata(&file.path) {
            Ok(meta) => {
                let (start, end) = self.range(meta.len());
                Plan::Range { start, end }
            }
            // The open fails later; shard 1 reports it.
            Err(_) => {
                if self.index == 1 {
                    Plan::All
                } else {
                    Plan::Skip
                }
            }
        }
    }
}

/// Whether `file` starts with the gzip magic bytes (a file that cannot be read is not).
#[must_use]
pub fn is_gzip(file: &InputFile) -> bool {
    let mut magic = [0u8; 2];
    std::fs::File::open(&file.path)
        .and_then(|mut handle| handle.read_exact(&mut magic))
        .is_ok_and(|()| magic == [0x1f, 0x8b])
}

/// The stable 64-bit FNV-1a hash of a path as displayed.
fn path_hash(display: &str) -> u64 {
    display.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::{Plan, Shard};

    #[test]
    fn parses_and_refuses() {
        assert_eq!("3/8".parse::<Shard>(), Ok(Shard { index: 3, count: 8 }));
        for bad in ["0/4", "5/4", "1", "a/b", "1/0", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges_tile_the_file() {
        for size in [0u64, 1, 7, 1000, u64::MAX / 3] {
            for count in 1..=64 {
                let mut next = 0;
                for index in 1..=count {
                    let (start, end) = Shard { index, count }.range(size);
                    assert_eq!(start, next);
                    assert!(end >= start);
                    next = end;
                }
                assert_eq!(next, size);
            }
        }
    }

    #[test]
    fn whole_files_have_exactly_one_owner() {
        for name in ["a.mbox.gz", "dir/new/1.eml", "x"] {
            for count in 1..=16 {
                let owners =
                    (1..=count).filter(|&index| Shard { index, count }.owns_whole(name)).count();
                assert_eq!(owners, 1);
            }
        }
    }

    #[test]
    fn errors_are_reported_once() {
        let size = 100;
        for offset in 0..=size + 5 {
            let count = 4;
            let reporters = (1..=count)
                .filter(|&index| {
                    let (start, end) = Shard { index, count }.range(size);
                    Plan::Range { start, end }.reports_error_at(offset, size)
                })
                .count();
            assert_eq!(reporters, 1, "offset {offset}");
        }
    }
}
