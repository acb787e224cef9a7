//! Build → dissect on arbitrary template edits: a stack from those `new` offers, any
//! fields set to any value that fits (as `set` does after the parser's width check),
//! options set as bytes, any payload. The built bytes dissect back with every field
//! that was set holding its value, the options' bytes where they were put, and every
//! field rawlab computed (lengths, checksums) verifying, unless an edit put the layout
//! in doubt.
#![no_main]

libfuzzer_sys::fuzz_target!(|e: rawlab_fuzz::roundtrip::Edits| rawlab_fuzz::roundtrip::run(e));
