//! Crash safety on SQLite: `parley admin write-load --ack` is killed with SIGKILL at a random
//! moment, again and again on one database file, so history accumulates. After each kill every
//! write it acknowledged must be stored with its text, nothing may be half-written (payloads
//! read, projections match their streams, `PRAGMA integrity_check` is ok) and the chains must
//! verify; `parley admin check-acks` checks all of that.
//!
//! `PARLEY_CRASH_RUNS` sets the number of kills (default 200; `scripts/crash-test` runs 1,000),
//! `PARLEY_CRASH_SEED` replays a run's random delays.

use std::io::Read;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::parley_in;

const DEFAULT_RUNS: u64 = 200;
/// The kill lands this long after the start, uniformly: some runs die while setting up, most
/// while writing.
const KILL_AFTER_MS: std::ops::RangeInclusive<u64> = 30..=300;
/// A full check of every chain and every acknowledgement so far, every this many kills (and
/// after the last); in between, only the chain the run wrote.
const FULL_CHECK_EVERY: u64 = 25;

/// xorshift64*: enough to spread the kills, and replayable from its seed.
#[derive(Debug)]
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn in_range(&mut self, range: std::ops::RangeInclusive<u64>) -> u64 {
        range.start() + self.next() % (range.end() - range.start() + 1)
    }
}

fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value} is not a number")),
    )
}

/// What one killed run printed.
#[derive(Debug)]
struct Killed {
    partnership: Option<String>,
    acks: usize,
    acks_file: PathBuf,
}

/// Starts a load, kills it after `after`, and keeps what it printed (whole lines only count).
fn run_and_kill(data_dir: &Path, url: &str, after: Duration, run: u64) -> Killed {
    let mut child = Command::new(env!("CARGO_BIN_EXE_parley"))
        .args(["--database", url, "admin", "write-load", "--ack"])
        // Mixed writes: stage-record updates, and a new escalation raised every 10 of them.
        .args(["--writers", "4", "--rotate", "10", "--seconds", "600"])
        .env("PARLEY_DATA_DIR", data_dir)
        .env_remove("XDG_DATA_HOME")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drain both pipes while it runs, so a full pipe never slows the writers down.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).unwrap();
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    });
    // Not waiting for readiness: a kill at a random moment is the point.
    std::thread::sleep(after);
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    let out = out.join().unwrap();
    let err = err.join().unwrap();
    assert_eq!(
        status.signal(),
        Some(9),
        "run {run}: write-load ended by itself ({status}) before the kill; stderr:\n{err}"
    );
    assert!(!err.contains("panicked"), "run {run}: panic:\n{err}");
    let acks_file = data_dir.join(format!("run-{run:04}.acks"));
    std::fs::write(&acks_file, &out).unwrap();
    let complete = &out[..out.rfind('\n').map_or(0, |i| i + 1)];
    Killed {
        partnership: complete
            .lines()
            .find_map(|l| l.strip_prefix("partnership "))
            .map(str::to_owned),
        acks: complete.lines().filter(|l| l.starts_with("ack ")).count(),
        acks_file,
    }
}

/// `parley admin check-acks` over some ack files; panics with its report unless all is well.
fn check(data_dir: &Path, url: &str, partnership: Option<&str>, files: &[PathBuf]) -> String {
    let mut args = vec!["--database", url, "admin", "check-acks"];
    if let Some(p) = partnership {
        args.extend(["--partnership", p]);
    }
    let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(files.iter().map(String::as_str));
    let run = parley_in(data_dir, &args);
    assert_eq!(
        run.code, 0,
        "check-acks failed:\n{}{}",
        run.stdout, run.stderr
    );
    run.ok()
}

#[test]
fn every_acknowledged_write_survives_sigkill() {
    let runs = env_number("PARLEY_CRASH_RUNS").unwrap_or(DEFAULT_RUNS);
    let seed = env_number("PARLEY_CRASH_SEED").unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        u64::from(nanos) | 1
    });
    eprintln!("crash test: {runs} kills, PARLEY_CRASH_SEED={seed}");
    let mut random = Random(seed.max(1));
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("crash.db").display());
    let started = Instant::now();
    let mut files = Vec::new();
    let (mut acks, mut runs_with_acks) = (0, 0);
    for run in 1..=runs {
        let after = Duration::from_millis(random.in_range(KILL_AFTER_MS));
        let killed = run_and_kill(dir.path(), &url, after, run);
        acks += killed.acks;
        runs_with_acks += usize::from(killed.acks > 0);
        files.push(killed.acks_file.clone());
        let context = format!("run {run} (killed after {after:?}, seed {seed})");
        if run % FULL_CHECK_EVERY == 0 || run == runs {
            let report = check(dir.path(), &url, None, &files);
            eprintln!("{context}: {}", report.trim_end());
        } else if let Some(p) = &killed.partnership {
            check(dir.path(), &url, Some(p), &[killed.acks_file]);
        } else {
            // Killed before the partnership was even created: its chain, if it got one, is
            // in the next full check.
            assert_eq!(killed.acks, 0, "{context}: acks without a partnership line");
        }
    }
    eprintln!(
        "crash test: {runs} kills, {acks} acknowledged writes, {runs_with_acks} runs killed while writing, 0 lost, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Guards against a vacuous pass (a load that never writes is never caught out).
    assert!(
        runs_with_acks * 4 >= runs as usize,
        "only {runs_with_acks} of {runs} runs acknowledged a write before the kill"
    );
}
