//! rawlab: a lab for Linux raw sockets.
//!
//! The parts, lowest first; each imports only those before it (a test reads the
//! `use crate::…` lines to hold the directions, and docs/architecture.md draws them):
//! - `wire`     every protocol as one table of fields: templates, building, dissecting;
//! - `render`   dumps, hex, JSON, caret errors and words for people, into any `impl Write`;
//! - `command`  the command language: one table of commands, a line in, a `Command` out;
//! - `net`      the kernel: IP and packet sockets, netlink, the sandbox and its peer,
//!   privilege, the off-host policy, counters and drop reasons (`net::sys::ffi` holds every
//!   `unsafe` block);
//! - `capture`  the numbered packets (a ring) and capture files (pcap, pcapng);
//! - `lab`      what one packet says about another: relations, changes, silence and why;
//! - `session`  the executor: what each command does to one session's state;
//! - `front`    the front ends: the REPL, scripts and lessons, `rawlab read`, recordings.
#![deny(unsafe_code)]

pub mod capture;
pub mod command;
pub mod front;
pub mod lab;
pub mod net;
pub mod render;
pub mod session;
pub mod wire;
