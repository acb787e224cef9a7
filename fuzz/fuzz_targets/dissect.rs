//! The dissector, from any first layer, audited: see `rawlab_fuzz::dissect`. The
//! `dump` and `json` targets draw the same input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rawlab_fuzz::dissect::run(data));
