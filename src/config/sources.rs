//! Where values come from: built-in defaults, the TOML file, `.env`, the process environment and
//! command-line flags, and how they stack (later layers win).
//!
//! Each layer only maps its names onto registry keys; what a value must look like is
//! `validate.rs`' business. Unknown names are errors in the TOML file (a typo there is a silent
//! misconfiguration otherwise) and warnings in `.env` and the environment (shared with other
//! software, and the Python version's `.env` files carry names we dropped).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use super::keys::{self, ENV_PREFIX, HOURS_ENV, KEYS, RESERVED_ENV};
use super::validate::{self, Raw, Value};
use super::{ConfigError, FlagValue, LoadOptions, Origin};

/// One value a layer supplies for one key.
pub(crate) struct Setting {
    idx: usize,
    raw: Raw,
    origin: Origin,
    /// Line in the TOML file, so errors can point at it.
    line: Option<usize>,
    in_hours: bool,
}

/// The effective value of one key after merging, and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub value: Value,
    pub origin: Origin,
}

pub(crate) fn defaults() -> Vec<Setting> {
    KEYS.iter()
        .enumerate()
        .map(|(idx, k)| Setting {
            idx,
            raw: Raw::Text(k.default.unwrap_or("").into()),
            origin: Origin::Default,
            line: None,
            in_hours: false,
        })
        .collect()
}

/// The TOML file to read: the one asked for (which must exist), else the first search path
/// that exists, else none.
pub(crate) fn find_file(opts: &LoadOptions) -> Result<Option<PathBuf>, ConfigError> {
    if let Some(path) = &opts.config_path {
        if !path.is_file() {
            return Err(ConfigError::ConfigNotFound(path.clone()));
        }
        return Ok(Some(path.clone()));
    }
    let defaults;
    let search = match &opts.search_paths {
        Some(paths) => paths,
        None => {
            defaults = super::default_search_paths();
            &defaults
        }
    };
    Ok(search.iter().find(|p| p.is_file()).cloned())
}

pub(crate) fn file(path: &Path) -> Result<Vec<Setting>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let doc = DeTable::parse(&text).map_err(|e| {
        let (line, column) = line_col(&text, e.span().map_or(0, |s| s.start));
        ConfigError::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().trim().to_string(),
        }
    })?;
    let unknown = |what, name: String, at: usize, suggestion| ConfigError::Unknown {
        what,
        name,
        place: format!("{}:{}", path.display(), line_col(&text, at).0),
        suggestion,
    };
    let mut out = Vec::new();
    for (section, value) in doc.get_ref() {
        let name = section.get_ref().as_ref();
        let at = section.span().start;
        match value.get_ref() {
            DeValue::Table(table) if keys::is_section(name) => {
                for (k, v) in table {
                    let path_name = format!("{name}.{}", k.get_ref());
                    let Some((idx, _)) = keys::find(&path_name) else {
                        let hint = keys::suggest(&path_name).map(String::from);
                        return Err(unknown("key", path_name, k.span().start, hint));
                    };
                    out.push(Setting {
                        idx,
                        raw: to_raw(v.get_ref()),
                        origin: Origin::File(path.to_path_buf()),
                        line: Some(line_col(&text, k.span().start).0),
                        in_hours: false,
                    });
                }
            }
            DeValue::Table(_) => {
                let hint = suggest_section(name).map(|s| format!("[{s}]"));
                return Err(unknown("section", format!("[{name}]"), at, hint));
            }
            _ => {
                let hint = keys::suggest(name).map(String::from);
                return Err(unknown("key", name.to_string(), at, hint));
            }
        }
    }
    Ok(out)
}

fn suggest_section(name: &str) -> Option<&'static str> {
    KEYS.iter()
        .filter_map(|k| k.path.split_once('.').map(|(s, _)| s))
        .map(|s| (strsim::levenshtein(s, name), s))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, s)| s)
}

