//! Who is asking: sessions (a random token in an HttpOnly cookie, only its SHA-256 stored),
//! API tokens (`Authorization: Bearer`), signing in and out with lockout, and the
//! synchronizer token every form carries (on top of the cross-origin check in `CsrfLayer`).

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use parley_store::StoreError;
use parley_store::rows::{AccountRow, PersonRow, SessionRow};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use std::sync::Arc;

use crate::app::{AppState, Configuration};
use crate::error::AppError;

mod next;
pub mod password_policy;
use crate::throttle;
pub mod tokens;
pub use next::safe_next;
pub use password_policy::{WeakPassword, check_password};

/// The signed-in person.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub person: PersonRow,
    /// `None` when the request came with an API token.
    pub session: Option<SessionRow>,
    /// The partnership's configuration as read for this request (the person is in it).
    pub config: Option<Arc<Configuration>>,
    /// The partnership chain's head as read for this request (sessions only): while it stands,
    /// nothing in the partnership has changed.
    pub partnership_seq: Option<i64>,
    /// The person's unread notifications as read for this request: pages only (a session
    /// outside `/api/`), for the header's count; `None` otherwise.
    pub unread: Option<u64>,
}

impl CurrentUser {
    pub fn has(&self, role: &str) -> bool {
        self.person.roles.iter().any(|r| r == role)
    }

    pub fn id(&self) -> &str {
        &self.person.id
    }

    pub fn partnership_id(&self) -> &str {
        &self.person.partnership_id
    }

    /// The token forms must send back (empty for API-token requests, which use no forms).
    pub fn csrf(&self) -> &str {
        self.session.as_ref().map_or("", |s| s.csrf_token.as_str())
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, AppError> {
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or(AppError::Unauthenticated)
    }
}

/// The signed-in person, if any (for pages such as sign-in that work either way).
#[derive(Clone, Debug)]
pub struct MaybeUser(pub Option<CurrentUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &AppState,
    ) -> Result<Self, std::convert::Infallible> {
        Ok(MaybeUser(parts.extensions.get::<CurrentUser>().cloned()))
    }
}

/// The client a request comes from, as sign-in throttling counts it: the socket's peer, or
/// behind a trusted proxy the address it forwarded (`throttle::client_address`).
#[derive(Clone, Copy, Debug)]
pub struct Client(pub throttle::ClientKey);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, std::convert::Infallible> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let address = throttle::client_address(peer, &parts.headers, &state.config.trusted_proxies);
        Ok(Client(throttle::ClientKey::of(address)))
    }
}

pub fn cookie_name(state: &AppState) -> &'static str {
    if state.config.secure_cookies {
        "__Host-parley-session"
    } else {
        "parley-session"
    }
}

/// 32 random bytes, hex.
pub fn new_token() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("random: {e}")))?;
    Ok(hex::encode(bytes))
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Finds the session or API token a request carries and puts the `CurrentUser` in its
/// extensions. Never refuses anything itself: routes decide what needs a user.
pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let page = !request.uri().path().starts_with("/api/");
    match identify(&state, request.headers(), page).await {
        Ok(Some(user)) => {
            request.extensions_mut().insert(user);
        }
        Ok(None) => {}
        Err(e) => return e.into_response(),
    }
    next.run(request).await
}

/// Sessions and API tokens note their use at most this often (microseconds), so that the
/// hot path does not write on every request.
const TOUCH_EVERY_US: i64 = 60_000_000;

