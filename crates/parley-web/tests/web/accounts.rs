//! People's sign-ins as administrators set them up, from the attacker's side: an address that
//! signs in to another partnership is never revealed (and never taken over), and guessable
//! passwords are refused everywhere an administrator sets one, with the reason.

use axum::http::{Method, StatusCode};
use parley_store::rows::PersonRow;

use crate::harness::*;

async fn demo(h: &Harness, procedure: &str, role: &str) -> PersonRow {
    let p = h.partnership_of(procedure);
    h.person(&h.sign_in_of(&p, role).person_id).await
}

/// A new person of the Solihull demo as the administrators' API takes them.
fn new_person(name: &str, email: &str, password: Option<&str>) -> serde_json::Value {
    let mut v = serde_json::json!({
        "name": name,
        "email": email,
        "job_title": "Business support",
        "roles": ["partnership-business-team"],
        "agency_id": null,
        "line_manager_id": null,
    });
    if let Some(pw) = password {
        v["password"] = pw.into();
    }
    v
}

/// An answer with what differs between two people (id, name, email) taken out.
fn shape(r: &Resp, name: &str, email: &str) -> (StatusCode, String) {
    let mut v = r.json();
    if let Some(o) = v.as_object_mut() {
        o.remove("id");
        o.remove("request_id");
    }
    (
        r.status,
        v.to_string()
            .replace(email, "EMAIL")
            .replace(&email.to_lowercase(), "EMAIL")
            .replace(name, "NAME"),
    )
}

/// Adds a person with a fresh address, then one with `email`, in a fresh copy of the demo:
/// the two answers (without id, name and address) must be the same.
async fn add_both(email_of: fn(&PersonRow) -> String, password: Option<&str>) {
    let h = Harness::new().await;
    let admin = demo(&h, "solihull", "administrator").await;
    let token = h.bearer_for(&admin).await;
    let victim = demo(&h, "dorset", "manager").await;
    let fresh = h
        .send_json(
            Method::POST,
            "/api/people",
            &token,
            &new_person(
                "Fresh Person",
                "fresh.person@solihull.example.org",
                password,
            ),
        )
        .await;
    assert_eq!(
        fresh.status,
        StatusCode::CREATED,
        "{}",
        excerpt(&fresh.body)
    );
    let email = email_of(&victim);
    let r = h
        .send_json(
            Method::POST,
            "/api/people",
            &token,
            &new_person("Impostor Person", &email, password),
        )
        .await;
    assert_eq!(
        shape(&r, "Impostor Person", email.trim()),
        shape(&fresh, "Fresh Person", "fresh.person@solihull.example.org"),
        "{email:?} with a password {}: the answer differs from a fresh address's",
        password.is_some()
    );
    // The victim still signs in with their own password, to their own partnership; a
    // password the other administrator chose opens nothing.
    if let Some(pw) = password {
        assert!(h.sign_in(&victim.email, pw).await.is_err());
    }
    let auth = h.sign_in(&victim.email, PASSWORD).await.unwrap();
    let me = h.get("/api/me", &auth).await;
    assert!(me.body.contains(&victim.id), "{}", excerpt(&me.body));
    let account = h
        .state
        .store
        .account_by_email(&victim.email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.person_id, victim.id);
}

#[tokio::test]
async fn an_address_that_signs_in_elsewhere_is_neither_revealed_nor_taken_over() {
    let stolen_password = "wardrobe lantern pebble ostrich";
    let variants: [fn(&PersonRow) -> String; 4] = [
        |p| p.email.clone(),
        |p| p.email.to_uppercase(),
        |p| format!("  {}  ", p.email),
        |p| {
            let (local, domain) = p.email.split_once('@').unwrap();
            format!("{}@{}", local.to_uppercase(), domain)
        },
    ];
    for email_of in variants {
        add_both(email_of, Some(stolen_password)).await;
        add_both(email_of, None).await;
    }

    let h = Harness::new().await;
    let admin = demo(&h, "solihull", "administrator").await;
    let token = h.bearer_for(&admin).await;
    let victim = demo(&h, "dorset", "manager").await;
    // Changing an existing person's address to it, with or without a password: the same
    // answer as any change, and the victim's sign-in stays theirs.
    let colleague = demo(&h, "solihull", "practitioner").await;
    let mut body = serde_json::json!({
        "name": colleague.name,
        "email": victim.email,
        "job_title": colleague.job_title,
        "agency_id": colleague.agency_id,
        "roles": colleague.roles,
        "line_manager_id": colleague.line_manager_id,
        "active": true,
    });
    let path = format!("/api/people/{}", colleague.id);
    let r = h.send_json(Method::PUT, &path, &token, &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    body["password"] = stolen_password.into();
    let r = h.send_json(Method::PUT, &path, &token, &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    assert!(h.sign_in(&victim.email, stolen_password).await.is_err());
    assert!(h.sign_in(&victim.email, PASSWORD).await.is_ok());
    let account = h
        .state
        .store
        .account_by_email(&victim.email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.person_id, victim.id);

    // The page: the same redirect as for a fresh address, and the person's page says
    // nothing about whether they can sign in.
    let session = h.session_for("administrator", &admin).await;
    for (name, email) in [
        ("Page Fresh", "page.fresh@solihull.example.org"),
        (
            "Page Impostor",
            demo(&h, "croydon", "practitioner").await.email.as_str(),
        ),
    ] {
        let r = h
            .post_form(
                "/admin/people/new",
                &session.auth,
                &[
                    ("name", name),
                    ("email", email),
                    ("job_title", "Support"),
                    ("roles", "partnership-business-team"),
                    ("active", "yes"),
                    ("password", stolen_password),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{email}: {}",
            excerpt(&r.body)
        );
        let location = r.location().unwrap().to_owned();
        let page = h.get(&location, &session.auth).await;
        assert!(!page.body.to_lowercase().contains("already"), "{email}");
    }
}

#[tokio::test]
async fn administrators_cannot_set_guessable_passwords() {
    let h = Harness::new().await;
    let admin = demo(&h, "sunderland", "administrator").await;
    let token = h.bearer_for(&admin).await;
    let name = "Morgan Fairweather";
    let email = "morgan.fairweather@sunderland.example.org";
    let weak = [
        "aaaaaaaaaaaa",
        "password1234",
        "Password123!",
        "qwertyuiop12",
        "1qaz2wsx3edc",
        "123456789012",
        "letmein12345",
        "Fairweather2026",
        "morgan-morgan-morgan",
        email,
        "morgan.fairweather!",
        "short",
    ];
    for pw in weak {
        let r = h
            .send_json(
                Method::POST,
                "/api/people",
                &token,
                &new_person(name, email, Some(pw)),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{pw}: {}",
            excerpt(&r.body)
        );
        let errors = r.json()["errors"].clone();
        let fields: Vec<&str> = errors
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert_eq!(fields, ["password"], "{pw}");
        let text = errors.to_string();
        assert!(
            text.contains("easy to guess")
                || text.contains("name")
                || text.contains("email")
                || text.contains("12 characters"),
            "{pw}: no reason given: {text}"
        );
    }
    assert!(
        h.state
            .store
            .account_by_email(email)
            .await
            .unwrap()
            .is_none(),
        "a refused password made an account"
    );
    // Strong ones are taken, and the person signs in with them.
    let r = h
        .send_json(
            Method::POST,
            "/api/people",
            &token,
            &new_person(name, email, Some("Tangerine-Viaduct-Oboe-47")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", excerpt(&r.body));
    assert!(h.sign_in(email, "Tangerine-Viaduct-Oboe-47").await.is_ok());
}
