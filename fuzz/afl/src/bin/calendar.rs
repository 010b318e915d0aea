//! The `calendar` fuzz target: see [`specflow_fuzz::calendar`].

fn main() {
    afl::fuzz!(|data: &[u8]| {
        specflow_fuzz::calendar(data);
    });
}
