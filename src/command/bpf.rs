//! A filter compiled to classic BPF, for the kernel to run on a listener's socket
//! (SO_ATTACH_FILTER) so that what cannot pass never reaches rawlab.
//!
//! The program only narrows: it keeps every packet the filter passes, and maybe
//! more, and the filter itself still runs on what it keeps. Each part of a filter is
//! read two ways: what surely passes (`lower`) and what may pass (`upper`); `not`
//! swaps them, so `not udp` keeps what is surely not UDP. Only the first header of
//! each protocol is read in the kernel, at the place it stands when nothing unusual
//! comes before it (IPv4 with its IHL, IPv6 without extension headers). A field the
//! software would also find elsewhere (a header quoted by an ICMP error, IP in IP,
//! after IPv6 extension headers) makes the program keep every packet that has such
//! a place; a field it cannot read at all (options, DNS, payload bytes) keeps
//! everything. A filter that narrows nothing is not attached.

use super::expect::Cmp;
use super::filter::Filter;
use crate::wire::template::Value;
use crate::wire::{Field, Kind, Protocol, arp, eth, icmp, icmpv6, ipv4, ipv6, tcp, udp};

/// One classic BPF instruction (struct sock_filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

/// The opcodes this compiler writes (linux/bpf_common.h, linux/filter.h).
pub mod op {
    pub const LD_W_ABS: u16 = 0x20;
    pub const LD_H_ABS: u16 = 0x28;
    pub const LD_B_ABS: u16 = 0x30;
    pub const LD_W_IND: u16 = 0x40;
    pub const LD_H_IND: u16 = 0x48;
    pub const LD_B_IND: u16 = 0x50;
    /// A = the packet's length.
    pub const LD_LEN: u16 = 0x80;
    /// X = 4 × (packet[k] & 0xf): an IPv4 header's length.
    pub const LDX_MSH: u16 = 0xb1;
    pub const SUB_X: u16 = 0x1c;
    pub const RSH_K: u16 = 0x74;
    pub const AND_K: u16 = 0x54;
    pub const JEQ_K: u16 = 0x15;
    pub const JGT_K: u16 = 0x25;
    pub const JGE_K: u16 = 0x35;
    pub const JGE_X: u16 = 0x3d;
    pub const JA: u16 = 0x05;
    pub const RET_K: u16 = 0x06;
}

/// What the bytes the kernel hands the program start with.
#[derive(Debug, Clone, Copy)]
pub enum Start {
    /// An IPv4 header (a raw AF_INET socket).
    Ipv4,
    /// An Ethernet header (a packet socket on an Ethernet-like interface, lo too).
    Ethernet,
    /// The header after IPv6's (a raw AF_INET6 socket): this protocol's.
    AfterIpv6(&'static Protocol),
}

/// What a kept packet keeps: all of it.
pub const KEEP: u32 = 0x40000;
/// Most instructions a program may have (BPF_MAXINSNS).
const MAX_INSNS: usize = 4096;

/// Compiles `f` for sockets whose bytes start as `start` says. Err says why no
/// program is attached (it would keep everything, or could not be written).
pub fn compile(f: &Filter, start: Start) -> Result<Vec<Insn>, String> {
    let places = places(start);
    let (_, upper) = bounds(f, &places);
    if upper == Pred::True {
        return Err("the kernel cannot tell which packets it passes".into());
    }
    let mut e = Emit::default();
    let (keep, drop) = (e.label(), e.label());
    e.pred(&upper, keep, drop);
    e.place(keep);
    e.push(op::RET_K, KEEP, Target::Next, Target::Next);
    e.place(drop);
    e.push(op::RET_K, 0, Target::Next, Target::Next);
    let prog = e.resolve()?;
    if prog.len() > MAX_INSNS {
        return Err(format!(
            "it would take {} instructions, more than the kernel's {MAX_INSNS}",
            prog.len()
        ));
    }
    Ok(prog)
}

/// Where a value is read from: a fixed byte, or a byte past an IPv4 header whose
/// IHL is at `ihl` (`at` counts from the end of that header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    Abs(u32),
    PastIhl { ihl: u32, at: u32 },
}

