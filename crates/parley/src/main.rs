//! The `parley` command: a thin shell over `parley-core` (and, later, the store and server).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
