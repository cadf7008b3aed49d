//! The route table. Every route is declared here with the rule that guards it, and the
//! router is built from this list, so the access tests (which walk the same list) see every
//! route there is: a route added without an expectation fails them.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

pub use crate::route::{Route, Rule, route};

/// Every route of the product.
pub fn all() -> Vec<Route> {
    let mut routes = Vec::new();
    routes.extend(crate::pages::routes());
    routes.extend(crate::api::routes());
    routes
}

/// (method, path, rule) of every route, for tests and documentation.
pub fn table() -> Vec<(Method, &'static str, Rule)> {
    all()
        .into_iter()
        .map(|r| (r.method, r.path, r.rule))
        .collect()
}

async fn enforce(
    State((rule, _)): State<(Rule, AppState)>,
    request: Request,
    next: Next,
) -> Response {
    let user = request.extensions().get::<CurrentUser>();
    match rule {
        Rule::Public => {}
        Rule::SignedIn => {
            if user.is_none() {
                return AppError::Unauthenticated.into_response();
            }
        }
        Rule::Roles(roles) => match user {
            None => return AppError::Unauthenticated.into_response(),
            Some(u) if !roles.iter().any(|r| u.has(r)) => {
                return AppError::Forbidden.into_response();
            }
            Some(_) => {}
        },
    }
    next.run(request).await
}

/// The routes, each behind its rule.
pub fn router(state: &AppState) -> Router<AppState> {
    let mut router = Router::new();
    for r in all() {
        let guarded = r
            .handler
            .route_layer(from_fn_with_state((r.rule, state.clone()), enforce));
        router = router.route(r.path, guarded);
    }
    router
}
