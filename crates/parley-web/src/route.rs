//! A route: its method, its path, the rule that guards it and its handler. A leaf beside the
//! route table (`routes`): the pages and the API declare their routes with it, and the table
//! gathers them, so neither imports the table.

use axum::http::Method;
use axum::routing::MethodRouter;

use crate::app::AppState;

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
