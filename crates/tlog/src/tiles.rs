//! C2SP tlog-tiles: the tree served as static "tiles" of 256 consecutive hashes at every eighth
//! level, and the log's entries as bundles of 256.
//!
//! Tile `n` at tile level `l` holds the hashes of the complete subtrees of `256^l` leaves
//! numbered `256n` to `256n + 255`, so its hashes are exactly the stored hashes at tree level
//! `8l`, positions `256n + i` ([`Tile::stored_hash_indexes`]): a server answers
//! `GET <prefix>/tile/<L>/<N>[.p/<W>]` by reading those and concatenating them.
//!
//! Paths are `tile/<L>/<N>` and `tile/entries/<N>`, with `.p/<W>` for a partial tile of `W`
//! hashes (1 to 255). `N` is written in three-digit groups, every group but the last prefixed
//! with `x`: 1234067 is `x001/x234/067`. Parsing accepts only that one spelling of a tile, so a
//! cache never holds one tile under two names.

use std::fmt::Write as _;

use crate::hash::{HASH_SIZE, Hash};
use crate::tree::{TreeError, stored_hash_index};

/// The number of tree levels one tile spans.
pub const TILE_HEIGHT: u32 = 8;

/// The number of hashes (or entries) in a full tile: 2^[`TILE_HEIGHT`].
pub const TILE_WIDTH: u64 = 256;

/// The highest tile level a path may name.
pub const MAX_TILE_LEVEL: u8 = 63;

/// Why a tile path, tile or entry bundle was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    /// The path does not start with `tile/` or lacks the level or index.
    #[error("a tile path is tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>]")]
    NotATilePath,
    /// The level is not a decimal from 0 to 63 without leading zeros.
    #[error("a tile level is a decimal from 0 to 63 without leading zeros")]
    BadLevel,
    /// The index is not three-digit groups, all but the last prefixed with `x`, without a
    /// leading group of zeros, or does not fit in 64 bits.
    #[error("a tile index is three-digit groups like x001/x234/067")]
    BadIndex,
    /// The partial width is not a decimal from 1 to 255 without leading zeros.
    #[error("a partial tile's width is a decimal from 1 to 255 without leading zeros")]
    BadWidth,
    /// The tile's hashes lie beyond any tree this log handles.
    #[error("the tile lies beyond any tree this log handles")]
    OutOfRange,
    /// Entry bundles carry entries, not hashes.
    #[error("an entry bundle has no stored hashes")]
    EntriesHaveNoHashes,
    /// The tile's bytes are not its width times 32.
    #[error("a tile of {width} hashes is {expected} bytes, not {found}")]
    WrongTileLength {
        /// The tile's width in hashes.
        width: u16,
        /// The length it should have.
        expected: usize,
        /// The length it has.
        found: usize,
    },
    /// An entry is longer than the 65535 bytes a bundle's 16-bit length prefix can say.
    #[error("an entry of {0} bytes is too long for an entry bundle")]
    EntryTooLong(usize),
    /// A bundle ends inside a length prefix or an entry.
    #[error("the entry bundle is truncated")]
    TruncatedBundle,
}

/// What a tile holds: hashes at a tile level, or log entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TileLevel {
    /// Hashes of the tree at level `8 * l` (0: leaf hashes).
    Hashes(u8),
    /// The log entries themselves (`tile/entries/…`).
    Entries,
}

/// One tile: its level, its index within the level and its width (256 when full).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tile {
    /// What the tile holds.
    pub level: TileLevel,
    /// The tile's index within its level.
    pub index: u64,
    /// How many hashes or entries it holds: 256 when full, 1 to 255 when partial.
    pub width: u16,
}

impl Tile {
    /// The full tile at `level` and `index`.
    #[must_use]
    pub fn full(level: TileLevel, index: u64) -> Self {
        Self {
            level,
            index,
            width: 256,
        }
    }

    /// Whether the tile holds fewer than 256 hashes or entries.
    #[must_use]
    pub fn is_partial(&self) -> bool {
        u64::from(self.width) < TILE_WIDTH
    }