impl Base {
    fn plus(self, n: u32) -> Base {
        match self {
            Base::Abs(a) => Base::Abs(a + n),
            Base::PastIhl { ihl, at } => Base::PastIhl { ihl, at: at + n },
        }
    }
}

/// A test on the bytes, false when they are too short for it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Test {
    /// The `size` bytes at `at`, shifted right and masked, compare so with `value`.
    Load {
        at: Base,
        size: u32,
        shift: u32,
        mask: u32,
        cmp: Cmp,
        value: u32,
    },
    /// The value at `at` (read as for `Load`) is one of these.
    OneOf {
        at: Base,
        size: u32,
        shift: u32,
        mask: u32,
        values: Vec<u32>,
    },
    /// The bytes reach `at` (the packet is at least that long).
    Reaches(Base),
    /// The 16-bit length at byte `len` covers the IPv4 header at `ihl` and `more`
    /// bytes after it.
    Covers { len: u32, ihl: u32, more: u32 },
}

/// A condition on a packet, before it is written as instructions.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pred {
    True,
    False,
    Test(Test),
    Not(Box<Pred>),
    And(Box<Pred>, Box<Pred>),
    Or(Box<Pred>, Box<Pred>),
}

fn not(p: Pred) -> Pred {
    match p {
        Pred::True => Pred::False,
        Pred::False => Pred::True,
        Pred::Not(q) => *q,
        p => Pred::Not(Box::new(p)),
    }
}

fn and(a: Pred, b: Pred) -> Pred {
    match (a, b) {
        (Pred::False, _) | (_, Pred::False) => Pred::False,
        (Pred::True, p) | (p, Pred::True) => p,
        (a, b) => Pred::And(Box::new(a), Box::new(b)),
    }
}

fn or(a: Pred, b: Pred) -> Pred {
    match (a, b) {
        (Pred::True, _) | (_, Pred::True) => Pred::True,
        (Pred::False, p) | (p, Pred::False) => p,
        (a, b) => Pred::Or(Box::new(a), Box::new(b)),
    }
}

fn all(ps: impl IntoIterator<Item = Pred>) -> Pred {
    ps.into_iter().fold(Pred::True, and)
}

fn any(ps: impl IntoIterator<Item = Pred>) -> Pred {
    ps.into_iter().fold(Pred::False, or)
}

/// A whole-byte-aligned value of at most 32 bits compares so.
fn test(at: Base, f: &Field, cmp: Cmp, value: u128) -> Option<Pred> {
    let (first, end) = (f.first_byte() as u32, f.end_byte() as u32);
    let size = match end - first {
        1 => 1,
        2 => 2,
        4 => 4,
        3 if end >= 4 => 4,
        _ => return None,
    };
    let from = end - size;
    let shift = end * 8 - (f.bit_offset as u32 + f.bits);
    let mask = if f.bits >= 32 {
        u32::MAX
    } else {
        (1u32 << f.bits) - 1
    };
    let value = u32::try_from(value).ok()?;
    Some(Pred::Test(Test::Load {
        at: at.plus(from),
        size,
        shift,
        mask,
        cmp,
        value,
    }))
}

/// A field of a header at `at` holds one of `values` (false when it is not there).
fn one_of(at: u32, f: &Field, values: &[u128]) -> Pred {
    one_of_at(Base::Abs(at), f, values)
}

fn one_of_at(at: Base, f: &Field, values: &[u128]) -> Pred {
    match test(at, f, Cmp::Eq, 0) {
        Some(Pred::Test(Test::Load {
            at,
            size,
            shift,
            mask,
            ..
        })) => Pred::Test(Test::OneOf {
            at,
            size,
            shift,
            mask,
            values: values.iter().map(|v| *v as u32).collect(),
        }),
        _ => Pred::False,
    }
}

/// The packet has all of a field of a header at `at`.
fn present(at: Base, f: &Field) -> Pred {
    Pred::Test(Test::Reaches(at.plus(f.end_byte() as u32)))
}

