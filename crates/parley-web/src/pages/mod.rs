//! Server-rendered pages. Each area is its own module with its own routes; what they load
//! comes from `service`, shared with the API.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{Method, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::access::{self, ADMINISTRATOR, BUSINESS_TEAM};
use crate::app::AppState;
use crate::auth::{self, Client, CsrfForm, CurrentUser, MaybeUser, SignIn};
use crate::error::{AppError, ErrorSummary, FieldErrors};
use crate::route::{Route, Rule, route};
use crate::service;

pub mod admin;
mod agreement;
pub mod appointment;
pub mod compliments;
pub mod escalation;
pub mod forms;
pub mod learning;
pub mod my_work;
pub mod notifications;
pub mod partnership;
pub mod partnership_form;
pub mod procedure;
pub mod raise;
pub mod reports;
pub mod tokens;

/// Every page route.
pub fn routes() -> Vec<Route> {
    let mut r = vec![
        route(Method::GET, "/", Rule::Public, get(home)),
        route(Method::GET, "/healthz", Rule::Public, get(healthz)),
        route(
            Method::GET,
            "/static/{*path}",
            Rule::Public,
            get(crate::assets::serve),
        ),
        route(Method::GET, "/sign-in", Rule::Public, get(sign_in_page)),
        route(Method::POST, "/sign-in", Rule::Public, post(sign_in_submit)),
        route(Method::POST, "/sign-out", Rule::SignedIn, post(sign_out)),
    ];
    r.extend(my_work::routes());
    r.extend(raise::routes());
    r.extend(escalation::routes());
    r.extend(forms::routes());
    r.extend(appointment::routes());
    r.extend(partnership_form::routes());
    r.extend(compliments::routes());
    r.extend(partnership::routes());
    r.extend(learning::routes());
    r.extend(reports::routes());
    r.extend(procedure::routes());
    r.extend(admin::routes());
    r.extend(tokens::routes());
    r.extend(notifications::routes());
    r
}

/// Renders a template with the page's context merged over the common one (navigation, the
/// signed-in person, the CSRF token).
pub fn render(
    state: &AppState,
    user: Option<&CurrentUser>,
    current: &str,
    name: &str,
    page: impl Serialize,
) -> Result<Html<String>, AppError> {
    let template = state
        .templates
        .get_template(name)
        .map_err(|e| AppError::Internal(format!("template {name}: {e}")))?;
    let common = common(user, current);
    let ctx =
        minijinja::context! { ..minijinja::Value::from(minijinja::value::Serde(&page)), ..common };
    template
        .render(ctx)
        .map(Html)
        .map_err(|e| AppError::Internal(format!("template {name}: {e:#}")))
}

#[derive(Serialize)]
struct NavItem {
    href: &'static str,
    text: String,
    /// Markup we build ourselves (never anything a person typed), used instead of `text`.
    #[serde(skip_serializing_if = "Option::is_none")]
    html: Option<String>,
    active: bool,
}

fn common(user: Option<&CurrentUser>, current: &str) -> minijinja::Value {
    let Some(user) = user else {
        return minijinja::context! {};
    };
    let mut nav = Vec::new();
    let mut item = |href: &'static str, text: &str, html: Option<String>| {
        let active = current == href || (href != "/" && current.starts_with(href));
        nav.push(NavItem {
            href,
            text: text.to_owned(),
            html,
            active,
        });
    };
    item("/my-work", "My work", None);
    // Issue 15, item 3: the unread count, read with the session for every page (see
    // `auth::identify`). Cached pages carry it in their stamp, so a page is never served
    // again with a count that has moved (`pages::my_work`, `pages::escalation`).
    match user.unread {
        Some(n) if n > 0 => item(
            "/notifications",
            &format!("Notifications ({n} unread)"),
            Some(format!(
                "Notifications ({n}<span class=\"govuk-visually-hidden\"> unread</span>)"
            )),
        ),
        _ => item("/notifications", "Notifications", None),
    }
    let can_raise = service::raise::raising_agency(&user.person).is_some();
    if can_raise {
        item("/raise", "Raise a challenge", None);
    }
    if user.has(BUSINESS_TEAM) {
        item("/partnership", "Partnership view", None);
    }
    // Only where the procedure invites compliments (Dorset §2); the page itself stays, so that
    // compliments already given can still be read.
    if user.config.as_ref().is_none_or(|c| c.compliments) {
        item("/compliments", "Compliments", None);
    }
    if user.has(BUSINESS_TEAM) || user.has(ADMINISTRATOR) {
        item("/reports", "Reports", None);
    }
    item("/procedure", "Procedure", None);
    if user.has(ADMINISTRATOR) {
        item("/admin", "Administration", None);
    }
    let roles_text = user
        .person
        .roles
        .iter()
        .map(|r| access::role_label(r))
        .collect::<Vec<_>>()
        .join(", ");
    minijinja::context! {
        nav => minijinja::value::Serde(&nav),
        csrf => user.csrf(),
        can_raise => can_raise,
        user => minijinja::context! {
            id => user.id(),
            name => user.person.name.clone(),
            roles => user.person.roles.clone(),
            roles_text => roles_text,
        },
    }
}

