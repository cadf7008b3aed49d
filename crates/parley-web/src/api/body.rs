//! What the API reads from a request, and how it refuses what it cannot read. Every JSON body
//! goes through [`ApiJson`] and every query through [`ApiQuery`]: the request types refuse
//! unknown fields (`#[serde(deny_unknown_fields)]`) and have no default for a field that
//! is required, so that a misspelt or missing field is never taken for an empty one (issue 13
//! item 9: `PUT /api/closure-days` with `{"dayz": [...]}` used to clear every closure day).
//!
//! A refusal happens before the handler runs, so nothing is changed. It is a problem body
//! (`application/problem+json`, `code` `invalid`) with an `errors` list naming the field
//! (the JSON path, `child.name`, `days[2]`) and, per field, a stable `code`:
//!
//! | status | `errors[].code`   | when                                                       |
//! |--------|-------------------|------------------------------------------------------------|
//! | 400    | `malformed-json`  | not JSON at all (syntax, truncated, not UTF-8); with the line and column |
//! | 415    | `not-json`        | no `Content-Type: application/json`                        |
//! | 422    | `unknown-field`   | a member the request type does not have                    |
//! | 422    | `missing-field`   | a required member left out                                 |
//! | 422    | `duplicate-field` | a member given twice                                       |
//! | 422    | `wrong-type`      | a member of the wrong type or value (`null`, a string for a number, a number too large) |
//!
//! A body larger than the limit is a 413 problem (`too-large`) as before.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::app::AppState;
use crate::error::{FieldError, problem};
use crate::security::RequestId;

/// A body or query that could not be read, as the problem it answers with.
#[derive(Debug)]
pub struct Unreadable {
    status: StatusCode,
    request_id: Option<RequestId>,
    error: FieldError,
}

impl IntoResponse for Unreadable {
    fn into_response(self) -> Response {
        let id = self.request_id.map(|r| r.0).unwrap_or_default();
        problem::invalid(self.status, &id, vec![self.error])
    }
}

fn coded(field: &str, code: &str, message: impl Into<String>) -> FieldError {
    FieldError::coded(field, code, message)
}

/// The name between the first pair of backquotes of a serde message (`missing field `days``).
fn quoted(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(&message[start..end])
}

/// `errors[]` for a serde error at `path` (the members that lead to it, `.` between them).
fn describe(path: &str, message: &str) -> (String, &'static str, String) {
    // serde_path_to_error's path already ends with an unknown member's name; a missing
    // member's is the object it is missing from.
    let join = |name: &str| {
        if path.is_empty() || path == "." {
            name.to_owned()
        } else if path == name || path.ends_with(&format!(".{name}")) {
            path.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    let whole = if path.is_empty() || path == "." {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    // serde's own wording (serde::de::Error::{unknown_field, missing_field}); the request
    // types that check more themselves (ActionRequest) use the same words.
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let name = quoted(rest).unwrap_or("");
        let allowed = rest
            .split_once(", expected ")
            .map(|(_, a)| a.replace('`', ""))
            .or_else(|| {
                rest.contains("there are no fields")
                    .then(|| "nothing".to_owned())
            });
        let message = match allowed {
            Some(a) => format!("This field is not known here (expected {a})"),
            None => "This field is not known here".to_owned(),
        };
        return (join(name), "unknown-field", message);
    }
    if let Some(rest) = message.strip_prefix("duplicate field ") {
        let name = quoted(rest).unwrap_or("");
        return (
            join(name),
            "duplicate-field",
            "This field is given twice".to_owned(),
        );
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let name = quoted(rest).unwrap_or("");
        return (
            join(name),
            "missing-field",
            "This field is required".to_owned(),
        );
    }
    // Anything else is a value of the wrong kind: "invalid type: null, expected a string",
    // "invalid value", "unknown variant", "number out of range". Only serde's words about
    // the types are passed on, never the value sent.
    let what = message
        .split_once(", expected ")
        .map(|(_, e)| format!("Expected {}", e.split(" at line ").next().unwrap_or(e)))
        .unwrap_or_else(|| "This value is not of the right type".to_owned());
    (whole, "wrong-type", what)
}

/// A refusal: the status and the field's problem.
pub type Refusal = Box<(StatusCode, FieldError)>;

/// Reads `T` from JSON text, naming the field a problem is in.
pub fn read<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Refusal> {
    let malformed = |e: &serde_json::Error| {
        let error = FieldError {
            line: Some(e.line()),
            column: Some(e.column()),
            ..coded(
                "body",
                "malformed-json",
                "This is not JSON: check the quotes, commas and brackets",
            )
        };
        Box::new((StatusCode::BAD_REQUEST, error))
    };
    // Every request body is an object: serde would also read a struct from an array of its
    // members in order (`[["2025-06-02"]]`), which no client means.
    let first = bytes.iter().find(|b| !b" \t\r\n".contains(b));
    if first.is_some_and(|b| *b == b'[') {
        return Err(Box::new((
            StatusCode::UNPROCESSABLE_ENTITY,
            coded("body", "wrong-type", "Expected a JSON object"),
        )));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Syntax
            | serde_json::error::Category::Eof
            | serde_json::error::Category::Io => malformed(&inner),
            serde_json::error::Category::Data => {
                // serde_json adds " at line L column C"; the field is named instead.
                let text = inner.to_string();
                let text = text.split(" at line ").next().unwrap_or(&text);
                let (field, code, message) = describe(&path, text);
                Box::new((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    coded(&field, code, message),
                ))
            }
        }
    })?;
    // Nothing may follow the value (`{} {}`).
    de.end().map_err(|e| malformed(&e))?;
    Ok(value)
}

