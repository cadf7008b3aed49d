//! Security state: accounts (and their sign-in failures and lock), sessions and API tokens.
//! Mutable rows, not events and not projections; a rebuild of the query tables leaves them
//! alone, and an export does not carry them.

use async_trait::async_trait;

use super::cells::Cells;
use super::driver::{Read, SqlStore};
use super::statements::Arg;
use crate::StoreError;
use crate::rows::{AccountRow, ApiTokenRow, SessionLookup, SessionRow};

const UPSERT_ACCOUNT: &str = concat!(
    "INSERT INTO accounts (person_id, partnership_id, email, password_hash, failed_attempts, locked_until_us, ",
    "created_at_us, updated_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ",
    "ON CONFLICT (person_id) DO UPDATE SET partnership_id = excluded.partnership_id, ",
    "email = excluded.email, password_hash = excluded.password_hash, ",
    "failed_attempts = excluded.failed_attempts, locked_until_us = excluded.locked_until_us, ",
    "updated_at_us = excluded.updated_at_us"
);

const ACCOUNT: &str = "SELECT person_id, partnership_id, email, password_hash, failed_attempts, locked_until_us, created_at_us, updated_at_us FROM accounts WHERE person_id = $1";

const ACCOUNT_BY_EMAIL: &str = "SELECT person_id, partnership_id, email, password_hash, failed_attempts, locked_until_us, created_at_us, updated_at_us FROM accounts WHERE email = $1";

/// One statement: concurrent failures each count.
const SIGN_IN_FAILED: &str = concat!(
    "UPDATE accounts SET failed_attempts = failed_attempts + 1, ",
    "locked_until_us = COALESCE($2, locked_until_us), updated_at_us = $3 ",
    "WHERE person_id = $1 RETURNING person_id, failed_attempts"
);

const SIGN_IN_SUCCEEDED: &str = "UPDATE accounts SET failed_attempts = 0, locked_until_us = NULL, updated_at_us = $2 WHERE person_id = $1";

const CREATE_SESSION: &str = "INSERT INTO sessions (token_hash, person_id, csrf_token, created_at_us, last_seen_us, expires_at_us, draft) VALUES ($1, $2, $3, $4, $5, $6, $7)";

const SESSION: &str = "SELECT token_hash, person_id, csrf_token, created_at_us, last_seen_us, expires_at_us, draft FROM sessions WHERE token_hash = $1";

/// A session, its person's partnership, the partnership's configuration version and its
/// chain's head: what every signed-in request starts with (SQLite's inline reader runs it too).
pub(crate) const SESSION_WITH_PARTNERSHIP: &str = concat!(
    "SELECT token_hash, person_id, csrf_token, created_at_us, last_seen_us, expires_at_us, draft, ",
    "people.partnership_id AS partnership_id, ",
    "(SELECT config_version FROM partnerships WHERE partnerships.id = people.partnership_id) AS config_version, ",
    "(SELECT seq FROM chain_heads WHERE chain_heads.partnership_id = people.partnership_id) AS chain_seq ",
    "FROM sessions JOIN people ON people.id = sessions.person_id WHERE token_hash = $1"
);

const TOUCH_SESSION: &str =
    "UPDATE sessions SET last_seen_us = $2, expires_at_us = $3 WHERE token_hash = $1";
const SET_DRAFT: &str = "UPDATE sessions SET draft = $2 WHERE token_hash = $1";
const DELETE_SESSION: &str = "DELETE FROM sessions WHERE token_hash = $1";
const DELETE_PERSON_SESSIONS: &str = "DELETE FROM sessions WHERE person_id = $1";
const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM sessions WHERE expires_at_us <= $1";

const CREATE_TOKEN: &str = "INSERT INTO api_tokens (token_hash, person_id, label, created_at_us, expires_at_us, revoked_at_us, last_used_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7)";

const TOKEN: &str = "SELECT token_hash, person_id, label, created_at_us, expires_at_us, revoked_at_us, last_used_at_us FROM api_tokens WHERE token_hash = $1";

const REVOKE_TOKEN: &str =
    "UPDATE api_tokens SET revoked_at_us = COALESCE(revoked_at_us, $2) WHERE token_hash = $1";

const REVOKE_PERSON_TOKENS: &str =
    "UPDATE api_tokens SET revoked_at_us = $2 WHERE person_id = $1 AND revoked_at_us IS NULL";

