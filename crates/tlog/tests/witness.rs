//! The witness's `add-checkpoint` decisions, each answer of C2SP tlog-witness in turn, and its
//! request body against the specification's example and hostile inputs.

use proptest::prelude::*;
use specflow_tlog::witness::{
    MAX_PROOF_LINES, SIZE_CONTENT_TYPE, parse_cosignature_response, parse_size_body,
};
use specflow_tlog::{
    AddCheckpointOutcome, AddCheckpointRequest, Checkpoint, CosignatureSigner, Hash, MemoryTree,
    NoteSigner, NoteVerifier, RequestError, WitnessedCheckpoint, decide_add_checkpoint, open_note,
    sign_note,
};

const ORIGIN: &str = "specflow.example/log";
const NOW: u64 = 1_767_225_600;

struct Fixture {
    tree: MemoryTree,
    log: NoteSigner,
    keys: Vec<NoteVerifier>,
    witness: CosignatureSigner,
}

impl Fixture {
    fn new() -> Self {
        let tree = MemoryTree::from_leaves((0..20u8).map(|i| [i])).unwrap();
        let log = NoteSigner::from_seed(ORIGIN, &[1; 32]).unwrap();
        let keys = vec![log.verifier()];
        let witness = CosignatureSigner::from_seed("witness.example/w1", &[2; 32]).unwrap();
        Self {
            tree,
            log,
            keys,
            witness,
        }
    }

    fn signed(&self, size: u64) -> String {
        let checkpoint = Checkpoint::new(ORIGIN, size, self.tree.root_at(size).unwrap());
        sign_note(&checkpoint.to_text().unwrap(), &self.log).unwrap()
    }

    fn request(&self, old: u64, size: u64) -> AddCheckpointRequest {
        let proof = self.tree.prove_tree(size, old).unwrap();
        AddCheckpointRequest::new(old, proof, &self.signed(size)).unwrap()
    }

    fn state(&self, size: u64) -> Option<WitnessedCheckpoint> {
        Some(WitnessedCheckpoint {
            size,
            root: self.tree.root_at(size).unwrap(),
        })
    }

    fn decide(
        &self,
        request: &AddCheckpointRequest,
        stored: Option<WitnessedCheckpoint>,
    ) -> AddCheckpointOutcome {
        decide_add_checkpoint(request, Some(&self.keys), stored, &self.witness, NOW).unwrap()
    }
}

#[test]
fn a_first_checkpoint_then_a_consistent_one_are_cosigned() {
    let f = Fixture::new();
    let first = f.decide(&f.request(0, 5), None);
    let AddCheckpointOutcome::Cosigned {
        new_state,
        cosignatures,
    } = &first
    else {
        panic!("not cosigned: {first:?}");
    };
    assert_eq!(*new_state, f.state(5).unwrap());
    assert_eq!(first.status(), 200);
    // The log reads the answer's lines and a client opens the cosigned checkpoint with them.
    let lines = parse_cosignature_response(first.body().as_bytes()).unwrap();
    assert_eq!(&lines, cosignatures);
    let cosigned = format!("{}{}", f.signed(5), first.body());
    let witness_key = f.witness.verifier();
    let opened = open_note(&cosigned, &[&f.keys[0], &witness_key]).unwrap();
    assert_eq!(opened.verified.len(), 2);
    assert_eq!(
        witness_key.verify_cosignature(&opened.text, &lines[0]),
        Ok(NOW)
    );

    let second = f.decide(&f.request(5, 13), f.state(5));
    assert_eq!(second.status(), 200, "{}", second.body());
    // The same checkpoint again is cosigned again (an empty proof between equal sizes).
    assert_eq!(f.decide(&f.request(13, 13), f.state(13)).status(), 200);
    // And every older size to every newer one.
    for old in 1..=20 {
        for size in old..=20 {
            let outcome = f.decide(&f.request(old, size), f.state(old));
            assert_eq!(outcome.status(), 200, "{old} to {size}: {}", outcome.body());
        }
    }
}

