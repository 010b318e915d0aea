//! specflow's service: everything around the pure engine that touches the world.
//!
//! The store ([`store::Store`]) keeps projects durably on SQLite (the embedded default) or
//! PostgreSQL (several nodes sharing one database): the append-only audit log the database
//! itself protects, a projection of each project's current state, definitions, calendars,
//! artifact contents and command ids. Time comes from an injected [`clock::Clock`], so tests
//! run years of project time in seconds.
//!
//! The deliverer ([`delivery::Deliverer`]) posts the notification outbox to each audience's
//! webhook, signed ([`delivery::signature`]), retried with backoff and dead-lettered.
//!
//! The API's authorization model ([`auth`]) is pure: roles, the [`auth::Principal`] a bearer token
//! stands for, and the scoping rules; the store keeps the tokens, as hashes only.
//!
//! The web pages ([`pages`]) are server-rendered HTML at `/`, reading through the API's own code.

#![forbid(unsafe_code)]

pub mod auth;
pub mod clock;
pub mod delivery;
pub mod error;
pub mod http;
pub mod metrics;
pub mod pages;
pub mod scheduler;
pub mod store;

pub use auth::{Access, AuthError, Principal, Role};
pub use clock::{Clock, ManualClock, SystemClock};
pub use delivery::signature::{SignatureError, verify_signature};
pub use delivery::{Deliverer, DeliveryError, DeliveryOptions, DeliveryRound};
pub use error::StoreError;
pub use store::{Store, StoreOptions};
