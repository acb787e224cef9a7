//! What the kernel counted: the network namespace's SNMP and netstat counters
//! (`/proc/net/snmp`, `/proc/net/snmp6`, `/proc/net/netstat`), read before a
//! send and after its wait, and the counters that moved between the two.
//!
//! Those files are per network namespace, start at 0 in a new one and are
//! readable without privilege, so in the sandbox every count is rawlab's own
//! traffic. They are the kernel's own evidence of what became of a packet (a
//! bad ICMP checksum adds `Icmp InCsumErrors` 1; a UDP datagram to a closed port
//! `Udp NoPorts` 1 and `Icmp OutDestUnreachs` 1), so "why no reply" starts
//! from them. Parsing takes text and is pure; only [`Source`] touches files.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

/// One counter as the kernel names it: its table (`Ip`, `IcmpMsg`, `TcpExt`,
/// `Ip6`, …), its name within the table, and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    pub table: String,
    pub name: String,
    pub value: i64,
}

/// Every counter of a namespace at one moment, in the order the kernel lists them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub counters: Vec<Counter>,
}

/// The tables of `/proc/net/snmp` and `/proc/net/netstat`: each table is two lines,
/// `Ip: Forwarding DefaultTTL …` then `Ip: 2 64 …`. A line that does not pair up is
/// skipped, and a value that is not a number leaves its counter out, so a kernel that
/// adds a table or a column never breaks the reading.
pub fn parse_tables(text: &str) -> Vec<Counter> {
    let mut out = Vec::new();
    let mut names: Option<(&str, Vec<&str>)> = None;
    for line in text.lines() {
        let Some((table, rest)) = line.split_once(':') else {
            names = None;
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let numeric = !fields.is_empty() && fields.iter().all(|f| f.parse::<i64>().is_ok());
        match names.take() {
            Some((t, n)) if t == table && numeric => {
                out.extend(n.iter().zip(&fields).filter_map(|(name, v)| {
                    Some(Counter {
                        table: table.to_string(),
                        name: name.to_string(),
                        value: v.parse().ok()?,
                    })
                }));
            }
            _ if !numeric => names = Some((table, fields)),
            _ => {}
        }
    }
    out
}

/// `/proc/net/snmp6`: one `Ip6InReceives  1` per line. The table is the name up to
/// and including its first `6` (`Ip6`, `Icmp6`, `Udp6`, `UdpLite6`), so a counter
/// reads `Ip6 InReceives`, as snmp's do.
pub fn parse_snmp6(text: &str) -> Vec<Counter> {
    text.lines()
        .filter_map(|line| {
            let mut it = line.split_whitespace();
            let (full, value) = (it.next()?, it.next()?.parse().ok()?);
            let cut = full.find('6')? + 1;
            let (table, name) = full.split_at(cut);
            (!name.is_empty()).then(|| Counter {
                table: table.to_string(),
                name: name.to_string(),
                value,
            })
        })
        .collect()
}

impl Snapshot {
    /// The three files' texts (any may be empty: snmp6 is absent without IPv6).
    pub fn parse(snmp: &str, snmp6: &str, netstat: &str) -> Snapshot {
        let mut counters = parse_tables(snmp);
        counters.extend(parse_snmp6(snmp6));
        counters.extend(parse_tables(netstat));
        Snapshot { counters }
    }
}

/// How much one counter moved between two snapshots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta {
    pub table: String,
    pub name: String,
    pub by: i64,
}

/// The counters that changed from `before` to `after`, in the kernel's order. A
/// counter that appeared since (a new `IcmpMsg` column appears at its first message
/// of a type) counts from 0.
pub fn deltas(before: &Snapshot, after: &Snapshot) -> Counted {
    let old: HashMap<(&str, &str), i64> = before
        .counters
        .iter()
        .map(|c| ((c.table.as_str(), c.name.as_str()), c.value))
        .collect();
    let deltas = after
        .counters
        .iter()
        .filter_map(|c| {
            let by = c.value - old.get(&(c.table.as_str(), c.name.as_str())).unwrap_or(&0);
            (by != 0).then(|| Delta {
                table: c.table.clone(),
                name: c.name.clone(),
                by,
            })
        })
        .collect();
    Counted { deltas }
}

/// What the kernel counted while something ran: the counters that moved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counted {
    pub deltas: Vec<Delta>,
}

impl Counted {
    /// How much `table name` moved (0 when it did not).
    pub fn by(&self, table: &str, name: &str) -> i64 {
        self.deltas
            .iter()
            .find(|d| d.table == table && d.name == name)
            .map_or(0, |d| d.by)
    }

    pub fn moved(&self, table: &str, name: &str) -> bool {
        self.by(table, name) != 0
    }

