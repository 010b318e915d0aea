//! specflow's engine: the pure core of the specification lifecycle.
//!
//! It knows workflow definitions ([`WorkflowDefinition`], loaded from TOML), the guards that
//! decide whether a project may move on ([`decide`], [`available_actions`]), the events that
//! record what happened ([`Event`]) and the state they fold into ([`ProjectState`]).
//!
//! It does no I/O, reads no clock and no environment, and depends on neither tokio nor sqlx:
//! time comes in as a value (`now`), files come in as text, and storage is the service's job.
//! That is what lets an auditor replay a project's history years later and get the same answer.

#![forbid(unsafe_code)]

pub mod audit;
pub mod calendar;
pub mod command;
pub mod comments;
pub mod committee;
pub mod deadline;
pub mod decide;
pub mod definition;
pub mod duration;
pub mod event;
pub mod event_schema;
pub mod fraction;
pub mod guard;
pub mod load;
pub mod local_day;
pub mod location;
pub mod notify;
pub mod public;
pub mod records;
pub mod rejection;
pub mod render;
pub mod report;
pub mod scenario;
pub mod state;
pub mod stored_record;
pub mod text;

pub use audit::{AuditRecord, Digest256, verify};
pub use calendar::{CalendarError, WorkingCalendar};
pub use command::{Actor, Command};
pub use deadline::{Deadline, next_deadline, next_due_on};
pub use decide::{AvailableAction, TickOutcome, available_actions, decide, decide_tick, tick};
pub use definition::{DefinitionError, WorkflowDefinition};
pub use event::{Event, EventBody};
pub use location::Problem;
pub use rejection::{Rejection, Unmet};
pub use state::ProjectState;
pub use text::{Language, LocalizedText, human_size};
