//! `rawlab --web`: the page follows a live session, links bytes to fields both ways
//! in a real browser (Debian's chromium, driven over WebDriver by chromedriver), and
//! changes nothing. The session runs in rawlab's sandbox, its page on loopback; the
//! token test runs in a network namespace of its own, where the address it names
//! exists and nothing can leave.

mod common;
use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// A piped session with its page up: commands go to its stdin as the test decides.
struct Page {
    child: Child,
    stdin: ChildStdin,
    url: String,
    _err: Receiver<String>,
}

impl Page {
    fn start(user: User) -> Page {
        let dir = scratch();
        let mut child = command_for(user)
            .args(["--sandbox", "--color", "never", "--web"])
            .current_dir(&dir)
            .env("HOME", &dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        let url = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(left).unwrap_or_else(|_| {
                panic!("no page announced: {seen:?}");
            });
            if let Some(at) = line.find("http://") {
                let url: String = line[at..].split_whitespace().next().unwrap().into();
                break url;
            }
            seen.push(line);
        };
        Page {
            child,
            stdin,
            url,
            _err: rx,
        }
    }

    fn type_line(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// `host:port` of the page.
    fn host(&self) -> String {
        self.url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .into()
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP request, answered with status and body (the connection closed after).
fn http(host: &str, method: &str, path: &str, headers: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let own_host = if headers.contains("Host:") {
        String::new()
    } else {
        format!("Host: {host}\r\n")
    };
    write!(
        s,
        "{method} {path} HTTP/1.1\r\n{own_host}{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    // Read the head, then the body by its length or its chunks: a server may keep
    // the connection open whatever the request asked.
    let mut r = BufReader::new(s);
    let mut status = String::new();
    let _ = r.read_line(&mut status);
    let code = status
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let (mut length, mut chunked) = (None, false);
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        let lower = h.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse::<usize>().ok();
        }
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            if r.read_line(&mut size).unwrap_or(0) == 0 {
                break;
            }
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            let mut chunk = vec![0; n + 2];
            if r.read_exact(&mut chunk).is_err() {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(n) = length {
        body.resize(n, 0);
        let _ = r.read_exact(&mut body);
    } else {
        let _ = r.read_to_end(&mut body);
    }
    (code, String::from_utf8_lossy(&body).into_owned())
}

/// The packets the page lists now.
fn listed(host: &str) -> serde_json::Value {
    let (code, body) = http(host, "GET", "/api/packets", "", "");
    assert_eq!(code, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// Waits (bounded) until the page lists at least `n` packets.
fn wait_listed(host: &str, n: usize) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let l = listed(host);
        if l["packets"].as_array().unwrap().len() >= n || Instant::now() > deadline {
            return l;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_page_lists_packets_as_they_come_and_nothing_it_is_sent_changes_the_session() {
    for user in users() {
        let mut page = Page::start(user);
        let host = page.host();
        assert!(
            host.starts_with("127.0.0.1:"),
            "loopback by default: {}",
            page.url
        );
        let (code, html) = http(&host, "GET", "/", "", "");
        assert_eq!(code, 200);
        assert!(html.contains("app.js"), "{html}");
        assert_eq!(listed(&host)["packets"].as_array().unwrap().len(), 0);
        page.type_line("new ip/icmp");
        page.type_line("set ip.dst 192.0.2.2");
        page.type_line("listen icmp");
        page.type_line("send");
        let l = wait_listed(&host, 2);
        let lines: Vec<&str> = l["packets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["line"].as_str().unwrap())
            .collect();
        assert!(
            lines
                .iter()
                .any(|x| x.contains("echo-reply") && x.contains("reply to #1")),
            "[{user:?}] {lines:?}"
        );
        // The reply in full: the terminal's dump, linked, and its JSON description.
        let (code, body) = http(&host, "GET", "/api/packet/2", "", "");
        assert_eq!(code, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["packet"]["rawlab_json"], 1);
        assert_eq!(v["packet"]["reply_to"], 1);
        let dump = v["html"].as_str().unwrap();
        assert!(dump.contains("data-name=\"icmp.type\""), "{dump}");
        // Nothing reaches the session: no method but GET, no path but the page's.
        let before = listed(&host)["next"].clone();
        for (method, path) in [
            ("POST", "/"),
            ("POST", "/api/packets"),
            ("PUT", "/api/packet/1"),
            ("DELETE", "/api/packet/1"),
            ("PATCH", "/api/events"),
        ] {
            let (code, body) = http(&host, method, path, "", "send\nclear\nquit\n");
            assert_eq!(code, 405, "{method} {path}: {body}");
            assert!(body.contains("only this terminal drives it"), "{body}");
        }
        for path in [
            "/../../etc/passwd",
            "/api/run?line=send",
            "/api/packet/999",
            "/lessons/01.rawlab",
        ] {
            let (code, _) = http(&host, "GET", path, "", "");
            assert_eq!(code, 404, "{path}");
        }
        // A page that reaches loopback under another name (DNS rebinding) is refused.
        let (code, body) = http(&host, "GET", "/api/packets", "Host: evil.example\r\n", "");
        assert_eq!(code, 403, "{body}");
        let (code, body) = http(&host, "GET", "/api/packets", "", "");
        assert_eq!(code, 200);
        let after: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(after["next"], before, "[{user:?}] the session sent nothing");
        // A room of viewers, and one too many: 64 follow, the 65th is told why not.
        let mut streams = Vec::new();
        for _ in 0..64 {
            let mut s = TcpStream::connect(&host).unwrap();
            write!(s, "GET /api/events HTTP/1.1\r\nHost: {host}\r\n\r\n").unwrap();
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            let mut head = [0u8; 15];
            s.read_exact(&mut head).unwrap();
            assert_eq!(&head, b"HTTP/1.1 200 OK", "a viewer follows");
            streams.push(s);
        }
        let (code, body) = http(&host, "GET", "/api/events", "", "");
        assert_eq!(code, 503, "{body}");
        assert!(body.contains("64 viewers"), "{body}");
        drop(streams);
        page.type_line("quit");
    }
}

/// Connections that never send a request (or send one byte by byte) are bounded: the
/// page serves a fixed number at once, closes those that say nothing for 5 s, turns
/// away the rest at once, and answers again when they are gone.
#[test]
fn idle_connections_cost_a_bounded_number_of_threads_and_time_out() {
    for user in users() {
        let page = Page::start(user);
        let host = page.host();
        let pid = page.child.id();
        let threads = || {
            std::fs::read_dir(format!("/proc/{pid}/task"))
                .map(|d| d.count())
                .unwrap_or(0)
        };
        let before = threads();
        let idle: Vec<TcpStream> = (0..400)
            .filter_map(|_| TcpStream::connect(&host).ok())
            .collect();
        assert!(idle.len() >= 300, "{} connected", idle.len());
        // Those served wait for their heads; the rest are answered 503 and closed.
        std::thread::sleep(Duration::from_millis(500));
        let during = threads();
        assert!(
            during <= before + 96 + 2,
            "[{user:?}] {during} threads with {} idle connections ({before} before)",
            idle.len()
        );
        let (code, body) = http(&host, "GET", "/api/packets", "", "");
        assert!(code == 200 || code == 503, "{code} {body}");
        if code == 503 {
            assert!(body.contains("too many connections"), "{body}");
        }
        // After 5 s of silence each is closed, and the page answers.
        let deadline = Instant::now() + Duration::from_secs(15);
        let code = loop {
            let (code, _) = http(&host, "GET", "/api/packets", "", "");
            if code == 200 || Instant::now() > deadline {
                break code;
            }
            std::thread::sleep(Duration::from_millis(250));
        };
        assert_eq!(code, 200, "[{user:?}] the page answers again");
        let mut closed = 0;
        for mut s in idle {
            s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let mut buf = Vec::new();
            if s.read_to_end(&mut buf).is_ok() {
                closed += 1;
            }
        }
        assert!(closed >= 300, "[{user:?}] {closed} closed by the page");
        assert!(
            threads() <= before + 2,
            "[{user:?}] threads back to {before}"
        );
    }
}

#[test]
fn on_another_address_the_page_needs_its_token() {
    for tool in ["unshare", "ip", "curl"] {
        if Command::new("which")
            .arg(tool)
            .output()
            .map_or(true, |o| !o.status.success())
        {
            assert!(std::env::var_os("CI").is_none(), "CI needs {tool}");
            eprintln!("skipped: {tool} is missing");
            return;
        }
    }
    for user in users() {
        let dir = scratch();
        // nobody writes rawlab's stderr here.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let script = dir.join("t.rawlab");
        std::fs::write(&script, "wait 8s\n").unwrap();
        // In a namespace of its own, 198.51.100.7 is an address of this "host": rawlab
        // listens there, and curl, beside it, asks without the token, with a wrong one
        // and with the one rawlab printed.
        let inner = format!(
            r#"ip link set lo up && ip addr add 198.51.100.7/24 dev lo &&
            {bin} --color never --web=198.51.100.7:8099 {script} 2> {err} &
            for i in $(seq 50); do grep -q 'page is at' {err} 2>/dev/null && break; sleep 0.1; done
            url=$(grep -o 'http://[^ ]*' {err})
            echo "url $url"
            echo "none $(curl -s -o /dev/null -w '%{{http_code}}' http://198.51.100.7:8099/api/packets)"
            echo "wrong $(curl -s -o /dev/null -w '%{{http_code}}' 'http://198.51.100.7:8099/api/packets?token=0123')"
            echo "right $(curl -s -o /dev/null -w '%{{http_code}}' "$url")"
            echo "crowd $(url="$url" bash -c 'for i in $(seq 12); do exec {{fd}}<>/dev/tcp/198.51.100.7/8099; done; sleep 0.3; curl -s -o /dev/null -w "%{{http_code}}" "$url"')"
            kill %1"#,
            bin = binary_for(user).display(),
            script = script.display(),
            err = dir.join("err").display(),
        );
        let mut cmd = unshare_for(user);
        cmd.args(["-Urn", "sh", "-c", &inner]).current_dir(&dir);
        let out = run_bounded(cmd, 60);
        let text = String::from_utf8_lossy(&out.stdout);
        let err = std::fs::read_to_string(dir.join("err")).unwrap_or_default();
        let field = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{k} ")))
                .unwrap_or("")
                .to_string()
        };
        assert!(field("url").contains("?token="), "[{user:?}] {text}\n{err}");
        assert_eq!(field("none"), "403", "[{user:?}] {text}\n{err}");
        assert_eq!(field("wrong"), "403", "[{user:?}] {text}\n{err}");
        assert_eq!(field("right"), "200", "[{user:?}] {text}\n{err}");
        // One address holding twelve connections gets no thirteenth: the room keeps
        // its places.
        assert_eq!(field("crowd"), "503", "[{user:?}] {text}\n{err}");
        assert!(err.contains("has the token"), "{err}");
    }
}

/// A WebDriver session with chromedriver, over plain HTTP.
struct Browser {
    driver: Child,
    host: String,
    id: String,
}

impl Browser {
    fn open(profile: &Path) -> Option<Browser> {
        let found = |p: &str| Path::new(p).exists();
        if !found("/usr/bin/chromium") || !found("/usr/bin/chromedriver") {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI installs chromium and chromium-driver (.ci/run)"
            );
            eprintln!("skipped: chromium or chromedriver is missing");
            return None;
        }
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        // A process group of its own, which the browsers it starts join: dropped, the
        // whole group goes, so no chromium outlives the test.
        use std::os::unix::process::CommandExt;
        let driver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let host = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(&host).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut b = Browser {
            driver,
            host,
            id: String::new(),
        };
        let caps = serde_json::json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--window-size=1400,900",
                         format!("--user-data-dir={}", profile.display())]
            }
        }}});
        let v = b.call("POST", "/session", &caps);
        b.id = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {v}"))
            .into();
        Some(b)
    }

