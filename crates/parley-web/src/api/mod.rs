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
use crate::route::{Route, Rule, route};
use crate::service::my_work::{MyWork, my_work};

pub mod admin;
pub mod appointment;
pub mod body;
pub mod compliments;
pub mod escalation;
pub mod forms;
pub mod learning;
pub mod notifications;
pub mod partnership;
pub mod partnership_form;
pub mod procedure;
pub mod procedure_reports;
pub mod raise;
pub mod reports;

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
    r.extend(forms::routes());
    r.extend(appointment::routes());
    r.extend(partnership_form::routes());
    r.extend(compliments::routes());
    r.extend(partnership::routes());
    r.extend(learning::routes());
    r.extend(reports::routes());
    r.extend(procedure_reports::routes());
    r.extend(procedure::routes());
    r.extend(admin::routes());
    r.extend(notifications::routes());
    r
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Parley API",
        description = "Raise, work and see escalations of professional disagreements under a safeguarding children partnership's procedure. Authenticate with a session cookie or `Authorization: Bearer <token>` (`parley user token`). Errors are `application/problem+json` bodies with a stable `code`; a request refused for what it holds lists each field's problem in `errors` (a body member unknown, missing or of the wrong type is refused before anything is changed). Reading a child's details is a POST: each reading is recorded."
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

/// An error (RFC 9457 problem details): one shape for every API error.
pub use crate::error::Problem;

/// The whole document: this module's paths and every area's.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = Doc::openapi();
    for area in [
        raise::doc(),
        escalation::doc(),
        forms::doc(),
        appointment::doc(),
        partnership_form::doc(),
        compliments::doc(),
        partnership::doc(),
        learning::doc(),
        reports::doc(),
        procedure_reports::doc(),
        procedure::doc(),
        admin::doc(),
        notifications::doc(),
    ] {
        doc.merge(area);
    }
    doc
}

/// The document as served: [`openapi`], with every operation's error responses completed
/// from the route table (see [`complete_errors`]). Built once.
pub fn document() -> &'static serde_json::Value {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut doc = serde_json::to_value(openapi()).unwrap_or_default();
        complete_errors(&mut doc);
        doc
    })
}

/// Documents the errors every operation can answer with, as the layers in front of the
/// handlers give them (so that no handler's annotation can forget one): all are problem
/// bodies (`application/problem+json`, the `Problem` schema). 401 where the route needs
/// someone signed in; 403 where it needs a role, and on every POST and PUT (a request from
/// another site is refused); 404 where the path names something; 400, 409, 413, 415 and 422
/// where a body is read (`body.rs`; 409: a write that met another); 422 where a query is
/// read; 500 everywhere. What an annotation
/// already says (a 409, a more precise 422) is kept, its content type made the problem's.
pub fn complete_errors(doc: &mut serde_json::Value) {
    use serde_json::{Value, json};
    let problem = |description: &str| {
        json!({
            "description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        })
    };
    for Route {
        method, path, rule, ..
    } in routes()
    {
        let Some(op) = doc
            .get_mut("paths")
            .and_then(|p| p.get_mut(path))
            .and_then(|p| p.get_mut(method.as_str().to_lowercase()))
        else {
            continue;
        };
        let reads_query = op["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
        let mut need: Vec<(&str, &str)> = vec![(
            "500",
            "Something went wrong on our side (the problem carries the request id, nothing more)",
        )];
        match rule {
            Rule::Public => {}
            Rule::SignedIn => need.push(("401", "No session and no valid API token")),
            Rule::Roles(_) => {
                need.push(("401", "No session and no valid API token"));
                need.push(("403", "The caller does not have a role this needs"));
            }
        }
        if path.contains('{') {
            need.push(("404", "Nothing by that id that the caller may see"));
        }
        if method != Method::GET {
            need.push((
                "403",
                "Refused: the request came from another site, or the caller may not do this",
            ));
            need.push(("400", "The body is not JSON (`errors[0].code` `malformed-json`, with its line and column)"));
            need.push((
                "409",
                "Someone else changed the same thing at the same moment: read it again and retry",
            ));
            need.push(("413", "The body is too large"));
            need.push((
                "415",
                "The body is not sent as `application/json` (`errors[0].code` `not-json`)",
            ));
            need.push(("422", "The body could not be taken: a member unknown, missing or of the wrong type (`errors`, each with its `code`), or refused for what it says"));
        }
        if reads_query {
            need.push((
                "422",
                "A query parameter that is not read here, or of the wrong type (`errors`)",
            ));
        }
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            continue;
        };
        for (status, r) in responses.iter_mut() {
            if (status.starts_with('4') || status.starts_with('5'))
                && let Some(content) = r.get_mut("content").and_then(Value::as_object_mut)
                && let Some(json) = content.remove("application/json")
            {
                content.insert("application/problem+json".to_owned(), json);
            }
        }
        for (status, description) in need {
            responses
                .entry(status.to_owned())
                .or_insert_with(|| problem(description));
        }
    }
}

async fn openapi_json() -> Json<&'static serde_json::Value> {
    Json(document())
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
    params(crate::service::my_work::PageQuery),
    responses((status = 200, body = MyWork), (status = 401, body = Problem)),
    security(("token" = [])))]
