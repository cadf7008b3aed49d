//! The inbox (issue 15, item 3): a person's notifications, newest first, a page at a time;
//! marking them read one at a time or all at once; and how they want e-mail (one message per
//! notification or a daily summary). Pages and the API both answer from here.
//!
//! A person only ever reaches their own notifications: one of anyone else's, or one that
//! does not exist, is a 404 (never saying which).
//!
//! Each entry says what the e-mail says (the reference, the procedure's stage, the agencies,
//! what happened, what is needed and by when) and links to the escalation where the person
//! may see it. The child's details are never shown in the list: where the notification may
//! carry them (the rule's `child_details`) *and* the escalation page's own rule lets the
//! person see the child, the entry offers the child's page, whose button records the
//! reading (issue 13 item 10). The flag alone never shows anything.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::civil::Date;
use parley_core::calendar::Calendar;
use parley_core::escalation::{Escalation, Reason};
use parley_core::procedure::Procedure;
use parley_store::notify::{Delivery, MailMode};
use parley_store::rows::EscalationRow;
use serde::{Deserialize, Serialize};

use super::partnership::{Pagination, pagination};
use super::{Context, notice};
use crate::access::Access;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

/// Notifications shown per page.
pub const PER_PAGE: i64 = 20;

/// A page of the caller's notifications.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Inbox {
    /// Newest first.
    pub notifications: Vec<InboxEntry>,
    /// How many of all the caller's notifications are unread.
    pub unread: u64,
    pub pagination: Pagination,
}

/// One notification as its recipient reads it. Never the child's details.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct InboxEntry {
    pub id: String,
    /// What happened, front-loaded: "Stage 2 deadline passed", "Reminder: stage 1 is due
    /// tomorrow".
    pub what_happened: String,
    /// The procedure's own words for this notification, where its rule has them.
    pub rule_text: Option<String>,
    /// What the escalation needs now and by when ("Stage 2 (...) is to be finished by
    /// Monday 7 December").
    pub needed: Option<String>,
    /// The deadline that runs now (`YYYY-MM-DD`), if one does.
    pub due: Option<String>,
    pub overdue: bool,
    /// Why the caller got it: the recipient the procedure names (`stage-leads`, `raiser`,
    /// ...), and in words.
    pub to: String,
    pub to_label: String,
    pub arrived_at_us: i64,
    pub read: bool,
    pub read_at_us: Option<i64>,
    /// The escalation it is about.
    pub escalation: Option<InboxEscalation>,
    /// Opens the escalation and marks this read (a page of this site), where the caller may
    /// see the escalation.
    pub open_href: Option<String>,
    /// The page that shows the child's details (each reading recorded), only where the
    /// notification may carry them and the caller may see the child anyway.
    pub child_href: Option<String>,
}

/// The escalation a notification is about, as an e-mail would name it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct InboxEscalation {
    pub id: String,
    pub reference: String,
    pub procedure: String,
    /// The stage the notification was sent at, as named ("Stage 2: ...").
    pub stage_name: String,
    pub raising_agency: String,
    pub receiving_agency: String,
    /// The escalation's page, where the caller may see it.
    pub href: Option<String>,
}

/// A notification marked read.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NoticeRead {
    pub id: String,
    pub read_at_us: i64,
    /// The caller's unread notifications left.
    pub unread: u64,
}

/// Every notification marked read.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NoticesRead {
    /// How many were unread and are now read.
    pub marked: u64,
    pub unread: u64,
}

/// How a person wants e-mail about their notifications.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EmailMode {
    /// One e-mail for each notification (the default).
    Each,
    /// One e-mail a day summarising the day's notifications.
    Daily,
}

impl From<MailMode> for EmailMode {
    fn from(m: MailMode) -> Self {
        match m {
            MailMode::Each => EmailMode::Each,
            MailMode::Daily => EmailMode::Daily,
        }
    }
}

impl From<EmailMode> for MailMode {
    fn from(m: EmailMode) -> Self {
        match m {
            EmailMode::Each => MailMode::Each,
            EmailMode::Daily => MailMode::Daily,
        }
    }
}

/// The caller's e-mail setting.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EmailSettings {
    pub mode: EmailMode,
    /// Where the e-mails go (the address the administrator keeps for the person).
    pub email: String,
}

/// A change to the caller's e-mail setting.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailSettingsFields {
    /// `each` or `daily`. Read as text and checked here, so that a mode Parley does not know
    /// is refused naming the field, like every value the service checks.
    #[schema(value_type = EmailMode)]
    pub mode: String,
}

impl EmailMode {
    /// A mode as the API and the form send it.
    pub fn parse(s: &str) -> Option<EmailMode> {
        match s {
            "each" => Some(EmailMode::Each),
            "daily" => Some(EmailMode::Daily),
            _ => None,
        }
    }
}

/// What a notification's escalation is, read once per escalation of a page.
pub(crate) struct About {
    pub row: EscalationRow,
    pub procedure: Arc<Procedure>,
    pub calendar: Arc<Calendar>,
    pub state: Escalation,
    /// What the escalation page's rule lets the caller do with it; `None`: they may not see
    /// it (the entry then says only what an e-mail would).
    pub access: Option<Access>,
}