    fn call(&self, method: &str, path: &str, body: &serde_json::Value) -> serde_json::Value {
        let body = if method == "GET" {
            String::new()
        } else {
            body.to_string()
        };
        let headers = "Content-Type: application/json\r\n";
        let (_, text) = http(&self.host, method, path, headers, &body);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    fn at(&self, path: &str) -> String {
        format!("/session/{}{path}", self.id)
    }

    fn go(&self, url: &str) {
        self.call("POST", &self.at("/url"), &serde_json::json!({"url": url}));
    }

    fn js(&self, script: &str) -> serde_json::Value {
        let v = self.call(
            "POST",
            &self.at("/execute/sync"),
            &serde_json::json!({"script": script, "args": []}),
        );
        v["value"].clone()
    }

    /// Waits (bounded) until `script` returns true.
    fn until(&self, script: &str, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.js(script) != serde_json::Value::Bool(true) {
            if Instant::now() >= deadline {
                let seen = self.js(
                    "const d = document.getElementById('dump'); \
                     return [wanted, selected, document.getElementById('follow').checked, d.dataset.no, \
                             [...document.querySelectorAll('#list li')].map(li => li.dataset.no + ' ' + li.className + ' ' + li.textContent)]",
                );
                panic!("the page never showed {what}; it shows {seen}");
            }
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// Moves the mouse onto the first element `css` picks.
    fn hover(&self, css: &str) {
        let v = self.call(
            "POST",
            &self.at("/element"),
            &serde_json::json!({"using": "css selector", "value": css}),
        );
        let el = v["value"]["element-6066-11e4-a52e-4f735466cecf"]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string();
        let move_to = serde_json::json!({"actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [{"type": "pointerMove", "duration": 0,
                         "origin": {"element-6066-11e4-a52e-4f735466cecf": el}, "x": 0, "y": 0}]
        }]});
        self.call("POST", &self.at("/actions"), &move_to);
    }

    fn screenshot(&self, to: &Path) {
        let v = self.call("GET", &self.at("/screenshot"), &serde_json::Value::Null);
        let png = base64(v["value"].as_str().expect("a screenshot"));
        assert_eq!(&png[1..4], b"PNG");
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.id.is_empty() {
            let _ = self.call("DELETE", &self.at(""), &serde_json::Value::Null);
        }
        // chromedriver and every browser it started (its process group).
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let digits: Vec<u8> = text
        .bytes()
        .filter(|c| *c != b'=' && !c.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (k, c)| n | u32::from(value(*c)) << (18 - 6 * k));
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

#[test]
fn in_a_browser_packets_appear_live_and_a_field_and_its_bytes_light_each_other() {
    let profile = scratch().join("chromium");
    let Some(browser) = Browser::open(&profile) else {
        return;
    };
    let mut page = Page::start(User::Me);
    page.type_line("new ip/icmp");
    page.type_line("set ip.dst 192.0.2.2");
    page.type_line("listen icmp");
    browser.go(&page.url);
    browser.until(
        "return document.getElementById('status').textContent.startsWith('following')",
        "that it follows the session",
    );
    assert_eq!(
        browser.js("return document.querySelectorAll('#list li').length"),
        0,
        "no packet before the send"
    );
    // Sent after the page loaded: it must come to the page by itself.
    page.type_line("send");
    browser.until(
        "return [...document.querySelectorAll('#list li')].some(li => li.textContent.includes('reply to #1'))",
        "the reply in the list",
    );
    // Following the session, the page shows the newest packet: the reply's dump.
    // (The request's dump may still be up while the reply's is fetched.)
    browser.until(
        "const d = document.getElementById('dump'); \
         return d.dataset.no === '2' && !!d.querySelector('.fl[data-name=\"ip.ttl\"]')",
        "the reply's dump",
    );
    let relations = browser.js("return document.getElementById('relations').textContent");
    assert_eq!(relations, "reply to #1");
    // A field lights its bytes: ip.ttl is byte 8.
    browser.hover("#dump .fl[data-name='ip.ttl']");
    let lit =
        browser.js("return [...document.querySelectorAll('#dump .b.hl')].map(b => b.dataset.i)");
    assert_eq!(lit, serde_json::json!(["8"]), "ip.ttl's byte lit");
    let info = browser.js("return document.getElementById('info').textContent");
    assert!(info.as_str().unwrap().contains("time to live"), "{info}");
    // A byte lights its field: byte 9 is ip.proto.
    browser.hover("#dump .b[data-i='9']");
    let field = browser
        .js("return [...document.querySelectorAll('#dump .fl.hl')].map(f => f.dataset.name)");
    assert_eq!(field, serde_json::json!(["ip.proto"]));
    // A field of bits lights its bits: ip.flags.df is the second bit of byte 6.
    browser.hover("#dump .fl[data-name='ip.flags.df']");
    let bits = browser.js(
        "return [...document.querySelectorAll('#info .bit')].map(b => b.classList.contains('on'))",
    );
    assert_eq!(
        bits,
        serde_json::json!([false, true, false, false, false, false, false, false])
    );
    // The terminal pane shows what the terminal showed.
    browser.until(
        "return document.getElementById('terminal').textContent.includes('listening')",
        "the terminal's output",
    );
    // ↑ goes back to the request, Esc follows the session to its newest packet again.
    let key = |k: &str| {
        browser.js(&format!(
            "document.dispatchEvent(new KeyboardEvent('keydown', {{key: '{k}'}})); return true"
        ))
    };
    key("ArrowUp");
    browser.until(
        "return document.getElementById('dump').dataset.no === '1'",
        "the request after ↑",
    );
    key("Escape");
    browser.until(
        "return document.getElementById('dump').dataset.no === '2'",
        "the newest packet after Esc",
    );
    browser.hover("#dump .fl[data-name='icmp.type']");
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../web/session.png");
    browser.screenshot(&shot);
    eprintln!("screenshot: {}", shot.display());
    // Clicking about the page changed nothing: the session still has its 2 packets.
    assert_eq!(wait_listed(&page.host(), 2)["next"], 3);
    page.type_line("quit");
}

#[test]
fn a_capture_file_is_served_with_its_relations_until_ctrl_c() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/any-sll2-ns.pcap");
    let mut child = command_for(User::Me)
        .args(["read", fixture.to_str().unwrap(), "--web"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut url = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let mut line = String::new();
        if err.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if let Some(at) = line.find("http://") {
            url = line[at..].split_whitespace().next().unwrap().into();
            break;
        }
    }
    assert!(url.starts_with("http://127.0.0.1:"), "no page announced");
    let host = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let l = listed(&host);
    let packets = l["packets"].as_array().unwrap();
    assert!(packets.len() >= 12, "{l}");
    // The SYN-ACK (12) answers the SYN before it, as `read` says.
    let (code, body) = http(&host, "GET", "/api/packet/12", "", "");
    assert_eq!(code, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(v["packet"]["reply_to"].is_u64(), "{v}");
    assert!(
        v["html"]
            .as_str()
            .unwrap()
            .contains("data-name=\"tcp.flags.syn\"")
    );
    // Ctrl-C ends it, cleanly.
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.and_then(|s| s.code()), Some(0));
}
