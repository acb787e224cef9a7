//! rawlab's command line. The network is chosen first, while the process is
//! still single-threaded (the kernel refuses a new user namespace to a
//! threaded process): the host's, when raw sockets are permitted, otherwise
//! a private sandbox. Then a script runs, or the REPL opens.
//! The subcommands (`read`, `completions`, `man`) need no network: they open
//! no socket and no sandbox.

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use rawlab::front::{read, repl, script};
use rawlab::net::Net;
use rawlab::net::peer::{self, Peer};
use rawlab::net::sys;
use rawlab::render::Style;
use rawlab::session::Session;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    /// The annotated dump of each packet.
    Text,
    /// One JSON object per packet per line (JSON Lines).
    Json,
    /// One line per packet: time, what it is, what it is to the others (as tcpdump's default).
    Brief,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorWhen {
    /// Colour when writing to a terminal, NO_COLOR is not set and TERM is not `dumb`.
    Auto,
    Always,
    Never,
}

/// A lab for Linux raw sockets: craft a packet field by field, hand it to the
/// kernel, and see byte by byte what went on the wire and what came back.
#[derive(Debug, Parser)]
#[command(
    name = "rawlab",
    version,
    about,
    long_about = None,
    after_help = "Without FILE, rawlab opens its prompt: type `help` there. Without raw-socket privilege it runs in a private sandbox network; with sudo or CAP_NET_RAW it uses the host's."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Sub>,
    /// A script of rawlab commands to run, or a lesson's number or name (`rawlab 4`); without it, the interactive prompt opens. With --check, any number of scripts or directories.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Run the scripts (every lesson when none is named) and check their `expect` lines; exit non-zero naming each failure. Always in the sandbox, so a check comes out the same on every machine (the lessons' peer host lives there).
    #[arg(long)]
    check: bool,
    /// Classroom mode: show each command and run it on Enter (`b` goes back, `q` quits,
    /// nothing else acts); output longer than the screen waits at a more prompt.
    #[arg(long, conflicts_with_all = ["check", "delay"])]
    step: bool,
    /// Record the session as an asciinema v2 file (play it with `asciinema play FILE`).
    #[arg(long, value_name = "FILE.cast")]
    record: Option<PathBuf>,
    /// Write the session to a self-contained HTML page to hand out: in colour whatever
    /// stdout is, narration at full strength, a heading and anchor for each lesson.
    #[arg(long, value_name = "FILE.html")]
    transcript: Option<PathBuf>,
    /// Replace files that --record or --transcript would otherwise refuse to overwrite.
    #[arg(long)]
    force: bool,
    /// Pause this long before each command of a script, for unattended demos (e.g. 2s).
    #[arg(long, value_name = "DURATION", value_parser = parse_delay)]
    delay: Option<std::time::Duration>,
    /// Use a private sandbox network (user + network namespace, loopback only) even with privilege.
    #[arg(long)]
    sandbox: bool,
    /// When to colour the output.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN", global = true)]
    color: ColorWhen,
    /// Let packets go beyond loopback, this host's addresses and the sandbox peers (and forge foreign sources on the host's network).
    #[arg(long)]
    allow_remote: bool,
    /// Ceiling on packets per second for repeated sends.
    #[arg(long, value_name = "N", default_value_t = rawlab::net::policy::DEFAULT_MAX_RATE, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    max_rate: u32,
    /// Show the session live on a page for a browser (a projector, students' laptops):
    /// `--web` listens on 127.0.0.1 at a free port and prints the URL; `--web=ADDR:PORT`
    /// listens where you say (another address gets a random token in the URL). Viewers
    /// only watch: this terminal drives the session.
    #[arg(long, value_name = "ADDR:PORT", num_args = 0..=1, require_equals = true, default_missing_value = "", conflicts_with = "check")]
    web: Option<String>,
    /// How many packets to keep (the oldest drop off).
    #[arg(long, value_name = "N", default_value_t = rawlab::capture::DEFAULT_CAPACITY, value_parser = parse_ring)]
    ring: usize,
}

fn parse_delay(s: &str) -> Result<std::time::Duration, String> {
    rawlab::command::parse_duration_str(s)
        .ok_or_else(|| format!("`{s}` is not a duration: try 500ms or 2s"))
}

