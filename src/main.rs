//! rawlab's command line. The network is chosen first, while the process is
//! still single-threaded (the kernel refuses a new user namespace to a
//! threaded process): the host's, when raw sockets are permitted, otherwise
//! a private sandbox. Then a script runs, or the REPL opens.
//! `rawlab read FILE` needs no network: it opens no socket and no sandbox.

use clap::{Parser, Subcommand, ValueEnum};
use rawlab::net::Net;
use rawlab::render::Style;
use rawlab::session::Session;
use rawlab::{read, repl, script, sys};
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorWhen {
    /// Colour when writing to a terminal and NO_COLOR is not set.
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    /// The annotated dump of each packet.
    Text,
    /// One JSON object per packet per line (JSON Lines).
    Json,
}

/// A lab for Linux raw sockets: craft a packet field by field, hand it to the
/// kernel, and see byte by byte what went on the wire and what came back.
#[derive(Debug, Parser)]
#[command(
    name = "rawlab",
    version,
    about,
    long_about = None
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// A script of rawlab commands to run (a lesson); without it, the interactive prompt opens.
    /// (A script named `read` is run as `./read`.)
    file: Option<PathBuf>,
    /// Use a private sandbox network (user + network namespace, loopback only) even with privilege.
    #[arg(long)]
    sandbox: bool,
    /// When to colour the output.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN", global = true)]
    color: ColorWhen,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show every packet of a pcap or pcapng file (tcpdump, tshark, Wireshark), annotated
    /// as rawlab shows its own; no privilege needed, no socket opened.
    Read {
        /// The capture file (`-` reads standard input, as from `tcpdump -w -`).
        file: PathBuf,
        /// text: annotated dumps; json: one JSON object per packet per line.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text, value_name = "FORMAT")]
        format: OutputFormat,
    },
}

const WAYS_OUT: &str = "three ways out: run `sudo rawlab`; or give the binary the capability once, `sudo setcap cap_net_raw+ep \"$(command -v rawlab)\"`; or allow unprivileged user namespaces (`sudo sysctl -w kernel.unprivileged_userns_clone=1` on Debian, `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` on Ubuntu)";

/// Picks the network, printing one line about it when it is not the host's.
fn choose_network(force_sandbox: bool, err: &mut dyn Write) -> Net {
    if !force_sandbox && sys::raw_sockets_permitted().is_ok() {
        return Net::Host;
    }
    match sys::enter_sandbox() {
        Ok(()) => {
            let why = if force_sandbox {
                "--sandbox"
            } else {
                "no raw-socket privilege here"
            };
            let _ = writeln!(
                err,
                "rawlab: sandbox network ({why}): a private namespace, loopback only; nothing sent leaves it"
            );
            Net::Sandbox
        }
        Err(e) => {
            let msg = format!(
                "raw sockets need privilege here, and rawlab could not make a sandbox ({e}); {WAYS_OUT}. Commands that need no socket (show, hex, set, help) still work."
            );
            let _ = writeln!(err, "rawlab: {msg}");
            Net::Unavailable(msg)
        }
    }
}

/// What `rawlab read` cannot be given with: it runs no script and opens no network.
fn read_clash(cli: &Cli) -> Option<String> {
    if cli.sandbox {
        return Some("`read` opens no socket, so it needs no sandbox: drop --sandbox".into());
    }
    cli.file.as_ref().map(|f| {
        format!(
            "`rawlab {} read …` gives both a script and `read`; run one at a time",
            f.display()
        )
    })
}

/// Whether to colour a stream that is (or is not) a terminal.
fn colour(when: ColorWhen, terminal: bool) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut stderr = io::stderr();
    let color = colour(cli.color, io::stdout().is_terminal());
    let fit = io::stdout().is_terminal();
    let result = match &cli.command {
        // No network: a file is read and shown, nothing more.
        Some(Command::Read { file, format }) => {
            if let Some(clash) = read_clash(&cli) {
                use clap::CommandFactory;
                Cli::command()
                    .error(clap::error::ErrorKind::ArgumentConflict, clash)
                    .exit();
            }
            let format = match format {
                OutputFormat::Text => read::Format::Text,
                OutputFormat::Json => read::Format::Json,
            };
            let err_style = Style {
                color: colour(cli.color, io::stderr().is_terminal()),
                fit: false,
            };
            let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
            read::run(
                file,
                format,
                &Style { color, fit },
                &mut out,
                &mut stderr,
                &err_style,
            )
            .map(i32::from)
        }
        None => {
            let net = choose_network(cli.sandbox, &mut stderr);
            let mut session = Session::new(net, Style { color, fit });
            match &cli.file {
                Some(path) => {
                    script::run(path, &mut session, &mut io::stdout().lock(), &mut stderr)
                }
                None => repl::run(&mut session),
            }
        }
    };
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
