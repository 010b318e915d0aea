//! The comments a project has received, as its state keeps them: compact, found by id at once,
//! and with no allocation of their own.
//!
//! A long project receives tens of thousands of comments, and replaying its log spends most of
//! its time on them. Each comment used to hold its id and clause as two boxed strings and its
//! organisation as a shared `Arc<str>`: two allocations per comment, each a cache miss when the
//! id was compared, and a third of the time of a replay in `malloc` and `memcpy`.
//! Here every id and clause is appended to one text, each organisation is kept once and named by
//! its number, and a comment is a fixed-size slot of offsets, dates and its disposition.
//!
//! Readers see each comment as a [`CommentEntry`], a borrowed view with the same fields (and the
//! same JSON) the state has always shown.

use crate::command::Disposition;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};
use std::hash::BuildHasher;

/// A comment's latest disposition: the decision and when it was recorded.
///
/// The reason and who recorded it stay in the `comment_disposed` event (see [`CommentEntry`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RecordedDisposition {
    /// The decision.
    pub disposition: Disposition,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// A comment as the rules and an overview of the project need it: which comment, from which
/// organisation, on which clause, when, and how it was disposed of.
///
/// The comment's text, the reason of a disposition and who recorded each are in the audit log's
/// events, the source of truth, and a replay to any sequence shows them. They are not kept here:
/// a long project receives thousands of comments, no rule reads their text, and with it the
/// comments were four fifths of the state of a 10,000-event project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CommentEntry<'a> {
    /// An id unique within the project, such as the row number in the comment table.
    pub comment_id: &'a str,
    /// The organisation that sent it.
    pub organisation: &'a str,
    /// The clause it is about, if any.
    pub clause: Option<&'a str>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// The latest disposition.
    pub disposition: Option<RecordedDisposition>,
}

/// One comment: where its id and clause end in [`Comments::text`] (each starts where the one
/// before ends), the number of its organisation, when, and its disposition.
#[derive(Debug, Clone, Copy)]
struct Slot {
    id_end: usize,
    clause_end: usize,
    organisation: u32,
    has_clause: bool,
    recorded_at: DateTime<Utc>,
    disposition: Option<RecordedDisposition>,
}

/// The comments of a project, in the order recorded.
#[derive(Clone, Default)]
pub struct Comments {
    /// One slot per comment.
    slots: Vec<Slot>,
    /// Every comment's id then clause, back to back.
    text: String,
    /// Each organisation that sent a comment, once.
    organisations: Vec<Box<str>>,
    /// Where each organisation is in `organisations`, by its text.
    organisation_index: hashbrown::HashTable<u32>,
    /// Where each comment is in `slots`, by its id.
    index: CommentIndex,
}

impl Comments {
    /// The bytes one comment takes in the slots, besides its id and clause.
    pub const SLOT_BYTES: usize = std::mem::size_of::<Slot>();

    /// How many comments were recorded.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// How many comments there is room for before the slots grow (for memory measurements).
    pub fn capacity(&self) -> usize {
        self.slots.capacity()
    }

    /// The comment at `position`, in the order recorded.
    pub fn get(&self, position: usize) -> Option<CommentEntry<'_>> {
        let slot = self.slots.get(position)?;
        Some(self.entry(id_start(&self.slots, position)?, slot))
    }

    /// Every comment, in the order recorded.
    pub fn iter(&self) -> impl Iterator<Item = CommentEntry<'_>> {
        self.slots.iter().scan(0, |id_start, slot| {
            let entry = self.entry(*id_start, slot);
            *id_start = slot.clause_end;
            Some(entry)
        })
    }

    /// The first comment with this id.
    pub fn find(&self, comment_id: &str) -> Option<CommentEntry<'_>> {
        self.position(comment_id)
            .and_then(|position| self.get(position))
    }

    /// Whether a comment with this id is recorded.
    pub fn contains(&self, comment_id: &str) -> bool {
        self.position(comment_id).is_some()
    }

    /// How many distinct organisations sent comments.
    pub fn organisation_count(&self) -> usize {
        self.organisations.len()
    }

    /// Records a comment. The first comment with an id keeps it: a later one with the same id
    /// is kept in order but found by id only through `iter` (`decide` never records an id twice
    /// and `check_applicable` refuses a log that does).
    pub(crate) fn record(
        &mut self,
        comment_id: &str,
        organisation: &str,
        clause: Option<&str>,
        recorded_at: DateTime<Utc>,
    ) {
        let organisation = self.share_organisation(organisation);
        let position = self.slots.len();
        let (slots, text) = (&self.slots, &self.text);
        self.index.insert_if_new(comment_id, position, |position| {
            id_at(slots, text, position)
        });
        self.text.push_str(comment_id);
        let id_end = self.text.len();
        if let Some(clause) = clause {
            self.text.push_str(clause);
        }
        self.slots.push(Slot {
            id_end,
            clause_end: self.text.len(),
            organisation,
            has_clause: clause.is_some(),
            recorded_at,
            disposition: None,
        });
    }

    /// Records the latest disposition of the first comment with this id; a disposition of an
    /// unknown comment changes nothing (`check_applicable` refuses a log that holds one).
    pub(crate) fn dispose(&mut self, comment_id: &str, disposition: RecordedDisposition) {
        if let Some(slot) = self
            .position(comment_id)
            .and_then(|position| self.slots.get_mut(position))
        {
            slot.disposition = Some(disposition);
        }
    }

    fn entry(&self, id_start: usize, slot: &Slot) -> CommentEntry<'_> {
        let comment_id = self.text.get(id_start..slot.id_end).unwrap_or_default();
        let clause = slot.has_clause.then(|| {
            self.text
                .get(slot.id_end..slot.clause_end)
                .unwrap_or_default()
        });
        let organisation = organisation_at(&self.organisations, slot.organisation).unwrap_or("");
        CommentEntry {
            comment_id,
            organisation,
            clause,
            recorded_at: slot.recorded_at,
            disposition: slot.disposition,
        }
    }

    fn position(&self, comment_id: &str) -> Option<usize> {
        self.index.find(comment_id, |position| {
            id_at(&self.slots, &self.text, position)
        })
    }

    /// The number of the organisation, kept from now on if it is new.
    fn share_organisation(&mut self, organisation: &str) -> u32 {
        let hash = rustc_hash::FxBuildHasher.hash_one(organisation);
        let organisations = &self.organisations;
        let known = self.organisation_index.find(hash, |number| {
            organisation_at(organisations, *number) == Some(organisation)
        });
        if let Some(number) = known {
            return *number;
        }
        // Four thousand million organisations would need 64 GiB of slots; past that many, later
        // ones share the last number rather than fail.
        let number = u32::try_from(self.organisations.len()).unwrap_or(u32::MAX);
        self.organisations.push(organisation.into());
        let organisations = &self.organisations;
        self.organisation_index
            .insert_unique(hash, number, |number| {
                organisation_at(organisations, *number)
                    .map_or(0, |known| rustc_hash::FxBuildHasher.hash_one(known))
            });
        number
    }
}

