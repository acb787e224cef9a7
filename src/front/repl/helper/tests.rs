//! The helper's tests: completion, hints, roles and colours, file names after save and
//! load.

use super::*;
use crate::wire::{icmp, ipv4};

const STACK: &[&Protocol] = &[&ipv4::IPV4, &icmp::ICMP];

fn offers(line: &str) -> Vec<String> {
    complete(line, line.len(), STACK)
        .expect("words, not paths")
        .1
}

#[test]
fn completes_commands_fields_values_and_stacks() {
    assert_eq!(offers("se"), ["set", "send", "serve"]);
    assert!(offers("").len() == COMMANDS.len());
    assert_eq!(offers("set ip.tt"), ["ip.ttl"]);
    assert_eq!(offers("set tt"), ["ttl"]);
    assert!(offers("set icmp.").contains(&"icmp.checksum".to_string()));
    assert_eq!(
        offers("set icmp.type echo-r"),
        ["echo-reply", "echo-request"]
    );
    assert_eq!(offers("set proto ud"), ["udp", "udplite"]);
    assert_eq!(offers("set df "), ["0", "1"]);
    assert_eq!(offers("mode h"), ["hdrincl"]);
    assert!(offers("new ").contains(&"ip/icmp".to_string()));
    assert_eq!(offers("listen o"), ["off"]);
    assert_eq!(offers("listen l"), ["link"]);
    assert!(offers("listen link ").contains(&"lo".to_string()));
    assert!(offers("listen link ").contains(&"once".to_string()));
    assert_eq!(offers("listen link lo o"), ["once"]);
    assert!(offers("mode link ").contains(&"lo".to_string()));
    assert_eq!(offers("mode l"), ["link"]);
    assert!(stacks().contains(&"eth/arp".to_string()));
    assert!(stacks().contains(&"eth/ip/icmp".to_string()));
    let frame: &[&Protocol] = &[&wire::eth::ETH, &wire::arp::ARP];
    let frame_offers = complete("set eth.dst b", 13, frame).unwrap().1;
    assert_eq!(frame_offers, ["broadcast"]);
    let frame_offers = complete("set opcode r", 12, frame).unwrap().1;
    assert!(frame_offers.contains(&"reply".to_string()));
    assert_eq!(offers("send 127.0.0.1 c"), ["count"]);
    assert_eq!(offers("send 127.0.0.1 m"), Vec::<String>::new());
    assert_eq!(offers("ping 127.0.0.1 count 3 m"), ["mode"]);
    assert_eq!(offers("ping 127.0.0.1 mode "), ["raw", "hdrincl", "kernel"]);
    assert_eq!(offers("ping 127.0.0.1 MODE r"), ["raw"]);
    assert_eq!(offers("sned x"), Vec::<String>::new());
    assert!(offers("set ").contains(&"timeout".to_string()));
    assert_eq!(offers("SET TT"), ["ttl"]);
}

/// Options by name are offered with the fields, their words after them, and
/// highlighted as fields; quoted fields after `unset` and `explain`.
#[test]
fn options_by_name_and_quoted_fields_are_offered() {
    let opts = offers("set ip.opt.");
    for name in [
        "ip.opt.rr",
        "ip.opt.ts",
        "ip.opt.ra",
        "ip.opt.lsrr",
        "ip.opt.ssrr",
        "ip.opt.nop",
        "ip.opt.eol",
    ] {
        assert!(opts.contains(&name.to_string()), "{name}: {opts:?}");
    }
    assert_eq!(offers("set ip.opt.ts tsa"), ["tsandaddr"]);
    assert!(offers("explain ip.opt.l").contains(&"ip.opt.lsrr".to_string()));
    assert!(offers("unset ip.opt.r").contains(&"ip.opt.rr".to_string()));
    let line = "set ip.opt.rr 9";
    assert_eq!(roles(line, STACK)[1], (4..13, Role::Field));
    let quoting: &[&Protocol] = &[&ipv4::IPV4, &icmp::ICMP, &ipv4::IPV4, &wire::udp::UDP];
    for line in ["unset quoted.ip.t", "explain quoted.ip.t"] {
        let got = complete(line, line.len(), quoting).unwrap().1;
        assert!(
            got.contains(&"quoted.ip.ttl".to_string()),
            "{line}: {got:?}"
        );
    }
    assert!(
        !offers("unset quoted.")
            .iter()
            .any(|o| o.starts_with("quoted."))
    );
}

