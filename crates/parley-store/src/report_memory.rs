//! The report memory (issue 17, performance): the report facts a process has read, held per
//! partnership between reports, and brought up to date from the events before each one.
//!
//! A year's report over a million escalations reads a few hundred thousand facts rows: a
//! second of reading and parsing, where counting them takes a fifth of that. The business
//! team reads a period's report on the page, then downloads it as PDF and CSV, then
//! compares another period: each would read the same rows again. Held here, a report reads
//! only what changed since the last:
//!
//! - The partnership's chain (`events`, ordered by `seq`) says what changed. The memory
//!   notes the chain's head *before* it reads rows (`mark`); before the next report it reads
//!   the events after `mark` and reads again the facts row of each escalation they are
//!   about. The facts rows are written in the same transaction as their events, so a row read
//!   after its event is at least as new; one newer than the events read is read again next
//!   time, which is harmless. A partnership's events commit in `seq` order (each append moves
//!   the partnership's `chain_heads` row, which serialises them), so no event at or before the
//!   noted head can commit after it was noted. Another server writing to the same PostgreSQL is seen the same
//!   way: through the chain.
//! - It holds the rows a report of a period *within* its bounds reads: every escalation
//!   raised by `ceiling` that is open or whose last fact is on or after `horizon`. A period
//!   outside them reads the rows afresh, widening the bounds.
//! - The agencies' names are read with each report; a change of any reads the rows afresh,
//!   and so does a backlog of more than [`CATCH_UP`] events, a read that failed, or a row
//!   that could not be read (the error is the report's).
//! - `parley admin rebuild-projections` rewrites the rows without events: it is run with the
//!   server stopped (README), and a server started afterwards starts with no memory.
//!
//! Memory: one [`EscalationFacts`] per escalation held (a few hundred bytes with its
//! learning text); a year and the year before at a million escalations over ten years, some
//! 300,000 of them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use jiff::civil::Date;
use parley_report::Period;
use parley_report::figures::EscalationFacts;

use crate::StoreError;
use crate::backend::Store;
use crate::facts::{Names, column_day, read, read_between};
use crate::stream::Stream;

/// The most events caught up on at once; more, and the rows are read afresh.
pub(crate) const CATCH_UP: i64 = 5_000;

/// The memory of every partnership reported on, each behind its own lock: one report at a
/// time brings a partnership's memory up to date, others wait for it and then share it.
#[derive(Default)]
pub(crate) struct ReportMemory {
    partnerships: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Held>>>>>,
}

impl ReportMemory {
    /// The facts a report of `period` reads (as [`Escalations::escalation_facts`]), by
    /// reference, from memory brought up to date, or read afresh.
    ///
    /// [`Escalations::escalation_facts`]: crate::backend::Escalations::escalation_facts
    pub(crate) async fn facts(
        &self,
        store: &dyn Store,
        partnership_id: &str,
        period: Period,
        agencies: HashMap<String, String>,
    ) -> Result<Vec<Arc<EscalationFacts>>, StoreError> {
        let (from, to) = (period.from(), period.to());
        self.with_held(store, partnership_id, from, to, agencies, |held| {
            held.select(period)
        })
        .await
    }

    /// Holds what reports of periods within `horizon` and `ceiling` read, ahead of them (a
    /// server warming its memory as it starts). How many escalations the partnership's
    /// memory holds.
    pub(crate) async fn warm(
        &self,
        store: &dyn Store,
        partnership_id: &str,
        horizon: Date,
        ceiling: Date,
        agencies: HashMap<String, String>,
    ) -> Result<usize, StoreError> {
        self.with_held(store, partnership_id, horizon, ceiling, agencies, |held| {
            held.rows.len()
        })
        .await
    }

    /// The partnership's memory, covering `from` to `to` and brought up to date, given to
    /// `use_held`.
    async fn with_held<T>(
        &self,
        store: &dyn Store,
        partnership_id: &str,
        from: Date,
        to: Date,
        agencies: HashMap<String, String>,
        use_held: impl FnOnce(&Held) -> T,
    ) -> Result<T, StoreError> {
        let slot = {
            let mut all = self
                .partnerships
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(all.entry(partnership_id.to_owned()).or_default())
        };
        let mut slot = slot.lock().await;
        // Taken out: a read that fails leaves no memory behind, and the next report reads
        // afresh.
        let kept = match slot.take() {
            Some(held) if held.agencies == agencies && held.covers(from, to) => {
                held.catch_up(store, partnership_id).await?
            }
            Some(held) => {
                // Widened to cover this period too, read afresh.
                let (horizon, ceiling) = (held.horizon.min(from), held.ceiling.max(to));
                Some(Held::read(store, partnership_id, horizon, ceiling, agencies.clone()).await?)
            }
            None => None,
        };
        let held = match kept {
            Some(held) => held,
            None => Held::read(store, partnership_id, from, to, agencies).await?,
        };
        let out = use_held(&held);
        *slot = Some(held);
        Ok(out)
    }

