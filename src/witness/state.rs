//! The witness's state on disk: for each log, the last checkpoint it cosigned, one file per
//! origin in the state directory, read on start and replaced durably before the witness
//! answers (a temporary file written and synced, renamed over the old one, then the directory
//! synced), so a crash at any moment leaves either the old state or the new one, never a torn
//! file and never an answer the disk does not remember.
//!
//! A file holds the checkpoint as the log signed it, followed by the witness's cosignature line:
//! a signed note anyone can read and check.
//!
//! One process uses a directory at a time: two witnesses each checking and writing the same
//! file would lose each other's cosignatures and could cosign a fork, so opening the directory
//! takes an exclusive lock on its `.lock` file, held until the process ends (the operating system
//! lets it go even when the process is killed), and a second process is refused.

use specflow_tlog::checkpoint::Checkpoint;
use specflow_tlog::note::Note;
use specflow_tlog::witness::WitnessedCheckpoint;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The file name's suffix.
const STATE_SUFFIX: &str = ".checkpoint";

/// The file a witness process holds locked while it uses the directory; no state file's name
/// starts with a `.` (an origin's leading `.` is written `%2E`), so it cannot be one.
const LOCK_FILE: &str = ".lock";

/// Why the state directory or a state file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The directory could not be made, read or written.
    #[error("the witness state directory {path} cannot be used: {source}")]
    Directory {
        /// The directory.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// Another process holds the directory's lock: it is another witness's state.
    #[error(
        "the witness state directory {path} is in use by another witness process (it holds {lock} locked); stop that one or give this one a directory of its own"
    )]
    InUse {
        /// The directory.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// A state file could not be read.
    #[error("cannot read the witness state {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// A state file could not be written durably.
    #[error("cannot write the witness state {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// A state file is not a cosigned checkpoint of its log: the witness will not guess.
    #[error("the witness state {path} is not a checkpoint of {origin}: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The log it should be of.
        origin: String,
        /// What is wrong.
        reason: String,
    },
}

/// What the witness keeps for one log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogState {
    /// The size and root hash last cosigned.
    pub witnessed: WitnessedCheckpoint,
    /// The checkpoint as the log signed it, with the witness's cosignature line after.
    pub cosigned_note: String,
}

impl LogState {
    /// Reads a state file's text, checking it is a checkpoint of `origin`.
    fn parse(text: &str, origin: &str) -> Result<LogState, String> {
        let note = Note::parse(text).map_err(|error| error.to_string())?;
        let checkpoint = Checkpoint::parse(&note.text).map_err(|error| error.to_string())?;
        if checkpoint.origin != origin {
            return Err(format!("it is of {:?}", checkpoint.origin));
        }
        Ok(LogState {
            witnessed: WitnessedCheckpoint {
                size: checkpoint.size,
                root: checkpoint.root,
            },
            cosigned_note: text.to_string(),
        })
    }
}

/// The directory of state files.
#[derive(Debug, Clone)]
pub struct StateDirectory {
    path: PathBuf,
    /// The directory's lock file, locked while any clone of this lives.
    _lock: Arc<fs::File>,
}

impl StateDirectory {
    /// The directory at `path`, made (owner-only) when missing, checked writable now rather than
    /// at the first checkpoint, and locked for this process ([`StateError::InUse`] when another
    /// holds it).
    pub fn open(path: &Path) -> Result<StateDirectory, StateError> {
        let directory_error = |source| StateError::Directory {
            path: path.to_path_buf(),
            source,
        };
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(path).map_err(directory_error)?;
        fs::read_dir(path).map_err(directory_error)?;
        let probe = path.join(format!(".probe-{}", std::process::id()));
        fs::write(&probe, b"").map_err(directory_error)?;
        fs::remove_file(&probe).map_err(directory_error)?;
        let lock = lock_directory(path)?;
        Ok(StateDirectory {
            path: path.to_path_buf(),
            _lock: Arc::new(lock),
        })
    }

    /// The file holding `origin`'s state: the origin with every byte other than a letter, a
    /// digit, `.`, `-` and `_` written `%XX`, so any origin names one file and can be read back.
    pub fn file_for(&self, origin: &str) -> PathBuf {
        let mut name = String::new();
        for byte in origin.bytes() {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_') {
                name.push(char::from(byte));
            } else {
                name.push_str(&format!("%{byte:02X}"));
            }
        }
        // A leading dot would hide the file, and "." or ".." would not be a file at all.
        if name.starts_with('.') {
            name.replace_range(0..1, "%2E");
        }
        self.path.join(name + STATE_SUFFIX)
    }

    /// The state stored for `origin`, `None` when it never cosigned one of its checkpoints.
    pub fn load(&self, origin: &str) -> Result<Option<LogState>, StateError> {
        let path = self.file_for(origin);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(StateError::Read { path, source }),
        };
        LogState::parse(&text, origin)
            .map(Some)
            .map_err(|reason| StateError::Malformed {
                path,
                origin: origin.to_string(),
                reason,
            })
    }

    /// Replaces `origin`'s state durably: written to a temporary file and synced, renamed over
    /// the old file, and the directory synced so the rename itself survives a power cut.
    pub fn store(&self, origin: &str, state: &LogState) -> Result<(), StateError> {
        let path = self.file_for(origin);
        let write_error = |source| StateError::Write {
            path: path.clone(),
            source,
        };
        let mut temporary_name = path.clone().into_os_string();
        temporary_name.push(".tmp");
        let temporary = PathBuf::from(temporary_name);
        let mut file = fs::File::create(&temporary).map_err(write_error)?;
        file.write_all(state.cosigned_note.as_bytes())
            .map_err(write_error)?;
        file.sync_all().map_err(write_error)?;
        drop(file);
        fs::rename(&temporary, &path).map_err(write_error)?;
        sync_directory(&self.path).map_err(write_error)
    }
}

