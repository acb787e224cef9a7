//! The grammar, line by line: what it accepts and how it says no.

use super::*;
use crate::wire::{icmp, ipv4};

fn p(line: &str) -> Result<Command, ParseError> {
    parse(line, &Context::new(&[&ipv4::IPV4, &icmp::ICMP]))
}

fn err(line: &str) -> ParseError {
    p(line).expect_err(line)
}

/// `set` takes numbers, names, addresses, on/off and sizes as its field reads them.
#[test]
fn accepts_field_values() {
    assert_eq!(
        p("set ttl 1").unwrap(),
        Command::Set(&ipv4::TTL, Value::Raw(1))
    );
    assert_eq!(
        p("  set ip.ttl 0x40 ").unwrap(),
        Command::Set(&ipv4::TTL, Value::Raw(64))
    );
    assert_eq!(
        p("set icmp.type echo-reply").unwrap(),
        Command::Set(&icmp::TYPE, Value::Raw(0))
    );
    assert_eq!(
        p("set src 127.0.0.9").unwrap(),
        Command::Set(&ipv4::SRC, Value::Raw(0x7f00_0009))
    );
    assert_eq!(
        p("set df on").unwrap(),
        Command::Set(&ipv4::FLAG_DF, Value::Raw(1))
    );
    assert_eq!(
        p("set ihl 24").unwrap(),
        Command::Set(&ipv4::HDR_LEN, Value::Raw(6))
    );
    assert_eq!(
        p("set proto tcp").unwrap(),
        Command::Set(&ipv4::PROTO, Value::Raw(6))
    );
    assert_eq!(
        p("set timeout 500ms").unwrap(),
        Command::SetTimeout(Duration::from_millis(500))
    );
}

/// `payload` takes hex, quoted text, a timestamp and zeros.
#[test]
fn accepts_payloads() {
    assert_eq!(
        p("payload C0DE").unwrap(),
        Command::Payload(Payload::Bytes(vec![0xc0, 0xde]))
    );
    assert_eq!(
        p("payload c0 de").unwrap(),
        Command::Payload(Payload::Bytes(vec![0xc0, 0xde]))
    );
    assert_eq!(
        p("payload \"GET /\\n\"").unwrap(),
        Command::Payload(Payload::Bytes(b"GET /\n".to_vec()))
    );
    assert_eq!(p("payload time").unwrap(), Command::Payload(Payload::Time));
    assert_eq!(
        p("payload zeros 56").unwrap(),
        Command::Payload(Payload::Zeros(56))
    );
    assert_eq!(
        p("payload \"\"").unwrap(),
        Command::Payload(Payload::Bytes(vec![]))
    );
}

/// `new`, `mode`, `send` and `ping` with their options.
#[test]
fn accepts_templates_and_sending() {
    assert_eq!(
        p("new ip/icmp").unwrap(),
        Command::New(vec![&ipv4::IPV4, &icmp::ICMP])
    );
    assert_eq!(p("mode hdrincl").unwrap(), Command::Mode(Mode::HdrIncl));
    assert_eq!(
        p("send 127.0.0.2 count 3 every 10ms").unwrap(),
        Command::Send(SendArgs {
            dst: Some(Ipv4Addr::new(127, 0, 0, 2).into()),
            count: 3,
            every: Some(Duration::from_millis(10)),
            order: Vec::new(),
        })
    );
    // IPv6 for send and ping; `trigger ping` opens an IPv4 ping socket.
    let v6: std::net::IpAddr = "2001:db8:2::2".parse().unwrap();
    assert!(
        matches!(p("send 2001:db8:2::2"), Ok(Command::Send(SendArgs { dst: Some(d), .. })) if d == v6)
    );
    assert!(
        matches!(p("ping 2001:db8:2::2 count 1"), Ok(Command::Ping(SendArgs { dst: Some(d), .. }, ..)) if d == v6)
    );
    let e = p("trigger ping 2001:db8:2::2").unwrap_err();
    assert!(
        format!("{e:?}").contains("`ping 2001:db8:2::2` pings over IPv6"),
        "{e:?}"
    );
    assert_eq!(
        p("send").unwrap(),
        Command::Send(SendArgs {
            dst: None,
            count: 1,
            every: None,
            order: Vec::new(),
        })
    );
    let ping = |count, every, mode| {
        Command::Ping(
            SendArgs {
                dst: Some(Ipv4Addr::LOCALHOST.into()),
                count,
                every: Some(every),
                order: Vec::new(),
            },
            mode,
            PingOpts::default(),
        )
    };
    let second = Duration::from_secs(1);
    // As ping(8) sends unless told: the session's mode is for `send`.
    assert_eq!(p("ping 127.0.0.1").unwrap(), ping(4, second, Mode::Kernel));
    assert_eq!(
        p("ping 127.0.0.1 mode raw count 2").unwrap(),
        ping(2, second, Mode::Raw)
    );
    assert_eq!(
        p("PING 127.0.0.1 every 10ms MODE HdrIncl").unwrap(),
        ping(4, Duration::from_millis(10), Mode::HdrIncl)
    );
}