    /// Forgets every partnership's facts (the benchmark's cold reads).
    pub(crate) fn forget(&self) {
        self.partnerships
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}

/// One escalation held: its facts, and the days a period's choice reads (kept beside them,
/// so that choosing reads no facts).
struct Row {
    id: String,
    raised_on: Date,
    /// The day its last fact falls on once closed.
    last_on: Option<Date>,
    facts: Arc<EscalationFacts>,
}

/// One partnership's memory.
struct Held {
    /// The partnership's chain head before the rows were last brought up to date.
    mark: i64,
    horizon: Date,
    ceiling: Date,
    agencies: HashMap<String, String>,
    names: Names,
    /// By reference, the order reports list them in.
    rows: BTreeMap<Arc<str>, Row>,
    /// Escalation id -> reference.
    references: HashMap<String, Arc<str>>,
}

impl Held {
    fn covers(&self, from: Date, to: Date) -> bool {
        self.horizon <= from && to <= self.ceiling
    }

    /// Every row of the partnership within `horizon` and `ceiling`, read afresh.
    async fn read(
        store: &dyn Store,
        partnership_id: &str,
        horizon: Date,
        ceiling: Date,
        agencies: HashMap<String, String>,
    ) -> Result<Held, StoreError> {
        // The head first: anything written after it is caught up on next time.
        let mark = head(store, partnership_id).await?;
        let names = Names::new(partnership_id, &agencies);
        let (rows, references) = read_between(
            store,
            partnership_id,
            horizon,
            ceiling,
            names.clone(),
            |read| {
                let mut references = HashMap::with_capacity(read.len());
                // In reference order already: the map is built in one go.
                let rows = BTreeMap::from_iter(read.into_iter().map(|r| {
                    let reference = Arc::clone(&r.facts.reference);
                    references.insert(r.id.clone(), Arc::clone(&reference));
                    let row = Row {
                        id: r.id,
                        raised_on: r.facts.raised_on,
                        last_on: r.last_on,
                        facts: Arc::new(r.facts),
                    };
                    (reference, row)
                }));
                Ok((rows, references))
            },
        )
        .await?;
        let held = Held {
            mark,
            horizon,
            ceiling,
            agencies,
            names,
            rows,
            references,
        };
        Ok(held)
    }

    /// Brought up to date from the events after `mark`; `None` when there were too many (the
    /// caller reads afresh).
    async fn catch_up(
        mut self,
        store: &dyn Store,
        partnership_id: &str,
    ) -> Result<Option<Held>, StoreError> {
        let changed = store
            .chain_streams(partnership_id, self.mark, CATCH_UP + 1)
            .await?;
        let Some(&(mark, _)) = changed.last() else {
            return Ok(Some(self));
        };
        if changed.len() as i64 > CATCH_UP {
            return Ok(None);
        }
        let mut ids: Vec<String> = changed
            .into_iter()
            .filter_map(|(_, stream)| match stream.parse::<Stream>() {
                Ok(Stream::Escalation(id)) => Some(id),
                _ => None,
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let rows = store.escalation_facts_of(partnership_id, &ids).await?;
        for id in &ids {
            self.remove(id);
        }
        for row in rows {
            let raised_on = column_day(&row, "raised_on", Some(&row.raised_on))?;
            let last_on = column_day(&row, "last_on", row.last_on.as_deref())?;
            let within = raised_on.is_some_and(|d| d <= self.ceiling)
                && last_on.is_none_or(|d| d >= self.horizon);
            if within {
                let facts = read(&row, &mut self.names)?;
                self.insert(row.escalation_id, last_on, facts);
            }
        }
        self.mark = mark;
        Ok(Some(self))
    }

    fn insert(&mut self, id: String, last_on: Option<Date>, facts: EscalationFacts) {
        let reference = facts.reference.clone();
        self.references.insert(id.clone(), reference.clone());
        self.rows.insert(
            reference,
            Row {
                id,
                raised_on: facts.raised_on,
                last_on,
                facts: Arc::new(facts),
            },
        );
    }

    fn remove(&mut self, id: &str) {
        if let Some(reference) = self.references.remove(id)
            && self.rows.get(&reference).is_some_and(|r| r.id == id)
        {
            self.rows.remove(&reference);
        }
    }

    /// What a report of `period` reads: raised by its last day, open or with a fact on or
    /// after its first.
    fn select(&self, period: Period) -> Vec<Arc<EscalationFacts>> {
        self.rows
            .values()
            .filter(|r| r.raised_on <= period.to() && r.last_on.is_none_or(|d| d >= period.from()))
            .map(|r| Arc::clone(&r.facts))
            .collect()
    }
}

/// The partnership's chain head (0 before its first event).
async fn head(store: &dyn Store, partnership_id: &str) -> Result<i64, StoreError> {
    Ok(store
        .chain_heads()
        .await?
        .into_iter()
        .find(|(id, _, _)| id == partnership_id)
        .map_or(0, |(_, seq, _)| seq))
}
