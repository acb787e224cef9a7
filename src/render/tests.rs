//! Wrapping, painting and the words of `render`, on narrow terminals and wide.
use super::*;

/// On a 20-column terminal a note under a field and an explain row keep most of the
/// width for words: no line of a single letter, none wider than the terminal but
/// for a word that is itself wider.
#[test]
fn long_texts_wrap_sensibly_on_a_20_column_terminal() {
    let text =
        "the kernel changed it: rawlab handed 0x0000 in #1, and ip.checksum (bytes 10–11) too";
    let mut buf = String::new();
    mark_into(&mut buf, false, Some(20), 19, text, Tone::Note);
    let lines: Vec<&str> = buf.lines().collect();
    assert!(lines.len() <= 8, "{buf}");
    for l in &lines {
        assert!(l.chars().count() <= 20, "{l:?} in\n{buf}");
        assert!(l.trim().chars().count() > 1, "{l:?} in\n{buf}");
    }
    assert!(lines[0].starts_with("    ↳ the"), "{buf}");
    assert!(lines[1].starts_with("      "), "{buf}");
    let rows = wrap_to(
        Some(20),
        "Each router subtracts one; at 0 the packet is dropped",
        "  about      ",
        "             ",
    );
    assert_eq!(rows[0], "  about      Each");
    assert!(
        rows[1..]
            .iter()
            .all(|l| l.starts_with("    ") && l.chars().count() <= 20),
        "{rows:?}"
    );
    // With room, indents are kept as they are.
    let wide = wrap_to(Some(100), "a b", "      ", "        ");
    assert_eq!(wide, ["      a b"]);
}

