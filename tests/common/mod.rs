//! Runs the real rawlab binary on scripts, inside its sandbox, as the current
//! user and (when the suite runs as root) as an ordinary user too, and reads
//! packets back out of its dumps.
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Who runs the binary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum User {
    /// Whoever runs the tests (root in CI).
    Me,
    /// uid/gid 65534, through setpriv: an ordinary user with no privilege at all.
    Nobody,
}

/// Every user the suite can run as here: always the current one, and nobody when
/// the suite runs as root (CI) and setpriv exists.
pub fn users() -> Vec<User> {
    let root = unsafe_free_uid() == 0;
    let setpriv = Path::new("/usr/bin/setpriv").exists() || Path::new("/bin/setpriv").exists();
    if root && setpriv {
        vec![User::Me, User::Nobody]
    } else {
        vec![User::Me]
    }
}

fn unsafe_free_uid() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|u| u.parse().ok()))
        })
        .unwrap_or(u32::MAX)
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory anyone can read, for scripts and a copy of the binary.
/// Directories left by test processes that have ended are removed first, once
/// per process: a test run makes hundreds, and they once filled a disk.
pub fn scratch() -> PathBuf {
    static SWEPT: OnceLock<()> = OnceLock::new();
    SWEPT.get_or_init(sweep_ended_runs);
    let dir = std::env::temp_dir().join(format!(
        "rawlab-test-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// Removes `rawlab-test-PID-N` directories whose process no longer runs.
fn sweep_ended_runs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix("rawlab-test-")) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The binary, copied where an ordinary user can run it (the build tree may be private).
/// One copy per build, shared by every test process: named by the built binary's
/// size and time, written beside its final name and renamed into place.
pub fn binary_for(user: User) -> PathBuf {
    static COPY: OnceLock<PathBuf> = OnceLock::new();
    let built = PathBuf::from(env!("CARGO_BIN_EXE_rawlab"));
    match user {
        User::Me => built,
        User::Nobody => COPY
            .get_or_init(|| {
                let meta = std::fs::metadata(&built).unwrap();
                let stamp = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                let dir = std::env::temp_dir().join(format!("rawlab-bin-{}-{stamp}", meta.len()));
                let dst = dir.join("rawlab");
                if !dst.exists() {
                    sweep_old_binaries();
                    std::fs::create_dir_all(&dir).unwrap();
                    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
                    let part = dir.join(format!("rawlab.{}", std::process::id()));
                    std::fs::copy(&built, &part).unwrap();
                    std::fs::set_permissions(&part, std::fs::Permissions::from_mode(0o755))
                        .unwrap();
                    std::fs::rename(&part, &dst).unwrap();
                }
                dst
            })
            .clone(),
    }
}

/// Copies of builds older than a day are left by earlier builds; remove them.
fn sweep_old_binaries() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    let day = std::time::Duration::from_secs(24 * 3600);
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > day);
        if old
            && entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with("rawlab-bin-"))
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
    pub user: User,
}

impl Run {
    /// Both streams, for assertion messages.
    pub fn all(&self) -> String {
        format!(
            "[{:?}, exit {}]\n--- stdout\n{}\n--- stderr\n{}",
            self.user, self.code, self.stdout, self.stderr
        )
    }
}

/// Writes `script` to a file and runs `rawlab --sandbox --color never FILE ARGS…`.
pub fn run_script(user: User, script: &str, args: &[&str]) -> Run {
    let dir = scratch();
    let file = dir.join("test.rawlab");
    std::fs::write(&file, script).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut all: Vec<String> = vec!["--sandbox".into(), "--color".into(), "never".into()];
    all.extend(args.iter().map(|s| s.to_string()));
    all.push(file.display().to_string());
    run(user, &all, &dir)
}

