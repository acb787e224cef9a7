//! What rawlab writes about each packet into a pcapng file besides its bytes, and reads
//! back: the interface it was on (or that it is a sendto copy, which never went on the
//! wire), its direction in the enhanced packet block's flags, a comment in words, and
//! a note in JSON from which `read` and `load` rebuild where it came from, so that the
//! relations (copies, replies, what the kernel changed) come out as they did live.
//! The format is described in docs/pcapng.md.

use super::LinkType;
use crate::capture::{Origin, Packet};
use crate::net::Mode;
use crate::net::link::{LinkSeen, PACKET_OUTGOING};
use serde_json::{Map, Value, json};
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

/// The key that marks a comment as rawlab's note, and its version.
pub const NOTE_KEY: &str = "rawlab_note";
pub const NOTE_VERSION: u64 = 1;

/// The name of the interface that holds the sendto copies: what rawlab handed the
/// kernel, which is not what went on the wire (the kernel fills in and rewrites).
pub const SENDTO_IFACE: &str = "rawlab-sendto";
const SENDTO_DESCRIPTION: &str = "not a capture: each packet here is what rawlab handed to sendto(2), before the kernel filled in and rewrote its header; the packets on the other interfaces are what went on the wire";

/// A pcapng interface: where its packets were seen, as rawlab knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NgIface {
    pub name: String,
    pub description: Option<String>,
    pub link: LinkType,
}

/// The interface a packet of link type `link` is written on.
pub fn iface_of(p: &Packet, link: LinkType) -> NgIface {
    let (name, description) = match &p.origin {
        Origin::Sent { .. } => (SENDTO_IFACE.to_string(), Some(SENDTO_DESCRIPTION.into())),
        Origin::Captured {
            link: Some(seen), ..
        } => (seen.iface.to_string(), None),
        Origin::Captured {
            iface: Some(i),
            socket,
            ..
        } => (
            i.to_string(),
            Some(format!(
                "{i} as a {socket} read it: IP packets, without the frames around them"
            )),
        ),
        Origin::Captured { socket, .. } => (
            socket.to_string(),
            Some(format!(
                "a {socket}, which did not say which interface each packet came in on"
            )),
        ),
        Origin::File { path, .. } => (
            format!("from {}", file_name(path)),
            Some(format!("packets loaded from {}", path.display())),
        ),
    };
    NgIface {
        name,
        description,
        link,
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    )
}

/// The enhanced packet block's flags word (pcapng, section 4.3.1): bits 0–1 say
/// inbound (1) or outbound (2), bits 2–4 the reception type (1 unicast, 2 multicast,
/// 3 broadcast, 4 promiscuous). None when rawlab does not know.
pub fn flags_of(p: &Packet) -> Option<u32> {
    const INBOUND: u32 = 1;
    const OUTBOUND: u32 = 2;
    match &p.origin {
        Origin::Sent { .. } => Some(OUTBOUND),
        Origin::Captured {
            link: Some(seen), ..
        } => Some(match seen.pkttype {
            PACKET_OUTGOING => OUTBOUND,
            0 => INBOUND | 1 << 2,
            1 => INBOUND | 3 << 2,
            2 => INBOUND | 2 << 2,
            3 => INBOUND | 4 << 2,
            _ => INBOUND,
        }),
        // A raw IP socket is handed packets on their way in.
        Origin::Captured { .. } => Some(INBOUND),
        Origin::File { .. } => None,
    }
}

/// The note for `p`: one line of JSON.
pub fn note(p: &Packet) -> String {
    let mut m = Map::new();
    m.insert(NOTE_KEY.into(), json!(NOTE_VERSION));
    m.insert("no".into(), json!(p.no));
    match &p.origin {
        Origin::Sent {
            mode,
            handed_from,
            dst,
            iface,
            proto,
        } => {
            m.insert("from".into(), json!("sent"));
            m.insert("mode".into(), json!(mode.name()));
            m.insert("proto".into(), json!(proto));
            m.insert("handed_from".into(), json!(handed_from));
            m.insert("dst".into(), json!(dst.to_string()));
            if let Some(i) = iface {
                m.insert("iface".into(), json!(i));
            }
        }
        Origin::Captured {
            socket,
            link,
            iface,
        } => {
            m.insert("from".into(), json!("captured"));
            m.insert("socket".into(), json!(&**socket));
            if let Some(i) = iface {
                m.insert("iface".into(), json!(&**i));
            }
            if let Some(seen) = link {
                m.insert(
                    "link".into(),
                    json!({
                        "iface": &*seen.iface,
                        "ifindex": seen.ifindex,
                        "pkttype": seen.pkttype,
                        "loopback": seen.loopback,
                    }),
                );
            }
        }
        Origin::File { path, index } => {
            m.insert("from".into(), json!("file"));
            m.insert("path".into(), json!(path.display().to_string()));
            m.insert("index".into(), json!(index));
        }
    }
    let rels = crate::lab::words::relations_json(p.relations());
    if !rels.is_empty() {
        m.insert("relations".into(), Value::Object(rels));
    }
    Value::Object(m).to_string()
}

