//! Beyond one wire, in the sandbox (as the current user and as an ordinary one): the
//! peer routes to a far host at 203.0.113.2 on a second cable with a smaller MTU, so
//! a TTL of 1 earns the router's time exceeded, `trace` finds the peer and then the
//! far host, and a datagram too large for the far cable with DF set earns
//! fragmentation needed. The same in IPv6 (2001:db8:1::/64, 2001:db8:2::/64): hop limit
//! 1 earns ICMPv6 time exceeded, `trace` takes an IPv6 destination, and a packet too
//! big for the far cable earns packet too big, whose MTU the kernel keeps. Every
//! address is inside namespaces rawlab made.

mod common;
use common::*;

#[test]
fn the_sandbox_has_a_router_and_a_far_host_behind_it() {
    for user in users() {
        let r = run_script(user, "set ip.dst 203.0.113.2\nsend\nstatus\n", &[]);
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            r.stderr.contains(
                "cabled to a peer at 192.0.2.2, which routes to a far host at 203.0.113.2 (its cable's MTU 1400)"
            ),
            "{}",
            r.all()
        );
        // The far host answers, one hop away: its reply's TTL is one less than 64.
        assert!(
            r.stdout
                .contains("IPv4 203.0.113.2 → 192.0.2.1 ttl 63 icmp · ICMP echo-reply"),
            "{}",
            r.all()
        );
        assert!(r.stdout.contains("reply to #1"), "{}", r.all());
    }
}

#[test]
fn a_ttl_of_one_earns_the_routers_time_exceeded_matched_to_the_send() {
    for user in users() {
        let r = run_script(
            user,
            "set ip.dst 203.0.113.2\nset ip.ttl 1\nsend\nexpect last icmp.type == time-exceeded\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            r.stdout.contains(
                "IPv4 192.0.2.2 → 192.0.2.1 ttl 64 icmp · ICMP time-exceeded ttl-exceeded"
            ),
            "{}",
            r.all()
        );
        assert!(
            r.stdout.contains(
                "an error about #1: it quotes the whole of it, 30 bytes; 192.0.2.2 is a router on the way to 203.0.113.2: the datagram reached it with a TTL of 1, too few to pass on"
            ),
            "{}",
            r.all()
        );
        assert!(!r.stdout.contains("no reply"), "{}", r.all());
    }
}