const PERSON_TOKENS: &str = concat!(
    "SELECT token_hash, person_id, label, created_at_us, expires_at_us, revoked_at_us, last_used_at_us ",
    "FROM api_tokens WHERE person_id = $1 ORDER BY created_at_us DESC, token_hash"
);

const PARTNERSHIP_TOKENS: &str = concat!(
    "SELECT t.token_hash, t.person_id, t.label, t.created_at_us, t.expires_at_us, t.revoked_at_us, t.last_used_at_us ",
    "FROM api_tokens t JOIN people p ON p.id = t.person_id WHERE p.partnership_id = $1 ",
    "ORDER BY t.created_at_us DESC, t.token_hash"
);

const TOUCH_TOKEN: &str = "UPDATE api_tokens SET last_used_at_us = $2 WHERE token_hash = $1";

/// Accounts, sessions and API tokens. A change to a row that is not there does nothing, unless
/// the method says otherwise.
#[async_trait]
pub trait Accounts: Send + Sync {
    /// Saves an account: inserts it, or replaces everything but `created_at_us`. The e-mail
    /// address is stored lower-case; one that another account has is `StoreError::Invalid`.
    async fn upsert_account(&self, account: &AccountRow) -> Result<(), StoreError>;
    async fn account(&self, person_id: &str) -> Result<Option<AccountRow>, StoreError>;
    /// The account with this e-mail address, in any case.
    async fn account_by_email(&self, email: &str) -> Result<Option<AccountRow>, StoreError>;
    /// Counts a failed sign-in (atomically) and, when `locked_until_us` is given, locks the
    /// account until then. Returns the new count; `StoreError::NotFound` without an account.
    async fn note_sign_in_failure(
        &self,
        person_id: &str,
        locked_until_us: Option<i64>,
        now_us: i64,
    ) -> Result<i64, StoreError>;
    /// After a successful sign-in: no failures, no lock.
    async fn clear_sign_in_failures(&self, person_id: &str, now_us: i64) -> Result<(), StoreError>;

    async fn create_session(&self, session: &SessionRow) -> Result<(), StoreError>;
    /// The session with this token hash, expired or not (the caller compares the times).
    async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>, StoreError>;
    /// A session, its person's partnership, that partnership's configuration version
    /// (`Directory::config_version`) and chain head, in one query: what every signed-in
    /// request starts with.
    async fn session_with_partnership(
        &self,
        token_hash: &str,
    ) -> Result<Option<SessionLookup>, StoreError>;
    async fn touch_session(
        &self,
        token_hash: &str,
        last_seen_us: i64,
        expires_at_us: i64,
    ) -> Result<(), StoreError>;
    /// Keeps (or, with `None`, drops) the JSON of a form in progress.
    async fn set_session_draft(
        &self,
        token_hash: &str,
        draft: Option<&str>,
    ) -> Result<(), StoreError>;
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;
    /// Signs a person out everywhere.
    async fn delete_person_sessions(&self, person_id: &str) -> Result<(), StoreError>;
    /// Deletes every session with `expires_at_us <= now_us`; returns how many.
    async fn delete_expired_sessions(&self, now_us: i64) -> Result<u64, StoreError>;

    async fn create_api_token(&self, token: &ApiTokenRow) -> Result<(), StoreError>;
    /// The token with this hash, revoked or expired or not (the caller checks).
    async fn api_token(&self, token_hash: &str) -> Result<Option<ApiTokenRow>, StoreError>;
    /// Revokes a token; a token already revoked keeps its first revocation time.
    async fn revoke_api_token(&self, token_hash: &str, now_us: i64) -> Result<(), StoreError>;
    /// Revokes every token of a person (for good: nothing un-revokes a token); returns how
    /// many were revoked now.
    async fn revoke_person_api_tokens(
        &self,
        person_id: &str,
        now_us: i64,
    ) -> Result<u64, StoreError>;
    /// A person's tokens, revoked and expired ones too, newest first.
    async fn person_api_tokens(&self, person_id: &str) -> Result<Vec<ApiTokenRow>, StoreError>;
    /// The tokens of a partnership's people, revoked and expired ones too, newest first.
    async fn partnership_api_tokens(
        &self,
        partnership_id: &str,
    ) -> Result<Vec<ApiTokenRow>, StoreError>;
    /// Notes that a token was used at `now_us` (the caller writes at most once a minute).
    async fn touch_api_token(&self, token_hash: &str, now_us: i64) -> Result<(), StoreError>;
}