/// A JSON body of type `T`, or a problem naming what is wrong with it.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let request_id = request.extensions().get::<RequestId>().cloned();
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime_type::Essence>().ok())
            .is_some_and(|m| m.is_json());
        if !json {
            return Err(Unreadable {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                request_id,
                error: coded(
                    "body",
                    "not-json",
                    "Send JSON, with Content-Type: application/json",
                ),
            }
            .into_response());
        }
        // A body over the limit is the limit's own 413 (a problem from `render_errors`).
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        read(&bytes).map(ApiJson).map_err(|refusal| {
            let (status, error) = *refusal;
            Unreadable {
                status,
                request_id,
                error,
            }
            .into_response()
        })
    }
}

/// A POST that takes nothing: no body, or an empty JSON object. Anything else is refused as
/// [`ApiJson`] refuses it (a member is unknown here).
#[derive(Debug)]
pub struct NoBody;

/// An object with no members (an empty struct would also take `[]`).
struct Nothing;

impl<'de> serde::Deserialize<'de> for Nothing {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Nothing, D::Error> {
        let map = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        match map.keys().next() {
            None => Ok(Nothing),
            Some(k) => Err(serde::de::Error::unknown_field(k, &[])),
        }
    }
}

impl FromRequest<AppState> for NoBody {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (parts, body) = request.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        if bytes.is_empty() {
            return Ok(NoBody);
        }
        let again = Request::from_parts(parts, axum::body::Body::from(bytes));
        ApiJson::<Nothing>::from_request(again, state)
            .await
            .map(|_| NoBody)
    }
}

/// A query string of type `T`, or a problem naming the parameter. A name `T` does not declare
/// as a parameter in the API document (`IntoParams`) is refused, so that the document is the
/// list of what is read.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + utoipa::IntoParams + Send> FromRequestParts<AppState> for ApiQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Response> {
        let query = parts.uri.query().unwrap_or("");
        let refuse = |field: &str, code: &str, message: String| {
            Unreadable {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                request_id: parts.extensions.get::<RequestId>().cloned(),
                error: coded(field, code, message),
            }
            .into_response()
        };
        let known: Vec<String> = T::into_params(|| Some(utoipa::openapi::path::ParameterIn::Query))
            .into_iter()
            .map(|p| p.name)
            .collect();
        for (name, _) in form_urlencoded::parse(query.as_bytes()) {
            if !known.iter().any(|k| *k == name) {
                return Err(refuse(
                    &name,
                    "unknown-field",
                    format!(
                        "This parameter is not known here (expected {})",
                        known.join(", ")
                    ),
                ));
            }
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                let text = e.into_inner().to_string();
                let (field, code, message) = describe(&path, &text);
                refuse(&field, code, message)
            })
    }
}

/// Content types, as far as telling JSON from anything else goes.
mod mime_type {
    /// `type/subtype` without parameters, lower-cased.
    pub(super) struct Essence(String);

    impl std::str::FromStr for Essence {
        type Err = ();

        fn from_str(s: &str) -> Result<Self, ()> {
            let essence = s
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if essence.contains('/') {
                Ok(Essence(essence))
            } else {
                Err(())
            }
        }
    }

    impl Essence {
        /// `application/json` or any `+json` type (as axum's `Json` accepts).
        pub(super) fn is_json(&self) -> bool {
            self.0 == "application/json"
                || (self.0.starts_with("application/") && self.0.ends_with("+json"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Days {
        days: Vec<String>,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        n: u8,
    }

    #[test]
    fn every_refusal_names_its_field_and_code() {
        let table: &[(&str, u16, &str, &str)] = &[
            ("{}", 422, "days", "missing-field"),
            (r#"{"dayz": []}"#, 422, "dayz", "unknown-field"),
            (r#"{"days": null}"#, 422, "days", "wrong-type"),
            (r#"{"days": [1]}"#, 422, "days[0]", "wrong-type"),
            (r#"{"days": "2025-06-02"}"#, 422, "days", "wrong-type"),
            (
                r#"{"days": [], "inner": {"n": 256}}"#,
                422,
                "inner.n",
                "wrong-type",
            ),
            (
                r#"{"days": [], "inner": {"n": 1e400}}"#,
                400,
                "body",
                "malformed-json",
            ),
            (
                r#"{"days": [], "inner": {"m": 1}}"#,
                422,
                "inner.m",
                "unknown-field",
            ),
            (
                r#"{"days": [], "inner": {}}"#,
                422,
                "inner.n",
                "missing-field",
            ),
            ("null", 422, "body", "wrong-type"),
            ("[]", 422, "body", "wrong-type"),
            ("18446744073709551616", 422, "body", "wrong-type"),
            (r#"[["2025-06-02"], null]"#, 422, "body", "wrong-type"),
            (" [] ", 422, "body", "wrong-type"),
            ("{", 400, "body", "malformed-json"),
            ("", 400, "body", "malformed-json"),
            (r#"{"days": []} {}"#, 400, "body", "malformed-json"),
            ("\u{feff}{}", 400, "body", "malformed-json"),
        ];
        for (body, status, field, code) in table {
            let (s, e) = *read::<Days>(body.as_bytes()).expect_err(body);
            assert_eq!(
                (s.as_u16(), e.field.as_str(), e.code.as_deref()),
                (*status, *field, Some(*code)),
                "{body}: {e:?}"
            );
            assert!(!e.message.contains("dayz") || e.field == "dayz", "{e:?}");
        }
        assert!(read::<Days>(br#"{"days": []}"#).is_ok());
    }
}
