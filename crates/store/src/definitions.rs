//! Workflow definitions and working-day calendars, kept in the database so every node decides alike.
//!
//! A definition is immutable once registered under `(id, version)`. Registering a file whose
//! content is already registered changes nothing; registering a changed file registers a new
//! version (the file's own version if free, else the next one), so running projects keep the
//! version they started with.

use super::{Store, micros};
use crate::error::StoreError;
use sha2::{Digest, Sha256};
use specflow_engine::{Problem, WorkflowDefinition, WorkingCalendar};
use sqlx::Row;
use std::path::Path;
use std::sync::Arc;

/// A definition as registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredDefinition {
    /// Its id.
    pub id: String,
    /// The version it is registered under.
    pub version: u32,
    /// The SHA-256 of its source text.
    pub content_sha256: String,
    /// Whether this call registered it (false when the same content was already there).
    pub newly_registered: bool,
}

/// Workflow files as text, each with the name problems are reported under: the definitions and
/// the calendar years (`NAME-YYYY.toml`) of a workflow folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkflowFiles {
    /// The definitions: file name and text.
    pub definitions: Vec<(String, String)>,
    /// The calendar years: file name (`cn-2026.toml`, any folder before it) and text.
    pub calendar_years: Vec<(String, String)>,
}

fn sha256_hex(text: &[u8]) -> String {
    hex::encode(Sha256::digest(text))
}

fn problem(file: &str, message: String) -> Problem {
    Problem {
        file: file.to_string(),
        line: None,
        column: None,
        message,
    }
}

