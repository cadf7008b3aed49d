//! `parley serve`, `parley demo`, `parley user` and `parley partnership`: the real binary,
//! a real SQLite file, plain HTTP over a socket.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Run, parley_in};

/// Runs `parley` with `input` on stdin.
fn parley_with_input(data_dir: &Path, args: &[&str], input: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_parley"))
        .args(args)
        .env("PARLEY_DATA_DIR", data_dir)
        .env_remove("XDG_DATA_HOME")
        .env_remove("PARLEY_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// A running server: the child and the address it printed.
struct Server {
    child: Child,
    addr: String,
    banner: String,
}

impl Server {
    fn start(data_dir: &Path, args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_parley"))
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .env("PARLEY_DATA_DIR", data_dir)
            .env("PARLEY_LOG", "warn")
            .env_remove("XDG_DATA_HOME")
            .env_remove("PARLEY_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut banner = String::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        let addr = loop {
            let mut line = String::new();
            assert!(Instant::now() < deadline, "no URL printed:\n{banner}");
            if err.read_line(&mut line).unwrap() == 0 {
                panic!("parley exited before serving:\n{banner}");
            }
            banner.push_str(&line);
            if let Some(rest) = line.split("http://").nth(1) {
                break rest.trim().trim_end_matches('/').to_owned();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            let _ = err.read_to_string(&mut sink);
        });
        Server {
            child,
            addr,
            banner,
        }
    }

    /// Sends one request; returns (status, headers, body).
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String, String) {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        s.write_all(req.as_bytes()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, head.to_owned(), body.to_owned())
    }

    /// SIGTERM, then the exit status within 20 s.
    fn terminate(mut self) -> i32 {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "no graceful stop within 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn session_cookie(headers: &str) -> Option<String> {
    headers
        .lines()
        .filter_map(|l| l.strip_prefix("set-cookie: "))
        .find(|c| c.contains("parley-session=") && !c.contains("Max-Age=0"))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

#[test]
fn a_first_administrator_signs_in_to_a_new_deployment() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let created = parley_in(
        d,
        &[
            "partnership",
            "create",
            "--name",
            "Testshire SCP",
            "--short-name",
            "TST",
            "--procedure",
            "dorset",
        ],
    )
    .ok();
    assert!(created.starts_with("Created Testshire SCP"), "{created}");
    let add = [
        "user",
        "add",
        "--email",
        "Admin@Testshire.example",
        "--name",
        "Ada Admin",
        "--role",
        "administrator",
        "--partnership",
        "TST",
    ];
    let short = parley_with_input(d, &add, "short\n").fails();
    assert!(short.contains("12 characters or more"), "{short}");
    parley_with_input(d, &add, "Tangerine-Viaduct-Oboe-47\n").ok();
    let again = parley_with_input(d, &add, "Tangerine-Viaduct-Oboe-47\n").fails();
    assert!(again.contains("already exists"), "{again}");
    let bad_role = parley_with_input(
        d,
        &[
            "user",
            "add",
            "--email",
            "b@t.example",
            "--name",
            "B",
            "--role",
            "chief",
            "--partnership",
            "TST",
        ],
        "Tangerine-Viaduct-Oboe-47\n",
    )
    .fails();
    assert!(bad_role.contains("unknown role \"chief\""), "{bad_role}");
    let no_partnership = parley_with_input(
        d,
        &[
            "user",
            "add",
            "--email",
            "c@t.example",
            "--name",
            "C",
            "--role",
            "practitioner",
            "--partnership",
            "Nowhere",
        ],
        "Tangerine-Viaduct-Oboe-47\n",
    )
    .fails();
    assert!(
        no_partnership.contains("no partnership \"Nowhere\""),
        "{no_partnership}"
    );

    let server = Server::start(d, &["serve"]);
    let (status, _, body) = server.request("GET", "/healthz", &[], "");
    assert_eq!((status, body.as_str()), (200, "ok"));
    let (status, head, _) = server.request("GET", "/my-work", &[], "");
    assert_eq!(status, 303, "pages need signing in");
    assert!(
        head.to_ascii_lowercase().contains("location: /sign-in"),
        "{head}"
    );
    let form = "email=admin%40testshire.example&password=wrong+password";
    let (status, _, body) = server.request(
        "POST",
        "/sign-in",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form,
    );
    assert_eq!(status, 422);
    assert!(body.contains("Enter a correct email address and password"));
    let form = "email=admin%40testshire.example&password=Tangerine-Viaduct-Oboe-47";
    let (status, head, _) = server.request(
        "POST",
        "/sign-in",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form,
    );
    assert_eq!(status, 303, "{head}");
    let cookie = session_cookie(&head).expect("a session cookie");
    assert!(
        head.contains("HttpOnly") && head.contains("SameSite=Lax") && head.contains("Secure"),
        "{head}"
    );
    let (status, _, body) = server.request("GET", "/api/me", &[("Cookie", &cookie)], "");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"Ada Admin\""), "{body}");

    let token = parley_in(d, &["user", "token", "--email", "admin@testshire.example"]).ok();
    let bearer = format!("Bearer {}", token.trim());
    let (status, _, body) = server.request("GET", "/api/me", &[("Authorization", &bearer)], "");
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = server.request(
        "GET",
        "/api/me",
        &[("Authorization", "Bearer not-a-token")],
        "",
    );
    assert_eq!(status, 401);
    assert!(body.contains("\"code\":\"unauthenticated\""), "{body}");

    assert_eq!(server.terminate(), 0, "a graceful stop exits 0");
}

