//! Child identifiers in the free text the partnership reads (issue 13, items 3 and 11), from
//! the attacker's side: a practitioner involved in an escalation about Jamie Smith (born 2
//! March 2015, NHS number 943 476 5919) tries to put the child into every box the business
//! team reads — the summary, each stage-record field, the reason given with an action, a
//! compliment — through the pages and the API, with every evasion of a table. Each is
//! refused with a message naming the field (the API's 422 problem; the page's GOV.UK error
//! summary linking to the box), and nothing is written. Ordinary texts go through.

use axum::http::{Method, StatusCode};
use parley_store::rows::PersonRow;
use serde_json::{Value, json};

use crate::harness::*;

const NAME: &str = "Jamie Smith";
const DOB: &str = "2015-03-02";
const NHS: &str = "NHS 943 476 5919";

/// Texts that identify Jamie Smith: every evasion, every way of writing the date of birth,
/// every form of the NHS number.
fn hostile() -> Vec<String> {
    [
        // The reported text.
        "Discussed Jamie Smith (DOB 2/3/2015) at 14 Acacia Road",
        // The name and its parts, in any case.
        "Discussed Jamie today",
        "the SMITH family attended",
        "jAmIe's school",
        "the Smiths were there",
        // Invisible characters inside the name.
        "Ja\u{200B}mie attended",
        "Ja\u{00AD}mie attended",
        "Ja\u{2060}mie attended",
        "Ja\u{FEFF}mie attended",
        "Ja\u{200D}mie attended",
        // Separators inside the name.
        "Ja-mie attended",
        "J.a.m.i.e attended",
        "J a m i e attended",
        // Look-alike letters: Cyrillic, Greek, full-width, mathematical.
        "\u{0408}\u{0430}mie attended",
        "Sm\u{0456}th family",
        "J\u{03B1}mie attended",
        "\u{FF2A}\u{FF41}\u{FF4D}\u{FF49}\u{FF45} attended",
        "\u{1D409}\u{1D41A}\u{1D426}\u{1D422}\u{1D41E} attended",
        // Combining accents.
        "Ja\u{0301}mie attended",
        "Jámie attended",
        // Run together.
        "#JamieSmith",
        // The date of birth as people write it.
        "born 2/3/2015",
        "born 02/03/2015",
        "born 2.3.15",
        "born 2-3-2015",
        "born 2015-03-02",
        "born 2 March 2015",
        "born 2nd Mar 2015",
        "born March 2, 2015",
        "born 02032015",
        "born \u{FF12}/\u{FF13}/\u{FF12}\u{FF10}\u{FF11}\u{FF15}",
        // The NHS number, with or without the prefix and separators.
        "NHS 943 476 5919",
        "9434765919",
        "943-476-5919",
        "NHS9434765919",
        "nhs no: 943\u{200B}476\u{200B}5919",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

/// Ordinary texts that must go through (no false positive on ordinary words).
const CLEAN: &[&str] = &[
    "The agencies met on 2 March 2026 and agreed a plan.",
    "We will meet again next week; Samuel from the school attended.",
    "The smithy and Smithson Road were mentioned, but no child.",
    "Referral 943 476 was incomplete.",
    "Is a strategy meeting needed? Yes.",
];

/// Texts that show nothing or reorder what is shown (item 11).
const UNFIT: &[&str] = &[
    "\u{200B}",
    "\u{2060}\u{2060}",
    "\u{FEFF}",
    "\u{200B}\u{200C}\u{200D}",
    "\u{00AD}",
    "\u{3164}",
    "Agreed \u{202E}nalp eht",
    "\u{202A}Agreed",
    "\u{202B}Agreed",
    "\u{202D}Agreed",
    "Agreed \u{2066}plan\u{2069}",
    "Agreed \u{2067}plan",
    "Agreed \u{2068}plan",
    "Agreed\u{200E}",
    "Agreed\u{200F}",
];

/// A practitioner (of Solihull unless said) with an open escalation about Jamie Smith, raised
/// through the API.
struct Case {
    raiser: PersonRow,
    user: User,
    api: Auth,
    id: String,
    /// Someone in another agency, to compliment, where the procedure invites compliments.
    colleague: Option<String>,
}

async fn raise_body(h: &Harness, api: &Auth, summary: &str) -> Value {
    let o = h.get("/api/raise/options", api).await.json();
    let mut body = json!({
        "immediate_risk": false,
        "other_procedure": "none",
        "route": "individual",
        "receiving_agency_id": o["agencies"][0]["id"],
        "decision": "The referral was closed without an assessment.",
        "summary": summary,
        "category": o["categories"][0]["id"],
        "evidence": "The referral set out three concerns that were not looked into.",
        "outcome_wanted": "An assessment.",
        "child": {
            "name": NAME,
            "date_of_birth": DOB,
            "identifier": NHS,
            "status": o["child_statuses"][0]["id"],
        }
    });
    // Dorset's Day One is the date of the decision to raise it (§4): decided today.
    if let Some(latest) = o["decision_date"]["latest"].as_str() {
        body["decided_on"] = json!(latest);
    }
    body
}

async fn case(h: &Harness) -> Case {
    case_in(h, "solihull").await
}

async fn case_in(h: &Harness, procedure: &str) -> Case {
    let a = h.partnership_of(procedure);
    let w = h.world(&a).await;
    let raiser = w
        .people
        .iter()
        .find(|p| p.roles == ["practitioner"] && p.agency_id.is_some() && p.active)
        .unwrap()
        .clone();
    let api = h.bearer_for(&raiser).await;
    let body = raise_body(h, &api, "Referral closed without assessment").await;
    let r = h
        .send_json(Method::POST, "/api/escalations", &api, &body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", excerpt(&r.body));
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let colleague = h.get("/api/compliments", &api).await.json()["recipients"][0]["id"]
        .as_str()
        .map(str::to_owned);
    let user = h.session_for("the raiser", &raiser).await;
    Case {
        raiser,
        user,
        api,
        id,
        colleague,
    }
}

impl Case {
    async fn version(&self, h: &Harness) -> i64 {
        h.get(&format!("/api/escalations/{}", self.id), &self.api)
            .await
            .json()["version"]
            .as_i64()
            .unwrap()
    }

    async fn api_action(&self, h: &Harness, action: Value) -> Resp {
        let mut body = action;
        body["version"] = json!(self.version(h).await);
        h.send_json(
            Method::POST,
            &format!("/api/escalations/{}/actions", self.id),
            &self.api,
            &body,
        )
        .await
    }

    async fn page_post(&self, h: &Harness, slug: &str, fields: &[(&str, &str)]) -> Resp {
        let version = self.version(h).await.to_string();
        let mut all = vec![("version", version.as_str())];
        all.extend_from_slice(fields);
        h.post_form(
            &format!("/escalations/{}/{slug}", self.id),
            &self.user.auth,
            &all,
        )
        .await
    }
}

/// A refusal by the API: a 422 problem whose detail names the field.
/// A refusal by the API: 422, the one problem shape, its `errors` naming the request's
/// member `field` with a message holding `field_words`.
fn refused_by_api(
    r: &Resp,
    field: &str,
    field_words: &str,
    what: &str,
    problems: &mut Vec<String>,
) {
    let problem = serde_json::from_str::<Value>(&r.body).unwrap_or_default();
    let named = problem["code"] == "invalid"
        && problem["errors"].as_array().is_some_and(|errors| {
            errors.iter().any(|e| {
                e["field"] == field
                    && e["message"]
                        .as_str()
                        .is_some_and(|m| m.contains(field_words))
            })
        });
    if r.status != StatusCode::UNPROCESSABLE_ENTITY || !named {
        problems.push(format!("API {what}: {} {}", r.status, excerpt(&r.body)));
    }
}

/// A refusal by a page: 422, the error summary linking to the box, the message beside it.
fn refused_by_page(
    r: &Resp,
    field_id: &str,
    field_words: &str,
    what: &str,
    problems: &mut Vec<String>,
) {
    let ok = r.status == StatusCode::UNPROCESSABLE_ENTITY
        && r.body.contains("govuk-error-summary")
        && r.body.contains(&format!("href=\"#{field_id}\""))
        && r.body.contains(&format!("id=\"{field_id}-error\""))
        && r.body.contains(field_words);
    if !ok {
        problems.push(format!("page {what}: {} {}", r.status, excerpt(&r.body)));
    }
}

fn report(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} hostile texts were not refused as they should be:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn the_tables_are_big_enough() {
    assert!(hostile().len() >= 30);
}

#[tokio::test]
async fn stage_records_naming_the_child_are_refused_by_pages_and_the_api() {
    let h = Harness::new().await;
    let c = case(&h).await;
    let before = c.version(&h).await;
    let mut problems = Vec::new();
    for text in hostile() {
        for (field, label) in [
            ("discussion", "Discussion"),
            ("involved", "Who was involved"),
        ] {
            let r = c
                .api_action(&h, json!({"action": "record", "fields": {field: text}}))
                .await;
            refused_by_api(
                &r,
                &format!("fields.{field}"),
                label,
                &format!("record {field} {text:?}"),
                &mut problems,
            );
            let name = format!("record-{field}");
            let r = c.page_post(&h, "record", &[(&name, &text)]).await;
            refused_by_page(
                &r,
                &name,
                label,
                &format!("record {field} {text:?}"),
                &mut problems,
            );
        }
    }
    for text in UNFIT {
        let r = c
            .api_action(&h, json!({"action": "record", "fields": {"outcome": text}}))
            .await;
        refused_by_api(
            &r,
            "fields.outcome",
            "Outcome",
            &format!("record outcome {text:?}"),
            &mut problems,
        );
        let r = c.page_post(&h, "record", &[("record-outcome", text)]).await;
        refused_by_page(
            &r,
            "record-outcome",
            "Outcome",
            &format!("record {text:?}"),
            &mut problems,
        );
    }
    report(&problems);
    assert_eq!(c.version(&h).await, before, "a refused record was written");

    // Ordinary texts are kept, through both.
    for text in CLEAN {
        let r = c
            .api_action(
                &h,
                json!({"action": "record", "fields": {"discussion": text}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{text}: {}", excerpt(&r.body));
        let other = format!("{text} (again)");
        let r = c
            .page_post(&h, "record", &[("record-discussion", &other)])
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{text}: {}",
            excerpt(&r.body)
        );
    }
    assert_eq!(c.version(&h).await, before + 2 * CLEAN.len() as i64);
}

#[tokio::test]
async fn reasons_naming_the_child_are_refused_by_pages_and_the_api() {
    let h = Harness::new().await;
    let c = case(&h).await;
    let before = c.version(&h).await;
    let mut problems = Vec::new();
    let texts: Vec<String> = hostile()
        .into_iter()
        .chain(UNFIT.iter().map(|s| (*s).to_owned()))
        .collect();
    for text in &texts {
        for action in ["withdraw", "escalate", "convene-meeting"] {
            let r = c
                .api_action(&h, json!({"action": action, "reason": text}))
                .await;
            refused_by_api(
                &r,
                "reason",
                "The reason",
                &format!("{action} {text:?}"),
                &mut problems,
            );
        }
        let r = c.page_post(&h, "withdraw", &[("reason", text)]).await;
        refused_by_page(
            &r,
            "reason",
            "The reason",
            &format!("withdraw {text:?}"),
            &mut problems,
        );
    }
    report(&problems);
    assert_eq!(c.version(&h).await, before, "a refused action was taken");
    // An ordinary reason withdraws it.
    let r = c.page_post(&h, "withdraw", &[("reason", CLEAN[1])]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", excerpt(&r.body));
}

#[tokio::test]
async fn summaries_naming_the_child_are_refused_by_pages_and_the_api() {
    let h = Harness::new().await;
    let c = case(&h).await;
    let mut problems = Vec::new();
    let texts: Vec<String> = hostile()
        .into_iter()
        .chain(UNFIT.iter().map(|s| (*s).to_owned()))
        .filter(|t| t.chars().count() <= 150)
        .collect();
    for text in &texts {
        let body = raise_body(&h, &c.api, text).await;
        let r = h
            .send_json(Method::POST, "/api/escalations", &c.api, &body)
            .await;
        let named = r.status == StatusCode::UNPROCESSABLE_ENTITY
            && r.json()["errors"].as_array().is_some_and(|errors| {
                errors.iter().any(|e| {
                    e["field"] == "summary"
                        && e["message"]
                            .as_str()
                            .is_some_and(|m| m.starts_with("The summary"))
                })
            });
        if !named {
            problems.push(format!(
                "API summary {text:?}: {} {}",
                r.status,
                excerpt(&r.body)
            ));
        }
    }
    // The pages: a whole draft with the child, then the summary changed on its own page.
    let auth = &c.user.auth;
    let o = h.get("/api/raise/options", &c.api).await.json();
    let agency = o["agencies"][0]["id"].as_str().unwrap().to_owned();
    let category = o["categories"][0]["id"].as_str().unwrap().to_owned();
    let status = o["child_statuses"][0]["id"].as_str().unwrap().to_owned();
    let steps: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("immediate-risk", vec![("immediate-risk", "no")]),
        ("other-procedure", vec![("other-procedure", "none")]),
        ("route", vec![("route", "individual")]),
        ("receiving", vec![("receiving-agency", &agency)]),
        ("receiving-person", vec![("receiving-person", "none")]),
        (
            "decision",
            vec![
                ("decision", "The referral was closed."),
                ("summary", "Referral closed"),
            ],
        ),
        ("category", vec![("category", &category)]),
        (
            "evidence",
            vec![("evidence", "Three concerns were not looked into.")],
        ),
        ("outcome", vec![("outcome-wanted", "An assessment.")]),
        (
            "child",
            vec![
                ("child-name", NAME),
                ("dob-day", "2"),
                ("dob-month", "3"),
                ("dob-year", "2015"),
                ("child-identifier", NHS),
                ("child-status", &status),
            ],
        ),
    ];
    for (step, fields) in &steps {
        let r = h.post_form(&format!("/raise/{step}"), auth, fields).await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{step}: {}",
            excerpt(&r.body)
        );
    }
    for text in &texts {
        let r = h
            .post_form(
                "/raise/decision",
                auth,
                &[("decision", "The referral was closed."), ("summary", text)],
            )
            .await;
        refused_by_page(
            &r,
            "summary",
            "The summary",
            &format!("summary {text:?}"),
            &mut problems,
        );
    }
    report(&problems);
    // An ordinary summary goes through, and the challenge is raised.
    let r = h
        .post_form(
            "/raise/decision",
            auth,
            &[
                ("decision", "The referral was closed."),
                ("summary", CLEAN[1]),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", excerpt(&r.body));
    let r = h.post_form("/raise/check", auth, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", excerpt(&r.body));
}

#[tokio::test]
async fn compliments_naming_a_child_of_the_givers_escalations_are_refused() {
    let h = Harness::new().await;
    // Dorset's procedure invites compliments (§2).
    let c = case_in(&h, "dorset").await;
    let colleague = c.colleague.clone().expect("Dorset invites compliments");
    let before = h
        .state
        .store
        .compliments(&c.raiser.partnership_id)
        .await
        .unwrap()
        .len();
    let mut problems = Vec::new();
    let texts: Vec<String> = hostile()
        .into_iter()
        .chain(UNFIT.iter().map(|s| (*s).to_owned()))
        .collect();
    for text in &texts {
        let r = h
            .send_json(
                Method::POST,
                "/api/compliments",
                &c.api,
                &json!({"to_person_id": colleague, "message": text}),
            )
            .await;
        refused_by_api(
            &r,
            "message",
            "Your compliment",
            &format!("compliment {text:?}"),
            &mut problems,
        );
        let r = h
            .post_form(
                "/compliments",
                &c.user.auth,
                &[("to", &colleague), ("message", text)],
            )
            .await;
        refused_by_page(
            &r,
            "message",
            "Your compliment",
            &format!("compliment {text:?}"),
            &mut problems,
        );
    }
    report(&problems);
    let after = h
        .state
        .store
        .compliments(&c.raiser.partnership_id)
        .await
        .unwrap()
        .len();
    assert_eq!(after, before, "a refused compliment was kept");
    // The box says a compliment has no child.
    let page = h.get("/compliments", &c.user.auth).await;
    assert!(
        page.body
            .contains("A compliment is about a colleague’s work, not a child")
    );
    // Ordinary compliments are given.
    for text in CLEAN {
        let r = h
            .send_json(
                Method::POST,
                "/api/compliments",
                &c.api,
                &json!({"to_person_id": colleague, "message": text}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{text}: {}",
            excerpt(&r.body)
        );
    }
}

#[tokio::test]
async fn every_box_the_partnership_reads_carries_the_hint() {
    let h = Harness::new().await;
    let c = case(&h).await;
    let hint = "The partnership reads this, so do not name the child or family";
    for slug in ["record", "withdraw"] {
        let r = h
            .get(&format!("/escalations/{}/{slug}", c.id), &c.user.auth)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let boxes = r.body.matches("<textarea").count();
        assert!(boxes > 0, "{slug}: no box");
        assert_eq!(
            r.body.matches(hint).count(),
            boxes,
            "{slug}: a box without the hint"
        );
    }
}

#[tokio::test]
async fn names_of_agencies_and_people_that_show_nothing_are_refused() {
    let h = Harness::new().await;
    let a = h.partnership_of("solihull");
    let admin = h.person(&h.sign_in_of(&a, "administrator").person_id).await;
    let api = h.bearer_for(&admin).await;
    let mut problems = Vec::new();
    for text in UNFIT {
        let r = h
            .send_json(
                Method::POST,
                "/api/agencies",
                &api,
                &json!({"name": text, "sector": "health"}),
            )
            .await;
        if r.status != StatusCode::UNPROCESSABLE_ENTITY || !r.body.contains("Agency name") {
            problems.push(format!(
                "agency {text:?}: {} {}",
                r.status,
                excerpt(&r.body)
            ));
        }
        let r = h
            .send_json(
                Method::POST,
                "/api/people",
                &api,
                &json!({"name": text, "email": "new.person@example.org", "job_title": text, "roles": ["practitioner"], "agency_id": null, "line_manager_id": null}),
            )
            .await;
        let body = r.body.clone();
        if r.status != StatusCode::UNPROCESSABLE_ENTITY
            || !body.contains("Full name")
            || !body.contains("Job title")
        {
            problems.push(format!("person {text:?}: {} {}", r.status, excerpt(&body)));
        }
    }
    report(&problems);
}

/// Where the procedure invites no compliments (Solihull), nobody can be given one: the page
/// offers no form and the API answers 404 (issue 14, item 9). Dorset's invites them (§2).
#[tokio::test]
async fn compliments_only_where_the_procedure_invites_them() {
    let h = Harness::new().await;
    let c = case(&h).await;
    assert_eq!(c.colleague, None, "Solihull offers someone to compliment");
    let page = h.get("/compliments", &c.user.auth).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("action=\"/compliments\""),
        "{}",
        excerpt(&page.body)
    );
    let menu = h.get("/my-work", &c.user.auth).await;
    assert!(
        !links_to(&menu.body, "/compliments"),
        "the menu offers compliments"
    );
    let someone = h
        .state
        .store
        .people(&c.raiser.partnership_id)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.agency_id.is_some() && p.agency_id != c.raiser.agency_id)
        .unwrap();
    let r = h
        .send_json(
            Method::POST,
            "/api/compliments",
            &c.api,
            &json!({"to_person_id": someone.id, "message": "Thank you for the quick reply."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", excerpt(&r.body));
    let r = h
        .post_form(
            "/compliments",
            &c.user.auth,
            &[
                ("to", &someone.id),
                ("message", "Thank you for the quick reply."),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", excerpt(&r.body));
    let d = case_in(&h, "dorset").await;
    let page = h.get("/compliments", &d.user.auth).await;
    assert!(
        page.body.contains("action=\"/compliments\""),
        "{}",
        page.body.split("<main").nth(1).unwrap_or(&page.body)
    );
    let menu = h.get("/my-work", &d.user.auth).await;
    assert!(
        links_to(&menu.body, "/compliments"),
        "{}",
        excerpt(&menu.body)
    );
}

/// Whether a page links to `path` (the templates escape the slash in attributes).
fn links_to(body: &str, path: &str) -> bool {
    body.contains(&format!("href=\"{path}\""))
        || body.contains(&format!("href=\"{}\"", path.replace('/', "&#x2f;")))
}
