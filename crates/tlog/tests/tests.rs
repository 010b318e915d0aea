//! The transparency-log core's one integration-test binary: each module tests one encoding or
//! computation as a user of the crate, against the RFC or the C2SP specification it implements
//! and, where one was found, a published external vector.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod checkpoint;
mod document;
mod note;
mod tiles;
mod tree;
mod witness;
