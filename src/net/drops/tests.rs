//! The drop tracer's pure parts against real kernel text: the tracepoint's format,
//! its reason names, kallsyms, samples.
use super::*;

/// /sys/kernel/tracing/events/skb/kfree_skb/format on Linux 6.18 (the reason list
/// cut after ICMP_CSUM and the last entries kept).
const FORMAT_6_18: &str = r#"name: kfree_skb
ID: 2310
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:void * skbaddr;	offset:8;	size:8;	signed:0;
	field:void * location;	offset:16;	size:8;	signed:0;
	field:void * rx_sk;	offset:24;	size:8;	signed:0;
	field:unsigned short protocol;	offset:32;	size:2;	signed:0;
	field:enum skb_drop_reason reason;	offset:36;	size:4;	signed:0;

print fmt: "skbaddr=%p rx_sk=%p protocol=%u location=%pS reason: %s", REC->skbaddr, REC->rx_sk, REC->protocol, REC->location, __print_symbolic(REC->reason, { 2, "NOT_SPECIFIED" }, { 3, "NO_SOCKET" }, { 4, "SOCKET_CLOSE" }, { 5, "SOCKET_FILTER" }, { 14, "IP_CSUM" }, { 85, "ICMP_CSUM" }, { 128, "SKB_RX_HEADROOM" }, { 129, "MAX" })
"#;

/// Linux 5.17's, where the event had no rx_sk and the list started at 1.
const FORMAT_5_17: &str = r#"name: kfree_skb
ID: 1434
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:void * skbaddr;	offset:8;	size:8;	signed:0;
	field:void * location;	offset:16;	size:8;	signed:0;
	field:unsigned short protocol;	offset:24;	size:2;	signed:0;
	field:enum skb_drop_reason reason;	offset:28;	size:4;	signed:0;

print fmt: "skbaddr=%p protocol=%u location=%p reason: %s", REC->skbaddr, REC->protocol, REC->location, __print_symbolic(REC->reason, { 1, "NOT_SPECIFIED" }, { 2, "NO_SOCKET" }, { 3, "PKT_TOO_SMALL" }, { 4, "TCP_CSUM" }, { 5, "SOCKET_FILTER" }, { 6, "UDP_CSUM" }, { 7, "MAX" })
"#;

#[test]
fn a_format_file_gives_the_offsets_and_this_kernels_names() {
    let f = Format::parse(FORMAT_6_18).unwrap();
    assert_eq!(
        f.location,
        FieldAt {
            offset: 16,
            size: 8
        }
    );
    assert_eq!(
        f.protocol,
        FieldAt {
            offset: 32,
            size: 2
        }
    );
    assert_eq!(
        f.reason,
        FieldAt {
            offset: 36,
            size: 4
        }
    );
    assert_eq!(f.reasons.len(), 8);
    assert_eq!(f.reason_name(85), Some("ICMP_CSUM"));
    assert_eq!(f.reason_name(2), Some("NOT_SPECIFIED"));
    assert_eq!(f.reason_number("SKB_RX_HEADROOM"), Some(128));
    assert_eq!(f.reason_name(86), None);
    // The same names have other numbers on another kernel.
    let old = Format::parse(FORMAT_5_17).unwrap();
    assert_eq!(
        old.protocol,
        FieldAt {
            offset: 24,
            size: 2
        }
    );
    assert_eq!(
        old.reason,
        FieldAt {
            offset: 28,
            size: 4
        }
    );
    assert_eq!(old.reason_number("NOT_SPECIFIED"), Some(1));
    assert_eq!(old.reason_name(2), Some("NO_SOCKET"));
}

#[test]
fn the_running_kernels_format_parses_when_it_can_be_read() {
    let path = "/sys/kernel/tracing/events/skb/kfree_skb/format";
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("skipped: {path} is not readable here");
        return;
    };
    let f = Format::parse(&text).unwrap();
    assert!(f.reason_number("NOT_SPECIFIED").is_some(), "{f:?}");
    assert!(f.reasons.len() > 5, "{f:?}");
}

#[test]
fn a_kernel_without_reasons_or_with_unnamed_numbers_is_said_plainly() {
    let before = FORMAT_5_17.replace(
        "\tfield:enum skb_drop_reason reason;\toffset:28;\tsize:4;\tsigned:0;\n",
        "",
    );
    let e = Format::parse(&before).unwrap_err();
    assert_eq!(
        e,
        "this kernel's skb:kfree_skb has no `reason` field, so it names no drop reason (Linux 5.17 added them)"
    );
    // An enum left as its C name has no number to go by; the rest still count.
    let text = FORMAT_6_18.replace(
        "{ 3, \"NO_SOCKET\" }",
        "{ SKB_DROP_REASON_NO_SOCKET, \"NO_SOCKET\" }",
    );
    let f = Format::parse(&text).unwrap();
    assert_eq!(f.reason_number("NO_SOCKET"), None);
    assert_eq!(f.reason_number("SOCKET_CLOSE"), Some(4));
    assert!(Format::parse("name: kfree_skb\n").is_err());
}