impl Store {
    /// Registers one year of a working-day calendar (replacing a corrected file for the same year).
    pub async fn register_calendar_year(
        &self,
        name: &str,
        file_name: &str,
        text: &str,
    ) -> Result<i32, StoreError> {
        let mut calendar = WorkingCalendar::new(name);
        let year = calendar
            .add_year_file(file_name, text)
            .map_err(|problems| StoreError::InvalidDefinition { problems })?;
        let hash = sha256_hex(text.as_bytes());
        let existing: Option<String> = sqlx::query_scalar(
            "SELECT content_sha256 FROM calendar_years WHERE calendar = $1 AND year = $2",
        )
        .bind(name)
        .bind(i64::from(year))
        .fetch_optional(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        match existing {
            Some(existing) if existing == hash => return Ok(year),
            Some(_) => {
                sqlx::query("UPDATE calendar_years SET content_sha256 = $1, source_name = $2, source = $3 WHERE calendar = $4 AND year = $5")
                    .bind(&hash)
                    .bind(file_name)
                    .bind(text)
                    .bind(name)
                    .bind(i64::from(year))
                    .execute(self.pool())
                    .await
                    .map_err(|error| self.database_error(error))?;
            }
            None => {
                let inserted = sqlx::query("INSERT INTO calendar_years (calendar, year, content_sha256, source_name, source) VALUES ($1, $2, $3, $4, $5)")
                    .bind(name)
                    .bind(i64::from(year))
                    .bind(&hash)
                    .bind(file_name)
                    .bind(text)
                    .execute(self.pool())
                    .await;
                match inserted {
                    Ok(_) => {}
                    // Another node registered the same year at the same moment.
                    Err(error) if super::is_unique_violation(&error) => {}
                    Err(error) => return Err(self.database_error(error)),
                }
            }
        }
        // Definitions cached with the old calendar must pick up the new one (registering a folder
        // loads them all again once its definitions are registered).
        if let Ok(mut cache) = self.inner.definitions.write() {
            cache.clear();
        }
        Ok(year)
    }

    /// Registers a definition from its source text.
    pub async fn register_definition(
        &self,
        file_name: &str,
        text: &str,
    ) -> Result<RegisteredDefinition, StoreError> {
        let definition = WorkflowDefinition::from_toml(file_name, text).map_err(|error| {
            StoreError::InvalidDefinition {
                problems: error.problems,
            }
        })?;
        let hash = sha256_hex(text.as_bytes());
        for _attempt in 0..3 {
            let rows = sqlx::query("SELECT version, content_sha256 FROM workflow_definitions WHERE definition_id = $1 ORDER BY version")
                .bind(&definition.id)
                .fetch_all(self.pool())
                .await
                .map_err(|error| self.database_error(error))?;
            let mut highest = 0i64;
            let mut taken = false;
            for row in &rows {
                let version: i64 = row
                    .try_get("version")
                    .map_err(|error| self.database_error(error))?;
                let content: String = row
                    .try_get("content_sha256")
                    .map_err(|error| self.database_error(error))?;
                if content == hash {
                    return Ok(RegisteredDefinition {
                        id: definition.id.clone(),
                        version: u32::try_from(version).map_err(|_| {
                            StoreError::Corrupt(format!("definition version {version}"))
                        })?,
                        content_sha256: hash,
                        newly_registered: false,
                    });
                }
                highest = highest.max(version);
                taken |= version == i64::from(definition.version);
            }
            let version = if taken {
                highest + 1
            } else {
                i64::from(definition.version)
            };
            let inserted = sqlx::query(
                "INSERT INTO workflow_definitions (definition_id, version, content_sha256, source_name, source, registered_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&definition.id)
            .bind(version)
            .bind(&hash)
            .bind(file_name)
            .bind(text)
            .bind(micros(self.inner.clock.now()))
            .execute(self.pool())
            .await;
            match inserted {
                Ok(_) => {
                    if taken {
                        tracing::warn!(
                            definition = %definition.id,
                            file_version = definition.version,
                            registered_version = version,
                            "the file's content changed but its version did not; registered as a new version"
                        );
                    }
                    return Ok(RegisteredDefinition {
                        id: definition.id.clone(),
                        version: u32::try_from(version).map_err(|_| {
                            StoreError::Corrupt(format!("definition version {version}"))
                        })?,
                        content_sha256: hash,
                        newly_registered: true,
                    });
                }
                // Another node registered a version at the same moment: look again.
                Err(error) if super::is_unique_violation(&error) => continue,
                Err(error) => return Err(self.database_error(error)),
            }
        }
        Err(StoreError::Database {
            database: self.inner.database.clone(),
            reason: format!("could not register {} after three attempts", definition.id),
            source: None,
        })
    }

    /// Registers every definition in `folder/*.toml` and every calendar year in `folder/calendars/*.toml`.
    pub async fn register_workflow_folder(
        &self,
        folder: &Path,
    ) -> Result<Vec<RegisteredDefinition>, StoreError> {
        let read_folder = |path: &Path| -> Result<Vec<std::path::PathBuf>, StoreError> {
            let entries =
                std::fs::read_dir(path).map_err(|error| StoreError::InvalidDefinition {
                    problems: vec![problem(
                        &path.display().to_string(),
                        format!("cannot read the folder: {error}"),
                    )],
                })?;
            let mut files: Vec<_> = entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| {
                    path.is_file()
                        && path
                            .extension()
                            .is_some_and(|extension| extension == "toml")
                })
                .collect();
            files.sort();
            Ok(files)
        };
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|error| StoreError::InvalidDefinition {
                problems: vec![problem(
                    &path.display().to_string(),
                    format!("cannot read the file: {error}"),
                )],
            })
        };
        let mut files = WorkflowFiles::default();
        let calendars = folder.join("calendars");
        if calendars.is_dir() {
            for file in read_folder(&calendars)? {
                files
                    .calendar_years
                    .push((file.display().to_string(), read(&file)?));
            }
        }
        for file in read_folder(folder)? {
            files
                .definitions
                .push((file.display().to_string(), read(&file)?));
        }
        self.register_workflow_files(&files).await
    }

    /// Registers definitions and calendar years given as text (a folder read from disk, or the
    /// one compiled into the binary), calendars first, then loads every definition into the
    /// cache.
    pub async fn register_workflow_files(
        &self,
        files: &WorkflowFiles,
    ) -> Result<Vec<RegisteredDefinition>, StoreError> {
        for (file_name, text) in &files.calendar_years {
            // `cn-2026.toml` is a year of the calendar `cn`.
            let stem = Path::new(file_name)
                .file_stem()
                .and_then(|stem| stem.to_str())
                .unwrap_or_default();
            let Some((name, _year)) = stem.rsplit_once('-') else {
                continue;
            };
            self.register_calendar_year(name, file_name, text).await?;
        }
        let mut registered = Vec::new();
        for (file_name, text) in &files.definitions {
            registered.push(self.register_definition(file_name, text).await?);
        }
        self.warm_definitions().await;
        Ok(registered)
    }

    /// The definition registered as `(id, version)`, with its calendar attached.
    pub async fn definition(
        &self,
        id: &str,
        version: u32,
    ) -> Result<Arc<WorkflowDefinition>, StoreError> {
        if let Ok(cache) = self.inner.definitions.read()
            && let Some(definition) = cache.get(&(id.to_string(), version))
        {
            return Ok(definition.clone());
        }
        let row = sqlx::query("SELECT source_name, source FROM workflow_definitions WHERE definition_id = $1 AND version = $2")
            .bind(id)
            .bind(i64::from(version))
            .fetch_optional(self.pool())
            .await
            .map_err(|error| self.database_error(error))?
            .ok_or_else(|| StoreError::DefinitionNotFound {
                id: id.to_string(),
                version,
            })?;
        let source_name: String = row
            .try_get("source_name")
            .map_err(|error| self.database_error(error))?;
        let source: String = row
            .try_get("source")
            .map_err(|error| self.database_error(error))?;
        let mut definition =
            WorkflowDefinition::from_toml(&source_name, &source).map_err(|error| {
                StoreError::InvalidDefinition {
                    problems: error.problems,
                }
            })?;
        // The registered version wins over the number written in the file.
        definition.version = version;
        if let Some(calendar_name) = definition.calendar.clone() {
            let rows = sqlx::query(
                "SELECT source_name, source FROM calendar_years WHERE calendar = $1 ORDER BY year",
            )
            .bind(&calendar_name)
            .fetch_all(self.pool())
            .await
            .map_err(|error| self.database_error(error))?;
            let mut calendar = WorkingCalendar::new(&calendar_name);
            for row in rows {
                let name: String = row
                    .try_get("source_name")
                    .map_err(|error| self.database_error(error))?;
                let text: String = row
                    .try_get("source")
                    .map_err(|error| self.database_error(error))?;
                calendar
                    .add_year_file(&name, &text)
                    .map_err(|problems| StoreError::InvalidDefinition { problems })?;
            }
            definition = definition.with_calendar(Arc::new(calendar));
        }
        let definition = Arc::new(definition);
        if let Ok(mut cache) = self.inner.definitions.write() {
            cache.insert((id.to_string(), version), definition.clone());
        }
        Ok(definition)
    }

    /// The ids of every registered definition, in order.
    pub async fn definition_ids(&self) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT DISTINCT definition_id FROM workflow_definitions ORDER BY definition_id",
        )
        .fetch_all(self.pool())
        .await
        .map_err(|error| self.database_error(error))
    }

    /// Every registered definition version, as `(id, version)`, in order.
    pub async fn definition_versions(&self) -> Result<Vec<(String, u32)>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT definition_id, version FROM workflow_definitions ORDER BY definition_id, version",
        )
        .fetch_all(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        rows.into_iter()
            .map(|(id, version)| {
                let version = u32::try_from(version)
                    .map_err(|_| StoreError::Corrupt(format!("definition version {version}")))?;
                Ok((id, version))
            })
            .collect()
    }

    /// Loads every registered definition into the cache, so that the SQLite writer, which decides
    /// inside `BEGIN IMMEDIATE`, never waits for a pooled connection while it holds the write
    /// lock: under load every pooled connection can be waiting for that lock (each request
    /// records its token's use), and the two waited for each other until the timeouts (found by
    /// the API load bench: 32 first requests at once got 503 after 10 s). A definition that no
    /// longer loads is left to be reported when a project needs it.
    pub(crate) async fn warm_definitions(&self) {
        let versions: Result<Vec<(String, i64)>, sqlx::Error> =
            sqlx::query_as("SELECT definition_id, version FROM workflow_definitions")
                .fetch_all(self.pool())
                .await;
        let Ok(versions) = versions else {
            return;
        };
        for (id, version) in versions {
            let Ok(version) = u32::try_from(version) else {
                continue;
            };
            if let Err(error) = self.definition(&id, version).await {
                tracing::warn!(definition = %id, version, %error, "a registered definition does not load");
            }
        }
    }

    /// The newest version registered of a definition.
    pub async fn latest_definition(&self, id: &str) -> Result<Arc<WorkflowDefinition>, StoreError> {
        let version: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(version) FROM workflow_definitions WHERE definition_id = $1",
        )
        .bind(id)
        .fetch_one(self.pool())
        .await
        .map_err(|error| self.database_error(error))?;
        let version = version.ok_or_else(|| StoreError::DefinitionNotFound {
            id: id.to_string(),
            version: 0,
        })?;
        self.definition(
            id,
            u32::try_from(version)
                .map_err(|_| StoreError::Corrupt(format!("definition version {version}")))?,
        )
        .await
    }
}
