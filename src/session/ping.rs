//! `ping`: the post's closing exercise, echo requests with a send timestamp, a line per
//! reply with its round trip (the kernel's stamps, and user space's as `ping -U`
//! counts), and ping(8)'s statistics at the end. It sends through the loop `send` uses.

use super::{Detail, Flow, Session};
use crate::capture::Packet;
use crate::command::{PingOpts, SendArgs};
use crate::net::Mode;
use crate::net::{self};
use crate::render::Tone;
use crate::wire::OptionValue;
use crate::wire::template::{Payload, Template, Value};
use crate::wire::{self, icmp, icmpv6, ipv4, ipv6};
use std::io::{self, Write};
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

/// The fields an echo's sender writes and reads, for one family: the network layer
/// and ICMP's (IPv4 and ICMP, or IPv6 and ICMPv6), so ping and trace take every
/// offset from the tables and write each family once.
pub(super) struct Echo {
    pub(super) net: &'static wire::Protocol,
    pub(super) icmp: &'static wire::Protocol,
    pub(super) dst: &'static wire::Field,
    pub(super) src: &'static wire::Field,
    /// ip.ttl, or ipv6.hlim.
    pub(super) ttl: &'static wire::Field,
    pub(super) ident: &'static wire::Field,
    pub(super) seq: &'static wire::Field,
    kind: &'static wire::Field,
    code: &'static wire::Field,
    mtu: &'static wire::Field,
}

static V4: Echo = Echo {
    net: &ipv4::IPV4,
    icmp: &icmp::ICMP,
    dst: &ipv4::DST,
    src: &ipv4::SRC,
    ttl: &ipv4::TTL,
    ident: &icmp::IDENT,
    seq: &icmp::SEQ,
    kind: &icmp::TYPE,
    code: &icmp::CODE,
    mtu: &icmp::MTU,
};

static V6: Echo = Echo {
    net: &ipv6::IPV6,
    icmp: &icmpv6::ICMPV6,
    dst: &ipv6::DST,
    src: &ipv6::SRC,
    ttl: &ipv6::HLIM,
    ident: &icmpv6::IDENT,
    seq: &icmpv6::SEQ,
    kind: &icmpv6::TYPE,
    code: &icmpv6::CODE,
    mtu: &icmpv6::MTU,
};

/// The echo fields of `dst`'s family.
pub(super) fn echo_fields(dst: IpAddr) -> &'static Echo {
    match dst {
        IpAddr::V4(_) => &V4,
        IpAddr::V6(_) => &V6,
    }
}

/// What ping(8) says of a reply: the ICMP message's length, its sequence number, the
/// TTL (hop limit) and the source, whatever the reply was captured with (a packet
/// socket's frame has Ethernet before the IP header; an AF_INET6 raw socket hands over
/// no IPv6 header, so the source is the one the socket said, and the hop limit unknown).
fn reply_words(p: &Packet, f: &Echo) -> (usize, u128, Option<u128>, String) {
    let d = wire::dissect::dissect(&p.bytes, p.first);
    let icmp_len = d.layer_of(f.kind).map_or(0, |l| l.end - l.start);
    let seq = d.value(&p.bytes, f.seq).unwrap_or(0);
    let ttl = d.value(&p.bytes, f.ttl);
    (icmp_len, seq, ttl, source(p, f))
}

/// Where a reply or an error came from: its own IP header's source (not a quoted
/// one's), or the socket's word for one that came without its header.
fn source(p: &Packet, f: &Echo) -> String {
    let d = wire::dissect::dissect(&p.bytes, p.first);
    let own = d
        .layers
        .iter()
        .find(|l| !l.quoted && l.proto.addresses.is_some_and(|(s, _)| s == f.src))
        .map(|l| l.get(&p.bytes, f.src));
    match (own, p.addrs) {
        (Some(v), _) => f.src.words(v),
        (None, Some((src, _))) => src.to_string(),
        (None, None) => "?".into(),
    }
}

