//! Reading workflow definitions and their calendars from disk: the I/O the engine never does.
//!
//! A definition names its calendar (`calendar = "cn"`); its yearly files are
//! `calendars/cn-YYYY.toml` beside the definition unless another folder is given.

use specflow_engine::{Problem, WorkflowDefinition, WorkingCalendar};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A definition loaded with its calendar, or every problem found on the way.
pub fn load_definition(
    path: &Path,
    calendars: Option<&Path>,
) -> Result<WorkflowDefinition, Vec<Problem>> {
    let display = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| {
        vec![Problem {
            file: display.clone(),
            line: None,
            column: None,
            message: format!("cannot read the file: {error}"),
        }]
    })?;
    let definition =
        WorkflowDefinition::from_toml(&display, &text).map_err(|error| error.problems)?;
    let Some(calendar_name) = definition.calendar.clone() else {
        return Ok(definition);
    };
    let folder = calendars
        .map(Path::to_path_buf)
        .unwrap_or_else(|| path.parent().unwrap_or(Path::new(".")).join("calendars"));
    let calendar = load_calendar(&calendar_name, &folder).map_err(|mut problems| {
        problems.insert(
            0,
            Problem {
                file: display.clone(),
                line: None,
                column: None,
                message: format!(
                    "its calendar '{calendar_name}' could not be loaded from {}",
                    folder.display()
                ),
            },
        );
        problems
    })?;
    Ok(definition.with_calendar(Arc::new(calendar)))
}

/// Loads every `NAME-YYYY.toml` in `folder` into one calendar.
pub fn load_calendar(name: &str, folder: &Path) -> Result<WorkingCalendar, Vec<Problem>> {
    let folder_display = folder.display().to_string();
    let entries = std::fs::read_dir(folder).map_err(|error| {
        vec![Problem {
            file: folder_display.clone(),
            line: None,
            column: None,
            message: format!("cannot read the calendar folder: {error}"),
        }]
    })?;
    let prefix = format!("{name}-");
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "toml")
                && path
                    .file_name()
                    .and_then(|file_name| file_name.to_str())
                    .is_some_and(|file_name| file_name.starts_with(&prefix))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(vec![Problem {
            file: folder_display,
            line: None,
            column: None,
            message: format!("no yearly file {name}-YYYY.toml for calendar '{name}'"),
        }]);
    }
    let mut calendar = WorkingCalendar::new(name);
    let mut problems = Vec::new();
    for file in files {
        let display = file.display().to_string();
        match std::fs::read_to_string(&file) {
            Ok(text) => {
                if let Err(found) = calendar.add_year_file(&display, &text) {
                    problems.extend(found);
                }
            }
            Err(error) => problems.push(Problem {
                file: display,
                line: None,
                column: None,
                message: format!("cannot read the file: {error}"),
            }),
        }
    }
    if problems.is_empty() {
        Ok(calendar)
    } else {
        Err(problems)
    }
}

/// The committee composition policy of a workflow folder (`committees/policy.toml`), if the folder
/// has one; every problem of a broken file is an error, so a service never runs on a policy it
/// could not read.
pub fn load_committee_policy(
    workflows: &Path,
) -> anyhow::Result<Option<specflow_engine::committee::CommitteePolicy>> {
    let path = workflows.join("committees").join("policy.toml");
    if !path.is_file() {
        return Ok(None);
    }
    let display = path.display().to_string();
    let text = std::fs::read_to_string(&path)
        .map_err(|error| anyhow::anyhow!("{display}: cannot read: {error}"))?;
    specflow_engine::committee::CommitteePolicy::from_toml(&display, &text)
        .map(Some)
        .map_err(|error| anyhow::anyhow!("{error}"))
}