/// Runs `rawlab --color never ARGS… FILE` on `script` as if on a host's network with
/// CAP_NET_RAW (as `sudo rawlab` runs), but in a user and network namespace of the
/// test's own (`unshare -Urn`) that holds only lo: rawlab's policy acts as on a host,
/// and nothing it sends can leave. None when unshare(1) or ip(8) is missing.
pub fn run_on_own_host(user: User, script: &str, args: &[&str], setup: &str) -> Option<Run> {
    for tool in ["unshare", "ip"] {
        if Command::new(tool).arg("-V").output().is_err() {
            eprintln!("skipped: {tool} is missing");
            return None;
        }
    }
    let dir = scratch();
    let file = dir.join("test.rawlab");
    std::fs::write(&file, script).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let inner = format!(
        "ip link set lo up && {setup} exec {} --color never {} {}",
        binary_for(user).display(),
        args.join(" "),
        file.display()
    );
    let mut cmd = unshare_for(user);
    cmd.args(["-Urn", "sh", "-c", &inner])
        .current_dir(&dir)
        .env_remove("NO_COLOR")
        .env("HOME", &dir);
    let out = run_bounded(cmd, 60);
    Some(Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
        user,
    })
}

/// unshare(1) as `user` runs it (through setpriv for nobody), before its arguments.
pub fn unshare_for(user: User) -> Command {
    match user {
        User::Me => Command::new("unshare"),
        User::Nobody => {
            let mut c = Command::new("setpriv");
            c.args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "unshare",
            ]);
            c
        }
    }
}

/// The binary as `user` runs it (through setpriv for nobody), before its arguments.
pub fn command_for(user: User) -> Command {
    let bin = binary_for(user);
    match user {
        User::Me => Command::new(&bin),
        User::Nobody => {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(&bin);
            c
        }
    }
}

/// One pcapng block, little-endian: type, length, body (a multiple of 4 bytes), length.
pub fn pcapng_block(kind: u32, body: &[u8]) -> Vec<u8> {
    let len = (12 + body.len()) as u32;
    let mut b = kind.to_le_bytes().to_vec();
    b.extend(len.to_le_bytes());
    b.extend(body);
    b.extend(len.to_le_bytes());
    b
}

/// A script running in the sandbox in the background, its output read line by line,
/// for tests that look at the process while it runs. Killed when dropped.
pub struct Live {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    /// Every line read so far, for assertion messages.
    pub seen: Vec<String>,
    deadline: std::time::Instant,
}

impl Live {
    /// Starts `rawlab --sandbox --color never FILE` on `script`; every wait ends
    /// within `secs` of now.
    pub fn start(user: User, script: &str, secs: u64) -> Live {
        use std::io::{BufRead, BufReader};
        use std::process::Stdio;
        let dir = scratch();
        let file = dir.join("test.rawlab");
        std::fs::write(&file, script).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut child = command_for(user)
            .args(["--sandbox", "--color", "never"])
            .arg(&file)
            .current_dir(&dir)
            .env("HOME", &dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Live {
            child,
            lines,
            seen: Vec::new(),
            deadline: std::time::Instant::now() + std::time::Duration::from_secs(secs),
        }
    }

    /// Reads lines until one contains `what` (true) or the time is up (false).
    pub fn wait_for(&mut self, what: &str) -> bool {
        loop {
            let left = self
                .deadline
                .saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(what);
                    self.seen.push(line);
                    if found {
                        return true;
                    }
                }
                Err(_) => return false,
            }
        }
    }

    /// The process's /proc directory (setpriv executes rawlab in its own place).
    pub fn proc(&self) -> PathBuf {
        PathBuf::from(format!("/proc/{}", self.child.id()))
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary with arguments, from `dir`, with a bounded time.
pub fn run(user: User, args: &[String], dir: &Path) -> Run {
    let mut cmd = command_for(user);
    cmd.args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        // Run the same whether the suite itself runs under sudo or not: tests that act
        // as sudo does set these themselves.
        .env_remove("SUDO_UID")
        .env_remove("SUDO_GID")
        .env_remove("DOAS_USER")
        .env_remove("PKEXEC_UID")
        .env("HOME", dir);
    let out = run_bounded(cmd, 60);
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
        user,
    }
}

/// Runs a command, killing it if it takes longer than `secs`.
pub fn run_bounded(mut cmd: Command, secs: u64) -> std::process::Output {
    use std::process::Stdio;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        if rx
            .recv_timeout(std::time::Duration::from_secs(secs))
            .is_err()
        {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
    });
    let out = child.wait_with_output().unwrap();
    let _ = tx.send(());
    out
}