impl Session {
    /// Echo requests with this session's identifier, a sequence number and a send
    /// timestamp, sent as `mode` says (not the session's: the parser's default is how
    /// ping(8) sends); one line per reply, then ping(8)'s statistics.
    pub(super) fn ping(
        &mut self,
        args: &SendArgs,
        mode: Mode,
        opts: PingOpts,
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        let dst = args.dst.expect("the parser requires a destination");
        let size = opts.size.unwrap_or(56) as usize;
        // Refused before the PING line, so a refusal is all that is printed.
        if let Some(f) = self.need_network(out) {
            return f;
        }
        if let Err(why) = self.policy.destination(dst) {
            return self.fail(out, &why);
        }
        let f = echo_fields(dst);
        if dst.is_ipv6() {
            if opts.record_route {
                return self.fail(
                    out,
                    "`rr` asks for IPv4's record-route option (ping -R), and IPv6 has none: ping 2001:db8:2::2 without it, or an IPv4 address with it",
                );
            }
            if mode == Mode::HdrIncl {
                return self.fail(
                    out,
                    "AF_INET6 has no IP_HDRINCL: `mode raw` sends rawlab's IPv6 header through IPPROTO_RAW, `mode kernel` (the default) lets the kernel write it",
                );
            }
            // The kernel writes the identifier of no IPv6 echo either: this session's
            // echoes are known by it.
            self.shower.own_flow("icmpv6", self.ping_ident as u64);
        }
        let ident = self.ping_ident;
        let header = format!(
            "PING {dst}: {size} data bytes, identifier {ident} (this session's){}{}; {}",
            opts.ttl.map_or(String::new(), |t| format!(
                ", {} {t}",
                if dst.is_ipv6() { "hop limit" } else { "ttl" }
            )),
            if opts.record_route {
                ", recording the route"
            } else {
                ""
            },
            how_words(mode, dst)
        );
        for l in self.style().wrap(&header, "", "  ") {
            writeln!(out, "{}", self.style().paint(&l, Tone::Heading))?;
        }
        let mut template = match ping_template(dst, ident, &opts, size) {
            Ok(t) => t,
            Err(e) => return self.fail(out, &e),
        };
        // Through IPPROTO_RAW an IPv6 header goes as rawlab writes it, and the kernel
        // fills no source: the one it chooses for this destination, so answers come back.
        if dst.is_ipv6()
            && mode == Mode::Raw
            && let Ok(src) = net::source_for(dst)
        {
            template
                .set(f.src, Value::Raw(crate::lab::addr_value(src)))
                .expect("ipv6.src");
        }
        let mut rtts = Rtts {
            stamps: opts.stamps,
            v6: dst.is_ipv6(),
            // A request to another host leaves on a cable, where only a packet socket
            // sees it: an IP raw socket is handed what arrives, and this host's own
            // requests arrive only on lo.
            to_self: dst.is_loopback() || crate::net::sys::local_addrs().contains(&dst),
            ..Rtts::default()
        };
        let (record_route, mut last_route) = (opts.record_route, None::<Vec<String>>);
        let previous = self.shower.set_detail(Detail::Quiet);
        let style = self.style();
        let mut build = |i: u64| echo_request(&mut template, f, i, size);
        let mut on_reply = |out: &mut dyn Write,
                            sent: &Packet,
                            copy: Option<&Packet>,
                            reply: &Packet|
         -> io::Result<()> {
            if reply
                .relations()
                .iter()
                .any(|r| matches!(r, crate::lab::Relation::Error { .. }))
            {
                let line = rtts.error(sent, reply);
                for l in style.wrap(&line, "", "  ") {
                    writeln!(out, "{}", style.paint(&l, Tone::Note))?;
                }
                return Ok(());
            }
            let line = rtts.record(sent, copy, reply);
            writeln!(out, "{}", style.paint(&line, Tone::Plain))?;
            if record_route {
                let text = route_line(reply, &mut last_route);
                writeln!(out, "{}", style.paint(&text, Tone::Note))?;
            }
            Ok(())
        };
        // ping(8) lets only answers into its socket: the copy of each request a
        // listener gets is made in the middle of the round trip, so ping's own socket
        // leaves the requests out. An open listener still sees them.
        let outcome = self.transmit(
            args,
            mode,
            net::Letting::Answers,
            out,
            &mut build,
            &mut on_reply,
        );
        self.shower.set_detail(previous);
        let Some(outcome) = outcome? else {
            return Ok(Flow::Continue);
        };
        self.ping_statistics(dst, &outcome, &mut rtts, out)?;
        Ok(Flow::Continue)
    }

