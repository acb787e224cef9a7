//! "Why no reply" rests on what the kernel counted: each test makes the kernel drop
//! or answer a packet in rawlab's sandbox, where only rawlab's traffic moves the
//! counters, and checks that the delta is shown first and that the explanation
//! follows from it (and that explanations the counters contradict are gone).

mod common;
use common::{run_script, users};

/// The lines from the send's verdict ("no reply to …" or "nothing answered …") to the
/// next command.
fn verdict(out: &str) -> String {
    let mut lines = out
        .lines()
        .skip_while(|l| !l.starts_with("no reply to") && !l.starts_with("nothing answered"));
    let mut s = String::new();
    if let Some(first) = lines.next() {
        s.push_str(first);
        s.push('\n');
    }
    for l in lines.take_while(|l| l.starts_with(' ')) {
        s.push_str(l);
        s.push('\n');
    }
    s
}

/// Where `needle` starts in `hay`, or a panic showing both.
fn at(hay: &str, needle: &str, all: &str) -> usize {
    hay.find(needle)
        .unwrap_or_else(|| panic!("no {needle:?} in the verdict\n{all}"))
}

#[test]
fn a_wrong_icmp_checksum_is_counted_and_the_count_comes_first() {
    for user in users() {
        let r = run_script(
            user,
            "set timeout 300ms\nset icmp.checksum 0x1111\nsend\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        let v = verdict(&r.stdout);
        let counted = at(
            &v,
            "  • the kernel counted, in the sandbox's network namespace, where only rawlab's traffic moves the counters:",
            &r.all(),
        );
        let line = at(
            &v,
            "    Icmp InCsumErrors +1 (an ICMP message arrived with a wrong checksum and was dropped)",
            &r.all(),
        );
        let reason = at(
            &v,
            "icmp.checksum is 0x1111, but the bytes add up to 0x3721: the receiving kernel dropped it as corrupt without a word, and counted it (Icmp InCsumErrors +1)",
            &r.all(),
        );
        assert!(counted < line && line < reason, "{}", r.all());
    }
}

/// A datagram to a closed port is answered by the kernel's port unreachable (shown
/// as the answer to the send), and `why` gives what the kernel counted for it.
#[test]
fn a_udp_datagram_to_a_closed_port_shows_what_the_kernel_counted() {
    for user in users() {
        let r = run_script(
            user,
            "set timeout 300ms\nnew ip/udp\nset src 127.0.0.1\nsend\nwhy 1\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        let why = r.stdout.split("raw> why 1").nth(1).unwrap_or_default();
        at(
            why,
            "#3 is an error about it (quoting its copy #2)",
            &r.all(),
        );
        at(
            why,
            "while its send ran the kernel counted, in the sandbox's network namespace",
            &r.all(),
        );
        let noports = at(
            why,
            "    Udp NoPorts +1 (a UDP datagram arrived for a port no socket is bound to",
            &r.all(),
        );
        let unreach = at(
            why,
            "    Icmp OutDestUnreachs +1 (a destination unreachable was sent)",
            &r.all(),
        );
        assert!(noports < unreach, "{}", r.all());
        assert!(!r.stdout.contains("no reply to"), "{}", r.all());
    }
}

#[test]
fn a_header_the_kernel_refuses_is_counted_as_a_header_error() {
    for user in users() {
        let r = run_script(
            user,
            "set timeout 300ms\nmode hdrincl\nset ip.version 6\nsend\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        let v = verdict(&r.stdout);
        at(
            &v,
            "    Ip InHdrErrors +1 (an IPv4 packet was dropped for a bad header",
            &r.all(),
        );
        at(
            &v,
            "nothing was counted coming in for ICMP (no Icmp counter moved on the way in)",
            &r.all(),
        );
        at(
            &v,
            "ip.version is 6: a receiving kernel drops anything that is not version 4 (it counted Ip InHdrErrors +1)",
            &r.all(),
        );
    }
}

/// In a frame nothing rewrites ip.checksum: the peer's kernel counts the bad header.
#[test]
fn a_wrong_ip_checksum_in_a_frame_is_counted_by_the_peer() {
    for user in users() {
        let r = run_script(
            user,
            "set timeout 300ms\nnew eth/ip/icmp\nset eth.dst 02:72:61:77:00:02\nset ip.checksum 0x1111\nmode link veth0\nsend 192.0.2.2\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        let v = verdict(&r.stdout);
        at(
            &v,
            "  • the kernel counted nothing, in the sandbox's network namespace",
            &r.all(),
        );
        at(
            &v,
            "  • the peer's kernel (192.0.2.2, a namespace of its own) counted:",
            &r.all(),
        );
        at(
            &v,
            "    IpExt InCsumErrors +1 (an IPv4 header arrived with a wrong checksum",
            &r.all(),
        );
        at(&v, "    Ip InHdrErrors +1", &r.all());
        at(
            &v,
            "and counted it (the peer's IpExt InCsumErrors +1)",
            &r.all(),
        );
    }
}

/// The peer's address as a forged source: sent to 127.0.0.1, the echo is taken in but
/// never answered (a loopback source may not leave lo), and nothing says "no route";
/// sent to veth0's own address, the answer goes out to the peer, which counts it.
#[test]
fn the_peer_as_a_forged_source_is_judged_by_the_counters() {
    for user in users() {
        let r = run_script(
            user,
            "set timeout 300ms\nset src 192.0.2.2\nsend\nsend 192.0.2.1\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(!r.stdout.contains("no route to it"), "{}", r.all());
        let (first, second) = r
            .stdout
            .split_once("raw> send 192.0.2.1")
            .unwrap_or_else(|| panic!("{}", r.all()));
        let v = verdict(first);
        at(
            &v,
            "    Icmp InEchos +1 (an echo request reached ICMP",
            &r.all(),
        );
        assert!(!v.contains("OutEchoReps"), "{}", r.all());
        at(
            &v,
            "ip.src is 192.0.2.2: the kernel took the echo request in (Icmp InEchos +1) but sent no reply: asked for a route from 127.0.0.1 to 192.0.2.2, the kernel refuses it",
            &r.all(),
        );
        at(
            &v,
            "a packet from a loopback address may not leave lo",
            &r.all(),
        );
        let v = verdict(second);
        at(
            &v,
            "    Icmp OutEchoReps +1 (an echo reply was sent",
            &r.all(),
        );
        at(
            &v,
            "  • the peer's kernel (192.0.2.2, a namespace of its own) counted:",
            &r.all(),
        );
        at(
            &v,
            "    Icmp InEchoReps +1 (an echo reply arrived)",
            &r.all(),
        );
        at(
            &v,
            "the answer goes out on veth0 to the sandbox's peer 192.0.2.2 (the peer's Icmp InEchoReps +1)",
            &r.all(),
        );
        assert!(!v.contains("is not in the sandbox"), "{}", r.all());
    }
}

/// A first fragment (MF set) waits for the rest: its ICMP checksum covers a datagram
/// that never arrives, so it is not blamed.
#[test]
fn a_first_fragment_is_held_for_reassembly_not_blamed_on_its_checksum() {
    for user in users() {
        let r = run_script(
            user,
            "set timeout 300ms\nmode hdrincl\nset ip.flags.mf 1\nset icmp.checksum 0x1111\nsend\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        let v = verdict(&r.stdout);
        at(
            &v,
            "    Ip ReasmReqds +1 (a fragment arrived, to be held until its datagram is whole)",
            &r.all(),
        );
        assert!(!v.contains("InCsumErrors"), "{}", r.all());
        assert!(!v.contains("icmp.checksum is"), "{}", r.all());
        at(
            &v,
            "this is the first fragment of a datagram (more fragments set, offset 0): the receiving kernel holds it until the rest of the datagram arrives (it counted Ip ReasmReqds +1)",
            &r.all(),
        );
        at(
            &v,
            "after net.ipv4.ipfrag_time (30 s) the kernel drops the incomplete datagram, counting Ip ReasmTimeout and ReasmFails then",
            &r.all(),
        );
    }
}

/// A segment routing header is dropped while seg6_enabled is 0 (the sandbox's
/// default), and the kernel counts no drop for it: rawlab reads the setting.
#[test]
fn a_segment_routing_header_is_explained_by_seg6_enabled() {
    for user in users() {
        let r = run_script(
            user,
            "set timeout 300ms\nnew ip6/routing/icmp6\nset ipv6.routing.type 4\nsend\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        let v = verdict(&r.stdout);
        at(&v, "Ip6 InReceives +1", &r.all());
        at(
            &v,
            "nothing was counted coming in for ICMPv6 (no Icmp6 counter moved on the way in)",
            &r.all(),
        );
        at(
            &v,
            "ipv6.routing.type is 4, a segment routing header (RFC 8754): Linux processes one only when net.ipv6.conf.all.seg6_enabled and the receiving interface's are both 1, and here all is 0 and lo is 0",
            &r.all(),
        );
        assert!(
            !v.contains("nothing in the packet explains it"),
            "{}",
            r.all()
        );
    }
}

/// No extension header has a checksum: the one that covers the source is ICMPv6's.
#[test]
fn the_source_a_checksum_covers_is_the_upper_layers_not_an_extension_headers() {
    for user in users() {
        let r = run_script(user, "new ip6/hopopts/icmp6\nsend\n", &[]);
        assert!(
            r.stdout.contains(
                "ipv6.src = ::1 for this send: the ICMPv6 checksum covers the source address"
            ),
            "{}",
            r.all()
        );
        assert!(
            !r.stdout.contains("hop-by-hop options checksum"),
            "{}",
            r.all()
        );
    }
}

/// A packet whose header rawlab writes is never fragmented by the kernel, whatever DF
/// says: too big for veth0 is refused, and DF (0 here) is not blamed.
#[test]
fn too_big_for_the_link_is_not_blamed_on_df() {
    for user in users() {
        let r = run_script(user, "payload zeros 1600\nsend 192.0.2.2\n", &[]);
        assert!(
            r.stderr.contains("1628 bytes is more than veth0's MTU of 1500 bytes: the kernel never fragments a packet whose IP header rawlab writes, whatever ip.flags.df says (here it is 0)")
                || r.stdout.contains("1628 bytes is more than veth0's MTU of 1500 bytes: the kernel never fragments a packet whose IP header rawlab writes, whatever ip.flags.df says (here it is 0)"),
            "{}",
            r.all()
        );
        assert!(!r.all().contains("with DF set"), "{}", r.all());
    }
}

/// On a host's network the counters are the whole namespace's: rawlab says so (here
/// in a namespace of the test's own, where rawlab acts as on a host).
#[test]
fn on_a_hosts_network_the_counters_are_said_to_be_the_whole_hosts() {
    for user in users() {
        let Some(r) = common::run_on_own_host(
            user,
            "set timeout 300ms\nset icmp.checksum 0x1111\nsend\n",
            &[],
            "",
        ) else {
            return;
        };
        let v = verdict(&r.stdout);
        at(
            &v,
            "  • the kernel counted, in the host's network namespace, whose counters are the whole host's, other programs' traffic included:",
            &r.all(),
        );
        at(&v, "    Icmp InCsumErrors +1", &r.all());
    }
}

/// Without the kernel's drop reasons (no root), "why no reply" says the counters are
/// the evidence and how to get the reasons.
#[test]
fn without_drop_reasons_the_silence_says_how_to_get_them() {
    if !users().contains(&common::User::Nobody) {
        eprintln!("skipped: needs root to run as an ordinary user");
        return;
    }
    let r = run_script(
        common::User::Nobody,
        "set timeout 300ms\nset icmp.checksum 0x1111\nsend\n",
        &[],
    );
    let v = verdict(&r.stdout);
    at(
        &v,
        "the counters are the evidence here: drop reasons need root: run `sudo rawlab`",
        &r.all(),
    );
}
