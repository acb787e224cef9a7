//! Listening and what keeps running between commands: `listen` and `listen off`,
//! `serve`, `wait`, and the two commands that put the session back (`clear`, `reset`).

use super::*;

/// What the session keeps open between commands: its listeners, the sockets it
/// sends through, and what runs in the background (triggers, servers).
pub struct Open {
    pub(super) listeners: Vec<Listener>,
    pub(super) link_listeners: Vec<LinkListener>,
    pub(super) sockets: HashMap<(net::Family, Mode, u8), Arc<Socket>>,
    pub(super) triggers: Vec<trigger::Background>,
    /// `serve tcp` servers.
    pub(super) servers: Vec<crate::net::traffic::Server>,
}

impl Session {
    pub(super) fn serve(
        &mut self,
        what: Option<(command::Served, u16)>,
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        let Some((served, port)) = what else {
            let ports: Vec<String> = self
                .open
                .servers
                .drain(..)
                .map(|s| s.port.to_string())
                .collect();
            let text = if ports.is_empty() {
                "no server was running".to_string()
            } else {
                format!("stopped serving on port {}", ports.join(", "))
            };
            self.info(out, &text)?;
            return Ok(Flow::Continue);
        };
        let proto = match served {
            command::Served::Http => "tcp",
            command::Served::UdpEcho => "udp",
        };
        if self
            .open
            .servers
            .iter()
            .any(|s| s.port == port && s.proto == proto)
        {
            self.info(out, &format!("already serving {proto} on 127.0.0.1:{port}"))?;
            return Ok(Flow::Continue);
        }
        let started = match served {
            command::Served::Http => crate::net::traffic::Server::start(port),
            command::Served::UdpEcho => crate::net::traffic::Server::echo_udp(port),
        };
        match started {
            Ok(s) => {
                let text = match served {
                    command::Served::Http => format!(
                        "serving HTTP on 127.0.0.1:{port}: the kernel now answers a SYN to that port; `serve off` stops it"
                    ),
                    command::Served::UdpEcho => format!(
                        "echoing UDP on 127.0.0.1:{port}: every datagram to it goes back with the ports swapped; `serve off` stops it"
                    ),
                };
                self.open.servers.push(s);
                self.info(out, &text)?;
                Ok(Flow::Continue)
            }
            Err(e) => self.fail(
                out,
                &format!("could not listen on {proto} 127.0.0.1:{port}: {e}"),
            ),
        }
    }

    pub(super) fn listen(
        &mut self,
        family: net::Family,
        proto: u8,
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        if let Some(f) = self.need_network(out) {
            return f;
        }
        let (what, label) = listener_label(family, proto);
        if self
            .open
            .listeners
            .iter()
            .any(|l| l.proto == proto && l.family == family)
        {
            self.info(out, &format!("already listening for {what}"))?;
            return Ok(Flow::Continue);
        }
        match Listener::open(
            family,
            proto,
            net::Letting::Everything,
            label,
            self.shower.store.clone(),
        ) {
            Ok(l) => {
                self.open.listeners.push(l);
                let text = match family {
                    // raw(7): IPPROTO_RAW implies IP_HDRINCL and "is not able to receive
                    // all IP protocols"; in fact the kernel hands it nothing at all.
                    net::Family::V4 if proto == 255 => "listening: socket(AF_INET, SOCK_RAW, IPPROTO_RAW) is open, but it will stay silent: an IPPROTO_RAW socket only sends, and the kernel hands it no packet it receives (`listen link` sees every frame)".to_string(),
                    net::Family::V4 => format!(
                        "listening: socket(AF_INET, SOCK_RAW, {proto}) gets a copy of every {what} packet this host receives, IP header included"
                    ),
                    net::Family::V6 => format!(
                        "listening: socket(AF_INET6, SOCK_RAW, {proto}) gets every {what} message this host receives, but not its IPv6 header: the kernel keeps that to itself and says only who sent it and to whom"
                    ),
                };
                self.info(out, &text)?;
                Ok(Flow::Continue)
            }
            Err(e) => self.fail(out, &format!("could not open a raw socket for {what}: {e}")),
        }
    }

