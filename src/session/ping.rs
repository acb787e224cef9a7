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
use crate::wire::{self, icmp, ipv4};
use std::io::{self, Write};
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

/// What ping(8) says of a reply: the ICMP message's length, its sequence number, the
/// TTL and the source, whatever the reply was captured with (a packet socket's frame
/// has Ethernet before the IP header).
fn reply_words(bytes: &[u8], first: &'static wire::Protocol) -> (usize, u128, u128, String) {
    let d = wire::dissect::dissect(bytes, first);
    let icmp_len = d.layer_of(&icmp::TYPE).map_or(0, |l| l.end - l.start);
    let seq = d.value(bytes, &icmp::SEQ).unwrap_or(0);
    let ttl = d.value(bytes, &ipv4::TTL).unwrap_or(0);
    let src = ipv4::SRC.words(d.value(bytes, &ipv4::SRC).unwrap_or(0));
    (icmp_len, seq, ttl, src)
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
        if let Err(why) = self.policy.destination(IpAddr::V4(dst)) {
            return self.fail(out, &why);
        }
        let ident = self.ping_ident;
        let header = format!(
            "PING {dst}: {size} data bytes, identifier {ident} (this session's){}{}; {}",
            opts.ttl.map_or(String::new(), |t| format!(", ttl {t}")),
            if opts.record_route {
                ", recording the route"
            } else {
                ""
            },
            how_words(mode)
        );
        for l in self.style().wrap(&header, "", "  ") {
            writeln!(out, "{}", self.style().paint(&l, Tone::Heading))?;
        }
        let mut template = match ping_template(dst, ident, &opts, size) {
            Ok(t) => t,
            Err(e) => return self.fail(out, &e),
        };
        let mut rtts = Rtts {
            stamps: opts.stamps,
            ..Rtts::default()
        };
        let (record_route, mut last_route) = (opts.record_route, None::<Vec<String>>);
        let previous = self.shower.set_detail(Detail::Quiet);
        let style = self.style();
        let mut build = |i: u64| echo_request(&mut template, i, size);
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
        dst: std::net::Ipv4Addr,
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
            self.why_silent(outcome, dst.into(), out)?;
        }
        Ok(())
    }
}

/// The echo request template with ping's options: a record route as ping -R sends it,
/// and the TTL; why not, when the data no longer fits.
fn ping_template(
    dst: std::net::Ipv4Addr,
    ident: u16,
    opts: &PingOpts,
    size: usize,
) -> Result<Template, String> {
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
        template
            .set(&ipv4::TTL, Value::Raw(t as u128))
            .expect("ip.ttl");
    }
    Ok(template)
}

/// Request `i` (counting from 0): its sequence number, and `size` data bytes as ping(8)
/// fills them: a send timestamp first when there is room for one, then bytes counting
/// up from where it ends.
fn echo_request(template: &mut Template, i: u64, size: usize) -> wire::template::Built {
    template
        .set(&icmp::SEQ, Value::Raw((i + 1) as u128 & 0xffff))
        .expect("icmp.seq");
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

/// The echo request ping sends, with this session's identifier.
fn echo_template(dst: std::net::Ipv4Addr, ident: u16) -> Template {
    let mut template = Template::default();
    template
        .set(&ipv4::DST, Value::Raw(u32::from(dst) as u128))
        .expect("ip.dst");
    template
        .set(&icmp::IDENT, Value::Raw(ident as u128))
        .expect("icmp.ident");
    template
}

/// Who writes the IP header, in the mode ping was given.
fn how_words(mode: Mode) -> String {
    match mode {
        Mode::Kernel => "the kernel writes the IP header, as for ping(8)".to_string(),
        Mode::Raw => "rawlab writes the IP header, through IPPROTO_RAW as the post sends".into(),
        m => format!(
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
        let d = wire::dissect::dissect(&error.bytes, error.first);
        let src = ipv4::SRC.words(d.value(&error.bytes, &ipv4::SRC).unwrap_or(0));
        let sd = wire::dissect::dissect(&sent.bytes, sent.first);
        let seq = sd.value(&sent.bytes, &icmp::SEQ).unwrap_or(0);
        let (kind, code) = (
            d.value(&error.bytes, &icmp::TYPE).unwrap_or(0),
            d.value(&error.bytes, &icmp::CODE).unwrap_or(0),
        );
        let what = match (kind, code) {
            (11, 0) => "Time to live exceeded".to_string(),
            (11, 1) => "Frag reassembly time exceeded".to_string(),
            (3, 0) => "Destination Net Unreachable".to_string(),
            (3, 1) => "Destination Host Unreachable".to_string(),
            (3, 2) => "Destination Protocol Unreachable".to_string(),
            (3, 3) => "Destination Port Unreachable".to_string(),
            (3, 4) => format!(
                "Frag needed and DF set (mtu = {})",
                d.value(&error.bytes, &icmp::MTU).unwrap_or(0)
            ),
            (3, 13) => "Packet filtered".to_string(),
            (t, c) => format!("ICMP type {t} code {c}"),
        };
        format!(
            "{}From {src} icmp_seq={seq} {what}  (#{} → #{}; `dump {}` says why)",
            stamp(self.stamps, error.time),
            sent.no,
            error.no,
            error.no
        )
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
        let (icmp_len, seq, ttl, src) = reply_words(&reply.bytes, reply.first);
        format!(
            "{}{icmp_len} bytes from {src}: icmp_seq={seq} ttl={ttl} time={:.3} ms{besides}  (#{} → #{})",
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
            line.push_str(
                "; `listen icmp` first to see each request on the wire, and the kernel's share of the trip",
            );
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

    #[test]
    fn a_reply_is_counted_by_its_icmp_message_whatever_captured_it() {
        let want = (10, 0, 64, "127.0.0.1".to_string());
        assert_eq!(reply_words(&ECHO, &ipv4::IPV4), want);
        let mut frame = vec![0u8; 12];
        frame.extend([0x08, 0x00]);
        frame.extend(ECHO);
        assert_eq!(reply_words(&frame, &wire::eth::ETH), want);
    }
}