fn parse_ring(s: &str) -> Result<usize, String> {
    let n: usize = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of packets"))?;
    if (1..=10_000_000).contains(&n) {
        Ok(n)
    } else {
        Err("between 1 and 10000000 packets".into())
    }
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// Show every packet of a pcap or pcapng file (tcpdump, tshark, Wireshark), annotated
    /// as rawlab shows its own; no privilege needed, no socket opened.
    Read {
        /// The capture file (`-` reads standard input, as from `tcpdump -w -`).
        file: PathBuf,
        /// text: annotated dumps; json: one JSON object per packet per line, each with "rawlab_json": 1 (its keys are described in docs/json.md of rawlab's source); brief: one line per packet.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text, value_name = "FORMAT")]
        format: OutputFormat,
        /// One line per packet, as tcpdump prints by default (the same as --format brief).
        #[arg(long)]
        brief: bool,
        /// Show only these packets: numbers and ranges, such as 3-9,20 (every packet is still related to the others).
        #[arg(long, value_name = "LIST", value_parser = read::packet_list)]
        packets: Option<read::PacketList>,
        /// Stop after showing N packets (as tcpdump -c).
        #[arg(long, short = 'c', value_name = "N")]
        count: Option<u64>,
        /// Serve the file's packets on a page for a browser instead of printing them
        /// (`--web` or `--web=ADDR:PORT`, as for a session); Ctrl-C stops.
        #[arg(long, value_name = "ADDR:PORT", num_args = 0..=1, require_equals = true, default_missing_value = "")]
        web: Option<String>,
        /// Show only the packets this passes, in the field grammar of expect: `icmp.type == echo-reply`, `tcp.flags.syn == 1 and not tcp.flags.ack == 1`, `ip.src == 127.0.0.1 or ipv6`, `not udp`, parentheses.
        #[arg(long, value_name = "EXPR")]
        filter: Option<String>,
    },
    /// Print a shell completion script: `rawlab completions bash > ~/.local/share/bash-completion/completions/rawlab`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `rawlab man | man -l -`.
    Man,
}

const WAYS_OUT: &str = "three ways out: run `sudo rawlab`; or give the binary the capability once, `sudo setcap cap_net_raw+ep \"$(command -v rawlab)\"`; or allow unprivileged user namespaces (`sudo sysctl -w kernel.unprivileged_userns_clone=1` on Debian, `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` on Ubuntu)";

/// Picks the network, printing one line about it when it is not the host's. In the
/// sandbox, makes its peer too, while the process is still single-threaded.
/// The network to use: the host's when raw sockets are permitted, else the sandbox;
/// the sandbox always when `forced` says why (`--sandbox`, or a lesson).
fn choose_network(forced: Option<&str>, err: &mut dyn Write) -> (Net, Option<Arc<Peer>>) {
    if forced.is_none() && sys::raw_sockets_permitted().is_ok() {
        return (Net::Host, None);
    }
    match sys::enter_sandbox() {
        Ok(()) => {
            let why = forced.unwrap_or("no raw-socket privilege here");
            let (peer, holds) = match peer::make() {
                Ok(p) => {
                    let holds = format!("loopback, and {}", p.words());
                    (Some(Arc::new(p)), holds)
                }
                Err(e) => (None, format!("loopback only (no peer: {e})")),
            };
            say(
                err,
                &format!(
                    "rawlab: sandbox network ({why}): private, {holds}; nothing sent leaves it"
                ),
            );
            (Net::Sandbox, peer)
        }
        Err(e) => {
            // A lesson can still run on the host's network when rawlab may use it.
            if forced.is_some_and(|f| f != "--sandbox") && sys::raw_sockets_permitted().is_ok() {
                let _ = writeln!(
                    err,
                    "rawlab: could not make the sandbox ({e}); using the host's network, where lessons that need the sandbox's peer will find no one"
                );
                return (Net::Host, None);
            }
            let msg = format!(
                "raw sockets need privilege here, and rawlab could not make a sandbox ({e}); {WAYS_OUT}. Commands that need no socket (show, hex, set, help) still work."
            );
            let _ = writeln!(err, "rawlab: {msg}");
            (Net::Unavailable(msg), None)
        }
    }
}