/// A field of a header at `at` is there and compares so; wider fields (addresses)
/// compare word by word, for == and != only. None when the kernel cannot say.
fn field_is(at: Base, f: &Field, cmp: Cmp, value: &Value) -> Option<Pred> {
    let Value::Raw(v) = value else {
        return None;
    };
    if matches!(f.kind, Kind::Bytes | Kind::Name) {
        return None;
    }
    if f.bits <= 32 {
        return test(at, f, cmp, *v);
    }
    // Whole bytes only, in 32-bit words from the start (a MAC's last word is 16 bits).
    if !f.bit_offset.is_multiple_of(8)
        || !f.bits.is_multiple_of(16)
        || !matches!(cmp, Cmp::Eq | Cmp::Ne)
    {
        return None;
    }
    let (first, len) = (f.first_byte() as u32, f.bits / 8);
    let mut eq = Pred::True;
    let mut done = 0;
    while done < len {
        let size = if len - done >= 4 { 4 } else { 2 };
        let rest_bits = (len - done - size) * 8;
        let word = (*v >> rest_bits) & ((1u128 << (size * 8)) - 1);
        let part = Pred::Test(Test::Load {
            at: at.plus(first + done),
            size,
            shift: 0,
            mask: if size == 4 { u32::MAX } else { 0xffff },
            cmp: Cmp::Eq,
            value: word as u32,
        });
        eq = and(eq, part);
        done += size;
    }
    Some(match cmp {
        Cmp::Eq => eq,
        _ => and(present(at, f), not(eq)),
    })
}

/// One place a protocol's header stands when nothing unusual comes before it.
struct Place {
    proto: &'static Protocol,
    at: Base,
    /// The header is there: what the headers before it say.
    there: Pred,
    /// The header's place is the one read (an IHL of at least 5): when false, the
    /// header may still be there, somewhere else.
    placed: Pred,
    /// What else must hold for the software to see a field ending `n` bytes into it
    /// (an outer length covering it).
    covered: fn(u32, Base) -> Pred,
}

/// Where each readable header stands for sockets that start so, and when a packet
/// may hold headers anywhere else (quoted, tunnelled, behind extension headers).
struct Places {
    list: Vec<Place>,
    elsewhere: Pred,
}

fn load(at: u32, f: &Field, cmp: Cmp, v: u128) -> Pred {
    test(Base::Abs(at), f, cmp, v).unwrap_or(Pred::False)
}

/// IPv4 at byte `at`: its own place, the three headers it may carry, and when the
/// packet may hold more (an ICMP error's quote; IP in IP; anything unread).
fn ipv4_places(at: u32, there: Pred, list: &mut Vec<Place>) -> Pred {
    let first_piece = and(there.clone(), load(at, &ipv4::FRAG_OFFSET, Cmp::Eq, 0));
    let ihl_ok = load(at, &ipv4::HDR_LEN, Cmp::Ge, 5);
    let past = Base::PastIhl { ihl: at, at };
    list.push(Place {
        proto: &ipv4::IPV4,
        at: Base::Abs(at),
        there,
        placed: Pred::True,
        covered: |_, _| Pred::True,
    });
    fn covered(n: u32, at: Base) -> Pred {
        match at {
            Base::PastIhl { ihl, .. } => Pred::Test(Test::Covers {
                len: ihl + 2,
                ihl,
                more: n,
            }),
            Base::Abs(_) => Pred::False,
        }
    }
    for (p, n) in [(&icmp::ICMP, 1), (&tcp::TCP, 6), (&udp::UDP, 17)] {
        list.push(Place {
            proto: p,
            at: past,
            there: and(first_piece.clone(), load(at, &ipv4::PROTO, Cmp::Eq, n)),
            placed: ihl_ok.clone(),
            covered,
        });
    }
    let error = one_of_at(past, &icmp::TYPE, &icmp::ERRORS);
    and(
        first_piece,
        or(
            not(one_of(at, &ipv4::PROTO, &[1, 6, 17])),
            and(load(at, &ipv4::PROTO, Cmp::Eq, 1), or(not(ihl_ok), error)),
        ),
    )
}