    pub fn is_empty(&self) -> bool {
        self.deltas.is_empty()
    }

    /// Whether any counter of `table` moved that counts packets coming in.
    pub fn counted_in(&self, table: &str) -> bool {
        self.deltas
            .iter()
            .any(|d| d.table == table && way(&d.table, &d.name) == Way::In)
    }

    /// `Icmp InCsumErrors +1`, with its meaning in brackets when rawlab knows it.
    pub fn words(d: &Delta) -> String {
        let head = format!("{} {} {:+}", d.table, d.name, d.by);
        match meaning(&d.table, &d.name) {
            Some((_, m)) => format!("{head} ({m})"),
            None => head,
        }
    }

    /// The counters in the order worth reading: drops first, then what happened to
    /// the packet (an echo answered, a port unreachable sent), then counters rawlab
    /// has no words for; the routine tallies (packets and bytes in and out) last.
    pub fn ranked(&self) -> (Vec<&Delta>, Vec<&Delta>) {
        let rank = |d: &Delta| match meaning(&d.table, &d.name) {
            Some((Kind::Drop, _)) => 0,
            Some((Kind::Event, _)) => 1,
            None => 2,
            Some((Kind::Setting, _)) => 3,
            Some((Kind::Volume, _)) => 4,
        };
        let mut telling: Vec<&Delta> = self.deltas.iter().filter(|d| rank(d) < 4).collect();
        telling.sort_by_key(|d| rank(d));
        let routine = self.deltas.iter().filter(|d| rank(d) == 4).collect();
        (telling, routine)
    }
}

/// What kind of thing a counter counts, for the order it is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A packet dropped, refused or not sent.
    Drop,
    /// Something done with a packet worth naming: an echo answered, an error sent.
    Event,
    /// A routine tally: packets and bytes in and out.
    Volume,
    /// A setting or a gauge, not a count of events (DefaultTTL, CurrEstab).
    Setting,
}

/// Which way the packets a counter counts were going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    In,
    Out,
    Neither,
}

use Kind::*;
use Way::{In, Neither, Out};

