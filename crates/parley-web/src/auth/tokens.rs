//! API tokens as people and administrators see them: listed with their label, when they were
//! made, last used and expire, and revoked one by one. A token is named by its id, the first
//! characters of its stored hash (the token itself is never stored, so the id cannot be used
//! to sign in). Revoking is for good: nothing un-revokes a token.

use parley_store::rows::ApiTokenRow;
use serde::Serialize;

use crate::app::AppState;
use crate::error::AppError;

/// Hex digits of the hash that name a token.
pub const ID_LENGTH: usize = 12;

/// A token's id: the first [`ID_LENGTH`] hex digits of its hash.
pub fn token_id(row: &ApiTokenRow) -> &str {
    row.token_hash.get(..ID_LENGTH).unwrap_or(&row.token_hash)
}

/// Where a token stands at `now_us`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenState {
    Active,
    Expired,
    Revoked,
}

impl TokenState {
    pub fn of(row: &ApiTokenRow, now_us: i64) -> TokenState {
        if row.revoked_at_us.is_some() {
            TokenState::Revoked
        } else if row.expires_at_us.is_some_and(|e| e <= now_us) {
            TokenState::Expired
        } else {
            TokenState::Active
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TokenState::Active => "Active",
            TokenState::Expired => "Expired",
            TokenState::Revoked => "Revoked",
        }
    }
}

/// One token as a page shows it (times in microseconds; the template formats them).
#[derive(Clone, Debug, Serialize)]
pub struct TokenView {
    pub id: String,
    pub person_id: String,
    /// The holder's name (administrators' list).
    pub person: String,
    pub label: String,
    pub created_at_us: i64,
    pub last_used_at_us: Option<i64>,
    pub expires_at_us: Option<i64>,
    pub revoked_at_us: Option<i64>,
    pub state: TokenState,
    pub state_text: &'static str,
    pub active: bool,
}

impl TokenView {
    pub fn new(row: &ApiTokenRow, person: &str, now_us: i64) -> TokenView {
        let state = TokenState::of(row, now_us);
        TokenView {
            id: token_id(row).to_owned(),
            person_id: row.person_id.clone(),
            person: person.to_owned(),
            label: row.label.clone(),
            created_at_us: row.created_at_us,
            last_used_at_us: row.last_used_at_us,
            expires_at_us: row.expires_at_us,
            revoked_at_us: row.revoked_at_us,
            state,
            state_text: state.label(),
            active: state == TokenState::Active,
        }
    }
}

/// The one token among `rows` that `id` names: the whole id as shown (hex, any case). Anything
/// else, or an id more than one token starts with, is `None`.
pub fn find<'a>(rows: &'a [ApiTokenRow], id: &str) -> Option<&'a ApiTokenRow> {
    let id = id.trim().to_ascii_lowercase();
    if id.len() < ID_LENGTH || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut found = rows.iter().filter(|r| r.token_hash.starts_with(&id));
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// Revokes the token `id` names among `rows` (the ones the asker may revoke). `NotFound` for
/// any other id, so nobody learns of a token they may not touch.
pub async fn revoke(
    state: &AppState,
    rows: &[ApiTokenRow],
    id: &str,
) -> Result<ApiTokenRow, AppError> {
    let row = find(rows, id).ok_or(AppError::NotFound)?;
    state
        .store
        .revoke_api_token(&row.token_hash, state.now().as_microsecond())
        .await?;
    Ok(row.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(hash: &str) -> ApiTokenRow {
        ApiTokenRow {
            token_hash: hash.to_owned(),
            person_id: "p".to_owned(),
            label: "l".to_owned(),
            created_at_us: 0,
            expires_at_us: Some(100),
            revoked_at_us: None,
            last_used_at_us: None,
        }
    }

    #[test]
    fn an_id_names_exactly_one_token() {
        let rows = [
            row(&"ab".repeat(32)),
            row(&format!("abababababac{}", "0".repeat(52))),
        ];
        assert_eq!(find(&rows, "abababababab"), Some(&rows[0]));
        assert_eq!(find(&rows, "ABABABABABAB"), Some(&rows[0]));
        assert_eq!(find(&rows, &"ab".repeat(32)), Some(&rows[0]));
        for bad in [
            "",
            "ab",
            "ababababab",
            "abababababa%",
            "zzzzzzzzzzzz",
            "ababababab%'",
            "cdcdcdcdcdcd",
        ] {
            assert_eq!(find(&rows, bad), None, "{bad:?}");
        }
    }

    #[test]
    fn states_follow_revocation_then_expiry() {
        let mut r = row(&"ab".repeat(32));
        assert_eq!(TokenState::of(&r, 99), TokenState::Active);
        assert_eq!(TokenState::of(&r, 100), TokenState::Expired);
        r.revoked_at_us = Some(5);
        assert_eq!(TokenState::of(&r, 0), TokenState::Revoked);
    }
}
