//! The one field-error type: what is wrong with one field of what was sent. Every refusal of
//! input (a form, a JSON body, a query, a procedure file) is a list of these behind
//! [`AppError::Invalid`](super::AppError::Invalid); the API sends them as the problem's
//! `errors` (`problem.rs`) and pages show them as the GOV.UK error summary with each field's
//! own message (`page.rs`).

use serde::Serialize;

/// The field of an error about the request as a whole rather than one of its fields.
pub const WHOLE: &str = "body";

/// One thing wrong with what was sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = InputError)]
pub struct FieldError {
    /// The field: the JSON member's name (`child.name`, `days[2]`; `body` for the request as
    /// a whole), which pages also use as the input's id.
    pub field: String,
    pub message: String,
    /// For a procedure file: where the problem is (1-based).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// What is allowed instead, when that helps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The text of that line of the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_line: Option<String>,
    /// For a body the API could not read: `malformed-json`, `not-json`, `unknown-field`,
    /// `missing-field`, `duplicate-field` or `wrong-type` (see `api::body`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_owned(),
            message: message.into(),
            line: None,
            column: None,
            help: None,
            source_line: None,
            code: None,
        }
    }

    /// An error about the request as a whole (its field is [`WHOLE`]).
    pub fn whole(message: impl Into<String>) -> FieldError {
        FieldError::new(WHOLE, message)
    }

    /// An error with the `code` a client can match on (see `api::body`).
    pub fn coded(field: &str, code: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            code: Some(code.to_owned()),
            ..FieldError::new(field, message)
        }
    }

    /// Whether it is about the request as a whole.
    pub fn is_whole(&self) -> bool {
        self.field == WHOLE
    }

    /// "Line L, column C: message (help)": how a procedure file's problem is shown; the
    /// message alone for anything else.
    pub fn text(&self) -> String {
        let mut out = match (self.line, self.column) {
            (Some(l), Some(c)) => format!("Line {l}, column {c}: {}", self.message),
            (Some(l), None) => format!("Line {l}: {}", self.message),
            _ => self.message.clone(),
        };
        if let Some(help) = &self.help {
            out.push_str(&format!(" ({help})"));
        }
        out
    }
}

/// Field errors as they are found, in order. [`FieldErrors::add`] keeps the first message of
/// each field (a form shows one message per input); [`FieldErrors::push`] keeps every one (a
/// procedure file has many problems).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// `message` for `field`, unless the field has one already.
    pub fn add(&mut self, field: impl AsRef<str>, message: impl Into<String>) {
        let field = field.as_ref();
        if self.get(field).is_none() {
            self.0.push(FieldError::new(field, message));
        }
    }

    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// The value of a check, or `None` with its message added to `field`.
    pub fn take<T>(&mut self, field: impl AsRef<str>, checked: Result<T, String>) -> Option<T> {
        match checked {
            Ok(v) => Some(v),
            Err(m) => {
                self.add(field, m);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first message of `field`.
    pub fn get(&self, field: impl AsRef<str>) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field.as_ref())
            .map(|e| e.message.as_str())
    }

    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.0.iter()
    }

    pub fn as_slice(&self) -> &[FieldError] {
        &self.0
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }
}

impl IntoIterator for FieldErrors {
    type Item = FieldError;
    type IntoIter = std::vec::IntoIter<FieldError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a FieldErrors {
    type Item = &'a FieldError;
    type IntoIter = std::slice::Iter<'a, FieldError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_message_of_a_field_is_kept_and_push_keeps_all() {
        let mut e = FieldErrors::default();
        e.add("email", "Enter your email address");
        e.add("email", "Another");
        assert_eq!(e.get("email"), Some("Enter your email address"));
        assert_eq!(e.take::<u8>("n", Err("Enter a number".to_owned())), None);
        assert_eq!(e.take("m", Ok(3)), Some(3));
        e.push(FieldError::new("email", "A second one"));
        let fields: Vec<(&str, &str)> = e
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("email", "Enter your email address"),
                ("n", "Enter a number"),
                ("email", "A second one")
            ]
        );
    }

    #[test]
    fn a_whole_request_error_reads_as_its_message() {
        assert_eq!(FieldError::whole("No").text(), "No");
        assert!(FieldError::whole("No").is_whole());
        assert!(!FieldError::new("name", "No").is_whole());
    }
}