async fn identify(
    state: &AppState,
    headers: &HeaderMap,
    page: bool,
) -> Result<Option<CurrentUser>, AppError> {
    let now = state.now().as_microsecond();
    if let Some(token) = bearer(headers) {
        let Some(row) = state.store.api_token(&token_hash(token)).await? else {
            return Err(AppError::Unauthenticated);
        };
        if row.revoked_at_us.is_some() || row.expires_at_us.is_some_and(|e| e <= now) {
            return Err(AppError::Unauthenticated);
        }
        let Some(person) = state.store.person(&row.person_id).await? else {
            return Ok(None);
        };
        let config = state.configuration(&person.partnership_id).await?;
        let user = signed_in(config, &row.person_id, None);
        // Note the use, writing at most once a minute per token (as sessions do).
        if user.is_some()
            && row
                .last_used_at_us
                .is_none_or(|t| now - t >= TOUCH_EVERY_US)
        {
            state.store.touch_api_token(&row.token_hash, now).await?;
        }
        return Ok(user);
    }
    let Some(token) = cookie_value(headers, cookie_name(state)) else {
        return Ok(None);
    };
    let hash = token_hash(token);
    let Some(found) = state.store.session_with_partnership(&hash).await? else {
        return Ok(None);
    };
    let mut session = found.session;
    let absolute_end = session.created_at_us + state.config.absolute_timeout.as_micros() as i64;
    if session.expires_at_us <= now || absolute_end <= now {
        state.store.delete_session(&hash).await?;
        return Ok(None);
    }
    // Extend the idle timeout, writing at most once a minute per session.
    if now - session.last_seen_us > TOUCH_EVERY_US {
        let expires = (now + state.config.idle_timeout.as_micros() as i64).min(absolute_end);
        state.store.touch_session(&hash, now, expires).await?;
        session.last_seen_us = now;
        session.expires_at_us = expires;
    }
    let config = state
        .configuration_at(&found.partnership_id, found.config_version)
        .await?;
    let person_id = session.person_id.clone();
    let Some(user) = signed_in(config, &person_id, Some(session)) else {
        return Ok(None);
    };
    // The header shows the unread count on every page (issue 15, item 3), so a page reads it
    // with the session. The API leaves it out: `/api/notifications` says it.
    let unread = if page {
        Some(state.records.unread_count(&person_id).await?)
    } else {
        None
    };
    Ok(Some(CurrentUser {
        partnership_seq: Some(found.chain_seq),
        unread,
        ..user
    }))
}

/// The person, as their partnership's current configuration has them, if active.
fn signed_in(
    config: Arc<Configuration>,
    person_id: &str,
    session: Option<SessionRow>,
) -> Option<CurrentUser> {
    let person = config
        .directory
        .people
        .get(person_id)
        .filter(|p| p.active)
        .cloned();
    person.map(|person| CurrentUser {
        person,
        session,
        config: Some(config),
        partnership_seq: None,
        unread: None,
    })
}

pub(crate) fn same(a: &str, b: &str) -> bool {
    // Constant time for equal lengths; lengths are public (both are 64 hex digits).
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A urlencoded form from a signed-in person whose `csrf` field matches their session's
/// token. Anything else is refused before the handler runs.
#[derive(Debug)]
pub struct CsrfForm<T>(pub CurrentUser, pub T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, AppError> {
        let user = request
            .extensions()
            .get::<CurrentUser>()
            .cloned()
            .ok_or(AppError::Unauthenticated)?;
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|_| AppError::invalid("the form could not be read".to_owned()))?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| AppError::invalid("the form could not be read".to_owned()))?;
        let sent = pairs
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        if user.session.is_none() || !same(sent, user.csrf()) {
            return Err(AppError::Csrf);
        }
        let form = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| AppError::invalid(format!("the form could not be read: {e}")))?;
        Ok(CsrfForm(user, form))
    }
}

// ---------------------------------------------------------------------------------------------
// Signing in and out

/// A hash to verify against when the account does not exist, so that the answer takes as
/// long either way and does not tell who has an account.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| password_auth::generate_hash("not a real password"))
}

pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || password_auth::generate_hash(password))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// What signing in can end in.
#[derive(Debug, PartialEq, Eq)]
pub enum SignIn {
    Ok(String),
    /// Refused: an unknown address, a wrong password, a locked or inactive account. One
    /// answer for all, so that nobody learns which addresses have an account or are locked.
    Refused,
}

/// Checks an email and password; on success opens a new session and returns its cookie token.
/// The previous session, if any, is ended (the id is never reused across a sign-in).
///
/// Every call checks exactly one password hash (the account's, or a stand-in for an unknown
/// address), locked or not, so that every refusal takes as long as the others.
pub async fn sign_in(
    state: &AppState,
    email: &str,
    password: &str,
    previous: Option<&SessionRow>,
) -> Result<SignIn, AppError> {
    let now = state.now().as_microsecond();
    let account = state.store.account_by_email(email.trim()).await?;
    let hash = account
        .as_ref()
        .map_or_else(|| dummy_hash().to_owned(), |a| a.password_hash.clone());
    let matches = state.sign_in.verify(password.to_owned(), hash).await;
    let Some(account) = account else {
        return Ok(SignIn::Refused);
    };
    if account.locked_until_us.is_some_and(|u| u > now) {
        // Locked: even the right password is refused, the same way as a wrong one.
        return Ok(SignIn::Refused);
    }
    if !matches {
        let failures = account.failed_attempts + 1;
        let lock = (failures >= state.config.lockout_after).then(|| {
            let doublings = (failures - state.config.lockout_after).min(6) as u32;
            let span = state.config.lockout_for.as_micros() as i64 * (1i64 << doublings);
            now + span.min(86_400_000_000)
        });
        state
            .store
            .note_sign_in_failure(&account.person_id, lock, now)
            .await?;
        tracing::warn!(person = %account.person_id, failures, locked = lock.is_some(), "sign-in refused");
        return Ok(SignIn::Refused);
    }
    let Some(person) = state
        .store
        .person(&account.person_id)
        .await?
        .filter(|p| p.active)
    else {
        return Ok(SignIn::Refused);
    };
    state
        .store
        .clear_sign_in_failures(&account.person_id, now)
        .await?;
    if let Some(old) = previous {
        state.store.delete_session(&old.token_hash).await?;
    }
    let token = new_token()?;
    let session = SessionRow {
        token_hash: token_hash(&token),
        person_id: person.id.clone(),
        csrf_token: new_token()?,
        created_at_us: now,
        last_seen_us: now,
        expires_at_us: now + state.config.idle_timeout.as_micros() as i64,
        draft: None,
    };
    state.store.create_session(&session).await?;
    tracing::info!(person = %person.id, "signed in");
    Ok(SignIn::Ok(token))
}

