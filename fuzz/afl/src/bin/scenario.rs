//! The `scenario` fuzz target: see [`specflow_fuzz::scenario`].

fn main() {
    afl::fuzz!(|data: &[u8]| {
        specflow_fuzz::scenario(data);
    });
}
