//! TCP (RFC 9293): the header a raw socket can craft but the kernel's own TCP
//! answers, and its options (RFC 9293 §3.2, RFC 7323, RFC 2018).
//!
//! The tables below are the only place a TCP field's position is written. The
//! flags are one 12-bit group over their bits, as Wireshark shows `tcp.flags`
//! (0x0002 for a SYN). Options are set as bytes (`tcp.options`) and shown one
//! by one. The checksum covers a pseudo-header from the IP layer around it.

use super::push_dec;
use super::{
    Building, Entries, Expected, Field, Fill, Kind, OptionKind, OptionList, Pairing, Protocol,
    Scope, Tail, TailSpec, checksum,
};
use std::fmt::Write as _;

pub static SRCPORT: Field = Field {
    aliases: &["sport", "source_port"],
    default: 40000,
    meaning: "source port: the sender's end of the connection",
    rfc: "RFC 9293 §3.1",
    notes: "A reply comes back to this port. When rawlab sends a SYN from a port no socket owns, the SYN-ACK that comes back finds nobody there, and the kernel answers it with a RST: watch for it.",
    ..Field::new("tcp.srcport", 0, 16, Kind::Dec)
};

pub static DSTPORT: Field = Field {
    aliases: &["dport", "destination_port"],
    default: 80,
    meaning: "destination port: the service the segment is for",
    rfc: "RFC 9293 §3.1",
    notes: "If nothing listens on it, the receiving kernel answers a SYN with RST+ACK (ack = your seq + 1); if something does, with SYN+ACK.",
    ..Field::new("tcp.dstport", 16, 16, Kind::Dec)
};

pub static SEQ: Field = Field {
    aliases: &["seq", "tcp.seq", "sequence"],
    meaning: "sequence number of the first data byte (of the SYN itself, in a SYN)",
    rfc: "RFC 9293 §3.1, §3.4",
    notes: "Raw, as on the wire (Wireshark's tcp.seq is relative to the first one it saw; tcp.seq_raw is this). A SYN spends one number, so the answer acknowledges seq + 1.",
    ..Field::new("tcp.seq_raw", 32, 32, Kind::Dec)
};

pub static ACK: Field = Field {
    aliases: &["ack_num", "tcp.ack", "acknowledgment"],
    meaning: "acknowledgment number: the next sequence number the sender expects",
    rfc: "RFC 9293 §3.1",
    notes: "Meaningful only with the ACK flag set. Raw, as on the wire (Wireshark's tcp.ack is relative).",
    ..Field::new("tcp.ack_raw", 64, 32, Kind::Dec)
};

pub static HDR_LEN: Field = Field {
    aliases: &["data_offset", "doff"],
    scale: 4,
    unit: "bytes",
    default: 5,
    fill: Fill::Computed,
    meaning: "header length (data offset): 32-bit words on the wire, shown in bytes",
    rfc: "RFC 9293 §3.1",
    notes: "The high nibble of byte 12, so 5 means 20 bytes and 15 the largest, 60 bytes, 40 of them options. rawlab computes it from tcp.options; set it to see a receiver read the header wrong (below 5, Linux drops the segment).",
    ..Field::new("tcp.hdr_len", 96, 4, Kind::Dec)
};

/// Common flag combinations, by the names users type (`set tcp.flags syn-ack`).
pub const FLAG_NAMES: &[(u128, &str)] = &[
    (0x001, "fin"),
    (0x002, "syn"),
    (0x004, "rst"),
    (0x008, "psh"),
    (0x010, "ack"),
    (0x011, "fin-ack"),
    (0x012, "syn-ack"),
    (0x014, "rst-ack"),
    (0x018, "psh-ack"),
    (0x019, "fin-psh-ack"),
    (0x029, "xmas"),
];

pub static FLAGS: Field = Field {
    group: true,
    names: FLAG_NAMES,
    meaning: "flags: reserved, AE, CWR, ECE, URG, ACK, PSH, RST, SYN, FIN",
    rfc: "RFC 9293 §3.1, RFC 3168, RFC 9768",
    notes: "Twelve bits after the data offset. Set them one by one (`set syn 1`, `set ack 1`) or together: by a name (`set tcp.flags syn-ack`), a list as nping takes it (`syn,ack` or `syn|ack`), Scapy's letters (`SA`: FSRPAUECN) or a number (`0x012`).",
    ..Field::new("tcp.flags", 100, 12, Kind::Hex)
};

