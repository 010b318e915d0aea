//! The optional configuration file, the third source of settings after flags and environment.
//!
//! Precedence is flags, then `SPECFLOW_*` environment variables, then the file, then defaults.
//! clap already gives flags precedence over the environment; the file's values are added to the
//! command line as flags only where neither a flag nor its environment variable gave a value, so
//! clap parses and checks them exactly like typed flags (a bad value in the file is reported by
//! the same message as a bad flag; `specflow config show` tells which values came from the file).
//!
//! The file is TOML, found at `--config FILE`, `SPECFLOW_CONFIG`, or `specflow.toml` in the
//! working directory when it exists. Keys are the long flag names with `_` for `-`, at the top
//! level or in a table named after the subcommand, which wins: for example
//!
//! ```toml
//! database = "postgres://specflow@db/specflow"
//! [serve]
//! listen = "0.0.0.0:8080"
//! scheduler_rescan = "30s"
//! ```

use clap::{Arg, ArgAction, Command};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Why the configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the configuration file {path}: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The reason given, in words, as the log records it.
        reason: String,
    },
    /// The file is not valid TOML.
    #[error("{path}: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong and where.
        reason: String,
    },
    /// A key names no setting of the subcommand.
    #[error(
        "{path}: `{key}` is not a setting of `specflow {subcommand}`; its settings are: {known}"
    )]
    UnknownKey {
        /// The file.
        path: PathBuf,
        /// The key.
        key: String,
        /// The subcommand.
        subcommand: String,
        /// The settings it has.
        known: String,
    },
    /// A value is neither text, a number nor a boolean.
    #[error("{path}: `{key}` must be a string, a number or true/false")]
    UnsupportedValue {
        /// The file.
        path: PathBuf,
        /// The key.
        key: String,
    },
}

/// Where the configuration file is, if there is one: `--config FILE`, `SPECFLOW_CONFIG`, or
/// `specflow.toml` in the working directory.
pub fn locate(arguments: &[OsString]) -> Option<PathBuf> {
    let mut iterator = arguments.iter();
    while let Some(argument) = iterator.next() {
        let text = argument.to_string_lossy();
        if text == "--config" {
            return iterator.next().map(PathBuf::from);
        }
        if let Some(path) = text.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    if let Some(path) = std::env::var_os("SPECFLOW_CONFIG") {
        return Some(PathBuf::from(path));
    }
    let default = PathBuf::from("specflow.toml");
    default.is_file().then_some(default)
}

/// The command line with the file's settings added where no flag or environment variable gave
/// one, and the settings the file gave. `command` is the whole clap command, used to find the
/// subcommand's flags.
pub fn apply(
    command: &Command,
    arguments: Vec<OsString>,
    path: &Path,
) -> Result<(Vec<OsString>, Vec<String>), ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Unreadable {
        path: path.to_path_buf(),
        reason: error.to_string(),
    })?;
    let table: toml::Table = toml::from_str(&text).map_err(|error| ConfigError::Malformed {
        path: path.to_path_buf(),
        reason: error.to_string().trim().to_string(),
    })?;
    // The subcommand path (`serve`, or `outbox list`) as typed, and the clap command it names.
    let mut names = Vec::new();
    let mut current = command;
    let mut iterator = arguments.iter().skip(1);
    while let Some(argument) = iterator.next() {
        let text = argument.to_string_lossy();
        if text == "--config" {
            // Its value is a path, not a subcommand.
            iterator.next();
            continue;
        }
        if text.starts_with('-') {
            continue;
        }
        match current.find_subcommand(text.as_ref()) {
            Some(next) => {
                names.push(text.to_string());
                current = next;
            }
            None => break,
        }
    }
    if names.is_empty() {
        return Ok((arguments, Vec::new()));
    }
    let subcommand = names.join(" ");
    // Settings at the top level apply to any subcommand that has them; a table named after the
    // subcommand (its first word) applies to it alone and must name only its settings.
    let mut settings: Vec<(String, toml::Value)> = Vec::new();
    for (key, value) in &table {
        if !value.is_table() {
            settings.push((key.clone(), value.clone()));
        }
    }
    if let Some(toml::Value::Table(own)) = table.get(&names[0]) {
        for (key, value) in own {
            let flag = key.replace('_', "-");
            if find_flag(current, &flag).is_none() {
                return Err(ConfigError::UnknownKey {
                    path: path.to_path_buf(),
                    key: key.clone(),
                    subcommand,
                    known: known_settings(current),
                });
            }
            settings.retain(|(existing, _)| existing != key);
            settings.push((key.clone(), value.clone()));
        }
    }
    let mut augmented = arguments.clone();
    let mut from_file = Vec::new();
    for (key, value) in settings {
        let flag = key.replace('_', "-");
        let Some(argument) = find_flag(current, &flag) else {
            continue;
        };
        let given_as_flag = arguments.iter().any(|typed| {
            let typed = typed.to_string_lossy();
            typed == format!("--{flag}") || typed.starts_with(&format!("--{flag}="))
        });
        let given_by_environment = argument
            .get_env()
            .is_some_and(|name| std::env::var_os(name).is_some());
        if given_as_flag || given_by_environment {
            continue;
        }
        let text = match &value {
            toml::Value::String(text) => text.clone(),
            toml::Value::Integer(number) => number.to_string(),
            toml::Value::Float(number) => number.to_string(),
            toml::Value::Boolean(flag_on) => {
                if matches!(argument.get_action(), ArgAction::SetTrue) {
                    if *flag_on {
                        augmented.push(OsString::from(format!("--{flag}")));
                        from_file.push(key);
                    }
                    continue;
                }
                flag_on.to_string()
            }
            _ => {
                return Err(ConfigError::UnsupportedValue {
                    path: path.to_path_buf(),
                    key,
                });
            }
        };
        augmented.push(OsString::from(format!("--{flag}={text}")));
        from_file.push(key);
    }
    Ok((augmented, from_file))
}

