//! The tree against a naive recursive reading of RFC 9162 section 2.1, for every size up to 70
//! and random pairs beyond, and against the published vectors of transparency-dev/merkle.

use proptest::prelude::*;
use specflow_tlog::tree::{
    self, MemoryTree, ProofError, TreeError, check_record, check_tree, indexes_for_record_proof,
    indexes_for_stored_hashes, indexes_for_tree_hash, indexes_for_tree_proof, record_proof_from,
    split_stored_hash_index, stored_hash_count, stored_hash_index, tree_hash_from, tree_proof_from,
};
use specflow_tlog::{Hash, empty_tree_hash, leaf_hash, node_hash};
use std::collections::BTreeMap;

/// RFC 9162's k: the largest power of two strictly below n.
fn k_of(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]), written as the RFC writes it.
fn mth(leaves: &[Vec<u8>]) -> Hash {
    match leaves.len() {
        0 => empty_tree_hash(),
        1 => leaf_hash(&leaves[0]),
        n => {
            let k = k_of(n);
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

/// PATH(m, D[n]).
fn path(m: usize, leaves: &[Vec<u8>]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = k_of(n);
    if m < k {
        let mut proof = path(m, &leaves[..k]);
        proof.push(mth(&leaves[k..]));
        proof
    } else {
        let mut proof = path(m - k, &leaves[k..]);
        proof.push(mth(&leaves[..k]));
        proof
    }
}

/// SUBPROOF(m, D[n], b).
fn subproof(m: usize, leaves: &[Vec<u8>], complete: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if complete {
            Vec::new()
        } else {
            vec![mth(leaves)]
        };
    }
    let k = k_of(n);
    if m <= k {
        let mut proof = subproof(m, &leaves[..k], complete);
        proof.push(mth(&leaves[k..]));
        proof
    } else {
        let mut proof = subproof(m - k, &leaves[k..], false);
        proof.push(mth(&leaves[..k]));
        proof
    }
}

fn leaves(count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| format!("leaf {i}").into_bytes())
        .collect()
}

fn tree_of(leaves: &[Vec<u8>]) -> MemoryTree {
    MemoryTree::from_leaves(leaves).unwrap()
}

#[test]
fn every_root_inclusion_and_consistency_proof_up_to_70_leaves_matches_the_rfc() {
    let data = leaves(70);
    let tree = tree_of(&data);
    for size in 0..=70usize {
        let t = size as u64;
        let root = mth(&data[..size]);
        assert_eq!(tree.root_at(t).unwrap(), root, "root of {size}");
        for n in 0..size {
            let proof = tree.prove_record(t, n as u64).unwrap();
            assert_eq!(proof, path(n, &data[..size]), "path {n} in {size}");
            check_record(&proof, t, &root, n as u64, &leaf_hash(&data[n])).unwrap();
        }
        for old in 1..=size {
            let proof = tree.prove_tree(t, old as u64).unwrap();
            assert_eq!(
                proof,
                subproof(old, &data[..size], true),
                "proof {old} to {size}"
            );
            let old_root = mth(&data[..old]);
            check_tree(&proof, t, &root, old as u64, &old_root).unwrap();
        }
    }
}

#[test]
fn the_stored_hash_index_runs_in_append_order() {
    // Leaves 0 and 1, then the node over them, then leaves 2 and 3, their node, the node of 4...
    let expected = [
        (0, 0),
        (0, 1),
        (1, 0),
        (0, 2),
        (0, 3),
        (1, 1),
        (2, 0),
        (0, 4),
        (0, 5),
        (1, 2),
        (0, 6),
        (0, 7),
        (1, 3),
        (2, 1),
        (3, 0),
    ];
    for (index, (level, n)) in expected.iter().enumerate() {
        assert_eq!(stored_hash_index(*level, *n).unwrap(), index as u64);
        assert_eq!(split_stored_hash_index(index as u64).unwrap(), (*level, *n));
    }
    assert_eq!(stored_hash_count(8).unwrap(), 15);
    assert_eq!(stored_hash_count(0).unwrap(), 0);
}

#[test]
fn the_memory_tree_stores_exactly_the_counted_hashes_at_their_indexes() {
    let data = leaves(70);
    let mut tree = MemoryTree::new();
    for (n, leaf) in data.iter().enumerate() {
        assert_eq!(tree.append(leaf).unwrap(), n as u64);
        let count = stored_hash_count(n as u64 + 1).unwrap();
        assert_eq!(tree.stored_hashes().len() as u64, count);
        // The leaf hash is stored where the index says.
        let at = stored_hash_index(0, n as u64).unwrap() as usize;
        assert_eq!(tree.stored_hashes()[at], leaf_hash(leaf));
    }
    for (index, hash) in tree.stored_hashes().iter().enumerate() {
        let (level, n) = split_stored_hash_index(index as u64).unwrap();
        let span = 1usize << level;
        let first = n as usize * span;
        assert_eq!(*hash, mth(&data[first..first + span]), "index {index}");
    }
}

// transparency-dev/merkle, testonly/constants.go: LeafInputs and RootHashes, the vectors the
// Certificate Transparency implementations share (RFC 6962 hashing, which RFC 9162 keeps).
const CT_LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];
const CT_ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

