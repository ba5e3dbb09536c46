//! The terminal table of `classify`: the tool's answer first (recipient, action, reason,
//! owner), then the code and provider, and as much of the rest as the width allows.
//!
//! Records stream, so the columns are laid out once from the width alone: every column has a
//! minimum and a preferred width; the leading columns are always shown, the others in order of
//! use while they fit at their minimum; spare room widens them towards their preferred width,
//! and the diagnostic takes what is left. A cell longer than its column ends with `…`.

use std::io::{self, IsTerminal};

use bounce_model::{Kind, Record};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::output::for_terminal;

/// The width used when stdout is not a terminal and `COLUMNS` is not set.
pub(crate) const DEFAULT_WIDTH: usize = 100;

/// Spaces between two columns.
const GAP: usize = 1;

/// The width to lay the table out for: the terminal's, else `COLUMNS`, else 100.
pub(crate) fn width() -> usize {
    if io::stdout().is_terminal() {
        if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
            return usize::from(w);
        }
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&w| w > 0)
        .unwrap_or(DEFAULT_WIDTH)
}

/// A column of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Recipient,
    Action,
    Reason,
    Owner,
    Code,
    Provider,
    Kind,
    Category,
    Diagnostic,
}

impl Column {
    /// Display order.
    const ALL: [Column; 9] = [
        Column::Recipient,
        Column::Action,
        Column::Reason,
        Column::Owner,
        Column::Code,
        Column::Provider,
        Column::Kind,
        Column::Category,
        Column::Diagnostic,
    ];

    fn header(self) -> &'static str {
        match self {
            Column::Recipient => "RECIPIENT",
            Column::Action => "ACTION",
            Column::Reason => "REASON",
            Column::Owner => "OWNER",
            Column::Code => "CODE",
            Column::Provider => "PROVIDER",
            Column::Kind => "KIND",
            Column::Category => "CATEGORY",
            Column::Diagnostic => "DIAGNOSTIC",
        }
    }

    /// The narrowest useful width and the width that holds nearly every value.
    fn widths(self) -> (usize, usize) {
        match self {
            Column::Recipient => (20, 32),
            // `suppress-after-confirmation` is 27; the others fit in 20.
            Column::Action => (13, 20),
            Column::Reason => (11, 15),
            Column::Owner => (9, 15),
            Column::Code => (9, 11),
            Column::Provider => (8, 13),
            Column::Kind => (8, 10),
            Column::Category => (12, 27),
            Column::Diagnostic => (24, 24),
        }
    }

    fn cell(self, record: &Record) -> String {
        let verdict = record.verdict.as_ref();
        match self {
            Column::Recipient => record.recipient.clone(),
            Column::Action => verdict.map_or("-", |v| v.action.as_str()).to_owned(),
            Column::Reason => record.reason().map_or("-", |r| r.as_str()).to_owned(),
            Column::Owner => verdict.map_or("-", |v| v.owner.as_str()).to_owned(),
            Column::Code => {
                let code = [record.reply_code.as_deref(), record.status.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                if code.is_empty() {
                    "-".to_owned()
                } else {
                    code
                }
            }
            Column::Provider => verdict.and_then(|v| v.provider.as_deref()).unwrap_or("-").into(),
            Column::Kind => record.kind.map_or("-", Kind::as_str).to_owned(),
            Column::Category => verdict.map_or("-", |v| v.category.as_str()).to_owned(),
            Column::Diagnostic => record.diagnostic.clone().unwrap_or_default(),
        }
    }
}

/// The columns chosen for one width, in display order, with their widths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordTable {
    columns: Vec<(Column, usize)>,
}