pub static FLAG_RES: Field = Field {
    meaning: "reserved bits: must be zero",
    rfc: "RFC 9293 §3.1",
    notes: "Three bits once part of a six-bit reserved field; receivers ignore them.",
    ..Field::new("tcp.flags.res", 100, 3, Kind::Dec)
};

pub static FLAG_AE: Field = Field {
    aliases: &["ae", "ns", "tcp.flags.ns"],
    meaning: "accurate ECN (once the ECN nonce, NS)",
    rfc: "RFC 9768 (formerly RFC 3540)",
    notes: "Used by Accurate ECN negotiation; Wireshark called it tcp.flags.ns before 4.0.",
    ..Field::new("tcp.flags.ae", 103, 1, Kind::Flag)
};

pub static FLAG_CWR: Field = Field {
    meaning: "congestion window reduced: the sender slowed down after an ECE",
    rfc: "RFC 3168 §6.1",
    notes: "With ECE on a SYN it asks to use ECN on the connection.",
    ..Field::new("tcp.flags.cwr", 104, 1, Kind::Flag)
};

pub static FLAG_ECE: Field = Field {
    meaning: "ECN echo: the receiver saw a congestion mark",
    rfc: "RFC 3168 §6.1",
    notes: "On a SYN (with CWR) it offers ECN; later it reports packets that arrived marked CE.",
    ..Field::new("tcp.flags.ece", 105, 1, Kind::Flag)
};

pub static FLAG_URG: Field = Field {
    meaning: "urgent: the urgent pointer is meaningful",
    rfc: "RFC 9293 §3.1",
    notes: "Rarely used (telnet's interrupt); see tcp.urgent_pointer.",
    ..Field::new("tcp.flags.urg", 106, 1, Kind::Flag)
};

pub static FLAG_ACK: Field = Field {
    meaning: "acknowledgment: tcp.ack_raw is meaningful",
    rfc: "RFC 9293 §3.1",
    notes: "Set on every segment of a connection after the first SYN.",
    ..Field::new("tcp.flags.ack", 107, 1, Kind::Flag)
};

pub static FLAG_PUSH: Field = Field {
    aliases: &["psh", "push"],
    meaning: "push: hand the data to the application now",
    rfc: "RFC 9293 §3.1",
    notes: "Linux sets it on the last segment of each write.",
    ..Field::new("tcp.flags.push", 108, 1, Kind::Flag)
};

pub static FLAG_RESET: Field = Field {
    aliases: &["rst", "reset"],
    meaning: "reset: abort the connection (or refuse it)",
    rfc: "RFC 9293 §3.1, §3.5.2",
    notes: "A kernel answers a SYN to a port nobody listens on with RST+ACK, and any segment for a connection it does not know with RST.",
    ..Field::new("tcp.flags.reset", 109, 1, Kind::Flag)
};

pub static FLAG_SYN: Field = Field {
    aliases: &["syn"],
    default: 1,
    meaning: "synchronize: open a connection, starting at this sequence number",
    rfc: "RFC 9293 §3.1, §3.5",
    notes: "The first segment of the three-way handshake. rawlab's TCP template is a SYN.",
    ..Field::new("tcp.flags.syn", 110, 1, Kind::Flag)
};

pub static FLAG_FIN: Field = Field {
    aliases: &["fin"],
    meaning: "finish: the sender has no more data",
    rfc: "RFC 9293 §3.1, §3.6",
    notes: "Closes one direction of a connection; it spends one sequence number, like SYN.",
    ..Field::new("tcp.flags.fin", 111, 1, Kind::Flag)
};

pub static WINDOW: Field = Field {
    aliases: &["window", "win", "window_size"],
    default: 64240,
    // No unit: after the handshake the value is in units of 2^shift bytes (the
    // sender's window scale), which one segment alone does not say.
    unit: "",
    meaning: "receive window as sent: bytes in a SYN, after it 2^shift-byte units (window scale)",
    rfc: "RFC 9293 §3.1, RFC 7323 §2",
    notes: "The raw value: after the handshake it is multiplied by 2^shift of the window scale option (Wireshark's tcp.window_size is the scaled one). 64240 is what Linux offers in a SYN on Ethernet.",
    ..Field::new("tcp.window_size_value", 112, 16, Kind::Dec)
};