/// `user add` and `user password` refuse what a strength estimator finds guessable, and the
/// person's own name or address, saying why; nothing is added or changed.
#[test]
fn the_cli_refuses_weak_passwords_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    parley_in(
        d,
        &[
            "partnership",
            "create",
            "--name",
            "Weakshire SCP",
            "--short-name",
            "WK",
            "--procedure",
            "dorset",
        ],
    )
    .ok();
    let add = |email: &str, input: &str| {
        parley_with_input(
            d,
            &[
                "user",
                "add",
                "--email",
                email,
                "--name",
                "Morgan Fairweather",
                "--role",
                "administrator",
                "--partnership",
                "WK",
            ],
            input,
        )
    };
    let weak: &[(&str, &str)] = &[
        ("aaaaaaaaaaaa", "too easy to guess"),
        ("password1234", "too easy to guess"),
        ("qwertyuiop12", "too easy to guess"),
        ("1qaz2wsx3edc", "too easy to guess"),
        ("123456789012", "too easy to guess"),
        ("abcdefghijkl", "too easy to guess"),
        ("iloveyou1234", "too easy to guess"),
        ("Fairweather2026", "name"),
        ("morgan-morgan-99", "name"),
        ("m.fairweather@wk.example", "name"),
        ("mfw-admin-2026!", "email"),
        ("short", "12 characters or more"),
    ];
    for (password, why) in weak {
        let out = add("mfw-admin@wk.example", &format!("{password}\n")).fails();
        assert!(
            out.contains("password was refused") && out.contains(why),
            "{password}: {out}"
        );
    }
    let listed = parley_in(d, &["user", "token", "--email", "mfw-admin@wk.example"]);
    assert_ne!(listed.code, 0, "a refused password added the person");
    add("mfw-admin@wk.example", "wardrobe lantern pebble ostrich\n").ok();
    for (password, why) in weak {
        let out = parley_with_input(
            d,
            &["user", "password", "--email", "mfw-admin@wk.example"],
            &format!("{password}\n"),
        )
        .fails();
        assert!(
            out.contains("password was refused") && out.contains(why),
            "{password}: {out}"
        );
    }
    parley_with_input(
        d,
        &["user", "password", "--email", "mfw-admin@wk.example"],
        "Tangerine-Viaduct-Oboe-47\n",
    )
    .ok();
}

#[test]
fn demo_seeds_a_fresh_database_and_prints_the_sign_ins() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["demo", "--escalations", "20"]);
    assert!(
        server.banner.contains("password: parley-demo"),
        "{}",
        server.banner
    );
    for role in [
        "Practitioner",
        "Manager",
        "Senior manager",
        "Partnership business team",
        "Administrator",
    ] {
        assert!(
            server.banner.contains(role),
            "{role} missing from:\n{}",
            server.banner
        );
    }
    let (status, _, body) = server.request("GET", "/sign-in", &[], "");
    assert_eq!(status, 200);
    assert!(
        body.contains("parley-demo"),
        "the sign-in page lists the demo sign-ins"
    );
    assert_eq!(server.terminate(), 0);
    // A second run starts again from nothing rather than failing on the first run's data.
    let server = Server::start(dir.path(), &["demo", "--escalations", "5"]);
    assert_eq!(server.request("GET", "/healthz", &[], "").0, 200);
    assert_eq!(server.terminate(), 0);
}