    /// ping(8)'s closing lines: transmitted, received, loss; the round trips; or why
    /// none came.
    fn ping_statistics(
        &mut self,
        dst: IpAddr,
        outcome: &super::send::Outcome,
        rtts: &mut Rtts,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let sent = outcome.sent.len();
        let received = rtts.round.len();
        self.evidence.last_ping = Some((sent as u64, received as u64));
        let loss = if sent == 0 {
            0.0
        } else {
            100.0 * (sent - received) as f64 / sent as f64
        };
        let elapsed = outcome.last_send.duration_since(outcome.first_send);
        writeln!(out, "--- {dst} rawlab ping statistics ---")?;
        writeln!(
            out,
            "{sent} packets transmitted, {received} received, {}{loss:.0}% packet loss, time {}ms{}",
            match rtts.errors {
                0 => String::new(),
                n => format!("+{n} errors, "),
            },
            elapsed.as_millis(),
            if self.interrupted() {
                " (interrupted)"
            } else {
                ""
            }
        )?;
        if outcome.unseen > 0 {
            let text = self.unseen_words(
                outcome.unseen,
                ": replies among them are not counted as received",
            );
            writeln!(out, "{}", self.style().paint(&text, Tone::Note))?;
        }
        if !rtts.round.is_empty() {
            writeln!(out, "{}", rtts.summary())?;
            let medians = rtts.medians();
            self.info(out, &medians)?;
        } else if rtts.errors > 0 {
            // The errors are the kernel's answer: each says where and why.
            let text = "no reply came, but ICMP errors did: each names the host that refused a request and why (`dump N` shows one in full)";
            writeln!(out, "{}", self.style().paint(text, Tone::Note))?;
        } else if !self.interrupted() && outcome.unseen == 0 {
            self.why_silent(outcome, dst, out)?;
        }
        Ok(())
    }
}

/// The echo request template with ping's options: a record route as ping -R sends it,
/// and the TTL; why not, when the data no longer fits.
fn ping_template(
    dst: IpAddr,
    ident: u16,
    opts: &PingOpts,
    size: usize,
) -> Result<Template, String> {
    let f = echo_fields(dst);
    let mut template = echo_template(dst, ident);
    if opts.record_route {
        // As ping -R sends it: a no-operation, then a record route of nine slots.
        for (f, n) in [(&ipv4::OPT_NOP, 1), (&ipv4::OPT_RR, 9)] {
            let (_, named) = wire::option_named_by(f).expect("an option set by name");
            template.set_option(named, &OptionValue::Count(n))?;
        }
        if template.payload_room() < size {
            return Err(format!(
                "size {size} does not fit with the record route's 40 bytes of options: at most {}",
                template.payload_room()
            ));
        }
    }
    if let Some(t) = opts.ttl {
        template.set(f.ttl, Value::Raw(t as u128))?;
    }
    if template.payload_room() < size {
        return Err(format!(
            "size {size} does not fit: at most {} data bytes after the headers",
            template.payload_room()
        ));
    }
    Ok(template)
}

/// Request `i` (counting from 0): its sequence number, and `size` data bytes as ping(8)
/// fills them: a send timestamp first when there is room for one, then bytes counting
/// up from where it ends.
fn echo_request(template: &mut Template, f: &Echo, i: u64, size: usize) -> wire::template::Built {
    template
        .set(f.seq, Value::Raw((i + 1) as u128 & 0xffff))
        .expect("the echo's sequence number");
    let now = SystemTime::now();
    let mut data = if size >= 16 {
        Payload::Time.bytes(now)
    } else {
        Vec::new()
    };
    let from = data.len();
    data.extend((from..size).map(|i| i as u8));
    template.payload = Payload::Bytes(data);
    template.build(now)
}

