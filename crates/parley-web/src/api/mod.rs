//! The JSON API under `/api/`: everything the pages do, under the same rules, with a session
//! cookie or an API token (`Authorization: Bearer`). Errors are problem bodies with a stable
//! `code` (see `error.rs`). The OpenAPI 3.1 document is built from the handlers' annotations.

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use axum::response::Html;
use axum::routing::get;
use utoipa::OpenApi;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::routes::{Route, Rule, route};
use crate::service::my_work::{MyWork, my_work};

pub mod admin;
pub mod body;
pub mod compliments;
pub mod escalation;
pub mod partnership;
pub mod procedure;
pub mod raise;

pub fn routes() -> Vec<Route> {
    let mut r = vec![
        route(
            Method::GET,
            "/api/openapi.json",
            Rule::Public,
            get(openapi_json),
        ),
        route(Method::GET, "/api/docs", Rule::Public, get(docs)),
        route(Method::GET, "/api/me", Rule::SignedIn, get(me)),
        route(
            Method::GET,
            "/api/my-work",
            Rule::SignedIn,
            get(api_my_work),
        ),
    ];
    r.extend(raise::routes());
    r.extend(escalation::routes());
    r.extend(compliments::routes());
    r.extend(partnership::routes());
    r.extend(procedure::routes());
    r.extend(admin::routes());
    r
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Parley API",
        description = "Raise, work and see escalations of professional disagreements under a safeguarding children partnership's procedure. Authenticate with a session cookie or `Authorization: Bearer <token>` (`parley user token`). Errors are `application/problem+json` bodies with a stable `code`."
    ),
    paths(me, api_my_work),
    components(schemas(Me, MyWork, crate::service::my_work::MyLine, crate::service::EscalationLine, crate::service::Deadline, Problem)),
    modifiers(&Security)
)]
struct Doc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// An error (RFC 9457 problem details).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    pub r#type: String,
    pub title: String,
    pub status: u16,
    /// Stable: `unauthenticated`, `forbidden`, `csrf`, `not-found`, `conflict`, `invalid`,
    /// `too-many-requests`, `method-not-allowed`, `too-large`, `internal`.
    pub code: String,
    pub detail: String,
    pub request_id: String,
}

/// The whole document: this module's paths and every area's.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = Doc::openapi();
    for area in [
        raise::doc(),
        escalation::doc(),
        compliments::doc(),
        partnership::doc(),
        procedure::doc(),
        admin::doc(),
    ] {
        doc.merge(area);
    }
    doc
}

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}

async fn docs() -> Html<&'static str> {
    Html(include_str!("docs.html"))
}

/// The signed-in person.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Me {
    pub id: String,
    pub name: String,
    pub email: String,
    pub roles: Vec<String>,
    pub agency_id: Option<String>,
    pub partnership_id: String,
}

#[utoipa::path(get, path = "/api/me", tag = "people",
    responses((status = 200, body = Me), (status = 401, body = Problem)),
    security(("token" = [])))]
async fn me(user: CurrentUser) -> Json<Me> {
    let p = user.person;
    Json(Me {
        id: p.id,
        name: p.name,
        email: p.email,
        roles: p.roles,
        agency_id: p.agency_id,
        partnership_id: p.partnership_id,
    })
}

/// What awaits the caller's action, what else open they are involved in, and a page of the
/// closed ones (newest first, `page` from 1).
#[utoipa::path(get, path = "/api/my-work", tag = "escalations",
    params(crate::pages::my_work::PageQuery),
    responses((status = 200, body = MyWork), (status = 401, body = Problem)),
    security(("token" = [])))]
async fn api_my_work(
    State(state): State<AppState>,
    user: CurrentUser,
    body::ApiQuery(q): body::ApiQuery<crate::pages::my_work::PageQuery>,
) -> Result<Json<MyWork>, AppError> {
    let ctx = crate::service::Context::load(&state, &user).await?;
    Ok(Json(
        my_work(&state, &user, &ctx, "/api/my-work", q.number()).await?,
    ))
}