/// What a subcommand cannot be given with: it runs no script and opens no network.
/// (clap's args_conflicts_with_subcommands would also refuse `--color never read f`,
/// taking `read` for a script's name.)
fn sub_clash(cli: &Cli) -> Option<String> {
    let given = [
        ("--sandbox", cli.sandbox),
        ("--allow-remote", cli.allow_remote),
        ("--check", cli.check),
        ("--step", cli.step),
        ("--record", cli.record.is_some()),
        ("--transcript", cli.transcript.is_some()),
        ("--delay", cli.delay.is_some()),
        (
            "--web (before the subcommand; `rawlab read FILE --web` serves a file)",
            cli.web.is_some(),
        ),
    ];
    if let Some((flag, _)) = given.iter().find(|(_, on)| *on) {
        return Some(format!(
            "{flag} is for sessions and scripts; a subcommand opens no socket and runs no script: drop it"
        ));
    }
    cli.files.first().map(|f| {
        format!(
            "`{}` is a script, and a subcommand follows it; run one at a time (a script named like a subcommand runs as ./{})",
            f.display(),
            f.display()
        )
    })
}

/// Whether to colour a stream that is (or is not) a terminal.
fn colour(when: ColorWhen, terminal: bool) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            terminal
                && rawlab::front::colour_allowed(
                    std::env::var_os("NO_COLOR").as_deref(),
                    std::env::var_os("TERM").as_deref(),
                )
        }
    }
}

/// `rawlab read FILE`: the file's packets on stdout, what it is and what is wrong on stderr.
fn read_file(
    file: &Path,
    format: OutputFormat,
    select: &read::Select,
    when: ColorWhen,
) -> io::Result<u8> {
    let format = match format {
        OutputFormat::Text => read::Format::Text,
        OutputFormat::Json => read::Format::Json,
        OutputFormat::Brief => read::Format::Brief,
    };
    let style = Style {
        color: colour(when, io::stdout().is_terminal()),
        fit: io::stdout().is_terminal(),
    };
    let err_style = Style {
        color: colour(when, io::stderr().is_terminal()),
        fit: false,
    };
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    read::run(
        file,
        format,
        select,
        &style,
        &mut out,
        &mut io::stderr(),
        &err_style,
    )
}

/// `rawlab read FILE --web`: the file loaded as `load` loads it, then served on the
/// page until Ctrl-C. No socket but the page's is opened.
fn read_on_the_web(file: &Path, spec: &str, when: ColorWhen) -> io::Result<u8> {
    let bound = match rawlab::front::web::Bound::open(Some(spec)) {
        Ok(b) => b,
        Err(why) => {
            let _ = writeln!(io::stderr(), "rawlab: {why}");
            return Ok(2);
        }
    };
    let style = Style {
        color: colour(when, io::stdout().is_terminal()),
        fit: io::stdout().is_terminal(),
    };
    let net = Net::Unavailable("rawlab read opens no socket".into());
    let mut session = Session::with_options(net, style, Default::default());
    session.shower.set_detail(rawlab::session::Detail::Lines);
    let flag = session.interrupt.clone();
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, flag.clone());
    let _ = signal_hook::flag::register(signal_hook::consts::SIGTERM, flag.clone());
    let mut out = io::stdout().lock();
    let line = format!(
        "load {}",
        rawlab::command::quote_arg(&file.display().to_string())
    );
    session.run_line(&line, &mut out)?;
    if session.failures > 0 {
        return Ok(1);
    }
    say(&mut io::stderr(), &bound.announce());
    say(&mut io::stderr(), "rawlab: Ctrl-C stops serving");
    let _running = rawlab::front::web::serve(bound, session.shower.clone(), Default::default())?;
    while !flag.load(std::sync::atomic::Ordering::Relaxed) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Ok(0)
}

/// Runs a subcommand; no network, no sandbox. Returns the exit code.
fn run_sub(sub: &Sub, when: ColorWhen) -> io::Result<u8> {
    // Rendered into memory first: the generators panic if their writer fails.
    let mut text = Vec::new();
    match sub {
        Sub::Read {
            file,
            format,
            brief,
            packets,
            count,
            filter,
            web,
        } => {
            if let Some(spec) = web {
                return read_on_the_web(file, spec, when);
            }
            let format = if *brief { OutputFormat::Brief } else { *format };
            let filter = match filter.as_deref().map(rawlab::command::filter::parse_filter) {
                Some(Err(e)) => {
                    let style = Style {
                        color: colour(when, io::stderr().is_terminal()),
                        fit: false,
                    };
                    let text = filter.as_deref().unwrap_or("");
                    let caret = rawlab::render::Caret::from(&e);
                    let col = e.column(text);
                    let place = format!("rawlab read --filter, column {col}");
                    rawlab::render::parse_error(
                        &mut io::stderr(),
                        text,
                        &caret,
                        Some(&place),
                        &style,
                    )?;
                    return Ok(2);
                }
                Some(Ok(f)) => Some(f),
                None => None,
            };
            let select = read::Select {
                packets: packets.clone().map(|l| l.0).unwrap_or_default(),
                count: *count,
                filter,
            };
            return read_file(file, format, &select, when);
        }
        Sub::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "rawlab", &mut text)
        }
        Sub::Man => rawlab::front::man::page(Cli::command(), &mut text)?,
    }
    let mut out = io::stdout().lock();
    out.write_all(&text)?;
    out.flush()?;
    Ok(0)
}

