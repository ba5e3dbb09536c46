//! Loading: the embedded built-in files, user files and directories, overrides and `disable`,
//! and the three passes (parse, validate, compile) over all of them.

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::compile::named;
use crate::compile::validate::Validator;
use crate::compile::{CompiledRule, Origin, Provider};
use crate::error::{did_you_mean, ErrorKind, RulesError, RulesErrors};
use crate::syntax::{parse_file, Item, SourceFile};
use crate::RuleSet;

// `BUILTIN_FILES`: every `rules/**/*.rules` file, found and ordered by `build.rs`.
include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Caps on the rule files a user gives, so a huge or endless file (`/dev/zero`) or a huge
/// literal ends with one short error instead of filling memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleLimits {
    /// Bytes one rule file may hold; at most one more byte is ever read.
    pub max_file_bytes: u64,
    /// Bytes one string or regex literal may hold (the longest built-in one is 2,262).
    pub max_literal_bytes: usize,
}

impl RuleLimits {
    /// The default cap of a rule file: 16 MiB.
    pub const DEFAULT_MAX_FILE_BYTES: u64 = 16 << 20;
    /// The default cap of a literal: 64 KiB.
    pub const DEFAULT_MAX_LITERAL_BYTES: usize = 64 << 10;
}

impl Default for RuleLimits {
    fn default() -> Self {
        RuleLimits {
            max_file_bytes: RuleLimits::DEFAULT_MAX_FILE_BYTES,
            max_literal_bytes: RuleLimits::DEFAULT_MAX_LITERAL_BYTES,
        }
    }
}

/// The text of a rule file, refused past `limit` bytes (reading at most one byte more).
fn read_capped(path: &Path, limit: u64) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read rule file: {e}"))?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read rule file: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "rule file is larger than {limit} bytes (raise the limit with --max-rules-bytes BYTES)"
        ));
    }
    String::from_utf8(bytes).map_err(|_| "cannot read rule file: it is not UTF-8 text".to_owned())
}

impl RuleSet {
    /// The built-in rules alone.
    ///
    /// # Errors
    /// Only if a built-in file is broken (a test makes sure it is not).
    pub fn builtin() -> Result<RuleSet, RulesErrors> {
        RuleSet::from_sources(&builtin_sources())
    }

    /// The built-in rules plus the user's files and directories (walked in sorted order,
    /// `*.rules` only), with the default [`RuleLimits`].
    ///
    /// # Errors
    /// Every unreadable path and every error of every file.
    pub fn load(user_paths: &[PathBuf]) -> Result<RuleSet, RulesErrors> {
        RuleSet::load_limited(user_paths, RuleLimits::default())
    }

    /// [`RuleSet::load`] with these limits on the user's files.
    ///
    /// # Errors
    /// Every unreadable or oversized path and every error of every file.
    pub fn load_limited(
        user_paths: &[PathBuf],
        limits: RuleLimits,
    ) -> Result<RuleSet, RulesErrors> {
        let mut errors = Vec::new();
        let mut files = Vec::new();
        for path in user_paths {
            collect_files(path, &mut files, &mut errors);
        }
        let mut sources = Vec::new();
        for file in files {
            let name = file.display().to_string();
            match read_capped(&file, limits.max_file_bytes) {
                Ok(text) => sources.push((name, text, Origin::User)),
                Err(message) => errors.push(RulesError::io(&name, message)),
            }
        }
        sources.extend(builtin_sources());
        match RuleSet::from_sources_limited(&sources, limits) {
            Ok(set) if errors.is_empty() => Ok(set),
            Ok(_) => Err(RulesErrors { errors }),
            Err(more) => {
                errors.extend(more.errors);
                Err(RulesErrors { errors })
            }
        }
    }

