//! The sweep for children's details (issue: "no page, API response or export reachable by the
//! business team or an unrelated person contains any marker").
//!
//! Every demo child's name and identifier carries a unique `MARKER-<PROCEDURE>-nnnnn`. As the
//! business team, an unrelated practitioner, people of another partnership and a person
//! appointed to escalations without sight of the child (issue 14, item 4: Sunderland's
//! Independent Scrutineer), the sweep
//! crawls every page reachable by same-site links and GET forms (every filter value, every
//! page of the partnership view) from their starting pages, fetches every GET route of the
//! table with every escalation (and person, agency...) in its parameter, and every API twin of
//! the partnership view's pages; then looks for markers. A marker may only ever reach someone
//! the brute-force rule lets see that child's details (for these personas: nobody). The
//! business team must not get the case as put (decision, evidence, outcome wanted) either.
//!
//! Reading a child's details is a POST (issue 13 item 10); the sweep sends those POSTs too.
//!
//! So that the sweep can fail, a related practitioner must find the marker on the child's
//! page, and reading it must be recorded as a `child-details-read` event.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use axum::http::Method;
use parley_demo::MARKER_PREFIX;
use parley_store::rows::PersonRow;

use crate::harness::*;
use crate::matrix::{self, Owner, Param, Target, Who};

/// Pages a crawl may fetch, per persona.
const CRAWL_LIMIT: usize = 2_000;

/// Every marker in a text.
fn markers_in(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find(MARKER_PREFIX) {
        let tail = &rest[at..];
        let end = tail
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-'))
            .map_or(tail.len(), |(i, _)| i);
        found.insert(tail[..end].to_owned());
        rest = &tail[MARKER_PREFIX.len()..];
    }
    found
}

/// Same-site links and the addresses GET forms can make, from one page.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("href=\"") {
        rest = &rest[at + 6..];
        let Some(end) = rest.find('"') else { break };
        out.push(unescape(&rest[..end]));
    }
    // GET forms: every value of every select, radio and checkbox, one at a time.
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("<form") {
        let start = from + at;
        let end = lower[start..]
            .find("</form>")
            .map_or(lower.len(), |e| start + e);
        from = end;
        let tag_end = lower[start..].find('>').map_or(end, |e| start + e);
        let tag = &html[start..tag_end];
        if !attribute(tag, "method").is_some_and(|m| m.eq_ignore_ascii_case("get")) {
            continue;
        }
        let action = attribute(tag, "action").unwrap_or_default();
        let body = &html[tag_end..end];
        for (name, value) in form_choices(body) {
            let query = serde_urlencoded::to_string([(name.as_str(), value.as_str())]).unwrap();
            out.push(format!("{action}?{query}"));
        }
    }
    out
}

/// (name, value) of every option of every select, radio and checkbox of a form's body.
fn form_choices(body: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut select: Option<String> = None;
    for piece in body.split('<').skip(1) {
        let tag = piece.split('>').next().unwrap_or_default();
        let lower = tag.to_ascii_lowercase();
        if lower.starts_with("select") {
            select = attribute(tag, "name");
        } else if lower.starts_with("/select") {
            select = None;
        } else if lower.starts_with("option") {
            if let (Some(name), Some(value)) = (&select, attribute(tag, "value")) {
                out.push((name.clone(), value));
            }
        } else if lower.starts_with("input") {
            let kind = attribute(tag, "type")
                .unwrap_or_default()
                .to_ascii_lowercase();
            if (kind == "radio" || kind == "checkbox")
                && let (Some(name), Some(value)) = (attribute(tag, "name"), attribute(tag, "value"))
            {
                out.push((name, value));
            }
        }
    }
    out
}

/// The value of an attribute in a tag's text.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let needle = format!(" {name}=\"");
    let at = lower.find(&needle)? + needle.len();
    let end = tag[at..].find('"')? + at;
    Some(unescape(&tag[at..end]))
}

fn unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

/// A same-site path worth fetching, without its fragment; `None` for anything else.
fn same_site(link: &str) -> Option<String> {
    let link = link.split('#').next()?;
    if !link.starts_with('/') || link.starts_with("//") || link.starts_with("/static/") {
        return None;
    }
    Some(link.to_owned())
}

