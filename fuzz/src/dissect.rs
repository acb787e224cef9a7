//! The dissector, from any first layer (Ethernet, IPv4 and IPv6 as sockets and
//! capture files hand them over, and every other table as a quote or a stack may
//! start one), with the dump and JSON drawn from it. ICMP errors quoting packets
//! come from the IP layers' bytes. The first byte picks the first layer.
use rawlab::render::Dump;
use rawlab::wire::PROTOCOLS;

/// One input of the `dissect` target.
pub fn run(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let first = PROTOCOLS[usize::from(pick) % PROTOCOLS.len()];
    crate::show(&Dump::new("#1".into(), bytes, first));
}
