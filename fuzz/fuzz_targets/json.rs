//! A packet as the dissect target takes it, written as JSON.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rawlab_fuzz::dissect::run_json(data));