pub static CHECKSUM: Field = Field {
    fill: Fill::Computed,
    meaning: "checksum over a pseudo-header (IP addresses, protocol, length) and the segment",
    rfc: "RFC 9293 §3.1, RFC 1071",
    notes: "rawlab computes it with the addresses of the IP header around it. The kernel does not fix it on a raw send, and drops a segment whose checksum is wrong without a word. If ip.src is left 0.0.0.0 for the kernel to fill, the checksum covers 0.0.0.0 and is wrong once the kernel writes the real source: set ip.src.",
    ..Field::new("tcp.checksum", 128, 16, Kind::Hex)
};

pub static URGENT_POINTER: Field = Field {
    aliases: &["urgent", "urg_ptr"],
    meaning: "urgent pointer: where urgent data ends, as an offset from seq",
    rfc: "RFC 9293 §3.1, RFC 6093",
    notes: "Read only when URG is set. RFC 6093 advises new applications not to use it.",
    ..Field::new("tcp.urgent_pointer", 144, 16, Kind::Dec)
};

pub static OPTIONS: Field = Field {
    meaning: "options: MSS, window scale, SACK, timestamps, in 32-bit words",
    rfc: "RFC 9293 §3.2",
    notes: "Up to 40 bytes after the fixed header, a multiple of 4; rawlab grows tcp.hdr_len to cover them. Linux's SYN carries `020405b4 0402 080a…` (MSS 1460, SACK permitted, timestamps, window scale). Try `set tcp.options 020405b4`.",
    ..Field::new("tcp.options", 160, 0, Kind::Bytes)
};

// Options: offsets count from the option's first byte, its kind.

/// TCP option kinds (IANA), by the names the dump uses.
pub const OPTION_NAMES: &[(u128, &str)] = &[
    (0, "eol"),
    (1, "nop"),
    (2, "mss"),
    (3, "wscale"),
    (4, "sack_perm"),
    (5, "sack"),
    (8, "timestamp"),
    (19, "md5"),
    (28, "user-timeout"),
    (29, "tcp-ao"),
    (30, "mptcp"),
    (34, "tfo"),
    (253, "experiment-253"),
    (254, "experiment-254"),
];

pub static OPT_KIND: Field = Field {
    names: OPTION_NAMES,
    meaning: "option kind: which option this is",
    rfc: "RFC 9293 §3.2",
    notes: "0 ends the list and 1 is a no-operation used to align the next option; both are one byte. Every other kind has a length byte next.",
    ..Field::new("tcp.option_kind", 0, 8, Kind::Dec)
};

pub static OPT_LEN: Field = Field {
    unit: "bytes",
    meaning: "option length in bytes, kind and length included",
    rfc: "RFC 9293 §3.2",
    notes: "At least 2. A length that runs past the header, or below 2, makes the receiver drop the segment.",
    ..Field::new("tcp.option_len", 8, 8, Kind::Dec)
};

pub static MSS_VAL: Field = Field {
    aliases: &["mss"],
    unit: "bytes",
    meaning: "maximum segment size: the most data the sender takes in one segment",
    rfc: "RFC 9293 §3.7.1",
    notes: "Sent only on a SYN. Linux offers the interface MTU less 40 bytes of headers: 1460 on Ethernet, 65495 on lo.",
    ..Field::new("tcp.options.mss_val", 16, 16, Kind::Dec)
};

pub static WSCALE_SHIFT: Field = Field {
    aliases: &["wscale"],
    meaning: "window scale: the sender's window counts in units of 2^shift bytes",
    rfc: "RFC 7323 §2",
    notes: "Sent only on a SYN, used only if both sides send it. At most 14.",
    ..Field::new("tcp.options.wscale.shift", 16, 8, Kind::Dec)
};

pub static SACK_LE: Field = Field {
    meaning: "SACK left edge: first sequence number of a block received",
    rfc: "RFC 2018 §3",
    notes: "Selective acknowledgment: a block of data that arrived after a gap.",
    ..Field::new("tcp.options.sack_le", 0, 32, Kind::Dec)
};

