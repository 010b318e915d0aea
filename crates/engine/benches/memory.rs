//! The memory target: the replayed state of a 10,000-event project stays under 1 MiB.
//!
//! Criterion measures time, so this is a plain program. Every allocation goes through the `cap`
//! crate's counting wrapper around the system allocator (the `unsafe` of a global allocator lives
//! in that crate; this workspace forbids it in its own code), so the figure is the exact number of
//! live heap bytes the state holds, as requested from the allocator, without the allocator's own
//! bookkeeping. It also prints what each part of the state holds, and what an exact-fit copy
//! (a clone, whose vectors have no spare capacity) holds.
//!
//! Run with `cargo bench -p specflow-engine --bench memory`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use cap::Cap;
use common::{long_project, metrology_definition};
use specflow_engine::ProjectState;
use std::alloc::System;
use std::hint::black_box;

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

const EVENTS: usize = 10_000;
const TARGET_BYTES: usize = 1024 * 1024;

fn live() -> usize {
    ALLOCATOR.allocated()
}

/// The live heap bytes `drop` gives back.
fn freed_by(drop_it: impl FnOnce()) -> usize {
    let before = live();
    drop_it();
    before - live()
}

fn main() {
    let definition = metrology_definition();
    let events = long_project(&definition, EVENTS);

    // Everything allocated from here on that is still live afterwards belongs to the state:
    // the copy of the events is consumed, and what replay does not keep is freed.
    let before = live();
    let mut state = ProjectState::new();
    for event in events.clone() {
        state.apply_owned(event);
    }
    let heap = live() - before;
    let inline = size_of::<ProjectState>();
    let total = heap + inline;

    let before = live();
    let exact = black_box(state.clone());
    let exact_heap = live() - before;
    drop(exact);

    println!(
        "replayed state of a {EVENTS}-event project: {} comments, {} artifacts, {} stage visits, {} deadlines, {} meetings",
        state.comments.len(),
        state.artifacts.len(),
        state.visits.len(),
        state.deadlines.len(),
        state.meetings.len()
    );
    println!(
        "live heap: {heap} bytes, plus {inline} bytes inline: {total} bytes ({:.2} MiB, {:.0} bytes per event)",
        total as f64 / TARGET_BYTES as f64,
        total as f64 / EVENTS as f64
    );
    println!(
        "an exact-fit clone of it holds {exact_heap} bytes of heap ({:.2} MiB)",
        exact_heap as f64 / TARGET_BYTES as f64
    );
    println!(
        "a comment takes {} bytes of slot plus its id and clause; the slots have room for {}",
        specflow_engine::comments::Comments::SLOT_BYTES,
        state.comments.capacity()
    );

    let mut parts = vec![
        (
            "comments",
            freed_by(|| drop(std::mem::take(&mut state.comments))),
        ),
        (
            "artifacts",
            freed_by(|| drop(std::mem::take(&mut state.artifacts))),
        ),
        (
            "meetings",
            freed_by(|| drop(std::mem::take(&mut state.meetings))),
        ),
        (
            "scheduled_meetings",
            freed_by(|| drop(std::mem::take(&mut state.scheduled_meetings))),
        ),
        (
            "organisations_consulted",
            freed_by(|| drop(std::mem::take(&mut state.organisations_consulted))),
        ),
        (
            "visits",
            freed_by(|| drop(std::mem::take(&mut state.visits))),
        ),
        (
            "deadlines",
            freed_by(|| drop(std::mem::take(&mut state.deadlines))),
        ),
        (
            "extension_requests",
            freed_by(|| drop(std::mem::take(&mut state.extension_requests))),
        ),
        (
            "sign_offs",
            freed_by(|| drop(std::mem::take(&mut state.sign_offs))),
        ),
    ];
    parts.push(("everything else", freed_by(|| drop(state))));
    for (part, bytes) in parts {
        println!(
            "  {part:<24} {bytes:>9} bytes ({:>4.1}%)",
            bytes as f64 * 100.0 / heap as f64
        );
    }
    let verdict = if total < TARGET_BYTES {
        "meets"
    } else {
        "misses"
    };
    println!("target < {TARGET_BYTES} bytes (1 MiB): {verdict}");
}
