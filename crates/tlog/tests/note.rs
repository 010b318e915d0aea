//! Signed notes and key strings, against the vectors of Go's `golang.org/x/mod/sumdb/note`
//! (`note_test.go`: the PeterNeumann and EnochRoot keys and signatures), and hostile inputs.

use proptest::prelude::*;
use specflow_tlog::note::{
    MAX_SIGNATURES, Note, NoteError, NoteSignature, NoteSigner, NoteVerifier, SignatureVerifier,
    open_note, sign_note,
};
use specflow_tlog::{KeyError, key_id};

// From golang.org/x/mod/sumdb/note/note_test.go (TestNewVerifier, TestNewSigner, TestSign,
// TestOpen).
const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
const PETER_SIG: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

#[test]
fn signing_reproduces_go_sumdb_note_byte_for_byte() {
    let signer = NoteSigner::from_private_key(PETER_SKEY).unwrap();
    assert_eq!(signer.name(), "PeterNeumann");
    assert_eq!(signer.key_id(), 0xc74f20a3);
    assert_eq!(signer.verifier().to_string(), PETER_VKEY);
    assert_eq!(signer.private_key_string(), PETER_SKEY);
    // Ed25519 signatures are deterministic, so Go's signed note is reproduced exactly.
    assert_eq!(
        sign_note(TEXT, &signer).unwrap(),
        format!("{TEXT}\n{PETER_SIG}")
    );
}

#[test]
fn opening_follows_go_sumdb_note() {
    let peter = NoteVerifier::parse(PETER_VKEY).unwrap();
    let enoch = NoteVerifier::parse(ENOCH_VKEY).unwrap();
    let signed = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");

    let one = open_note(&signed, &[&peter]).unwrap();
    assert_eq!(one.text, TEXT);
    assert_eq!(one.verified.len(), 1);
    assert_eq!(one.verified[0].key_id, 0xc74f20a3);
    assert_eq!(one.unverified.len(), 1);
    assert_eq!(one.unverified[0].name, "EnochRoot");

    let both = open_note(&signed, &[&peter, &enoch]).unwrap();
    assert_eq!(both.verified.len(), 2);
    assert!(both.unverified.is_empty());

    assert_eq!(open_note(&signed, &[]), Err(NoteError::NoKnownSignature));
    assert!(matches!(
        open_note(&format!("{TEXT}\n{ENOCH_SIG}"), &[&enoch, &peter, &enoch]),
        Err(NoteError::AmbiguousKey { .. })
    ));

    // A known key's corrupted signature rejects the note.
    let corrupt = format!("{TEXT}\n{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    assert_eq!(
        open_note(&corrupt, &[&peter]),
        Err(NoteError::InvalidSignature {
            name: "PeterNeumann".into(),
            key_id: 0xc74f20a3
        })
    );

    // Repeated signatures count once.
    let repeated = format!("{TEXT}\n{PETER_SIG}{PETER_SIG}{ENOCH_SIG}{ENOCH_SIG}");
    let opened = open_note(&repeated, &[&peter]).unwrap();
    assert_eq!((opened.verified.len(), opened.unverified.len()), (1, 1));

    // Too many signatures.
    let many = format!("{TEXT}\n{}", PETER_SIG.repeat(MAX_SIGNATURES + 1));
    assert_eq!(
        open_note(&many, &[&peter]),
        Err(NoteError::TooManySignatures)
    );
}

#[test]
fn malformed_notes_are_refused_as_go_refuses_them() {
    let peter = NoteVerifier::parse(PETER_VKEY).unwrap();
    let bad = [
        TEXT.to_owned(),
        format!("{TEXT}\n"),
        format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
        format!("\x01{TEXT}\n{PETER_SIG}"),
        format!(
            "{TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
        ),
        format!("{TEXT}\n{PETER_SIG}Unexpected line.\n"),
        format!("{TEXT}\n— PeterNeumann AAAA\n"),
        format!("{TEXT}\n— PeterNeumann  x08go/ZJkuBS9UG\n"),
        format!(
            "{TEXT}\n- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
        ),
        format!("{TEXT}\r\n{PETER_SIG}"),
        String::new(),
        "\n\n".to_owned(),
    ];
    for note in bad {
        assert!(open_note(&note, &[&peter]).is_err(), "accepted {note:?}");
    }
    assert_eq!(Note::parse_bytes(b"\xff\n\n"), Err(NoteError::NotUtf8));
}

