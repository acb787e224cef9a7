//! What must hold of any dissection, whatever the bytes (for tests and fuzzing).

use super::*;

impl Dissection {
    /// Checks what must hold of any dissection, whatever the bytes: layers in order
    /// inside the packet, items and their fields inside their layer's header, payload
    /// and trailer in bounds, every problem at a byte that is there (or just past the
    /// end, where something was missing), and every byte from `start` (after a link
    /// header) shown by some field, the data, the trailer, or an unparsed span. For the
    /// tests and the fuzz targets; says what is wrong rather than panicking.
    pub fn audit(&self, packet: &[u8], start: usize) -> Result<(), String> {
        let len = packet.len();
        let mut covered = vec![false; len];
        let mut cover = |r: &Range<usize>, what: &dyn std::fmt::Debug| {
            if r.start > r.end || r.end > len {
                return Err(format!("{what:?}: span {r:?} outside {len} bytes"));
            }
            for c in &mut covered[r.clone()] {
                *c = true;
            }
            Ok(())
        };
        let mut at = start.min(len);
        for l in &self.layers {
            let ok = l.start >= at
                && l.start <= l.hdr_end
                && l.hdr_end <= len
                && l.fixed_end >= l.start
                && l.fixed_end <= l.hdr_end
                && l.end <= len
                && l.end >= l.hdr_end.min(l.end);
            if !ok {
                return Err(format!(
                    "{} layer out of order or bounds: start {} fixed_end {} hdr_end {} end {} after {at} in {len} bytes",
                    l.proto.name, l.start, l.fixed_end, l.hdr_end, l.end
                ));
            }
            for i in &l.items {
                if i.span.start < l.start || i.span.end > l.hdr_end || i.span.start > i.span.end {
                    return Err(format!(
                        "{} item {:?} outside its header",
                        l.proto.name, i.span
                    ));
                }
                for p in &i.fields {
                    if p.span.start < i.span.start
                        || p.span.end > i.span.end
                        || p.base > p.span.start
                    {
                        return Err(format!("{} outside its item {:?}", p.field.name, i.span));
                    }
                }
            }
            for p in l.placed(packet) {
                cover(&p.span, &p.field.name)?;
                // Reading the value must stay inside the bytes.
                let _ = p.get(packet);
            }
            at = l.hdr_end;
        }
        if self.payload.start < at.min(self.payload.end) && !self.layers.is_empty() {
            return Err(format!(
                "payload {:?} starts inside a header ending at {at}",
                self.payload
            ));
        }
        cover(&self.payload, &"payload")?;
        cover(&self.trailer, &"trailer")?;
        for p in &self.problems {
            if p.offset > len {
                return Err(format!("problem past the end: {p:?}"));
            }
        }
        match covered.iter().skip(start).position(|c| !c) {
            Some(i) => Err(format!(
                "byte {} is shown by no field, data, trailer or unparsed span",
                start + i
            )),
            None => Ok(()),
        }
    }
}
