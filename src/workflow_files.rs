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

/// The shipped `workflows/` folder compiled into the binary, so that `specflow demo` and
/// `specflow serve` work from any directory: every file with its path inside the folder.
///
/// A plain table of `include_str!` rather than a crate that embeds a folder: fourteen small text
/// files do not need a procedural macro and its dependencies, and the test below fails when a file
/// is added to `workflows/` without a line here.
pub const EMBEDDED_WORKFLOWS: &[(&str, &str)] = &[
    (
        "metrology-spec.toml",
        include_str!("../workflows/metrology-spec.toml"),
    ),
    (
        "iso-standard.toml",
        include_str!("../workflows/iso-standard.toml"),
    ),
    (
        "calendars/cn-2025.toml",
        include_str!("../workflows/calendars/cn-2025.toml"),
    ),
    (
        "calendars/cn-2026.toml",
        include_str!("../workflows/calendars/cn-2026.toml"),
    ),
    (
        "committees/policy.toml",
        include_str!("../workflows/committees/policy.toml"),
    ),
    (
        "scenarios/cancelled.toml",
        include_str!("../workflows/scenarios/cancelled.toml"),
    ),
    (
        "scenarios/consultation-too-short.toml",
        include_str!("../workflows/scenarios/consultation-too-short.toml"),
    ),
    (
        "scenarios/overdue-with-extension.toml",
        include_str!("../workflows/scenarios/overdue-with-extension.toml"),
    ),
    (
        "scenarios/reexamined-confirmed.toml",
        include_str!("../workflows/scenarios/reexamined-confirmed.toml"),
    ),
    (
        "scenarios/reexamined-revised.toml",
        include_str!("../workflows/scenarios/reexamined-revised.toml"),
    ),
    (
        "scenarios/reexamined-withdrawn.toml",
        include_str!("../workflows/scenarios/reexamined-withdrawn.toml"),
    ),
    (
        "scenarios/review-fails-vote.toml",
        include_str!("../workflows/scenarios/review-fails-vote.toml"),
    ),
    (
        "scenarios/review-without-quorum.toml",
        include_str!("../workflows/scenarios/review-without-quorum.toml"),
    ),
    (
        "scenarios/to-in-force.toml",
        include_str!("../workflows/scenarios/to-in-force.toml"),
    ),
];

/// An embedded workflow file's text by its path inside the folder.
pub fn embedded(path: &str) -> Option<&'static str> {
    EMBEDDED_WORKFLOWS
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, text)| *text)
}

/// Where the workflows `specflow serve` and `specflow demo` register come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkflowSource {
    /// A folder on disk: the one given with `--workflows`, or `./workflows`.
    Folder(PathBuf),
    /// The shipped folder compiled into the binary.
    Embedded,
}

impl WorkflowSource {
    /// The folder given (`--workflows` or `SPECFLOW_WORKFLOWS`), which must exist; else
    /// `./workflows` when there is one; else the workflows compiled into the binary.
    pub fn choose(given: Option<&Path>) -> anyhow::Result<WorkflowSource> {
        match given {
            Some(folder) if folder.is_dir() => Ok(WorkflowSource::Folder(folder.to_path_buf())),
            Some(folder) => Err(anyhow::anyhow!(
                "--workflows {}: no such folder (leave --workflows out to use ./workflows, or the workflows built into specflow)",
                folder.display()
            )),
            None if Path::new("workflows").is_dir() => {
                Ok(WorkflowSource::Folder(PathBuf::from("workflows")))
            }
            None => Ok(WorkflowSource::Embedded),
        }
    }

    /// Which workflows these are, in a sentence for the person who started specflow.
    pub fn describe(&self) -> String {
        match self {
            WorkflowSource::Folder(folder) => format!("workflows: the folder {}", folder.display()),
            WorkflowSource::Embedded => format!(
                "workflows: the ones built into specflow {} (no ./workflows here; --workflows names another folder)",
                env!("CARGO_PKG_VERSION")
            ),
        }
    }

    /// Registers the definitions and calendars in the store; how many definitions.
    pub async fn register(&self, store: &specflow_store::Store) -> anyhow::Result<usize> {
        let registered = match self {
            WorkflowSource::Folder(folder) => store.register_workflow_folder(folder).await?,
            WorkflowSource::Embedded => {
                let mut files = specflow_store::WorkflowFiles::default();
                for (path, text) in EMBEDDED_WORKFLOWS {
                    let named = format!("(built in) workflows/{path}");
                    if path.starts_with("calendars/") {
                        files.calendar_years.push((named, (*text).to_string()));
                    } else if !path.contains('/') {
                        files.definitions.push((named, (*text).to_string()));
                    }
                }
                store.register_workflow_files(&files).await?
            }
        };
        Ok(registered.len())
    }

    /// The committee composition policy these workflows carry, if any (the embedded one is the
    /// store's own default, so there is nothing to load).
    pub fn committee_policy(
        &self,
    ) -> anyhow::Result<Option<specflow_engine::committee::CommitteePolicy>> {
        match self {
            WorkflowSource::Folder(folder) => load_committee_policy(folder),
            WorkflowSource::Embedded => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Every file of the shipped `workflows/` folder is compiled into the binary, and each
    /// embedded text is the file's: a file added to the folder without a line in the table fails
    /// here.
    #[test]
    fn every_shipped_workflow_file_is_embedded() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows");
        let mut on_disk = Vec::new();
        let mut folders = vec![root.clone()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else if path
                    .extension()
                    .is_some_and(|extension| extension == "toml")
                {
                    let relative = path.strip_prefix(&root).unwrap().to_string_lossy();
                    on_disk.push(relative.replace('\\', "/"));
                }
            }
        }
        on_disk.sort();
        let mut embedded_names: Vec<String> = EMBEDDED_WORKFLOWS
            .iter()
            .map(|(name, _)| (*name).to_string())
            .collect();
        embedded_names.sort();
        assert_eq!(embedded_names, on_disk);
        for (name, text) in EMBEDDED_WORKFLOWS {
            assert_eq!(std::fs::read_to_string(root.join(name)).unwrap(), *text);
        }
    }

    #[test]
    fn a_folder_given_must_exist() {
        let error = WorkflowSource::choose(Some(Path::new("/no/such/folder"))).unwrap_err();
        assert!(error.to_string().contains("no such folder"), "{error}");
    }
}
