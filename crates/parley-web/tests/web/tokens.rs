//! API tokens from the attacker's side: a token cannot be revoked by anyone but its holder and
//! their partnership's administrators (a 404 for everyone else, the token still working); a
//! revoked token never works again; a new password and a deactivation revoke every token for
//! good, and reactivating the person brings none back; last use is noted at most once a
//! minute.

use axum::http::StatusCode;
use parley_store::rows::PersonRow;

use crate::harness::*;

/// The id the pages show for a token (the first 12 hex digits of its hash).
fn id_of(token: &Auth) -> String {
    let Auth::Bearer(t) = token else {
        panic!("not a token")
    };
    parley_web::auth::token_hash(t)[..12].to_owned()
}

async fn works(h: &Harness, token: &Auth) -> bool {
    let r = h.get("/api/me", token).await;
    match r.status {
        StatusCode::OK => true,
        StatusCode::UNAUTHORIZED => false,
        other => panic!("/api/me answered {other}"),
    }
}

async fn demo(h: &Harness, procedure: &str, role: &str) -> PersonRow {
    let p = h.partnership_of(procedure);
    h.person(&h.sign_in_of(&p, role).person_id).await
}

#[tokio::test]
async fn people_see_and_revoke_only_their_own_tokens() {
    let h = Harness::new().await;
    let me = demo(&h, "solihull", "practitioner").await;
    let colleague = demo(&h, "solihull", "manager").await;
    let foreigner = demo(&h, "dorset", "practitioner").await;
    let mine = h.bearer_for(&me).await;
    let spare = h.bearer_for(&me).await;
    let theirs = h.bearer_for(&colleague).await;
    let foreign = h.bearer_for(&foreigner).await;
    let session = h.session_for("practitioner", &me).await;

    let page = h.get("/account/tokens", &session.auth).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&id_of(&mine)) && page.body.contains(&id_of(&spare)));
    for other in [&theirs, &foreign] {
        assert!(!page.body.contains(&id_of(other)), "another's token listed");
    }
    assert!(page.body.contains("Last used") && page.body.contains("Expires"));

    // Revoking what is not one's own: ids of others' tokens, malformed and hostile ids.
    let theirs_id = id_of(&theirs);
    let foreign_id = id_of(&foreign);
    let hostile: &[(&str, StatusCode)] = &[
        (&theirs_id, StatusCode::NOT_FOUND),
        (&foreign_id, StatusCode::NOT_FOUND),
        (&theirs_id.to_uppercase(), StatusCode::NOT_FOUND),
        ("000000000000", StatusCode::NOT_FOUND),
        ("", StatusCode::UNPROCESSABLE_ENTITY),
        ("%", StatusCode::UNPROCESSABLE_ENTITY),
        ("' OR '1'='1", StatusCode::UNPROCESSABLE_ENTITY),
        (&theirs_id[..6], StatusCode::UNPROCESSABLE_ENTITY),
        ("zzzzzzzzzzzz", StatusCode::UNPROCESSABLE_ENTITY),
    ];
    for (id, want) in hostile {
        let r = h
            .post_form("/account/tokens/revoke", &session.auth, &[("token", id)])
            .await;
        assert_eq!(r.status, *want, "{id:?}");
    }
    // The same through the administrators' route: a practitioner is refused outright.
    let r = h
        .post_form(
            "/admin/tokens/revoke",
            &session.auth,
            &[("token", &theirs_id)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Without the form token.
    let r = h
        .post_raw_form(
            "/account/tokens/revoke",
            &session.auth,
            &[("token", &id_of(&mine))],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    for t in [&mine, &spare, &theirs, &foreign] {
        assert!(works(&h, t).await, "a token stopped working");
    }

    let r = h
        .post_form(
            "/account/tokens/revoke",
            &session.auth,
            &[("token", &id_of(&mine))],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = h.get(r.location().unwrap(), &session.auth).await;
    assert!(page.body.contains("revoked"), "{}", excerpt(&page.body));
    assert!(!works(&h, &mine).await, "a revoked token still works");
    for t in [&spare, &theirs, &foreign] {
        assert!(works(&h, t).await);
    }
    // Revoked is revoked: revoking again changes nothing, nothing brings it back.
    let again = h
        .post_form(
            "/account/tokens/revoke",
            &session.auth,
            &[("token", &id_of(&mine))],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert!(!works(&h, &mine).await);
}

#[tokio::test]
async fn administrators_revoke_their_partnership_s_tokens_only() {
    let h = Harness::new().await;
    let admin = demo(&h, "solihull", "administrator").await;
    let practitioner = demo(&h, "solihull", "practitioner").await;
    let foreign_admin = demo(&h, "dorset", "administrator").await;
    let foreigner = demo(&h, "dorset", "practitioner").await;
    let ours = h.bearer_for(&practitioner).await;
    let foreign = h.bearer_for(&foreigner).await;
    let session = h.session_for("administrator", &admin).await;
    let other_admin = h.session_for("dorset administrator", &foreign_admin).await;

    let page = h.get("/admin/tokens", &session.auth).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&id_of(&ours)));
    assert!(page.body.contains(&practitioner.name));
    assert!(
        !page.body.contains(&id_of(&foreign)),
        "another partnership's token listed"
    );

    // Dorset's administrator cannot touch Solihull's token, nor learn it exists.
    let r = h
        .post_form(
            "/admin/tokens/revoke",
            &other_admin.auth,
            &[("token", &id_of(&ours))],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(works(&h, &ours).await);

    let r = h
        .post_form(
            "/admin/tokens/revoke",
            &session.auth,
            &[("token", &id_of(&ours))],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(!works(&h, &ours).await);
    assert!(works(&h, &foreign).await);
}

/// A person's fields as the administrators' API takes them.
fn fields(p: &PersonRow, active: bool, password: Option<&str>) -> serde_json::Value {
    let mut v = serde_json::json!({
        "name": p.name,
        "email": p.email,
        "job_title": p.job_title,
        "agency_id": p.agency_id,
        "roles": p.roles,
        "line_manager_id": p.line_manager_id,
        "active": active,
    });
    if let Some(pw) = password {
        v["password"] = pw.into();
    }
    v
}

#[tokio::test]
async fn a_new_password_or_a_deactivation_revokes_every_token_for_good() {
    let h = Harness::new().await;
    let admin = demo(&h, "croydon", "administrator").await;
    let admin_token = h.bearer_for(&admin).await;
    let world = h.world(&h.partnership_of("croydon")).await;
    // People with no named-officer post (who could not be deactivated) and no reports.
    let officers: Vec<&str> = world
        .officers
        .iter()
        .map(|o| o.person_id.as_str())
        .collect();
    let plain: Vec<PersonRow> = world
        .people
        .iter()
        .filter(|p| p.active && p.id != admin.id && !officers.contains(&p.id.as_str()))
        .take(2)
        .cloned()
        .collect();
    let [reset, leaver] = [&plain[0], &plain[1]];

    // The administrators' page: a new password.
    let reset_tokens = [h.bearer_for(reset).await, h.bearer_for(reset).await];
    let session = h.session_for("administrator", &admin).await;
    let r = h
        .post_form(
            &format!("/admin/people/{}", reset.id),
            &session.auth,
            &[
                ("name", reset.name.as_str()),
                ("email", reset.email.as_str()),
                ("job_title", reset.job_title.as_str()),
                ("agency_id", reset.agency_id.as_deref().unwrap_or("")),
                (
                    "line_manager_id",
                    reset.line_manager_id.as_deref().unwrap_or(""),
                ),
                ("active", "yes"),
                ("password", "wardrobe lantern pebble ostrich"),
            ]
            .into_iter()
            .chain(reset.roles.iter().map(|r| ("roles", r.as_str())))
            .collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", excerpt(&r.body));
    for t in &reset_tokens {
        assert!(!works(&h, t).await, "a token outlived a password reset");
    }

    // The API: deactivate, then reactivate.
    let leaver_token = h.bearer_for(leaver).await;
    let path = format!("/api/people/{}", leaver.id);
    let r = h
        .send_json(
            axum::http::Method::PUT,
            &path,
            &admin_token,
            &fields(leaver, false, None),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    assert!(!works(&h, &leaver_token).await);
    let r = h
        .send_json(
            axum::http::Method::PUT,
            &path,
            &admin_token,
            &fields(leaver, true, None),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    assert!(
        !works(&h, &leaver_token).await,
        "reactivating brought an old token back"
    );
    let row = h
        .state
        .store
        .api_token(&parley_web::auth::token_hash(match &leaver_token {
            Auth::Bearer(t) => t,
            _ => unreachable!(),
        }))
        .await
        .unwrap()
        .unwrap();
    assert!(
        row.revoked_at_us.is_some(),
        "revoked in the store, not just hidden"
    );
    // The administrator's own token is untouched.
    assert!(works(&h, &admin_token).await);
}

/// A token created before the person was deactivated (as a store row without a revocation:
/// how an old deployment may hold one) does not come back with a reactivation either.
#[tokio::test]
async fn reactivating_someone_revokes_tokens_they_held_while_inactive() {
    let h = Harness::new().await;
    let admin = demo(&h, "solihull", "administrator").await;
    let admin_token = h.bearer_for(&admin).await;
    let world = h.world(&h.partnership_of("solihull")).await;
    let person = world
        .people
        .iter()
        .find(|p| {
            p.active && p.id != admin.id && !world.officers.iter().any(|o| o.person_id == p.id)
        })
        .cloned()
        .unwrap();
    let path = format!("/api/people/{}", person.id);
    let r = h
        .send_json(
            axum::http::Method::PUT,
            &path,
            &admin_token,
            &fields(&person, false, None),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    let old = h.bearer_for(&person).await; // written behind the application's back
    assert!(!works(&h, &old).await, "an inactive person's token works");
    let r = h
        .send_json(
            axum::http::Method::PUT,
            &path,
            &admin_token,
            &fields(&person, true, None),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    assert!(
        !works(&h, &old).await,
        "reactivating brought an old token back"
    );
}

#[tokio::test]
async fn last_use_is_noted_at_most_once_a_minute() {
    let h = Harness::new().await;
    let person = demo(&h, "solihull", "manager").await;
    let token = h.bearer_for(&person).await;
    let hash = match &token {
        Auth::Bearer(t) => parley_web::auth::token_hash(t),
        _ => unreachable!(),
    };
    let last = || async {
        h.state
            .store
            .api_token(&hash)
            .await
            .unwrap()
            .unwrap()
            .last_used_at_us
    };
    assert_eq!(last().await, None);
    assert!(works(&h, &token).await);
    let first = last().await.expect("first use noted");
    assert_eq!(first, now().as_microsecond());
    // A use noted 30 s ago is not written again; one 2 minutes ago is.
    for (ago_s, rewritten) in [(30, false), (59, false), (61, true), (120, true)] {
        let then = first - ago_s * 1_000_000;
        h.sql(&format!(
            "UPDATE api_tokens SET last_used_at_us = {then} WHERE token_hash = '{hash}'"
        ))
        .await;
        assert!(works(&h, &token).await);
        let noted = last().await.unwrap();
        assert_eq!(noted == first, rewritten, "{ago_s}s ago: {noted}");
    }
    let page = h
        .get(
            "/account/tokens",
            &h.session_for("manager", &person).await.auth,
        )
        .await;
    assert!(
        page.body.contains(&id_of(&token)) && !page.body.contains(">Never</td>"),
        "the page does not show the last use"
    );
}
