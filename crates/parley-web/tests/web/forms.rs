//! The procedures' forms as PDF downloads (issue 17, item 4), on each built-in procedure:
//! the escalation page lists the forms that apply now; each downloads, from the page and the
//! API, for exactly the people who see the escalation (a 404 for anyone else); the text of
//! the PDF (pdftotext) shows the reference and what was recorded; the forms sent to the
//! partnership and the stage record without the child hold none of the child's details; the
//! stage record with the child is a POST with the form token, refused to anyone who may not
//! see the child, and recorded as a reading of the child's details.

use std::process::Command;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use parley_demo::MARKER_PREFIX;
use serde_json::{Value, json};

use crate::harness::{Auth, Harness, Resp, excerpt};
use crate::referrals::{CHILD, Case, case};

/// The child's date of birth as the forms print it (`case` raises with 2015-03-02).
const CHILD_BORN: &str = "2 March 2015";

/// Whether pdftotext is missing, said loudly; outside CI only (`scripts/pdf-tools` installs
/// Debian's poppler-utils), as the documents' tests do.
pub(crate) fn no_pdftotext() -> bool {
    if Command::new("pdftotext").arg("-v").output().is_ok() {
        return false;
    }
    let message = "pdftotext not found: run scripts/pdf-tools (Debian's poppler-utils)";
    if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") {
        panic!("{message}; CI needs it");
    }
    eprintln!("!!!! SKIPPED: {message} !!!!");
    true
}