impl PartialEq for Comments {
    /// Two lists are equal when they hold the same comments in the same order, whatever room
    /// either has to grow.
    fn eq(&self, other: &Comments) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Comments {}

impl std::fmt::Debug for Comments {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Comments {
    /// The comments as a list of [`CommentEntry`], as the state has always shown them.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut list = serializer.serialize_seq(Some(self.len()))?;
        for entry in self.iter() {
            list.serialize_element(&entry)?;
        }
        list.end()
    }
}

/// The id of the comment at `position`, given the slots and the text.
fn id_at<'a>(slots: &[Slot], text: &'a str, position: usize) -> Option<&'a str> {
    let slot = slots.get(position)?;
    text.get(id_start(slots, position)?..slot.id_end)
}

/// Where the id of the comment at `position` starts in the text: where the comment before ends.
fn id_start(slots: &[Slot], position: usize) -> Option<usize> {
    match position.checked_sub(1) {
        Some(before) => slots.get(before).map(|slot| slot.clause_end),
        None => Some(0),
    }
}

/// The organisation numbered `number`.
fn organisation_at(organisations: &[Box<str>], number: u32) -> Option<&str> {
    let number = usize::try_from(number).ok()?;
    organisations
        .get(number)
        .map(|organisation| &**organisation)
}

/// Where each comment is in the slots, by comment id: a disposition finds its comment at once,
/// so a replay stays linear however many comments a project receives.
///
/// It holds each comment's position and a 32-bit hash of its id, 8 bytes, instead of a copy of
/// the id: a map from id to position was a quarter of a long project's state once comment entries
/// were compact. Keeping the hash lets the table grow without reading every comment again; with
/// positions alone, those cache misses made a replay of 100,000 events about 20% slower.
#[derive(Clone, Default)]
struct CommentIndex {
    /// One slot per indexed comment.
    slots: hashbrown::HashTable<IndexSlot>,
}

/// A comment's place in the index.
#[derive(Debug, Clone, Copy)]
struct IndexSlot {
    /// Its position in the slots.
    position: u32,
    /// The hash of its id, as [`CommentIndex::hash`] gives it.
    hash: u32,
}

impl IndexSlot {
    /// The table's hash of the slot: the stored 32 bits, spread over 64 so that the table's
    /// control bytes (the top bits) and bucket numbers (the low bits) both vary.
    fn table_hash(hash: u32) -> u64 {
        u64::from(hash).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
}

impl CommentIndex {
    /// A 32-bit hash of a comment id: the low half of its Fx hash.
    fn hash(comment_id: &str) -> u32 {
        // Truncation is the point: 32 bits are kept per comment.
        rustc_hash::FxBuildHasher.hash_one(comment_id) as u32
    }

    /// The position of the first comment with this id; `id_at` gives the id at a position.
    fn find<'a>(
        &self,
        comment_id: &str,
        id_at: impl Fn(usize) -> Option<&'a str>,
    ) -> Option<usize> {
        let hash = Self::hash(comment_id);
        self.slots
            .find(IndexSlot::table_hash(hash), |slot| {
                slot.hash == hash
                    && usize::try_from(slot.position)
                        .ok()
                        .and_then(&id_at)
                        .is_some_and(|id| id == comment_id)
            })
            .and_then(|slot| usize::try_from(slot.position).ok())
    }

    /// Indexes the comment at `position` unless an earlier comment has its id, in one probe:
    /// the first comment with an id keeps it. Positions past `u32::MAX` are not indexed: that
    /// many comments would take over 200 GiB of slots.
    fn insert_if_new<'a>(
        &mut self,
        comment_id: &str,
        position: usize,
        id_at: impl Fn(usize) -> Option<&'a str>,
    ) {
        let Ok(position) = u32::try_from(position) else {
            return;
        };
        let hash = Self::hash(comment_id);
        let entry = self.slots.entry(
            IndexSlot::table_hash(hash),
            |slot| {
                slot.hash == hash
                    && usize::try_from(slot.position)
                        .ok()
                        .and_then(&id_at)
                        .is_some_and(|id| id == comment_id)
            },
            |slot| IndexSlot::table_hash(slot.hash),
        );
        if let hashbrown::hash_table::Entry::Vacant(vacant) = entry {
            vacant.insert(IndexSlot { position, hash });
        }
    }
}