/// A line for standard error, wrapped at word boundaries when it is a terminal.
fn say(err: &mut dyn Write, text: &str) {
    let style = Style {
        color: false,
        fit: io::stderr().is_terminal(),
    };
    for l in style.wrap(text, "", "  ") {
        let _ = writeln!(err, "{l}");
    }
}

/// A mistyped subcommand reads as a script that is not there (`rawlab raed x.pcap`):
/// say so before any network is made. The exit code when it is one.
fn mistyped_subcommand(cli: &Cli, stderr: &mut dyn Write) -> Option<ExitCode> {
    let first = cli.files.first().filter(|f| !f.exists() && !cli.check)?;
    let typed = first.to_string_lossy();
    let subs = Cli::command();
    let names = subs.get_subcommands().map(|c| c.get_name());
    let name = rawlab::wire::suggest::closest(&typed, names)
        .into_iter()
        .next()?;
    let _ = writeln!(
        stderr,
        "rawlab: there is no script `{typed}` here, and `{typed}` is not a subcommand: did you mean `rawlab {name} …`? (`rawlab --help` lists them)"
    );
    Some(ExitCode::from(2))
}

/// Started through sudo (doas, pkexec): become the user now, while single-threaded,
/// keeping only CAP_NET_RAW, or nothing when the sandbox will give its own. Refuses
/// to go on as root if that fails.
fn give_up_root(sandbox: bool, stderr: &mut dyn Write) -> Result<(), ExitCode> {
    let Some(user) = sys::sudo_user() else {
        return Ok(());
    };
    let keep: &[caps::Capability] = if sandbox {
        &[]
    } else {
        &[caps::Capability::CAP_NET_RAW]
    };
    sys::become_user(user, keep).map_err(|e| {
        let _ = writeln!(
            stderr,
            "rawlab: could not give up root for uid {} ({e}); stopping rather than running as root",
            user.uid
        );
        ExitCode::from(1)
    })
}

/// A recorder, shared by the session's output and the prompt.
type Rec = std::sync::Arc<std::sync::Mutex<rawlab::front::record::Recorder>>;

/// The recorder `--record` and `--transcript` ask for, sized as the terminal is, even
/// when stdout, stderr and stdin are all redirected (the controlling terminal is
/// asked last).
fn recorder(cli: &Cli) -> Result<Option<Rec>, String> {
    if cli.record.is_none() && cli.transcript.is_none() && cli.web.is_none() {
        return Ok(None);
    }
    let size = terminal_size::terminal_size()
        .or_else(|| {
            std::fs::File::open("/dev/tty")
                .ok()
                .and_then(terminal_size::terminal_size_of)
        })
        .map_or((80, 24), |(w, h)| (w.0, h.0));
    let r = rawlab::front::record::Recorder::new(
        cli.record.as_deref(),
        cli.transcript.as_deref(),
        cli.force,
        size,
    )?;
    let r = std::sync::Arc::new(std::sync::Mutex::new(r));
    rawlab::front::record::set_running(r.clone());
    Ok(Some(r))
}

