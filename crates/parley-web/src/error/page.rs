//! Errors as pages show them: a form sent back with its errors in the GOV.UK pattern
//! ([`ErrorSummary`]: a summary linking to each input, and each input's own message, drawn
//! by the `error_summary` macro of `templates/macros.html`), or the error page for anything
//! else (with the request id, never internals).

use std::collections::BTreeMap;

use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use super::field::FieldError;

/// Field errors as a page shows them: the summary above the form, each item linking to its
/// input (`href`), and each input's own message (`by_field`, by the input's id).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ErrorSummary {
    pub summary: Vec<ErrorItem>,
    pub by_field: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ErrorItem {
    pub text: String,
    pub href: String,
}

impl ErrorSummary {
    /// Each error on the input whose id is its field's name.
    pub fn of<'a>(errors: impl IntoIterator<Item = &'a FieldError>) -> ErrorSummary {
        ErrorSummary::with_ids(errors, str::to_owned)
    }

    /// Each error on the input `id` gives for its field; one message per input, the first.
    pub fn with_ids<'a>(
        errors: impl IntoIterator<Item = &'a FieldError>,
        id: impl Fn(&str) -> String,
    ) -> ErrorSummary {
        let mut s = ErrorSummary::default();
        for e in errors {
            let id = id(&e.field);
            s.add(&id, &format!("#{id}"), e.text());
        }
        s
    }

    /// Each error's summary item linking to `href` (a question on another page, say); its
    /// input's message under the field's name.
    pub fn linking<'a>(
        errors: impl IntoIterator<Item = &'a FieldError>,
        href: impl Fn(&FieldError) -> String,
    ) -> ErrorSummary {
        let mut s = ErrorSummary::default();
        for e in errors {
            s.add(&e.field, &href(e), e.text());
        }
        s
    }

    /// Problems at lines of a file sent in the input `id`: each listed with its position,
    /// and one message on the input saying how many there are.
    pub fn in_file(&mut self, id: &str, what: &str, problems: &[&FieldError]) {
        if problems.is_empty() {
            return;
        }
        for p in problems {
            self.summary.push(ErrorItem {
                text: p.text(),
                href: format!("#{id}"),
            });
        }
        self.by_field.insert(
            id.to_owned(),
            if problems.len() == 1 {
                format!("Fix the problem in the {what} listed above")
            } else {
                format!(
                    "Fix the {} problems in the {what} listed above",
                    problems.len()
                )
            },
        );
    }

    /// `text` on the input `id` and in the summary, linking to `href`, unless the input has a
    /// message already.
    fn add(&mut self, id: &str, href: &str, text: String) {
        if self.by_field.contains_key(id) {
            return;
        }
        self.summary.push(ErrorItem {
            text: text.clone(),
            href: href.to_owned(),
        });
        self.by_field.insert(id.to_owned(), text);
    }

    pub fn is_empty(&self) -> bool {
        self.summary.is_empty()
    }
}

/// A page sent back with errors: 422 with the page as its body (the input kept).
pub fn invalid(page: Html<String>) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

/// The error page (`error.html`): the title of the status, what the person may be told, and
/// the request id.
pub fn error_page(
    templates: &minijinja::Environment<'static>,
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
) -> (String, header::HeaderValue) {
    let title = super::problem::title(status);
    let body = templates
        .get_template("error.html")
        .and_then(|t| {
            t.render(minijinja::context! {
                page_title => title,
                status => status.as_u16(),
                message => message,
                request_id => request_id,
                code => code,
            })
        })
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "error page did not render");
            format!("{title} (request {request_id})")
        });
    (
        body,
        header::HeaderValue::from_static("text/html; charset=utf-8"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_message_per_input_and_file_problems_listed_with_their_place() {
        let errors = [
            FieldError::new("to_person_id", "Select the person"),
            FieldError::new("to_person_id", "A second"),
            FieldError::new("message", "Enter your compliment"),
        ];
        let s = ErrorSummary::with_ids(&errors, |f| {
            if f == "to_person_id" { "to" } else { f }.to_owned()
        });
        let items: Vec<(&str, &str)> = s
            .summary
            .iter()
            .map(|i| (i.text.as_str(), i.href.as_str()))
            .collect();
        assert_eq!(
            items,
            [
                ("Select the person", "#to"),
                ("Enter your compliment", "#message")
            ]
        );
        assert_eq!(s.by_field["to"], "Select the person");

        let file = [
            FieldError {
                line: Some(2),
                column: Some(1),
                ..FieldError::new("source", "unknown key")
            },
            FieldError {
                line: Some(9),
                ..FieldError::new("source", "missing stage")
            },
        ];
        let mut s = ErrorSummary::default();
        s.in_file("source", "procedure file", &file.iter().collect::<Vec<_>>());
        assert_eq!(s.summary[0].text, "Line 2, column 1: unknown key");
        assert_eq!(s.summary[1].href, "#source");
        assert_eq!(
            s.by_field["source"],
            "Fix the 2 problems in the procedure file listed above"
        );
        let s = ErrorSummary::linking(&file, |_| "/elsewhere".to_owned());
        assert_eq!(s.summary.len(), 1);
        assert_eq!(s.summary[0].href, "/elsewhere");
    }
}