    /// The rightmost, partial tile at `level` of a tree of `size` leaves, if it has one: its width
    /// is `floor(size / 256^l) mod 256`, and an empty tile does not exist.
    #[must_use]
    pub fn partial_for(level: TileLevel, size: u64) -> Option<Self> {
        let units = size.checked_div(leaves_per_unit(level)?)?;
        let width = u16::try_from(units % TILE_WIDTH).ok()?;
        (width > 0).then_some(Self {
            level,
            index: units / TILE_WIDTH,
            width,
        })
    }

    /// Whether every hash (or entry) of this tile exists in a tree of `size` leaves.
    #[must_use]
    pub fn within(&self, size: u64) -> bool {
        let Some(per_unit) = leaves_per_unit(self.level) else {
            return false;
        };
        self.index
            .checked_mul(TILE_WIDTH)
            .and_then(|first| first.checked_add(u64::from(self.width)))
            .and_then(|units| units.checked_mul(per_unit))
            .is_some_and(|leaves| leaves <= size)
    }

    /// The tile's path below the log's prefix: `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>…`.
    #[must_use]
    pub fn path(&self) -> String {
        let mut path = String::from("tile/");
        match self.level {
            TileLevel::Hashes(level) => {
                let _ = write!(path, "{level}/");
            }
            TileLevel::Entries => path.push_str("entries/"),
        }
        path.push_str(&encode_index(self.index));
        if self.is_partial() {
            let _ = write!(path, ".p/{}", self.width);
        }
        path
    }

    /// Reads a tile path, refusing every other spelling than the one [`Tile::path`] writes.
    ///
    /// # Errors
    ///
    /// [`TileError`] saying which part is malformed.
    pub fn parse_path(path: &str) -> Result<Self, TileError> {
        let rest = path.strip_prefix("tile/").ok_or(TileError::NotATilePath)?;
        let (level_text, rest) = rest.split_once('/').ok_or(TileError::NotATilePath)?;
        let level = if level_text == "entries" {
            TileLevel::Entries
        } else {
            TileLevel::Hashes(parse_level(level_text)?)
        };
        let (index_text, width) = match rest.split_once(".p/") {
            Some((index_text, width_text)) => (index_text, parse_width(width_text)?),
            None => (rest, 256),
        };
        Ok(Self {
            level,
            index: parse_index(index_text)?,
            width,
        })
    }

    /// The stored-hash indexes of this tile's hashes, in order: tree level `8l`, positions
    /// `256 * index + i` for `i` below the width.
    ///
    /// # Errors
    ///
    /// [`TileError::EntriesHaveNoHashes`] for an entry bundle, [`TileError::OutOfRange`] for a
    /// tile beyond any tree this log handles.
    pub fn stored_hash_indexes(&self) -> Result<Vec<u64>, TileError> {
        let TileLevel::Hashes(level) = self.level else {
            return Err(TileError::EntriesHaveNoHashes);
        };
        let tree_level = u32::from(level) * TILE_HEIGHT;
        let first = self
            .index
            .checked_mul(TILE_WIDTH)
            .ok_or(TileError::OutOfRange)?;
        (0..u64::from(self.width))
            .map(|i| {
                stored_hash_index(tree_level, first + i)
                    .map_err(|_: TreeError| TileError::OutOfRange)
            })
            .collect()
    }

    /// The tile's bytes: its hashes concatenated, as `GET …/tile/…` serves them.
    ///
    /// # Errors
    ///
    /// [`TileError::WrongTileLength`] when there are not exactly `width` hashes.
    pub fn encode(&self, hashes: &[Hash]) -> Result<Vec<u8>, TileError> {
        let expected = usize::from(self.width);
        if hashes.len() != expected {
            return Err(self.wrong_length(hashes.len() * HASH_SIZE));
        }
        Ok(hashes.iter().flat_map(|hash| hash.0).collect())
    }

    /// Reads a tile's bytes back into its hashes.
    ///
    /// # Errors
    ///
    /// [`TileError::WrongTileLength`] unless the bytes are exactly `width` hashes.
    pub fn decode(&self, bytes: &[u8]) -> Result<Vec<Hash>, TileError> {
        if bytes.len() != usize::from(self.width) * HASH_SIZE {
            return Err(self.wrong_length(bytes.len()));
        }
        Ok(bytes
            .chunks_exact(HASH_SIZE)
            .filter_map(|chunk| Hash::from_slice(chunk).ok())
            .collect())
    }