/// `rawlab SUBCOMMAND …` (read, man, …): its exit code; a reader that left the pipe
/// is no failure.
fn subcommand(cli: &Cli, sub: &Sub, stderr: &mut io::Stderr) -> ExitCode {
    if let Some(clash) = sub_clash(cli) {
        Cli::command()
            .error(clap::error::ErrorKind::ArgumentConflict, clash)
            .exit();
    }
    match run_sub(sub, cli.color) {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(stderr, "rawlab: {e}");
            ExitCode::from(1)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    rawlab::net::keep_stamping();
    let mut stderr = io::stderr();
    if let Some(sub) = &cli.command {
        return subcommand(&cli, sub, &mut stderr);
    }
    if let Some(code) = mistyped_subcommand(&cli, &mut stderr) {
        return code;
    }
    let lesson = matches!(cli.files.as_slice(), [one] if rawlab::command::lessons::is_lesson(one));
    let (net, opts, web) = match enter_network(&cli, lesson, &mut stderr) {
        Ok(started) => started,
        Err(code) => return code,
    };
    let (mut session, style) = new_session(&cli, &net, &opts);
    // Made after rawlab gave up root, so the files belong to the user.
    let rec = match recorder(&cli) {
        Ok(r) => r,
        Err(why) => {
            let _ = writeln!(stderr, "rawlab: {why}");
            return ExitCode::from(2);
        }
    };
    let _page = match web.map(|bound| serve_page(bound, &rec, &session, &mut stderr)) {
        Some(Err(code)) => return code,
        Some(Ok(page)) => Some(page),
        None => None,
    };
    // Block-buffered: a flood of dumps to a file or pipe costs one write per batch,
    // not one per line. Commands and waits flush as they go, so output still streams.
    let mut stdout = rawlab::front::record::Tee::new(
        io::BufWriter::with_capacity(1 << 16, io::stdout()),
        rec.clone(),
    );
    prepare_lesson(&cli, lesson, &mut session);
    let make = || Session::with_options(net.clone(), style, opts.clone());
    let result = run_front(&cli, &mut session, make, &rec, &mut stdout, &mut stderr);
    // A script or lesson that ran to its end leaves its page up for the class to look
    // through, until the terminal says it is done.
    if _page.is_some() && !cli.files.is_empty() && io::stdin().is_terminal() {
        let _ = stdout.flush();
        say(
            &mut stderr,
            "rawlab: the script is done; its page stays up until you press Enter (or Ctrl-C)",
        );
        let mut line = String::new();
        let _ = io::stdin().read_line(&mut line);
    }
    if let Some(r) = &rec {
        r.lock().unwrap_or_else(|p| p.into_inner()).finish();
    }
    match result {
        Ok(code) => ExitCode::from(code as u8),
        // Piped into `head`: the reader left; stop quietly.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(stderr, "rawlab: {e}");
            ExitCode::from(1)
        }
    }
}

/// Everything done while rawlab may still hold root, in order: the drop reasons
/// opened, root given up, the page's socket opened, and the network chosen (the
/// sandbox entered, or the host's). Gives the network, the session's options and the
/// page's socket, or the exit code to stop with.
fn enter_network(
    cli: &Cli,
    lesson: bool,
    stderr: &mut io::Stderr,
) -> Result<
    (
        Net,
        rawlab::session::Options,
        Option<rawlab::front::web::Bound>,
    ),
    ExitCode,
> {
    // Started through sudo: become the user now, while single-threaded, keeping only
    // CAP_NET_RAW (none when the sandbox is asked for: the namespace gives its own).
    // A check, and a lesson, run in the sandbox whatever the privilege: lessons expect
    // its loopback and its peer, not whatever the host's network holds.
    let sandbox = cli.sandbox || cli.check || lesson;
    // The kernel's drop reasons need root to open, and none of it to read: open them
    // now, before root is given up (and before the sandbox, whose root is not the
    // host's). Without root this costs nothing and says why.
    let (tracer, no_tracer) = match rawlab::net::drops::Tracer::open() {
        Ok(t) => (Some(Arc::new(t)), String::new()),
        Err(why) => (None, why),
    };
    give_up_root(sandbox, stderr)?;
    // The page's socket is opened here, on the host's network, before the sandbox (if
    // any) is entered, so the host's browser reaches it; it is served once the
    // session is made (a thread now would keep the sandbox from being made).
    let web = match cli
        .web
        .as_deref()
        .map(|s| rawlab::front::web::Bound::open(Some(s)))
    {
        Some(Err(why)) => {
            let _ = writeln!(stderr, "rawlab: {why}");
            return Err(ExitCode::from(2));
        }
        Some(Ok(b)) => Some(b),
        None => None,
    };
    let forced = if cli.sandbox {
        Some("--sandbox")
    } else if cli.check || lesson {
        Some("lessons run here, the same on every machine")
    } else {
        None
    };
    if sys::sudo_user().is_none() && sys::uid() == 0 && sys::in_first_user_namespace() {
        say(
            stderr,
            "rawlab: running as root with no SUDO_UID, DOAS_USER or PKEXEC_UID to give it up to: it keeps root (start it through sudo, or give the binary cap_net_raw, to run as your user)",
        );
    }
    let (net, peer) = choose_network(forced, stderr);
    // The sandbox is made (its uid_map written through /proc/self, which needed the
    // process dumpable): what was opened as root is kept from others again.
    if tracer.is_some() {
        sys::set_dumpable(false);
    }
    if cli.allow_remote {
        let _ = writeln!(
            stderr,
            "rawlab: --allow-remote: packets may leave this machine; where they go is up to you"
        );
    }
    let opts = rawlab::session::Options {
        ring: cli.ring,
        allow_remote: cli.allow_remote,
        max_rate: cli.max_rate,
        peer,
        tracer,
        no_tracer,
    };
    Ok((net, opts, web))
}

