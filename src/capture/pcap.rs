//! Capture files: pcap and pcapng as tcpdump, tshark and Wireshark write them,
//! read one record at a time (memory stays flat whatever the file's size), and
//! pcap written from a session's packets for `save`.
//!
//! The format itself is pcap-parser's; this module keeps count of where each
//! record starts, so a bad file is reported by packet number and byte offset,
//! and the packets before the damage are still handed over. `link` turns a
//! link type and a frame into the first layer rawlab can dissect. Nothing here
//! touches sockets or terminals.

mod blocks;
pub mod link;
mod load;
pub mod note;
mod read;
mod write;

pub use load::*;
pub use read::*;
pub use write::*;

use blocks::*;
pub use link::LinkType;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Something went wrong with a file as a whole: its path, and what.
#[derive(Debug)]
pub enum Error {
    /// The OS refused: opening, reading or writing.
    Io {
        path: PathBuf,
        action: &'static str,
        reason: String,
    },
    /// The file is there and `force` was not given.
    Exists { path: PathBuf },
    /// The bytes are not a capture file (or its header is damaged).
    Format { path: PathBuf, error: FileError },
    /// None of the packets given can be written to a capture file.
    NothingToSave {
        path: PathBuf,
        skipped: Vec<Skipped>,
        /// Sendto copies a pcap file leaves out.
        copies: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io {
                path,
                action,
                reason,
            } => write!(f, "cannot {action} {}: {reason}", path.display()),
            Error::Exists { path } => write!(
                f,
                "{} already exists; nothing was written (force overwrites it)",
                path.display()
            ),
            Error::Format { path, error } => {
                write!(f, "{}: {error}", path.display())?;
                if let Some(h) = &error.hint {
                    write!(f, " ({h})")?;
                }
                Ok(())
            }
            Error::NothingToSave {
                path,
                skipped,
                copies: 0,
            } => write!(
                f,
                "nothing was written to {}: none of the {} packet{} fits in a capture file",
                path.display(),
                skipped.len(),
                if skipped.len() == 1 { "" } else { "s" }
            ),
            Error::NothingToSave {
                path,
                skipped,
                copies,
            } => write!(
                f,
                "nothing was written to {}: a pcap file holds what went on the wire, and {}{} {}; `listen` before sending to capture what the kernel sent, or save as .pcapng, which keeps the sendto copies on an interface of their own",
                path.display(),
                copies_words(*copies),
                match skipped.len() {
                    0 => String::new(),
                    n => format!(
                        " and {n} packet{} no capture file can hold",
                        if n == 1 { "" } else { "s" }
                    ),
                },
                if copies + skipped.len() == 1 {
                    "is all there is"
                } else {
                    "are all there are"
                }
            ),
        }
    }
}

impl std::error::Error for Error {}

/// `1 sendto copy (what rawlab handed the kernel)`, `3 sendto copies (…)`.
pub fn copies_words(n: usize) -> String {
    format!(
        "{n} sendto cop{} (what rawlab handed the kernel, which is not what went on the wire)",
        if n == 1 { "y" } else { "ies" }
    )
}

/// The OS's reason without Rust's "(os error N)" suffix.
pub fn os_reason(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Loads at most `max` packets of a pcap or pcapng file (the rest are counted), each with
/// its time and origin "read from FILE". The link-layer header is dropped: a packet starts
/// What a path that exists is when it is neither a regular file nor a directory: a
/// named pipe, a device or a socket, which opening may block on. None otherwise (stat
/// opens nothing, so asking never blocks).
pub fn not_a_file(path: &Path) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let t = std::fs::metadata(path).ok()?.file_type();
    if t.is_fifo() {
        Some("a named pipe (FIFO)")
    } else if t.is_char_device() {
        Some("a character device (a terminal or the like)")
    } else if t.is_block_device() {
        Some("a block device")
    } else if t.is_socket() {
        Some("a socket")
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