    /// Compiles rule files given as `(path, text, origin)`, in order, with the default
    /// [`RuleLimits`].
    ///
    /// # Errors
    /// Every syntax error (the first of each file) and every validation error of every file.
    pub fn from_sources(sources: &[(String, String, Origin)]) -> Result<RuleSet, RulesErrors> {
        RuleSet::from_sources_limited(sources, RuleLimits::default())
    }

    /// [`RuleSet::from_sources`] with these limits on literals.
    ///
    /// # Errors
    /// Every syntax error (the first of each file) and every validation error of every file.
    pub fn from_sources_limited(
        sources: &[(String, String, Origin)],
        limits: RuleLimits,
    ) -> Result<RuleSet, RulesErrors> {
        let mut errors = Vec::new();
        let mut parsed: Vec<(usize, SourceFile)> = Vec::new();
        for (index, (path, text, _)) in sources.iter().enumerate() {
            match parse_file(path, text, limits.max_literal_bytes) {
                Ok(file) => parsed.push((index, file)),
                Err(error) => errors.push(error),
            }
        }
        let patterns = named::collect(sources, &parsed, &mut errors);
        for (index, file) in &mut parsed {
            let (path, text, _) = &sources[*index];
            named::resolve(file, &patterns, (path, text), &mut errors);
        }
        let providers = collect_providers(sources, &parsed, &mut errors);
        let names: BTreeSet<String> = providers.iter().map(|p| p.name.clone()).collect();
        let mut rules: Vec<CompiledRule> = Vec::new();
        let mut disables = Vec::new();
        let mut warnings = Vec::new();
        for (index, file) in &parsed {
            let (path, text, origin) = &sources[*index];
            let mut validator = Validator::new(path, text, *origin, &names);
            for (position, item) in file.items.iter().enumerate() {
                match item {
                    Item::Rule(def) => rules.extend(validator.rule(def, *index, position)),
                    Item::Disable { id, span } => disables.push((*index, id.clone(), *span)),
                    Item::Provider(_) | Item::Pattern(_) => {}
                }
            }
            errors.append(&mut validator.errors);
            warnings.append(&mut validator.warnings);
        }
        let rules = resolve_overrides(sources, rules, &disables, &mut errors);
        if !errors.is_empty() {
            return Err(RulesErrors { errors });
        }
        let texts = sources.iter().map(|(path, text, _)| (path.clone(), text.clone())).collect();
        let mut set = RuleSet::build(providers, rules, texts)?;
        set.warnings = warnings;
        Ok(set)
    }
}

fn builtin_sources() -> Vec<(String, String, Origin)> {
    BUILTIN_FILES
        .iter()
        .map(|(path, text)| ((*path).to_owned(), (*text).to_owned(), Origin::Builtin))
        .collect()
}

fn collect_files(path: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<RulesError>) {
    let name = path.display().to_string();
    if !path.is_dir() {
        files.push(path.to_owned());
        return;
    }
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(error) => {
            errors.push(RulesError::io(&name, format!("cannot read rule directory: {error}")));
            return;
        }
    };
    let mut children: Vec<PathBuf> =
        entries.filter_map(|entry| entry.ok().map(|e| e.path())).collect();
    children.sort();
    for child in children {
        if child.is_dir() {
            collect_files(&child, files, errors);
        } else if child.extension().is_some_and(|ext| ext == "rules") {
            files.push(child);
        }
    }
}

