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
//! naming the escalation, never a default. A year's report reads a hundred thousand rows, so
//! the JSON is read in place (its strings borrowed, not copied), the few names the rows share
//! are made once ([`Names`]), and the rows are read on as many threads as there are cores.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

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
use crate::report_memory::ReportMemory;
use crate::rows::{EscalationRow, FactsRow};

/// The JSON of the `facts` column. Written from owned strings; read borrowing them from the
/// row's text wherever the JSON has no escapes to undo.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored<'a> {
    #[serde(borrow)]
    reference: Cow<'a, str>,
    #[serde(borrow)]
    procedure: Cow<'a, str>,
    #[serde(borrow)]
    route: Cow<'a, str>,
    #[serde(borrow)]
    category: StoredNamed<'a>,
    #[serde(borrow)]
    raising_agency: Cow<'a, str>,
    #[serde(borrow)]
    receiving_agency: Cow<'a, str>,
    #[serde(borrow)]
    raised_on: Cow<'a, str>,
    #[serde(borrow)]
    stages: Vec<StoredStage<'a>>,
    #[serde(borrow)]
    closed: Option<StoredClosed<'a>>,
    #[serde(borrow)]
    meetings: Vec<Cow<'a, str>>,
    #[serde(borrow)]
    referrals: Vec<Cow<'a, str>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredNamed<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    label: Cow<'a, str>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredStage<'a> {
    stage: i64,
    #[serde(borrow)]
    started_on: Cow<'a, str>,
    #[serde(borrow)]
    due: Cow<'a, str>,
    #[serde(borrow)]
    ended_on: Option<Cow<'a, str>>,
    #[serde(borrow)]
    learning: Vec<StoredLearning<'a>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredLearning<'a> {
    #[serde(borrow)]
    recorded_on: Cow<'a, str>,
    #[serde(borrow)]
    label: Cow<'a, str>,
    #[serde(borrow)]
    text: Cow<'a, str>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredClosed<'a> {
    #[serde(borrow)]
    on: Cow<'a, str>,
    #[serde(borrow)]
    outcome: Cow<'a, str>,
    #[serde(borrow)]
    redirected: Option<Cow<'a, str>>,
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
            started_on: s.started_on.to_string().into(),
            due: governing(s.due, state.overall_due).to_string().into(),
            ended_on: s.ended_at.map(|t| day(t).to_string().into()),
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
                        recorded_on: on.to_string().into(),
                        label: Cow::Borrowed(&field.label),
                        text: Cow::Borrowed(text),
                    })
                })
                .collect(),
        })
        .collect();
    let closed_on = state.closed_at.map(day);
    let closed = match (closed_on, Outcome::of(&state.status)) {
        (Some(on), Some(outcome)) => Some(StoredClosed {
            on: on.to_string().into(),
            outcome: Cow::Borrowed(outcome.as_str()),
            redirected: match &state.status {
                Status::Redirected(k) => Some(Cow::Borrowed(k.as_str())),
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
        id: Cow::Borrowed(&state.category),
        label: Cow::Borrowed(
            procedure
                .category(&state.category)
                .map_or(&state.category, |c| &c.label),
        ),
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
        reference: Cow::Borrowed(&escalation.reference),
        procedure: Cow::Borrowed(procedure.id.as_str()),
        route: Cow::Borrowed(state.route.as_str()),
        category,
        raising_agency: Cow::Borrowed(&escalation.raising_agency_id),
        receiving_agency: Cow::Borrowed(&escalation.receiving_agency_id),
        raised_on: state.raised_on.to_string().into(),
        stages,
        closed,
        meetings: meetings.iter().map(|d| d.to_string().into()).collect(),
        referrals: referrals.iter().map(|d| d.to_string().into()).collect(),
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

/// The names the facts of one partnership share, each made once: its id, its agencies (by
/// id, with the names they have now, so a renamed agency shows its new name) and the
/// categories met so far (by id and label: a category's label is the procedure's at the
/// escalation's version).
#[derive(Clone, Debug)]
pub struct Names {
    partnership: Arc<str>,
    agencies: HashMap<String, Arc<Named>>,
    /// By id, then one per label met with it.
    categories: HashMap<String, Vec<Arc<Named>>>,
    /// The record fields' labels met so far ("Learning identified"): a handful.
    labels: Vec<Arc<str>>,
}

impl Names {
    /// `agencies` maps agency ids to their names.
    pub fn new(partnership_id: &str, agencies: &HashMap<String, String>) -> Names {
        Names {
            partnership: partnership_id.into(),
            agencies: agencies
                .iter()
                .map(|(id, name)| (id.clone(), Arc::new(Named::new(id, name))))
                .collect(),
            categories: HashMap::new(),
            labels: Vec::new(),
        }
    }

    fn label(&mut self, label: &str) -> Arc<str> {
        if let Some(found) = self.labels.iter().find(|l| ***l == *label) {
            return Arc::clone(found);
        }
        let made: Arc<str> = Arc::from(label);
        self.labels.push(Arc::clone(&made));
        made
    }

    fn category(&mut self, id: &str, label: &str) -> Arc<Named> {
        // Looked up by the borrowed id: a key is made only for a category not met before.
        if let Some(found) = self
            .categories
            .get(id)
            .and_then(|labels| labels.iter().find(|n| n.label == label))
        {
            return Arc::clone(found);
        }
        let named = Arc::new(Named::new(id, label));
        self.categories
            .entry(id.to_owned())
            .or_default()
            .push(Arc::clone(&named));
        named
    }
}

/// A stored row as the report's facts, its shared names taken from (and added to) `names`.
pub fn read(row: &FactsRow, names: &mut Names) -> Result<EscalationFacts, StoreError> {
    let bad = |message: String| StoreError::UnreadableRow {
        table: "escalation_facts",
        key: row.escalation_id.clone(),
        message,
    };
    let date = |what: &str, s: &str| {
        s.parse::<Date>()
            .map_err(|_| bad(format!("{what} \"{s}\" is not a date")))
    };
    if row.partnership_id != *names.partnership {
        return Err(bad(format!(
            "partnership {} read as {}'s",
            row.partnership_id, names.partnership
        )));
    }
    let stored: Stored =
        serde_json::from_str(&row.facts).map_err(|e| bad(format!("facts: {e}")))?;
    let agency = |names: &Names, id: &str| -> Result<Arc<Named>, StoreError> {
        names
            .agencies
            .get(id)
            .cloned()
            .ok_or_else(|| bad(format!("unknown agency {id}")))
    };
    let mut stages = Vec::with_capacity(stored.stages.len());
    for s in stored.stages {
        let mut learning = Vec::with_capacity(s.learning.len());
        for l in s.learning {
            learning.push(LearningFact {
                recorded_on: date("learning recorded_on", &l.recorded_on)?,
                label: names.label(&l.label),
                text: Arc::from(&*l.text),
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
    let dates = |what: &str, list: &[Cow<'_, str>]| -> Result<Vec<Date>, StoreError> {
        list.iter().map(|d| date(what, d)).collect()
    };
    let raised_on = date("raised_on", &stored.raised_on)?;
    if row.raised_on != stored.raised_on {
        return Err(bad(format!(
            "raised_on column \"{}\" is not the facts' \"{}\"",
            row.raised_on, stored.raised_on
        )));
    }
    let raising_agency = agency(names, &stored.raising_agency)?;
    let receiving_agency = agency(names, &stored.receiving_agency)?;
    Ok(EscalationFacts {
        reference: Arc::from(&*stored.reference),
        partnership: Arc::clone(&names.partnership),
        procedure: ProcedureId::parse(&stored.procedure).map_err(bad)?,
        route: stored
            .route
            .parse::<RouteKind>()
            .map_err(|e| bad(e.to_string()))?,
        category: names.category(&stored.category.id, &stored.category.label),
        raising_agency,
        receiving_agency,
        raised_on,
        stages,
        closed,
        meetings: dates("meeting", &stored.meetings)?,
        referrals: dates("referral", &stored.referrals)?,
    })
}

/// Rows read into facts, split across the machine's cores (at most four threads; one for a
/// few thousand rows, where a thread would cost more than it saves). In the rows' order.
pub fn read_all(rows: &[FactsRow], names: &Names) -> Result<Vec<EscalationFacts>, StoreError> {
    const PER_THREAD: usize = 4096;
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(4)
        .min(rows.len().div_ceil(PER_THREAD))
        .max(1);
    let read_chunk = |chunk: &[FactsRow]| -> Result<Vec<EscalationFacts>, StoreError> {
        let mut names = names.clone();
        chunk.iter().map(|row| read(row, &mut names)).collect()
    };
    if threads == 1 {
        return read_chunk(rows);
    }
    let size = rows.len().div_ceil(threads);
    let parts: Vec<Result<Vec<EscalationFacts>, StoreError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = rows
            .chunks(size)
            .map(|chunk| scope.spawn(move || read_chunk(chunk)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut out = Vec::with_capacity(rows.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// What a period's report is made from: the facts of the partnership's escalations that
/// matter to the period (shared with the report memory), and the days compliments were
/// given in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportFacts {
    pub escalations: Vec<Arc<EscalationFacts>>,
    pub compliments: Vec<Date>,
}

/// The facts of `period` for the partnership: every escalation raised by its last day and not
/// closed (with nothing more recorded) before its first, and the local days (in `zone`, the
/// procedure's time zone) of the compliments given in it. By reference. From `memory`
/// brought up to date where there is one (`report_memory.rs`), read afresh otherwise.
pub(crate) async fn report_facts(
    store: &dyn Store,
    memory: Option<&ReportMemory>,
    partnership_id: &str,
    period: Period,
    zone: &TimeZone,
) -> Result<ReportFacts, StoreError> {
    let agencies = agency_names(store, partnership_id).await?;
    let escalations = match memory {
        Some(memory) => {
            memory
                .facts(store, partnership_id, period, agencies)
                .await?
        }
        None => read_period(store, partnership_id, period, &agencies).await?,
    };
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

/// The partnership's agencies' names, by id, as they are now.
pub(crate) async fn agency_names(
    store: &dyn Store,
    partnership_id: &str,
) -> Result<HashMap<String, String>, StoreError> {
    Ok(store
        .agencies(partnership_id)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect())
}

/// The facts of `period` read from the store, by reference.
async fn read_period(
    store: &dyn Store,
    partnership_id: &str,
    period: Period,
    agencies: &HashMap<String, String>,
) -> Result<Vec<Arc<EscalationFacts>>, StoreError> {
    let names = Names::new(partnership_id, agencies);
    read_between(
        store,
        partnership_id,
        period.from(),
        period.to(),
        names,
        |rows| Ok(rows.into_iter().map(|r| Arc::new(r.facts)).collect()),
    )
    .await
}

/// A facts row as read: the escalation's id, the day its last fact falls on once closed, and
/// its facts.
pub(crate) struct ReadRow {
    pub id: String,
    pub last_on: Option<Date>,
    pub facts: EscalationFacts,
}

/// The facts rows of the partnership raised by `ceiling` and open or with their last fact on
/// or after `horizon`, read, in reference order, and laid out by `lay_out`. Reading and
/// laying out a year's rows is a second of CPU at a million escalations: both run on a
/// blocking thread, not a tokio worker.
pub(crate) async fn read_between<T: Send + 'static>(
    store: &dyn Store,
    partnership_id: &str,
    horizon: Date,
    ceiling: Date,
    names: Names,
    lay_out: impl FnOnce(Vec<ReadRow>) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let rows = store
        .escalation_facts(partnership_id, &horizon.to_string(), &ceiling.to_string())
        .await?;
    tokio::task::spawn_blocking(move || {
        let facts = read_all(&rows, &names)?;
        let mut read = Vec::with_capacity(rows.len());
        for (row, facts) in rows.into_iter().zip(facts) {
            read.push(ReadRow {
                last_on: column_day(&row, "last_on", row.last_on.as_deref())?,
                id: row.escalation_id,
                facts,
            });
        }
        read.sort_unstable_by(|a, b| a.facts.reference.cmp(&b.facts.reference));
        lay_out(read)
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// A date column of a facts row; an unreadable one is the error, naming the row.
pub(crate) fn column_day(
    row: &FactsRow,
    column: &str,
    text: Option<&str>,
) -> Result<Option<Date>, StoreError> {
    text.map(|t| {
        t.parse::<Date>().map_err(|e| StoreError::UnreadableRow {
            table: "escalation_facts",
            key: row.escalation_id.clone(),
            message: format!("{column}: {e}"),
        })
    })
    .transpose()
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
        let facts = read(&row(GOOD), &mut Names::new("p1", &agencies())).unwrap();
        assert_eq!(&*facts.reference, "SOL-2026-0001");
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
            let err = read(&row(&bad), &mut Names::new("p1", &agencies())).unwrap_err();
            assert!(
                matches!(&err, StoreError::UnreadableRow { table: "escalation_facts", key, .. } if key == "e1"),
                "{from} -> {to}: {err}"
            );
        }
    }
}