    /// Shows packets as they come until `deadline` (or Ctrl-C), handing each batch
    /// shown to `each`, and reads the `held` listeners every 10 ms (nobody else
    /// does). Nothing is kept here: a long `wait` during a flood stays in constant
    /// memory.
    pub(super) fn wait_showing(
        &self,
        deadline: Instant,
        held: &[net::Held],
        out: &mut dyn Write,
        each: &mut OnShown<'_>,
    ) -> io::Result<()> {
        let every = if held.is_empty() { 50 } else { 10 };
        while Instant::now() < deadline && !self.interrupted() {
            held.iter().for_each(net::Held::read);
            let step = (Instant::now() + Duration::from_millis(every)).min(deadline);
            if self.shower.store.wait_unshown(step) {
                let shown = self.shower.show_pending(out)?;
                each(&shown, out)?;
                out.flush()?;
            }
        }
        Ok(())
    }

    /// `listen … where FILTER`: opens the listener, and shows of what it captures only
    /// the packets the filter passes.
    pub(super) fn listen_where(
        &mut self,
        listen: &Command,
        filter: &crate::command::filter::Filter,
        text: &str,
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        let (ip, link) = (self.open.listeners.len(), self.open.link_listeners.len());
        let failures = self.failures;
        let flow = match listen {
            Command::Listen(proto) => self.listen(net::Family::V4, *proto, out)?,
            Command::ListenV6(proto) => self.listen(net::Family::V6, *proto, out)?,
            Command::ListenLink { iface, once } => {
                self.listen_link(iface.as_deref(), *once, out)?
            }
            _ => return self.fail(out, "only a listener takes `where`"),
        };
        if self.failures > failures {
            return Ok(flow);
        }
        let label = if self.open.listeners.len() > ip {
            self.open.listeners.last().map(|l| l.label.clone())
        } else if self.open.link_listeners.len() > link {
            self.open.link_listeners.last().map(|l| l.label.clone())
        } else {
            None
        };
        let Some(label) = label else {
            return self.fail(
                out,
                "that listener is open already, showing everything: `listen off`, then open it again with its filter",
            );
        };
        self.shower.filter(&label, filter.clone());
        let kernel = self.attach_kernel_filter(listen, filter);
        let text = match kernel {
            Ok(n) => format!(
                "showing only what passes `{text}`. kernel filter: {n} BPF instructions on the socket keep out what surely fails it (those are neither counted nor kept); rawlab still filters what comes through, and keeps and relates all of it (`captures` lists it, `dump N` draws any)"
            ),
            Err(why) => format!(
                "showing only what passes `{text}`; no kernel filter ({why}), so rawlab filters every packet itself; every packet is still kept and related (`captures` lists them all, `dump N` draws any)"
            ),
        };
        self.info(out, &text)?;
        Ok(flow)
    }

    /// Compiles the filter to classic BPF for the listener just opened and attaches
    /// it to its socket: the number of instructions, or why there is none.
    fn attach_kernel_filter(
        &mut self,
        listen: &Command,
        filter: &crate::command::filter::Filter,
    ) -> Result<usize, String> {
        use crate::command::bpf::{Start, compile};
        let start = match listen {
            Command::Listen(_) => Start::Ipv4,
            Command::ListenV6(proto) => {
                match crate::wire::carried(&crate::wire::ipv6::IPV6, *proto as u128) {
                    Some(p) => Start::AfterIpv6(p),
                    None => {
                        return Err("rawlab has no table for what that socket hands over".into());
                    }
                }
            }
            _ => {
                let iface = self
                    .open
                    .link_listeners
                    .last()
                    .and_then(|l| l.iface.clone());
                let Some(name) = iface else {
                    return Err(
                        "a packet socket on every interface sees frames of more than one link type"
                            .into(),
                    );
                };
                let hw = crate::net::link::interface(&name)?.0.hw_type;
                match crate::net::link::first_layer(hw, &[]) {
                    Some(p) if p == &crate::wire::eth::ETH => Start::Ethernet,
                    _ => {
                        return Err(format!(
                            "{name}'s frames do not start with an Ethernet header"
                        ));
                    }
                }
            }
        };
        let prog: Vec<(u16, u8, u8, u32)> = compile(filter, start)?
            .iter()
            .map(|i| (i.code, i.jt, i.jf, i.k))
            .collect();
        let attached = match listen {
            Command::Listen(_) | Command::ListenV6(_) => self
                .open
                .listeners
                .last_mut()
                .map(|l| l.attach_filter(&prog)),
            _ => self
                .open
                .link_listeners
                .last_mut()
                .map(|l| l.attach_filter(&prog)),
        };
        match attached {
            Some(Ok(())) => Ok(prog.len()),
            Some(Err(e)) => Err(format!("the kernel refused it: {e}")),
            None => Err("the listener is gone".into()),
        }
    }

