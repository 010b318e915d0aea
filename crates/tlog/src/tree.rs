//! An append-only Merkle tree whose every node hash lives in one table keyed by an integer.
//!
//! The layout is the one Go's `golang.org/x/mod/sumdb/tlog` uses (after Crosby and Wallach,
//! "Efficient Data Structures for Tamper-Evident Logging", section 3.3): when record `n` is
//! appended, its leaf hash and the hash of every subtree it completes are written next, so the
//! table only ever grows at its end and a node's place never changes.
//! A node is named by its level (0 for leaves) and its position `n` within that level.
//!
//! Every computation comes in two shapes, so a synchronous caller and an asynchronous store can
//! both use it: `indexes_for_*` says which stored hashes are needed, `*_from` computes the result
//! from exactly those hashes in that order, and the reader-based functions ([`tree_hash`],
//! [`prove_record`], [`prove_tree`], [`stored_hashes_for_record_hash`]) do both through a
//! [`HashReader`]. Proofs are checked by the verification algorithms of RFC 9162 sections
//! 2.1.3.2 and 2.1.4.2, which need no stored hashes at all.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::hash::{Hash, empty_tree_hash, leaf_hash, node_hash};

/// The largest tree this crate handles: 2^62 leaves, so every stored index fits in a `u64`
/// (and in the signed 64-bit integer a database column holds).
pub const MAX_TREE_SIZE: u64 = 1 << 62;

/// An inclusion proof (RFC 9162's audit path), from the leaf upwards.
pub type RecordProof = Vec<Hash>;

/// A consistency proof between two sizes of the tree (RFC 9162 section 2.1.4).
pub type TreeProof = Vec<Hash>;

/// Why a tree computation could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// The tree size is above [`MAX_TREE_SIZE`].
    #[error("a tree of {size} leaves is larger than this log handles")]
    SizeTooLarge {
        /// The size asked for.
        size: u64,
    },
    /// A size above the number of leaves a [`MemoryTree`] holds.
    #[error("the tree holds {tree_size} leaves, not {size}")]
    BeyondTree {
        /// The size asked for.
        size: u64,
        /// The number of leaves the tree holds.
        tree_size: u64,
    },
    /// The record is not in the tree: its index is not below the tree's size.
    #[error("record {index} is not in a tree of {size} leaves")]
    RecordOutOfRange {
        /// The record's index.
        index: u64,
        /// The tree's size.
        size: u64,
    },
    /// The older tree is larger than the newer one.
    #[error("a tree of {old} leaves cannot be a prefix of one of {new}")]
    SizesOutOfOrder {
        /// The older tree's size.
        old: u64,
        /// The newer tree's size.
        new: u64,
    },
    /// The node (level, n) cannot exist in a tree of at most [`MAX_TREE_SIZE`] leaves.
    #[error("node {n} at level {level} is outside any tree this log handles")]
    NodeOutOfRange {
        /// The node's level (0 for leaves).
        level: u32,
        /// The node's position within its level.
        n: u64,
    },
    /// The stored index names no node of a tree of at most [`MAX_TREE_SIZE`] leaves.
    #[error("stored hash index {0} is outside any tree this log handles")]
    IndexOutOfRange(u64),
    /// The caller supplied another number of hashes than the indexes it was asked for.
    #[error("expected {expected} stored hashes, got {got}")]
    WrongHashCount {
        /// How many indexes were asked for.
        expected: usize,
        /// How many hashes came back.
        got: usize,
    },
    /// A reader was asked for a stored hash it does not hold.
    #[error("stored hash {0} is missing")]
    MissingHash(u64),
}

/// Why a reader-based computation failed: the tree's arithmetic or the reader itself.
#[derive(Debug, thiserror::Error)]
pub enum ReaderError<E> {
    /// The request itself is impossible, or the reader answered with the wrong count.
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// The reader failed to read the hashes (a database error, say).
    #[error("reading stored hashes failed: {0}")]
    Read(E),
}