fn to_raw(v: &DeValue<'_>) -> Raw {
    match v {
        DeValue::String(s) => Raw::Text(s.to_string()),
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .map(Raw::Int)
            .unwrap_or(Raw::Other("an integer too large")),
        DeValue::Float(f) => Raw::Float(f.as_str().parse().unwrap_or(f64::NAN)),
        DeValue::Boolean(b) => Raw::Bool(*b),
        DeValue::Datetime(_) => Raw::Other("a datetime"),
        DeValue::Array(a) => Raw::Array(a.iter().map(|v| to_raw(v.get_ref())).collect()),
        DeValue::Table(_) => Raw::Other("a table"),
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Upper-cased environment name -> (key index, whether it is the generic `LLMO_` name).
fn env_names() -> HashMap<String, (usize, bool)> {
    let mut names = HashMap::new();
    for (idx, k) in KEYS.iter().enumerate() {
        names.insert(k.llmo_env(), (idx, true));
        for name in k.env {
            names.insert(name.to_string(), (idx, false));
        }
    }
    names
}

fn env_setting(idx: usize, value: String, origin: Origin, name: &str) -> Setting {
    Setting {
        idx,
        raw: Raw::Text(value),
        origin,
        line: None,
        in_hours: HOURS_ENV.contains(&name),
    }
}

/// The `.env` file, if present. Read without touching the process environment.
pub(crate) fn dotenv(path: &Path, warnings: &mut Vec<String>) -> Result<Vec<Setting>, ConfigError> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let read_error = |source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    };
    // Only for line numbers in messages; dotenvy does the parsing.
    let text = std::fs::read_to_string(path).map_err(read_error)?;
    let iter = dotenvy::from_path_iter(path).map_err(|e| match e {
        dotenvy::Error::Io(source) => read_error(source),
        other => ConfigError::DotEnv {
            path: path.to_path_buf(),
            line: None,
            problem: other.to_string(),
        },
    })?;
    let known = env_names();
    let mut out = Vec::new();
    for item in iter {
        let (name, value) = item.map_err(|e| ConfigError::DotEnv {
            path: path.to_path_buf(),
            // The offending text may hold a secret, so point at its line instead of quoting it.
            line: match &e {
                dotenvy::Error::LineParse(bad, _) => {
                    let first = bad.lines().next().unwrap_or("");
                    text.lines().position(|l| l == first).map(|i| i + 1)
                }
                _ => None,
            },
            problem: match e {
                dotenvy::Error::LineParse(..) => {
                    "cannot parse this line, expected NAME=value".into()
                }
                other => other.to_string(),
            },
        })?;
        let upper = name.to_ascii_uppercase();
        match known.get(&upper) {
            Some(&(idx, _)) => {
                let origin = Origin::DotEnv {
                    path: path.to_path_buf(),
                    name: name.clone(),
                };
                out.push(env_setting(idx, value, origin, &upper));
            }
            None => {
                let at = dotenv_line(&text, &name).map_or(String::new(), |l| format!(":{l}"));
                warnings.push(format!(
                    "{}{at}: unknown variable {name} ignored",
                    path.display()
                ));
            }
        }
    }
    Ok(out)
}

/// The last line that assigns `name` (the one that wins), for warnings.
fn dotenv_line(text: &str, name: &str) -> Option<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let l = l.trim_start();
            let l = l.strip_prefix("export ").unwrap_or(l).trim_start();
            l.strip_prefix(name)
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
        .map(|(i, _)| i + 1)
        .last()
}

/// The process environment (or the list tests pass). Names match case-insensitively, as in the
/// Python version. When a key is set under both names, the generic `LLMO_` name wins.
pub(crate) fn environment(
    vars: impl IntoIterator<Item = (String, String)>,
    warnings: &mut Vec<String>,
) -> Vec<Setting> {
    let known = env_names();
    let mut found = Vec::new();
    for (name, value) in vars {
        let upper = name.to_ascii_uppercase();
        if let Some(&(idx, generic)) = known.get(&upper) {
            found.push((generic, env_setting(idx, value, Origin::Env(name), &upper)));
        } else if upper.starts_with(ENV_PREFIX) && !RESERVED_ENV.contains(&upper.as_str()) {
            let guess = upper[ENV_PREFIX.len()..]
                .to_ascii_lowercase()
                .replace("__", ".");
            let hint = keys::suggest(&guess)
                .and_then(keys::find)
                .map_or(String::new(), |(_, k)| {
                    format!(" (did you mean {}?)", k.llmo_env())
                });
            warnings.push(format!(
                "environment variable {name} matches no configuration key, ignored{hint}"
            ));
        }
    }
    // Stable: among names of one kind, the environment's own order still decides.
    found.sort_by_key(|(generic, _)| *generic);
    found.into_iter().map(|(_, s)| s).collect()
}

pub(crate) fn flags(flags: &[FlagValue]) -> Result<Vec<Setting>, ConfigError> {
    flags
        .iter()
        .map(|f| {
            let (idx, _) = keys::find(f.key).ok_or_else(|| ConfigError::Unknown {
                what: "key",
                name: f.key.to_string(),
                place: format!("flag {}", f.flag),
                suggestion: None,
            })?;
            Ok(Setting {
                idx,
                raw: Raw::Text(f.value.clone()),
                origin: Origin::Flag(f.flag),
                line: None,
                in_hours: false,
            })
        })
        .collect()
}

/// Stacks the layers, lowest precedence first. Every supplied value is checked, including ones
/// a higher layer overrides: a broken file should not wait for the day the override goes away.
pub(crate) fn merge(layers: Vec<Vec<Setting>>) -> Result<Vec<Resolved>, ConfigError> {
    let mut slots: Vec<Option<Resolved>> = vec![None; KEYS.len()];
    for setting in layers.into_iter().flatten() {
        let key = &KEYS[setting.idx];
        let value = validate::parse(key, &setting.raw, setting.in_hours).map_err(|problem| {
            ConfigError::Invalid {
                key: key.path,
                value: validate::render_raw(key, &setting.raw),
                origin: setting.origin.clone(),
                line: setting.line,
                problem,
            }
        })?;
        slots[setting.idx] = Some(Resolved {
            value,
            origin: setting.origin,
        });
    }
    Ok(slots
        .into_iter()
        .map(|s| s.expect("the defaults layer sets every key"))
        .collect())
}