pub fn session_cookie(state: &AppState, token: &str) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax{secure}",
        cookie_name(state)
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub fn clear_cookie(state: &AppState) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}",
        cookie_name(state)
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Ends the session and clears the cookie.
pub async fn sign_out(state: &AppState, user: &CurrentUser) -> Result<Response, AppError> {
    if let Some(s) = &user.session {
        state.store.delete_session(&s.token_hash).await?;
    }
    let mut response = Redirect::to("/sign-in?signed-out=1").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, clear_cookie(state));
    Ok(response)
}

/// What saving an account came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountSaved {
    Saved,
    /// Another person's account (in another partnership) signs in with this address. The
    /// person keeps the account they had, under its old address (with the new password), or
    /// has none; the caller decides what to say (an administrator of another partnership is
    /// told nothing: see `service::admin::save_person`).
    AddressTaken,
}

/// Creates or replaces a person's account with a new password, and signs them out everywhere.
pub async fn set_password(
    state: &AppState,
    person: &PersonRow,
    password: &str,
) -> Result<AccountSaved, AppError> {
    let hash = hash_password(password.to_owned()).await?;
    store_account(state, person, hash).await
}

/// Creates or replaces a person's account with an already computed hash, and signs them out
/// everywhere (sessions end, API tokens are revoked).
pub async fn store_account(
    state: &AppState,
    person: &PersonRow,
    password_hash: String,
) -> Result<AccountSaved, AppError> {
    let now = state.now().as_microsecond();
    let existing = state.store.account(&person.id).await?;
    let account = AccountRow {
        person_id: person.id.clone(),
        partnership_id: person.partnership_id.clone(),
        email: person.email.to_lowercase(),
        password_hash,
        failed_attempts: 0,
        locked_until_us: None,
        created_at_us: existing.as_ref().map_or(now, |a| a.created_at_us),
        updated_at_us: now,
    };
    let saved = match state.store.upsert_account(&account).await {
        Ok(()) => AccountSaved::Saved,
        // Only the address can clash (one account per address, across partnerships).
        Err(StoreError::Invalid(_)) => {
            if let Some(old) = existing {
                state
                    .store
                    .upsert_account(&AccountRow {
                        email: old.email,
                        ..account
                    })
                    .await?;
            }
            AccountSaved::AddressTaken
        }
        Err(e) => return Err(e.into()),
    };
    end_sign_ins(state, &person.id).await?;
    Ok(saved)
}

/// Signs a person out everywhere for good: every session ends and every API token is revoked
/// (a revoked token never works again, whatever later happens to the person). A new password
/// and a deactivation both come here.
pub async fn end_sign_ins(state: &AppState, person_id: &str) -> Result<(), AppError> {
    state.store.delete_person_sessions(person_id).await?;
    let revoked = state
        .store
        .revoke_person_api_tokens(person_id, state.now().as_microsecond())
        .await?;
    if revoked > 0 {
        tracing::info!(person = %person_id, tokens = revoked, "API tokens revoked");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/escalations/1")), "/escalations/1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; parley-session=abc; b=2"),
        );
        assert_eq!(cookie_value(&h, "parley-session"), Some("abc"));
        assert_eq!(cookie_value(&h, "c"), None);
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abcd", "abcd"));
        assert!(!same("abcd", "abce"));
        assert!(!same("abcd", "abc"));
        assert!(!same("", "a"));
    }
}