#[test]
fn roots_match_the_transparency_dev_vectors() {
    let data: Vec<Vec<u8>> = CT_LEAVES.iter().map(|h| hex::decode(h).unwrap()).collect();
    let tree = tree_of(&data);
    for (size, root) in CT_ROOTS.iter().enumerate() {
        assert_eq!(
            tree.root_at(size as u64).unwrap().to_hex(),
            *root,
            "size {size}"
        );
    }
}

#[test]
fn the_two_shaped_api_agrees_with_the_reader_api_through_a_map() {
    let data = leaves(37);
    let tree = tree_of(&data);
    let all: BTreeMap<u64, Hash> = tree
        .stored_hashes()
        .iter()
        .enumerate()
        .map(|(i, h)| (i as u64, *h))
        .collect();
    let pick = |indexes: Vec<u64>| -> Vec<Hash> { indexes.iter().map(|i| all[i]).collect() };
    assert_eq!(
        tree_hash_from(37, &pick(indexes_for_tree_hash(37).unwrap())).unwrap(),
        tree::tree_hash(37, &all).unwrap()
    );
    assert_eq!(
        record_proof_from(37, 12, &pick(indexes_for_record_proof(37, 12).unwrap())).unwrap(),
        tree::prove_record(37, 12, &all).unwrap()
    );
    assert_eq!(
        tree_proof_from(37, 13, &pick(indexes_for_tree_proof(37, 13).unwrap())).unwrap(),
        tree::prove_tree(37, 13, &all).unwrap()
    );
    // Appending through a sparse map holding only the hashes asked for gives the same hashes.
    let needed: BTreeMap<u64, Hash> = indexes_for_stored_hashes(37)
        .unwrap()
        .into_iter()
        .map(|i| (i, all[&i]))
        .collect();
    let mut longer = tree.clone();
    longer.append(b"leaf 37").unwrap();
    let appended = tree::stored_hashes_for_record_hash(37, leaf_hash(b"leaf 37"), &needed).unwrap();
    assert_eq!(appended, longer.stored_hashes()[all.len()..]);
}

#[test]
fn wrong_counts_missing_hashes_and_impossible_sizes_are_errors() {
    let tree = tree_of(&leaves(5));
    assert_eq!(
        tree_hash_from(5, &[]),
        Err(TreeError::WrongHashCount {
            expected: 2,
            got: 0
        })
    );
    assert!(matches!(
        tree.prove_record(5, 5),
        Err(TreeError::RecordOutOfRange { index: 5, size: 5 })
    ));
    assert!(matches!(
        tree.prove_tree(4, 5),
        Err(TreeError::SizesOutOfOrder { old: 5, new: 4 })
    ));
    assert_eq!(
        tree.root_at(6),
        Err(TreeError::BeyondTree {
            size: 6,
            tree_size: 5
        })
    );
    assert!(matches!(
        tree::tree_hash(6, &BTreeMap::new()),
        Err(tree::ReaderError::Read(TreeError::MissingHash(_)))
    ));
    assert!(stored_hash_index(63, 1).is_err());
    assert!(stored_hash_index(0, u64::MAX).is_err());
    assert!(split_stored_hash_index(u64::MAX).is_err());
    assert!(indexes_for_tree_hash(u64::MAX).is_err());
    assert!(indexes_for_stored_hashes(u64::MAX).is_err());
}

#[test]
fn tampered_proofs_are_refused() {
    let data = leaves(11);
    let tree = tree_of(&data);
    let root = tree.root();
    let leaf = leaf_hash(&data[4]);
    let proof = tree.prove_record(11, 4).unwrap();
    let mut flipped = proof.clone();
    flipped[1].0[0] ^= 1;
    assert_eq!(
        check_record(&flipped, 11, &root, 4, &leaf),
        Err(ProofError::RootMismatch)
    );
    assert_eq!(
        check_record(&proof[..2], 11, &root, 4, &leaf),
        Err(ProofError::WrongLength)
    );
    let mut longer = proof.clone();
    longer.push(root);
    assert!(check_record(&longer, 11, &root, 4, &leaf).is_err());
    assert!(check_record(&proof, 11, &root, 11, &leaf).is_err());

    let old_root = tree.root_at(6).unwrap();
    let consistency = tree.prove_tree(11, 6).unwrap();
    check_tree(&consistency, 11, &root, 6, &old_root).unwrap();
    assert!(check_tree(&consistency, 11, &root, 6, &root).is_err());
    assert!(check_tree(&consistency[1..], 11, &root, 6, &old_root).is_err());
    assert!(check_tree(&consistency, 11, &root, 7, &old_root).is_err());
    assert!(check_tree(&[], 11, &root, 11, &old_root).is_err());
    check_tree(&[], 11, &root, 11, &root).unwrap();
    check_tree(&[], 11, &root, 0, &Hash::default()).unwrap();
    assert!(check_tree(&[root], 11, &root, 0, &Hash::default()).is_err());
    assert!(check_tree(&[], 5, &root, 6, &root).is_err());
}