fn find_flag<'a>(command: &'a Command, flag: &str) -> Option<&'a Arg> {
    command
        .get_arguments()
        .find(|argument| argument.get_long() == Some(flag))
}

fn known_settings(command: &Command) -> String {
    let mut names: Vec<String> = command
        .get_arguments()
        .filter_map(|argument| argument.get_long())
        .filter(|long| !matches!(*long, "help" | "version" | "config"))
        .map(|long| long.replace('-', "_"))
        .collect();
    names.sort();
    names.join(", ")
}

/// The settings of `specflow config show`: every setting of `subcommand`, its value and where
/// the value came from, with passwords in URLs and secrets masked.
pub fn describe(
    command: &Command,
    matches: &clap::ArgMatches,
    from_file: &[String],
) -> Vec<[String; 3]> {
    let mut rows = Vec::new();
    for argument in command.get_arguments() {
        let Some(long) = argument.get_long() else {
            continue;
        };
        if matches!(long, "help" | "version" | "config") {
            continue;
        }
        let id = argument.get_id().as_str();
        let key = long.replace('-', "_");
        let source = match matches.value_source(id) {
            Some(clap::parser::ValueSource::CommandLine) if from_file.contains(&key) => {
                "configuration file"
            }
            Some(clap::parser::ValueSource::CommandLine) => "flag",
            Some(clap::parser::ValueSource::EnvVariable) => "environment",
            Some(clap::parser::ValueSource::DefaultValue) => "default",
            _ => "unset",
        };
        let value = matches
            .get_raw(id)
            .map(|values| {
                values
                    .map(|value| value.to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default();
        let value = if long.contains("secret") || long.contains("token") {
            if value.is_empty() {
                value
            } else {
                "***".to_string()
            }
        } else {
            specflow_store::error::redact_url(&value)
        };
        rows.push([key, value, source.to_string()]);
    }
    rows
}

/// `specflow config show [SUBCOMMAND]`: the effective settings of a subcommand (`serve` by
/// default) from its flags' defaults, the environment and the configuration file.
pub fn show(
    command: &Command,
    subcommand: &[String],
    path: Option<&Path>,
) -> Result<String, anyhow::Error> {
    let words: Vec<String> = if subcommand.is_empty() {
        vec!["serve".to_string()]
    } else {
        subcommand.to_vec()
    };
    let mut arguments: Vec<OsString> = vec![OsString::from("specflow")];
    arguments.extend(words.iter().map(OsString::from));
    let (arguments, from_file) = match path {
        Some(path) => apply(command, arguments, path)?,
        None => (arguments, Vec::new()),
    };
    let matches = command.clone().try_get_matches_from(arguments)?;
    let mut target = command;
    let mut target_matches = &matches;
    for word in &words {
        let (Some(next), Some(next_matches)) = (
            target.find_subcommand(word),
            target_matches.subcommand_matches(word),
        ) else {
            anyhow::bail!("`{}` is not a subcommand of specflow", words.join(" "));
        };
        target = next;
        target_matches = next_matches;
    }
    let rows = describe(target, target_matches, &from_file);
    let mut out = String::new();
    match path {
        Some(path) => out.push_str(&format!("configuration file: {}\n", path.display())),
        None => out
            .push_str("configuration file: none (--config, SPECFLOW_CONFIG or ./specflow.toml)\n"),
    }
    specflow_engine::render::write_table(&mut out, &["setting", "value", "from"], &rows);
    Ok(out)
}