/// Walks the named definitions of one kind (providers, patterns) in precedence order: user
/// files, then built-ins. A name defined twice within one origin is a `duplicate-id` error;
/// `define` gets every other definition with a validator of its file. A user definition
/// comes first, so a caller keeping the first one per name lets it replace a built-in one.
pub(crate) fn for_each_definition<'p, D: 'p>(
    sources: &[(String, String, Origin)],
    parsed: &'p [(usize, SourceFile)],
    errors: &mut Vec<RulesError>,
    pick: impl Fn(&'p Item) -> Option<(&'p D, &'p str, (usize, usize))>,
    describe: impl Fn(&str) -> String,
    mut define: impl FnMut(&mut Validator<'_>, &'p D),
) {
    let providers = BTreeSet::new();
    let mut seen: HashMap<(Origin, &str), String> = HashMap::new();
    for origin in [Origin::User, Origin::Builtin] {
        for (index, file) in parsed.iter().filter(|(i, _)| sources[*i].2 == origin) {
            let (path, text, _) = &sources[*index];
            let mut validator = Validator::new(path, text, origin, &providers);
            for (def, name, span) in file.items.iter().filter_map(&pick) {
                if let Some(first) = seen.get(&(origin, name)) {
                    let message = format!("{} is defined twice", describe(name));
                    let help = Some(format!("first defined at {first}"));
                    validator.error(ErrorKind::DuplicateId, span, message, help);
                    continue;
                }
                let here = format!("{path}:{}", validator.line_at(span.0));
                seen.insert((origin, name), here);
                define(&mut validator, def);
            }
            errors.append(&mut validator.errors);
        }
    }
}

/// Providers in detection order (user definitions first; a user definition replaces a
/// built-in one of the same name); duplicates within one origin are errors.
fn collect_providers(
    sources: &[(String, String, Origin)],
    parsed: &[(usize, SourceFile)],
    errors: &mut Vec<RulesError>,
) -> Vec<Provider> {
    let mut providers: Vec<Provider> = Vec::new();
    for_each_definition(
        sources,
        parsed,
        errors,
        |item| match item {
            Item::Provider(def) => Some((def, def.name.as_str(), def.name_span)),
            _ => None,
        },
        |name| format!("provider `{name}`"),
        |validator, def| {
            if let Some(provider) = validator.provider(def) {
                if !providers.iter().any(|p| p.name == provider.name) {
                    providers.push(provider);
                }
            }
        },
    );
    providers
}

/// Applies duplicate checks, user overrides of built-in ids and `disable` lines.
fn resolve_overrides(
    sources: &[(String, String, Origin)],
    rules: Vec<CompiledRule>,
    disables: &[(usize, String, (usize, usize))],
    errors: &mut Vec<RulesError>,
) -> Vec<CompiledRule> {
    let mut first_seen: HashMap<(Origin, String), String> = HashMap::new();
    for rule in &rules {
        let key = (rule.origin, rule.id.clone());
        if let Some(first) = first_seen.get(&key) {
            let (_, text, _) = &sources[rule.file_index];
            let message = format!("rule `{}` is defined twice", rule.id);
            let error =
                RulesError::at(ErrorKind::DuplicateId, &rule.path, text, rule.id_span, message)
                    .in_rule(Some(&rule.id))
                    .with_help(Some(format!("first defined at {first}")));
            errors.push(error);
        } else {
            first_seen.insert(key, rule.location());
        }
    }
    let user_ids: BTreeSet<&str> =
        rules.iter().filter(|r| r.origin == Origin::User).map(|r| r.id.as_str()).collect();
    let builtin_ids: BTreeSet<&str> =
        rules.iter().filter(|r| r.origin == Origin::Builtin).map(|r| r.id.as_str()).collect();
    let mut disabled = BTreeSet::new();
    for (index, id, span) in disables {
        let (path, text, _) = &sources[*index];
        if builtin_ids.contains(id.as_str()) {
            disabled.insert(id.clone());
        } else {
            let help = did_you_mean(id, builtin_ids.iter().copied());
            let message = format!("no built-in rule `{id}` to disable");
            errors.push(
                RulesError::at(ErrorKind::UnknownRule, path, text, *span, message).with_help(help),
            );
        }
    }
    let keep = |rule: &CompiledRule| {
        rule.origin == Origin::User
            || !(user_ids.contains(rule.id.as_str()) || disabled.contains(&rule.id))
    };
    let kept: Vec<CompiledRule> = rules.iter().filter(|rule| keep(rule)).cloned().collect();
    kept
}