#[test]
fn a_stale_old_size_is_a_conflict_that_tells_the_current_size() {
    let f = Fixture::new();
    let outcome = f.decide(&f.request(3, 13), f.state(5));
    assert_eq!(
        outcome,
        AddCheckpointOutcome::SizeConflict { current_size: 5 }
    );
    assert_eq!(outcome.status(), 409);
    assert_eq!(outcome.content_type(), SIZE_CONTENT_TYPE);
    assert_eq!(outcome.body(), "5\n");
    assert_eq!(parse_size_body(outcome.body().as_bytes()), Ok(5));
    // A log that does not know the witness's state asks with old 0 and learns it.
    let asked = f.decide(&f.request(0, 13), f.state(5));
    assert_eq!(asked.body(), "5\n");
    // A witness that never cosigned this log answers 0 to any other old size.
    assert_eq!(
        f.decide(&f.request(5, 13), None),
        AddCheckpointOutcome::SizeConflict { current_size: 0 }
    );
}

#[test]
fn rollbacks_and_forks_are_refused() {
    let f = Fixture::new();
    // A smaller checkpoint sent with the stored old size: old above size, a bad request.
    let rollback = AddCheckpointRequest::new(13, vec![], &f.signed(5)).unwrap();
    let outcome = f.decide(&rollback, f.state(13));
    assert_eq!(outcome.status(), 400);
    assert!(matches!(
        outcome,
        AddCheckpointOutcome::BadRequest(RequestError::OldSizeAboveCheckpoint { old: 13, size: 5 })
    ));
    // Sent with its own size as old: not the stored size.
    assert_eq!(f.decide(&f.request(5, 5), f.state(13)).status(), 409);
    // The same size with another root: a fork.
    let other = MemoryTree::from_leaves((0..5u8).map(|i| [i + 100])).unwrap();
    let forked = Checkpoint::new(ORIGIN, 5, other.root());
    let forked = sign_note(&forked.to_text().unwrap(), &f.log).unwrap();
    let request = AddCheckpointRequest::new(5, vec![], &forked).unwrap();
    let outcome = f.decide(&request, f.state(5));
    assert!(matches!(
        outcome,
        AddCheckpointOutcome::RootConflict { size: 5, .. }
    ));
    assert_eq!(outcome.status(), 409);
    assert_ne!(outcome.content_type(), SIZE_CONTENT_TYPE);
}

#[test]
fn a_proof_that_does_not_verify_is_unprocessable() {
    let f = Fixture::new();
    let mut request = f.request(5, 13);
    request.proof[0].0[0] ^= 1;
    let outcome = f.decide(&request, f.state(5));
    assert!(matches!(
        outcome,
        AddCheckpointOutcome::InconsistentProof(_)
    ));
    assert_eq!(outcome.status(), 422);
    // A proof from another tree, and a proof with old 0, are refused too.
    let other = MemoryTree::from_leaves((0..13u8).map(|i| [i + 1])).unwrap();
    let mut request = f.request(5, 13);
    request.proof = other.prove_tree(13, 5).unwrap();
    assert_eq!(f.decide(&request, f.state(5)).status(), 422);
    let mut request = f.request(0, 13);
    request.proof = vec![Hash::default()];
    assert_eq!(f.decide(&request, None).status(), 422);
    // The right proof against a stored root the log never had.
    let wrong_state = Some(WitnessedCheckpoint {
        size: 5,
        root: Hash([7; 32]),
    });
    assert_eq!(f.decide(&f.request(5, 13), wrong_state).status(), 422);
}

#[test]
fn unknown_logs_and_bad_signatures_are_refused() {
    let f = Fixture::new();
    let request = f.request(0, 5);
    let outcome = decide_add_checkpoint(&request, None, None, &f.witness, NOW).unwrap();
    assert_eq!(outcome, AddCheckpointOutcome::UnknownOrigin);
    assert_eq!(outcome.status(), 404);
    // Signed by a key the witness does not trust for this log.
    let stranger = NoteSigner::from_seed(ORIGIN, &[9; 32]).unwrap();
    let text = Checkpoint::new(ORIGIN, 5, f.tree.root_at(5).unwrap())
        .to_text()
        .unwrap();
    let request =
        AddCheckpointRequest::new(0, vec![], &sign_note(&text, &stranger).unwrap()).unwrap();
    assert_eq!(f.decide(&request, None).status(), 403);
    // Signed by the trusted key, but the signature is corrupted.
    let signed = f.signed(5);
    let mut note = specflow_tlog::Note::parse(&signed).unwrap();
    note.signatures[0].signature[0] ^= 1;
    let request = AddCheckpointRequest::new(0, vec![], &note.to_signed_text().unwrap()).unwrap();
    let outcome = f.decide(&request, None);
    assert!(matches!(outcome, AddCheckpointOutcome::Forbidden(_)));
    assert_eq!(outcome.status(), 403);
}

