//! A stored row read by column name. A value that cannot be read (of the wrong type, NULL where
//! the row needs one, JSON that does not parse) is `StoreError::UnreadableRow` naming the
//! table, the row's key and the column: never a default, so that a damaged row is found where
//! it is rather than shown as something it is not.

use serde::de::DeserializeOwned;

use super::driver::Read;
use crate::StoreError;

/// One row of `table`, whose key is in the columns `key` (named in any error about it).
#[derive(Debug)]
pub(crate) struct Cells<'r, R> {
    row: &'r R,
    table: &'static str,
    key: &'static [&'static str],
}

impl<'r, R: Read> Cells<'r, R> {
    pub(crate) fn new(row: &'r R, table: &'static str, key: &'static [&'static str]) -> Self {
        Cells { row, table, key }
    }

    /// The error for `column`: the row named by its key, as far as the key can be read.
    fn unreadable(&self, column: &str, message: impl std::fmt::Display) -> StoreError {
        let key: Vec<String> = self
            .key
            .iter()
            .map(|k| match (self.row.text(k), self.row.int(k)) {
                (Ok(Some(t)), _) => t,
                (_, Ok(Some(n))) => n.to_string(),
                _ => "?".to_owned(),
            })
            .collect();
        StoreError::UnreadableRow {
            table: self.table,
            key: key.join(" "),
            message: format!("column {column}: {message}"),
        }
    }

    fn needed<T>(&self, column: &str, value: Option<T>) -> Result<T, StoreError> {
        value.ok_or_else(|| self.unreadable(column, "NULL where a value is needed"))
    }

    pub(crate) fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        self.row
            .text(column)
            .map_err(|e| self.unreadable(column, e))
    }

    pub(crate) fn text(&self, column: &str) -> Result<String, StoreError> {
        let value = self.opt_text(column)?;
        self.needed(column, value)
    }

    pub(crate) fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        self.row.int(column).map_err(|e| self.unreadable(column, e))
    }

    pub(crate) fn int(&self, column: &str) -> Result<i64, StoreError> {
        let value = self.opt_int(column)?;
        self.needed(column, value)
    }

    pub(crate) fn flag(&self, column: &str) -> Result<bool, StoreError> {
        let value = self
            .row
            .flag(column)
            .map_err(|e| self.unreadable(column, e))?;
        self.needed(column, value)
    }

    pub(crate) fn opt_bytes(&self, column: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.row
            .bytes(column)
            .map_err(|e| self.unreadable(column, e))
    }

    pub(crate) fn bytes(&self, column: &str) -> Result<Vec<u8>, StoreError> {
        let value = self.opt_bytes(column)?;
        self.needed(column, value)
    }

    /// A column holding JSON (a list of text, a record).
    pub(crate) fn json<T: DeserializeOwned>(&self, column: &str) -> Result<T, StoreError> {
        let text = self.text(column)?;
        serde_json::from_str(&text).map_err(|e| self.unreadable(column, e))
    }
}
