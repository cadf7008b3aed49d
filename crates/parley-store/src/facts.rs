//! What the period reports read of each escalation (issue 17, item 1): the `escalation_facts`
//! query table (migration 9), one row per escalation, written by the projector from the core's
//! decided state and read back as `parley_report`'s [`EscalationFacts`].
//!
//! The row's `facts` column is the JSON of [`Stored`]: route, category (id and label, the
//! procedure's at the escalation's version), the agencies by id (their names are read when a
//! report is made, so a renamed agency shows its new name), the stages with their governing
//! due dates and the learning recorded at each (the procedure's `learning = true` record
//! fields, with the day each text was last written), how it closed, the days of its meetings
//! and referrals. There is no field for a child, so no report can reach one.
//!
//! Reading is strict: a stored value that does not parse is [`StoreError::UnreadableRow`],
//! naming the escalation, never a default.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use parley_core::deadline::governing;
use parley_core::escalation::{Escalation, Status};
use parley_core::names::{RedirectionKind, RouteKind};
use parley_core::procedure::Procedure;
use parley_core::{ProcedureId, StageNumber};
use parley_report::Period;
use parley_report::figures::{Closed, EscalationFacts, LearningFact, Named, Outcome, StageFacts};
use serde::{Deserialize, Serialize};

use crate::StoreError;
use crate::backend::Store;
use crate::rows::{EscalationRow, FactsRow};