/// Who saw what they should not.
#[derive(Default)]
struct Findings {
    fetched: usize,
    /// PDFs whose text was searched.
    pdfs: usize,
    problems: Vec<String>,
}

/// What the sweep checks every response against.
struct Rules {
    /// marker -> (escalation id, partnership id).
    markers: HashMap<String, (String, String)>,
    worlds: HashMap<String, World>,
    /// Case texts (decision, evidence, outcome wanted) the business team must never get,
    /// with the escalation's reference.
    case_texts: Vec<(String, String)>,
}

impl Rules {
    async fn read(h: &Harness) -> Rules {
        let mut markers = HashMap::new();
        let mut worlds = HashMap::new();
        let mut case_texts = Vec::new();
        for p in &h.summary.partnerships {
            let w = h.world(&p.id).await;
            for e in &w.escalations {
                if let Some(child) = h.state.store.child_details(&e.id).await.unwrap() {
                    for m in markers_in(&child) {
                        markers.insert(m, (e.id.clone(), p.id.clone()));
                    }
                }
                if let Some((decision, evidence, outcome)) =
                    h.state.store.case(&e.id).await.unwrap()
                {
                    for text in [decision, evidence, outcome] {
                        // Short stock phrases are not evidence of a leak.
                        if text.len() >= 40 {
                            case_texts.push((text, e.reference.clone()));
                        }
                    }
                }
            }
            worlds.insert(p.id.clone(), w);
        }
        assert!(
            markers.len() >= h.summary.escalations / 2,
            "the demo children carry too few markers ({})",
            markers.len()
        );
        Rules {
            markers,
            worlds,
            case_texts,
        }
    }

    /// Checks one response seen by `person`.
    fn check(&self, person: &PersonRow, label: &str, what: &str, r: &Resp, f: &mut Findings) {
        f.fetched += 1;
        if r.status.is_server_error() {
            f.problems
                .push(format!("{what} as {label}: {} (a server error)", r.status));
        }
        // A PDF (issue 17, item 4: the procedures' forms) is searched by its text, which its
        // compressed streams hide from a search of the bytes.
        // A line broken after a marker's hyphen is joined again.
        let pdf_text = (r.header("content-type") == Some("application/pdf"))
            .then(|| crate::forms::pdftotext(&r.bytes))
            .flatten()
            .map(|t| t.replace("- ", "-"));
        f.pdfs += usize::from(pdf_text.is_some());
        let body = pdf_text.as_deref().unwrap_or(&r.body);
        for m in markers_in(body) {
            let allowed = self.markers.get(&m).is_some_and(|(e, p)| {
                let w = &self.worlds[p];
                w.sees(person, w.escalation(e))
                    .is_some_and(|s| s.child_details)
            });
            if !allowed {
                f.problems.push(format!(
                    "{what} as {label}: {} shows the child's marker {m}",
                    r.status
                ));
            }
        }
        if person
            .roles
            .iter()
            .any(|r| r == "partnership-business-team")
            && person.roles.len() == 1
        {
            for (text, reference) in &self.case_texts {
                if body.contains(text.as_str()) {
                    f.problems.push(format!(
                        "{what} as {label}: {} shows the case as put of {reference} (\"{}\")",
                        r.status,
                        excerpt(text)
                    ));
                }
            }
        }
    }
}

