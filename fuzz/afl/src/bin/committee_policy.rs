//! The `committee_policy` fuzz target: see [`specflow_fuzz::committee_policy`].

fn main() {
    afl::fuzz!(|data: &[u8]| {
        specflow_fuzz::committee_policy(data);
    });
}