async fn api_my_work(
    State(state): State<AppState>,
    user: CurrentUser,
    body::ApiQuery(q): body::ApiQuery<crate::service::my_work::PageQuery>,
) -> Result<Json<MyWork>, AppError> {
    let ctx = crate::service::Context::load(&state, &user).await?;
    Ok(Json(
        my_work(&state, &user, &ctx, "/api/my-work", q.number()).await?,
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;

    /// Every `#[derive(... ToSchema ...)]` type of this crate's sources, by the name utoipa
    /// gives it (the type's name, or its `#[schema(as = ...)]`), with where it is defined.
    fn schema_types() -> BTreeMap<String, Vec<String>> {
        fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        walk(&root, &mut files);
        let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                let line = line.trim();
                if !(line.starts_with("#[derive(") && line.contains("ToSchema")) {
                    continue;
                }
                // The attributes and doc comments down to the item.
                let mut alias = None;
                for next in &lines[i + 1..] {
                    let next = next.trim();
                    if let Some(rest) = next.strip_prefix("#[schema(as = ") {
                        let path = rest.trim_end_matches(")]");
                        alias = Some(path.rsplit("::").next().unwrap_or(path).to_owned());
                    }
                    let item = next
                        .strip_prefix("pub ")
                        .or_else(|| next.strip_prefix("pub(crate) "))
                        .unwrap_or(next);
                    if let Some(rest) = item
                        .strip_prefix("struct ")
                        .or_else(|| item.strip_prefix("enum "))
                    {
                        let ident: String = rest
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        let at =
                            format!("{}::{ident}", file.strip_prefix(&root).unwrap().display());
                        names.entry(alias.unwrap_or(ident)).or_default().push(at);
                        break;
                    }
                }
            }
        }
        names
    }

    /// One type per name: utoipa keeps the first schema of a name and drops the others, so
    /// two types under one name make the document describe one with the other's fields (issue
    /// 13 item 12: `ProcedureRef`, `PersonRef`, `Choice`).
    #[test]
    fn every_schema_name_is_one_type() {
        let names = schema_types();
        assert!(names.len() > 40, "too few schema types found: {names:?}");
        let twice: Vec<_> = names.iter().filter(|(_, at)| at.len() > 1).collect();
        assert!(
            twice.is_empty(),
            "schema names used by more than one type: {twice:?}"
        );
        // And every component of the document is one of them (or a generic utoipa name).
        let doc = document();
        for name in doc["components"]["schemas"].as_object().unwrap().keys() {
            assert!(
                names.contains_key(name),
                "{name} is not a type of this crate"
            );
        }
    }

    /// Every `$ref` of the document names a component.
    #[test]
    fn every_reference_resolves() {
        fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    for (k, v) in m {
                        if k == "$ref" {
                            out.extend(v.as_str().map(str::to_owned));
                        } else {
                            refs(v, out);
                        }
                    }
                }
                serde_json::Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let doc = document();
        let mut all = Vec::new();
        refs(doc, &mut all);
        assert!(all.len() > 50);
        for r in all {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{r}"));
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "{r} names nothing"
            );
        }
    }

    /// Every API route is an operation of the document, with its error responses: problems
    /// for 401/403 as its rule has them, 404 where the path names something, 400/413/415/422
    /// where a body is read, 500 always.
    #[test]
    fn every_route_is_documented_with_its_errors() {
        let doc = document();
        for Route {
            method, path, rule, ..
        } in routes()
        {
            if !path.starts_with("/api/") || path == "/api/openapi.json" || path == "/api/docs" {
                continue;
            }
            let op = &doc["paths"][path][method.as_str().to_lowercase()];
            assert!(op.is_object(), "{method} {path} is not in the document");
            let responses = op["responses"].as_object().unwrap();
            let mut want = vec!["500"];
            if rule != Rule::Public {
                want.push("401");
            }
            if matches!(rule, Rule::Roles(_)) || method != Method::GET {
                want.push("403");
            }
            if path.contains('{') {
                want.push("404");
            }
            if method != Method::GET {
                want.extend(["400", "409", "413", "415", "422"]);
            }
            for status in want {
                let r = &responses
                    .get(status)
                    .unwrap_or_else(|| panic!("{method} {path} does not document {status}"));
                assert!(
                    r["content"]["application/problem+json"]["schema"].is_object(),
                    "{method} {path} {status} is not a problem: {r}"
                );
            }
            for (status, r) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        r["content"]["application/json"].is_null(),
                        "{method} {path} {status} is said to be plain JSON"
                    );
                }
            }
        }
    }
}