/// The counters that bear on a packet rawlab sends, each with what one count of it
/// means, in rawlab's words. Tables that mean the same thing for IPv6 (`Udp6`) are
/// looked up under their IPv4 name (see [`meaning`]); `IcmpMsg`'s and `Icmp6`'s
/// per-type columns are worded from the ICMP type tables.
#[rustfmt::skip]
pub static COUNTERS: &[(&str, &str, Kind, Way, &str)] = &[
    ("Ip", "Forwarding", Setting, Neither, "1 when this host forwards IPv4, 2 when it does not"),
    ("Ip", "DefaultTTL", Setting, Neither, "the TTL this host's own packets start with"),
    ("Ip", "InReceives", Volume, In, "an IPv4 packet was taken in from an interface, before any check"),
    ("Ip", "InHdrErrors", Drop, In, "an IPv4 packet was dropped for a bad header: its version, header length or header checksum, or, at a router, a TTL that ran out"),
    ("Ip", "InAddrErrors", Drop, In, "an IPv4 packet was dropped for its destination: not an address this host takes, or one no packet may have"),
    ("Ip", "ForwDatagrams", Event, Out, "an IPv4 packet was forwarded towards another host"),
    ("Ip", "InUnknownProtos", Drop, In, "an IPv4 packet for this host named an ip.proto that nothing here handles"),
    ("Ip", "InDiscards", Drop, In, "an IPv4 packet was dropped though its header was fine: no memory, or a rule"),
    ("Ip", "InDelivers", Volume, In, "an IPv4 packet was handed up to a protocol or a raw socket"),
    ("Ip", "OutRequests", Volume, Out, "an IPv4 packet was handed to IP to send"),
    ("Ip", "OutDiscards", Drop, Out, "an IPv4 packet to send was dropped though nothing was wrong with it"),
    ("Ip", "OutNoRoutes", Drop, Out, "an IPv4 packet was not sent: no route to its destination"),
    ("Ip", "ReasmTimeout", Drop, In, "a fragmented datagram was given up on: the rest did not come within net.ipv4.ipfrag_time"),
    ("Ip", "ReasmReqds", Event, In, "a fragment arrived, to be held until its datagram is whole"),
    ("Ip", "ReasmOKs", Event, In, "a datagram was put back together from its fragments"),
    ("Ip", "ReasmFails", Drop, In, "a reassembly failed: the rest never came, or the fragments did not fit"),
    ("Ip", "FragOKs", Event, Out, "a datagram was split into fragments to send"),
    ("Ip", "FragFails", Drop, Out, "a datagram too big for the route was not sent: DF forbade fragmenting it"),
    ("Ip", "FragCreates", Event, Out, "a fragment was made by splitting a datagram"),
    ("Ip", "OutTransmits", Volume, Out, "an IPv4 packet was handed to an interface"),
    ("IpExt", "InNoRoutes", Drop, In, "an IPv4 packet arrived for somewhere this host has no route to, and was dropped"),
    ("IpExt", "InTruncatedPkts", Drop, In, "an IPv4 packet was dropped: shorter than its ip.len says"),
    ("IpExt", "InMcastPkts", Volume, In, "a multicast IPv4 packet arrived"),
    ("IpExt", "OutMcastPkts", Volume, Out, "a multicast IPv4 packet was sent"),
    ("IpExt", "InBcastPkts", Volume, In, "a broadcast IPv4 packet arrived"),
    ("IpExt", "OutBcastPkts", Volume, Out, "a broadcast IPv4 packet was sent"),
    ("IpExt", "InOctets", Volume, In, "bytes of IPv4 taken in"),
    ("IpExt", "OutOctets", Volume, Out, "bytes of IPv4 sent"),
    ("IpExt", "InMcastOctets", Volume, In, "bytes of multicast IPv4 taken in"),
    ("IpExt", "OutMcastOctets", Volume, Out, "bytes of multicast IPv4 sent"),
    ("IpExt", "InBcastOctets", Volume, In, "bytes of broadcast IPv4 taken in"),
    ("IpExt", "OutBcastOctets", Volume, Out, "bytes of broadcast IPv4 sent"),
    ("IpExt", "InCsumErrors", Drop, In, "an IPv4 header arrived with a wrong checksum and was dropped"),
    ("IpExt", "InNoECTPkts", Volume, In, "an IPv4 packet arrived without ECN"),
    ("IpExt", "InECT1Pkts", Volume, In, "an IPv4 packet arrived marked ECT(1)"),
    ("IpExt", "InECT0Pkts", Volume, In, "an IPv4 packet arrived marked ECT(0)"),
    ("IpExt", "InCEPkts", Volume, In, "an IPv4 packet arrived marked congestion experienced"),
    ("IpExt", "ReasmOverlaps", Drop, In, "a fragment overlapped another and its datagram was dropped"),
    ("Icmp", "InMsgs", Volume, In, "an ICMP message arrived, good or bad"),
    ("Icmp", "InErrors", Drop, In, "an ICMP message could not be used: a wrong checksum, too short, or an error about a datagram no socket here sent"),
    ("Icmp", "InCsumErrors", Drop, In, "an ICMP message arrived with a wrong checksum and was dropped"),
    ("Icmp", "InDestUnreachs", Event, In, "a destination unreachable arrived"),
    ("Icmp", "InTimeExcds", Event, In, "a time exceeded arrived: a TTL ran out on the way, or a reassembly timed out"),
    ("Icmp", "InParmProbs", Event, In, "a parameter problem arrived"),
    ("Icmp", "InSrcQuenchs", Event, In, "a source quench arrived"),
    ("Icmp", "InRedirects", Event, In, "a redirect arrived"),
    ("Icmp", "InEchos", Event, In, "an echo request reached ICMP, its checksum right"),
    ("Icmp", "InEchoReps", Event, In, "an echo reply arrived"),
    ("Icmp", "InTimestamps", Event, In, "a timestamp request arrived"),
    ("Icmp", "InTimestampReps", Event, In, "a timestamp reply arrived"),
    ("Icmp", "InAddrMasks", Event, In, "an address mask request arrived"),
    ("Icmp", "InAddrMaskReps", Event, In, "an address mask reply arrived"),
    ("Icmp", "OutMsgs", Volume, Out, "an ICMP message was sent"),
    ("Icmp", "OutErrors", Drop, Out, "an ICMP message could not be sent"),
    ("Icmp", "OutRateLimitGlobal", Drop, Out, "an ICMP message was not sent: over the host-wide limit, net.ipv4.icmp_msgs_per_sec"),
    ("Icmp", "OutRateLimitHost", Drop, Out, "an ICMP message was not sent: over the limit for its destination, net.ipv4.icmp_ratelimit"),
    ("Icmp", "OutDestUnreachs", Event, Out, "a destination unreachable was sent"),
    ("Icmp", "OutTimeExcds", Event, Out, "a time exceeded was sent"),
    ("Icmp", "OutParmProbs", Event, Out, "a parameter problem was sent"),
    ("Icmp", "OutSrcQuenchs", Event, Out, "a source quench was sent"),
    ("Icmp", "OutRedirects", Event, Out, "a redirect was sent"),
    ("Icmp", "OutEchos", Event, Out, "an echo request was sent"),
    ("Icmp", "OutEchoReps", Event, Out, "an echo reply was sent: the kernel answering an echo request, or a raw socket sending one of its own"),
    ("Icmp", "OutTimestamps", Event, Out, "a timestamp request was sent"),
    ("Icmp", "OutTimestampReps", Event, Out, "a timestamp reply was sent"),
    ("Icmp", "OutAddrMasks", Event, Out, "an address mask request was sent"),
    ("Icmp", "OutAddrMaskReps", Event, Out, "an address mask reply was sent"),
    ("Tcp", "RtoAlgorithm", Setting, Neither, "how retransmission timeouts are computed"),
    ("Tcp", "RtoMin", Setting, Neither, "the shortest retransmission timeout, in ms"),
    ("Tcp", "RtoMax", Setting, Neither, "the longest retransmission timeout, in ms"),
    ("Tcp", "MaxConn", Setting, Neither, "the most connections allowed, -1 for no limit"),
    ("Tcp", "ActiveOpens", Event, Out, "a connection was started from here: a SYN sent"),
    ("Tcp", "PassiveOpens", Event, In, "a listening socket took a connection: a SYN received"),
    ("Tcp", "AttemptFails", Drop, In, "a connection attempt failed: reset or refused before it was established"),
    ("Tcp", "EstabResets", Drop, In, "an established connection was reset"),
    ("Tcp", "CurrEstab", Setting, Neither, "connections established now, a gauge that goes down too"),
    ("Tcp", "InSegs", Volume, In, "a TCP segment arrived, good or bad"),
    ("Tcp", "OutSegs", Volume, Out, "a TCP segment was sent"),
    ("Tcp", "RetransSegs", Event, Out, "a TCP segment was sent again"),
    ("Tcp", "InErrs", Drop, In, "a TCP segment was dropped as unusable: a wrong checksum, or too short"),
    ("Tcp", "OutRsts", Event, Out, "a reset, RST, was sent"),
    ("Tcp", "InCsumErrors", Drop, In, "a TCP segment arrived with a wrong checksum and was dropped"),
    ("Udp", "InDatagrams", Event, In, "a UDP datagram was delivered to a socket"),
    ("Udp", "NoPorts", Drop, In, "a UDP datagram arrived for a port no socket is bound to, and the kernel answers a port unreachable"),
    ("Udp", "InErrors", Drop, In, "a UDP datagram was dropped: a wrong checksum, or no room in its socket"),
    ("Udp", "OutDatagrams", Volume, Out, "a UDP datagram was sent"),
    ("Udp", "RcvbufErrors", Drop, In, "a UDP datagram was dropped: its socket's receive buffer was full"),
    ("Udp", "SndbufErrors", Drop, Out, "a UDP datagram was not sent: the send buffer was full"),
    ("Udp", "InCsumErrors", Drop, In, "a UDP datagram arrived with a wrong checksum and was dropped"),
    ("Udp", "IgnoredMulti", Drop, In, "a broadcast or multicast datagram no socket wanted"),
    ("Udp", "MemErrors", Drop, In, "a UDP datagram was dropped for want of memory"),
    ("Ip6", "InReceives", Volume, In, "an IPv6 packet was taken in from an interface, before any check"),
    ("Ip6", "InHdrErrors", Drop, In, "an IPv6 packet was dropped for a bad header: its version, an extension header that could not be parsed, a hop limit run out"),
    ("Ip6", "InTooBigErrors", Drop, In, "an IPv6 packet too big for the next link was not forwarded"),
    ("Ip6", "InNoRoutes", Drop, In, "an IPv6 packet was dropped: no route for its destination"),
    ("Ip6", "InAddrErrors", Drop, In, "an IPv6 packet was dropped for its destination: not an address this host takes, or one no packet may have"),
    ("Ip6", "InUnknownProtos", Drop, In, "an IPv6 packet named a next header nothing here handles"),
    ("Ip6", "InTruncatedPkts", Drop, In, "an IPv6 packet was dropped: shorter than its ipv6.plen says"),
    ("Ip6", "InDiscards", Drop, In, "an IPv6 packet was dropped though its header was fine: no memory, a rule, or a header this host will not process"),
    ("Ip6", "InDelivers", Volume, In, "an IPv6 packet was handed up to a protocol or a raw socket"),
    ("Ip6", "OutForwDatagrams", Event, Out, "an IPv6 packet was forwarded towards another host"),
    ("Ip6", "OutRequests", Volume, Out, "an IPv6 packet was handed to IPv6 to send"),
    ("Ip6", "OutDiscards", Drop, Out, "an IPv6 packet to send was dropped though nothing was wrong with it"),
    ("Ip6", "OutNoRoutes", Drop, Out, "an IPv6 packet was not sent: no route to its destination"),
    ("Ip6", "ReasmTimeout", Drop, In, "a fragmented IPv6 datagram was given up on: the rest did not come in time"),
    ("Ip6", "ReasmReqds", Event, In, "an IPv6 fragment arrived, to be held until its datagram is whole"),
    ("Ip6", "ReasmOKs", Event, In, "an IPv6 datagram was put back together from its fragments"),
    ("Ip6", "ReasmFails", Drop, In, "an IPv6 reassembly failed"),
    ("Ip6", "FragOKs", Event, Out, "an IPv6 datagram was split into fragments to send"),
    ("Ip6", "FragFails", Drop, Out, "an IPv6 datagram too big for the route could not be fragmented"),
    ("Ip6", "FragCreates", Event, Out, "an IPv6 fragment was made"),
    ("Ip6", "InMcastPkts", Volume, In, "a multicast IPv6 packet arrived"),
    ("Ip6", "OutMcastPkts", Volume, Out, "a multicast IPv6 packet was sent"),
    ("Ip6", "InOctets", Volume, In, "bytes of IPv6 taken in"),
    ("Ip6", "OutOctets", Volume, Out, "bytes of IPv6 sent"),
    ("Ip6", "InMcastOctets", Volume, In, "bytes of multicast IPv6 taken in"),
    ("Ip6", "OutMcastOctets", Volume, Out, "bytes of multicast IPv6 sent"),
    ("Ip6", "InBcastOctets", Volume, In, "bytes of broadcast IPv6 taken in"),
    ("Ip6", "OutBcastOctets", Volume, Out, "bytes of broadcast IPv6 sent"),
    ("Ip6", "InNoECTPkts", Volume, In, "an IPv6 packet arrived without ECN"),
    ("Ip6", "InECT1Pkts", Volume, In, "an IPv6 packet arrived marked ECT(1)"),
    ("Ip6", "InECT0Pkts", Volume, In, "an IPv6 packet arrived marked ECT(0)"),
    ("Ip6", "InCEPkts", Volume, In, "an IPv6 packet arrived marked congestion experienced"),
    ("Ip6", "OutTransmits", Volume, Out, "an IPv6 packet was handed to an interface"),
    ("Icmp6", "InMsgs", Volume, In, "an ICMPv6 message arrived, good or bad"),
    ("Icmp6", "InErrors", Drop, In, "an ICMPv6 message was dropped as unusable: a wrong checksum, or too short"),
    ("Icmp6", "OutMsgs", Volume, Out, "an ICMPv6 message was sent"),
    ("Icmp6", "OutErrors", Drop, Out, "an ICMPv6 message could not be sent"),
    ("Icmp6", "InCsumErrors", Drop, In, "an ICMPv6 message arrived with a wrong checksum and was dropped"),
    ("Icmp6", "OutRateLimitHost", Drop, Out, "an ICMPv6 message was not sent: over the limit for its destination, net.ipv6.icmp.ratelimit"),
    ("Icmp6", "InDestUnreachs", Event, In, "a destination unreachable arrived"),
    ("Icmp6", "InPktTooBigs", Event, In, "a packet too big arrived"),
    ("Icmp6", "InTimeExcds", Event, In, "a time exceeded arrived"),
    ("Icmp6", "InParmProblems", Event, In, "a parameter problem arrived"),
    ("Icmp6", "InEchos", Event, In, "an echo request reached ICMPv6, its checksum right"),
    ("Icmp6", "InEchoReplies", Event, In, "an echo reply arrived"),
    ("Icmp6", "InNeighborSolicits", Event, In, "a neighbour solicitation arrived"),
    ("Icmp6", "InNeighborAdvertisements", Event, In, "a neighbour advertisement arrived"),
    ("Icmp6", "InRouterSolicits", Event, In, "a router solicitation arrived"),
    ("Icmp6", "InRouterAdvertisements", Event, In, "a router advertisement arrived"),
    ("Icmp6", "InRedirects", Event, In, "a redirect arrived"),
    ("Icmp6", "OutDestUnreachs", Event, Out, "a destination unreachable was sent"),
    ("Icmp6", "OutPktTooBigs", Event, Out, "a packet too big was sent"),
    ("Icmp6", "OutTimeExcds", Event, Out, "a time exceeded was sent"),
    ("Icmp6", "OutParmProblems", Event, Out, "a parameter problem was sent: a header or option this host could not take"),
    ("Icmp6", "OutEchos", Event, Out, "an echo request was sent"),
    ("Icmp6", "OutEchoReplies", Event, Out, "an echo reply was sent: the kernel answering an echo request, or a raw socket sending one of its own"),
    ("Icmp6", "OutNeighborSolicits", Event, Out, "a neighbour solicitation was sent"),
    ("Icmp6", "OutNeighborAdvertisements", Event, Out, "a neighbour advertisement was sent"),
    ("Icmp6", "OutRouterSolicits", Event, Out, "a router solicitation was sent"),
    ("Icmp6", "OutMLDv2Reports", Event, Out, "a multicast listener report was sent"),
    ("TcpExt", "ListenOverflows", Drop, In, "a connection was dropped: a listening socket's accept queue was full"),
    ("TcpExt", "ListenDrops", Drop, In, "a SYN or handshake's last ACK to a listening socket was dropped"),
    ("TcpExt", "EmbryonicRsts", Drop, In, "a reset arrived for a connection still in its handshake"),
    ("TcpExt", "OutOfWindowIcmps", Drop, In, "an ICMP error about a TCP segment outside the window was ignored"),
    ("TcpExt", "TCPAbortOnData", Event, Out, "a connection was reset because data arrived after the socket was closed"),
    ("TcpExt", "TCPAbortOnClose", Event, Out, "a connection was reset because its socket closed with data unread"),
    ("TcpExt", "TCPAbortOnTimeout", Drop, Out, "a connection was given up after too many retransmissions"),
    ("TcpExt", "TCPChallengeACK", Event, Out, "a challenge ACK was sent in answer to a doubtful RST or SYN, as RFC 5961 says"),
    ("TcpExt", "TCPSYNChallenge", Event, In, "a SYN arrived on an established connection"),
    ("TcpExt", "PAWSEstab", Drop, In, "a segment was dropped for an old timestamp, by PAWS"),
    ("TcpExt", "TW", Event, Neither, "a connection finished its TIME-WAIT"),
    ("TcpExt", "TCPTimeouts", Event, Out, "a retransmission timer fired"),
    ("TcpExt", "TCPPureAcks", Volume, In, "an ACK without data arrived"),
    ("TcpExt", "TCPHPAcks", Volume, In, "an ACK took the fast path"),
    ("TcpExt", "TCPHPHits", Volume, In, "a segment with data took the fast path"),
    ("TcpExt", "DelayedACKs", Volume, Out, "a delayed ACK was sent"),
    ("TcpExt", "TCPOrigDataSent", Volume, Out, "a segment of new data was sent"),
    ("TcpExt", "TCPRcvCoalesce", Volume, In, "a segment was merged into the one before it in the receive queue"),
    ("TcpExt", "TCPBacklogCoalesce", Volume, In, "a segment was merged into the backlog"),
    ("TcpExt", "TCPDelivered", Volume, Out, "a segment sent was acknowledged"),
    ("TcpExt", "TCPAutoCorking", Volume, Out, "small writes were held a moment to go out together"),
    ("TcpExt", "TCPSynRetrans", Event, Out, "a SYN was sent again"),
];