/// The bytes of packet `#no` as its dump shows them in the hex rows.
pub fn packet(out: &str, no: u64) -> Option<Vec<u8>> {
    let head = format!("#{no} ");
    let mut lines = out.lines().skip_while(|l| !l.starts_with(&head));
    lines.next()?;
    let mut bytes = Vec::new();
    let mut seen_rows = false;
    for l in lines {
        let is_row = l.len() > 8
            && l.starts_with("  ")
            && l[2..6].chars().all(|c| c.is_ascii_hexdigit())
            && &l[6..8] == "  ";
        // `*     the row above again, through 006f`: the last row, repeated to there.
        if let Some(through) = l
            .strip_prefix("  *     the row above again, through ")
            .filter(|_| seen_rows && bytes.len() >= 16)
        {
            let end = usize::from_str_radix(through.trim(), 16).unwrap() + 1;
            let row: Vec<u8> = bytes[bytes.len() - 16..].to_vec();
            while bytes.len() < end {
                bytes.extend_from_slice(&row);
            }
            continue;
        }
        if !is_row {
            if seen_rows {
                break;
            }
            if l.starts_with('#') {
                return None;
            }
            continue;
        }
        seen_rows = true;
        let region: String = l.chars().skip(8).take(49).collect();
        bytes.extend(
            region
                .split_whitespace()
                .map(|h| u8::from_str_radix(h, 16).unwrap()),
        );
    }
    seen_rows.then_some(bytes)
}

/// The lines of packet `#no`'s dump (heading to the next packet or command).
pub fn dump_of(out: &str, no: u64) -> String {
    let head = format!("#{no} ");
    let mut lines = out.lines().skip_while(|l| !l.starts_with(&head));
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

/// Compares bytes with a pattern where `None` is a byte the kernel chooses.
pub fn matches(bytes: &[u8], pattern: &[Option<u8>]) -> bool {
    bytes.len() == pattern.len()
        && bytes
            .iter()
            .zip(pattern)
            .all(|(b, p)| p.is_none_or(|p| p == *b))
}

/// `"45 00 ?? ??"` as a pattern.
pub fn pattern(s: &str) -> Vec<Option<u8>> {
    s.split_whitespace()
        .map(|t| {
            if t == "??" {
                None
            } else {
                Some(u8::from_str_radix(t, 16).unwrap())
            }
        })
        .collect()
}

/// A DNS message's records written as bytes: names in labels, `@N` a pointer to byte N.
pub fn dns_names(parts: &[&str]) -> Vec<u8> {
    let mut b = Vec::new();
    for p in parts {
        if let Some(at) = p.strip_prefix('@') {
            let at: u16 = at.parse().unwrap();
            b.extend((0xc000 | at).to_be_bytes());
        } else if p.is_empty() {
            b.push(0);
        } else {
            for label in p.split('.') {
                b.push(label.len() as u8);
                b.extend(label.as_bytes());
            }
        }
    }
    b
}

/// A DNS message over UDP over IPv4 built with rawlab's own template (`new ip/udp/dns`):
/// the header's id, flags and counts, and the records as bytes, between documentation
/// addresses; `to_server` sends it to port 53, else from it.
pub fn dns_packet(
    to_server: bool,
    id: u16,
    flags: u16,
    counts: [u16; 4],
    records: &[u8],
) -> Vec<u8> {
    use rawlab::wire::template::{Template, Value};
    use rawlab::wire::{dns, ipv4, udp};
    let mut t = Template::new(&[&ipv4::IPV4, &udp::UDP, &dns::DNS]);
    let (client, server) = (0xc000_0201u128, 0xc633_6435u128); // 192.0.2.1, 198.51.100.53
    let set = |t: &mut Template, f: &'static rawlab::wire::Field, v: u128| {
        t.set(f, Value::Raw(v)).unwrap();
    };
    let (src, dst, sport, dport) = if to_server {
        (client, server, 40000, 53)
    } else {
        (server, client, 53, 40000)
    };
    set(&mut t, &ipv4::SRC, src);
    set(&mut t, &ipv4::DST, dst);
    set(&mut t, &ipv4::ID, u128::from(id));
    set(&mut t, &udp::SRCPORT, sport);
    set(&mut t, &udp::DSTPORT, dport);
    set(&mut t, &dns::ID, u128::from(id));
    set(&mut t, &dns::FLAGS, u128::from(flags));
    for (f, c) in [
        &dns::COUNT_QUERIES,
        &dns::COUNT_ANSWERS,
        &dns::COUNT_AUTH,
        &dns::COUNT_ADD,
    ]
    .into_iter()
    .zip(counts)
    {
        set(&mut t, f, u128::from(c));
    }
    t.set(&dns::RECORDS, Value::Bytes(records.to_vec()))
        .unwrap();
    let mut b = t.build(std::time::SystemTime::UNIX_EPOCH).bytes;
    // What the kernel would write on the way out: the IP header's checksum.
    let sum = ipv4::header_checksum(&b[..20]);
    b[10..12].copy_from_slice(&sum.to_be_bytes());
    b
}

