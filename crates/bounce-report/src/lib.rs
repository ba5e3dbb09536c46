//! bounce-report: renders reports and escalation documents with minijinja.
//!
//! The built-in templates are the files of the workspace's `templates/` folder, embedded with
//! `include_str!` by the build script; each one's first line is a comment with its description.
//! A caller may add templates or override built-ins by name ([`Templates::with_overrides`]); this crate does no I/O itself. The data a template sees is a
//! [`ReportContext`], built from records, the run summary and the aggregates by
//! [`build_context`]. HTML templates (`.html`) are autoescaped, so text from bounces is never
//! interpreted as markup.
#![deny(missing_docs)]

mod chart;
mod context;
pub mod csv;
mod evidence;
mod filters;
mod layer;

use minijinja::{AutoEscape, Environment};

pub use chart::{Bar, Chart, Legend, Tick, PALETTE, REST_COLOR};
pub use context::{
    build_context, is_provider_token, ActionRow, Ask, ContextBuilder, Count, EntryView,
    EvidenceStore, GroupCounts, GroupView, ListActions, ListCounts, RecordsStore, ReportContext,
    ReportOptions, Response, SpikeView, SpillStore, Totals, Unknown, APPENDIX_CAP, GROUP_CAP,
    LIST_CAP, RESPONSE_CAP, VALUE_CAP,
};
pub use evidence::{ConfirmRow, EvidenceView, Field};
pub use layer::layer_of;

// `BUILTIN`: every file of `templates/` with its first-line description, from `build.rs`.
include!(concat!(env!("OUT_DIR"), "/builtin_templates.rs"));

/// The built-in templates as (file name, source) pairs, for `templates export`.
#[must_use]
pub fn builtin_templates() -> Vec<(&'static str, &'static str)> {
    BUILTIN.iter().map(|(name, _, source)| (*name, *source)).collect()
}

/// Errors of loading or rendering a template.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// No template has that name.
    #[error("unknown template `{name}` (available: {available})")]
    UnknownTemplate {
        /// The name asked for.
        name: String,
        /// The names that exist, comma-separated.
        available: String,
    },
    /// A template failed to parse or to render.
    #[error("template `{name}`, line {line}: {cause}")]
    Template {
        /// The template's file name.
        name: String,
        /// The 1-based line of the error (0 when minijinja does not know it).
        line: usize,
        /// What went wrong.
        cause: String,
    },
    /// A template ran past its fuel: it executed more instructions than
    /// [`RenderLimits::fuel`] allows (a loop far longer than any report needs).
    #[error("template `{name}` ran out of fuel after {fuel} instructions; rendering stopped")]
    OutOfFuel {
        /// The template's file name.
        name: String,
        /// The fuel it had.
        fuel: u64,
    },
    /// A template's output grew past [`RenderLimits::max_output_bytes`].
    #[error("template `{name}` wrote more than {limit} bytes; rendering stopped")]
    OutputTooLarge {
        /// The template's file name.
        name: String,
        /// The cap, in bytes.
        limit: usize,
    },
}

impl ReportError {
    fn from_minijinja(fallback_name: &str, error: &minijinja::Error) -> ReportError {
        let mut cause = error.kind().to_string();
        if let Some(detail) = error.detail() {
            cause.push_str(": ");
            cause.push_str(detail);
        }
        let mut source = std::error::Error::source(error);
        while let Some(inner) = source {
            cause.push_str(": ");
            cause.push_str(&inner.to_string());
            source = inner.source();
        }
        ReportError::Template {
            name: error.name().unwrap_or(fallback_name).to_string(),
            line: error.line().unwrap_or(0),
            cause,
        }
    }
}

/// What one render may spend: each template runs with minijinja's fuel (about one unit per
/// instruction executed) and writes at most `max_output_bytes`, so a user template with a
/// runaway loop ends with [`ReportError::OutOfFuel`] or [`ReportError::OutputTooLarge`]
/// instead of running for hours or filling memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderLimits {
    /// Instructions one render may execute.
    pub fuel: u64,
    /// Bytes one render may write.
    pub max_output_bytes: usize,
}

impl RenderLimits {
    /// The default fuel: 200 million instructions, about 6 seconds of rendering on one core
    /// of the development machine (a built-in report of the 67-message example uses under
    /// 100,000).
    pub const DEFAULT_FUEL: u64 = 200_000_000;
    /// The default output cap: 256 MiB.
    pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 256 << 20;
}

impl Default for RenderLimits {
    fn default() -> Self {
        RenderLimits {
            fuel: RenderLimits::DEFAULT_FUEL,
            max_output_bytes: RenderLimits::DEFAULT_MAX_OUTPUT_BYTES,
        }
    }
}

/// A writer into memory that refuses to grow past `limit` bytes.
struct CappedBuffer {
    bytes: Vec<u8>,
    limit: usize,
    overflowed: bool,
}

impl std::io::Write for CappedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > self.limit {
            self.overflowed = true;
            return Err(std::io::Error::other("the output cap is reached"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Where a template comes from; [`Origin::as_str`] is its one name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Embedded in the binary.
    Builtin,
    /// Given by the user, adding a new template.
    User,
    /// Given by the user, replacing a built-in of the same name.
    Override,
}

impl Origin {
    /// The name `templates list` prints.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Builtin => "built-in",
            Origin::User => "user",
            Origin::Override => "override",
        }
    }
}

/// One available template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateInfo {
    /// The file name (`esp-escalation.md`).
    pub name: String,
    /// Where it comes from.
    pub origin: Origin,
    /// What it is for (empty for user templates).
    pub description: String,
    /// The group keys it is written for, from a leading `{#- group: KEYS -#}` comment; the
    /// report's `--group` default when the user gives none.
    pub group: Option<String>,
}