/// The table whose words a table borrows: UDP-Lite and UDP over IPv6 count as UDP does.
fn words_table(table: &str) -> &str {
    match table {
        "Udp6" | "UdpLite" | "UdpLite6" => "Udp",
        t => t,
    }
}

/// What one count of `table name` means and what kind of count it is, or None when
/// rawlab has no words for it (it is then shown by name alone).
pub fn meaning(table: &str, name: &str) -> Option<(Kind, Cow<'static, str>)> {
    let t = words_table(table);
    if let Some(&(_, _, kind, _, words)) = COUNTERS.iter().find(|c| c.0 == t && c.1 == name) {
        return Some((kind, Cow::Borrowed(words)));
    }
    // IcmpMsg InType8, Icmp6 OutType129: one column per type the kernel has seen.
    let (msg, field) = match table {
        "IcmpMsg" => ("an ICMP message", &crate::wire::icmp::TYPE),
        "Icmp6" => ("an ICMPv6 message", &crate::wire::icmpv6::TYPE),
        _ => return None,
    };
    let (how, n) = if let Some(n) = name.strip_prefix("InType") {
        ("arrived", n)
    } else {
        ("was sent", name.strip_prefix("OutType")?)
    };
    let n: u128 = n.parse().ok()?;
    Some((
        Volume,
        Cow::Owned(format!("{msg} of type {} {how}", field.words(n))),
    ))
}