#[async_trait]
impl<S: SqlStore> Accounts for S {
    async fn upsert_account(&self, account: &AccountRow) -> Result<(), StoreError> {
        let email = account.email.to_lowercase();
        let args = [
            Arg::Text(&account.person_id),
            Arg::Text(&account.partnership_id),
            Arg::Text(&email),
            Arg::Text(&account.password_hash),
            Arg::Int(account.failed_attempts),
            Arg::OptInt(account.locked_until_us),
            Arg::Int(account.created_at_us),
            Arg::Int(account.updated_at_us),
        ];
        match self.execute(UPSERT_ACCOUNT, &args).await {
            Ok(_) => Ok(()),
            // Only the e-mail address can clash: the person's own row is updated.
            Err(e) if e.is_unique_violation() => Err(StoreError::Invalid(format!(
                "another account already uses the e-mail address {email}"
            ))),
            Err(e) => Err(e),
        }
    }

    async fn account(&self, person_id: &str) -> Result<Option<AccountRow>, StoreError> {
        self.one(ACCOUNT, &[Arg::Text(person_id)], account_row)
            .await
    }

    async fn account_by_email(&self, email: &str) -> Result<Option<AccountRow>, StoreError> {
        let email = email.to_lowercase();
        self.one(ACCOUNT_BY_EMAIL, &[Arg::Text(&email)], account_row)
            .await
    }

    async fn note_sign_in_failure(
        &self,
        person_id: &str,
        locked_until_us: Option<i64>,
        now_us: i64,
    ) -> Result<i64, StoreError> {
        let args = [
            Arg::Text(person_id),
            Arg::OptInt(locked_until_us),
            Arg::Int(now_us),
        ];
        match self.row(SIGN_IN_FAILED, &args).await? {
            Some(r) => Cells::new(&r, "accounts", &["person_id"]).int("failed_attempts"),
            None => Err(StoreError::NotFound(format!("account {person_id}"))),
        }
    }

    async fn clear_sign_in_failures(&self, person_id: &str, now_us: i64) -> Result<(), StoreError> {
        let args = [Arg::Text(person_id), Arg::Int(now_us)];
        self.execute(SIGN_IN_SUCCEEDED, &args).await?;
        Ok(())
    }

    async fn create_session(&self, session: &SessionRow) -> Result<(), StoreError> {
        let args = [
            Arg::Text(&session.token_hash),
            Arg::Text(&session.person_id),
            Arg::Text(&session.csrf_token),
            Arg::Int(session.created_at_us),
            Arg::Int(session.last_seen_us),
            Arg::Int(session.expires_at_us),
            Arg::OptText(session.draft.as_deref()),
        ];
        self.execute(CREATE_SESSION, &args).await?;
        Ok(())
    }

    async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>, StoreError> {
        self.one(SESSION, &[Arg::Text(token_hash)], session_row)
            .await
    }

    async fn session_with_partnership(
        &self,
        token_hash: &str,
    ) -> Result<Option<SessionLookup>, StoreError> {
        if let Some(found) = self.inline_session(token_hash) {
            return Ok(found);
        }
        self.one(
            SESSION_WITH_PARTNERSHIP,
            &[Arg::Text(token_hash)],
            session_lookup,
        )
        .await
    }

    async fn touch_session(
        &self,
        token_hash: &str,
        last_seen_us: i64,
        expires_at_us: i64,
    ) -> Result<(), StoreError> {
        let args = [
            Arg::Text(token_hash),
            Arg::Int(last_seen_us),
            Arg::Int(expires_at_us),
        ];
        self.execute(TOUCH_SESSION, &args).await?;
        Ok(())
    }

    async fn set_session_draft(
        &self,
        token_hash: &str,
        draft: Option<&str>,
    ) -> Result<(), StoreError> {
        let args = [Arg::Text(token_hash), Arg::OptText(draft)];
        self.execute(SET_DRAFT, &args).await?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.execute(DELETE_SESSION, &[Arg::Text(token_hash)])
            .await?;
        Ok(())
    }

    async fn delete_person_sessions(&self, person_id: &str) -> Result<(), StoreError> {
        self.execute(DELETE_PERSON_SESSIONS, &[Arg::Text(person_id)])
            .await?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now_us: i64) -> Result<u64, StoreError> {
        self.execute(DELETE_EXPIRED_SESSIONS, &[Arg::Int(now_us)])
            .await
    }

