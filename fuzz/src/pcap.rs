//! The capture-file reader (pcap and pcapng, as `rawlab read -` takes them from a
//! pipe): every packet it hands over is related to those before it, taken apart after
//! its link header and the dissection audited, and the first few drawn as `rawlab
//! read` draws them, as text and as a JSON line.
use rawlab::capture::pcap::{Reader, link};
use rawlab::front::read;
use rawlab::render::{Dump, Style};
use std::io::Cursor;

/// More records than any input this size can hold; a bound all the same.
const MAX_RECORDS: usize = 100_000;
/// Records drawn in full (text in colour, JSON); those after are read and dissected
/// only, so a file of many packets fuzzes the reader rather than the renderer again.
const DRAWN: usize = 8;

/// One input of the `pcap` target.
pub fn run(data: &[u8]) {
    let mut reader = match Reader::new(Cursor::new(data)) {
        Ok(r) => r,
        Err(e) => {
            let _ = (e.to_string(), e.hint);
            return;
        }
    };
    let _ = reader.format().to_string();
    let mut relating = read::Relating::new(std::path::Path::new("-"));
    for i in 0..MAX_RECORDS {
        let next = reader.next_record();
        for (_, iface) in reader.new_interfaces() {
            let _ = iface.words();
        }
        let rec = match next {
            None => break,
            Some(Err(e)) => {
                let _ = (e.to_string(), e.hint);
                break;
            }
            Some(Ok(rec)) => rec,
        };
        let item = relating.relate(rec, reader.interfaces().len());
        let _ = read::heading(&item);
        let decap = link::decap(item.link(), item.frame());
        let dump = Dump::frame(String::new(), item.frame(), decap.first, decap.header);
        crate::audit(&dump);
        if i < DRAWN {
            let mut text = String::new();
            read::text(
                &mut text,
                &item,
                &Style {
                    color: true,
                    fit: false,
                },
            );
            let mut out = Vec::new();
            read::json_line(&mut out, &item).unwrap();
        }
    }
}