/// The escalation `id` of the caller's partnership, with the caller's access as the
/// escalation page has it (`escalation::load`). `None` when there is no such escalation in
/// the partnership.
pub(crate) async fn about(
    state: &AppState,
    user: &CurrentUser,
    ctx: &Context,
    id: &str,
    with_access: bool,
) -> Result<Option<About>, AppError> {
    let Some(row) = state.store.escalation(id).await? else {
        return Ok(None);
    };
    if row.partnership_id != ctx.partnership.id {
        return Ok(None);
    }
    if with_access {
        match super::escalation::load(state, user, id).await {
            Ok(loaded) => {
                return Ok(Some(About {
                    procedure: loaded.ctx.rules.procedure.clone(),
                    calendar: loaded.ctx.rules.calendar.clone(),
                    row: loaded.row,
                    state: loaded.state,
                    access: Some(loaded.access),
                }));
            }
            Err(AppError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    let rules = state
        .rules(&ctx.partnership, Some(row.procedure_version))
        .await?;
    let read = state
        .records
        .escalation_read(&row, ctx.config_version)
        .await?;
    Ok(Some(About {
        procedure: rules.procedure,
        calendar: rules.calendar,
        state: read.state,
        row,
        access: None,
    }))
}

/// Each escalation the deliveries are about, read once.
pub(crate) async fn abouts(
    state: &AppState,
    user: &CurrentUser,
    ctx: &Context,
    deliveries: &[Delivery],
    with_access: bool,
) -> Result<HashMap<String, About>, AppError> {
    let mut out = HashMap::new();
    for id in deliveries.iter().filter_map(|d| d.escalation_id.as_deref()) {
        if out.contains_key(id) {
            continue;
        }
        if let Some(a) = about(state, user, ctx, id, with_access).await? {
            out.insert(id.to_owned(), a);
        }
    }
    Ok(out)
}

/// The local date of an instant in the escalation's procedure's time zone.
pub(crate) fn local_date(p: &Procedure, at_us: i64) -> Option<Date> {
    let at = jiff::Timestamp::from_microsecond(at_us).ok()?;
    Some(at.to_zoned(p.calendar.time_zone.clone()).date())
}

/// What happened, in words, for a delivery whose escalation is `about`; a report's reminder
/// is named from the partnership's `current` procedure.
pub(crate) fn what_happened(d: &Delivery, about: Option<&About>, current: &Procedure) -> String {
    if let Reason::ReportDue { report, from, to } = &d.reason {
        return notice::report_due(current, report, *from, *to);
    }
    match about {
        Some(a) => {
            let on = local_date(&a.procedure, d.created_at_us).unwrap_or(a.state.raised_on);
            notice::what_happened(&a.procedure, &d.reason, Some(&a.state), on)
        }
        None => "A notification about an escalation that is no longer in the records".to_owned(),
    }
}

/// What a report's reminder asks: to read the report and share it with whom it is for.
fn report_needed(ctx: &Context, report: &str) -> String {
    match ctx.rules.procedure.report(report) {
        Some(r) => format!(
            "Read the report and share it with {}",
            lower_first(r.audience.trim_end_matches('.'))
        ),
        None => "Read the report".to_owned(),
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn entry(ctx: &Context, d: &Delivery, about: Option<&About>) -> InboxEntry {
    if let Reason::ReportDue { report, .. } = &d.reason {
        return InboxEntry {
            id: d.id.clone(),
            what_happened: what_happened(d, None, &ctx.rules.procedure),
            rule_text: None,
            needed: Some(report_needed(ctx, report)),
            due: None,
            overdue: false,
            to: d.recipient.as_str().to_owned(),
            to_label: d.recipient.label().to_owned(),
            arrived_at_us: d.created_at_us,
            read: d.read_at_us.is_some(),
            read_at_us: d.read_at_us,
            escalation: None,
            // Opens the report (`open`), marking this read.
            open_href: Some(format!("/notifications/{}", d.id)),
            child_href: None,
        };
    }
    let sees = about.and_then(|a| a.access.as_ref());
    let needed = about.map(|a| notice::needed(&a.procedure, &a.calendar, &a.state, ctx.today));
    let escalation = about.map(|a| InboxEscalation {
        id: a.row.id.clone(),
        reference: a.row.reference.clone(),
        procedure: a.procedure.name.clone(),
        stage_name: a.procedure.stage(d.stage).map_or_else(
            || notice::stage_short(&a.procedure, d.stage),
            parley_core::procedure::Stage::name,
        ),
        raising_agency: ctx.agency_name(&a.row.raising_agency_id, &ctx.agencies),
        receiving_agency: ctx.agency_name(&a.row.receiving_agency_id, &ctx.agencies),
        href: sees.map(|_| format!("/escalations/{}", a.row.id)),
    });
    // The child only where the notification may carry it and the escalation page's rule
    // shows the child to this person anyway (never from the flag alone).
    let child_href = about
        .filter(|a| d.child_details && a.row.subject == "child")
        .filter(|a| a.access.as_ref().is_some_and(|x| x.child_details))
        .map(|a| format!("/escalations/{}/child", a.row.id));
    InboxEntry {
        id: d.id.clone(),
        what_happened: what_happened(d, about, &ctx.rules.procedure),
        rule_text: about
            .and_then(|a| notice::rule_text(&a.procedure, d.recipient, &d.reason, d.stage)),
        due: needed.as_ref().and_then(|n| n.due).map(|d| d.to_string()),
        overdue: needed.as_ref().is_some_and(|n| n.overdue),
        needed: needed.map(|n| n.text),
        to: d.recipient.as_str().to_owned(),
        to_label: d.recipient.label().to_owned(),
        arrived_at_us: d.created_at_us,
        read: d.read_at_us.is_some(),
        read_at_us: d.read_at_us,
        open_href: sees.map(|_| format!("/notifications/{}", d.id)),
        escalation,
        child_href,
    }
}

/// Page `page` (from 1; past the last, the last) of the caller's notifications, newest
/// first, linked from `base`.
pub async fn inbox(
    state: &AppState,
    user: &CurrentUser,
    base: &str,
    page: i64,
) -> Result<Inbox, AppError> {
    let ctx = Context::load(state, user).await?;
    let mut page = page.max(1);
    let (deliveries, total) = loop {
        let (rows, total) = state
            .records
            .inbox(user.id(), page as u32, PER_PAGE as u32)
            .await?;
        let total = total as i64;
        let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
        if page <= pages {
            break (rows, total);
        }
        page = pages;
    };
    let abouts = abouts(state, user, &ctx, &deliveries, true).await?;
    let notifications = deliveries
        .iter()
        .map(|d| {
            let about = d.escalation_id.as_deref().and_then(|id| abouts.get(id));
            entry(&ctx, d, about)
        })
        .collect();
    Ok(Inbox {
        notifications,
        unread: state.records.unread_count(user.id()).await?,
        pagination: pagination(base, "", page, PER_PAGE, total),
    })
}

/// The caller's own delivery `id`; a 404 for anyone else's, or one that does not exist.
async fn own(state: &AppState, user: &CurrentUser, id: &str) -> Result<Delivery, AppError> {
    state
        .records
        .delivery(id)
        .await?
        .filter(|d| d.partnership_id == user.partnership_id())
        .filter(|d| d.person_id.as_deref() == Some(user.id()))
        .ok_or(AppError::NotFound)
}

/// Marks one of the caller's notifications read (already read: as it was).
pub async fn mark_read(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<NoticeRead, AppError> {
    let d = own(state, user, id).await?;
    let now = state.now();
    let read_at_us = match d.read_at_us {
        Some(t) => t,
        None => {
            state.records.mark_read(user.id(), id, now).await?;
            now.as_microsecond()
        }
    };
    Ok(NoticeRead {
        id: d.id,
        read_at_us,
        unread: state.records.unread_count(user.id()).await?,
    })
}

/// Marks every one of the caller's notifications read.
pub async fn mark_all_read(state: &AppState, user: &CurrentUser) -> Result<NoticesRead, AppError> {
    let marked = state.records.mark_all_read(user.id(), state.now()).await?;
    Ok(NoticesRead {
        marked,
        unread: state.records.unread_count(user.id()).await?,
    })
}

/// Following a notification from the inbox: marks it read, and says where to go (the
/// escalation's page where the caller may see it, else back to the inbox).
pub async fn open(state: &AppState, user: &CurrentUser, id: &str) -> Result<String, AppError> {
    let d = own(state, user, id).await?;
    if d.read_at_us.is_none() {
        state.records.mark_read(user.id(), id, state.now()).await?;
    }
    // A report's reminder opens the report for its period, for those who read reports.
    if let Reason::ReportDue { report, from, to } = &d.reason {
        let readers = [crate::access::BUSINESS_TEAM, crate::access::ADMINISTRATOR];
        return Ok(if readers.iter().any(|r| user.has(r)) {
            format!("{}/{report}?from={from}&to={to}", super::reports::own::PAGE)
        } else {
            "/notifications".to_owned()
        });
    }
    let Some(escalation) = d.escalation_id else {
        return Ok("/notifications".to_owned());
    };
    match super::escalation::load(state, user, &escalation).await {
        Ok(_) => Ok(format!("/escalations/{escalation}")),
        Err(AppError::NotFound) => Ok("/notifications".to_owned()),
        Err(e) => Err(e),
    }
}

/// The caller's e-mail setting.
pub async fn email_settings(
    state: &AppState,
    user: &CurrentUser,
) -> Result<EmailSettings, AppError> {
    Ok(EmailSettings {
        mode: state.records.mail_mode(user.id()).await?.into(),
        email: user.person.email.clone(),
    })
}

/// Changes the caller's e-mail setting.
pub async fn set_email_mode(
    state: &AppState,
    user: &CurrentUser,
    mode: EmailMode,
) -> Result<EmailSettings, AppError> {
    state.records.set_mail_mode(user.id(), mode.into()).await?;
    email_settings(state, user).await
}