#[test]
fn trace_lists_the_router_then_the_far_host_with_each_probe_related() {
    for user in users() {
        let r = run_script(
            user,
            "trace 203.0.113.2\ntrace 203.0.113.2 proto udp\ntrace 203.0.113.2 proto tcp hops 4\ntrace 203.0.113.2 hops 1\ncaptures\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        let out = &r.stdout;
        let hops = |after: &str| -> Vec<String> {
            out.split(after)
                .nth(1)
                .unwrap_or_else(|| panic!("{after} not run: {out}"))
                .lines()
                .skip(1)
                .take_while(|l| l.starts_with(' '))
                .map(|l| {
                    l.split("  ")
                        .filter(|w| !w.is_empty())
                        .take(2)
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect()
        };
        assert_eq!(
            hops("raw> trace 203.0.113.2\n"),
            [" 1 192.0.2.2", " 2 203.0.113.2"],
            "{out}"
        );
        assert!(
            out.contains(" time exceeded · #2 answers #1, sent with ttl 1"),
            "{out}"
        );
        assert!(
            out.contains(" echo reply · #4 answers #3, sent with ttl 2"),
            "{out}"
        );
        assert!(
            out.contains(" port unreachable · #8 answers #7, sent with ttl 2"),
            "{out}"
        );
        assert!(
            out.contains(" TCP rst ack · #12 answers #11, sent with ttl 2"),
            "{out}"
        );
        assert_eq!(
            out.matches("reached 203.0.113.2 in 2 hops").count(),
            3,
            "{out}"
        );
        assert!(
            out.contains("203.0.113.2 did not answer within 1 hop (a `*`"),
            "{out}"
        );
        // Every probe and answer is kept and related, for `dump N`.
        assert!(out.contains("· an error about #1\n"), "{out}");
        assert!(out.contains("· reply to #3\n"), "{out}");
    }
}

#[test]
fn too_large_for_the_far_cable_with_df_earns_fragmentation_needed() {
    for user in users() {
        let r = run_script(
            user,
            "set ip.dst 203.0.113.2\nset ip.flags.df 1\npayload zeros 1450\nsend\nexpect last icmp.mtu == 1400\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            r.stdout.contains(
                "192.0.2.2 could not forward the datagram of 1478 bytes to 203.0.113.2: its don't-fragment bit is set and the next link's MTU is 1400 bytes (icmp.mtu)"
            ),
            "{}",
            r.all()
        );
    }
}

#[test]
fn trace_refuses_what_it_cannot_do_with_the_fix() {
    let r = run_script(
        User::Me,
        "trace 203.0.113.2 proto xyz\ntrace 203.0.113.2 hops 31\ntrace 203.0.113.2 proto udp proto tcp\n",
        &[],
    );
    assert_eq!(r.code, 2, "{}", r.all());
    for want in [
        "`xyz` is no probe trace sends",
        "hops 31 is out of range",
        "expected 1..=30 (a TTL for each)",
        "`proto` is given twice",
    ] {
        assert!(r.stderr.contains(want), "{want}: {}", r.all());
    }
    // Off the sandbox's hosts, nothing is sent.
    let r = run_script(User::Me, "trace 198.51.100.7\ncaptures\n", &[]);
    assert!(
        r.stdout.contains("error: 198.51.100.7 is not loopback")
            && r.stdout.contains("no packets yet"),
        "{}",
        r.all()
    );
}

#[test]
fn route_shows_the_path_mtu_the_kernel_learned_and_sendto_is_held_to_it() {
    for user in users() {
        let r = run_script(
            user,
            "route 203.0.113.2\nset ip.dst 203.0.113.2\nset ip.flags.df 1\npayload zeros 1450\nsend\nroute 203.0.113.2\nsend\nmode kernel\nlisten link veth0\nsend\n",
            &[],
        );
        let out = &r.stdout;
        assert!(
            out.contains("route to 203.0.113.2: via the gateway 192.0.2.2, leaving on veth0, from 192.0.2.1\n  no path MTU cached: veth0's MTU, 1500, is the limit"),
            "{}",
            r.all()
        );
        assert!(
            out.contains("  path MTU 1400, below veth0's 1500: the kernel learned it from an ICMP fragmentation needed"),
            "{}",
            r.all()
        );
        // What rawlab writes the header of is refused, and the reason names the path MTU.
        assert!(
            out.contains("failed: Message too long (os error 90): 1478 bytes is more than the path MTU of 1400 bytes the kernel has learned for 203.0.113.2")
                && out.contains("and ip.flags.df forbids cutting it: with `set ip.flags.df 0` the kernel cuts it into fragments that fit"),
            "{}",
            r.all()
        );
        // What the kernel builds it cuts to fit: two fragments leave on veth0.
        let kernel = out.split("kernel> send\n").nth(1).unwrap();
        assert!(kernel.contains(" · outgoing · 1410 bytes"), "{kernel}");
        assert!(kernel.contains(" · outgoing · 116 bytes"), "{kernel}");
    }
}

#[test]
fn ping_takes_size_and_ttl_and_says_each_error_as_ping_does() {
    for user in users() {
        let r = run_script(
            user,
            "ping 203.0.113.2 count 3 every 100ms size 1400\nping 203.0.113.2 ttl 1 count 2 every 100ms\nping 127.0.0.1 size 8 count 1\nping 127.0.0.1 count 1 stamps\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        let out = &r.stdout;
        // Path MTU discovery as ping(8) meets it: the first request, with DF and too big
        // for the far cable, earns fragmentation needed; the kernel then cuts the next
        // ones to fit, and they are answered.
        assert!(out.contains("PING 203.0.113.2: 1400 data bytes"), "{out}");
        assert!(
            out.contains(
                "From 192.0.2.2 icmp_seq=1 Frag needed and DF set (mtu = 1400)  (#1 → #2;"
            ),
            "{out}"
        );
        assert!(
            out.contains("1408 bytes from 203.0.113.2: icmp_seq=2 ttl=63"),
            "{out}"
        );
        assert!(
            out.contains("3 packets transmitted, 2 received, +1 errors, 33% packet loss"),
            "{out}"
        );
        assert!(
            out.contains("From 192.0.2.2 icmp_seq=2 Time to live exceeded"),
            "{out}"
        );
        assert!(
            out.contains("2 packets transmitted, 0 received, +2 errors, 100% packet loss"),
            "{out}"
        );
        assert!(out.contains("no reply came, but ICMP errors did"), "{out}");
        assert!(!out.contains("is not in the sandbox"), "{out}");
        assert!(out.contains("PING 127.0.0.1: 8 data bytes"), "{out}");
        assert!(out.contains("16 bytes from 127.0.0.1: icmp_seq=1"), "{out}");
        // `stamps`: the answer's time first, in seconds since 1970, as ping -D prints it.
        let stamped = out
            .lines()
            .find(|l| l.starts_with('['))
            .unwrap_or_else(|| panic!("{out}"));
        let (stamp, rest) = stamped
            .split_once("] ")
            .unwrap_or_else(|| panic!("{stamped}"));
        let (secs, micros) = stamp.trim_start_matches('[').split_once('.').unwrap();
        assert!(secs.parse::<u64>().unwrap() > 1_700_000_000, "{stamped}");
        assert_eq!(micros.len(), 6, "{stamped}");
        assert!(
            rest.starts_with("64 bytes from 127.0.0.1: icmp_seq=1"),
            "{stamped}"
        );
    }
}

#[test]
fn with_df_clear_the_kernel_cuts_even_rawlabs_header_to_the_path_mtu() {
    for user in users() {
        let r = run_script(
            user,
            "set ip.dst 203.0.113.2\nset ip.flags.df 1\npayload zeros 1450\nsend\nlisten link veth0\nset ip.flags.df 0\nsend\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        let after = r.stdout.split("set ip.flags.df 0\n").nth(1).unwrap();
        let after = after.split("raw> send\n").nth(1).unwrap();
        // Two fragments leave, 1396 and 102 bytes of IP (Ethernet adds 14), and the far
        // host's reply comes back whole to the raw socket, reassembled.
        assert!(after.contains(" · outgoing · 1410 bytes"), "{after}");
        assert!(after.contains(" · outgoing · 116 bytes"), "{after}");
        assert!(
            after.contains("← captured on send's AF_INET raw socket for icmp · 1478 bytes"),
            "{after}"
        );
        assert!(!after.contains("Message too long"), "{after}");
    }
}

// IPv6 through the same router: 2001:db8:1::/64 on the first cable, 2001:db8:2::/64 on
// the far one.

#[test]
fn the_far_host_answers_ipv6_through_the_router() {
    for user in users() {
        let r = run_script(
            user,
            "new ip6/icmp6\nset ipv6.dst 2001:db8:2::2\nsend\nexpect last icmpv6.type == echo-reply\nifaces\nstatus\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        let out = &r.stdout;
        assert!(
            r.stderr.contains(
                "; in IPv6 2001:db8:1::1, the peer 2001:db8:1::2, the far host 2001:db8:2::2"
            ),
            "{}",
            r.all()
        );
        assert!(
            out.contains("2001:db8:2::2 → 2001:db8:1::1, as the socket reported it"),
            "{out}"
        );
        assert!(out.contains("reply to #1"), "{out}");
        // The socket kept the IPv6 header, but reported its addresses: the checksum is
        // judged over a pseudo-header made of them.
        let reply = dump_of(out, 2);
        assert!(
            reply
                .lines()
                .any(|l| l.contains("icmpv6.checksum") && l.contains("✓ correct")),
            "{reply}"
        );
        assert!(out.contains("192.0.2.1/24 2001:db8:1::1/64"), "{out}");
        assert!(
            out.contains("the other, veth1 at 192.0.2.2 and 2001:db8:1::2 (02:72:61:77:00:02), is in the peer's namespace; the peer routes to the far host 203.0.113.2 and 2001:db8:2::2 behind it (that cable's MTU 1400)"),
            "{out}"
        );
        assert!(
            out.contains(
                "2001:db8:1::2, 2001:db8:2::1, 2001:db8:2::2); elsewhere only with --allow-remote"
            ),
            "{out}"
        );
        assert!(!out.contains("no reply"), "{out}");
    }
}

/// In mode kernel the kernel writes the IPv6 header and picks the source: what rawlab
/// keeps of the send says no source (not the template's ::1, which never left), and the
/// far host's reply is related to it.
#[test]
fn in_mode_kernel_the_kernels_own_source_is_not_mistaken_for_the_templates() {
    for user in users() {
        let r = run_script(
            user,
            "new ip6/icmp6\nmode kernel\nset ipv6.dst 2001:db8:2::2\nsend\nexpect reply icmpv6.type == echo-reply\ncaptures\n",
            &[],
        );
        assert_eq!(r.code, 0, "[{user:?}] {}", r.all());
        assert!(
            r.stdout.contains("reply to #1") && r.stdout.contains("IPv6 :: → 2001:db8:2::2"),
            "[{user:?}] {}",
            r.all()
        );
    }
}

/// `ping` over IPv6 as ping(8) does it: through the router to the far host, the
/// router's time exceeded for hop limit 1, and path MTU discovery met as packet too big
/// (the first request lost, the next cut by the kernel and answered); in mode raw too.
#[test]
fn ping_over_ipv6_through_the_router_answers_and_reports_its_errors() {
    for user in users() {
        let r = run_script(
            user,
            "ping 2001:db8:2::2 count 2 interval 0.2\nping 2001:db8:2::2 count 1 ttl 1\nping 2001:db8:2::2 count 2 size 1400 interval 0.2\nping 2001:db8:2::2 count 1 mode raw\nexpect ping received 1\n",
            &[],
        );
        assert_eq!(r.code, 0, "[{user:?}] {}", r.all());
        for want in [
            "PING 2001:db8:2::2: 56 data bytes",
            "64 bytes from 2001:db8:2::2: icmp_seq=1",
            "2 packets transmitted, 2 received, 0% packet loss",
            "From 2001:db8:1::2 icmp_seq=1 Time exceeded: Hop limit",
            "From 2001:db8:1::2 icmp_seq=1 Packet too big: mtu=1400",
            "1408 bytes from 2001:db8:2::2: icmp_seq=2",
            "2 packets transmitted, 1 received, +1 errors, 50% packet loss",
            "rawlab writes the IPv6 header (from the source the kernel chooses for it)",
            // Only a packet socket sees a request this host sends over IPv6.
            "`listen link` first to see each request on the wire (a packet socket: an AF_INET6 raw socket sees none this host sends)",
        ] {
            assert!(r.stdout.contains(want), "[{user:?}] {want}: {}", r.all());
        }
    }
}

#[test]
fn a_hop_limit_of_one_earns_the_routers_icmpv6_time_exceeded_matched_to_the_send() {
    for user in users() {
        let r = run_script(
            user,
            "new ip6/icmp6\nset ipv6.dst 2001:db8:2::2\nset ipv6.hlim 1\nsend\nexpect last icmpv6.type == time-exceeded\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        let out = &r.stdout;
        assert!(
            out.contains("ICMPv6 time-exceeded hop-limit-exceeded · quoted IPv6 2001:db8:1::1 → 2001:db8:2::2 hlim 1 icmpv6"),
            "{out}"
        );
        assert!(
            out.contains("2001:db8:1::2 → 2001:db8:1::1, as the socket reported it"),
            "{out}"
        );
        assert!(
            out.contains("an error about #1: it quotes the whole of it, 48 bytes; 2001:db8:1::2 is a router on the way to 2001:db8:2::2: the datagram reached it with a hop limit of 1, too few to pass on"),
            "{out}"
        );
        // The error's own checksum, over the router's address and ours, and the quoted
        // request's, over the quoted header.
        let error = dump_of(out, 2);
        assert_eq!(
            error
                .lines()
                .filter(|l| l.contains("icmpv6.checksum") && l.contains("✓ correct"))
                .count(),
            2,
            "{error}"
        );
        assert!(!out.contains("no reply"), "{out}");
    }
}

#[test]
fn trace_to_an_ipv6_destination_finds_the_router_then_the_far_host() {
    for user in users() {
        let r = run_script(
            user,
            "trace 2001:db8:2::2\ntrace 2001:db8:2::2 proto udp\ncaptures\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        let out = &r.stdout;
        assert!(
            out.contains("traceroute6 to 2001:db8:2::2, 30 hops at most, one probe a hop (ICMP echo requests); rawlab writes each IPv6 header (mode raw) to set its hop limit"),
            "{out}"
        );
        let hop = |n: &str, addr: &str, what: &str| {
            out.lines()
                .any(|l| l.starts_with(n) && l.contains(&format!("  {addr}  ")) && l.contains(what))
        };
        assert!(
            hop(
                " 1",
                "2001:db8:1::2",
                " time exceeded · #2 answers #1, sent with hop limit 1"
            ),
            "{out}"
        );
        assert!(
            hop(
                " 2",
                "2001:db8:2::2",
                " echo reply · #4 answers #3, sent with hop limit 2"
            ),
            "{out}"
        );
        assert!(
            hop(
                " 1",
                "2001:db8:1::2",
                " time exceeded · #6 answers #5, sent with hop limit 1"
            ),
            "{out}"
        );
        assert!(
            hop(
                " 2",
                "2001:db8:2::2",
                " port unreachable · #8 answers #7, sent with hop limit 2"
            ),
            "{out}"
        );
        assert_eq!(
            out.matches("reached 2001:db8:2::2 in 2 hops").count(),
            2,
            "{out}"
        );
        assert!(out.contains("· an error about #1\n"), "{out}");
        assert!(out.contains("· reply to #3\n"), "{out}");
    }
}

#[test]
fn too_large_for_the_far_cable_earns_packet_too_big_and_the_kernel_keeps_the_path_mtu() {
    for user in users() {
        let r = run_script(
            user,
            "route 2001:db8:2::2\nnew ip6/icmp6\nset ipv6.dst 2001:db8:2::2\npayload zeros 1400\nsend\nexpect last icmpv6.mtu == 1400\nroute 2001:db8:2::2\nsend\n",
            &[],
        );
        let out = &r.stdout;
        assert!(
            out.contains("route to 2001:db8:2::2: via the gateway 2001:db8:1::2, leaving on veth0, from 2001:db8:1::1\n  no path MTU cached: veth0's MTU, 1500, is the limit (a router's ICMPv6 packet too big would lower it)"),
            "{}",
            r.all()
        );
        assert!(
            out.contains("ICMPv6 packet-too-big code 0 mtu 1400"),
            "{}",
            r.all()
        );
        assert!(
            out.contains("an error about #1: it quotes its first 1232 of 1448 bytes; 2001:db8:1::2 could not forward the packet of 1448 bytes to 2001:db8:2::2: it is larger than the next link's MTU, 1400 bytes (icmpv6.mtu), and IPv6 routers never fragment"),
            "{}",
            r.all()
        );
        assert!(
            out.contains("✓ expect last icmpv6.mtu == 1400"),
            "{}",
            r.all()
        );
        assert!(
            out.contains("  path MTU 1400, below veth0's 1500: the kernel learned it from an ICMPv6 packet too big"),
            "{}",
            r.all()
        );
        // Now sendto itself refuses what is larger, and says what would fit.
        assert!(
            out.contains("failed: Message too long (os error 90): 1448 bytes is more than the path MTU of 1400 bytes the kernel has learned for 2001:db8:2::2")
                && out.contains("`fragment 1400` cuts the template into fragments that fit"),
            "{}",
            r.all()
        );
    }
}

/// A record-route ping through the router, as ping -R: the addresses each reply brought
/// back, there and back (the router's two among them), then `(same route)`; the same
/// option set by name on a template and sent, its reply dissected slot by slot.
/// A timestamp option gathers a time from each hop that writes one, and every captured
/// copy's checksum is right for the header as it arrived: the receiving kernel stamps
/// (or counts the overflow) after checking it.
#[test]
fn timestamps_are_stamped_on_the_way_and_judged_as_they_arrived() {
    for user in users() {
        let r = run_script(
            user,
            "listen icmp\nset ip.dst 203.0.113.2\nset ip.opt.ts tsonly 4\nsend\nset ip.dst 127.0.0.1\nsend\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        let captured: Vec<&str> = r.stdout.split("← captured").skip(1).collect();
        assert_eq!(captured.len(), 3, "[{user:?}] {}", r.all());
        for c in &captured {
            assert!(
                c.contains("◐ as it arrived") && !c.contains("✗ wrong"),
                "[{user:?}] {}",
                r.all()
            );
        }
        let stamps = |c: &str| {
            c.lines()
                .filter(|l| l.contains("ip.opt.time_stamp") && !l.contains(" 0 ms"))
                .count()
        };
        // Through the router: the router both ways, the far host on arrival and as it
        // answered; this host found the slots full and counted itself as overflow.
        assert_eq!(stamps(captured[0]), 4, "[{user:?}] {}", r.all());
        assert!(
            captured[0].contains("ip.opt.overflow       1"),
            "{}",
            r.all()
        );
        // On lo: the request stamped on arrival; its reply as it left and as it arrived.
        assert_eq!(stamps(captured[1]), 1, "[{user:?}] {}", r.all());
        assert_eq!(stamps(captured[2]), 3, "[{user:?}] {}", r.all());
    }
}

#[test]
fn a_record_route_ping_lists_the_routers_addresses() {
    for user in users() {
        let r = run_script(
            user,
            "ping 203.0.113.2 count 2 interval 0.2 rr\nset ip.dst 203.0.113.2\nset ip.opt.rr 9\nshow\nsend\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            r.stdout.contains("PING 203.0.113.2: 56 data bytes")
                && r.stdout.contains("recording the route"),
            "{}",
            r.all()
        );
        // Linux records its own address on the way out (it writes the header), the
        // router its far side, the far host itself on the reply, the router its near side.
        assert!(
            r.stdout.contains(
                "RR: 192.0.2.1 → 203.0.113.1 → 203.0.113.2 → 203.0.113.2 → 192.0.2.2 → 192.0.2.1"
            ),
            "[{user:?}] {}",
            r.all()
        );
        assert!(r.stdout.contains("RR: (same route)"), "{}", r.all());
        assert!(
            r.stdout.contains("2 packets transmitted, 2 received"),
            "{}",
            r.all()
        );
        // Set by name: nine empty slots, the header grown to 60 bytes.
        assert!(
            r.stdout
                .contains("ip.hdr_len              60 bytes (15 × 4)"),
            "{}",
            r.all()
        );
        assert!(
            r.stdout.contains("ip.opt.len            39 bytes"),
            "{}",
            r.all()
        );
        // The reply to the send holds the router's addresses in its slots.
        let reply = r
            .stdout
            .split("← captured")
            .nth(1)
            .unwrap_or_else(|| panic!("no reply: {}", r.all()));
        // The receiving kernel filled the last slot after checking the checksum.
        assert!(
            reply.contains("ip.checksum")
                && reply.contains("◐ as it arrived")
                && !reply.contains("✗ wrong"),
            "[{user:?}] {}",
            r.all()
        );
        for hop in ["203.0.113.1", "192.0.2.2"] {
            assert!(
                reply
                    .lines()
                    .any(|l| l.contains("ip.rec_rt") && l.contains(hop)),
                "[{user:?}] {hop} recorded: {}",
                r.all()
            );
        }
    }
}
