//! The command grammar on any line, as bytes and as UTF-8: parsing never panics,
//! an error draws with its caret, and what the prompt does while typing (hint,
//! highlighting, completion) takes the same line. The whole input is also parsed
//! as a script, its errors drawn. The first byte picks the template's stack.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rawlab_fuzz::command::run(data));