/// The route a reply recorded, as ping -R prints it: "(same route)" when it is the
/// route of the reply before.
fn route_line(reply: &Packet, last_route: &mut Option<Vec<String>>) -> String {
    let route = recorded_route(&reply.bytes, reply.first);
    let text = if route.is_empty() {
        "RR: nothing recorded (the reply carries no record route)".to_string()
    } else if last_route.as_ref() == Some(&route) {
        "RR: (same route)".to_string()
    } else {
        format!("RR: {}", route.join(" → "))
    };
    *last_route = Some(route);
    text
}

/// The addresses a reply's record-route option holds, in the order written (its
/// first IPv4 header's filled slots), as ping -R prints them.
fn recorded_route(bytes: &[u8], first: &'static wire::Protocol) -> Vec<String> {
    let d = wire::dissect::dissect(bytes, first);
    d.layers
        .iter()
        .find(|l| l.proto == &ipv4::IPV4 && !l.quoted)
        .map(|l| {
            l.items
                .iter()
                .flat_map(|i| &i.fields)
                .filter(|f| f.field == &ipv4::REC_RT)
                .map(|f| ipv4::REC_RT.words(f.get(bytes)))
                .collect()
        })
        .unwrap_or_default()
}

/// The echo request ping sends, with this session's identifier: the post's packet for
/// IPv4, ip6/icmp6's echo request for IPv6.
fn echo_template(dst: IpAddr, ident: u16) -> Template {
    let f = echo_fields(dst);
    let mut template = match dst {
        IpAddr::V4(_) => Template::default(),
        IpAddr::V6(_) => Template::new(&[f.net, f.icmp]),
    };
    template
        .set(f.dst, Value::Raw(crate::lab::addr_value(dst)))
        .expect("the echo's destination");
    template
        .set(f.ident, Value::Raw(ident as u128))
        .expect("the echo's identifier");
    template
}

/// Who writes the IP header, in the mode ping was given.
fn how_words(mode: Mode, dst: IpAddr) -> String {
    match (mode, dst) {
        (Mode::Kernel, IpAddr::V6(_)) => {
            "the kernel writes the IPv6 header and the ICMPv6 checksum, as for ping(8)".into()
        }
        (Mode::Raw, IpAddr::V6(_)) => {
            "rawlab writes the IPv6 header (from the source the kernel chooses for it), through IPPROTO_RAW".into()
        }
        (Mode::Kernel, _) => "the kernel writes the IP header, as for ping(8)".to_string(),
        (Mode::Raw, _) => {
            "rawlab writes the IP header, through IPPROTO_RAW as the post sends".into()
        }
        (m, _) => format!(
            "rawlab writes the IP header, through IP_HDRINCL (mode {})",
            m.name()
        ),
    }
}

/// The round trips of one ping, three ways.
#[derive(Default)]
struct Rtts {
    /// From just before sendto to the kernel's stamp on the reply, as ping(8) counts.
    round: Vec<Duration>,
    /// From the request's copy on the wire to the reply, both stamped by the kernel.
    wire: Vec<Duration>,
    /// Until rawlab's user space had the reply in hand, as `ping -U` counts.
    user: Vec<Duration>,
    /// ICMP errors about the requests, as ping(8)'s `+N errors` counts.
    errors: usize,
    /// Each line begins with the answer's time (`ping -D`).
    stamps: bool,
    /// Pinging over IPv6: ICMPv6's fields and words.
    v6: bool,
    /// Pinging this host, whose requests an IP listener sees arrive on lo.
    to_self: bool,
}

/// `[1733281234.123456] `: when an answer came, in seconds since 1970, as `ping -D`
/// prints it; nothing unless asked for.
fn stamp(on: bool, t: SystemTime) -> String {
    if !on {
        return String::new();
    }
    let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    format!("[{}.{:06}] ", d.as_secs(), d.subsec_micros())
}