#[test]
fn an_empty_tree_is_cosigned_only_with_the_empty_root() {
    let f = Fixture::new();
    assert_eq!(f.decide(&f.request(0, 0), None).status(), 200);
    let wrong = Checkpoint::new(ORIGIN, 0, Hash::default())
        .to_text()
        .unwrap();
    let request =
        AddCheckpointRequest::new(0, vec![], &sign_note(&wrong, &f.log).unwrap()).unwrap();
    assert_eq!(f.decide(&request, None).status(), 422);
}

#[test]
fn a_timestamp_beyond_the_specification_is_the_witness_s_error() {
    let f = Fixture::new();
    assert!(
        decide_add_checkpoint(&f.request(0, 5), Some(&f.keys), None, &f.witness, u64::MAX).is_err()
    );
}

// The example request body of C2SP tlog-witness.
const SPEC_BODY: &str = "old 20852014
PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=
5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=
/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=

example.com/behind-the-sofa
20852163
CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
— example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=
";

#[test]
fn the_specification_example_request_parses_and_writes_back() {
    let request = AddCheckpointRequest::parse(SPEC_BODY.as_bytes()).unwrap();
    assert_eq!(request.old_size, 20852014);
    assert_eq!(request.proof.len(), 4);
    assert_eq!(request.origin(), "example.com/behind-the-sofa");
    assert_eq!(request.checkpoint().size, 20852163);
    assert_eq!(request.note().signatures.len(), 2);
    assert_eq!(request.to_body(), SPEC_BODY);
}

#[test]
fn malformed_request_bodies_are_refused() {
    let checkpoint = SPEC_BODY.split_once("\n\n").unwrap().1;
    let hash = "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=";
    let cases: Vec<(Vec<u8>, RequestError)> = vec![
        (b"\xff".to_vec(), RequestError::NotUtf8),
        (b"".to_vec(), RequestError::BadOldLine),
        (b"old 1".to_vec(), RequestError::BadOldLine),
        (
            format!("old 01\n\n{checkpoint}").into_bytes(),
            RequestError::BadOldLine,
        ),
        (
            format!("old -1\n\n{checkpoint}").into_bytes(),
            RequestError::BadOldLine,
        ),
        (
            format!("Old 1\n\n{checkpoint}").into_bytes(),
            RequestError::BadOldLine,
        ),
        (
            format!("old  1\n\n{checkpoint}").into_bytes(),
            RequestError::BadOldLine,
        ),
        (
            format!("old 1 \n\n{checkpoint}").into_bytes(),
            RequestError::BadOldLine,
        ),
        (
            format!("old 1\r\n\n{checkpoint}").into_bytes(),
            RequestError::BadOldLine,
        ),
        (
            format!("old 1\n{hash}\n").into_bytes(),
            RequestError::MissingBlankLine,
        ),
        (
            format!("old 1\nnot a hash\n\n{checkpoint}").into_bytes(),
            RequestError::BadProofLine { line: 1 },
        ),
        (
            format!("old 1\n{hash}\nAAAA\n\n{checkpoint}").into_bytes(),
            RequestError::BadProofLine { line: 2 },
        ),
        (
            format!(
                "old 1\n{}\n{checkpoint}",
                format!("{hash}\n").repeat(MAX_PROOF_LINES + 1)
            )
            .into_bytes(),
            RequestError::TooManyProofLines,
        ),
    ];
    for (body, error) in cases {
        assert_eq!(
            AddCheckpointRequest::parse(&body),
            Err(error),
            "{:?}",
            String::from_utf8_lossy(&body)
        );
    }
    // A body whose checkpoint part is not a signed note, or not a checkpoint.
    assert!(matches!(
        AddCheckpointRequest::parse(b"old 0\n\nexample.com/log\n1\n"),
        Err(RequestError::Note(_))
    ));
    assert!(matches!(
        AddCheckpointRequest::parse(
            "old 0\n\nexample.com/log\n01\nAAAA\n\n— k AAAAAAA=\n".as_bytes()
        ),
        Err(RequestError::Checkpoint(_))
    ));
    // Exactly 63 proof lines are allowed.
    let most = format!(
        "old 1\n{}\n{checkpoint}",
        format!("{hash}\n").repeat(MAX_PROOF_LINES)
    );
    assert_eq!(
        AddCheckpointRequest::parse(most.as_bytes())
            .unwrap()
            .proof
            .len(),
        63
    );
    assert!(AddCheckpointRequest::new(0, vec![Hash::default(); 64], checkpoint).is_err());
    // Size answers.
    for bad in ["", "5", "05\n", "5\n\n", "-5\n", " 5\n"] {
        assert_eq!(
            parse_size_body(bad.as_bytes()),
            Err(RequestError::BadSizeBody),
            "{bad:?}"
        );
    }
    assert!(parse_cosignature_response(b"").is_err());
    assert!(parse_cosignature_response(b"- w AAAAAAA=\n").is_err());
}

