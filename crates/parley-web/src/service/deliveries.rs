//! Where each notification went (issue 15, items 2 and 5): "who was told what, when" on an
//! escalation's page, for everyone who sees the escalation; and the administrators' list of
//! every delivery of their partnership (waiting, sent, failed), with a retry for the failed
//! and undeliverable ones, saying why.
//!
//! Neither holds a child's details: a delivery row has none, and the words come from
//! `notice` (stage, deadlines, status).

use parley_store::notify::{Delivery, DeliveryFilter, MailState};
use serde::{Deserialize, Serialize};

use super::Context;
use super::notifications::{About, abouts, what_happened};
use super::partnership::{Pagination, pagination};
use crate::access::ADMINISTRATOR;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::service::escalation::Loaded;

/// Deliveries listed per page on the administrators' page.
pub const ADMIN_PER_PAGE: i64 = 25;

/// The e-mail state of a delivery: its name and in words.
pub fn mail_words(d: &Delivery) -> (&'static str, String) {
    match d.mail {
        MailState::Pending if d.attempts == 0 => ("pending", "Waiting to be sent".to_owned()),
        MailState::Pending => (
            "pending",
            format!(
                "Waiting to be sent again ({} attempt{} so far)",
                d.attempts,
                if d.attempts == 1 { "" } else { "s" }
            ),
        ),
        MailState::Sent => ("sent", "Sent".to_owned()),
        MailState::Failed => ("failed", "Failed".to_owned()),
        MailState::Undeliverable => (
            "undeliverable",
            "Undeliverable: nobody to send it to".to_owned(),
        ),
        MailState::Digest => ("digest", "In the daily summary".to_owned()),
    }
}

/// One delivery of an escalation: who was told what, when.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ToldEntry {
    pub id: String,
    pub at_us: i64,
    /// What happened, in words ("Stage 2 deadline passed").
    pub what_happened: String,
    /// The recipient the procedure names (`stage-leads`, `raiser`, ...), and in words.
    pub to: String,
    pub to_label: String,
    /// The person told, by name; `None` for the procedure's own address, or for nobody.
    pub person: Option<String>,
    /// The procedure's own address it went to, when it went to one rather than a person.
    pub address: Option<String>,
    /// Whether the person has read it in Parley (`None`: no inbox, an address or nobody).
    pub read: Option<bool>,
    pub read_at_us: Option<i64>,
    /// `pending`, `sent`, `failed`, `undeliverable` or `digest`.
    pub mail: String,
    pub mail_text: String,
    pub sent_at_us: Option<i64>,
    /// Why nobody could be told, for an undeliverable one ("no active person holds the role
    /// ...").
    pub why_undeliverable: Option<String>,
}

/// Who was told what about one escalation, and when: newest first.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Told {
    pub deliveries: Vec<ToldEntry>,
}

/// Who was told what about the escalation `loaded`, newest first. Everyone who sees the
/// escalation sees this (it holds no child's details).
pub async fn told(state: &AppState, loaded: &Loaded) -> Result<Told, AppError> {
    let mut rows = state.records.escalation_deliveries(&loaded.row.id).await?;
    rows.sort_by(|a, b| (b.created_at_us, &b.id).cmp(&(a.created_at_us, &a.id)));
    let about = About {
        row: loaded.row.clone(),
        procedure: loaded.ctx.rules.procedure.clone(),
        calendar: loaded.ctx.rules.calendar.clone(),
        state: loaded.state.clone(),
        access: Some(loaded.access.clone()),
    };
    let deliveries = rows
        .iter()
        .map(|d| {
            let (mail, mail_text) = mail_words(d);
            ToldEntry {
                id: d.id.clone(),
                at_us: d.created_at_us,
                what_happened: what_happened(d, Some(&about), &loaded.ctx.rules.procedure),
                to: d.recipient.as_str().to_owned(),
                to_label: d.recipient.label().to_owned(),
                person: d.person_id.as_deref().map(|p| loaded.ctx.directory.name(p)),
                address: d.address.clone().filter(|_| d.person_id.is_none()),
                read: d.person_id.as_ref().map(|_| d.read_at_us.is_some()),
                read_at_us: d.read_at_us,
                mail: mail.to_owned(),
                mail_text,
                sent_at_us: d.sent_at_us,
                why_undeliverable: (d.mail == MailState::Undeliverable)
                    .then(|| d.last_error.clone())
                    .flatten(),
            }
        })
        .collect();
    Ok(Told { deliveries })
}

