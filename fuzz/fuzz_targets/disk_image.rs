#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hashsweep_fuzz::disk_image(data));
