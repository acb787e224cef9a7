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
pub fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "rawlab-test-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// The binary, copied where an ordinary user can run it (the build tree may be private).
pub fn binary_for(user: User) -> PathBuf {
    static COPY: OnceLock<PathBuf> = OnceLock::new();
    let built = PathBuf::from(env!("CARGO_BIN_EXE_rawlab"));
    match user {
        User::Me => built,
        User::Nobody => COPY
            .get_or_init(|| {
                let dst = scratch().join("rawlab");
                std::fs::copy(&built, &dst).unwrap();
                std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o755)).unwrap();
                dst
            })
            .clone(),
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
    let mut cmd = match user {
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
    };
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