pub static SACK_RE: Field = Field {
    meaning: "SACK right edge: one past the last sequence number of the block",
    rfc: "RFC 2018 §3",
    notes: "The block is [left edge, right edge).",
    ..Field::new("tcp.options.sack_re", 32, 32, Kind::Dec)
};

pub static TSVAL: Field = Field {
    meaning: "timestamp value: the sender's clock when it sent this",
    rfc: "RFC 7323 §3",
    notes: "Linux's clock here ticks in milliseconds from a random offset per connection.",
    ..Field::new("tcp.options.timestamp.tsval", 16, 32, Kind::Dec)
};

pub static TSECR: Field = Field {
    meaning: "timestamp echo reply: the peer's latest timestamp value, echoed",
    rfc: "RFC 7323 §3",
    notes: "0 on a SYN; the receiver of the echo measures the round trip from it.",
    ..Field::new("tcp.options.timestamp.tsecr", 48, 32, Kind::Dec)
};

pub static OPT_PADDING: Field = Field {
    meaning: "padding after the end of the option list",
    rfc: "RFC 9293 §3.2",
    notes: "Fills the header to a multiple of 4 bytes; should be zeros.",
    ..Field::new("tcp.options.padding", 0, 0, Kind::Bytes)
};

pub static OPT_UNKNOWN: Field = Field {
    meaning: "option data rawlab does not take apart",
    rfc: "RFC 9293 §3.2, IANA TCP option kinds",
    notes: "The bytes of an option rawlab has no table for (TCP Fast Open, MPTCP, MD5), or of a list that could not be read on.",
    ..Field::new("tcp.options.unknown.payload", 0, 0, Kind::Bytes)
};

static SACK_BLOCKS: Entries = Entries {
    from: 2,
    fields: &[(0, &SACK_LE), (0, &SACK_RE)],
    stride: 8,
    empty: None,
};

pub static OPTION_LIST: OptionList = OptionList {
    kind: &[&OPT_KIND],
    len: &OPT_LEN,
    len_scale: 1,
    len_add: 0,
    min_len: 2,
    single: &[0, 1],
    end: Some(0),
    padding: Some(&OPT_PADDING),
    kinds: &[
        OptionKind::new(2, &[&MSS_VAL], Some(4)),
        OptionKind::new(3, &[&WSCALE_SHIFT], Some(3)),
        OptionKind::new(4, &[], Some(2)),
        OptionKind {
            entries: Some(|_| &SACK_BLOCKS),
            all_entries: &[&SACK_BLOCKS],
            ..OptionKind::new(5, &[], None)
        },
        OptionKind::new(8, &[&TSVAL, &TSECR], Some(10)),
    ],
    unknown: &OPT_UNKNOWN,
    named: &[],
};

static OPTIONS_TAIL: TailSpec = TailSpec {
    field: &OPTIONS,
    unit: 4,
    max_header: 60,
    default: &[],
    pad: "pad with 01 (no-operation) before an option, or 00 (end of options) at the end",
    format: |_| Tail::Options(&OPTION_LIST),
    formats: &[Tail::Options(&OPTION_LIST)],
};

pub static FIELDS: &[&Field] = &[
    &SRCPORT,
    &DSTPORT,
    &SEQ,
    &ACK,
    &HDR_LEN,
    &FLAGS,
    &FLAG_RES,
    &FLAG_AE,
    &FLAG_CWR,
    &FLAG_ECE,
    &FLAG_URG,
    &FLAG_ACK,
    &FLAG_PUSH,
    &FLAG_RESET,
    &FLAG_SYN,
    &FLAG_FIN,
    &WINDOW,
    &CHECKSUM,
    &URGENT_POINTER,
];

pub static TCP: Protocol = Protocol {
    name: "tcp",
    aliases: &[],
    title: "TCP",
    fields: FIELDS,
    tail: Some(&OPTIONS_TAIL),
    fixed_len: 20,
    header_len: |b| HDR_LEN.get(b) as usize * 4,
    len_field: Some(&HDR_LEN),
    ids: &[("ip", 6)],
    summary,
    pairing: Some(pairing),
    fill,
    expected,
    ..Protocol::BASE
};

