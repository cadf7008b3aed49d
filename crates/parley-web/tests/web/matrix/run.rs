//! Running the matrix: one request as a persona, and every route as every persona.

use super::*;

/// One request of the matrix as a persona, with a fresh session (or API token) made now.
/// `csrf` replaces the session's form token when given; `headers` are added.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn attempt(
    h: &Harness,
    live: &Live,
    persona: &Persona,
    method: &Method,
    path: &str,
    send: Payload,
    version: i64,
    csrf: Option<&str>,
    headers: &[(&str, &str)],
) -> (Resp, bool) {
    let person = persona
        .person_id
        .as_deref()
        .and_then(|id| live.person(id))
        .cloned();
    let api = path.starts_with("/api/");
    let auth = match &person {
        None => Auth::Anonymous,
        Some(p) if api => h.bearer_for(p).await,
        Some(p) => h.session_for(&persona.label, p).await.auth,
    };
    let r = if *method == Method::GET {
        h.get(path, &auth).await
    } else {
        match send {
            Form(fields) => {
                let v = version.to_string();
                let mut pairs: Vec<(&str, &str)> = Vec::new();
                if let Some(token) = csrf.or(Some(auth.csrf())).filter(|t| !t.is_empty()) {
                    pairs.push(("csrf", token));
                }
                pairs.extend(fields.iter().map(|(k, val)| {
                    (
                        *k,
                        if *val == "{version}" {
                            v.as_str()
                        } else {
                            *val
                        },
                    )
                }));
                h.post_raw_form(path, &auth, &pairs, headers).await
            }
            Json(body) => {
                let body: serde_json::Value =
                    serde_json::from_str(&body.replace("{version}", &version.to_string())).unwrap();
                h.send_json_with(method.clone(), path, &auth, &body, headers)
                    .await
            }
        }
    };
    (r, person.is_some())
}

/// Runs every route of the table for the cast; returns the failures, one line each, and how
/// many requests expected each outcome.
pub(crate) async fn run_matrix(
    procedure: &str,
    other: &str,
) -> (Vec<String>, HashMap<Want, usize>) {
    let h = Harness::new().await;
    let cast = Arc::new(cast(&h, procedure, other).await);
    crate::agreement::propose(&h, &cast.escalations[0].value, &cast.proposer).await;
    let h = Arc::new(h);
    let parts = [cast.partnership.clone(), cast.other_partnership.clone()];
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let mut failures = Vec::new();
    let table = parley_web::routes::table();

    // Reading routes: one copy of the database for all of them, one session and one API
    // token per persona, the routes shared out between tasks.
    let live = Arc::new(Live::read(&h, &parts).await);
    let mut sessions: HashMap<(String, bool), Auth> = HashMap::new();
    for persona in &cast.personas {
        if let Some(id) = &persona.person_id {
            let p = live.person(id).unwrap().clone();
            sessions.insert(
                (id.clone(), false),
                h.session_for(&persona.label, &p).await.auth,
            );
            sessions.insert((id.clone(), true), h.bearer_for(&p).await);
        }
    }
    let sessions = Arc::new(sessions);
    let mut tasks = tokio::task::JoinSet::new();
    for (method, path, _) in table.iter().filter(|(m, _, _)| *m == Method::GET) {
        let Some(expect) = expectation(method, path) else {
            continue;
        };
        let (h, cast, live, sessions) = (h.clone(), cast.clone(), live.clone(), sessions.clone());
        let (method, path) = (method.clone(), *path);
        tasks.spawn(async move {
            let mut failures = Vec::new();
            let mut counts: HashMap<Want, usize> = HashMap::new();
            for target in &cast.targets(expect, false) {
                let url = fill(path, target);
                for persona in &cast.personas {
                    let person = persona.person_id.as_deref().and_then(|id| live.person(id));
                    let want = want(expect.who, person, target, &live);
                    *counts.entry(want).or_default() += 1;
                    let auth = persona.person_id.as_ref().map_or(Auth::Anonymous, |id| {
                        sessions[&(id.clone(), path.starts_with("/api/"))].clone()
                    });
                    let r = h.get(&url, &auth).await;
                    if let Some(problem) = verdict(want, &method, path, person.is_some(), &r) {
                        failures.push(format!(
                            "GET {path} as {} on {}: {problem}",
                            persona.label, target.label
                        ));
                    }
                }
            }
            (failures, counts)
        });
    }
    let mut counts: HashMap<Want, usize> = HashMap::new();
    while let Some(done) = tasks.join_next().await {
        let (f, c) = done.unwrap();
        failures.extend(f);
        for (want, n) in c {
            *counts.entry(want).or_default() += n;
        }
    }

    // Routes that change something, one after another, each request with a fresh session.
    // What each persona should get is worked out again from the data whenever an allowed
    // request changed it, and the next route gets a fresh copy of the database.
    let mut h = harness(&cast).await;
    for (method, path, _) in table.iter().filter(|(m, _, _)| *m != Method::GET) {
        let Some(expect) = expectation(method, path) else {
            continue;
        };
        let heads = h.state.store.chain_heads().await.unwrap();
        let mut live = Live::read(&h, &parts).await;
        let mut seen_heads = heads.clone();
        for target in &cast.targets(expect, true) {
            let url = fill(path, target);
            for persona in &cast.personas {
                let now_heads = h.state.store.chain_heads().await.unwrap();
                if now_heads != seen_heads {
                    live = Live::read(&h, &parts).await;
                    seen_heads = now_heads;
                }
                let person = persona.person_id.as_deref().and_then(|id| live.person(id));
                let want = want(expect.who, person, target, &live);
                *counts.entry(want).or_default() += 1;
                let version = live.escalation(&target.value).map_or(1, |(_, e)| e.version);
                let (r, signed_in) = attempt(
                    &h,
                    &live,
                    persona,
                    method,
                    &url,
                    expect.send,
                    version,
                    None,
                    &[],
                )
                .await;
                if let Some(problem) = verdict(want, method, path, signed_in, &r) {
                    failures.push(format!(
                        "{method} {path} as {} on {}: {problem}",
                        persona.label, target.label
                    ));
                }
            }
        }
        if h.state.store.chain_heads().await.unwrap() != heads {
            eprintln!(
                "matrix ({procedure}): {method} {path} changed the records; next on a fresh copy"
            );
            h = harness(&cast).await;
        }
    }
    (failures, counts)
}
