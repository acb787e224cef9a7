//! The dissector, from any first layer (Ethernet, IPv4 and IPv6 as sockets and
//! capture files hand them over, and every other table as a quote or a stack may
//! start one), with the dump and JSON drawn from it. ICMP errors quoting packets
//! come from the IP layers' bytes. The first byte picks the first layer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rawlab_fuzz::dissect::run(data));
