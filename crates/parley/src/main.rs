//! The `parley` command: a thin shell over `parley-core` and `parley-store`.

mod admin_cmd;
mod audit_cmd;
mod cli;
mod command;
mod data_cmd;
mod deadlines_cmd;
mod demo_cmd;
mod forms_cmd;
mod notify_cmd;
mod report_cmd;
mod token_cmd;
mod web_cmd;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