/// The PDF's text with white space made single spaces, or `None` without pdftotext.
pub(crate) fn pdftotext(pdf: &[u8]) -> Option<String> {
    if no_pdftotext() {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("form.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success(), "pdftotext failed");
    let text = String::from_utf8(out.stdout).unwrap();
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A PDF download as the browser gets it: the type, an attachment with a safe name, a PDF.
fn assert_pdf(r: &Resp, what: &str) {
    assert_eq!(r.status, StatusCode::OK, "{what}: {}", excerpt(&r.body));
    assert_eq!(r.header("content-type"), Some("application/pdf"), "{what}");
    let disposition = r.header("content-disposition").unwrap_or("");
    assert!(
        disposition.starts_with("attachment; filename=\"")
            && disposition.ends_with(".pdf\"")
            && disposition["attachment; filename=\"".len()..disposition.len() - 1]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'),
        "{what}: {disposition}"
    );
    assert!(r.bytes.starts_with(b"%PDF-"), "{what}: not a PDF");
}

async fn post_empty(h: &Harness, path: &str, auth: &Auth) -> Resp {
    h.send(
        h.request(Method::POST, path, auth)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

async fn readings(h: &Harness, id: &str) -> usize {
    h.state.records.access_log(id).await.unwrap().len()
}

/// Sends the partnership form with its first field answered, as the first person of the
/// raising side the procedure lets (the raiser, else a raising-side officer of the stage);
/// the sender's id.
async fn send_partnership_form(h: &Harness, c: &Case, text: &str) -> String {
    let v = c.view(h, &c.raiser).await.json();
    let field = v["partnership_form"]["fields"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let raiser = v["raised_by"]["id"].as_str().unwrap().to_owned();
    let mut people = vec![(raiser, c.raiser.clone())];
    for side in v["current_stage"]["leads"].as_array().unwrap() {
        if side["side"] == "raising" {
            for o in side["officers"].as_array().unwrap() {
                let id = o["id"].as_str().unwrap().to_owned();
                let auth = h.bearer_for(&h.person(&id).await).await;
                people.push((id, auth));
            }
        }
    }
    for (id, who) in people {
        let r = h
            .send_json(
                Method::POST,
                &format!("/api/escalations/{}/partnership-form", c.id),
                &who,
                &json!({"version": v["version"], "answers": {field.clone(): text}}),
            )
            .await;
        if r.status == StatusCode::OK {
            return id;
        }
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", excerpt(&r.body));
    }
    panic!("nobody on the raising side may send the form");
}

/// The people tried on one escalation, with whether each sees it and its child.
async fn people(h: &Harness, c: &Case) -> Vec<(String, Auth, Auth, Option<bool>)> {
    let w = h.world(&c.partnership).await;
    let e = w.escalations.iter().find(|e| e.id == c.id).unwrap().clone();
    let mut out = Vec::new();
    let mut roles_seen = std::collections::BTreeSet::new();
    let mut unrelated = 0;
    for p in w.people.iter().filter(|p| p.active) {
        let seen = w.sees(p, &e);
        // Everyone who sees it, one of each role who does not, and two unrelated people.
        let role = p.roles.join(",");
        let keep = seen.is_some() || roles_seen.insert(role.clone()) || {
            unrelated += 1;
            unrelated <= 2
        };
        if keep {
            let page = h.session_for(&p.name, p).await.auth;
            let api = h.bearer_for(p).await;
            out.push((
                format!("{} ({role})", p.name),
                page,
                api,
                seen.map(|s| s.child_details),
            ));
        }
    }
    // Someone of another partnership.
    let other = h.partnership_of(if c.partnership == h.partnership_of("solihull") {
        "dorset"
    } else {
        "solihull"
    });
    let ow = h.world(&other).await;
    let stranger = ow.people.iter().find(|p| p.active).unwrap();
    out.push((
        format!("{} (another partnership)", stranger.name),
        h.session_for(&stranger.name, stranger).await.auth,
        h.bearer_for(stranger).await,
        None,
    ));
    out
}

/// Every form of one procedure's escalation, for everyone.
async fn check_procedure(procedure: &str) {
    let h = Harness::new().await;
    let p = h.partnership_of(procedure);
    let rules = h.world(&p).await.procedure;
    let from = rules
        .partnership_form
        .as_ref()
        .map_or(2, |f| i64::from(f.from_stage.get()));
    let c = case(&h, procedure, from).await;
    let reference = c.view(&h, &c.raiser).await.json()["reference"]
        .as_str()
        .unwrap()
        .to_owned();

    // Before the partnership form is sent, only the stage record applies.
    let listed = |v: &Value| -> Vec<String> {
        v["forms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let record_forms: Vec<String> = rules
        .forms
        .iter()
        .filter(|f| f.layout.may_hold_child())
        .map(|f| f.id.clone())
        .collect();
    let partnership_forms: Vec<String> = rules
        .forms
        .iter()
        .filter(|f| !f.layout.may_hold_child())
        .map(|f| f.id.clone())
        .collect();
    assert!(
        !record_forms.is_empty(),
        "{procedure}: no stage record form"
    );
    assert_eq!(
        listed(&c.view(&h, &c.raiser).await.json()),
        record_forms,
        "{procedure}: before sending"
    );
    for f in &partnership_forms {
        let r = h
            .get(&format!("/escalations/{}/forms/{f}.pdf", c.id), &c.raiser)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{f} before it was sent");
    }
    let answer = format!("What {procedure} wrote on the form");
    let mut sender = None;
    if !partnership_forms.is_empty() {
        sender = Some(send_partnership_form(&h, &c, &answer).await);
        let all: Vec<String> = rules.forms.iter().map(|f| f.id.clone()).collect();
        assert_eq!(listed(&c.view(&h, &c.raiser).await.json()), all);
    }

    // The page lists them, with links to the PDFs.
    let raiser_page = {
        let w = h.world(&p).await;
        let e = w.escalations.iter().find(|e| e.id == c.id).unwrap();
        let raiser = w
            .people
            .iter()
            .find(|x| x.id == e.raised_by)
            .unwrap()
            .clone();
        h.session_for("raiser", &raiser).await.auth
    };
    let page = h.get(&format!("/escalations/{}", c.id), &raiser_page).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("id=\"documents\""),
        "{procedure}: no Documents"
    );
    for f in &rules.forms {
        assert!(
            page.body.contains(&format!(
                "href=\"/escalations/{}/forms/{}.pdf\"",
                c.id, f.id
            )),
            "{procedure}: no link to {}",
            f.id
        );
    }
    for f in &record_forms {
        assert!(
            page.body.contains(&format!(
                "<form method=\"post\" action=\"/escalations/{}/forms/{f}.pdf\"",
                c.id
            )),
            "{procedure}: the raiser is not offered {f} with the child"
        );
    }

    let mut checked_text = 0;
    for (who, page_auth, api_auth, seen) in people(&h, &c).await {
        for f in &rules.forms {
            let page_path = format!("/escalations/{}/forms/{}.pdf", c.id, f.id);
            let api_path = format!("/api/escalations/{}/forms/{}", c.id, f.id);
            let what = format!("{procedure} {} as {who}", f.id);
            let before = readings(&h, &c.id).await;
            let r = h.get(&page_path, &page_auth).await;
            let api = h.get(&api_path, &api_auth).await;
            if seen.is_none() {
                assert_eq!(r.status, StatusCode::NOT_FOUND, "{what}");
                assert_eq!(api.status, StatusCode::NOT_FOUND, "{what} (API)");
            } else {
                assert_pdf(&r, &what);
                assert_pdf(&api, &format!("{what} (API)"));
                // The same input makes the same PDF.
                assert_eq!(r.bytes, api.bytes, "{what}: page and API differ");
                if (checked_text < 2 || !f.layout.may_hold_child())
                    && let Some(text) = pdftotext(&r.bytes)
                {
                    checked_text += 1;
                    assert!(text.contains(&reference), "{what}: {text}");
                    assert!(text.contains(&f.title), "{what}: no title: {text}");
                    for marker in [CHILD, "Pennington", CHILD_BORN, MARKER_PREFIX] {
                        assert!(!text.contains(marker), "{what} holds {marker}: {text}");
                    }
                    if !f.layout.may_hold_child() {
                        assert!(text.contains(&answer), "{what}: no answer: {text}");
                    }
                    if let Some(s) = &sender
                        && f.layout.as_str() == "referral-proforma"
                    {
                        let name = h.person(s).await.name;
                        // Sunderland Appendix 1, "Signed": the referrer's recorded
                        // confirmation, with the event that holds it.
                        assert!(text.contains(&name), "{what}: no referrer: {text}");
                        assert!(text.contains("event "), "{what}: no event: {text}");
                    }
                }
            }
            // With the child: a POST, for those who may see the child, on the stage record.
            let with_child = seen == Some(true) && f.layout.may_hold_child();
            let r = h.post_form(&page_path, &page_auth, &[]).await;
            let api = post_empty(&h, &api_path, &api_auth).await;
            if with_child {
                assert_pdf(&r, &format!("{what} with the child"));
                assert_pdf(&api, &format!("{what} with the child (API)"));
                if let Some(text) = pdftotext(&r.bytes) {
                    assert!(text.contains(CHILD), "{what}: no child: {text}");
                    assert!(text.contains(CHILD_BORN), "{what}: no birth date: {text}");
                    assert!(text.contains(&reference), "{what}: {text}");
                }
                assert_eq!(
                    readings(&h, &c.id).await,
                    before + 2,
                    "{what}: each download with the child is a recorded reading"
                );
            } else {
                assert_eq!(r.status, StatusCode::NOT_FOUND, "{what} with the child");
                assert_eq!(
                    api.status,
                    StatusCode::NOT_FOUND,
                    "{what} with the child (API)"
                );
                assert_eq!(
                    readings(&h, &c.id).await,
                    before,
                    "{what}: recorded a reading"
                );
            }
            // Without the form token the page's POST is refused and records nothing.
            if with_child {
                let n = readings(&h, &c.id).await;
                let r = h
                    .post_raw_form(&page_path, &page_auth, &[("csrf", "wrong")], &[])
                    .await;
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{what} without the token");
                assert_eq!(
                    readings(&h, &c.id).await,
                    n,
                    "{what}: a forged POST recorded"
                );
            }
        }
    }
    assert!(checked_text > 0 || no_pdftotext());

    // A form the procedure does not have, and a name without `.pdf`.
    let r = h
        .get(
            &format!("/escalations/{}/forms/no-such-form.pdf", c.id),
            &c.raiser,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h
        .get(
            &format!("/escalations/{}/forms/{}", c.id, record_forms[0]),
            &raiser_page,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_buckinghamshire() {
    check_procedure("buckinghamshire").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_croydon() {
    check_procedure("croydon").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_dorset() {
    check_procedure("dorset").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_solihull() {
    check_procedure("solihull").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_sunderland() {
    check_procedure("sunderland").await;
}

/// The canary sweep over the demo's PDFs: every form the business team of each partnership
/// can download, for the escalations it sees, holds none of the demo children's markers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_the_business_team_downloads_hold_no_child_marker() {
    let h = Harness::new().await;
    let mut swept = 0;
    for procedure in [
        "buckinghamshire",
        "croydon",
        "dorset",
        "solihull",
        "sunderland",
    ] {
        let p = h.partnership_of(procedure);
        let w = h.world(&p).await;
        let team = w
            .people
            .iter()
            .find(|x| x.active && x.roles.iter().any(|r| r == "partnership-business-team"))
            .unwrap()
            .clone();
        let auth = h.bearer_for(&team).await;
        let seen: Vec<_> = w
            .escalations
            .iter()
            .filter(|e| e.subject == "child" && w.sees(&team, e).is_some())
            .take(3)
            .collect();
        assert!(
            !seen.is_empty(),
            "{procedure}: the business team sees nothing"
        );
        for e in seen {
            let v = h
                .get(&format!("/api/escalations/{}", e.id), &auth)
                .await
                .json();
            for f in v["forms"].as_array().unwrap() {
                assert!(
                    f["with_child_href"].is_null(),
                    "{procedure}: offered the child"
                );
                let r = h.get(f["api_href"].as_str().unwrap(), &auth).await;
                assert_pdf(&r, &format!("{} {}", e.reference, f["id"]));
                if let Some(text) = pdftotext(&r.bytes) {
                    assert!(text.contains(&e.reference));
                    assert!(
                        !text.contains(MARKER_PREFIX),
                        "{} {} holds a child marker: {text}",
                        e.reference,
                        f["id"]
                    );
                    swept += 1;
                }
            }
        }
    }
    assert!(swept > 0 || no_pdftotext(), "nothing was swept");
}