    fn wrong_length(&self, found: usize) -> TileError {
        TileError::WrongTileLength {
            width: self.width,
            expected: usize::from(self.width) * HASH_SIZE,
            found,
        }
    }
}

/// How many leaves one hash of a tile at `level` covers: 256^l (one leaf per entry);
/// `None` past 2^64.
fn leaves_per_unit(level: TileLevel) -> Option<u64> {
    match level {
        TileLevel::Entries => Some(1),
        TileLevel::Hashes(level) => 1u64.checked_shl(u32::from(level) * TILE_HEIGHT),
    }
}

fn encode_index(index: u64) -> String {
    let mut groups = Vec::new();
    let mut rest = index;
    loop {
        groups.push(rest % 1000);
        rest /= 1000;
        if rest == 0 {
            break;
        }
    }
    let mut text = String::new();
    for (position, group) in groups.iter().rev().enumerate() {
        if position + 1 < groups.len() {
            let _ = write!(text, "x{group:03}/");
        } else {
            let _ = write!(text, "{group:03}");
        }
    }
    text
}

fn parse_index(text: &str) -> Result<u64, TileError> {
    let groups: Vec<&str> = text.split('/').collect();
    let mut index: u64 = 0;
    for (position, group) in groups.iter().enumerate() {
        let last = position + 1 == groups.len();
        let digits = if last {
            *group
        } else {
            group.strip_prefix('x').ok_or(TileError::BadIndex)?
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TileError::BadIndex);
        }
        let value: u64 = digits.parse().map_err(|_| TileError::BadIndex)?;
        // A leading group of zeros would give a second spelling of a smaller index.
        if position == 0 && !last && value == 0 {
            return Err(TileError::BadIndex);
        }
        index = index
            .checked_mul(1000)
            .and_then(|index| index.checked_add(value))
            .ok_or(TileError::BadIndex)?;
    }
    Ok(index)
}

fn parse_small_decimal(text: &str) -> Option<u16> {
    let canonical = !text.is_empty()
        && text.len() <= 3
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical.then(|| text.parse().ok()).flatten()
}

fn parse_level(text: &str) -> Result<u8, TileError> {
    parse_small_decimal(text)
        .and_then(|level| u8::try_from(level).ok())
        .filter(|level| *level <= MAX_TILE_LEVEL)
        .ok_or(TileError::BadLevel)
}

fn parse_width(text: &str) -> Result<u16, TileError> {
    parse_small_decimal(text)
        .filter(|width| (1..=255).contains(width))
        .ok_or(TileError::BadWidth)
}

/// An entry bundle: each entry prefixed with its length as a big-endian 16-bit number.
///
/// # Errors
///
/// [`TileError::EntryTooLong`] for an entry over 65535 bytes.
pub fn encode_entry_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>, TileError> {
    let mut bundle = Vec::new();
    for entry in entries {
        let entry = entry.as_ref();
        let length =
            u16::try_from(entry.len()).map_err(|_| TileError::EntryTooLong(entry.len()))?;
        bundle.extend_from_slice(&length.to_be_bytes());
        bundle.extend_from_slice(entry);
    }
    Ok(bundle)
}

/// Reads an entry bundle back into its entries.
///
/// # Errors
///
/// [`TileError::TruncatedBundle`] when it ends inside a length prefix or an entry.
pub fn parse_entry_bundle(mut bundle: &[u8]) -> Result<Vec<Vec<u8>>, TileError> {
    let mut entries = Vec::new();
    while !bundle.is_empty() {
        let Some((prefix, rest)) = bundle.split_first_chunk::<2>() else {
            return Err(TileError::TruncatedBundle);
        };
        let length = usize::from(u16::from_be_bytes(*prefix));
        if rest.len() < length {
            return Err(TileError::TruncatedBundle);
        }
        let (entry, rest) = rest.split_at(length);
        entries.push(entry.to_vec());
        bundle = rest;
    }
    Ok(entries)
}