/// IPv6 at byte `at` with the headers it may carry right after it.
fn ipv6_places(at: u32, there: Pred, list: &mut Vec<Place>) -> Pred {
    list.push(Place {
        proto: &ipv6::IPV6,
        at: Base::Abs(at),
        there: there.clone(),
        placed: Pred::True,
        covered: |_, _| Pred::True,
    });
    fn covered(n: u32, at: Base) -> Pred {
        match at {
            // The payload length, 40 bytes before.
            Base::Abs(a) => load(a - 40, &ipv6::PLEN, Cmp::Ge, n as u128),
            Base::PastIhl { .. } => Pred::False,
        }
    }
    let nxt = |n| load(at, &ipv6::NXT, Cmp::Eq, n);
    for (p, n) in [(&icmpv6::ICMPV6, 58), (&tcp::TCP, 6), (&udp::UDP, 17)] {
        list.push(Place {
            proto: p,
            at: Base::Abs(at + 40),
            there: and(there.clone(), nxt(n)),
            placed: Pred::True,
            covered,
        });
    }
    // Extension headers, tunnels and ICMPv6 errors (their quote) may hold headers;
    // ICMPv6 messages of every type are counted in, to stay short.
    and(there, not(one_of(at, &ipv6::NXT, &[6, 17])))
}

fn places(start: Start) -> Places {
    let mut list = Vec::new();
    let elsewhere = match start {
        Start::Ipv4 => ipv4_places(0, Pred::True, &mut list),
        Start::Ethernet => {
            list.push(Place {
                proto: &eth::ETH,
                at: Base::Abs(0),
                there: Pred::True,
                placed: Pred::True,
                covered: |_, _| Pred::True,
            });
            let ty = |t| load(0, &eth::TYPE, Cmp::Eq, t);
            let v4 = ipv4_places(14, ty(0x0800), &mut list);
            let v6 = ipv6_places(14, ty(0x86dd), &mut list);
            list.push(Place {
                proto: &arp::ARP,
                at: Base::Abs(14),
                there: ty(0x0806),
                placed: Pred::True,
                covered: |_, _| Pred::True,
            });
            or(v4, v6)
        }
        Start::AfterIpv6(p) => {
            list.push(Place {
                proto: p,
                at: Base::Abs(0),
                there: Pred::True,
                placed: Pred::True,
                covered: |_, _| Pred::True,
            });
            if std::ptr::eq(p, &icmpv6::ICMPV6) {
                one_of(0, &icmpv6::TYPE, &icmpv6::ERRORS)
            } else if std::ptr::eq(p, &tcp::TCP) || std::ptr::eq(p, &udp::UDP) {
                // UDP carries DNS at most, which no place here reads.
                Pred::False
            } else {
                Pred::True
            }
        }
    };
    Places { list, elsewhere }
}

/// (surely passes, may pass) for a filter.
fn bounds(f: &Filter, places: &Places) -> (Pred, Pred) {
    match f {
        Filter::Not(g) => {
            let (lo, up) = bounds(g, places);
            (not(up), not(lo))
        }
        Filter::And(a, b) => {
            let ((la, ua), (lb, ub)) = (bounds(a, places), bounds(b, places));
            (and(la, lb), and(ua, ub))
        }
        Filter::Or(a, b) => {
            let ((la, ua), (lb, ub)) = (bounds(a, places), bounds(b, places));
            (or(la, lb), or(ua, ub))
        }
        Filter::Layer(p) => layer_bounds(p, places),
        Filter::Has(field) => field_bounds(field, None, places),
        Filter::Check(c) => field_bounds(c.field, Some((c.cmp, &c.value)), places),
    }
}

fn same(a: &Protocol, b: &Protocol) -> bool {
    std::ptr::eq(a, b)
}