/// A ping's mode and destination, said wrong, and where.
#[test]
fn ping_says_no_to_a_wrong_mode_or_family() {
    let e = err("ping 127.0.0.1 mode link");
    assert_eq!(
        (e.span.clone(), e.message.as_str()),
        (
            20..24,
            "ping sends packets through an IP socket, and mode link sends frames"
        )
    );
    assert!(e.expected.as_deref().unwrap().contains("as ping(8) has it"));
    // ping takes IPv6 too; `trigger ping`, whose ping socket is IPv4's, says how.
    assert!(p("ping ::1").is_ok());
    let e = err("trigger ping ::1");
    assert_eq!(
        (e.span.clone(), e.message.as_str()),
        (13..16, "`::1` is not an IPv4 address")
    );
    assert_eq!(
        e.suggestion.as_deref(),
        Some("`trigger ping` sends through an IPv4 ping socket; `ping ::1` pings over IPv6")
    );
    let e = err("ping 127.0.0.1 mode kernal");
    assert_eq!(e.message, "unknown mode `kernal`");
    assert_eq!(e.suggestion.as_deref(), Some("did you mean `kernel`?"));
    let e = err("ping 127.0.0.1 mode");
    assert_eq!(e.span, 19..20);
    assert_eq!(
        err("ping 127.0.0.1 mod raw").suggestion.as_deref(),
        Some("did you mean `mode`?")
    );
    // Only ping takes a mode.
    let e = err("send 127.0.0.1 mode raw");
    assert_eq!(e.message, "unexpected `mode`");
    assert_eq!(
        err("trigger ping 127.0.0.1 mode raw").message,
        "unexpected `mode`"
    );
}

/// Listening, comments, narration, show, exit and wait.
#[test]
fn accepts_the_other_commands() {
    assert_eq!(p("listen icmp").unwrap(), Command::Listen(1));
    assert_eq!(p("listen proto 47").unwrap(), Command::Listen(47));
    assert_eq!(p("listen off").unwrap(), Command::ListenOff);
    assert_eq!(
        p("# narration").unwrap(),
        Command::Comment("narration".into())
    );
    assert_eq!(p("").unwrap(), Command::Nothing);
    assert_eq!(
        p("say Hello,   world").unwrap(),
        Command::Say("Hello,   world".into())
    );
    assert_eq!(p("SHOW").unwrap(), Command::Show);
    assert_eq!(p("exit").unwrap(), Command::Quit);
    assert_eq!(
        p("wait 1.5s").unwrap(),
        Command::Wait(Duration::from_millis(1500))
    );
}

#[test]
fn rejects_with_positions() {
    let e = err("sned");
    assert_eq!(
        (e.span.clone(), e.suggestion.as_deref()),
        (0..4, Some("did you mean `send`?"))
    );
    let e = err("set tll 64");
    assert_eq!(e.span, 4..7);
    assert_eq!(
        e.suggestion.as_deref(),
        Some("did you mean `ttl` (ip.ttl)?")
    );
    let e = err("set ttl 300");
    assert_eq!(e.span, 8..11);
    assert_eq!(e.message, "ip.ttl is 8 bits: 0..=255; 300 does not fit");
    let e = err("set checksum 1");
    assert_eq!(
        e.message,
        "`checksum` could be ip.checksum or icmp.checksum"
    );
    let e = err("set dst localhost");
    assert!(e.suggestion.unwrap().contains("never looks names up"));
    let e = err("set ttl");
    assert_eq!(e.span, 7..8);
    assert!(e.expected.unwrap().contains("set ttl 1"));
    let e = err("payload \"abc");
    assert_eq!(e.span, 8..12);
    assert_eq!(e.message, "this string has no closing quote");
    let e = err("payload c0d");
    assert!(e.message.contains("odd number"));
    let e = err("payload xyz");
    assert_eq!(e.span, 8..9);
    let e = err("new ip/icmpp");
    assert_eq!(e.span, 7..12);
    assert_eq!(e.suggestion.as_deref(), Some("did you mean `icmp`?"));
    let e = err("new icmp");
    assert_eq!(e.suggestion.as_deref(), Some("did you mean `ip/icmp`?"));
    let e = err("mode rwa");
    assert_eq!(e.suggestion.as_deref(), Some("did you mean `raw`?"));
    let e = err("show me");
    assert_eq!(e.span, 5..7);
    let e = err("send 127.0.0.1 cuont 3");
    assert_eq!(e.suggestion.as_deref(), Some("did you mean `count`?"));
    let e = err("send count 0");
    assert!(e.message.contains("out of range"));
    let e = err("wait 200");
    assert_eq!(e.suggestion.as_deref(), Some("did you mean `200ms`?"));
    let e = err("set ihl 21");
    assert!(e.message.contains("steps of 4"));
    let e = err("set type echo-rply");
    assert_eq!(e.suggestion.as_deref(), Some("did you mean `echo-reply`?"));
    let e = err("payload \"a\\qb\"");
    assert_eq!(e.span, 10..12);
    let e = err("set ttl 99999999999999999999999999999999999999999999");
    assert!(
        e.message.contains("does not fit") || e.message.contains("too large"),
        "{}",
        e.message
    );
}