/// `parley serve` on `data_dir`'s database: the failure message when it refuses to start, or
/// `None` when it starts (it is then stopped).
fn serve_refusal(data_dir: &Path, args: &[&str]) -> Option<String> {
    let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let mut child = Command::new(env!("CARGO_BIN_EXE_parley"))
        .args(&all)
        .env("PARLEY_DATA_DIR", data_dir)
        .env("PARLEY_LOG", "warn")
        .env_remove("XDG_DATA_HOME")
        .env_remove("PARLEY_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut said = String::new();
    let started = loop {
        let mut line = String::new();
        if err.read_line(&mut line).unwrap() == 0 {
            break false;
        }
        said.push_str(&line);
        if line.contains("Parley is running at http://") {
            let pid = child.id().to_string();
            Command::new("kill").args(["-TERM", &pid]).status().unwrap();
            break true;
        }
    };
    let status = child.wait().unwrap();
    if started {
        return None;
    }
    assert!(!status.success(), "exited 0 without serving:\n{said}");
    assert!(!said.contains("panicked"), "{said}");
    Some(said)
}

/// Serve checks each chain's newest events against its recorded head, and the log against a
/// checkpoint when given one, before it listens; it refuses to start on a broken chain.
#[test]
fn serve_refuses_to_start_on_a_broken_chain_or_an_unmatched_checkpoint() {
    use crate::audit::tamper;
    use crate::purge::{copy, seed};

    let data = tempfile::tempdir().unwrap();
    let s = seed(data.path());
    let (p, head) = (&s.partnership, s.read_seq);
    let checkpoint_of = |dir: &Path| {
        let out = parley_in(dir, &["audit", "checkpoint"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let path = dir.join("checkpoint.json");
        std::fs::write(&path, out.stdout).unwrap();
        path
    };
    let checkpoint = checkpoint_of(data.path());
    let key = data.path().join("audit-signing.key");
    // The tampering below starts from the database as seeded: a server that starts records
    // what has come due meanwhile (a report the procedure calls for, issue 17), moving the
    // chain head past `head`.
    let seeded = copy(data.path());

    // An intact database starts, with and without its checkpoint.
    assert_eq!(serve_refusal(data.path(), &[]), None);
    let cp = checkpoint.display().to_string();
    assert_eq!(serve_refusal(data.path(), &["--checkpoint", &cp]), None);

    let at = |seq: i64| format!("WHERE partnership_id = '{p}' AND seq = {seq}");
    // (tampering, the checkpoint to give, what the refusal must name)
    let other = tempfile::tempdir().unwrap();
    seed(other.path());
    std::fs::copy(&key, other.path().join("audit-signing.key")).unwrap();
    let foreign = checkpoint_of(other.path());
    let edited = data.path().join("edited.json");
    std::fs::write(
        &edited,
        std::fs::read_to_string(&checkpoint).unwrap().replacen(
            &format!("\"seq\": {head}"),
            &format!("\"seq\": {}", head - 1),
            1,
        ),
    )
    .unwrap();
    let cases: Vec<(Vec<String>, Option<&Path>, String)> = vec![
        (
            vec![format!(
                "UPDATE events SET actor = 'someone-else' {}",
                at(head)
            )],
            None,
            format!("partnership {p}: event {head}: its content does not match"),
        ),
        (
            vec![format!(
                "UPDATE events SET actor = NULL, reason = NULL, payload = NULL, salt = NULL {}",
                at(head)
            )],
            None,
            format!(
                "partnership {p}: event {head}: its content was emptied without a purge record"
            ),
        ),
        (
            vec![format!("UPDATE events SET at_us = at_us + 1 {}", at(head))],
            None,
            format!("partnership {p}: event {head}: its hash does not match"),
        ),
        (
            vec![format!(
                "UPDATE chain_heads SET seq = seq - 1 WHERE partnership_id = '{p}'"
            )],
            None,
            format!("partnership {p}: event {head}: beyond the recorded chain head"),
        ),
        (
            vec![format!(
                "UPDATE chain_heads SET hash = X'00' WHERE partnership_id = '{p}'"
            )],
            None,
            format!("partnership {p}: event {head}: the recorded chain head has a different hash"),
        ),
        (
            vec![format!("DELETE FROM events {}", at(head))],
            None,
            format!("partnership {p}: event {head}: missing"),
        ),
        // The newest event removed and the head moved back to match: only the checkpoint
        // can tell.
        (
            vec![
                format!("DELETE FROM events {}", at(head)),
                format!(
                    "UPDATE chain_heads SET seq = {}, hash = (SELECT hash FROM events {}) WHERE partnership_id = '{p}'",
                    head - 1,
                    at(head - 1)
                ),
            ],
            Some(&checkpoint),
            format!(
                "does not match the checkpoint {}: partnership {p}: event {head}: missing",
                checkpoint.display()
            ),
        ),
        (
            vec![],
            Some(&foreign),
            "does not match the checkpoint".to_owned(),
        ),
        (
            vec![],
            Some(&edited),
            "signature does not match its contents".to_owned(),
        ),
    ];
    for (sql, given, words) in cases {
        let dir = copy(seeded.path());
        std::fs::copy(&key, dir.path().join("audit-signing.key")).unwrap();
        if !sql.is_empty() {
            tamper(dir.path(), &sql);
        }
        let given = given.map(|g| g.display().to_string());
        let args: Vec<&str> = match &given {
            Some(path) => vec!["--checkpoint", path],
            None => vec![],
        };
        let said = serve_refusal(dir.path(), &args)
            .unwrap_or_else(|| panic!("started: {sql:?} {given:?}"));
        assert!(said.contains("refusing to start"), "{sql:?}: {said}");
        assert!(said.contains(&words), "{sql:?} {given:?}:\n{said}");
        assert!(said.contains("`parley audit verify`"), "{said}");
    }
}

/// `parley user token --list` shows a person's tokens with an id; `--revoke ID` ends one at
/// once (the running server refuses it on the next request) and nothing else; a new password
/// (`user password`) revokes the rest for good; ids that name no token of theirs are refused.
#[test]
fn api_tokens_are_listed_and_revoked_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    parley_in(
        d,
        &[
            "partnership",
            "create",
            "--name",
            "Tokenshire SCP",
            "--short-name",
            "TOK",
            "--procedure",
            "dorset",
        ],
    )
    .ok();
    for email in ["ops@tok.example", "other@tok.example"] {
        parley_with_input(
            d,
            &[
                "user",
                "add",
                "--email",
                email,
                "--name",
                "Robin Quayle",
                "--role",
                "administrator",
                "--partnership",
                "TOK",
            ],
            "wardrobe lantern pebble ostrich\n",
        )
        .ok();
    }
    let issue = |email: &str, label: &str| {
        parley_in(d, &["user", "token", "--email", email, "--label", label])
            .ok()
            .trim()
            .to_owned()
    };
    let first = issue("ops@tok.example", "reporting");
    let second = issue("ops@tok.example", "backup job");
    let theirs = issue("other@tok.example", "theirs");
    let list = |email: &str| parley_in(d, &["user", "token", "--list", "--email", email]).ok();
    let listed = list("ops@tok.example");
    assert!(
        listed.contains("reporting") && listed.contains("backup job"),
        "{listed}"
    );
    assert!(!listed.contains("theirs"), "{listed}");
    assert!(
        !listed.contains(&first) && !listed.contains(&second),
        "a token printed again"
    );
    let id_of = |listed: &str, label: &str| {
        listed
            .lines()
            .find(|l| l.ends_with(label))
            .and_then(|l| l.split_whitespace().next())
            .unwrap()
            .to_owned()
    };
    let first_id = id_of(&listed, "reporting");
    let theirs_id = id_of(&list("other@tok.example"), "theirs");

    let server = Server::start(d, &["serve"]);
    let me = |token: &str| {
        server
            .request(
                "GET",
                "/api/me",
                &[("Authorization", &format!("Bearer {token}"))],
                "",
            )
            .0
    };
    assert_eq!((me(&first), me(&second), me(&theirs)), (200, 200, 200));
    // Ids that name none of this person's tokens: another person's, too short, not hex, empty.
    for bad in [
        theirs_id.as_str(),
        &first_id[..6],
        "zzzzzzzzzzzz",
        "%",
        "' OR 1=1 --",
        "",
    ] {
        let out = parley_in(
            d,
            &[
                "user",
                "token",
                "--email",
                "ops@tok.example",
                "--revoke",
                bad,
            ],
        )
        .fails();
        assert!(out.contains("no API token"), "{bad}: {out}");
    }
    assert_eq!((me(&first), me(&second), me(&theirs)), (200, 200, 200));
    parley_in(
        d,
        &[
            "user",
            "token",
            "--email",
            "ops@tok.example",
            "--revoke",
            &first_id,
        ],
    )
    .ok();
    assert_eq!((me(&first), me(&second), me(&theirs)), (401, 200, 200));
    let listed = list("ops@tok.example");
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with(&first_id) && l.contains("Revoked")),
        "{listed}"
    );
    // A new password revokes the rest.
    parley_with_input(
        d,
        &["user", "password", "--email", "ops@tok.example"],
        "Tangerine-Viaduct-Oboe-47\n",
    )
    .ok();
    assert_eq!((me(&first), me(&second), me(&theirs)), (401, 401, 200));
    let listed = list("ops@tok.example");
    assert_eq!(listed.matches("Revoked").count(), 2, "{listed}");
    parley_in(
        d,
        &[
            "user",
            "token",
            "--email",
            "other@tok.example",
            "--revoke",
            "all",
        ],
    )
    .ok();
    assert_eq!(me(&theirs), 401);
    assert_eq!(server.terminate(), 0);
}