/// The flags in the order tcpdump prints them, with the letters it uses.
const FLAG_LETTERS: [(&Field, &str); 8] = [
    (&FLAG_SYN, "S"),
    (&FLAG_FIN, "F"),
    (&FLAG_RESET, "R"),
    (&FLAG_PUSH, "P"),
    (&FLAG_ACK, "."),
    (&FLAG_URG, "U"),
    (&FLAG_ECE, "E"),
    (&FLAG_CWR, "W"),
];

/// `TCP 40000 → 80 [S] seq 0 win 64240`; a quote of 8 bytes has ports and seq only.
fn summary(b: &[u8], s: &mut String) {
    if b.len() < 4 {
        let _ = write!(s, "TCP (cut short at {} bytes)", b.len());
        return;
    }
    super::push_ends(s, "TCP", &SRCPORT, &DSTPORT, b);
    if b.len() >= FLAGS.end_byte() {
        s.push_str(" [");
        s.extend(
            FLAG_LETTERS
                .iter()
                .filter(|(f, _)| f.get(b) == 1)
                .map(|(_, l)| *l),
        );
        s.push(']');
    }
    if b.len() >= SEQ.end_byte() {
        s.push_str(" seq ");
        push_dec(s, SEQ.get(b));
    }
    if b.len() >= WINDOW.end_byte() {
        if FLAG_ACK.get(b) == 1 {
            s.push_str(" ack ");
            push_dec(s, ACK.get(b));
        }
        s.push_str(" win ");
        push_dec(s, WINDOW.get(b));
    }
}

/// A SYN pairs with the SYN-ACK or RST that answers it: the answer swaps the ports and
/// acknowledges seq + 1.
fn pairing(b: &[u8]) -> Option<Pairing> {
    let (sport, dport) = (SRCPORT.get(b) as u64, DSTPORT.get(b) as u64);
    let (syn, ack, rst) = (FLAG_SYN.get(b), FLAG_ACK.get(b), FLAG_RESET.get(b));
    let (client, server, next, is_request) = match (syn, ack, rst) {
        (1, 0, 0) => (sport, dport, (SEQ.get(b) as u32).wrapping_add(1), true),
        (1, 1, 0) | (0, 1, 1) => (dport, sport, ACK.get(b) as u32, false),
        _ => return None,
    };
    Some(Pairing {
        flow: client << 16 | server,
        key: client << 48 | server << 32 | next as u64,
        is_request,
        reverse: None,
    })
}

/// The checksum a segment should carry, given its pseudo-header sum.
pub fn segment_checksum(segment: &[u8], pseudo: u32) -> u16 {
    !checksum::sum_zeroed(segment, pseudo, CHECKSUM.first_byte()..CHECKSUM.end_byte())
}

/// The header length from the options, then the checksum over the finished segment,
/// each unless the user set it.
fn fill(b: &mut Building) {
    let (is_set, hdr_len) = (b.is_set, b.hdr_len);
    if !is_set(&HDR_LEN) {
        HDR_LEN.set(b.layer(), (hdr_len / 4).min(15) as u128);
    }
    b.fill_pseudo_checksum(&TCP, &CHECKSUM, segment_checksum);
}