/// Why a proof does not prove what it was checked against.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The record is not below the tree's size.
    #[error("record {index} is not in a tree of {size} leaves")]
    RecordOutOfRange {
        /// The record's index.
        index: u64,
        /// The tree's size.
        size: u64,
    },
    /// The older tree is larger than the newer one.
    #[error("a tree of {old} leaves cannot be a prefix of one of {new}")]
    SizesOutOfOrder {
        /// The older tree's size.
        old: u64,
        /// The newer tree's size.
        new: u64,
    },
    /// The proof has too many or too few hashes for these sizes.
    #[error("the proof has the wrong number of hashes")]
    WrongLength,
    /// The proof, run, does not give the expected root (or roots).
    #[error("the proof does not lead to the expected root")]
    RootMismatch,
}

/// Reads stored hashes by index, all at once (so a store can fetch them in one query).
pub trait HashReader {
    /// What a failed read reports.
    type Error;

    /// The hashes at `indexes`, in the same order and as many; a reader may assume the indexes
    /// are the ones an `indexes_for_*` function returned.
    ///
    /// # Errors
    ///
    /// Whatever the storage reports; a missing hash is an error, never a made-up value.
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, Self::Error>;
}

impl HashReader for [Hash] {
    type Error = TreeError;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TreeError> {
        indexes
            .iter()
            .map(|&index| {
                usize::try_from(index)
                    .ok()
                    .and_then(|position| self.get(position).copied())
                    .ok_or(TreeError::MissingHash(index))
            })
            .collect()
    }
}

impl HashReader for BTreeMap<u64, Hash> {
    type Error = TreeError;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TreeError> {
        indexes
            .iter()
            .map(|index| {
                self.get(index)
                    .copied()
                    .ok_or(TreeError::MissingHash(*index))
            })
            .collect()
    }
}

