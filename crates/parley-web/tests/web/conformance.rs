//! Every API response of every web test is checked against the API document (issue 13 item
//! 12): `Harness::send` hands each `/api/` response here. The operation is found by method
//! and path template, the response by status, the content by content type, and the body is
//! validated as JSON Schema 2020-12 (OpenAPI 3.1's dialect), its `#/components/schemas/...`
//! references resolved in the document. A response the document does not describe fails the
//! test that got it, there and then.
//!
//! Outside the operations: a 405 (a method the path does not have) and a 404 for a path that
//! is no operation are problems (`Problem`). `/api/openapi.json` and `/api/docs` are the
//! document and its page.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use axum::http::Method;
use serde_json::{Value, json};

use crate::harness::{Resp, excerpt};

fn doc() -> &'static Value {
    parley_web::api::document()
}

/// A validator per schema (as JSON text), built once.
fn validator(schema: &Value) -> Arc<jsonschema::Validator> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let key = schema.to_string();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().unwrap().get(&key) {
        return v.clone();
    }
    // The schema as the root, with the document's components beside it so that its
    // references resolve.
    let mut root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": closed_components().clone(),
    });
    match schema {
        Value::Object(m) => {
            let mut schema = Value::Object(m.clone());
            close(&mut schema, false);
            for (k, v) in schema.as_object().unwrap() {
                root[k] = v.clone();
            }
        }
        other => panic!("a schema that is not an object: {other}"),
    }
    let v = Arc::new(
        jsonschema::draft202012::new(&root)
            .unwrap_or_else(|e| panic!("the document's schema {schema} does not build: {e}")),
    );
    cache.lock().unwrap().insert(key, v.clone());
    v
}

/// The document's components with every object closed: a member the document does not name
/// is drift too (utoipa kept one `ProcedureRef` of two, and the other's responses still
/// passed, their members all "additional"). An object with `properties` gets
/// `additionalProperties: false`; one made of parts (`allOf`, serde's `flatten`) gets
/// `unevaluatedProperties: false`, and its parts stay open.
fn closed_components() -> &'static Value {
    static CLOSED: OnceLock<Value> = OnceLock::new();
    CLOSED.get_or_init(|| {
        let mut components = doc()["components"].clone();
        // Components that are a part of an `allOf` somewhere stay open.
        let mut parts = Vec::new();
        parts_of(doc(), false, &mut parts);
        if let Some(schemas) = components["schemas"].as_object_mut() {
            for (name, schema) in schemas.iter_mut() {
                let part = parts.iter().any(|p| p == name);
                close(schema, part);
            }
        }
        components
    })
}

/// The components referenced from inside an `allOf`.
fn parts_of(v: &Value, in_all_of: bool, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if in_all_of && let Some(r) = m.get("$ref").and_then(Value::as_str) {
                out.push(r.trim_start_matches("#/components/schemas/").to_owned());
            }
            for (k, child) in m {
                parts_of(child, k == "allOf", out);
            }
        }
        Value::Array(a) => a.iter().for_each(|c| parts_of(c, in_all_of, out)),
        _ => {}
    }
}

/// Closes the objects of a schema (see [`closed_components`]); `part`: it is one part of an
/// `allOf`, left open.
fn close(schema: &mut Value, part: bool) {
    let Some(m) = schema.as_object_mut() else {
        return;
    };
    if let Some(all) = m.get_mut("allOf").and_then(Value::as_array_mut) {
        for p in all.iter_mut() {
            close(p, true);
        }
        if !part && !m.contains_key("unevaluatedProperties") {
            m.insert("unevaluatedProperties".to_owned(), Value::Bool(false));
        }
    } else if m.contains_key("properties") && !part && !m.contains_key("additionalProperties") {
        m.insert("additionalProperties".to_owned(), Value::Bool(false));
    }
    if let Some(props) = m.get_mut("properties").and_then(Value::as_object_mut) {
        for p in props.values_mut() {
            close(p, false);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(v) = m.get_mut(key) {
            close(v, false);
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(a) = m.get_mut(key).and_then(Value::as_array_mut) {
            for v in a.iter_mut() {
                close(v, false);
            }
        }
    }
}

/// Whether a concrete path matches a template (`/api/people/{id}`).
fn matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p)
}

