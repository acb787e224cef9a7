//! The dissector, from any first layer (Ethernet, IPv4 and IPv6 as sockets and
//! capture files hand them over, and every other table as a quote or a stack may
//! start one). ICMP errors quoting packets come from the IP layers' bytes. The first
//! byte picks the first layer. Three targets share the input: `dissect` takes the
//! packet apart and audits it (fast, so it runs millions of inputs), `dump` draws it
//! too and `json` writes its JSON, each the slow half of `show` alone.
use rawlab::render::Dump;
use rawlab::wire::PROTOCOLS;

/// The input as a packet: its first byte picks the first layer.
fn packet(data: &[u8]) -> Option<Dump<'_>> {
    let (&pick, bytes) = data.split_first()?;
    let first = PROTOCOLS[usize::from(pick) % PROTOCOLS.len()];
    Some(Dump::new("#1".into(), bytes, first))
}

/// One input of the `dissect` target: taken apart and audited.
pub fn run(data: &[u8]) {
    if let Some(d) = packet(data) {
        crate::take_apart(&d);
    }
}

/// One input of the `dump` target: audited and drawn, plain and in colour.
pub fn run_dump(data: &[u8]) {
    if let Some(d) = packet(data) {
        crate::audit(&d);
        crate::draw(&d);
    }
}

/// One input of the `json` target: audited and written as JSON.
pub fn run_json(data: &[u8]) {
    if let Some(d) = packet(data) {
        let dis = crate::audit(&d);
        crate::json(&d, &dis);
    }
}