/// Which deliveries the administrators' list shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryShown {
    #[default]
    All,
    /// Waiting to be sent (or to be sent again).
    Pending,
    Sent,
    /// Failed, or undeliverable (nobody to send it to).
    Failed,
}

impl DeliveryShown {
    pub const ALL: [DeliveryShown; 4] = [
        DeliveryShown::All,
        DeliveryShown::Pending,
        DeliveryShown::Sent,
        DeliveryShown::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryShown::All => "all",
            DeliveryShown::Pending => "pending",
            DeliveryShown::Sent => "sent",
            DeliveryShown::Failed => "failed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DeliveryShown::All => "All",
            DeliveryShown::Pending => "Waiting to be sent",
            DeliveryShown::Sent => "Sent",
            DeliveryShown::Failed => "Failed or undeliverable",
        }
    }

    /// A query's value; anything unknown shows all (pages are lenient, the API is not).
    pub fn parse(s: Option<&str>) -> DeliveryShown {
        DeliveryShown::ALL
            .into_iter()
            .find(|f| Some(f.as_str()) == s.map(str::trim))
            .unwrap_or_default()
    }
}

impl From<DeliveryShown> for DeliveryFilter {
    fn from(f: DeliveryShown) -> Self {
        match f {
            DeliveryShown::All => DeliveryFilter::All,
            DeliveryShown::Pending => DeliveryFilter::Pending,
            DeliveryShown::Sent => DeliveryFilter::Sent,
            DeliveryShown::Failed => DeliveryFilter::Failed,
        }
    }
}

/// One delivery as administrators see it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AdminDelivery {
    pub id: String,
    pub created_at_us: i64,
    pub escalation_id: Option<String>,
    /// The escalation's reference.
    pub reference: Option<String>,
    pub what_happened: String,
    /// The recipient the procedure names, and in words.
    pub to: String,
    pub to_label: String,
    pub person_id: Option<String>,
    pub person: Option<String>,
    /// The address it is sent to (the person's, or the procedure's own).
    pub address: Option<String>,
    /// `pending`, `sent`, `failed`, `undeliverable` or `digest`.
    pub mail: String,
    pub mail_text: String,
    pub attempts: i64,
    /// The last error sending it; for an undeliverable one, why nobody could be told.
    pub last_error: Option<String>,
    /// When it is next tried, while it waits.
    pub next_attempt_us: Option<i64>,
    pub sent_at_us: Option<i64>,
    /// Whether it can be sent again (failed or undeliverable).
    pub can_retry: bool,
}

/// A page of the partnership's deliveries.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AdminDeliveries {
    pub filter: DeliveryShown,
    /// Newest first.
    pub deliveries: Vec<AdminDelivery>,
    pub pagination: Pagination,
}

