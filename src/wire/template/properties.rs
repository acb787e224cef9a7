//! Every stack rawlab builds, through `Template::set` and back through the dissector:
//! one property per protocol table.

use super::*;
use crate::wire::dissect::{Dissection, dissect};
use crate::wire::{Verdict, icmpv6, ipv6, tcp, udp};
use proptest::prelude::*;

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH
}

/// Fields a user sets by hand (or leaves for the kernel): everything but groups,
/// bytes and what rawlab computes.
fn settable(stack: &[&'static Protocol]) -> Vec<&'static Field> {
    let mut v: Vec<&'static Field> = Vec::new();
    for f in stack.iter().flat_map(|p| p.all_fields()) {
        if !f.group && f.kind != Kind::Bytes && f.fill != Fill::Computed && !v.contains(&f) {
            v.push(f);
        }
    }
    v
}

/// Every checksum rawlab computed (not set, not left to the kernel) verifies, in every
/// layer the dissector can vouch for.
fn computed_checksums_verify(t: &Template, b: &[u8], d: &Dissection) {
    for (i, l) in d.layers.iter().enumerate() {
        if !l.quoted && d.verifiable(i) {
            layer_checksums_verify(t, b, d, i);
        }
    }
}

/// Every checksum rawlab computed in layer `i` verifies.
fn layer_checksums_verify(t: &Template, b: &[u8], d: &Dissection, i: usize) {
    let l = &d.layers[i];
    for e in (l.proto.expected)(&d.scope(i, b)) {
        if e.field.fill == Fill::Computed && !t.is_set(e.field) {
            let raw = l.get(b, e.field);
            assert_eq!(
                e.verdict(raw),
                Verdict::Correct,
                "{} is {raw:#x}, the bytes add up to {:#x}",
                e.field.name,
                e.want
            );
        }
    }
}

/// A template of `stack` with the picked fields set (each value cut to its field's
/// width; a later pick of a field replaces an earlier one) and `payload`, and what
/// each set field should read back as.
fn template_with(
    stack: &[&'static Protocol],
    picks: &[(usize, u128)],
    payload: &[u8],
) -> (Template, Vec<(&'static Field, u128)>) {
    let fields = settable(stack);
    let mut t = Template::new(stack);
    t.payload = Payload::Bytes(payload.to_vec());
    let mut want: Vec<(&'static Field, u128)> = Vec::new();
    for &(i, v) in picks {
        let f = fields[i % fields.len()];
        let v = v & f.max_raw();
        t.set(f, Value::Raw(v)).unwrap();
        want.retain(|(g, _)| g != &f);
        want.push((f, v));
    }
    (t, want)
}

/// Sets random values (each fitting its field) and a random payload; every field the
/// dissector finds again holds what was set, and computed checksums verify.
fn round_trip(stack: &[&'static Protocol], picks: &[(usize, u128)], payload: &[u8]) {
    let (t, want) = template_with(stack, picks, payload);
    let b = t.build(now()).bytes;
    let d = dissect(&b, stack[0]);
    for (f, v) in &want {
        // A field the bytes now lay out elsewhere (a later fragment carries no header;
        // another type has other fields) is not there to read back.
        let Some(l) = d
            .layers
            .iter()
            .find(|l| l.proto.all_fields().any(|g| g == *f))
        else {
            continue;
        };
        if l.fields(&b).any(|g| g == *f) && !l.quoted {
            assert_eq!(l.get(&b, f), *v, "{} in {:02x?}", f.name, b);
        }
    }
    computed_checksums_verify(&t, &b, &d);
}

fn picks() -> impl Strategy<Value = Vec<(usize, u128)>> {
    prop::collection::vec((any::<usize>(), any::<u128>()), 0..12)
}

fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..48)
}

/// Every stack `new` offers, as protocols.
fn all_stacks() -> Vec<Vec<&'static Protocol>> {
    crate::wire::stacks()
        .iter()
        .map(|s| {
            s.split('/')
                .map(|n| crate::wire::protocol_named(n).unwrap())
                .collect()
        })
        .collect()
}

/// Any stack, any fields set by hand (each value fitting its field), any options of
/// whole units, any payload: what was set reads back from the layer built at that
/// place, the options' bytes come back, and everything rawlab computed verifies:
/// checksums are correct, header lengths cover the header built, and lengths that
/// reach to the end of the packet do.
fn any_stack_round_trip(
    stack: &[&'static Protocol],
    picks: &[(usize, u128)],
    tails: &[(usize, Vec<u8>)],
    payload: &[u8],
) {
    let (mut t, want) = template_with(stack, picks, payload);
    // `set` writes into the first layer of a protocol (a second destination options
    // header keeps its default).
    let with_tail: Vec<usize> = (0..stack.len())
        .filter(|i| stack[*i].tail.is_some() && !stack[..*i].contains(&stack[*i]))
        .collect();
    let mut set_tails: Vec<(usize, Vec<u8>)> = Vec::new();
    for (pick, bytes) in tails {
        let Some(&i) = with_tail.get(pick % with_tail.len().max(1)) else {
            break;
        };
        let spec = stack[i].tail.unwrap();
        let fixed = t.header(i, None).len();
        let n = (fixed + bytes.len().min(spec.max_header - fixed)) / spec.unit * spec.unit;
        let Some(n) = n.checked_sub(fixed) else {
            continue;
        };
        t.set(spec.field, Value::Bytes(bytes[..n].to_vec()))
            .unwrap();
        set_tails.retain(|(j, _)| *j != i);
        set_tails.push((i, bytes[..n].to_vec()));
    }
    let built = t.build(now());
    let b = &built.bytes;
    let d = dissect(b, stack[0]);
    d.audit(b, 0).unwrap();
    // The dissected layer that stands for template layer i: same protocol, same place.
    let found = |i: usize| {
        let (p, start, _) = built.layers[i];
        d.layers
            .iter()
            .position(|l| l.proto == p && l.start == start && !l.quoted)
    };
    for (f, v) in &want {
        let i = stack
            .iter()
            .position(|p| p.all_fields().any(|g| g == *f))
            .unwrap();
        let Some(k) = found(i) else { continue };
        let l = &d.layers[k];
        if l.fields(b).any(|g| g == *f) {
            assert_eq!(l.get(b, f), *v, "{} in {:02x?}", f.name, b);
        }
    }
    for (i, bytes) in &set_tails {
        let Some(k) = found(*i) else { continue };
        let l = &d.layers[k];
        // A tail some types give meaning to (an ICMP router advertisement's entries) is
        // data under any other type.
        let (_, start, hdr_len) = built.layers[*i];
        if l.hdr_end == start + hdr_len {
            let got = &b[l.fixed_end..l.hdr_end];
            assert_eq!(got, &bytes[..], "{} options", l.proto.name);
        }
    }
    for (i, &(p, start, hdr_len)) in built.layers.iter().enumerate() {
        let Some(k) = found(i) else { continue };
        let l = &d.layers[k];
        if p.len_field.is_some_and(|f| f.fill == Fill::Computed) {
            assert_eq!(l.hdr_end, start + hdr_len, "{}'s header length", p.name);
        }
        if let Some((claim, f)) = (p.claimed_len)(&b[start..])
            && f.fill == Fill::Computed
        {
            assert_eq!(start + claim, b.len(), "{} reaches the end", f.name);
        }
    }
    // Checksums of the layers rawlab built (the payload after a last `ip` may read as
    // the ICMP its protocol field names, with no checksum rawlab computed).
    for i in 0..built.layers.len() {
        if let Some(k) = found(i).filter(|k| d.verifiable(*k)) {
            layer_checksums_verify(&t, b, &d, k);
        }
    }
}

fn tails() -> impl Strategy<Value = Vec<(usize, Vec<u8>)>> {
    prop::collection::vec(
        (any::<usize>(), prop::collection::vec(any::<u8>(), 0..64)),
        0..3,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every stack `new` offers, Ethernet and ARP among them, with options.
    #[test]
    fn every_stack(which in any::<usize>(), p in picks(), t in tails(), d in payload()) {
        let stacks = all_stacks();
        any_stack_round_trip(&stacks[which % stacks.len()], &p, &t, &d);
    }

    #[test]
    fn ethernet_and_arp(p in picks(), t in tails(), d in payload()) {
        use crate::wire::arp;
        any_stack_round_trip(&[&eth::ETH, &arp::ARP], &p, &t, &d);
        any_stack_round_trip(&[&eth::ETH, &ipv4::IPV4, &icmp::ICMP], &p, &t, &d);
        any_stack_round_trip(&[&eth::ETH, &ipv6::IPV6, &ipv6::ROUTING, &icmpv6::ICMPV6], &p, &t, &d);
    }

    #[test]
    fn ipv4_and_icmp(p in picks(), d in payload()) {
        round_trip(&[&ipv4::IPV4, &icmp::ICMP], &p, &d);
    }

    #[test]
    fn tcp(p in picks(), d in payload()) {
        round_trip(&[&ipv4::IPV4, &tcp::TCP], &p, &d);
        round_trip(&[&ipv6::IPV6, &tcp::TCP], &p, &d);
    }

    #[test]
    fn udp(p in picks(), d in payload()) {
        round_trip(&[&ipv4::IPV4, &udp::UDP], &p, &d);
        round_trip(&[&ipv6::IPV6, &udp::UDP], &p, &d);
    }

    #[test]
    fn ipv6_and_icmpv6(p in picks(), d in payload()) {
        round_trip(&[&ipv6::IPV6, &icmpv6::ICMPV6], &p, &d);
    }

    #[test]
    fn ipv6_extension_headers(p in picks(), d in payload()) {
        round_trip(
            &[&ipv6::IPV6, &ipv6::HOPOPTS, &ipv6::ROUTING, &ipv6::FRAGMENT, &ipv6::DSTOPTS, &udp::UDP],
            &p,
            &d,
        );
    }

    /// A computed field the user sets is written as given, never fixed.
    #[test]
    fn computed_fields_keep_what_the_user_set(i in any::<usize>(), v in any::<u128>()) {
        let stacks: [&[&'static Protocol]; 4] = [
            &[&ipv4::IPV4, &tcp::TCP],
            &[&ipv4::IPV4, &udp::UDP],
            &[&ipv6::IPV6, &ipv6::HOPOPTS, &icmpv6::ICMPV6],
            &[&ipv4::IPV4, &icmp::ICMP],
        ];
        for stack in stacks {
            let computed: Vec<&'static Field> = stack
                .iter()
                .flat_map(|p| p.all_fields())
                .filter(|f| f.fill == Fill::Computed && !f.group)
                .collect();
            let f = computed[i % computed.len()];
            let v = v & f.max_raw();
            let mut t = Template::new(stack);
            t.set(f, Value::Raw(v)).unwrap();
            let built = t.build(now());
            let (p, at, _) = *built.layers.iter().find(|(p, _, _)| p.all_fields().any(|g| g == f)).unwrap();
            // A variant's field is written only when the type makes room for it.
            if p.fields_of(&built.bytes[at..]).any(|g| g == f) {
                prop_assert_eq!(f.get(&built.bytes[at..]), v, "{}", f.name);
            }
        }
    }

    /// Options set as bytes come back as the same bytes, the header length grown to
    /// cover them.
    #[test]
    fn tails_read_back(words in 0usize..=10, seed in any::<u64>()) {
        let bytes = |n: usize| -> Vec<u8> {
            (0..n).map(|i| (seed.rotate_left(i as u32 * 7) as u8) | 1).collect()
        };
        for (stack, field, len) in [
            (&[&ipv4::IPV4, &udp::UDP][..], &ipv4::OPTIONS, words * 4),
            (&[&ipv4::IPV4, &tcp::TCP][..], &tcp::OPTIONS, words * 4),
            (&[&ipv6::IPV6, &ipv6::HOPOPTS, &udp::UDP][..], &ipv6::HOP_OPTIONS, 6 + words * 8),
        ] {
            let mut t = Template::new(stack);
            let opts = bytes(len);
            t.set(field, Value::Bytes(opts.clone())).unwrap();
            let b = t.build(now()).bytes;
            let d = dissect(&b, stack[0]);
            let l = d.layer_of(field).unwrap();
            let (_, r) = l.tail().unwrap_or((field, l.hdr_end..l.hdr_end));
            prop_assert_eq!(&b[r], &opts[..]);
            prop_assert_eq!(d.layers.len(), stack.len(), "{:?}", d.problems);
            computed_checksums_verify(&t, &b, &d);
        }
    }
}
