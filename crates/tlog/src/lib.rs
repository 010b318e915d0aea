//! temp
#![forbid(unsafe_code)]
pub mod hash;
pub mod tree;
pub use hash::{Hash, HashParseError, empty_tree_hash, leaf_hash, node_hash};