/// Which way the packets `table name` counts were going: from rawlab's table, else
/// from the name (`In…`, `Out…`).
pub fn way(table: &str, name: &str) -> Way {
    let t = words_table(table);
    if let Some(c) = COUNTERS.iter().find(|c| c.0 == t && c.1 == name) {
        return c.3;
    }
    if name.starts_with("In") {
        In
    } else if name.starts_with("Out") {
        Out
    } else {
        Neither
    }
}

/// The three counter files of one network namespace, opened once. The kernel ties an
/// open file to the namespace it was opened in, so files opened inside the sandbox's
/// peer go on reading the peer's counters from this namespace.
#[derive(Debug)]
pub struct Source {
    snmp: Option<File>,
    snmp6: Option<File>,
    netstat: Option<File>,
}

impl Source {
    /// The counters of the calling thread's network namespace. A file that cannot be
    /// opened (snmp6 without IPv6) is read as empty; None when none can.
    pub fn open() -> Option<Source> {
        let open = |name: &str| File::open(format!("/proc/thread-self/net/{name}")).ok();
        let s = Source {
            snmp: open("snmp"),
            snmp6: open("snmp6"),
            netstat: open("netstat"),
        };
        (s.snmp.is_some() || s.snmp6.is_some() || s.netstat.is_some()).then_some(s)
    }