/// Crawls from the starting pages by same-site links and GET forms, up to `CRAWL_LIMIT`
/// pages; the partnership view's pages are also fetched from the API.
async fn crawl(h: &Harness, rules: &Rules, user: &User, f: &mut Findings) -> BTreeSet<String> {
    let person = user.person.as_ref().unwrap();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut queue: VecDeque<String> = [
        "/my-work",
        "/notifications",
        "/partnership",
        "/partnership/learning",
        "/compliments",
        "/procedure",
        "/",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    while let Some(path) = queue.pop_front() {
        if seen.len() >= CRAWL_LIMIT {
            f.problems.push(format!(
                "the crawl as {} reached {CRAWL_LIMIT} pages and stopped",
                user.label
            ));
            break;
        }
        if !seen.insert(path.clone()) {
            continue;
        }
        let r = h.get(&path, &user.auth).await;
        rules.check(person, &user.label, &format!("GET {path}"), &r, f);
        if let Some(l) = r.location().and_then(same_site) {
            queue.push_back(l);
        }
        let html = r
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/html"));
        if html {
            for l in links(&r.body).iter().filter_map(|l| same_site(l)) {
                if !seen.contains(&l) {
                    queue.push_back(l);
                }
            }
        }
        // The API twin of every page of the partnership view; and every page of it, a few
        // escalations at a time.
        if path == "/partnership" && r.status == 200 {
            let mut page = 1;
            loop {
                let api = format!("/api/partnership/escalations?per_page=3&page={page}");
                let r = h.get(&api, &user.auth).await;
                rules.check(person, &user.label, &format!("GET {api}"), &r, f);
                let pages = serde_json::from_str::<serde_json::Value>(&r.body)
                    .ok()
                    .and_then(|v| v["pagination"]["pages"].as_i64())
                    .unwrap_or(0);
                if page >= pages {
                    break;
                }
                page += 1;
            }
        }
        if let Some(query) = path.strip_prefix("/partnership?") {
            let api = format!("/api/partnership/escalations?{query}");
            let r = h.get(&api, &user.auth).await;
            rules.check(person, &user.label, &format!("GET {api}"), &r, f);
        }
    }
    seen
}

/// Every GET route of the table, its parameter filled with everything of its kind: all of
/// the person's own partnership and of `focus`, a few of every other partnership.
async fn sweep_routes(
    h: &Harness,
    rules: &Rules,
    user: &User,
    api: &Auth,
    focus: &str,
    f: &mut Findings,
) {
    let person = user.person.as_ref().unwrap();
    let mut escalations = Vec::new();
    let mut people = Vec::new();
    let mut agencies = Vec::new();
    // Issue 15: every notification delivered to a person, owned by them (for the inbox's
    // routes) and by their partnership (for the administrators').
    let mut notifications = Vec::new();
    let mut deliveries = Vec::new();
    let mut whose: HashMap<String, String> = HashMap::new();
    for (pid, w) in &rules.worlds {
        let take = if *pid == person.partnership_id || pid == focus {
            usize::MAX
        } else {
            3
        };
        let owner = Owner::Partnership(pid.clone());
        escalations.extend(
            w.escalations
                .iter()
                .take(take)
                .map(|e| Target::new(e.reference.clone(), e.id.clone(), owner.clone())),
        );
        people.extend(
            w.people
                .iter()
                .take(take)
                .map(|p| Target::new(p.name.clone(), p.id.clone(), owner.clone())),
        );
        for a in h
            .state
            .store
            .agencies(pid)
            .await
            .unwrap()
            .into_iter()
            .take(take)
        {
            agencies.push(Target::new(a.name, a.id, owner.clone()));
        }
        let (all, _) = h
            .state
            .records
            .deliveries(pid, parley_store::notify::DeliveryFilter::All, 1, 100_000)
            .await
            .unwrap();
        for d in all.iter().filter(|d| d.person_id.is_some()) {
            let to = d.person_id.clone().unwrap_or_default();
            whose.insert(d.id.clone(), to.clone());
            if notifications.len() < 400 || *pid == person.partnership_id {
                notifications.push(Target::new(
                    format!("the notification {} of {to}", d.id),
                    d.id.clone(),
                    Owner::Person(to),
                ));
                deliveries.push(Target::new(
                    format!("the delivery {}", d.id),
                    d.id.clone(),
                    owner.clone(),
                ));
            }
        }
    }
    assert!(
        !notifications.is_empty(),
        "no notification was delivered to anyone in the demo"
    );
    for (method, path, _) in parley_web::routes::table() {
        if path.starts_with("/static/") {
            continue;
        }
        let Some(expect) = matrix::expectation(&method, path) else {
            continue; // every_route_has_an_expectation reports it
        };
        // Reading a child's details is a POST (issue 13 item 10): swept as well.
        let reads =
            method == Method::POST && matches!(expect.who, Who::Escalation(matrix::Need::Child));
        if method != Method::GET && !reads {
            continue;
        }
        let targets = if !path.contains('{') {
            vec![Target::none()]
        } else {
            match expect.param {
                Param::Person => people.clone(),
                Param::Agency => agencies.clone(),
                Param::Notification => notifications.clone(),
                Param::Delivery => deliveries.clone(),
                Param::Version => vec![Target::new("1", "1", Owner::Everyone)],
                Param::Fixed(v) => vec![Target::new(v, v, Owner::Everyone)],
                // Every report a built-in procedure calls for (a 404 where the person's
                // procedure calls for another).
                Param::ProcedureReport => parley_core::seeds::ids()
                    .flat_map(|id| parley_core::seeds::get(id).unwrap().unwrap().reports)
                    .map(|r| Target::new(r.id.clone(), r.id, Owner::Everyone))
                    .collect(),
                Param::Implied => match expect.who {
                    Who::Escalation(_) => escalations.clone(),
                    _ => panic!("{path}: say what its parameter names (matrix::Param)"),
                },
            }
        };
        let auth = if path.starts_with("/api/") {
            api
        } else {
            &user.auth
        };
        for t in &targets {
            let url = matrix::fill(path, t);
            let r = if !reads {
                h.get(&url, auth).await
            } else if path.starts_with("/api/") {
                h.send_json(Method::POST, &url, auth, &serde_json::json!({}))
                    .await
            } else {
                h.post_form(&url, auth, &[]).await
            };
            rules.check(
                person,
                &user.label,
                &format!("{method} {url} ({})", t.label),
                &r,
                f,
            );
            // Issue 15: nobody reaches anyone else's notification.
            if matches!(expect.who, Who::OwnNotification)
                && t.owner != Owner::Person(person.id.clone())
                && r.status != 404
            {
                f.problems.push(format!(
                    "{method} {url} ({}) as {}: {}, not 404",
                    t.label, user.label, r.status
                ));
            }
        }
    }
    // And the inbox lists only the person's own, on every page.
    let mut page = 1;
    loop {
        let url = format!("/api/notifications?page={page}");
        let r = h.get(&url, api).await;
        rules.check(person, &user.label, &format!("GET {url}"), &r, f);
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
        for n in v["notifications"].as_array().into_iter().flatten() {
            let id = n["id"].as_str().unwrap_or_default();
            if whose.get(id) != Some(&person.id) {
                f.problems.push(format!(
                    "GET {url} as {}: lists {id}, not one of theirs",
                    user.label
                ));
            }
        }
        if page >= v["pagination"]["pages"].as_i64().unwrap_or(0) {
            break;
        }
        page += 1;
    }
}

/// A practitioner of `procedure`'s partnership who may see no child's details at all.
fn unrelated_practitioner(w: &World) -> PersonRow {
    w.people
        .iter()
        .filter(|p| p.roles == ["practitioner"])
        .find(|p| {
            w.escalations
                .iter()
                .all(|e| w.sees(p, e).is_none_or(|s| !s.child_details))
        })
        .expect("a practitioner involved in no escalation")
        .clone()
}

async fn sweep_as(
    h: Arc<Harness>,
    rules: Arc<Rules>,
    user: User,
    focus: String,
) -> (Findings, usize) {
    let person = user.person.clone().unwrap();
    let api = h.bearer_for(&person).await;
    let mut f = Findings::default();
    let pages = crawl(&h, &rules, &user, &mut f).await;
    if std::env::var_os("PARLEY_TEST_SHOW_CRAWL").is_some() {
        eprintln!("{}: {:#?}", user.label, pages);
    }
    sweep_routes(&h, &rules, &user, &api, &focus, &mut f).await;
    (f, pages.len())
}

/// Issue 13, item 3: the people involved try to write each child's name and identifier into
/// every text the business team reads (every stage-record field, the reason of an action, each
/// part of a dissent statement, a compliment), through the API. Each must be refused; were one kept, the sweep that follows
/// would find its marker in the business team's pages. Returns how many were tried.
async fn try_to_seed_children_into_free_text(h: &Harness, w: &World, bt: &PersonRow) -> usize {
    let mut tried = 0;
    let mut kept = Vec::new();
    let escalations = w
        .escalations
        .iter()
        .filter(|e| e.subject == "child" && w.sees(bt, e).is_some())
        .take(8);
    for e in escalations {
        let child = h.state.store.child_details(&e.id).await.unwrap().unwrap();
        let child: serde_json::Value = serde_json::from_str(&child).unwrap();
        let name = child["name"].as_str().unwrap().to_owned();
        let identifier = child["identifier"].as_str().unwrap_or_default().to_owned();
        let raiser = w.person(&e.raised_by).clone();
        let api = h.bearer_for(&raiser).await;
        let view = h
            .get(&format!("/api/escalations/{}", e.id), &api)
            .await
            .json();
        let version = view["version"].as_i64().unwrap();
        let fields: Vec<String> = view["stages"]
            .as_array()
            .and_then(|s| s.last())
            .and_then(|s| s["record"].as_array())
            .map(|r| {
                r.iter()
                    .map(|f| f["id"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        let texts = [format!("Discussed {name}"), format!("Case {identifier}")];
        let mut attempts: Vec<serde_json::Value> = Vec::new();
        for text in &texts {
            for f in &fields {
                attempts.push(serde_json::json!({"version": version, "action": "record", "fields": {f: text}}));
            }
            if e.status == "open" {
                attempts.push(
                    serde_json::json!({"version": version, "action": "withdraw", "reason": text}),
                );
            }
            // Issue 14, item 2: each part of a dissent statement, where the raiser may record
            // the disagreement at the stage.
            let stage = parley_core::procedure::StageNumber::new(e.current_stage).unwrap();
            let records_dissent = w
                .procedure
                .outcomes
                .allowed
                .contains(&parley_core::names::Resolution::DisagreementRecorded)
                && w.procedure
                    .may(stage, parley_core::names::StageAction::Resolve)
                    .contains(&parley_core::names::Actor::Raiser);
            if e.status == "open" && records_dissent {
                for part in ["who", "why", "raising_side_will", "receiving_side_will"] {
                    let mut dissent = serde_json::json!({
                        "who": "The school",
                        "why": "A home visit is still needed.",
                        "raising_side_will": "Stay in the core group.",
                        "receiving_side_will": "Review the plan.",
                    });
                    dissent[part] = serde_json::json!(text);
                    attempts.push(serde_json::json!({
                        "version": version,
                        "action": "resolve",
                        "outcome": "disagreement-recorded",
                        "dissent": dissent,
                    }));
                }
            }
        }
        for body in attempts {
            tried += 1;
            let r = h
                .send_json(
                    Method::POST,
                    &format!("/api/escalations/{}/actions", e.id),
                    &api,
                    &body,
                )
                .await;
            if r.status != 422 {
                kept.push(format!("{} {body}: {}", e.reference, r.status));
            }
        }
        let to = h.get("/api/compliments", &api).await.json()["recipients"][0]["id"].clone();
        for text in &texts {
            tried += 1;
            let r = h
                .send_json(
                    Method::POST,
                    "/api/compliments",
                    &api,
                    &serde_json::json!({"to_person_id": to, "message": text}),
                )
                .await;
            if r.status != 422 {
                kept.push(format!(
                    "compliment by {} {text:?}: {}",
                    raiser.name, r.status
                ));
            }
        }
    }
    assert!(
        kept.is_empty(),
        "texts naming a child were accepted:\n  {}",
        kept.join("\n  ")
    );
    tried
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_child_details_reach_the_business_team_or_unrelated_people() {
    let h = Arc::new(Harness::new().await);
    let a = h.partnership_of("solihull");
    let b = h.partnership_of("dorset");
    {
        let w = h.world(&a).await;
        let bt = h
            .person(&h.sign_in_of(&a, "partnership-business-team").person_id)
            .await;
        let tried = try_to_seed_children_into_free_text(&h, &w, &bt).await;
        assert!(tried > 20, "only {tried} texts naming a child were tried");
    }
    let rules = Arc::new(Rules::read(&h).await);
    let wa = &rules.worlds[&a];

    // The business team signs in through the form, as a person would.
    let bt = h
        .person(&h.sign_in_of(&a, "partnership-business-team").person_id)
        .await;
    let mut users = vec![h.sign_in_as("the Solihull business team", &bt).await];
    let unrelated = unrelated_practitioner(wa);
    users.push(
        h.session_for("an unrelated Solihull practitioner", &unrelated)
            .await,
    );
    // Someone of another partnership, who sees every Solihull escalation id in every route.
    let other_bt = h
        .person(&h.sign_in_of(&b, "partnership-business-team").person_id)
        .await;
    users.push(h.session_for("the Dorset business team", &other_bt).await);
    let mut users: Vec<(User, String)> = users.into_iter().map(|u| (u, a.clone())).collect();
    // Someone appointed to escalations whose appointment does not show the child (issue 14,
    // item 4: Sunderland's Independent Scrutineer, appointed at step 4 in the demo), swept
    // over their own partnership's escalations.
    let c = h.partnership_of("sunderland");
    let scrutineer = h
        .person(&h.sign_in_of(&c, "independent-scrutineer").person_id)
        .await;
    assert!(
        rules.worlds[&c]
            .appointed
            .iter()
            .any(|(_, p, _)| *p == scrutineer.id),
        "the demo appoints the Independent Scrutineer somewhere"
    );
    users.push((
        h.session_for(
            "the appointed Sunderland Independent Scrutineer",
            &scrutineer,
        )
        .await,
        c,
    ));

    let mut tasks = tokio::task::JoinSet::new();
    for (user, focus) in users {
        let label = user.label.clone();
        let (h, rules) = (h.clone(), rules.clone());
        tasks.spawn(async move { (label, sweep_as(h, rules, user, focus).await) });
    }
    let mut problems = Vec::new();
    let mut summary = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let (label, (f, pages)) = done.unwrap();
        summary.push(format!(
            "{label}: {pages} pages crawled, {} responses, {} PDFs read",
            f.fetched, f.pdfs
        ));
        // The partnership view and its filters were reached (the crawl is not trivially
        // small), and the forms it may download were read (when pdftotext is there).
        if label.contains("business team") {
            assert!(pages > 20, "{label}: only {pages} pages crawled");
            assert!(
                f.pdfs > 0 || crate::forms::no_pdftotext(),
                "{label}: no PDF was read"
            );
        }
        problems.extend(f.problems);
    }
    eprintln!("leak sweep: {}", summary.join("; "));
    assert!(
        problems.is_empty(),
        "{} responses show what they must not:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

/// The sweep can fail: someone involved finds the marker on the child's page (and in the
/// API), and each reading is recorded as a `child-details-read` event naming the reader.
#[tokio::test]
async fn a_related_practitioner_sees_the_child_and_the_reading_is_recorded() {
    let h = Harness::new().await;
    let a = h.partnership_of("solihull");
    let w = h.world(&a).await;
    let e = w
        .escalations
        .iter()
        .find(|e| e.subject == "child" && e.status == "open")
        .unwrap();
    let child = h.state.store.child_details(&e.id).await.unwrap().unwrap();
    let marker = markers_in(&child).into_iter().next().unwrap();
    let raiser = w.person(&e.raised_by).clone();
    let user = h.session_for("the raiser", &raiser).await;
    let before = h.state.records.access_log(&e.id).await.unwrap();

    // The GET offers a button and shows nothing; the POST shows the details.
    let r = h
        .get(&format!("/escalations/{}/child", e.id), &user.auth)
        .await;
    assert_eq!(r.status, 200, "{}", excerpt(&r.body));
    assert!(
        !r.body.contains(&marker),
        "the child's GET page shows {marker}"
    );
    let r = h
        .post_form(&format!("/escalations/{}/child", e.id), &user.auth, &[])
        .await;
    assert_eq!(r.status, 200, "{}", excerpt(&r.body));
    assert!(r.body.contains(&marker), "the child's page lacks {marker}");
    let log = h.state.records.access_log(&e.id).await.unwrap();
    assert_eq!(log.len(), before.len() + 1, "the reading was not recorded");
    assert_eq!(
        log.last().unwrap(),
        &(now().as_microsecond(), raiser.id.clone())
    );

    let api = h.bearer_for(&raiser).await;
    let r = h
        .send_json(
            Method::POST,
            &format!("/api/escalations/{}/child", e.id),
            &api,
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", excerpt(&r.body));
    assert!(r.body.contains(&marker), "the API's child lacks {marker}");
    assert_eq!(
        h.state.records.access_log(&e.id).await.unwrap().len(),
        before.len() + 2
    );

    // The event itself: kind `child-details-read`, on the escalation's access stream, by the
    // reader.
    let events = h
        .state
        .store
        .stream_events(&a, &[format!("access:{}", e.id)])
        .await
        .unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.kind, "child-details-read");
    assert_eq!(last.actor.as_deref(), Some(raiser.id.as_str()));

    // The business team, who sees this escalation, is refused the child, and nothing is
    // recorded for them.
    if let Some(bt) = w
        .people
        .iter()
        .find(|p| p.roles == ["partnership-business-team"])
        .filter(|p| w.sees(p, e).is_some())
    {
        let user = h.session_for("the business team", bt).await;
        let r = h
            .get(&format!("/escalations/{}/child", e.id), &user.auth)
            .await;
        assert_eq!(r.status, 404);
        assert!(!r.body.contains(MARKER_PREFIX));
        let r = h
            .post_form(&format!("/escalations/{}/child", e.id), &user.auth, &[])
            .await;
        assert_eq!(r.status, 404);
        assert!(!r.body.contains(MARKER_PREFIX));
        assert_eq!(
            h.state.records.access_log(&e.id).await.unwrap().len(),
            before.len() + 2
        );
    }
}

#[test]
fn links_and_get_forms_are_found() {
    let html = r#"<a href="/escalations/1?x=1&amp;y=2#top">a</a>
        <form method="get" action="/partnership"><select name="stage"><option value="">Any</option>
        <option value="2">2</option></select>
        <input type="checkbox" name="overdue" value="yes"></form>
        <form method="post" action="/sign-out"><input type="radio" name="no" value="no"></form>"#;
    let found = links(html);
    assert_eq!(
        found,
        [
            "/escalations/1?x=1&y=2#top",
            "/partnership?stage=",
            "/partnership?stage=2",
            "/partnership?overdue=yes"
        ]
    );
    assert_eq!(same_site(&found[0]).unwrap(), "/escalations/1?x=1&y=2");
    assert_eq!(same_site("https://www.gov.uk/"), None);
    assert_eq!(
        markers_in("a MARKER-SOLIHULL-00020 (x) \"MARKER-DORSET-00001\""),
        BTreeSet::from([
            "MARKER-SOLIHULL-00020".to_owned(),
            "MARKER-DORSET-00001".to_owned()
        ])
    );
}

/// Issue 14, item 5: the people leading a referral step see the escalation without the
/// child. Sunderland's Independent Scrutineer (a person added with that role) and
/// Buckinghamshire's business team (which leads the BSCP step) crawl everything they reach,
/// and every route is tried with their partnership's escalations: no child marker and no case
/// text may show. The scrutineer must reach at least one escalation (the demo refers some to
/// the scrutineer), or the sweep proves nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_child_details_reach_referral_leads() {
    let h = Arc::new(Harness::new().await);
    let sunderland = h.partnership_of("sunderland");
    let bucks = h.partnership_of("buckinghamshire");
    let id = h
        .state
        .records
        .save_person(
            crate::harness::now(),
            &parley_store::records::Actor::SYSTEM,
            &sunderland,
            None,
            parley_store::records::PersonInput {
                agency_id: None,
                name: "Robin Scrutineer".to_owned(),
                email: "scrutineer@sunderland.example.org".to_owned(),
                job_title: "Independent Scrutineer".to_owned(),
                roles: vec!["independent-scrutineer".to_owned()],
                line_manager_id: None,
                active: true,
            },
        )
        .await
        .unwrap();
    let rules = Arc::new(Rules::read(&h).await);
    let scrutineer = h.person(&id).await;
    let ws = &rules.worlds[&sunderland];
    let reached = ws
        .escalations
        .iter()
        .filter(|e| ws.sees(&scrutineer, e).is_some())
        .count();
    assert!(reached > 0, "the scrutineer reaches no demo escalation");
    let bt = h
        .person(&h.sign_in_of(&bucks, "partnership-business-team").person_id)
        .await;
    let users = vec![
        (
            h.session_for("the Sunderland scrutineer", &scrutineer)
                .await,
            sunderland.clone(),
        ),
        (
            h.session_for("the Buckinghamshire business team", &bt)
                .await,
            bucks.clone(),
        ),
    ];
    let mut tasks = tokio::task::JoinSet::new();
    for (user, focus) in users {
        let label = user.label.clone();
        let (h, rules) = (h.clone(), rules.clone());
        tasks.spawn(async move { (label, sweep_as(h, rules, user, focus).await) });
    }
    let mut problems = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let (label, (f, pages)) = done.unwrap();
        assert!(pages > 1, "{label}: only {pages} pages crawled");
        problems.extend(f.problems);
    }
    assert!(
        problems.is_empty(),
        "{} responses show what they must not:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}