/// What is wrong with `r`, the answer to `method uri`, by the document (`None`: nothing, or
/// not an API response).
pub(crate) fn problems(method: &Method, uri: &str, r: &Resp) -> Option<String> {
    let path = uri.split(['?', '#']).next().unwrap_or(uri);
    if !path.starts_with("/api/") || path == "/api/openapi.json" || path == "/api/docs" {
        return None;
    }
    if *method == Method::HEAD || *method == Method::OPTIONS {
        return None;
    }
    let status = r.status.as_u16().to_string();
    let problem = json!({"$ref": "#/components/schemas/Problem"});
    let item = doc()["paths"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(t, _)| matches(t, path))
        .map(|(_, item)| item);
    let schema = match item.map(|i| &i[method.as_str().to_lowercase()]) {
        None if status == "404" => Some(("application/problem+json".to_owned(), problem)),
        None => {
            return Some(format!(
                "{method} {path}: no such path in the document, yet {status}"
            ));
        }
        Some(Value::Null) if status == "405" => {
            Some(("application/problem+json".to_owned(), problem))
        }
        Some(Value::Null) => {
            return Some(format!(
                "{method} {path}: no such operation in the document, yet {status}"
            ));
        }
        Some(op) => {
            let responses = &op["responses"];
            let response = if responses[&status].is_object() {
                &responses[&status]
            } else if responses["default"].is_object() {
                &responses["default"]
            } else {
                return Some(format!(
                    "{method} {path}: status {status} is not documented (documented: {:?}): {}",
                    responses.as_object().map(|m| m.keys().collect::<Vec<_>>()),
                    excerpt(&r.body)
                ));
            };
            match response["content"].as_object() {
                None if r.body.is_empty() => None,
                None => {
                    return Some(format!(
                        "{method} {path} {status}: the document says no content, yet: {}",
                        excerpt(&r.body)
                    ));
                }
                Some(content) => {
                    let sent = r
                        .header("content-type")
                        .unwrap_or("")
                        .split(';')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_ascii_lowercase();
                    let Some(c) = content.get(&sent) else {
                        return Some(format!(
                            "{method} {path} {status}: content type {sent:?} is not documented ({:?})",
                            content.keys().collect::<Vec<_>>()
                        ));
                    };
                    Some((sent, c["schema"].clone()))
                }
            }
        }
    };
    let (content_type, schema) = schema?;
    if !content_type.ends_with("json") {
        return None;
    }
    let body: Value = match serde_json::from_str(&r.body) {
        Ok(v) => v,
        Err(e) => {
            return Some(format!(
                "{method} {path} {status}: not JSON ({e}): {}",
                excerpt(&r.body)
            ));
        }
    };
    if schema.is_null() {
        return None;
    }
    let v = validator(&schema);
    let errors: Vec<String> = v
        .iter_errors(&body)
        .take(5)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .collect();
    (!errors.is_empty()).then(|| {
        format!(
            "{method} {path} {status} does not match the document ({schema}):\n  {}\nbody: {}",
            errors.join("\n  "),
            excerpt(&r.body)
        )
    })
}

#[test]
fn the_validator_catches_drift() {
    use axum::http::{HeaderMap, HeaderValue, StatusCode};
    let resp = |status: u16, content_type: &str, body: &str| {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_str(content_type).unwrap());
        Resp {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: body.to_owned(),
            bytes: body.as_bytes().to_vec(),
        }
    };
    let good_problem = r#"{"type":"/api/problems/x","title":"t","status":401,"code":"unauthenticated","detail":"d","request_id":"r"}"#;
    assert_eq!(
        problems(
            &Method::GET,
            "/api/me",
            &resp(401, "application/problem+json", good_problem)
        ),
        None
    );
    // Each of these is drift the validator must report.
    let drift: &[(&str, &str, u16, &str, &str)] = &[
        (
            "GET",
            "/api/me",
            401,
            "application/problem+json",
            r#"{"code":"x"}"#,
        ),
        ("GET", "/api/me", 401, "application/json", good_problem),
        (
            "GET",
            "/api/me",
            418,
            "application/problem+json",
            good_problem,
        ),
        ("GET", "/api/me", 200, "application/json", r#"{"id":"x"}"#),
        (
            "GET",
            "/api/me",
            200,
            "application/json",
            r#"{"id":1,"name":"n","email":"e","roles":[],"agency_id":null,"partnership_id":"p"}"#,
        ),
        ("GET", "/api/me", 200, "application/json", "not json"),
        // A member the document does not name.
        (
            "GET",
            "/api/me",
            200,
            "application/json",
            r#"{"id":"1","name":"n","email":"e","roles":[],"agency_id":null,"partnership_id":"p","secret":1}"#,
        ),
        ("GET", "/api/no-such-thing", 200, "application/json", "{}"),
        (
            "GET",
            "/api/escalations/x",
            200,
            "application/json",
            r#"{"procedure":{}}"#,
        ),
    ];
    for (method, path, status, ct, body) in drift {
        let m: Method = method.parse().unwrap();
        assert!(
            problems(&m, path, &resp(*status, ct, body)).is_some(),
            "{method} {path} {status} {ct} {body} passed"
        );
    }
}