fn p_in(line: &str, stack: &[&'static Protocol]) -> Result<Command, ParseError> {
    parse(line, &Context::new(stack))
}

#[test]
fn the_new_protocols_parse() {
    use crate::wire::{icmpv6, ipv6, tcp, udp};
    let tcp_stack = [&ipv4::IPV4, &tcp::TCP];
    assert_eq!(
        p_in("set syn 0", &tcp_stack).unwrap(),
        Command::Set(&tcp::FLAG_SYN, Value::Raw(0))
    );
    assert_eq!(
        p_in("set ack on", &tcp_stack).unwrap(),
        Command::Set(&tcp::FLAG_ACK, Value::Raw(1))
    );
    assert_eq!(
        p_in("set tcp.flags syn-ack", &tcp_stack).unwrap(),
        Command::Set(&tcp::FLAGS, Value::Raw(0x012))
    );
    assert_eq!(
        p_in("set seq 1000", &tcp_stack).unwrap(),
        Command::Set(&tcp::SEQ, Value::Raw(1000))
    );
    assert_eq!(
        p_in("set tcp.hdr_len 24", &tcp_stack).unwrap(),
        Command::Set(&tcp::HDR_LEN, Value::Raw(6))
    );
    assert_eq!(
        p_in("set dport 53", &[&ipv4::IPV4, &udp::UDP]).unwrap(),
        Command::Set(&udp::DSTPORT, Value::Raw(53))
    );
    let e = p_in("set mss 1460", &tcp_stack).unwrap_err();
    assert_eq!(
        e.message,
        "tcp.options.mss_val sits inside tcp.options, which is set as bytes"
    );
    assert!(e.suggestion.unwrap().contains("set tcp.options 020405b4"));

    let v6 = [&ipv6::IPV6, &icmpv6::ICMPV6];
    assert_eq!(
        p_in("set ipv6.dst 2001:DB8::1", &v6).unwrap(),
        Command::Set(&ipv6::DST, Value::Raw(0x2001_0db8 << 96 | 1))
    );
    assert_eq!(
        p_in("set proto gre", &[&ipv4::IPV4]).unwrap(),
        Command::Set(&ipv4::PROTO, Value::Raw(47))
    );
    assert_eq!(
        p_in("set nxt ipv6-frag", &v6).unwrap(),
        Command::Set(&ipv6::NXT, Value::Raw(44))
    );
    let e = p_in("set ipv6.src 127.0.0.1", &v6).unwrap_err();
    assert_eq!(
        e.suggestion.as_deref(),
        Some("an IPv4 address inside IPv6 is written ::ffff:127.0.0.1")
    );
    let e = p_in("set ipv6.src ::1::2", &v6).unwrap_err();
    assert_eq!(e.message, "`::1::2` is not an IPv6 address");
    let e = p_in("set icmp.type 1", &v6).unwrap_err();
    assert_eq!(e.suggestion.as_deref(), Some("did you mean `icmpv6.type`?"));
    let e = p_in("set target ::1", &v6).unwrap_err();
    assert!(
        e.message
            .contains("could be icmpv6.nd.ns.target_address or"),
        "{}",
        e.message
    );
    assert_eq!(
        p("new ip6/hopopts/frag/icmp6").unwrap(),
        Command::New(vec![
            &ipv6::IPV6,
            &ipv6::HOPOPTS,
            &ipv6::FRAGMENT,
            &icmpv6::ICMPV6
        ])
    );
}

/// Names that hold for one type only are accepted whatever the type is now: the
/// template may change its type later, and a script is parsed before it runs.
#[test]
fn code_names_from_every_type() {
    assert_eq!(
        p("set icmp.code port-unreachable").unwrap(),
        Command::Set(&icmp::CODE, Value::Raw(3))
    );
    assert_eq!(
        p("set code ttl-exceeded").unwrap(),
        Command::Set(&icmp::CODE, Value::Raw(0))
    );
    let e = p("set code port-unreachabel").unwrap_err();
    assert_eq!(
        e.suggestion.as_deref(),
        Some("did you mean `port-unreachable`?")
    );
}

/// A line parsed with an eth/arp template.
fn q(line: &str) -> Result<Command, ParseError> {
    use crate::wire::{arp, eth};
    parse(line, &Context::new(&[&eth::ETH, &arp::ARP]))
}

/// The link-layer commands, and MAC addresses as values.
#[test]
fn link_layer_commands_and_mac_values() {
    use crate::wire::{arp, eth};
    assert_eq!(
        q("set eth.dst 02:72:61:77:00:02").unwrap(),
        Command::Set(&eth::DST, Value::Raw(0x0272_6177_0002))
    );
    assert_eq!(
        q("set eth.dst 02-72-61-77-00-02").unwrap(),
        Command::Set(&eth::DST, Value::Raw(0x0272_6177_0002))
    );
    assert_eq!(
        q("set eth.dst broadcast").unwrap(),
        Command::Set(&eth::DST, Value::Raw(eth::BROADCAST))
    );
    assert_eq!(
        q("set tpa 192.0.2.2").unwrap(),
        Command::Set(&arp::DST_PROTO, Value::Raw(0xc000_0202))
    );
    assert_eq!(
        q("set arp.opcode reply").unwrap(),
        Command::Set(&arp::OPCODE, Value::Raw(2))
    );
    assert_eq!(
        q("new eth/arp").unwrap(),
        Command::New(vec![&eth::ETH, &arp::ARP])
    );
    assert_eq!(
        p("new eth/ip/icmp").unwrap(),
        Command::New(vec![&eth::ETH, &ipv4::IPV4, &icmp::ICMP])
    );
    assert_eq!(p("mode link").unwrap(), Command::ModeLink(None));
    assert_eq!(
        p("mode link veth0").unwrap(),
        Command::ModeLink(Some("veth0".into()))
    );
    assert_eq!(
        p("listen link").unwrap(),
        Command::ListenLink {
            iface: None,
            once: false
        }
    );
    assert_eq!(
        p("listen link lo once").unwrap(),
        Command::ListenLink {
            iface: Some("lo".into()),
            once: true
        }
    );
    assert_eq!(
        p("listen link once").unwrap(),
        Command::ListenLink {
            iface: None,
            once: true
        }
    );
    assert_eq!(p("ifaces").unwrap(), Command::Ifaces);
}

/// Link-layer values and templates said wrong, and where.
#[test]
fn link_layer_mistakes_are_named() {
    let e = q("set eth.dst 02:72:61:77:00").unwrap_err();
    assert_eq!(e.span, 12..26);
    assert_eq!(
        e.suggestion.as_deref(),
        Some("a MAC has six bytes; `02:72:61:77:00` has 5")
    );
    let e = q("set eth.src 192.0.2.1").unwrap_err();
    assert!(
        e.suggestion
            .unwrap()
            .contains("hardware address, not an IP one")
    );
    let e = q("set eth.dst 02:72:61:77:00:zz").unwrap_err();
    assert_eq!(e.message, "`02:72:61:77:00:zz` is not a MAC address");
    let e = p("listen link lo twice").unwrap_err();
    assert_eq!(e.span, 15..20);
    let e = p("listen link lo once lo").unwrap_err();
    assert_eq!(e.message, "unexpected `lo`");
    let e = p("mode link a/b").unwrap_err();
    assert!(e.message.contains("not an interface name"), "{}", e.message);
    let e = p("mode link averyveryverylongname").unwrap_err();
    assert!(e.expected.unwrap().contains("at most 15"));
    let e = p("new arp").unwrap_err();
    assert_eq!(e.suggestion.as_deref(), Some("did you mean `eth/arp`?"));
    let e = p("new eth/icmp").unwrap_err();
    assert_eq!(e.message, "ICMP cannot follow Ethernet");
    let e = p("set eth.src 02:72:61:77:00:01").unwrap_err();
    assert_eq!(
        e.suggestion.as_deref(),
        Some("start a template that has it: `new eth/ip/icmp`")
    );
    let e = q("set icmp.type 0").unwrap_err();
    assert!(e.suggestion.unwrap().ends_with("`new ip/icmp`"));
}

/// An ICMP error quoting its datagram as layers: `set quoted.FIELD` reaches them.
#[test]
fn quoted_layers_are_reached_by_their_names() {
    assert_eq!(
        p("new ip/icmp/ip/udp").unwrap(),
        Command::New(vec![
            &ipv4::IPV4,
            &icmp::ICMP,
            &ipv4::IPV4,
            &crate::wire::udp::UDP
        ])
    );
    let e = p("new ip/udp/ip").unwrap_err();
    assert_eq!(e.message, "IPv4 cannot follow UDP");
    assert_eq!(e.span, 11..13);
    assert_eq!(
        e.suggestion.as_deref(),
        Some("an ICMP error quotes a datagram after it: did you mean `ip/icmp/ip/udp`?")
    );
    let quoting = QUOTING;
    let ctx = Context::new(&quoting);
    let e = parse("set icmp.type echo-request", &ctx).unwrap_err();
    assert_eq!(
        e.message,
        "icmp.type 8 (echo-request) is not an error, and in ip/icmp/ip/udp the ICMP message quotes the datagram after it"
    );
    assert_eq!(e.span, 14..26);
    assert_eq!(
        e.suggestion.as_deref(),
        Some("for a message that quotes nothing, `new ip/icmp`")
    );
    assert_eq!(
        parse("set icmp.type time-exceeded", &ctx).unwrap(),
        Command::Set(&icmp::TYPE, Value::Raw(11))
    );
    assert_eq!(
        parse("set quoted.ip.dst 127.0.0.2", &ctx).unwrap(),
        Command::SetQuoted(&ipv4::DST, Value::Raw(0x7f00_0002))
    );
    let names = grammar::quoted_field_names(&quoting);
    assert!(names.contains(&"quoted.ip.src".to_string()), "{names:?}");
    assert!(
        !names.contains(&"quoted.icmp.type".to_string()),
        "{names:?}"
    );
    assert!(names.contains(&"quoted.ip.opt.rr".to_string()), "{names:?}");
    for n in &names {
        let option = matches!(
            parse(&format!("unset {n}"), &ctx),
            Ok(Command::UnsetQuotedOption(_))
        );
        assert!(
            grammar::quoted_field(n, &quoting).is_some() || option,
            "{n}"
        );
    }
    // The quote's options by name, as the outer header's.
    assert_eq!(
        parse("set quoted.ip.opt.rr 3", &ctx).unwrap(),
        Command::SetQuotedOption(&ipv4::OPT_RR, crate::wire::OptionValue::Count(3))
    );
    assert_eq!(
        parse("unset quoted.ip.opt.ts", &ctx).unwrap(),
        Command::UnsetQuotedOption(&ipv4::OPT_TS)
    );
    assert!(matches!(
        grammar::set_offers(&["quoted.ip.opt.ts"], &ctx)[..],
        [Offer::Words(_), Offer::Note(_)]
    ));
    assert!(grammar::set_offers(&[], &ctx).contains(&Offer::Quoted));
    assert_eq!(
        grammar::set_offers(&["quoted.ip.proto"], &ctx),
        [Offer::Values(&ipv4::PROTO)]
    );
    assert_eq!(
        parse("unset quoted.ip.ttl", &ctx).unwrap(),
        Command::UnsetQuoted(&ipv4::TTL)
    );
    let e = parse("set quoted.udp.dstprot 9", &ctx).unwrap_err();
    assert_eq!(
        e.span.start, 11,
        "the caret is under the field after `quoted.`"
    );
    let e = p("set arp.opcode 1").unwrap_err();
    assert!(e.suggestion.unwrap().ends_with("`new eth/arp`"));
}

#[test]
fn save_and_load_take_a_file_and_packets() {
    assert_eq!(
        p("save ping.pcap").unwrap(),
        Command::Save {
            path: "ping.pcap".into(),
            force: false,
            packets: vec![]
        }
    );
    assert_eq!(
        p("SAVE! \"my ping.pcap\" 2-3 #5 #7-#9 10–11 12..12").unwrap(),
        Command::Save {
            path: "my ping.pcap".into(),
            force: true,
            packets: vec![2..=3, 5..=5, 7..=9, 10..=11, 12..=12]
        }
    );
    assert_eq!(
        p("load ~/caps/lo.pcapng").unwrap(),
        Command::Load("~/caps/lo.pcapng".into())
    );
    assert_eq!(
        p("save 2024-05-01.pcap").unwrap(),
        Command::Save {
            path: "2024-05-01.pcap".into(),
            force: false,
            packets: vec![]
        },
        "a date is a name, not a range"
    );
    let e = err("save 3");
    assert_eq!(e.span, 5..6);
    let e = err("save x.pcap 5-2");
    assert_eq!(e.suggestion.as_deref(), Some("did you mean `2-5`?"));
    let e = err("save! ");
    assert_eq!(e.message, "`save!` needs a file name, such as ping.pcap");
    let e = err("save x.pcap 0");
    assert_eq!(e.span, 12..13);
    assert!(err("load -").message.contains("standard input"));
}

#[test]
fn macs_in_every_spelling() {
    assert_eq!(parse_mac_str("ff:ff:ff:ff:ff:ff"), Some(0xffff_ffff_ffff));
    assert_eq!(parse_mac_str("2:72:61:77:0:1"), Some(0x0272_6177_0001));
    assert_eq!(parse_mac_str("027261770001"), Some(0x0272_6177_0001));
    assert_eq!(parse_mac_str("02:72:61:77:00"), None);
    assert_eq!(parse_mac_str("02:72:61:77:00:100"), None);
    assert_eq!(parse_mac_str("02::61:77:00:01"), None);
    assert_eq!(parse_mac_str(""), None);
}

#[test]
fn columns_count_characters() {
    let line = "say é; sned";
    let e = ParseError::new(9..13, "x");
    assert_eq!(e.column(line), 9);
}

#[test]
fn every_command_has_a_parser_and_help() {
    for c in COMMANDS {
        assert!(!c.summary.is_empty() && !c.example.is_empty());
        let parsed = p(c.example);
        assert!(parsed.is_ok(), "example of {} fails: {:?}", c.name, parsed);
    }
}

#[test]
fn durations() {
    assert_eq!(parse_duration_str("20us"), Some(Duration::from_micros(20)));
    assert_eq!(parse_duration_str("2m"), Some(Duration::from_secs(120)));
    assert_eq!(parse_duration_str("1"), None);
    assert_eq!(parse_duration_str("ms"), None);
}

/// Words an offer stands for, as far as the grammar alone can say (interfaces and
/// files are the machine's).
fn offered(o: &Offer, ctx: &Context) -> Vec<String> {
    match o {
        Offer::Words(w) => w
            .iter()
            .filter(|w| **w != "\"")
            .map(|w| w.to_string())
            .collect(),
        Offer::Fields { everywhere } => {
            let protos: &[&Protocol] = if *everywhere {
                wire::PROTOCOLS
            } else {
                ctx.stack
            };
            protos
                .iter()
                .flat_map(|p| p.all_fields())
                .map(|f| f.name.to_string())
                .collect()
        }
        Offer::Quoted => grammar::quoted_field_names(ctx.stack),
        Offer::Values(f) => f.names.iter().map(|(_, n)| n.to_string()).collect(),
        Offer::Stacks => wire::stacks(),
        Offer::Commands => COMMANDS.iter().map(|c| c.name.to_string()).collect(),
        Offer::Lessons => lessons::all()
            .iter()
            .map(|l| l.name().to_string())
            .collect(),
        Offer::Ifaces => vec!["lo".into()],
        Offer::Path(_) => vec!["x.pcap".into()],
        Offer::Note(_) => Vec::new(),
    }
}

#[test]
fn the_table_walks_every_command() {
    let stack = [&ipv4::IPV4, &icmp::ICMP];
    let ctx = Context::new(&stack);
    let mut names = std::collections::HashSet::new();
    for c in COMMANDS {
        for n in std::iter::once(c.name).chain(c.aliases.iter().copied()) {
            assert!(names.insert(n), "{n} names two commands");
            assert_eq!(command_info(n).map(|i| i.name), Some(c.name));
        }
        assert!(c.syntax.starts_with(c.name), "{}: {}", c.name, c.syntax);
        assert!(!c.summary.is_empty() && !c.detail.is_empty(), "{}", c.name);
        if let Err(e) = parse(c.example, &ctx) {
            panic!(
                "{}'s example `{}` does not parse: {}",
                c.name, c.example, e.message
            );
        }
    }
}

/// Whatever Tab offers the parser takes: for every command, two places deep, each word
/// offered either completes the line or leaves it wanting more, never refused itself.
#[test]
fn every_word_offered_is_one_the_parser_takes() {
    let stack = [&ipv4::IPV4, &icmp::ICMP];
    let ctx = Context::new(&stack);
    let mut tried = 0;
    for c in COMMANDS {
        let mut lines = vec![(c.name.to_string(), Vec::<String>::new())];
        for _depth in 0..2 {
            let mut next = Vec::new();
            for (line, done) in &lines {
                let d: Vec<&str> = done.iter().map(String::as_str).collect();
                for o in (c.offers)(&d, &ctx) {
                    for w in offered(&o, &ctx) {
                        let typed = format!("{line} {w}");
                        tried += 1;
                        if let Err(e) = parse(&typed, &ctx) {
                            assert!(
                                e.span.start >= typed.len() || e.span.start < line.len(),
                                "`{typed}`: Tab offers `{w}` but the parser refuses it: {}",
                                e.message
                            );
                        }
                        let mut done = done.clone();
                        done.push(w);
                        next.push((typed, done));
                    }
                }
            }
            lines = next;
        }
    }
    assert!(tried > 500, "only {tried} lines tried");
}

#[test]
fn tcp_flags_take_lists_and_scapys_letters() {
    let tcp: &[&'static Protocol] = &[&ipv4::IPV4, &crate::wire::tcp::TCP];
    let value = |line: &str| match p_in(line, tcp) {
        Ok(Command::Set(_, crate::wire::template::Value::Raw(v))) => Ok(v),
        Ok(other) => panic!("{line}: {other:?}"),
        Err(e) => Err(format!("{} {:?} {:?}", e.message, e.expected, e.suggestion)),
    };
    assert_eq!(value("set tcp.flags syn,ack"), Ok(0x012));
    assert_eq!(value("set tcp.flags syn|ack"), Ok(0x012));
    assert_eq!(value("set tcp.flags S|A"), Ok(0x012));
    assert_eq!(value("set tcp.flags SA"), Ok(0x012));
    assert_eq!(value("set tcp.flags FPU"), Ok(0x029));
    assert_eq!(value("set tcp.flags cwr"), Ok(0x080));
    assert_eq!(value("set tcp.flags N"), Ok(0x100));
    assert_eq!(value("set tcp.flags syn-ack"), Ok(0x012));
    let e = value("set tcp.flags syn,akc").unwrap_err();
    assert!(e.contains("`akc` is not a flag of tcp.flags"), "{e}");
    let e = value("set tcp.flags sa").unwrap_err();
    assert!(e.contains("capitals: SA"), "{e}");
}

/// One payload limit however the bytes are typed: 65,535 less the template's headers,
/// the caret under the argument at fault.
#[test]
fn one_payload_limit_for_hex_text_zeros_and_set_data() {
    use crate::wire::{icmpv6, ipv6, udp};
    let udp = [&ipv4::IPV4, &udp::UDP];
    let hex = |n: usize| "ab".repeat(n);
    let text = |n: usize| format!("\"{}\"", "a".repeat(n));
    for (arg, n) in [
        (format!("zeros {}", 65_507), 65_507),
        (hex(65_507), 65_507),
        (text(65_507), 65_507),
    ] {
        let line = format!("payload {arg}");
        assert!(p_in(&line, &udp).is_ok(), "{n} bytes fit ip/udp");
    }
    for (line, at) in [
        ("payload zeros 65508".to_string(), 14),
        (format!("payload {}", hex(65_508)), 8),
        (format!("payload {}", text(65_508)), 8),
        (format!("set data {}", hex(65_508)), 9),
    ] {
        let e = p_in(&line, &udp).expect_err("one byte too many");
        assert_eq!(e.span.start, at, "{}", e.message);
        assert!(
            e.message.contains("do not fit")
                && e.message.contains("the headers of ip/udp leave 65,507"),
            "{}",
            e.message
        );
        assert_eq!(
            e.expected.as_deref(),
            Some("at most 65507 bytes of payload")
        );
    }
    // IPv6's payload length leaves out its fixed header; ICMP's header is 8 bytes.
    let v6 = [&ipv6::IPV6, &icmpv6::ICMPV6];
    assert!(p_in("payload zeros 65527", &v6).is_ok());
    assert!(p_in("payload zeros 65528", &v6).is_err());
    // trigger udp's data goes in a UDP datagram over IPv4, whatever the template.
    let big = format!("trigger udp 127.0.0.1 9 {}", hex(65_508));
    assert_eq!(err(&big).span.start, 24);
    assert!(p(&format!("trigger udp 127.0.0.1 9 {}", hex(65_507))).is_ok());
}

#[test]
fn an_option_given_twice_is_refused_where_it_repeats() {
    for (line, at) in [
        ("send count 2 count 3", 13),
        ("send every 1ms count 2 every 2ms", 23),
        ("ping 127.0.0.1 mode raw mode kernel", 24),
        ("trigger ping 127.0.0.1 count 1 count 2", 31),
    ] {
        let e = err(line);
        assert_eq!(e.span.start, at, "{line}: {e:?}");
        assert!(e.message.contains("is given twice"), "{}", e.message);
        assert!(
            e.suggestion
                .as_deref()
                .is_some_and(|s| s.starts_with("keep one: `")),
            "{e:?}"
        );
    }
    assert!(p("send count 2 every 1ms").is_ok());
}

#[test]
fn a_duration_says_the_units_there_are_and_the_cap() {
    let e = err("wait 1h");
    assert_eq!(e.span, 5..7);
    let expected = e.expected.unwrap();
    assert!(
        expected.contains("ns, us (or µs), ms, s or m") && expected.contains("at most 10m"),
        "{expected}"
    );
    assert!(e.suggestion.unwrap().contains("`10m` is the longest"));
    assert_eq!(
        err("wait 0.1h").suggestion.as_deref(),
        Some("did you mean `6m`?")
    );
    assert_eq!(
        err("wait 5sec").suggestion.as_deref(),
        Some("did you mean `5s`?")
    );
    assert!(err("wait 11m").message.contains("`wait` waits at most 10m"));
    assert!(
        err("send every 2m")
            .message
            .contains("`every` is at most 60s")
    );
    assert!(
        err("set timeout 1h")
            .expected
            .unwrap()
            .contains("at most 10m")
    );
}

#[test]
fn a_number_for_an_address_is_told_of_dotted_quads() {
    for (typed, means) in [
        ("0x7f000001", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
    ] {
        let s = err(&format!("send {typed}")).suggestion.unwrap();
        assert!(
            s.contains("dotted quad") && s.ends_with(&format!("write {means}")),
            "{typed}: {s}"
        );
        assert!(!s.contains("names"), "{typed}: {s}");
    }
    assert!(err("send localhost").suggestion.unwrap().contains("names"));
    assert!(err("send 1.2.3.4.5").suggestion.is_none());
}

/// A port unreachable built as layers, quoting a UDP datagram.
const QUOTING: [&Protocol; 4] = [
    &ipv4::IPV4,
    &icmp::ICMP,
    &ipv4::IPV4,
    &crate::wire::udp::UDP,
];

/// A line the grammar refuses with a message that holds `part`.
fn says(line: &str, part: &str) {
    let e = err(line);
    assert!(e.message.contains(part), "{line}: {}", e.message);
}

/// Options by name: each shape's words, addresses with spaces or commas, ping -T's
/// words for timestamps, and what is refused.
#[test]
fn options_by_name() {
    use crate::wire::OptionValue;
    let set = |line: &str| match p(line).unwrap() {
        Command::SetOption(f, v) => (f.name, v),
        other => panic!("{line}: {other:?}"),
    };
    assert_eq!(set("set ip.opt.rr 9"), ("ip.opt.rr", OptionValue::Count(9)));
    assert_eq!(set("set IP.OPT.RR"), ("ip.opt.rr", OptionValue::Count(9)));
    assert_eq!(
        set("set ip.opt.lsrr 192.0.2.2,203.0.113.2"),
        (
            "ip.opt.lsrr",
            OptionValue::Addresses(vec![0xc000_0202, 0xcb00_7102])
        )
    );
    assert_eq!(
        set("set ip.opt.ssrr 192.0.2.2 203.0.113.2"),
        (
            "ip.opt.ssrr",
            OptionValue::Addresses(vec![0xc000_0202, 0xcb00_7102])
        )
    );
    let stamps = |flag, slots, addresses| OptionValue::Stamps {
        flag,
        slots,
        addresses,
    };
    assert_eq!(set("set ip.opt.ts 3"), ("ip.opt.ts", stamps(0, 3, vec![])));
    assert_eq!(
        set("set ip.opt.ts tsandaddr 2"),
        ("ip.opt.ts", stamps(1, 2, vec![]))
    );
    assert_eq!(
        set("set ip.opt.ts tsprespec 192.0.2.2"),
        ("ip.opt.ts", stamps(3, 0, vec![0xc000_0202]))
    );
    assert_eq!(
        set("set ip.opt.ra examine"),
        ("ip.opt.ra", OptionValue::Raw(0))
    );
    assert_eq!(set("set ip.opt.nop"), ("ip.opt.nop", OptionValue::Count(1)));
    assert_eq!(
        set("set ip.opt.eol 2"),
        ("ip.opt.eol", OptionValue::Count(2))
    );
    assert_eq!(
        p("unset ip.opt.rr").unwrap(),
        Command::UnsetOption(&ipv4::OPT_RR)
    );
    assert_eq!(
        p("explain ip.opt.rr").unwrap(),
        Command::Explain(&ipv4::OPT_RR)
    );
    let e = err("set ip.opt.ts bogus 2");
    assert_eq!(e.message, "`bogus` is no kind of timestamp option");
    assert_eq!(e.span, 14..19);
    says(
        "set ip.opt.lsrr",
        "`set ip.opt.lsrr` needs the hops' addresses",
    );
    let e = err("set ip.opt.lsrr 192.0.2.2,nowhere");
    assert_eq!(e.message, "`nowhere` is not an IPv4 address");
    assert_eq!(e.span, 26..33, "the caret under the word after the comma");
    let e = err("set ip.opt.nop 1 2");
    assert_eq!(e.message, "unexpected `2`");
    let v6: [&'static Protocol; 2] = [&crate::wire::ipv6::IPV6, &crate::wire::icmpv6::ICMPV6];
    let e = parse("set ip.opt.rr 9", &Context::new(&v6)).unwrap_err();
    assert_eq!(
        e.message,
        "ip.opt.rr is an option of IPv4, which ipv6/icmpv6 does not have"
    );
    assert_eq!(
        e.suggestion.as_deref(),
        Some("start a template that has it: `new ip/icmp`")
    );
    // Tab after the name: the option's own words, and what it takes.
    let stack: [&'static Protocol; 2] = [&ipv4::IPV4, &icmp::ICMP];
    let ctx = Context::new(&stack);
    let offers = grammar::set_offers(&["ip.opt.ts"], &ctx);
    assert!(
        offers.contains(&Offer::Words(&["tsonly", "tsandaddr", "tsprespec", "9"])),
        "{offers:?}"
    );
}

/// ping -i's `interval`, in seconds or with a unit, bounded as `every`; said once; and
/// ping -R's `rr`.
#[test]
fn ping_interval_and_record_route() {
    let every = |line: &str| match p(line).unwrap() {
        Command::Ping(a, _, o) => (a.every, o.record_route),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        every("ping 127.0.0.1 interval 0.2"),
        (Some(Duration::from_millis(200)), false)
    );
    assert_eq!(
        every("ping 127.0.0.1 interval 2 rr"),
        (Some(Duration::from_secs(2)), true)
    );
    assert_eq!(
        every("ping 127.0.0.1 interval 50ms"),
        (Some(Duration::from_millis(50)), false)
    );
    says(
        "ping 127.0.0.1 interval 61",
        "ping sends at least once a minute, so `interval` is at most 60s",
    );
    let e = err("ping 127.0.0.1 every 1s interval 2");
    assert_eq!(e.message, "`interval` says again what `every` said");
    assert_eq!(e.span, 24..32);
    let e = err("ping 127.0.0.1 rr rr");
    assert_eq!(e.message, "`rr` is given twice");
    says("ping 127.0.0.1 interval", "seconds between requests");
}

/// `explain quoted.FIELD` and Tab after `unset quoted.` and `explain quoted.`, where the
/// template quotes a datagram.
#[test]
fn quoted_fields_explained_and_offered() {
    let quoting = QUOTING;
    let ctx = Context::new(&quoting);
    assert_eq!(
        parse("explain quoted.ip.ttl", &ctx).unwrap(),
        Command::ExplainQuoted(&ipv4::TTL)
    );
    assert_eq!(
        parse("explain QUOTED.udp.dstport", &ctx).unwrap(),
        Command::ExplainQuoted(&crate::wire::udp::DSTPORT)
    );
    let e = parse("explain quoted.tcp.seq", &ctx).unwrap_err();
    assert_eq!(e.message, "tcp.seq_raw is not in this template (ip/udp)");
    says("explain quoted.ip.ttl", "and ip/icmp quotes none");
    for offers in [
        grammar::fields_offers(&[], &ctx),
        grammar::explain_offers(&[], &ctx),
    ] {
        assert!(offers.contains(&Offer::Quoted), "{offers:?}");
    }
    let stack: [&'static Protocol; 2] = [&ipv4::IPV4, &icmp::ICMP];
    let plain = Context::new(&stack);
    assert!(!grammar::fields_offers(&[], &plain).contains(&Offer::Quoted));
    assert!(!grammar::explain_offers(&[], &plain).contains(&Offer::Quoted));
}

/// A byte by its offset, as a post that counts bytes from 1 is checked; privilege off
/// and on.
#[test]
fn a_packets_byte_and_privilege() {
    assert_eq!(
        p("expect packet 1 byte 20 == 0x08").unwrap(),
        Command::Expect(Expect::PacketByte {
            no: 1,
            offset: 20,
            cmp: Cmp::Eq,
            value: 8
        })
    );
    let e = err("expect packet 1 byte 20 == 300");
    assert!(e.message.contains("300 does not fit in a byte"), "{e:?}");
    let e = err("expect packet 1 byte 70000 == 1");
    assert!(e.message.contains("at most 65535 bytes"), "{e:?}");
    assert_eq!(p("privilege off").unwrap(), Command::Privilege(false));
    assert_eq!(p("privilege on").unwrap(), Command::Privilege(true));
    let e = err("privilege maybe");
    assert!(e.message.contains("unexpected `maybe`"), "{e:?}");
}

/// `fragment SIZE` takes an MTU a fragment fits in and a packet can have, and says which
/// end a refused one is past.
#[test]
fn fragment_takes_an_mtu_a_packet_can_have() {
    assert_eq!(
        p("fragment 576").unwrap(),
        Command::Fragment(Fragmenting::Mtu(576))
    );
    assert_eq!(
        err("fragment 20").message,
        "fragment 20: an MTU of 20 bytes holds no fragment"
    );
    let e = err("fragment 100000");
    assert!(
        e.message.contains("is more than any packet can be"),
        "{}",
        e.message
    );
    assert_eq!(e.span, 9..15);
}
