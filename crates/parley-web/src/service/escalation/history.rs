//! The escalation's events in words, for the timeline: never the child or the case as put.

use parley_core::names::{RedirectionKind, Resolution, RouteKind};
use parley_core::procedure::StageNumber;
use parley_store::chain::Link;
use parley_store::payload::Payload;
use serde::Serialize;

use super::*;

/// One event of the escalation, in words. Never carries the child's details or the case as
/// put: the raise is described without them.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryItem {
    /// The escalation's version after this event.
    pub version: i64,
    pub kind: String,
    pub title: String,
    pub actor_id: Option<String>,
    /// The person's name, or "Parley" for what Parley records itself (deadlines passing).
    pub actor: String,
    pub at_us: i64,
    pub details: Vec<Detail>,
    /// The reason given with the action, if any.
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Detail {
    pub label: String,
    pub text: String,
}

/// The escalation's history, oldest first.
pub fn history(loaded: &Loaded) -> Vec<HistoryItem> {
    describe_history(loaded, &loaded.events)
}

fn describe_history(loaded: &Loaded, links: &[Link]) -> Vec<HistoryItem> {
    let p = loaded.procedure();
    let Loaded { ctx, agencies, .. } = loaded;
    let mut stage = StageNumber::FIRST;
    let mut referred_to: Option<String> = None;
    let mut proposed = None;
    let mut meetings = 0;
    let mut out = Vec::with_capacity(links.len());
    for (i, link) in links.iter().enumerate() {
        let payload = link
            .payload
            .as_deref()
            .and_then(|j| serde_json::from_str::<Payload>(j).ok());
        let mut details = Vec::new();
        let mut detail = |label: &str, text: String| {
            details.push(Detail {
                label: label.to_owned(),
                text,
            });
        };
        let title = match &payload {
            Some(Payload::EscalationRaised(r)) => {
                // Only what the escalation row shows anyone who sees it: never `child`,
                // `decision`, `evidence` or `outcome_wanted`.
                stage = r
                    .route
                    .parse::<RouteKind>()
                    .ok()
                    .and_then(|k| p.route(k))
                    .map_or(StageNumber::FIRST, |route| route.entry_stage);
                detail("Summary", r.summary.clone());
                detail(
                    "Category",
                    p.category(&r.category)
                        .map_or_else(|| r.category.clone(), |c| c.label.clone()),
                );
                detail(
                    "Route",
                    r.route
                        .parse::<RouteKind>()
                        .map_or_else(|_| r.route.clone(), |k| k.label().to_owned()),
                );
                detail(
                    "Agencies",
                    format!(
                        "{} to {}",
                        ctx.agency_name(&r.raising_agency_id, agencies),
                        ctx.agency_name(&r.receiving_agency_id, agencies)
                    ),
                );
                if let Some(to) = &r.receiving_person_id {
                    detail("Raised with", ctx.directory.name(to));
                }
                format!(
                    "Raised at {}",
                    lower_first(&stage_name(stage, &stage_title(p, stage)))
                )
            }
            Some(Payload::StageRecordUpdated { stage: n, fields }) => {
                let n = StageNumber::new(*n).unwrap_or(stage);
                for (id, text) in fields {
                    let label = p
                        .record_field(id)
                        .map_or_else(|| id.clone(), |f| f.label.clone());
                    detail(&label, text.clone());
                }
                format!("Stage {n} record updated")
            }
            Some(Payload::TimescaleAgreed { working_days }) => format!(
                "Timescale agreed for stage {stage}: {working_days} working day{}",
                if *working_days == 1 { "" } else { "s" }
            ),
            Some(Payload::Escalated) => {
                stage = stage.next();
                format!(
                    "Escalated to {}",
                    lower_first(&stage_name(stage, &stage_title(p, stage)))
                )
            }
            Some(Payload::ProfessionalsMeetingConvened) => {
                format!("Professionals’ meeting convened at stage {stage}")
            }
            Some(Payload::MeetingArranged {
                held_at_us,
                chair,
                invited_people,
                invited_agencies,
            }) => {
                meetings += 1;
                if let Some(c) = chair {
                    detail("Chair", ctx.directory.name(c));
                }
                let names: Vec<String> = invited_people
                    .iter()
                    .map(|i| ctx.directory.name(i))
                    .collect();
                detail("Invited", names.join(", "));
                if !invited_agencies.is_empty() {
                    let names: Vec<String> = invited_agencies
                        .iter()
                        .map(|a| ctx.agency_name(a, agencies))
                        .collect();
                    detail("Agencies invited", names.join(", "));
                }
                match jiff::Timestamp::from_microsecond(*held_at_us) {
                    Ok(t) => format!(
                        "Meeting {meetings} arranged at stage {stage}, for {}",
                        crate::service::meeting::when(&p.calendar.time_zone, t)
                    ),
                    Err(_) => format!("Meeting {meetings} arranged at stage {stage}"),
                }
            }
            Some(Payload::MeetingRecorded {
                meeting,
                attended_people,
                attended_agencies,
                outcome,
                actions,
            }) => {
                let names: Vec<String> = attended_people
                    .iter()
                    .map(|i| ctx.directory.name(i))
                    .collect();
                if !names.is_empty() {
                    detail("Attended", names.join(", "));
                }
                if !attended_agencies.is_empty() {
                    let names: Vec<String> = attended_agencies
                        .iter()
                        .map(|a| ctx.agency_name(a, agencies))
                        .collect();
                    detail("Agencies attending", names.join(", "));
                }
                detail("Outcome", outcome.clone());
                if !actions.is_empty() {
                    detail("Actions", actions.clone());
                }
                format!("Meeting {meeting} recorded")
            }
            Some(Payload::Resolved { resolution }) => match resolution.parse::<Resolution>() {
                Ok(Resolution::ByEvents) if p.outcomes.see_through_when_resolved_by_events => {
                    "Resolved by the turn of events; the escalation stayed open to be seen through to the end"
                        .to_owned()
                }
                Ok(r) => r.label().to_owned(),
                Err(_) => format!("Resolved ({resolution})"),
            },
            Some(Payload::ReferredOn { referral }) => {
                format!("Referred on to {}", referral_label(p, referral))
            }
            Some(Payload::ReferralMade { referral }) => {
                let lead = p.referral(referral).and_then(|r| r.lead);
                if let Some(lead) = lead {
                    detail("Led by", lead.label().to_owned());
                }
                referred_to = Some(referral.clone());
                format!(
                    "Referred on to {}: it stays open until what came of it is recorded",
                    referral_label(p, referral)
                )
            }
            Some(Payload::ReferralOutcomeRecorded { outcome }) => {
                detail("What came of it", outcome.clone());
                format!(
                    "What came of the referral to {} was recorded, and the escalation closed",
                    referred_to
                        .as_deref()
                        .map_or_else(|| "it".to_owned(), |r| referral_label(p, r))
                )
            }
            Some(
                payload @ (Payload::AgreementProposed { .. }
                | Payload::AgreementConfirmed { .. }
                | Payload::AgreementRefused { .. }
                | Payload::ProposalWithdrawn { .. }
                | Payload::DisagreementRecorded { .. }),
            ) => crate::service::agreement::history_title(p, payload, stage, &mut proposed, &mut detail)
                .unwrap_or_else(|| sentence(&link.kind.replace('-', " "))),
            Some(Payload::Withdrawn) => "Withdrawn".to_owned(),
            Some(Payload::Redirected { redirection }) => {
                let kind = redirection.parse::<RedirectionKind>().ok();
                // The procedure's text on where it goes instead (issue 14, item 7).
                if let Some(r) = kind.and_then(|k| p.redirection(k)) {
                    detail("Where it belongs instead", r.text.clone());
                }
                format!(
                    "Redirected to another procedure: {}",
                    kind.map_or_else(|| redirection.clone(), |k| k.label().to_owned())
                )
            }
            Some(Payload::PartnershipFormSent { answers }) => {
                let form = p.partnership_form.as_ref();
                for (id, text) in answers {
                    let label = form
                        .and_then(|f| f.fields.iter().find(|x| x.id == *id))
                        .map_or(id.as_str(), |x| x.label.as_str());
                    detail(label, text.clone());
                }
                format!(
                    "Sent at stage {stage}: {}",
                    form.map_or("the partnership form", |f| f.title.as_str())
                )
            }
            Some(Payload::DeadlinePassed { deadline }) => {
                if deadline.starts_with("referral-") {
                    format!(
                        "The deadline of the referral to {} passed",
                        referred_to
                            .as_deref()
                            .map_or_else(|| "it".to_owned(), |r| referral_label(p, r))
                    )
                } else if deadline == "overall" {
                    "The deadline for the whole escalation passed".to_owned()
                } else {
                    format!("The stage {deadline} deadline passed")
                }
            }
            Some(Payload::DeadlineApproaching { deadline, before }) => reminder_title(
                loaded,
                deadline,
                *before,
                &links[i + 1..],
                referred_to.as_deref(),
            ),
            _ => sentence(&link.kind.replace('-', " ")),
        };
        out.push(HistoryItem {
            version: link.stream_version,
            kind: link.kind.clone(),
            title,
            actor_id: link.actor.clone(),
            actor: link
                .actor
                .as_deref()
                .map_or_else(|| "Parley".to_owned(), |a| ctx.directory.name(a)),
            at_us: link.at_us,
            details,
            reason: link.reason.clone(),
        });
    }
    out
}
