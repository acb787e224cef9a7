//! The commands about captured packets and files: `dump`, `why`, `diff`, `save`,
//! `load` and `explain`.

use super::*;

/// `dump N`, `why N`: one packet number.
fn packet(args: &mut Args, example: &str) -> Result<u64, ParseError> {
    parse_packet_no(args.next(&format!(
        "a packet number, such as {example} (see `captures`)"
    ))?)
}

pub(in crate::command) fn dump(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    Ok(Command::Dump(packet(args, "2")?))
}

pub(in crate::command) fn why(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    Ok(Command::Why(packet(args, "1")?))
}

pub(in crate::command) fn diff(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let a = parse_packet_no(args.next("two packet numbers, such as 2 3")?)?;
    let b = parse_packet_no(args.next("a second packet number")?)?;
    Ok(Command::Diff(a, b))
}

pub(in crate::command) fn save(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    if args.tokens.is_empty() {
        // Named as typed: `save!` or `save`.
        return Err(ParseError::new(
            args.end..args.end + 1,
            format!("`{}` needs a file name, such as ping.pcap", args.word.text),
        )
        .expected(format!(
            "{} (for example: {})",
            args.info.syntax, args.info.example
        )));
    }
    let path = parse_path(args.next("a file name, such as ping.pcap")?)?;
    let mut packets = Vec::new();
    while let Some(t) = args.pos_next() {
        packets.push(parse_packet_range(t)?);
    }
    Ok(Command::Save {
        path,
        force: args.word.text.ends_with('!'),
        packets,
    })
}

pub(in crate::command) fn save_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    if done.is_empty() {
        vec![Offer::Path(
            "FILE [N | A-B …] (.pcap or .pcapng; an existing FILE is kept: save! overwrites)",
        )]
    } else {
        vec![Offer::Note(
            "[N | A-B …] (packets from `captures`; all when none are named)",
        )]
    }
}

pub(in crate::command) fn load(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let t = args.next("the name of a pcap or pcapng file, such as ping.pcap")?;
    Ok(Command::Load(parse_path(t)?))
}

pub(in crate::command) fn load_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    if done.is_empty() {
        vec![Offer::Path(
            "FILE (a .pcap or .pcapng file; Tab completes names)",
        )]
    } else {
        Vec::new()
    }
}

pub(in crate::command) fn explain(args: &mut Args, ctx: &Context) -> Result<Command, ParseError> {
    let t = args.next("a field name, such as ttl or icmp.checksum")?;
    if let Some((_, _, n)) = wire::named_option(&t.text, wire::PROTOCOLS) {
        return Ok(Command::Explain(n.field));
    }
    if t.text
        .get(..QUOTED.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(QUOTED))
    {
        // The same words `set quoted.FIELD` takes, and the same errors.
        return Ok(Command::ExplainQuoted(target(t, ctx)?.0));
    }
    Ok(Command::Explain(any_field(t, ctx)?))
}

/// A field of any protocol, in the template or not.
pub(in crate::command) fn any_field(
    t: &Token,
    ctx: &Context,
) -> Result<&'static Field, ParseError> {
    match wire::resolve(&t.text, ctx.stack) {
        // Any field a table declares: one of another protocol, or one inside options
        // or records (dns.qry.name), which is shown and explained though set as bytes.
        Err(Lookup::NotInStack { field } | Lookup::InTail { field, .. }) => Ok(field),
        _ => resolve_field(t, ctx),
    }
}

pub(in crate::command) fn explain_offers(done: &[&str], ctx: &Context) -> Vec<Offer> {
    field_first(done, ctx, true)
}
