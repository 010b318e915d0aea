//! The worked example of `docs/transparency.md`, reproduced: every number below is copied from
//! the document (and checked to still be there), and the crate must compute exactly it.
//! The numbers were first computed with Python's `hashlib` and `cryptography`, independently of
//! this crate.

use specflow_tlog::tree::{
    check_record, check_tree, indexes_for_record_proof, indexes_for_tree_hash,
    indexes_for_tree_proof,
};
use specflow_tlog::witness::AddCheckpointRequest;
use specflow_tlog::{
    AddCheckpointOutcome, Checkpoint, CosignatureSigner, CosignatureVerifier, Hash, MemoryTree,
    NoteSigner, NoteVerifier, Tile, TileLevel, WitnessedCheckpoint, decide_add_checkpoint,
    leaf_hash, open_note, sign_note,
};

const DOCUMENT: &str = include_str!("../../../docs/transparency.md");

const LEAF_HASHES: [&str; 5] = [
    "3b367d6db7bc51726d918b18e9a79e0fce53f867fbe38671f609e6bb59d46035",
    "0bde58a293c1f0fd54d11d7e4900ddf1ca4f214cc8801845aac6dfd9613adfbc",
    "790b42555c2817c28f3baba3bd8cc1da747cc02d6e99041e64f8c62746cf053b",
    "ce01e24f26421b0a1caab1eca206f34fbb4e4dc8b9443438a963423d9aaf6f9d",
    "e3fc61b22997da2481fed5aed44fd829dbd4c8d1f9a6def9c340e212196183e9",
];

const STORED: [&str; 8] = [
    "3b367d6db7bc51726d918b18e9a79e0fce53f867fbe38671f609e6bb59d46035",
    "0bde58a293c1f0fd54d11d7e4900ddf1ca4f214cc8801845aac6dfd9613adfbc",
    "5c34a11205877ecf2c4f28e25495d08301b33dbfb862419f7946fa6fdf8124ef",
    "790b42555c2817c28f3baba3bd8cc1da747cc02d6e99041e64f8c62746cf053b",
    "ce01e24f26421b0a1caab1eca206f34fbb4e4dc8b9443438a963423d9aaf6f9d",
    "7cd6fc7fff96f0950abb5738954bce1ad4be5312fa99346a97ba2796ea075c54",
    "550726662d8f1330f57665133dc5acdcc04add0d95df6a656205e24f7dcaa611",
    "e3fc61b22997da2481fed5aed44fd829dbd4c8d1f9a6def9c340e212196183e9",
];

const ROOTS: [(&str, &str); 6] = [
    (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    ),
    (
        "3b367d6db7bc51726d918b18e9a79e0fce53f867fbe38671f609e6bb59d46035",
        "OzZ9bbe8UXJtkYsY6aeeD85T+Gf744Zx9gnmu1nUYDU=",
    ),
    (
        "5c34a11205877ecf2c4f28e25495d08301b33dbfb862419f7946fa6fdf8124ef",
        "XDShEgWHfs8sTyjiVJXQgwGzPb+4YkGfeUb6b9+BJO8=",
    ),
    (
        "11139f0ae3789cb227ab8c3e57d66e8925e3adb96c24d57311832150d6ac905b",
        "EROfCuN4nLInq4w+V9ZuiSXjrblsJNVzEYMhUNaskFs=",
    ),
    (
        "550726662d8f1330f57665133dc5acdcc04add0d95df6a656205e24f7dcaa611",
        "VQcmZi2PEzD1dmUTPcWs3MBK3Q2V32plYgXiT33KphE=",
    ),
    (
        "ab5ba240d5c5f66d57c43fc3e948d87beca519d4da8b028b6c582fda7bbf99b4",
        "q1uiQNXF9m1XxD/D6UjYe+ylGdTaiwKLbFgv2nu/mbQ=",
    ),
];