/// Over a real socket the client is the connection's peer: after 20 failed sign-ins from it,
/// the next is held up (429) whatever X-Forwarded-For claims, since no proxy is trusted; a
/// `--trusted-proxy` that is not an address or network is refused at start.
#[test]
fn sign_ins_are_throttled_by_the_connection_s_address() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for bad in ["proxy.example", "10.0.0.0/33", "1.2.3"] {
        let out = parley_in(d, &["serve", "--trusted-proxy", bad]).fails();
        assert!(
            out.contains("neither an IP address nor a network"),
            "{bad}: {out}"
        );
    }
    parley_in(
        d,
        &[
            "partnership",
            "create",
            "--name",
            "Throttleshire SCP",
            "--short-name",
            "THR",
            "--procedure",
            "dorset",
        ],
    )
    .ok();
    parley_with_input(
        d,
        &[
            "user",
            "add",
            "--email",
            "admin@thr.example",
            "--name",
            "Alex Admin",
            "--role",
            "administrator",
            "--partnership",
            "THR",
        ],
        "wardrobe lantern pebble ostrich\n",
    )
    .ok();
    let server = Server::start(d, &["serve"]);
    let form = |email: &str, password: &str| {
        format!(
            "email={}&password={}",
            email.replace('@', "%40"),
            password.replace(' ', "+")
        )
    };
    let post = |body: &str, xff: &str| {
        let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
        if !xff.is_empty() {
            headers.push(("X-Forwarded-For", xff));
        }
        server.request("POST", "/sign-in", &headers, body).0
    };
    // Twenty failures in a burst go through (each takes one password check); then the
    // address is held up. A slow machine earns an attempt back every 30 seconds, so the
    // burst is run until the first refusal rather than counted against the clock.
    let mut failures = 0;
    loop {
        let xff = format!("198.51.100.{}", failures % 200);
        let status = post(
            &form(&format!("nobody{failures}@thr.example"), "guess"),
            &xff,
        );
        if status == 429 {
            break;
        }
        assert_eq!(status, 422, "attempt {failures}");
        failures += 1;
        assert!(
            failures <= 60,
            "60 failed sign-ins from one address were never held up"
        );
    }
    assert!(
        failures >= 20,
        "held up after only {failures} failed sign-ins"
    );
    for xff in ["", "198.51.100.200", "10.0.0.1, 203.0.113.9"] {
        assert_eq!(
            post(
                &form("admin@thr.example", "wardrobe lantern pebble ostrich"),
                xff
            ),
            429,
            "{xff:?}"
        );
    }
    assert_eq!(server.terminate(), 0);
}

