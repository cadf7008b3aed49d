//! The route table. Every route is declared here with the rule that guards it, and the
//! router is built from this list, so the access tests (which walk the same list) see every
//! route there is: a route added without an expectation fails them.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

/// Who may reach a route at all. Escalation routes are `SignedIn`: the handler then shows an
/// escalation only to those `access::access` allows, and a 404 to anyone else (never
/// revealing that it exists).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Anyone, signed in or not (sign-in, health, assets, the API document).
    Public,
    /// Any signed-in person.
    SignedIn,
    /// A signed-in person with one of these access roles.
    Roles(&'static [&'static str]),
}

pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub rule: Rule,
    pub handler: MethodRouter<AppState>,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {:?}", self.method, self.path, self.rule)
    }
}

pub fn route(
    method: Method,
    path: &'static str,
    rule: Rule,
    handler: MethodRouter<AppState>,
) -> Route {
    Route {
        method,
        path,
        rule,
        handler,
    }
}

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
