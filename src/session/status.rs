//! `status` (who rawlab runs as, on which network, under which rules, with which
//! evidence) and `help`.

use super::*;

impl Session {
    pub(super) fn help(&self, topic: Option<&str>, out: &mut dyn Write) -> io::Result<()> {
        let style = self.style();
        match topic.and_then(command_info) {
            Some(c) => {
                writeln!(out, "{}", style.paint(c.syntax, Tone::Command))?;
                writeln!(out, "  {}", c.summary)?;
                if !c.aliases.is_empty() {
                    writeln!(out, "  also: {}", c.aliases.join(", "))?;
                }
                writeln!(out, "  example: {}", style.paint(c.example, Tone::Command))?;
                for l in style.wrap(c.detail, "  ", "  ") {
                    writeln!(out, "{l}")?;
                }
            }
            None => {
                // One column for the syntax, as wide as the longer ones need; a syntax
                // wider than that (expect's) gets a line of its own, the summary under it.
                const WIDEST: usize = 44;
                let w = COMMANDS
                    .iter()
                    .map(|c| c.syntax.chars().count())
                    .filter(|n| *n <= WIDEST)
                    .max()
                    .unwrap_or(0);
                for c in COMMANDS {
                    let long = c.syntax.chars().count() > w;
                    let syntax = if long {
                        writeln!(out, "  {}", style.paint(c.syntax, Tone::Command))?;
                        " ".repeat(w)
                    } else {
                        style.paint(&format!("{:<w$}", c.syntax), Tone::Command)
                    };
                    match style.width() {
                        Some(width) if width > w + 20 => {
                            writeln!(out, "  {syntax}  {}", render::cut(c.summary, width - w - 4))?
                        }
                        _ => writeln!(out, "  {syntax}  {}", c.summary)?,
                    }
                }
                for l in style.wrap(
                    "Fields use Wireshark's names (ip.ttl, icmp.type); a short name works when it fits one field (ttl, df). `help COMMAND` for an example, `explain FIELD` for a field; Tab completes.",
                    "",
                    "",
                ) {
                    writeln!(out, "{l}")?;
                }
            }
        }
        Ok(())
    }

    /// Who rawlab runs as, with which capabilities, on which network, under which rules.
    pub(super) fn status(&self, out: &mut dyn Write) -> io::Result<()> {
        let style = self.style();
        let caps = crate::net::sys::effective_caps();
        let rows = [
            ("network", self.network_words()),
            ("user", user_words()),
            (
                "caps",
                if caps.is_empty() {
                    "none".to_string()
                } else {
                    caps.join(", ")
                },
            ),
            ("pings", ping_words()),
            ("sends to", self.sends_words()),
            ("frames", self.frames_words()),
            (
                "forges",
                if self.policy.sandboxed || self.policy.allow_remote {
                    "any ip.src".to_string()
                } else {
                    "ip.src only from this host's addresses".to_string()
                },
            ),
            (
                "pace",
                format!(
                    "at most {} packets/s for repeated sends (--max-rate)",
                    self.policy.max_rate
                ),
            ),
            ("listens", self.listens_words()),
            (
                "ring",
                format!(
                    "keeps the last {} packets; {} now",
                    self.shower.store.capacity(),
                    self.shower.store.len()
                ),
            ),
        ];
        for (k, v) in rows {
            for l in style.wrap(&v, &format!("  {k:<9} "), "            ") {
                writeln!(out, "{l}")?;
            }
        }
        self.status_drops(out)
    }

    /// The status's "network": the host's, a sandbox (with its peer), or none.
    fn network_words(&self) -> String {
        match &self.net {
            Net::Host => "the host's (raw sockets permitted)".to_string(),
            Net::Sandbox => match &self.peer {
                Some(p) => format!(
                    "a sandbox: a private user + network namespace: loopback, and {}, each host in a namespace of its own",
                    p.words()
                ),
                None => "a sandbox: a private user + network namespace, loopback only".to_string(),
            },
            Net::Unavailable(_) => {
                "none: raw sockets are not permitted and no sandbox could be made".to_string()
            }
        }
    }

