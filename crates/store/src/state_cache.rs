//! The project states kept in memory between commands and reads, each with the head of the log
//! it was folded to ([`Folded`]).
//!
//! The cache is bounded by an estimate of the memory its states take
//! ([`StoreOptions::state_cache_bytes`](crate::StoreOptions::state_cache_bytes)), and makes room
//! by S3-FIFO (`quick_cache`): a state read or written again stays, one seen once goes first.
//! Before, it held a number of states and forgot them all when full, so that past that number
//! every fourth-thousandth write started a storm of replays, and a read of a random project among
//! more than it held replayed its log most of the time.
//!
//! It sits behind the store's mutex, which every caller holds only to look up, take or put one
//! state; the invariants (a state is used only at the head the projection names, a reader never
//! replaces a later state) are kept by the callers in `write.rs` and `read.rs`.

use crate::write::Folded;
use quick_cache::Weighter;
use uuid::Uuid;

/// A state's estimated footprint, fixed when it is put in (quick_cache requires an entry's
/// weight not to change while it is cached).
#[derive(Debug, Clone)]
pub(crate) struct Weighed {
    folded: Folded,
    bytes: u64,
}

/// Weighs an entry by the estimate it carries.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EstimatedBytes;

impl Weighter<Uuid, Weighed> for EstimatedBytes {
    fn weight(&self, _project_id: &Uuid, entry: &Weighed) -> u64 {
        entry.bytes
    }
}

/// What a state is assumed to take before any event: the structure, its vectors and maps.
const BASE_BYTES: u64 = 1024;

/// What each event applied is assumed to add: measured as about 2.5 KiB for the API load bench's
/// projects of six events (14,000 states cached took 35 MiB more resident memory).
const BYTES_PER_EVENT: u64 = 256;

/// The estimate of a state's memory: proportional to the events folded into it, which is what
/// makes a state grow (comments, artifacts, meetings, deadlines, sign-offs).
fn estimated_bytes(folded: &Folded) -> u64 {
    BASE_BYTES.saturating_add(folded.state.events_applied.saturating_mul(BYTES_PER_EVENT))
}

/// The cache.
#[derive(Debug)]
pub(crate) struct StateCache {
    states: quick_cache::unsync::Cache<Uuid, Weighed, EstimatedBytes>,
}

impl StateCache {
    /// A cache of at most about `capacity_bytes` of states; zero keeps none.
    pub(crate) fn new(capacity_bytes: u64) -> StateCache {
        let estimated_states = usize::try_from(capacity_bytes / (BASE_BYTES + 8 * BYTES_PER_EVENT))
            .unwrap_or(usize::MAX)
            .max(1);
        StateCache {
            states: quick_cache::unsync::Cache::with_weighter(
                estimated_states,
                capacity_bytes,
                EstimatedBytes,
            ),
        }
    }

    /// The state of a project, if cached.
    pub(crate) fn get(&self, project_id: &Uuid) -> Option<&Folded> {
        self.states.get(project_id).map(|entry| &entry.folded)
    }

    /// Takes a project's state out, for a writer that will put the new one back after its commit.
    pub(crate) fn take(&mut self, project_id: &Uuid) -> Option<Folded> {
        self.states
            .remove(project_id)
            .map(|(_, entry)| entry.folded)
    }

    /// Puts a project's state in, making room if needed (a state larger than the whole cache is
    /// not kept).
    pub(crate) fn put(&mut self, project_id: Uuid, folded: Folded) {
        let bytes = estimated_bytes(&folded);
        self.states.insert(project_id, Weighed { folded, bytes });
    }

    /// Forgets a project's state.
    pub(crate) fn forget(&mut self, project_id: &Uuid) {
        self.states.remove(project_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use specflow_engine::ProjectState;
    use specflow_engine::audit::Head;

    fn folded(events: u64) -> Folded {
        let mut state = ProjectState::new();
        state.events_applied = events;
        Folded {
            head: Head::EMPTY,
            state,
        }
    }

    #[test]
    fn the_cache_keeps_what_fits_and_makes_room_for_new_states() {
        let mut cache = StateCache::new(100 * estimated_bytes(&folded(4)));
        let ids: Vec<Uuid> = (0..1000).map(|_| Uuid::new_v4()).collect();
        for id in &ids {
            cache.put(*id, folded(4));
        }
        let kept = ids.iter().filter(|id| cache.get(id).is_some()).count();
        assert!((50..=100).contains(&kept), "{kept} states kept");
        let newest = Uuid::new_v4();
        cache.put(newest, folded(5));
        assert!(cache.get(&newest).is_some(), "the newest is kept");
        match cache.take(&newest) {
            Some(taken) => assert_eq!(taken.state.events_applied, 5),
            None => panic!("the newest state was cached"),
        }
        assert!(cache.get(&newest).is_none(), "taken out");
    }

    #[test]
    fn a_cache_of_no_bytes_keeps_nothing() {
        let mut cache = StateCache::new(0);
        let id = Uuid::new_v4();
        cache.put(id, folded(1));
        assert!(cache.get(&id).is_none());
    }

    #[test]
    fn a_state_read_again_outlives_states_seen_once() {
        let mut cache = StateCache::new(50 * estimated_bytes(&folded(2)));
        let hot = Uuid::new_v4();
        cache.put(hot, folded(2));
        for _ in 0..500 {
            assert!(cache.get(&hot).is_some(), "the state read every time stays");
            cache.put(Uuid::new_v4(), folded(2));
        }
    }
}