/// The keys of a `{#- group: KEYS -#}` comment among a template's leading comment lines.
fn declared_group(source: &str) -> Option<String> {
    source
        .lines()
        .take_while(|line| line.trim_start().starts_with("{#"))
        .find_map(|line| {
            let inner = line.trim().trim_start_matches("{#").trim_end_matches("#}");
            let inner = inner.trim_matches('-').trim();
            inner.strip_prefix("group:").map(|keys| keys.trim().to_owned())
        })
        .filter(|keys| !keys.is_empty())
}

/// The set of templates a report can be rendered with.
pub struct Templates {
    env: Environment<'static>,
    infos: Vec<TemplateInfo>,
    limits: RenderLimits,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").field("infos", &self.infos).finish_non_exhaustive()
    }
}

impl Templates {
    /// The built-in templates only.
    ///
    /// # Errors
    /// A built-in template that does not parse (a bug caught by the tests).
    pub fn builtin() -> Result<Templates, ReportError> {
        Templates::with_overrides(Vec::new())
    }

    /// The built-ins plus `(file name, source)` pairs from the user: a pair with a built-in's
    /// name replaces it, any other name adds a template.
    ///
    /// # Errors
    /// The first template that does not parse, with its name, line and cause.
    pub fn with_overrides(user: Vec<(String, String)>) -> Result<Templates, ReportError> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") || name.ends_with(".htm") || name.ends_with(".svg") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.set_keep_trailing_newline(true);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        filters::register(&mut env);
        let mut infos = Vec::new();
        for (name, description, source) in BUILTIN {
            if user.iter().any(|(n, _)| n == name) {
                continue;
            }
            env.add_template(name, source).map_err(|e| ReportError::from_minijinja(name, &e))?;
            infos.push(TemplateInfo {
                name: (*name).to_string(),
                origin: Origin::Builtin,
                description: (*description).to_string(),
                group: declared_group(source),
            });
        }
        for (name, source) in user {
            let builtin = BUILTIN.iter().find(|(n, _, _)| *n == name);
            let group = declared_group(&source);
            env.add_template_owned(name.clone(), source)
                .map_err(|e| ReportError::from_minijinja(&name, &e))?;
            infos.push(TemplateInfo {
                origin: if builtin.is_some() { Origin::Override } else { Origin::User },
                description: builtin.map(|(_, d, _)| (*d).to_string()).unwrap_or_default(),
                group,
                name,
            });
        }
        infos.sort_by(|a, b| a.name.cmp(&b.name));
        let limits = RenderLimits::default();
        env.set_fuel(Some(limits.fuel));
        Ok(Templates { env, infos, limits })
    }

    /// Sets what each later render may spend (the default is [`RenderLimits::default`]).
    pub fn set_limits(&mut self, limits: RenderLimits) {
        self.env.set_fuel(Some(limits.fuel));
        self.limits = limits;
    }

    /// Every available template, sorted by name.
    #[must_use]
    pub fn list(&self) -> &[TemplateInfo] {
        &self.infos
    }

    /// The group keys the template `name` declares (`{#- group: KEYS -#}`), if any.
    #[must_use]
    pub fn declared_group(&self, name: &str) -> Option<&str> {
        self.infos.iter().find(|i| i.name == name).and_then(|i| i.group.as_deref())
    }

    /// Finds a template by file name, or by name without extension (`esp-escalation` picks
    /// `esp-escalation.md` before other extensions).
    ///
    /// # Errors
    /// No template matches.
    pub fn resolve(&self, name: &str) -> Result<&str, ReportError> {
        if let Some(info) = self.infos.iter().find(|i| i.name == name) {
            return Ok(&info.name);
        }
        let stem_matches: Vec<&TemplateInfo> = self
            .infos
            .iter()
            .filter(|i| i.name.rsplit_once('.').map(|(s, _)| s) == Some(name))
            .collect();
        let preferred = ["md", "html", "csv", "txt"];
        for ext in preferred {
            if let Some(info) = stem_matches.iter().find(|i| i.name.ends_with(&format!(".{ext}"))) {
                return Ok(&info.name);
            }
        }
        if let Some(info) = stem_matches.first() {
            return Ok(&info.name);
        }
        Err(ReportError::UnknownTemplate {
            name: name.to_string(),
            available: self.infos.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(", "),
        })
    }

    /// Renders the template `name` (see [`Templates::resolve`]) with `context`.
    ///
    /// # Errors
    /// An unknown template, a render error with the template's name, line and cause, or a
    /// render past its [`RenderLimits`].
    pub fn render(&self, name: &str, context: &ReportContext) -> Result<String, ReportError> {
        let name = self.resolve(name)?;
        let template =
            self.env.get_template(name).map_err(|e| ReportError::from_minijinja(name, &e))?;
        let limit = self.limits.max_output_bytes;
        let mut out = CappedBuffer { bytes: Vec::new(), limit, overflowed: false };
        match template.render_captured_to(minijinja::Value::from_serialize(context), &mut out) {
            Ok(_) => {}
            Err(_) if out.overflowed => {
                return Err(ReportError::OutputTooLarge { name: name.to_owned(), limit });
            }
            Err(e) if e.kind() == minijinja::ErrorKind::OutOfFuel => {
                return Err(ReportError::OutOfFuel {
                    name: name.to_owned(),
                    fuel: self.limits.fuel,
                });
            }
            Err(e) => return Err(ReportError::from_minijinja(name, &e)),
        }
        String::from_utf8(out.bytes).map_err(|e| ReportError::Template {
            name: name.to_owned(),
            line: 0,
            cause: e.to_string(),
        })
    }
}