fn layer_bounds(p: &Protocol, places: &Places) -> (Pred, Pred) {
    let mine: Vec<&Place> = places.list.iter().filter(|pl| same(pl.proto, p)).collect();
    if mine.is_empty() {
        // Carried by IP or Ethernet only, it can stand only where the packet may
        // hold headers elsewhere; carried by UDP (DNS), anywhere.
        let nested = !p.ids.is_empty() && p.ids.iter().all(|(r, _)| matches!(*r, "ip" | "eth"));
        return (
            Pred::False,
            if nested {
                places.elsewhere.clone()
            } else {
                Pred::True
            },
        );
    }
    // Surely there: the headers before say so, and the one before is whole.
    let lower = any(mine.iter().map(|pl| {
        all([
            pl.there.clone(),
            pl.placed.clone(),
            (pl.covered)(0, pl.at),
            Pred::Test(Test::Reaches(pl.at)),
        ])
    }));
    let upper = or(
        any(mine.iter().map(|pl| pl.there.clone())),
        places.elsewhere.clone(),
    );
    (lower, upper)
}

/// The protocol whose header holds a field (its fixed fields, options or entries).
fn owner(f: &Field) -> Option<&'static Protocol> {
    crate::wire::PROTOCOLS
        .iter()
        .copied()
        .find(|p| p.all_fields().any(|g| g == f) || p.item_fields().contains(&f))
}

fn field_bounds(f: &'static Field, check: Option<(Cmp, &Value)>, places: &Places) -> (Pred, Pred) {
    let mine: Vec<&Place> = places
        .list
        .iter()
        .filter(|pl| pl.proto.fields.contains(&f) && f.end_byte() <= pl.proto.fixed_len)
        .collect();
    // A field no place reads is where its layer may be.
    let unread = || match owner(f) {
        Some(p) => (Pred::False, layer_bounds(p, places).1),
        None => (Pred::False, Pred::True),
    };
    if mine.is_empty() {
        return unread();
    }
    let mut lower = Pred::False;
    let mut upper = places.elsewhere.clone();
    for pl in mine {
        let here = match check {
            None => Some(present(pl.at, f)),
            Some((cmp, v)) => field_is(pl.at, f, cmp, v),
        };
        let Some(here) = here else {
            return unread();
        };
        let covered = (pl.covered)(f.end_byte() as u32, pl.at);
        lower = or(
            lower,
            all([pl.there.clone(), pl.placed.clone(), covered, here.clone()]),
        );
        upper = or(
            upper,
            and(pl.there.clone(), or(not(pl.placed.clone()), here)),
        );
    }
    (lower, upper)
}

/// Where a jump goes: the next instruction, or a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Next,
    Label(usize),
}

#[derive(Default)]
struct Emit {
    code: Vec<(u16, u32, Target, Target)>,
    /// Each label's instruction.
    labels: Vec<usize>,
}

impl Emit {
    fn label(&mut self) -> usize {
        self.labels.push(usize::MAX);
        self.labels.len() - 1
    }

    fn place(&mut self, l: usize) {
        self.labels[l] = self.code.len();
    }

    fn push(&mut self, code: u16, k: u32, jt: Target, jf: Target) {
        self.code.push((code, k, jt, jf));
    }

    /// Jumps to `t` when `p` holds, to `f` when not.
    fn pred(&mut self, p: &Pred, t: usize, f: usize) {
        match p {
            Pred::True => self.push(op::JA, 0, Target::Label(t), Target::Next),
            Pred::False => self.push(op::JA, 0, Target::Label(f), Target::Next),
            Pred::Not(q) => self.pred(q, f, t),
            Pred::And(a, b) => {
                let mid = self.label();
                self.pred(a, mid, f);
                self.place(mid);
                self.pred(b, t, f);
            }
            Pred::Or(a, b) => {
                let mid = self.label();
                self.pred(a, t, mid);
                self.place(mid);
                self.pred(b, t, f);
            }
            Pred::Test(x) => self.test(x, t, f),
        }
    }

    /// A = bytes left past X + `at`; to `f` when there are fewer than `need`.
    fn past_ihl(&mut self, ihl: u32, need: u32, f: usize) {
        let (next, no) = (Target::Next, Target::Label(f));
        self.push(op::LD_LEN, 0, next, next);
        self.push(op::JGE_K, ihl + 1, next, no);
        self.push(op::LDX_MSH, ihl, next, next);
        self.push(op::LD_LEN, 0, next, next);
        self.push(op::JGE_X, 0, next, no);
        self.push(op::SUB_X, 0, next, next);
        self.push(op::JGE_K, need, next, no);
    }

