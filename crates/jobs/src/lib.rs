//! specflow's background jobs: the work that runs on its own clock rather than on a request.
//!
//! The [`scheduler::Scheduler`] claims projects and committees whose deadlines fell due, under
//! leases so that several nodes share the work, and writes the engine's `tick` through the store.
//! The [`delivery::Deliverer`] posts the notification outbox to each audience's webhook, signed
//! ([`delivery::signature`]), retried with backoff and dead-lettered.
//!
//! The [`sequencer::Sequencer`] integrates committed audit records into the transparency log's
//! Merkle tree and signs its checkpoints, one node at a time by a lease; the
//! [`witnesses::WitnessClient`]s send each checkpoint to the log's witnesses and keep their
//! cosignatures (C2SP tlog-witness).
//!
//! All stand on `specflow-store` alone: nothing here knows HTTP routes or HTML pages, and the
//! binary starts them beside the web faces.

#![forbid(unsafe_code)]

pub mod delivery;
pub mod scheduler;
pub mod sequencer;
pub mod witnesses;

pub use delivery::signature::{SignatureError, verify_signature};
pub use delivery::{Deliverer, DeliveryError, DeliveryOptions, DeliveryRound};
pub use scheduler::{Scheduler, SchedulerOptions};
pub use sequencer::{Sequencer, SequencerOptions, SequencerRound};
pub use witnesses::{WitnessClient, WitnessEndpoint, WitnessOptions, spawn_witnesses};
