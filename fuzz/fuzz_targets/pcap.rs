//! The capture-file reader (pcap and pcapng, as `rawlab read -` takes them from a
//! pipe): every packet it hands over is taken apart after its link header and the
//! dissection audited, and the first few drawn as `rawlab read` draws them, as text
//! and as a JSON line.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rawlab_fuzz::pcap::run(data));
