//! Tiles (C2SP tlog-tiles): paths, the tiles of a tree, and tiles read from stored hashes.

use proptest::prelude::*;
use specflow_tlog::tiles::{encode_entry_bundle, parse_entry_bundle};
use specflow_tlog::{MemoryTree, Tile, TileError, TileLevel, leaf_hash, node_hash};

#[test]
fn paths_are_written_as_the_specification_writes_them() {
    let cases = [
        (
            Tile::full(TileLevel::Hashes(0), 1234067),
            "tile/0/x001/x234/067",
        ),
        (Tile::full(TileLevel::Hashes(0), 0), "tile/0/000"),
        (Tile::full(TileLevel::Hashes(2), 999), "tile/2/999"),
        (Tile::full(TileLevel::Hashes(1), 1000), "tile/1/x001/000"),
        (
            Tile {
                level: TileLevel::Hashes(1),
                index: 5,
                width: 17,
            },
            "tile/1/005.p/17",
        ),
        (
            Tile::full(TileLevel::Entries, 1234067),
            "tile/entries/x001/x234/067",
        ),
        (
            Tile {
                level: TileLevel::Entries,
                index: 273,
                width: 112,
            },
            "tile/entries/273.p/112",
        ),
        (
            Tile::full(TileLevel::Hashes(63), u64::MAX),
            "tile/63/x018/x446/x744/x073/x709/x551/615",
        ),
    ];
    for (tile, path) in cases {
        assert_eq!(tile.path(), path);
        assert_eq!(Tile::parse_path(path), Ok(tile), "{path}");
    }
}

#[test]
fn every_other_spelling_of_a_tile_is_refused() {
    let cases = [
        ("", TileError::NotATilePath),
        ("tile/", TileError::NotATilePath),
        ("tile/0", TileError::NotATilePath),
        ("/tile/0/000", TileError::NotATilePath),
        ("tiles/0/000", TileError::NotATilePath),
        ("tile/00/000", TileError::BadLevel),
        ("tile/64/000", TileError::BadLevel),
        ("tile/-1/000", TileError::BadLevel),
        ("tile/+1/000", TileError::BadLevel),
        ("tile/1000/000", TileError::BadLevel),
        ("tile/entry/000", TileError::BadLevel),
        ("tile/0/", TileError::BadIndex),
        ("tile/0/1", TileError::BadIndex),
        ("tile/0/0001", TileError::BadIndex),
        ("tile/0/x001", TileError::BadIndex),
        ("tile/0/001/234", TileError::BadIndex),
        ("tile/0/x000/001", TileError::BadIndex),
        ("tile/0/x001/x234/67", TileError::BadIndex),
        ("tile/0/x001//234", TileError::BadIndex),
        ("tile/0/00a", TileError::BadIndex),
        (
            "tile/0/x018/x446/x744/x073/x709/x551/616",
            TileError::BadIndex,
        ),
        (
            "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
            TileError::BadIndex,
        ),
        ("tile/0/001.p/0", TileError::BadWidth),
        ("tile/0/001.p/256", TileError::BadWidth),
        ("tile/0/001.p/017", TileError::BadWidth),
        ("tile/0/001.p/", TileError::BadWidth),
        ("tile/0/001.p/1/2", TileError::BadWidth),
        ("tile/0/001.p", TileError::BadIndex),
        ("tile/0/001/", TileError::BadIndex),
    ];
    for (path, error) in cases {
        assert_eq!(Tile::parse_path(path), Err(error), "{path}");
    }
}

#[test]
fn the_tiles_of_a_tree_of_70000_are_those_the_specification_lists() {
    let size = 70_000;
    let level0 = Tile::partial_for(TileLevel::Hashes(0), size).unwrap();
    assert_eq!((level0.index, level0.width), (273, 112));
    let level1 = Tile::partial_for(TileLevel::Hashes(1), size).unwrap();
    assert_eq!((level1.index, level1.width), (1, 17));
    let level2 = Tile::partial_for(TileLevel::Hashes(2), size).unwrap();
    assert_eq!((level2.index, level2.width), (0, 1));
    assert_eq!(Tile::partial_for(TileLevel::Hashes(3), size), None);
    assert!(Tile::full(TileLevel::Hashes(0), 272).within(size));
    assert!(!Tile::full(TileLevel::Hashes(0), 273).within(size));
    assert!(level0.within(size) && level1.within(size) && level2.within(size));
    assert!(Tile::full(TileLevel::Hashes(1), 0).within(size));
    assert!(!Tile::full(TileLevel::Hashes(1), 1).within(size));
    // A tree of 256 leaves: one full level 0 tile and a level 1 tile of width 1.
    assert_eq!(Tile::partial_for(TileLevel::Hashes(0), 256), None);
    assert_eq!(
        Tile::partial_for(TileLevel::Hashes(1), 256).map(|t| (t.index, t.width)),
        Some((0, 1))
    );
    assert!(!Tile::full(TileLevel::Hashes(63), u64::MAX).within(u64::MAX));
}

