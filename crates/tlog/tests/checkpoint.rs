//! Checkpoints (C2SP tlog-checkpoint) and cosignatures (C2SP tlog-cosignature, cosignature/v1).

use proptest::prelude::*;
use specflow_tlog::cosignature::{COSIGNATURE_LENGTH, MAX_TIMESTAMP, cosigned_message};
use specflow_tlog::note::{
    Note, NoteSigner, NoteVerifier, SignatureVerifier, open_note, sign_note,
};
use specflow_tlog::{
    Checkpoint, CheckpointError, CosignatureError, CosignatureSigner, CosignatureVerifier, Hash,
    KeyError, key_id,
};

// The example of C2SP tlog-checkpoint and tlog-witness.
const SPEC_CHECKPOINT: &str =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

#[test]
fn the_specification_example_parses_and_writes_back() {
    let checkpoint = Checkpoint::parse(SPEC_CHECKPOINT).unwrap();
    assert_eq!(checkpoint.origin, "example.com/behind-the-sofa");
    assert_eq!(checkpoint.size, 20852163);
    assert_eq!(
        checkpoint.root.to_base64(),
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
    );
    assert!(checkpoint.extensions.is_empty());
    assert_eq!(checkpoint.to_text().unwrap(), SPEC_CHECKPOINT);

    let extended = format!("{SPEC_CHECKPOINT}ext one\next two\n");
    let checkpoint = Checkpoint::parse(&extended).unwrap();
    assert_eq!(checkpoint.extensions, ["ext one", "ext two"]);
    assert_eq!(checkpoint.to_text().unwrap(), extended);
}