    pub(super) fn listen_off(&mut self, out: &mut dyn Write) -> io::Result<Flow> {
        if self.open.listeners.is_empty() && self.open.link_listeners.is_empty() {
            self.info(out, "no listener was open")?;
        } else {
            let mut names: Vec<String> = self
                .open
                .listeners
                .drain(..)
                .map(|l| match l.kernel_filter {
                    Some(_) => format!("{} ({}; {})", l.label, l.stats.words(), link::KEPT_OUT),
                    None => format!("{} ({})", l.label, l.stats.words()),
                })
                .collect();
            names.extend(
                self.open
                    .link_listeners
                    .drain(..)
                    .map(|l| link::closing_words(&l)),
            );
            self.info(out, &format!("closed {}", names.join(", ")))?;
            self.shower.unfilter();
        }
        Ok(Flow::Continue)
    }

    /// `wait DURATION`: what comes meanwhile is shown as it comes.
    pub(super) fn wait(&mut self, d: Duration, out: &mut dyn Write) -> io::Result<Flow> {
        self.wait_showing(Instant::now() + d, &[], out, &mut |_, _| Ok(()))?;
        Ok(Flow::Continue)
    }

    /// `clear`: every packet forgotten; numbering starts again at 1.
    pub(super) fn clear(&mut self, out: &mut dyn Write) -> io::Result<Flow> {
        let n = self.shower.store.len();
        self.shower.clear();
        self.evidence.traffic_from = 1;
        self.info(out, &format!("forgot {n} packets; the next is #1"))?;
        Ok(Flow::Continue)
    }

    /// `reset`: back to the post's packet and the defaults, listeners and triggers
    /// stopped; the packets are kept.
    pub(super) fn reset(&mut self, out: &mut dyn Write) -> io::Result<Flow> {
        self.template = Template::default();
        self.mode = Mode::Raw;
        self.link_iface = default_link_iface(self.peer.as_deref());
        self.timeout = Duration::from_secs(1);
        self.open.listeners.clear();
        self.open.link_listeners.clear();
        self.open.triggers.clear();
        self.open.servers.clear();
        if std::mem::take(&mut self.net_raw_dropped) {
            // Given up by `privilege off`: a fresh start has it again.
            let _ = crate::net::sys::set_net_raw(true);
        }
        self.info(out, "back to the post's packet, mode raw, timeout 1 s; listeners closed (packets kept: `clear` forgets them)")?;
        Ok(Flow::Continue)
    }
}

/// What a listener for `proto` over `family` listens for, and its label: the name the
/// dump (`captured on …`), `status` and `expect captured by` give its socket.
pub(super) fn listener_label(family: net::Family, proto: u8) -> (String, String) {
    match family {
        net::Family::V4 => {
            let what = proto_words(proto);
            let label = format!("raw socket for {what}");
            (what, label)
        }
        net::Family::V6 => {
            let what = crate::wire::ipv6::NXT
                .value_name(proto as u128)
                .map_or(format!("IPv6 next header {proto}"), str::to_string);
            let label = format!("AF_INET6 raw socket for {what}");
            (what, label)
        }
    }
}