const INCLUSION_2_IN_5: [&str; 3] = [
    "ce01e24f26421b0a1caab1eca206f34fbb4e4dc8b9443438a963423d9aaf6f9d",
    "5c34a11205877ecf2c4f28e25495d08301b33dbfb862419f7946fa6fdf8124ef",
    "e3fc61b22997da2481fed5aed44fd829dbd4c8d1f9a6def9c340e212196183e9",
];

const CONSISTENCY_3_TO_5: [&str; 4] = [
    "790b42555c2817c28f3baba3bd8cc1da747cc02d6e99041e64f8c62746cf053b",
    "ce01e24f26421b0a1caab1eca206f34fbb4e4dc8b9443438a963423d9aaf6f9d",
    "5c34a11205877ecf2c4f28e25495d08301b33dbfb862419f7946fa6fdf8124ef",
    "e3fc61b22997da2481fed5aed44fd829dbd4c8d1f9a6def9c340e212196183e9",
];

const LOG_PRIVATE_KEY: &str =
    "PRIVATE+KEY+specflow.example/log+aa78c897+AQABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f";
const LOG_VERIFIER_KEY: &str =
    "specflow.example/log+aa78c897+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";
const WITNESS_PRIVATE_KEY: &str =
    "PRIVATE+KEY+witness.example/w1+20324abe+BCAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/";
const WITNESS_VERIFIER_KEY: &str =
    "witness.example/w1+20324abe+BCmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X";
const TIMESTAMP: u64 = 1_767_225_600;

const CHECKPOINT: &str = "specflow.example/log\n5\nq1uiQNXF9m1XxD/D6UjYe+ylGdTaiwKLbFgv2nu/mbQ=\n";
const LOG_SIGNATURE: &str = "— specflow.example/log qnjIl8vXWwePAqE5Ein6FNMe0RVa+oAbia+2eW+FbjnOq7SMWbJVsoXM6rjBUZ54cF1+G/vu4rkmdD8ABvifQhgT7A8=\n";
const COSIGNATURE: &str = "— witness.example/w1 IDJKvgAAAABpVbkAZ+OJkkiESF50z8KnfvILgeY2AujUUgqYeyPQ4M1pP44Nf736NWTT3237GuTihSt8Rl0cdteQhMxBq7uRdLmFCw==\n";

const REQUEST_PROOF: [&str; 4] = [
    "eQtCVVwoF8KPO6ujvYzB2nR8wC1umQQeZPjGJ0bPBTs=",
    "zgHiTyZCGwocqrHsogbzT7tOTci5RDQ4qWNCPZqvb50=",
    "XDShEgWHfs8sTyjiVJXQgwGzPb+4YkGfeUb6b9+BJO8=",
    "4/xhsimX2iSB/tWu1E/YKdvUyNH5pt75w0DiEhlhg+k=",
];

fn hashes(hex: &[&str]) -> Vec<Hash> {
    hex.iter().map(|h| Hash::from_hex(h).unwrap()).collect()
}

fn tree() -> MemoryTree {
    MemoryTree::from_leaves((0..5).map(|i| format!("record {i}"))).unwrap()
}

#[test]
fn every_number_of_the_example_is_in_the_document() {
    let mut all: Vec<&str> = Vec::new();
    all.extend(LEAF_HASHES);
    all.extend(STORED);
    all.extend(ROOTS.iter().flat_map(|(hex, base64)| [*hex, *base64]));
    all.extend(INCLUSION_2_IN_5);
    all.extend(CONSISTENCY_3_TO_5);
    all.extend(REQUEST_PROOF);
    all.extend([
        LOG_PRIVATE_KEY,
        LOG_VERIFIER_KEY,
        WITNESS_PRIVATE_KEY,
        WITNESS_VERIFIER_KEY,
        CHECKPOINT,
        LOG_SIGNATURE,
        COSIGNATURE,
    ]);
    for number in all {
        assert!(DOCUMENT.contains(number), "{number} is not in the document");
    }
}

