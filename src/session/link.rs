//! The link layer's commands: `listen link` (an AF_PACKET socket), `mode link`
//! (whole frames on an interface), `ifaces` (the interfaces, over netlink), and
//! what the rest of the session asks of the link: the sending interface's
//! addresses for building a frame, whether a frame may go out there, and who is
//! on its far end when a frame earns no reply.

use super::{Flow, Session};
use crate::lab::{LinkPlace, Surroundings};
use crate::net::Mode;
use crate::net::Net;
use crate::net::link::{self, LinkListener};
use crate::net::netlink::{self, Address, Link, Netlink};
use crate::render::Tone;
use crate::wire::template::{Built, Local};
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::time::SystemTime;

impl Session {
    /// The template built as it will be handed over, with the fields rawlab fills from
    /// the sending interface (eth.src, arp.src.*, ip.src inside a frame) filled in.
    pub(super) fn built(&self, now: SystemTime) -> Built {
        let local = if self.template.is_frame() {
            self.local()
        } else {
            None
        };
        self.template.build_on(now, local.as_ref())
    }

    /// The MAC and first IPv4 address of the interface `mode link` sends on.
    pub(super) fn local(&self) -> Option<Local> {
        let (l, addrs) = link::interface(&self.link_iface).ok()?;
        Some(Local {
            mac: l.mac6().unwrap_or([0; 6]),
            ipv4: first_ipv4(&addrs),
        })
    }

    /// Whether frames may go out on `l`: lo and every interface of the sandbox always;
    /// a real interface of the host's network only with --allow-remote.
    pub(super) fn link_allowed(&self, l: &Link) -> Result<(), String> {
        if l.is_loopback() || self.net == Net::Sandbox || self.policy.allow_remote {
            return Ok(());
        }
        Err(format!(
            "{} is an interface of the host's network: a frame handed to it leaves this machine, so rawlab sends frames there only when started with --allow-remote. lo is always allowed (`mode link lo`), and so is everything in the sandbox (`rawlab --sandbox`, where veth0 leads to a peer)",
            l.name
        ))
    }

    /// Where a send went and who could have answered, for explaining silence.
    pub(super) fn surroundings(&self, frame: bool) -> Surroundings {
        let mut around = Surroundings {
            sandboxed: self.net == Net::Sandbox,
            local: crate::net::sys::local_ipv4_addrs(),
            peers: self
                .peer
                .iter()
                .map(|p| (p.peer_addr, p.peer_mac, p.iface.to_string()))
                .collect(),
            link: None,
            forwarding: std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward")
                .is_ok_and(|v| v.trim() == "1"),
            counted: Default::default(),
            route: Some(crate::net::route_from),
        };
        if frame {
            let loopback = link::interface(&self.link_iface).is_ok_and(|(l, _)| l.is_loopback());
            let mut neighbours: Vec<(Ipv4Addr, [u8; 6])> = around
                .peers
                .iter()
                .filter(|(_, _, i)| *i == self.link_iface)
                .map(|(a, m, _)| (*a, *m))
                .collect();
            // What the kernel learnt by ARP on that interface counts too (on the host).
            if let Ok((l, _)) = link::interface(&self.link_iface)
                && let Ok(found) = Netlink::open().and_then(|mut nl| nl.neighbours())
            {
                for n in found.into_iter().filter(|n| n.index == l.index) {
                    if let (IpAddr::V4(a), Some(m)) = (
                        n.addr,
                        n.mac.as_deref().and_then(|m| <[u8; 6]>::try_from(m).ok()),
                    ) && !neighbours.iter().any(|(b, _)| *b == a)
                    {
                        neighbours.push((a, m));
                    }
                }
            }
            around.link = Some(LinkPlace {
                iface: self.link_iface.clone(),
                loopback,
                neighbours,
            });
        }
        around
    }

