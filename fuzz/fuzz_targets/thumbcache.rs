#![no_main]

libfuzzer_sys::fuzz_target!(
    init: hashsweep_fuzz::log_contained_panics(),
    |data: &[u8]| hashsweep_fuzz::thumbcache(data)
);
