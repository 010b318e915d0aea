//! The `query` fuzz target: see [`specflow_fuzz::query`].

fn main() {
    afl::fuzz!(|data: &[u8]| {
        specflow_fuzz::query(data);
    });
}
