//! A packet as the dissect target takes it, drawn as the dump plain and in colour.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rawlab_fuzz::dissect::run_dump(data));