impl RecordTable {
    /// Lays the table out for `width` terminal columns.
    pub(crate) fn new(width: usize) -> Self {
        use Column::{
            Action, Category, Code, Diagnostic, Kind, Owner, Provider, Reason, Recipient,
        };
        let mut chosen: Vec<(Column, usize)> = Vec::new();
        let used = |chosen: &[(Column, usize)]| -> usize {
            chosen.iter().map(|(_, w)| w).sum::<usize>() + GAP * chosen.len().saturating_sub(1)
        };
        // The answer is always shown; the code and provider when they fit.
        for column in [Recipient, Action, Reason, Owner, Code, Provider] {
            let min = column.widths().0;
            let essential = matches!(column, Recipient | Action | Reason | Owner);
            if essential || used(&chosen) + GAP + min <= width {
                chosen.push((column, min));
            }
        }
        // Too narrow even for the answer: narrow the widest column, down to 3.
        while used(&chosen) > width {
            let Some(widest) = chosen.iter_mut().filter(|(_, w)| *w > 3).max_by_key(|(_, w)| *w)
            else {
                break;
            };
            widest.1 -= 1;
        }
        // Spare room widens the action, most of the recipient, the reason, the code and the
        // owner first, then the rest.
        let grow = [
            (Action, None),
            (Recipient, Some(28)),
            (Reason, None),
            (Code, None),
            (Owner, None),
            (Provider, None),
            (Recipient, None),
            (Action, Some(27)),
        ];
        for (column, to) in grow {
            let spare = width.saturating_sub(used(&chosen));
            if let Some(entry) = chosen.iter_mut().find(|(c, _)| *c == column) {
                let target = to.unwrap_or(column.widths().1);
                entry.1 += spare.min(target.saturating_sub(entry.1));
            }
        }
        // The diagnostic when it gets a useful width; kind and category only when the
        // diagnostic still keeps 40 columns beside them.
        let spare = width.saturating_sub(used(&chosen));
        if chosen.len() == 6 && spare >= GAP + Diagnostic.widths().0 {
            let mut rest = spare;
            for column in [Kind, Category] {
                let need = GAP + column.widths().1;
                if rest >= need + GAP + 40 {
                    chosen.push((column, column.widths().1));
                    rest -= need;
                }
            }
            chosen.push((Diagnostic, rest - GAP));
        }
        chosen.sort_by_key(|(column, _)| Column::ALL.iter().position(|c| c == column));
        RecordTable { columns: chosen }
    }

    /// The header line.
    pub(crate) fn header(&self) -> String {
        self.line(self.columns.iter().map(|(c, w)| (c.header().to_owned(), *w)))
    }

    /// The line of one record.
    pub(crate) fn row(&self, record: &Record) -> String {
        self.line(self.columns.iter().map(|(c, w)| (c.cell(record), *w)))
    }

    fn line(&self, cells: impl Iterator<Item = (String, usize)>) -> String {
        let mut out = String::new();
        for (index, (text, width)) in cells.enumerate() {
            if index > 0 {
                out.push_str(&" ".repeat(GAP));
            }
            let text = fit(&text, width);
            out.push_str(&text);
            out.push_str(&" ".repeat(width.saturating_sub(text.width())));
        }
        out.truncate(out.trim_end().len());
        out
    }
}

/// `text` on one line (whitespace runs become one space, control characters and bidi
/// overrides a visible escape: [`for_terminal`]), cut to `width` display columns with a final
/// `…` when longer.
fn fit(text: &str, width: usize) -> String {
    let flat = for_terminal(&text.split_whitespace().collect::<Vec<_>>().join(" ")).into_owned();
    if flat.width() <= width {
        return flat;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in flat.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{fit, RecordTable};

    #[test]
    fn lines_never_exceed_the_width() {
        for width in [20, 40, 60, 80, 100, 120, 160, 218, 300] {
            let table = RecordTable::new(width);
            let header = table.header();
            assert!(header.chars().count() <= width, "{width}: {header}");
            assert!(header.starts_with("RECI"), "{header}");
        }
        assert!(RecordTable::new(100).header().contains("PROVIDER"));
        assert!(RecordTable::new(160).header().contains("DIAGNOSTIC"));
        assert!(RecordTable::new(218).header().contains("CATEGORY"));
    }

    #[test]
    fn long_cells_end_with_an_ellipsis() {
        assert_eq!(fit("suppress-after-confirmation", 20), "suppress-after-conf…");
        assert_eq!(fit("550  5.1.1\nuser\tunknown", 40), "550 5.1.1 user unknown");
        assert_eq!(fit("ab", 2), "ab");
        assert_eq!(fit("日本語のテキスト", 7), "日本語…");
        assert_eq!(fit("a\u{1b}[2J\u{202e}b", 40), "a\\u{1b}[2J\\u{202e}b");
    }
}