/// The JSON of the `facts` column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    reference: String,
    procedure: String,
    route: String,
    category: StoredNamed,
    raising_agency: String,
    receiving_agency: String,
    raised_on: String,
    stages: Vec<StoredStage>,
    closed: Option<StoredClosed>,
    meetings: Vec<String>,
    referrals: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredNamed {
    id: String,
    label: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredStage {
    stage: i64,
    started_on: String,
    due: String,
    ended_on: Option<String>,
    learning: Vec<StoredLearning>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredLearning {
    recorded_on: String,
    label: String,
    text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredClosed {
    on: String,
    outcome: String,
    redirected: Option<String>,
}

/// The day each record field of each stage was last written (stage, field id): the state
/// keeps the latest text, not when it was written, so the projector keeps this beside it.
pub(crate) type Written = BTreeMap<(u8, String), Date>;

/// The facts row of an escalation as `state` stands.
pub(crate) fn row(
    escalation: &EscalationRow,
    state: &Escalation,
    procedure: &Procedure,
    written: &Written,
) -> FactsRow {
    let zone = &procedure.calendar.time_zone;
    let day = |t: Timestamp| t.to_zoned(zone.clone()).date();
    let learning_fields: Vec<_> = procedure
        .record_fields
        .iter()
        .filter(|f| f.learning)
        .collect();
    let stages: Vec<StoredStage> = state
        .stages
        .iter()
        .map(|s| StoredStage {
            stage: i64::from(s.number.get()),
            started_on: s.started_on.to_string(),
            due: governing(s.due, state.overall_due).to_string(),
            ended_on: s.ended_at.map(|t| day(t).to_string()),
            learning: learning_fields
                .iter()
                .filter_map(|field| {
                    let (_, text) = s.record.iter().find(|(f, _)| *f == field.id)?;
                    if text.trim().is_empty() {
                        return None;
                    }
                    let on = written
                        .get(&(s.number.get(), field.id.clone()))
                        .copied()
                        .unwrap_or(s.started_on);
                    Some(StoredLearning {
                        recorded_on: on.to_string(),
                        label: field.label.clone(),
                        text: text.clone(),
                    })
                })
                .collect(),
        })
        .collect();
    let closed_on = state.closed_at.map(day);
    let closed = match (closed_on, Outcome::of(&state.status)) {
        (Some(on), Some(outcome)) => Some(StoredClosed {
            on: on.to_string(),
            outcome: outcome.as_str().to_owned(),
            redirected: match &state.status {
                Status::Redirected(k) => Some(k.as_str().to_owned()),
                _ => None,
            },
        }),
        _ => None,
    };
    // Meetings: those arranged as records (held, or arranged for, on their day) and those
    // stored as a bare "convened" before meetings were records.
    let mut meetings: Vec<Date> = state.meetings.iter().map(|m| day(m.plan.held_at)).collect();
    meetings.extend(
        state
            .stages
            .iter()
            .flat_map(|s| s.meetings.iter().map(|&t| day(t))),
    );
    meetings.sort();
    // Referrals: each referral step's first day; a referral stored before referral steps
    // closed the escalation on its day.
    let mut referrals: Vec<Date> = state.referrals.iter().map(|r| r.started_on).collect();
    if referrals.is_empty()
        && let (Status::ReferredOn(_), Some(on)) = (&state.status, closed_on)
    {
        referrals.push(on);
    }
    let category = StoredNamed {
        id: state.category.clone(),
        label: procedure
            .category(&state.category)
            .map_or_else(|| state.category.clone(), |c| c.label.clone()),
    };
    // Once closed, the last day anything of it falls on: a period starting after it has
    // nothing of it to count.
    let last_on = closed_on.map(|c| {
        stages
            .iter()
            .flat_map(|s| s.learning.iter())
            .filter_map(|l| l.recorded_on.parse::<Date>().ok())
            .chain(meetings.iter().copied())
            .chain(referrals.iter().copied())
            .fold(c, Date::max)
    });
    let stored = Stored {
        reference: escalation.reference.clone(),
        procedure: procedure.id.as_str().to_owned(),
        route: state.route.as_str().to_owned(),
        category,
        raising_agency: escalation.raising_agency_id.clone(),
        receiving_agency: escalation.receiving_agency_id.clone(),
        raised_on: state.raised_on.to_string(),
        stages,
        closed,
        meetings: meetings.iter().map(Date::to_string).collect(),
        referrals: referrals.iter().map(Date::to_string).collect(),
    };
    FactsRow {
        escalation_id: escalation.id.clone(),
        partnership_id: escalation.partnership_id.clone(),
        raised_on: state.raised_on.to_string(),
        closed_on: closed_on.map(|d| d.to_string()),
        last_on: last_on.map(|d| d.to_string()),
        facts: serde_json::to_string(&stored).unwrap_or_default(),
    }
}

/// A stored row as the report's facts; `agencies` maps agency ids to their names.
pub fn read(
    row: &FactsRow,
    agencies: &HashMap<String, String>,
) -> Result<EscalationFacts, StoreError> {
    let bad = |message: String| StoreError::UnreadableRow {
        table: "escalation_facts",
        key: row.escalation_id.clone(),
        message,
    };
    let date = |what: &str, s: &str| {
        s.parse::<Date>()
            .map_err(|_| bad(format!("{what} \"{s}\" is not a date")))
    };
    let stored: Stored =
        serde_json::from_str(&row.facts).map_err(|e| bad(format!("facts: {e}")))?;
    let agency = |id: &str| -> Result<Named, StoreError> {
        agencies
            .get(id)
            .map(|name| Named::new(id, name))
            .ok_or_else(|| bad(format!("unknown agency {id}")))
    };
    let mut stages = Vec::with_capacity(stored.stages.len());
    for s in &stored.stages {
        let mut learning = Vec::with_capacity(s.learning.len());
        for l in &s.learning {
            learning.push(LearningFact {
                recorded_on: date("learning recorded_on", &l.recorded_on)?,
                label: l.label.clone(),
                text: l.text.clone(),
            });
        }
        stages.push(StageFacts {
            stage: StageNumber::new(s.stage)
                .ok_or_else(|| bad(format!("stage {} is not a stage number", s.stage)))?,
            started_on: date("started_on", &s.started_on)?,
            due: date("due", &s.due)?,
            ended_on: s
                .ended_on
                .as_deref()
                .map(|d| date("ended_on", d))
                .transpose()?,
            learning,
        });
    }
    let closed = match &stored.closed {
        None => None,
        Some(c) => Some(Closed {
            on: date("closed on", &c.on)?,
            outcome: Outcome::ALL
                .iter()
                .copied()
                .find(|o| o.as_str() == c.outcome)
                .ok_or_else(|| bad(format!("unknown outcome \"{}\"", c.outcome)))?,
            redirected: c
                .redirected
                .as_deref()
                .map(|k| k.parse::<RedirectionKind>().map_err(|e| bad(e.to_string())))
                .transpose()?,
        }),
    };
    let dates = |what: &str, list: &[String]| -> Result<Vec<Date>, StoreError> {
        list.iter().map(|d| date(what, d)).collect()
    };
    let raised_on = date("raised_on", &stored.raised_on)?;
    if row.raised_on != stored.raised_on {
        return Err(bad(format!(
            "raised_on column \"{}\" is not the facts' \"{}\"",
            row.raised_on, stored.raised_on
        )));
    }
    Ok(EscalationFacts {
        reference: stored.reference.clone(),
        partnership: row.partnership_id.clone(),
        procedure: ProcedureId::parse(&stored.procedure).map_err(bad)?,
        route: stored
            .route
            .parse::<RouteKind>()
            .map_err(|e| bad(e.to_string()))?,
        category: Named::new(&stored.category.id, &stored.category.label),
        raising_agency: agency(&stored.raising_agency)?,
        receiving_agency: agency(&stored.receiving_agency)?,
        raised_on,
        stages,
        closed,
        meetings: dates("meeting", &stored.meetings)?,
        referrals: dates("referral", &stored.referrals)?,
    })
}

/// What a period's report is made from: the facts of the partnership's escalations that
/// matter to the period, and the days compliments were given in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportFacts {
    pub escalations: Vec<EscalationFacts>,
    pub compliments: Vec<Date>,
}

/// The facts of `period` for the partnership: every escalation raised by its last day and not
/// closed (with nothing more recorded) before its first, and the local days (in `zone`, the
/// procedure's time zone) of the compliments given in it. By reference.
pub async fn report_facts(
    store: &dyn Store,
    partnership_id: &str,
    period: Period,
    zone: &TimeZone,
) -> Result<ReportFacts, StoreError> {
    let agencies: HashMap<String, String> = store
        .agencies(partnership_id)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    let rows = store
        .escalation_facts(
            partnership_id,
            &period.from().to_string(),
            &period.to().to_string(),
        )
        .await?;
    let mut escalations = Vec::with_capacity(rows.len());
    for row in &rows {
        escalations.push(read(row, &agencies)?);
    }
    escalations.sort_by(|a, b| a.reference.cmp(&b.reference));
    let mut compliments = Vec::new();
    for c in store.compliments(partnership_id).await? {
        let at =
            Timestamp::from_microsecond(c.given_at_us).map_err(|e| StoreError::UnreadableRow {
                table: "compliments",
                key: c.id.clone(),
                message: format!("given_at_us: {e}"),
            })?;
        let day = at.to_zoned(zone.clone()).date();
        if period.contains(day) {
            compliments.push(day);
        }
    }
    compliments.sort();
    Ok(ReportFacts {
        escalations,
        compliments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(facts: &str) -> FactsRow {
        FactsRow {
            escalation_id: "e1".to_owned(),
            partnership_id: "p1".to_owned(),
            raised_on: "2026-05-01".to_owned(),
            closed_on: None,
            last_on: None,
            facts: facts.to_owned(),
        }
    }

    const GOOD: &str = r#"{"reference":"SOL-2026-0001","procedure":"solihull","route":"individual","category":{"id":"c","label":"C"},"raising_agency":"a1","receiving_agency":"a2","raised_on":"2026-05-01","stages":[{"stage":1,"started_on":"2026-05-01","due":"2026-05-08","ended_on":null,"learning":[]}],"closed":null,"meetings":[],"referrals":[]}"#;

    fn agencies() -> HashMap<String, String> {
        [("a1", "School"), ("a2", "Police")]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect()
    }

    #[test]
    fn a_good_row_reads() {
        let facts = read(&row(GOOD), &agencies()).unwrap();
        assert_eq!(facts.reference, "SOL-2026-0001");
        assert_eq!(facts.raising_agency.label, "School");
        assert_eq!(facts.stages.len(), 1);
    }

    #[test]
    fn unreadable_values_are_errors_naming_the_row() {
        for (from, to) in [
            ("\"2026-05-08\"", "\"2026-13-08\""),
            ("\"individual\"", "\"sideways\""),
            ("\"stage\":1", "\"stage\":0"),
            ("\"a2\"", "\"a9\""),
            ("\"meetings\":[]", "\"meetings\":[\"soon\"]"),
            (
                "\"closed\":null",
                "\"closed\":{\"on\":\"2026-05-02\",\"outcome\":\"won\",\"redirected\":null}",
            ),
            ("\"referrals\":[]", "\"referrals\":[],\"child\":\"x\""),
        ] {
            let bad = GOOD.replacen(from, to, 1);
            assert_ne!(bad, GOOD, "{from}");
            let err = read(&row(&bad), &agencies()).unwrap_err();
            assert!(
                matches!(&err, StoreError::UnreadableRow { table: "escalation_facts", key, .. } if key == "e1"),
                "{from} -> {to}: {err}"
            );
        }
    }
}
