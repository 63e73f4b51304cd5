//! Tests of the real `caremap` binary run as a child process: durability across SIGKILL,
//! a full disk and a thousand connections, signals and start-up refusals, `caremap import`
//! and `export`, kill -9 during an import, and backup / restore during writes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

/// One module per concern, in tests/process/.
mod process {
    mod backup;
    mod durability;
    mod faults;
    mod import_cli;
    mod import_faults;
    mod lifecycle;
    mod postgres;
}