    /// The status's "sends to": where the policy lets packets go.
    fn sends_words(&self) -> String {
        let mut places = vec!["loopback".to_string()];
        if self.net == Net::Host {
            let addrs: Vec<String> = crate::net::sys::local_ipv4_addrs()
                .iter()
                .filter(|a| !a.is_loopback())
                .map(|a| a.to_string())
                .collect();
            if !addrs.is_empty() {
                places.push(format!("this host's addresses ({})", addrs.join(", ")));
            }
        }
        if !self.policy.peers.is_empty() {
            let peers: Vec<String> = self.policy.peers.iter().map(|a| a.to_string()).collect();
            places.push(format!("sandbox peers ({})", peers.join(", ")));
        }
        if self.policy.allow_remote {
            "anywhere (--allow-remote)".to_string()
        } else {
            format!("{}; elsewhere only with --allow-remote", places.join(", "))
        }
    }

    /// The status's "frames": where frames may go out, and the interface mode link uses.
    fn frames_words(&self) -> String {
        if self.policy.allow_remote {
            format!(
                "on any interface (--allow-remote); mode link uses {}",
                self.link_iface
            )
        } else if self.net == Net::Sandbox {
            format!(
                "on any interface here, all private; mode link uses {}",
                self.link_iface
            )
        } else {
            format!(
                "on lo; on the host's other interfaces only with --allow-remote; mode link uses {}",
                self.link_iface
            )
        }
    }

    /// The status's "listens": what is open, and which sockets carry a kernel filter
    /// (`listen … where`).
    fn listens_words(&self) -> String {
        let filtered = |label: &str, n: Option<usize>| match n {
            Some(n) => format!("{label} (kernel filter: {n} BPF instructions)"),
            None => label.to_string(),
        };
        let mut open: Vec<String> = self
            .open
            .listeners
            .iter()
            .map(|l| filtered(&l.label, l.kernel_filter))
            .collect();
        open.extend(
            self.open
                .link_listeners
                .iter()
                .map(|l| filtered(&l.label, l.kernel_filter)),
        );
        if open.is_empty() {
            "nothing".to_string()
        } else {
            open.join(", ")
        }
    }

    /// The status line on the kernel's drop reasons, then the last minute's drops by
    /// kind, each kind placed against the send it followed.
    pub(super) fn status_drops(&self, out: &mut dyn Write) -> io::Result<()> {
        const KINDS: usize = 8;
        let style = self.style();
        let Some(tracer) = &self.evidence.tracer else {
            for l in style.wrap(&self.evidence.no_tracer, "  drops     ", "            ") {
                writeln!(out, "{l}")?;
            }
            return Ok(());
        };
        let how = if crate::net::sys::sudo_user().is_some() {
            "opened as root before giving it up"
        } else {
            "opened as root at start"
        };
        let now = SystemTime::now();
        let recent = tracer.drops(now - crate::net::drops::HISTORY_AGE, now, None);
        let (seen, lost) = tracer.counts();
        let mut head = format!(
            "reasons from the kernel's skb:kfree_skb tracepoint ({how}); {seen} seen since start"
        );
        if !tracer.keeps_unspecified() {
            head.push_str(" (NOT_SPECIFIED ones left out)");
        }
        if lost > 0 {
            head.push_str(&format!(
                ", and {lost} more the kernel could not report: its buffer was full"
            ));
        }
        let sends: Vec<(SystemTime, u64)> = self
            .shower
            .store
            .all()
            .iter()
            .filter(|p| p.is_sent())
            .map(|p| (p.time, p.no))
            .collect();
        let kinds = crate::net::drops::by_kind(&recent, &sends);
        match kinds.len() {
            0 => {}
            n if n > KINDS => head.push_str(&format!(
                "; the last {KINDS} of {n} kinds in the last minute (the tracepoint is host-wide: not all are yours):"
            )),
            _ => head.push_str(
                "; the last minute's, by kind (the tracepoint is host-wide: not all are yours):",
            ),
        }
        for l in style.wrap(&head, "  drops     ", "            ") {
            writeln!(out, "{l}")?;
        }
        for k in kinds.iter().skip(kinds.len().saturating_sub(KINDS)) {
            for l in style.wrap(&k.words(), "            ", "              ") {
                writeln!(out, "{l}")?;
            }
        }
        Ok(())
    }
}