#[test]
fn tiles_read_from_stored_hashes_hold_the_subtree_hashes() {
    let tree = MemoryTree::from_leaves((0..70_000u32).map(|i| i.to_be_bytes())).unwrap();
    let read = |tile: Tile| {
        let stored = tree.stored_hashes();
        let hashes: Vec<_> = tile
            .stored_hash_indexes()
            .unwrap()
            .into_iter()
            .map(|i| stored[i as usize])
            .collect();
        let bytes = tile.encode(&hashes).unwrap();
        assert_eq!(bytes.len(), usize::from(tile.width) * 32);
        assert_eq!(tile.decode(&bytes).unwrap(), hashes);
        hashes
    };
    // Level 0: the leaf hashes.
    let first = read(Tile::full(TileLevel::Hashes(0), 0));
    assert_eq!(first[5], leaf_hash(&5u32.to_be_bytes()));
    // Level 1: each hash is the root of a full level 0 tile, rebuilt from its 256 hashes.
    let level1 = read(Tile::full(TileLevel::Hashes(1), 0));
    let mut layer = first;
    while layer.len() > 1 {
        layer = layer.chunks(2).map(|p| node_hash(&p[0], &p[1])).collect();
    }
    assert_eq!(level1[0], layer[0]);
    // The partial tiles of the tree's size.
    let partial = read(Tile::partial_for(TileLevel::Hashes(0), 70_000).unwrap());
    assert_eq!(partial[111], leaf_hash(&69_999u32.to_be_bytes()));
    let top = read(Tile::partial_for(TileLevel::Hashes(2), 70_000).unwrap());
    assert_eq!(top[0], tree.root_at(65_536).unwrap());
    // Wrong lengths and entry bundles are refused.
    let tile = Tile::full(TileLevel::Hashes(0), 0);
    assert!(matches!(
        tile.encode(&[]),
        Err(TileError::WrongTileLength { .. })
    ));
    assert!(matches!(
        tile.decode(&[0; 33]),
        Err(TileError::WrongTileLength { .. })
    ));
    assert_eq!(
        Tile::full(TileLevel::Entries, 0).stored_hash_indexes(),
        Err(TileError::EntriesHaveNoHashes)
    );
    assert_eq!(
        Tile::full(TileLevel::Hashes(63), 1).stored_hash_indexes(),
        Err(TileError::OutOfRange)
    );
}

#[test]
fn entry_bundles_round_trip_and_refuse_truncation() {
    let entries: Vec<Vec<u8>> = vec![b"".to_vec(), b"one".to_vec(), vec![7; 300]];
    let bundle = encode_entry_bundle(&entries).unwrap();
    assert_eq!(&bundle[..5], &[0, 0, 0, 3, b'o']);
    assert_eq!(parse_entry_bundle(&bundle).unwrap(), entries);
    assert_eq!(
        parse_entry_bundle(&bundle[..bundle.len() - 1]),
        Err(TileError::TruncatedBundle)
    );
    assert_eq!(parse_entry_bundle(&[0]), Err(TileError::TruncatedBundle));
    assert_eq!(
        encode_entry_bundle(&[vec![0u8; 65_536]]),
        Err(TileError::EntryTooLong(65_536))
    );
}

proptest! {
    #[test]
    fn paths_round_trip(level in prop_oneof![(0u8..=63).prop_map(TileLevel::Hashes), Just(TileLevel::Entries)], index in any::<u64>(), width in 1u16..=256) {
        let tile = Tile { level, index, width };
        prop_assert_eq!(Tile::parse_path(&tile.path()), Ok(tile));
    }

    #[test]
    fn parsing_arbitrary_paths_never_panics(path in "(tile/)?[0-9a-z./x]{0,40}") {
        if let Ok(tile) = Tile::parse_path(&path) {
            prop_assert_eq!(tile.path(), path);
            let _ = tile.stored_hash_indexes();
            let _ = tile.within(u64::MAX);
        }
    }

    #[test]
    fn parsing_arbitrary_bundles_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_entry_bundle(&bytes);
    }
}

proptest! {
    #[test]
    fn decoding_arbitrary_tile_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..600), width in 1u16..=256) {
        let tile = Tile { level: TileLevel::Hashes(0), index: 0, width };
        if let Ok(hashes) = tile.decode(&bytes) {
            prop_assert_eq!(tile.encode(&hashes).unwrap(), bytes);
        }
    }
}