#[test]
fn the_tree_of_the_example_has_the_documented_hashes_and_proofs() {
    let tree = tree();
    for (i, hex) in LEAF_HASHES.iter().enumerate() {
        assert_eq!(leaf_hash(format!("record {i}").as_bytes()).to_hex(), *hex);
    }
    assert_eq!(tree.stored_hashes(), hashes(&STORED));
    for (size, (hex, base64)) in ROOTS.iter().enumerate() {
        let root = tree.root_at(size as u64).unwrap();
        assert_eq!(root.to_hex(), *hex);
        assert_eq!(root.to_base64(), *base64);
    }
    assert_eq!(indexes_for_tree_hash(5).unwrap(), [6, 7]);
    assert_eq!(indexes_for_record_proof(5, 2).unwrap(), [2, 4, 7]);
    assert_eq!(indexes_for_tree_proof(5, 3).unwrap(), [2, 3, 4, 7]);
    let root = tree.root();
    let inclusion = tree.prove_record(5, 2).unwrap();
    assert_eq!(inclusion, hashes(&INCLUSION_2_IN_5));
    check_record(&inclusion, 5, &root, 2, &leaf_hash(b"record 2")).unwrap();
    let consistency = tree.prove_tree(5, 3).unwrap();
    assert_eq!(consistency, hashes(&CONSISTENCY_3_TO_5));
    check_tree(&consistency, 5, &root, 3, &tree.root_at(3).unwrap()).unwrap();
    let tile = Tile::partial_for(TileLevel::Hashes(0), 5).unwrap();
    assert_eq!(tile.path(), "tile/0/000.p/5");
    assert_eq!(tile.stored_hash_indexes().unwrap(), [0, 1, 3, 4, 7]);
}

#[test]
fn the_keys_signatures_and_request_of_the_example_are_the_documented_bytes() {
    let mut log_seed = [0u8; 32];
    let mut witness_seed = [0u8; 32];
    for i in 0..32u8 {
        log_seed[usize::from(i)] = i;
        witness_seed[usize::from(i)] = 32 + i;
    }
    let log = NoteSigner::from_seed("specflow.example/log", &log_seed).unwrap();
    let witness = CosignatureSigner::from_seed("witness.example/w1", &witness_seed).unwrap();
    assert_eq!(log.private_key_string(), LOG_PRIVATE_KEY);
    assert_eq!(log.verifier().to_string(), LOG_VERIFIER_KEY);
    assert_eq!(witness.private_key_string(), WITNESS_PRIVATE_KEY);
    assert_eq!(witness.verifier().to_string(), WITNESS_VERIFIER_KEY);

    let checkpoint = Checkpoint::new("specflow.example/log", 5, tree().root());
    assert_eq!(checkpoint.to_text().unwrap(), CHECKPOINT);
    let signed = sign_note(CHECKPOINT, &log).unwrap();
    assert_eq!(signed, format!("{CHECKPOINT}\n{LOG_SIGNATURE}"));
    assert_eq!(
        witness.cosign(CHECKPOINT, TIMESTAMP).unwrap().to_line(),
        COSIGNATURE
    );

    let request_body = format!(
        "old 3\n{}\n{signed}",
        REQUEST_PROOF.map(|h| format!("{h}\n")).concat()
    );
    assert!(DOCUMENT.contains(&request_body));
    let request = AddCheckpointRequest::parse(request_body.as_bytes()).unwrap();
    let log_key = NoteVerifier::parse(LOG_VERIFIER_KEY).unwrap();
    let stored = WitnessedCheckpoint {
        size: 3,
        root: tree().root_at(3).unwrap(),
    };
    let outcome = decide_add_checkpoint(
        &request,
        Some(std::slice::from_ref(&log_key)),
        Some(stored),
        &witness,
        TIMESTAMP,
    )
    .unwrap();
    assert!(matches!(outcome, AddCheckpointOutcome::Cosigned { .. }));
    assert_eq!(outcome.body(), COSIGNATURE);

    let witness_key = CosignatureVerifier::parse(WITNESS_VERIFIER_KEY).unwrap();
    let cosigned = format!("{signed}{COSIGNATURE}");
    let opened = open_note(&cosigned, &[&log_key, &witness_key]).unwrap();
    assert_eq!(opened.verified.len(), 2);
}