/// The session, styled for where its output goes; the style is given back for the
/// fresh sessions `--check` makes.
fn new_session(cli: &Cli, net: &Net, opts: &rawlab::session::Options) -> (Session, Style) {
    let color = colour(cli.color, io::stdout().is_terminal());
    let fit = io::stdout().is_terminal();
    // A transcript is read for the lesson: in colour whatever stdout is (the screen
    // gets the colours taken out again), its narration at full strength, a heading
    // for each lesson.
    let transcript = cli.transcript.is_some();
    if transcript && !color {
        rawlab::front::record::set_plain_screen();
    }
    let style = Style {
        color: color || transcript,
        fit,
    };
    let mut session = Session::with_options(net.clone(), style, opts.clone());
    if transcript {
        session.teach.narrate_plainly = true;
        session.teach.on_lesson = Some(rawlab::front::record::heading);
    }
    (session, style)
}

/// `--web`: the page served from the socket opened before, fed what the recorder
/// draws; the exit code when it cannot be.
fn serve_page(
    bound: rawlab::front::web::Bound,
    rec: &Option<Rec>,
    session: &Session,
    stderr: &mut io::Stderr,
) -> Result<rawlab::front::web::Running, ExitCode> {
    let feed = Arc::new(rawlab::front::web::Feed::default());
    if let Some(r) = rec {
        r.lock().unwrap_or_else(|p| p.into_inner()).web = Some(feed.clone());
    }
    say(stderr, &bound.announce());
    rawlab::front::web::serve(bound, session.shower.clone(), feed).map_err(|e| {
        let _ = writeln!(stderr, "rawlab: --web: {e}");
        ExitCode::from(1)
    })
}

/// A lesson's packets drawn for teaching, a lesson taken with `--step` kept as taken,
/// and a lesson's heading in the recording.
fn prepare_lesson(cli: &Cli, lesson: bool, session: &mut Session) {
    if lesson && !cli.check {
        // A lesson's packets are drawn for teaching: the fields with something to say.
        session.shower.set_detail(rawlab::session::Detail::Teach);
    }
    if let ([path], true) = (cli.files.as_slice(), cli.step && !cli.check) {
        // A lesson taken with --step counts as taken: its tasks and its end are kept.
        if let Some(l) = rawlab::command::lessons::of_path(path) {
            session.teach.progress_file = rawlab::session::progress_path();
            session.teach.step_lesson = Some(l.file);
        }
    }
    if let ([path], false) = (cli.files.as_slice(), cli.check)
        && let Some(l) = rawlab::command::lessons::of_path(path)
    {
        rawlab::front::record::heading(l.number().unwrap_or(0), &l.title());
    }
}

/// The front end the command line asks for: `--check`, the prompt, or one script;
/// its exit code.
fn run_front(
    cli: &Cli,
    session: &mut Session,
    make: impl FnMut() -> Session,
    rec: &Option<Rec>,
    stdout: &mut dyn Write,
    stderr: &mut io::Stderr,
) -> io::Result<i32> {
    let pace = match (cli.step, cli.delay) {
        (true, _) => script::Pace::Step,
        (_, Some(d)) => script::Pace::Delay(d),
        _ => script::Pace::Straight,
    };
    if cli.check {
        return match script::check_targets(&cli.files) {
            Ok(targets) => script::check(&targets, make, stdout),
            Err(why) => {
                let _ = writeln!(stderr, "rawlab: {why}");
                Ok(2)
            }
        };
    }
    match cli.files.as_slice() {
        [] => repl::run(session, rec.clone()),
        [path] => {
            // Ctrl-C stops the command running (a ping still prints its statistics)
            // and the script after it; a second Ctrl-C ends rawlab at once.
            let flag = session.interrupt.clone();
            let sigint = signal_hook::consts::SIGINT;
            let _ = signal_hook::flag::register_conditional_shutdown(sigint, 130, flag.clone());
            let _ = signal_hook::flag::register(sigint, flag);
            script::run(path, session, stdout, stderr, pace).map(|r| r.code())
        }
        _ => {
            let _ = writeln!(
                stderr,
                "rawlab: give one script to run, or use --check to check several"
            );
            Ok(2)
        }
    }
}