    pub(super) fn mode_link(
        &mut self,
        iface: Option<&str>,
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        let name = iface.map_or_else(|| self.link_iface.clone(), str::to_string);
        let (l, addrs) = match link::interface(&name) {
            Ok(found) => found,
            Err(e) => return self.fail(out, &e),
        };
        if let Err(why) = self.link_allowed(&l) {
            return self.fail(out, &why);
        }
        self.mode = Mode::Link;
        self.link_iface = l.name.clone();
        let mac = l.mac.as_deref().map_or("no MAC".into(), netlink::mac_words);
        let addr = first_ipv4(&addrs).map_or("no IPv4 address".into(), |a| a.to_string());
        let mut text = format!(
            "mode link: socket(AF_PACKET, SOCK_RAW, ETH_P_ALL) on {} (index {}, {mac}, {addr}): rawlab hands over whole frames, Ethernet header included, and the kernel adds and fixes nothing",
            l.name, l.index
        );
        if !l.is_up() {
            text.push_str(&format!(
                "; {} is down, so a frame sent there goes nowhere",
                l.name
            ));
        }
        if !self.template.is_frame() {
            text.push_str(&format!(
                ". The template is {}, a packet without a link layer: `new eth/arp` or `new eth/ip/icmp` makes a frame",
                self.template.stack_name()
            ));
        }
        self.info(out, &text)?;
        Ok(Flow::Continue)
    }

    pub(super) fn listen_link(
        &mut self,
        iface: Option<&str>,
        once: bool,
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        if let Some(f) = self.need_network(out) {
            return f;
        }
        let target = match iface {
            Some(name) => match link::interface(name) {
                Ok((l, _)) => Some(l),
                Err(e) => return self.fail(out, &e),
            },
            None => None,
        };
        let name = target.as_ref().map(|l| l.name.clone());
        if self
            .open
            .link_listeners
            .iter()
            .any(|l| l.iface == name && l.once == once)
        {
            let on = name.as_deref().unwrap_or("every interface");
            self.info(out, &format!("already listening on {on}"))?;
            return Ok(Flow::Continue);
        }
        // A second listener on the same frames would show each twice more; replace it.
        self.open.link_listeners.retain(|l| l.iface != name);
        let bound = target.as_ref().map(|l| (l.index, l.name.clone()));
        match LinkListener::open(bound, once, self.shower.store.clone()) {
            Ok(l) => {
                self.open.link_listeners.push(l);
                let (what, lo) = match &target {
                    Some(t) => (
                        format!(
                            "bound to {} (index {}) gets every frame {} sends or receives",
                            t.name, t.index, t.name
                        ),
                        t.is_loopback(),
                    ),
                    None => ("gets every frame of every interface here".to_string(), true),
                };
                let mut text = format!(
                    "listening: socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)) {what}, any protocol, from the Ethernet header down; the kernel says which way each went (sll_pkttype: outgoing, to us, broadcast, multicast, other host)"
                );
                if lo {
                    text.push_str(if once {
                        ". On lo each frame is seen twice, leaving and arriving; `once` shows only the first"
                    } else {
                        ". On lo each frame shows twice, leaving and arriving (`listen link lo once` shows it once)"
                    });
                }
                self.info(out, &text)?;
                Ok(Flow::Continue)
            }
            Err(e) => {
                let on = name.as_deref().unwrap_or("every interface");
                self.fail(out, &format!("could not open a packet socket on {on}: {e}"))
            }
        }
    }

