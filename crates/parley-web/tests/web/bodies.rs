//! Malformed requests to the API (issue 13 item 9): `PUT /api/closure-days` with `{}` or
//! `{"dayz": [...]}` answered 200 and cleared every closure day.
//!
//! Every API route that takes a body (walked from `parley_web::routes::table()`, so a new one
//! cannot escape: without a body in `SHAPES` the test fails) is sent, by someone allowed to
//! use it, `{}`, every member left out, misspelt, and of the wrong type (null, numbers too
//! large, arrays, objects...), and whole bodies that are not objects or not JSON. None may be
//! a 2xx or a 5xx; a misspelt or unknown member is a 422 naming it, a missing required member
//! (as the API document has it) a 422 naming it; and afterwards nothing has changed: no
//! partnership's chain has moved, and the closure days, people, agencies and named officers
//! read the same.

use axum::body::Body;
use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::harness::*;
use crate::matrix::{self, Who, expectation};

/// A body of the right shape for each route, that the service refuses (so that anything made
/// from it that still reads is refused too, and nothing can change). `""`: the route takes no
/// body (an empty one, or `{}`).
const SHAPES: &[(&str, &str, &str)] = &[
    ("POST", "/api/escalations/{id}/child", ""),
    // The stage record with the child's details (issue 17, item 4): no body.
    ("POST", "/api/escalations/{id}/forms/{form}", ""),
    (
        "POST",
        "/api/compliments",
        r#"{"to_person_id": "", "message": ""}"#,
    ),
    (
        "POST",
        "/api/escalations",
        r#"{"immediate_risk": true, "other_procedure": "none", "route": "", "receiving_agency_id": "", "summary": "", "child": {"name": "", "status": ""}}"#,
    ),
    (
        "POST",
        "/api/escalations/{id}/appointments",
        r#"{"version": -1, "role": "", "person_id": ""}"#,
    ),
    (
        "POST",
        "/api/escalations/{id}/partnership-form",
        r#"{"version": -1, "answers": {"concern": ""}}"#,
    ),
    (
        "POST",
        "/api/escalations/{id}/actions",
        r#"{"version": -1, "action": "record", "fields": {"discussion": ""}, "reason": ""}"#,
    ),
    (
        "POST",
        "/api/agencies",
        r#"{"name": "", "sector": "no-such-sector"}"#,
    ),
    (
        "POST",
        "/api/people",
        r#"{"name": "", "email": "not-an-address", "job_title": "", "agency_id": null, "roles": ["no-such-role"], "line_manager_id": null}"#,
    ),
    (
        "PUT",
        "/api/people/{id}",
        r#"{"name": "", "email": "not-an-address", "job_title": "", "agency_id": null, "roles": ["no-such-role"], "line_manager_id": null}"#,
    ),
    (
        "PUT",
        "/api/named-officers",
        r#"{"agency_id": "no-such-agency", "stage": 0, "person_id": null}"#,
    ),
    (
        "POST",
        "/api/procedure/versions",
        r#"{"source": "not [ toml"}"#,
    ),
    ("PUT", "/api/closure-days", r#"{"days": ["not-a-date"]}"#),
    // Issue 17: the threshold of published reports, a whole number from 2 to 20.
    ("PUT", "/api/report-threshold", r#"{"threshold": 1}"#),
    // Issue 15: the inbox's marks and the administrators' retry take nothing; the e-mail
    // setting a mode it knows (this one it does not).
    ("POST", "/api/notifications/read-all", ""),
    ("POST", "/api/notifications/{id}/read", ""),
    ("PUT", "/api/account/notifications", r#"{"mode": "hourly"}"#),
    ("POST", "/api/admin/notifications/{id}/retry", ""),
];

/// Values of the wrong type (for any member of the shapes above, or one that leaves the body
/// refused by the service).
fn wrong_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(0),
        json!(-1),
        json!(1.5),
        json!(true),
        json!(""),
        json!("x"),
        json!([null]),
        json!([[1]]),
        json!({"a": 1}),
        json!([{"days": []}]),
    ]
}

/// Whole bodies that are not a request (as raw text).
const NOT_A_REQUEST: &[&str] = &[
    "null",
    "[]",
    "[{}]",
    "[[\"2025-06-02\"]]",
    "[\"\", \"\"]",
    "[-1, \"record\", {}]",
    "\"days\"",
    "0",
    "18446744073709551616",
    "-9223372036854775809",
    "1e400",
    "true",
    "",
    " ",
    "{",
    "}",
    "{}{}",
    "{} []",
    "{\"days\": [\"2025-06-02\"]",
    "{'days': []}",
    "{days: []}",
    "\u{feff}{}",
    "{\"a\":1,}",
    "[1, 2, 3",
    "\u{0}",
];

/// Members whose misspelling is tried: each member with a letter added, one upper-cased, and
/// with a character of another script.
fn misspellings(key: &str) -> Vec<String> {
    let mut out = vec![format!("{key}z"), key.to_uppercase(), format!("{key} ")];
    if let Some(first) = key.chars().next() {
        out.push(format!(
            "{}{}",
            first.to_uppercase(),
            &key[first.len_utf8()..]
        ));
    }
    // Cyrillic 'а' for a Latin 'a'.
    if key.contains('a') {
        out.push(key.replacen('a', "\u{430}", 1));
    }
    out
}

/// A value at a JSON path of `errors[].field` (`child.name`).
fn names(v: &Value, field: &str, code: &str) -> bool {
    v["errors"].as_array().is_some_and(|errors| {
        errors
            .iter()
            .any(|e| e["field"] == field && e["code"] == code)
    })
}

/// The required members of a request body, as the API document has them.
fn required_members(doc: &Value, method: &str, path: &str) -> Vec<String> {
    let mut schema = doc["paths"][path][method.to_lowercase()]["requestBody"]["content"]
        ["application/json"]["schema"]
        .clone();
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        schema = doc["components"]["schemas"][name].clone();
    }
    let mut out: Vec<String> = schema["required"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    // Members of a flattened part (`allOf`).
    if let Some(parts) = schema["allOf"].as_array() {
        for p in parts {
            if let Some(req) = p["required"].as_array() {
                out.extend(req.iter().filter_map(|v| v.as_str().map(str::to_owned)));
            }
        }
    }
    out
}

/// A body to send, how failures name it, and the error it must get (field and code), if it
/// must be a precise one.
type Try = (String, String, Option<(String, &'static str)>);

/// Everything a refused request must leave as it was.
async fn state_of(h: &Harness, admin: &Auth) -> Vec<String> {
    let mut out: Vec<String> = h
        .state
        .store
        .chain_heads()
        .await
        .unwrap()
        .into_iter()
        .map(|(p, seq, hash)| format!("chain {p} {seq} {}", hex(&hash)))
        .collect();
    for path in [
        "/api/closure-days",
        "/api/people",
        "/api/agencies",
        "/api/named-officers",
        "/api/procedure/versions",
    ] {
        let r = h.get(path, admin).await;
        assert_eq!(r.status, StatusCode::OK, "GET {path}: {}", excerpt(&r.body));
        out.push(format!("{path} {}", r.body));
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One request with a raw body; checks the answer is a refusal, never a success or a 5xx.
async fn refused(
    h: &Harness,
    method: &Method,
    path: &str,
    auth: &Auth,
    body: &str,
    what: &str,
) -> (StatusCode, Value) {
    let r = h
        .send(
            h.request(method.clone(), path, auth)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_owned()))
                .unwrap(),
        )
        .await;
    let s = r.status.as_u16();
    assert!(
        (400..500).contains(&s),
        "{method} {path} with {what} answered {s}: {}",
        excerpt(&r.body)
    );
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/problem+json")),
        "{method} {path} with {what}: {s} is not a problem: {}",
        excerpt(&r.body)
    );
    let v = r.json();
    assert!(v["code"].is_string(), "{method} {path} with {what}: {v}");
    (r.status, v)
}

#[tokio::test]
async fn malformed_bodies_are_refused_naming_the_field_and_change_nothing() {
    let h = Harness::new().await;
    let p = h.partnership_of("solihull");
    let admin_person = h.person(&h.sign_in_of(&p, "administrator").person_id).await;
    let admin = h.bearer_for(&admin_person).await;
    let practitioner_person = h.person(&h.sign_in_of(&p, "practitioner").person_id).await;
    let practitioner = h.bearer_for(&practitioner_person).await;
    let world = h.world(&p).await;
    // An escalation about a child the practitioner may record on (and read the child's
    // details of, which records a reading: a body taken for nothing would show).
    let escalation = world
        .escalations
        .iter()
        .filter(|e| e.subject == "child")
        .find(|e| {
            world
                .sees(&practitioner_person, e)
                .is_some_and(|s| s.can_record)
        })
        .expect("the demo practitioner records on some escalation")
        .id
        .clone();
    // Appointing (issue 14, item 4): a Solihull stage lead may bring in the child's IRO (§7).
    let (appoint_escalation, appointer) = world
        .escalations
        .iter()
        .filter(|e| e.status == "open")
        .find_map(|e| {
            world
                .people
                .iter()
                .find(|p| {
                    world
                        .capacities(p, e)
                        .0
                        .contains(&parley_core::names::Actor::StageLeads)
                })
                .map(|p| (e.id.clone(), p.clone()))
        })
        .expect("an open escalation with an officer in post");
    let appointer = h.bearer_for(&appointer).await;
    // Croydon's Appendix A, sent by the raising agency's officers from stage 3.
    let croydon = h.world(&h.partnership_of("croydon")).await;
    let (form_escalation, form_sender) = croydon
        .escalations
        .iter()
        .filter(|e| e.status == "open" && e.current_stage >= 3)
        .find_map(|e| {
            croydon
                .people
                .iter()
                .find(|p| {
                    croydon
                        .capacities(p, e)
                        .1
                        .contains(&parley_core::names::Actor::StageLeads)
                })
                .map(|p| (e.id.clone(), p.clone()))
        })
        .expect("an open Croydon escalation at stage 3 or later with a raising officer");
    let form_sender = h.bearer_for(&form_sender).await;
    // Compliments are given only where the procedure invites them (Dorset §2).
    let complimenter = h
        .person(
            &h.sign_in_of(&h.partnership_of("dorset"), "practitioner")
                .person_id,
        )
        .await;
    let complimenter = h.bearer_for(&complimenter).await;
    let doc = h.get("/api/openapi.json", &Auth::Anonymous).await.json();
    let before = state_of(&h, &admin).await;
    assert!(
        before.iter().any(|l| l.contains(CLOSURE_DAY)),
        "the demo has its closure day"
    );

    let routes: Vec<_> = parley_web::routes::table()
        .into_iter()
        .filter(|(m, path, _)| path.starts_with("/api/") && *m != Method::GET && *m != Method::HEAD)
        .collect();
    assert!(routes.len() >= SHAPES.len(), "{routes:?}");
    let mut tried = 0usize;
    for (method, route, _) in routes {
        let (_, _, shape) = SHAPES
            .iter()
            .find(|(m, p, _)| *m == method.as_str() && *p == route)
            .unwrap_or_else(|| {
                panic!("{method} {route} takes a body: give it a shape in bodies.rs SHAPES")
            });
        let auth = match expectation(&method, route).map(|e| e.who) {
            Some(Who::Roles(roles) | Who::Scoped(roles)) if roles.contains(&"administrator") => {
                &admin
            }
            Some(Who::Escalation(matrix::Need::Appoint)) => &appointer,
            Some(Who::ComplimentsInvited) => &complimenter,
            _ if route.ends_with("/partnership-form") => &form_sender,
            Some(Who::Roles(_) | Who::SignedIn | Who::Escalation(_) | Who::OwnNotification) => {
                &practitioner
            }
            other => panic!("{method} {route}: who sends it ({other:?})? teach bodies.rs"),
        };
        let path = route.replace("{form}", "stage-record").replace(
            "{id}",
            if route.starts_with("/api/people/") {
                &practitioner_person.id
            } else if route.ends_with("/appointments") {
                &appoint_escalation
            } else if route.ends_with("/partnership-form") {
                &form_escalation
            } else {
                &escalation
            },
        );
        let takes_nothing = shape.is_empty();
        let shape = if takes_nothing { "{}" } else { *shape };
        let base: Value = serde_json::from_str(shape).unwrap();
        let mut bodies: Vec<Try> = Vec::new();
        if !takes_nothing {
            // The shape itself is refused by the service (422, or 409 for a stale version).
            let (s, _) = refused(&h, &method, &path, auth, shape, "its shape").await;
            assert!(matches!(s.as_u16(), 409 | 422), "{method} {path}: {s}");
            bodies.push(("{}".into(), "{}".into(), None));
        }
        for raw in NOT_A_REQUEST {
            if !(takes_nothing && raw.is_empty()) {
                bodies.push(((*raw).into(), format!("{raw:?}"), None));
            }
        }
        let mut with = base.clone();
        with["zzz"] = json!(1);
        bodies.push((
            with.to_string(),
            "an unknown member".into(),
            Some(("zzz".into(), "unknown-field")),
        ));
        let required = required_members(&doc, method.as_str(), route);
        let object = base.as_object().unwrap();
        for key in object.keys() {
            let mut without = base.clone();
            without.as_object_mut().unwrap().remove(key);
            let want = required
                .contains(key)
                .then(|| (key.clone(), "missing-field"));
            bodies.push((without.to_string(), format!("{key} left out"), want));
            for wrong in misspellings(key) {
                let mut m = without.clone();
                m[&wrong] = object[key].clone();
                bodies.push((
                    m.to_string(),
                    format!("{key} spelt {wrong:?}"),
                    Some((wrong, "unknown-field")),
                ));
            }
            for value in wrong_values() {
                let mut m = base.clone();
                m[key] = value.clone();
                bodies.push((m.to_string(), format!("{key}: {value}"), None));
            }
            // Numbers past every integer type, as text (serde_json's Value would round them).
            for huge in [
                "18446744073709551616",
                "-9223372036854775809",
                "1e400",
                "1e308",
            ] {
                let text = base.to_string().replacen(
                    &format!("\"{key}\":{}", object[key]),
                    &format!("\"{key}\":{huge}"),
                    1,
                );
                bodies.push((text, format!("{key}: {huge}"), None));
            }
        }
        // The same key twice.
        if let Some(first) = object.keys().next() {
            let text =
                base.to_string()
                    .replacen('{', &format!("{{\"{first}\":{},", object[first]), 1);
            bodies.push((
                text,
                format!("{first} twice"),
                Some((first.clone(), "duplicate-field")),
            ));
        }
        for (body, what, want) in &bodies {
            let (status, v) = refused(&h, &method, &path, auth, body, what).await;
            tried += 1;
            if let Some((field, code)) = want {
                assert_eq!(
                    status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{method} {path} with {what}: {v}"
                );
                assert!(
                    names(&v, field, code),
                    "{method} {path} with {what}: no error {code} naming {field:?}: {v}"
                );
            }
        }
        // Not JSON at all: a 415 naming the body.
        for content_type in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("application/jsonx"),
        ] {
            let mut b = h.request(method.clone(), &path, auth);
            if let Some(c) = content_type {
                b = b.header(header::CONTENT_TYPE, c);
            }
            let r = h.send(b.body(Body::from(shape.to_owned())).unwrap()).await;
            assert_eq!(
                r.status,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{method} {path} as {content_type:?}: {}",
                excerpt(&r.body)
            );
            assert!(names(&r.json(), "body", "not-json"), "{}", r.body);
        }
    }
    assert!(tried > 500, "only {tried} bodies tried");
    assert_eq!(
        state_of(&h, &admin).await,
        before,
        "a refused request changed something"
    );
}

/// The closure days of the issue: each of these used to clear them all.
#[tokio::test]
async fn a_closure_day_update_without_its_days_clears_nothing() {
    let h = Harness::new().await;
    let p = h.partnership_of("dorset");
    let admin = h
        .bearer_for(&h.person(&h.sign_in_of(&p, "administrator").person_id).await)
        .await;
    let table: &[(&str, &str, &str)] = &[
        ("{}", "days", "missing-field"),
        (r#"{"dayz": ["2025-06-03"]}"#, "dayz", "unknown-field"),
        (r#"{"Days": ["2025-06-03"]}"#, "Days", "unknown-field"),
        (r#"{"days ": []}"#, "days ", "unknown-field"),
        (
            r#"{"days": ["2025-06-02"], "extra": true}"#,
            "extra",
            "unknown-field",
        ),
        (r#"{"days": null}"#, "days", "wrong-type"),
        (r#"{"days": "2025-06-02"}"#, "days", "wrong-type"),
        (r#"{"days": [20250602]}"#, "days[0]", "wrong-type"),
        (r#"{"days": [null]}"#, "days[0]", "wrong-type"),
        (r#"{"days": {"0": "2025-06-02"}}"#, "days", "wrong-type"),
    ];
    for (body, field, code) in table {
        let (status, v) = refused(&h, &Method::PUT, "/api/closure-days", &admin, body, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
        assert!(
            names(&v, field, code),
            "{body}: no {code} naming {field}: {v}"
        );
        let days = h.get("/api/closure-days", &admin).await.json();
        assert_eq!(
            days["days"]
                .as_array()
                .map(|d| d.iter().map(|d| d["date"].clone()).collect::<Vec<_>>()),
            Some(vec![json!(CLOSURE_DAY)]),
            "after {body}: {days}"
        );
    }
}

/// A query parameter the API does not read is refused, naming it, on every route whose
/// operation in the API document reads a query.
#[tokio::test]
async fn unknown_query_parameters_are_refused() {
    let h = Harness::new().await;
    let p = h.partnership_of("solihull");
    let bt = h
        .bearer_for(
            &h.person(&h.sign_in_of(&p, "partnership-business-team").person_id)
                .await,
        )
        .await;
    let admin = h
        .bearer_for(&h.person(&h.sign_in_of(&p, "administrator").person_id).await)
        .await;
    let doc = h.get("/api/openapi.json", &Auth::Anonymous).await.json();
    let mut tried = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(op) = item.get("get") else { continue };
        // Administrators' routes are tried by an administrator (issue 15's list of deliveries).
        let who = match expectation(&Method::GET, path).map(|e| e.who) {
            Some(Who::Roles(roles)) if roles.contains(&"administrator") => &admin,
            _ => &bt,
        };
        let reads_query = op["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
        if !reads_query {
            continue;
        }
        for name in [
            "zzz", "pgae", "Page", "page%20", "stage[]", "%00", "pag%65x",
        ] {
            let r = h.get(&format!("{path}?{name}=1"), who).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "GET {path}?{name}=1: {}",
                excerpt(&r.body)
            );
            let v = r.json();
            assert!(
                v["errors"]
                    .as_array()
                    .is_some_and(|e| e.iter().any(|e| e["code"] == "unknown-field")),
                "GET {path}?{name}=1: {v}"
            );
            tried += 1;
        }
        // What the document lists is still read (where it lists `page`: a report's period is
        // required, so `page` alone is not a request it can answer).
        let lists_page = op["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query" && p["name"] == "page"));
        if lists_page {
            let r = h.get(&format!("{path}?page=1"), who).await;
            assert_eq!(
                r.status,
                StatusCode::OK,
                "GET {path}?page=1: {}",
                excerpt(&r.body)
            );
        }
    }
    assert!(tried >= 12, "{tried}");
}
