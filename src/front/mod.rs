//! The front ends over one executor: the REPL at a terminal (`repl`), scripts and
//! lessons run from a file (`script`), `rawlab read` of a capture file (`read`), and
//! recordings of a session (`record`).

pub mod man;
pub mod read;
pub mod record;
pub mod repl;
pub mod script;