/// Syncs a directory's entries (a rename is durable only once its directory is).
#[cfg(unix)]
fn sync_directory(path: &Path) -> io::Result<()> {
    fs::File::open(path)?.sync_all()
}

/// Windows cannot open a directory as a file; its renames are journaled by NTFS.
#[cfg(not(unix))]
fn sync_directory(_path: &Path) -> io::Result<()> {
    Ok(())
}

/// Opens the directory's lock file and locks it, without waiting: a witness already running
/// there is an operator's mistake to report, not something to wait for.
fn lock_directory(path: &Path) -> Result<fs::File, StateError> {
    let lock = path.join(LOCK_FILE);
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .map_err(|source| StateError::Directory {
            path: path.to_path_buf(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(StateError::InUse {
            path: path.to_path_buf(),
            lock,
        }),
        Err(fs::TryLockError::Error(source)) => Err(StateError::Directory {
            path: path.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use specflow_tlog::note::{NoteSigner, sign_note};
    use specflow_tlog::tree::MemoryTree;

    fn state_of(origin: &str, size: u64) -> LogState {
        let signer = NoteSigner::from_seed(origin, &[3; 32]).unwrap();
        let tree = MemoryTree::from_leaves((0..size).map(|leaf| leaf.to_be_bytes())).unwrap();
        let text = format!("{origin}\n{size}\n{}\n", tree.root().to_base64());
        LogState {
            witnessed: WitnessedCheckpoint {
                size,
                root: tree.root(),
            },
            cosigned_note: sign_note(&text, &signer).unwrap(),
        }
    }

    #[test]
    fn a_stored_state_is_read_back_and_replaced_whole() {
        let folder = tempfile::tempdir().unwrap();
        let directory = StateDirectory::open(&folder.path().join("state")).unwrap();
        assert_eq!(directory.load("example.org/log").unwrap(), None);
        directory
            .store("example.org/log", &state_of("example.org/log", 3))
            .unwrap();
        directory
            .store("example.org/log", &state_of("example.org/log", 5))
            .unwrap();
        let loaded = directory.load("example.org/log").unwrap().unwrap();
        assert_eq!(loaded, state_of("example.org/log", 5));
        let mut names: Vec<String> = fs::read_dir(folder.path().join("state"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, [".lock", "example.org%2Flog.checkpoint"]);
    }

    #[test]
    fn a_state_file_of_another_log_or_torn_is_refused_not_guessed() {
        let folder = tempfile::tempdir().unwrap();
        let directory = StateDirectory::open(folder.path()).unwrap();
        let other = state_of("other.org/log", 2);
        fs::write(directory.file_for("example.org/log"), &other.cosigned_note).unwrap();
        let error = directory.load("example.org/log").unwrap_err();
        assert!(matches!(error, StateError::Malformed { .. }), "{error}");
        fs::write(
            directory.file_for("example.org/log"),
            "example.org/log\n2\n",
        )
        .unwrap();
        assert!(matches!(
            directory.load("example.org/log").unwrap_err(),
            StateError::Malformed { .. }
        ));
    }

    #[test]
    fn every_origin_names_its_own_plain_file() {
        let folder = tempfile::tempdir().unwrap();
        let directory = StateDirectory::open(folder.path()).unwrap();
        assert_eq!(
            directory.file_for("../x y"),
            folder.path().join("%2E.%2Fx%20y.checkpoint")
        );
        assert_ne!(directory.file_for("a/b"), directory.file_for("a%2Fb"));
    }

    #[test]
    fn a_directory_in_use_is_refused_until_its_holder_lets_it_go() {
        let folder = tempfile::tempdir().unwrap();
        let first = StateDirectory::open(folder.path()).unwrap();
        let held = first.clone();
        drop(first);
        // Any clone keeps the lock while it lives.
        let error = StateDirectory::open(folder.path()).unwrap_err();
        assert!(matches!(error, StateError::InUse { .. }), "{error}");
        assert!(
            error
                .to_string()
                .contains(&folder.path().display().to_string()),
            "{error}"
        );
        drop(held);
        StateDirectory::open(folder.path()).unwrap();
    }

    #[test]
    fn a_state_directory_that_is_a_file_is_a_clear_error() {
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("file");
        fs::write(&file, "").unwrap();
        let error = StateDirectory::open(&file).unwrap_err();
        assert!(error.to_string().contains("cannot be used"), "{error}");
    }
}