proptest! {
    #[test]
    fn random_pairs_match_the_rfc(size in 1usize..300, a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>()) {
        let data = leaves(size);
        let tree = tree_of(&data);
        let root = mth(&data);
        prop_assert_eq!(tree.root(), root);
        let n = a.index(size);
        let proof = tree.prove_record(size as u64, n as u64).unwrap();
        prop_assert_eq!(&proof, &path(n, &data));
        prop_assert!(check_record(&proof, size as u64, &root, n as u64, &leaf_hash(&data[n])).is_ok());
        let old = b.index(size) + 1;
        let consistency = tree.prove_tree(size as u64, old as u64).unwrap();
        prop_assert_eq!(&consistency, &subproof(old, &data, true));
        prop_assert!(check_tree(&consistency, size as u64, &root, old as u64, &mth(&data[..old])).is_ok());
    }

    #[test]
    fn split_inverts_the_stored_index(level in 0u32..40, n in 0u64..(1 << 20)) {
        let index = stored_hash_index(level, n).unwrap();
        prop_assert_eq!(split_stored_hash_index(index).unwrap(), (level, n));
    }

    #[test]
    fn checking_arbitrary_proofs_never_panics(
        proof in prop::collection::vec(any::<[u8; 32]>().prop_map(Hash), 0..70),
        size in any::<u64>(),
        n in any::<u64>(),
        root in any::<[u8; 32]>().prop_map(Hash),
    ) {
        let _ = check_record(&proof, size, &root, n, &root);
        let _ = check_tree(&proof, size, &root, n, &root);
        let _ = split_stored_hash_index(n);
        let _ = stored_hash_index((size % 70) as u32, n);
        let _ = indexes_for_record_proof(size, n);
        let _ = indexes_for_tree_proof(size, n);
        let _ = tree_hash_from(size, &proof);
    }
}

proptest! {
    #[test]
    fn reading_arbitrary_hash_texts_never_panics(text in ".{0,80}") {
        let _ = Hash::from_base64(&text);
        let _ = Hash::from_hex(&text);
    }

    #[test]
    fn hashes_round_trip_through_their_texts(bytes in any::<[u8; 32]>()) {
        let hash = Hash(bytes);
        prop_assert_eq!(Hash::from_base64(&hash.to_base64()), Ok(hash));
        prop_assert_eq!(Hash::from_hex(&hash.to_hex()), Ok(hash));
        prop_assert_eq!(Hash::from_hex(&hash.to_hex().to_uppercase()), Ok(hash));
    }
}

#[test]
fn hostile_hash_texts_are_refused() {
    use specflow_tlog::HashParseError;
    let good = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    assert_eq!(Hash::from_base64(good), Ok(empty_tree_hash()));
    assert_eq!(Hash::from_base64(""), Err(HashParseError::WrongLength(0)));
    for bad in [
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU",
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=",
        "47DEQpj8HBSa-_TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        " 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU==",
    ] {
        assert_eq!(
            Hash::from_base64(bad),
            Err(HashParseError::NotBase64),
            "{bad:?}"
        );
    }
    assert_eq!(
        Hash::from_base64("AAAA"),
        Err(HashParseError::WrongLength(3))
    );
    assert_eq!(
        Hash::from_base64(&format!("{}AAAA", &good[..40])),
        Err(HashParseError::WrongLength(33))
    );
    assert_eq!(Hash::from_hex("0"), Err(HashParseError::NotHex));
    assert_eq!(Hash::from_hex("zz"), Err(HashParseError::NotHex));
    assert_eq!(Hash::from_hex("+0"), Err(HashParseError::NotHex));
    assert_eq!(Hash::from_hex("00"), Err(HashParseError::WrongLength(1)));
    assert_eq!(Hash::from_hex(&"é".repeat(32)), Err(HashParseError::NotHex));
}

