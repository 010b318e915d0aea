//! The `command` fuzz target: see [`specflow_fuzz::command`].

fn main() {
    afl::fuzz!(|data: &[u8]| {
        specflow_fuzz::command(data);
    });
}