#[test]
fn noise_is_found_by_name_and_filtered_in_the_kernel() {
    let f = Format::parse(FORMAT_6_18).unwrap();
    assert_eq!(noise(&f, false), [2]);
    assert_eq!(filter(&noise(&f, false)).as_deref(), Some("reason != 2"));
    assert_eq!(noise(&f, true), Vec::<u32>::new());
    assert_eq!(filter(&[]), None);
    let old = Format::parse(FORMAT_5_17).unwrap();
    assert_eq!(noise(&old, false), [1]);
    let with_consumed = FORMAT_5_17.replace(
        "{ 1, \"NOT_SPECIFIED\" }",
        "{ 0, \"CONSUMED\" }, { 1, \"NOT_SPECIFIED\" }",
    );
    let f = Format::parse(&with_consumed).unwrap();
    assert_eq!(
        filter(&noise(&f, false)).as_deref(),
        Some("reason != 0 && reason != 1")
    );
}

#[test]
fn a_record_is_read_at_the_formats_offsets() {
    let f = Format::parse(FORMAT_6_18).unwrap();
    let mut rec = vec![0xa5u8; 40];
    rec[16..24].copy_from_slice(&0xffff_ffff_81a2_b3c4u64.to_ne_bytes());
    rec[32..34].copy_from_slice(&0x0800u16.to_ne_bytes());
    rec[36..40].copy_from_slice(&85u32.to_ne_bytes());
    assert_eq!(f.read(&rec), Some((0xffff_ffff_81a2_b3c4, 0x0800, 85)));
    assert_eq!(f.read(&rec[..39]), None, "cut short");
}

#[test]
fn cpu_lists_are_read_as_the_kernel_writes_them() {
    assert_eq!(parse_cpus("0-1\n"), [0, 1]);
    assert_eq!(parse_cpus("0,2-4,7"), [0, 2, 3, 4, 7]);
    assert_eq!(parse_cpus("0"), [0]);
    assert_eq!(parse_cpus(""), Vec::<u32>::new());
}

#[test]
fn kallsyms_names_the_function_an_address_lies_in() {
    let table = "\
0000000000000000 A fixed_percpu_data
ffffffff81a2b000 T ip_local_deliver
ffffffff81a2b3c0 t icmp_rcv
ffffffff81a2b3c0 t icmp_rcv_alias
ffffffff81a2c000 D some_data
ffffffff81a2d000 T icmp_send
ffffffffc0a01000 t vxlan_rcv\t[vxlan]
";
    let wanted = [
        0xffff_ffff_81a2_b3c0 + 0x1f4,
        0xffff_ffff_81a2_b010,
        0xffff_ffff_c0a0_1010,
        0xffff_ffff_8000_0000,
    ];
    let mut sorted = wanted;
    sorted.sort_unstable();
    let got = functions_at(io::Cursor::new(table), &sorted).unwrap();
    let name = |a: u64| got[sorted.iter().position(|w| *w == a).unwrap()].as_deref();
    assert_eq!(
        name(wanted[0]),
        Some("icmp_rcv"),
        "the first of equal names"
    );
    assert_eq!(name(wanted[1]), Some("ip_local_deliver"));
    assert_eq!(name(wanted[2]), Some("vxlan_rcv [vxlan]"));
    assert_eq!(name(wanted[3]), None, "below every symbol");
    // Once past every address, with a symbol for each, the rest is not read.
    struct Unreadable;
    impl io::Read for Unreadable {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("read past what was needed"))
        }
    }
    let past = io::BufReader::new(io::Read::chain(io::Cursor::new(table), Unreadable));
    let got = functions_at(past, &[0xffff_ffff_81a2_b3c0 + 0x1f4]).unwrap();
    assert_eq!(got, [Some("icmp_rcv".to_string())]);
    // Hidden addresses (kptr_restrict) name nothing.
    let hidden = "0000000000000000 t icmp_rcv\n0000000000000000 T icmp_send\n";
    let got = functions_at(io::Cursor::new(hidden), &sorted).unwrap();
    assert!(got.iter().all(Option::is_none));
}

