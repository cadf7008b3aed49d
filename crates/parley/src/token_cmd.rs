//! `parley user token --list` and `--revoke`: a person's API tokens from the command line.

use jiff::Timestamp;
use parley_store::rows::{ApiTokenRow, PersonRow};
use parley_web::auth::tokens::{self, TokenState};
use parley_web::{AppError, AppState};

use crate::command::{Failure, Outcome};

fn when(us: Option<i64>) -> String {
    us.and_then(|u| Timestamp::from_microsecond(u).ok())
        .map_or_else(
            || "-".to_owned(),
            |t| t.strftime("%Y-%m-%d %H:%M").to_string(),
        )
}

/// One line per token: id, state, created, last used, expires, label.
pub(crate) fn list(rows: &[ApiTokenRow], now: Timestamp) -> String {
    if rows.is_empty() {
        return "No API tokens.\n".to_owned();
    }
    let mut out = format!(
        "{:<12}  {:<7}  {:<16}  {:<16}  {:<16}  LABEL\n",
        "ID", "STATE", "CREATED", "LAST USED", "EXPIRES"
    );
    for r in rows {
        out.push_str(&format!(
            "{:<12}  {:<7}  {:<16}  {:<16}  {:<16}  {}\n",
            tokens::token_id(r),
            TokenState::of(r, now.as_microsecond()).label(),
            when(Some(r.created_at_us)),
            when(r.last_used_at_us),
            when(r.expires_at_us),
            r.label.escape_debug()
        ));
    }
    out
}

/// Revokes one of the person's tokens by id, or `all` of them.
pub(crate) async fn revoke(
    state: &AppState,
    person: &PersonRow,
    id: &str,
    now: Timestamp,
) -> Outcome {
    if id == "all" {
        let n = state
            .store
            .revoke_person_api_tokens(&person.id, now.as_microsecond())
            .await?;
        return Ok(format!("Revoked {n} API token(s) of {}.\n", person.email));
    }
    let rows = state.store.person_api_tokens(&person.id).await?;
    match tokens::revoke(state, &rows, id).await {
        Ok(row) => Ok(format!(
            "Revoked API token {} ({}) of {}.\n",
            tokens::token_id(&row),
            row.label.escape_debug(),
            person.email
        )),
        Err(AppError::NotFound) => Err(Failure(format!(
            "{} has no API token with the id \"{}\" (see `parley user token --list --email {}`)",
            person.email,
            id.escape_debug(),
            person.email
        ))),
        Err(e) => Err(Failure(format!("could not revoke the token: {e}"))),
    }
}