/// The status's "user": the ids rawlab runs as, and how it came to.
fn user_words() -> String {
    let mut user = format!(
        "uid {}, gid {}",
        crate::net::sys::uid(),
        crate::net::sys::gid()
    );
    if let Some((uid, gid)) = crate::net::sys::outside_ids() {
        user.push_str(&format!(
            " inside the sandbox's user namespace (uid {uid}, gid {gid} outside: its capabilities reach only the sandbox)"
        ));
    }
    if let Some(u) = crate::net::sys::sudo_user() {
        user.push_str(&format!(
            " (started through sudo by uid {}; root was given up)",
            u.uid
        ));
    }
    user
}

impl Session {
    /// `privilege off|on`: CAP_NET_RAW out of the effective set, or back. The sending
    /// sockets kept for reuse are closed, so the next send makes its socket afresh and
    /// meets the check; listeners stay open, as their sockets were made with it.
    pub(super) fn privilege(&mut self, on: bool, out: &mut dyn Write) -> io::Result<Flow> {
        if let Err(e) = crate::net::sys::set_net_raw(on) {
            let text = if on {
                format!(
                    "cannot take CAP_NET_RAW back: {e} (rawlab does not hold it in its permitted set)"
                )
            } else {
                format!("cannot give up CAP_NET_RAW: {e}")
            };
            return self.fail(out, &text);
        }
        self.open.sockets.clear();
        self.net_raw_dropped = !on;
        let text = if on {
            "CAP_NET_RAW is back in the effective set: raw and packet sockets may be made again"
        } else {
            "CAP_NET_RAW given up (from the effective set; still permitted, so `privilege on` takes it back): a raw or packet socket made from now on is refused with EPERM, while the listeners open already keep hearing, as the kernel checks when a socket is made. A ping socket needs no capability"
        };
        self.info(out, text)?;
        Ok(Flow::Continue)
    }
}

/// Who may open an ICMP datagram ("ping") socket here: net.ipv4.ping_group_range as
/// this user namespace sees it, and whether the kernel opens one for this process (no
/// capability is asked, only the group).
fn ping_words() -> String {
    let range = match crate::net::sys::ping_groups() {
        Ok(r) => r,
        Err(e) => return format!("net.ipv4.ping_group_range unreadable ({e})"),
    };
    // A bound outside this user namespace's mapped groups reads as the overflow gid.
    let overflow = std::fs::read_to_string("/proc/sys/kernel/overflowgid")
        .ok()
        .filter(|o| range.split(' ').any(|b| b == o.trim()))
        .map_or(String::new(), |o| {
            format!(
                " ({} stands for a group this user namespace does not map)",
                o.trim()
            )
        });
    let outcome = match crate::net::ping_socket() {
        Ok(_) => "the kernel opens a ping socket for this process, with no capability: `trigger ping` uses one".to_string(),
        Err(e) if e.raw_os_error() == Some(libc::EACCES) => "the kernel refuses this process a ping socket (EACCES): none of its groups is in the range, so `trigger ping` needs a raw socket, and so CAP_NET_RAW".to_string(),
        Err(e) => format!("a ping socket cannot be opened here: {e}"),
    };
    format!("net.ipv4.ping_group_range {range}{overflow}; {outcome}")
}