impl Rtts {
    /// Counts an ICMP error about a request and says it in ping(8)'s words: `From
    /// 192.0.2.2 icmp_seq=1 Time to live exceeded`.
    fn error(&mut self, sent: &Packet, error: &Packet) -> String {
        self.errors += 1;
        let f = self.fields();
        let d = wire::dissect::dissect(&error.bytes, error.first);
        let src = source(error, f);
        let sd = wire::dissect::dissect(&sent.bytes, sent.first);
        let seq = sd.value(&sent.bytes, f.seq).unwrap_or(0);
        let (kind, code) = (
            d.value(&error.bytes, f.kind).unwrap_or(0),
            d.value(&error.bytes, f.code).unwrap_or(0),
        );
        let mtu = d.value(&error.bytes, f.mtu).unwrap_or(0);
        let what = if self.v6 {
            icmpv6_error_words(kind, code, mtu)
        } else {
            icmp_error_words(kind, code, mtu)
        };
        format!(
            "{}From {src} icmp_seq={seq} {what}  (#{} → #{}; `dump {}` says why)",
            stamp(self.stamps, error.time),
            sent.no,
            error.no,
            error.no
        )
    }

    fn fields(&self) -> &'static Echo {
        if self.v6 { &V6 } else { &V4 }
    }

    /// Counts a reply and says it in ping(8)'s words.
    fn record(&mut self, sent: &Packet, copy: Option<&Packet>, reply: &Packet) -> String {
        let rtt = reply.time.duration_since(sent.time).unwrap_or_default();
        self.round.push(rtt);
        let wire = copy.and_then(|c| reply.time.duration_since(c.time).ok());
        self.wire.extend(wire);
        let user = reply.read.and_then(|r| r.duration_since(sent.time).ok());
        self.user.extend(user);
        // The kernel's side alone, and the trip to rawlab's hands, each when it
        // differs from the round trip by a microsecond or more.
        let differs = |d: &Duration| rtt.abs_diff(*d) >= Duration::from_micros(1);
        let others: Vec<String> = [("on the wire", wire), ("user space", user)]
            .into_iter()
            .filter_map(|(name, d)| {
                d.filter(differs)
                    .map(|d| format!("{name} {:.3} ms", d.as_secs_f64() * 1e3))
            })
            .collect();
        let besides = if others.is_empty() {
            String::new()
        } else {
            format!(" ({})", others.join(", "))
        };
        let (icmp_len, seq, ttl, src) = reply_words(reply, self.fields());
        // An AF_INET6 raw socket hands over no IPv6 header: no hop limit to say.
        let ttl = ttl.map_or(String::new(), |t| format!(" ttl={t}"));
        format!(
            "{}{icmp_len} bytes from {src}: icmp_seq={seq}{ttl} time={:.3} ms{besides}  (#{} → #{})",
            stamp(self.stamps, reply.time),
            rtt.as_secs_f64() * 1e3,
            sent.no,
            reply.no
        )
    }

    /// ping(8)'s `rtt min/avg/max/mdev` line.
    fn summary(&self) -> String {
        let ms: Vec<f64> = self.round.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        let min = ms.iter().copied().fold(f64::INFINITY, f64::min);
        let max = ms.iter().copied().fold(0.0, f64::max);
        let avg = ms.iter().sum::<f64>() / ms.len() as f64;
        let mdev = (ms.iter().map(|x| x * x).sum::<f64>() / ms.len() as f64 - avg * avg)
            .max(0.0)
            .sqrt();
        format!("rtt min/avg/max/mdev = {min:.3}/{avg:.3}/{max:.3}/{mdev:.3} ms")
    }

    /// The medians, in user space too, and on the wire when a listener saw the requests.
    fn medians(&mut self) -> String {
        // ping(8) counts from just before sendto to the kernel's stamp on the reply,
        // as rawlab does; the wire figure leaves out the trip through sendto.
        let mut line = format!("rtt median {:.3} ms", median_ms(&mut self.round));
        if !self.user.is_empty() {
            line.push_str(&format!(
                ", {:.3} ms in user space (as ping -U counts)",
                median_ms(&mut self.user)
            ));
        }
        if self.wire.is_empty() {
            // ping's own socket let only answers in.
            line.push_str(match (self.v6, self.to_self) {
                (false, true) => "; `listen icmp` first to see each request on the wire, and the kernel's share of the trip",
                // An AF_INET6 raw socket is handed no packet this host sends.
                (true, _) => "; `listen link` first to see each request on the wire (a packet socket: an AF_INET6 raw socket sees none this host sends), and the kernel's share of the trip",
                (false, false) => "; `listen link` first to see each request on the wire (a packet socket: an IP raw socket sees a request only as it arrives, and these arrive elsewhere), and the kernel's share of the trip",
            });
        } else {
            let w = &mut self.wire;
            w.sort();
            let (first, last) = (w[0], w[w.len() - 1]);
            line.push_str(&format!(
                "; on the wire (request's copy to reply, kernel timestamps) min/median/max = {:.3}/{:.3}/{:.3} ms",
                first.as_secs_f64() * 1e3,
                median_ms(w),
                last.as_secs_f64() * 1e3
            ));
        }
        line
    }
}