proptest! {
    #[test]
    fn parsing_arbitrary_bodies_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = AddCheckpointRequest::parse(&bytes);
        let _ = parse_size_body(&bytes);
        let _ = parse_cosignature_response(&bytes);
    }

    #[test]
    fn deciding_arbitrary_requests_never_panics(old in 0u64..25, size in 0u64..21, stored in proptest::option::of(0u64..21), proof_len in 0usize..8, seed in any::<u8>()) {
        let f = Fixture::new();
        let proof = (0..proof_len).map(|i| Hash([seed.wrapping_add(i as u8); 32])).collect();
        let request = AddCheckpointRequest::new(old, proof, &f.signed(size)).unwrap();
        let outcome = f.decide(&request, stored.map(|s| f.state(s).unwrap()));
        // Whatever the request, the witness never cosigns a checkpoint that does not extend
        // what it stored.
        if let AddCheckpointOutcome::Cosigned { new_state, .. } = outcome {
            prop_assert!(new_state.size >= stored.unwrap_or(0));
        }
    }

    #[test]
    fn requests_round_trip(old in 0u64..20, size in 0u64..21) {
        let f = Fixture::new();
        prop_assume!(old <= size);
        let request = f.request(old, size);
        prop_assert_eq!(AddCheckpointRequest::parse(request.to_body().as_bytes()).unwrap(), request);
    }
}

proptest! {
    /// A valid request with bytes changed, inserted or removed is refused or, if still valid,
    /// cosigned only when it extends what the witness stored: never a panic, never a cosignature
    /// of a checkpoint the log did not sign.
    #[test]
    fn mangled_requests_never_panic_or_cosign_what_was_not_signed(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4),
    ) {
        let f = Fixture::new();
        let mut body = f.request(5, 13).to_body().into_bytes();
        for (at, byte, kind) in edits {
            match kind {
                0 if !body.is_empty() => { let i = at.index(body.len()); body[i] = byte; }
                1 => { let i = at.index(body.len() + 1); body.insert(i, byte); }
                _ if !body.is_empty() => { let i = at.index(body.len()); body.remove(i); }
                _ => {}
            }
        }
        let Ok(request) = AddCheckpointRequest::parse(&body) else { return Ok(()); };
        let outcome = f.decide(&request, f.state(5));
        if let AddCheckpointOutcome::Cosigned { new_state, cosignatures } = outcome {
            prop_assert!(new_state.size >= 5);
            prop_assert_eq!(new_state.root, f.tree.root_at(new_state.size).unwrap());
            let witness_key = f.witness.verifier();
            prop_assert!(witness_key.verify_cosignature(&request.note().text, &cosignatures[0]).is_ok());
            prop_assert!(open_note(request.signed_checkpoint(), &[&f.keys[0]]).is_ok());
        }
    }
}