/// A page sent back with errors (the GOV.UK error summary of `error::page`).
pub use crate::error::page::invalid;

async fn home(MaybeUser(user): MaybeUser) -> Redirect {
    match user {
        Some(u) if u.has(BUSINESS_TEAM) && u.person.roles.len() == 1 => {
            Redirect::to("/partnership")
        }
        Some(_) => Redirect::to("/my-work"),
        None => Redirect::to("/sign-in"),
    }
}

async fn healthz(State(state): State<AppState>) -> Result<&'static str, AppError> {
    state.store.schema_version().await?;
    Ok("ok")
}

#[derive(Deserialize)]
struct SignInQuery {
    next: Option<String>,
    #[serde(rename = "signed-out")]
    signed_out: Option<String>,
}

#[derive(Serialize)]
struct SignInPage {
    page_title: &'static str,
    email: String,
    next: String,
    errors: ErrorSummary,
    has_errors: bool,
    signed_out: bool,
    demo_sign_ins: Vec<crate::app::DemoSignIn>,
    demo_password: String,
}

fn sign_in_view(
    state: &AppState,
    email: String,
    next: String,
    errors: &FieldErrors,
    signed_out: bool,
) -> SignInPage {
    let demo = state.config.demo.clone();
    SignInPage {
        page_title: "Sign in to Parley",
        email,
        next,
        has_errors: !errors.is_empty(),
        errors: ErrorSummary::of(errors),
        signed_out,
        demo_password: demo
            .as_ref()
            .map(|d| d.password.clone())
            .unwrap_or_default(),
        demo_sign_ins: demo.map(|d| d.sign_ins).unwrap_or_default(),
    }
}

async fn sign_in_page(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(q): Query<SignInQuery>,
) -> Result<Response, AppError> {
    if user.is_some() {
        return Ok(Redirect::to(&auth::safe_next(q.next.as_deref())).into_response());
    }
    let view = sign_in_view(
        &state,
        String::new(),
        auth::safe_next(q.next.as_deref()),
        &FieldErrors::default(),
        q.signed_out.is_some(),
    );
    Ok(render(&state, None, "/sign-in", "sign_in.html", view)?.into_response())
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// The one answer to a refused sign-in, whatever the reason (unknown address, wrong password,
/// locked or inactive account).
pub const SIGN_IN_REFUSED: &str = "Enter a correct email address and password. After 5 failed attempts the account is locked for a while";

/// The answer when the client's address has used up its failed attempts (about the address,
/// never the account).
pub const SIGN_IN_THROTTLED: &str =
    "There have been too many attempts to sign in from your network. Wait 10 minutes and try again";

async fn sign_in_submit(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Client(client): Client,
    Form(form): Form<SignInForm>,
) -> Result<Response, AppError> {
    let next = auth::safe_next(form.next.as_deref());
    let mut errors = FieldErrors::default();
    if form.email.trim().is_empty() {
        errors.add("email", "Enter your email address");
    }
    if form.password.is_empty() {
        errors.add("password", "Enter your password");
    }
    let mut status = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    let now = state.now().as_microsecond();
    if errors.is_empty() {
        // The address's allowance first: a throttled address gets no password check at all.
        if !state.sign_in.take(client, now) {
            tracing::warn!(?client, "sign-in throttled for the client address");
            errors.add("email", SIGN_IN_THROTTLED);
            status = axum::http::StatusCode::TOO_MANY_REQUESTS;
        } else {
            let previous = user.as_ref().and_then(|u| u.session.as_ref());
            match auth::sign_in(&state, &form.email, &form.password, previous).await? {
                SignIn::Ok(token) => {
                    state.sign_in.give_back(client, now);
                    let mut response = Redirect::to(&next).into_response();
                    response
                        .headers_mut()
                        .insert(header::SET_COOKIE, auth::session_cookie(&state, &token));
                    return Ok(response);
                }
                SignIn::Refused => errors.add("email", SIGN_IN_REFUSED),
            }
        }
    }
    let view = sign_in_view(&state, form.email, next, &errors, false);
    let page = render(&state, None, "/sign-in", "sign_in.html", view)?;
    Ok((status, page).into_response())
}

#[derive(Deserialize)]
struct Empty {}

async fn sign_out(
    State(state): State<AppState>,
    CsrfForm(user, _): CsrfForm<Empty>,
) -> Result<Response, AppError> {
    auth::sign_out(&state, &user).await
}

/// Re-exported for page modules.
pub use service::Context;