#[test]
fn a_drop_says_what_was_seen_and_no_more() {
    let sent = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let d = Drop {
        when: sent + Duration::from_micros(14),
        reason: "ICMP_CSUM".into(),
        function: Some("icmp_rcv".into()),
        protocol: 0x0800,
    };
    assert_eq!(
        d.words(sent, 1),
        "a drop of an IPv4 packet, reason ICMP_CSUM, in icmp_rcv, 14 µs after #1 left"
    );
    assert_eq!(
        d.words(sent + Duration::from_millis(3), 7),
        "a drop of an IPv4 packet, reason ICMP_CSUM, in icmp_rcv, 2.986 ms before #7 left"
    );
    let unnamed = Drop {
        function: None,
        protocol: 0x86dd,
        reason: "NO_SOCKET".into(),
        ..d.clone()
    };
    assert_eq!(
        unnamed.words(sent, 3),
        "a drop of an IPv6 packet, reason NO_SOCKET, 14 µs after #3 left"
    );
    assert_eq!(
        d.words_at(),
        "a drop of an IPv4 packet, reason ICMP_CSUM, in icmp_rcv, at 2027-01-15 08:00:00.000014 UTC"
    );
    assert_eq!(
        protocol_words(0x88cc),
        "a packet of EtherType 0x88cc (lldp)"
    );
    assert_eq!(protocol_words(0x1234), "a packet of EtherType 0x1234");
    assert_eq!(protocol_words(0x0806), "an ARP packet");
}

#[test]
fn drops_are_gathered_by_kind_and_by_the_send_they_followed() {
    let t0 = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let at = |us: u64, reason: &str, function: &str| Drop {
        when: t0 + Duration::from_micros(us),
        reason: reason.into(),
        function: Some(function.into()),
        protocol: 0x0800,
    };
    let drops = [
        at(5, "NO_SOCKET", "udp_rcv"),
        at(35, "NO_SOCKET", "ping_rcv"),
        at(1_000_034, "ICMP_CSUM", "icmp_rcv"),
        at(1_000_040, "NO_SOCKET", "ping_rcv"),
        at(1_000_050, "NO_SOCKET", "ping_rcv"),
        at(1_241_816, "ICMP_CSUM", "icmp_rcv"),
    ];
    let sends = [
        (t0 + Duration::from_micros(10), 1),
        (t0 + Duration::from_secs(1), 4),
    ];
    let words: Vec<String> = by_kind(&drops, &sends).iter().map(Kind::words).collect();
    assert_eq!(
        words,
        [
            "a drop of an IPv4 packet, reason NO_SOCKET, in udp_rcv, at 2027-01-15 08:00:00.000005 UTC",
            "a drop of an IPv4 packet, reason NO_SOCKET, in ping_rcv, 25 µs after #1 left",
            "a drop of an IPv4 packet, reason ICMP_CSUM, in icmp_rcv, 34 µs after #4 left (the first of 2 like it)",
            "a drop of an IPv4 packet, reason NO_SOCKET, in ping_rcv, 40 µs after #4 left (the first of 2 like it)",
        ]
    );
}

#[test]
fn a_sample_is_read_as_perf_lays_it_out() {
    let f = Format::parse(FORMAT_6_18).unwrap();
    let mut record = vec![0u8; 40];
    record[16..24].copy_from_slice(&0xffff_ffff_81a2_b3c4u64.to_ne_bytes());
    record[32..34].copy_from_slice(&0x86ddu16.to_ne_bytes());
    record[36..40].copy_from_slice(&3u32.to_ne_bytes());
    let mut body = 5_000_000_123u64.to_ne_bytes().to_vec();
    body.extend(1u32.to_ne_bytes()); // CPU 1
    body.extend(0u32.to_ne_bytes());
    body.extend(44u32.to_ne_bytes()); // the record, padded to 8 with the length
    body.extend(&record);
    body.extend([0u8; 4]);
    let s = sample(&f, &[2], &body, 1_700_000_000_000_000_000).unwrap();
    assert_eq!(s.when, UNIX_EPOCH + Duration::new(1_700_000_005, 123));
    assert_eq!(
        (s.location, s.protocol, s.reason),
        (0xffff_ffff_81a2_b3c4, 0x86dd, 3)
    );
    assert!(sample(&f, &[3], &body, 0).is_none(), "noise");
    assert!(
        sample(&f, &[2], &body[..body.len() - 8], 0).is_none(),
        "cut short"
    );
    let mut lost_body = 7u64.to_ne_bytes().to_vec();
    lost_body.extend(12u64.to_ne_bytes());
    assert_eq!(lost(&lost_body), 12);
    assert_eq!(lost(&lost_body[..12]), 0);
}

#[test]
fn sample_times_are_put_on_the_wall_clock() {
    let t = Clock::wall(5_000_000_123, 1_700_000_000_000_000_000);
    assert_eq!(t, UNIX_EPOCH + Duration::new(1_700_000_005, 123));
    // The monotonic clock is behind the wall clock by about when this machine booted.
    let off = Clock::offset();
    assert!(off > 1_000_000_000 * 1_000_000_000, "{off}");
    let now = Clock::wall(sys::clock_ns(Clock::ID).unwrap(), off);
    let gap = SystemTime::now().duration_since(now).unwrap_or_default();
    assert!(gap < Duration::from_millis(100), "{gap:?}");
}
