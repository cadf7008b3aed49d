//! "My work": what awaits the person's action (overdue first), then everything else they
//! raised or are involved in, with due dates and working days left.

use parley_store::rows::{EscalationOfficerRow, EscalationRow};
use serde::{Deserialize, Serialize};

use super::partnership::{Pagination, pagination};
use super::{Context, EscalationLine};
use crate::access::Relation;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MyWork {
    /// Open escalations whose current stage this person leads (as a named officer of either
    /// agency, or as the raiser or receiver at the stage it entered at): overdue first, then
    /// by due date.
    pub awaiting: Vec<MyLine>,
    /// Open escalations they raised or are involved in otherwise (including as a manager).
    pub involved: Vec<MyLine>,
    /// Closed ones they raised or were involved in, newest first: one page of them.
    pub closed: Vec<MyLine>,
    /// Which page of the closed ones this is, and links to the others.
    pub closed_pages: Pagination,
}

/// Closed escalations listed per page (open ones are always listed in full).
pub const CLOSED_PER_PAGE: i64 = 20;

/// `?page=N`: the page of closed escalations.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The page of closed escalations (from 1).
    page: Option<String>,
}

impl PageQuery {
    /// The page asked for; anything but a positive number is the first.
    pub fn number(&self) -> i64 {
        self.page
            .as_deref()
            .and_then(|p| p.trim().parse::<i64>().ok())
            .filter(|n| *n >= 1)
            .unwrap_or(1)
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MyLine {
    #[serde(flatten)]
    pub line: EscalationLine,
    pub relations: Vec<Relation>,
    /// Meetings not yet recorded that this person is invited to or chairs, in words
    /// (issue 14, item 6).
    #[serde(default)]
    pub meetings: Vec<String>,
}

/// What a work list is kept by (see `PageCache`): while nothing in the partnership has
/// changed (its chain head and configuration) and it is the same day, the list is the same,
/// and a person looks at it often. `None` when the request did not read the chain head (API
/// tokens): not kept.
///
/// The page's header also shows the person's unread notifications (issue 15, item 3), which
/// move without the chain: resolving the outbox into deliveries and marking them read are not
/// events. The count is in the stamp rather than left out of the kept HTML: it is one number,
/// read with the session anyway (`auth::identify`), and whatever the header shows is then
/// exactly what the stamp says, so a kept page never shows a count other than the one just
/// read.
pub fn stamp(ctx: &Context, user: &CurrentUser) -> Option<String> {
    user.partnership_seq.map(|seq| {
        format!(
            "{}|{seq}|{}|{}",
            ctx.config_version,
            ctx.today,
            user.unread
                .map_or_else(|| "-".to_owned(), |n| n.to_string())
        )
    })
}

/// What awaits the person, what else is open, and page `closed_page` (from 1) of the closed
/// ones, linked from `base` (the page's or the API's path).
pub async fn my_work(
    state: &AppState,
    user: &CurrentUser,
    ctx: &Context,
    base: &str,
    closed_page: i64,
) -> Result<MyWork, AppError> {
    let me = user.id().to_owned();
    // Themselves and everyone they manage: as raiser, receiver, or an officer of a stage the
    // escalation went through (its record of officers, not the posts held today).
    let mut people = ctx.directory.reports_of(&me);
    people.push(me.clone());
    let open = state
        .store
        .open_escalations_involving(&ctx.partnership.id, &people)
        .await?;
    // The page asked for; past the last page, the last (counted by a first look).
    let mut page = closed_page.max(1);
    let (closed, total) = loop {
        let (rows, total) = state
            .store
            .closed_escalations_involving(
                &ctx.partnership.id,
                &people,
                CLOSED_PER_PAGE,
                (page - 1) * CLOSED_PER_PAGE,
            )
            .await?;
        let pages = ((total + CLOSED_PER_PAGE - 1) / CLOSED_PER_PAGE).max(1);
        if page <= pages {
            break (rows, total);
        }
        page = pages;
    };
    let agencies = ctx.agencies.clone();
    let ids: Vec<String> = open.iter().chain(&closed).map(|e| e.id.clone()).collect();
    let officers = state
        .store
        .officers_of_escalations(&ctx.partnership.id, &ids)
        .await?;
    let appointments = state
        .store
        .appointments_of_escalations(&ctx.partnership.id, &ids)
        .await?;
    let appointments_of = |e: &EscalationRow| -> &[parley_store::rows::EscalationAppointmentRow] {
        let from = appointments.partition_point(|a| a.escalation_id < e.id);
        let to = appointments.partition_point(|a| a.escalation_id <= e.id);
        &appointments[from..to]
    };
    let officers_of = |e: &EscalationRow| -> &[EscalationOfficerRow] {
        // Sorted by escalation id (the store's order): the rows of one are together.
        let from = officers.partition_point(|o| o.escalation_id < e.id);
        let to = officers.partition_point(|o| o.escalation_id <= e.id);
        &officers[from..to]
    };
    // Who is involved how: the store finds the rows, `access` says in what capacity (and
    // drops any it would not show).
    let relations_of = |e: &EscalationRow| {
        let relations: Vec<Relation> = ctx
            .access(user, e, officers_of(e), appointments_of(e))?
            .relations
            .into_iter()
            .filter(|r| *r != Relation::BusinessTeam)
            .collect();
        (!relations.is_empty()).then_some(relations)
    };
    let mut awaiting = Vec::new();
    let mut involved = Vec::new();
    for e in &open {
        let Some(relations) = relations_of(e) else {
            continue;
        };
        let line = MyLine {
            line: EscalationLine::new(ctx, e, &agencies)?,
            relations,
            meetings: super::meeting::invited_to(state, ctx, &me, e).await?,
        };
        let leads_now = ctx
            .directory
            .acting_leads(e, officers_of(e))
            .any(|o| o.person_id == me);
        let entry_stage = ctx
            .rules
            .procedure
            .routes
            .iter()
            .find(|r| r.kind.as_str() == e.route)
            .map_or(1, |r| i64::from(r.entry_stage.get()));
        let party_at_entry = e.current_stage == entry_stage
            && (e.raised_by == me || e.receiving_person_id.as_deref() == Some(me.as_str()));
        if leads_now || party_at_entry {
            awaiting.push(line);
        } else {
            involved.push(line);
        }
    }
    // Issue 14, item 5: the escalations at a referral step this person leads await them.
    for (e, timed) in super::referral::led_by(state, ctx, user).await? {
        let mut relations = match involved.iter().position(|l: &MyLine| l.line.id == e.id) {
            Some(i) => involved.remove(i).relations,
            None => Vec::new(),
        };
        if awaiting.iter().any(|l| l.line.id == e.id) {
            continue;
        }
        relations.push(Relation::ReferralLead);
        let mut line = EscalationLine::new(ctx, &e, &agencies)?;
        if !timed {
            super::referral::untimed(&mut line);
        }
        let meetings = super::meeting::invited_to(state, ctx, &me, &e).await?;
        awaiting.push(MyLine {
            line,
            relations,
            meetings,
        });
    }
    let closed = closed
        .iter()
        .filter_map(|e| {
            let relations = relations_of(e)?;
            Some(EscalationLine::new(ctx, e, &agencies).map(|line| MyLine {
                relations,
                line,
                meetings: Vec::new(),
            }))
        })
        .collect::<Result<_, AppError>>()?;
    let mut work = MyWork {
        awaiting,
        involved,
        closed,
        closed_pages: pagination(base, "", page, CLOSED_PER_PAGE, total),
    };
    let urgency = |l: &MyLine| {
        (
            !l.line.overdue,
            l.line.stage_deadline.due.clone(),
            l.line.reference.clone(),
        )
    };
    work.awaiting.sort_by_key(urgency);
    work.involved.sort_by_key(urgency);
    Ok(work)
}