impl<S: std::hash::BuildHasher> HashReader for HashMap<u64, Hash, S> {
    type Error = TreeError;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TreeError> {
        indexes
            .iter()
            .map(|index| {
                self.get(index)
                    .copied()
                    .ok_or(TreeError::MissingHash(*index))
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// The stored-hash index.

/// The stored index of node `n` at `level`, for a node that has been checked to exist.
///
/// A node is written together with its rightmost leaf, `(n + 1) * 2^l - 1`: leaf `m` is written
/// at `m + m/2 + m/4 + …` (every subtree completed before it added one hash), and the `l`
/// subtrees it completes follow it, smallest first.
fn index_of(level: u32, n: u64) -> u64 {
    let rightmost_leaf = (n << level) | ((1u64 << level) - 1);
    let mut index = 0u64;
    let mut m = rightmost_leaf;
    while m > 0 {
        index += m;
        m >>= 1;
    }
    index + u64::from(level)
}

fn check_size(size: u64) -> Result<(), TreeError> {
    if size > MAX_TREE_SIZE {
        return Err(TreeError::SizeTooLarge { size });
    }
    Ok(())
}

/// Maps the node at `level` and position `n` to its place in the table of stored hashes.
///
/// # Errors
///
/// [`TreeError::NodeOutOfRange`] when the node lies beyond a tree of [`MAX_TREE_SIZE`] leaves.
pub fn stored_hash_index(level: u32, n: u64) -> Result<u64, TreeError> {
    let out_of_range = TreeError::NodeOutOfRange { level, n };
    let span = 1u64.checked_shl(level).ok_or(out_of_range.clone())?;
    let end = n
        .checked_add(1)
        .and_then(|count| count.checked_mul(span))
        .ok_or(out_of_range.clone())?;
    if end > MAX_TREE_SIZE {
        return Err(out_of_range);
    }
    Ok(index_of(level, n))
}

/// The inverse of [`stored_hash_index`]: the level and position of the node stored at `index`.
///
/// # Errors
///
/// [`TreeError::IndexOutOfRange`] when no node of a tree of [`MAX_TREE_SIZE`] leaves is there.
pub fn split_stored_hash_index(index: u64) -> Result<(u32, u64), TreeError> {
    if index >= stored_hash_count(MAX_TREE_SIZE)? {
        return Err(TreeError::IndexOutOfRange(index));
    }
    // Leaf m is stored at index_of(0, m) <= 2m, so the leaf written at or just before `index`
    // is at least index / 2, and fewer than 64 leaves further on.
    let mut leaf = index / 2;
    let mut leaf_index = index_of(0, leaf);
    loop {
        // Leaf m is followed by the trailing_ones(m) subtrees it completes.
        let next = leaf_index + 1 + u64::from((leaf + 1).trailing_zeros());
        if next > index {
            break;
        }
        leaf += 1;
        leaf_index = next;
    }
    // The hash was written with `leaf`: it is (0, leaf), (1, leaf / 2), (2, leaf / 4), ...
    let level = u32::try_from(index - leaf_index).map_err(|_| TreeError::IndexOutOfRange(index))?;
    Ok((level, leaf >> level))
}

/// How many hashes are stored for a tree of `size` leaves.
///
/// # Errors
///
/// [`TreeError::SizeTooLarge`] above [`MAX_TREE_SIZE`].
pub fn stored_hash_count(size: u64) -> Result<u64, TreeError> {
    check_size(size)?;
    if size == 0 {
        return Ok(0);
    }
    let last = size - 1;
    // The last leaf, then one hash for each subtree it completes (its trailing one bits).
    Ok(index_of(0, last) + 1 + u64::from(last.trailing_ones()))
}

// ---------------------------------------------------------------------------------------------
// Reading the hashes a computation was given, in order.

/// The hashes a caller supplied, consumed in the order their indexes were listed.
struct Supplied<'a> {
    hashes: &'a [Hash],
    expected: usize,
}

impl<'a> Supplied<'a> {
    fn new(hashes: &'a [Hash], expected: usize) -> Result<Self, TreeError> {
        if hashes.len() != expected {
            return Err(TreeError::WrongHashCount {
                expected,
                got: hashes.len(),
            });
        }
        Ok(Self { hashes, expected })
    }

    fn take(&mut self, count: usize) -> Result<&'a [Hash], TreeError> {
        if count > self.hashes.len() {
            // Only a bug in this module's index arithmetic can get here; report it as a count.
            return Err(TreeError::WrongHashCount {
                expected: self.expected,
                got: self.expected - self.hashes.len() + count,
            });
        }
        let (taken, rest) = self.hashes.split_at(count);
        self.hashes = rest;
        Ok(taken)
    }
}

/// The largest power of two strictly below `n` (for `n >= 2`): RFC 9162's `k`.
fn split_point(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The stored indexes of the complete subtrees that make up leaves `[lo, hi)`, left to right.
///
/// `lo` is always a multiple of the largest of them, as every caller splits at RFC 9162's `k`.
fn subtree_indexes(mut lo: u64, hi: u64, need: &mut Vec<u64>) {
    while lo < hi {
        let width = split_point(hi - lo + 1);
        let level = width.trailing_zeros();
        need.push(index_of(level, lo >> level));
        lo += width;
    }
}

fn subtree_count(mut lo: u64, hi: u64) -> usize {
    let mut count = 0;
    while lo < hi {
        lo += split_point(hi - lo + 1);
        count += 1;
    }
    count
}

/// The hash of leaves `[lo, hi)` from the hashes [`subtree_indexes`] listed for it.
fn subtree_hash(lo: u64, hi: u64, supplied: &mut Supplied<'_>) -> Result<Hash, TreeError> {
    let parts = supplied.take(subtree_count(lo, hi))?;
    // The right-hand subtrees are smaller; RFC 9162's MTH folds them from the right.
    let mut parts = parts.iter().rev();
    let mut hash = parts.next().copied().unwrap_or_else(empty_tree_hash);
    for left in parts {
        hash = node_hash(left, &hash);
    }
    Ok(hash)
}

fn fetch<R: HashReader + ?Sized>(
    reader: &R,
    indexes: &[u64],
) -> Result<Vec<Hash>, ReaderError<R::Error>> {
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    reader.read_hashes(indexes).map_err(ReaderError::Read)
}

// ---------------------------------------------------------------------------------------------
// Appending a record.

/// The stored indexes [`stored_hashes_from`] needs to append record `n`: the left siblings of
/// the subtrees record `n` completes, in increasing order.
///
/// # Errors
///
/// [`TreeError::SizeTooLarge`] when record `n` would not fit in a tree this log handles.
pub fn indexes_for_stored_hashes(n: u64) -> Result<Vec<u64>, TreeError> {
    check_size(n.saturating_add(1))?;
    let completed = (n + 1).trailing_zeros();
    // Listed from the largest (lowest index) to the smallest sibling.
    Ok((0..completed)
        .rev()
        .map(|level| index_of(level, (n >> level) - 1))
        .collect())
}

/// The hashes to store, starting at index `stored_hash_index(0, n)`, when record `n` with leaf
/// hash `leaf` is appended: the leaf hash, then each subtree it completes, smallest first.
///
/// # Errors
///
/// [`TreeError`] when `n` is too large or `hashes` are not those of
/// [`indexes_for_stored_hashes`].
pub fn stored_hashes_from(n: u64, leaf: Hash, hashes: &[Hash]) -> Result<Vec<Hash>, TreeError> {
    let expected = indexes_for_stored_hashes(n)?.len();
    let siblings = Supplied::new(hashes, expected)?.take(expected)?;
    let mut stored = Vec::with_capacity(1 + expected);
    let mut hash = leaf;
    stored.push(hash);
    for sibling in siblings.iter().rev() {
        hash = node_hash(sibling, &hash);
        stored.push(hash);
    }
    Ok(stored)
}

/// [`stored_hashes_from`], reading the hashes it needs through `reader`.
///
/// # Errors
///
/// [`ReaderError`] when `n` is too large or the reader fails.
pub fn stored_hashes_for_record_hash<R: HashReader + ?Sized>(
    n: u64,
    leaf: Hash,
    reader: &R,
) -> Result<Vec<Hash>, ReaderError<R::Error>> {
    let indexes = indexes_for_stored_hashes(n)?;
    let hashes = fetch(reader, &indexes)?;
    Ok(stored_hashes_from(n, leaf, &hashes)?)
}

/// The stored indexes [`stored_hashes_for_appending`] needs to append `count` records to a tree
/// of `size`: the already-stored left siblings the new records complete subtrees with (those
/// written by the batch itself are taken from the batch), in increasing order.
///
/// # Errors
///
/// [`TreeError::SizeTooLarge`] when the tree would grow past [`MAX_TREE_SIZE`].
pub fn indexes_for_appending(size: u64, count: u64) -> Result<Vec<u64>, TreeError> {
    let end = size
        .checked_add(count)
        .ok_or(TreeError::SizeTooLarge { size: u64::MAX })?;
    check_size(end)?;
    let existing = stored_hash_count(size)?;
    let mut need = BTreeSet::new();
    for n in size..end {
        need.extend(
            indexes_for_stored_hashes(n)?
                .into_iter()
                .filter(|index| *index < existing),
        );
    }
    Ok(need.into_iter().collect())
}

/// The hashes to store, starting at index `stored_hash_count(size)`, when the records whose leaf
/// hashes are `leaves` are appended in order to a tree of `size` leaves: what a sequencer writes
/// for one batch, from `hashes`, the stored hashes at [`indexes_for_appending`].
///
/// # Errors
///
/// [`TreeError`] when the tree would grow too large or `hashes` are not those asked for.
pub fn stored_hashes_for_appending(
    size: u64,
    leaves: &[Hash],
    hashes: &[Hash],
) -> Result<Vec<Hash>, TreeError> {
    let count = u64::try_from(leaves.len()).map_err(|_| TreeError::SizeTooLarge { size })?;
    let indexes = indexes_for_appending(size, count)?;
    let known = Supplied::new(hashes, indexes.len())?.take(indexes.len())?;
    let known: BTreeMap<u64, Hash> = indexes.into_iter().zip(known.iter().copied()).collect();
    let existing = stored_hash_count(size)?;
    let mut written: Vec<Hash> = Vec::new();
    for (n, leaf) in (size..).zip(leaves) {
        let siblings = indexes_for_stored_hashes(n)?
            .into_iter()
            .map(|index| {
                let in_batch = index
                    .checked_sub(existing)
                    .and_then(|offset| usize::try_from(offset).ok())
                    .and_then(|offset| written.get(offset));
                in_batch
                    .or_else(|| known.get(&index))
                    .copied()
                    .ok_or(TreeError::MissingHash(index))
            })
            .collect::<Result<Vec<_>, _>>()?;
        written.extend(stored_hashes_from(n, *leaf, &siblings)?);
    }
    Ok(written)
}

/// [`stored_hashes_for_appending`], reading the hashes it needs through `reader` in one call.
///
/// # Errors
///
/// [`ReaderError`] when the tree would grow too large or the reader fails.
pub fn append_leaf_hashes<R: HashReader + ?Sized>(
    size: u64,
    leaves: &[Hash],
    reader: &R,
) -> Result<Vec<Hash>, ReaderError<R::Error>> {
    let count = u64::try_from(leaves.len()).map_err(|_| TreeError::SizeTooLarge { size })?;
    let indexes = indexes_for_appending(size, count)?;
    let hashes = fetch(reader, &indexes)?;
    Ok(stored_hashes_for_appending(size, leaves, &hashes)?)
}

// ---------------------------------------------------------------------------------------------
// The root.

/// The stored indexes [`tree_hash_from`] needs for the root of a tree of `size` leaves: at most
/// one per bit of `size`.
///
/// # Errors
///
/// [`TreeError::SizeTooLarge`] above [`MAX_TREE_SIZE`].
pub fn indexes_for_tree_hash(size: u64) -> Result<Vec<u64>, TreeError> {
    check_size(size)?;
    let mut need = Vec::new();
    subtree_indexes(0, size, &mut need);
    Ok(need)
}

/// The root hash of the tree of `size` leaves; the empty tree's is SHA-256 of nothing.
///
/// # Errors
///
/// [`TreeError`] when `size` is too large or `hashes` are not those of
/// [`indexes_for_tree_hash`].
pub fn tree_hash_from(size: u64, hashes: &[Hash]) -> Result<Hash, TreeError> {
    let expected = indexes_for_tree_hash(size)?.len();
    let mut supplied = Supplied::new(hashes, expected)?;
    subtree_hash(0, size, &mut supplied)
}

/// [`tree_hash_from`], reading the hashes it needs through `reader`.
///
/// # Errors
///
/// [`ReaderError`] when `size` is too large or the reader fails.
pub fn tree_hash<R: HashReader + ?Sized>(
    size: u64,
    reader: &R,
) -> Result<Hash, ReaderError<R::Error>> {
    let indexes = indexes_for_tree_hash(size)?;
    let hashes = fetch(reader, &indexes)?;
    Ok(tree_hash_from(size, &hashes)?)
}

// ---------------------------------------------------------------------------------------------
// Inclusion proofs.

fn check_record_inputs(size: u64, n: u64) -> Result<(), TreeError> {
    check_size(size)?;
    if n >= size {
        return Err(TreeError::RecordOutOfRange { index: n, size });
    }
    Ok(())
}

/// RFC 9162's PATH(m, D[lo:hi]): the indexes, in the order [`record_proof_hashes`] reads them.
fn record_proof_indexes(lo: u64, hi: u64, n: u64, need: &mut Vec<u64>) {
    if hi - lo == 1 {
        return;
    }
    let k = split_point(hi - lo);
    if n < lo + k {
        record_proof_indexes(lo, lo + k, n, need);
        subtree_indexes(lo + k, hi, need);
    } else {
        subtree_indexes(lo, lo + k, need);
        record_proof_indexes(lo + k, hi, n, need);
    }
}

fn record_proof_hashes(
    lo: u64,
    hi: u64,
    n: u64,
    supplied: &mut Supplied<'_>,
) -> Result<RecordProof, TreeError> {
    if hi - lo == 1 {
        // The verifier has the leaf hash itself.
        return Ok(Vec::new());
    }
    let k = split_point(hi - lo);
    // The path below comes first, then the sibling of the subtree the record is in.
    let (mut proof, sibling) = if n < lo + k {
        let proof = record_proof_hashes(lo, lo + k, n, supplied)?;
        (proof, subtree_hash(lo + k, hi, supplied)?)
    } else {
        let sibling = subtree_hash(lo, lo + k, supplied)?;
        (record_proof_hashes(lo + k, hi, n, supplied)?, sibling)
    };
    proof.push(sibling);
    Ok(proof)
}

/// The stored indexes [`record_proof_from`] needs to prove record `n` is in the tree of `size`.
///
/// # Errors
///
/// [`TreeError`] when `size` is too large or `n` is not below it.
pub fn indexes_for_record_proof(size: u64, n: u64) -> Result<Vec<u64>, TreeError> {
    check_record_inputs(size, n)?;
    let mut need = Vec::new();
    record_proof_indexes(0, size, n, &mut need);
    Ok(need)
}

/// The inclusion proof of record `n` in the tree of `size` leaves.
///
/// # Errors
///
/// [`TreeError`] when the inputs are impossible or `hashes` are not those of
/// [`indexes_for_record_proof`].
pub fn record_proof_from(size: u64, n: u64, hashes: &[Hash]) -> Result<RecordProof, TreeError> {
    let expected = indexes_for_record_proof(size, n)?.len();
    let mut supplied = Supplied::new(hashes, expected)?;
    record_proof_hashes(0, size, n, &mut supplied)
}

/// [`record_proof_from`], reading the hashes it needs through `reader`.
///
/// # Errors
///
/// [`ReaderError`] when the inputs are impossible or the reader fails.
pub fn prove_record<R: HashReader + ?Sized>(
    size: u64,
    n: u64,
    reader: &R,
) -> Result<RecordProof, ReaderError<R::Error>> {
    let indexes = indexes_for_record_proof(size, n)?;
    let hashes = fetch(reader, &indexes)?;
    Ok(record_proof_from(size, n, &hashes)?)
}

/// Checks that `proof` proves record `n`, whose leaf hash is `leaf`, is in the tree of `size`
/// leaves whose root is `root` (RFC 9162 section 2.1.3.2).
///
/// # Errors
///
/// [`ProofError`] when the record is out of range or the proof does not lead to `root`.
pub fn check_record(
    proof: &[Hash],
    size: u64,
    root: &Hash,
    n: u64,
    leaf: &Hash,
) -> Result<(), ProofError> {
    if n >= size {
        return Err(ProofError::RecordOutOfRange { index: n, size });
    }
    let mut position = n;
    let mut last = size - 1;
    let mut hash = *leaf;
    for sibling in proof {
        if last == 0 {
            return Err(ProofError::WrongLength);
        }
        if position & 1 == 1 || position == last {
            hash = node_hash(sibling, &hash);
            // A right-edge node with no sibling at this level climbs until it has one.
            while position & 1 == 0 && position != 0 {
                position >>= 1;
                last >>= 1;
            }
        } else {
            hash = node_hash(&hash, sibling);
        }
        position >>= 1;
        last >>= 1;
    }
    if last != 0 {
        return Err(ProofError::WrongLength);
    }
    if hash != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Consistency proofs.

fn check_tree_inputs(size: u64, old: u64) -> Result<(), TreeError> {
    check_size(size)?;
    if old > size {
        return Err(TreeError::SizesOutOfOrder { old, new: size });
    }
    Ok(())
}

/// RFC 9162's SUBPROOF(m, D[lo:hi], lo == 0): the indexes in the order they are read.
fn tree_proof_indexes(lo: u64, hi: u64, old: u64, need: &mut Vec<u64>) {
    if old == hi {
        // The old tree's own root is known to the verifier only for the leftmost subtree.
        if lo != 0 {
            subtree_indexes(lo, hi, need);
        }
        return;
    }
    let k = split_point(hi - lo);
    if old <= lo + k {
        tree_proof_indexes(lo, lo + k, old, need);
        subtree_indexes(lo + k, hi, need);
    } else {
        subtree_indexes(lo, lo + k, need);
        tree_proof_indexes(lo + k, hi, old, need);
    }
}

fn tree_proof_hashes(
    lo: u64,
    hi: u64,
    old: u64,
    supplied: &mut Supplied<'_>,
) -> Result<TreeProof, TreeError> {
    if old == hi {
        if lo == 0 {
            return Ok(Vec::new());
        }
        return Ok(vec![subtree_hash(lo, hi, supplied)?]);
    }
    let k = split_point(hi - lo);
    let (mut proof, other) = if old <= lo + k {
        let proof = tree_proof_hashes(lo, lo + k, old, supplied)?;
        (proof, subtree_hash(lo + k, hi, supplied)?)
    } else {
        let left = subtree_hash(lo, lo + k, supplied)?;
        (tree_proof_hashes(lo + k, hi, old, supplied)?, left)
    };
    proof.push(other);
    Ok(proof)
}

/// The stored indexes [`tree_proof_from`] needs to prove the tree of `old` leaves is a prefix of
/// the tree of `size` leaves.
///
/// # Errors
///
/// [`TreeError`] when `size` is too large or `old` is above it.
pub fn indexes_for_tree_proof(size: u64, old: u64) -> Result<Vec<u64>, TreeError> {
    check_tree_inputs(size, old)?;
    let mut need = Vec::new();
    if old > 0 {
        tree_proof_indexes(0, size, old, &mut need);
    }
    Ok(need)
}

/// The consistency proof from the tree of `old` leaves to the tree of `size` leaves (empty when
/// `old` is 0 or equals `size`, as there is nothing to prove).
///
/// # Errors
///
/// [`TreeError`] when the inputs are impossible or `hashes` are not those of
/// [`indexes_for_tree_proof`].
pub fn tree_proof_from(size: u64, old: u64, hashes: &[Hash]) -> Result<TreeProof, TreeError> {
    let expected = indexes_for_tree_proof(size, old)?.len();
    let mut supplied = Supplied::new(hashes, expected)?;
    if old == 0 {
        return Ok(Vec::new());
    }
    tree_proof_hashes(0, size, old, &mut supplied)
}

/// [`tree_proof_from`], reading the hashes it needs through `reader`.
///
/// # Errors
///
/// [`ReaderError`] when the inputs are impossible or the reader fails.
pub fn prove_tree<R: HashReader + ?Sized>(
    size: u64,
    old: u64,
    reader: &R,
) -> Result<TreeProof, ReaderError<R::Error>> {
    let indexes = indexes_for_tree_proof(size, old)?;
    let hashes = fetch(reader, &indexes)?;
    Ok(tree_proof_from(size, old, &hashes)?)
}

/// Checks that `proof` proves the tree of `old` leaves with root `old_root` is a prefix of the
/// tree of `size` leaves with root `root` (RFC 9162 section 2.1.4.2).
///
/// An empty old tree is a prefix of every tree: the proof must then be empty and `old_root` is
/// not looked at (a witness that has never seen a log has no root to compare).
///
/// # Errors
///
/// [`ProofError`] when the sizes are out of order or the proof does not lead to both roots.
pub fn check_tree(
    proof: &[Hash],
    size: u64,
    root: &Hash,
    old: u64,
    old_root: &Hash,
) -> Result<(), ProofError> {
    if old > size {
        return Err(ProofError::SizesOutOfOrder { old, new: size });
    }
    if old == 0 || old == size {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        if old == size && root != old_root {
            return Err(ProofError::RootMismatch);
        }
        return Ok(());
    }
    let Some((first, rest)) = proof.split_first() else {
        return Err(ProofError::WrongLength);
    };
    // When the old tree is a complete subtree, the proof leaves out its root, which the
    // verifier already has.
    let (seed, path) = if old.is_power_of_two() {
        (old_root, proof)
    } else {
        (first, rest)
    };
    run_tree_proof(seed, path, size, old, root, old_root)
}

fn run_tree_proof(
    seed: &Hash,
    path: &[Hash],
    size: u64,
    old: u64,
    root: &Hash,
    old_root: &Hash,
) -> Result<(), ProofError> {
    let mut position = old - 1;
    let mut last = size - 1;
    // Skip the levels where the old tree's last node is a right child of a complete subtree.
    while position & 1 == 1 {
        position >>= 1;
        last >>= 1;
    }
    let mut old_hash = *seed;
    let mut new_hash = *seed;
    for sibling in path {
        if last == 0 {
            return Err(ProofError::WrongLength);
        }
        if position & 1 == 1 || position == last {
            old_hash = node_hash(sibling, &old_hash);
            new_hash = node_hash(sibling, &new_hash);
            while position & 1 == 0 && position != 0 {
                position >>= 1;
                last >>= 1;
            }
        } else {
            new_hash = node_hash(&new_hash, sibling);
        }
        position >>= 1;
        last >>= 1;
    }
    if last != 0 {
        return Err(ProofError::WrongLength);
    }
    if old_hash != *old_root || new_hash != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// An in-memory tree.

/// A whole tree in memory: every stored hash in index order, for tests and offline verifiers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryTree {
    hashes: Vec<Hash>,
    size: u64,
}

impl MemoryTree {
    /// An empty tree.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree holding `leaves` in order.
    ///
    /// # Errors
    ///
    /// [`TreeError::SizeTooLarge`] past [`MAX_TREE_SIZE`] leaves.
    pub fn from_leaves<I, D>(leaves: I) -> Result<Self, TreeError>
    where
        I: IntoIterator<Item = D>,
        D: AsRef<[u8]>,
    {
        let mut tree = Self::new();
        for leaf in leaves {
            tree.append(leaf.as_ref())?;
        }
        Ok(tree)
    }

    /// How many leaves the tree holds.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Every stored hash, in index order.
    #[must_use]
    pub fn stored_hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Appends a record's data as a leaf and returns its index.
    ///
    /// # Errors
    ///
    /// [`TreeError::SizeTooLarge`] past [`MAX_TREE_SIZE`] leaves.
    pub fn append(&mut self, data: &[u8]) -> Result<u64, TreeError> {
        self.append_leaf_hash(leaf_hash(data))
    }

    /// Appends a leaf by its hash and returns its index.
    ///
    /// # Errors
    ///
    /// [`TreeError::SizeTooLarge`] past [`MAX_TREE_SIZE`] leaves.
    pub fn append_leaf_hash(&mut self, leaf: Hash) -> Result<u64, TreeError> {
        let n = self.size;
        let new =
            stored_hashes_for_record_hash(n, leaf, self.hashes.as_slice()).map_err(flatten)?;
        self.hashes.extend(new);
        self.size = n + 1;
        Ok(n)
    }

    /// The root of the whole tree.
    #[must_use]
    pub fn root(&self) -> Hash {
        // Every hash below the stored count is present, so this cannot fail; the empty hash
        // would only stand in for a bug the tests would see as a wrong root.
        self.root_at(self.size)
            .unwrap_or_else(|_| empty_tree_hash())
    }

    /// The root of the tree as it was at `size` leaves.
    ///
    /// # Errors
    ///
    /// [`TreeError::BeyondTree`] when `size` is above the tree's size.
    pub fn root_at(&self, size: u64) -> Result<Hash, TreeError> {
        self.check_within(size)?;
        tree_hash(size, self.hashes.as_slice()).map_err(flatten)
    }

    /// The inclusion proof of record `n` in the tree as it was at `size` leaves.
    ///
    /// # Errors
    ///
    /// [`TreeError`] when `size` is above the tree's size or `n` is not below it.
    pub fn prove_record(&self, size: u64, n: u64) -> Result<RecordProof, TreeError> {
        self.check_within(size)?;
        prove_record(size, n, self.hashes.as_slice()).map_err(flatten)
    }

    /// The consistency proof from the tree at `old` leaves to the tree at `size` leaves.
    ///
    /// # Errors
    ///
    /// [`TreeError`] when `size` is above the tree's size or `old` is above `size`.
    pub fn prove_tree(&self, size: u64, old: u64) -> Result<TreeProof, TreeError> {
        self.check_within(size)?;
        prove_tree(size, old, self.hashes.as_slice()).map_err(flatten)
    }

    fn check_within(&self, size: u64) -> Result<(), TreeError> {
        if size > self.size {
            return Err(TreeError::BeyondTree {
                size,
                tree_size: self.size,
            });
        }
        Ok(())
    }
}

impl HashReader for MemoryTree {
    type Error = TreeError;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TreeError> {
        self.hashes.as_slice().read_hashes(indexes)
    }
}

fn flatten(error: ReaderError<TreeError>) -> TreeError {
    match error {
        ReaderError::Tree(error) | ReaderError::Read(error) => error,
    }
}