/// The checksum can be verified only with the whole segment and an IP layer around it.
fn expected(s: &Scope) -> Vec<Expected> {
    s.pseudo_checksum(&TCP, &CHECKSUM, segment_checksum)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::wire::dissect::dissect;
    use crate::wire::{Verdict, ipv4};

    /// A SYN from Linux to 127.0.0.1:80 (nothing listening), as tcpdump saw it on lo.
    pub const SYN: [u8; 60] = [
        0x45, 0x00, 0x00, 0x3c, 0x9a, 0xfd, 0x40, 0x00, 0x40, 0x06, 0xa1, 0xbc, 0x7f, 0x00, 0x00,
        0x01, 0x7f, 0x00, 0x00, 0x01, // IPv4
        0x9c, 0x40, 0x00, 0x50, 0xbf, 0x25, 0xcc, 0x4e, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xff,
        0xd7, 0xfe, 0x30, 0x00, 0x00, // TCP
        0x02, 0x04, 0xff, 0xd7, 0x04, 0x02, 0x08, 0x0a, 0xc0, 0x30, 0x78, 0xc3, 0x00, 0x00, 0x00,
        0x00, 0x01, 0x03, 0x03, 0x0a, // options
    ];

    /// The kernel's answer on lo: RST+ACK, ack = seq + 1.
    pub const RST: [u8; 40] = [
        0x45, 0x00, 0x00, 0x28, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0x3c, 0xce, 0x7f, 0x00, 0x00,
        0x01, 0x7f, 0x00, 0x00, 0x01, // IPv4
        0x00, 0x50, 0x9c, 0x40, 0x00, 0x00, 0x00, 0x00, 0xbf, 0x25, 0xcc, 0x4f, 0x50, 0x14, 0x00,
        0x00, 0x89, 0xc8, 0x00, 0x00, // TCP
    ];

    #[test]
    fn getters_on_known_bytes() {
        let b = &SYN[20..];
        assert_eq!(SRCPORT.get(b), 40000);
        assert_eq!(DSTPORT.get(b), 80);
        assert_eq!(SEQ.get(b), 0xbf25_cc4e);
        assert_eq!(ACK.get(b), 0);
        assert_eq!(HDR_LEN.get(b), 10);
        assert_eq!(HDR_LEN.words(10), "40 bytes (10 × 4)");
        assert_eq!(FLAGS.get(b), 0x002);
        assert_eq!(FLAGS.words(0x002), "0x0002 (syn)");
        assert_eq!(FLAG_SYN.get(b), 1);
        assert_eq!(FLAG_ACK.get(b), 0);
        assert_eq!(WINDOW.get(b), 65495);
        assert_eq!(CHECKSUM.get(b), 0xfe30);
        assert_eq!(URGENT_POINTER.get(b), 0);
        assert_eq!(
            TCP.summary_text(b),
            "TCP 40000 → 80 [S] seq 3206925390 win 65495"
        );
    }

    #[test]
    fn setters_touch_only_their_bits() {
        let mut b = [0xa5u8; 20];
        SRCPORT.set(&mut b, 0x0102);
        DSTPORT.set(&mut b, 0x0304);
        SEQ.set(&mut b, 0x0506_0708);
        ACK.set(&mut b, 0x090a_0b0c);
        HDR_LEN.set(&mut b, 5);
        FLAG_RES.set(&mut b, 0);
        FLAG_AE.set(&mut b, 1);
        FLAG_CWR.set(&mut b, 0);
        FLAG_ECE.set(&mut b, 0);
        FLAG_URG.set(&mut b, 0);
        FLAG_ACK.set(&mut b, 1);
        FLAG_PUSH.set(&mut b, 0);
        FLAG_RESET.set(&mut b, 0);
        FLAG_SYN.set(&mut b, 1);
        FLAG_FIN.set(&mut b, 0);
        WINDOW.set(&mut b, 0x0d0e);
        CHECKSUM.set(&mut b, 0x0f10);
        URGENT_POINTER.set(&mut b, 0x1112);
        assert_eq!(
            b,
            [
                1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x51, 0x12, 0x0d, 0x0e, 0x0f, 0x10, 0x11,
                0x12
            ]
        );
        assert_eq!(FLAGS.get(&b), 0x112);
        let mut b = [0xa5u8; 20];
        FLAGS.set(&mut b, 0x012);
        assert_eq!(&b[12..14], [0xa0, 0x12], "the data offset nibble is kept");
    }

    #[test]
    fn a_real_syn_dissects_with_its_options_and_checksum() {
        let d = dissect(&SYN, &ipv4::IPV4);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert_eq!(d.stack_name(), "ip/tcp");
        assert_eq!(d.value(&SYN, &MSS_VAL), Some(65495));
        assert_eq!(d.value(&SYN, &TSVAL), Some(0xc030_78c3));
        assert_eq!(d.value(&SYN, &WSCALE_SHIFT), Some(10));
        let tcp = &d.layers[1];
        let kinds: Vec<u128> = tcp.items.iter().map(|i| i.fields[0].get(&SYN)).collect();
        assert_eq!(kinds, [2, 4, 8, 1, 3]);
        // Captured on lo, the kernel's own SYN carries only the pseudo-header sum.
        let e = &expected(&d.scope(1, &SYN))[0];
        assert_eq!((e.want, e.verdict(0xfe30)), (0xef05, Verdict::Offloaded));
        assert!(pairing(&SYN[20..]).unwrap().is_request);
    }

    #[test]
    fn a_syn_and_the_rst_that_refuses_it_pair_up() {
        let syn = pairing(&SYN[20..]).unwrap();
        let reply = pairing(&RST[20..]).unwrap();
        assert_eq!((reply.key, reply.is_request), (syn.key, false));
        let d = dissect(&RST, &ipv4::IPV4);
        let e = &expected(&d.scope(1, &RST))[0];
        assert_eq!((e.want, e.verdict(0x89c8)), (0x89c8, Verdict::Correct));
        assert_eq!(
            TCP.summary_text(&RST[20..]),
            "TCP 80 → 40000 [R.] seq 0 ack 3206925391 win 0"
        );
        let mut rst = RST[20..].to_vec();
        FLAGS.set(&mut rst, 0x010);
        assert_eq!(pairing(&rst), None, "a plain ACK answers no SYN");
    }

    #[test]
    fn sack_blocks_are_entries() {
        let mut p = SYN[..40].to_vec();
        p.extend([1, 1, 5, 18]);
        p.extend([0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 40]);
        p.extend([0, 0]);
        p[3] = p.len() as u8;
        p[32] = 0xa0;
        let d = dissect(&p, &ipv4::IPV4);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        let sack = &d.layers[1].items[2];
        let edges: Vec<(&str, u128)> = sack
            .fields
            .iter()
            .map(|f| (f.field.name, f.get(&p)))
            .collect();
        assert_eq!(
            edges,
            [
                ("tcp.option_kind", 5),
                ("tcp.option_len", 18),
                ("tcp.options.sack_le", 10),
                ("tcp.options.sack_re", 20),
                ("tcp.options.sack_le", 30),
                ("tcp.options.sack_re", 40),
            ]
        );
        // A block cut short is left over, and said so.
        p[43] = 14;
        let d = dissect(&p, &ipv4::IPV4);
        assert_eq!(
            d.problems[0].what,
            "the last entry needs 8 bytes, but only 4 remain"
        );
    }

    #[test]
    fn option_lengths_that_lie() {
        let with = |opts: &[u8]| {
            let mut p = SYN[..40].to_vec();
            p.extend(opts);
            p[3] = p.len() as u8;
            p[32] = ((p.len() - 20) / 4 * 16) as u8;
            let d = dissect(&p, &ipv4::IPV4);
            (d.problems.clone(), d)
        };
        let (problems, d) = with(&[0x02, 0x00, 0x01, 0x01]);
        assert_eq!(
            problems[0].what,
            "tcp.option_len says 0 bytes for option mss (2): an option is at least 2 bytes (kind and length); the rest is shown as bytes"
        );
        assert_eq!(problems[0].offset, 41);
        assert_eq!(d.layers[1].items[0].fields[0].field, &OPT_UNKNOWN);
        let (problems, _) = with(&[0x01, 0x08, 0x0a, 0x00]);
        assert_eq!(
            problems[0].what,
            "tcp.option_len says 10 bytes for option timestamp (8), but only 3 remain in the options; the rest is shown as bytes"
        );
        let (problems, d) = with(&[0x02, 0x06, 0x05, 0xb4, 0x00, 0x00, 0x00, 0x00]);
        assert_eq!(
            problems[0].what,
            "tcp.option_len says 6 bytes, but option mss (2) is always 4 bytes"
        );
        assert_eq!(d.layers[1].items.len(), 3, "mss, then eol and padding");
        let (problems, _) = with(&[0x01, 0x01, 0x01, 0x13]);
        assert_eq!(
            problems[0].what,
            "option md5 (19) needs at least 2 bytes (its kind and tcp.option_len), but only 1 remains in the options"
        );
    }

    #[test]
    fn data_offset_past_the_end_or_below_five() {
        let mut p = SYN;
        p[32] = 0xf0;
        let d = dissect(&p, &ipv4::IPV4);
        assert_eq!(
            d.problems[0].what,
            "tcp.hdr_len says 60 bytes, but only 40 are there; the header is cut short"
        );
        // At the field that says so, as for a length below five words.
        assert_eq!(d.problems[0].offset, 32);
        let mut p = SYN;
        p[32] = 0x20;
        let d = dissect(&p, &ipv4::IPV4);
        assert_eq!(
            d.problems[0].what,
            "tcp.hdr_len says 8 bytes, less than the 20 a TCP header needs; read as 20"
        );
        assert_eq!(d.problems[0].offset, 32);
    }
}