/// A resource record's fields after its name: type, class IN, TTL 3600, and its data.
pub fn dns_rr(ty: u16, data: &[u8]) -> Vec<u8> {
    let mut b = ty.to_be_bytes().to_vec();
    b.extend([0, 1, 0, 0, 0x0e, 0x10]);
    b.extend((data.len() as u16).to_be_bytes());
    b.extend(data);
    b
}

/// Lookups as a learner's capture holds them, each a query and its answer: example.com's
/// A record through a CNAME (names compressed), example.org's AAAA with its name server
/// in the authority section, a reverse lookup, and a name that does not exist (SOA
/// data rawlab shows as bytes).
pub fn dns_exchange() -> Vec<Vec<u8>> {
    let q = |name: &str, ty: u16| {
        let mut b = dns_names(&[name, ""]);
        b.extend(ty.to_be_bytes());
        b.extend([0, 1]);
        b
    };
    let mut v = Vec::new();
    // www.example.com A: CNAME example.com (a pointer into the question), A 192.0.2.7.
    v.push(dns_packet(
        true,
        0x1234,
        0x0100,
        [1, 0, 0, 0],
        &q("www.example.com", 1),
    ));
    let mut r = q("www.example.com", 1);
    r.extend(dns_names(&["@12"]));
    r.extend(dns_rr(5, &dns_names(&["@16"])));
    r.extend(dns_names(&["@16"]));
    r.extend(dns_rr(1, &[192, 0, 2, 7]));
    v.push(dns_packet(false, 0x1234, 0x8180, [1, 2, 0, 0], &r));
    // example.org AAAA 2001:db8::7, NS ns1.example.org, and ns1's A in additional.
    v.push(dns_packet(
        true,
        0xbeef,
        0x0100,
        [1, 0, 0, 0],
        &q("example.org", 28),
    ));
    let mut r = q("example.org", 28);
    r.extend(dns_names(&["@12"]));
    let mut v6 = [0u8; 16];
    v6[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    v6[15] = 7;
    r.extend(dns_rr(28, &v6));
    r.extend(dns_names(&["@12"]));
    r.extend(dns_rr(2, &dns_names(&["ns1", "@12"])));
    // ns1.example.org: where the NS record's data starts, byte 69 of the message.
    r.extend(dns_names(&["@69"]));
    r.extend(dns_rr(1, &[203, 0, 113, 53]));
    v.push(dns_packet(false, 0xbeef, 0x8580, [1, 1, 1, 1], &r));
    // 7.2.0.192.in-addr.arpa PTR www.example.com.
    v.push(dns_packet(
        true,
        0x0007,
        0x0100,
        [1, 0, 0, 0],
        &q("7.2.0.192.in-addr.arpa", 12),
    ));
    let mut r = q("7.2.0.192.in-addr.arpa", 12);
    r.extend(dns_names(&["@12"]));
    r.extend(dns_rr(12, &dns_names(&["www.example.com", ""])));
    v.push(dns_packet(false, 0x0007, 0x8180, [1, 1, 0, 0], &r));
    // nx.example.com A: no such name, the zone's SOA in authority.
    v.push(dns_packet(
        true,
        0x0bad,
        0x0100,
        [1, 0, 0, 0],
        &q("nx.example.com", 1),
    ));
    let mut r = q("nx.example.com", 1);
    r.extend(dns_names(&["@15"]));
    let mut soa = dns_names(&["ns1", "@15"]);
    soa.extend(dns_names(&["hostmaster", "@15"]));
    for n in [2026120401u32, 7200, 3600, 1209600, 3600] {
        soa.extend(n.to_be_bytes());
    }
    r.extend(dns_rr(6, &soa));
    v.push(dns_packet(false, 0x0bad, 0x8183, [1, 0, 1, 0], &r));
    v
}