fn admin(user: &CurrentUser) -> Result<(), AppError> {
    if user.has(ADMINISTRATOR) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn admin_delivery(ctx: &Context, d: &Delivery, about: Option<&About>) -> AdminDelivery {
    let (mail, mail_text) = mail_words(d);
    let can_retry = matches!(d.mail, MailState::Failed | MailState::Undeliverable);
    AdminDelivery {
        id: d.id.clone(),
        created_at_us: d.created_at_us,
        escalation_id: d.escalation_id.clone(),
        reference: about.map(|a| a.row.reference.clone()),
        what_happened: what_happened(d, about, &ctx.rules.procedure),
        to: d.recipient.as_str().to_owned(),
        to_label: d.recipient.label().to_owned(),
        person_id: d.person_id.clone(),
        person: d.person_id.as_deref().map(|p| ctx.directory.name(p)),
        address: d.address.clone(),
        mail: mail.to_owned(),
        mail_text,
        attempts: d.attempts,
        last_error: d.last_error.clone(),
        next_attempt_us: (d.mail == MailState::Pending).then_some(d.next_attempt_us),
        sent_at_us: d.sent_at_us,
        can_retry,
    }
}

/// Page `page` (from 1; past the last, the last) of the administrator's partnership's
/// deliveries that `filter` shows, newest first, linked from `base`.
pub async fn deliveries(
    state: &AppState,
    user: &CurrentUser,
    filter: DeliveryShown,
    page: i64,
    base: &str,
) -> Result<AdminDeliveries, AppError> {
    admin(user)?;
    let ctx = Context::load(state, user).await?;
    let mut page = page.max(1);
    let (rows, total) = loop {
        let (rows, total) = state
            .records
            .deliveries(
                user.partnership_id(),
                filter.into(),
                page as u32,
                ADMIN_PER_PAGE as u32,
            )
            .await?;
        let total = total as i64;
        let pages = ((total + ADMIN_PER_PAGE - 1) / ADMIN_PER_PAGE).max(1);
        if page <= pages {
            break (rows, total);
        }
        page = pages;
    };
    let abouts = abouts(state, user, &ctx, &rows, false).await?;
    let query = match filter {
        DeliveryShown::All => String::new(),
        f => format!("filter={}", f.as_str()),
    };
    Ok(AdminDeliveries {
        filter,
        deliveries: rows
            .iter()
            .map(|d| {
                let about = d.escalation_id.as_deref().and_then(|id| abouts.get(id));
                admin_delivery(&ctx, d, about)
            })
            .collect(),
        pagination: pagination(base, &query, page, ADMIN_PER_PAGE, total),
    })
}

/// What a retry came to.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RetriedDelivery {
    /// The delivery asked for.
    pub id: String,
    /// What happened, in words.
    pub text: String,
    /// The delivery as it now is, waiting to be sent again; `None` when an undeliverable one
    /// was resolved again and replaced by the deliveries it now reaches (someone holds the
    /// part now: see the list).
    pub delivery: Option<AdminDelivery>,
}

/// A retry that sent nothing, and why.
#[derive(Debug)]
pub enum Retried {
    Queued(Box<RetriedDelivery>),
    /// Not failed: nothing to send again; or undeliverable and still reaching nobody. The
    /// sentence says which.
    Refused(String),
}

/// Sends a failed delivery of the administrator's partnership again, or resolves an
/// undeliverable one again (to whoever holds the part now). Another partnership's, or one
/// that does not exist, is a 404.
pub async fn retry(state: &AppState, user: &CurrentUser, id: &str) -> Result<Retried, AppError> {
    admin(user)?;
    let ctx = Context::load(state, user).await?;
    let found = state
        .records
        .delivery(id)
        .await?
        .filter(|d| d.partnership_id == user.partnership_id())
        .ok_or(AppError::NotFound)?;
    let queued = state
        .records
        .retry_delivery(user.partnership_id(), id, state.now())
        .await?;
    if !queued {
        return Ok(Retried::Refused(match found.mail {
            MailState::Undeliverable => format!(
                "It still reaches nobody{}: give someone that part, then try again",
                found
                    .last_error
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            ),
            _ => format!(
                "It is not failed ({}): there is nothing to send again",
                mail_words(&found).1.to_lowercase()
            ),
        }));
    }
    let now = state.records.delivery(id).await?;
    let delivery = match &now {
        Some(d) => {
            let abouts = abouts(state, user, &ctx, std::slice::from_ref(d), false).await?;
            let about = d.escalation_id.as_deref().and_then(|e| abouts.get(e));
            Some(admin_delivery(&ctx, d, about))
        }
        None => None,
    };
    Ok(Retried::Queued(Box::new(RetriedDelivery {
        id: id.to_owned(),
        text: if delivery.is_some() {
            "It will be sent again in the next round of sending".to_owned()
        } else {
            "It was resolved again and goes to whoever holds that part now".to_owned()
        },
        delivery,
    })))
}