#[test]
fn key_strings_go_refuses_are_refused() {
    NoteVerifier::parse(PETER_VKEY).unwrap();
    // Every proper substring of the key, and every one-byte change, is refused (as in Go's test).
    let bytes = PETER_VKEY.as_bytes();
    for i in 0..=bytes.len() {
        for j in i + 1..=bytes.len() {
            if (i, j) != (0, bytes.len()) {
                let part = std::str::from_utf8(&bytes[i..j]).unwrap();
                assert!(NoteVerifier::parse(part).is_err(), "accepted {part}");
            }
        }
    }
    for i in 0..bytes.len() {
        let mut changed = bytes.to_vec();
        changed[i] = changed[i].wrapping_add(1);
        if let Ok(text) = std::str::from_utf8(&changed) {
            assert!(NoteVerifier::parse(text).is_err(), "accepted {text}");
        }
    }
    // Go's test: a wrong-length key and an unknown algorithm, each with its key ID adjusted.
    // (Its base64 has non-zero trailing bits, which this crate's strict decoding refuses first.)
    assert!(
        NoteVerifier::parse(
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
        )
        .is_err()
    );
    assert!(matches!(
        NoteVerifier::parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        Err(KeyError::WrongAlgorithm {
            expected: 1,
            found: 0x65
        })
    ));
    assert_eq!(
        NoteVerifier::parse("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        Err(KeyError::BadName)
    );
    assert_eq!(
        NoteVerifier::parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        Err(KeyError::KeyIdMismatch)
    );
    assert_eq!(
        NoteVerifier::parse("PeterNeumann+-74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        Err(KeyError::BadKeyId)
    );
    assert_eq!(
        NoteSigner::from_private_key(PETER_VKEY).err(),
        Some(KeyError::NotPrivateKey)
    );
    assert_eq!(
        NoteSigner::from_private_key(
            "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
        )
        .err(),
        Some(KeyError::KeyIdMismatch)
    );
    let bytes = PETER_SKEY.as_bytes();
    for i in 0..bytes.len() {
        let mut changed = bytes.to_vec();
        changed[i] = changed[i].wrapping_add(1);
        if let Ok(text) = std::str::from_utf8(&changed) {
            assert!(
                NoteSigner::from_private_key(text).is_err(),
                "accepted {text}"
            );
        }
    }
}

#[test]
fn a_fresh_key_round_trips_and_signs_what_it_verifies() {
    let signer = NoteSigner::from_seed("specflow.example/log", &[7; 32]).unwrap();
    let verifier = signer.verifier();
    assert_eq!(
        verifier.key_id(),
        key_id("specflow.example/log", 0x01, &verifier.public_key())
    );
    assert_eq!(
        NoteVerifier::parse(&verifier.to_string()).unwrap(),
        verifier
    );
    let again = NoteSigner::from_private_key(&signer.private_key_string()).unwrap();
    assert_eq!(again.verifier(), verifier);
    let text = "specflow.example/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n";
    let signed = sign_note(text, &signer).unwrap();
    let opened = open_note(&signed, &[&verifier]).unwrap();
    assert_eq!(opened.text, text);
    assert_eq!(
        sign_note("no newline", &signer),
        Err(NoteError::TextMustEndWithNewline)
    );
    assert_eq!(
        sign_note("tab\there\n", &signer),
        Err(NoteError::ControlCharacter)
    );
    assert_eq!(
        NoteSigner::from_seed("a+b", &[7; 32]).err(),
        Some(KeyError::BadName)
    );
    // A note whose text itself holds a blank line is split at the last one.
    let with_blank = "first\n\nsecond\n";
    let opened = open_note(&sign_note(with_blank, &signer).unwrap(), &[&verifier]).unwrap();
    assert_eq!(opened.text, with_blank);
}

#[test]
fn a_signature_line_round_trips() {
    let line = NoteSignature {
        name: "w".into(),
        key_id: 0x01020304,
        signature: vec![9; 72],
    };
    let text = line.to_line();
    assert_eq!(
        NoteSignature::parse_line(text.trim_end_matches('\n'), 1).unwrap(),
        line
    );
}

proptest! {
    #[test]
    fn parsing_arbitrary_notes_never_panics(text in ".{0,200}", bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = Note::parse(&text);
        let _ = Note::parse_bytes(&bytes);
        let _ = NoteVerifier::parse(&text);
        let _ = NoteSigner::from_private_key(&text);
        let _ = NoteSignature::parse_line(&text, 1);
    }

    #[test]
    fn notes_with_arbitrary_signature_lines_never_panic(lines in prop::collection::vec("(— )?[a-zA-Z+ ]{0,8} ?[A-Za-z0-9+/=]{0,100}", 0..5)) {
        let peter = NoteVerifier::parse(PETER_VKEY).unwrap();
        let signed = format!("{TEXT}\n{}\n", lines.join("\n"));
        let _ = open_note(&signed, &[&peter]);
    }

    #[test]
    fn a_signed_text_parses_back(text in "[^\\x00-\\x1f]{0,40}(\n[^\\x00-\\x1f]{0,40}){0,4}\n") {
        let signer = NoteSigner::from_seed("k", &[1; 32]).unwrap();
        let signed = sign_note(&text, &signer).unwrap();
        let opened = open_note(&signed, &[&signer.verifier()]).unwrap();
        prop_assert_eq!(opened.text, text);
    }
}