proptest! {
    /// A sequencer's batch gives the same stored hashes as appending its records one by one.
    #[test]
    fn a_batch_appends_what_single_appends_would(size in 0usize..300, count in 0usize..80) {
        let data = leaves(size + count);
        let before = tree_of(&data[..size]);
        let after = tree_of(&data);
        let new_leaves: Vec<Hash> = data[size..].iter().map(|d| leaf_hash(d)).collect();
        let appended = tree::append_leaf_hashes(size as u64, &new_leaves, &before).unwrap();
        prop_assert_eq!(&appended[..], &after.stored_hashes()[before.stored_hashes().len()..]);
        // Only hashes stored before the batch are read, and few of them.
        let indexes = tree::indexes_for_appending(size as u64, count as u64).unwrap();
        prop_assert!(indexes.iter().all(|i| (*i as usize) < before.stored_hashes().len()));
        prop_assert!(indexes.len() <= 64);
    }
}

#[test]
fn a_batch_refuses_the_wrong_hashes_and_too_large_trees() {
    assert_eq!(
        tree::stored_hashes_for_appending(3, &[Hash::default()], &[]),
        Err(TreeError::WrongHashCount {
            expected: 2,
            got: 0
        })
    );
    assert!(tree::indexes_for_appending(u64::MAX, 1).is_err());
    assert!(tree::indexes_for_appending(tree::MAX_TREE_SIZE, 1).is_err());
    assert_eq!(
        tree::indexes_for_appending(5, 0).unwrap(),
        Vec::<u64>::new()
    );
}

/// A store whose reads fail, or answer the wrong number of hashes.
struct BrokenStore {
    answer: Option<usize>,
}

impl tree::HashReader for BrokenStore {
    type Error = String;

    fn read_hashes(&self, _indexes: &[u64]) -> Result<Vec<Hash>, String> {
        match self.answer {
            Some(count) => Ok(vec![Hash::default(); count]),
            None => Err("database is down".to_owned()),
        }
    }
}

#[test]
fn a_failing_or_miscounting_reader_is_an_error_not_a_wrong_answer() {
    let down = BrokenStore { answer: None };
    let error = tree::tree_hash(5, &down).unwrap_err();
    assert!(matches!(&error, tree::ReaderError::Read(message) if message == "database is down"));
    assert_eq!(
        error.to_string(),
        "reading stored hashes failed: database is down"
    );
    let short = BrokenStore { answer: Some(1) };
    assert!(matches!(
        tree::prove_record(5, 2, &short),
        Err(tree::ReaderError::Tree(TreeError::WrongHashCount {
            expected: 3,
            got: 1
        }))
    ));
    assert!(matches!(
        tree::prove_tree(5, 3, &short),
        Err(tree::ReaderError::Tree(TreeError::WrongHashCount {
            expected: 4,
            got: 1
        }))
    ));
    assert!(matches!(
        tree::stored_hashes_for_record_hash(3, Hash::default(), &short),
        Err(tree::ReaderError::Tree(TreeError::WrongHashCount {
            expected: 2,
            got: 1
        }))
    ));
    // Nothing to read, nothing asked: the empty tree and a first record need no reader at all.
    assert_eq!(tree::tree_hash(0, &down).unwrap(), empty_tree_hash());
    assert_eq!(
        tree::stored_hashes_for_record_hash(0, leaf_hash(b"a"), &down).unwrap(),
        [leaf_hash(b"a")]
    );
}

proptest! {
    /// Any one bit changed in a valid proof, or a proof checked against a neighbouring size or
    /// record, is refused.
    #[test]
    fn a_proof_altered_in_any_bit_is_refused(size in 2usize..120, a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>(), bit in any::<prop::sample::Index>()) {
        let data = leaves(size);
        let tree = tree_of(&data);
        let root = tree.root();
        let t = size as u64;
        let n = a.index(size);
        let leaf = leaf_hash(&data[n]);
        let mut proof = tree.prove_record(t, n as u64).unwrap();
        if !proof.is_empty() {
            let position = bit.index(proof.len() * 256);
            proof[position / 256].0[(position % 256) / 8] ^= 1 << (position % 8);
            prop_assert!(check_record(&proof, t, &root, n as u64, &leaf).is_err());
        }
        let proof = tree.prove_record(t, n as u64).unwrap();
        let other = (n + 1) % size;
        prop_assert!(check_record(&proof, t, &root, other as u64, &leaf).is_err());

        let old = b.index(size - 1) + 1;
        let old_root = tree.root_at(old as u64).unwrap();
        let mut consistency = tree.prove_tree(t, old as u64).unwrap();
        if !consistency.is_empty() {
            let position = bit.index(consistency.len() * 256);
            consistency[position / 256].0[(position % 256) / 8] ^= 1 << (position % 8);
            prop_assert!(check_tree(&consistency, t, &root, old as u64, &old_root).is_err());
        }
        let consistency = tree.prove_tree(t, old as u64).unwrap();
        let neighbour = tree.root_at(old as u64 - 1).unwrap();
        prop_assert!(check_tree(&consistency, t, &root, old as u64, &neighbour).is_err());
    }
}
