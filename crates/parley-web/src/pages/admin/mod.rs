//! Administration pages: agencies, people, named officers, the procedure and the
//! partnership's closure days. Administrators only (the route rule), within their own
//! partnership (the service). Every form posts back to its page: 422 with the page re-shown and
//! the input kept when something is wrong, 303 to the page with a success banner when not.
//!
//! This file holds the routes, what the forms share and the overview; each form has its own
//! file: `agencies`, `people`, `named_officers`, `versions` (the procedure), `closure_days` and
//! `report_threshold` (small numbers in published reports).

use axum::extract::State;
use axum::http::Method;
use axum::response::Html;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::render;
use crate::access::ADMINISTRATOR;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::error::{ErrorSummary, FieldError};
use crate::route::{Route, Rule, route};
use crate::service::admin::{self as svc, Overview};

mod agencies;
use agencies::*;

mod people;
use people::*;

mod named_officers;
use named_officers::*;

mod versions;
use versions::*;

mod closure_days;
use closure_days::*;

mod report_threshold;
use report_threshold::*;

const ADMIN: Rule = Rule::Roles(&[ADMINISTRATOR]);

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/admin", ADMIN, get(index)),
        route(Method::GET, "/admin/agencies", ADMIN, get(agencies_page)),
        route(Method::POST, "/admin/agencies", ADMIN, post(agencies_add)),
        route(Method::GET, "/admin/people", ADMIN, get(people_page)),
        route(Method::GET, "/admin/people/new", ADMIN, get(person_new)),
        route(
            Method::POST,
            "/admin/people/new",
            ADMIN,
            post(person_create),
        ),
        route(Method::GET, "/admin/people/{id}", ADMIN, get(person_edit)),
        route(
            Method::POST,
            "/admin/people/{id}",
            ADMIN,
            post(person_update),
        ),
        route(
            Method::GET,
            "/admin/named-officers",
            ADMIN,
            get(officers_page),
        ),
        route(
            Method::GET,
            "/admin/named-officers/{agency}",
            ADMIN,
            get(officers_agency),
        ),
        route(
            Method::POST,
            "/admin/named-officers/{agency}",
            ADMIN,
            post(officers_save),
        ),
        route(Method::GET, "/admin/procedure", ADMIN, get(procedure_page)),
        route(
            Method::POST,
            "/admin/procedure",
            ADMIN,
            post(procedure_upload),
        ),
        route(
            Method::GET,
            "/admin/procedure/versions/{version}",
            ADMIN,
            get(procedure_download),
        ),
        route(Method::GET, "/admin/closure-days", ADMIN, get(closure_page)),
        route(
            Method::POST,
            "/admin/closure-days",
            ADMIN,
            post(closure_add),
        ),
        route(
            Method::POST,
            "/admin/closure-days/remove",
            ADMIN,
            post(closure_remove),
        ),
        route(Method::GET, "/admin/reports", ADMIN, get(threshold_page)),
        route(Method::POST, "/admin/reports", ADMIN, post(threshold_save)),
    ]
}

// ---------------------------------------------------------------------------------------------
// Shared

#[derive(Serialize)]
struct Crumb {
    text: String,
    href: Option<&'static str>,
}

/// Administration > `here`.
fn crumbs(here: &str, middle: Option<(&str, &'static str)>) -> Vec<Crumb> {
    let mut c = vec![Crumb {
        text: "Administration".to_owned(),
        href: Some("/admin"),
    }];
    if let Some((text, href)) = middle {
        c.push(Crumb {
            text: text.to_owned(),
            href: Some(href),
        });
    }
    c.push(Crumb {
        text: here.to_owned(),
        href: None,
    });
    c
}

/// Banners after a successful change come from a query parameter naming what changed; the
/// text is always built here, never taken from the URL.
#[derive(Debug, Default, Deserialize)]
struct Done {
    added: Option<String>,
    saved: Option<String>,
    removed: Option<String>,
    adopted: Option<String>,
}

fn encode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .map(|q| q.trim_start_matches("v=").to_owned())
        .unwrap_or_default()
}

/// Reads a form's pairs (for fields that repeat, like checkboxes).
fn values<'a>(pairs: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
    pairs
        .iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn value(pairs: &[(String, String)], name: &str) -> String {
    values(pairs, name).next().unwrap_or("").to_owned()
}

// ---------------------------------------------------------------------------------------------
// Overview

#[derive(Serialize)]
struct IndexPage {
    page_title: &'static str,
    overview: Overview,
}

async fn index(State(state): State<AppState>, user: CurrentUser) -> Result<Html<String>, AppError> {
    let overview = svc::overview(&state, &user).await?;
    render(
        &state,
        Some(&user),
        "/admin",
        "admin/index.html",
        IndexPage {
            page_title: "Administration",
            overview,
        },
    )
}