/// Every sample the dissector is tested on, cut at every byte and mangled at
/// random, draws without a panic.
#[test]
fn every_sample_draws_cut_at_every_offset() {
    for (first, p) in crate::wire::dissect::tests::samples() {
        for cut in 0..=p.len() {
            let _ = render(&Dump::new("#".into(), &p[..cut], first), false);
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    #[test]
    fn mangled_packets_draw(
        which in 0usize..64,
        first in 0usize..64,
        edits in proptest::collection::vec((0usize..256, proptest::prelude::any::<u8>()), 0..8),
        cut in 0usize..256,
    ) {
        let all = crate::wire::dissect::tests::samples();
        let (p0, mut p) = all[which % all.len()].clone();
        for (i, b) in edits {
            let n = p.len();
            p[i % n] = b;
        }
        p.truncate(cut.max(1));
        for first in [p0, crate::wire::PROTOCOLS[first % crate::wire::PROTOCOLS.len()]] {
            let _ = render(&Dump::new("#".into(), &p, first), true);
        }
    }
}

#[test]
fn durations_in_words() {
    assert_eq!(duration_words(Duration::from_micros(84)), "84 µs");
    assert_eq!(duration_words(Duration::from_millis(300)), "300 ms");
    assert_eq!(duration_words(Duration::from_micros(1234)), "1.234 ms");
    assert_eq!(duration_words(Duration::from_millis(2500)), "2.5 s");
    assert_eq!(duration_words(Duration::from_secs(1)), "1 s");
    assert_eq!(duration_words(Duration::from_nanos(19_499)), "19 µs");
    assert_eq!(duration_words(Duration::from_nanos(999_600)), "1000 µs");
    assert_eq!(duration_words(Duration::from_micros(1050)), "1.05 ms");
    assert_eq!(duration_words(Duration::from_micros(20_300)), "20.3 ms");
    assert_eq!(duration_words(Duration::from_nanos(1_999_999_999)), "2 s");
    assert_eq!(duration_words(Duration::from_secs(90)), "90 s");
}
use crate::wire::dissect::dissect;
use crate::wire::{icmp, ipv4};

const WIRE: [u8; 30] = crate::wire::POST_ON_THE_WIRE;

fn render(d: &Dump, color: bool) -> String {
    let mut v = Vec::new();
    dump(&mut v, d, &Style { color, fit: false }).unwrap();
    String::from_utf8(v).unwrap()
}

#[test]
fn every_field_gets_a_line_and_checksums_are_verified() {
    let s = render(&Dump::new("#1".into(), &WIRE, &ipv4::IPV4), false);
    for f in ipv4::FIELDS.iter().chain(icmp::FIELDS) {
        assert!(s.contains(f.name), "{} missing:\n{s}", f.name);
    }
    assert!(s.contains("0x6009 ✓ correct"), "{s}");
    assert!(s.contains("0x3721 ✓ correct"), "{s}");
    assert!(s.contains("0100 ...."), "version bits:\n{s}");
    assert!(
        s.contains("  0000  45 00 00 1e 1c d4 00 00  40 01 60 09 7f 00 00 01  E.......@.`....."),
        "{s}"
    );
    assert!(
        s.contains("  0010  7f 00 00 01 08 00 37 21  00 00 00 00 c0 de"),
        "{s}"
    );
    assert!(!s.contains('\x1b'), "no escape codes with colour off");
}

#[test]
fn a_wrong_checksum_names_the_right_one() {
    let mut b = WIRE;
    b[22] = 0x11;
    b[23] = 0x11;
    let s = render(&Dump::new("#1".into(), &b, &ipv4::IPV4), false);
    assert!(s.contains("0x1111 ✗ wrong"), "{s}");
    assert!(
        s.contains("↳ ✗ the bytes add up to 0x3721, not 0x1111"),
        "{s}"
    );
}

#[test]
fn colour_only_when_asked() {
    let s = render(&Dump::new("#1".into(), &WIRE, &ipv4::IPV4), true);
    assert!(s.contains("\x1b["));
}

/// Texts a thread has drawn before are reused only for the same field, value and
/// value name: a code named by another type is written afresh.
#[test]
fn texts_seen_before_are_the_texts_drawn_afresh() {
    let unreachable = crate::wire::icmp::tests::PORT_UNREACHABLE;
    let mut redirect = unreachable;
    redirect[20] = 5; // the same code 3 under type 5 is another name
    let packets: Vec<&[u8]> = vec![&WIRE, &unreachable, &redirect, &WIRE, &redirect];
    let cold = |p: &[u8]| {
        let p = p.to_vec();
        std::thread::spawn(move || render(&Dump::new("#1".into(), &p, &ipv4::IPV4), true))
            .join()
            .unwrap()
    };
    let warm: Vec<String> = packets
        .iter()
        .map(|p| render(&Dump::new("#1".into(), p, &ipv4::IPV4), true))
        .collect();
    for (p, drawn) in packets.iter().zip(&warm) {
        assert_eq!(drawn, &cold(p));
    }
    assert_ne!(warm[1], warm[2]);
}

/// A slot holds one field's texts for one raw value and one value name; two keys
/// may hash to the same slot, so each part of the key is checked.
#[test]
fn a_seen_text_answers_only_its_own_key() {
    use crate::wire::icmp::{CODE, TYPE};
    let named = |n: &'static str| Naming::of(Some(Some(n)));
    let port = named("port-unreachable");
    let mut seen = Seen::default();
    assert!(
        !seen.holds(&CODE, 0, Naming::ByValue),
        "an empty slot holds nothing"
    );
    seen.remember(&CODE, 3, port, ("3", 1), ("03", 2));
    assert!(seen.holds(&CODE, 3, port));
    assert!(!seen.holds(&CODE, 3, named("tos-host-redirect")));
    assert!(!seen.holds(&CODE, 3, named(&"port-unreachable"[..4])));
    assert!(!seen.holds(&CODE, 3, Naming::of(Some(None))));
    assert!(!seen.holds(&CODE, 3, Naming::ByValue));
    assert!(!seen.holds(&CODE, 4, port));
    assert!(!seen.holds(&TYPE, 3, port));
    assert_eq!(
        (&seen.text[..seen.words], &seen.text[seen.words..]),
        ("3", "03")
    );
}

/// Hex rows copy escape codes in 16-byte blocks: each must fit one, and say
/// what owo-colors says.
#[test]
fn every_escape_code_fits_a_block() {
    for tone in tones() {
        let c = codes(tone);
        for (text, (block, len)) in [&c.on, &c.off, &c.emph_on, &c.emph_off]
            .into_iter()
            .zip(c.fixed)
        {
            assert!(text.len() <= 16, "{tone:?}: {text:?}");
            assert_eq!(&block[..len], text.as_bytes(), "{tone:?}");
        }
    }
}

/// Colour is drawn on a path of its own; without its escape codes it must say
/// what the plain dump says, to the character, short rows and long offsets too.
#[test]
fn colour_and_plain_say_the_same() {
    fn strip(s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('\x1b') {
            out.push_str(&rest[..i]);
            let end = rest[i..].find('m').expect("an escape code ends with m");
            rest = &rest[i + end + 1..];
        }
        out.push_str(rest);
        out
    }
    let mut big = WIRE.to_vec();
    big.extend((0..70_000u32).map(|i| (i % 251) as u8));
    for bytes in [&WIRE[..], &WIRE[..25], &big[..]] {
        let mut d = Dump::new("#1".into(), bytes, &ipv4::IPV4);
        d.emphasize.push(2..4);
        let plain = render(&d, false);
        assert!(!plain.contains('\x1b'));
        assert_eq!(strip(&render(&d, true)), plain);
    }
    // Past 0xffff the offset takes five digits and the columns move over by one.
    let plain = render(&Dump::new("#1".into(), &big, &ipv4::IPV4), false);
    let row = |at: usize| {
        let cells: Vec<String> = big[at..at + 16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let text: String = big[at..at + 16].iter().map(|b| ascii_char(*b)).collect();
        format!(
            "  {at:04x}  {}  {}  {text}",
            cells[..8].join(" "),
            cells[8..].join(" ")
        )
    };
    for at in [0xfff0, 0x10000, 0x10010] {
        assert!(plain.lines().any(|l| l == row(at)), "no row {}", row(at));
    }
}

#[test]
fn malformed_packets_say_where() {
    let s = render(&Dump::new("#1".into(), &WIRE[..12], &ipv4::IPV4), false);
    assert!(
        s.contains("malformed: IPv4 at byte 0: IPv4 header truncated: needs 20 bytes, has 12"),
        "{s}"
    );
}

/// A SYN captured on lo: flags bit by bit, each option with its fields, and the
/// checksum the kernel left for offload named as such, not as wrong.
#[test]
fn tcp_flags_options_and_offload() {
    let syn = crate::wire::tcp::tests::SYN;
    let s = render(&Dump::new("#1".into(), &syn, &ipv4::IPV4), false);
    let line = |name: &str| {
        s.lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name}:\n{s}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(line("tcp.flags").starts_with("tcp.flags 0x0002 (syn) .... 0000 0000 0010"));
    assert!(line("tcp.flags.syn").starts_with("tcp.flags.syn 1 (set) .... ..1."));
    assert!(line("tcp.flags.res").starts_with("tcp.flags.res 0 .... 000."));
    assert!(line("tcp.options.mss_val").starts_with("tcp.options.mss_val 65495 bytes ff d7"));
    assert!(line("tcp.options.wscale.shift").starts_with("tcp.options.wscale.shift 10 0a"));
    assert!(
        s.contains("      tcp.option_kind"),
        "options sit under tcp.options:\n{s}"
    );
    assert!(line("tcp.checksum").starts_with("tcp.checksum 0xfe30 ◐ offloaded fe 30"));
    assert!(s.contains("the whole sum is 0xef05"), "{s}");
    // The MSS value's bytes get a colour of their own, not the options' colour.
    let dis = dissect(&syn, &ipv4::IPV4);
    let lines = Lines::of(&dis, &syn);
    let colors = byte_colors(&dis, &lines.all, syn.len());
    assert_ne!(colors[40], colors[42], "kind and value differ");
    assert_ne!(colors[42], colors[44], "mss and the next option differ");
}

/// Linux's port unreachable: the code named by its type, the quoted datagram as
/// layers of its own, said to be quoted.
#[test]
fn an_icmp_error_and_its_quote() {
    let p = crate::wire::icmp::tests::PORT_UNREACHABLE;
    let s = render(&Dump::new("#1".into(), &p, &ipv4::IPV4), false);
    assert!(s.contains("3 (port-unreachable)"), "{s}");
    assert!(s.contains("  IPv4 (quoted) · bytes 28–47"), "{s}");
    assert!(s.contains("  UDP (quoted) · bytes 48–55"), "{s}");
    assert!(s.contains("  data (quoted) · bytes 56–57"), "{s}");
    assert!(
        s.contains("quoted IPv4 127.0.0.1 → 127.0.0.1 ttl 64 udp"),
        "{s}"
    );
    assert!(!s.contains("malformed"), "{s}");
    // A quote cut inside its IP header is malformed, and says where.
    let mut cut = p[..38].to_vec();
    cut[3] = 38;
    let s = render(&Dump::new("#1".into(), &cut, &ipv4::IPV4), false);
    assert!(
        s.contains("malformed: IPv4 at byte 28: ICMP quotes only 10 bytes of the IPv4 header"),
        "{s}"
    );
}

#[test]
fn ipv6_addresses_and_extension_options() {
    let t = crate::wire::template::Template::new(&[
        &crate::wire::ipv6::IPV6,
        &crate::wire::ipv6::HOPOPTS,
        &crate::wire::icmpv6::ICMPV6,
    ]);
    let b = t.build(std::time::SystemTime::UNIX_EPOCH).bytes;
    let s = render(&Dump::new("#1".into(), &b, &crate::wire::ipv6::IPV6), false);
    assert!(s.contains("IPv6 ::1 → ::1 hlim 64 hopopt · hop-by-hop options (8 bytes) · ICMPv6 echo-request id 0 seq 0"), "{s}");
    assert!(
        s.contains("\n      ipv6.opt.type   "),
        "options under their header:\n{s}"
    );
    assert!(
        s.contains("\n        ipv6.opt.type.action   "),
        "members under the type:\n{s}"
    );
    assert!(s.contains("0x01 (padn)") && s.contains("0 (skip)"), "{s}");
    assert!(s.contains("icmpv6.checksum"), "{s}");
    assert!(s.contains("✓ correct"), "{s}");
}

#[test]
fn caret_under_the_error() {
    let e = Caret {
        span: 4..7,
        message: "unknown field `tll`".into(),
        expected: Some("a field".into()),
        suggestion: Some("did you mean `ttl`?".into()),
    };
    let mut v = Vec::new();
    parse_error(
        &mut v,
        "set tll 64",
        &e,
        Some("x.rawlab:2:5"),
        &Style::PLAIN,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(v).unwrap(),
        "x.rawlab:2:5: error: unknown field `tll`\n  │ set tll 64\n  │     ^^^ expected a field\n  = did you mean `ttl`?\n"
    );
}