/// Where a packet came from, rebuilt from its note; None when `comment` is not a
/// note of a version rawlab reads, or is damaged (the packet is then a file's packet).
pub fn origin_from(comment: &str) -> Option<Origin> {
    let v: Value = serde_json::from_str(comment.trim()).ok()?;
    let m = v.as_object()?;
    if m.get(NOTE_KEY)?.as_u64()? != NOTE_VERSION {
        return None;
    }
    let text = |k: &str| m.get(k).and_then(Value::as_str);
    match text("from")? {
        "sent" => {
            let mode = Mode::ALL
                .into_iter()
                .find(|x| Some(x.name()) == text("mode"))?;
            Some(Origin::Sent {
                mode,
                handed_from: usize::try_from(m.get("handed_from")?.as_u64()?).ok()?,
                dst: text("dst")?.parse::<IpAddr>().ok()?,
                iface: text("iface").map(str::to_string),
                proto: u8::try_from(m.get("proto")?.as_u64()?).ok()?,
            })
        }
        "captured" => {
            let link = match m.get("link") {
                Some(l) => {
                    let iface = l.get("iface")?.as_str()?;
                    Some(LinkSeen {
                        iface: iface.into(),
                        ifindex: u32::try_from(l.get("ifindex")?.as_u64()?).ok()?,
                        pkttype: u8::try_from(l.get("pkttype")?.as_u64()?).ok()?,
                        loopback: l.get("loopback")?.as_bool()?,
                    })
                }
                None => None,
            };
            Some(Origin::Captured {
                socket: text("socket")?.into(),
                link,
                iface: text("iface").map(Arc::from),
            })
        }
        "file" => Some(Origin::File {
            path: Path::new(text("path")?).into(),
            index: m.get("index")?.as_u64()?,
        }),
        _ => None,
    }
}

/// The origin a record's comments give it: rawlab's note when one is there, else
/// packet `index` of the file at `path`.
pub fn origin_of(comments: &[String], path: &Arc<Path>, index: u64) -> Origin {
    comments
        .iter()
        .find_map(|c| origin_from(c))
        .unwrap_or_else(|| Origin::File {
            path: path.clone(),
            index,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ipv4::IPV4;
    use std::time::SystemTime;

    fn packet(origin: Origin) -> Packet {
        Packet::new(7, SystemTime::now(), vec![0x45; 20], &IPV4, origin)
    }

    #[test]
    fn every_origin_comes_back_from_its_note() {
        let origins = [
            Origin::Sent {
                mode: Mode::HdrIncl,
                handed_from: 0,
                dst: "127.0.0.1".parse().unwrap(),
                iface: None,
                proto: 1,
            },
            Origin::Sent {
                mode: Mode::Link,
                handed_from: 0,
                dst: "::1".parse().unwrap(),
                iface: Some("veth0".into()),
                proto: 255,
            },
            Origin::Captured {
                socket: "raw socket for icmp".into(),
                link: None,
                iface: Some("lo".into()),
            },
            Origin::Captured {
                socket: "packet socket on lo".into(),
                link: Some(LinkSeen {
                    iface: "lo".into(),
                    ifindex: 1,
                    pkttype: PACKET_OUTGOING,
                    loopback: true,
                }),
                iface: None,
            },
            Origin::File {
                path: Path::new("/tmp/x.pcap").into(),
                index: 3,
            },
        ];
        for o in origins {
            let n = note(&packet(o.clone()));
            let back = origin_from(&n).unwrap_or_else(|| panic!("{n}"));
            assert_eq!(format!("{back:?}"), format!("{o:?}"), "{n}");
        }
    }

    #[test]
    fn a_comment_that_is_not_a_note_of_this_version_gives_the_file_origin() {
        let path: Arc<Path> = Path::new("a.pcapng").into();
        for c in [
            "rawlab #1: sent in mode raw",
            "{\"rawlab_note\":2,\"no\":1,\"from\":\"sent\"}",
            "{\"rawlab_note\":1,\"no\":1,\"from\":\"sent\",\"mode\":\"bogus\",\"proto\":1,\"handed_from\":0,\"dst\":\"127.0.0.1\"}",
            "{\"rawlab_note\":1,\"from\":\"captured\"}",
            "{",
        ] {
            let o = origin_of(&[c.to_string()], &path, 4);
            assert!(matches!(o, Origin::File { index: 4, .. }), "{c}: {o:?}");
        }
    }

    #[test]
    fn directions_are_those_of_the_pcapng_flags() {
        let seen = |pkttype| Origin::Captured {
            socket: "packet socket on lo".into(),
            link: Some(LinkSeen {
                iface: "lo".into(),
                ifindex: 1,
                pkttype,
                loopback: true,
            }),
            iface: None,
        };
        let dir = |o| flags_of(&packet(o)).map(|f| f & 3);
        assert_eq!(dir(seen(PACKET_OUTGOING)), Some(2), "outbound");
        assert_eq!(dir(seen(0)), Some(1), "inbound");
        assert_eq!(flags_of(&packet(seen(1))), Some(1 | 3 << 2));
        let sent = Origin::Sent {
            mode: Mode::Raw,
            handed_from: 0,
            dst: "127.0.0.1".parse().unwrap(),
            iface: None,
            proto: 255,
        };
        assert_eq!(dir(sent), Some(2), "outbound");
    }
}