/// An ICMP error as ping(8) words it.
fn icmp_error_words(kind: u128, code: u128, mtu: u128) -> String {
    match (kind, code) {
        (11, 0) => "Time to live exceeded".to_string(),
        (11, 1) => "Frag reassembly time exceeded".to_string(),
        (3, 0) => "Destination Net Unreachable".to_string(),
        (3, 1) => "Destination Host Unreachable".to_string(),
        (3, 2) => "Destination Protocol Unreachable".to_string(),
        (3, 3) => "Destination Port Unreachable".to_string(),
        (3, 4) => format!("Frag needed and DF set (mtu = {mtu})"),
        (3, 13) => "Packet filtered".to_string(),
        (t, c) => format!("ICMP type {t} code {c}"),
    }
}

/// An ICMPv6 error as ping(8) words it over IPv6.
fn icmpv6_error_words(kind: u128, code: u128, mtu: u128) -> String {
    match (kind, code) {
        (1, 0) => "Destination unreachable: No route".to_string(),
        (1, 1) => "Destination unreachable: Administratively prohibited".to_string(),
        (1, 3) => "Destination unreachable: Address unreachable".to_string(),
        (1, 4) => "Destination unreachable: Port unreachable".to_string(),
        (2, _) => format!("Packet too big: mtu={mtu}"),
        (3, 0) => "Time exceeded: Hop limit".to_string(),
        (3, 1) => "Time exceeded: Defragmentation failure".to_string(),
        (4, c) => format!("Parameter problem: code {c}"),
        (t, c) => format!("ICMPv6 type {t} code {c}"),
    }
}

/// The middle value, in milliseconds (the mean of the two middle ones for an even count).
fn median_ms(v: &mut [Duration]) -> f64 {
    v.sort();
    let n = v.len();
    let mid = match n {
        0 => Duration::ZERO,
        _ if n % 2 == 1 => v[n / 2],
        _ => (v[n / 2 - 1] + v[n / 2]) / 2,
    };
    mid.as_secs_f64() * 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An echo request to 127.0.0.1 (seq 0, two bytes of data), as an IP listener
    /// captures it and, behind lo's all-zero Ethernet header, as a packet socket does.
    const ECHO: [u8; 30] = crate::wire::POST_ON_THE_WIRE;

    fn captured(bytes: &[u8], first: &'static wire::Protocol) -> Packet {
        let origin = crate::capture::Origin::Captured {
            socket: "raw socket for icmp".into(),
            link: None,
            iface: None,
        };
        Packet::new(1, SystemTime::UNIX_EPOCH, bytes.to_vec(), first, origin)
    }

    #[test]
    fn a_reply_is_counted_by_its_icmp_message_whatever_captured_it() {
        let want = (10, 0, Some(64), "127.0.0.1".to_string());
        assert_eq!(reply_words(&captured(&ECHO, &ipv4::IPV4), &V4), want);
        let mut frame = vec![0u8; 12];
        frame.extend([0x08, 0x00]);
        frame.extend(ECHO);
        assert_eq!(reply_words(&captured(&frame, &wire::eth::ETH), &V4), want);
        // From an AF_INET6 raw socket: no IPv6 header, the source the socket said.
        let mut echo6 = vec![129, 0, 0, 0, 0x12, 0x34, 0, 7];
        echo6.extend([0u8; 4]);
        let mut p = captured(&echo6, &icmpv6::ICMPV6);
        p.addrs = Some((
            "2001:db8:2::2".parse().unwrap(),
            "2001:db8:1::1".parse().unwrap(),
        ));
        assert_eq!(
            reply_words(&p, &V6),
            (12, 7, None, "2001:db8:2::2".to_string())
        );
    }
}