#[test]
fn checksum_is_not_offered_as_a_short_name_when_it_is_ambiguous() {
    assert!(!offers("set che").contains(&"checksum".to_string()));
}

#[test]
fn hints_show_the_rest_of_the_syntax() {
    assert_eq!(
        hint("pin", 3, STACK).as_deref(),
        Some(
            "g DST [count N] [every DURATION | interval SECONDS] [size N] [ttl N] [stamps] [rr] [mode raw|hdrincl|kernel]"
        )
    );
    assert_eq!(
        hint("send ", 5, STACK).as_deref(),
        Some("[DST] [count N] [every DURATION] [order N…]")
    );
    assert_eq!(
        hint("set ttl ", 8, STACK).as_deref(),
        Some("0..=255 (time to live: hops left before a router drops it)")
    );
    assert_eq!(hint("se", 2, STACK), None, "ambiguous: set or send");
    assert_eq!(hint("show", 2, STACK), None, "cursor not at the end");
}

#[test]
fn roles_mark_commands_fields_and_errors() {
    assert_eq!(
        roles("set ttl 3", STACK),
        [(0..3, Role::Command), (4..7, Role::Field)]
    );
    assert_eq!(roles("sned", STACK), [(0..4, Role::Error)]);
    assert_eq!(
        roles("set tll 3", STACK),
        [(0..3, Role::Command), (4..7, Role::Error)]
    );
    assert_eq!(
        roles("set ttl 300", STACK),
        [
            (0..3, Role::Command),
            (4..7, Role::Field),
            (8..11, Role::Error)
        ]
    );
    assert_eq!(
        roles("explain ttl", STACK),
        [(0..7, Role::Command), (8..11, Role::Field)]
    );
    assert!(roles("# a note", STACK).is_empty());
}

