//! The `comment_table` fuzz target: see [`specflow_fuzz::comment_table`].

fn main() {
    afl::fuzz!(|data: &[u8]| {
        specflow_fuzz::comment_table(data);
    });
}