    /// `route DST`: what the kernel says of the way to DST (`ip route get DST`).
    pub(super) fn route(&mut self, dst: std::net::IpAddr, out: &mut dyn Write) -> io::Result<Flow> {
        // What lowers a path MTU: IPv4's fragmentation needed, IPv6's packet too big.
        let lowered = if dst.is_ipv6() {
            "an ICMPv6 packet too big"
        } else {
            "an ICMP fragmentation needed"
        };
        let asked = netlink::Netlink::open().and_then(|mut nl| {
            let r = nl.route_to(dst)?;
            let links = nl.links()?;
            Ok((r, links))
        });
        let (r, links) = match asked {
            Ok(found) => found,
            Err(e) => {
                let text = if e.raw_os_error() == Some(libc::ENETUNREACH) {
                    format!(
                        "the kernel has no route to {dst} (ENETUNREACH): a send there fails before it leaves"
                    )
                } else {
                    format!("could not ask the kernel over netlink (RTM_GETROUTE for {dst}): {e}")
                };
                return self.fail(out, &text);
            }
        };
        let iface = r.oif.and_then(|i| links.iter().find(|l| l.index == i));
        let via = match r.gateway {
            Some(g) => format!("via the gateway {g}"),
            None => "directly, on the link (no gateway)".to_string(),
        };
        let on = iface.map_or(String::new(), |l| format!(", leaving on {}", l.name));
        let from = r.src.map_or(String::new(), |s| format!(", from {s}"));
        let style = self.style();
        for l in style.wrap(&format!("route to {dst}: {via}{on}{from}"), "", "  ") {
            writeln!(out, "{l}")?;
        }
        let mtu = match (r.mtu, iface) {
            (Some(m), Some(l)) if m < l.mtu => format!(
                "path MTU {m}, below {}'s {}: the kernel learned it from {lowered} and keeps it for a while; until then {}",
                l.name,
                l.mtu,
                if dst.is_ipv6() {
                    "a larger packet whose header rawlab writes is refused by sendto (EMSGSIZE), and one the kernel builds (mode kernel, ping) is cut by the kernel into fragments with a fragment header (no IPv6 router cuts a packet)"
                } else {
                    "a larger datagram with don't-fragment set is refused by sendto (EMSGSIZE) when rawlab writes its header, and one with it clear, or one the kernel builds (mode kernel, ping), is cut into fragments that fit"
                }
            ),
            (Some(m), _) => format!("path MTU {m}, as the route says"),
            (None, Some(l)) => format!(
                "no path MTU cached: {}'s MTU, {}, is the limit (a router's {} would lower it)",
                l.name,
                l.mtu,
                lowered
                    .trim_start_matches("an ")
                    .trim_start_matches("ICMP ")
            ),
            (None, None) => "no path MTU cached".to_string(),
        };
        for l in style.wrap(&mtu, "  ", "    ") {
            writeln!(out, "{l}")?;
        }
        self.info(
            out,
            &format!(
                "read over AF_NETLINK (NETLINK_ROUTE): RTM_GETROUTE for {dst}, as `ip route get {dst}` asks"
            ),
        )?;
        Ok(Flow::Continue)
    }