/// The server reads each partnership's report facts of the last three calendar years into
/// memory as it starts, in the background, and says so in its log (`--report-memory-years`).
#[test]
fn a_server_reads_its_report_memory_ahead_as_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_parley"))
        .args(["demo", "--escalations", "30", "--listen", "127.0.0.1:0"])
        .env("PARLEY_DATA_DIR", dir.path())
        .env("PARLEY_LOG", "info")
        .env_remove("XDG_DATA_HOME")
        .env_remove("PARLEY_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let (mut said, mut held) = (String::new(), Vec::new());
    let first = format!("from={}-01-01", jiff::Zoned::now().year() - 2);
    let deadline = Instant::now() + Duration::from_secs(120);
    // Every demo partnership (one for each built-in procedure) is read.
    while held.len() < 5 && Instant::now() < deadline {
        let mut line = String::new();
        if err.read_line(&mut line).unwrap() == 0 {
            break;
        }
        said.push_str(&line);
        if line.contains("report memory: read the facts reports need") {
            assert!(line.contains(&first), "{line}");
            let n: usize = line
                .split("escalations=")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no count in {line}"));
            held.push(n);
        }
    }
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    child.wait().unwrap();
    assert_eq!(held.len(), 5, "{said}");
    assert!(
        held.iter().sum::<usize>() > 0,
        "the demo's escalations are held: {said}"
    );
}
