//! The `parley` command run as a user runs it: real processes, real files, exit codes,
//! stdout and stderr.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod calendar;
mod crash;
mod data;
mod forms;
mod load;
mod mail;
mod operators;
mod procedure;
mod purge;
mod rebuild;
mod report;
mod serve;
mod timeline;

use std::path::Path;
use std::process::{Command, Output};

/// The result of one run of `parley`.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Self {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }

    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(self) -> String {
        assert_eq!(self.code, 0, "expected success; stderr:\n{}", self.stderr);
        assert!(self.stderr.is_empty(), "unexpected stderr: {}", self.stderr);
        self.stdout
    }

    /// Asserts a failure with a message on stderr and nothing on stdout; returns stderr.
    #[track_caller]
    pub fn fails(self) -> String {
        assert_ne!(self.code, 0, "expected failure; stdout:\n{}", self.stdout);
        assert!(self.stdout.is_empty(), "unexpected stdout: {}", self.stdout);
        assert!(!self.stderr.trim().is_empty(), "a failure must say why");
        assert!(!self.stderr.contains("panicked"), "panic: {}", self.stderr);
        self.stderr
    }
}

/// Runs `parley` with its own empty data directory.
pub fn parley(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    parley_in(dir.path(), args)
}

/// Runs `parley` with the given data directory.
pub fn parley_in(data_dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_parley"))
        .args(args)
        .env("PARLEY_DATA_DIR", data_dir)
        .env_remove("XDG_DATA_HOME")
        .output()
        .unwrap();
    Run::from(output)
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["procedure", "--help"],
        vec!["procedure", "list", "--help"],
        vec!["procedure", "show", "--help"],
        vec!["procedure", "check", "--help"],
        vec!["procedure", "diagram", "--help"],
        vec!["calendar", "--help"],
        vec!["calendar", "add", "--help"],
        vec!["calendar", "list", "--help"],
        vec!["calendar", "import", "--help"],
        vec!["timeline", "--help"],
        vec!["report", "--help"],
        vec!["forms", "--help"],
        vec!["serve", "--help"],
        vec!["demo", "--help"],
        vec!["user", "add", "--help"],
        vec!["user", "token", "--help"],
        vec!["partnership", "create", "--help"],
    ] {
        let out = parley(&args).ok();
        assert!(out.contains("Usage: parley"), "{args:?}: {out}");
    }
}