#[test]
fn malformed_checkpoints_are_refused() {
    let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
    type Expectation = fn(&CheckpointError) -> bool;
    let cases: Vec<(String, Expectation)> = vec![
        (format!("o\n1\n{root}"), |e| {
            matches!(e, CheckpointError::Note(_))
        }),
        (format!("\n1\n{root}\n"), |e| {
            *e == CheckpointError::EmptyOrigin
        }),
        ("o\n1\n".to_owned(), |e| *e == CheckpointError::TooFewLines),
        (format!("o\n01\n{root}\n"), |e| {
            *e == CheckpointError::BadSize
        }),
        (format!("o\n00\n{root}\n"), |e| {
            *e == CheckpointError::BadSize
        }),
        (format!("o\n+1\n{root}\n"), |e| {
            *e == CheckpointError::BadSize
        }),
        (format!("o\n-1\n{root}\n"), |e| {
            *e == CheckpointError::BadSize
        }),
        (format!("o\n 1\n{root}\n"), |e| {
            *e == CheckpointError::BadSize
        }),
        (format!("o\n\n{root}\n"), |e| *e == CheckpointError::BadSize),
        (format!("o\n18446744073709551616\n{root}\n"), |e| {
            *e == CheckpointError::BadSize
        }),
        (
            "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n".to_owned(),
            |e| matches!(e, CheckpointError::BadRootHash(_)),
        ),
        (
            "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n".to_owned(),
            |e| matches!(e, CheckpointError::BadRootHash(_)),
        ),
        ("o\n1\nAAAA\n".to_owned(), |e| {
            matches!(e, CheckpointError::BadRootHash(_))
        }),
        (format!("o\n1\n{root}\n\n"), |e| {
            *e == CheckpointError::EmptyExtensionLine
        }),
        (format!("o\n1\n{root}\nx\n\ny\n"), |e| {
            *e == CheckpointError::EmptyExtensionLine
        }),
        (format!("o\t\n1\n{root}\n"), |e| {
            matches!(e, CheckpointError::Note(_))
        }),
    ];
    for (text, expected) in cases {
        let error = Checkpoint::parse(&text).unwrap_err();
        assert!(expected(&error), "{text:?} gave {error:?}");
    }
    assert_eq!(
        Checkpoint::parse("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
            .unwrap()
            .size,
        0
    );
    assert_eq!(
        Checkpoint::parse(&format!("o\n18446744073709551615\n{root}\n"))
            .unwrap()
            .size,
        u64::MAX
    );
    // Writing refuses what reading would refuse.
    assert!(Checkpoint::new("", 1, Hash::default()).to_text().is_err());
    assert!(
        Checkpoint::new("a\nb", 1, Hash::default())
            .to_text()
            .is_err()
    );
}

#[test]
fn a_cosignature_has_the_specified_message_and_layout() {
    assert_eq!(
        cosigned_message(SPEC_CHECKPOINT, 1679315147).unwrap(),
        format!("cosignature/v1\ntime 1679315147\n{SPEC_CHECKPOINT}")
    );
    let witness = CosignatureSigner::from_seed("witness.example/w1", &[3; 32]).unwrap();
    let verifier = witness.verifier();
    assert_eq!(
        verifier.key_id(),
        key_id("witness.example/w1", 0x04, &verifier.public_key())
    );
    let line = witness.cosign(SPEC_CHECKPOINT, 1679315147).unwrap();
    assert_eq!(line.key_id, witness.key_id());
    assert_eq!(line.signature.len(), COSIGNATURE_LENGTH);
    assert_eq!(line.signature[..8], 1679315147u64.to_be_bytes());
    assert_eq!(
        verifier.verify_cosignature(SPEC_CHECKPOINT, &line),
        Ok(1679315147)
    );
    // Another checkpoint, another time or another key does not verify.
    let other = SPEC_CHECKPOINT.replace("20852163", "20852164");
    assert_eq!(
        verifier.verify_cosignature(&other, &line),
        Err(CosignatureError::Invalid)
    );
    let mut retimed = line.clone();
    retimed.signature[7] ^= 1;
    assert_eq!(
        verifier.verify_cosignature(SPEC_CHECKPOINT, &retimed),
        Err(CosignatureError::Invalid)
    );
    let mut short = line.clone();
    short.signature.pop();
    assert_eq!(
        verifier.verify_cosignature(SPEC_CHECKPOINT, &short),
        Err(CosignatureError::WrongLength(71))
    );
    let stranger = CosignatureSigner::from_seed("witness.example/w1", &[4; 32]).unwrap();
    assert_eq!(
        stranger
            .verifier()
            .verify_cosignature(SPEC_CHECKPOINT, &line),
        Err(CosignatureError::OtherKey)
    );
    assert_eq!(
        witness.cosign(SPEC_CHECKPOINT, MAX_TIMESTAMP + 1),
        Err(CosignatureError::TimestampTooLarge)
    );
    let mut too_late = line.clone();
    too_late.signature[0] = 0x80;
    assert_eq!(
        verifier.verify_cosignature(SPEC_CHECKPOINT, &too_late),
        Err(CosignatureError::TimestampTooLarge)
    );
}

#[test]
fn a_client_opens_a_cosigned_checkpoint_with_log_and_witness_keys() {
    let log = NoteSigner::from_seed("example.com/behind-the-sofa", &[1; 32]).unwrap();
    let witness = CosignatureSigner::from_seed("witness.example/w1", &[2; 32]).unwrap();
    let signed = sign_note(SPEC_CHECKPOINT, &log).unwrap();
    let cosignature = witness.cosign(SPEC_CHECKPOINT, 1700000000).unwrap();
    // The client appends the witness's response lines to the checkpoint, as tlog-witness says.
    let cosigned = format!("{signed}{}", cosignature.to_line());
    let log_key = log.verifier();
    let witness_key = witness.verifier();
    let opened = open_note(&cosigned, &[&log_key, &witness_key]).unwrap();
    assert_eq!(opened.verified.len(), 2);
    let by_log_only = open_note(&cosigned, &[&log_key]).unwrap();
    assert_eq!(by_log_only.unverified, std::slice::from_ref(&cosignature));
    // A cosigning key read as a note key does not verify the cosignature (another type, ID).
    assert!(!SignatureVerifier::verify(
        &witness_key,
        "other\n",
        &cosignature.signature
    ));
    let note = Note::parse(&cosigned).unwrap();
    assert_eq!(note.to_signed_text().unwrap(), cosigned);
}

#[test]
fn witness_key_strings_round_trip_and_refuse_note_keys() {
    let witness = CosignatureSigner::from_seed("witness.example/w1", &[5; 32]).unwrap();
    let vkey = witness.verifier().to_string();
    assert!(vkey.starts_with(&format!("witness.example/w1+{:08x}+B", witness.key_id())));
    assert_eq!(
        CosignatureVerifier::parse(&vkey).unwrap(),
        witness.verifier()
    );
    let again = CosignatureSigner::from_private_key(&witness.private_key_string()).unwrap();
    assert_eq!(again.verifier(), witness.verifier());
    // A note key is not a cosigning key, and the other way round.
    let log = NoteSigner::from_seed("witness.example/w1", &[5; 32]).unwrap();
    assert!(matches!(
        CosignatureVerifier::parse(&log.verifier().to_string()),
        Err(KeyError::WrongAlgorithm {
            expected: 4,
            found: 1
        })
    ));
    assert!(NoteVerifier::parse(&vkey).is_err());
    assert!(CosignatureSigner::from_private_key(&log.private_key_string()).is_err());
}

proptest! {
    #[test]
    fn parsing_arbitrary_checkpoints_never_panics(text in "[a-z0-9+/=\n ]{0,120}") {
        let _ = Checkpoint::parse(&text);
        let _ = CosignatureVerifier::parse(&text);
        let _ = CosignatureSigner::from_private_key(&text);
    }

    #[test]
    fn checkpoints_round_trip(origin in "[a-z./]{1,30}", size in any::<u64>(), root in any::<[u8; 32]>(), ext in prop::collection::vec("[a-z ]{1,10}", 0..3)) {
        let checkpoint = Checkpoint { origin, size, root: Hash(root), extensions: ext };
        let text = checkpoint.to_text().unwrap();
        prop_assert_eq!(Checkpoint::parse(&text).unwrap(), checkpoint);
    }

    #[test]
    fn verifying_arbitrary_cosignatures_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..100), time in any::<u64>()) {
        let witness = CosignatureSigner::from_seed("w", &[9; 32]).unwrap();
        let line = specflow_tlog::NoteSignature { name: "w".into(), key_id: witness.key_id(), signature: bytes };
        let _ = witness.verifier().verify_cosignature(SPEC_CHECKPOINT, &line);
        let _ = witness.cosign(SPEC_CHECKPOINT, time);
    }
}

#[test]
fn every_mangling_of_a_witness_key_string_is_refused() {
    let witness = CosignatureSigner::from_seed("witness.example/w1", &[6; 32]).unwrap();
    let vkey = witness.verifier().to_string();
    let skey = witness.private_key_string();
    for key in [&vkey, &skey] {
        let bytes = key.as_bytes();
        for i in 0..bytes.len() {
            for j in i + 1..=bytes.len() {
                if (i, j) == (0, bytes.len()) {
                    continue;
                }
                let part = std::str::from_utf8(&bytes[i..j]).unwrap();
                assert!(CosignatureVerifier::parse(part).is_err(), "accepted {part}");
                assert!(
                    CosignatureSigner::from_private_key(part).is_err(),
                    "accepted {part}"
                );
            }
            let mut changed = bytes.to_vec();
            changed[i] = changed[i].wrapping_add(1);
            if let Ok(text) = std::str::from_utf8(&changed) {
                assert!(CosignatureVerifier::parse(text).is_err(), "accepted {text}");
                assert!(
                    CosignatureSigner::from_private_key(text).is_err(),
                    "accepted {text}"
                );
            }
        }
    }
}
