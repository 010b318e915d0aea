//! The `comment_table` fuzz target: see [`specflow_fuzz::comment_table`].
//!
//! `fuzz_nohook!`, not `fuzz!`: `fuzz!` installs a panic hook that aborts at the first panic,
//! even one specflow catches. calamine's cell-reference arithmetic overflows on hostile XLSX
//! (cargo afl builds every crate with overflow checks), and specflow's reader turns that panic
//! into an unreadable file (`CommentTable::from_xlsx`). Without the hook, only a panic that
//! escapes specflow's guard reaches afl's own `catch_unwind` and becomes a crash.

fn main() {
    afl::fuzz_nohook!(|data: &[u8]| {
        specflow_fuzz::comment_table(data);
    });
}