    /// Every counter now.
    pub fn snapshot(&self) -> io::Result<Snapshot> {
        fn read(f: &Option<File>) -> io::Result<String> {
            let mut s = String::new();
            if let Some(mut f) = f.as_ref() {
                // A /proc seq file reads afresh from offset 0.
                f.seek(SeekFrom::Start(0))?;
                f.read_to_string(&mut s)?;
            }
            Ok(s)
        }
        Ok(Snapshot::parse(
            &read(&self.snmp)?,
            &read(&self.snmp6)?,
            &read(&self.netstat)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// /proc/net/snmp as read on this kernel (Linux 6.18) on a host with some traffic.
    const SNMP: &str = "\
Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates OutTransmits
Ip: 2 64 2590 0 0 0 0 0 2590 1375 0 0 0 0 0 0 0 0 0 1375
Icmp: InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps OutMsgs OutErrors OutRateLimitGlobal OutRateLimitHost OutDestUnreachs OutTimeExcds OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps OutTimestamps OutTimestampReps OutAddrMasks OutAddrMaskReps
Icmp: 11 0 0 11 0 0 0 0 0 0 0 0 0 0 10 0 0 0 10 0 0 0 0 0 0 0 0 0 0
IcmpMsg: InType3 OutType3
IcmpMsg: 11 10
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
Tcp: 1 200 120000 -1 26 12 0 5 0 2539 1330 0 0 7 0
Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
Udp: 30 10 0 41 0 0 0 0 0
UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
UdpLite: 0 0 0 0 0 0 0 0 0
";

    /// The start of /proc/net/snmp6 from the same host (names padded, then a tab).
    const SNMP6: &str = "Ip6InReceives                   \t1\nIp6InHdrErrors                  \t0\nIcmp6InMsgs                     \t1\nIcmp6InType1                    \t1\nUdp6NoPorts                     \t0\nUdpLite6InDatagrams             \t0\n";

    const NETSTAT: &str = "\
TcpExt: SyncookiesSent SyncookiesRecv ListenDrops
TcpExt: 0 0 3
IpExt: InNoRoutes InTruncatedPkts InOctets InCsumErrors
IpExt: 0 0 86 0
";

    #[test]
    fn a_real_snmp_file() {
        let c = parse_tables(SNMP);
        let get = |t: &str, n: &str| {
            c.iter()
                .find(|c| c.table == t && c.name == n)
                .map(|c| c.value)
        };
        assert_eq!(get("Ip", "InReceives"), Some(2590));
        assert_eq!(get("Ip", "OutTransmits"), Some(1375));
        assert_eq!(get("Icmp", "OutAddrMaskReps"), Some(0));
        assert_eq!(get("IcmpMsg", "OutType3"), Some(10));
        assert_eq!(get("Tcp", "MaxConn"), Some(-1));
        assert_eq!(get("Udp", "NoPorts"), Some(10));
        assert_eq!(get("UdpLite", "MemErrors"), Some(0));
        assert_eq!(c.len(), 20 + 29 + 2 + 15 + 9 + 9);
    }

    #[test]
    fn snmp6_lines_split_after_the_six() {
        let c = parse_snmp6(SNMP6);
        let names: Vec<(&str, &str, i64)> = c
            .iter()
            .map(|c| (c.table.as_str(), c.name.as_str(), c.value))
            .collect();
        assert_eq!(
            names,
            [
                ("Ip6", "InReceives", 1),
                ("Ip6", "InHdrErrors", 0),
                ("Icmp6", "InMsgs", 1),
                ("Icmp6", "InType1", 1),
                ("Udp6", "NoPorts", 0),
                ("UdpLite6", "InDatagrams", 0),
            ]
        );
    }

    #[test]
    fn damaged_text_is_read_as_far_as_it_pairs() {
        // A values line without its names, names without values, a short values line,
        // a word among the values, nothing at all: no panic, and only what pairs.
        let text = "Ip: 1 2\nTcp: A B\nUdp: X Y Z\nUdp: 5 6\nIcmp: P Q\nIcmp: 1 x\n\n:\nFoo:\n";
        let c = parse_tables(text);
        assert_eq!(
            c,
            [
                Counter {
                    table: "Udp".into(),
                    name: "X".into(),
                    value: 5
                },
                Counter {
                    table: "Udp".into(),
                    name: "Y".into(),
                    value: 6
                },
            ]
        );
        assert!(parse_snmp6("Ip6\nnonsense here\n6 1\nIp6X notanumber\n").is_empty());
        assert_eq!(Snapshot::parse("", "", "").counters, []);
    }

    #[test]
    fn deltas_keep_only_what_moved() {
        let before = Snapshot::parse(SNMP, SNMP6, NETSTAT);
        // A bad ICMP checksum arriving on lo, as this kernel counts it; and a column
        // that appears with its first message of a type.
        let after_snmp = SNMP
            .replace(
                "Ip: 2 64 2590 0 0 0 0 0 2590",
                "Ip: 2 64 2591 0 0 0 0 0 2591",
            )
            .replace("Icmp: 11 0 0 11", "Icmp: 12 1 1 11")
            .replace(
                "IcmpMsg: InType3 OutType3\nIcmpMsg: 11 10",
                "IcmpMsg: InType3 InType8 OutType3\nIcmpMsg: 11 1 10",
            );
        let after = Snapshot::parse(
            &after_snmp,
            SNMP6,
            &NETSTAT.replace("0 0 86 0", "0 0 116 0"),
        );
        let counted = deltas(&before, &after);
        let moved: Vec<String> = counted
            .deltas
            .iter()
            .map(|d| format!("{} {} {:+}", d.table, d.name, d.by))
            .collect();
        assert_eq!(
            moved,
            [
                "Ip InReceives +1",
                "Ip InDelivers +1",
                "Icmp InMsgs +1",
                "Icmp InErrors +1",
                "Icmp InCsumErrors +1",
                "IcmpMsg InType8 +1",
                "IpExt InOctets +30",
            ]
        );
        assert_eq!(counted.by("Icmp", "InCsumErrors"), 1);
        assert!(!counted.moved("Udp", "NoPorts"));
        assert!(counted.counted_in("Icmp"));
        assert!(!counted.counted_in("Tcp"));
        let (telling, routine) = counted.ranked();
        let first: Vec<String> = telling.iter().map(|d| Counted::words(d)).collect();
        assert_eq!(
            first,
            [
                "Icmp InErrors +1 (an ICMP message could not be used: a wrong checksum, too short, or an error about a datagram no socket here sent)",
                "Icmp InCsumErrors +1 (an ICMP message arrived with a wrong checksum and was dropped)",
            ]
        );
        assert_eq!(routine.len(), 5);
        // Nothing moved, nothing counted; a counter going down is a change too.
        assert!(deltas(&before, &before).is_empty());
        assert_eq!(deltas(&after, &before).by("IpExt", "InOctets"), -30);
    }

    #[test]
    fn every_counter_has_words_and_one_entry() {
        let mut seen = std::collections::HashSet::new();
        for (table, name, _, _, words) in COUNTERS {
            assert!(seen.insert((table, name)), "{table} {name} twice");
            assert!(!words.is_empty() && !words.ends_with('.'), "{table} {name}");
        }
        // UDP over IPv6 borrows UDP's words; per-type columns are worded from the type tables.
        assert!(meaning("Udp6", "NoPorts").is_some());
        assert_eq!(
            meaning("IcmpMsg", "InType8").unwrap().1,
            "an ICMP message of type 8 (echo-request) arrived"
        );
        assert_eq!(
            meaning("Icmp6", "OutType129").unwrap().1,
            "an ICMPv6 message of type 129 (echo-reply) was sent"
        );
        assert!(meaning("TcpExt", "NoSuchCounter").is_none());
        assert_eq!(way("TcpExt", "NoSuchCounter"), Way::Neither);
        assert_eq!(way("Udp", "NoPorts"), Way::In);
    }

    /// This process's own namespace reads, and a second read sees the same counters.
    #[test]
    fn reads_this_namespace() {
        let Some(s) = Source::open() else { return };
        let a = s.snapshot().unwrap();
        let b = s.snapshot().unwrap();
        assert!(
            a.counters
                .iter()
                .any(|c| c.table == "Ip" && c.name == "InReceives")
        );
        assert_eq!(a.counters.len(), b.counters.len());
    }
}