    fn test(&mut self, x: &Test, t: usize, f: usize) {
        let (next, yes, no) = (Target::Next, Target::Label(t), Target::Label(f));
        match *x {
            Test::Reaches(Base::Abs(n)) => {
                self.push(op::LD_LEN, 0, next, next);
                self.push(op::JGE_K, n, yes, no);
            }
            Test::Reaches(Base::PastIhl { ihl, at }) => {
                self.past_ihl(ihl, at, f);
                self.push(op::JA, 0, yes, next);
            }
            Test::Covers { len, ihl, more } => {
                self.past_ihl(ihl, 0, f);
                self.push(op::LD_LEN, 0, next, next);
                self.push(op::JGE_K, len + 2, next, no);
                self.push(op::LD_H_ABS, len, next, next);
                self.push(op::JGE_X, 0, next, no);
                self.push(op::SUB_X, 0, next, next);
                self.push(op::JGE_K, more, yes, no);
            }
            Test::Load {
                at,
                size,
                shift,
                mask,
                cmp,
                value,
            } => {
                self.read(at, size, shift, mask, f);
                let (code, jt, jf) = match cmp {
                    Cmp::Eq => (op::JEQ_K, yes, no),
                    Cmp::Ne => (op::JEQ_K, no, yes),
                    Cmp::Gt => (op::JGT_K, yes, no),
                    Cmp::Ge => (op::JGE_K, yes, no),
                    Cmp::Lt => (op::JGE_K, no, yes),
                    Cmp::Le => (op::JGT_K, no, yes),
                };
                self.push(code, value, jt, jf);
            }
            Test::OneOf {
                at,
                size,
                shift,
                mask,
                ref values,
            } => {
                self.read(at, size, shift, mask, f);
                for (i, v) in values.iter().enumerate() {
                    let last = i + 1 == values.len();
                    self.push(op::JEQ_K, *v, yes, if last { no } else { next });
                }
                if values.is_empty() {
                    self.push(op::JA, 0, no, next);
                }
            }
        }
    }

    /// A = the value at `at`, shifted and masked; to `f` when the bytes stop short.
    fn read(&mut self, at: Base, size: u32, shift: u32, mask: u32, f: usize) {
        let (next, no) = (Target::Next, Target::Label(f));
        let (abs, ind) = match size {
            1 => (op::LD_B_ABS, op::LD_B_IND),
            2 => (op::LD_H_ABS, op::LD_H_IND),
            _ => (op::LD_W_ABS, op::LD_W_IND),
        };
        match at {
            Base::Abs(a) => {
                self.push(op::LD_LEN, 0, next, next);
                self.push(op::JGE_K, a + size, next, no);
                self.push(abs, a, next, next);
            }
            Base::PastIhl { ihl, at } => {
                self.past_ihl(ihl, at + size, f);
                self.push(ind, at, next, next);
            }
        }
        if shift > 0 {
            self.push(op::RSH_K, shift, next, next);
        }
        let full = if size == 4 {
            u32::MAX
        } else {
            (1u32 << (size * 8)) - 1
        };
        if mask != full >> shift {
            self.push(op::AND_K, mask, next, next);
        }
    }

    /// The instructions with every jump counted out; Err when one jumps too far.
    fn resolve(self) -> Result<Vec<Insn>, String> {
        let mut out = Vec::with_capacity(self.code.len());
        for (i, &(code, k, jt, jf)) in self.code.iter().enumerate() {
            let dist = |t: Target| -> Result<u32, String> {
                match t {
                    Target::Next => Ok(0),
                    Target::Label(l) => Ok((self.labels[l] - (i + 1)) as u32),
                }
            };
            if code == op::JA {
                // ja: k is the distance.
                out.push(Insn {
                    code,
                    jt: 0,
                    jf: 0,
                    k: dist(jt)?,
                });
                continue;
            }
            let (t, f) = (dist(jt)?, dist(jf)?);
            if t > 255 || f > 255 {
                return Err("its jumps are too long for classic BPF".into());
            }
            out.push(Insn {
                code,
                jt: t as u8,
                jf: f as u8,
                k,
            });
        }
        Ok(out)
    }
}
