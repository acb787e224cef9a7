//! A related record drawn as `read` shows it: the annotated dump (text), one line
//! (brief), or one line of JSON.

use super::Item;
use crate::lab::words::annotate;
use crate::render::clock;
use crate::render::json;
use crate::render::{self, Dump, Style, Tone};
use crate::wire::cooked;
use crate::wire::push_dec;
use std::io::{self};

/// The heading of a packet read from a file: number, absolute time, length, link type.
pub fn heading(item: &Item) -> String {
    let (rec, len) = (&item.rec, item.frame().len());
    let mut h = String::with_capacity(80);
    h.push('#');
    push_dec(&mut h, u128::from(rec.no));
    h.push_str(" · ");
    clock::write_utc(&mut h, rec.time, rec.digits);
    h.push_str(" · ");
    push_dec(&mut h, len as u128);
    if len as u64 != u64::from(rec.orig_len) {
        h.push_str(" of ");
        push_dec(&mut h, u128::from(rec.orig_len));
        h.push_str(" bytes captured · ");
    } else {
        h.push_str(" bytes · ");
    }
    h.push_str(rec.link.title());
    if let Some(i) = rec.interface.filter(|_| item.interfaces > 1) {
        h.push_str(" on interface ");
        push_dec(&mut h, u128::from(i));
    }
    if let Some(w) = &item.whence {
        h.push_str(" · ");
        h.push_str(w);
    }
    h
}

/// The annotated dump of one packet read from a file, appended to `out`.
pub fn text(out: &mut String, item: &Item, style: &Style) {
    let (rec, frame, decap) = (&item.rec, item.frame(), &item.decap);
    let mut d = Dump::frame(heading(item), frame, decap.first, decap.header.clone());
    if (frame.len() as u64) < u64::from(rec.orig_len) {
        d.notes.push((
            format!(
                "the capture kept the first {} of the packet's {} bytes (its snapshot length); a length that reaches past them is reported as malformed",
                frame.len(),
                rec.orig_len
            ),
            Tone::Dim,
        ));
    }
    if let Some(note) = &decap.note {
        d.notes.push((note.clone(), Tone::Dim));
    }
    if let Some(note) = rec.time_note {
        d.notes.push((note.to_string(), Tone::Note));
    }
    let time_of = |no| item.times.iter().find(|(n, _)| *n == no).map(|(_, t)| *t);
    for r in &item.relations {
        annotate(&mut d, r, rec.time, None, item.start(), &time_of);
    }
    match &item.shared {
        Some((_, dis)) => render::draw_dissected(out, &d, dis, style),
        None => render::draw(out, &d, style),
    }
}

/// One packet in one line, as tcpdump's default prints it: number, time, what it is
/// (each layer's summary), and what it is to the packets before it.
pub fn brief_line(out: &mut String, item: &Item, style: &Style) {
    let (rec, frame) = (&item.rec, item.frame());
    let mut line = String::with_capacity(120);
    line.push('#');
    push_dec(&mut line, u128::from(rec.no));
    line.push(' ');
    clock::write_utc(&mut line, rec.time, rec.digits);
    line.push(' ');
    let summary = match (&item.shared, item.decap.first) {
        (Some((_, dis)), _) => dis.summary(frame),
        (None, Some(first)) => {
            crate::wire::dissect::dissect_from(frame, item.start(), first).summary(frame)
        }
        (None, None) => format!(
            "{} bytes of {}: no layer rawlab reads",
            frame.len(),
            rec.link.title()
        ),
    };
    line.push_str(&summary);
    for r in &item.relations {
        line.push_str(&crate::lab::words::relation_brief(r));
    }
    out.push_str(&style.paint(&line, Tone::Plain));
    out.push('\n');
}

/// One packet as one line of JSON (docs/json.md), appended to `out`.
pub fn json_line(out: &mut Vec<u8>, item: &Item) -> io::Result<()> {
    let (rec, frame, decap) = (&item.rec, item.frame(), &item.decap);
    let mut m = json::Obj::new(out);
    m.num("rawlab_json", u64::from(json::VERSION));
    m.num("number", rec.no);
    m.str("timestamp", &clock::rfc3339(rec.time, rec.digits));
    m.str("time_epoch", &clock::epoch(rec.time, rec.digits));
    m.num("captured_length", frame.len() as u64);
    m.num("original_length", u64::from(rec.orig_len));
    m.num("linktype", u64::from(rec.link.0));
    m.str_or_null("linktype_name", rec.link.name());
    if let Some(i) = rec.interface {
        m.num("interface", u64::from(i));
        m.str_or_null("interface_name", rec.interface_name.as_deref());
    }
    // Which way it went, where the file says: a pcapng record's flags, else a Linux
    // cooked header's packet type.
    let direction = rec.direction().or_else(|| {
        decap
            .header
            .as_ref()
            .and_then(|h| h.packet_type)
            .and_then(cooked::direction)
    });
    m.str_or_null("direction", direction);
    match &decap.header {
        Some(h) => {
            let end = h.len.min(frame.len());
            let mut l = json::Obj::new(m.key("link"));
            l.str("protocol", h.protocol);
            l.str("title", &h.title);
            l.num("length", end as u64);
            l.hex_or_null("header", &frame[..end]);
            l.str("summary", &h.words);
            json::link_fields(l.key("fields"), frame, h);
            l.str_or_null(
                "packet_type",
                h.packet_type.and_then(cooked::packet_type_name),
            );
            l.end();
        }
        None => m.key("link").extend_from_slice(b"null"),
    }
    match &item.shared {
        Some((_, dis)) => json::write_dissection(&mut m, frame, dis),
        None => {
            let d = Dump::frame(String::new(), frame, decap.first, decap.header.clone());
            json::write_dissection(&mut m, frame, &render::dissection(&d));
        }
    }
    if let Some(note) = &decap.note {
        m.str("note", note);
    }
    if let Some(note) = rec.time_note {
        m.str("time_note", note);
    }
    for (k, v) in crate::lab::words::relations_json(&item.relations) {
        m.value(&k, &v);
    }
    m.end();
    out.push(b'\n');
    Ok(())
}
