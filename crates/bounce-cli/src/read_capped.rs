//! Reading a whole input file (a state file, a template) with a size cap, so `/dev/zero` or a
//! runaway file ends with an error naming the flag that raises the cap instead of filling memory.

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context, Result};

/// 16 MiB: the default cap of the files read whole (`--max-state-bytes`,
/// `--max-template-bytes`; the rules have their own, `--max-rules-bytes`).
pub(crate) const DEFAULT_MAX_FILE_BYTES: u64 = 16 << 20;

/// The text of `path`, refused when it holds more than `limit` bytes: the error names the
/// path, the limit and `flag`. At most `limit + 1` bytes are ever read.
pub(crate) fn read_to_string_capped(path: &Path, limit: u64, flag: &str) -> Result<String> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > limit {
        bail!(
            "{} is larger than {limit} bytes (raise the limit with {flag} BYTES)",
            path.display()
        );
    }
    String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("cannot read {}: it is not UTF-8 text", path.display()))
}