    async fn create_api_token(&self, token: &ApiTokenRow) -> Result<(), StoreError> {
        let args = [
            Arg::Text(&token.token_hash),
            Arg::Text(&token.person_id),
            Arg::Text(&token.label),
            Arg::Int(token.created_at_us),
            Arg::OptInt(token.expires_at_us),
            Arg::OptInt(token.revoked_at_us),
            Arg::OptInt(token.last_used_at_us),
        ];
        self.execute(CREATE_TOKEN, &args).await?;
        Ok(())
    }

    async fn api_token(&self, token_hash: &str) -> Result<Option<ApiTokenRow>, StoreError> {
        self.one(TOKEN, &[Arg::Text(token_hash)], api_token_row)
            .await
    }

    async fn revoke_api_token(&self, token_hash: &str, now_us: i64) -> Result<(), StoreError> {
        let args = [Arg::Text(token_hash), Arg::Int(now_us)];
        self.execute(REVOKE_TOKEN, &args).await?;
        Ok(())
    }

    async fn revoke_person_api_tokens(
        &self,
        person_id: &str,
        now_us: i64,
    ) -> Result<u64, StoreError> {
        let args = [Arg::Text(person_id), Arg::Int(now_us)];
        self.execute(REVOKE_PERSON_TOKENS, &args).await
    }

    async fn person_api_tokens(&self, person_id: &str) -> Result<Vec<ApiTokenRow>, StoreError> {
        self.all(PERSON_TOKENS, &[Arg::Text(person_id)], api_token_row)
            .await
    }

    async fn partnership_api_tokens(
        &self,
        partnership_id: &str,
    ) -> Result<Vec<ApiTokenRow>, StoreError> {
        self.all(
            PARTNERSHIP_TOKENS,
            &[Arg::Text(partnership_id)],
            api_token_row,
        )
        .await
    }

    async fn touch_api_token(&self, token_hash: &str, now_us: i64) -> Result<(), StoreError> {
        let args = [Arg::Text(token_hash), Arg::Int(now_us)];
        self.execute(TOUCH_TOKEN, &args).await?;
        Ok(())
    }
}

fn account_row(r: &impl Read) -> Result<AccountRow, StoreError> {
    let c = Cells::new(r, "accounts", &["person_id"]);
    Ok(AccountRow {
        person_id: c.text("person_id")?,
        partnership_id: c.text("partnership_id")?,
        email: c.text("email")?,
        password_hash: c.text("password_hash")?,
        failed_attempts: c.int("failed_attempts")?,
        locked_until_us: c.opt_int("locked_until_us")?,
        created_at_us: c.int("created_at_us")?,
        updated_at_us: c.int("updated_at_us")?,
    })
}

/// A session row. Named in errors by its person: the token's hash is never printed.
fn session_row(r: &impl Read) -> Result<SessionRow, StoreError> {
    let c = Cells::new(r, "sessions", &["person_id"]);
    Ok(SessionRow {
        token_hash: c.text("token_hash")?,
        person_id: c.text("person_id")?,
        csrf_token: c.text("csrf_token")?,
        created_at_us: c.int("created_at_us")?,
        last_seen_us: c.int("last_seen_us")?,
        expires_at_us: c.int("expires_at_us")?,
        draft: c.opt_text("draft")?,
    })
}

/// A row of [`SESSION_WITH_PARTNERSHIP`]. A partnership without a chain head has no events
/// yet: its chain is at 0.
pub(crate) fn session_lookup(r: &impl Read) -> Result<SessionLookup, StoreError> {
    let c = Cells::new(r, "sessions", &["person_id"]);
    Ok(SessionLookup {
        session: session_row(r)?,
        partnership_id: c.text("partnership_id")?,
        config_version: c.int("config_version")?,
        chain_seq: c.opt_int("chain_seq")?.unwrap_or(0),
    })
}

/// An API token row. Named in errors by its person: the token's hash is never printed.
fn api_token_row(r: &impl Read) -> Result<ApiTokenRow, StoreError> {
    let c = Cells::new(r, "api_tokens", &["person_id"]);
    Ok(ApiTokenRow {
        token_hash: c.text("token_hash")?,
        person_id: c.text("person_id")?,
        label: c.text("label")?,
        created_at_us: c.int("created_at_us")?,
        expires_at_us: c.opt_int("expires_at_us")?,
        revoked_at_us: c.opt_int("revoked_at_us")?,
        last_used_at_us: c.opt_int("last_used_at_us")?,
    })
}
