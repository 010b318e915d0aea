//! The right edge of a growing tree: the roots of its complete subtrees, enough to give the root
//! hash of every size it passes through while holding O(log n) hashes, so that a verifier can
//! rebuild the root of ten million leaves without keeping them.
//!
//! RFC 9162's MTH splits n leaves at the largest power of two below n: the tree of n leaves is
//! its complete subtrees of decreasing sizes (the bits of n), folded from the right with the node
//! hash. Appending a leaf merges equal-sized subtrees, as binary addition carries.

use crate::hash::{Hash, empty_tree_hash, node_hash};

/// The complete subtrees of a tree, largest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// Each complete subtree's size (a power of two) and root, largest first.
    subtrees: Vec<(u64, Hash)>,
}

impl Frontier {
    /// The frontier of the empty tree.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many leaves the tree holds.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf by its leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut carried = (1_u64, leaf);
        while let Some(&(size, left)) = self.subtrees.last() {
            if size != carried.0 {
                break;
            }
            self.subtrees.pop();
            carried = (size * 2, node_hash(&left, &carried.1));
        }
        self.subtrees.push(carried);
        self.size += 1;
    }

    /// The root hash of the tree as it stands (RFC 9162 MTH; the hash of the empty string when
    /// it holds no leaf).
    #[must_use]
    pub fn root(&self) -> Hash {
        let mut subtrees = self.subtrees.iter().rev();
        let Some(&(_, last)) = subtrees.next() else {
            return empty_tree_hash();
        };
        subtrees.fold(last, |right, (_, left)| node_hash(left, &right))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::hash::leaf_hash;
    use crate::tree::MemoryTree;

    #[test]
    fn the_frontier_gives_the_root_of_every_size() {
        let mut frontier = Frontier::new();
        let mut tree = MemoryTree::new();
        assert_eq!(frontier.root(), tree.root());
        for leaf in 0_u32..300 {
            let data = leaf.to_be_bytes();
            frontier.push(leaf_hash(&data));
            tree.append(&data).unwrap();
            assert_eq!(frontier.size(), tree.size());
            assert_eq!(frontier.root(), tree.root(), "size {}", tree.size());
        }
    }
}