    pub(super) fn ifaces(&mut self, out: &mut dyn Write) -> io::Result<Flow> {
        let (links, addrs, tally) = match link::interfaces() {
            Ok(found) => found,
            Err(e) => {
                return self.fail(
                    out,
                    &format!(
                        "could not ask the kernel over netlink (AF_NETLINK, NETLINK_ROUTE): {e}"
                    ),
                );
            }
        };
        let style = self.style();
        let rows: Vec<[String; 7]> = links
            .iter()
            .map(|l| {
                let mine: Vec<String> = addrs
                    .iter()
                    .filter(|a| a.index == l.index)
                    .map(|a| format!("{}/{}", a.addr, a.prefix))
                    .collect();
                [
                    l.index.to_string(),
                    l.name.clone(),
                    l.mac.as_deref().map_or("-".into(), netlink::mac_words),
                    l.mtu.to_string(),
                    l.state_words().to_string(),
                    l.flag_words(),
                    if mine.is_empty() {
                        "-".into()
                    } else {
                        mine.join(" ")
                    },
                ]
            })
            .collect();
        let head = ["index", "name", "mac", "mtu", "state", "flags", "addresses"];
        let widths: Vec<usize> = (0..7)
            .map(|i| {
                rows.iter()
                    .map(|r| r[i].chars().count())
                    .chain([head[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: [&str; 7]| {
            let mut s = String::from(" ");
            for (i, c) in cells.iter().enumerate() {
                if i == 6 {
                    s.push_str(&format!(" {c}"));
                } else {
                    s.push_str(&format!(" {c:<w$}", w = widths[i]));
                }
            }
            s
        };
        writeln!(out, "{}", style.paint(&line(head), Tone::Heading))?;
        for (r, l) in rows.iter().zip(&links) {
            writeln!(out, "{}", line(r.each_ref().map(String::as_str)))?;
            let about = match (&self.peer, l.kind.as_deref()) {
                (Some(p), _) if l.name == p.iface => Some(format!(
                    "one end of a veth pair (a virtual cable); the other, {} at {} and {} ({}), is in the peer's namespace{}",
                    p.peer_iface,
                    p.peer_addr,
                    p.peer_addr6,
                    netlink::mac_words(&p.peer_mac),
                    p.far.as_ref().map_or(String::new(), |f| format!(
                        "; the peer routes to the far host {} and {} behind it (that cable's MTU {})",
                        f.addr, f.addr6, f.mtu
                    ))
                )),
                _ if l.is_loopback() => Some(
                    "loopback: no hardware, so its MAC is all zeros and it needs no ARP; every frame sent on it comes straight back in".into(),
                ),
                (_, Some(kind)) => Some(format!("a {kind} device")),
                _ => None,
            };
            if let Some(a) = about {
                for w in style.wrap(&a, &" ".repeat(widths[0] + 4), &" ".repeat(widths[0] + 4)) {
                    writeln!(out, "{}", style.paint(&w, Tone::Dim))?;
                }
            }
        }
        self.info(
            out,
            &format!(
                "read over AF_NETLINK (NETLINK_ROUTE): {} dump requests, RTM_GETLINK and RTM_GETADDR, answered by {} messages in {} bytes",
                tally.requests, tally.messages, tally.bytes
            ),
        )?;
        Ok(Flow::Continue)
    }
}

/// `packet socket on lo (3 looped-back twins not shown)`
/// What a listener's closing words add when a kernel filter was attached.
pub(super) const KEPT_OUT: &str = "what its kernel filter kept out is not counted";

pub(super) fn closing_words(l: &LinkListener) -> String {
    use std::sync::atomic::Ordering;
    // `packet socket on lo (6 captured, none dropped by the kernel; 2 looped-back twins
    // not shown)`
    let mut parts = vec![l.stats.words()];
    let twins = l.collapsed.load(Ordering::Relaxed);
    let unreadable = l.unreadable.load(Ordering::Relaxed);
    if twins > 0 {
        parts.push(format!(
            "{twins} looped-back twin{} not shown",
            if twins == 1 { "" } else { "s" }
        ));
    }
    if unreadable > 0 {
        parts.push(format!(
            "{unreadable} frame{} of a link type rawlab cannot read",
            if unreadable == 1 { "" } else { "s" }
        ));
    }
    parts.extend(l.kernel_filter.map(|_| KEPT_OUT.to_string()));
    format!("{} ({})", l.label, parts.join("; "))
}

fn first_ipv4(addrs: &[Address]) -> Option<Ipv4Addr> {
    addrs.iter().find_map(|a| match a.addr {
        IpAddr::V4(v) => Some(v),
        IpAddr::V6(_) => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Style;

    fn link(name: &str, flags: u32) -> Link {
        Link {
            index: 2,
            name: name.into(),
            hw_type: netlink::ARPHRD_ETHER,
            mac: Some(vec![2, 0, 0, 0, 0, 1]),
            mtu: 1500,
            flags,
            oper_state: 6,
            peer_index: None,
            kind: None,
        }
    }

    #[test]
    fn frames_leave_on_a_host_interface_only_with_allow_remote() {
        let host = Session::new(Net::Host, Style::PLAIN);
        let e = host
            .link_allowed(&link("eth0", netlink::IFF_UP))
            .unwrap_err();
        assert!(
            e.starts_with("eth0 is an interface of the host's network"),
            "{e}"
        );
        assert!(e.contains("--allow-remote"), "{e}");
        assert!(
            host.link_allowed(&link("lo", netlink::IFF_UP | netlink::IFF_LOOPBACK))
                .is_ok()
        );
        let opts = super::super::Options {
            allow_remote: true,
            ..Default::default()
        };
        let open = Session::with_options(Net::Host, Style::PLAIN, opts);
        assert!(open.link_allowed(&link("eth0", netlink::IFF_UP)).is_ok());
        let sandbox = Session::new(Net::Sandbox, Style::PLAIN);
        assert!(
            sandbox
                .link_allowed(&link("veth0", netlink::IFF_UP))
                .is_ok()
        );
    }
}
