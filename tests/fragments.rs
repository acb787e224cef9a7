//! IPv4 fragments, end to end in the sandbox (as the current user and as an ordinary
//! one): `fragment SIZE` cuts an echo request too big for SIZE, `send` sends the
//! pieces, the receiver (this host's kernel on lo, or the far host behind the router)
//! puts them back together and answers once, and that reply is related to every
//! fragment; out of order it still reassembles; a lone first fragment is held, and
//! the silence says so from the kernel's counters. The same for IPv6, whose fragments
//! carry a fragment header. Every address is inside namespaces rawlab made.

mod common;
use common::*;

/// 98 bytes after the IP header (an 8-byte ICMP header and 90 of text): three
/// fragments for an MTU of 60 (40, 40 and 18 bytes).
const SETUP: &str = "payload \"a payload that is not zeros, long enough to be cut into more than one piece by fragment 40\"\nfragment 60\n";

#[test]
fn fragments_to_loopback_are_reassembled_and_answered_once() {
    for user in users() {
        let r = run_script(
            user,
            &format!("{SETUP}send\nexpect reply icmp.type == echo-reply\ncaptures\nwhy 2\n"),
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        // The list, in tcpdump -v's notation.
        for line in [
            "1  60 bytes  (id ",
            ", offset 0, flags [+])  the ICMP header and what follows",
            ", offset 40, flags [+])  bytes 40–79 of the ICMP",
            ", offset 80, flags [none])  bytes 80–97 of the ICMP",
        ] {
            assert!(r.stdout.contains(line), "{line}\n{}", r.all());
        }
        // Three sends, the datagram the kernel put together, one reply to it.
        assert!(
            r.stdout.contains("icmp · ICMP echo-request id 0 seq 0 · 90 bytes of data · #1–#3 reassembled (3 fragments)"),
            "{}",
            r.all()
        );
        assert!(
            r.stdout.contains(
                "ICMP echo-reply id 0 seq 0 · 90 bytes of data · reply to #4 (#1–#3 reassembled)"
            ),
            "{}",
            r.all()
        );
        assert_eq!(
            r.stdout.matches("ICMP echo-reply").count(),
            2,
            "{}",
            r.all()
        );
        // A later fragment is data, and its checksum-less piece is said to be one.
        assert!(r.stdout.contains("(id "), "{}", r.all());
        assert!(
            r.stdout.contains(
                "#5 answers the datagram #1–#3 make (reply to #4; 3 fragments, reassembled)"
            ),
            "{}",
            r.all()
        );
    }
}

#[test]
fn fragments_to_the_far_host_get_one_reply_related_to_all_of_them() {
    for user in users() {
        let r = run_script(
            user,
            &format!("{SETUP}send 203.0.113.2\nexpect reply\ncaptures\ndump 1\n"),
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            r.stdout.contains(
                "IPv4 203.0.113.2 → 192.0.2.1 ttl 63 icmp · ICMP echo-reply id 0 seq 0 · 90 bytes of data · reply to #1–#3 (3 fragments, reassembled)"
            ),
            "{}",
            r.all()
        );
        assert!(
            r.stdout.contains(
                "The request went as #1–#3 (3 fragments, reassembled by the receiver): the reply answers the whole datagram"
            ),
            "{}",
            r.all()
        );
        // The first fragment's ICMP checksum covers the whole datagram: not judged.
        assert!(r.stdout.contains("· not checked"), "{}", r.all());
        assert!(!r.stdout.contains("✗ wrong"), "{}", r.all());
    }
}

#[test]
fn fragments_sent_out_of_order_still_reassemble() {
    for user in users() {
        let r = run_script(
            user,
            &format!("{SETUP}send order 3 1 2\nexpect reply\ncaptures\n"),
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            r.stdout.contains("(id ")
                && r.stdout
                    .contains(", offset 80, flags [none]) · 18 bytes of data"),
            "{}",
            r.all()
        );
        assert!(
            r.stdout.contains("· #1–#3 reassembled (3 fragments)"),
            "{}",
            r.all()
        );
        assert!(
            r.stdout.contains("reply to #4 (#1–#3 reassembled)"),
            "{}",
            r.all()
        );
    }
}

#[test]
fn a_lone_first_fragment_is_held_and_the_silence_says_why() {
    for user in users() {
        let r = run_script(
            user,
            &format!("{SETUP}set timeout 300ms\nsend order 1\nwhy 1\n"),
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            r.stdout.contains("no reply to #1 within 300 ms"),
            "{}",
            r.all()
        );
        // The kernel's counters are the evidence: a fragment arrived, to be held.
        assert!(r.stdout.contains("ReasmReqds"), "{}", r.all());
        assert!(
            r.stdout
                .contains("the first fragment of a datagram (more fragments set, offset 0)"),
            "{}",
            r.all()
        );
        assert!(
            r.stdout.contains("until the rest of the datagram arrives"),
            "{}",
            r.all()
        );
    }
}

#[test]
fn bad_fragment_requests_get_a_caret_and_a_suggestion() {
    let user = users()[0];
    let r = run_script(
        user,
        &format!("{SETUP}send order 2 5\nfragment off\nsend order 1\nnew ip\nfragment 60\n"),
        &[],
    );
    for want in [
        "error: there is no fragment 5: `fragment 60` made 3",
        "  │ send order 2 5",
        "  │              ^ expected fragment numbers 1..=3, as `fragments` lists them",
        "= `send order 3 2 1` sends them last to first",
        "error: `order` picks fragments, and the template is not fragmented",
        "error: nothing to split: the template has nothing after its IPv4 header",
        "= `new ip/icmp` then `payload zeros 1000`",
    ] {
        assert!(r.stdout.contains(want), "{want}\n{}", r.all());
    }
}

/// A wrong ICMP checksum is judged on the datagram the fragments make: the reassembly
/// the kernel dropped, counted as a checksum error; never on a fragment alone.
#[test]
fn a_wrong_checksum_is_judged_on_the_reassembled_datagram() {
    for user in users() {
        let r = run_script(
            user,
            "payload \"a payload that is not zeros, long enough to be cut into more than one piece by fragment 40\"\nset icmp.checksum 0x1111\nfragment 60\nset timeout 300ms\nsend\ndump 1\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            r.stdout.contains("icmp.checksum is 0x1111, but the bytes add up to 0x23cd: the receiving kernel dropped it as corrupt"),
            "{}",
            r.all()
        );
        assert!(r.stdout.contains("Icmp InCsumErrors +1"), "{}", r.all());
        assert!(
            r.stdout.contains("not checked: it covers the whole datagram, and this fragment holds only a piece of it"),
            "{}",
            r.all()
        );
    }
}

/// With a fragment selected, `set` changes it alone: ending the datagram early at the
/// second fragment makes one the receiver cannot match to the rest.
#[test]
fn set_changes_the_selected_fragment_alone() {
    let r = run_script(
        users()[0],
        &format!(
            "{SETUP}fragments 2\nset ip.flags.mf 0\nfragments\nfragments all\nset ttl 9\nfragments\n"
        ),
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("fragment 2 of 3 ·"), "{}", r.all());
    assert!(
        r.stdout.contains("fragment 2: ip.flags.mf = 0 (not set)"),
        "{}",
        r.all()
    );
    assert!(
        r.stdout.contains("*  2  60 bytes  (id ")
            && r.stdout.contains(", offset 40, flags [none])"),
        "{}",
        r.all()
    );
    // Without a selection the template changes and is cut again, the change gone.
    assert!(r.stdout.contains("ip.ttl = 9 (was 64)"), "{}", r.all());
    assert!(
        r.stdout.contains("cut again: 3 fragments for an MTU of 60"),
        "{}",
        r.all()
    );
}

/// A UDP datagram in fragments: its first fragment's udp.length covers the whole
/// datagram, which is no fault there, and the echo server's answer is related to both.
#[test]
fn a_fragmented_udp_datagram_is_answered_by_the_echo_server() {
    let r = run_script(
        users()[0],
        "serve udp 7\nnew ip/udp\nset dstport 7\npayload zeros 300\nfragment 200\nsend\ncaptures\n",
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains(", offset 0, flags [+]) · UDP 40000 → 7 len 308 · 168 bytes of data\n"),
        "{}",
        r.all()
    );
    assert!(!r.stdout.contains("malformed"), "{}", r.all());
    assert!(
        r.stdout.contains(
            "UDP 7 → 40000 len 308 · 300 bytes of data · reply to #3 (#1–#2 reassembled)"
        ),
        "{}",
        r.all()
    );
}

/// Captured on the cable and saved, the fragments and the reply's relation to all of
/// them come back when the file is read (pcapng, sends and all; pcap, the frames
/// alone); and tcpdump, reading the same pcap, gives each fragment the id, offset and
/// flags rawlab's summary gives it.
#[test]
fn fragments_saved_and_read_back_keep_their_relations() {
    let user = users()[0];
    let dir = scratch();
    let (pcapng, pcap) = (dir.join("frag.pcapng"), dir.join("frag.pcap"));
    let r = run_script(
        user,
        &format!(
            "listen link veth0\n{SETUP}send 203.0.113.2 order 2 1 3\nsave {}\nsave {}\n",
            pcapng.display(),
            pcap.display()
        ),
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let read = |file: &std::path::Path, json: bool| {
        let mut args = vec!["read".to_string(), file.display().to_string()];
        if json {
            args.extend(["--format".into(), "json".into()]);
        }
        let r = run(user, &args, &dir);
        assert_eq!(r.code, 0, "{}", r.all());
        r.stdout
    };
    // The reply names three fragments (in the pcapng the sends, in the pcap the frames
    // as they left; where the ARP exchange falls among them depends on the moment).
    for file in [&pcapng, &pcap] {
        let json = read(file, true);
        let reply: serde_json::Value = json
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .find(|v: &serde_json::Value| v.get("fragments").is_some())
            .unwrap_or_else(|| panic!("no reply naming fragments:\n{json}"));
        let named = reply["fragments"].as_array().unwrap();
        assert_eq!(named.len(), 3, "{reply}");
        assert!(reply["reply_to"].is_u64(), "{reply}");
    }
    let text = read(&pcap, false);
    assert!(
        text.contains(
            "(3 fragments, reassembled by the receiver): the reply answers the whole datagram"
        ),
        "{text}"
    );
    let Ok(dump) = std::process::Command::new("tcpdump")
        .args(["-nn", "-v", "-r"])
        .arg(&pcap)
        .output()
    else {
        return;
    };
    let theirs = String::from_utf8_lossy(&dump.stdout);
    for (offset, flags) in [(40, "+"), (0, "+"), (80, "none")] {
        let t = format!(", offset {offset}, flags [{flags}], proto ICMP (1)");
        assert!(theirs.contains(&t), "{t}\n{theirs}");
        let ours = format!(", offset {offset}, flags [{flags}])");
        assert!(text.contains(&ours), "{ours}\n{text}");
    }
}

// IPv6: each fragment is the IPv6 header, a fragment header and a piece.

/// The same 98 bytes of ICMPv6 for an MTU of 100: 40 of header and 8 of fragment
/// header leave 52, so pieces of 48, 48 and 2 bytes.
const SETUP6: &str = "new ip6/icmp6\npayload \"a payload that is not zeros, long enough to be cut into more than one piece by fragment 40\"\nfragment 100\n";

#[test]
fn ipv6_fragments_to_loopback_carry_a_fragment_header_and_are_answered_once() {
    for user in users() {
        let r = run_script(
            user,
            &format!(
                "{SETUP6}send\nexpect reply icmpv6.type == echo-reply\ncaptures\ndump 1\ndump 2\n"
            ),
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        let out = &r.stdout;
        assert!(
            out.contains("138 bytes as 3 IPv6 fragments for an MTU of 100 bytes, each with a fragment header (ipv6.fraghdr), identification 0x"),
            "{out}"
        );
        // The list and the summaries, in the notation IPv4's fragments have.
        for line in [
            "1  96 bytes  frag (id 0x",
            ", offset 0, flags [+])  the ICMPv6 header and what follows",
            "2  96 bytes  frag (id 0x",
            ", offset 48, flags [+])  bytes 48–95 of the ICMPv6",
            "3  50 bytes  frag (id 0x",
            ", offset 96, flags [none])  bytes 96–97 of the ICMPv6",
        ] {
            assert!(out.contains(line), "{line}\n{out}");
        }
        let captures = out.split("raw> captures\n").nth(1).unwrap();
        let sent: Vec<&str> = captures.lines().take(3).collect();
        // One identification in all three.
        let ids: Vec<&str> = sent
            .iter()
            .map(|l| {
                l.split("frag (id ")
                    .nth(1)
                    .unwrap()
                    .split(',')
                    .next()
                    .unwrap()
            })
            .collect();
        assert!(ids.iter().all(|i| *i == ids[0]), "{captures}");
        assert!(
            sent[0].contains("IPv6 ::1 → ::1 hlim 64 ipv6-frag · frag (id ")
                && sent[0].contains(
                    ", offset 0, flags [+]) · ICMPv6 echo-request id 0 seq 0 · 40 bytes of data"
                ),
            "{captures}"
        );
        assert!(
            sent[1].contains(", offset 48, flags [+]) · 48 bytes of data"),
            "{captures}"
        );
        assert!(
            sent[2].contains(", offset 96, flags [none]) · 2 bytes of data"),
            "{captures}"
        );
        // The kernel put them back together before the raw socket saw the request, and
        // answered it once; both are related to all three.
        assert!(
            captures.contains(
                "ICMPv6 echo-request id 0 seq 0 · 90 bytes of data · #1–#3 reassembled (3 fragments)"
            ),
            "{captures}"
        );
        assert!(
            captures.contains(
                "ICMPv6 echo-reply id 0 seq 0 · 90 bytes of data · reply to #4 (#1–#3 reassembled)"
            ),
            "{captures}"
        );
        assert_eq!(captures.matches("echo-reply").count(), 1, "{captures}");
        // A later fragment's header, field by field.
        let second = out.split("raw> dump 2\n").nth(1).unwrap();
        for field in [
            "ipv6.nxt                     44 (ipv6-frag)",
            "ipv6.fraghdr.nxt             58 (icmpv6)",
            "ipv6.fraghdr.offset          48 bytes (6 × 8)",
            "ipv6.fraghdr.more            1 (set)",
        ] {
            assert!(second.contains(field), "{field}\n{second}");
        }
        assert!(second.contains("IPv6 fragment · bytes 40–47"), "{second}");
        // The first fragment's ICMPv6 checksum covers the whole packet: not judged.
        let first = out
            .split("raw> dump 1\n")
            .nth(1)
            .and_then(|d| d.split("raw> dump 2\n").next())
            .unwrap();
        assert!(
            first
                .lines()
                .any(|l| l.contains("icmpv6.checksum") && l.contains("· not checked")),
            "{first}"
        );
        assert!(!out.contains("✗ wrong"), "{out}");
    }
}

#[test]
fn ipv6_fragments_to_the_far_host_out_of_order_get_one_reply_related_to_both() {
    for user in users() {
        let r = run_script(
            user,
            "new ip6/icmp6\nset ipv6.dst 2001:db8:2::2\npayload zeros 1400\nfragment 1400\nsend order 2 1\nexpect reply icmpv6.type == echo-reply\ncaptures\n",
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        let out = &r.stdout;
        assert!(
            out.contains("1448 bytes as 2 IPv6 fragments for an MTU of 1400 bytes"),
            "{out}"
        );
        assert!(out.contains("1  1400 bytes  frag (id 0x"), "{out}");
        assert!(out.contains("2  104 bytes  frag (id 0x"), "{out}");
        assert!(
            out.contains("The request went as #1–#2 (2 fragments, reassembled by the receiver): the reply answers the whole datagram"),
            "{out}"
        );
        assert!(
            out.contains("ICMPv6 echo-reply id 0 seq 0 · 1400 bytes of data · reply to #1–#2 (2 fragments, reassembled)"),
            "{out}"
        );
        assert!(!out.contains("Message too long"), "{out}");
    }
}

#[test]
fn ipv6_fragment_requests_that_cannot_be_met_say_why() {
    let r = run_script(
        User::Me,
        "new ip6/icmp6\nfragment 40\nfragment 1280\nnew ip6/ipv6.fraghdr/icmp6\npayload zeros 100\nfragment 60\n",
        &[],
    );
    for want in [
        "an MTU of 40 bytes cannot hold a fragment: the IPv6 header takes 40 bytes and the fragment header 8",
        "expected at least 56 (the headers and one 8-byte block)",
        "nothing to split: the packet is 48 bytes, and an MTU of 1280 takes it whole",
        "the template already has a fragment header: it is one fragment already",
    ] {
        assert!(r.stdout.contains(want), "{want}\n{}", r.all());
    }
}