#[test]
fn file_names_are_completed_after_save_and_load() {
    assert_eq!(path_argument("load ", 5), Some((5, "")));
    assert_eq!(path_argument("load ca", 7), Some((5, "ca")));
    assert_eq!(path_argument("  save! ~/c", 11), Some((8, "~/c")));
    assert_eq!(path_argument("save \"my d", 10), Some((5, "\"my d")));
    assert_eq!(path_argument("save x.pcap 2", 13), None, "packet numbers");
    assert_eq!(
        path_argument("save \"a b\" ", 11),
        None,
        "the quote is closed"
    );
    assert_eq!(path_argument("show x", 6), None);
    assert_eq!(
        path_argument("load", 4),
        None,
        "the command is still being typed"
    );
    assert_eq!(complete("load ", 5, STACK), None);
    assert_eq!(complete("save x.pcap ", 12, STACK), Some((12, vec![])));

    let dir = std::env::temp_dir().join(format!("rawlab-complete-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for d in ["caps", "my dir", ".hidden"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    for f in [
        "cap.pcap",
        "cap2.PCAPNG",
        "capture.txt",
        "my cap.pcap",
        ".old.pcap",
    ] {
        std::fs::write(dir.join(f), b"").unwrap();
    }
    let d = dir.display();
    let got = |typed: &str| -> Vec<(String, String)> {
        complete_path(typed)
            .into_iter()
            .map(|c| (c.display, c.replacement))
            .collect()
    };
    assert_eq!(
        got(&format!("{d}/ca")),
        [
            ("cap.pcap".into(), format!("{d}/cap.pcap ")),
            ("cap2.PCAPNG".into(), format!("{d}/cap2.PCAPNG ")),
            ("caps/".into(), format!("{d}/caps/")),
        ],
        "directories and capture files, not capture.txt"
    );
    assert_eq!(
        got(&format!("{d}/my")),
        [
            ("my cap.pcap".into(), format!("\"{d}/my cap.pcap\" ")),
            ("my dir/".into(), format!("\"{d}/my dir/")),
        ],
        "a name with a space is quoted; a directory's quote stays open"
    );
    assert_eq!(
        got(&format!("\"{d}/my dir/")),
        Vec::<(String, String)>::new()
    );
    assert_eq!(
        got(&format!("{d}/.")),
        [
            (".hidden/".into(), format!("{d}/.hidden/")),
            (".old.pcap".into(), format!("{d}/.old.pcap ")),
        ],
        "hidden names only when a dot is typed"
    );
    assert!(
        !got(&format!("{d}/"))
            .iter()
            .any(|(n, _)| n.starts_with('.'))
    );
    assert_eq!(got("~"), [("~/".into(), "~/".into())]);
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        let home = std::path::PathBuf::from(home);
        if home.is_dir() {
            let listed = got("~/");
            assert!(
                listed.iter().all(|(_, r)| r.starts_with("~/")),
                "~/ is kept as typed: {listed:?}"
            );
        }
    }

    // Highlighting: what save and load would refuse is marked before Enter.
    let load_ok = format!("load {d}/cap.pcap");
    assert_eq!(roles(&load_ok, STACK)[1], (5..load_ok.len(), Role::Path));
    let load_dir = format!("load {d}/caps");
    assert_eq!(roles(&load_dir, STACK)[1], (5..load_dir.len(), Role::Error));
    let save_there = format!("save {d}/cap.pcap");
    assert_eq!(
        roles(&save_there, STACK)[1],
        (5..save_there.len(), Role::Error)
    );
    let save_forced = format!("save! {d}/cap.pcap");
    assert_eq!(
        roles(&save_forced, STACK)[1],
        (6..save_forced.len(), Role::Path)
    );
    let save_new = format!("save {d}/new.pcap");
    assert_eq!(roles(&save_new, STACK).len(), 1, "a new name is fine");
    let save_nowhere = format!("save {d}/nowhere/new.pcap");
    assert_eq!(roles(&save_nowhere, STACK)[1].1, Role::Error);
    let quoted = format!("load \"{d}/my cap.pcap\"");
    assert_eq!(roles(&quoted, STACK)[1], (5..quoted.len(), Role::Path));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn save_and_load_hint_their_file_and_packets() {
    assert_eq!(
        hint("load ", 5, STACK).as_deref(),
        Some("FILE (a .pcap or .pcapng file; Tab completes names)")
    );
    assert!(
        hint("save ", 5, STACK)
            .unwrap()
            .contains("save! overwrites")
    );
    assert!(
        hint("save! ", 6, STACK)
            .unwrap()
            .contains("save! overwrites")
    );
    assert_eq!(
        hint("save x.pcap ", 12, STACK).as_deref(),
        Some("[N | A-B …] (packets from `captures`; all when none are named)")
    );
    assert_eq!(
        hint("save \"a ", 8, STACK),
        None,
        "still in the quoted name"
    );
}

#[test]
fn a_pasted_line_is_neither_coloured_nor_hinted() {
    let h = LabHelper::new(vec![&ipv4::IPV4, &icmp::ICMP], true);
    let short = "set ttl 9";
    assert!(matches!(h.highlight(short, short.len()), Cow::Owned(_)));
    let long = format!("set ttl {}", "9".repeat(LIVELY));
    assert!(matches!(h.highlight(&long, long.len()), Cow::Borrowed(_)));
    assert!(!h.highlight_char(&long, long.len(), CmdKind::Other));
    assert_eq!(
        hint(&format!("sa{}", " ".repeat(LIVELY)), LIVELY + 2, &[]),
        None
    );
}

#[test]
fn stacks_follow_the_tables() {
    let s = stacks();
    assert!(s.contains(&"ip".to_string()) && s.contains(&"ip/icmp".to_string()));
    assert!(!s.iter().any(|x| x.starts_with("icmp")));
}
