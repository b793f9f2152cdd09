//! The fuzz budget: `P11_FUZZ_CASES=N` raises every fuzzer's case count
//! for a longer session; CI runs the defaults.

pub fn cases(default: u32) -> u32 {
    std::env::var("P11_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
