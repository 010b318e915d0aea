//! The `definition` fuzz target: see [`specflow_fuzz::definition`].

fn main() {
    afl::fuzz!(|data: &[u8]| {
        specflow_fuzz::definition(data);
    });
}
