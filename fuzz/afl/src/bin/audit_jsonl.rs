//! The `audit_jsonl` fuzz target: see [`specflow_fuzz::audit_jsonl`].

fn main() {
    afl::fuzz!(|data: &[u8]| {
        specflow_fuzz::audit_jsonl(data);
    });
}
